/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: unit tests of the MIME helpers
 *
 * Table-driven tests of sf_mime.h, written from its contract. Every input
 * range is copied into a heap block of exactly its length (NULL when the
 * length is 0), so that AddressSanitizer catches any read past its end;
 * results are compared as offsets into the input.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_mime.h"
#include "sf_text.h"
#include "unit_util.h"


/* a range equal to the expected bytes */
static void check_range(
		const char *what, const char *name, sf_buf_t got, struct tbuf exp)
{
	char g[512], e[512];

	ck_assert_msg(
			got.len == exp.len
					&& (exp.len == 0 || memcmp(got.s, exp.s, exp.len) == 0),
			"%s %s: got \"%s\", expected \"%s\"", name, what,
			show(got.s, got.len, g, sizeof(g)),
			show(exp.s, exp.len, e, sizeof(e)));
}

/* ---- sf_mime_type ------------------------------------------------------ */

struct type_case
{
	const char *name;
	struct tbuf ct;
	struct tbuf type;
	int has_params;
	struct tbuf params;
};

static const struct type_case type_cases[] = {
		{"plain", B("text/plain"), B("text/plain"), 0, NB},
		{"params", B(" Multipart/Mixed ; boundary=x"), B("Multipart/Mixed"), 1,
				B(" boundary=x")},
		{"tight", B("multipart/mixed;boundary=x;a=b"), B("multipart/mixed"), 1,
				B("boundary=x;a=b")},
		{"semi_at_end", B("a/b;"), B("a/b"), 1, NB},
		{"blanks_only", B(" \t\r\n"), NB, 0, NB},
		{"empty", NB, NB, 0, NB},
		{"only_params", B(";boundary=x"), NB, 1, B("boundary=x")},
		{"nul_in_type", B("a\0b/c; d=e"), B("a\0b/c"), 1, B(" d=e")},
};

#define N_TYPE ((int)(sizeof(type_cases) / sizeof(type_cases[0])))

START_TEST(test_type)
{
	const struct type_case *c = &type_cases[_i];
	sf_buf_t ct = dup_buf(&c->ct), params = {(const char *)1, 99}, mt;

	mt = sf_mime_type(ct, &params);
	check_range("type", c->name, mt, c->type);
	ck_assert_msg((params.s != NULL) == c->has_params, "%s: params %s", c->name,
			params.s ? "present" : "absent");
	if(c->has_params)
		check_range("params", c->name, params, c->params);
	else
		ck_assert_uint_eq(params.len, 0);
	/* params may be NULL */
	mt = sf_mime_type(ct, NULL);
	check_range("type", c->name, mt, c->type);
	free_buf(&ct);
}
END_TEST

/* ---- sf_mime_param ----------------------------------------------------- */

struct param_case
{
	const char *name;
	struct tbuf params;
	const char *pname;
	int ret;
	struct tbuf value;
};

static const struct param_case param_cases[] = {
		{"token", B("; boundary=abc"), "boundary", 0, B("abc")},
		{"no_leading_semi", B("boundary=abc"), "boundary", 0, B("abc")},
		{"quoted", B(";boundary=\"a b;c\""), "boundary", 0, B("a b;c")},
		{"case_and_blanks", B("; charset=utf-8; Boundary = xyz "), "boundary",
				0, B("xyz")},
		{"second_of_three", B("; a=1; b=\"2\"; c=3"), "b", 0, B("2")},
		{"last", B("; a=1; b=2; c=3"), "c", 0, B("3")},
		{"absent", B("; a=1; b=2"), "c", -1, NB},
		{"item_without_eq", B("; novalue; boundary=x"), "boundary", 0, B("x")},
		{"unclosed_quote_before", B("; a=\"unterminated; boundary=x"),
				"boundary", -1, NB},
		{"unclosed_quote_own", B("; boundary=\"x"), "boundary", -1, NB},
		{"empty_value", B("; boundary="), "boundary", 0, NB},
		{"empty_value_then_more", B("; boundary=;a=b"), "boundary", 0, NB},
		{"empty_quoted", B("; boundary=\"\""), "boundary", 0, NB},
		{"first_wins", B(";boundary=a;boundary=b"), "boundary", 0, B("a")},
		{"no_prefix_match", B("; xboundary=1; boundary=2"), "boundary", 0,
				B("2")},
		{"no_suffix_match", B("; bound=1"), "boundary", -1, NB},
		{"token_ends_at_blank", B("; a=b c; d=e"), "a", 0, B("b")},
		{"after_junk_token", B("; a=b c; d=e"), "d", 0, B("e")},
		{"quoted_then_junk", B("; a=\"x\"junk; d=e"), "d", 0, B("e")},
		{"type_param", B("; type=\"application/resource-lists+xml\""), "type",
				0, B("application/resource-lists+xml")},
		{"crlf_folded", B(";\r\n\tboundary=x"), "boundary", 0, B("x")},
		{"null", NB, "boundary", -1, NB},
		{"only_semis", B(";;;"), "boundary", -1, NB},
};

