/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure builders of report and summary bodies
 *
 * Delivery reports (RFC 5438 IMDN inside RFC 3862 CPIM, or plain text) and
 * message-summary bodies (RFC 3842). libc only: no Kamailio types, no
 * logging, no allocation. Inputs are (pointer, length) pairs (sf_buf_t
 * from sf_classify.h) that need not be NUL-terminated; every builder
 * writes to a caller buffer and returns the length written (the output is
 * NUL-terminated) or -1 when the buffer is too small or an input is
 * unusable; on -1 the buffer content is unspecified.
 */

#ifndef _SF_IMDN_H_
#define _SF_IMDN_H_

#include <stddef.h>
#include <time.h>

#include "sf_buf.h"

/*!
 * \brief XML character data / attribute escaping
 *
 * & < > " ' become &amp; &lt; &gt; &quot; &apos;. Bytes >= 0x80 (UTF-8)
 * pass unchanged. C0 control bytes other than TAB, LF, CR (not allowed in
 * XML 1.0) and NUL are dropped.
 * \param in the text
 * \param out the output buffer
 * \param outsize its size
 * \return length written (without the NUL), -1 if it does not fit
 */
int sf_xml_escape(sf_buf_t in, char *out, size_t outsize);

/*!
 * \brief a CPIM/SIP quoted-string: '"' + text with '"' and '\' escaped by
 *   '\' + '"'. CR, LF and NUL are dropped.
 * \param in the text
 * \param out the output buffer
 * \param outsize its size
 * \return length written, -1 if it does not fit
 */
int sf_quote(sf_buf_t in, char *out, size_t outsize);

/*!
 * \brief "2026-11-22T10:00:00Z" (20 chars) for t; -1 if outsize < 21
 * \param t the time
 * \param out the output buffer
 * \param outsize its size
 * \return 20, or -1 (outsize < 21 or t cannot be formatted)
 */
int sf_iso_date(time_t t, char *out, size_t outsize);

/*!
 * \brief "2026-11-22T10:00:00.123456Z" (27 chars) for epoch seconds t
 *   with microseconds; -1 if outsize < 28 or t is not a usable time
 * \param t epoch seconds
 * \param out the output buffer
 * \param outsize its size
 * \return 27, or -1
 */
int sf_iso_date_us(double t, char *out, size_t outsize);

/*! \brief the delivery status an IMDN reports */
enum sf_imdn_status
{
	SF_IMDN_DELIVERED = 1, /*!< <delivered/> */
	SF_IMDN_FAILED = 2,	   /*!< <failed/>: refused for good, or expired */
	SF_IMDN_FORBIDDEN = 3, /*!< <forbidden/>: the recipient said 403 */
	SF_IMDN_ERROR = 4	   /*!< <error/>: gave up (attempts exhausted) */
};

/*! \brief one delivery report */
typedef struct sf_report
{
	int status;			  /*!< enum sf_imdn_status */
	sf_buf_t message_id;  /*!< imdn.Message-ID of the original (or sfwd's) */
	sf_buf_t report_id;	  /*!< this report's own imdn.Message-ID */
	time_t original_time; /*!< when the original was received */
	sf_buf_t original_datetime; /*!< the IMDN <datetime>: the original's
								 * CPIM DateTime as sent, or when it was
								 * received (sf_iso_date_us); empty:
								 * original_time to the second */
	time_t report_time;			/*!< now */
	sf_buf_t recipient_uri;		/*!< who the original was for */
	sf_buf_t sender_uri;  /*!< the original's sender: the report goes there */
	sf_buf_t sender_name; /*!< the sender's display name, may be empty; as
							 * sent (quotes, if any, are removed, with
							 * their \-escapes, and the text quoted
							 * again) */
	sf_buf_t report_from; /*!< URI the report comes from */
} sf_report_t;

