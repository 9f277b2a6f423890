/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure reading of a CPIM header block (see sf_cpim.h)
 */

#include <string.h>

#include "sf_cpim.h"

/* name and trimmed value of a "name: value" line; 0 without a colon */
static int split_hdr(sf_buf_t line, sf_buf_t *name, sf_buf_t *value)
{
	const char *colon = memchr(line.s, ':', line.len);

	if(colon == NULL)
		return 0;
	*name = sf_buf_trim(line.s, (size_t)(colon - line.s));
	*value = sf_buf_trim(colon + 1, line.len - (size_t)(colon + 1 - line.s));
	return 1;
}

int sf_cpim_open(sf_buf_t body, const char *urn, sf_cpim_t *c)
{
	const char *p, *end;
	sf_buf_t line, name, value, urnv;

	memset(c, 0, sizeof(*c));
	c->body = body;
	if(body.s == NULL)
		return 0;
	p = body.s;
	end = body.s + body.len;
	while(sf_next_line(&p, end, &line)) {
		const char *lt;

		if(line.len == 0) {
			c->ended = 1;
			break;
		}
		if(!split_hdr(line, &name, &value)
				|| !sf_buf_ieq(name.s, name.len, "ns"))
			continue;
		lt = memchr(value.s, '<', value.len);
		if(lt == NULL || value.s[value.len - 1] != '>')
			continue;
		urnv.s = lt + 1;
		urnv.len = value.len - (size_t)(lt - value.s) - 2;
		if(sf_buf_ieq(urnv.s, urnv.len, urn) && c->nns < SF_CPIM_MAX_NS)
			c->ns[c->nns++] = sf_buf_trim(value.s, (size_t)(lt - value.s));
	}
	return c->ended;
}

int sf_cpim_next(const sf_cpim_t *c, const char **pos, const char *local,
		int ns, sf_buf_t *value)
{
	const char *p, *end;
	sf_buf_t line, name, pfx, loc;
	size_t i;
	int k;

	if(c->body.s == NULL)
		return 0;
	end = c->body.s + c->body.len;
	p = *pos ? *pos : c->body.s;
	while(sf_next_line(&p, end, &line) && line.len > 0) {
		if(!split_hdr(line, &name, value))
			continue;
		/* <prefix>.<local>; no dot: the default namespace */
		pfx.s = name.s;
		pfx.len = 0;
		loc = name;
		for(i = name.len; i > 0; i--) {
			if(name.s[i - 1] == '.') {
				pfx.len = i - 1;
				loc.s = name.s + i;
				loc.len = name.len - i;
				break;
			}
		}
		if(!sf_buf_ieq(loc.s, loc.len, local))
			continue;
		if(!ns) {
			if(pfx.len == 0 && loc.s == name.s) {
				*pos = p;
				return 1;
			}
			continue;
		}
		for(k = 0; k < c->nns; k++) {
			if(c->ns[k].len == pfx.len
					&& memcmp(c->ns[k].s, pfx.s, pfx.len) == 0) {
				*pos = p;
				return 1;
			}
		}
	}
	*pos = end;
	return 0;
}
