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
 *
 * An sms:+<digits> target goes to Kannel's sendsms (modparam kannel_url,
 * an HTTP GET, sf_sms): plain text in UTF-8 that fits ten parts as the
 * text itself, anything else (other types, a content-encoding, a profile
 * with "deliver": "notify", longer text) as a notice with a link
 * "<http_url>/m/<token>" (sf_fetch; no http_url: refused). Before its
 * first SMS a row gets its token (fetch_token), which also names it in
 * the delivery-report URL "<http_url>/dlr/<token>?type=%d" given to
 * Kannel. HTTP 2xx: sent; 4xx: refused for good; 5xx, no connection, a
 * timeout: tried again as above. Sent to every target with an SMS among
 * them, a row is not deleted but waits: state 'sms' (the text went; for
 * Kannel's delivery report) or 'fetch' (the notice went; for the GET of
 * its link); without http_url an SMS text ends the row like a mail.
 */

#ifndef _SF_REACH_H_
#define _SF_REACH_H_

/*!
 * \brief mod_init: check smtp_url/smtp_from and kannel_url (http:// or
 *   https://), register the process when forwarding is configured
 *   (smtp_url or kannel_url set)
 * \return 0 ok, -1 error
 */
int sf_reach_mod_init(void);

/*!
 * \brief child_init(PROC_MAIN): fork the process when configured
 * \return 0 ok, -1 error
 */
int sf_reach_fork(void);

#endif
