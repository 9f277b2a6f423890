/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd unit tests :: one runner for every suite (make check)
 *
 * One suite alone: CK_RUN_SUITE=sf_msrp ./test_all (Check's own switch).
 */

#include <check.h>
#include <stdlib.h>

Suite *classify_suite(void);
Suite *text_suite(void);
Suite *imdn_suite(void);
Suite *msrp_suite(void);
Suite *profile_json_suite(void);
Suite *session_suite(void);
Suite *mail_suite(void);
Suite *fetch_suite(void);
Suite *sms_suite(void);
Suite *mime_suite(void);
Suite *rlist_suite(void);

int main(void)
{
	SRunner *sr;
	int nf;

	sr = srunner_create(classify_suite());
	srunner_add_suite(sr, text_suite());
	srunner_add_suite(sr, imdn_suite());
	srunner_add_suite(sr, msrp_suite());
	srunner_add_suite(sr, profile_json_suite());
	srunner_add_suite(sr, session_suite());
	srunner_add_suite(sr, mail_suite());
	srunner_add_suite(sr, fetch_suite());
	srunner_add_suite(sr, sms_suite());
	srunner_add_suite(sr, mime_suite());
	srunner_add_suite(sr, rlist_suite());
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
