/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: telling people what happened
 *
 * Delivery reports to the sender (RFC 5438 IMDN in CPIM, or text), the
 * optional "stored" notice, and the recipient's message summary (RFC 3842)
 * published through Kamailio's presence module (presence_mwi serves the
 * SUBSCRIBEs and sends the NOTIFYs).
 *
 * A report is a MESSAGE from the original recipient (as if the
 * recipient's device had sent it: clients match a report to its
 * conversation by the SIP From), or from report_from when set; a notice
 * comes from report_from (default sip:sfwd@<address>). Both go through tm
 * to report_proxy (by default this Kamailio itself), so they take the same
 * route as any
 * MESSAGE: delivered, or stored for a sender who is offline. It carries
 * `Request-Disposition: store` (a report) or `do-not-store` (a notice), so
 * it never asks for a report itself.
 */

#ifndef _SF_NOTIFY_H_
#define _SF_NOTIFY_H_

#include "core/str.h"
#include "core/parser/msg_parser.h"

#include "sf_db.h"

/*!
 * \brief mod_init: defaults of report_from/report_proxy, presence binding
 * \return 0 ok, -1 error
 */
int sf_notify_mod_init(void);

/*! \brief what a report is about (pkg or result memory, borrowed) */
typedef struct sf_report_src
{
	long long id;	   /*!< the row id */
	str from_uri;	   /*!< the original's sender */
	str from_name;	   /*!< and display name */
	str to_uri;		   /*!< the original's recipient */
	str imdn_id;	   /*!< its imdn.Message-ID; empty: "sfwd-<id>" */
	double received;   /*!< epoch seconds, microseconds kept */
	str imdn_datetime; /*!< the original's CPIM DateTime, or empty */
	int notify;		   /*!< the row's report bits */
} sf_report_src_t;

/*!
 * \brief send a delivery report when the row's report bits ask for it
 * \param src what the report is about
 * \param status enum sf_imdn_status
 * \return 1 sent, 0 not asked for, -1 error
 */
int sf_report(const sf_report_src_t *src, int status);

/*! \brief where a result row (binary format) holds a report's fields */
typedef struct sf_report_cols
{
	int id, from_uri, from_name, to_uri, imdn_id, received, imdn_datetime,
			notify;
} sf_report_cols_t;

/*!
 * \brief what a report is about, read from a row of a claim or expiry
 * \param src filled, borrowing the result's memory
 * \param res the result (binary format)
 * \param row the row
 * \param c its columns
 */
void sf_report_src_row(sf_report_src_t *src, const PGresult *res, int row,
		const sf_report_cols_t *c);

/*!
 * \brief the "stored" notice to a sender (stored_notice, rate-limited)
 * \param sender_uri the sender, who gets the notice
 * \param aor the recipient the message is stored for
 */
void sf_stored_notice(const str *sender_uri, const str *aor);

/*!
 * \brief publish the AoR's message summary (count queued messages, then
 *   presence update_presentity, which NOTIFYs the watchers)
 * \param db the connection for the count
 * \param aor the AoR
 * \return 0 ok, -1 error, 1 mwi off
 */
int sf_mwi_publish(sf_db_t *db, const str *aor);

/*!
 * \brief sf_mwi_update(): publish now the message summary of an AoR
 *   (before handle_subscribe(), so that the first NOTIFY carries the
 *   current counts)
 * \param db the connection for the count
 * \param uri the AoR, a SIP URI or user@host
 * \return 1 published, -1 error (or modparam mwi off, or no db_url)
 */
int sf_mwi_update(sf_db_t *db, str *uri);

/*!
 * \brief sf_mwi_subscribe(): a SUBSCRIBE message-summary for the
 *   Request-URI's mailbox: publish the current counts, then presence's
 *   handle_subscribe() (which answers it and sends the NOTIFY), while the
 *   AoR's flusher holds its own summaries back (sf_mwi_held): the
 *   subscription's NOTIFYs go out in CSeq order
 * \param msg the SUBSCRIBE
 * \param db the connection for the count
 * \return handle_subscribe()'s result, -1 when mwi is off, there is no
 *   db_url, or msg is no SUBSCRIBE for an AoR
 */
int sf_mwi_subscribe(sip_msg_t *msg, sf_db_t *db);

/*!
 * \brief is a SIP worker handling a SUBSCRIBE for aor's summary now?
 * \param aor the AoR
 * \return 1 yes, 0 no
 */
int sf_mwi_held(const str *aor);

/*!
 * \brief sf_mwi_publish() unless a SIP worker is answering a SUBSCRIBE
 *   for aor (then 2: try again later); the two exclude each other
 * \param db the connection for the count
 * \param aor the AoR
 * \return as sf_mwi_publish(), or 2 held back
 */
int sf_mwi_publish_held(sf_db_t *db, const str *aor);

/*!
 * \brief is the sender URI sfwd's own report_from (reports are not
 *   reported on, and get no notice)
 * \param uri the sender URI
 * \return 1 yes, 0 no
 */
int sf_is_report_sender(const str *uri);

#endif
