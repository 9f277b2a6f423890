/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd unit tests :: what an MSRP session stored for an offline
 *   user needs: receiving a message in chunks (sf_msrp_chunk), the
 *   Success-Report, multipart/mixed and message/sip of any method
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_buf.h"
#include "sf_msrp.h"
#include "unit_util.h"

/* ---- sf_msrp_chunk: sequences of chunks and what each gets ----------- */

/* one SEND chunk: Message-ID, Byte-Range ("" none), flag, Content-Type
 * ("" none), body, Failure-Report ("" none) */
struct chunk
{
	const char *mid;
	const char *range;
	char flag;
	const char *ct;
	const char *body;
	const char *failure;
	int act;				 /* expected enum sf_msrp_chunk_act */
	int code;				 /* expected response, 0: none */
	unsigned long long have; /* expected bytes kept after it */
};

#define MAXC 6
struct chunk_case
{
	const char *name;
	size_t max;
	struct chunk c[MAXC];
};

#define END                                      \
	{                                            \
		NULL, NULL, 0, NULL, NULL, NULL, 0, 0, 0 \
	}

static const struct chunk_case chunk_cases[] = {
		{"one chunk, whole message", 100,
				{{"m1", "1-5/5", '$', "text/plain", "hello", "",
						 SF_MSRP_CHUNK_DONE, 200, 5},
						END}},
		{"no Byte-Range: one chunk", 100,
				{{"m1", "", '$', "text/plain", "hello", "", SF_MSRP_CHUNK_DONE,
						 200, 5},
						END}},
		{"three chunks in order", 100,
				{{"m1", "1-4/10", '+', "a/b", "abcd", "", SF_MSRP_CHUNK_MORE,
						 200, 4},
						{"m1", "5-8/10", '+', "a/b", "efgh", "",
								SF_MSRP_CHUNK_MORE, 200, 8},
						{"m1", "9-10/10", '$', "a/b", "ij", "",
								SF_MSRP_CHUNK_DONE, 200, 10},
						END}},
		{"unknown total ('*')", 100,
				{{"m1", "1-4/*", '+', "a/b", "abcd", "", SF_MSRP_CHUNK_MORE,
						 200, 4},
						{"m1", "5-6/6", '$', "a/b", "ef", "",
								SF_MSRP_CHUNK_DONE, 200, 6},
						END}},
		{"empty SEND: keep-alive", 100,
				{{"k1", "1-0/0", '$', "", "", "", SF_MSRP_CHUNK_EMPTY, 200, 0},
						{"m1", "1-2/2", '$', "a/b", "hi", "",
								SF_MSRP_CHUNK_DONE, 200, 2},
						END}},
		{"a gap: 400, nothing kept", 100,
				{{"m1", "1-4/10", '+', "a/b", "abcd", "", SF_MSRP_CHUNK_MORE,
						 200, 4},
						{"m1", "6-9/10", '+', "a/b", "fghi", "",
								SF_MSRP_CHUNK_REFUSE, 400, 0},
						/* the refused message's next chunk: refused too */
						{"m1", "10-10/10", '$', "a/b", "j", "",
								SF_MSRP_CHUNK_REFUSE, 413, 0},
						/* and then a new message is fine */
						{"m2", "1-1/1", '$', "a/b", "x", "", SF_MSRP_CHUNK_DONE,
								200, 1},
						END}},
		{"a first chunk not at 1: 400", 100,
				{{"m1", "3-4/4", '$', "a/b", "cd", "", SF_MSRP_CHUNK_REFUSE,
						 400, 0},
						END}},
		{"end before start in Byte-Range: 400", 100,
				{{"m1", "1-9/20", '+', "a/b", "abc", "", SF_MSRP_CHUNK_REFUSE,
						 400, 0},
						END}},
		{"total changes between chunks: 400", 100,
				{{"m1", "1-2/10", '+', "a/b", "ab", "", SF_MSRP_CHUNK_MORE, 200,
						 2},
						{"m1", "3-4/11", '+', "a/b", "cd", "",
								SF_MSRP_CHUNK_REFUSE, 400, 0},
						END}},
		{"last chunk short of the total: 400", 100,
				{{"m1", "1-2/*", '+', "a/b", "ab", "", SF_MSRP_CHUNK_MORE, 200,
						 2},
						{"m1", "3-4/10", '$', "a/b", "cd", "",
								SF_MSRP_CHUNK_REFUSE, 400, 0},
						END}},
		{"total over max: 413 at once", 8,
				{{"m1", "1-4/9", '+', "a/b", "abcd", "", SF_MSRP_CHUNK_REFUSE,
						 413, 0},
						{"m1", "5-9/9", '$', "a/b", "efghi", "",
								SF_MSRP_CHUNK_REFUSE, 413, 0},
						END}},
		{"unknown total, grows over max: 413", 8,
				{{"m1", "1-5/*", '+', "a/b", "abcde", "", SF_MSRP_CHUNK_MORE,
						 200, 5},
						{"m1", "6-9/*", '+', "a/b", "fghi", "",
								SF_MSRP_CHUNK_REFUSE, 413, 0},
						END}},
		{"exactly max", 4,
				{{"m1", "1-4/4", '$', "a/b", "abcd", "", SF_MSRP_CHUNK_DONE,
						 200, 4},
						END}},
		{"another message while one is in progress: 413, the first goes on",
				100,
				{{"m1", "1-2/4", '+', "a/b", "ab", "", SF_MSRP_CHUNK_MORE, 200,
						 2},
						{"m2", "1-1/1", '$', "a/b", "x", "",
								SF_MSRP_CHUNK_REFUSE, 413, 2},
						{"m1", "3-4/4", '$', "a/b", "cd", "",
								SF_MSRP_CHUNK_DONE, 200, 4},
						END}},
		{"'#': the message is abandoned", 100,
				{{"m1", "1-2/4", '+', "a/b", "ab", "", SF_MSRP_CHUNK_MORE, 200,
						 2},
						{"m1", "3-4/4", '#', "a/b", "cd", "",
								SF_MSRP_CHUNK_ABORT, 200, 0},
						{"m3", "1-1/1", '$', "a/b", "z", "", SF_MSRP_CHUNK_DONE,
								200, 1},
						END}},
		/* no Message-ID header at all (the fuzzer found a NULL memcpy here) */
		{"no Message-ID, more to come: 400, nothing kept", 100,
				{{"", "1-2/4", '+', "a/b", "ab", "", SF_MSRP_CHUNK_REFUSE, 400,
						 0},
						{"m1", "1-1/1", '$', "a/b", "x", "", SF_MSRP_CHUNK_DONE,
								200, 1},
						END}},
		{"Failure-Report: no: no response, still kept", 100,
				{{"m1", "1-2/2", '$', "a/b", "ab", "no", SF_MSRP_CHUNK_DONE, 0,
						 2},
						END}},
		{"Failure-Report: partial: no 200, a 413 still", 3,
				{{"m1", "1-2/2", '$', "a/b", "ab", "partial",
						 SF_MSRP_CHUNK_DONE, 0, 2},
						{"m2", "1-4/4", '$', "a/b", "abcd", "partial",
								SF_MSRP_CHUNK_REFUSE, 413, 0},
						END}},
};

