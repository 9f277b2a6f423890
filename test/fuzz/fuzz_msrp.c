/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: libFuzzer target for the MSRP parser (sf_msrp.h)
 *
 * Consumes the input frame after frame with sf_msrp_parse(). For every
 * frame that parses it checks that:
 *  - the length is within the input and every field points into the frame;
 *  - every proper prefix of the frame (all of them for short frames, a
 *    sample for long ones) is INCOMPLETE, parsed from a heap copy of
 *    exactly the prefix's length;
 *  - a SEND built from the fields (tid, paths, Message-ID, Content-Type,
 *    Byte-Range start and total, body), when the builder accepts them,
 *    parses back, from an exact-size copy, with every field equal; the
 *    same for a response; sf_msrp_tid_ok agrees with the builder.
 * Any mismatch calls abort().
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_msrp.h"

#define MAX_FRAMES 64
#define ALL_PREFIXES 160 /* frames up to this long: every prefix */

static char out[64 * 1024];

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_msrp: %s\n", why);
	abort();
}

static int beq(sf_buf_t a, sf_buf_t b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
}

static int beqs(sf_buf_t a, const char *s)
{
	sf_buf_t b = {s, strlen(s)};
	return beq(a, b);
}

/* a field is empty, or lies within frame[0..len) */
static void inside(sf_buf_t b, const char *frame, size_t len)
{
	if(b.len == 0)
		return;
	if(b.s == NULL || b.s < frame || b.s > frame + len
			|| b.len > (size_t)(frame + len - b.s))
		fail("field outside the frame");
}

/* parse a heap copy of exactly n bytes (NULL for 0) */
static int parse_copy(const char *s, size_t n, sf_msrp_frame_t *f, char **cp)
{
	sf_buf_t b = {NULL, 0};

	*cp = NULL;
	if(n > 0) {
		*cp = malloc(n);
		if(*cp == NULL)
			abort();
		memcpy(*cp, s, n);
		b.s = *cp;
		b.len = n;
	}
	return sf_msrp_parse(b, f);
}

static void check_prefix(const char *s, size_t k)
{
	char *cp;
	int r = parse_copy(s, k, NULL, &cp);

	free(cp);
	if(r != SF_MSRP_INCOMPLETE)
		fail("a proper prefix of a frame is not INCOMPLETE");
}

static void check_prefixes(const char *s, size_t len)
{
	size_t k, step;

	if(len <= ALL_PREFIXES) {
		for(k = 0; k < len; k++)
			check_prefix(s, k);
		return;
	}
	step = len / 32;
	for(k = 0; k < len; k += step)
		check_prefix(s, k);
	for(k = len - 24; k < len; k++)
		check_prefix(s, k);
}

static void roundtrip_send(const sf_msrp_frame_t *f, int success_report)
{
	sf_msrp_send_t s;
	sf_msrp_frame_t g;
	char *cp;
	int n, r, with_ct;
	size_t last;

	if(f->range_start < 1 || f->range_total < 0)
		return;
	memset(&s, 0, sizeof(s));
	s.tid = f->tid;
	s.to_path = f->to_path;
	s.from_path = f->from_path;
	s.message_id = f->message_id;
	s.success_report = success_report;
	s.content_type = f->content_type;
	s.start = (size_t)f->range_start;
	s.total = (size_t)f->range_total;
	s.chunk = f->body;

	n = sf_msrp_build_send(&s, out, sizeof(out));
	if(n < 0)
		return;
	if((size_t)n > sizeof(out))
		fail("build_send: length past outsize");
	if((size_t)n < sizeof(out) && out[n] != '\0')
		fail("build_send: no NUL");
	/* the tid was usable, so it is a valid one not in the payload */
	if(!sf_msrp_tid_ok(f->tid, f->body))
		fail("build_send accepted a tid sf_msrp_tid_ok refuses");

	r = parse_copy(out, (size_t)n, &g, &cp);
	if(r != n)
		fail("built SEND does not parse to its length");
	last = s.start - 1 + s.chunk.len;
	with_ct = s.chunk.len > 0 || (s.start == 1 && s.total > 0);
	if(g.is_request != 1 || !beq(g.tid, s.tid) || !beqs(g.method, "SEND")
			|| !beq(g.to_path, s.to_path) || !beq(g.from_path, s.from_path)
			|| !beq(g.message_id, s.message_id)
			|| (with_ct ? !beq(g.content_type, s.content_type)
						: g.content_type.len != 0)
			|| g.range_start != (long long)s.start
			|| g.range_end != (long long)last
			|| g.range_total != (long long)s.total || !beq(g.body, s.chunk)
			|| g.flag != (last == s.total ? '$' : '+') || g.reason.len != 0)
		fail("SEND round trip: a field differs");
	free(cp);

	/* and one byte short: never a partial write past the end, -1 */
	if(n > 1) {
		char *sh = malloc((size_t)n - 1);
		if(sh == NULL)
			abort();
		if(sf_msrp_build_send(&s, sh, (size_t)n - 1) != -1)
			fail("build_send: fits one byte short");
		free(sh);
	}
}

