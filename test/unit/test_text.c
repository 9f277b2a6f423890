/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: unit tests of the pure text helpers
 *
 * Table-driven tests of sf_text.h, written from its contract. Every input
 * range is copied into a heap block of exactly its length (NULL when the
 * length is 0), and every output buffer is a heap block of exactly the
 * size passed, so that AddressSanitizer catches any access past either.
 */

#include <check.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sf_buf.h"
#include "sf_text.h"
#include "unit_util.h"

/* ---- sf_aor_build ------------------------------------------------------ */

#define BIG 64 /* an out buffer with room to spare */

struct aor_case
{
	const char *name;
	struct tbuf user;
	struct tbuf host;
	int dom;
	size_t outsize;
	int ret;
	struct tbuf exp; /* the expected output when ret >= 0 */
};

#define AOR_OK(lit) .ret = (int)(sizeof(lit) - 1), .exp = B(lit)
#define AOR_ERR .ret = -1

static const struct aor_case aor_cases[] = {
		/* use_domain on / off */
		{"plain_domain", B("alice"), B("example.com"), 1, BIG,
				AOR_OK("alice@example.com")},
		{"plain_no_domain", B("alice"), B("example.com"), 0, BIG,
				AOR_OK("alice")},
		{"no_domain_host_ignored", B("bob"), B("EXAMPLE.COM"), 0, BIG,
				AOR_OK("bob")},
		/* case: the host is lowered, the user kept */
		{"host_lowered", B("alice"), B("Example.COM"), 1, BIG,
				AOR_OK("alice@example.com")},
		{"user_case_kept", B("Alice.SMITH"), B("EXAMPLE.com"), 1, BIG,
				AOR_OK("Alice.SMITH@example.com")},
		{"user_case_kept_no_domain", B("ALICE"), NB, 0, BIG, AOR_OK("ALICE")},
		{"ipv6_host_lowered", B("alice"), B("[2001:DB8::A1]"), 1, BIG,
				AOR_OK("alice@[2001:db8::a1]")},
		{"host_escape_not_decoded", B("a"), B("ex%41mple.com"), 1, BIG,
				AOR_OK("a@ex%41mple.com")},
		/* %XX escapes */
		{"esc_at_sign", B("al%40ice"), B("example.com"), 1, BIG,
				AOR_OK("al@ice@example.com")},
		{"esc_upper_hex", B("a%2Fb"), B("h"), 1, BIG, AOR_OK("a/b@h")},
		{"esc_lower_hex", B("a%2fb"), B("h"), 1, BIG, AOR_OK("a/b@h")},
		{"esc_mixed_hex_letters", B("%4a%4A%4b"), NB, 0, BIG, AOR_OK("JJK")},
		{"esc_gives_upper_kept", B("%41lice"), B("H.ORG"), 1, BIG,
				AOR_OK("Alice@h.org")},
		{"esc_space", B("a%20b"), NB, 0, BIG, AOR_OK("a b")},
		{"esc_percent", B("100%25"), NB, 0, BIG, AOR_OK("100%")},
		{"esc_at_start_and_end", B("%2Bx%7e"), NB, 0, BIG, AOR_OK("+x~")},
		{"esc_only", B("%61"), B("h"), 1, BIG, AOR_OK("a@h")},
		/* the header rejects only a NUL; other bytes decode as they are */
		{"esc_high_bytes", B("%C3%a9"), NB, 0, BIG, AOR_OK("\xc3\xa9")},
		/* malformed escapes */
		{"esc_bad_high_digit", B("%G1"), B("h"), 1, BIG, AOR_ERR},
		{"esc_bad_low_digit", B("a%4G"), B("h"), 1, BIG, AOR_ERR},
		{"esc_truncated_one", B("a%4"), B("h"), 1, BIG, AOR_ERR},
		{"esc_truncated_none", B("a%"), B("h"), 1, BIG, AOR_ERR},
		{"esc_lone_percent", B("%"), NB, 0, BIG, AOR_ERR},
		{"esc_double_percent", B("%%41"), NB, 0, BIG, AOR_ERR},
		{"esc_sign_not_hex", B("%+1x"), NB, 0, BIG, AOR_ERR},
		{"esc_nul", B("%00"), B("h"), 1, BIG, AOR_ERR},
		{"esc_nul_inside", B("ab%00cd"), NB, 0, BIG, AOR_ERR},
		/* empty user / host */
		{"empty_user_domain", B(""), B("Example.COM"), 1, BIG,
				AOR_OK("example.com")},
		{"null_user_domain", NB, B("example.com"), 1, BIG,
				AOR_OK("example.com")},
		{"empty_user_no_domain", NB, B("example.com"), 0, BIG, AOR_ERR},
		{"empty_user_empty_host", NB, NB, 1, BIG, AOR_ERR},
		{"all_empty_no_domain", NB, NB, 0, BIG, AOR_ERR},
		/* an empty host appends nothing after the '@' (extract_aor does
		 * the same) */
		{"empty_host_domain", B("alice"), NB, 1, BIG, AOR_OK("alice@")},
		/* out buffer exactly fitting / one byte short (room for the NUL
		 * is required) */
		{"fit_domain", B("alice"), B("example.com"), 1, 18,
				AOR_OK("alice@example.com")},
		{"short_domain", B("alice"), B("example.com"), 1, 17, AOR_ERR},
		{"short_in_user", B("alice"), B("example.com"), 1, 5, AOR_ERR},
		{"short_at_sign", B("alice"), B("example.com"), 1, 6, AOR_ERR},
		{"fit_no_domain", B("alice"), B("example.com"), 0, 6, AOR_OK("alice")},
		{"short_no_domain", B("alice"), B("example.com"), 0, 5, AOR_ERR},
		{"fit_escaped", B("al%40ice"), NB, 0, 7, AOR_OK("al@ice")},
		{"short_escaped", B("al%40ice"), NB, 0, 6, AOR_ERR},
		{"fit_host_only", NB, B("Example.com"), 1, 12, AOR_OK("example.com")},
		{"short_host_only", NB, B("Example.com"), 1, 11, AOR_ERR},
		{"fit_one_char", B("a"), NB, 0, 2, AOR_OK("a")},
		{"short_one_byte_out", B("a"), NB, 0, 1, AOR_ERR},
		{"no_out_buffer", B("a"), B("h"), 1, 0, AOR_ERR},
};

