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

#include <check.h>
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

/* the end of a CPIM message (RFC 3862): the blank line after its headers,
 * the MIME headers and the body */
#define CPIM_TAIL                  \
	"\r\n"                         \
	"Content-Type: text/plain\r\n" \
	"Content-Length: 12\r\n"       \
	"\r\n"                         \
	"Hello World!"

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

/* ---- builders: every too small output buffer is refused --------------- */

/* a builder bound to its inputs (arg): writes into out, of size bytes, and
 * returns the length written or -1 */
typedef int (*unit_build_fn)(const void *arg, char *out, size_t size);

/* fn into heap blocks of exactly the size passed (out_buf): every size
 * below fit returns -1, and fit, as a roomy fit + 64, returns len with exp
 * written, followed by a NUL when fit > len; what names the case in a
 * failure message */
static inline void check_fit(unit_build_fn fn, const void *arg, const char *exp,
		size_t len, size_t fit, const char *what)
{
	char got[512], want[512];
	size_t size;
	char *out;
	int ret, ok;

	for(size = 0; size < fit; size++) {
		out = out_buf(size);
		ret = fn(arg, out, size);
		free(out);
		ck_assert_msg(ret == -1, "%s: outsize %zu of %zu: got %d, expected -1",
				what, size, fit, ret);
	}
	for(size = fit; size <= fit + 64; size += 64) {
		out = out_buf(size);
		ret = fn(arg, out, size);
		ok = ret == (int)len && (len == 0 || memcmp(out, exp, len) == 0)
			 && (fit == len || out[len] == '\0');
		show(out, ret > 0 ? (size_t)ret : 0, got, sizeof(got));
		show(exp, len, want, sizeof(want));
		free(out);
		ck_assert_msg(ok, "%s: outsize %zu: got %d \"%s\", expected %zu \"%s\"",
				what, size, ret, got, len, want);
	}
}

/* ---- suites from a table ----------------------------------------------- */

/* a row of a suite's table: UT_CASE starts a test case (UT_CASE_TIMEOUT
 * with a timeout in seconds), UT adds a test to it, UT_LOOP a loop test run
 * for _i = 0 .. n - 1 */
struct unit_test
{
	const char *tcase;
	const TTest *test;
	int n;
};

#define UT_CASE(name)   \
	{                   \
		(name), NULL, 0 \
	}
#define UT_CASE_TIMEOUT(name, seconds) \
	{                                  \
		(name), NULL, (seconds)        \
	}
#define UT(test)        \
	{                   \
		NULL, (test), 1 \
	}
#define UT_LOOP(test, n)  \
	{                     \
		NULL, (test), (n) \
	}

/* the suite of a table's rows; setup and teardown (either may be NULL) are
 * the checked fixture of every test case */
static inline Suite *unit_suite(const char *name, const struct unit_test *t,
		size_t nt, void (*setup)(void), void (*teardown)(void))
{
	Suite *s = suite_create(name);
	TCase *tc = NULL;
	size_t i;

	for(i = 0; i < nt; i++) {
		if(t[i].tcase != NULL) {
			tc = tcase_create(t[i].tcase);
			if(setup != NULL || teardown != NULL)
				tcase_add_checked_fixture(tc, setup, teardown);
			if(t[i].n > 0)
				tcase_set_timeout(tc, (double)t[i].n);
			suite_add_tcase(s, tc);
		} else {
			if(tc == NULL)
				abort(); /* a test before the first UT_CASE */
			tcase_add_loop_test(tc, t[i].test, 0, t[i].n);
		}
	}
	return s;
}

#define UNIT_SUITE(name, table, setup, teardown)                             \
	unit_suite((name), (table), sizeof(table) / sizeof((table)[0]), (setup), \
			(teardown))

#endif
