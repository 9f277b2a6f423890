/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: unit tests of the per-user profiles (sf_profile_json)
 *
 * Table-driven tests of sf_profile_parse(), sf_profile_dump(),
 * sf_profile_forward_kinds(), sf_profile_accepts() and
 * sf_profile_accept_header(), written from the contract in
 * sf_profile_json.h. Every input is copied into a heap block of
 * exactly its length (NULL when the length is 0), and output buffers are
 * heap blocks of exactly the size passed, so that AddressSanitizer catches
 * any access past either end.
 */

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_profile_json.h"
#include "unit_util.h"

/* ---- helpers ----------------------------------------------------------- */


static char *xmalloc(size_t n)
{
	char *p = malloc(n == 0 ? 1 : n);

	if(p == NULL)
		abort();
	return p;
}

/* parse a literal through an exact-length heap copy */
static int parse_lit(
		const char *s, size_t len, sf_profile_t *out, char *err, size_t errsize)
{
	struct tbuf tb = {s, len};
	sf_buf_t b = dup_buf(&tb);
	int ret;

	ret = sf_profile_parse(b.s, b.len, out, err, errsize);
	free_buf(&b);
	return ret;
}

#define PARSE(lit, out, err) \
	parse_lit((lit), sizeof(lit) - 1, (out), (err), sizeof(err))

