/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: unit tests of the pure MSRP framing and message/sip builder
 *
 * Written from the contract in sf_msrp.h and RFC 4975. Every input is
 * copied into a heap block of exactly its length (NULL when the length is
 * 0), and builders write into blocks of exactly the expected size, so that
 * AddressSanitizer catches any access past an end.
 */

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_msrp.h"
#include "unit_util.h"

#define SL(lit) (lit), (sizeof(lit) - 1)

/* ---- heap copies, freed after each test -------------------------------- */

#define MAX_HEAP 256
static void *heap[MAX_HEAP];
static int nheap;

static void *halloc(size_t n)
{
	void *p;

	ck_assert_int_lt(nheap, MAX_HEAP);
	p = malloc(n);
	ck_assert_ptr_nonnull(p);
	heap[nheap++] = p;
	return p;
}

/* a heap copy of exactly n bytes; NULL for 0 */
static sf_buf_t H(const void *s, size_t n)
{
	sf_buf_t b = {NULL, 0};
	char *p;

	if(n == 0)
		return b;
	p = halloc(n);
	memcpy(p, s, n);
	b.s = p;
	b.len = n;
	return b;
}

#define HL(lit) H(SL(lit))

static void heap_free_to(int keep)
{
	while(nheap > keep)
		free(heap[--nheap]);
}

static void heap_free(void)
{
	heap_free_to(0);
}

static void buf_eq(sf_buf_t b, const char *s, size_t n, const char *what)
{
	ck_assert_msg(b.len == n && (n == 0 || memcmp(b.s, s, n) == 0),
			"%s: got \"%.*s\" (%zu bytes), expected \"%.*s\" (%zu bytes)", what,
			(int)b.len, b.s ? b.s : "", b.len, (int)n, s ? s : "", n);
}

#define BUF_EQ(b, lit) buf_eq((b), SL(lit), #b)
#define BUF_EQB(b, c) buf_eq((b), (c).s, (c).len, #b)

static int send_into(const void *f, char *out, size_t size)
{
	return sf_msrp_build_send(f, out, size);
}

/* a built frame, checked to fit exactly and to be refused by every smaller
 * buffer */
static sf_buf_t build_send_exact(const sf_msrp_send_t *f)
{
	static char big[300000];
	int n = sf_msrp_build_send(f, big, sizeof(big));

	ck_assert_msg(n > 0, "build_send failed");
	check_fit(send_into, f, big, (size_t)n, (size_t)n, "build_send");
	return H(big, (size_t)n);
}

static const char TO[] = "msrp://bob.example.com:8888/9di4eae923wzd;tcp";
static const char FROM[] = "msrp://alicepc.example.com:7777/iau39soe2843z;tcp";

static sf_msrp_send_t send_of(const char *tid, const char *payload,
		size_t start, size_t len, size_t total)
{
	sf_msrp_send_t f;

	memset(&f, 0, sizeof(f));
	f.tid = H(tid, strlen(tid));
	f.to_path = HL(TO);
	f.from_path = HL(FROM);
	f.message_id = HL("87652491");
	f.content_type = HL("text/plain");
	f.start = start;
	f.total = total;
	f.chunk = H(payload + start - 1, len);
	return f;
}

/* parse a heap copy of exactly `in` and expect `ret` */
static int parse_exact(sf_buf_t in, sf_msrp_frame_t *fr)
{
	sf_buf_t c = H(in.s, in.len);
	return sf_msrp_parse(c, fr);
}

/* every field of a frame parsed from what f built; an empty payload has
 * no Content-Type */
static void check_send_fields(
		const sf_msrp_send_t *f, const sf_msrp_frame_t *fr)
{
	size_t last = f->start - 1 + f->chunk.len;
	char br[64];
	int blen;

	ck_assert_int_eq(fr->is_request, 1);
	BUF_EQB(fr->tid, f->tid);
	BUF_EQ(fr->method, "SEND");
	ck_assert_int_eq(fr->code, 0);
	ck_assert_uint_eq(fr->reason.len, 0);
	BUF_EQB(fr->to_path, f->to_path);
	BUF_EQB(fr->from_path, f->from_path);
	BUF_EQB(fr->message_id, f->message_id);
	if(f->total > 0)
		BUF_EQB(fr->content_type, f->content_type);
	else
		ck_assert_uint_eq(fr->content_type.len, 0);
	blen = snprintf(br, sizeof(br), "%zu-%zu/%zu", f->start, last, f->total);
	buf_eq(fr->byte_range, br, (size_t)blen, "Byte-Range");
	ck_assert_int_eq(fr->range_start, (long long)f->start);
	ck_assert_int_eq(fr->range_end, (long long)last);
	ck_assert_int_eq(fr->range_total, (long long)f->total);
	BUF_EQB(fr->body, f->chunk);
	ck_assert_int_eq(fr->flag, last == f->total ? '$' : '+');
}

/* f built (build_send_exact), parsed back whole into fr and every field
 * checked; the frame built */
static sf_buf_t send_round_trip(const sf_msrp_send_t *f, sf_msrp_frame_t *fr)
{
	sf_buf_t out = build_send_exact(f);

	ck_assert_int_eq(parse_exact(out, fr), (int)out.len);
	check_send_fields(f, fr);
	return out;
}

/* ---- build -> parse round trips ---------------------------------------- */

#define SAMPLE_SEND                                                    \
	"MSRP a786hjs2 SEND\r\n"                                           \
	"To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"       \
	"From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n" \
	"Message-ID: 87652491\r\n"                                         \
	"Byte-Range: 1-23/23\r\n"                                          \
	"Content-Type: text/plain\r\n"                                     \
	"\r\n"                                                             \
	"Hey Bob, are you there?\r\n"                                      \
	"-------a786hjs2$\r\n"

/* one chunk from the payload's first byte: len bytes of total */
struct send_case
{
	const char *name;
	const char *tid;
	struct tbuf payload;
	size_t len, total;
	int success_report;
	const char *range; /* the Byte-Range expected */
	struct tbuf wire;  /* the frame expected; NB: not compared */
};

/* the whole payload in the one chunk */
#define WHOLE(lit) B(lit), sizeof(lit) - 1, sizeof(lit) - 1

static const struct send_case send_cases[] = {
		{"sample", "a786hjs2", WHOLE("Hey Bob, are you there?"), 0, "1-23/23",
				B(SAMPLE_SEND)},
		{"success_report", "Tx.1+%=-", WHOLE("hi"), 1, "1-2/2",
				B("MSRP Tx.1+%=- SEND\r\n"
				  "To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
				  "From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;"
				  "tcp\r\n"
				  "Message-ID: 87652491\r\n"
				  "Success-Report: yes\r\n"
				  "Byte-Range: 1-2/2\r\n"
				  "Content-Type: text/plain\r\n"
				  "\r\n"
				  "hi\r\n"
				  "-------Tx.1+%=-$\r\n")},
		{"one_byte", "abcd", WHOLE("x"), 0, "1-1/1", NB},
		{"empty", "empty1", WHOLE(""), 0, "1-0/0",
				B("MSRP empty1 SEND\r\n"
				  "To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
				  "From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;"
				  "tcp\r\n"
				  "Message-ID: 87652491\r\n"
				  "Byte-Range: 1-0/0\r\n"
				  "-------empty1$\r\n")},
		/* an empty first chunk of a non-empty payload keeps its
		 * Content-Type */
		{"empty_first_chunk", "abcd", B("xyz"), 0, 3, 0, "1-0/3", NB},
		/* a body full of CR, LF, NUL, dashes and near-miss end lines */
		{"tricky_body", "abcd",
				WHOLE("\r\n\r\n-------abce$\r\n------abcd$\r\n\0\0-"
					  "\r\n-------abc\r\n-------\r"),
				0, "1-56/56", NB},
};

