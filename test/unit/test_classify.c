/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: unit tests of the pure store-flag classifier
 *
 * Table-driven tests of sf_classify_parse(), written from the contract in
 * sf_classify.h. Every buffer of a case is copied into a heap block of
 * exactly its length (NULL when the length is 0) before the call, so that
 * AddressSanitizer catches any read past the end of a non-NUL-terminated
 * input.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_classify.h"
#include "unit_util.h"


#define MSG SF_METHOD_MESSAGE
#define INV SF_METHOD_INVITE
#define OTH SF_METHOD_OTHER

#define S_DEF SF_SRC_DEFAULT
#define S_RD SF_SRC_REQUEST_DISPOSITION
#define S_CD SF_SRC_CONTENT_DISPOSITION
#define S_SDP SF_SRC_SDP
#define S_CPIM SF_SRC_CPIM

/* expected notify value meaning "the positive bit is set, the negative one
 * is not specified" (the spec only says NOTIFY <=> positive bit) */
#define N_POS (-100)

/* expected outcomes */
#define OK(c, n, src) .ret = (c), .cls = (c), .notify = (n), .source = (src)
#define FAIL(r) .ret = (r)
#define EPARSE FAIL(SF_CLS_ERR_PARSE)
#define EMETHOD FAIL(SF_CLS_ERR_METHOD)

#define MAX_RD 20
#define MAX_CD 4


struct cls_case
{
	const char *name;
	int method;
	int n_rd;
	struct tbuf rd[MAX_RD];
	int n_cd;
	struct tbuf cd[MAX_CD];
	struct tbuf ct;
	struct tbuf ce; /* Content-Encoding */
	struct tbuf body;
	int def;
	int ret;
	int cls;
	int notify;
	int source;
};

/* ---- body building blocks ---------------------------------------------- */

#define CT_SDP B("application/sdp")
#define CT_CPIM B("message/cpim")

#define SDP_HEAD                                         \
	"v=0\r\n"                                            \
	"o=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\n" \
	"s=-\r\n"                                            \
	"c=IN IP4 192.0.2.1\r\n"                             \
	"t=0 0\r\n"

#define M_INSTANT "m=messaging 3456 IMTP/instant MESSAGE/instant html\r\n"
#define M_SFWD "m=messaging 3456 IMTP/store&fwd MESSAGE/store&fwd html\r\n"
#define M_SF "m=messaging 3456 IMTP/S&F MESSAGE/S&F html\r\n"
#define M_MSRP "m=message 7654 TCP/MSRP *\r\na=accept-types:text/plain\r\n"

#define MP_CT B("multipart/mixed;boundary=unique-boundary-1")
#define MP_TEXT                    \
	"--unique-boundary-1\r\n"      \
	"Content-Type: text/plain\r\n" \
	"\r\n"                         \
	"Hello\r\n"
#define MP_SDP(mline)                   \
	"--unique-boundary-1\r\n"           \
	"Content-Type: application/sdp\r\n" \
	"\r\n" SDP_HEAD mline "\r\n"
#define MP_END "--unique-boundary-1--\r\n"

#define CPIM_HDRS                                          \
	"From: MR SANDERS <im:piglet@100akerwood.com>\r\n"     \
	"To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n" \
	"DateTime: 2000-12-13T13:40:00-08:00\r\n"
#define CPIM_NS "NS: imdn <urn:ietf:params:imdn>\r\n"
#define CPIM_MSGID "imdn.Message-ID: 34jk324j\r\n"
#define CPIM_DN(v) "imdn.Disposition-Notification: " v "\r\n"
#define CPIM(v) B(CPIM_HDRS CPIM_NS CPIM_MSGID CPIM_DN(v) CPIM_TAIL)

/* an ~8 KB Request-Disposition: "proxy, " x BIG_REPS then "notify" */
#define BIG_REPS 1170
static char big_rd[BIG_REPS * 7 + 6];

static void fill_big(void)
{
	size_t i;

	for(i = 0; i < BIG_REPS; i++)
		memcpy(big_rd + i * 7, "proxy, ", 7);
	memcpy(big_rd + BIG_REPS * 7, "notify", 6);
}

#define P B("proxy")

/* ---- the table --------------------------------------------------------- */

