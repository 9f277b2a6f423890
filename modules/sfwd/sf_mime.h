/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure MIME helpers: media types, parameters, multipart
 *   bodies (RFC 2045, RFC 2046)
 *
 * libc only: no Kamailio types, no logging, no allocation. Inputs are
 * sf_buf_t ranges that need not be NUL-terminated and may hold NUL bytes;
 * every result points into its input. A part's header values are read
 * with sf_hdr_value() (sf_text.h).
 */

#ifndef _SF_MIME_H_
#define _SF_MIME_H_

#include <stddef.h>

#include "sf_buf.h"

/*!
 * \brief the media type of a Content-Type value ("Type/Sub ; a=b")
 * \param ct the Content-Type header body, (NULL, 0) allowed
 * \param params when not NULL: what follows the first ';' (untrimmed),
 *   (NULL, 0) when there is no ';'
 * \return the media type, trimmed of SP, HTAB, CR, LF (case kept)
 */
sf_buf_t sf_mime_type(sf_buf_t ct, sf_buf_t *params);

/*!
 * \brief the value of a parameter in a Content-Type's parameters
 *
 * params is "; a=b; c=\"d\"" as sf_mime_type() gives it: items between
 * ';', blanks around names and values ignored, items without '=' skipped.
 * A quoted value ends at the next '"' (no quoted-pairs) and is returned
 * without its quotes; a token value ends at ';' or a blank. The first
 * item with the name counts.
 * \param params the parameters, (NULL, 0) allowed
 * \param name the parameter name (NUL-terminated, lower case; matched
 *   case-insensitively)
 * \param out the value (inside params), may be empty
 * \return 0 found, -1 not found or a quoted value before it (or its own)
 *   is not closed
 */
int sf_mime_param(sf_buf_t params, const char *name, sf_buf_t *out);

/*!
 * \brief where sf_mime_next() is in a multipart body; filled by
 *   sf_mime_open(), read only by sf_mime_next()
 */
typedef struct sf_mime_iter
{
	const char *start; /*!< the body's first byte */
	const char *end;   /*!< one past its last byte */
	const char *pos;   /*!< the delimiter ("--boundary") at a line start
						* that ends the part returned last */
	sf_buf_t bnd;	   /*!< the boundary (inside the Content-Type) */
} sf_mime_iter_t;

/*!
 * \brief start iterating over the parts of a multipart body
 * \param params the Content-Type parameters (from sf_mime_type()) that
 *   hold boundary= (1..70 characters, quoted or not)
 * \param body the multipart body
 * \param it the iterator
 * \return 0 ok (it points at the first delimiter; a preamble before it
 *   is skipped), -1 no usable boundary, no body, or no delimiter in the
 *   body
 */
int sf_mime_open(sf_buf_t params, sf_buf_t body, sf_mime_iter_t *it);

/*!
 * \brief the next body part
 *
 * A part is what lies between the end of a delimiter line (its transport
 * padding included) and the next delimiter, "--boundary" at a line start;
 * the CRLF (or LF) before that delimiter belongs to the delimiter, not to
 * the part. A delimiter followed by "--" is the close delimiter; what
 * follows it (the epilogue) is ignored. Lines may end in CRLF or LF.
 * Calls after 0 or -1 return the same again.
 * \param it the iterator (from sf_mime_open())
 * \param part the part (inside the body)
 * \return 1 a part, 0 the close delimiter was reached, -1 malformed (no
 *   close delimiter)
 */
int sf_mime_next(sf_mime_iter_t *it, sf_buf_t *part);

/*!
 * \brief split a body part into its header block and its content at the
 *   first empty line (CRLF or LF; an empty last line without its LF
 *   counts too when it is a lone CR)
 * \param part the part
 * \param headers the header lines, each with its line end ("Name: value"
 *   lines for sf_hdr_value()); (part.s, 0) when the part starts with the
 *   empty line
 * \param content what follows the empty line, possibly empty
 * \return 0, or -1 when the part has no empty line: headers = the whole
 *   part, content = (part end, 0)
 */
int sf_mime_split(sf_buf_t part, sf_buf_t *headers, sf_buf_t *content);

#endif
