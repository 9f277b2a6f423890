/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: MSRP sessions stored for offline users (ingest)
 *
 * An accepted session's fields live in one shm block in its slot; in the
 * MSRP process each message of the session is reassembled from its
 * chunks, admitted (session_messages, the recipient's profile), committed
 * to the store and only then answered 200 (with a Success-Report when
 * asked). The session's end records it, raises the event and, when sfwd
 * ended it, sends our BYE.
 */

#ifndef _SF_MSRP_INGEST_H_
#define _SF_MSRP_INGEST_H_

#include <time.h>

#include "core/parser/msg_parser.h"
#include "core/str.h"

#include "sf_msrp.h"
#include "sf_msrp_conn.h"
#include "sf_store.h"

/*!
 * \brief the sessions_open gauge: stored sessions answered and not yet
 *   ended
 * \return their number
 */
unsigned long sf_ms_sessions_open(void);

/*!
 * \brief an accepted session's shm block: r's fields and the SDP copied
 *   into one block, tm's dialog of msg (for our BYE should the MSRP side
 *   fail)
 * \param msg the INVITE
 * \param r what every message of the session shares
 * \param sdp the INVITE's SDP
 * \return the block (shm), NULL no memory
 */
sf_ms_ingest_t *sf_ms_ingest_block(
		sip_msg_t *msg, const sf_session_req_t *r, const str *sdp);

/*!
 * \brief the end of an ingest session (its slot in SF_MS_CLOSING, or bound
 *   to a connection that closes): its record ends, the event is raised, a
 *   session sfwd ended gets our BYE; then the slot is free (or GONE until
 *   the sender's BYE)
 * \param slot the session slot
 * \param why "bye", "closed by the client", "idle", ...
 */
void sf_ms_ingest_end(int slot, const char *why);

/*!
 * \brief free the message c was receiving (its bytes and Content-Type)
 * \param c the connection
 */
void sf_ms_msg_free(sf_mconn_t *c);

/*!
 * \brief a SEND for an ingest session: one chunk of a message to keep;
 *   the message is committed before the 200 of its last chunk
 * \param c a connection bound to an ingest session
 * \param f the SEND
 * \return 0 handled (answered as its sender wants), -1 the store is gone:
 *   the caller closes the connection (the session ends with our BYE)
 */
int sf_ms_ingest(sf_mconn_t *c, sf_msrp_frame_t *f);

/*!
 * \brief end the ingest sessions no connection will end: ended before one
 *   was bound (BYE), or never connected to within msrp_idle_timeout; free
 *   GONE slots after msrp_idle_timeout
 * \param now the time now
 */
void sf_ms_sweep(time_t now);

#endif
