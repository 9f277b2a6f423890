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

/*!
 * \brief a range from a pointer and a length
 * \param s the first byte
 * \param len the number of bytes
 * \return the range
 */
static inline sf_buf_t sf_bufv(const char *s, size_t len)
{
	sf_buf_t b;

	b.s = s;
	b.len = len;
	return b;
}

/*!
 * \brief ASCII lower case
 * \param c a character
 * \return c in lower case when it is A..Z, else c
 */
char sf_lower(char c);

/*!
 * \brief SP, HTAB, CR or LF
 * \param c a byte
 * \return 1 when c is one of them, else 0
 */
int sf_is_lws(unsigned char c);

/*!
 * \brief case-insensitive equality of a range and a lower-case literal
 * \param s the range
 * \param len its length
 * \param lit the literal (lower case, NUL-terminated)
 * \return 1 equal, 0 not
 */
int sf_buf_ieq(const char *s, size_t len, const char *lit);

/*!
 * \brief does the range start with the lower-case literal (any case)?
 * \param s the range
 * \param len its length
 * \param lit the literal (lower case, NUL-terminated)
 * \return 1 yes, 0 no
 */
int sf_buf_iprefix(const char *s, size_t len, const char *lit);

/*!
 * \brief the range without leading and trailing SP, HTAB, CR, LF
 * \param s the range
 * \param len its length
 * \return the trimmed range (inside s)
 */
sf_buf_t sf_buf_trim(const char *s, size_t len);

/*!
 * \brief the next line of [*pos, end), without its CRLF or LF
 * \param pos where the line starts; moved past its line end
 * \param end the end of the text
 * \param line the line (points into the text)
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

/*!
 * \brief start a writer
 * \param w the writer
 * \param out the output buffer, NULL: count only
 * \param size its size (taken as 0 when out is NULL)
 */
void sf_wr_init(sf_wr_t *w, char *out, size_t size);

/*!
 * \brief append n bytes (copied only when they fit; always counted)
 * \param w the writer
 * \param s the bytes
 * \param n how many
 */
void sf_put(sf_wr_t *w, const char *s, size_t n);

/*!
 * \brief append one character
 * \param w the writer
 * \param c the character
 */
void sf_putch(sf_wr_t *w, char c);

/*!
 * \brief append an unsigned number in decimal
 * \param w the writer
 * \param v the number
 */
void sf_put_uint(sf_wr_t *w, unsigned long v);

#define SF_PUTS(w, lit) sf_put((w), (lit), sizeof(lit) - 1)

/*!
 * \brief NUL-terminate; the length, or -1 (out emptied when possible)
 * \param w the writer
 * \return the length (without the NUL), or -1 when the text and its NUL
 *   did not fit
 */
int sf_wr_end(sf_wr_t *w);

/*!
 * \brief the same for output that may fill out exactly (a frame sent by
 *   its length): NUL-terminated only when there is room; -1 when it did
 *   not fit
 * \param w the writer
 * \return the length, or -1 when it did not fit (out emptied when
 *   possible)
 */
int sf_wr_end_exact(sf_wr_t *w);

/*!
 * \brief snprintf whose result can be used as a length: the length
 *   written (without the NUL), or -1 when the text does not fit in size
 *   bytes with its NUL (out is then emptied) or cannot be formatted.
 *
 * The module calls v?snprintf only through this: a bare snprintf's return
 * is what the text WOULD have taken, and using it as a length reads past
 * the buffer (`make lint` refuses it, see scripts/lint.sh).
 * \param out the output buffer
 * \param size its size
 * \param fmt the printf format
 * \param ... the arguments of fmt
 * \return the length written (without the NUL), or -1
 */
int sf_fmt(char *out, size_t size, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

#endif
