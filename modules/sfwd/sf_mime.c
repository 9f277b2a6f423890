/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure MIME helpers (see sf_mime.h)
 */

#include <string.h>

#include "sf_buf.h"
#include "sf_mime.h"

/* RFC 2046 section 5.1.1: a boundary is 1..70 characters */
#define SF_MIME_BND_MAX 70

sf_buf_t sf_mime_type(sf_buf_t ct, sf_buf_t *params)
{
	const char *semi = ct.s ? memchr(ct.s, ';', ct.len) : NULL;
	sf_buf_t p = {NULL, 0};
	sf_buf_t mt;

	if(semi == NULL) {
		mt = sf_buf_trim(ct.s, ct.len);
	} else {
		mt = sf_buf_trim(ct.s, (size_t)(semi - ct.s));
		p.s = semi + 1;
		p.len = ct.len - (size_t)(semi + 1 - ct.s);
	}
	if(params != NULL)
		*params = p;
	return mt;
}

int sf_mime_param(sf_buf_t params, const char *name, sf_buf_t *out)
{
	const char *p, *end;
	sf_buf_t v;

	if(out == NULL)
		return -1;
	out->s = NULL;
	out->len = 0;
	if(params.s == NULL || name == NULL)
		return -1;
	p = params.s;
	end = params.s + params.len;

	while(p < end) {
		const char *n, *eq;
		sf_buf_t pname;

		while(p < end && (sf_is_lws((unsigned char)*p) || *p == ';'))
			p++;
		n = p;
		while(p < end && *p != '=' && *p != ';')
			p++;
		if(p == end || *p == ';')
			continue; /* an item without '=' */
		eq = p;
		pname = sf_buf_trim(n, (size_t)(eq - n));
		p++;
		while(p < end && sf_is_lws((unsigned char)*p))
			p++;
		if(p < end && *p == '"') {
			const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
			if(q == NULL)
				return -1; /* the quoted value is not closed */
			v.s = p + 1;
			v.len = (size_t)(q - p - 1);
			p = q + 1;
		} else {
			v.s = p;
			while(p < end && *p != ';' && !sf_is_lws((unsigned char)*p))
				p++;
			v.len = (size_t)(p - v.s);
		}
		if(sf_buf_ieq(pname.s, pname.len, name)) {
			*out = v;
			return 0;
		}
		while(p < end && *p != ';')
			p++;
	}
	return -1;
}

/* the delimiter "--boundary" at a line start at or after p; NULL if none */
static const char *find_delim(
		const char *start, const char *p, const char *end, sf_buf_t bnd)
{
	while(p + 2 + bnd.len <= end) {
		if((p == start || p[-1] == '\n') && p[0] == '-' && p[1] == '-'
				&& memcmp(p + 2, bnd.s, bnd.len) == 0)
			return p;
		p = memchr(p, '\n', (size_t)(end - p));
		if(p == NULL)
			return NULL;
		p++;
	}
	return NULL;
}

int sf_mime_open(sf_buf_t params, sf_buf_t body, sf_mime_iter_t *it)
{
	sf_buf_t bnd;

	if(it == NULL)
		return -1;
	memset(it, 0, sizeof(*it));
	if(sf_mime_param(params, "boundary", &bnd) < 0 || bnd.len < 1
			|| bnd.len > SF_MIME_BND_MAX || body.s == NULL)
		return -1;
	it->start = body.s;
	it->end = body.s + body.len;
	it->bnd = bnd;
	it->pos = find_delim(it->start, it->start, it->end, bnd);
	return it->pos != NULL ? 0 : -1;
}

int sf_mime_next(sf_mime_iter_t *it, sf_buf_t *part)
{
	const char *p, *next, *pstart, *pend;

	if(it == NULL || part == NULL || it->pos == NULL)
		return -1;
	p = it->pos + 2 + it->bnd.len;
	if(p + 2 <= it->end && p[0] == '-' && p[1] == '-')
		return 0; /* close delimiter */
	/* skip transport padding to the end of the delimiter line */
	p = memchr(p, '\n', (size_t)(it->end - p));
	if(p == NULL)
		return -1;
	pstart = p + 1;
	next = find_delim(it->start, pstart, it->end, it->bnd);
	if(next == NULL)
		return -1; /* no close delimiter */
	/* the CRLF before the delimiter belongs to the delimiter */
	pend = next;
	if(pend > pstart && pend[-1] == '\n')
		pend--;
	if(pend > pstart && pend[-1] == '\r')
		pend--;
	part->s = pstart;
	part->len = (size_t)(pend - pstart);
	it->pos = next;
	return 1;
}

int sf_mime_split(sf_buf_t part, sf_buf_t *headers, sf_buf_t *content)
{
	const char *p = part.s, *end;
	sf_buf_t line;

	if(headers == NULL || content == NULL)
		return -1;
	*headers = part;
	content->s = part.s;
	content->len = 0;
	if(part.s == NULL)
		return -1;
	end = part.s + part.len;
	content->s = end;
	while(sf_next_line(&p, end, &line)) {
		if(line.len == 0) {
			headers->len = (size_t)(line.s - part.s);
			content->s = p;
			content->len = (size_t)(end - p);
			return 0;
		}
	}
	return -1;
}