#define N_SEND ((int)(sizeof(send_cases) / sizeof(send_cases[0])))

START_TEST(test_send)
{
	const struct send_case *c = &send_cases[_i];
	sf_msrp_send_t f = send_of(c->tid, c->payload.s, 1, c->len, c->total);
	sf_msrp_frame_t fr;
	sf_buf_t out;

	f.success_report = c->success_report;
	out = send_round_trip(&f, &fr);
	if(c->wire.len > 0)
		buf_eq(out, c->wire.s, c->wire.len, c->name);
	buf_eq(fr.byte_range, c->range, strlen(c->range), c->name);
}
END_TEST

START_TEST(test_send_exactly_one_chunk)
{
	char pl[2048];
	size_t i;
	sf_msrp_send_t f;
	sf_msrp_frame_t fr;

	for(i = 0; i < sizeof(pl); i++)
		pl[i] = (char)('a' + i % 26);
	f = send_of("chunk1", pl, 1, sizeof(pl), sizeof(pl));
	send_round_trip(&f, &fr);
	BUF_EQ(fr.byte_range, "1-2048/2048");
	ck_assert_int_eq(fr.flag, '$');
}
END_TEST

/* 100 KB (and 100000 bytes: a short last chunk) in 2048-byte chunks */
static const size_t big_sizes[] = {100 * 1024, 100000};

START_TEST(test_send_chunked_100k)
{
	size_t total = big_sizes[_i], cs = 2048, start, n = 0, nchunks, i;
	unsigned char *pl = halloc(total), *re = halloc(total);
	unsigned int seed = 12345;
	char tid[16];
	sf_buf_t payload;
	int k, keep;

	for(i = 0; i < total; i++) {
		seed = seed * 1103515245u + 12345u;
		pl[i] = (unsigned char)(seed >> 16);
	}
	memset(re, 0xAA, total);
	payload.s = (const char *)pl;
	payload.len = total;
	for(k = 0;; k++) {
		snprintf(tid, sizeof(tid), "t%07d", k);
		if(sf_msrp_tid_ok(H(tid, strlen(tid)), payload))
			break;
	}
	keep = nheap;

	nchunks = (total + cs - 1) / cs;
	for(start = 1; start <= total; start += cs, n++) {
		size_t len = total - (start - 1) < cs ? total - (start - 1) : cs;
		sf_msrp_send_t f = send_of(tid, (const char *)pl, start, len, total);
		sf_msrp_frame_t fr;

		send_round_trip(&f, &fr);
		ck_assert_int_eq(fr.flag, n + 1 < nchunks ? '+' : '$');
		ck_assert(fr.range_start >= 1 && (size_t)fr.range_end <= total);
		memcpy(re + fr.range_start - 1, fr.body.s, fr.body.len);
		heap_free_to(keep);
	}
	ck_assert_uint_eq(n, nchunks);
	ck_assert(memcmp(pl, re, total) == 0);
}
END_TEST

/* all chunks of a payload in one buffer, parsed one after another */
START_TEST(test_send_chunks_stream)
{
	size_t total = 20000, cs = 2048, start, off = 0, used = 0, got = 0;
	char *pl = halloc(total), *stream = halloc(total + 64 * 300);
	char *re = halloc(total);
	sf_buf_t all;
	size_t i;
	int n = 0, r;

	for(i = 0; i < total; i++)
		pl[i] = (char)(i * 7 + i / 251);
	for(start = 1; start <= total; start += cs) {
		size_t len = total - (start - 1) < cs ? total - (start - 1) : cs;
		sf_msrp_send_t f = send_of("s7Kq", pl, start, len, total);
		r = sf_msrp_build_send(&f, stream + used, total + 64 * 300 - used);
		ck_assert_int_gt(r, 0);
		used += (size_t)r;
		n++;
	}
	all = H(stream, used);
	while(off < used) {
		sf_msrp_frame_t fr;
		sf_buf_t rest = {all.s + off, used - off};
		r = sf_msrp_parse(rest, &fr);
		ck_assert_int_gt(r, 0);
		memcpy(re + fr.range_start - 1, fr.body.s, fr.body.len);
		got++;
		off += (size_t)r;
		ck_assert_int_eq(fr.flag, off == used ? '$' : '+');
	}
	ck_assert_uint_eq(got, (size_t)n);
	ck_assert(memcmp(pl, re, total) == 0);
}
END_TEST

/* ---- responses --------------------------------------------------------- */

struct resp_case
{
	int code;
	const char *reason;
	const char *wire;
};

static const struct resp_case resp_cases[] = {
		{200, "OK",
				"MSRP d93kswow 200 OK\r\n"
				"To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
				"From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
				"-------d93kswow$\r\n"},
		{400, "Bad Request",
				"MSRP d93kswow 400 Bad Request\r\n"
				"To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
				"From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
				"-------d93kswow$\r\n"},
		{481, "Session Does Not Exist",
				"MSRP d93kswow 481 Session Does Not Exist\r\n"
				"To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
				"From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
				"-------d93kswow$\r\n"},
		{200, "",
				"MSRP d93kswow 200\r\n"
				"To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
				"From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
				"-------d93kswow$\r\n"},
};

#define N_RESP ((int)(sizeof(resp_cases) / sizeof(resp_cases[0])))

/* the inputs of sf_msrp_build_response() */
struct resp_args
{
	sf_buf_t tid;
	int code;
	sf_buf_t reason, to, from;
};

static int response_into(const void *arg, char *out, size_t size)
{
	const struct resp_args *a = arg;

	return sf_msrp_build_response(
			a->tid, a->code, a->reason, a->to, a->from, out, size);
}

START_TEST(test_response_roundtrip)
{
	const struct resp_case *c = &resp_cases[_i];
	sf_buf_t tid = HL("d93kswow"), to = HL(FROM), from = HL(TO);
	struct resp_args a = {
			tid, c->code, H(c->reason, strlen(c->reason)), to, from};
	size_t wl = strlen(c->wire);
	sf_msrp_frame_t fr;

	check_fit(response_into, &a, c->wire, wl, wl, "response");
	ck_assert_int_eq(parse_exact(H(c->wire, wl), &fr), (int)wl);
	ck_assert_int_eq(fr.is_request, 0);
	BUF_EQB(fr.tid, tid);
	ck_assert_uint_eq(fr.method.len, 0);
	ck_assert_int_eq(fr.code, c->code);
	buf_eq(fr.reason, c->reason, strlen(c->reason), "reason");
	BUF_EQB(fr.to_path, to);
	BUF_EQB(fr.from_path, from);
	ck_assert_uint_eq(fr.message_id.len, 0);
	ck_assert_uint_eq(fr.content_type.len, 0);
	ck_assert_uint_eq(fr.byte_range.len, 0);
	ck_assert_int_eq(fr.range_start, -1);
	ck_assert_uint_eq(fr.body.len, 0);
	ck_assert_int_eq(fr.flag, '$');
}
END_TEST

