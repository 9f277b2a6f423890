/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: notify-then-fetch over HTTP (Kamailio's xhttp module)
 *
 * sf_http() is called from event_route[xhttp:request] (a SIP worker that
 * reads TCP) for a path below http_url's:
 *   GET|HEAD <path>/m/<token>   the content of the message whose notice
 *       named that link: 200 with its Content-Type and bytes (HEAD: the
 *       headers only). A Range of one span gets 206 with that span. The
 *       first complete GET whose reply was handed to the connection counts
 *       as delivery: the row goes, the sender gets a delivery report if it
 *       asked, event sfwd:delivered runs. HEAD and partial fetches do not
 *       count. An unknown, malformed or expired token gets 404, the same
 *       reply in every case.
 *   GET <path>/dlr/<token>?type=N   Kannel's delivery report of an SMS
 *       (sf_reach.h): 1 delivered (the row goes, a delivery report), 2 or
 *       16 failed (state failed, a failure report), other types noted; a
 *       token without an SMS waiting gets 404.
 * Tokens are 32 hex digits (sf_fetch.h); a request whose token is not in
 * that form is answered without a query.
 */

#ifndef _SF_HTTP_H_
#define _SF_HTTP_H_

#include "core/parser/msg_parser.h"

/*!
 * \brief mod_init: bind xhttp when http_url is set, and take http_url's
 *   path
 * \return 0 ok, -1 error (http_url set, xhttp not loaded or a bad URL)
 */
int sf_http_mod_init(void);

/*!
 * \brief the handler (cfg function sf_http())
 * \param msg the HTTP request
 * \return 1 answered, -1 not an HTTP request or not sfwd's path (nothing
 *   sent: the cfg answers)
 */
int sf_http_request(sip_msg_t *msg);

#endif