static const struct cls_case cases[] = {
		/* --- an encoded body is opaque (issue 12 item 18: linphone's
		 * deflated CPIM was refused as a bad store flag) --- */
		{.name = "deflated_cpim_is_opaque",
				.method = MSG,
				.ct = B("message/cpim"),
				.ce = B("deflate"),
				.body = B("\x78\x9c\xcb\x48\xcd\xc9\xc9\x07\x00"),
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "deflated_cpim_headers_still_count",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("notify")},
				.ct = B("message/cpim"),
				.ce = B(" gzip "),
				.body = B("garbage without a blank line"),
				.def = 2,
				OK(3, 3, S_RD)},
		{.name = "identity_encoding_is_read",
				.method = MSG,
				.ct = B("message/cpim"),
				.ce = B("identity"),
				.body = B("no blank line, so not CPIM"),
				.def = 2,
				.ret = SF_CLS_ERR_PARSE},
		{.name = "deflated_sdp_is_opaque",
				.method = INV,
				.ct = B("application/sdp"),
				.ce = B("deflate"),
				.body = B("m=messaging 1 IMTP/bogus x\r\n"),
				.def = 2,
				OK(2, 0, S_DEF)},
		/* --- nothing said: the caller's default --- */
		{.name = "silent_default_store",
				.method = MSG,
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "silent_default_instant",
				.method = MSG,
				.def = 1,
				OK(1, 0, S_DEF)},
		{.name = "silent_default_notify",
				.method = MSG,
				.def = 3,
				OK(3, N_POS, S_DEF)},
		{.name = "silent_invite_default_instant",
				.method = INV,
				.def = 1,
				OK(1, 0, S_DEF)},
		{.name = "rd_empty_body",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("")},
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "rd_null_body",
				.method = MSG,
				.n_rd = 1,
				.rd = {NB},
				.def = 1,
				OK(1, 0, S_DEF)},
		{.name = "rd_whitespace_body",
				.method = MSG,
				.n_rd = 2,
				.rd = {B("   "), B(" ")},
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "cd_empty_and_ws_bodies",
				.method = MSG,
				.n_cd = 2,
				.cd = {B(""), B("    ")},
				.def = 3,
				OK(3, N_POS, S_DEF)},
		{.name = "text_plain_body_default",
				.method = MSG,
				.ct = B("text/plain"),
				.body = B("store please, notify me"),
				.def = 2,
				OK(2, 0, S_DEF)},

		/* --- Request-Disposition tokens, mixed case --- */
		{.name = "rd_do_not_store",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("do-not-store")},
				.def = 2,
				OK(1, 0, S_RD)},
		{.name = "rd_do_not_store_mixed",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("Do-Not-STORE")},
				.def = 3,
				OK(1, 0, S_RD)},
		{.name = "rd_store",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store")},
				.def = 1,
				OK(2, 0, S_RD)},
		{.name = "rd_store_upper",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("STORE")},
				.def = 1,
				OK(2, 0, S_RD)},
		{.name = "rd_store_beats_default_notify",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store")},
				.def = 3,
				OK(2, 0, S_RD)},
		{.name = "rd_store_and_forward",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("Store-And-Forward")},
				.def = 1,
				OK(2, 0, S_RD)},
		{.name = "rd_store_and_forward_if_not_reached",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("STORE-and-forward-IF-NOT-reached")},
				.def = 1,
				OK(2, 0, S_RD)},
		{.name = "rd_notify",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("notify")},
				.def = 1,
				OK(3, 3, S_RD)},
		{.name = "rd_notify_mixed",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("NoTiFy")},
				.def = 2,
				OK(3, 3, S_RD)},
		{.name = "rd_notify_invite",
				.method = INV,
				.n_rd = 1,
				.rd = {B("notify")},
				.def = 2,
				OK(3, 3, S_RD)},

		/* --- comma lists, whitespace, several instances --- */
		{.name = "rd_list_spaces",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("  proxy ,  store  ")},
				.def = 1,
				OK(2, 0, S_RD)},
		{.name = "rd_list_no_spaces",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("no-fork,notify,sequential")},
				.def = 1,
				OK(3, 3, S_RD)},
		{.name = "rd_list_space_before_comma",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("recurse , do-not-store , queue")},
				.def = 3,
				OK(1, 0, S_RD)},
		{.name = "rd_several_instances",
				.method = MSG,
				.n_rd = 3,
				.rd = {B("proxy"), B("no-cancel, parallel"), B("store")},
				.def = 1,
				OK(2, 0, S_RD)},
		{.name = "rd_instances_store_then_notify",
				.method = MSG,
				.n_rd = 2,
				.rd = {B("store"), B("notify")},
				.def = 1,
				OK(3, 3, S_RD)},
		{.name = "rd_instances_notify_then_dns",
				.method = MSG,
				.n_rd = 2,
				.rd = {B("notify"), B("do-not-store")},
				.def = 2,
				OK(1, 0, S_RD)},
		{.name = "rd_empty_instance_among_others",
				.method = MSG,
				.n_rd = 3,
				.rd = {B(""), B("  "), B("notify")},
				.def = 2,
				OK(3, 3, S_RD)},

		/* --- RFC 3841 tokens and unknown tokens are ignored --- */
		{.name = "rd_rfc3841_only",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("proxy, redirect, cancel, no-cancel, fork, no-fork, "
						 "recurse, no-recurse, parallel, sequential, queue, "
						 "no-queue")},
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "rd_rfc3841_mixed_case_then_store",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("PROXY, Redirect, Fork, NO-RECURSE, Queue, store")},
				.def = 1,
				OK(2, 0, S_RD)},
		{.name = "rd_unknown_tokens",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("foo, store-later, storing, notifyx, no-store, "
						 "do-not-store-x, instant")},
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "rd_unknown_token_chars",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("x-foo.bar_1+2!%*~, notify")},
				.def = 1,
				OK(3, 3, S_RD)},

		/* --- conflicting tokens --- */
		{.name = "rd_dns_plus_notify",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("do-not-store, notify")},
				.def = 2,
				OK(1, 0, S_RD)},
		{.name = "rd_notify_plus_dns",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("notify, do-not-store")},
				.def = 3,
				OK(1, 0, S_RD)},
		{.name = "rd_store_plus_notify",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store, notify")},
				.def = 1,
				OK(3, 3, S_RD)},
		{.name = "rd_saf_plus_dns",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store-and-forward, do-not-store")},
				.def = 2,
				OK(1, 0, S_RD)},

		/* --- header instance limit --- */
		{.name = "rd_notify_in_16th_instance",
				.method = MSG,
				.n_rd = 16,
				.rd = {P, P, P, P, P, P, P, P, P, P, P, P, P, P, P,
						B("notify")},
				.def = 2,
				OK(3, 3, S_RD)},
		{.name = "rd_notify_in_17th_instance_not_read",
				.method = MSG,
				.n_rd = 17,
				.rd = {P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P,
						B("notify")},
				.def = 2,
				OK(2, 0, S_DEF)},

		/* --- big header --- */
		{.name = "rd_8k_proxies_then_notify",
				.method = MSG,
				.n_rd = 1,
				.rd = {{big_rd, sizeof(big_rd)}},
				.def = 1,
				OK(3, 3, S_RD)},

		/* --- malformed Request-Disposition --- */
		{.name = "rd_param_semicolon",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store;x")},
				.def = 2,
				EPARSE},
		{.name = "rd_quoted_token",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("\"store\"")},
				.def = 2,
				EPARSE},
		{.name = "rd_slash",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("proxy, store/fwd")},
				.def = 2,
				EPARSE},
		{.name = "rd_angle",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("<notify>")},
				.def = 2,
				EPARSE},
		{.name = "rd_equals",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store=1")},
				.def = 2,
				EPARSE},
		{.name = "rd_high_byte",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("stor\xc3\xa9")},
				.def = 2,
				EPARSE},
		{.name = "rd_nul_inside",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("sto\0re")},
				.def = 2,
				EPARSE},
		{.name = "rd_nul_trailing",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("notify\0")},
				.def = 2,
				EPARSE},
		{.name = "rd_ctl_0x01",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store\x01")},
				.def = 2,
				EPARSE},
		{.name = "rd_ctl_esc_in_2nd_instance",
				.method = MSG,
				.n_rd = 2,
				.rd = {B("proxy"), B("\x1b"
									 "notify")},
				.def = 2,
				EPARSE},
		{.name = "rd_ctl_del",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store"
						 "\x7f")},
				.def = 2,
				EPARSE},
		{.name = "rd_two_tokens_without_comma",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store notify")},
				.def = 2,
				EPARSE},
		{.name = "rd_bad_wins_over_dns",
				.method = MSG,
				.n_rd = 2,
				.rd = {B("do-not-store"), B("store;x")},
				.def = 2,
				EPARSE},

		/* --- Content-Disposition --- */
		{.name = "cd_instant",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("instant")},
				.def = 2,
				OK(1, 0, S_CD)},
		{.name = "cd_instant_upper",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("INSTANT")},
				.def = 2,
				OK(1, 0, S_CD)},
		{.name = "cd_instant_handling",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("instant;handling=optional")},
				.def = 3,
				OK(1, 0, S_CD)},
		{.name = "cd_instant_handling_spaces",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("instant ; handling=optional")},
				.def = 2,
				OK(1, 0, S_CD)},
		{.name = "cd_store_fwd",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("store&fwd")},
				.def = 1,
				OK(2, 0, S_CD)},
		{.name = "cd_store_fwd_handling",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("store&fwd;handling=required")},
				.def = 1,
				OK(2, 0, S_CD)},
		{.name = "cd_S_and_F",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("S&F")},
				.def = 1,
				OK(2, 0, S_CD)},
		{.name = "cd_s_and_f_lower_params",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("s&f ;handling=optional")},
				.def = 3,
				OK(2, 0, S_CD)},
		{.name = "cd_instant_two_params",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("instant;handling=optional;x-foo=bar")},
				.def = 2,
				OK(1, 0, S_CD)},
		{.name = "cd_render_default",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("render;handling=optional")},
				.def = 1,
				OK(1, 0, S_DEF)},
		{.name = "cd_session_default",
				.method = INV,
				.n_cd = 1,
				.cd = {B("session")},
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "cd_instantly_is_other_type",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("instantly")},
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "cd_second_instance",
				.method = MSG,
				.n_cd = 2,
				.cd = {B("render"), B("instant")},
				.def = 2,
				OK(1, 0, S_CD)},
		{.name = "cd_instant_invite",
				.method = INV,
				.n_cd = 1,
				.cd = {B("instant")},
				.def = 3,
				OK(1, 0, S_CD)},
		{.name = "cd_nul",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("instant\0")},
				.def = 2,
				EPARSE},
		{.name = "cd_nul_in_render",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("render\0x")},
				.def = 2,
				EPARSE},
		{.name = "cd_ctl",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("inst\x02"
						 "ant")},
				.def = 2,
				EPARSE},

		/* --- SDP of an INVITE --- */
		{.name = "sdp_instant",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_INSTANT),
				.def = 2,
				OK(1, 0, S_SDP)},
		{.name = "sdp_store_fwd",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_SFWD),
				.def = 1,
				OK(2, 0, S_SDP)},
		{.name = "sdp_S_and_F",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_SF),
				.def = 3,
				OK(2, 0, S_SDP)},
		{.name = "sdp_ct_mixed_case",
				.method = INV,
				.ct = B("Application/SDP"),
				.body = B(SDP_HEAD M_INSTANT),
				.def = 2,
				OK(1, 0, S_SDP)},
		{.name = "sdp_after_audio_mline",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD "m=audio 49170 RTP/AVP 0\r\n"
								   "a=rtpmap:0 PCMU/8000\r\n" M_SF),
				.def = 1,
				OK(2, 0, S_SDP)},
		{.name = "sdp_lf_only",
				.method = INV,
				.ct = CT_SDP,
				.body = B("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n"
						  "m=messaging 3456 IMTP/instant MESSAGE/instant "
						  "html\n"),
				.def = 2,
				OK(1, 0, S_SDP)},
		{.name = "sdp_msrp_default",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_MSRP),
				.def = 1,
				OK(1, 0, S_DEF)},
		{.name = "sdp_no_mline_default",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD),
				.def = 3,
				OK(3, N_POS, S_DEF)},
		{.name = "sdp_mline_text_inside_attr_ignored",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD "m=audio 49170 RTP/AVP 0\r\n"
								   "a=x-note:m=messaging 1 IMTP/bogus x\r\n"),
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "sdp_unknown_flag",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD
						"m=messaging 3456 IMTP/bogus MESSAGE/bogus html\r\n"),
				.def = 2,
				EPARSE},
		{.name = "sdp_empty_flag",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD "m=messaging 3456 IMTP/ MESSAGE html\r\n"),
				.def = 2,
				EPARSE},
		{.name = "sdp_truncated_after_port",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD "m=messaging 3456\r\n"),
				.def = 2,
				EPARSE},
		{.name = "sdp_truncated_after_media",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD "m=messaging\r\n"),
				.def = 2,
				EPARSE},
		{.name = "sdp_truncated_at_body_end",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD "m=messaging 3456 IMTP/ins"),
				.def = 2,
				EPARSE},
		{.name = "sdp_of_message_not_read",
				.method = MSG,
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_INSTANT),
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "sdp_bad_of_message_not_read",
				.method = MSG,
				.ct = CT_SDP,
				.body = B(SDP_HEAD "m=messaging 3456 IMTP/bogus x\r\n"),
				.def = 3,
				OK(3, N_POS, S_DEF)},
		{.name = "sdp_text_not_sdp_ct",
				.method = INV,
				.ct = B("text/plain"),
				.body = B(SDP_HEAD M_INSTANT),
				.def = 2,
				OK(2, 0, S_DEF)},

		/* --- SDP inside multipart/mixed --- */
		{.name = "mp_sdp_instant",
				.method = INV,
				.ct = MP_CT,
				.body = B(MP_TEXT MP_SDP(M_INSTANT) MP_END),
				.def = 2,
				OK(1, 0, S_SDP)},
		{.name = "mp_sdp_first_part_sfwd",
				.method = INV,
				.ct = MP_CT,
				.body = B(MP_SDP(M_SFWD) MP_TEXT MP_END),
				.def = 1,
				OK(2, 0, S_SDP)},
		{.name = "mp_preamble_epilogue",
				.method = INV,
				.ct = MP_CT,
				.body = B("This is a preamble.\r\n" MP_TEXT MP_SDP(M_SF) MP_END
						"epilogue\r\n"),
				.def = 1,
				OK(2, 0, S_SDP)},
		{.name = "mp_quoted_boundary",
				.method = INV,
				.ct = B("multipart/mixed; boundary=\"simple boundary\""),
				.body = B("--simple boundary\r\n"
						  "Content-Type: application/sdp\r\n"
						  "\r\n" SDP_HEAD M_INSTANT "\r\n"
						  "--simple boundary--\r\n"),
				.def = 3,
				OK(1, 0, S_SDP)},
		{.name = "mp_lowercase_part_header",
				.method = INV,
				.ct = MP_CT,
				.body = B("--unique-boundary-1\r\n"
						  "content-type: application/sdp\r\n"
						  "\r\n" SDP_HEAD M_SF "\r\n" MP_END),
				.def = 1,
				OK(2, 0, S_SDP)},
		{.name = "mp_no_sdp_part",
				.method = INV,
				.ct = MP_CT,
				.body = B(MP_TEXT MP_END),
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "mp_sdp_msrp_only",
				.method = INV,
				.ct = MP_CT,
				.body = B(MP_TEXT MP_SDP(M_MSRP) MP_END),
				.def = 1,
				OK(1, 0, S_DEF)},
		{.name = "mp_sdp_unknown_flag",
				.method = INV,
				.ct = MP_CT,
				.body = B(MP_TEXT MP_SDP(
						"m=messaging 3456 IMTP/later MESSAGE/later html\r\n")
								MP_END),
				.def = 2,
				EPARSE},
		{.name = "mp_missing_boundary_param",
				.method = INV,
				.ct = B("multipart/mixed"),
				.body = B(MP_TEXT MP_SDP(M_INSTANT) MP_END),
				.def = 2,
				EPARSE},
		{.name = "mp_other_param_no_boundary",
				.method = INV,
				.ct = B("multipart/mixed; charset=utf-8"),
				.body = B(MP_TEXT MP_SDP(M_INSTANT) MP_END),
				.def = 2,
				EPARSE},
		{.name = "mp_empty_quoted_boundary",
				.method = INV,
				.ct = B("multipart/mixed;boundary=\"\""),
				.body = B(MP_TEXT MP_SDP(M_INSTANT) MP_END),
				.def = 2,
				EPARSE},
		{.name = "mp_boundary_never_found",
				.method = INV,
				.ct = B("multipart/mixed;boundary=no-such-boundary"),
				.body = B(MP_TEXT MP_SDP(M_INSTANT) MP_END),
				.def = 2,
				EPARSE},
		{.name = "mp_no_closing_delimiter",
				.method = INV,
				.ct = MP_CT,
				.body = B(MP_TEXT MP_SDP(M_INSTANT)),
				.def = 2,
				EPARSE},

		{.name = "mp_boundary_second_param",
				.method = INV,
				.ct = B("multipart/mixed; charset=x; "
						"boundary=unique-boundary-1"),
				.body = B(MP_TEXT MP_SDP(M_INSTANT) MP_END),
				.def = 2,
				OK(1, 0, S_SDP)},
		{.name = "mp_of_message_not_read",
				.method = MSG,
				.ct = MP_CT,
				.body = B(MP_TEXT MP_SDP(M_INSTANT) MP_END),
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "mp_bad_of_message_not_read",
				.method = MSG,
				.ct = B("multipart/mixed"),
				.body = B(MP_TEXT MP_SDP(M_INSTANT) MP_END),
				.def = 1,
				OK(1, 0, S_DEF)},
		{.name = "sdp_two_mlines_instant_wins",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_SF M_INSTANT),
				.def = 3,
				OK(1, 0, S_SDP)},
		{.name = "sdp_empty_body",
				.method = INV,
				.ct = CT_SDP,
				.body = NB,
				.def = 1,
				OK(1, 0, S_DEF)},
		{.name = "sdp_nul_in_other_line",
				.method = INV,
				.ct = CT_SDP,
				.body = B(SDP_HEAD "a=x-bin:\0y\r\n" M_INSTANT),
				.def = 2,
				OK(1, 0, S_SDP)},

		/* --- message/cpim of a MESSAGE (IMDN) --- */
		{.name = "cpim_positive",
				.method = MSG,
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery"),
				.def = 2,
				OK(3, 1, S_CPIM)},
		{.name = "cpim_positive_beats_default_instant",
				.method = MSG,
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery"),
				.def = 1,
				OK(3, 1, S_CPIM)},
		{.name = "cpim_ct_mixed_case",
				.method = MSG,
				.ct = B("Message/CPIM"),
				.body = CPIM("positive-delivery"),
				.def = 2,
				OK(3, 1, S_CPIM)},
		{.name = "cpim_positive_negative",
				.method = MSG,
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery, negative-delivery"),
				.def = 2,
				OK(3, 3, S_CPIM)},
		{.name = "cpim_negative_positive_nospace",
				.method = MSG,
				.ct = CT_CPIM,
				.body = CPIM("negative-delivery,positive-delivery"),
				.def = 1,
				OK(3, 3, S_CPIM)},
		{.name = "cpim_positive_display",
				.method = MSG,
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery, display"),
				.def = 2,
				OK(3, 1, S_CPIM)},
		{.name = "cpim_negative_only",
				.method = MSG,
				.ct = CT_CPIM,
				.body = CPIM("negative-delivery"),
				.def = 2,
				OK(2, 2, S_DEF)},
		{.name = "cpim_negative_only_default_instant",
				.method = MSG,
				.ct = CT_CPIM,
				.body = CPIM("negative-delivery"),
				.def = 1,
				OK(1, 0, S_DEF)},
		{.name = "cpim_negative_only_default_notify",
				.method = MSG,
				.ct = CT_CPIM,
				.body = CPIM("negative-delivery"),
				.def = 3,
				OK(3, 3, S_DEF)},
		{.name = "cpim_other_prefix",
				.method = MSG,
				.ct = CT_CPIM,
				.body = B(CPIM_HDRS "NS: x <urn:ietf:params:imdn>\r\n"
									"x.Message-ID: 34jk324j\r\n"
									"x.Disposition-Notification: "
									"positive-delivery\r\n" CPIM_TAIL),
				.def = 2,
				OK(3, 1, S_CPIM)},
		{.name = "cpim_unmapped_prefix_ignored",
				.method = MSG,
				.ct = CT_CPIM,
				.body = B(CPIM_HDRS "NS: x <urn:ietf:params:imdn>\r\n" CPIM_DN(
						"positive-delivery") CPIM_TAIL),
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "cpim_without_ns_ignored",
				.method = MSG,
				.ct = CT_CPIM,
				.body = B(CPIM_HDRS CPIM_MSGID CPIM_DN("positive-delivery")
								CPIM_TAIL),
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "cpim_ns_other_urn_ignored",
				.method = MSG,
				.ct = CT_CPIM,
				.body = B(
						CPIM_HDRS "NS: imdn <urn:example:not-imdn>\r\n" CPIM_DN(
								"positive-delivery") CPIM_TAIL),
				.def = 1,
				OK(1, 0, S_DEF)},
		{.name = "cpim_header_in_content_ignored",
				.method = MSG,
				.ct = CT_CPIM,
				.body = B(
						CPIM_HDRS CPIM_NS "\r\n"
										  "Content-Type: text/plain\r\n"
										  "\r\n" CPIM_DN("positive-delivery")),
				.def = 2,
				OK(2, 0, S_DEF)},
		{.name = "cpim_no_blank_line",
				.method = MSG,
				.ct = CT_CPIM,
				.body = B(CPIM_HDRS CPIM_NS CPIM_DN("positive-delivery")),
				.def = 2,
				EPARSE},
		{.name = "cpim_of_invite_not_read",
				.method = INV,
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery"),
				.def = 2,
				OK(2, 0, S_DEF)},

		{.name = "cpim_two_ns_second_is_imdn",
				.method = MSG,
				.ct = CT_CPIM,
				.body = B(CPIM_HDRS
						"NS: foo <urn:example:foo>\r\n"
						"NS: x <urn:ietf:params:imdn>\r\n"
						"foo.Bar: baz\r\n"
						"x.Disposition-Notification: "
						"negative-delivery, positive-delivery\r\n" CPIM_TAIL),
				.def = 1,
				OK(3, 3, S_CPIM)},
		{.name = "cpim_nul_in_content",
				.method = MSG,
				.ct = CT_CPIM,
				.body = B(CPIM_HDRS CPIM_NS CPIM_DN(
						"positive-delivery") "\r\nContent-Type: "
											 "application/octet-stream"
											 "\r\n\r\n\0\x01\x02"),
				.def = 2,
				OK(3, 1, S_CPIM)},

		/* --- method --- */
		{.name = "method_other_silent", .method = OTH, .def = 2, EMETHOD},
		{.name = "method_other_with_notify",
				.method = OTH,
				.n_rd = 1,
				.rd = {B("notify")},
				.n_cd = 1,
				.cd = {B("instant")},
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery"),
				.def = 2,
				EMETHOD},
		{.name = "method_other_with_malformed",
				.method = OTH,
				.n_rd = 1,
				.rd = {B("store;x")},
				.n_cd = 1,
				.cd = {B("inst\0ant")},
				.ct = B("multipart/mixed"),
				.body = B("garbage"),
				.def = 2,
				EMETHOD},
		{.name = "method_out_of_range",
				.method = 7,
				.n_rd = 1,
				.rd = {B("store")},
				.def = 2,
				EMETHOD},
		{.name = "method_negative", .method = -1, .def = 2, EMETHOD},

		/* --- precedence and source across parts --- */
		{.name = "cd_instant_beats_rd_notify",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("notify")},
				.n_cd = 1,
				.cd = {B("instant")},
				.def = 2,
				OK(1, 0, S_CD)},
		{.name = "rd_dns_and_cd_instant_source_rd",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("do-not-store")},
				.n_cd = 1,
				.cd = {B("instant")},
				.def = 2,
				OK(1, 0, S_RD)},
		{.name = "rd_store_and_cd_sfwd_source_rd",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store")},
				.n_cd = 1,
				.cd = {B("store&fwd")},
				.def = 1,
				OK(2, 0, S_RD)},
		{.name = "cd_sf_and_sdp_sf_source_cd",
				.method = INV,
				.n_cd = 1,
				.cd = {B("S&F")},
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_SF),
				.def = 1,
				OK(2, 0, S_CD)},
		{.name = "cd_instant_and_sdp_instant_source_cd",
				.method = INV,
				.n_cd = 1,
				.cd = {B("instant")},
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_INSTANT),
				.def = 2,
				OK(1, 0, S_CD)},
		{.name = "rd_store_and_sdp_store_source_rd",
				.method = INV,
				.n_rd = 1,
				.rd = {B("store-and-forward")},
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_SFWD),
				.def = 1,
				OK(2, 0, S_RD)},
		{.name = "sdp_instant_beats_rd_notify",
				.method = INV,
				.n_rd = 1,
				.rd = {B("notify")},
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_INSTANT),
				.def = 2,
				OK(1, 0, S_SDP)},
		{.name = "rd_notify_beats_sdp_store",
				.method = INV,
				.n_rd = 1,
				.rd = {B("notify")},
				.ct = CT_SDP,
				.body = B(SDP_HEAD M_SF),
				.def = 2,
				OK(3, 3, S_RD)},
		{.name = "rd_notify_and_cpim_positive_source_rd",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("notify")},
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery"),
				.def = 2,
				OK(3, 3, S_RD)},
		{.name = "rd_notify_and_cpim_negative",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("notify")},
				.ct = CT_CPIM,
				.body = CPIM("negative-delivery"),
				.def = 2,
				OK(3, 3, S_RD)},
		{.name = "rd_store_and_cpim_positive_source_cpim",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store")},
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery"),
				.def = 1,
				OK(3, 1, S_CPIM)},
		{.name = "rd_store_and_cpim_negative",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("store")},
				.ct = CT_CPIM,
				.body = CPIM("negative-delivery"),
				.def = 1,
				OK(2, 2, S_RD)},
		{.name = "cd_sfwd_and_cpim_positive",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("store&fwd")},
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery"),
				.def = 2,
				OK(3, 1, S_CPIM)},
		{.name = "cd_instant_beats_cpim_positive",
				.method = MSG,
				.n_cd = 1,
				.cd = {B("instant")},
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery, negative-delivery"),
				.def = 2,
				OK(1, 0, S_CD)},
		{.name = "rd_dns_beats_cpim_positive",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("do-not-store")},
				.ct = CT_CPIM,
				.body = CPIM("positive-delivery"),
				.def = 3,
				OK(1, 0, S_RD)},

		/* --- a malformed part wins over everything --- */
		{.name = "bad_cd_beats_rd_dns",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("do-not-store")},
				.n_cd = 1,
				.cd = {B("instant\x01")},
				.def = 2,
				EPARSE},
		{.name = "bad_rd_beats_cd_instant",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("\"notify\"")},
				.n_cd = 1,
				.cd = {B("instant")},
				.def = 2,
				EPARSE},
		{.name = "bad_sdp_beats_rd_dns",
				.method = INV,
				.n_rd = 1,
				.rd = {B("do-not-store")},
				.ct = CT_SDP,
				.body = B(SDP_HEAD "m=messaging 3456 IMTP/never x\r\n"),
				.def = 2,
				EPARSE},
		{.name = "bad_multipart_beats_cd_instant",
				.method = INV,
				.n_cd = 1,
				.cd = {B("instant")},
				.ct = B("multipart/mixed"),
				.body = B(MP_TEXT MP_END),
				.def = 2,
				EPARSE},
		{.name = "bad_cpim_beats_rd_notify",
				.method = MSG,
				.n_rd = 1,
				.rd = {B("notify")},
				.ct = CT_CPIM,
				.body = B(CPIM_HDRS CPIM_NS CPIM_DN("positive-delivery")),
				.def = 2,
				EPARSE},
};