#define N_CHUNK_CASES ((int)(sizeof(chunk_cases) / sizeof(chunk_cases[0])))

/* the chunk as a frame on the wire, parsed back */
static int chunk_frame(
		const struct chunk *c, char *buf, size_t size, sf_msrp_frame_t *f)
{
	int n = snprintf(buf, size,
			"MSRP tid77 SEND\r\nTo-Path: msrp://a:1/s;tcp\r\n"
			"From-Path: msrp://b:2/c;tcp\r\n%s%s%s%s%s%s"
			"%s%s%s%s%s%s%s-------tid77%c\r\n",
			c->mid[0] ? "Message-ID: " : "", c->mid, c->mid[0] ? "\r\n" : "",
			c->range[0] ? "Byte-Range: " : "", c->range,
			c->range[0] ? "\r\n" : "", c->failure[0] ? "Failure-Report: " : "",
			c->failure, c->failure[0] ? "\r\n" : "",
			c->ct[0] ? "Content-Type: " : "", c->ct, c->ct[0] ? "\r\n\r\n" : "",
			c->body[0] ? c->body : "", c->flag);
	/* a body is followed by CRLF before the end line */
	if(c->body[0]) {
		char *end = strstr(buf, "-------tid77");
		memmove(end + 2, end, strlen(end) + 1);
		memcpy(end, "\r\n", 2);
		n += 2;
	}
	ck_assert_int_lt(n, (int)size);
	return sf_msrp_parse(sf_bufv(buf, n), f);
}

