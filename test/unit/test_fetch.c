/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: unit tests of notify-then-fetch's tokens, links, notices
 *
 * Written from sf_fetch.h. Output buffers are heap blocks of exactly the
 * size passed (AddressSanitizer catches a write past them).
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sf_fetch.h"
#include "sf_text.h"

static sf_buf_t S(const char *s)
{
	return sf_bufv(s, strlen(s));
}

START_TEST(test_token_form_and_uniqueness)
{
	char t[64][SF_FETCH_TOKEN_LEN + 1];
	int i, j, bits = 0;

	for(i = 0; i < 64; i++) {
		ck_assert_int_eq(sf_fetch_token(t[i]), 0);
		ck_assert_uint_eq(strlen(t[i]), SF_FETCH_TOKEN_LEN);
		ck_assert(sf_fetch_token_valid(t[i], SF_FETCH_TOKEN_LEN));
		for(j = 0; j < i; j++)
			ck_assert_str_ne(t[i], t[j]);
	}
	/* every hex position takes more than one value across 64 tokens */
	for(i = 0; i < SF_FETCH_TOKEN_LEN; i++)
		for(j = 1; j < 64; j++)
			if(t[j][i] != t[0][i]) {
				bits++;
				break;
			}
	ck_assert_int_eq(bits, SF_FETCH_TOKEN_LEN);
}
END_TEST

START_TEST(test_token_valid)
{
	const char *ok = "0123456789abcdef0123456789abcdef";

	ck_assert(sf_fetch_token_valid(ok, 32));
	ck_assert(!sf_fetch_token_valid(ok, 31));
	ck_assert(!sf_fetch_token_valid("0123456789abcdef0123456789abcdeF", 32));
	ck_assert(!sf_fetch_token_valid("0123456789abcdef0123456789abcdeg", 32));
	ck_assert(!sf_fetch_token_valid("0123456789abcdef0123456789abcd'", 32));
	ck_assert(!sf_fetch_token_valid(NULL, 32));
	ck_assert(!sf_fetch_token_valid("", 0));
}
END_TEST

START_TEST(test_url)
{
	char *out = malloc(64);
	const char *tok = "0123456789abcdef0123456789abcdef";

	ck_assert_int_eq(sf_fetch_url(out, 64, S("http://h:8/sfwd/"), "m", tok),
			(int)strlen("http://h:8/sfwd/m/") + 32);
	ck_assert_str_eq(out, "http://h:8/sfwd/m/0123456789abcdef0123456789abcdef");
	ck_assert_int_eq(sf_fetch_url(out, 64, S("http://h:8/x"), "dlr", tok),
			(int)strlen("http://h:8/x/dlr/") + 32);
	/* does not fit: -1, emptied */
	ck_assert_int_eq(
			sf_fetch_url(out, 64, S("http://a-rather-long-host:8/x"), "m", tok),
			-1);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

START_TEST(test_notice)
{
	char *out = malloc(SF_FETCH_NOTICE_MAX);
	sf_fetch_notice_in_t in = {.from_name = S("Alice"),
			.from_uri = S("sip:alice@example.com"),
			.subject = S("Holiday"),
			.content_type = S("image/png; name=x.png"),
			.size = 2 * 1024 * 1024,
			.url = S("http://127.0.0.1:8080/sfwd/m/abc")};
	int n = sf_fetch_notice(out, SF_FETCH_NOTICE_MAX, &in);

	ck_assert_int_eq(n, (int)strlen(out));
	ck_assert_str_eq(out,
			"Message from Alice <sip:alice@example.com>: \"Holiday\", 2.0 MB "
			"(image/png). Fetch it: http://127.0.0.1:8080/sfwd/m/abc");
	/* a quoted display name: its text, no quotes */
	in.from_name = S("\"Alice A.\"");
	sf_fetch_notice(out, SF_FETCH_NOTICE_MAX, &in);
	ck_assert_ptr_nonnull(strstr(out, "Message from Alice A. <sip:"));
	in.from_name = S("");
	in.subject = S("");
	in.size = 40 * 1024;
	in.content_type = S("");
	sf_fetch_notice(out, SF_FETCH_NOTICE_MAX, &in);
	ck_assert_str_eq(out,
			"Message from <sip:alice@example.com>: 40 KB. Fetch it: "
			"http://127.0.0.1:8080/sfwd/m/abc");
	in.size = 1;
	sf_fetch_notice(out, SF_FETCH_NOTICE_MAX, &in);
	ck_assert_ptr_nonnull(strstr(out, ": 1 byte. "));
	free(out);
}
END_TEST

/* hostile names and subjects: 2 KB, invalid UTF-8, control characters,
 * quotes; the notice stays bounded, valid UTF-8 and on one line */
START_TEST(test_notice_hostile)
{
	static char name[2049], subj[2049], uri[2049];
	char *out = malloc(SF_FETCH_NOTICE_MAX);
	sf_fetch_notice_in_t in;
	int i, n;

	for(i = 0; i < 2048; i += 4)
		memcpy(name + i, "\xf0\x9f\x98\x80", 4); /* 512 emoji */
	for(i = 0; i < 2048; i++)
		subj[i] = (char)(i % 3 == 0 ? '\xff' : i % 3 == 1 ? '\n' : '"');
	memset(uri, 'u', 2048);
	memset(&in, 0, sizeof(in));
	in.from_name = sf_bufv(name, 2048);
	in.from_uri = sf_bufv(uri, 2048);
	in.subject = sf_bufv(subj, 2048);
	in.content_type = S("text/plain\r\nX-Evil: 1");
	in.size = 5;
	in.url = S("http://h/m/t");
	n = sf_fetch_notice(out, SF_FETCH_NOTICE_MAX, &in);
	ck_assert_int_gt(n, 0);
	ck_assert(sf_utf8_valid(out, (size_t)n));
	ck_assert_ptr_null(strchr(out, '\n'));
	ck_assert_ptr_null(strchr(out, '\r'));
	ck_assert_ptr_null(strstr(out, "X-Evil"));
	/* 64 emoji of the name, then "..." */
	ck_assert_ptr_nonnull(strstr(out, "\xf0\x9f\x98\x80..."));
	ck_assert_int_eq(memcmp(out, "Message from ", 13), 0);
	/* too small a buffer: -1, emptied */
	ck_assert_int_eq(sf_fetch_notice(out, 20, &in), -1);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

Suite *fetch_suite(void)
{
	Suite *s = suite_create("sf_fetch");
	TCase *tc = tcase_create("fetch");

	tcase_add_test(tc, test_token_form_and_uniqueness);
	tcase_add_test(tc, test_token_valid);
	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_notice);
	tcase_add_test(tc, test_notice_hostile);
	suite_add_tcase(s, tc);
	return s;
}
