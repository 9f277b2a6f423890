/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: group messages: sf_explode()
 *
 * One MESSAGE for many recipients: an RFC 5365 multiple-recipient MESSAGE
 * (Require: recipient-list-message, a multipart/mixed body with an
 * application/resource-lists+xml part, Content-Disposition: recipient-list,
 * and the content part), or a MESSAGE to a server-side group's AoR
 * (table sfwd_group, RPC sfwd.group_*). Each recipient gets its own copy
 * (its own Call-ID; From the sender), sent through tm to this proxy
 * itself, so that the script routes it as any MESSAGE: relayed to a
 * registered recipient, stored by sfwd for one who is not. The sender's
 * transaction waits (t_suspend) until every copy has a final reply, then
 * sfwd answers it: 202 when every copy was relayed, stored or refused by
 * its recipient, 503 when none could be sent. Every recipient's outcome
 * gives the sender its own report when the sender asked for one (a
 * stored copy's report comes when it is delivered or expires).
 *
 * A retransmission never explodes twice: tm absorbs it while the
 * transaction lives, and table sfwd_group_sent (the recipients of each
 * request, by Call-ID, From tag and CSeq, kept a day) after.
 */

#ifndef _SF_GROUP_H_
#define _SF_GROUP_H_

#include "core/parser/msg_parser.h"

/*! \brief what sf_explode() returns besides 1 (the request is exploded:
 *   sfwd answers it, the script ends) */
#define SF_GROUP_ENONE -1	  /*!< not a list nor a group: route it on */
#define SF_GROUP_EBAD -2	  /*!< a malformed list ($sfwd(reason)): 400 */
#define SF_GROUP_ETOOMANY -3  /*!< more than max_recipients: 413 */
#define SF_GROUP_ETOOBIG -4	  /*!< a copy would not fit in UDP: 513 */
#define SF_GROUP_EFORBID -5	  /*!< the sender is not a member: 403 */
#define SF_GROUP_EDB -6		  /*!< the database is unavailable: 503 */
#define SF_GROUP_EINTERNAL -7 /*!< no memory, no transaction: 500 */

/*! \brief the header that marks a copy (the script trusts it only from
 *   this proxy itself) */
#define SF_GROUP_HDR "X-Sfwd-Group"

/*! \brief mod_init: the lock of the explosions in flight
 * \return 0 ok, -1 error */
int sf_group_mod_init(void);

/*! \brief mod_destroy */
void sf_group_destroy(void);

/*!
 * \brief sf_explode(): explode a list or group MESSAGE (see the file's
 *   description); call it in request_route before the MESSAGE is relayed
 *   or stored, for requests that are not copies themselves
 * \param msg the MESSAGE
 * \return 1 exploded (answered by sfwd), or SF_GROUP_E*
 */
int sf_group_explode(sip_msg_t *msg);

#endif