START_TEST(test_response_build_errors)
{
	char out[512];
	sf_buf_t tid = HL("abcd"), r = HL("OK"), to = HL("msrp://a"),
			 fr = HL("msrp://b"), none = {NULL, 0};

	ck_assert_int_gt(
			sf_msrp_build_response(tid, 200, r, to, fr, out, sizeof(out)), 0);
	ck_assert_int_eq(
			sf_msrp_build_response(tid, 99, r, to, fr, out, sizeof(out)), -1);
	ck_assert_int_eq(
			sf_msrp_build_response(tid, 1000, r, to, fr, out, sizeof(out)), -1);
	ck_assert_int_eq(
			sf_msrp_build_response(HL("abc"), 200, r, to, fr, out, sizeof(out)),
			-1);
	ck_assert_int_eq(sf_msrp_build_response(
							 tid, 200, HL("O\r\nK"), to, fr, out, sizeof(out)),
			-1);
	ck_assert_int_eq(
			sf_msrp_build_response(tid, 200, r, none, fr, out, sizeof(out)),
			-1);
	ck_assert_int_eq(
			sf_msrp_build_response(tid, 200, r, to, none, out, sizeof(out)),
			-1);
	ck_assert_int_eq(sf_msrp_build_response(tid, 200, r, to, fr, NULL, 0), -1);
	ck_assert_int_eq(sf_msrp_build_response(tid, 200, r, to, fr, out, 0), -1);
}
END_TEST

/* ---- sf_msrp_tid_ok ---------------------------------------------------- */

START_TEST(test_tid_ok)
{
	sf_buf_t none = {NULL, 0};

	ck_assert_int_eq(sf_msrp_tid_ok(HL("abcd"), none), 1);
	ck_assert_int_eq(sf_msrp_tid_ok(HL("a786hjs2"), HL("hello")), 1);
	ck_assert_int_eq(sf_msrp_tid_ok(HL("A1.+%=-z"), HL("x")), 1);
	ck_assert_int_eq(
			sf_msrp_tid_ok(HL("0123456789abcdefABCDEF0123456789"), none), 1);
	/* length */
	ck_assert_int_eq(sf_msrp_tid_ok(HL("abc"), none), 0);
	ck_assert_int_eq(
			sf_msrp_tid_ok(HL("0123456789abcdefABCDEF0123456789x"), none), 0);
	ck_assert_int_eq(sf_msrp_tid_ok(none, none), 0);
	/* characters */
	ck_assert_int_eq(sf_msrp_tid_ok(HL("ab_d"), none), 0);
	ck_assert_int_eq(sf_msrp_tid_ok(HL("ab d"), none), 0);
	ck_assert_int_eq(sf_msrp_tid_ok(HL("ab\0d"), none), 0);
	ck_assert_int_eq(sf_msrp_tid_ok(HL("-abcd"), none), 0);
	ck_assert_int_eq(sf_msrp_tid_ok(HL(".abcd"), none), 0);
	/* the payload */
	ck_assert_int_eq(sf_msrp_tid_ok(HL("abcd"), HL("x-------abcd")), 0);
	ck_assert_int_eq(sf_msrp_tid_ok(HL("abcd"), HL("-------abcd")), 0);
	ck_assert_int_eq(
			sf_msrp_tid_ok(HL("abcd"), HL("x\r\n-------abcd$\r\n")), 0);
	ck_assert_int_eq(sf_msrp_tid_ok(HL("abcd"), HL("------abcd")), 1);
	ck_assert_int_eq(sf_msrp_tid_ok(HL("abcd"), HL("-------abc")), 1);
	ck_assert_int_eq(sf_msrp_tid_ok(HL("abcd"), HL("-------abcD")), 1);
	ck_assert_int_eq(sf_msrp_tid_ok(HL("abcd"), HL("--------abcd")), 0);
}
END_TEST

/* ---- SEND build errors ------------------------------------------------- */

/* an sf_buf_t field of a builder's input set to an unusable value; a NULL
 * value with a length is set as it is */
struct bad_field
{
	const char *name;
	size_t off;
	struct tbuf v;
};

/* ok (size bytes) with each bad field in turn: refused by build */
static void check_bad_fields(unit_build_fn build, const void *ok, size_t size,
		const struct bad_field *b, size_t n)
{
	char out[1024];
	size_t i;

	for(i = 0; i < n; i++) {
		char *m = halloc(size);
		sf_buf_t v = {NULL, b[i].v.len};

		if(b[i].v.s != NULL)
			v = H(b[i].v.s, b[i].v.len);
		memcpy(m, ok, size);
		memcpy(m + b[i].off, &v, sizeof(v));
		ck_assert_msg(
				build(m, out, sizeof(out)) == -1, "%s: not refused", b[i].name);
	}
}

#define SEND_FIELD(f) offsetof(sf_msrp_send_t, f)

static const struct bad_field send_bad[] = {
		{"tid_short", SEND_FIELD(tid), B("abc")},
		{"tid_slash", SEND_FIELD(tid), B("ab/d")},
		{"no_to_path", SEND_FIELD(to_path), NB},
		{"from_path_crlf", SEND_FIELD(from_path), B("msrp://a\r\nX: y")},
		{"message_id_lf", SEND_FIELD(message_id), B("12\n34")},
		{"no_content_type", SEND_FIELD(content_type), NB},
		{"chunk_null", SEND_FIELD(chunk), {NULL, 5}},
};