#define N_AOR ((int)(sizeof(aor_cases) / sizeof(aor_cases[0])))

START_TEST(test_aor)
{
	const struct aor_case *c = &aor_cases[_i];
	char *u = dup_bytes(&c->user);
	char *h = dup_bytes(&c->host);
	char *out = out_buf(c->outsize);
	char got[256], exp[256];
	int ret, ok;

	ret = sf_aor_build(u, c->user.len, h, c->host.len, c->dom, out, c->outsize);
	ok = ret == c->ret;
	if(ok && ret >= 0)
		ok = (size_t)ret == c->exp.len && memcmp(out, c->exp.s, ret) == 0
			 && out[ret] == '\0';
	show(out ? out : "", ret > 0 ? (size_t)ret : 0, got, sizeof(got));
	show(c->exp.s ? c->exp.s : "", c->exp.len, exp, sizeof(exp));
	free(u);
	free(h);
	free(out);
	ck_assert_msg(ok, "case %s: got %d \"%s\", expected %d \"%s\"", c->name,
			ret, got, c->ret, exp);
}
END_TEST

/* ---- sf_backoff -------------------------------------------------------- */

struct backoff_case
{
	int attempts;
	int base;
	int max;
	int exp;
};

static const struct backoff_case backoff_cases[] = {
		/* base 1, cap 3600 */
		{0, 1, 3600, 1},
		{1, 1, 3600, 1},
		{2, 1, 3600, 2},
		{10, 1, 3600, 512},
		{12, 1, 3600, 2048},
		{13, 1, 3600, 3600},
		{31, 1, 3600, 3600},
		{32, 1, 3600, 3600},
		{1000, 1, 3600, 3600},
		{INT_MAX, 1, 3600, 3600},
		{-1, 1, 3600, 1},
		{INT_MIN, 1, 3600, 1},
		/* base 60: 60, 120, ..., 1920, then 3840 capped at 3600 */
		{1, 60, 3600, 60},
		{2, 60, 3600, 120},
		{6, 60, 3600, 1920},
		{7, 60, 3600, 3600},
		/* exactly reaching the cap */
		{4, 5, 40, 40},
		{5, 5, 40, 40},
		/* no real cap: the largest powers of two an int holds */
		{31, 1, INT_MAX, 1 << 30},
		{32, 1, INT_MAX, INT_MAX},
		{33, 1, INT_MAX, INT_MAX},
		{1000, 1, INT_MAX, INT_MAX},
		{INT_MAX, 1, INT_MAX, INT_MAX},
		{2, INT_MAX, INT_MAX, INT_MAX},
		{INT_MAX, INT_MAX, INT_MAX, INT_MAX},
		{2, INT_MAX / 2 + 1, INT_MAX, INT_MAX},
		{2, INT_MAX / 2, INT_MAX, INT_MAX - 1},
		/* base <= 0 gives 0 */
		{0, 0, 3600, 0},
		{5, 0, 3600, 0},
		{INT_MAX, 0, INT_MAX, 0},
		{3, -10, 3600, 0},
		{INT_MAX, INT_MIN, INT_MAX, 0},
		/* the cap applies to the first attempt too */
		{0, 100, 10, 10},
		{1, 100, 10, 10},
		{1, 10, 10, 10},
		/* a cap <= 0 allows no delay (never a negative one) */
		{3, 5, 0, 0},
		{3, 5, -1, 0},
		{INT_MAX, INT_MAX, INT_MIN, 0},
};