START_TEST(test_chunk_sequences)
{
	const struct chunk_case *tc = &chunk_cases[_i];
	sf_msrp_reasm_t r;
	sf_msrp_frame_t f;
	sf_msrp_verdict_t v;
	char buf[1024];
	int k, act;

	sf_msrp_reasm_reset(&r);
	for(k = 0; k < MAXC && tc->c[k].mid; k++) {
		ck_assert_msg(chunk_frame(&tc->c[k], buf, sizeof(buf), &f) > 0,
				"%s: chunk %d parses", tc->name, k);
		act = sf_msrp_chunk(&r, &f, tc->max, &v);
		ck_assert_msg(act == tc->c[k].act, "%s: chunk %d act %d, want %d",
				tc->name, k, act, tc->c[k].act);
		ck_assert_msg(v.act == act, "%s: chunk %d verdict act", tc->name, k);
		ck_assert_msg(v.code == tc->c[k].code, "%s: chunk %d code %d, want %d",
				tc->name, k, v.code, tc->c[k].code);
		if(act != SF_MSRP_CHUNK_DONE && act != SF_MSRP_CHUNK_REFUSE)
			ck_assert_msg(r.have == tc->c[k].have,
					"%s: chunk %d keeps %llu, want %llu", tc->name, k, r.have,
					tc->c[k].have);
		if(act == SF_MSRP_CHUNK_DONE) {
			ck_assert_msg(r.have == tc->c[k].have,
					"%s: chunk %d message of %llu, want %llu", tc->name, k,
					r.have, tc->c[k].have);
			sf_msrp_reasm_reset(&r); /* the caller stores it, then resets */
		}
	}
}
END_TEST

START_TEST(test_chunk_null)
{
	sf_msrp_reasm_t r;
	sf_msrp_verdict_t v;

	sf_msrp_reasm_reset(&r);
	ck_assert_int_eq(sf_msrp_chunk(NULL, NULL, 10, &v), SF_MSRP_CHUNK_REFUSE);
	ck_assert_int_eq(sf_msrp_chunk(&r, NULL, 10, &v), SF_MSRP_CHUNK_REFUSE);
}
END_TEST

/* ---- the Success-Report ------------------------------------------------ */

static int report_into(const void *r, char *out, size_t size)
{
	return sf_msrp_build_report(r, 200, out, size);
}

START_TEST(test_report)
{
	static const char want[] =
			"MSRP r1234 REPORT\r\nTo-Path: msrp://b:2/c;tcp\r\n"
			"From-Path: msrp://a:1/s;tcp\r\nMessage-ID: m1\r\n"
			"Byte-Range: 1-60000/60000\r\nStatus: 000 200 OK\r\n"
			"-------r1234$\r\n";
	sf_msrp_send_t r;
	sf_msrp_frame_t f;
	char out[512];
	int n;

	memset(&r, 0, sizeof(r));
	r.tid = sf_bufv("r1234", 5);
	r.to_path = sf_bufv("msrp://b:2/c;tcp", 16);
	r.from_path = sf_bufv("msrp://a:1/s;tcp", 16);
	r.message_id = sf_bufv("m1", 2);
	r.total = 60000;
	n = sf_msrp_build_report(&r, 200, out, sizeof(out));
	ck_assert_int_eq(n, (int)sizeof(want) - 1);
	ck_assert(memcmp(out, want, n) == 0);
	/* our parser reads it back as a REPORT */
	ck_assert_int_eq(sf_msrp_parse(sf_bufv(out, n), &f), n);
	ck_assert(f.is_request && f.method.len == 6);
	/* every smaller buffer: -1, nothing past it written */
	check_fit(report_into, &r, want, (size_t)n, (size_t)n, "report");
	/* an unusable field */
	r.message_id = sf_bufv("m\r\n1", 4);
	ck_assert_int_eq(sf_msrp_build_report(&r, 200, out, sizeof(out)), -1);
	r.message_id = sf_bufv("m1", 2);
	ck_assert_int_eq(sf_msrp_build_report(&r, 99, out, sizeof(out)), -1);
	r.tid = sf_bufv("ab", 2);
	ck_assert_int_eq(sf_msrp_build_report(&r, 200, out, sizeof(out)), -1);
}
END_TEST

