/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: per-user profiles, parsed with libjansson
 *
 * A profile is a JSON object; every member is optional:
 *
 *   {"store": "no" | "yes" | "notify",
 *    "accept": ["text/ *", "image/jpeg", ...],
 *    "max_messages": 50,
 *    "lifetime": 86400,
 *    "forward": "sip:+4912345@sms-gw.example.com"}
 *
 * ("/ *" in this file stands for slash-star without the space, which a C
 * comment cannot hold without a -Wcomment warning.)
 *
 * - store: what to do with a message whose sender said nothing: never
 *   store ("no" = instant), store ("yes"), store and report ("notify").
 * - accept: content types the user takes, as patterns "type/subtype",
 *   "type/ *" or "*" (case-insensitive; parameters after ';' in the
 *   message's Content-Type are ignored); 1..32 patterns of at most 127
 *   characters; absent: everything.
 * - max_messages: 0..100000000, overrides the modparam for this mailbox.
 * - lifetime: seconds, 1..315360000, the default lifetime for this mailbox
 *   (still capped by max_lifetime).
 * - forward: a sip: or sips: URI (at most 255 characters) to relay
 *   messages to instead of storing them; "mailto:" URIs are refused for
 *   now with a clear error; anything else is refused.
 * Unknown members are refused (a typo must not pass silently).
 *
 * Pure apart from libjansson: no Kamailio types, no logging; never calls
 * json_set_alloc_funcs; every json_t is released on every path.
 */

#ifndef _SF_PROFILE_JSON_H_
#define _SF_PROFILE_JSON_H_

#include <stddef.h>

#include "sf_classify.h"

#define SF_PROFILE_MAX_ACCEPT 32
#define SF_PROFILE_PATTERN_MAX 128
#define SF_PROFILE_URI_MAX 256

/*! \brief store member: SF_PROFILE_STORE_UNSET, or an enum sf_class */
#define SF_PROFILE_STORE_UNSET 0

/*! \brief a parsed profile (plain data, can be copied with memcpy) */
typedef struct sf_profile_json
{
	int store;		  /*!< 0 unset, or SF_CLASS_INSTANT/STORE/NOTIFY */
	int max_messages; /*!< -1 unset */
	int lifetime;	  /*!< -1 unset */
	int naccept;	  /*!< 0: everything */
	char accept[SF_PROFILE_MAX_ACCEPT][SF_PROFILE_PATTERN_MAX];
	char forward[SF_PROFILE_URI_MAX]; /*!< "" unset */
} sf_profile_t;

/*!
 * \brief parse and validate a profile
 * \param json the profile's JSON text
 * \param len its length
 * \param out the profile
 * \param err on failure, a one-line English reason naming the member
 *   ("accept[2]: not a content type pattern", "forward: mailto: is not
 *   supported yet", "JSON error at line 1 column 9: ...")
 * \param errsize the size of err
 * \return 0 ok (out filled), -1 invalid (err filled)
 */
int sf_profile_parse(const char *json, size_t len, sf_profile_t *out, char *err,
		size_t errsize);

/*!
 * \brief the profile back as compact JSON with members in a fixed order
 *   (store, accept, max_messages, lifetime, forward), unset ones left out
 * \param p the profile
 * \param out the output buffer
 * \param outsize its size
 * \return length written (NUL-terminated) or -1 when it does not fit
 */
int sf_profile_dump(const sf_profile_t *p, char *out, size_t outsize);

/*!
 * \brief does the profile accept this Content-Type value (parameters
 *   ignored)? An empty content type is taken as text/plain.
 * \param p the profile
 * \param content_type the Content-Type value
 * \return 1 yes, 0 no
 */
int sf_profile_accepts(const sf_profile_t *p, sf_buf_t content_type);

/*!
 * \brief the accept patterns joined for an Accept header ("text/ *,
 *   image/jpeg")
 * \param p the profile
 * \param out the output buffer
 * \param outsize its size
 * \return length written or -1 when it does not fit (or there are none)
 */
int sf_profile_accept_header(const sf_profile_t *p, char *out, size_t outsize);

#endif
