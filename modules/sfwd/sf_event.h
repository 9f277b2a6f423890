/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: event routes for operators (log, bill, push-notify)
 *
 * event_route[sfwd:stored]     a message was stored (SIP worker, on the
 *                              stored MESSAGE itself)
 * event_route[sfwd:delivered]  a stored message got a 2xx (flusher)
 * event_route[sfwd:failed]     a stored message ended failed or expired
 * With a KEMI routing script, the function named by modparam
 * event_callback is called with the event name instead. $xavp(sfev)
 * carries id, aor, from, state and code.
 */

#ifndef _SF_EVENT_H_
#define _SF_EVENT_H_

#include "core/parser/msg_parser.h"
#include "core/route_struct.h"
#include "core/str.h"

/*!
 * \brief mod_init: look up the event routes sfwd:stored, sfwd:delivered
 *   and sfwd:failed
 * \return 0
 */
int sf_event_mod_init(void);

/*!
 * \brief run a native route, or else a KEMI function, on a request, as
 *   route type `type` (the process's route type is restored after)
 * \param msg the request
 * \param route the native route's actions, NULL: the KEMI function
 * \param type REQUEST_ROUTE, EVENT_ROUTE, ...
 * \param kemi_fn the KEMI function's name (used when route is NULL)
 * \param kemi_arg its argument, or NULL
 * \return 0 ok, -1 the KEMI function failed
 */
int sf_route_run(sip_msg_t *msg, struct action *route, int type, str *kemi_fn,
		str *kemi_arg);

/*!
 * \brief event_route[sfwd:stored] on the stored request (NULL: on a
 *   made-up one, where the request is gone); $xavp(sfev) has id, aor,
 *   from and state
 * \param msg the stored request, or NULL
 * \param id the row id
 * \param aor the recipient's AoR
 * \param from the sender
 */
void sf_event_stored(
		sip_msg_t *msg, long long id, const str *aor, const str *from);

/*!
 * \brief event_route[sfwd:delivered] (delivered 1) or [sfwd:failed]
 * \param delivered 1: sfwd:delivered, 0: sfwd:failed
 * \param id the row id
 * \param aor the recipient's AoR
 * \param from the sender
 * \param state the row's state, for $xavp(sfev=>state)
 * \param code the SIP status, for $xavp(sfev=>code)
 */
void sf_event_outcome(int delivered, long long id, const str *aor,
		const str *from, const char *state, int code);

/*!
 * \brief event_route[sfwd:session-accepted] (sfwd answered an MSRP session
 *   for an offline recipient) or [sfwd:session-ended]: $xavp(sfev=>aor),
 *   =>from, =>call_id, =>state (accepted; bye, closed by the client, idle,
 *   database unavailable, ...), =>code (messages stored)
 * \param accepted 1 accepted, 0 ended
 * \param msg the INVITE, or NULL (a faked message is used)
 * \param aor the recipient
 * \param from the sender
 * \param call_id the session's Call-ID
 * \param state what happened
 * \param messages messages stored in the session
 */
void sf_event_session(int accepted, sip_msg_t *msg, const str *aor,
		const str *from, const str *call_id, const char *state, int messages);

/*! \brief how many counts sf_event_group() takes */
#define SF_EV_GROUP_COUNTS 5

/*!
 * \brief event_route[sfwd:group] once a group message's copies all have
 *   their outcome and its sender is answered (on a made-up request):
 *   $xavp(sfev=>from), =>call_id (the original's), =>state ("sent": 202,
 *   "not-sent": no copy went out), =>code (the answer), =>copies,
 *   =>delivered, =>stored, =>refused, =>lost
 * \param from the sender
 * \param call_id the group message's Call-ID
 * \param code the answer sent to the sender
 * \param counts copies, delivered, stored, refused, lost
 */
void sf_event_group(const str *from, const str *call_id, int code,
		const int counts[SF_EV_GROUP_COUNTS]);

#endif