/* ---- multipart/mixed --------------------------------------------------- */

/* the inputs of sf_multipart_build() */
struct multipart_args
{
	sf_buf_t boundary;
	const sf_buf_t *types, *parts;
	int n;
};

static int multipart_into(const void *arg, char *out, size_t size)
{
	const struct multipart_args *a = arg;

	return sf_multipart_build(a->boundary, a->types, a->parts, a->n, out, size);
}

START_TEST(test_multipart)
{
	static const char want[] = "--b0\r\nContent-Type: message/sip\r\n\r\n"
							   "ONE\r\n"
							   "--b0\r\nContent-Type: text/plain\r\n\r\n"
							   "\r\n"
							   "--b0--\r\n";
	sf_buf_t parts[2], types[2];
	struct multipart_args a = {{"b0", 2}, types, parts, 2};
	char out[256];
	int n;

	parts[0] = sf_bufv("ONE", 3);
	parts[1] = sf_bufv(NULL, 0);
	types[0] = sf_bufv("message/sip", 11);
	types[1] = sf_bufv("text/plain", 10);
	n = sf_multipart_build(sf_bufv("b0", 2), types, parts, 2, out, sizeof(out));
	ck_assert_int_eq(n, (int)sizeof(want) - 1);
	ck_assert(memcmp(out, want, n) == 0);
	check_fit(multipart_into, &a, want, (size_t)n, (size_t)n, "multipart");
	/* a part holding "--" boundary: that boundary cannot be used */
	parts[0] = sf_bufv("x\r\n--b0\r\ny", 10);
	ck_assert_int_eq(sf_multipart_boundary_ok(sf_bufv("b0", 2), parts, 2), 0);
	ck_assert_int_eq(
			sf_multipart_build(sf_bufv("b0", 2), types, parts, 2, out, 256),
			-1);
	ck_assert_int_eq(sf_multipart_boundary_ok(sf_bufv("b1", 2), parts, 2), 1);
	/* "--b0" at the very end of a part counts too */
	parts[0] = sf_bufv("x--b0", 5);
	ck_assert_int_eq(sf_multipart_boundary_ok(sf_bufv("b0", 2), parts, 1), 0);
	/* bad boundaries and types */
	ck_assert_int_eq(sf_multipart_boundary_ok(sf_bufv("", 0), parts, 1), 0);
	ck_assert_int_eq(sf_multipart_boundary_ok(sf_bufv("a b", 3), parts, 1), 0);
	{
		char lng[72];
		memset(lng, 'a', sizeof(lng));
		ck_assert_int_eq(
				sf_multipart_boundary_ok(sf_bufv(lng, 71), parts, 0), 0);
		ck_assert_int_eq(
				sf_multipart_boundary_ok(sf_bufv(lng, 70), parts, 0), 1);
	}
	parts[0] = sf_bufv("ONE", 3);
	types[0] = sf_bufv("a\r\nb", 4);
	ck_assert_int_eq(
			sf_multipart_build(sf_bufv("b0", 2), types, parts, 1, out, 256),
			-1);
	ck_assert_int_eq(
			sf_multipart_build(sf_bufv("b0", 2), types, parts, 0, out, 256),
			-1);
}
END_TEST

/* ---- message/sip of another method ------------------------------------- */

START_TEST(test_sipmsg_method)
{
	static const char want[] =
			"BYE sip:bob@h SIP/2.0\r\nFrom: <sip:a@h>;tag=1\r\n"
			"To: <sip:bob@h>\r\nCall-ID: c1\r\nCSeq: 7 BYE\r\n"
			"Content-Length: 0\r\n\r\n";
	sf_sipmsg_t m;
	char out[256];
	int n;

	memset(&m, 0, sizeof(m));
	m.method = sf_bufv("BYE", 3);
	m.ruri = sf_bufv("sip:bob@h", 9);
	m.from = sf_bufv("<sip:a@h>;tag=1", 15);
	m.to = sf_bufv("<sip:bob@h>", 11);
	m.call_id = sf_bufv("c1", 2);
	m.cseq = 7;
	n = sf_sipmsg_build(&m, out, sizeof(out));
	ck_assert_int_eq(n, (int)sizeof(want) - 1);
	ck_assert(memcmp(out, want, n) == 0);
	/* a method that would break the start line */
	m.method = sf_bufv("BY\r\nE", 5);
	ck_assert_int_eq(sf_sipmsg_build(&m, out, sizeof(out)), -1);
	/* none: MESSAGE, as before */
	m.method = sf_bufv(NULL, 0);
	n = sf_sipmsg_build(&m, out, sizeof(out));
	ck_assert(n > 8 && memcmp(out, "MESSAGE ", 8) == 0);
	ck_assert(strstr(out, "CSeq: 7 MESSAGE\r\n") != NULL);
}
END_TEST


