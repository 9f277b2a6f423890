/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: an SMS through Kannel's sendsms interface (pure)
 *
 * libc only: no Kamailio types, no logging, no allocation.
 *
 * The text: valid UTF-8 without NUL (anything else is refused here, -1,
 * never repaired: the caller sends a notice with a link instead). Text
 * whose every character is in the GSM 03.38 default alphabet or its
 * extension table (^ { } \ [ ~ ] | EUR and form feed, 2 septets each) goes
 * 7-bit (coding 0); any other character makes the whole text UCS-2
 * (coding 2: Kannel converts the UTF-8 it is given, charset=UTF-8). A text
 * is sent as such only when SF_SMS_MAX_PARTS concatenated parts carry it:
 * 1530 7-bit units (153 a part), 670 UTF-16 units UCS-2 (67 a part, a
 * character above U+FFFF takes 2); Kannel would cut the rest silently.
 * A 7-bit unit is a septet, but a text counts the larger of its septets
 * and its UTF-8 bytes: Kannel gets 7-bit text as UTF-8 and splits the
 * bytes it holds (bound kept on the safe side).
 *
 * The query: username, password, from, to, text, charset=UTF-8, coding=2
 * (UCS-2 only), dlr-mask and dlr-url (with a DLR URL only), every value
 * percent-encoded (RFC 3986: only A-Z a-z 0-9 - . _ ~ kept; "+" of the
 * number as %2B, the DLR URL as a whole so its '?', '&' and "%d" stay one
 * value).
 */

#ifndef _SF_SMS_H_
#define _SF_SMS_H_

#include <stddef.h>

#include "sf_buf.h"

/*! \brief the concatenated parts an SMS may take (Kannel's max-messages) */
#define SF_SMS_MAX_PARTS 10
/*! \brief 7-bit: septets a part carries (with the concatenation UDH) */
#define SF_SMS_GSM_PART 153
/*! \brief UCS-2: UTF-16 units a part carries (with the concatenation UDH) */
#define SF_SMS_UCS2_PART 67

/*! \brief the codings (Kannel's coding= values) */
enum
{
	SF_SMS_GSM = 0, /*!< 7-bit default alphabet */
	SF_SMS_UCS2 = 2 /*!< UCS-2 (UTF-16) */
};

/*! \brief Kannel's dlr-mask: 1 delivered, 2 undeliverable, 16 SMSC reject */
#define SF_SMS_DLR_MASK 19

/*!
 * \brief the coding a text needs and its length in it
 * \param s the text (UTF-8)
 * \param len its length
 * \param units 7-bit: the larger of septets and UTF-8 bytes; UCS-2:
 *   UTF-16 units
 * \return SF_SMS_GSM, SF_SMS_UCS2, or -1 when it is not valid UTF-8 or
 *   holds a NUL
 */
int sf_sms_measure(const char *s, size_t len, size_t *units);

/*!
 * \brief whether a text of that length fits SF_SMS_MAX_PARTS parts
 * \param coding SF_SMS_GSM or SF_SMS_UCS2
 * \param units its length (sf_sms_measure)
 * \return 1 yes, 0 no
 */
int sf_sms_fits(int coding, size_t units);

/*!
 * \brief whether a Content-Type is plain text an SMS can carry:
 *   text/plain (any case, white space allowed) without parameters, or
 *   with a charset parameter utf-8 or us-ascii (quoted or not); other
 *   parameters are allowed, an empty type counts as text/plain (SIP's
 *   default)
 * \param ct the Content-Type value
 * \return 1 yes, 0 no
 */
int sf_sms_plain(sf_buf_t ct);

/*!
 * \brief the content of a message/cpim body (RFC 3862): what follows the
 *   CPIM header block and the MIME header block, each ended by an empty
 *   line (CRLF or LF)
 * \param body the body
 * \param ctype the MIME block's Content-Type value (trimmed)
 * \param content the content (inside body)
 * \return 0, or -1 when the body is not such: a block without its empty
 *   line, no Content-Type, a Content-Transfer-Encoding other than 7bit,
 *   8bit or binary
 */
int sf_sms_cpim(sf_buf_t body, sf_buf_t *ctype, sf_buf_t *content);

/*!
 * \brief what of a message an SMS carries as its text: a plain text body
 *   (sf_sms_plain), or the content of a message/cpim body when that is
 *   plain text (sf_sms_cpim), valid UTF-8 (sf_sms_measure) that fits
 *   SF_SMS_MAX_PARTS parts (sf_sms_fits)
 * \param ct the message's Content-Type
 * \param body its body
 * \param text the text (inside body)
 * \return 1 and text, or 0: not a text for an SMS (a notice goes instead)
 */
int sf_sms_text(sf_buf_t ct, sf_buf_t body, sf_buf_t *text);

/*!
 * \brief the number of an "sms:+<digits>" target (1 to 15 digits)
 * \param t the target
 * \param len its length
 * \param num "+<digits>" (inside t)
 * \return 0, or -1 when it is not such a target
 */
int sf_sms_target(const char *t, size_t len, sf_buf_t *num);

/*!
 * \brief the sender an SMS shows: kannel_from when set, else the user part
 *   of the SIP sender's URI (sip:, sips:, tel:) when it is "+<digits>"
 *   (1 to 15), else "sfwd"
 * \param cfg_from kannel_from (may be empty)
 * \param from_uri the SIP sender's URI
 * \return the sender (inside one of them, or a literal)
 */
sf_buf_t sf_sms_sender(sf_buf_t cfg_from, sf_buf_t from_uri);

/*! \brief what a sendsms request carries */
typedef struct sf_sms_req
{
	sf_buf_t user;	  /*!< kannel_user */
	sf_buf_t pass;	  /*!< kannel_pass */
	sf_buf_t from;	  /*!< the sender */
	sf_buf_t to;	  /*!< "+<digits>" */
	sf_buf_t text;	  /*!< UTF-8, sf_sms_measure() >= 0 */
	sf_buf_t dlr_url; /*!< empty: no delivery report asked for */
} sf_sms_req_t;

/*!
 * \brief the query of a sendsms GET (without the '?')
 * \param out the buffer
 * \param size its size
 * \param in the request
 * \return the length, or -1 when it does not fit or the text is not valid
 *   UTF-8 (sf_sms_measure)
 */
int sf_sms_query(char *out, size_t size, const sf_sms_req_t *in);

#endif
