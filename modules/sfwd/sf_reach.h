/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: reach beyond SIP: the forwarding process
 *
 * A stored row whose recipient's profile forwards to mailto: targets
 * (planned by the trigger sfwd_forward_plan of the schema: forward_at,
 * forward_to) is claimed by this process once due, turned into an
 * RFC 5322 mail (sf_mail) and sent with libcurl's SMTP client to
 * modparam smtp_url, one target after the other (forward_done: a bit per
 * target sent). 250 for every target: forwarded (the row goes, or stays
 * queued for SIP with forward_when "always"; a delivery report if asked);
 * a 5xx: failed for good (state 'failed', a failure report; a row that is
 * still queued for SIP stays so); a 4xx, no connection or a timeout: tried
 * again after retry_interval, doubling up to max_retry_interval, at most
 * forward_max_attempts times. Never in a SIP worker: the process is
 * sfwd's own ("sfwd reach").
 */

#ifndef _SF_REACH_H_
#define _SF_REACH_H_

/*!
 * \brief mod_init: check smtp_url/smtp_from, register the process when
 *   forwarding is configured (smtp_url set)
 * \return 0 ok, -1 error
 */
int sf_reach_mod_init(void);

/*!
 * \brief child_init(PROC_MAIN): fork the process when configured
 * \return 0 ok, -1 error
 */
int sf_reach_fork(void);

#endif