#define N_PARAM ((int)(sizeof(param_cases) / sizeof(param_cases[0])))

START_TEST(test_param)
{
	const struct param_case *c = &param_cases[_i];
	sf_buf_t p = dup_buf(&c->params), v = {(const char *)1, 99};
	int ret;

	ret = sf_mime_param(p, c->pname, &v);
	ck_assert_msg(
			ret == c->ret, "%s: got %d, expected %d", c->name, ret, c->ret);
	if(ret == 0)
		check_range("value", c->name, v, c->value);
	else
		ck_assert_msg(
				v.s == NULL && v.len == 0, "%s: value not emptied", c->name);
	ck_assert_int_eq(sf_mime_param(p, c->pname, NULL), -1);
	ck_assert_int_eq(sf_mime_param(p, NULL, &v), -1);
	free_buf(&p);
}
END_TEST

/* ---- sf_mime_open, sf_mime_next ---------------------------------------- */

#define MAX_PARTS 4

struct mp_case
{
	const char *name;
	struct tbuf params; /* Content-Type parameters */
	struct tbuf body;
	int open;	/* sf_mime_open() */
	int nparts; /* parts returned (1) before the end */
	struct tbuf parts[MAX_PARTS];
	int last; /* what ends the iteration: 0 or -1 */
};

#define RFC2046_BODY                                            \
	"This is the preamble.  It is to be ignored, though it\r\n" \
	"is a handy place for mail composers to include an\r\n"     \
	"explanatory note to non-MIME compliant readers.\r\n"       \
	"--simple boundary\r\n"                                     \
	"\r\n"                                                      \
	"This is implicitly typed plain ASCII text.\r\n"            \
	"It does NOT end with a linebreak.\r\n"                     \
	"--simple boundary\r\n"                                     \
	"Content-type: text/plain; charset=us-ascii\r\n"            \
	"\r\n"                                                      \
	"This is explicitly typed plain ASCII text.\r\n"            \
	"It DOES end with a linebreak.\r\n"                         \
	"\r\n"                                                      \
	"--simple boundary--\r\n"                                   \
	"This is the epilogue.  It is also to be ignored.\r\n"