#define N_BACKOFF ((int)(sizeof(backoff_cases) / sizeof(backoff_cases[0])))

START_TEST(test_backoff)
{
	const struct backoff_case *c = &backoff_cases[_i];
	int ret;

	ret = sf_backoff(c->attempts, c->base, c->max);
	ck_assert_msg(ret == c->exp, "sf_backoff(%d, %d, %d) = %d, expected %d",
			c->attempts, c->base, c->max, ret, c->exp);
}
END_TEST

/* ---- sf_http_date ------------------------------------------------------ */

struct date_case
{
	long long t;
	size_t outsize;
	int ret;
	const char *exp;
};

#define D_OK(s) 29, (s)
#define D_ERR -1, NULL

static const struct date_case date_cases[] = {
		{0, 30, D_OK("Thu, 01 Jan 1970 00:00:00 GMT")},
		{784111777, 30, D_OK("Sun, 06 Nov 1994 08:49:37 GMT")},
		/* leap days */
		{951782400, 30, D_OK("Tue, 29 Feb 2000 00:00:00 GMT")},
		{1709251199, 30, D_OK("Thu, 29 Feb 2024 23:59:59 GMT")},
		{1709251200, 30, D_OK("Fri, 01 Mar 2024 00:00:00 GMT")},
		/* before the epoch, 32-bit edge, four-digit year edges */
		{-1, 30, D_OK("Wed, 31 Dec 1969 23:59:59 GMT")},
		{2147483647LL, 30, D_OK("Tue, 19 Jan 2038 03:14:07 GMT")},
		{2147483648LL, 30, D_OK("Tue, 19 Jan 2038 03:14:08 GMT")},
		{253402300799LL, 30, D_OK("Fri, 31 Dec 9999 23:59:59 GMT")},
		{-62167219200LL, 30, D_OK("Sat, 01 Jan 0000 00:00:00 GMT")},
		/* a five-digit or negative year would not be 29 characters */
		{253402300800LL, 30, D_ERR},
		{-62167219201LL, 30, D_ERR},
		{LLONG_MAX, 30, D_ERR},
		/* buffers: 30 is the least */
		{784111777, 64, D_OK("Sun, 06 Nov 1994 08:49:37 GMT")},
		{784111777, 29, D_ERR},
		{784111777, 1, D_ERR},
		{784111777, 0, D_ERR},
};

#define N_DATE ((int)(sizeof(date_cases) / sizeof(date_cases[0])))

START_TEST(test_http_date)
{
	const struct date_case *c = &date_cases[_i];
	char *out;
	char got[64];
	time_t t = (time_t)c->t;
	int ret, ok;

	/* values a 32-bit time_t cannot hold are skipped there */
	if((long long)t != c->t)
		return;
	out = out_buf(c->outsize);
	ret = sf_http_date(t, out, c->outsize);
	ok = ret == c->ret;
	if(ok && ret >= 0)
		ok = strcmp(out, c->exp) == 0;
	show(out ? out : "", ret > 0 ? (size_t)ret : 0, got, sizeof(got));
	free(out);
	ck_assert_msg(ok, "sf_http_date(%lld, %zu) = %d \"%s\", expected %d \"%s\"",
			c->t, c->outsize, ret, got, c->ret, c->exp ? c->exp : "");
}
END_TEST

/* English names whatever the locale (only the locales installed are
 * tried; "C" always is) */
