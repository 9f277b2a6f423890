/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: libFuzzer target for the store flag classifier
 *   (sf_classify.h)
 *
 * The input is: one control byte, then parts separated by the two bytes
 * 0xFF 0x00 (a part may hold any other byte sequence, NUL included):
 *   control bits 0-1  method (OTHER, MESSAGE, INVITE; 3 is MESSAGE too)
 *   control bits 2-4  how many of the parts are Request-Disposition bodies
 *   control bits 5-6  how many follow as Content-Disposition bodies
 *   control bit  7    empty parts are (NULL, 0) instead of a pointer, 0
 * then one part for Content-Type and one for the body. Missing parts are
 * empty. Once in a while (control byte 0xFE) 20 Request-Disposition
 * instances are given, past SF_CLS_MAX_HDRS. Each part is its own heap
 * copy of exactly its length, so a read past it is an ASan report.
 *
 * sf_classify_parse() is called with every default class (INSTANT, STORE,
 * NOTIFY and two that are none of them) and must:
 *  - return 1, 2, 3, -1 or -2;
 *  - return -1 exactly when the method is neither MESSAGE nor INVITE;
 *  - on > 0: cls equals the return value, notify within 0..3 and 0 for
 *    INSTANT, source a valid enum sf_source, NOTIFY has the positive bit;
 *  - on source DEFAULT: the class is the default class (STORE for an
 *    unknown default);
 *  - give the same answer for every default class unless the default
 *    decided it (an error, or a verdict from a source, never depends on
 *    the default);
 *  - give the same answer when called twice, with out NULL -1.
 * Any violation calls abort().
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_classify.h"

#define MAX_PARTS 24
#define MANY_HDRS 20

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_classify: %s\n", why);
	abort();
}

/* an exact-size heap copy of [s, s + n); (NULL, 0) or a 1-byte dummy for
 * an empty part */
static sf_buf_t copy_part(const uint8_t *s, size_t n, int null_empty)
{
	sf_buf_t b;
	char *p;

	if(n == 0 && null_empty) {
		b.s = NULL;
		b.len = 0;
		return b;
	}
	p = malloc(n ? n : 1);
	if(p == NULL)
		abort();
	if(n)
		memcpy(p, s, n);
	b.s = p;
	b.len = n;
	return b;
}

/* split data into at most MAX_PARTS parts at 0xFF 0x00 */
static int split(
		const uint8_t *data, size_t size, const uint8_t **ps, size_t *pl)
{
	size_t i = 0, start = 0;
	int n = 0;

	while(n < MAX_PARTS - 1 && i + 1 < size) {
		if(data[i] == 0xff && data[i + 1] == 0x00) {
			ps[n] = data + start;
			pl[n] = i - start;
			n++;
			i += 2;
			start = i;
			continue;
		}
		i++;
	}
	ps[n] = data + start;
	pl[n] = size - start;
	return n + 1;
}

static int valid_source(int s)
{
	return s == SF_SRC_DEFAULT || s == SF_SRC_REQUEST_DISPOSITION
		   || s == SF_SRC_CONTENT_DISPOSITION || s == SF_SRC_SDP
		   || s == SF_SRC_CPIM;
}

