/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: libFuzzer target for the MSRP retrieval server's ingest
 *   and bind path (sf_msrp_serve() over sf_msrp_parse())
 *
 * The input is what a client writes on one TCP connection, delivered in
 * pieces whose sizes come from the input's first bytes: the pieces are
 * appended to a bounded connection buffer, frames are taken from its
 * front as the server's read loop does (parse, serve, consume), and the
 * connection is closed on a malformed frame, a full buffer or a CLOSE
 * verdict. The first SEND to the server's own path binds the connection.
 * For every verdict it checks that:
 *  - a response code is only ever 200, 400, 481 or 501, never for a response
 *    frame, and never against the request's Failure-Report (no: none;
 *    partial: failures only);
 *  - an unbound connection is bound only by a SEND, a bound one is never
 *    asked to bind again, and a request for another To-Path than the bound
 *    session's never gets 200;
 *  - the response the server would send builds (sf_msrp_build_response
 *    from the request's tid and paths, when the builder accepts them) and
 *    parses back as a complete frame with the same tid and code.
 * Every SEND of a bound connection also goes through sf_msrp_chunk(), as
 * a session stored for an offline user receives its messages (max 4096
 * bytes a message), and it checks that:
 *  - the verdict is one of the chunk actions and its code 200, 400 or 413
 *    (or none, by the Failure-Report), 200 only for a kept chunk, an empty
 *    SEND or an abandoned message;
 *  - what is kept grows by exactly the chunk's body, never past the limit,
 *    and a complete message is as long as its Byte-Range total said.
 * Any mismatch calls abort().
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sf_msrp.h"

#define BUF_MAX (SF_MSRP_MAX_HEADERS + 4096)
#define OURS "msrp://127.0.0.1:2855/abcdefghijklmnopqrstuvwx;tcp"

static int eq(sf_buf_t a, const char *lit)
{
	return a.len == strlen(lit) && memcmp(a.s, lit, a.len) == 0;
}

static int ieq(sf_buf_t a, const char *lit)
{
	size_t i;

	if(a.len != strlen(lit))
		return 0;
	for(i = 0; i < a.len; i++) {
		char c = a.s[i];
		if(c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if(c != lit[i])
			return 0;
	}
	return 1;
}

static void check_verdict(const sf_msrp_frame_t *f, int bound,
		const sf_msrp_verdict_t *v, int act)
{
	int send = f->is_request && eq(f->method, "SEND");

	if(act != v->act)
		abort();
	if(v->code != 0 && v->code != 200 && v->code != 400 && v->code != 481
			&& v->code != 501)
		abort();
	/* a Byte-Range that does not add up is never answered 200, once bound */
	if(bound && f->is_request && f->range_bad && v->code == 200)
		abort();
	if(!f->is_request && v->code != 0)
		abort();
	if(v->code != 0 && ieq(f->failure_report, "no"))
		abort();
	if(v->code == 200 && ieq(f->failure_report, "partial"))
		abort();
	if(act == SF_MSRP_ACT_BIND && (bound || !send))
		abort();
	if(v->code == 200 && (!bound || !eq(f->to_path, OURS)))
		abort();
	if(act == SF_MSRP_ACT_RESPOND && v->code == 0)
		abort();
	if(v->code > 0) {
		char out[SF_MSRP_MAX_HEADERS * 2 + 256];
		sf_msrp_frame_t r;
		sf_buf_t reason = {v->reason, strlen(v->reason)};
		int n = sf_msrp_build_response(f->tid, v->code, reason, f->from_path,
				f->to_path, out, sizeof(out));
		if(n > 0) {
			char *copy = malloc((size_t)n);
			sf_buf_t b = {copy, (size_t)n};
			if(copy == NULL)
				abort();
			memcpy(copy, out, (size_t)n);
			if(sf_msrp_parse(b, &r) != n || r.is_request || r.code != v->code
					|| r.tid.len != f->tid.len
					|| memcmp(r.tid.s, f->tid.s, r.tid.len) != 0)
				abort();
			free(copy);
		}
	}
}

#define CHUNK_MAX 4096

static void check_chunk(sf_msrp_reasm_t *r, const sf_msrp_frame_t *f)
{
	sf_msrp_verdict_t v;
	unsigned long long before = r->have;
	int act = sf_msrp_chunk(r, f, CHUNK_MAX, &v);

	if(act != v.act)
		abort();
	if(v.code != 0 && v.code != 200 && v.code != 400 && v.code != 413)
		abort();
	if(v.code != 0 && ieq(f->failure_report, "no"))
		abort();
	if(v.code == 200 && ieq(f->failure_report, "partial"))
		abort();
	switch(act) {
		case SF_MSRP_CHUNK_MORE:
		case SF_MSRP_CHUNK_DONE:
			if(r->have != before + f->body.len || r->have > CHUNK_MAX
					|| r->mid_len == 0 || r->refused)
				abort();
			if(act == SF_MSRP_CHUNK_DONE) {
				if(r->total >= 0 && (unsigned long long)r->total != r->have)
					abort();
				sf_msrp_reasm_reset(r); /* stored */
			}
			break;
		case SF_MSRP_CHUNK_EMPTY:
			if(f->body.len != 0 || r->have != before)
				abort();
			break;
		case SF_MSRP_CHUNK_ABORT:
			if(r->have != 0 || r->mid_len != 0)
				abort();
			break;
		case SF_MSRP_CHUNK_REFUSE:
			if(v.code == 200 || r->have > CHUNK_MAX)
				abort();
			break;
		default:
			abort();
	}
	if(f->range_bad && act != SF_MSRP_CHUNK_REFUSE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_msrp_reasm_t ra;
	static char buf[BUF_MAX];
	sf_buf_t ours = {OURS, sizeof(OURS) - 1};
	size_t len = 0, pos = 0, piece;
	int bound = 0, used, act, closed = 0;
	sf_msrp_frame_t f;
	sf_msrp_verdict_t v;
	unsigned seed;

	if(size < 1)
		return 0;
	seed = data[0];
	pos = 1;
	sf_msrp_reasm_reset(&ra);
	while(pos < size && !closed) {
		/* the next piece the kernel hands over: 1..256 bytes */
		piece = 1 + ((seed = seed * 1103515245u + 12345u) >> 16) % 256;
		if(piece > size - pos)
			piece = size - pos;
		if(piece > BUF_MAX - len)
			piece = BUF_MAX - len;
		memcpy(buf + len, data + pos, piece);
		len += piece;
		pos += piece;
		for(;;) {
			/* an exact-size copy: a read past it is caught */
			char *copy = malloc(len ? len : 1);
			sf_buf_t b = {copy, len};
			if(copy == NULL)
				abort();
			memcpy(copy, buf, len);
			used = sf_msrp_parse(b, &f);
			if(used == SF_MSRP_INCOMPLETE) {
				free(copy);
				if(len == BUF_MAX)
					closed = 1; /* frame too large */
				break;
			}
			if(used < 0 || (size_t)used > len) {
				free(copy);
				if(used > 0)
					abort();
				closed = 1; /* malformed */
				break;
			}
			act = sf_msrp_serve(
					&f, bound, bound ? ours : (sf_buf_t){NULL, 0}, &v);
			check_verdict(&f, bound, &v, act);
			if(bound && f.is_request && eq(f.method, "SEND")
					&& eq(f.to_path, OURS))
				check_chunk(&ra, &f);
			if(act == SF_MSRP_ACT_BIND) {
				/* the session table: only the server's own path binds */
				if(eq(f.to_path, OURS))
					bound = 1;
				else
					closed = 1;
			} else if(act == SF_MSRP_ACT_CLOSE) {
				closed = 1;
			}
			free(copy);
			memmove(buf, buf + used, len - (size_t)used);
			len -= (size_t)used;
			if(closed)
				break;
		}
	}
	return 0;
}
