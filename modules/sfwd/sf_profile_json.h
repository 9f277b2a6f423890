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
 *    "forward": "sip:+4912345@sms-gw.example.com"
 *             | ["sip:bob@gw.example.com", "mailto:bob@example.com",
 *                "sms:+49 170 1234567", "tel:+1-212-555-0100"],
 *    "forward_when": "offline" | "always" | "after",
 *    "forward_after": 3600,
 *    "deliver": "inline" | "notify"}
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
 * - forward: where to forward messages: one target as a string, or an
 *   array of 1..4 distinct targets, each at most 255 characters, no
 *   control characters. A target is (scheme in any case):
 *   - a sip: or sips: URI, kept as written;
 *   - mailto: an RFC 5322 addr-spec without comments, quoting, %-escapes
 *     or "?" header fields: a local part of 1..64 characters, a dot-atom
 *     of RFC 5322 atext; '@'; a domain of dot-separated labels of 1..63
 *     letters, digits and '-' (not first or last), at most 253 in all, or
 *     an address literal "[192.0.2.1]" / "[IPv6:2001:db8::1]"; kept as
 *     "mailto:" and the address unchanged (the 255-character limit leaves
 *     at most 248 for the address, below RFC 5321's 254);
 *   - sms: or tel: a global E.164 number, '+' then 2..15 digits; the
 *     visual separators '-', '.', ' ', '(' and ')' may follow the '+' and
 *     are removed; no parameters (";..."), no "?body=", no local numbers;
 *     both kept as "sms:+<digits>".
 *   A target that repeats an earlier one after this normalisation (sip:
 *   URIs compared as written, the scheme in any case) is refused. Messages
 *   name the target: "forward: ..." for a string, "forward[i]: ..." (i
 *   from 0) for an array item.
 * - forward_when (only with forward): "offline" (the default): forward
 *   instead of storing when the recipient is not reached; "always": a
 *   copy to the targets in addition to the normal delivery; "after":
 *   store, and forward when still undelivered forward_after seconds
 *   later.
 * - forward_after: seconds, 1..31536000; required with forward_when
 *   "after", refused otherwise.
 * - deliver: "inline" (the default): the recipient gets the content;
 *   "notify": a short notice with a link to fetch it instead.
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
#define SF_PROFILE_MAX_FORWARD 4

/*! \brief kinds of forward targets (sf_profile_forward_kinds: 1 << kind) */
#define SF_FWD_SIP 1	/*!< sip: or sips: URI, as written */
#define SF_FWD_MAILTO 2 /*!< "mailto:" and an RFC 5322 address */
#define SF_FWD_SMS 3	/*!< "sms:+" and 2..15 digits (from sms: or tel:) */

/*! \brief forward_when member */
#define SF_FWD_WHEN_UNSET 0	  /*!< no forward */
#define SF_FWD_WHEN_OFFLINE 1 /*!< instead of storing (the default) */
#define SF_FWD_WHEN_ALWAYS 2  /*!< a copy as well as the normal delivery */
#define SF_FWD_WHEN_AFTER 3	  /*!< when undelivered after forward_after s */

/*! \brief deliver member */
#define SF_DELIVER_INLINE 0 /*!< the content (the default) */
#define SF_DELIVER_NOTIFY 1 /*!< a notice with a link to fetch it */

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
	/*! the first sip:/sips: target of fwd[] as written, "" if none */
	char forward[SF_PROFILE_URI_MAX];
	int nforward; /*!< 0..SF_PROFILE_MAX_FORWARD targets in fwd[] */
	struct sf_profile_fwd
	{
		int kind;					  /*!< SF_FWD_SIP/MAILTO/SMS */
		char uri[SF_PROFILE_URI_MAX]; /*!< normalised */
	} fwd[SF_PROFILE_MAX_FORWARD];	  /*!< in the order given */
	int forward_when;  /*!< SF_FWD_WHEN_*; OFFLINE when forward is given
						* without it, UNSET without forward */
	int forward_after; /*!< seconds, -1 unset (set only with AFTER) */
	int deliver;	   /*!< SF_DELIVER_INLINE or SF_DELIVER_NOTIFY */
} sf_profile_t;

/*!
 * \brief parse and validate a profile
 * \param json the profile's JSON text
 * \param len its length
 * \param out the profile
 * \param err on failure, a one-line English reason naming the member
 *   ("accept[2]: not a content type pattern", "forward[1]: mailto: bad
 *   domain \"exa..mple.com\"", "forward: at most 4 targets (got 5)",
 *   "JSON error at line 1 column 9: ...")
 * \param errsize the size of err
 * \return 0 ok (out filled), -1 invalid (err filled)
 */
int sf_profile_parse(const char *json, size_t len, sf_profile_t *out, char *err,
		size_t errsize);

/*!
 * \brief the profile back as compact JSON with members in a fixed order
 *   (store, accept, max_messages, lifetime, forward, forward_when,
 *   forward_after, deliver), unset and default ones left out: forward as
 *   a string when there is one target, else an array; forward_when only
 *   "always" or "after"; deliver only "notify". Parsing the dump gives
 *   the same struct.
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
 * \brief the kinds of forward targets the profile has
 * \param p the profile (NULL: none)
 * \return a bitmask of (1 << SF_FWD_SIP/MAILTO/SMS), 0 without forward
 */
int sf_profile_forward_kinds(const sf_profile_t *p);

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
