/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: notify-then-fetch: tokens, links and notices (pure)
 *
 * A message whose content is fetched over HTTP (above fetch_threshold,
 * profile "deliver": "notify", an SMS recipient of non-text content) gets
 * a token of 128 bits from getrandom(), written as 32 lower-case hex
 * digits, unique in sfwd_message.fetch_token. Its link is
 * "<http_url>/m/<token>"; a delivery report of the SMS gateway comes to
 * "<http_url>/dlr/<token>?type=N". The recipient is told with a short text
 * that names the sender, the subject, the size and type, and the link.
 * Everything of the text comes from the wire: names and subjects are cut
 * to whole UTF-8 characters, control characters and invalid bytes left
 * out.
 */

#ifndef _SF_FETCH_H_
#define _SF_FETCH_H_

#include <stddef.h>

#include "sf_buf.h"

/*! \brief the length of a token: 16 bytes in hex */
#define SF_FETCH_TOKEN_LEN 32

/*!
 * \brief a new token from getrandom()
 * \param out SF_FETCH_TOKEN_LEN hex digits and a NUL
 * \return 0, or -1 when the kernel gave no random bytes
 */
int sf_fetch_token(char out[SF_FETCH_TOKEN_LEN + 1]);

/*!
 * \brief whether a range is a token in form (32 lower-case hex digits)
 * \param s the range
 * \param len its length
 * \return 1 yes, 0 no
 */
int sf_fetch_token_valid(const char *s, size_t len);

/*!
 * \brief a link: "<base>/<kind>/<token>" (a '/' at the end of base is
 *   not doubled)
 * \param out the buffer
 * \param size its size
 * \param base http_url
 * \param kind "m" (the content) or "dlr" (a delivery report)
 * \param token the token
 * \return the length, or -1 when it does not fit
 */
int sf_fetch_url(char *out, size_t size, sf_buf_t base, const char *kind,
		const char *token);

/*! \brief what a notice says */
typedef struct sf_fetch_notice_in
{
	sf_buf_t from_name;	   /*!< the sender's display name, may be empty */
	sf_buf_t from_uri;	   /*!< the sender's URI */
	sf_buf_t subject;	   /*!< the Subject, may be empty */
	sf_buf_t content_type; /*!< the content's type (parameters dropped) */
	long long size;		   /*!< the content's size in bytes */
	sf_buf_t url;		   /*!< the link */
} sf_fetch_notice_in_t;

/*! \brief the most a notice takes (with its NUL) */
#define SF_FETCH_NOTICE_MAX 1200

/*!
 * \brief the notice: "Message from Name <uri>: "Subject", 2.0 MB
 *   (image/png). Fetch it: URL" (name cut at 64 characters, subject at
 *   80, the URI at 128 bytes of printable ASCII)
 * \param out the buffer (SF_FETCH_NOTICE_MAX is always enough)
 * \param size its size
 * \param in what it says
 * \return the length, or -1 when it does not fit
 */
int sf_fetch_notice(char *out, size_t size, const sf_fetch_notice_in_t *in);

#endif
