/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure helpers on byte ranges shared by the pure parsers
 *
 * libc only; every function accepts (NULL, 0).
 */

#ifndef _SF_BUF_H_
#define _SF_BUF_H_

#include <stddef.h>

/*! \brief a borrowed byte range (not NUL-terminated): the one type every
 *   pure parser and builder of sfwd takes and returns, (NULL, 0) empty */
typedef struct sf_buf
{
	const char *s;
	size_t len;
} sf_buf_t;

/*! \brief a range from a pointer and a length */
static inline sf_buf_t sf_bufv(const char *s, size_t len)
{
	sf_buf_t b;

	b.s = s;
	b.len = len;
	return b;
}

/*! \brief ASCII lower case */
char sf_lower(char c);

/*! \brief SP, HTAB, CR or LF */
int sf_is_lws(unsigned char c);

/*! \brief case-insensitive equality of a range and a lower-case literal */
int sf_buf_ieq(const char *s, size_t len, const char *lit);

/*! \brief does the range start with the lower-case literal (any case)? */
int sf_buf_iprefix(const char *s, size_t len, const char *lit);

/*! \brief the range without leading and trailing SP, HTAB, CR, LF */
sf_buf_t sf_buf_trim(const char *s, size_t len);

/*!
 * \brief the next line of [*pos, end), without its CRLF or LF
 * \return 1 and advances *pos, or 0 at the end
 */
int sf_next_line(const char **pos, const char *end, sf_buf_t *line);

/*!
 * \brief an output writer: appends while the text and a NUL fit; len
 *   counts everything asked for, so len >= size at the end means "does not
 *   fit" (out NULL or size 0: count only)
 */
typedef struct sf_wr
{
	char *out;
	size_t size;
	size_t len;
} sf_wr_t;

void sf_wr_init(sf_wr_t *w, char *out, size_t size);
void sf_put(sf_wr_t *w, const char *s, size_t n);
void sf_putch(sf_wr_t *w, char c);
void sf_put_uint(sf_wr_t *w, unsigned long v);
#define SF_PUTS(w, lit) sf_put((w), (lit), sizeof(lit) - 1)

/*! \brief NUL-terminate; the length, or -1 (out emptied when possible) */
int sf_wr_end(sf_wr_t *w);

/*! \brief the same for output that may fill out exactly (a frame sent by
 *   its length): NUL-terminated only when there is room; -1 when it did
 *   not fit */
int sf_wr_end_exact(sf_wr_t *w);

/*!
 * \brief snprintf whose result can be used as a length: the length
 *   written (without the NUL), or -1 when the text does not fit in size
 *   bytes with its NUL (out is then emptied) or cannot be formatted.
 *
 * The module calls v?snprintf only through this: a bare snprintf's return
 * is what the text WOULD have taken, and using it as a length reads past
 * the buffer (`make lint` refuses it, see scripts/lint.sh).
 */
int sf_fmt(char *out, size_t size, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

#endif