#define N_CASES ((int)(sizeof(cases) / sizeof(cases[0])))

/* ---- helpers ----------------------------------------------------------- */

/* ---- tests ------------------------------------------------------------- */

START_TEST(test_classify_table)
{
	const struct cls_case *c = &cases[_i];
	sf_buf_t rd[MAX_RD];
	sf_buf_t cd[MAX_CD];
	sf_class_input_t in;
	sf_class_result_t out;
	char msg[512];
	int ret, ok, i;

	memset(&in, 0, sizeof(in));
	in.method = c->method;
	for(i = 0; i < c->n_rd; i++)
		rd[i] = dup_buf(&c->rd[i]);
	for(i = 0; i < c->n_cd; i++)
		cd[i] = dup_buf(&c->cd[i]);
	in.req_disp = c->n_rd > 0 ? rd : NULL;
	in.n_req_disp = c->n_rd;
	in.cont_disp = c->n_cd > 0 ? cd : NULL;
	in.n_cont_disp = c->n_cd;
	in.content_type = dup_buf(&c->ct);
	in.content_encoding = dup_buf(&c->ce);
	in.body = dup_buf(&c->body);
	in.default_class = c->def;

	out.cls = -77;
	out.notify = -77;
	out.source = -77;
	ret = sf_classify_parse(&in, &out);

	ok = (ret == c->ret);
	if(ok && c->ret > 0) {
		ok = out.cls == c->cls && out.source == c->source;
		if(c->notify == N_POS)
			ok = ok && (out.notify & SF_NOTIFY_POSITIVE) != 0
				 && (out.notify & ~(SF_NOTIFY_POSITIVE | SF_NOTIFY_NEGATIVE))
							== 0;
		else
			ok = ok && out.notify == c->notify;
	}
	if(c->ret > 0)
		snprintf(msg, sizeof(msg),
				"case %s: got ret=%d cls=%d notify=%d source=%d; "
				"expected ret=%d cls=%d notify=%d%s source=%d",
				c->name, ret, out.cls, out.notify, out.source, c->ret, c->cls,
				c->notify == N_POS ? 1 : c->notify,
				c->notify == N_POS ? "(positive bit)" : "", c->source);
	else
		snprintf(msg, sizeof(msg), "case %s: got ret=%d; expected ret=%d",
				c->name, ret, c->ret);

	for(i = 0; i < c->n_rd; i++)
		free_buf(&rd[i]);
	for(i = 0; i < c->n_cd; i++)
		free_buf(&cd[i]);
	free_buf(&in.content_encoding);
	free_buf(&in.content_type);
	free_buf(&in.body);

	ck_assert_msg(ok, "%s", msg);
}
END_TEST

