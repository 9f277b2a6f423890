/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: MSRP retrieval: a mailbox's queued rows sent to its owner
 *
 * In the MSRP process, for a connection bound to a retrieval session:
 * every queued row of the AoR goes as a SEND whose payload is the stored
 * request as message/sip (or message/sipfrag), or a whole stored session
 * as one multipart/mixed SEND, one at a time in arrival order; the rows
 * are deleted when the 200 for the last chunk arrives, and given back to
 * the queue on a non-200 or a dropped connection.
 */

#ifndef _SF_MSRP_RETRIEVE_H_
#define _SF_MSRP_RETRIEVE_H_

#include "sf_msrp.h"
#include "sf_msrp_conn.h"

/*!
 * \brief give c's claimed rows back to the queue and drop its batch
 * \param c the connection (bound or not)
 */
void sf_ms_release(sf_mconn_t *c);

/*!
 * \brief send the next queued message (or stored session) of c's
 *   session, unless one is in flight or the session stopped
 * \param c a connection bound to a retrieval session
 * \return 0 sent or nothing to do, -1 error (c->stopped set when the
 *   session sends no more)
 */
int sf_ms_send_next(sf_mconn_t *c);

/*!
 * \brief the client's response to one of our chunks: after the 200 of the
 *   last chunk the rows are deleted; a non-200 stops the session
 * \param c the connection
 * \param f the response frame
 */
void sf_ms_on_response(sf_mconn_t *c, sf_msrp_frame_t *f);

#endif
