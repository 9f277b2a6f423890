/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: MSRP (RFC 4975): retrieval of stored messages, and whole
 *   sessions stored for offline recipients
 *
 * The mailbox owner sends an INVITE with an MSRP offer; sf_flush() on it
 * answers 200 OK with an SDP answer naming a session on msrp_listen, and
 * sfwd's MSRP process serves that session: once the client's connection
 * is bound (its first SEND names the session), every queued message of
 * the AoR goes as a SEND whose payload is the stored request as
 * message/sip (or message/sipfrag), in arrival order, one at a time; a
 * row is deleted when the 200 for its last chunk arrives, and given back
 * to the queue on a non-200 or a dropped connection. The session ends at
 * BYE (sf_flush() on the BYE) or after msrp_idle_timeout.
 *
 * This file holds the process and the SIP side; what a session carries is
 * sf_msrp_retrieve.h (retrieval) and sf_msrp_ingest.h (sessions stored for
 * offline users), both on sf_msrp_conn.h (the session table).
 */

#ifndef _SF_MSRP_SERVER_H_
#define _SF_MSRP_SERVER_H_

#include "core/parser/msg_parser.h"
#include "core/str.h"

#include "sf_store.h"

/*!
 * \brief mod_init: session table in shared memory, one more process
 * \return 0 ok (or msrp_listen unset), -1 error
 */
int sf_msrp_server_mod_init(void);

/*!
 * \brief child_init(PROC_MAIN): fork the MSRP process
 * \return 0 ok (or MSRP retrieval not configured), -1 the fork failed
 */
int sf_msrp_server_fork(void);

/*!
 * \brief is MSRP retrieval configured (msrp_listen set)?
 * \return 1 yes, 0 no
 */
int sf_msrp_server_enabled(void);

/*!
 * \brief an INVITE with an MSRP offer for the caller's own mailbox:
 *   reply 200 OK with the SDP answer
 * \param msg the INVITE
 * \param aor the caller's AoR (whose mailbox is served)
 * \return 1 answered, -1 no usable MSRP offer (the cfg answers 488),
 *   -2 no session slot or internal error (the cfg answers 500)
 */
int sf_msrp_server_invite(sip_msg_t *msg, const str *aor);

/*!
 * \brief an INVITE with an MSRP offer for a recipient who cannot be
 *   reached: reply 200 OK on the recipient's behalf with an SDP answer
 *   (our path on msrp_listen, a=setup:passive, a=recvonly, accept-types,
 *   a=max-size) and keep each message of the session as it arrives
 * \param msg the INVITE
 * \param r what every message of the session shares: r->m.aor (the
 *   mailbox), parties, Call-ID, class, notify, lifetime, max_messages,
 *   r->started (the SDP is read from msg)
 * \param accept_types the a=accept-types value ("*" when NULL or empty)
 * \return 1 answered, -1 no usable MSRP offer (the cfg answers 488), -2
 *   no session slot or internal error (500), -3 the sender holds
 *   session_sender_max sessions already (486)
 */
int sf_msrp_server_accept(
		sip_msg_t *msg, const sf_session_req_t *r, const str *accept_types);

/*!
 * \brief a BYE (or CANCEL) of a retrieval session: end it
 * \param msg the BYE or CANCEL
 * \return 1 it was one, -1 not
 */
int sf_msrp_server_bye(sip_msg_t *msg);

#endif