/* out is filled only when the return value is > 0 */
START_TEST(test_classify_out_untouched_on_error)
{
	static const sf_buf_t bad_rd = {"store;x", 7};
	sf_class_input_t in;
	sf_class_result_t out;
	int ret;

	memset(&in, 0, sizeof(in));
	in.method = SF_METHOD_MESSAGE;
	in.req_disp = &bad_rd;
	in.n_req_disp = 1;
	in.default_class = SF_CLASS_STORE;
	out.cls = -77;
	out.notify = -77;
	out.source = -77;
	ret = sf_classify_parse(&in, &out);
	ck_assert_int_eq(ret, SF_CLS_ERR_PARSE);
	ck_assert_int_eq(out.cls, -77);
	ck_assert_int_eq(out.notify, -77);
	ck_assert_int_eq(out.source, -77);

	in.method = SF_METHOD_OTHER;
	ret = sf_classify_parse(&in, &out);
	ck_assert_int_eq(ret, SF_CLS_ERR_METHOD);
	ck_assert_int_eq(out.cls, -77);
	ck_assert_int_eq(out.notify, -77);
	ck_assert_int_eq(out.source, -77);
}
END_TEST

START_TEST(test_class_name)
{
	ck_assert_str_eq(sf_class_name(SF_CLASS_INSTANT), "instant");
	ck_assert_str_eq(sf_class_name(SF_CLASS_STORE), "store");
	ck_assert_str_eq(sf_class_name(SF_CLASS_NOTIFY), "notify");
	ck_assert_str_eq(sf_class_name(0), "unknown");
	ck_assert_str_eq(sf_class_name(4), "unknown");
	ck_assert_str_eq(sf_class_name(-1), "unknown");
	ck_assert_str_eq(sf_class_name(SF_CLS_ERR_PARSE), "unknown");
	ck_assert_str_eq(sf_class_name(1000000), "unknown");
}
END_TEST

