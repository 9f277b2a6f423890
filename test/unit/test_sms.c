/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: unit tests of the SMS text and the sendsms query
 *
 * Written from sf_sms.h. Output buffers are heap blocks of exactly the
 * size passed (AddressSanitizer catches a write past them).
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sf_sms.h"

static sf_buf_t S(const char *s)
{
	return sf_bufv(s, strlen(s));
}

static int measure(const char *s, size_t *units)
{
	return sf_sms_measure(s, strlen(s), units);
}

START_TEST(test_gsm_or_ucs2)
{
	size_t u;

	ck_assert_int_eq(measure("Hello from SIP", &u), SF_SMS_GSM);
	ck_assert_uint_eq(u, 14);
	/* the default alphabet beyond ASCII: 1 septet, but 2 UTF-8 bytes */
	ck_assert_int_eq(measure("Grüße àé ÄÖÜ £¥§¿¡ ΔΩΣ", &u), SF_SMS_GSM);
	ck_assert_uint_eq(u, strlen("Grüße àé ÄÖÜ £¥§¿¡ ΔΩΣ"));
	/* the extension table: 2 septets each */
	ck_assert_int_eq(measure("{}[]~^|\\", &u), SF_SMS_GSM);
	ck_assert_uint_eq(u, 16);
	ck_assert_int_eq(measure("5 €", &u), SF_SMS_GSM);
	ck_assert_uint_eq(u, 5); /* 4 septets, 5 bytes */
	ck_assert_int_eq(measure("a\r\nb", &u), SF_SMS_GSM);
	/* not in it: UCS-2, counted in UTF-16 units */
	ck_assert_int_eq(measure("Grüße ☃ 你好", &u), SF_SMS_UCS2);
	ck_assert_uint_eq(u, 10);
	ck_assert_int_eq(measure("😀", &u), SF_SMS_UCS2);
	ck_assert_uint_eq(u, 2);
	ck_assert_int_eq(measure("`", &u), SF_SMS_UCS2);
	ck_assert_int_eq(measure("tab\there", &u), SF_SMS_UCS2);
	ck_assert_int_eq(measure("ç", &u), SF_SMS_UCS2); /* only Ç is GSM */
	ck_assert_int_eq(measure("Ç", &u), SF_SMS_GSM);
	ck_assert_int_eq(measure("", &u), SF_SMS_GSM);
	ck_assert_uint_eq(u, 0);
	ck_assert_int_eq(sf_sms_measure(NULL, 0, &u), SF_SMS_GSM);
}
END_TEST

START_TEST(test_hostile_text_refused)
{
	size_t u = 99;

	ck_assert_int_eq(sf_sms_measure("a\0b", 3, &u), -1);
	ck_assert_int_eq(measure("\xff", &u), -1);
	ck_assert_int_eq(measure("\xc3", &u), -1);		   /* cut */
	ck_assert_int_eq(measure("\xc0\xaf", &u), -1);	   /* overlong */
	ck_assert_int_eq(measure("\xed\xa0\x80", &u), -1); /* surrogate */
	ck_assert_int_eq(measure("\xf4\x90\x80\x80", &u), -1);
	ck_assert_int_eq(measure("ok \x80 no", &u), -1);
	/* the cut end of a valid text */
	ck_assert_int_eq(sf_sms_measure("aü", 2, &u), -1);
}
END_TEST

START_TEST(test_fits_ten_parts)
{
	char *t = malloc(1600);
	size_t u;

	ck_assert_ptr_nonnull(t);
	memset(t, 'x', 1600);
	ck_assert_int_eq(sf_sms_measure(t, 1530, &u), SF_SMS_GSM);
	ck_assert(sf_sms_fits(SF_SMS_GSM, u));
	ck_assert_int_eq(sf_sms_measure(t, 1531, &u), SF_SMS_GSM);
	ck_assert(!sf_sms_fits(SF_SMS_GSM, u));
	/* 765 extension characters = 1530 septets; one more does not fit */
	memset(t, '{', 766);
	ck_assert_int_eq(sf_sms_measure(t, 765, &u), SF_SMS_GSM);
	ck_assert(sf_sms_fits(SF_SMS_GSM, u));
	ck_assert_int_eq(sf_sms_measure(t, 766, &u), SF_SMS_GSM);
	ck_assert(!sf_sms_fits(SF_SMS_GSM, u));
	/* UCS-2: 670 units; "☃" is 3 bytes, 1 unit */
	for(u = 0; u < 1600 / 3; u++)
		memcpy(t + 3 * u, "\xe2\x98\x83", 3);
	ck_assert_int_eq(sf_sms_measure(t, 3 * 500, &u), SF_SMS_UCS2);
	ck_assert_uint_eq(u, 500);
	ck_assert(sf_sms_fits(SF_SMS_UCS2, u));
	ck_assert(sf_sms_fits(SF_SMS_UCS2, 670));
	ck_assert(!sf_sms_fits(SF_SMS_UCS2, 671));
	ck_assert(!sf_sms_fits(7, 1));
	free(t);
}
END_TEST