START_TEST(test_http_date_locale)
{
	static const char *const locales[] = {
			"de_DE.UTF-8", "fr_FR.UTF-8", "ja_JP.UTF-8", "C.UTF-8", ""};
	char out[30];
	size_t i;

	for(i = 0; i < sizeof(locales) / sizeof(locales[0]); i++) {
		if(setlocale(LC_ALL, locales[i]) == NULL)
			continue;
		ck_assert_int_eq(sf_http_date(784111777, out, sizeof(out)), 29);
		ck_assert_str_eq(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	}
	setlocale(LC_ALL, "C");
}
END_TEST

/* several threads at once: no shared static buffer (gmtime_r) */
#define N_THREADS 4
#define N_ROUNDS 2000

static void *date_worker(void *arg)
{
	static const char *const exp[N_THREADS] = {"Thu, 01 Jan 1970 00:00:00 GMT",
			"Sun, 06 Nov 1994 08:49:37 GMT", "Tue, 29 Feb 2000 00:00:00 GMT",
			"Tue, 19 Jan 2038 03:14:07 GMT"};
	static const time_t ts[N_THREADS] = {0, 784111777, 951782400, 2147483647};
	int k = *(const int *)arg;
	char out[30];
	int i;

	for(i = 0; i < N_ROUNDS; i++) {
		if(sf_http_date(ts[k], out, sizeof(out)) != 29
				|| strcmp(out, exp[k]) != 0)
			return (void *)1;
	}
	return NULL;
}

START_TEST(test_http_date_threads)
{
	pthread_t th[N_THREADS];
	int ids[N_THREADS];
	void *res;
	int i, bad = 0;

	for(i = 0; i < N_THREADS; i++) {
		ids[i] = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, date_worker, &ids[i]), 0);
	}
	for(i = 0; i < N_THREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], &res), 0);
		if(res != NULL)
			bad++;
	}
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* ---- sf_utf8_valid ----------------------------------------------------- */

struct utf8_case
{
	const char *name;
	struct tbuf in;
	int exp;
};

static const struct utf8_case utf8_cases[] = {
		{"empty", NB, 1},
		{"ascii", B("Hello, World! ~"), 1},
		{"ascii_del", B("\x7f"), 1},
		{"two_byte_e_acute", B("caf\xc3\xa9"), 1},
		{"two_byte_min_u0080", B("\xc2\x80"), 1},
		{"two_byte_max_u07ff", B("\xdf\xbf"), 1},
		{"three_byte_euro", B("\xe2\x82\xac"), 1},
		{"three_byte_min_u0800", B("\xe0\xa0\x80"), 1},
		{"three_byte_u_d7ff", B("\xed\x9f\xbf"), 1},
		{"three_byte_u_e000", B("\xee\x80\x80"), 1},
		{"three_byte_u_ffff", B("\xef\xbf\xbf"), 1},
		{"four_byte_emoji", B("\xf0\x9f\x98\x80"), 1},
		{"four_byte_min_u10000", B("\xf0\x90\x80\x80"), 1},
		{"four_byte_max_u10ffff", B("\xf4\x8f\xbf\xbf"), 1},
		{"mixed", B("Gr\xc3\xbc\xc3\x9f \xe2\x82\xac\xf0\x9f\x98\x80!"), 1},
		/* overlongs */
		{"overlong_c0_80", B("\xc0\x80"), 0},
		{"overlong_c1_bf", B("\xc1\xbf"), 0},
		{"overlong_e0_80_80", B("\xe0\x80\x80"), 0},
		{"overlong_e0_9f_bf", B("\xe0\x9f\xbf"), 0},
		{"overlong_f0_80_80_80", B("\xf0\x80\x80\x80"), 0},
		{"overlong_f0_8f_bf_bf", B("\xf0\x8f\xbf\xbf"), 0},
		/* surrogates */
		{"surrogate_ed_a0_80", B("\xed\xa0\x80"), 0},
		{"surrogate_ed_bf_bf", B("\xed\xbf\xbf"), 0},
		{"surrogate_pair", B("\xed\xa0\xbd\xed\xb8\x80"), 0},
		/* above U+10FFFF and impossible lead bytes */
		{"above_max_f4_90_80_80", B("\xf4\x90\x80\x80"), 0},
		{"lead_f5", B("\xf5\x80\x80\x80"), 0},
		{"five_byte_f8", B("\xf8\x88\x80\x80\x80"), 0},
		{"byte_fe", B("a\xfe"), 0},
		{"byte_ff", B("\xff"), 0},
		/* truncated sequences at the end */
		{"trunc_two_of_two", B("ab\xc3"), 0},
		{"trunc_two_of_three", B("ab\xe2\x82"), 0},
		{"trunc_one_of_three", B("\xe2"), 0},
		{"trunc_three_of_four", B("x\xf0\x9f\x98"), 0},
		{"trunc_one_of_four", B("x\xf4"), 0},
		/* continuation bytes where they do not belong */
		{"lone_continuation", B("\x80"), 0},
		{"lone_continuation_inside",
				B("a\xbf"
				  "b"),
				0},
		{"extra_continuation", B("\xc3\xa9\xa9"), 0},
		{"bad_second_byte", B("\xc3\x28"), 0},
		{"bad_third_byte", B("\xe2\x82\x28"), 0},
		{"bad_fourth_byte", B("\xf0\x9f\x98\x28"), 0},
		{"lead_then_lead", B("\xe2\xe2\x82\xac"), 0},
		/* NUL bytes */
		{"nul_alone", B("\0"), 0},
		{"nul_inside", B("ab\0cd"), 0},
		{"nul_at_end", B("abc\0"), 0},
};