START_TEST(test_source_name)
{
	const char *n[5];
	int i, j;

	ck_assert_str_eq(sf_source_name(SF_SRC_DEFAULT), "default");
	ck_assert_str_eq(
			sf_source_name(SF_SRC_REQUEST_DISPOSITION), "request-disposition");
	/* the header names only the first two; the others must be distinct,
	 * non-empty names */
	for(i = SF_SRC_DEFAULT; i <= SF_SRC_CPIM; i++) {
		n[i] = sf_source_name(i);
		ck_assert_msg(
				n[i] != NULL && n[i][0] != '\0', "source %d has no name", i);
	}
	for(i = 0; i < 5; i++)
		for(j = i + 1; j < 5; j++)
			ck_assert_msg(strcmp(n[i], n[j]) != 0,
					"sources %d and %d share the name \"%s\"", i, j, n[i]);
	/* out of range: must not crash and must return a string */
	ck_assert_ptr_nonnull(sf_source_name(-1));
	ck_assert_ptr_nonnull(sf_source_name(5));
	ck_assert_ptr_nonnull(sf_source_name(1000000));
}
END_TEST

struct name_case
{
	const char *s;
	size_t len;
	int ret;
};

#define NC(lit, r)                  \
	{                               \
		(lit), sizeof(lit) - 1, (r) \
	}