START_TEST(test_plain)
{
	ck_assert(sf_sms_plain(S("text/plain")));
	ck_assert(sf_sms_plain(S("Text/Plain ; charset=UTF-8")));
	ck_assert(sf_sms_plain(S("text/plain;charset=\"us-ascii\"")));
	ck_assert(sf_sms_plain(S("text/plain; format=flowed; charset=utf-8")));
	ck_assert(sf_sms_plain(S("")));
	ck_assert(sf_sms_plain(S(" ")));
	ck_assert(!sf_sms_plain(S("text/plain; charset=iso-8859-1")));
	ck_assert(
			!sf_sms_plain(S("text/plain; x=\"a;charset=b\"; charset=koi8-r")));
	ck_assert(sf_sms_plain(S("text/plain; x=\"a;charset=b\"")));
	ck_assert(!sf_sms_plain(S("text/html")));
	ck_assert(!sf_sms_plain(S("text/plainx")));
	ck_assert(!sf_sms_plain(S("image/png")));
	ck_assert(!sf_sms_plain(S("message/cpim")));
	ck_assert(!sf_sms_plain(S("; charset=utf-8")));
	ck_assert(!sf_sms_plain(S("text/plain; charset=\"unterminated")));
}
END_TEST

START_TEST(test_target_and_sender)
{
	sf_buf_t n, f;

	ck_assert_int_eq(sf_sms_target(S("sms:+4917012345678").s, 18, &n), 0);
	ck_assert_uint_eq(n.len, 14);
	ck_assert(memcmp(n.s, "+4917012345678", 14) == 0);
	ck_assert_int_eq(sf_sms_target("sms:+", 5, &n), -1);
	ck_assert_int_eq(sf_sms_target("sms:4917", 8, &n), -1);
	ck_assert_int_eq(sf_sms_target("sms:+49a7", 9, &n), -1);
	ck_assert_int_eq(sf_sms_target("sms:+1234567890123456", 21, &n), -1);
	ck_assert_int_eq(sf_sms_target("mailto:a@b", 10, &n), -1);

	f = sf_sms_sender(S("Shop"), S("sip:+491701@x"));
	ck_assert(f.len == 4 && memcmp(f.s, "Shop", 4) == 0);
	f = sf_sms_sender(S(""), S("sip:+4917012345678@example.com"));
	ck_assert(f.len == 14 && memcmp(f.s, "+4917012345678", 14) == 0);
	f = sf_sms_sender(S(""), S("<tel:+4930123;phone-context=x>"));
	ck_assert(f.len == 8 && memcmp(f.s, "+4930123", 8) == 0);
	f = sf_sms_sender(S(""), S("sip:alice@example.com"));
	ck_assert(f.len == 4 && memcmp(f.s, "sfwd", 4) == 0);
	f = sf_sms_sender(S(""), S("sip:+49&x@h"));
	ck_assert(f.len == 4 && memcmp(f.s, "sfwd", 4) == 0);
	f = sf_sms_sender(S(""), S("sip:+@h"));
	ck_assert(f.len == 4 && memcmp(f.s, "sfwd", 4) == 0);
	f = sf_sms_sender(S(""), S(""));
	ck_assert(f.len == 4 && memcmp(f.s, "sfwd", 4) == 0);
}
END_TEST

static int eq(sf_buf_t b, const char *s)
{
	return b.len == strlen(s) && memcmp(b.s, s, b.len) == 0;
}

START_TEST(test_cpim)
{
	sf_buf_t ct, c;

	ck_assert_int_eq(
			sf_sms_cpim(S("From: <sip:a@b>\r\nNS: imdn <urn:ietf:params:imdn>"
						  "\r\n\r\nContent-Type: text/plain; charset=utf-8"
						  "\r\nContent-Length: 5\r\n\r\nHallo"),
					&ct, &c),
			0);
	ck_assert(eq(ct, "text/plain; charset=utf-8"));
	ck_assert(eq(c, "Hallo"));
	/* LF only, no CPIM headers at all, an empty content */
	ck_assert_int_eq(
			sf_sms_cpim(S("\ncontent-type:  text/plain \n\n"), &ct, &c), 0);
	ck_assert(eq(ct, "text/plain"));
	ck_assert_uint_eq(c.len, 0);
	ck_assert_int_eq(
			sf_sms_cpim(S("From: x\r\n\r\nContent-Type: text/plain"
						  "\r\nContent-Transfer-Encoding: 8bit\r\n\r\nok"),
					&ct, &c),
			0);
	/* not such a body */
	ck_assert_int_eq(
			sf_sms_cpim(S("From: x\r\n\r\nContent-Type: text/plain"
						  "\r\nContent-Transfer-Encoding: base64\r\n\r\naGk="),
					&ct, &c),
			-1);
	ck_assert_int_eq(
			sf_sms_cpim(
					S("From: x\r\n\r\nContent-Type: text/plain\r\n"), &ct, &c),
			-1);
	ck_assert_int_eq(sf_sms_cpim(S("From: x"), &ct, &c), -1);
	ck_assert_int_eq(
			sf_sms_cpim(S("From: x\r\n\r\nX-A: b\r\n\r\nhi"), &ct, &c), -1);
	ck_assert_int_eq(sf_sms_cpim(sf_bufv(NULL, 0), &ct, &c), -1);
}
END_TEST

