/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure reading of a message/cpim body's header block
 *   (RFC 3862): where it ends, which prefixes its NS lines bind to a
 *   namespace, and the headers of that namespace
 *
 * libc only; every input is a (pointer, length) range. The classifier
 * (imdn.Disposition-Notification) and the report builders
 * (imdn.Message-ID, DateTime) read CPIM through this one file.
 */

#ifndef _SF_CPIM_H_
#define _SF_CPIM_H_

#include "sf_buf.h"

/*! \brief at most this many NS lines of one namespace are read */
#define SF_CPIM_MAX_NS 8

/*! \brief a CPIM header block and the prefixes bound to one namespace */
typedef struct sf_cpim
{
	sf_buf_t body;				 /*!< the whole body */
	int ended;					 /*!< 1: an empty line ends the block */
	sf_buf_t ns[SF_CPIM_MAX_NS]; /*!< prefixes bound to the namespace */
	int nns;
} sf_cpim_t;

/*!
 * \brief read the header block of body and the prefixes that its
 *   `NS: <prefix> <urn>` lines bind to urn (case-insensitive; an empty
 *   prefix binds the default namespace)
 * \param body the message/cpim body
 * \param urn the namespace, e.g. "urn:ietf:params:imdn"
 * \param c the result
 * \return 1 when the block ends in an empty line (a CPIM body), else 0
 */
int sf_cpim_open(sf_buf_t body, const char *urn, sf_cpim_t *c);

/*!
 * \brief the next header of the block named `<prefix>.<local>` with a
 *   prefix bound to the namespace (ns 1), or `<local>` without a prefix
 *   (ns 0: the default namespace, whatever is bound); value trimmed
 * \param c from sf_cpim_open()
 * \param pos where to go on from: NULL at first, then what the last call
 *   left (not past the block's end)
 * \param local the header's local name (lower case)
 * \param ns 1: a prefix bound to the namespace, 0: no prefix
 * \param value the header's value
 * \return 1 found, 0 no more
 */
int sf_cpim_next(const sf_cpim_t *c, const char **pos, const char *local,
		int ns, sf_buf_t *value);

#endif
