/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure helpers on byte ranges (see sf_buf.h)
 */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sf_buf.h"

char sf_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int sf_is_lws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int sf_buf_ieq(const char *s, size_t len, const char *lit)
{
	size_t i;

	if(strlen(lit) != len)
		return 0;
	for(i = 0; i < len; i++) {
		if(sf_lower(s[i]) != lit[i])
			return 0;
	}
	return 1;
}

int sf_buf_iprefix(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len >= n && sf_buf_ieq(s, n, lit);
}

sf_buf_t sf_buf_trim(const char *s, size_t len)
{
	sf_buf_t b;

	while(len > 0 && sf_is_lws((unsigned char)*s)) {
		s++;
		len--;
	}
	while(len > 0 && sf_is_lws((unsigned char)s[len - 1]))
		len--;
	b.s = s;
	b.len = len;
	return b;
}

int sf_next_line(const char **pos, const char *end, sf_buf_t *line)
{
	const char *p = *pos;
	const char *eol;

	if(p >= end)
		return 0;
	eol = memchr(p, '\n', (size_t)(end - p));
	line->s = p;
	if(eol == NULL) {
		line->len = (size_t)(end - p);
		*pos = end;
	} else {
		line->len = (size_t)(eol - p);
		*pos = eol + 1;
	}
	if(line->len > 0 && line->s[line->len - 1] == '\r')
		line->len--;
	return 1;
}

void sf_wr_init(sf_wr_t *w, char *out, size_t size)
{
	w->out = out;
	w->size = out == NULL ? 0 : size;
	w->len = 0;
}

void sf_put(sf_wr_t *w, const char *s, size_t n)
{
	if(n > 0 && w->len < w->size && n <= w->size - w->len)
		memcpy(w->out + w->len, s, n);
	w->len += n;
}

void sf_putch(sf_wr_t *w, char c)
{
	sf_put(w, &c, 1);
}

void sf_put_uint(sf_wr_t *w, unsigned long v)
{
	char buf[24];
	size_t n = sizeof(buf);

	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while(v > 0);
	sf_put(w, buf + n, sizeof(buf) - n);
}

int sf_wr_end(sf_wr_t *w)
{
	if(w->len >= w->size || w->len > INT_MAX) {
		if(w->size > 0)
			w->out[0] = '\0';
		return -1;
	}
	w->out[w->len] = '\0';
	return (int)w->len;
}

int sf_wr_end_exact(sf_wr_t *w)
{
	if(w->len > w->size || w->len > INT_MAX) {
		if(w->size > 0)
			w->out[0] = '\0';
		return -1;
	}
	if(w->len < w->size)
		w->out[w->len] = '\0';
	return (int)w->len;
}

int sf_fmt(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if(out == NULL || size == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap); /* lint: checked below */
	va_end(ap);
	if(n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		return -1;
	}
	return n;
}