static const struct mp_case mp_cases[] = {
		{.name = "unquoted",
				.params = B(" boundary=b1"),
				.body = B("--b1\r\n"
						  "Content-Type: text/plain\r\n\r\nHello\r\n"
						  "--b1\r\n"
						  "Content-Type: application/sdp\r\n\r\nv=0\r\n"
						  "--b1--\r\n"),
				.open = 0,
				.nparts = 2,
				.parts = {B("Content-Type: text/plain\r\n\r\nHello"),
						B("Content-Type: application/sdp\r\n\r\nv=0")},
				.last = 0},
		{.name = "rfc2046_quoted_preamble_epilogue",
				.params = B(" boundary=\"simple boundary\""),
				.body = B(RFC2046_BODY),
				.open = 0,
				.nparts = 2,
				.parts = {B("\r\nThis is implicitly typed plain ASCII text.\r\n"
							"It does NOT end with a linebreak."),
						B("Content-type: text/plain; charset=us-ascii\r\n\r\n"
						  "This is explicitly typed plain ASCII text.\r\n"
						  "It DOES end with a linebreak.\r\n")},
				.last = 0},
		{.name = "lf_only",
				.params = B("boundary=b"),
				.body = B("pre\n--b\nA: 1\n\none\n--b\n\ntwo\n--b--\nepi\n"),
				.open = 0,
				.nparts = 2,
				.parts = {B("A: 1\n\none"), B("\ntwo")},
				.last = 0},
		{.name = "no_close_delimiter",
				.params = B("boundary=b"),
				.body = B("--b\r\none\r\n--b\r\ntwo\r\n"),
				.open = 0,
				.nparts = 1,
				.parts = {B("one")},
				.last = -1},
		{.name = "ends_at_delimiter",
				.params = B("boundary=b"),
				.body = B("--b\r\none\r\n--b"),
				.open = 0,
				.nparts = 1,
				.parts = {B("one")},
				.last = -1},
		{.name = "only_opening_delimiter",
				.params = B("boundary=b"),
				.body = B("--b\r\n"),
				.open = 0,
				.nparts = 0,
				.last = -1},
		{.name = "close_at_once",
				.params = B("boundary=b"),
				.body = B("--b--\r\n"),
				.open = 0,
				.nparts = 0,
				.last = 0},
		{.name = "close_without_crlf",
				.params = B("boundary=b"),
				.body = B("--b\r\nx\r\n--b--"),
				.open = 0,
				.nparts = 1,
				.parts = {B("x")},
				.last = 0},
		{.name = "empty_part",
				.params = B("boundary=b"),
				.body = B("--b\r\n\r\n--b--"),
				.open = 0,
				.nparts = 1,
				.parts = {B("")},
				.last = 0},
		{.name = "transport_padding",
				.params = B("boundary=b"),
				.body = B("--b  \t\r\nx\r\n--b \r\ny\r\n--b--  \r\n"),
				.open = 0,
				.nparts = 2,
				.parts = {B("x"), B("y")},
				.last = 0},
		{.name = "delimiter_not_at_line_start",
				.params = B("boundary=b"),
				.body = B("--b\r\nx --b y\r\n--b--\r\n"),
				.open = 0,
				.nparts = 1,
				.parts = {B("x --b y")},
				.last = 0},
		{.name = "nul_in_part",
				.params = B("boundary=b"),
				.body = B("--b\r\nA\0B\r\n--b--\r\n"),
				.open = 0,
				.nparts = 1,
				.parts = {B("A\0B")},
				.last = 0},
		{.name = "no_boundary_param",
				.params = B(" charset=utf-8"),
				.body = B("--b\r\nx\r\n--b--\r\n"),
				.open = -1},
		{.name = "no_params",
				.params = NB,
				.body = B("--b\r\nx\r\n--b--\r\n"),
				.open = -1},
		{.name = "empty_boundary",
				.params = B("boundary=\"\""),
				.body = B("--\r\nx\r\n----\r\n"),
				.open = -1},
		{.name = "boundary_71",
				.params = B("boundary="
							"0123456789012345678901234567890123456789"
							"0123456789012345678901234567890"),
				.body = B("--x\r\n"),
				.open = -1},
		{.name = "boundary_70",
				.params = B("boundary="
							"0123456789012345678901234567890123456789"
							"012345678901234567890123456789"),
				.body = B("--0123456789012345678901234567890123456789"
						  "012345678901234567890123456789--"),
				.open = 0,
				.nparts = 0,
				.last = 0},
		{.name = "boundary_not_in_body",
				.params = B("boundary=zz"),
				.body = B("--b\r\nx\r\n--b--\r\n"),
				.open = -1},
		{.name = "no_body", .params = B("boundary=b"), .body = NB, .open = -1},
};

#define N_MP ((int)(sizeof(mp_cases) / sizeof(mp_cases[0])))

START_TEST(test_multipart)
{
	const struct mp_case *c = &mp_cases[_i];
	sf_buf_t params = dup_buf(&c->params), body = dup_buf(&c->body), part;
	sf_mime_iter_t it;
	int ret, n = 0;

	ret = sf_mime_open(params, body, &it);
	ck_assert_msg(
			ret == c->open, "%s: open %d, expected %d", c->name, ret, c->open);
	if(ret == 0) {
		while((ret = sf_mime_next(&it, &part)) == 1) {
			ck_assert_msg(n < c->nparts, "%s: more than %d parts", c->name,
					c->nparts);
			ck_assert_msg(
					part.s >= body.s && part.s + part.len <= body.s + body.len,
					"%s: part %d outside the body", c->name, n);
			check_range("part", c->name, part, c->parts[n]);
			n++;
		}
		ck_assert_msg(n == c->nparts, "%s: %d parts, expected %d", c->name, n,
				c->nparts);
		ck_assert_msg(ret == c->last, "%s: ends with %d, expected %d", c->name,
				ret, c->last);
		/* the end is sticky */
		ck_assert_int_eq(sf_mime_next(&it, &part), c->last);
		ck_assert_int_eq(sf_mime_next(&it, &part), c->last);
	}
	ck_assert_int_eq(sf_mime_open(params, body, NULL), -1);
	free_buf(&params);
	free_buf(&body);
}
END_TEST

START_TEST(test_next_guards)
{
	sf_mime_iter_t it;
	sf_buf_t part;

	memset(&it, 0, sizeof(it));
	ck_assert_int_eq(sf_mime_next(NULL, &part), -1);
	ck_assert_int_eq(sf_mime_next(&it, &part), -1); /* never opened */
	ck_assert_int_eq(sf_mime_next(&it, NULL), -1);
	/* a failed open leaves an iterator that ends at once */
	ck_assert_int_eq(sf_mime_open(sf_bufv(NULL, 0), sf_bufv("x", 1), &it), -1);
	ck_assert_int_eq(sf_mime_next(&it, &part), -1);
}
END_TEST

