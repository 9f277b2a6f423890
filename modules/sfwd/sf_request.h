/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: reading a SIP request: its body, its encoding, the
 *   headers the store keeps, its class (store flag and the recipient's
 *   profile)
 */

#ifndef _SF_REQUEST_H_
#define _SF_REQUEST_H_

#include <time.h>

#include "core/parser/msg_parser.h"
#include "core/str.h"

#include "sf_buf.h"
#include "sf_classify.h"
#include "sf_db.h"

/*!
 * \brief the message body, bounded by Content-Length when it is present
 * \param msg the request
 * \return the body, (NULL, 0) when there is none
 */
sf_buf_t sf_msg_body(sip_msg_t *msg);

/*! \brief the first Content-Encoding, or an empty range
 * \param msg the request
 * \return the header's body, (NULL, 0) when there is none */
sf_buf_t sf_msg_encoding(sip_msg_t *msg);

/*! \brief is the body encoded (deflate, gzip, ...: not identity)?
 * \param msg the request
 * \return 1 yes, 0 no */
int sf_msg_body_encoded(sip_msg_t *msg);

/*!
 * \brief classify the request (see sf_classify.h for the grammar), the
 *   recipient's profile between the sender and default_class
 * \param db the connection for the profile lookup
 * \param msg the request
 * \param set_xavp 1: set $xavp(sf=>class/notify/source[/forward])
 * \param resp the verdict when the return value is > 0 (may be NULL)
 * \return 1 instant, 2 store, 3 store + report, -1 not MESSAGE/INVITE,
 *   -2 unparsable flag
 */
int sf_classify_msg(
		sf_db_t *db, sip_msg_t *msg, int set_xavp, sf_class_result_t *resp);

/*!
 * \brief the class the sender asked for: $xavp(sf) when sf_classify() ran,
 *   else classified now (leaving $xavp(sf) alone)
 * \param db the connection for the profile lookup
 * \param msg the request
 * \param notify the report bits
 * \return the class, or < 0 as sf_classify_msg()
 */
int sf_msg_class(sf_db_t *db, sip_msg_t *msg, int *notify);

/*!
 * \brief "Name: value\r\n" of every header the store keeps, and a Date
 *   when there is none: never the routing and credential headers; the
 *   identity headers only from a trusted source (trusted_flag); nothing the
 *   script removed (its LUMP_DEL); Expires once; keep_headers
 * \param msg the request (headers parsed)
 * \param received the Date to add when the request has none
 * \param out the headers (free with sf_hdrs_free())
 * \return 0 ok, -1 no memory
 */
int sf_kept_headers(sip_msg_t *msg, time_t received, str *out);

/*! \brief free what sf_kept_headers() returned
 * \param s out->s */
void sf_hdrs_free(char *s);

#endif