START_TEST(test_send_build_errors)
{
	/* Byte-Ranges that do not hold the 5-byte chunk: 0-4/5, 1-5/4, 2-6/5 */
	static const size_t range[3][2] = {{0, 5}, {1, 4}, {2, 5}};
	char out[1024];
	sf_msrp_send_t ok = send_of("abcd", "hello", 1, 5, 5), f;
	int i;

	ck_assert_int_gt(sf_msrp_build_send(&ok, out, sizeof(out)), 0);
	ck_assert_int_eq(sf_msrp_build_send(NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(sf_msrp_build_send(&ok, NULL, 0), -1);
	ck_assert_int_eq(sf_msrp_build_send(&ok, out, 0), -1);
	check_bad_fields(send_into, &ok, sizeof(ok), send_bad,
			sizeof(send_bad) / sizeof(send_bad[0]));
	for(i = 0; i < 3; i++) {
		f = ok;
		f.start = range[i][0];
		f.total = range[i][1];
		ck_assert_int_eq(sf_msrp_build_send(&f, out, sizeof(out)), -1);
	}
	/* a chunk holding the end line */
	f = ok;
	f.chunk = HL("a-------abcd");
	f.total = f.chunk.len;
	ck_assert_int_eq(sf_msrp_build_send(&f, out, sizeof(out)), -1);
	/* a chunk in the middle */
	f = ok;
	f.start = 3;
	f.total = 100;
	ck_assert_int_gt(sf_msrp_build_send(&f, out, sizeof(out)), 0);
	ck_assert(strstr(out, "Byte-Range: 3-7/100\r\n") != NULL);
	ck_assert(strstr(out, "-------abcd+\r\n") != NULL);
}
END_TEST

/* ---- malformed frames -------------------------------------------------- */

#define HDRS                      \
	"To-Path: msrp://b/x;tcp\r\n" \
	"From-Path: msrp://a/y;tcp\r\n"
#define SEND_START "MSRP abcd SEND\r\n" HDRS "Message-ID: m1\r\n"

struct bad_case
{
	const char *name;
	const char *s;
	size_t len;
};

#define BAD(n, lit)                 \
	{                               \
		(n), (lit), sizeof(lit) - 1 \
	}

static const struct bad_case bad_cases[] = {
		BAD("http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		BAD("lowercase_msrp", "msrp abcd SEND\r\n" HDRS "-------abcd$\r\n"),
		BAD("two_spaces", "MSRP  abcd SEND\r\n" HDRS "-------abcd$\r\n"),
		BAD("tab", "MSRP\tabcd SEND\r\n" HDRS "-------abcd$\r\n"),
		BAD("no_method", "MSRP abcd \r\n" HDRS "-------abcd$\r\n"),
		BAD("no_method_no_space", "MSRP abcd\r\n" HDRS "-------abcd$\r\n"),
		BAD("lowercase_method", "MSRP abcd send\r\n" HDRS "-------abcd$\r\n"),
		BAD("method_then_more", "MSRP abcd SEND x\r\n" HDRS "-------abcd$\r\n"),
		BAD("method_digit", "MSRP abcd SEND2\r\n" HDRS "-------abcd$\r\n"),
		BAD("start_lf_only", "MSRP abcd SEND\n" HDRS "-------abcd$\r\n"),
		BAD("start_cr_only", "MSRP abcd SEND\rx"),
		BAD("code_2_digits", "MSRP abcd 20 OK\r\n" HDRS "-------abcd$\r\n"),
		BAD("code_4_digits", "MSRP abcd 2000 OK\r\n" HDRS "-------abcd$\r\n"),
		BAD("code_below_100", "MSRP abcd 099 X\r\n" HDRS "-------abcd$\r\n"),
		BAD("code_letter", "MSRP abcd 2x0 OK\r\n" HDRS "-------abcd$\r\n"),
		BAD("reason_bare_lf", "MSRP abcd 200 O\nK\r\n" HDRS "-------abcd$\r\n"),
		BAD("tid_too_short", "MSRP abc SEND\r\n" HDRS "-------abc$\r\n"),
		BAD("tid_too_long",
				"MSRP 0123456789abcdefABCDEF0123456789x SEND\r\n" HDRS
				"-------0123456789abcdefABCDEF0123456789x$\r\n"),
		BAD("tid_too_long_cut", "MSRP 0123456789abcdefABCDEF0123456789x"),
		BAD("tid_bad_char", "MSRP ab_cd SEND\r\n" HDRS "-------ab_cd$\r\n"),
		BAD("tid_bad_char_slash", "MSRP ab/cd SEND\r\n"),
		BAD("tid_leading_dash", "MSRP -abcd SEND\r\n" HDRS "--------abcd$\r\n"),
		BAD("header_without_colon",
				"MSRP abcd SEND\r\nTo-Path msrp://b/x;tcp\r\n"
				"-------abcd$\r\n"),
		BAD("header_empty_name", "MSRP abcd SEND\r\n: x\r\n-------abcd$\r\n"),
		BAD("header_space_in_name",
				"MSRP abcd SEND\r\nTo Path: x\r\n-------abcd$\r\n"),
		BAD("header_leading_space",
				"MSRP abcd SEND\r\n" HDRS " folded\r\n-------abcd$\r\n"),
		BAD("header_bare_lf",
				"MSRP abcd SEND\r\nTo-Path: a\nb\r\n-------abcd$\r\n"),
		BAD("header_bare_cr",
				"MSRP abcd SEND\r\nTo-Path: a\rb\r\n-------abcd$\r\n"),
		BAD("blank_line_cr_only", "MSRP abcd SEND\r\n" HDRS "\rx"),
		BAD("range_end_x", SEND_START "Byte-Range: 1-x/10\r\n-------abcd+\r\n"),
		BAD("range_no_total", SEND_START "Byte-Range: 1-5\r\n-------abcd+\r\n"),
		BAD("range_total_x",
				SEND_START "Byte-Range: 1-5/10x\r\n-------abcd+\r\n"),
		BAD("range_negative",
				SEND_START "Byte-Range: -1-5/10\r\n-------abcd+\r\n"),
		BAD("range_start_star",
				SEND_START "Byte-Range: *-5/10\r\n-------abcd+\r\n"),
		BAD("range_spaces",
				SEND_START "Byte-Range: 1 - 5/10\r\n-------abcd+\r\n"),
		BAD("range_empty", SEND_START "Byte-Range:\r\n-------abcd+\r\n"),
		BAD("range_19_digits",
				SEND_START "Byte-Range: 1-1/1000000000000000000\r\n"
						   "-------abcd+\r\n"),
		BAD("end_line_wrong_tid", SEND_START "-------abce$\r\n"),
		BAD("end_line_short_tid", SEND_START "-------abc$\r\n"),
		BAD("end_line_long_tid", SEND_START "-------abcde$\r\n"),
		BAD("end_line_six_dashes", SEND_START "------abcd$\r\n"),
		BAD("end_line_bad_flag", SEND_START "-------abcd!\r\n"),
		BAD("end_line_no_flag", SEND_START "-------abcd\r\n"),
		BAD("end_line_bad_flag_after_body",
				SEND_START "Content-Type: text/plain\r\n\r\nhi\r\n"
						   "-------abcd*\r\n"),
		BAD("body_holds_end_line",
				SEND_START "Content-Type: text/plain\r\n\r\nhi\r\n"
						   "-------abcdX\r\n-------abcd$\r\n"),
		BAD("end_line_no_crlf", SEND_START "-------abcd$x\r\n"),
		BAD("end_line_lf_only", SEND_START "-------abcd$\n"),
		BAD("response_with_body",
				"MSRP abcd 200 OK\r\n" HDRS "\r\nhi\r\n-------abcd$\r\n"),
		BAD("response_with_empty_body",
				"MSRP abcd 200 OK\r\n" HDRS "\r\n\r\n-------abcd$\r\n"),
};

#define N_BAD ((int)(sizeof(bad_cases) / sizeof(bad_cases[0])))

START_TEST(test_parse_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	sf_buf_t in = H(c->s, c->len);
	sf_msrp_frame_t fr;
	int r = sf_msrp_parse(in, &fr);

	ck_assert_msg(
			r == SF_MSRP_EBAD, "%s: parse = %d, expected EBAD", c->name, r);
	/* and without a frame to fill */
	ck_assert_int_eq(sf_msrp_parse(in, NULL), SF_MSRP_EBAD);
}
END_TEST

/* over the header limit, with the headers complete or still coming */
static void pad_frame(char *buf, size_t *len, size_t hdr_total, int more)
{
	static const char start[] = "MSRP abcd SEND\r\nX-Pad: ";
	size_t n = sizeof(start) - 1;

	memcpy(buf, start, n);
	memset(buf + n, 'p', hdr_total - n - 2);
	n = hdr_total - 2;
	memcpy(buf + n, "\r\n", 2);
	n += 2;
	if(more) {
		memcpy(buf + n, "-------abcd$\r\n", 14);
		n += 14;
	}
	*len = n;
}

START_TEST(test_header_limit)
{
	static char buf[SF_MSRP_MAX_HEADERS + 100];
	size_t len, i;
	sf_msrp_frame_t fr;
	sf_buf_t in;

	/* exactly at the limit: fine */
	pad_frame(buf, &len, SF_MSRP_MAX_HEADERS, 1);
	ck_assert_int_eq(parse_exact(H(buf, len), &fr), (int)len);
	ck_assert_int_eq(fr.flag, '$');
	/* one byte over */
	pad_frame(buf, &len, SF_MSRP_MAX_HEADERS + 1, 1);
	ck_assert_int_eq(parse_exact(H(buf, len), &fr), SF_MSRP_EBAD);
	/* a header line still coming, already past the limit */
	pad_frame(buf, &len, SF_MSRP_MAX_HEADERS + 50, 0);
	ck_assert_int_eq(parse_exact(H(buf, len - 2), &fr), SF_MSRP_EBAD);
	/* ... and below it: wait */
	ck_assert_int_eq(parse_exact(H(buf, 8000), &fr), SF_MSRP_INCOMPLETE);
	/* many short headers over the limit */
	len = 0;
	memcpy(buf, "MSRP abcd SEND\r\n", 16);
	len = 16;
	for(i = 0; len + 6 <= sizeof(buf); i++) {
		memcpy(buf + len, "A: b\r\n", 6);
		len += 6;
	}
	in = H(buf, len);
	ck_assert_int_eq(sf_msrp_parse(in, &fr), SF_MSRP_EBAD);
	/* a start line over the limit */
	memcpy(buf, "MSRP abcd 200 ", 14);
	memset(buf + 14, 'r', sizeof(buf) - 14);
	ck_assert_int_eq(parse_exact(H(buf, sizeof(buf)), &fr), SF_MSRP_EBAD);
	memcpy(buf, "MSRP abcd ", 10);
	memset(buf + 10, 'M', sizeof(buf) - 10);
	ck_assert_int_eq(parse_exact(H(buf, sizeof(buf)), &fr), SF_MSRP_EBAD);
}
END_TEST

/* ---- valid frames: fields, every proper prefix, back to back ----------- */

struct good_case
{
	const char *name;
	const char *s;
	size_t len;
	const char *tid;
	int paths; /* HDRS: To-Path msrp://b/x;tcp, From-Path msrp://a/y;tcp */
	int is_request;
	const char *method; /* or the reason for a response */
	int code;
	const char *ct;
	long long rs, re, rt;
	const char *body;
	size_t blen;
	char flag;
};

#define GOOD(n, lit) .name = (n), .s = (lit), .len = sizeof(lit) - 1
#define BODY(lit) .body = (lit), .blen = sizeof(lit) - 1

static const struct good_case good_cases[] = {
		{GOOD("sample_send", SAMPLE_SEND), .tid = "a786hjs2", .paths = 0,
				.is_request = 1, .method = "SEND", .ct = "text/plain", .rs = 1,
				.re = 23, .rt = 23, BODY("Hey Bob, are you there?"),
				.flag = '$'},
		{GOOD("report_no_body",
				 "MSRP dkei38sd REPORT\r\n" HDRS "Message-ID: 12339sdqwer\r\n"
				 "Byte-Range: 1-106/106\r\n"
				 "Status: 000 200 OK\r\n"
				 "-------dkei38sd$\r\n"),
				.tid = "dkei38sd", .paths = 1, .is_request = 1,
				.method = "REPORT", .ct = "", .rs = 1, .re = 106, .rt = 106,
				BODY(""), .flag = '$'},
		{GOOD("response_trailing_space",
				 "MSRP abcd 200 \r\n" HDRS "-------abcd$\r\n"),
				.tid = "abcd", .paths = 1, .is_request = 0, .method = "",
				.code = 200, .ct = "", .rs = -1, .re = -1, .rt = -1, BODY(""),
				.flag = '$'},
		{GOOD("response_no_headers",
				 "MSRP abcd 999 x y  z\r\n-------abcd#\r\n"),
				.tid = "abcd", .paths = 0, .is_request = 0, .method = "x y  z",
				.code = 999, .ct = "", .rs = -1, .re = -1, .rt = -1, BODY(""),
				.flag = '#'},
		{GOOD("interrupted_chunk",
				 "MSRP abcd SEND\r\n" HDRS "Byte-Range: 1-100/200\r\n"
				 "Content-Type: text/plain\r\n\r\nshort\r\n-------abcd+\r\n"),
				.tid = "abcd", .paths = 1, .is_request = 1, .method = "SEND",
				.ct = "text/plain", .rs = 1, .re = 100, .rt = 200,
				BODY("short"), .flag = '+'},
		{GOOD("stars", "MSRP abcd SEND\r\n" HDRS "byte-range:   1-*/*  \r\n"
					   "CONTENT-TYPE:text/html\r\n\r\n<b>\r\n-------abcd$\r\n"),
				.tid = "abcd", .paths = 1, .is_request = 1, .method = "SEND",
				.ct = "text/html", .rs = 1, .re = -1, .rt = -1, BODY("<b>"),
				.flag = '$'},
		{GOOD("aborted", "MSRP abcd SEND\r\n" HDRS "Byte-Range: 1-5/5\r\n"
						 "Content-Type: a/b\r\n\r\nab\r\n-------abcd#\r\n"),
				.tid = "abcd", .paths = 1, .is_request = 1, .method = "SEND",
				.ct = "a/b", .rs = 1, .re = 5, .rt = 5, BODY("ab"),
				.flag = '#'},
		{GOOD("blank_then_end_line",
				 "MSRP abcd SEND\r\n" HDRS "Content-Type: a/b\r\n\r\n"
				 "-------abcd+\r\n"),
				.tid = "abcd", .paths = 1, .is_request = 1, .method = "SEND",
				.ct = "a/b", .rs = -1, .re = -1, .rt = -1, BODY(""),
				.flag = '+'},
		{GOOD("empty_data", "MSRP abcd SEND\r\n" HDRS "Byte-Range: 1-0/0\r\n"
							"Content-Type: a/b\r\n\r\n\r\n-------abcd$\r\n"),
				.tid = "abcd", .paths = 1, .is_request = 1, .method = "SEND",
				.ct = "a/b", .rs = 1, .re = 0, .rt = 0, BODY(""), .flag = '$'},
		{GOOD("body_other_end_lines",
				 "MSRP abcd SEND\r\n" HDRS "Other-MIME: x\r\n"
				 "Content-Type: a/b\r\n\r\n"
				 "\r\n-------abce$\r\n-------abc\0\r\n\r\n-------abcd$\r\n"),
				.tid = "abcd", .paths = 1, .is_request = 1, .method = "SEND",
				.ct = "a/b", .rs = -1, .re = -1, .rt = -1,
				BODY("\r\n-------abce$\r\n-------abc\0\r\n"), .flag = '$'},
		{GOOD("large_numbers",
				 "MSRP abcd SEND\r\n" HDRS
				 "Byte-Range: 999999999999999998-999999999999999997/"
				 "999999999999999999\r\n-------abcd+\r\n"),
				.tid = "abcd", .paths = 1, .is_request = 1, .method = "SEND",
				.ct = "", .rs = 999999999999999998LL,
				.re = 999999999999999997LL, .rt = 999999999999999999LL,
				BODY(""), .flag = '+'},
};

#define N_GOOD ((int)(sizeof(good_cases) / sizeof(good_cases[0])))

static void check_good(const struct good_case *c, const sf_msrp_frame_t *fr)
{
	ck_assert_int_eq(fr->is_request, c->is_request);
	buf_eq(fr->tid, c->tid, strlen(c->tid), "tid");
	if(c->paths) {
		BUF_EQ(fr->to_path, "msrp://b/x;tcp");
		BUF_EQ(fr->from_path, "msrp://a/y;tcp");
	}
	if(c->is_request) {
		buf_eq(fr->method, c->method, strlen(c->method), c->name);
		ck_assert_uint_eq(fr->reason.len, 0);
	} else {
		buf_eq(fr->reason, c->method, strlen(c->method), c->name);
		ck_assert_int_eq(fr->code, c->code);
		ck_assert_uint_eq(fr->method.len, 0);
	}
	buf_eq(fr->content_type, c->ct, strlen(c->ct), "content_type");
	ck_assert_int_eq(fr->range_start, c->rs);
	ck_assert_int_eq(fr->range_end, c->re);
	ck_assert_int_eq(fr->range_total, c->rt);
	buf_eq(fr->body, c->body, c->blen, "body");
	ck_assert_int_eq(fr->flag, c->flag);
}

START_TEST(test_parse_good)
{
	const struct good_case *c = &good_cases[_i];
	sf_msrp_frame_t fr;

	ck_assert_msg(
			parse_exact(H(c->s, c->len), &fr) == (int)c->len, "%s", c->name);
	check_good(c, &fr);
	ck_assert_int_eq(sf_msrp_parse(H(c->s, c->len), NULL), (int)c->len);
}
END_TEST

/* every proper prefix of a valid frame: INCOMPLETE */
START_TEST(test_parse_prefixes)
{
	const struct good_case *c = &good_cases[_i];
	size_t k;

	for(k = 0; k < c->len; k++) {
		sf_msrp_frame_t fr;
		sf_buf_t in = H(c->s, k);
		int r = sf_msrp_parse(in, &fr);
		ck_assert_msg(r == SF_MSRP_INCOMPLETE,
				"%s: prefix of %zu/%zu bytes gave %d", c->name, k, c->len, r);
		heap_free();
	}
}
END_TEST

/* the prefixes of the sample, the empty SEND and a response built here */
START_TEST(test_parse_prefixes_built)
{
	sf_msrp_send_t f = send_of("empty1", "", 1, 0, 0);
	sf_buf_t fr[3];
	char resp[256];
	int rl, i, keep;
	size_t k;

	fr[0] = build_send_exact(&f);
	f = send_of("x9", "abc", 1, 3, 3);
	f.tid = HL("zz-top.1");
	f.success_report = 1;
	fr[1] = build_send_exact(&f);
	rl = sf_msrp_build_response(HL("zz-top.1"), 481, HL("No Session"),
			HL("msrp://a"), HL("msrp://b"), resp, sizeof(resp));
	ck_assert_int_gt(rl, 0);
	fr[2] = H(resp, (size_t)rl);
	keep = nheap;
	for(i = 0; i < 3; i++) {
		for(k = 0; k < fr[i].len; k++) {
			ck_assert_int_eq(
					parse_exact(H(fr[i].s, k), NULL), SF_MSRP_INCOMPLETE);
			heap_free_to(keep);
		}
		ck_assert_int_eq(parse_exact(fr[i], NULL), (int)fr[i].len);
	}
}
END_TEST

START_TEST(test_parse_null_empty)
{
	sf_buf_t none = {NULL, 0}, null_len = {NULL, 5};
	sf_msrp_frame_t fr;

	ck_assert_int_eq(sf_msrp_parse(none, &fr), SF_MSRP_INCOMPLETE);
	ck_assert_int_eq(sf_msrp_parse(none, NULL), SF_MSRP_INCOMPLETE);
	ck_assert_int_eq(sf_msrp_parse(null_len, &fr), SF_MSRP_INCOMPLETE);
	ck_assert_int_eq(sf_msrp_parse(HL("M"), &fr), SF_MSRP_INCOMPLETE);
	ck_assert_int_eq(sf_msrp_parse(HL("X"), &fr), SF_MSRP_EBAD);
	ck_assert_int_eq(sf_msrp_parse(HL("\r\n"), &fr), SF_MSRP_EBAD);
}
END_TEST

START_TEST(test_back_to_back)
{
	static const char two[] =
			SAMPLE_SEND "MSRP d93kswow 200 OK\r\n" HDRS "-------d93kswow$\r\n"
						"MSRP abcd SEN";
	sf_buf_t in = HL(two);
	size_t l1 = sizeof(SAMPLE_SEND) - 1, l2;
	sf_msrp_frame_t fr;
	sf_buf_t rest;

	ck_assert_int_eq(sf_msrp_parse(in, &fr), (int)l1);
	BUF_EQ(fr.tid, "a786hjs2");
	BUF_EQ(fr.body, "Hey Bob, are you there?");
	rest.s = in.s + l1;
	rest.len = in.len - l1;
	l2 = sizeof("MSRP d93kswow 200 OK\r\n" HDRS "-------d93kswow$\r\n") - 1;
	ck_assert_int_eq(sf_msrp_parse(rest, &fr), (int)l2);
	ck_assert_int_eq(fr.is_request, 0);
	ck_assert_int_eq(fr.code, 200);
	BUF_EQ(fr.reason, "OK");
	BUF_EQ(fr.tid, "d93kswow");
	rest.s += l2;
	rest.len -= l2;
	ck_assert_int_eq(sf_msrp_parse(rest, &fr), SF_MSRP_INCOMPLETE);
}
END_TEST

/* the first instance of a header counts */
START_TEST(test_duplicate_headers)
{
	sf_msrp_frame_t fr;
	sf_buf_t in = HL("MSRP abcd SEND\r\nTo-Path: one\r\nTo-Path: two\r\n"
					 "Byte-Range: 1-0/5\r\nByte-Range: 1-0/9\r\n"
					 "-------abcd+\r\n");

	ck_assert_int_eq(sf_msrp_parse(in, &fr), (int)in.len);
	BUF_EQ(fr.to_path, "one");
	BUF_EQ(fr.byte_range, "1-0/5");
	ck_assert_int_eq(fr.range_total, 5);
	ck_assert_uint_eq(fr.from_path.len, 0);
	ck_assert_uint_eq(fr.message_id.len, 0);
}
END_TEST

/* ---- message/sip ------------------------------------------------------- */

#define SIP_HEAD                                                       \
	"MESSAGE sip:bob@example.com SIP/2.0\r\n"                          \
	"From: \"Alice Smith\" <sip:alice@example.com>;tag=1928301774\r\n" \
	"To: <sip:bob@example.com>\r\n"                                    \
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n"                     \
	"CSeq: 314159 MESSAGE\r\n"

static sf_sipmsg_t sipmsg_sample(void)
{
	sf_sipmsg_t m;

	memset(&m, 0, sizeof(m));
	m.ruri = HL("sip:bob@example.com");
	m.from = HL("\"Alice Smith\" <sip:alice@example.com>;tag=1928301774");
	m.to = HL("<sip:bob@example.com>");
	m.call_id = HL("a84b4c76e66710@pc33.example.com");
	m.cseq = 314159;
	m.headers = HL("Subject: hi\r\n");
	m.content_type = HL("application/octet-stream");
	m.body = HL("Hello\0World\0");
	m.date = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
	return m;
}

static int sipmsg_into(const void *m, char *out, size_t size)
{
	return sf_sipmsg_build(m, out, size);
}

/* the sample with other headers, or with no headers, Content-Type, body
 * or date (minimal) */
struct sip_case
{
	const char *name;
	const char *headers; /* NULL: the sample's */
	int minimal;
	struct tbuf exp;
};

#define SIP_TAIL                                 \
	"Content-Type: application/octet-stream\r\n" \
	"Content-Length: 12\r\n"                     \
	"\r\n"                                       \
	"Hello\0World\0"

static const struct sip_case sip_cases[] = {
		{"date_added", NULL, 0,
				B(SIP_HEAD "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
						   "Subject: hi\r\n" SIP_TAIL)},
		{"date_present",
				"Subject: hi\r\ndATe : Tue, 15 Nov 1994 08:12:31 GMT\r\n", 0,
				B(SIP_HEAD
						"Subject: hi\r\n"
						"dATe : Tue, 15 Nov 1994 08:12:31 GMT\r\n" SIP_TAIL)},
		{"x_date_is_not_date", "X-Date: 1\r\nDated: 2\r\n", 0,
				B(SIP_HEAD "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
						   "X-Date: 1\r\nDated: 2\r\n" SIP_TAIL)},
		{"minimal", NULL, 1, B(SIP_HEAD "Content-Length: 0\r\n\r\n")},
};

#define N_SIP ((int)(sizeof(sip_cases) / sizeof(sip_cases[0])))

START_TEST(test_sipmsg)
{
	const struct sip_case *c = &sip_cases[_i];
	sf_sipmsg_t m = sipmsg_sample();
	char *big = halloc(c->exp.len + 1);

	if(c->headers != NULL)
		m.headers = H(c->headers, strlen(c->headers));
	if(c->minimal) {
		m.headers = H(NULL, 0);
		m.content_type = H(NULL, 0);
		m.body = H(NULL, 0);
		m.date = 0;
	}
	check_fit(sipmsg_into, &m, c->exp.s, c->exp.len, c->exp.len, c->name);
	/* NUL-terminated when there is room */
	memset(big, 'x', c->exp.len + 1);
	ck_assert_int_eq(sf_sipmsg_build(&m, big, c->exp.len + 1), (int)c->exp.len);
	ck_assert_int_eq(big[c->exp.len], '\0');
}
END_TEST

#define SIP_FIELD(f) offsetof(sf_sipmsg_t, f)

static const struct bad_field sip_bad[] = {
		{"no_ruri", SIP_FIELD(ruri), NB},
		{"ruri_crlf", SIP_FIELD(ruri), B("sip:a\r\n@b")},
		{"no_from", SIP_FIELD(from), NB},
		{"from_cr", SIP_FIELD(from), B("<sip:a@b>\r")},
		{"to_lf", SIP_FIELD(to), B("<sip:\nb@c>")},
		{"no_to", SIP_FIELD(to), NB},
		{"no_call_id", SIP_FIELD(call_id), NB},
		{"call_id_crlf", SIP_FIELD(call_id), B("x\r\nBye: 1")},
		{"headers_no_crlf", SIP_FIELD(headers), B("Subject: hi")},
		{"headers_lf", SIP_FIELD(headers), B("Subject: hi\n")},
		{"headers_bare_lf", SIP_FIELD(headers), B("\n")},
		{"content_type_crlf", SIP_FIELD(content_type), B("text/plain\r\nX: y")},
		{"body_null", SIP_FIELD(body), {NULL, 12}},
};

START_TEST(test_sipmsg_errors)
{
	sf_sipmsg_t ok = sipmsg_sample();
	char out[1024];

	ck_assert_int_gt(sf_sipmsg_build(&ok, out, sizeof(out)), 0);
	ck_assert_int_eq(sf_sipmsg_build(NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(sf_sipmsg_build(&ok, NULL, 0), -1);
	ck_assert_int_eq(sf_sipmsg_build(&ok, out, 0), -1);
	check_bad_fields(sipmsg_into, &ok, sizeof(ok), sip_bad,
			sizeof(sip_bad) / sizeof(sip_bad[0]));
}
END_TEST

static void setup(void)
{
	nheap = 0;
}


/* ---- issue 12 item 8: Failure-Report and the server's verdicts ---------- */

static int parse_lit(const char *lit, sf_msrp_frame_t *f)
{
	return sf_msrp_parse(H(lit, strlen(lit)), f);
}

#define OURS "msrp://127.0.0.1:2855/abc;tcp"
#define REQ(method, to, extra)                                           \
	"MSRP t1234 " method "\r\nTo-Path: " to "\r\n"                       \
	"From-Path: msrp://127.0.0.1:9/c;tcp\r\n" extra "Message-ID: m1\r\n" \
	"Byte-Range: 1-0/0\r\n-------t1234$\r\n"

struct serve_case
{
	const char *frame;
	int bound;
	int act;
	int code;
};

static const struct serve_case serve_cases[] = {
		/* unbound: a SEND binds, anything else is refused and closed */
		{REQ("SEND", OURS, ""), 0, SF_MSRP_ACT_BIND, 0},
		{REQ("REPORT", OURS, ""), 0, SF_MSRP_ACT_CLOSE, 481},
		{REQ("REPORT", OURS, "Failure-Report: no\r\n"), 0, SF_MSRP_ACT_CLOSE,
				0},
		{"MSRP t1234 200 OK\r\nTo-Path: " OURS
		 "\r\nFrom-Path: msrp://x:1/y;tcp\r\n-------t1234$\r\n",
				0, SF_MSRP_ACT_CLOSE, 0},
		/* bound: its own session only */
		{REQ("SEND", OURS, ""), 1, SF_MSRP_ACT_RESPOND, 200},
		{REQ("SEND", "msrp://127.0.0.1:2855/other;tcp", ""), 1,
				SF_MSRP_ACT_RESPOND, 481},
		{REQ("SEND", OURS, "Failure-Report: no\r\n"), 1, SF_MSRP_ACT_NONE, 0},
		{REQ("SEND", OURS, "Failure-Report: partial\r\n"), 1, SF_MSRP_ACT_NONE,
				0},
		{REQ("SEND", "msrp://x:1/other;tcp", "Failure-Report: partial\r\n"), 1,
				SF_MSRP_ACT_RESPOND, 481},
		{REQ("SEND", "msrp://x:1/other;tcp", "Failure-Report: NO\r\n"), 1,
				SF_MSRP_ACT_NONE, 0},
		{REQ("SEND", OURS, "Failure-Report: yes\r\n"), 1, SF_MSRP_ACT_RESPOND,
				200},
		{REQ("REPORT", OURS, ""), 1, SF_MSRP_ACT_NONE, 0},
		{REQ("NICKNAME", OURS, ""), 1, SF_MSRP_ACT_RESPOND, 501},
		{"MSRP t1234 200 OK\r\nTo-Path: " OURS
		 "\r\nFrom-Path: msrp://x:1/y;tcp\r\n-------t1234$\r\n",
				1, SF_MSRP_ACT_RESULT, 0},
};
#define N_SERVE ((int)(sizeof(serve_cases) / sizeof(serve_cases[0])))

START_TEST(test_serve)
{
	const struct serve_case *c = &serve_cases[_i];
	sf_msrp_frame_t f;
	sf_msrp_verdict_t v;
	char *copy = strdup(c->frame);

	ck_assert_int_gt(parse_lit(copy, &f), 0);
	ck_assert_int_eq(
			sf_msrp_serve(&f, c->bound, H(OURS, strlen(OURS)), &v), c->act);
	ck_assert_int_eq(v.act, c->act);
	ck_assert_int_eq(v.code, c->code);
	free(copy);
}
END_TEST

START_TEST(test_failure_report_parsed)
{
	sf_msrp_frame_t f;
	char *copy = strdup(REQ("SEND", OURS, "Failure-Report:  partial \r\n"));

	ck_assert_int_gt(parse_lit(copy, &f), 0);
	ck_assert_uint_eq(f.failure_report.len, 7);
	ck_assert(memcmp(f.failure_report.s, "partial", 7) == 0);
	ck_assert_int_eq(sf_msrp_may_respond(&f, 200), 0);
	ck_assert_int_eq(sf_msrp_may_respond(&f, 481), 1);
	free(copy);
}
END_TEST


/* ---- the one chunker (issue 13: the loop was written twice) ------------ */

START_TEST(test_chunks)
{
	static char payload[5000];
	char *out = malloc(8192), got[5000];
	sf_msrp_send_t t;
	sf_msrp_frame_t f;
	size_t k, have = 0;
	int n;

	memset(payload, 'p', sizeof(payload));
	memset(&t, 0, sizeof(t));
	t.to_path = H("msrp://a:1/x;tcp", 16);
	t.from_path = H("msrp://b:2/y;tcp", 16);
	t.message_id = H("m1", 2);
	t.content_type = H("message/sip", 11);
	ck_assert_uint_eq(sf_msrp_chunks(5000, 2048), 3);
	ck_assert_uint_eq(sf_msrp_chunks(4096, 2048), 2);
	ck_assert_uint_eq(sf_msrp_chunks(0, 2048), 1);
	for(k = 0; k < 3; k++) {
		char tid[16];
		n = sf_msrp_build_chunk(&t, H(payload, sizeof(payload)), 2048, k,
				H("abcd", 4), out, 8192);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(sf_msrp_parse(H(out, (size_t)n), &f), n);
		snprintf(tid, sizeof(tid), "abcd%zu", k);
		ck_assert_uint_eq(f.tid.len, strlen(tid));
		ck_assert(memcmp(f.tid.s, tid, f.tid.len) == 0);
		ck_assert_int_eq(f.range_start, (long long)(k * 2048 + 1));
		ck_assert_int_eq(f.range_total, 5000);
		ck_assert_int_eq(f.flag, k == 2 ? '$' : '+');
		memcpy(got + have, f.body.s, f.body.len);
		have += f.body.len;
	}
	ck_assert_uint_eq(have, sizeof(payload));
	ck_assert(memcmp(got, payload, have) == 0);
	/* past the last chunk, no prefix, too long a prefix: refused */
	ck_assert_int_eq(sf_msrp_build_chunk(&t, H(payload, sizeof(payload)), 2048,
							 3, H("abcd", 4), out, 8192),
			-1);
	ck_assert_int_eq(
			sf_msrp_build_chunk(&t, H(payload, sizeof(payload)), 2048, 0,
					H("abcdefghijklmnopqrstuvwxyz012345", 32), out, 8192),
			-1);
	/* an empty payload: one empty SEND */
	n = sf_msrp_build_chunk(&t, H(NULL, 0), 2048, 0, H("abcd", 4), out, 8192);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sf_msrp_parse(H(out, (size_t)n), &f), n);
	ck_assert_uint_eq(f.body.len, 0);
	free(out);
}
END_TEST

Suite *msrp_suite(void)
{
	const struct unit_test t[] = {
			UT_CASE_TIMEOUT("send", 60),
			UT_LOOP(test_send, N_SEND),
			UT(test_send_exactly_one_chunk),
			UT_LOOP(test_send_chunked_100k, 2),
			UT(test_send_chunks_stream),
			UT(test_send_build_errors),
			UT(test_tid_ok),
			UT_CASE("response"),
			UT_LOOP(test_response_roundtrip, N_RESP),
			UT(test_response_build_errors),
			UT_CASE_TIMEOUT("parse", 60),
			UT_LOOP(test_parse_bad, N_BAD),
			UT(test_header_limit),
			UT_LOOP(test_parse_good, N_GOOD),
			UT_LOOP(test_parse_prefixes, N_GOOD),
			UT(test_parse_prefixes_built),
			UT(test_parse_null_empty),
			UT(test_back_to_back),
			UT(test_duplicate_headers),
			UT_CASE("chunks"),
			UT(test_chunks),
			UT_CASE("serve"),
			UT_LOOP(test_serve, N_SERVE),
			UT(test_failure_report_parsed),
			UT_CASE("sipmsg"),
			UT_LOOP(test_sipmsg, N_SIP),
			UT(test_sipmsg_errors),
	};

	return UNIT_SUITE("sf_msrp", t, setup, heap_free);
}