/* ---- sf_mime_split ----------------------------------------------------- */

struct split_case
{
	const char *name;
	struct tbuf part;
	int ret;
	struct tbuf headers;
	struct tbuf content;
};

static const struct split_case split_cases[] = {
		{"crlf", B("A: 1\r\nB: 2\r\n\r\nbody"), 0, B("A: 1\r\nB: 2\r\n"),
				B("body")},
		{"lf", B("A: 1\n\nbody"), 0, B("A: 1\n"), B("body")},
		{"no_headers", B("\r\nbody"), 0, NB, B("body")},
		{"no_headers_lf", B("\nbody"), 0, NB, B("body")},
		{"empty_content", B("A: 1\r\n\r\n"), 0, B("A: 1\r\n"), NB},
		{"blank_lines_in_content", B("A\r\n\r\nx\r\n\r\ny"), 0, B("A\r\n"),
				B("x\r\n\r\ny")},
		{"lone_cr_last", B("A: 1\r\n\r"), 0, B("A: 1\r\n"), NB},
		{"no_blank_line", B("A: 1\r\nB: 2"), -1, B("A: 1\r\nB: 2"), NB},
		{"no_blank_line_crlf_end", B("A: 1\r\nB: 2\r\n"), -1,
				B("A: 1\r\nB: 2\r\n"), NB},
		{"blank_with_space_is_not_empty", B("A: 1\r\n \r\nx"), -1,
				B("A: 1\r\n \r\nx"), NB},
		{"null", NB, -1, NB, NB},
};

#define N_SPLIT ((int)(sizeof(split_cases) / sizeof(split_cases[0])))

START_TEST(test_split)
{
	const struct split_case *c = &split_cases[_i];
	sf_buf_t part = dup_buf(&c->part), h, b;
	int ret;

	ret = sf_mime_split(part, &h, &b);
	ck_assert_msg(
			ret == c->ret, "%s: got %d, expected %d", c->name, ret, c->ret);
	check_range("headers", c->name, h, c->headers);
	check_range("content", c->name, b, c->content);
	ck_assert_msg(h.s == part.s, "%s: headers do not start the part", c->name);
	if(ret < 0)
		ck_assert_msg(b.s == (part.s ? part.s + part.len : NULL),
				"%s: content not at the part's end", c->name);
	ck_assert_int_eq(sf_mime_split(part, NULL, &b), -1);
	ck_assert_int_eq(sf_mime_split(part, &h, NULL), -1);
	free_buf(&part);
}
END_TEST

/* a part's header read with sf_hdr_value(), as sf_classify reads them */
START_TEST(test_part_header)
{
	struct tbuf tb = B("--b\r\n"
					   "Content-Disposition: recipient-list\r\n"
					   "content-type:  application/resource-lists+xml \r\n"
					   "\r\n"
					   "<x/>\r\n"
					   "--b--\r\n");
	sf_buf_t body = dup_buf(&tb), part, h, b, ct, params;
	sf_mime_iter_t it;
	const char *v;
	size_t vlen;

	ck_assert_int_eq(sf_mime_open(sf_bufv("boundary=b", 10), body, &it), 0);
	ck_assert_int_eq(sf_mime_next(&it, &part), 1);
	ck_assert_int_eq(sf_mime_split(part, &h, &b), 0);
	v = sf_hdr_value(h.s, h.len, "content-type", &vlen);
	ck_assert_ptr_nonnull(v);
	ct = sf_mime_type(sf_bufv(v, vlen), &params);
	check_range("type", "part_header", ct,
			(struct tbuf)B("application/resource-lists+xml"));
	v = sf_hdr_value(h.s, h.len, "content-disposition", &vlen);
	check_range("disposition", "part_header", sf_bufv(v, vlen),
			(struct tbuf)B("recipient-list"));
	check_range("content", "part_header", b, (struct tbuf)B("<x/>"));
	ck_assert_int_eq(sf_mime_next(&it, &part), 0);
	free_buf(&body);
}
END_TEST

Suite *mime_suite(void)
{
	const struct unit_test t[] = {
			UT_CASE("type"),
			UT_LOOP(test_type, N_TYPE),
			UT_CASE("param"),
			UT_LOOP(test_param, N_PARAM),
			UT_CASE("multipart"),
			UT_LOOP(test_multipart, N_MP),
			UT(test_next_guards),
			UT_CASE("split"),
			UT_LOOP(test_split, N_SPLIT),
			UT(test_part_header),
	};

	return UNIT_SUITE("sf_mime", t, NULL, NULL);
}