static void check_one(
		const sf_class_input_t *in, int ret, const sf_class_result_t *r)
{
	int want_default;

	if(ret != 1 && ret != 2 && ret != 3 && ret != SF_CLS_ERR_METHOD
			&& ret != SF_CLS_ERR_PARSE)
		fail("return value not in {1, 2, 3, -1, -2}");
	if((in->method != SF_METHOD_MESSAGE && in->method != SF_METHOD_INVITE)
			!= (ret == SF_CLS_ERR_METHOD))
		fail("SF_CLS_ERR_METHOD not exactly for a method that is neither"
			 " MESSAGE nor INVITE");
	if(ret <= 0)
		return;
	if(r->cls != ret)
		fail("cls differs from the return value");
	if(r->notify < 0 || r->notify > (SF_NOTIFY_POSITIVE | SF_NOTIFY_NEGATIVE))
		fail("notify bits outside 0..3");
	if(r->cls == SF_CLASS_INSTANT && r->notify != 0)
		fail("notify bits on an INSTANT verdict");
	if(r->cls == SF_CLASS_NOTIFY && !(r->notify & SF_NOTIFY_POSITIVE))
		fail("NOTIFY without the positive report bit");
	if(!valid_source(r->source))
		fail("source not a valid enum sf_source");
	if(r->source == SF_SRC_DEFAULT) {
		want_default = in->default_class;
		if(want_default != SF_CLASS_INSTANT && want_default != SF_CLASS_NOTIFY)
			want_default = SF_CLASS_STORE;
		if(r->cls != want_default)
			fail("source DEFAULT but not the default class");
	}
	if(strcmp(sf_source_name(r->source), "unknown") == 0)
		fail("sf_source_name does not know the source");
	if(strcmp(sf_class_name(r->cls), "unknown") == 0)
		fail("sf_class_name does not know the class");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int defaults[] = {
			SF_CLASS_INSTANT, SF_CLASS_STORE, SF_CLASS_NOTIFY, 0, 77};
	const int ndef = (int)(sizeof(defaults) / sizeof(defaults[0]));
	const uint8_t *ps[MAX_PARTS];
	size_t pl[MAX_PARTS];
	sf_buf_t part[MAX_PARTS], many[MANY_HDRS];
	sf_buf_t empty = {NULL, 0};
	sf_class_input_t in;
	sf_class_result_t res[5], again;
	int ret[5], r2;
	int nparts, nreq, ncont, null_empty, next, i, d;
	uint8_t ctl;

	if(size == 0)
		return 0;
	ctl = data[0];
	nparts = split(data + 1, size - 1, ps, pl);
	null_empty = (ctl & 0x80) != 0;
	for(i = 0; i < nparts; i++)
		part[i] = copy_part(ps[i], pl[i], null_empty);

	memset(&in, 0, sizeof(in));
	switch(ctl & 3) {
		case 0:
			in.method = SF_METHOD_OTHER;
			break;
		case 2:
			in.method = SF_METHOD_INVITE;
			break;
		default:
			in.method = SF_METHOD_MESSAGE;
	}
	nreq = (ctl >> 2) & 7;
	ncont = (ctl >> 5) & 3;
	next = 0;
	if(ctl == 0xfe) {
		/* past SF_CLS_MAX_HDRS: the first part, 20 times */
		for(i = 0; i < MANY_HDRS; i++)
			many[i] = nparts > 0 ? part[0] : empty;
		in.req_disp = many;
		in.n_req_disp = MANY_HDRS;
		next = 1;
	} else {
		if(nreq > nparts - next)
			nreq = nparts - next;
		in.req_disp = nreq > 0 ? part + next : NULL;
		in.n_req_disp = nreq;
		next += nreq;
	}
	if(ncont > nparts - next)
		ncont = nparts - next;
	in.cont_disp = ncont > 0 ? part + next : NULL;
	in.n_cont_disp = ncont;
	next += ncont;
	in.content_type = next < nparts ? part[next++] : empty;
	in.body = next < nparts ? part[next++] : empty;

	for(d = 0; d < ndef; d++) {
		in.default_class = defaults[d];
		memset(&res[d], 0x5a, sizeof(res[d]));
		ret[d] = sf_classify_parse(&in, &res[d]);
		check_one(&in, ret[d], &res[d]);

		memset(&again, 0xa5, sizeof(again));
		r2 = sf_classify_parse(&in, &again);
		if(r2 != ret[d]
				|| (r2 > 0
						&& (again.cls != res[d].cls
								|| again.notify != res[d].notify
								|| again.source != res[d].source)))
			fail("a second call gives another answer");
		if(sf_classify_parse(&in, NULL) != SF_CLS_ERR_METHOD)
			fail("out NULL is not SF_CLS_ERR_METHOD");
	}
	/* only the default may depend on the default class */
	for(d = 1; d < ndef; d++) {
		if((ret[d] <= 0 || ret[0] <= 0) && ret[d] != ret[0])
			fail("an error depends on the default class");
		if(ret[d] > 0 && ret[0] > 0
				&& (res[d].source == SF_SRC_DEFAULT)
						   != (res[0].source == SF_SRC_DEFAULT))
			fail("whether the default decides depends on the default class");
		if(ret[d] > 0 && res[d].source != SF_SRC_DEFAULT
				&& (res[d].cls != res[0].cls || res[d].notify != res[0].notify
						|| res[d].source != res[0].source))
			fail("a verdict from a source depends on the default class");
	}
	if(sf_classify_parse(NULL, &again) != SF_CLS_ERR_METHOD)
		fail("in NULL is not SF_CLS_ERR_METHOD");

	for(i = 0; i < nparts; i++)
		free((void *)part[i].s);
	return 0;
}