/* ---- Byte-Ranges that do not add up: a whole frame, answered 400 ------- */

#define SEND_HEAD                                     \
	"MSRP abcd SEND\r\nTo-Path: msrp://a:1/s;tcp\r\n" \
	"From-Path: msrp://b:2/c;tcp\r\nMessage-ID: m1\r\n"

static const struct
{
	const char *name;
	const char *s;
} range_bad_cases[] = {
		{"start 0", SEND_HEAD "Byte-Range: 0-5/10\r\n-------abcd+\r\n"},
		{"end before start",
				SEND_HEAD "Byte-Range: 5-3/10\r\n-------abcd+\r\n"},
		{"end past total", SEND_HEAD "Byte-Range: 1-20/10\r\n-------abcd+\r\n"},
		{"a second instance that does not add up",
				SEND_HEAD "Byte-Range: 1-0/10\r\nByte-Range: 0-0/10\r\n"
						  "-------abcd+\r\n"},
		{"last chunk shorter than its range",
				SEND_HEAD "Byte-Range: 1-5/5\r\nContent-Type: text/plain\r\n"
						  "\r\nHell\r\n-------abcd$\r\n"},
		{"last chunk longer than its range",
				SEND_HEAD "Byte-Range: 1-5/5\r\nContent-Type: text/plain\r\n"
						  "\r\nHello!\r\n-------abcd$\r\n"},
		{"no body, range of 5",
				SEND_HEAD "Byte-Range: 1-5/5\r\n-------abcd$\r\n"},
		{"a later last chunk of the wrong length",
				SEND_HEAD "Byte-Range: 3-5/9\r\nContent-Type: text/plain\r\n"
						  "\r\nabcd\r\n-------abcd$\r\n"},
};

START_TEST(test_range_bad)
{
	const char *in = range_bad_cases[_i].s, *name = range_bad_cases[_i].name;
	size_t len = strlen(in);
	char *copy = malloc(len);
	sf_msrp_frame_t f;
	sf_msrp_verdict_t v;
	sf_msrp_reasm_t r;
	sf_buf_t ours = sf_bufv("msrp://a:1/s;tcp", 16);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, in, len);
	/* the frame is whole: the connection goes on */
	ck_assert_msg(sf_msrp_parse(sf_bufv(copy, len), &f) == (int)len,
			"%s: parsed whole", name);
	ck_assert_msg(f.range_bad == 1, "%s: range_bad", name);
	/* a bound connection answers it 400 */
	ck_assert_int_eq(sf_msrp_serve(&f, 1, ours, &v), SF_MSRP_ACT_RESPOND);
	ck_assert_msg(v.code == 400, "%s: serve %d", name, v.code);
	/* a session receiving messages keeps nothing of it */
	sf_msrp_reasm_reset(&r);
	ck_assert_int_eq(sf_msrp_chunk(&r, &f, 100, &v), SF_MSRP_CHUNK_REFUSE);
	ck_assert_msg(v.code == 400, "%s: chunk %d", name, v.code);
	ck_assert(r.have == 0);
	free(copy);
}
END_TEST

Suite *session_suite(void)
{
	const struct unit_test t[] = {
			UT_CASE("core"),
			UT_LOOP(test_chunk_sequences, N_CHUNK_CASES),
			UT(test_chunk_null),
			UT(test_report),
			UT(test_multipart),
			UT(test_sipmsg_method),
			UT_LOOP(test_range_bad, (int)(sizeof(range_bad_cases)
											/ sizeof(range_bad_cases[0]))),
	};

	return UNIT_SUITE("sf_session", t, NULL, NULL);
}
