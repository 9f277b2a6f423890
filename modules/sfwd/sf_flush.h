/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: flusher processes: claim, replay through tm, outcome
 *
 * flush_workers processes, forked from the main process. Flusher q serves
 * the AoRs that hash to queue q: it claims a batch of the AoR's queued rows
 * (FOR UPDATE SKIP LOCKED, with a lease), sends each row as a MESSAGE to
 * every registered contact that takes MESSAGE, at most flush_window rows in
 * flight, in id (arrival) order, and records the outcome reported by the tm
 * callbacks: 2xx deletes the row, a temporary failure requeues it with
 * backoff, a permanent one makes it 'failed'. Flusher 0 also expires rows,
 * purges old terminal rows and starts the timed retries.
 */

#ifndef _SF_FLUSH_H_
#define _SF_FLUSH_H_

#include "core/parser/msg_parser.h"
#include "core/str.h"

/*!
 * \brief mod_init: register the processes (and count them for cfg)
 * \return 0
 */
int sf_flush_mod_init(void);

/*!
 * \brief child_init(PROC_MAIN): fork the flushers
 * \return 0 ok, -1 a fork failed
 */
int sf_flush_fork(void);

/*!
 * \brief sf_flush(aor): queue the delivery of what waits for an AoR
 * \param uri the AoR, a SIP URI or user@host
 * \return 1 queued (or already waiting), -1 no db_url, a bad AoR or the
 *   queue is full
 */
int sf_flush_aor(str *uri);

/*!
 * \brief sf_flush() without an AoR: the To of a REGISTER, else the
 *   Request-URI as received; on an INVITE with an MSRP offer, the caller's
 *   own mailbox over MSRP; on a BYE (or CANCEL) of such a session, its end
 * \param msg the request
 * \return as sf_flush_aor(), sf_msrp_server_invite() or
 *   sf_msrp_server_bye(); -1 not a request, or no AoR
 */
int sf_flush_request(sip_msg_t *msg);

#endif
