/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure builder of an e-mail (RFC 5322, MIME) from one
 *   stored SIP MESSAGE, for libcurl's SMTP client
 *
 * libc only: no Kamailio types, no logging, no allocation. Every input is
 * an sf_buf_t range that need not be NUL-terminated; every text field but
 * to_addr, sender and host is hostile (any bytes, any length). The output
 * goes to a caller buffer: lines end in CRLF, no line is longer than 998
 * octets, and a header line holding RFC 2047 encoded words is folded to
 * at most 78. No input byte can start a header line: CR, LF and every
 * other control are dropped or made a space before anything is written.
 *
 * Headers, in this order:
 * - `From: "<name> (<uri>)" <sender>`: the SIP display name (its quotes
 *   and \-escapes undone) and the SIP URI in parentheses, inside one
 *   quoted-string; the URI alone without a name, the name alone without a
 *   URI, `<sender>` alone without either. When that text is not printable
 *   ASCII, holds "=?", or the line would pass 78 octets, it is written as
 *   `=?UTF-8?B?...?=` encoded words instead (each at most 75 characters,
 *   one per folded line, never splitting a UTF-8 character, ending after
 *   a space of the text where the word holds one).
 * - `To: <to_addr>`
 * - `Subject:` the SIP Subject, or "Message from <name, else URI>"; plain
 *   (folded at spaces) when printable ASCII without "=?", else encoded
 *   words as above.
 * - `Date:` date in UTC, `Thu, 01 Jan 1970 00:00:00 +0000` (no locale)
 * - `Message-ID: <sfwd.<id>.<date>@<host>>`: the same for a retried send
 * - `Auto-Submitted: auto-forwarded` (RFC 3834)
 * - `X-SIP-From: <uri>` (left out when the URI is empty)
 * - `MIME-Version: 1.0`, then the body's headers.
 *
 * Display name, subject: invalid UTF-8 becomes U+FFFD (one per byte that
 * does not start a valid sequence), controls (C0, DEL, C1, U+2028,
 * U+2029) a space, runs of white space one space, leading and trailing
 * space are trimmed, and the text is cut to SF_MAIL_TEXT_CHARS characters.
 * The URI: one pair of surrounding <> and white space removed, controls
 * dropped, every byte that is not printable ASCII, and ' ', '"', '<',
 * '>', '\', %-encoded, cut to SF_MAIL_URI_CHARS characters (never in the
 * middle of a %XX).
 *
 * Body:
 * - text/<subtype> (an empty content_type is text/plain) without a
 *   content_encoding ("identity" counts as none): one part, its
 *   Content-Type the media type in lower case with its parameters
 *   (charset=utf-8 added when it has no charset), Content-Transfer-
 *   Encoding base64 (76-character lines), the body's bytes exactly.
 * - anything else: multipart/mixed, boundary `=_sfwd_<id>_<16 hex>` (a
 *   hash of id and date; "=_" never occurs in base64), first part
 *   text/plain; charset=utf-8, base64: "Message from <name (uri)>:
 *   <type>, N bytes, attached." (", <coding>-encoded" after the type with
 *   a content_encoding), second part the body, base64, with
 *   `Content-Disposition: attachment; filename="message-<id>.<ext>"`.
 *   Its Content-Type is the SIP one (parameters kept); application/octet-
 *   stream for an unparsable type and for message/... and multipart/...
 *   (which MIME forbids to carry base64). ext: jpg, png, gif, webp,
 *   heic, pdf, txt (text/plain), vcf (text/vcard), eml (message/rfc822),
 *   mp4, 3gp, mp3 (audio/mpeg), amr, ogg; else bin. With a
 *   content_encoding the part is the encoded bytes: gzip, x-gzip:
 *   application/gzip, "<ext>.gz"; deflate: application/zlib, "<ext>.zz";
 *   any other: application/octet-stream, "bin".
 *
 * Content-Type parsing: type "/" subtype, each an RFC 2045 token of at
 * most 127 characters; then `; attribute=value` parameters (token or
 * quoted-string value, white space allowed around ';' and '='), each
 * written again as a token or a quoted-string; a parameter holding a
 * control or a non-ASCII byte, or longer than 64 (attribute) or 256
 * (value) characters, is dropped; parsing stops at the first parameter
 * that is not well-formed, and after SF_MAIL_MAX_PARAMS parameters.
 */

#ifndef _SF_MAIL_H_
#define _SF_MAIL_H_

#include <stddef.h>

#include "sf_buf.h"

/*! \brief display name and subject are cut to this many characters */
#define SF_MAIL_TEXT_CHARS 200
/*! \brief the SIP URI is cut to this many characters */
#define SF_MAIL_URI_CHARS 512
/*! \brief at most this many Content-Type parameters are kept */
#define SF_MAIL_MAX_PARAMS 8
/*! \brief the longest to_addr or sender accepted */
#define SF_MAIL_ADDR_MAX 254
/*! \brief the longest host accepted */
#define SF_MAIL_HOST_MAX 255

/*! \brief sf_mail_build() / sf_mail_size(): an input is unusable */
#define SF_MAIL_BAD_INPUT (-2)

/*! \brief one stored message to mail */
typedef struct sf_mail_in
{
	sf_buf_t from_name;		   /*!< SIP From display name as received: may be
						  * quoted ("..." with \-escapes), empty, long,
						  * invalid UTF-8, hold CR/LF or controls */
	sf_buf_t from_uri;		   /*!< SIP From URI, e.g. sip:alice@example.com
						  * (any bytes) */
	sf_buf_t to_addr;		   /*!< recipient, local@domain (checked: -2) */
	sf_buf_t sender;		   /*!< the header From address, local@domain
						  * (checked: -2) */
	sf_buf_t subject;		   /*!< the SIP Subject, may be empty (any bytes) */
	long long date;			   /*!< the message's time, seconds since the epoch
						  * (years 1900 .. 9999, else -2) */
	sf_buf_t content_type;	   /*!< SIP Content-Type value with parameters;
							* empty: text/plain */
	sf_buf_t content_encoding; /*!< SIP Content-Encoding, usually empty */
	sf_buf_t body;			   /*!< the body's bytes (may hold NUL) */
	long long id;			   /*!< the stored row's id (>= 0, else -2) */
	sf_buf_t host; /*!< the Message-ID's domain: letters, digits, '-',
					* '.', or a [literal] (checked: -2) */
} sf_mail_in_t;

/*!
 * \brief the e-mail for one stored message (see the file's description)
 * \param in the message
 * \param out the output buffer, NUL-terminated when the mail fits
 * \param size its size
 * \return the mail's length (without the NUL), -1 when it and its NUL do
 *   not fit in size (or out is NULL), SF_MAIL_BAD_INPUT (-2) when to_addr,
 *   sender or host is empty or malformed, date or id is out of range, or a
 *   range is (NULL, n > 0)
 */
int sf_mail_build(const sf_mail_in_t *in, char *out, size_t size);

/*!
 * \brief the buffer size sf_mail_build() needs for in: the mail's length
 *   plus one for its NUL (a counting run of the builder, so exact)
 * \param in the message
 * \return the size, -1 when the mail is longer than INT_MAX - 1, or
 *   SF_MAIL_BAD_INPUT (-2) as sf_mail_build() says it
 */
int sf_mail_size(const sf_mail_in_t *in);

#endif
