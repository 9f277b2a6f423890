/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure classification of the store flag
 *
 * Reads the sender's store flag from the parts of a MESSAGE or INVITE that
 * can carry it. Pure: libc only, no Kamailio types, no logging, no
 * allocation. Every input is a (pointer, length) pair that need not be
 * NUL-terminated and may contain NUL bytes.
 *
 * Sources, in the order they are read:
 * - Request-Disposition (RFC 3841 syntax, store-flag values): `do-not-store`;
 *   `store`, `store-and-forward`, `store-and-forward-if-not-reached`;
 *   `notify`. Case-insensitive, comma lists, several header instances,
 *   RFC 3841 tokens (`proxy`, `no-fork`, ...) and unknown tokens ignored.
 * - Content-Disposition (the IMS form): disposition type `instant`, `store&fwd`
 *   or `S&F` (the `&` is tolerated although it is not a token character),
 *   optionally followed by `;` parameters. Other disposition types (render,
 *   session, ...) say nothing.
 * - SDP of an INVITE (body application/sdp, or such a part of a
 *   multipart/mixed body): `m=messaging <port> IMTP/<flag> ...` where
 *   <flag> is `instant`, `store&fwd` or `S&F`. Plain MSRP media
 *   (`m=message ... TCP/MSRP *`) says nothing.
 * - message/cpim body of a MESSAGE (RFC 3862, RFC 5438): a header
 *   `<prefix>.Disposition-Notification` where `NS: <prefix>
 *   <urn:ietf:params:imdn>` maps the prefix. `positive-delivery` asks for
 *   store + report; `negative-delivery` asks for a failure report.
 *
 * A body with a Content-Encoding other than `identity` (deflate, gzip:
 * linphone compresses its CPIM) is opaque: it is classified by its headers
 * only, never refused.
 *
 * Precedence: an instant flag from any source wins (notify bits then 0);
 * then the strongest explicit store request (notify > store); then the
 * caller's default. The `notify` token sets both report bits; a CPIM
 * request sets the bits it lists; the class is NOTIFY exactly when the
 * positive bit is set. The source is the first source, in reading order,
 * that said what decided the class. A malformed flag-carrying part makes
 * the result SF_CLS_ERR_PARSE whatever the other parts say. Empty or
 * whitespace-only header bodies say nothing.
 */

#ifndef _SF_CLASSIFY_H_
#define _SF_CLASSIFY_H_

#include <stddef.h>

#include "sf_buf.h"

/*! \brief classes, also the values sf_classify() returns */
enum sf_class
{
	SF_CLASS_INSTANT = 1, /*!< never store */
	SF_CLASS_STORE = 2,	  /*!< store and forward if not reached */
	SF_CLASS_NOTIFY = 3	  /*!< store, and report delivery to the sender */
};

/*! \brief negative results */
enum sf_classify_err
{
	SF_CLS_ERR_METHOD = -1, /*!< request is not MESSAGE or INVITE */
	SF_CLS_ERR_PARSE = -2	/*!< a flag is present but cannot be parsed */
};

/*! \brief what the caller knows about the request method */
enum sf_method
{
	SF_METHOD_OTHER = 0,
	SF_METHOD_MESSAGE = 1,
	SF_METHOD_INVITE = 2
};

/*! \brief which part of the request decided the class */
enum sf_source
{
	SF_SRC_DEFAULT = 0,
	SF_SRC_REQUEST_DISPOSITION,
	SF_SRC_CONTENT_DISPOSITION,
	SF_SRC_SDP,
	SF_SRC_CPIM
};

/*! \brief report bits in sf_class_result_t.notify */
#define SF_NOTIFY_POSITIVE 1 /*!< report successful delivery */
#define SF_NOTIFY_NEGATIVE 2 /*!< report failure or expiry */

/*! \brief at most this many header instances of one kind are read */
#define SF_CLS_MAX_HDRS 16

/*! \brief what the classifier reads; all fields optional except method */
typedef struct sf_class_input
{
	int method;				   /*!< enum sf_method */
	const sf_buf_t *req_disp;  /*!< Request-Disposition bodies */
	int n_req_disp;			   /*!< number of req_disp entries */
	const sf_buf_t *cont_disp; /*!< Content-Disposition bodies */
	int n_cont_disp;		   /*!< number of cont_disp entries */
	sf_buf_t content_type;	   /*!< Content-Type header body */
	sf_buf_t content_encoding; /*!< Content-Encoding header body: a body
								* encoded other than "identity" is opaque
								* (its SDP or CPIM is not read) */
	sf_buf_t body;			   /*!< message body */
	int default_class;		   /*!< enum sf_class, used when silent */
} sf_class_input_t;

/*! \brief the verdict */
typedef struct sf_class_result
{
	int cls;	/*!< enum sf_class */
	int notify; /*!< SF_NOTIFY_* bits; 0 for INSTANT */
	int source; /*!< enum sf_source that decided cls */
} sf_class_result_t;

/*!
 * \brief classify a request
 * \param in what the request carries
 * \param out the verdict, filled only when the return value is > 0
 * \return the class (1, 2, 3) on success, SF_CLS_ERR_METHOD when the method
 *   is neither MESSAGE nor INVITE, SF_CLS_ERR_PARSE when a flag-carrying
 *   part is present but malformed (bad token syntax, NUL or control bytes
 *   in a disposition header, an unknown IMTP flag, a truncated
 *   m=messaging line, a multipart body without a usable boundary)
 */
int sf_classify_parse(const sf_class_input_t *in, sf_class_result_t *out);

/*!
 * \brief "instant", "store", "notify" for a class; "unknown" otherwise
 * \param cls an enum sf_class
 * \return the name (a static string)
 */
const char *sf_class_name(int cls);

/*!
 * \brief "default", "request-disposition", ... for a source
 * \param source an enum sf_source
 * \return the name (a static string), "unknown" for an unknown source
 */
const char *sf_source_name(int source);

/*!
 * \brief parse a class name ("instant", "store", "notify", case-insensitive,
 *   or "1", "2", "3")
 * \param s the name (need not be NUL-terminated)
 * \param len its length
 * \return the class, or -1 when the name is unknown
 */
int sf_class_from_name(const char *s, size_t len);

#endif
