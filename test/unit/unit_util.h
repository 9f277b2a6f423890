/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd unit tests :: shared helpers
 *
 * Inputs are copied into heap blocks of exactly their length (NULL for an
 * empty range) so that AddressSanitizer catches a read past the end of a
 * range that is not NUL-terminated.
 */

#ifndef _SF_UNIT_UTIL_H_
#define _SF_UNIT_UTIL_H_

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_buf.h"

/* a byte range given by a string literal; may contain NUL bytes */
#define B(lit)                 \
	{                          \
		(lit), sizeof(lit) - 1 \
	}
/* an absent / zero-length range */
#define NB      \
	{           \
		NULL, 0 \
	}

struct tbuf
{
	const char *s;
	size_t len;
};

/* exact-length heap copy; {NULL, 0} for an empty range */
static inline sf_buf_t dup_buf(const struct tbuf *b)
{
	sf_buf_t r;
	char *p;

	r.s = NULL;
	r.len = 0;
	if(b->len == 0)
		return r;
	p = malloc(b->len);
	if(p == NULL)
		abort();
	memcpy(p, b->s, b->len);
	r.s = p;
	r.len = b->len;
	return r;
}

/* exact-length heap copy as bytes (NULL for an empty range): for the
 * functions that take (pointer, length) rather than an sf_buf_t */
static inline char *dup_bytes(const struct tbuf *b)
{
	return (char *)dup_buf(b).s;
}

static inline void free_buf(sf_buf_t *b)
{
	free((void *)b->s);
	b->s = NULL;
	b->len = 0;
}

/* a heap output block of exactly n bytes (NULL for 0), filled with junk */
static inline char *out_buf(size_t n)
{
	char *p;

	if(n == 0)
		return NULL;
	p = malloc(n);
	if(p == NULL)
		abort();
	memset(p, 'Z', n);
	return p;
}

/* printable form of a byte range for failure messages */
static inline const char *show(
		const char *s, size_t len, char *buf, size_t size)
{
	size_t i, n = 0;

	for(i = 0; s != NULL && i < len && n + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if(c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
	}
	buf[n] = '\0';
	return buf;
}

#endif