/*!
 * \brief an IMDN delivery notification as a message/cpim body
 *
 * CPIM headers: From: <report_from>, To: ["name"] <sender_uri>,
 * NS: imdn <urn:ietf:params:imdn>, imdn.Message-ID: report_id,
 * DateTime: report_time; a blank line; MIME headers Content-Type:
 * message/imdn+xml, Content-Disposition: notification, Content-Length;
 * a blank line; the XML (RFC 5438 section 7): <imdn
 * xmlns="urn:ietf:params:xml:ns:imdn"> with <message-id>, <datetime>
 * (original_datetime), <recipient-uri>, <original-recipient-uri>,
 * <delivery-notification><status><delivered/> (or failed, forbidden,
 * error)</status></delivery-notification>. Every value is XML-escaped in
 * the XML. Lines end in CRLF. Content-Length is the XML's exact length
 * (everything after the second blank line, the XML declaration and the
 * last CRLF included). The To name is left out when sender_name is empty.
 * Unusable: report_from, sender_uri, report_id empty or with control
 * bytes (URIs also with '<' or '>'); message_id or recipient_uri empty.
 * \param r the report
 * \param out the output buffer
 * \param outsize its size
 * \return length written, -1 if it does not fit or status is unknown
 */
int sf_imdn_build(const sf_report_t *r, char *out, size_t outsize);

/*!
 * \brief the same report as one text/plain line for phones without IMDN:
 *   "Your message to <recipient_uri> of <original_time as
 *   2026-11-22 10:00:00 UTC> was delivered." (or "could not be delivered."
 *   for failed/error, "was refused." for forbidden); the <> mark
 *   placeholders: the URI is written bare (its control bytes dropped),
 *   and there is no line ending
 * \param r the report
 * \param out the output buffer
 * \param outsize its size
 * \return length written, -1 if it does not fit, status is unknown or
 *   recipient_uri is empty
 */
int sf_report_text(const sf_report_t *r, char *out, size_t outsize);

/*!
 * \brief an RFC 3842 application/simple-message-summary body:
 *   "Messages-Waiting: yes|no\r\nMessage-Account: <account>\r\n
 *   Text-Message: N/M\r\n" and, when new_mm or old_mm is not 0,
 *   "Multimedia-Message: N/M\r\n". Messages-Waiting is yes when there are
 *   new messages of either kind. Negative counts are -1. The account is
 *   written bare (no <>); the Message-Account line is left out when it is
 *   empty (it is optional in RFC 3842); control bytes in it are -1.
 * \param account the Message-Account URI, may be empty
 * \param new_text new text messages
 * \param old_text old text messages
 * \param new_mm new multimedia messages
 * \param old_mm old multimedia messages
 * \param out the output buffer
 * \param outsize its size
 * \return length written, -1 if it does not fit
 */
int sf_mwi_build(sf_buf_t account, int new_text, int old_text, int new_mm,
		int old_mm, char *out, size_t outsize);

/*!
 * \brief the imdn.Message-ID of a message/cpim body (the CPIM header whose
 *   prefix an NS line maps to urn:ietf:params:imdn, as sf_classify reads
 *   Disposition-Notification), value trimmed; the first non-empty one
 * \param body the message/cpim body
 * \param id the Message-ID
 * \return 1 found (*id points into body), 0 not found or not CPIM-shaped
 *   (no blank line ends the header block); *id is {NULL, 0} on 0
 */
int sf_cpim_message_id(sf_buf_t body, sf_buf_t *id);

/*!
 * \brief the DateTime of a message/cpim body (RFC 3862: the header of the
 *   default namespace, no prefix), value trimmed, when it is an RFC 3339
 *   date-time (sf_rfc3339_valid); the first one
 * \param body the message/cpim body
 * \param dt the DateTime
 * \return 1 found (*dt points into body), 0 not found, not valid or not
 *   CPIM-shaped; *dt is {NULL, 0} on 0
 */
int sf_cpim_datetime(sf_buf_t body, sf_buf_t *dt);

/*!
 * \brief is this Content-Type text (text/...; message/cpim counts as text)?
 *   Used to count Text-Message vs Multimedia-Message.
 * \param content_type the Content-Type value (parameters ignored)
 * \return 1 text, 0 not
 */
int sf_is_text_type(sf_buf_t content_type);

#endif