static void roundtrip_response(const sf_msrp_frame_t *f)
{
	sf_msrp_frame_t g;
	char *cp;
	int n, r;

	n = sf_msrp_build_response(f->tid, f->code, f->reason, f->to_path,
			f->from_path, out, sizeof(out));
	if(n < 0)
		return;
	r = parse_copy(out, (size_t)n, &g, &cp);
	if(r != n)
		fail("built response does not parse to its length");
	if(g.is_request != 0 || !beq(g.tid, f->tid) || g.code != f->code
			|| !beq(g.reason, f->reason) || !beq(g.to_path, f->to_path)
			|| !beq(g.from_path, f->from_path) || g.flag != '$'
			|| g.body.len != 0 || g.method.len != 0 || g.range_start != -1)
		fail("response round trip: a field differs");
	free(cp);
}

/* the message/sip builder on frame fields: no crash, sane length */
static void sipmsg(const sf_msrp_frame_t *f)
{
	sf_sipmsg_t m;
	int n;

	memset(&m, 0, sizeof(m));
	m.ruri = f->to_path;
	m.from = f->from_path;
	m.to = f->to_path;
	m.call_id = f->message_id;
	m.cseq = (unsigned int)f->range_start;
	m.content_type = f->content_type;
	m.body = f->body;
	m.date = (time_t)f->range_total;
	n = sf_sipmsg_build(&m, out, sizeof(out));
	if(n > (int)sizeof(out))
		fail("sipmsg: length past outsize");
	if(n >= 0
			&& ((size_t)n < f->body.len
					|| (f->body.len > 0
							&& memcmp(out + n - f->body.len, f->body.s,
									   f->body.len)
									   != 0)))
		fail("sipmsg: the body is not at the end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_buf_t rest = {(const char *)data, size};
	sf_msrp_frame_t f;
	int i, r, r2;

	for(i = 0; i < MAX_FRAMES; i++) {
		r = sf_msrp_parse(rest, &f);
		r2 = sf_msrp_parse(rest, NULL);
		if(r != r2)
			fail("parse with and without a frame differ");
		if(r <= 0) {
			if(r != SF_MSRP_INCOMPLETE && r != SF_MSRP_EBAD)
				fail("bad return value");
			break;
		}
		if((size_t)r > rest.len)
			fail("frame longer than the input");
		if(r < 2 || rest.s[r - 2] != '\r' || rest.s[r - 1] != '\n')
			fail("frame does not end in CRLF");
		if(f.flag != '$' && f.flag != '+' && f.flag != '#')
			fail("bad flag");
		if(f.tid.len < SF_MSRP_TID_MIN || f.tid.len > SF_MSRP_TID_MAX)
			fail("tid length");
		inside(f.tid, rest.s, (size_t)r);
		inside(f.method, rest.s, (size_t)r);
		inside(f.reason, rest.s, (size_t)r);
		inside(f.to_path, rest.s, (size_t)r);
		inside(f.from_path, rest.s, (size_t)r);
		inside(f.message_id, rest.s, (size_t)r);
		inside(f.content_type, rest.s, (size_t)r);
		inside(f.byte_range, rest.s, (size_t)r);
		inside(f.body, rest.s, (size_t)r);
		if(f.is_request ? (f.method.len == 0 || f.code != 0)
						: (f.code < 100 || f.code > 999 || f.body.len != 0))
			fail("request/response fields");

		check_prefixes(rest.s, (size_t)r);
		if(f.is_request)
			roundtrip_send(&f, size > 0 && (data[0] & 1));
		else
			roundtrip_response(&f);
		sipmsg(&f);

		rest.s += r;
		rest.len -= (size_t)r;
	}
	return 0;
}
