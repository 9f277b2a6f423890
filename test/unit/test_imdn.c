/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: unit tests of the report and summary builders
 *
 * Table-driven tests of sf_imdn.h, written from its contract. Every input
 * range is copied into a heap block of exactly its length (NULL when the
 * length is 0), and every output buffer is a heap block of exactly the
 * size passed, so that AddressSanitizer catches any access past either.
 * IMDN bodies are parsed back: CPIM headers, MIME headers and XML are
 * split at the blank lines and checked part by part.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sf_imdn.h"
#include "unit_util.h"


/* occurrences of a NUL-terminated needle in a NUL-terminated text */
static int count_str(const char *hay, const char *needle)
{
	int n = 0;
	size_t nl = strlen(needle);

	while((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += nl;
	}
	return n;
}

/* ---- escape-like builders: one table shape for xml_escape and quote ---- */

struct esc_case
{
	const char *name;
	struct tbuf in;
	struct tbuf exp;
};

typedef int (*esc_fn)(sf_buf_t in, char *out, size_t outsize);

/* fn bound to its input */
struct esc_arg
{
	esc_fn fn;
	sf_buf_t in;
};

static int esc_into(const void *arg, char *out, size_t size)
{
	const struct esc_arg *a = arg;

	return a->fn(a->in, out, size);
}

/* fn through check_fit: every too small buffer, the exact fit, a roomy one */
static void check_esc(const char *fn_name, esc_fn fn, const struct esc_case *c)
{
	struct esc_arg a = {fn, dup_buf(&c->in)};
	char what[128];

	snprintf(what, sizeof(what), "%s case %s", fn_name, c->name);
	check_fit(esc_into, &a, c->exp.s, c->exp.len, c->exp.len + 1, what);
	free_buf(&a.in);
}

/* ---- sf_xml_escape ----------------------------------------------------- */

static const struct esc_case xml_cases[] = {
		{"amp", B("&"), B("&amp;")},
		{"lt", B("<"), B("&lt;")},
		{"gt", B(">"), B("&gt;")},
		{"quot", B("\""), B("&quot;")},
		{"apos", B("'"), B("&apos;")},
		{"all_five_in_text", B("a<b>&\"c'd"),
				B("a&lt;b&gt;&amp;&quot;c&apos;d")},
		{"already_escaped_is_escaped_again", B("&amp;"), B("&amp;amp;")},
		{"plain_ascii", B("sip:bob@example.com"), B("sip:bob@example.com")},
		{"utf8_2byte", B("M\xc3\xbcller"), B("M\xc3\xbcller")},
		{"utf8_3byte", B("\xe2\x82\xac 5"), B("\xe2\x82\xac 5")},
		{"utf8_4byte", B("\xf0\x9f\x98\x80!"), B("\xf0\x9f\x98\x80!")},
		{"utf8_next_to_special", B("\xc3\xa9<\xf0\x9f\x98\x80>"),
				B("\xc3\xa9&lt;\xf0\x9f\x98\x80&gt;")},
		{"control_bytes_dropped",
				B("a\x01"
				  "b\x08"
				  "c\x0b"
				  "d\x1f"
				  "e"),
				B("abcde")},
		{"tab_lf_cr_kept", B("a\tb\nc\rd"), B("a\tb\nc\rd")},
		{"nul_dropped", B("a\0b\0"), B("ab")},
		{"only_controls", B("\x01\x02\0"), B("")},
		{"del_is_not_c0",
				B("a\x7f"
				  "b"),
				B("a\x7f"
				  "b")},
		{"empty", NB, B("")},
};

#define N_XML ((int)(sizeof(xml_cases) / sizeof(xml_cases[0])))

START_TEST(test_xml_escape)
{
	check_esc("sf_xml_escape", sf_xml_escape, &xml_cases[_i]);
}
END_TEST

/* every size from 0 to the exact fit: -1, never a write past outsize */
START_TEST(test_xml_escape_every_size)
{
	static const struct esc_case c = {"every_size",
			B("<\xe2\x82\xac&\x01'\"x>"),
			B("&lt;\xe2\x82\xac&amp;&apos;&quot;x&gt;")};
	sf_buf_t in = dup_buf(&c.in);

	check_esc("sf_xml_escape", sf_xml_escape, &c);
	/* no buffer at all */
	ck_assert_int_eq(sf_xml_escape(in, NULL, 0), -1);
	ck_assert_int_eq(sf_xml_escape(in, NULL, 100), -1);
	free_buf(&in);
}
END_TEST

/* ---- sf_quote ---------------------------------------------------------- */

static const struct esc_case quote_cases[] = {
		{"plain", B("Alice"), B("\"Alice\"")},
		{"quote", B("a\"b"), B("\"a\\\"b\"")},
		{"backslash", B("a\\b"), B("\"a\\\\b\"")},
		{"quote_and_backslash", B("\\\""), B("\"\\\\\\\"\"")},
		{"already_quoted_is_quoted_again", B("\"x\""), B("\"\\\"x\\\"\"")},
		{"cr_lf_dropped", B("a\r\nb\rc\nd"), B("\"abcd\"")},
		{"nul_dropped", B("a\0b"), B("\"ab\"")},
		{"only_crlf", B("\r\n"), B("\"\"")},
		{"utf8_kept", B("J\xc3\xb6rg \xf0\x9f\x98\x80"),
				B("\"J\xc3\xb6rg \xf0\x9f\x98\x80\"")},
		{"tab_and_space_kept", B("a\t b"), B("\"a\t b\"")},
		{"xml_specials_not_touched", B("<&'>"), B("\"<&'>\"")},
		{"empty", NB, B("\"\"")},
};

#define N_QUOTE ((int)(sizeof(quote_cases) / sizeof(quote_cases[0])))

START_TEST(test_quote)
{
	check_esc("sf_quote", sf_quote, &quote_cases[_i]);
}
END_TEST

/* ---- sf_iso_date ------------------------------------------------------- */

struct date_case
{
	time_t t;
	const char *exp; /* NULL: -1 expected */
};

static const struct date_case date_cases[] = {
		{0, "1970-01-01T00:00:00Z"}, {784111777, "1994-11-06T08:49:37Z"},
		{951782400, "2000-02-29T00:00:00Z"},  /* leap day, century year */
		{1709251199, "2024-02-29T23:59:59Z"}, /* leap day, its last second */
		{1795341600, "2026-11-22T10:00:00Z"}, {-1, "1969-12-31T23:59:59Z"},
		{(time_t)2147483648LL, "2038-01-19T03:14:08Z"},
		{(time_t)253402300799LL, "9999-12-31T23:59:59Z"},
		{(time_t)253402300800LL, NULL}, /* year 10000: not four digits */
};

#define N_DATE ((int)(sizeof(date_cases) / sizeof(date_cases[0])))

START_TEST(test_iso_date)
{
	const struct date_case *c = &date_cases[_i];
	char *out = out_buf(21);
	int ret;

	ret = sf_iso_date(c->t, out, 21);
	if(c->exp == NULL) {
		free(out);
		ck_assert_msg(
				ret == -1, "t=%lld: got %d, expected -1", (long long)c->t, ret);
		return;
	}
	ck_assert_msg(ret == 20 && strcmp(out, c->exp) == 0,
			"t=%lld: got %d \"%.20s\", expected \"%s\"", (long long)c->t, ret,
			ret == 20 ? out : "", c->exp);
	free(out);
}
END_TEST

static int iso_date_into(const void *t, char *out, size_t size)
{
	return sf_iso_date(*(const time_t *)t, out, size);
}

START_TEST(test_iso_date_size)
{
	static const time_t t = 784111777;

	check_fit(iso_date_into, &t, "1994-11-06T08:49:37Z", 20, 21, "iso_date");
	ck_assert_int_eq(sf_iso_date(0, NULL, 64), -1);
}
END_TEST

/* ---- sf_imdn_build ----------------------------------------------------- */

/* the report every IMDN test starts from; the values are awkward on
 * purpose: <, &, " and non-ASCII in the message id and the recipient, a
 * quote and a backslash in the display name */
struct report_in
{
	int status;
	struct tbuf message_id;
	struct tbuf report_id;
	time_t original_time;
	time_t report_time;
	struct tbuf recipient_uri;
	struct tbuf sender_uri;
	struct tbuf sender_name;
	struct tbuf report_from;
};

#define MSGID_RAW "Msg<1>&\"\xc3\xbc\"-34jk"
#define MSGID_XML "Msg&lt;1&gt;&amp;&quot;\xc3\xbc&quot;-34jk"
#define RCPT_RAW "sip:j\xc3\xb6rg<&\"x>@example.com"
#define RCPT_XML "sip:j\xc3\xb6rg&lt;&amp;&quot;x&gt;@example.com"
#define NAME_RAW "O\"Neil \\ Jr"
#define NAME_QUOTED "\"O\\\"Neil \\\\ Jr\""

static const struct report_in base_report = {
		.status = SF_IMDN_DELIVERED,
		.message_id = B(MSGID_RAW),
		.report_id = B("rep-7f3a9"),
		.original_time = 784111777,
		.report_time = 1795341600,
		.recipient_uri = B(RCPT_RAW),
		.sender_uri = B("sip:alice@example.com"),
		.sender_name = B(NAME_RAW),
		.report_from = B("sip:sfwd@example.com"),
};

static void mk_report(const struct report_in *in, sf_report_t *r)
{
	r->status = in->status;
	r->message_id = dup_buf(&in->message_id);
	r->report_id = dup_buf(&in->report_id);
	r->original_time = in->original_time;
	r->report_time = in->report_time;
	r->recipient_uri = dup_buf(&in->recipient_uri);
	r->sender_uri = dup_buf(&in->sender_uri);
	r->sender_name = dup_buf(&in->sender_name);
	r->report_from = dup_buf(&in->report_from);
	r->original_datetime.s = NULL;
	r->original_datetime.len = 0;
}

static void free_report(sf_report_t *r)
{
	free_buf(&r->message_id);
	free_buf(&r->report_id);
	free_buf(&r->recipient_uri);
	free_buf(&r->sender_uri);
	free_buf(&r->sender_name);
	free_buf(&r->report_from);
}

#define IMDN_BIG 4096

static const char *const status_elems[4] = {
		"<delivered/>", "<failed/>", "<forbidden/>", "<error/>"};

/* the next CRLF-terminated line of *p (NUL-terminated text) copied into
 * line; 0 if there is no CRLF left */
static int take_line(const char **p, char *line, size_t size)
{
	const char *e = strstr(*p, "\r\n");
	size_t n;

	if(e == NULL)
		return 0;
	n = (size_t)(e - *p);
	if(n >= size)
		n = size - 1;
	memcpy(line, *p, n);
	line[n] = '\0';
	*p = e + 2;
	return 1;
}

/* build r into a heap buffer of IMDN_BIG, parse it back and check it;
 * to_line is the expected CPIM To header line */
static void check_imdn(const sf_report_t *r, const char *to_line)
{
	char *out = out_buf(IMDN_BIG);
	char line[1024], dbg[8192], exp_line[256];
	const char *p, *xml;
	int ret, i, k;
	size_t clen;
	const char *cpim_exp[5];

	ret = sf_imdn_build(r, out, IMDN_BIG);
	ck_assert_msg(ret > 0, "sf_imdn_build failed: %d", ret);
	ck_assert_int_eq((size_t)ret, strlen(out));
	show(out, (size_t)ret, dbg, sizeof(dbg));

	/* every line ends in CRLF: no bare LF, no bare CR */
	for(i = 0; i < ret; i++) {
		if(out[i] == '\n')
			ck_assert_msg(
					i > 0 && out[i - 1] == '\r', "bare LF at %d: %s", i, dbg);
		if(out[i] == '\r')
			ck_assert_msg(i + 1 < ret && out[i + 1] == '\n',
					"bare CR at %d: %s", i, dbg);
	}

	/* CPIM headers, each line exactly, then a blank line */
	cpim_exp[0] = "From: <sip:sfwd@example.com>";
	cpim_exp[1] = to_line;
	cpim_exp[2] = "NS: imdn <urn:ietf:params:imdn>";
	cpim_exp[3] = "imdn.Message-ID: rep-7f3a9";
	cpim_exp[4] = "DateTime: 2026-11-22T10:00:00Z";
	p = out;
	for(k = 0; k < 5; k++) {
		ck_assert_msg(take_line(&p, line, sizeof(line)),
				"CPIM line %d missing: %s", k, dbg);
		ck_assert_msg(strcmp(line, cpim_exp[k]) == 0,
				"CPIM line %d: got \"%s\", expected \"%s\"", k,
				show(line, strlen(line), dbg, sizeof(dbg)), cpim_exp[k]);
	}
	ck_assert_msg(take_line(&p, line, sizeof(line)) && line[0] == '\0',
			"no blank line after the CPIM headers: %s", dbg);

	/* MIME headers, then a blank line */
	ck_assert(take_line(&p, line, sizeof(line)));
	ck_assert_str_eq(line, "Content-Type: message/imdn+xml");
	ck_assert(take_line(&p, line, sizeof(line)));
	ck_assert_str_eq(line, "Content-Disposition: notification");
	ck_assert(take_line(&p, line, sizeof(line)));
	ck_assert_msg(strncmp(line, "Content-Length: ", 16) == 0,
			"not Content-Length: \"%s\"", line);
	for(i = 16, clen = 0; line[i] != '\0'; i++) {
		ck_assert_msg(line[i] >= '0' && line[i] <= '9',
				"bad Content-Length \"%s\"", line);
		clen = clen * 10 + (size_t)(line[i] - '0');
	}
	ck_assert_msg(i > 16, "empty Content-Length");
	ck_assert_msg(take_line(&p, line, sizeof(line)) && line[0] == '\0',
			"no blank line after the MIME headers: %s", dbg);

	/* the XML: the rest, its byte length is Content-Length */
	xml = p;
	ck_assert_msg(clen == strlen(xml), "Content-Length %zu, XML length %zu: %s",
			clen, strlen(xml), dbg);
	ck_assert_msg(
			strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n", 40)
					== 0,
			"no XML declaration: %s", dbg);
	ck_assert_int_eq(
			count_str(xml, "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">"), 1);
	ck_assert_int_eq(
			count_str(xml, "<message-id>" MSGID_XML "</message-id>"), 1);
	ck_assert_int_eq(
			count_str(xml, "<datetime>1994-11-06T08:49:37Z</datetime>"), 1);
	ck_assert_int_eq(
			count_str(xml, "<recipient-uri>" RCPT_XML "</recipient-uri>"), 1);
	ck_assert_int_eq(count_str(xml, "<original-recipient-uri>" RCPT_XML
									"</original-recipient-uri>"),
			1);
	ck_assert_int_eq(count_str(xml, "<delivery-notification>"), 1);
	ck_assert_int_eq(count_str(xml, "</delivery-notification>"), 1);
	ck_assert_int_eq(count_str(xml, "<status>"), 1);
	ck_assert_int_eq(count_str(xml, "</status>"), 1);
	ck_assert_msg(strlen(xml) >= 9
						  && strcmp(xml + strlen(xml) - 9, "</imdn>\r\n") == 0,
			"XML does not end in </imdn> CRLF: %s", dbg);
	/* status: exactly one of the four, the right one */
	for(k = 0; k < 4; k++) {
		int want = (k + 1 == r->status) ? 1 : 0;
		ck_assert_msg(count_str(xml, status_elems[k]) == want,
				"%s appears %d times, expected %d", status_elems[k],
				count_str(xml, status_elems[k]), want);
	}
	/* the status sits inside <status> */
	snprintf(exp_line, sizeof(exp_line),
			"<status>\r\n      %s\r\n    </status>",
			status_elems[r->status - 1]);
	ck_assert_msg(
			count_str(xml, exp_line) == 1, "status not in <status>: %s", dbg);
	/* no raw specials of the values survived */
	ck_assert_int_eq(count_str(xml, "Msg<"), 0);
	ck_assert_int_eq(count_str(xml, "<&"), 0);
	free(out);
}

#define TO_NAMED "To: " NAME_QUOTED " <sip:alice@example.com>"

START_TEST(test_imdn_status)
{
	struct report_in in = base_report;
	sf_report_t r;

	in.status = SF_IMDN_DELIVERED + _i;
	mk_report(&in, &r);
	check_imdn(&r, TO_NAMED);
	free_report(&r);
}
END_TEST

/* display name forms: sent quoted (unquoted, then quoted again), empty */
struct name_case
{
	const char *name;
	struct tbuf in;
	const char *to_line;
};

static const struct name_case name_cases[] = {
		{"raw", B(NAME_RAW), TO_NAMED},
		{"sent_quoted", B(NAME_QUOTED), TO_NAMED},
		{"sent_quoted_with_lws", B("  " NAME_QUOTED "\t"), TO_NAMED},
		{"plain_word", B("Alice"), "To: \"Alice\" <sip:alice@example.com>"},
		{"utf8", B("J\xc3\xb6rg"),
				"To: \"J\xc3\xb6rg\" <sip:alice@example.com>"},
		{"crlf_dropped", B("Eve\r\nX-Evil: 1"),
				"To: \"EveX-Evil: 1\" <sip:alice@example.com>"},
		{"empty", NB, "To: <sip:alice@example.com>"},
		{"blank", B("   "), "To: <sip:alice@example.com>"},
		{"empty_quoted", B("\"\""), "To: <sip:alice@example.com>"},
};

#define N_NAME ((int)(sizeof(name_cases) / sizeof(name_cases[0])))

START_TEST(test_imdn_name)
{
	struct report_in in = base_report;
	sf_report_t r;

	in.sender_name = name_cases[_i].in;
	mk_report(&in, &r);
	check_imdn(&r, name_cases[_i].to_line);
	free_report(&r);
}
END_TEST

static int imdn_into(const void *r, char *out, size_t size)
{
	return sf_imdn_build(r, out, size);
}

/* every size from 0 to the full length: -1, and never an overflow (the
 * heap block is exactly the size passed) */
START_TEST(test_imdn_too_small)
{
	struct report_in in = base_report;
	sf_report_t r;
	char *full = out_buf(IMDN_BIG), what[32];
	int len;

	in.status = SF_IMDN_DELIVERED + _i;
	mk_report(&in, &r);
	len = sf_imdn_build(&r, full, IMDN_BIG);
	ck_assert_int_gt(len, 0);
	snprintf(what, sizeof(what), "status %d", r.status);
	check_fit(imdn_into, &r, full, (size_t)len, (size_t)len + 1, what);
	free(full);
	free_report(&r);
}
END_TEST

/* unusable reports: -1 whatever the buffer */
struct bad_case
{
	const char *name;
	int field; /* which field to replace */
	struct tbuf val;
	int status;
};

enum
{
	F_NONE,
	F_REPORT_FROM,
	F_SENDER_URI,
	F_REPORT_ID,
	F_MESSAGE_ID,
	F_RECIPIENT
};

static const struct bad_case bad_cases[] = {
		{"status_0", F_NONE, NB, 0},
		{"status_5", F_NONE, NB, 5},
		{"status_negative", F_NONE, NB, -1},
		{"report_from_empty", F_REPORT_FROM, NB, 1},
		{"report_from_crlf", F_REPORT_FROM, B("sip:a@b\r\nX: y"), 1},
		{"report_from_angle", F_REPORT_FROM, B("sip:a@b>x"), 1},
		{"sender_uri_empty", F_SENDER_URI, NB, 1},
		{"sender_uri_lf", F_SENDER_URI, B("sip:a@b\nX"), 1},
		{"report_id_empty", F_REPORT_ID, NB, 1},
		{"report_id_crlf", F_REPORT_ID, B("id\r\nFrom: <x>"), 1},
		{"report_id_nul", F_REPORT_ID, B("id\0x"), 1},
		{"message_id_empty", F_MESSAGE_ID, NB, 1},
		{"recipient_empty", F_RECIPIENT, NB, 1},
};

#define N_BAD ((int)(sizeof(bad_cases) / sizeof(bad_cases[0])))

START_TEST(test_imdn_unusable)
{
	const struct bad_case *c = &bad_cases[_i];
	struct report_in in = base_report;
	sf_report_t r;
	char *out = out_buf(IMDN_BIG);
	int ret;

	in.status = c->status;
	switch(c->field) {
		case F_REPORT_FROM:
			in.report_from = c->val;
			break;
		case F_SENDER_URI:
			in.sender_uri = c->val;
			break;
		case F_REPORT_ID:
			in.report_id = c->val;
			break;
		case F_MESSAGE_ID:
			in.message_id = c->val;
			break;
		case F_RECIPIENT:
			in.recipient_uri = c->val;
			break;
	}
	mk_report(&in, &r);
	ret = sf_imdn_build(&r, out, IMDN_BIG);
	free(out);
	free_report(&r);
	ck_assert_msg(ret == -1, "case %s: got %d, expected -1", c->name, ret);
}
END_TEST

START_TEST(test_imdn_null)
{
	char *out = out_buf(16);

	ck_assert_int_eq(sf_imdn_build(NULL, out, 16), -1);
	ck_assert_int_eq(sf_report_text(NULL, out, 16), -1);
	free(out);
}
END_TEST

/* ---- sf_report_text ---------------------------------------------------- */

struct text_case
{
	int status;
	const char *exp; /* NULL: -1 */
};

#define TXT_HEAD "Your message to " RCPT_RAW " of 1994-11-06 08:49:37 UTC "

static const struct text_case text_cases[] = {
		{SF_IMDN_DELIVERED, TXT_HEAD "was delivered."},
		{SF_IMDN_FAILED, TXT_HEAD "could not be delivered."},
		{SF_IMDN_FORBIDDEN, TXT_HEAD "was refused."},
		{SF_IMDN_ERROR, TXT_HEAD "could not be delivered."},
		{0, NULL},
		{5, NULL},
};

#define N_TEXT ((int)(sizeof(text_cases) / sizeof(text_cases[0])))

static int report_text_into(const void *r, char *out, size_t size)
{
	return sf_report_text(r, out, size);
}

START_TEST(test_report_text)
{
	const struct text_case *c = &text_cases[_i];
	struct report_in in = base_report;
	sf_report_t r;
	char *out, what[32];
	int ret;

	in.status = c->status;
	mk_report(&in, &r);
	snprintf(what, sizeof(what), "status %d", c->status);
	if(c->exp != NULL) {
		/* every too small size, the exact fit, a roomy one */
		check_fit(report_text_into, &r, c->exp, strlen(c->exp),
				strlen(c->exp) + 1, what);
		free_report(&r);
		return;
	}
	out = out_buf(512);
	ret = sf_report_text(&r, out, 512);
	free(out);
	free_report(&r);
	ck_assert_msg(ret == -1, "%s: got %d", what, ret);
}
END_TEST

START_TEST(test_report_text_leap_day)
{
	struct report_in in = base_report;
	sf_report_t r;
	char *out = out_buf(256);

	in.original_time = 1709251199;
	in.recipient_uri = (struct tbuf)B("sip:bob@example.com\r\n");
	in.status = SF_IMDN_FORBIDDEN;
	mk_report(&in, &r);
	ck_assert_int_gt(sf_report_text(&r, out, 256), 0);
	ck_assert_str_eq(out, "Your message to sip:bob@example.com of "
						  "2024-02-29 23:59:59 UTC was refused.");
	free(out);
	free_report(&r);
}
END_TEST

/* ---- sf_mwi_build ------------------------------------------------------ */

struct mwi_case
{
	const char *name;
	struct tbuf account;
	int nt, ot, nm, om;
	const char *exp; /* NULL: -1 */
};

#define ACC "sip:alice@example.com"
#define ACC_LINE "Message-Account: " ACC "\r\n"

static const struct mwi_case mwi_cases[] = {
		{"none", B(ACC), 0, 0, 0, 0,
				"Messages-Waiting: no\r\n" ACC_LINE "Text-Message: 0/0\r\n"},
		{"three_new", B(ACC), 3, 0, 0, 0,
				"Messages-Waiting: yes\r\n" ACC_LINE "Text-Message: 3/0\r\n"},
		{"old_only", B(ACC), 0, 7, 0, 0,
				"Messages-Waiting: no\r\n" ACC_LINE "Text-Message: 0/7\r\n"},
		{"text_and_mm", B(ACC), 2, 5, 1, 12,
				"Messages-Waiting: yes\r\n" ACC_LINE "Text-Message: 2/5\r\n"
				"Multimedia-Message: 1/12\r\n"},
		{"mm_new_only", B(ACC), 0, 0, 4, 0,
				"Messages-Waiting: yes\r\n" ACC_LINE "Text-Message: 0/0\r\n"
				"Multimedia-Message: 4/0\r\n"},
		{"mm_old_only", B(ACC), 0, 1, 0, 3,
				"Messages-Waiting: no\r\n" ACC_LINE "Text-Message: 0/1\r\n"
				"Multimedia-Message: 0/3\r\n"},
		{"big_counts", B(ACC), 2147483647, 1000000, 0, 0,
				"Messages-Waiting: yes\r\n" ACC_LINE
				"Text-Message: 2147483647/1000000\r\n"},
		{"no_account", NB, 1, 2, 0, 0,
				"Messages-Waiting: yes\r\nText-Message: 1/2\r\n"},
		{"negative_new_text", B(ACC), -1, 0, 0, 0, NULL},
		{"negative_old_text", B(ACC), 0, -1, 0, 0, NULL},
		{"negative_new_mm", B(ACC), 0, 0, -5, 0, NULL},
		{"negative_old_mm", B(ACC), 0, 0, 0, -1, NULL},
		{"account_crlf", B(ACC "\r\nX: 1"), 0, 0, 0, 0, NULL},
};

#define N_MWI ((int)(sizeof(mwi_cases) / sizeof(mwi_cases[0])))

/* the inputs of sf_mwi_build() */
struct mwi_args
{
	sf_buf_t acc;
	const struct mwi_case *c;
};

static int mwi_into(const void *arg, char *out, size_t size)
{
	const struct mwi_args *a = arg;

	return sf_mwi_build(
			a->acc, a->c->nt, a->c->ot, a->c->nm, a->c->om, out, size);
}

START_TEST(test_mwi)
{
	const struct mwi_case *c = &mwi_cases[_i];
	struct mwi_args a = {dup_buf(&c->account), c};
	char *out;
	int ret;

	if(c->exp != NULL) {
		check_fit(mwi_into, &a, c->exp, strlen(c->exp), strlen(c->exp) + 1,
				c->name);
		free_buf(&a.acc);
		return;
	}
	out = out_buf(512);
	ret = mwi_into(&a, out, 512);
	free(out);
	free_buf(&a.acc);
	ck_assert_msg(ret == -1, "case %s: got %d", c->name, ret);
}
END_TEST

/* ---- sf_cpim_message_id ------------------------------------------------ */

struct cpim_case
{
	const char *name;
	struct tbuf body;
	const char *exp; /* NULL: 0 expected */
};

#define CPIM_FROM "From: MR SANDERS <im:piglet@100akerwood.com>\r\n"
#define CPIM_TO "To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n"

static const struct cpim_case cpim_cases[] = {
		{"imdn_prefix",
				B(CPIM_FROM CPIM_TO "NS: imdn <urn:ietf:params:imdn>\r\n"
									"imdn.Message-ID: 34jk324j\r\n" CPIM_TAIL),
				"34jk324j"},
		{"other_prefix_via_ns",
				B(CPIM_FROM
						"NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n"
						"NS: rep <urn:ietf:params:imdn>\r\n"
						"rep.Message-ID: abc-99\r\n" CPIM_TAIL),
				"abc-99"},
		{"ns_after_header",
				B(CPIM_FROM "x.Message-ID: late\r\n"
							"NS: x <urn:ietf:params:imdn>\r\n" CPIM_TAIL),
				"late"},
		{"value_trimmed",
				B(CPIM_FROM
						"NS: imdn <urn:ietf:params:imdn>\r\n"
						"imdn.Message-ID: \t  d834jied93rf \t \r\n" CPIM_TAIL),
				"d834jied93rf"},
		{"lf_line_ends",
				B("From: <im:a@b>\nNS: imdn <urn:ietf:params:imdn>\n"
				  "imdn.Message-ID: lf1\n\nContent-Type: text/plain\n\nhi"),
				"lf1"},
		{"name_case_insensitive",
				B("ns: imdn <URN:IETF:PARAMS:IMDN>\r\n"
				  "imdn.MESSAGE-ID: up\r\n" CPIM_TAIL),
				"up"},
		{"default_namespace",
				B("NS: <urn:ietf:params:imdn>\r\n"
				  "Message-ID: dflt\r\n" CPIM_TAIL),
				"dflt"},
		{"first_of_two",
				B("NS: imdn <urn:ietf:params:imdn>\r\n"
				  "imdn.Message-ID: one\r\n"
				  "imdn.Message-ID: two\r\n" CPIM_TAIL),
				"one"},
		{"non_ascii_value_kept",
				B("NS: imdn <urn:ietf:params:imdn>\r\n"
				  "imdn.Message-ID: \xc3\xa9t\xc3\xa9\r\n" CPIM_TAIL),
				"\xc3\xa9t\xc3\xa9"},
		{"no_ns_line", B(CPIM_FROM "imdn.Message-ID: 34jk324j\r\n" CPIM_TAIL),
				NULL},
		{"prefix_not_mapped",
				B("NS: imdn <urn:ietf:params:imdn>\r\n"
				  "other.Message-ID: 34jk324j\r\n" CPIM_TAIL),
				NULL},
		{"prefix_case_sensitive",
				B("NS: imdn <urn:ietf:params:imdn>\r\n"
				  "IMDN.Message-ID: 34jk324j\r\n" CPIM_TAIL),
				NULL},
		{"ns_other_urn",
				B("NS: imdn <urn:example:not-imdn>\r\n"
				  "imdn.Message-ID: 34jk324j\r\n" CPIM_TAIL),
				NULL},
		{"no_prefix_not_default",
				B("NS: imdn <urn:ietf:params:imdn>\r\n"
				  "Message-ID: 34jk324j\r\n" CPIM_TAIL),
				NULL},
		{"empty_value",
				B("NS: imdn <urn:ietf:params:imdn>\r\n"
				  "imdn.Message-ID:   \r\n" CPIM_TAIL),
				NULL},
		{"in_mime_part_only",
				B("NS: imdn <urn:ietf:params:imdn>\r\n"
				  "\r\nimdn.Message-ID: inner\r\n\r\nx"),
				NULL},
		{"not_cpim_plain_text", B("Hello, imdn.Message-ID: 1"), NULL},
		{"not_cpim_block_never_ends",
				B("NS: imdn <urn:ietf:params:imdn>\r\n"
				  "imdn.Message-ID: 34jk324j\r\n"),
				NULL},
		{"empty_body", NB, NULL},
};

#define N_CPIM ((int)(sizeof(cpim_cases) / sizeof(cpim_cases[0])))

START_TEST(test_cpim_message_id)
{
	const struct cpim_case *c = &cpim_cases[_i];
	sf_buf_t body = dup_buf(&c->body);
	sf_buf_t id = {"junk", 4};
	char got[256];
	int ret, ok;

	ret = sf_cpim_message_id(body, &id);
	if(c->exp == NULL) {
		ok = ret == 0;
	} else {
		ok = ret == 1 && id.len == strlen(c->exp)
			 && memcmp(id.s, c->exp, id.len) == 0 && id.s >= body.s
			 && id.s + id.len <= body.s + body.len;
	}
	show(ret == 1 ? id.s : NULL, ret == 1 ? id.len : 0, got, sizeof(got));
	free_buf(&body);
	ck_assert_msg(ok, "case %s: got %d \"%s\", expected %s", c->name, ret, got,
			c->exp ? c->exp : "0");
}
END_TEST

/* ---- sf_is_text_type --------------------------------------------------- */

struct type_case
{
	struct tbuf ct;
	int exp;
};

static const struct type_case type_cases[] = {
		{B("text/plain"), 1},
		{B("TEXT/HTML;charset=x"), 1},
		{B("text/plain; charset=UTF-8"), 1},
		{B("  Text/Plain  "), 1},
		{B("message/cpim"), 1},
		{B("Message/CPIM ; foo=bar"), 1},
		{B("image/jpeg"), 0},
		{B("application/octet-stream"), 0},
		{B("application/text"), 0},
		{B("message/imdn+xml"), 0},
		{B("message/cpimx"), 0},
		{B("textual/plain"), 0},
		{B("text"), 0},
		{B(""), 0},
		{NB, 0},
};

#define N_TYPE ((int)(sizeof(type_cases) / sizeof(type_cases[0])))

START_TEST(test_is_text_type)
{
	const struct type_case *c = &type_cases[_i];
	sf_buf_t ct = dup_buf(&c->ct);
	char shown[128];
	int ret;

	ret = sf_is_text_type(ct);
	free_buf(&ct);
	ck_assert_msg(ret == c->exp, "sf_is_text_type(\"%s\") = %d, expected %d",
			show(c->ct.s, c->ct.len, shown, sizeof(shown)), ret, c->exp);
}
END_TEST

/* ---- the suite --------------------------------------------------------- */


/* ---- issue 12 items 12 and 21: the IMDN <datetime> --------------------- */

START_TEST(test_iso_date_us)
{
	char out[28];

	ck_assert_int_eq(sf_iso_date_us(784111777.25, out, sizeof(out)), 27);
	ck_assert_str_eq(out, "1994-11-06T08:49:37.250000Z");
	ck_assert_int_eq(sf_iso_date_us(1795341600.000001, out, sizeof(out)), 27);
	ck_assert_str_eq(out, "2026-11-22T10:00:00.000001Z");
	ck_assert_int_eq(sf_iso_date_us(59.9999996, out, sizeof(out)), 27);
	ck_assert_str_eq(out, "1970-01-01T00:01:00.000000Z");
	ck_assert_int_eq(sf_iso_date_us(1.0, out, 27), -1);
	ck_assert_int_eq(sf_iso_date_us(-1.0, out, sizeof(out)), -1);
	ck_assert_int_eq(sf_iso_date_us(1e300, out, sizeof(out)), -1);
}
END_TEST

struct cpim_dt_case
{
	struct tbuf body;
	int found;
	const char *dt;
};

static const struct cpim_dt_case cpim_dt_cases[] = {
		{B("From: <sip:a@b>\r\nDateTime: 2026-11-30T18:00:00.5+01:00\r\n\r\n"
		   "Content-Type: text/plain\r\n\r\nhi"),
				1, "2026-11-30T18:00:00.5+01:00"},
		{B("datetime:   2026-11-30T18:00:00Z  \r\n\r\n"), 1,
				"2026-11-30T18:00:00Z"},
		/* a prefixed header is not the default namespace's */
		{B("NS: x <urn:x>\r\nx.DateTime: 2026-11-30T18:00:00Z\r\n\r\n"), 0,
				NULL},
		/* not RFC 3339: not echoed */
		{B("DateTime: yesterday\r\n\r\n"), 0, NULL},
		/* the header block never ends: not CPIM */
		{B("DateTime: 2026-11-30T18:00:00Z\r\n"), 0, NULL},
		/* in the MIME part, not the CPIM header block */
		{B("From: <sip:a@b>\r\n\r\nDateTime: 2026-11-30T18:00:00Z\r\n\r\n"), 0,
				NULL},
		{NB, 0, NULL},
};
#define N_CPIM_DT ((int)(sizeof(cpim_dt_cases) / sizeof(cpim_dt_cases[0])))

START_TEST(test_cpim_datetime)
{
	const struct cpim_dt_case *c = &cpim_dt_cases[_i];
	sf_buf_t b = dup_buf(&c->body), dt;
	int r = sf_cpim_datetime(b, &dt);

	ck_assert_int_eq(r, c->found);
	if(r) {
		ck_assert_uint_eq(dt.len, strlen(c->dt));
		ck_assert(memcmp(dt.s, c->dt, dt.len) == 0);
	} else {
		ck_assert_ptr_null(dt.s);
	}
	free_buf(&b);
}
END_TEST

/* the IMDN echoes the original's DateTime as given, escaped */
START_TEST(test_imdn_original_datetime)
{
	sf_report_t r;
	char *out = malloc(IMDN_BIG);
	static const struct tbuf dt = B("2026-11-30T18:00:00.123456Z");

	mk_report(&base_report, &r);
	r.original_datetime = dup_buf(&dt);
	ck_assert_int_gt(sf_imdn_build(&r, out, IMDN_BIG), 0);
	ck_assert_int_eq(
			count_str(out, "<datetime>2026-11-30T18:00:00.123456Z</datetime>"),
			1);
	free_buf(&r.original_datetime);
	free_report(&r);
	free(out);
}
END_TEST

Suite *imdn_suite(void)
{
	const struct unit_test t[] = {
			UT_CASE("xml_escape"),
			UT_LOOP(test_xml_escape, N_XML),
			UT(test_xml_escape_every_size),
			UT_CASE("quote"),
			UT_LOOP(test_quote, N_QUOTE),
			UT_CASE("iso_date"),
			UT_LOOP(test_iso_date, N_DATE),
			UT(test_iso_date_size),
			UT_CASE("imdn_build"),
			UT_LOOP(test_imdn_status, 4),
			UT(test_imdn_original_datetime),
			UT(test_iso_date_us),
			UT_LOOP(test_cpim_datetime, N_CPIM_DT),
			UT_LOOP(test_imdn_name, N_NAME),
			UT_LOOP(test_imdn_too_small, 4),
			UT_LOOP(test_imdn_unusable, N_BAD),
			UT(test_imdn_null),
			UT_CASE("report_text"),
			UT_LOOP(test_report_text, N_TEXT),
			UT(test_report_text_leap_day),
			UT_CASE("mwi_build"),
			UT_LOOP(test_mwi, N_MWI),
			UT_CASE("cpim_message_id"),
			UT_LOOP(test_cpim_message_id, N_CPIM),
			UT_CASE("is_text_type"),
			UT_LOOP(test_is_text_type, N_TYPE),
	};

	return UNIT_SUITE("sf_imdn", t, NULL, NULL);
}