START_TEST(test_text)
{
	sf_buf_t t;
	char *big = malloc(2000);

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(sf_sms_text(S("text/plain"), S("Hello"), &t), 1);
	ck_assert(eq(t, "Hello"));
	ck_assert_int_eq(
			sf_sms_text(S("Message/CPIM"),
					S("From: x\r\n\r\nContent-Type: text/plain;charset=UTF-8"
					  "\r\n\r\nGrüße ☃"),
					&t),
			1);
	ck_assert(eq(t, "Grüße ☃"));
	ck_assert_int_eq(
			sf_sms_text(S("message/cpim"),
					S("From: x\r\n\r\nContent-Type: image/png\r\n\r\nPNG"), &t),
			0);
	ck_assert_int_eq(sf_sms_text(S("message/cpim"), S("no cpim"), &t), 0);
	ck_assert_int_eq(sf_sms_text(S("image/png"), S("Hello"), &t), 0);
	ck_assert_int_eq(sf_sms_text(sf_bufv(NULL, 0), S("Hi"), &t), 1);
	ck_assert(sf_sms_plain(sf_bufv(NULL, 0)));
	ck_assert_int_eq(sf_sms_text(S("text/plain"), S("bad \xff"), &t), 0);
	ck_assert_int_eq(sf_sms_text(S("text/plain"), sf_bufv("a\0b", 3), &t), 0);
	memset(big, 'a', 2000);
	ck_assert_int_eq(sf_sms_text(S("text/plain"), sf_bufv(big, 1530), &t), 1);
	ck_assert_int_eq(sf_sms_text(S("text/plain"), sf_bufv(big, 1531), &t), 0);
	free(big);
}
END_TEST

static char *query(const sf_sms_req_t *in, size_t size, int *n)
{
	char *out = malloc(size);

	ck_assert_ptr_nonnull(out);
	*n = sf_sms_query(out, size, in);
	return out;
}

START_TEST(test_query)
{
	sf_sms_req_t in;
	char *q;
	int n;

	memset(&in, 0, sizeof(in));
	in.user = S("sf wd");
	in.pass = S("p&ss=+%");
	in.from = S("+4930123");
	in.to = S("+4917012345678");
	in.text = S("Hello from SIP");
	q = query(&in, 512, &n);
	ck_assert_str_eq(q,
			"username=sf%20wd&password=p%26ss%3D%2B%25&from=%2B4930123"
			"&to=%2B4917012345678&text=Hello%20from%20SIP&charset=UTF-8");
	ck_assert_int_eq(n, (int)strlen(q));
	free(q);

	in.text = S("Grüße ☃~");
	in.dlr_url = S("http://127.0.0.1:8/sfwd/dlr/0a?type=%d");
	q = query(&in, 512, &n);
	ck_assert_str_eq(q,
			"username=sf%20wd&password=p%26ss%3D%2B%25&from=%2B4930123"
			"&to=%2B4917012345678&text=Gr%C3%BC%C3%9Fe%20%E2%98%83~"
			"&charset=UTF-8&coding=2&dlr-mask=19&dlr-url="
			"http%3A%2F%2F127.0.0.1%3A8%2Fsfwd%2Fdlr%2F0a%3Ftype%3D%25d");
	ck_assert_int_eq(n, (int)strlen(q));
	free(q);
}
END_TEST

START_TEST(test_query_does_not_fit_or_refused)
{
	sf_sms_req_t in;
	char *q;
	int n, full;

	memset(&in, 0, sizeof(in));
	in.to = S("+49");
	in.text = S("abc");
	q = query(&in, 256, &full);
	ck_assert_int_gt(full, 0);
	free(q);
	/* exactly the size with its NUL fits; one byte less does not */
	q = query(&in, (size_t)full + 1, &n);
	ck_assert_int_eq(n, full);
	free(q);
	q = query(&in, (size_t)full, &n);
	ck_assert_int_eq(n, -1);
	ck_assert_str_eq(q, "");
	free(q);
	/* invalid UTF-8, a NUL: refused, nothing written */
	in.text = sf_bufv("a\0b", 3);
	q = query(&in, 256, &n);
	ck_assert_int_eq(n, -1);
	ck_assert_str_eq(q, "");
	free(q);
	in.text = S("\xfe\xff");
	q = query(&in, 256, &n);
	ck_assert_int_eq(n, -1);
	free(q);
}
END_TEST

Suite *sms_suite(void)
{
	Suite *s = suite_create("sf_sms");
	TCase *tc = tcase_create("sms");

	tcase_add_test(tc, test_gsm_or_ucs2);
	tcase_add_test(tc, test_hostile_text_refused);
	tcase_add_test(tc, test_fits_ten_parts);
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_target_and_sender);
	tcase_add_test(tc, test_cpim);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_query_does_not_fit_or_refused);
	suite_add_tcase(s, tc);
	return s;
}