/* no control bytes: the message is one line */
static int one_line(const char *s)
{
	for(; *s; s++)
		if((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

/* ---- long inputs, built from literals ---------------------------------- */

#define X8 "xxxxxxxx"
#define X16 X8 X8
#define X32 X16 X16
#define X64 X32 X32
#define X128 X64 X64
#define X63 X32 X16 X8 "xxxxxxx"
#define X256 X128 X128
#define X2048 X256 X256 X256 X256 X256 X256 X256 X256

/* 63/63: the longest valid pattern, 127 characters */
#define PAT127 X63 "/" X63
/* 64/63: 128 characters */
#define PAT128 X64 "/" X63
/* "sip:u@" + 249 = 255 characters */
#define HOST249 X128 X64 X32 X16 X8 "x"
#define URI255 "sip:u@" HOST249
#define URI256 "sip:u@" HOST249 "x"
/* mailto: a 64-character local part, a 63-character label; the longest
 * domain that fits in 255 characters: 7 + 1 + 1 + 246 */
#define LOCAL64 X64
#define LOCAL65 X64 "x"
#define LABEL63 X63
#define LABEL64 X64
#define DOM246 X63 "." X63 "." X63 "." X32 X16 "xxxxxx"
#define MAILTO255 "mailto:u@" DOM246
#define MAILTO256 "mailto:u@" DOM246 "x"

#define P1 "\"text/plain\""
#define P8 P1 "," P1 "," P1 "," P1 "," P1 "," P1 "," P1 "," P1
#define PATS32 P8 "," P8 "," P8 "," P8
#define PATS33 PATS32 "," P1

#define Q127 "\"" PAT127 "\""
#define Q127X8 \
	Q127 "," Q127 "," Q127 "," Q127 "," Q127 "," Q127 "," Q127 "," Q127
#define LONG32 Q127X8 "," Q127X8 "," Q127X8 "," Q127X8

/* ---- the parse table --------------------------------------------------- */

#define MAX_CHK_ACC 4

struct pcase
{
	const char *name;
	const char *json;
	size_t len;
	int ok; /* 1 valid, 0 invalid */
	/* invalid: expected substring of the message; exact: whole message */
	const char *err;
	int exact;
	/* valid: expected fields */
	int store;
	int maxm;
	int life;
	int nacc;
	const char *acc[MAX_CHK_ACC]; /* first patterns (NULL: not checked) */
	const char *fwd;			  /* the forward field */
	/* the targets: nf 0 with fwd "" none, nf 0 with fwd set the one sip
	 * target fwd */
	int nf;
	int kinds[SF_PROFILE_MAX_FORWARD];
	const char *uris[SF_PROFILE_MAX_FORWARD];
	int when;	 /* 0: OFFLINE with targets, else UNSET */
	int after;	 /* 0: -1 */
	int deliver; /* SF_DELIVER_* */
};

#define J(lit) .json = (lit), .len = sizeof(lit) - 1
/* a valid profile with these fields */
#define V(st, mm, lt, na, fw)                                         \
	.ok = 1, .store = (st), .maxm = (mm), .life = (lt), .nacc = (na), \
	.fwd = (fw)
#define UNSET V(0, -1, -1, 0, "")
#define E(sub) .ok = 0, .err = (sub)
#define EX(msg) .ok = 0, .err = (msg), .exact = 1

#define NO SF_CLASS_INSTANT
#define YES SF_CLASS_STORE
#define NTF SF_CLASS_NOTIFY
#define SIP SF_FWD_SIP
#define ML SF_FWD_MAILTO
#define SMS SF_FWD_SMS
#define ALW SF_FWD_WHEN_ALWAYS
#define AFT SF_FWD_WHEN_AFTER
/* a valid profile whose only member is forward, one target of kind k
 * normalised to u, the forward field fw */
#define F1(fw, k, u) V(0, -1, -1, 0, fw), .nf = 1, .kinds = {k}, .uris = {u}
/* one mailto: / sms: target */
#define FML(u) F1("", ML, u)
#define FSMS(u) F1("", SMS, u)

static const struct pcase pcases[] = {
		/* --- valid: nothing, each member alone --- */
		{"empty_object", J("{}"), UNSET},
		{"store_no", J("{\"store\":\"no\"}"), V(NO, -1, -1, 0, "")},
		{"store_yes", J("{\"store\":\"yes\"}"), V(YES, -1, -1, 0, "")},
		{"store_notify", J("{\"store\":\"notify\"}"), V(NTF, -1, -1, 0, "")},
		{"accept_star", J("{\"accept\":[\"*\"]}"), V(0, -1, -1, 1, ""),
				.acc = {"*"}},
		{"accept_type_star", J("{\"accept\":[\"text/*\"]}"),
				V(0, -1, -1, 1, ""), .acc = {"text/*"}},
		{"accept_two", J("{\"accept\":[\"text/plain\",\"image/jpeg\"]}"),
				V(0, -1, -1, 2, ""), .acc = {"text/plain", "image/jpeg"}},
		{"accept_case_kept", J("{\"accept\":[\"Text/Plain\"]}"),
				V(0, -1, -1, 1, ""), .acc = {"Text/Plain"}},
		{"accept_rfc6838_chars",
				J("{\"accept\":[\"application/vnd.3gpp.sms+xml\","
				  "\"message/cpim\",\"x1!#$&-^_.+/y2!#$&-^_.+\","
				  "\"application/im-iscomposing+xml\"]}"),
				V(0, -1, -1, 4, ""),
				.acc = {"application/vnd.3gpp.sms+xml", "message/cpim",
						"x1!#$&-^_.+/y2!#$&-^_.+",
						"application/im-iscomposing+xml"}},
		{"accept_duplicates", J("{\"accept\":[\"*\",\"*\"]}"),
				V(0, -1, -1, 2, ""), .acc = {"*", "*"}},
		{"accept_32", J("{\"accept\":[" PATS32 "]}"), V(0, -1, -1, 32, ""),
				.acc = {"text/plain", "text/plain"}},
		{"accept_127_chars", J("{\"accept\":[\"" PAT127 "\"]}"),
				V(0, -1, -1, 1, ""), .acc = {PAT127}},
		{"accept_32_of_127", J("{\"accept\":[" LONG32 "]}"),
				V(0, -1, -1, 32, ""), .acc = {PAT127, PAT127}},
		{"max_messages_0", J("{\"max_messages\":0}"), V(0, 0, -1, 0, "")},
		{"max_messages_minus_0", J("{\"max_messages\":-0}"),
				V(0, 0, -1, 0, "")},
		{"max_messages_50", J("{\"max_messages\":50}"), V(0, 50, -1, 0, "")},
		{"max_messages_max", J("{\"max_messages\":100000000}"),
				V(0, 100000000, -1, 0, "")},
		{"lifetime_1", J("{\"lifetime\":1}"), V(0, -1, 1, 0, "")},
		{"lifetime_max", J("{\"lifetime\":315360000}"),
				V(0, -1, 315360000, 0, "")},
		{"forward_sip", J("{\"forward\":\"sip:+4912345@sms-gw.example.com\"}"),
				V(0, -1, -1, 0, "sip:+4912345@sms-gw.example.com")},
		{"forward_sips_port_params",
				J("{\"forward\":\"sips:alice@example.com:5061;transport="
				  "tls\"}"),
				V(0, -1, -1, 0, "sips:alice@example.com:5061;transport=tls")},
		{"forward_scheme_case", J("{\"forward\":\"SIP:bob@Example.COM\"}"),
				V(0, -1, -1, 0, "SIP:bob@Example.COM")},
		{"forward_sips_upper", J("{\"forward\":\"SiPs:bob@example.com\"}"),
				V(0, -1, -1, 0, "SiPs:bob@example.com")},
		{"forward_host_only", J("{\"forward\":\"sip:example.com\"}"),
				V(0, -1, -1, 0, "sip:example.com")},
		{"forward_ipv6", J("{\"forward\":\"sip:user@[2001:db8::1]:5060\"}"),
				V(0, -1, -1, 0, "sip:user@[2001:db8::1]:5060")},
		{"forward_ipv4_headers",
				J("{\"forward\":\"sip:u:pw@192.0.2.1;transport=udp?subject="
				  "x\"}"),
				V(0, -1, -1, 0, "sip:u:pw@192.0.2.1;transport=udp?subject=x")},
		{"forward_user_params",
				J("{\"forward\":\"sip:+1-212-555;phone-context=x@gw."
				  "example\"}"),
				V(0, -1, -1, 0, "sip:+1-212-555;phone-context=x@gw.example")},
		{"forward_unicode_raw",
				J("{\"forward\":\"sip:j\xc3\xbcrgen@example.com\"}"),
				V(0, -1, -1, 0, "sip:j\xc3\xbcrgen@example.com")},
		{"forward_unicode_cjk",
				J("{\"forward\":\"sip:\xe7\x94\xa8\xe6\x88\xb7@example.com\"}"),
				V(0, -1, -1, 0, "sip:\xe7\x94\xa8\xe6\x88\xb7@example.com")},
		{"forward_unicode_escaped",
				J("{\"forward\":\"sip:j\\u00fcrgen\\ud83d\\ude00@example."
				  "com\"}"),
				V(0, -1, -1, 0,
						"sip:j\xc3\xbcrgen\xf0\x9f\x98\x80@example.com")},
		{"forward_255", J("{\"forward\":\"" URI255 "\"}"),
				V(0, -1, -1, 0, URI255)},
		/* --- valid: mailto: --- */
		{"mailto", J("{\"forward\":\"mailto:bob@example.com\"}"),
				FML("mailto:bob@example.com")},
		{"mailto_scheme_case", J("{\"forward\":\"MailTo:Bob@Example.COM\"}"),
				FML("mailto:Bob@Example.COM")},
		{"mailto_atext",
				J("{\"forward\":\"mailto:a!#$&'*+-/=^_`{|}~z@example.com\"}"),
				FML("mailto:a!#$&'*+-/=^_`{|}~z@example.com")},
		{"mailto_dots", J("{\"forward\":\"mailto:first.middle.last@a.b.c.d\"}"),
				FML("mailto:first.middle.last@a.b.c.d")},
		{"mailto_slash_escaped",
				J("{\"forward\":\"mailto:a\\/b@example.com\"}"),
				FML("mailto:a/b@example.com")},
		{"mailto_one_char", J("{\"forward\":\"mailto:a@b\"}"),
				FML("mailto:a@b")},
		{"mailto_single_label", J("{\"forward\":\"mailto:root@localhost\"}"),
				FML("mailto:root@localhost")},
		{"mailto_digit_labels", J("{\"forward\":\"mailto:x@192.0.2.1\"}"),
				FML("mailto:x@192.0.2.1")},
		{"mailto_hyphens", J("{\"forward\":\"mailto:x@a-b--c.x-1.de\"}"),
				FML("mailto:x@a-b--c.x-1.de")},
		{"mailto_local_64",
				J("{\"forward\":\"mailto:" LOCAL64 "@example.com\"}"),
				FML("mailto:" LOCAL64 "@example.com")},
		{"mailto_label_63",
				J("{\"forward\":\"mailto:x@" LABEL63 ".example.com\"}"),
				FML("mailto:x@" LABEL63 ".example.com")},
		{"mailto_255", J("{\"forward\":\"" MAILTO255 "\"}"), FML(MAILTO255)},
		{"mailto_ipv4", J("{\"forward\":\"mailto:bob@[192.0.2.1]\"}"),
				FML("mailto:bob@[192.0.2.1]")},
		{"mailto_ipv6", J("{\"forward\":\"mailto:bob@[IPv6:2001:db8::1]\"}"),
				FML("mailto:bob@[IPv6:2001:db8::1]")},
		{"mailto_ipv6_tag_case", J("{\"forward\":\"mailto:bob@[ipv6:::1]\"}"),
				FML("mailto:bob@[ipv6:::1]")},
		{"mailto_ipv6_v4",
				J("{\"forward\":\"mailto:bob@[IPv6:::ffff:192.0.2.1]\"}"),
				FML("mailto:bob@[IPv6:::ffff:192.0.2.1]")},
		/* --- valid: sms:, tel: --- */
		{"sms", J("{\"forward\":\"sms:+4912345\"}"), FSMS("sms:+4912345")},
		{"sms_upper", J("{\"forward\":\"SMS:+4912345\"}"),
				FSMS("sms:+4912345")},
		{"tel", J("{\"forward\":\"tel:+4912345\"}"), FSMS("sms:+4912345")},
		{"tel_case", J("{\"forward\":\"TeL:+4912345\"}"), FSMS("sms:+4912345")},
		{"tel_separators", J("{\"forward\":\"tel:+1-212-555-0100\"}"),
				FSMS("sms:+12125550100")},
		{"sms_all_separators", J("{\"forward\":\"sms:+49 (170) 123-45.67\"}"),
				FSMS("sms:+491701234567")},
		{"sms_separators_repeated_end",
				J("{\"forward\":\"sms:+(49)--170..12  \"}"),
				FSMS("sms:+4917012")},
		{"sms_2_digits", J("{\"forward\":\"sms:+49\"}"), FSMS("sms:+49")},
		{"sms_15_digits", J("{\"forward\":\"sms:+123456789012345\"}"),
				FSMS("sms:+123456789012345")},
		{"sms_15_digits_spaced",
				J("{\"forward\":\"tel:+123 456 789 012 345\"}"),
				FSMS("sms:+123456789012345")},
		/* an sms: input longer than its normal form, within 255 */
		{"sms_long_input",
				J("{\"forward\":\"sms:+4 9 1 2 3 4 5 ------------------------"
				  "--------------------------------\"}"),
				FSMS("sms:+4912345")},
		/* --- valid: arrays --- */
		{"array_one_sip", J("{\"forward\":[\"sip:a@b.example\"]}"),
				F1("sip:a@b.example", SIP, "sip:a@b.example")},
		{"array_one_tel", J("{\"forward\":[\"tel:+49 123\"]}"),
				FSMS("sms:+49123")},
		{"array_four",
				J("{\"forward\":[\"sip:+4912345@gw.example.com\",\"mailto:"
				  "bob@example.com\",\"tel:+49 (123) 45\",\"sips:bob@example."
				  "com\"]}"),
				V(0, -1, -1, 0, "sip:+4912345@gw.example.com"), .nf = 4,
				.kinds = {SIP, ML, SMS, SIP},
				.uris = {"sip:+4912345@gw.example.com",
						"mailto:bob@example.com", "sms:+4912345",
						"sips:bob@example.com"}},
		{"array_first_sip_second",
				J("{\"forward\":[\"MAILTO:x@y.example\",\"SIP:bob@gw\","
				  "\"sip:carol@gw\"]}"),
				V(0, -1, -1, 0, "SIP:bob@gw"), .nf = 3, .kinds = {ML, SIP, SIP},
				.uris = {"mailto:x@y.example", "SIP:bob@gw", "sip:carol@gw"}},
		{"array_no_sip",
				J("{\"forward\":[\"mailto:x@y.example\",\"sms:+4912345\"]}"),
				UNSET, .nf = 2, .kinds = {ML, SMS},
				.uris = {"mailto:x@y.example", "sms:+4912345"}},
		/* distinct: another scheme, another case outside the scheme */
		{"array_sip_sips",
				J("{\"forward\":[\"sip:a@b\",\"sips:a@b\",\"sip:A@b\"]}"),
				V(0, -1, -1, 0, "sip:a@b"), .nf = 3, .kinds = {SIP, SIP, SIP},
				.uris = {"sip:a@b", "sips:a@b", "sip:A@b"}},
		{"array_mailto_case",
				J("{\"forward\":[\"mailto:bob@x.example\",\"mailto:Bob@x."
				  "example\"]}"),
				UNSET, .nf = 2, .kinds = {ML, ML},
				.uris = {"mailto:bob@x.example", "mailto:Bob@x.example"}},
		{"array_whitespace",
				J("{ \"forward\" : [ \"sms:+4912345\" ,\n\t\"sip:a@b\" ] }"),
				V(0, -1, -1, 0, "sip:a@b"), .nf = 2, .kinds = {SMS, SIP},
				.uris = {"sms:+4912345", "sip:a@b"}},
		/* --- valid: forward_when, forward_after, deliver --- */
		{"when_offline",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":"
				  "\"offline\"}"),
				V(0, -1, -1, 0, "sip:a@b")},
		{"when_always",
				J("{\"forward\":\"mailto:a@b\",\"forward_when\":"
				  "\"always\"}"),
				FML("mailto:a@b"), .when = ALW},
		{"when_after",
				J("{\"forward\":\"sms:+4912345\",\"forward_when\":\"after\","
				  "\"forward_after\":3600}"),
				FSMS("sms:+4912345"), .when = AFT, .after = 3600},
		{"when_after_1",
				J("{\"forward_after\":1,\"forward_when\":\"after\","
				  "\"forward\":\"sip:a@b\"}"),
				V(0, -1, -1, 0, "sip:a@b"), .when = AFT, .after = 1},
		{"when_after_max",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"after\","
				  "\"forward_after\":31536000}"),
				V(0, -1, -1, 0, "sip:a@b"), .when = AFT, .after = 31536000},
		{"deliver_notify", J("{\"deliver\":\"notify\"}"), UNSET,
				.deliver = SF_DELIVER_NOTIFY},
		{"deliver_inline", J("{\"deliver\":\"inline\"}"), UNSET},
		{"deliver_notify_forward",
				J("{\"deliver\":\"notify\",\"forward\":[\"mailto:a@b\"],"
				  "\"forward_when\":\"always\"}"),
				FML("mailto:a@b"), .when = ALW, .deliver = SF_DELIVER_NOTIFY},
		{"every_member",
				J("{\"deliver\":\"notify\",\"forward_after\":600,"
				  "\"forward_when\":\"after\",\"forward\":[\"sip:a@b\","
				  "\"mailto:c@d.example\",\"tel:+1 212 555 0100\",\"mailto:"
				  "e@[IPv6:::1]\"],\"lifetime\":60,\"max_messages\":5,"
				  "\"accept\":[\"text/*\"],\"store\":\"yes\"}"),
				V(YES, 5, 60, 1, "sip:a@b"), .acc = {"text/*"}, .nf = 4,
				.kinds = {SIP, ML, SMS, ML},
				.uris = {"sip:a@b", "mailto:c@d.example", "sms:+12125550100",
						"mailto:e@[IPv6:::1]"},
				.when = AFT, .after = 600, .deliver = SF_DELIVER_NOTIFY},
		/* --- valid: together, whitespace, length not NUL ends input --- */
		{"all_members",
				J("{\"store\":\"notify\",\"accept\":[\"text/*\",\"image/"
				  "jpeg\"],"
				  "\"max_messages\":50,\"lifetime\":86400,"
				  "\"forward\":\"sip:+4912345@sms-gw.example.com\"}"),
				V(NTF, 50, 86400, 2, "sip:+4912345@sms-gw.example.com"),
				.acc = {"text/*", "image/jpeg"}},
		{"all_members_reordered",
				J("{\"forward\":\"sips:a@b.example\",\"lifetime\":60,"
				  "\"max_messages\":0,\"accept\":[\"*\"],\"store\":\"no\"}"),
				V(NO, 0, 60, 1, "sips:a@b.example"), .acc = {"*"}},
		{"whitespace",
				J(" \r\n\t{ \"store\" :\t\"yes\" ,\r\n  \"accept\" : [ "
				  "\"text/*\""
				  " , \"*\" ] ,\n \"lifetime\":  60 }\n\t "),
				V(YES, -1, 60, 2, ""), .acc = {"text/*", "*"}},
		{"length_ends_input", "{\"store\":\"yes\"}GARBAGE", 15,
				V(YES, -1, -1, 0, "")},

		/* --- top level and JSON syntax --- */
		{"top_array", J("[]"), E("profile: not a JSON object (got an array)")},
		{"top_string", J("\"yes\""), E("profile: not a JSON object")},
		{"top_number", J("5"), E("profile: not a JSON object")},
		{"top_null", J("null"), E("profile: not a JSON object (got null)")},
		{"empty_input", NULL, 0, E("JSON error at line 1 column 0")},
		{"blank_input", J("  \n "), E("JSON error at line")},
		{"syntax", J("{\"store\": }"), E("JSON error at line 1 column 11")},
		{"syntax_line3", J("{\"store\":\n\n  }"),
				E("JSON error at line 3 column 3")},
		{"trailing_text", J("{} x"), E("JSON error")},
		{"trailing_nul", J("{}\0"), E("JSON error")},
		/* libjansson quotes the raw byte: the message must stay one line */
		{"trailing_ctrl", J("{}\x01"), E("end of file expected near ' '")},
		{"ctrl_after_value", J("{\"store\":\"no\"\x0b}"),
				E("'}' expected near ' '")},
		{"duplicate_key", J("{\"store\":\"yes\",\"store\":\"no\"}"),
				E("duplicate object key")},
		{"bad_utf8", J("{\"forward\":\"sip:\xff@x\"}"), E("JSON error")},
		{"nul_escape", J("{\"forward\":\"sip:a\\u0000@x\"}"), E("JSON error")},
		{"raw_newline_in_string", J("{\"forward\":\"sip:a\nb@x\"}"),
				E("JSON error")},
		{"huge_integer", J("{\"max_messages\":99999999999999999999}"),
				E("JSON error")},
		/* --- unknown members --- */
		{"unknown_member", J("{\"stroe\":\"yes\"}"),
				E("\"stroe\": unknown member")},
		{"unknown_member_case", J("{\"Store\":\"yes\"}"),
				E("\"Store\": unknown member")},
		{"unknown_after_valid", J("{\"store\":\"yes\",\"x\":null}"),
				E("\"x\": unknown member")},
		{"unknown_key_newline", J("{\"a\\nb\":1}"),
				E("\"a?b\": unknown member")},
		{"unknown_key_long", J("{\"" X64 "\":1}"), E("xxx...\": unknown")},
		{"unknown_key_empty", J("{\"\":1}"), E("\"\": unknown member")},
		/* --- store --- */
		{"store_int", J("{\"store\":1}"),
				E("store: expected a string (\"no\", \"yes\" or \"notify\"), "
				  "got an integer")},
		{"store_bool", J("{\"store\":true}"), E("store: expected a string")},
		{"store_null", J("{\"store\":null}"), E("got null")},
		{"store_array", J("{\"store\":[\"yes\"]}"),
				E("store: expected a string")},
		{"store_upper", J("{\"store\":\"Yes\"}"), E("store: must be")},
		{"store_instant", J("{\"store\":\"instant\"}"), E("store: must be")},
		{"store_empty", J("{\"store\":\"\"}"), E("store: must be")},
		{"store_space", J("{\"store\":\"yes \"}"), E("store: must be")},
		/* --- accept --- */
		{"accept_string", J("{\"accept\":\"text/*\"}"),
				E("accept: expected an array of strings, got a string")},
		{"accept_object", J("{\"accept\":{}}"), E("accept: expected an array")},
		{"accept_empty", J("{\"accept\":[]}"), E("accept: empty list")},
		{"accept_33", J("{\"accept\":[" PATS33 "]}"),
				E("accept: 33 patterns, at most 32")},
		{"accept_int_item", J("{\"accept\":[1]}"),
				E("accept[0]: expected a string, got an integer")},
		{"accept_null_item", J("{\"accept\":[\"*\",null]}"),
				E("accept[1]: expected a string")},
		{"accept_nested", J("{\"accept\":[[\"*\"]]}"),
				E("accept[0]: expected a string, got an array")},
		{"accept_bare_type",
				J("{\"accept\":[\"text/plain\",\"image/png\",\"text\"]}"),
				E("accept[2]: not a content type pattern")},
		{"accept_star_star", J("{\"accept\":[\"*/*\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_star_sub", J("{\"accept\":[\"*/plain\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_empty_sub", J("{\"accept\":[\"text/\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_empty_type", J("{\"accept\":[\"/plain\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_two_slashes", J("{\"accept\":[\"text/plain/x\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_star_suffix", J("{\"accept\":[\"text/*x\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_space", J("{\"accept\":[\" text/plain\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_params", J("{\"accept\":[\"text/plain;charset=utf-8\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_bad_char", J("{\"accept\":[\"te(x)t/plain\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_bad_first", J("{\"accept\":[\"text/-plain\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_utf8", J("{\"accept\":[\"t\xc3\xa9xt/plain\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_empty_item", J("{\"accept\":[\"*\",\"\"]}"),
				E("accept[1]: empty pattern")},
		{"accept_type_64", J("{\"accept\":[\"" X64 "/plain\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_sub_64", J("{\"accept\":[\"text/" X64 "\"]}"),
				E("accept[0]: not a content type pattern")},
		{"accept_128", J("{\"accept\":[\"*\",\"" PAT128 "\"]}"),
				E("accept[1]: pattern longer than 127 characters")},
		/* --- max_messages, lifetime --- */
		{"max_string", J("{\"max_messages\":\"5\"}"),
				E("max_messages: expected an integer, got a string")},
		{"max_real", J("{\"max_messages\":1.5}"),
				E("max_messages: expected an integer, got a real number")},
		{"max_real_integral", J("{\"max_messages\":5.0}"),
				E("max_messages: expected an integer")},
		{"max_exponent", J("{\"max_messages\":1e3}"),
				E("max_messages: expected an integer")},
		{"max_bool", J("{\"max_messages\":false}"),
				E("max_messages: expected an integer, got a boolean")},
		{"max_negative", J("{\"max_messages\":-1}"),
				E("max_messages: -1 is out of range (0..100000000)")},
		{"max_too_big", J("{\"max_messages\":100000001}"),
				E("max_messages: 100000001 is out of range")},
		{"max_2p32", J("{\"max_messages\":4294967296}"),
				E("max_messages: 4294967296 is out of range")},
		{"lifetime_0", J("{\"lifetime\":0}"),
				E("lifetime: 0 is out of range (1..315360000)")},
		{"lifetime_too_big", J("{\"lifetime\":315360001}"),
				E("lifetime: 315360001 is out of range")},
		{"lifetime_string", J("{\"lifetime\":\"86400\"}"),
				E("lifetime: expected an integer")},
		{"lifetime_real", J("{\"lifetime\":86400.5}"),
				E("lifetime: expected an integer")},
		{"lifetime_null", J("{\"lifetime\":null}"),
				E("lifetime: expected an integer, got null")},
		/* --- forward --- */
		{"forward_int", J("{\"forward\":5}"),
				EX("forward: expected a string or an array of 1..4 strings,"
				   " got an integer")},
		{"forward_object", J("{\"forward\":{\"sip\":\"sip:a@b\"}}"),
				E("forward: expected a string or an array of 1..4 strings,"
				  " got an object")},
		{"forward_null", J("{\"forward\":null}"),
				E("forward: expected a string")},
		{"forward_empty", J("{\"forward\":\"\"}"), E("forward: empty URI")},
		{"forward_256", J("{\"forward\":\"" URI256 "\"}"),
				E("forward: URI longer than 255 characters")},
		{"forward_http", J("{\"forward\":\"http://example.com\"}"),
				EX("forward: not a sip:, sips:, mailto:, sms: or tel: URI")},
		{"forward_sipx", J("{\"forward\":\"sipx:a@example.com\"}"),
				E("forward: not a sip:, sips:, mailto:, sms: or tel: URI")},
		{"forward_no_scheme", J("{\"forward\":\"bob@example.com\"}"),
				E("forward: not a sip:, sips:, mailto:, sms: or tel: URI")},
		{"forward_mailtox", J("{\"forward\":\"mailtox:bob@example.com\"}"),
				E("forward: not a sip:, sips:, mailto:, sms: or tel: URI")},
		{"forward_smsto", J("{\"forward\":\"smsto:+4912345\"}"),
				E("forward: not a sip:, sips:, mailto:, sms: or tel: URI")},
		{"forward_im", J("{\"forward\":\"im:bob@example.com\"}"),
				E("forward: not a sip:, sips:, mailto:, sms: or tel: URI")},
		{"forward_colon_only", J("{\"forward\":\":\"}"),
				E("forward: not a sip:, sips:, mailto:, sms: or tel: URI")},
		{"forward_sip_only", J("{\"forward\":\"sip:\"}"),
				E("forward: SIP URI without a host part")},
		{"forward_no_host", J("{\"forward\":\"sip:user@\"}"),
				E("forward: SIP URI without a host part")},
		{"forward_no_host_params",
				J("{\"forward\":\"sips:user@;transport=tls\"}"),
				E("forward: SIP URI without a host part")},
		{"forward_empty_user", J("{\"forward\":\"sip:@example.com\"}"),
				E("forward: empty user part")},
		{"forward_space", J("{\"forward\":\"sip:user@host name\"}"),
				E("forward: character 0x20 is not allowed")},
		{"forward_angle", J("{\"forward\":\"sip:<user@host>\"}"),
				E("forward: character '<' is not allowed")},
		{"forward_ctrl", J("{\"forward\":\"sip:user@host\\n\"}"),
				E("forward: character 0x0a is not allowed")},
		{"forward_two_at", J("{\"forward\":\"sip:a@b@c\"}"),
				E("forward: bad character '@' in host part")},
		{"forward_utf8_host", J("{\"forward\":\"sip:a@ex\xc3\xa4mple.com\"}"),
				E("forward: bad byte 0xc3 in host part")},
		{"forward_ipv6_open", J("{\"forward\":\"sip:user@[::1\"}"),
				E("forward: bad IPv6 reference")},
		{"forward_ipv6_empty", J("{\"forward\":\"sip:user@[]\"}"),
				E("forward: bad IPv6 reference")},
		{"forward_port_0", J("{\"forward\":\"sip:user@host:0\"}"),
				E("forward: bad port")},
		{"forward_port_big", J("{\"forward\":\"sip:user@host:70000\"}"),
				E("forward: bad port")},
		{"forward_port_empty", J("{\"forward\":\"sip:user@host:\"}"),
				E("forward: bad port")},
		/* --- mailto: --- */
		{"mailto_empty", J("{\"forward\":\"mailto:\"}"),
				EX("forward: mailto: empty address")},
		{"mailto_no_at", J("{\"forward\":\"mailto:bob\"}"),
				EX("forward: mailto: no '@' in the address")},
		{"mailto_empty_local", J("{\"forward\":\"mailto:@example.com\"}"),
				EX("forward: mailto: bad local part \"\"")},
		{"mailto_lead_dot", J("{\"forward\":\"mailto:.bob@example.com\"}"),
				EX("forward: mailto: bad local part \".bob\"")},
		{"mailto_trail_dot", J("{\"forward\":\"mailto:bob.@example.com\"}"),
				E("mailto: bad local part \"bob.\"")},
		{"mailto_double_dot", J("{\"forward\":\"mailto:b..ob@example.com\"}"),
				E("mailto: bad local part \"b..ob\"")},
		{"mailto_only_dot", J("{\"forward\":\"mailto:.@example.com\"}"),
				E("mailto: bad local part \".\"")},
		{"mailto_local_65",
				J("{\"forward\":\"mailto:" LOCAL65 "@example.com\"}"),
				E("forward: mailto: bad local part \"xxx")},
		{"mailto_quoted", J("{\"forward\":\"mailto:\\\"bob\\\"@example.com\"}"),
				EX("forward: mailto: bad local part \"\"bob\"\"")},
		{"mailto_comment", J("{\"forward\":\"mailto:bob(home)@example.com\"}"),
				E("mailto: bad local part \"bob(home)\"")},
		{"mailto_space", J("{\"forward\":\"mailto:bob smith@example.com\"}"),
				E("mailto: bad local part \"bob smith\"")},
		{"mailto_angle", J("{\"forward\":\"mailto:<bob@example.com>\"}"),
				E("mailto: bad local part \"<bob\"")},
		{"mailto_display_name",
				J("{\"forward\":\"mailto:Bob <bob@example.com>\"}"),
				E("mailto: bad local part")},
		{"mailto_headers",
				J("{\"forward\":\"mailto:bob@example.com?subject=hi\"}"),
				EX("forward: mailto: header fields (\"?...\") are not"
				   " supported")},
		{"mailto_question_local", J("{\"forward\":\"mailto:b?b@example.com\"}"),
				E("mailto: header fields")},
		{"mailto_escape", J("{\"forward\":\"mailto:bob%40x@example.com\"}"),
				EX("forward: mailto: %-escapes are not supported")},
		{"mailto_escape_domain",
				J("{\"forward\":\"mailto:bob@ex%61mple.com\"}"),
				E("mailto: %-escapes")},
		{"mailto_two_addresses",
				J("{\"forward\":\"mailto:a@example.com,b@example.com\"}"),
				E("mailto: bad domain \"example.com,b@example.com\"")},
		{"mailto_empty_domain", J("{\"forward\":\"mailto:bob@\"}"),
				EX("forward: mailto: bad domain \"\"")},
		{"mailto_two_at", J("{\"forward\":\"mailto:a@b@c\"}"),
				E("mailto: bad domain \"b@c\"")},
		{"mailto_domain_double_dot",
				J("{\"forward\":\"mailto:x@exa..mple.com\"}"),
				EX("forward: mailto: bad domain \"exa..mple.com\"")},
		{"mailto_domain_lead_dot", J("{\"forward\":\"mailto:x@.example.com\"}"),
				E("mailto: bad domain")},
		{"mailto_domain_trail_dot",
				J("{\"forward\":\"mailto:x@example.com.\"}"),
				E("mailto: bad domain \"example.com.\"")},
		{"mailto_label_hyphen_first",
				J("{\"forward\":\"mailto:x@-example.com\"}"),
				E("mailto: bad domain")},
		{"mailto_label_hyphen_last",
				J("{\"forward\":\"mailto:x@example-.com\"}"),
				E("mailto: bad domain")},
		{"mailto_tld_hyphen_last", J("{\"forward\":\"mailto:x@example.c-\"}"),
				E("mailto: bad domain")},
		{"mailto_label_underscore",
				J("{\"forward\":\"mailto:x@ex_ample.com\"}"),
				E("mailto: bad domain")},
		{"mailto_label_64",
				J("{\"forward\":\"mailto:x@" LABEL64 ".example.com\"}"),
				E("forward: mailto: bad domain \"xxx")},
		{"mailto_256", J("{\"forward\":\"" MAILTO256 "\"}"),
				EX("forward: URI longer than 255 characters")},
		{"mailto_domain_port", J("{\"forward\":\"mailto:x@example.com:25\"}"),
				E("mailto: bad domain")},
		{"mailto_ipv4_256", J("{\"forward\":\"mailto:x@[192.0.2.256]\"}"),
				EX("forward: mailto: bad domain \"[192.0.2.256]\"")},
		{"mailto_ipv4_three", J("{\"forward\":\"mailto:x@[192.0.2]\"}"),
				E("mailto: bad domain")},
		{"mailto_ipv4_leading_zero",
				J("{\"forward\":\"mailto:x@[192.0.2.01]\"}"),
				E("mailto: bad domain")},
		{"mailto_ipv4_unclosed", J("{\"forward\":\"mailto:x@[192.0.2.1\"}"),
				E("mailto: bad domain")},
		{"mailto_ipv4_trailing", J("{\"forward\":\"mailto:x@[192.0.2.1]x\"}"),
				E("mailto: bad domain")},
		{"mailto_literal_empty", J("{\"forward\":\"mailto:x@[]\"}"),
				E("mailto: bad domain \"[]\"")},
		{"mailto_ipv6_no_tag", J("{\"forward\":\"mailto:x@[2001:db8::1]\"}"),
				E("mailto: bad domain")},
		{"mailto_ipv6_empty", J("{\"forward\":\"mailto:x@[IPv6:]\"}"),
				E("mailto: bad domain")},
		{"mailto_ipv6_bad", J("{\"forward\":\"mailto:x@[IPv6:2001:db8::g]\"}"),
				E("mailto: bad domain")},
		{"mailto_ipv6_v4_only", J("{\"forward\":\"mailto:x@[IPv6:1.2.3.4]\"}"),
				E("mailto: bad domain")},
		{"mailto_general_literal",
				J("{\"forward\":\"mailto:x@[tag:content]\"}"),
				E("mailto: bad domain")},
		{"mailto_ctrl", J("{\"forward\":\"mailto:bob@example.com\\n\"}"),
				EX("forward: mailto: character 0x0a is not allowed")},
		{"mailto_ctrl_escaped",
				J("{\"forward\":\"mailto:b\\u0001ob@example.com\"}"),
				E("forward: mailto: character 0x01 is not allowed")},
		{"mailto_del", J("{\"forward\":\"mailto:b\\u007fob@example.com\"}"),
				E("forward: mailto: character 0x7f is not allowed")},
		{"mailto_utf8", J("{\"forward\":\"mailto:j\\u00fcrgen@example.com\"}"),
				EX("forward: mailto: non-ASCII byte 0xc3 is not allowed")},
		{"mailto_utf8_domain",
				J("{\"forward\":\"mailto:x@b\xc3\xbc"
				  "cher.example\"}"),
				E("forward: mailto: non-ASCII byte 0xc3")},
		{"mailto_nul", J("{\"forward\":\"mailto:b\\u0000ob@example.com\"}"),
				E("JSON error")},
		/* --- sms:, tel: --- */
		{"sms_empty", J("{\"forward\":\"sms:\"}"),
				EX("forward: sms: not a global E.164 number (+ and 2..15"
				   " digits)")},
		{"sms_plus_only", J("{\"forward\":\"sms:+\"}"),
				E("sms: not a global E.164 number")},
		{"sms_local", J("{\"forward\":\"sms:4912345\"}"),
				E("forward: sms: not a global E.164 number")},
		{"tel_local", J("{\"forward\":\"tel:030-1234567\"}"),
				EX("forward: tel: not a global E.164 number (+ and 2..15"
				   " digits)")},
		{"tel_case_message", J("{\"forward\":\"TEL:123\"}"),
				E("forward: tel: not a global E.164 number")},
		{"sms_1_digit", J("{\"forward\":\"sms:+1\"}"),
				E("sms: not a global E.164 number")},
		{"sms_16_digits", J("{\"forward\":\"sms:+1234567890123456\"}"),
				E("sms: not a global E.164 number")},
		{"sms_16_digits_spaced",
				J("{\"forward\":\"sms:+1234 5678 9012 3456\"}"),
				E("sms: not a global E.164 number")},
		{"sms_sep_before_plus", J("{\"forward\":\"sms: +4912345\"}"),
				E("sms: not a global E.164 number")},
		{"sms_paren_before_plus", J("{\"forward\":\"sms:(+49)12345\"}"),
				E("sms: not a global E.164 number")},
		{"sms_two_plus", J("{\"forward\":\"sms:++4912345\"}"),
				E("sms: not a global E.164 number")},
		{"sms_plus_inside", J("{\"forward\":\"sms:+49+12345\"}"),
				E("sms: not a global E.164 number")},
		{"tel_letters", J("{\"forward\":\"tel:+1-800-FLOWERS\"}"),
				E("tel: not a global E.164 number")},
		{"sms_two_numbers", J("{\"forward\":\"sms:+4912345,+4967890\"}"),
				E("sms: not a global E.164 number")},
		{"sms_slash", J("{\"forward\":\"sms:+49/12345\"}"),
				E("sms: not a global E.164 number")},
		{"sms_body", J("{\"forward\":\"sms:+4912345?body=hello\"}"),
				EX("forward: sms: header fields (\"?...\") are not supported")},
		{"tel_params", J("{\"forward\":\"tel:+4912345;ext=1\"}"),
				EX("forward: tel: parameters (\";...\") are not supported")},
		{"tel_phone_context", J("{\"forward\":\"tel:1234;phone-context=+49\"}"),
				E("forward: tel: parameters")},
		{"sms_tab", J("{\"forward\":\"sms:+49\\t12345\"}"),
				EX("forward: sms: character 0x09 is not allowed")},
		{"sms_ctrl_escaped", J("{\"forward\":\"sms:+49\\u001f12345\"}"),
				E("forward: sms: character 0x1f is not allowed")},
		{"tel_utf8", J("{\"forward\":\"tel:+49\\u00a012345\"}"),
				E("forward: tel: non-ASCII byte 0xc2")},
		{"sms_fullwidth_digit", J("{\"forward\":\"sms:+49\\uff11\"}"),
				E("forward: sms: non-ASCII byte 0xef")},
		{"sms_nul", J("{\"forward\":\"sms:+49\\u0000123\"}"), E("JSON error")},
		/* --- arrays --- */
		{"array_empty", J("{\"forward\":[]}"),
				EX("forward: empty list (leave the member out to forward"
				   " nothing)")},
		{"array_5",
				J("{\"forward\":[\"sip:a@b\",\"sip:c@d\",\"sip:e@f\","
				  "\"sip:g@h\",\"sip:i@j\"]}"),
				EX("forward: at most 4 targets (got 5)")},
		{"array_5_bad_item", J("{\"forward\":[1,2,3,4,5]}"),
				E("forward: at most 4 targets")},
		{"array_int_item", J("{\"forward\":[\"sip:a@b\",5]}"),
				EX("forward[1]: expected a string, got an integer")},
		{"array_null_item", J("{\"forward\":[null]}"),
				EX("forward[0]: expected a string, got null")},
		{"array_nested", J("{\"forward\":[[\"sip:a@b\"]]}"),
				E("forward[0]: expected a string, got an array")},
		{"array_object_item", J("{\"forward\":[\"sip:a@b\",{}]}"),
				E("forward[1]: expected a string, got an object")},
		{"array_empty_item", J("{\"forward\":[\"sip:a@b\",\"\"]}"),
				EX("forward[1]: empty URI")},
		{"array_http", J("{\"forward\":[\"sip:a@b\",\"http://x\"]}"),
				EX("forward[1]: not a sip:, sips:, mailto:, sms: or tel: URI")},
		{"array_sip_error", J("{\"forward\":[\"sip:a@b\",\"sip:a@b:0\"]}"),
				EX("forward[1]: bad port in host part")},
		{"array_sip_ctrl", J("{\"forward\":[\"sip:a@b\\u0001\"]}"),
				EX("forward[0]: character 0x01 is not allowed in a SIP URI")},
		{"array_mailto_domain",
				J("{\"forward\":[\"sip:a@b\",\"mailto:x@exa..mple.com\"]}"),
				EX("forward[1]: mailto: bad domain \"exa..mple.com\"")},
		{"array_sms_error",
				J("{\"forward\":[\"sip:a@b\",\"mailto:x@y\",\"sms:12345\"]}"),
				EX("forward[2]: sms: not a global E.164 number (+ and 2..15"
				   " digits)")},
		{"array_256", J("{\"forward\":[\"sip:a@b\",\"" URI256 "\"]}"),
				EX("forward[1]: URI longer than 255 characters")},
		{"array_first_error_wins",
				J("{\"forward\":[\"http://x\",\"mailto:\"]}"),
				E("forward[0]: not a sip:")},
		{"array_dup", J("{\"forward\":[\"sip:a@b\",\"sip:a@b\"]}"),
				EX("forward[1]: duplicate of forward[0]")},
		{"array_dup_scheme_case",
				J("{\"forward\":[\"mailto:x@y\",\"sip:a@b\",\"SIP:a@b\"]}"),
				EX("forward[2]: duplicate of forward[1]")},
		{"array_dup_sms_tel",
				J("{\"forward\":[\"tel:+49 (123) 45\",\"sms:+4912345\"]}"),
				EX("forward[1]: duplicate of forward[0]")},
		{"array_dup_mailto_case",
				J("{\"forward\":[\"MAILTO:x@y.example\",\"sip:a@b\","
				  "\"sms:+49123\",\"mailto:x@y.example\"]}"),
				EX("forward[3]: duplicate of forward[0]")},
		{"array_nul_item", J("{\"forward\":[\"sip:a@b\",\"sip:a\\u0000@b\"]}"),
				E("JSON error")},
		/* --- forward_when, forward_after, deliver --- */
		{"when_no_forward", J("{\"forward_when\":\"always\"}"),
				EX("forward_when: needs forward")},
		{"when_offline_no_forward", J("{\"forward_when\":\"offline\"}"),
				EX("forward_when: needs forward")},
		{"when_bad", J("{\"forward\":\"sip:a@b\",\"forward_when\":\"never\"}"),
				EX("forward_when: must be \"offline\", \"always\" or \"after\""
				   " (lower case)")},
		{"when_case",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"Always\"}"),
				E("forward_when: must be")},
		{"when_empty", J("{\"forward\":\"sip:a@b\",\"forward_when\":\"\"}"),
				E("forward_when: must be")},
		{"when_int", J("{\"forward\":\"sip:a@b\",\"forward_when\":1}"),
				EX("forward_when: expected a string (\"offline\", \"always\" or"
				   " \"after\"), got an integer")},
		{"when_null", J("{\"forward\":\"sip:a@b\",\"forward_when\":null}"),
				E("forward_when: expected a string")},
		{"when_array",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":[\"always\"]}"),
				E("forward_when: expected a string")},
		{"when_nul",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":"
				  "\"after\\u0000\"}"),
				E("JSON error")},
		{"after_missing",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"after\"}"),
				EX("forward_after: required with forward_when \"after\"")},
		{"after_without_when",
				J("{\"forward\":\"sip:a@b\",\"forward_after\":60}"),
				EX("forward_after: only with forward_when \"after\"")},
		{"after_with_always",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"always\","
				  "\"forward_after\":60}"),
				EX("forward_after: only with forward_when \"after\"")},
		{"after_with_offline",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"offline\","
				  "\"forward_after\":60}"),
				E("forward_after: only with forward_when")},
		{"after_alone", J("{\"forward_after\":60}"),
				E("forward_after: only with forward_when \"after\"")},
		{"after_0",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"after\","
				  "\"forward_after\":0}"),
				EX("forward_after: 0 is out of range (1..31536000)")},
		{"after_too_big",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"after\","
				  "\"forward_after\":31536001}"),
				E("forward_after: 31536001 is out of range")},
		{"after_negative",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"after\","
				  "\"forward_after\":-1}"),
				E("forward_after: -1 is out of range")},
		{"after_real",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"after\","
				  "\"forward_after\":60.0}"),
				E("forward_after: expected an integer, got a real number")},
		{"after_string",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"after\","
				  "\"forward_after\":\"60\"}"),
				E("forward_after: expected an integer, got a string")},
		{"deliver_bad", J("{\"deliver\":\"email\"}"),
				EX("deliver: must be \"inline\" or \"notify\" (lower case)")},
		{"deliver_case", J("{\"deliver\":\"Notify\"}"), E("deliver: must be")},
		{"deliver_bool", J("{\"deliver\":true}"),
				EX("deliver: expected a string (\"inline\" or \"notify\"), got"
				   " a boolean")},
		{"deliver_null", J("{\"deliver\":null}"),
				E("deliver: expected a string")},
		{"unknown_lists_all", J("{\"forward_at\":60}"),
				EX("\"forward_at\": unknown member (known: store, accept,"
				   " max_messages, lifetime, forward, forward_when,"
				   " forward_after, deliver)")},
		{"unknown_when_case", J("{\"Forward_When\":\"always\"}"),
				E("\"Forward_When\": unknown member")},
		/* --- hostile: long strings, control characters --- */
		{"forward_2k", J("{\"forward\":\"sip:" X2048 "@example.com\"}"),
				EX("forward: URI longer than 255 characters")},
		{"forward_2k_mailto", J("{\"forward\":\"mailto:" X2048 "@x.com\"}"),
				EX("forward: URI longer than 255 characters")},
		{"forward_2k_sms", J("{\"forward\":\"sms:+" X2048 "\"}"),
				EX("forward: URI longer than 255 characters")},
		{"forward_2k_item", J("{\"forward\":[\"sip:a@b\",\"sms:+" X2048 "\"]}"),
				EX("forward[1]: URI longer than 255 characters")},
		{"forward_2k_scheme", J("{\"forward\":\"" X2048 ":x\"}"),
				E("forward: URI longer than 255 characters")},
		{"when_2k",
				J("{\"forward\":\"sip:a@b\",\"forward_when\":\"" X2048 "\"}"),
				E("forward_when: must be")},
		{"deliver_2k", J("{\"deliver\":\"" X2048 "\"}"), E("deliver: must be")},
		{"key_2k", J("{\"" X2048 "\":1}"), E("xxx...\": unknown member")},
		{"mailto_local_ctrl_shown",
				J("{\"forward\":\"mailto:b\\u0080ob@x.com\"}"),
				E("non-ASCII byte 0xc2")},
		{"mailto_domain_long_shown",
				J("{\"forward\":\"mailto:x@" X128 "..example.com\"}"),
				E("forward: mailto: bad domain \"xxxx")},
		{"sip_ctrl_escaped", J("{\"forward\":\"sip:a@b\\u001b[0m\"}"),
				EX("forward: character 0x1b is not allowed in a SIP URI")},
		{"order_forward_before_when",
				J("{\"forward_when\":\"x\",\"forward\":1}"),
				E("forward: expected")},
		{"order_when_before_after",
				J("{\"forward_after\":0,\"forward_when\":\"x\","
				  "\"forward\":\"sip:a@b\"}"),
				E("forward_when: must be")},
		{"order_after_before_deliver",
				J("{\"deliver\":\"x\",\"forward_after\":5}"),
				E("forward_after: only with")},
		/* --- several errors: the fixed member order decides --- */
		{"first_error_store", J("{\"forward\":1,\"store\":1}"), E("store:")},
		{"first_error_unknown", J("{\"store\":1,\"zzz\":1}"),
				E("\"zzz\": unknown member")},
};

#define N_PCASES ((int)(sizeof(pcases) / sizeof(pcases[0])))

/* the targets, forward_when, forward_after, deliver of a valid case; the
 * rest of the struct is zero */
static void check_targets(const struct pcase *c, const sf_profile_t *out)
{
	static const char zero[SF_PROFILE_URI_MAX];
	int nf = c->nf, kinds[SF_PROFILE_MAX_FORWARD] = {0}, mask = 0, i;
	const char *uris[SF_PROFILE_MAX_FORWARD] = {NULL};
	size_t ul;

	memcpy(kinds, c->kinds, sizeof(kinds));
	memcpy(uris, c->uris, sizeof(uris));
	if(nf == 0 && c->fwd[0] != '\0') {
		nf = 1;
		kinds[0] = SF_FWD_SIP;
		uris[0] = c->fwd;
	}
	ck_assert_msg(out->nforward == nf, "%s: nforward %d, expected %d", c->name,
			out->nforward, nf);
	for(i = 0; i < SF_PROFILE_MAX_FORWARD; i++) {
		if(i >= nf) {
			ck_assert_msg(
					out->fwd[i].kind == 0
							&& memcmp(out->fwd[i].uri, zero, sizeof(zero)) == 0,
					"%s: fwd[%d] not zero", c->name, i);
			continue;
		}
		mask |= 1 << kinds[i];
		ck_assert_msg(out->fwd[i].kind == kinds[i],
				"%s: fwd[%d].kind %d, expected %d", c->name, i,
				out->fwd[i].kind, kinds[i]);
		ck_assert_msg(strcmp(out->fwd[i].uri, uris[i]) == 0,
				"%s: fwd[%d].uri \"%s\", expected \"%s\"", c->name, i,
				out->fwd[i].uri, uris[i]);
		ul = strlen(uris[i]);
		ck_assert_msg(
				memcmp(out->fwd[i].uri + ul, zero, sizeof(zero) - ul) == 0,
				"%s: fwd[%d].uri not zero after its end", c->name, i);
	}
	ck_assert_msg(sf_profile_forward_kinds(out) == mask,
			"%s: forward kinds 0x%x, expected 0x%x", c->name,
			sf_profile_forward_kinds(out), mask);
	ck_assert_msg(out->forward_when
						  == (c->when != 0 ? c->when
								  : nf > 0 ? SF_FWD_WHEN_OFFLINE
										   : SF_FWD_WHEN_UNSET),
			"%s: forward_when %d", c->name, out->forward_when);
	ck_assert_msg(out->forward_after == (c->after != 0 ? c->after : -1),
			"%s: forward_after %d", c->name, out->forward_after);
	ck_assert_msg(out->deliver == c->deliver, "%s: deliver %d, expected %d",
			c->name, out->deliver, c->deliver);
}

START_TEST(test_parse_table)
{
	const struct pcase *c = &pcases[_i];
	sf_profile_t out, sentinel;
	char err[256];
	int ret, i;

	memset(&out, 0xa5, sizeof(out));
	memcpy(&sentinel, &out, sizeof(out));
	memset(err, 'Z', sizeof(err));
	ret = parse_lit(c->json, c->len, &out, err, sizeof(err));

	if(!c->ok) {
		ck_assert_msg(ret == -1, "%s: returned %d, expected -1", c->name, ret);
		ck_assert_msg(memchr(err, '\0', sizeof(err)) != NULL,
				"%s: message not NUL-terminated", c->name);
		ck_assert_msg(memcmp(&out, &sentinel, sizeof(out)) == 0,
				"%s: out written on failure", c->name);
		ck_assert_msg(one_line(err), "%s: message not one line: \"%s\"",
				c->name, err);
		if(c->exact)
			ck_assert_msg(strcmp(err, c->err) == 0,
					"%s: message \"%s\", expected \"%s\"", c->name, err,
					c->err);
		else
			ck_assert_msg(strstr(err, c->err) != NULL,
					"%s: message \"%s\" lacks \"%s\"", c->name, err, c->err);
		return;
	}

	ck_assert_msg(
			ret == 0, "%s: returned %d (%s), expected 0", c->name, ret, err);
	ck_assert_msg(
			err[0] == '\0', "%s: message \"%s\" on success", c->name, err);
	ck_assert_msg(out.store == c->store, "%s: store %d, expected %d", c->name,
			out.store, c->store);
	ck_assert_msg(out.max_messages == c->maxm,
			"%s: max_messages %d, expected %d", c->name, out.max_messages,
			c->maxm);
	ck_assert_msg(out.lifetime == c->life, "%s: lifetime %d, expected %d",
			c->name, out.lifetime, c->life);
	ck_assert_msg(out.naccept == c->nacc, "%s: naccept %d, expected %d",
			c->name, out.naccept, c->nacc);
	for(i = 0; i < MAX_CHK_ACC && i < c->nacc; i++)
		if(c->acc[i] != NULL)
			ck_assert_msg(strcmp(out.accept[i], c->acc[i]) == 0,
					"%s: accept[%d] \"%s\", expected \"%s\"", c->name, i,
					out.accept[i], c->acc[i]);
	ck_assert_msg(strcmp(out.forward, c->fwd) == 0,
			"%s: forward \"%s\", expected \"%s\"", c->name, out.forward,
			c->fwd);
	check_targets(c, &out);
}
END_TEST

/* ---- dump -------------------------------------------------------------- */

/* n from a builder that empties out on failure when it has room */
static int emptied(int n, const char *out, size_t size)
{
	ck_assert_msg(n != -1 || size == 0 || out[0] == '\0',
			"size %zu: out not emptied", size);
	return n;
}

static int dump_into(const void *p, char *out, size_t size)
{
	return emptied(sf_profile_dump(p, out, size), out, size);
}

static int accept_header_into(const void *p, char *out, size_t size)
{
	return emptied(sf_profile_accept_header(p, out, size), out, size);
}

/* valid case: parse -> dump -> parse gives the same struct, which dumps
 * to the same text again, and the dump needs exactly its length + 1
 * bytes */
START_TEST(test_dump_round_trip)
{
	const struct pcase *c = &pcases[_i];
	sf_profile_t a, b;
	char err[256], *buf, *again;
	size_t cap = 8192;
	int n;

	if(!c->ok)
		return;
	ck_assert_int_eq(parse_lit(c->json, c->len, &a, err, sizeof(err)), 0);
	buf = xmalloc(cap);
	n = sf_profile_dump(&a, buf, cap);
	ck_assert_msg(n > 0, "%s: dump failed", c->name);
	ck_assert_int_eq((size_t)n, strlen(buf));
	memset(&b, 0x5a, sizeof(b));
	ck_assert_msg(parse_lit(buf, (size_t)n, &b, err, sizeof(err)) == 0,
			"%s: dump \"%s\" does not parse: %s", c->name, buf, err);
	ck_assert_msg(memcmp(&a, &b, sizeof(a)) == 0,
			"%s: dump \"%s\" parses to another profile", c->name, buf);
	again = xmalloc(cap);
	ck_assert_int_eq(sf_profile_dump(&b, again, cap), n);
	ck_assert_msg(strcmp(buf, again) == 0, "%s: dump \"%s\", then \"%s\"",
			c->name, buf, again);
	free(again);

	/* exactly enough room, every smaller size, a roomy one */
	check_fit(dump_into, &a, buf, (size_t)n, (size_t)n + 1, c->name);
	free(buf);
}
END_TEST

struct dcase
{
	const char *json;
	size_t len;
	const char *dump;
};

static const struct dcase dcases[] = {
		{J("{}"), "{}"},
		{J("{\"forward\":\"sip:+4912345@sms-gw.example.com\","
		   "\"lifetime\":86400, \"max_messages\": 50,"
		   "\"accept\": [\"text/*\", \"image/jpeg\"], \"store\": \"notify\"}"),
				"{\"store\":\"notify\",\"accept\":[\"text/*\",\"image/jpeg\"],"
				"\"max_messages\":50,\"lifetime\":86400,"
				"\"forward\":\"sip:+4912345@sms-gw.example.com\"}"},
		{J("{\"lifetime\":1,\"store\":\"no\","
		   "\"forward\":\"sip:j\\u00fcrgen@example.com\"}"),
				"{\"store\":\"no\",\"lifetime\":1,"
				"\"forward\":\"sip:j\xc3\xbcrgen@example.com\"}"},
		{J("{\"max_messages\":0,\"accept\":[\"*\"]}"),
				"{\"accept\":[\"*\"],\"max_messages\":0}"},
		/* one target in an array: a string, normalised */
		{J("{\"forward\":[\"TEL:+49 (123) 45\"]}"),
				"{\"forward\":\"sms:+4912345\"}"},
		{J("{\"forward\":\"MailTo:Bob@Example.COM\"}"),
				"{\"forward\":\"mailto:Bob@Example.COM\"}"},
		/* the defaults given explicitly are left out */
		{J("{\"deliver\":\"inline\",\"forward_when\":\"offline\","
		   "\"forward\":\"SIP:a@b\"}"),
				"{\"forward\":\"SIP:a@b\"}"},
		{J("{\"deliver\":\"inline\"}"), "{}"},
		{J("{\"deliver\":\"notify\"}"), "{\"deliver\":\"notify\"}"},
		{J("{\"forward_when\":\"always\",\"forward\":[\"sms:+49 123\","
		   "\"sip:a@b\"]}"),
				"{\"forward\":[\"sms:+49123\",\"sip:a@b\"],"
				"\"forward_when\":\"always\"}"},
		/* every member, in the fixed order */
		{J("{\"deliver\":\"notify\",\"forward_after\":600,"
		   "\"forward_when\":\"after\",\"forward\":[\"sip:a@b\","
		   "\"MAILTO:c@d.example\",\"tel:+1 212 555 0100\","
		   "\"mailto:e@[IPv6:::1]\"],\"lifetime\":60,\"max_messages\":5,"
		   "\"accept\":[\"text/*\"],\"store\":\"yes\"}"),
				"{\"store\":\"yes\",\"accept\":[\"text/*\"],"
				"\"max_messages\":5,\"lifetime\":60,\"forward\":["
				"\"sip:a@b\",\"mailto:c@d.example\",\"sms:+12125550100\","
				"\"mailto:e@[IPv6:::1]\"],\"forward_when\":\"after\","
				"\"forward_after\":600,\"deliver\":\"notify\"}"},
};

#define N_DCASES ((int)(sizeof(dcases) / sizeof(dcases[0])))

START_TEST(test_dump_expected)
{
	const struct dcase *c = &dcases[_i];
	sf_profile_t p;
	char err[256], *buf;
	size_t want = strlen(c->dump);
	int n;

	ck_assert_int_eq(parse_lit(c->json, c->len, &p, err, sizeof(err)), 0);
	buf = xmalloc(want + 1);
	n = sf_profile_dump(&p, buf, want + 1);
	ck_assert_int_eq(n, (int)want);
	ck_assert_str_eq(buf, c->dump);
	free(buf);
}
END_TEST

/* a hand-filled struct: strings are escaped so that libjansson reads them
 * back unchanged */
START_TEST(test_dump_escaping)
{
	static const char fwd[] = "a\"b\\c\x01\n\t/\xc3\xbc";
	sf_profile_t p;
	char buf[512];
	json_error_t jerr;
	json_t *root, *v;
	int n;

	memset(&p, 0, sizeof(p));
	p.max_messages = -1;
	p.lifetime = -1;
	memcpy(p.forward, fwd, sizeof(fwd));
	n = sf_profile_dump(&p, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(
			buf, "{\"forward\":\"a\\\"b\\\\c\\u0001\\n\\t/\xc3\xbc\"}");
	root = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_ptr_nonnull(root);
	v = json_object_get(root, "forward");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(json_string_value(v), fwd);
	json_decref(root);
}
END_TEST

START_TEST(test_dump_bad_struct)
{
	sf_profile_t p;
	char buf[64];

	memset(&p, 0, sizeof(p));
	p.max_messages = -1;
	p.lifetime = -1;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "{}");
	ck_assert_int_eq(sf_profile_dump(&p, buf, 0), -1);
	ck_assert_int_eq(sf_profile_dump(&p, NULL, 0), -1);
	ck_assert_int_eq(sf_profile_dump(NULL, buf, sizeof(buf)), -1);
	p.store = 7;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "");
	p.store = 0;
	p.naccept = SF_PROFILE_MAX_ACCEPT + 1;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), -1);
	p.naccept = -1;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), -1);
	p.naccept = 0;
	p.nforward = SF_PROFILE_MAX_FORWARD + 1;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), -1);
	p.nforward = -1;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), -1);
	p.nforward = 0;
	p.forward_when = SF_FWD_WHEN_AFTER + 1;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), -1);
	p.forward_when = -1;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), -1);
	p.forward_when = SF_FWD_WHEN_UNSET;
	p.deliver = SF_DELIVER_NOTIFY + 1;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), -1);
	p.deliver = -1;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), -1);
	/* zero forward_after and OFFLINE are left out */
	p.deliver = SF_DELIVER_INLINE;
	p.forward_after = 0;
	p.forward_when = SF_FWD_WHEN_OFFLINE;
	ck_assert_int_eq(sf_profile_dump(&p, buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "{}");
}
END_TEST