static const struct name_case name_cases[] = {
		NC("instant", 1),
		NC("INSTANT", 1),
		NC("Instant", 1),
		NC("store", 2),
		NC("Store", 2),
		NC("sToRe", 2),
		NC("notify", 3),
		NC("NOTIFY", 3),
		NC("1", 1),
		NC("2", 2),
		NC("3", 3),
		NC("0", -1),
		NC("4", -1),
		NC("12", -1),
		NC("-1", -1),
		NC("", -1),
		NC("instan", -1),
		NC("instantx", -1),
		NC("stored", -1),
		NC("store\0", -1),
		NC("do-not-store", -1),
		NC("store-and-forward", -1),
		NC("unknown", -1),
		NC("default", -1),
		/* length, not NUL, ends the name */
		{"storeXYZ", 5, 2},
		{"notify", 3, -1},
		{"3x", 1, 3},
		{NULL, 0, -1},
};

#define N_NAME_CASES ((int)(sizeof(name_cases) / sizeof(name_cases[0])))

START_TEST(test_class_from_name)
{
	const struct name_case *c = &name_cases[_i];
	struct tbuf tb = {c->s, c->len};
	sf_buf_t b = dup_buf(&tb);
	int ret;

	ret = sf_class_from_name(b.s, b.len);
	free_buf(&b);
	ck_assert_msg(ret == c->ret,
			"sf_class_from_name(\"%.*s\", %zu) = %d, expected %d", (int)c->len,
			c->s ? c->s : "", c->len, ret, c->ret);
}
END_TEST

static void setup_big(void)
{
	fill_big();
}

Suite *classify_suite(void)
{
	const struct unit_test t[] = {
			UT_CASE("classify"),
			UT_LOOP(test_classify_table, N_CASES),
			UT(test_classify_out_untouched_on_error),
			UT_CASE("names"),
			UT(test_class_name),
			UT(test_source_name),
			UT_LOOP(test_class_from_name, N_NAME_CASES),
	};

	return UNIT_SUITE("sf_classify", t, setup_big, NULL);
}