#define N_UTF8 ((int)(sizeof(utf8_cases) / sizeof(utf8_cases[0])))

/* one case of a yes/no check of bytes (sf_utf8_valid, sf_aor_printable) */
static void check_bytes_case(
		const struct utf8_case *c, int (*fn)(const char *, size_t))
{
	char *s = dup_bytes(&c->in);
	char shown[256];
	int ret;

	ret = fn(s, c->in.len);
	free(s);
	ck_assert_msg(ret == c->exp, "case %s (\"%s\"): got %d, expected %d",
			c->name,
			show(c->in.s ? c->in.s : "", c->in.len, shown, sizeof(shown)), ret,
			c->exp);
}

START_TEST(test_utf8)
{
	check_bytes_case(&utf8_cases[_i], sf_utf8_valid);
}
END_TEST

/* ---- sf_aor_printable ------------------------------------------------- */

static const struct utf8_case aor_printable_cases[] = {
		{"plain", B("bob@example.com"), 1},
		{"ipv4", B("bob@127.0.0.1"), 1},
		{"utf8_user", B("j\xc3\xb6rg@h"), 1},
		{"crlf_injection", B("x\r\nP-Asserted-Identity: a@h"), 0},
		{"lf", B("x\n@h"), 0},
		{"space", B("a b@h"), 0},
		{"tab", B("a\tb@h"), 0},
		{"nul", B("a\0b@h"), 0},
		{"del", B("a\x7f@h"), 0},
		{"lt", B("a<b@h"), 0},
		{"gt", B("a@h>"), 0},
		{"quote", B("a\"@h"), 0},
		{"no_at", B("bob"), 0},
		{"empty_user", B("@h"), 0},
		{"empty_host", B("bob@"), 0},
		{"empty", B(""), 0},
		{"short", B("a@"), 0},
};

#define N_AOR_PRINTABLE \
	((int)(sizeof(aor_printable_cases) / sizeof(aor_printable_cases[0])))

START_TEST(test_aor_printable)
{
	check_bytes_case(&aor_printable_cases[_i], sf_aor_printable);
}
END_TEST

/* ---- sf_name_in_list --------------------------------------------------- */

struct list_case
{
	struct tbuf name;
	struct tbuf list;
	int exp;
};

static const struct list_case list_cases[] = {
		{B("Subject"), B("Subject"), 1},
		{B("subject"), B("SUBJECT"), 1},
		{B("SUBJECT"), B("Date,subject,From"), 1},
		{B("From"), B("Date, Subject, From"), 1},
		{B("Date"), B("  Date  ,Subject"), 1},
		{B("To"), B("\tTo\t"), 1},
		{B("To"), B("From , To , Cc"), 1},
		{B("Content-Type"), B("content-type"), 1},
		{B("Content Type"), B("Content Type"), 1},
		/* empty items */
		{B("X"), B(",,X,,"), 1},
		{B("X"), B("Subject,"), 0},
		{B("Subject"), B("Subject,"), 1},
		{B("Subject"), B(",Subject"), 1},
		{B("X"), B(",, ,\t,"), 0},
		/* no prefix / suffix matches */
		{B("Sub"), B("Subject"), 0},
		{B("Subject"), B("Sub"), 0},
		{B("Subject"), B("Subjects, Subj"), 0},
		{B("ject"), B("Subject"), 0},
		{B("Subj"), B("Subject, Subj"), 1},
		{B("a"), B("ab,ba,a"), 1},
		/* a comma always separates items */
		{B("a,b"), B("a,b"), 0},
		/* only the list's items are trimmed, not the name */
		{B(" To"), B("To"), 0},
		/* case folding is ASCII only */
		{B("\xc3\x84"), B("\xc3\xa4"), 0},
		{B("\xc3\x84"), B("x, \xc3\x84"), 1},
		/* empty list, empty name */
		{B("Subject"), NB, 0},
		{NB, B("a,,b"), 0},
		{NB, B(""), 0},
		{NB, NB, 0},
};

#define N_LIST ((int)(sizeof(list_cases) / sizeof(list_cases[0])))