/* a hand-filled struct: fwd[] wins over the forward field; the forward
 * field alone (nforward 0) is dumped as the one target */
START_TEST(test_dump_hand_filled)
{
	sf_profile_t p;
	char buf[512];

	memset(&p, 0, sizeof(p));
	p.max_messages = -1;
	p.lifetime = -1;
	p.forward_after = -1;
	memcpy(p.forward, "sip:old@x", 10);
	ck_assert_int_gt(sf_profile_dump(&p, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "{\"forward\":\"sip:old@x\"}");
	p.nforward = 2;
	p.fwd[0].kind = SF_FWD_MAILTO;
	memcpy(p.fwd[0].uri, "mailto:a@b", 11);
	p.fwd[1].kind = SF_FWD_SMS;
	memcpy(p.fwd[1].uri, "sms:+49123", 11);
	p.forward_when = SF_FWD_WHEN_AFTER;
	p.forward_after = 30;
	ck_assert_int_gt(sf_profile_dump(&p, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "{\"forward\":[\"mailto:a@b\",\"sms:+49123\"],"
						  "\"forward_when\":\"after\",\"forward_after\":30}");
}
END_TEST

START_TEST(test_forward_kinds)
{
	sf_profile_t p;
	char err[256];

	ck_assert_int_eq(sf_profile_forward_kinds(NULL), 0);
	ck_assert_int_eq(PARSE("{}", &p, err), 0);
	ck_assert_int_eq(sf_profile_forward_kinds(&p), 0);
	ck_assert_int_eq(
			PARSE("{\"forward\":[\"sms:+49123\",\"tel:+49124\"]}", &p, err), 0);
	ck_assert_int_eq(sf_profile_forward_kinds(&p), 1 << SF_FWD_SMS);
	ck_assert_int_eq(
			PARSE("{\"forward\":[\"mailto:a@b\",\"sip:a@b\"]}", &p, err), 0);
	ck_assert_int_eq(sf_profile_forward_kinds(&p),
			(1 << SF_FWD_MAILTO) | (1 << SF_FWD_SIP));
	/* by hand: kinds outside 1..3 skipped, nforward clamped */
	p.fwd[0].kind = 0;
	p.fwd[1].kind = 31;
	ck_assert_int_eq(sf_profile_forward_kinds(&p), 0);
	p.fwd[1].kind = SF_FWD_SMS;
	ck_assert_int_eq(sf_profile_forward_kinds(&p), 1 << SF_FWD_SMS);
	p.nforward = 1000;
	p.fwd[2].kind = SF_FWD_MAILTO;
	p.fwd[3].kind = SF_FWD_SIP;
	ck_assert_int_eq(sf_profile_forward_kinds(&p),
			(1 << SF_FWD_SMS) | (1 << SF_FWD_MAILTO) | (1 << SF_FWD_SIP));
	/* by hand: only the forward field */
	memset(&p, 0, sizeof(p));
	memcpy(p.forward, "sip:a@b", 8);
	ck_assert_int_eq(sf_profile_forward_kinds(&p), 1 << SF_FWD_SIP);
	p.nforward = -1;
	ck_assert_int_eq(sf_profile_forward_kinds(&p), 1 << SF_FWD_SIP);
}
END_TEST

/* ---- accepts() truth table --------------------------------------------- */

static const char *const profiles[] = {
		/* 0 */ "{}",
		/* 1 */ "{\"accept\":[\"*\"]}",
		/* 2 */ "{\"accept\":[\"text/plain\",\"image/*\"]}",
		/* 3 */ "{\"accept\":[\"text/*\"]}",
		/* 4 */ "{\"accept\":[\"Application/Vnd.Foo+XML\"]}",
		/* 5 */ "{\"accept\":[\"image/*\"]}",
};

struct acase
{
	int prof;
	struct tbuf ct;
	int want;
};

static const struct acase acases[] = {
		{0, B("application/octet-stream"), 1},
		{0, NB, 1},
		{1, B("anything/weird"), 1},
		{1, B("not a content type"), 1},
		{1, NB, 1},
		{2, B("text/plain"), 1},
		{2, B("TEXT/PLAIN"), 1},
		{2, B("text/plain; charset=utf-8"), 1},
		{2, B("  Text/Plain  ;charset=UTF-8;format=flowed"), 1},
		{2, B("\ttext/plain\t"), 1},
		{2, B("text/plain\r\n"), 1},
		{2, NB, 1},
		{2, B("   "), 1},
		{2, B(" ; charset=utf-8"), 1},
		{2, B("text/html"), 0},
		{2, B("text/plainx"), 0},
		{2, B("text/plai"), 0},
		{2, B("text / plain"), 0},
		{2, B("text/plain\0"), 0},
		{2, B("image/png"), 1},
		{2, B("IMAGE/JPEG;q=1"), 1},
		{2, B("image"), 0},
		{2, B("image/"), 0},
		{2, B("imagex/png"), 0},
		{2, B("application/json"), 0},
		{3, B("text"), 0},
		{3, B("text/"), 0},
		{3, B("text/html"), 1},
		{3, B("Text/HTML; charset=iso-8859-1"), 1},
		{3, NB, 1},
		{3, B("textual/plain"), 0},
		{3, B("tex/plain"), 0},
		{3, B("application/json"), 0},
		{4, B("application/vnd.foo+xml"), 1},
		{4, B("application/vnd.foo"), 0},
		{5, NB, 0},
		{5, B(";charset=utf-8"), 0},
		{5, B("image/gif"), 1},
};

#define N_ACASES ((int)(sizeof(acases) / sizeof(acases[0])))

START_TEST(test_accepts_table)
{
	const struct acase *c = &acases[_i];
	sf_profile_t p;
	char err[256];
	sf_buf_t ct;
	int ret;

	ck_assert_int_eq(parse_lit(profiles[c->prof], strlen(profiles[c->prof]), &p,
							 err, sizeof(err)),
			0);
	ct = dup_buf(&c->ct);
	ret = sf_profile_accepts(&p, ct);
	free_buf(&ct);
	ck_assert_msg(ret == c->want, "profile %s, Content-Type \"%.*s\": %d",
			profiles[c->prof], (int)c->ct.len, c->ct.s ? c->ct.s : "", ret);
}
END_TEST

/* ---- accept_header() --------------------------------------------------- */

START_TEST(test_accept_header)
{
	sf_profile_t p;
	char err[256], *buf;
	const char want[] = "text/*, image/jpeg";
	size_t wl = sizeof(want) - 1, sz;

	ck_assert_int_eq(
			PARSE("{\"accept\":[\"text/*\",\"image/jpeg\"]}", &p, err), 0);
	/* exactly enough room, a roomy buffer; every smaller size fails,
	 * leaving "" when there is room for it */
	check_fit(accept_header_into, &p, want, wl, wl + 1, "accept_header");

	ck_assert_int_eq(PARSE("{\"accept\":[\"*\"]}", &p, err), 0);
	buf = xmalloc(2);
	ck_assert_int_eq(sf_profile_accept_header(&p, buf, 2), 1);
	ck_assert_str_eq(buf, "*");
	free(buf);

	/* no patterns: -1 */
	ck_assert_int_eq(PARSE("{\"store\":\"yes\"}", &p, err), 0);
	buf = xmalloc(64);
	buf[0] = 'Z';
	ck_assert_int_eq(sf_profile_accept_header(&p, buf, 64), -1);
	ck_assert_int_eq(buf[0], '\0');
	free(buf);

	/* the longest header: 32 x 127 characters + 31 separators */
	ck_assert_int_eq(PARSE("{\"accept\":[" LONG32 "]}", &p, err), 0);
	sz = 32 * 127 + 31 * 2;
	buf = xmalloc(sz + 1);
	ck_assert_int_eq(sf_profile_accept_header(&p, buf, sz + 1), (int)sz);
	ck_assert_int_eq(strlen(buf), sz);
	ck_assert(strncmp(buf, PAT127 ", " PAT127 ", ", 2 * 127 + 4) == 0);
	ck_assert_int_eq(sf_profile_accept_header(&p, buf, sz), -1);
	free(buf);
}
END_TEST

/* ---- error buffer sizes ------------------------------------------------ */

START_TEST(test_errsize_zero_one)
{
	static const char bad[] = "{\"store\":\"maybe\"}";
	sf_profile_t p;
	char *err;

	/* errsize 0: nothing written, err may be NULL */
	ck_assert_int_eq(parse_lit(bad, sizeof(bad) - 1, &p, NULL, 0), -1);
	err = xmalloc(4);
	memset(err, 'Z', 4);
	ck_assert_int_eq(parse_lit(bad, sizeof(bad) - 1, &p, err, 0), -1);
	ck_assert(memcmp(err, "ZZZZ", 4) == 0);
	free(err);

	/* errsize 1: just the NUL */
	err = xmalloc(1);
	err[0] = 'Z';
	ck_assert_int_eq(parse_lit(bad, sizeof(bad) - 1, &p, err, 1), -1);
	ck_assert_int_eq(err[0], '\0');
	free(err);

	/* success with errsize 0 and 1 */
	ck_assert_int_eq(parse_lit("{}", 2, &p, NULL, 0), 0);
	err = xmalloc(1);
	err[0] = 'Z';
	ck_assert_int_eq(parse_lit("{}", 2, &p, err, 1), 0);
	ck_assert_int_eq(err[0], '\0');
	free(err);

	/* no output struct, no input with a length */
	err = xmalloc(64);
	ck_assert_int_eq(sf_profile_parse("{}", 2, NULL, err, 64), -1);
	ck_assert(err[0] != '\0');
	ck_assert_int_eq(sf_profile_parse(NULL, 5, &p, err, 64), -1);
	ck_assert(err[0] != '\0');
	free(err);
}
END_TEST

/* every errsize from 1 to the full length + 1: a NUL-terminated prefix of
 * the full message, written inside an exact-size heap buffer */
static void check_truncation(const char *json, size_t len, int utf8)
{
	sf_profile_t p;
	char full[512], *err;
	size_t fl, sz, got;

	ck_assert_int_eq(parse_lit(json, len, &p, full, sizeof(full)), -1);
	fl = strlen(full);
	ck_assert(fl > 10);
	for(sz = 1; sz <= fl + 1; sz++) {
		err = xmalloc(sz);
		memset(err, 'Z', sz);
		ck_assert_int_eq(parse_lit(json, len, &p, err, sz), -1);
		got = strnlen(err, sz);
		ck_assert_msg(got < sz, "errsize %zu: not NUL-terminated", sz);
		ck_assert_msg(memcmp(err, full, got) == 0,
				"errsize %zu: \"%s\" is not a prefix of \"%s\"", sz, err, full);
		if(!utf8)
			ck_assert_msg(got == sz - 1 || got == fl, "errsize %zu: %zu bytes",
					sz, got);
		else {
			/* cut at most 3 bytes early, never inside a sequence */
			ck_assert_msg(got + 3 >= (sz - 1 < fl ? sz - 1 : fl),
					"errsize %zu: %zu bytes", sz, got);
			if(got > 0 && got < fl)
				ck_assert_msg(((unsigned char)full[got] & 0xc0) != 0x80,
						"errsize %zu: cut inside a UTF-8 sequence", sz);
		}
		free(err);
	}
}

START_TEST(test_errsize_truncation)
{
	static const char a[] = "{\"accept\":[\"*\",\"*\",\"text\"]}";
	static const char b[] =
			"{\"forward\":[\"sip:a@b\",\"mailto:x@exa..mple.com\"]}";
	static const char u[] = "{\"store\": \xc3\xbc\xc3\xbc}";

	check_truncation(a, sizeof(a) - 1, 0);
	check_truncation(b, sizeof(b) - 1, 0);
	check_truncation(u, sizeof(u) - 1, 1);
}
END_TEST

/* ---- suite ------------------------------------------------------------- */

Suite *profile_json_suite(void)
{
	const struct unit_test t[] = {
			UT_CASE("parse"),
			UT_LOOP(test_parse_table, N_PCASES),
			UT_CASE("dump"),
			UT_LOOP(test_dump_round_trip, N_PCASES),
			UT_LOOP(test_dump_expected, N_DCASES),
			UT(test_dump_escaping),
			UT(test_dump_bad_struct),
			UT(test_dump_hand_filled),
			UT(test_forward_kinds),
			UT_CASE("accepts"),
			UT_LOOP(test_accepts_table, N_ACASES),
			UT(test_accept_header),
			UT_CASE("errors"),
			UT(test_errsize_zero_one),
			UT(test_errsize_truncation),
	};

	return UNIT_SUITE("sf_profile_json", t, NULL, NULL);
}
