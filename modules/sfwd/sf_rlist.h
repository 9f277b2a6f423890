/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure recipient lists: RFC 4826 resource-lists with RFC
 *   5364 copyControl, as RFC 5365 multiple-recipient MESSAGE carries them
 *
 * sf_rlist_parse() reads an application/resource-lists+xml body with
 * libxml2 (the one library used besides libc; no Kamailio types, no
 * logging, no pkg_malloc: libxml2 allocates with its own allocator and
 * everything it allocates is freed before the call returns). The result
 * goes to a caller array and a caller buffer (the arena).
 * sf_rlist_history() builds the recipient-list-history body (RFC 5365
 * section 4) that each copy carries. A URI is untrusted: the parser
 * refuses one that could not be written back inside a SIP header or an
 * XML attribute as is.
 */

#ifndef _SF_RLIST_H_
#define _SF_RLIST_H_

#include <stddef.h>

#include "sf_buf.h"

/*! \brief an entry's copyControl (RFC 5364), from the most public */
enum sf_copy
{
	SF_COPY_TO = 0, /*!< "to" (also when the attribute is absent) */
	SF_COPY_CC = 1, /*!< "cc" */
	SF_COPY_BCC = 2 /*!< "bcc": never named to the other recipients */
};

/*! \brief one recipient */
typedef struct sf_rlist_entry
{
	sf_buf_t uri;  /*!< as the list gives it (its first occurrence); in
					* the list's arena, NUL-terminated there */
	int copy;	   /*!< enum sf_copy; the most public of its occurrences */
	int anonymize; /*!< RFC 5364 anonymize="true" or "1", on every
					* occurrence */
	int count;	   /*!< how many times the list names this recipient
					* (duplicates, by sf_uri_key(), merged) */
} sf_rlist_entry_t;

/*! \brief a parsed list: the caller provides v (max entries) and the
 *   arena (size bytes); sf_rlist_parse() sets n and used */
typedef struct sf_rlist
{
	sf_rlist_entry_t *v; /*!< the caller's array */
	int max;			 /*!< its size: the most distinct recipients */
	int n;				 /*!< entries found */
	char *arena;		 /*!< the caller's buffer for the URIs */
	size_t size;		 /*!< its size */
	size_t used;		 /*!< bytes of it in use */
} sf_rlist_t;

/*! \brief the longest URI accepted, in bytes */
#define SF_RLIST_URI_MAX 256

/*! \brief an arena size that always suffices for max recipients: each
 *   distinct recipient takes its URI and its sf_uri_key(), each with a
 *   NUL (at most 2 * (length + 1) bytes) */
#define SF_RLIST_ARENA_SIZE(max) ((size_t)(max)*2 * (SF_RLIST_URI_MAX + 1))

/*! \brief not well-formed XML, a DOCTYPE (DTD) present, the root is not
 *   {urn:ietf:params:xml:ns:resource-lists}resource-lists, an entry without
 *   uri, a uri empty, longer than SF_RLIST_URI_MAX bytes, with bytes
 *   < 0x21, 0x7f, '<', '>' or '"', or without a usable sf_uri_key(), an
 *   unknown copyControl value, an anonymize value other than true, false,
 *   1, 0, entry-ref or external elements (never resolved), lists nested
 *   deeper than SF_RLIST_DEPTH_MAX, no entry at all; also invalid
 *   arguments */
#define SF_RLIST_EPARSE -1
/*! \brief more than l->max distinct recipients, or more than 4 * l->max
 *   entries before merging (to bound the work) */
#define SF_RLIST_ETOOMANY -2
/*! \brief the arena is too small (see SF_RLIST_ARENA_SIZE) */
#define SF_RLIST_ESPACE -3

/*! \brief how deep <list> elements may nest (the outermost is 1) */
#define SF_RLIST_DEPTH_MAX 16

/*!
 * \brief parse a resource-lists document
 *
 * Every <list> under the root is walked, nested lists too; the <entry>
 * elements of the resource-lists namespace are collected in document
 * order, other elements (display-name, extensions) are ignored. The
 * copyControl and anonymize attributes are read in the namespace
 * urn:ietf:params:xml:ns:copycontrol, whatever its prefix; their values
 * may have blanks around them. Duplicates (same sf_uri_key()) are merged
 * into the first: count + 1, copy the most public (lowest) of the two,
 * anonymize only when both have it. l->n and l->used are reset first.
 * libxml2 runs without network, DTD loading and entity substitution; a
 * document with any DOCTYPE is refused.
 * \param xml the document (need not be NUL-terminated)
 * \param len its length
 * \param l the list: v, max, arena and size set by the caller
 * \return 0 ok (l->n >= 1), or SF_RLIST_EPARSE, SF_RLIST_ETOOMANY,
 *   SF_RLIST_ESPACE (l->n then counts the entries taken so far)
 */
int sf_rlist_parse(const char *xml, size_t len, sf_rlist_t *l);

/*!
 * \brief the key of a URI for duplicate detection, "user@host"
 *
 * A display form ("Name" <uri>, <uri>) is unwrapped and blanks around
 * the URI dropped. sip: and sips: URIs (scheme in any case): the scheme,
 * a password (":pass" after the user), the port, parameters and headers
 * are dropped, the user kept as is (case-sensitive, escapes not decoded),
 * the host lower-cased; "host" alone when there is no user. Any other
 * scheme (tel:, im:, mailto:...): the whole URI lower-cased.
 * \param uri the URI
 * \param out the output buffer (NUL-terminated)
 * \param outsize its size
 * \return the key's length, -1 when it does not fit or the URI is
 *   unusable (empty, no scheme, bytes < 0x21 or 0x7f, an unclosed '<',
 *   an empty user before '@' or an empty host)
 */
int sf_uri_key(sf_buf_t uri, char *out, size_t outsize);

/*!
 * \brief leave the sender out of its own list
 *
 * The entry with the sender's sf_uri_key() is removed (the others keep
 * their order) unless the list names the sender twice or more (count >=
 * 2: then it is kept, once). An unusable sender URI removes nothing.
 * \param l the list
 * \param sender_uri the sender's URI (a display form is allowed)
 * \return the number of entries removed, 0 or 1
 */
int sf_rlist_skip_sender(sf_rlist_t *l, sf_buf_t sender_uri);

/*!
 * \brief the recipient-list-history body (RFC 5364 section 4, RFC 5365
 *   section 4) of a copy
 *
 * An XML declaration, then <resource-lists
 * xmlns="urn:ietf:params:xml:ns:resource-lists"
 * xmlns:cp="urn:ietf:params:xml:ns:copycontrol"> holding one <list> with
 * one <entry uri="..." cp:copyControl="to|cc"/> per entry whose copy is
 * TO or CC and that is not anonymized, in the list's order; URIs
 * XML-escaped (sf_xml_escape()); lines end in CRLF.
 * \param l the list
 * \param out the output buffer (NUL-terminated)
 * \param outsize its size
 * \return the length written, 0 when no entry qualifies (nothing
 *   written), -1 when it does not fit or l is NULL
 */
int sf_rlist_history(const sf_rlist_t *l, char *out, size_t outsize);

#endif