START_TEST(test_name_in_list)
{
	const struct list_case *c = &list_cases[_i];
	char *n = dup_bytes(&c->name);
	char *l = dup_bytes(&c->list);
	char sn[128], sl[128];
	int ret;

	ret = sf_name_in_list(n, c->name.len, l, c->list.len);
	free(n);
	free(l);
	ck_assert_msg(ret == c->exp,
			"sf_name_in_list(\"%s\", \"%s\") = %d, expected %d",
			show(c->name.s ? c->name.s : "", c->name.len, sn, sizeof(sn)),
			show(c->list.s ? c->list.s : "", c->list.len, sl, sizeof(sl)), ret,
			c->exp);
}
END_TEST

/* ---- sf_outcome_of ----------------------------------------------------- */

#define DEL SF_OUT_DELIVERED
#define RET SF_OUT_RETRY
#define FLD SF_OUT_FAILED

struct outcome_case
{
	int code;
	int exp;
};

static const struct outcome_case outcome_cases[] = {
		{200, DEL},
		{202, DEL},
		{299, DEL},
		{408, RET},
		{480, RET},
		{486, RET},
		{500, RET},
		{503, RET},
		{599, RET},
		{403, FLD},
		{404, FLD},
		{410, FLD},
		{415, FLD},
		{513, FLD},
		{600, FLD},
		{603, FLD},
		{699, FLD},
		/* 4xx the header does not call permanent */
		{400, RET},
		{405, RET},
		{488, RET},
		/* 3xx: not a delivery, not listed as permanent */
		{302, RET},
		/* provisional and out of range */
		{100, RET},
		{180, RET},
		{199, RET},
		{0, RET},
		{99, RET},
		{700, RET},
		{1000, RET},
		{-200, RET},
		{INT_MIN, RET},
		{INT_MAX, RET},
};

#define N_OUTCOME ((int)(sizeof(outcome_cases) / sizeof(outcome_cases[0])))

START_TEST(test_outcome)
{
	const struct outcome_case *c = &outcome_cases[_i];
	int ret;

	ret = sf_outcome_of(c->code);
	ck_assert_msg(ret == c->exp, "sf_outcome_of(%d) = %d, expected %d", c->code,
			ret, c->exp);
}
END_TEST

/* ---- the suite --------------------------------------------------------- */


/* ---- sf_hdrs_set_expires (issue 12 item 1: the rewrite grew a buffer
 * sized for the stored text) ---------------------------------------------- */

struct expires_case
{
	const char *in;
	long long left;
	const char *out;
};

static const struct expires_case expires_cases[] = {
		{"", 5, ""},
		{"Date: x\r\n", 5, "Date: x\r\n"},
		{"Expires: 1\r\n", 2592000, "Expires: 2592000\r\n"},
		{"Date: x\r\nexpires : 9\r\nSubject: s\r\n", 0,
				"Date: x\r\nExpires: 0\r\nSubject: s\r\n"},
		{"Expires: 1\r\nExpires: 1\r\nExpires: 1\r\n", 2592000,
				"Expires: 2592000\r\n"},
		/* not an Expires line: a longer name, no colon */
		{"Expiresx: 1\r\nExpires\r\n", 7, "Expiresx: 1\r\nExpires\r\n"},
		{"Subject: a\r\nExpires: 3", 42, "Subject: a\r\nExpires: 42\r\n"},
		{"Expires: 3\r\n", -5, "Expires: 0\r\n"},
		/* a stored block without its last line end: CRLF added */
		{"Subject: a", 5, "Subject: a\r\n"},
		{"Subject: a\nDate: b", 5, "Subject: a\nDate: b\r\n"},
};
#define N_EXPIRES ((int)(sizeof(expires_cases) / sizeof(expires_cases[0])))

START_TEST(test_set_expires)
{
	const struct expires_case *c = &expires_cases[_i];
	struct tbuf tb = {c->in, strlen(c->in)};
	char *in = dup_bytes(&tb);
	size_t size = strlen(c->in) + SF_EXPIRES_GROWTH;
	char *out = malloc(size);
	int n;

	n = sf_hdrs_set_expires(in, tb.len, c->left, out, size);
	ck_assert_int_eq(n, (int)strlen(c->out));
	ck_assert_str_eq(out, c->out);
	free(out);
	free(in);
}
END_TEST

/* a header block and the remaining lifetime */
struct expires_args
{
	const char *in;
	size_t len;
	long long left;
};

static int expires_into(const void *arg, char *out, size_t size)
{
	const struct expires_args *a = arg;

	return sf_hdrs_set_expires(a->in, a->len, a->left, out, size);
}

/* one long-lived value and sixty "Expires: 1": the output never outgrows
 * hlen + SF_EXPIRES_GROWTH, and every smaller buffer is refused, never
 * overrun (ASan watches the exact-size heap blocks) */
