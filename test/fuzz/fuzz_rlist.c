/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: libFuzzer target for the recipient lists (sf_rlist.h)
 *
 * The input is: one control byte, then the resource-lists document.
 *   control bits 0-3  max - 1 (1..16 distinct recipients)
 *   control bit  4    the arena is a third of SF_RLIST_ARENA_SIZE(max)
 * The document is its own heap copy of exactly its length, the entry
 * array and the arena too, so a read or write past them is an ASan
 * report (and what libxml2 does not free, a leak report).
 *
 * sf_rlist_parse() must:
 *  - return 0, SF_RLIST_EPARSE, SF_RLIST_ETOOMANY or SF_RLIST_ESPACE,
 *    with 0 <= n <= max, and n >= 1 on 0;
 *  - on 0: give entries whose URI is 1..SF_RLIST_URI_MAX bytes, none of
 *    them < 0x21, 0x7f, '<', '>', '"', NUL-terminated inside the arena's
 *    used part; copy 0..2, anonymize 0 or 1, count >= 1, counts adding up
 *    to at most 4 * max; no two entries with the same sf_uri_key();
 *  - give the same answer when called again;
 *  - on 0: give a history that fits in an exact buffer and not in one
 *    byte less, and that parses back to the TO and CC entries that are not
 *    anonymized, same URIs, same copy, in the same order, each count 1;
 *  - remove the first entry for its own URI as the sender exactly when
 *    its count is 1.
 * Any violation calls abort().
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_rlist.h"

#define HIST_MAX 65536

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_rlist: %s\n", why);
	abort();
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if(p == NULL)
		abort();
	return p;
}

static void check_list(const sf_rlist_t *l, int ret)
{
	char k1[SF_RLIST_URI_MAX + 1], k2[SF_RLIST_URI_MAX + 1];
	long sum = 0;
	int i, j;
	size_t b;

	if(ret != 0 && ret != SF_RLIST_EPARSE && ret != SF_RLIST_ETOOMANY
			&& ret != SF_RLIST_ESPACE)
		fail("return value not 0 or an SF_RLIST_E*");
	if(l->n < 0 || l->n > l->max || (ret == 0 && l->n == 0))
		fail("n outside 0..max, or 0 on success");
	if(l->used > l->size)
		fail("used > size");
	if(ret != 0)
		return;
	for(i = 0; i < l->n; i++) {
		const sf_rlist_entry_t *e = &l->v[i];
		if(e->uri.len == 0 || e->uri.len > SF_RLIST_URI_MAX)
			fail("uri length outside 1..SF_RLIST_URI_MAX");
		if(e->uri.s < l->arena || e->uri.s + e->uri.len >= l->arena + l->used
				|| e->uri.s[e->uri.len] != '\0')
			fail("uri not NUL-terminated inside the arena");
		for(b = 0; b < e->uri.len; b++) {
			unsigned char c = (unsigned char)e->uri.s[b];
			if(c < 0x21 || c == 0x7f || c == '<' || c == '>' || c == '"')
				fail("uri with a byte that is refused");
		}
		if(e->copy < SF_COPY_TO || e->copy > SF_COPY_BCC)
			fail("copy outside enum sf_copy");
		if(e->anonymize != 0 && e->anonymize != 1)
			fail("anonymize not 0 or 1");
		if(e->count < 1)
			fail("count < 1");
		sum += e->count;
		if(sf_uri_key(e->uri, k1, sizeof(k1)) <= 0)
			fail("an entry without a key");
		for(j = 0; j < i; j++) {
			if(sf_uri_key(l->v[j].uri, k2, sizeof(k2)) <= 0)
				fail("an entry without a key");
			if(strcmp(k1, k2) == 0)
				fail("two entries with the same key");
		}
	}
	if(sum > 4L * l->max)
		fail("more than 4 * max entries taken");
}

static void check_history(const sf_rlist_t *l)
{
	char *out = xmalloc(HIST_MAX), *exact;
	sf_rlist_t back;
	int len, i, j, named = 0;

	len = sf_rlist_history(l, out, HIST_MAX);
	if(len < 0)
		fail("history does not fit in 64 KB");
	for(i = 0; i < l->n; i++)
		named += (l->v[i].copy != SF_COPY_BCC && !l->v[i].anonymize);
	if((len == 0) != (named == 0))
		fail("history empty exactly when no entry is named");
	if(len == 0) {
		free(out);
		return;
	}
	exact = xmalloc((size_t)len + 1);
	if(sf_rlist_history(l, exact, (size_t)len + 1) != len
			|| memcmp(exact, out, (size_t)len + 1) != 0)
		fail("history differs in an exact buffer");
	if(sf_rlist_history(l, exact, (size_t)len) != -1)
		fail("history fits without its NUL");
	free(exact);

	memset(&back, 0, sizeof(back));
	back.max = named;
	back.v = xmalloc((size_t)named * sizeof(back.v[0]));
	back.size = SF_RLIST_ARENA_SIZE(named);
	back.arena = xmalloc(back.size);
	if(sf_rlist_parse(out, (size_t)len, &back) != 0 || back.n != named)
		fail("history does not parse back");
	for(i = 0, j = 0; i < l->n; i++) {
		const sf_rlist_entry_t *e = &l->v[i];
		if(e->copy == SF_COPY_BCC || e->anonymize)
			continue;
		if(back.v[j].uri.len != e->uri.len
				|| memcmp(back.v[j].uri.s, e->uri.s, e->uri.len) != 0
				|| back.v[j].copy != e->copy || back.v[j].anonymize
				|| back.v[j].count != 1)
			fail("history parsed back differs");
		j++;
	}
	free(back.v);
	free(back.arena);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_rlist_t l, again;
	char *doc;
	size_t len;
	int max, ret, ret2, count0;

	if(size == 0)
		return 0;
	max = (data[0] & 0x0f) + 1;
	len = size - 1;
	doc = len ? xmalloc(len) : NULL;
	if(len)
		memcpy(doc, data + 1, len);

	memset(&l, 0, sizeof(l));
	l.max = max;
	l.v = xmalloc((size_t)max * sizeof(l.v[0]));
	l.size = SF_RLIST_ARENA_SIZE(max);
	if(data[0] & 0x10)
		l.size /= 3;
	l.arena = xmalloc(l.size);
	ret = sf_rlist_parse(doc, len, &l);
	check_list(&l, ret);

	again = l;
	again.v = xmalloc((size_t)max * sizeof(l.v[0]));
	again.arena = xmalloc(l.size);
	ret2 = sf_rlist_parse(doc, len, &again);
	if(ret2 != ret || again.n != l.n || again.used != l.used)
		fail("a second parse differs");
	free(again.v);
	free(again.arena);

	if(ret == 0) {
		check_history(&l);
		count0 = l.v[0].count;
		ret2 = sf_rlist_skip_sender(&l, l.v[0].uri);
		if(ret2 != (count0 == 1 ? 1 : 0))
			fail("the sender not removed exactly when named once");
	}
	free(l.v);
	free(l.arena);
	free(doc);
	return 0;
}