START_TEST(test_set_expires_sixty)
{
	static const char want[] = "Expires: 2592000\r\n";
	char in[2048], *out;
	struct expires_args a = {in, 0, 2592000};
	size_t size;
	int i;

	a.len += sprintf(in + a.len, "Expires: 2592000\r\n");
	for(i = 0; i < 60; i++)
		a.len += sprintf(in + a.len, "Expires: 1\r\n");
	check_fit(expires_into, &a, want, sizeof(want) - 1, sizeof(want),
			"set_expires");
	for(size = sizeof(want); size <= a.len + SF_EXPIRES_GROWTH; size++) {
		out = malloc(size);
		ck_assert_int_eq(expires_into(&a, out, size), (int)sizeof(want) - 1);
		free(out);
	}
}
END_TEST

/* ---- sf_utf8_preview (item 7: a preview cut a character) ---------------- */

struct preview_case
{
	struct tbuf in;
	int text;
	size_t keep;
};

static const struct preview_case preview_cases[] = {
		{B(""), 1, 0},
		{B("hello"), 1, 5},
		{B("caf\xc3\xa9"), 1, 5},
		{B("caf\xc3"), 1, 3},	   /* cut in a character: whole ones */
		{B("\xe2\x82"), 1, 0},	   /* cut three-byte character */
		{B("\xf0\x9f\x98"), 1, 0}, /* cut four-byte character */
		{B("a\xff"), 0, 1},		   /* invalid byte */
		{B("a\0b"), 0, 1},		   /* NUL: binary */
		{B("\xc3\xa9\xc3"), 1, 2},
		{B("\xc3\x28"), 0, 0},				  /* bad continuation */
		{B("ab\xc3\xa9z\xed\xa0\x80"), 0, 5}, /* surrogate */
		{B("\xe2\x28\xa1"), 0, 0},
};
#define N_PREVIEW ((int)(sizeof(preview_cases) / sizeof(preview_cases[0])))

START_TEST(test_utf8_preview)
{
	const struct preview_case *c = &preview_cases[_i];
	char *b = dup_bytes(&c->in);
	size_t keep = 99;
	int r = sf_utf8_preview(b, c->in.len, &keep);

	ck_assert_int_eq(r, c->text);
	ck_assert_uint_eq(keep, c->keep);
	if(r)
		ck_assert(sf_utf8_valid(b, keep));
	free(b);
}
END_TEST

/* ---- sf_rfc3339_valid (item 12: the CPIM DateTime echoed in IMDNs) ------- */

struct dt_case
{
	const char *s;
	int ok;
};

static const struct dt_case dt_cases[] = {
		{"2026-11-30T18:00:00Z", 1}, {"2026-11-30t18:00:00z", 1},
		{"2026-11-30T18:00:00.123456Z", 1}, {"2026-11-30T18:00:00+01:00", 1},
		{"2026-11-30T18:00:00.5-08:30", 1}, {"2026-11-30 18:00:00Z", 0},
		{"2026-11-30T18:00:00", 0}, {"2026-11-30T18:00Z", 0},
		{"2026-11-30T18:00:00.Z", 0}, {"2026-11-30T18:00:00Zjunk", 0},
		{"2026-11-30T18:00:00+0100", 0}, {"", 0},
		{"2026-11-30T18:00:00.0000000000000000000000000000000000000000000001Z",
				0}, /* over 64 bytes */
};
#define N_DT ((int)(sizeof(dt_cases) / sizeof(dt_cases[0])))

START_TEST(test_rfc3339)
{
	struct tbuf tb = {dt_cases[_i].s, strlen(dt_cases[_i].s)};
	char *b = dup_bytes(&tb);

	ck_assert_msg(sf_rfc3339_valid(b, tb.len) == dt_cases[_i].ok, "%s",
			dt_cases[_i].s);
	free(b);
}
END_TEST

/* ---- sf_fmt (item 2: a formatted length is checked, never trusted) ------ */

START_TEST(test_fmt)
{
	char buf[8], *big;
	char name[1200];

	ck_assert_int_eq(sf_fmt(buf, sizeof(buf), "%d", 1234567), 7);
	ck_assert_str_eq(buf, "1234567");
	/* 8 characters do not fit 8 bytes with the NUL: -1, emptied */
	ck_assert_int_eq(sf_fmt(buf, sizeof(buf), "%d", 12345678), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(sf_fmt(NULL, 0, "x"), -1);
	ck_assert_int_eq(sf_fmt(buf, 0, "x"), -1);
	/* the old bug: a 1,100-byte display name into a 1 KB buffer */
	memset(name, 'n', 1100);
	name[1100] = '\0';
	big = malloc(1024);
	ck_assert_int_eq(sf_fmt(big, 1024, "\"%s\" <sip:a@b>", name), -1);
	free(big);
}
END_TEST


/* ---- sf_lifetime (the store's lifetime decision, issue 13) -------------- */

struct lifetime_case
{
	int has, pol, def, max, exp;
	unsigned int val;
};

static const struct lifetime_case lifetime_cases[] = {
		/* has, profile, default, max, expected, Expires value */
		{1, 0, 604800, 2592000, 60, 60},
		{1, 0, 604800, 2592000, 2592000, 999999999}, /* capped */
		{1, 0, 604800, 2592000, 0, 0},				 /* Expires: 0 */
		{1, 3600, 604800, 2592000, 10, 10},			 /* Expires beats profile */
		{0, 3600, 604800, 2592000, 3600, 0},		 /* profile */
		{0, 9999999, 604800, 2592000, 604800, 0},	 /* profile over max */
		{0, 0, 604800, 2592000, 604800, 0},			 /* default */
		{0, -1, 604800, 2592000, 604800, 0},
		{0, 0, 5000000, 2592000, 2592000, 0}, /* default over max */
		{1, 0, 604800, 2592000, 2592000, 4294967295u},
		{0, 0, 10, 0, 0, 0}, /* no max: nothing */
};
#define N_LIFETIME ((int)(sizeof(lifetime_cases) / sizeof(lifetime_cases[0])))

START_TEST(test_lifetime)
{
	const struct lifetime_case *c = &lifetime_cases[_i];

	ck_assert_int_eq(
			sf_lifetime(c->has, c->val, c->pol, c->def, c->max), c->exp);
}
END_TEST

/* sf_hdr_value: the first of a header among stored lines, blanks and CR
 * left out, names matched whole and case-insensitively */
START_TEST(test_hdr_value)
{
	const char *h = "Subject-X: no\r\nsubject:  Hallo Welt\r\nSubject: 2nd\r\n"
					"Date: Tue\nX: \r\n";
	size_t n = strlen(h), vl;
	const char *v;
	char *copy = malloc(n);

	memcpy(copy, h, n); /* exactly n bytes: ASan sees a read past them */
	v = sf_hdr_value(copy, n, "Subject", &vl);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq((int)vl, 10);
	ck_assert_int_eq(memcmp(v, "Hallo Welt", 10), 0);
	v = sf_hdr_value(copy, n, "date", &vl);
	ck_assert(v != NULL && vl == 3 && memcmp(v, "Tue", 3) == 0);
	v = sf_hdr_value(copy, n, "X", &vl);
	ck_assert(v != NULL && vl == 0);
	ck_assert_ptr_null(sf_hdr_value(copy, n, "Subj", &vl));
	ck_assert_int_eq((int)vl, 0);
	ck_assert_ptr_null(sf_hdr_value(NULL, 0, "Date", &vl));
	/* a last line without its CRLF */
	v = sf_hdr_value(copy, strlen("Subject-X: no"), "Subject-X", &vl);
	ck_assert(v != NULL && vl == 2 && memcmp(v, "no", 2) == 0);
	free(copy);
}
END_TEST

Suite *text_suite(void)
{
	const struct unit_test t[] = {
			UT_CASE("aor_build"),
			UT_LOOP(test_aor, N_AOR),
			UT_CASE("backoff"),
			UT_LOOP(test_backoff, N_BACKOFF),
			UT_CASE("http_date"),
			UT_LOOP(test_http_date, N_DATE),
			UT(test_http_date_locale),
			UT(test_http_date_threads),
			UT_CASE("utf8_valid"),
			UT_LOOP(test_utf8, N_UTF8),
			UT_LOOP(test_aor_printable, N_AOR_PRINTABLE),
			UT_CASE("name_in_list"),
			UT_LOOP(test_name_in_list, N_LIST),
			UT_CASE("set_expires"),
			UT_LOOP(test_set_expires, N_EXPIRES),
			UT(test_set_expires_sixty),
			UT_CASE("utf8_preview"),
			UT_LOOP(test_utf8_preview, N_PREVIEW),
			UT_CASE("rfc3339"),
			UT_LOOP(test_rfc3339, N_DT),
			UT_CASE("fmt"),
			UT(test_fmt),
			UT_CASE("lifetime"),
			UT_LOOP(test_lifetime, N_LIFETIME),
			UT_CASE("outcome_of"),
			UT_LOOP(test_outcome, N_OUTCOME),
			UT_CASE("hdr_value"),
			UT(test_hdr_value),
	};

	return UNIT_SUITE("sf_text", t, NULL, NULL);
}
