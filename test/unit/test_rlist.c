/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: unit tests of the recipient lists
 *
 * Table-driven tests of sf_rlist.h, written from its contract: parsing
 * RFC 4826 resource-lists with RFC 5364 copyControl (the RFC 5365
 * example, nesting, duplicates, the limits, every refusal), URI keys,
 * leaving the sender out, and the recipient-list-history body. Inputs,
 * the entry array and the arena are heap blocks of exactly their size, so
 * that AddressSanitizer catches any access past them; LeakSanitizer
 * catches what libxml2 allocated and was not freed.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_rlist.h"
#include "unit_util.h"


#define RL_NS "urn:ietf:params:xml:ns:resource-lists"
#define CP_NS "urn:ietf:params:xml:ns:copycontrol"
#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define RL_OPEN "<resource-lists xmlns=\"" RL_NS "\" xmlns:cp=\"" CP_NS "\">\n"
#define RL_CLOSE "</resource-lists>\n"
/* a document of one list */
#define DOC(entries) XML_DECL RL_OPEN "<list>\n" entries "</list>\n" RL_CLOSE

#define TO SF_COPY_TO
#define CC SF_COPY_CC
#define BCC SF_COPY_BCC

#define MAX_EXP 8

/* ---- a list in exact-size heap blocks ---------------------------------- */

struct hlist
{
	sf_rlist_t l;
};

static void hl_init(struct hlist *h, int max, size_t arena)
{
	memset(h, 0, sizeof(*h));
	h->l.max = max;
	h->l.v = max > 0 ? calloc((size_t)max, sizeof(sf_rlist_entry_t)) : NULL;
	h->l.arena = out_buf(arena);
	h->l.size = arena;
	if(max > 0 && h->l.v == NULL)
		abort();
}

static void hl_free(struct hlist *h)
{
	free(h->l.v);
	free(h->l.arena);
	memset(h, 0, sizeof(*h));
}

/* parse a literal into a list of max entries and the default arena */
static int hl_parse(struct hlist *h, const struct tbuf *xml, int max)
{
	sf_buf_t x = dup_buf(xml);
	int ret;

	hl_init(h, max, SF_RLIST_ARENA_SIZE(max));
	ret = sf_rlist_parse(x.s, x.len, &h->l);
	free_buf(&x);
	return ret;
}

/* every entry well-formed: its URI NUL-terminated in the arena */
static void check_arena(const char *name, const sf_rlist_t *l)
{
	int i;

	for(i = 0; i < l->n; i++) {
		const sf_rlist_entry_t *e = &l->v[i];
		ck_assert_msg(e->uri.s >= l->arena
							  && e->uri.s + e->uri.len < l->arena + l->used
							  && e->uri.s[e->uri.len] == '\0'
							  && strlen(e->uri.s) == e->uri.len,
				"%s: entry %d not NUL-terminated in the arena", name, i);
	}
	ck_assert_msg(l->used <= l->size, "%s: used %zu > size %zu", name, l->used,
			l->size);
}

/* ---- sf_rlist_parse ---------------------------------------------------- */

struct exp_entry
{
	const char *uri;
	int copy;
	int anon;
	int count;
};

struct rl_case
{
	const char *name;
	struct tbuf xml;
	int max;	  /* 0: 8 */
	size_t arena; /* 0: SF_RLIST_ARENA_SIZE(max) */
	int ret;
	int n;
	struct exp_entry e[MAX_EXP];
};

#define RFC5365_LIST                                                        \
	XML_DECL                                                                \
	"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"\n"     \
	"                xmlns:cp=\"urn:ietf:params:xml:ns:copycontrol\">\n"    \
	"  <list>\n"                                                            \
	"    <entry uri=\"sip:bill@example.com\" cp:copyControl=\"to\" />\n"    \
	"    <entry uri=\"sip:randy@example.net\" cp:copyControl=\"to\"\n"      \
	"                                            cp:anonymize=\"true\"/>\n" \
	"    <entry uri=\"sip:eddy@example.com\" cp:copyControl=\"to\"\n"       \
	"                                            cp:anonymize=\"true\"/>\n" \
	"    <entry uri=\"sip:joe@example.org\" cp:copyControl=\"cc\" />\n"     \
	"    <entry uri=\"sip:carol@example.net\" cp:copyControl=\"cc\"\n"      \
	"                                            cp:anonymize=\"true\"/>\n" \
	"    <entry uri=\"sip:ted@example.net\" cp:copyControl=\"bcc\" />\n"    \
	"    <entry uri=\"sip:andy@example.com\" cp:copyControl=\"bcc\" />\n"   \
	"  </list>\n"                                                           \
	"</resource-lists>\n"

/* a DTD with an internal entity (a small "billion laughs") */
#define LAUGHS                                          \
	"<?xml version=\"1.0\"?>\n"                         \
	"<!DOCTYPE resource-lists [\n"                      \
	" <!ENTITY a \"sip:x@y\">\n"                        \
	" <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n" \
	"]>\n" RL_OPEN "<list><entry uri=\"&b;\"/></list>\n" RL_CLOSE

static const struct rl_case rl_cases[] = {
		{.name = "rfc5365_example",
				.xml = B(RFC5365_LIST),
				.n = 7,
				.e = {{"sip:bill@example.com", TO, 0, 1},
						{"sip:randy@example.net", TO, 1, 1},
						{"sip:eddy@example.com", TO, 1, 1},
						{"sip:joe@example.org", CC, 0, 1},
						{"sip:carol@example.net", CC, 1, 1},
						{"sip:ted@example.net", BCC, 0, 1},
						{"sip:andy@example.com", BCC, 0, 1}}},
		{.name = "other_prefix_and_noise",
				.xml = B(XML_DECL
						"<resource-lists xmlns=\"" RL_NS "\"\n"
						"   xmlns:copy=\"" CP_NS "\" xmlns:z=\"urn:x\">\n"
						"<list name=\"friends\">\n"
						"<display-name>Friends</display-name>\n"
						"<!-- a comment -->\n"
						"<entry uri=\"sip:a@example.com\" "
						"copy:copyControl=\"cc\">"
						"<display-name>A</display-name></entry>\n"
						"<entry uri=\"sip:b@example.com\" "
						"copy:copyControl=\"bcc\""
						" copy:anonymize=\"1\"/>\n"
						/* unqualified and foreign copyControl: ignored */
						"<entry uri=\"sip:c@example.com\" "
						"copyControl=\"bcc\"/>\n"
						"<entry uri=\"sip:d@example.com\" z:copyControl=\"bcc\""
						" z:anonymize=\"true\"/>\n"
						"<z:entry uri=\"sip:ignored@example.com\"/>\n"
						"<z:ext><entry "
						"uri=\"sip:hidden@example.com\"/></z:ext>\n"
						"</list>\n" RL_CLOSE),
				.n = 4,
				.e = {{"sip:a@example.com", CC, 0, 1},
						{"sip:b@example.com", BCC, 1, 1},
						{"sip:c@example.com", TO, 0, 1},
						{"sip:d@example.com", TO, 0, 1}}},
		{.name = "prefixed_resource_lists",
				.xml = B("<rl:resource-lists xmlns:rl=\"" RL_NS "\""
						 " xmlns:cp=\"" CP_NS "\"><rl:list>"
						 "<rl:entry uri=\"tel:+15550100\" "
						 "cp:copyControl=\"cc\"/>"
						 "</rl:list></rl:resource-lists>"),
				.n = 1,
				.e = {{"tel:+15550100", CC, 0, 1}}},
		{.name = "nested_lists_document_order",
				.xml = B(XML_DECL RL_OPEN "<list>"
										  "<entry uri=\"sip:a@x\"/>"
										  "<list>"
										  "<entry uri=\"sip:b@x\"/>"
										  "<list>"
										  "<entry uri=\"sip:c@x\"/>"
										  "</list></list>"
										  "<entry uri=\"sip:d@x\"/>"
										  "</list>"
										  "<list>"
										  "<entry uri=\"sip:e@x\"/>"
										  "</list>" RL_CLOSE),
				.n = 5,
				.e = {{"sip:a@x", TO, 0, 1}, {"sip:b@x", TO, 0, 1},
						{"sip:c@x", TO, 0, 1}, {"sip:d@x", TO, 0, 1},
						{"sip:e@x", TO, 0, 1}}},
		{.name = "duplicates_merged",
				.xml = B(DOC("<entry uri=\"sip:bob@Example.COM\" "
							 "cp:copyControl=\"bcc\"/>"
							 "<entry uri=\"sips:alice@example.com\" "
							 "cp:copyControl=\"bcc\" cp:anonymize=\"true\"/>"
							 "<entry uri=\"sip:bob@example.com;transport=tcp\" "
							 "cp:copyControl=\"cc\"/>"
							 "<entry uri=\"sip:carol@example.org\" "
							 "cp:copyControl=\"cc\" cp:anonymize=\"true\"/>"
							 "<entry uri=\"sip:alice@EXAMPLE.com:5061\" "
							 "cp:copyControl=\"to\" cp:anonymize=\"true\"/>"
							 "<entry uri=\"sip:bob@example.com:5060\" "
							 "cp:copyControl=\"bcc\"/>"
							 "<entry uri=\"sip:carol@example.org\" "
							 "cp:copyControl=\"bcc\"/>")),
				.n = 3,
				.e = {{"sip:bob@Example.COM", CC, 0, 3},
						{"sips:alice@example.com", TO, 1, 2},
						{"sip:carol@example.org", CC, 0, 2}}},
		{.name = "user_is_case_sensitive",
				.xml = B(DOC("<entry uri=\"sip:Bob@x\"/>"
							 "<entry uri=\"sip:bob@x\"/>"
							 "<entry uri=\"sip:bob@X\"/>")),
				.n = 2,
				.e = {{"sip:Bob@x", TO, 0, 1}, {"sip:bob@x", TO, 0, 2}}},
		{.name = "tel_lower_cased_whole",
				.xml = B(DOC(
						"<entry "
						"uri=\"tel:+1-555-0100;phone-context=EXAMPLE.com\"/>"
						"<entry "
						"uri=\"TEL:+1-555-0100;Phone-Context=example.COM\"/>"
						"<entry uri=\"tel:+1-555-0100\"/>")),
				.n = 2,
				.e = {{"tel:+1-555-0100;phone-context=EXAMPLE.com", TO, 0, 2},
						{"tel:+1-555-0100", TO, 0, 1}}},
		{.name = "values_with_blanks",
				.xml = B(DOC("<entry uri=\"sip:a@x\" cp:copyControl=\" cc \""
							 " cp:anonymize=\" 1\"/>"
							 "<entry uri=\"sip:b@x\" cp:copyControl=\"bcc\""
							 " cp:anonymize=\"false\"/>"
							 "<entry uri=\"sip:c@x\" cp:anonymize=\"0\"/>")),
				.n = 3,
				.e = {{"sip:a@x", CC, 1, 1}, {"sip:b@x", BCC, 0, 1},
						{"sip:c@x", TO, 0, 1}}},
		{.name = "escaped_uri",
				.xml = B(DOC("<entry uri=\"sip:a&amp;b@example.com\"/>"
							 "<entry uri=\"sip:&#x63;@example.com\"/>")),
				.n = 2,
				.e = {{"sip:a&b@example.com", TO, 0, 1},
						{"sip:c@example.com", TO, 0, 1}}},
		{.name = "entry_outside_list_ignored",
				.xml = B(XML_DECL RL_OPEN "<entry uri=\"sip:out@x\"/>"
										  "<list>"
										  "<entry uri=\"sip:in@x\"/>"
										  "</list>" RL_CLOSE),
				.n = 1,
				.e = {{"sip:in@x", TO, 0, 1}}},
		{.name = "iso_8859_1",
				.xml = B(
						"<?xml version=\"1.0\" "
						"encoding=\"ISO-8859-1\"?>\n" RL_OPEN
						"<list><entry uri=\"sip:j\xfcrg@x\"/></list>" RL_CLOSE),
				.n = 1,
				.e = {{"sip:j\xc3\xbcrg@x", TO, 0, 1}}},
		/* --- limits --- */
		{.name = "max_distinct",
				.xml = B(DOC("<entry uri=\"sip:a@x\"/>"
							 "<entry uri=\"sip:b@x\"/>"
							 "<entry uri=\"sip:c@x\"/>"
							 "<entry uri=\"sip:a@X\"/>"
							 "<entry uri=\"sip:b@x;lr\"/>")),
				.max = 3,
				.n = 3,
				.e = {{"sip:a@x", TO, 0, 2}, {"sip:b@x", TO, 0, 2},
						{"sip:c@x", TO, 0, 1}}},
		{.name = "max_plus_one_distinct",
				.xml = B(DOC("<entry uri=\"sip:a@x\"/>"
							 "<entry uri=\"sip:b@x\"/>"
							 "<entry uri=\"sip:c@x\"/>"
							 "<entry uri=\"sip:d@x\"/>")),
				.max = 3,
				.ret = SF_RLIST_ETOOMANY},
		{.name = "four_times_max_entries",
				.xml = B(DOC("<entry uri=\"sip:a@x\"/>"
							 "<entry uri=\"sip:a@x\"/>"
							 "<entry uri=\"sip:a@x\"/>"
							 "<entry uri=\"sip:a@x\"/>")),
				.max = 1,
				.n = 1,
				.e = {{"sip:a@x", TO, 0, 4}}},
		{.name = "more_than_four_times_max",
				.xml = B(DOC("<entry uri=\"sip:a@x\"/>"
							 "<entry uri=\"sip:a@x\"/>"
							 "<entry uri=\"sip:a@x\"/>"
							 "<entry uri=\"sip:a@x\"/>"
							 "<entry uri=\"sip:a@x\"/>")),
				.max = 1,
				.ret = SF_RLIST_ETOOMANY},
		/* "sip:a@b.c" and "a@b.c", each with a NUL: 16 bytes */
		{.name = "arena_exact",
				.xml = B(DOC("<entry uri=\"sip:a@b.c\"/>"
							 "<entry uri=\"sip:a@B.C\"/>")),
				.arena = 16,
				.n = 1,
				.e = {{"sip:a@b.c", TO, 0, 2}}},
		{.name = "arena_short",
				.xml = B(DOC("<entry uri=\"sip:a@b.c\"/>")),
				.arena = 15,
				.ret = SF_RLIST_ESPACE},
		{.name = "arena_short_second",
				.xml = B(DOC("<entry uri=\"sip:a@b.c\"/>"
							 "<entry uri=\"sip:d@b.c\"/>")),
				.arena = 31,
				.ret = SF_RLIST_ESPACE},
		/* --- refused --- */
		{.name = "malformed",
				.xml = B(XML_DECL RL_OPEN "<list>"
										  "<entry uri=\"sip:a@x\"/>"),
				.ret = SF_RLIST_EPARSE},
		{.name = "not_xml", .xml = B("sip:a@x"), .ret = SF_RLIST_EPARSE},
		{.name = "empty", .xml = NB, .ret = SF_RLIST_EPARSE},
		{.name = "mismatched_tags",
				.xml = B(RL_OPEN "<list>"
								 "<entry uri=\"sip:a@x\"/>"
								 "</lst>" RL_CLOSE),
				.ret = SF_RLIST_EPARSE},
		{.name = "doctype_entity", .xml = B(LAUGHS), .ret = SF_RLIST_EPARSE},
		{.name = "doctype_plain",
				.xml = B("<!DOCTYPE resource-lists>\n" DOC(
						"<entry uri=\"sip:a@x\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "doctype_external",
				.xml = B("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-lists "
						 "SYSTEM \"http://192.0.2.1/x.dtd\">\n" RL_OPEN "<list>"
						 "<entry uri=\"sip:a@x\"/>"
						 "</list>" RL_CLOSE),
				.ret = SF_RLIST_EPARSE},
		{.name = "wrong_root",
				.xml = B("<lists xmlns=\"" RL_NS "\"><list>"
						 "<entry uri=\"sip:a@x\"/>"
						 "</list></lists>"),
				.ret = SF_RLIST_EPARSE},
		{.name = "no_namespace",
				.xml = B("<resource-lists><list>"
						 "<entry uri=\"sip:a@x\"/>"
						 "</list></resource-lists>"),
				.ret = SF_RLIST_EPARSE},
		{.name = "wrong_namespace",
				.xml = B("<resource-lists xmlns=\"urn:ietf:params:xml:ns:"
						 "resource-list\"><list>"
						 "<entry uri=\"sip:a@x\"/>"
						 "</list></resource-lists>"),
				.ret = SF_RLIST_EPARSE},
		{.name = "entries_in_other_namespace",
				.xml = B(RL_OPEN "<list xmlns=\"urn:x\">"
								 "<entry uri=\"sip:a@x\"/>"
								 "</list>" RL_CLOSE),
				.ret = SF_RLIST_EPARSE},
		{.name = "entry_without_uri",
				.xml = B(DOC("<entry uri=\"sip:a@x\"/>"
							 "<entry name=\"x\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "uri_empty",
				.xml = B(DOC("<entry uri=\"\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "uri_with_space",
				.xml = B(DOC("<entry uri=\"sip:a b@x\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "uri_with_lt",
				.xml = B(DOC("<entry uri=\"sip:a&lt;b@x\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "uri_with_gt",
				.xml = B(DOC("<entry uri=\"sip:a>b@x\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "uri_with_quote",
				.xml = B(DOC("<entry uri=\"sip:a&quot;b@x\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "uri_with_tab",
				.xml = B(DOC("<entry uri=\"sip:a&#9;b@x\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "uri_leading_blank",
				.xml = B(DOC("<entry uri=\" sip:a@x\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "uri_without_scheme",
				.xml = B(DOC("<entry uri=\"alice\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "uri_empty_user",
				.xml = B(DOC("<entry uri=\"sip:@x\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "uri_empty_host",
				.xml = B(DOC("<entry uri=\"sip:a@;lr\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "copycontrol_unknown",
				.xml = B(
						DOC("<entry uri=\"sip:a@x\" cp:copyControl=\"all\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "copycontrol_case",
				.xml = B(
						DOC("<entry uri=\"sip:a@x\" cp:copyControl=\"BCC\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "copycontrol_empty",
				.xml = B(DOC("<entry uri=\"sip:a@x\" cp:copyControl=\"\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "anonymize_unknown",
				.xml = B(DOC("<entry uri=\"sip:a@x\" cp:anonymize=\"yes\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "entry_ref",
				.xml = B(DOC("<entry uri=\"sip:a@x\"/>"
							 "<entry-ref ref=\"users/a\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "external",
				.xml = B(DOC("<entry uri=\"sip:a@x\"/>"
							 "<external anchor=\"http://x/l\"/>")),
				.ret = SF_RLIST_EPARSE},
		{.name = "empty_list", .xml = B(DOC("")), .ret = SF_RLIST_EPARSE},
		{.name = "no_list", .xml = B(RL_OPEN RL_CLOSE), .ret = SF_RLIST_EPARSE},
		{.name = "only_foreign_entries",
				.xml = B(DOC("<x:entry xmlns:x=\"urn:x\" uri=\"sip:a@x\"/>")),
				.ret = SF_RLIST_EPARSE},
};

#define N_RL ((int)(sizeof(rl_cases) / sizeof(rl_cases[0])))

START_TEST(test_parse)
{
	const struct rl_case *c = &rl_cases[_i];
	int max = c->max ? c->max : MAX_EXP;
	sf_buf_t x = dup_buf(&c->xml);
	struct hlist h;
	int ret, i;

	hl_init(&h, max, c->arena ? c->arena : SF_RLIST_ARENA_SIZE(max));
	h.l.n = 99;
	ret = sf_rlist_parse(x.s, x.len, &h.l);
	ck_assert_msg(
			ret == c->ret, "%s: got %d, expected %d", c->name, ret, c->ret);
	ck_assert_msg(h.l.n >= 0 && h.l.n <= max, "%s: n %d", c->name, h.l.n);
	check_arena(c->name, &h.l);
	if(ret == 0) {
		ck_assert_msg(
				h.l.n == c->n, "%s: n %d, expected %d", c->name, h.l.n, c->n);
		for(i = 0; i < c->n; i++) {
			const sf_rlist_entry_t *e = &h.l.v[i];
			const struct exp_entry *x = &c->e[i];
			ck_assert_msg(strcmp(e->uri.s, x->uri) == 0,
					"%s: entry %d uri \"%s\", expected \"%s\"", c->name, i,
					e->uri.s, x->uri);
			ck_assert_msg(e->copy == x->copy && e->anonymize == x->anon
								  && e->count == x->count,
					"%s: entry %d copy %d anonymize %d count %d, expected %d "
					"%d %d",
					c->name, i, e->copy, e->anonymize, e->count, x->copy,
					x->anon, x->count);
		}
		/* again into the same list: n and used start over */
		ck_assert_int_eq(sf_rlist_parse(x.s, x.len, &h.l), 0);
		ck_assert_int_eq(h.l.n, c->n);
	}
	free_buf(&x);
	hl_free(&h);
}
END_TEST

/* lists nested SF_RLIST_DEPTH_MAX deep are read, one more is refused */
START_TEST(test_depth)
{
	char doc[2048];
	struct tbuf tb;
	struct hlist h;
	int depth = SF_RLIST_DEPTH_MAX + _i, d, n = 0;

	n += sprintf(doc + n, "%s", RL_OPEN);
	for(d = 0; d < depth; d++)
		n += sprintf(doc + n, "<list>");
	n += sprintf(doc + n, "%s", "<entry uri=\"sip:deep@x\"/>");
	for(d = 0; d < depth; d++)
		n += sprintf(doc + n, "</list>");
	n += sprintf(doc + n, "%s", RL_CLOSE);
	tb.s = doc;
	tb.len = (size_t)n;
	ck_assert_int_eq(hl_parse(&h, &tb, 4), _i == 0 ? 0 : SF_RLIST_EPARSE);
	hl_free(&h);
}
END_TEST

/* a URI of SF_RLIST_URI_MAX bytes is taken, one more byte is refused */
START_TEST(test_uri_length)
{
	char doc[1024], uri[SF_RLIST_URI_MAX + 2];
	size_t ulen = SF_RLIST_URI_MAX + (size_t)_i;
	struct tbuf tb;
	struct hlist h;
	int n;

	memcpy(uri, "sip:", 4);
	memset(uri + 4, 'u', ulen - 6);
	memcpy(uri + ulen - 2, "@x", 2);
	uri[ulen] = '\0';
	n = snprintf(doc, sizeof(doc), DOC("<entry uri=\"%s\"/>"), uri);
	ck_assert(n > 0 && (size_t)n < sizeof(doc));
	tb.s = doc;
	tb.len = (size_t)n;
	ck_assert_int_eq(hl_parse(&h, &tb, 1), _i == 0 ? 0 : SF_RLIST_EPARSE);
	if(_i == 0) {
		ck_assert_uint_eq(h.l.v[0].uri.len, SF_RLIST_URI_MAX);
		/* the key fits in the arena too: the macro is enough */
		ck_assert_uint_le(h.l.used, SF_RLIST_ARENA_SIZE(1));
	}
	hl_free(&h);
}
END_TEST

START_TEST(test_parse_guards)
{
	static const char xml[] = DOC("<entry uri=\"sip:a@x\"/>");
	sf_rlist_entry_t v[2];
	char arena[64];
	sf_rlist_t l;

	ck_assert_int_eq(
			sf_rlist_parse(xml, sizeof(xml) - 1, NULL), SF_RLIST_EPARSE);
	memset(&l, 0, sizeof(l));
	l.v = v;
	l.max = 2;
	l.arena = arena;
	l.size = sizeof(arena);
	ck_assert_int_eq(sf_rlist_parse(NULL, 10, &l), SF_RLIST_EPARSE);
	ck_assert_int_eq(sf_rlist_parse(xml, 0, &l), SF_RLIST_EPARSE);
	ck_assert_int_eq(sf_rlist_parse(xml, sizeof(xml) - 1, &l), 0);
	ck_assert_int_eq(l.n, 1);
	/* no array */
	l.v = NULL;
	ck_assert_int_eq(sf_rlist_parse(xml, sizeof(xml) - 1, &l), SF_RLIST_EPARSE);
	/* max 0: any entry is too many */
	l.max = 0;
	ck_assert_int_eq(
			sf_rlist_parse(xml, sizeof(xml) - 1, &l), SF_RLIST_ETOOMANY);
	/* no arena */
	l.v = v;
	l.max = 2;
	l.arena = NULL;
	l.size = 0;
	ck_assert_int_eq(sf_rlist_parse(xml, sizeof(xml) - 1, &l), SF_RLIST_ESPACE);
	ck_assert_int_eq(l.n, 0);
}
END_TEST

/* ---- sf_uri_key -------------------------------------------------------- */

struct key_case
{
	struct tbuf uri;
	const char *key; /* NULL: -1 */
};

static const struct key_case key_cases[] = {
		{B("sip:bob@Example.COM"), "bob@example.com"},
		{B("SIP:Bob@example.com:5060;transport=tcp?subject=x"),
				"Bob@example.com"},
		{B("sips:bob@example.com"), "bob@example.com"},
		{B("sIpS:bob@example.com"), "bob@example.com"},
		{B("sip:bob:secret@example.com"), "bob@example.com"},
		{B("sip:B%40b@x"), "B%40b@x"},
		{B("sip:example.com"), "example.com"},
		{B("sip:EXAMPLE.com;lr"), "example.com"},
		{B("sip:bob@[2001:DB8::1]:5060"), "bob@[2001:db8::1]"},
		{B("sip:[::1]"), "[::1]"},
		{B("\"Bob\" <sip:bob@Example.com>;tag=1"), "bob@example.com"},
		{B("\"a<b \\\" c\" <sip:x@Y>"), "x@y"},
		{B("Bob <sip:bob@x>"), "bob@x"},
		{B("<sip:bob@x>"), "bob@x"},
		{B("< sip:bob@x >"), "bob@x"},
		{B("  sip:bob@x\r\n"), "bob@x"},
		{B("tel:+1-555-0100;Phone-Context=X"),
				"tel:+1-555-0100;phone-context=x"},
		{B("IM:Bob@Example.com"), "im:bob@example.com"},
		{B("urn:service:sos"), "urn:service:sos"},
		{B("sip-x:A"), "sip-x:a"},
		{NB, NULL},
		{B(""), NULL},
		{B("   "), NULL},
		{B("bob"), NULL},
		{B(":x"), NULL},
		{B("1sip:x@y"), NULL},
		{B("s_p:x@y"), NULL},
		{B("sip:@host"), NULL},
		{B("sip::pw@host"), NULL},
		{B("sip:bob@"), NULL},
		{B("sip:bob@:5060"), NULL},
		{B("sip:"), NULL},
		{B("sip:bob@[::1"), NULL},
		{B("<sip:bob@x"), NULL},
		{B("<>"), NULL},
		{B("sip:bo b@x"), NULL},
		{B("sip:bo\x7f@x"), NULL},
		{B("sip:bo\0b@x"), NULL},
		{B("\"unclosed <sip:x@y>"), NULL},
		{B("\"name\" sip:x@y"), NULL},
		{B("Bob sip:x@y"), NULL},
};

#define N_KEY ((int)(sizeof(key_cases) / sizeof(key_cases[0])))

struct key_arg
{
	sf_buf_t uri;
};

static int key_into(const void *arg, char *out, size_t size)
{
	return sf_uri_key(((const struct key_arg *)arg)->uri, out, size);
}

START_TEST(test_uri_key)
{
	const struct key_case *c = &key_cases[_i];
	struct key_arg a = {dup_buf(&c->uri)};
	char what[128], buf[128];

	snprintf(what, sizeof(what), "sf_uri_key(\"%s\")",
			show(c->uri.s, c->uri.len, buf, sizeof(buf)));
	if(c->key != NULL) {
		check_fit(
				key_into, &a, c->key, strlen(c->key), strlen(c->key) + 1, what);
	} else {
		char *out = out_buf(300);
		ck_assert_msg(sf_uri_key(a.uri, out, 300) == -1 && out[0] == '\0',
				"%s: usable", what);
		free(out);
	}
	free_buf(&a.uri);
}
END_TEST

/* ---- sf_rlist_skip_sender ---------------------------------------------- */

struct skip_case
{
	const char *name;
	struct tbuf xml;
	struct tbuf sender;
	int removed;
	const char *left[MAX_EXP]; /* the URIs that remain, in order */
};

static const struct skip_case skip_cases[] = {
		{"once_removed",
				B(DOC("<entry uri=\"sip:a@x\"/>"

					  "<entry uri=\"sip:me@x\"/>"

					  "<entry uri=\"sip:b@x\"/>")),
				B("sip:me@x"), 1, {"sip:a@x", "sip:b@x"}},
		{"once_removed_display_form",
				B(DOC("<entry uri=\"sip:me@Example.com;transport=tcp\"/>"

					  "<entry uri=\"sip:b@x\"/>")),
				B("\"Me\" <sip:me@example.COM:5060>"), 1, {"sip:b@x"}},
		{"last_removed",
				B(DOC("<entry uri=\"sip:a@x\"/>"

					  "<entry uri=\"sip:me@x\"/>")),
				B("sips:me@x"), 1, {"sip:a@x"}},
		{"only_entry_removed", B(DOC("<entry uri=\"sip:me@x\"/>")),
				B("sip:me@x"), 1, {NULL}},
		{"twice_kept",
				B(DOC("<entry uri=\"sip:me@x\"/>"

					  "<entry uri=\"sip:a@x\"/>"

					  "<entry uri=\"sip:me@X\"/>")),
				B("sip:me@x"), 0, {"sip:me@x", "sip:a@x"}},
		{"not_named",
				B(DOC("<entry uri=\"sip:a@x\"/>"

					  "<entry uri=\"sip:b@x\"/>")),
				B("sip:me@x"), 0, {"sip:a@x", "sip:b@x"}},
		{"user_case_differs", B(DOC("<entry uri=\"sip:Me@x\"/>")),
				B("sip:me@x"), 0, {"sip:Me@x"}},
		{"unusable_sender", B(DOC("<entry uri=\"sip:a@x\"/>")), B("<sip:a@x"),
				0, {"sip:a@x"}},
		{"no_sender", B(DOC("<entry uri=\"sip:a@x\"/>")), NB, 0, {"sip:a@x"}},
};

#define N_SKIP ((int)(sizeof(skip_cases) / sizeof(skip_cases[0])))

START_TEST(test_skip_sender)
{
	const struct skip_case *c = &skip_cases[_i];
	sf_buf_t sender = dup_buf(&c->sender);
	struct hlist h;
	int ret, i, left = 0;

	ck_assert_int_eq(hl_parse(&h, &c->xml, MAX_EXP), 0);
	while(left < MAX_EXP && c->left[left] != NULL)
		left++;
	ret = sf_rlist_skip_sender(&h.l, sender);
	ck_assert_msg(ret == c->removed, "%s: removed %d, expected %d", c->name,
			ret, c->removed);
	ck_assert_msg(
			h.l.n == left, "%s: %d left, expected %d", c->name, h.l.n, left);
	for(i = 0; i < left; i++)
		ck_assert_msg(strcmp(h.l.v[i].uri.s, c->left[i]) == 0,
				"%s: entry %d is %s, expected %s", c->name, i, h.l.v[i].uri.s,
				c->left[i]);
	/* a second call removes nothing more */
	if(c->removed)
		ck_assert_int_eq(sf_rlist_skip_sender(&h.l, sender), 0);
	ck_assert_int_eq(sf_rlist_skip_sender(NULL, sender), 0);
	free_buf(&sender);
	hl_free(&h);
}
END_TEST

/* ---- sf_rlist_history -------------------------------------------------- */

#define HIST_HEAD                                                     \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"                  \
	"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"" \
	" xmlns:cp=\"urn:ietf:params:xml:ns:copycontrol\">\r\n"           \
	"  <list>\r\n"
#define HIST_TAIL   \
	"  </list>\r\n" \
	"</resource-lists>\r\n"

struct hist_case
{
	const char *name;
	struct tbuf xml;
	const char *exp; /* NULL: 0, nothing written */
};

static const struct hist_case hist_cases[] = {
		{"escaped_bcc_and_anonymized_left_out",
				B(DOC("<entry uri=\"sip:a&amp;b@example.com\" "
					  "cp:copyControl=\"to\"/>"
					  "<entry uri=\"sip:randy@example.net\" "
					  "cp:copyControl=\"to\" cp:anonymize=\"true\"/>"
					  "<entry uri=\"sip:ted@example.net\" "
					  "cp:copyControl=\"bcc\"/>"
					  "<entry uri=\"sip:carol@example.net\" "
					  "cp:copyControl=\"cc\"/>"
					  "<entry uri=\"sip:x@example.net\" cp:copyControl=\"cc\" "
					  "cp:anonymize=\"true\"/>"
					  "<entry uri=\"sip:'q'@e\"/>")),
				HIST_HEAD "    <entry uri=\"sip:a&amp;b@example.com\" "
						  "cp:copyControl=\"to\"/>\r\n"
						  "    <entry uri=\"sip:carol@example.net\" "
						  "cp:copyControl=\"cc\"/>\r\n"
						  "    <entry uri=\"sip:&apos;q&apos;@e\" "
						  "cp:copyControl=\"to\"/>\r\n" HIST_TAIL},
		{"rfc5365_example", B(RFC5365_LIST),
				HIST_HEAD "    <entry uri=\"sip:bill@example.com\" "
						  "cp:copyControl=\"to\"/>\r\n"
						  "    <entry uri=\"sip:joe@example.org\" "
						  "cp:copyControl=\"cc\"/>\r\n" HIST_TAIL},
		{"merged_duplicate_once",
				B(DOC("<entry uri=\"sip:b@x\" cp:copyControl=\"bcc\"/>"
					  "<entry uri=\"sip:b@X;lr\" cp:copyControl=\"cc\"/>")),
				HIST_HEAD "    <entry uri=\"sip:b@x\" "
						  "cp:copyControl=\"cc\"/>\r\n" HIST_TAIL},
		{"only_bcc",
				B(DOC("<entry uri=\"sip:a@x\" cp:copyControl=\"bcc\"/>"
					  "<entry uri=\"sip:b@x\" cp:copyControl=\"bcc\"/>")),
				NULL},
		{"only_anonymized",
				B(DOC("<entry uri=\"sip:a@x\" cp:copyControl=\"to\" "
					  "cp:anonymize=\"true\"/>"
					  "<entry uri=\"sip:b@x\" cp:copyControl=\"cc\" "
					  "cp:anonymize=\"true\"/>"
					  "<entry uri=\"sip:c@x\" cp:copyControl=\"bcc\"/>")),
				NULL},
};

#define N_HIST ((int)(sizeof(hist_cases) / sizeof(hist_cases[0])))

static int hist_into(const void *arg, char *out, size_t size)
{
	return sf_rlist_history((const sf_rlist_t *)arg, out, size);
}

START_TEST(test_history)
{
	const struct hist_case *c = &hist_cases[_i];
	struct hlist h, back;
	struct tbuf tb;
	char out[16];
	int i, j;

	ck_assert_int_eq(hl_parse(&h, &c->xml, MAX_EXP), 0);
	if(c->exp == NULL) {
		memset(out, 'Z', sizeof(out));
		ck_assert_int_eq(sf_rlist_history(&h.l, out, sizeof(out)), 0);
		ck_assert_int_eq(out[0], 'Z');
		ck_assert_int_eq(sf_rlist_history(&h.l, NULL, 0), 0);
		hl_free(&h);
		return;
	}
	check_fit(hist_into, &h.l, c->exp, strlen(c->exp), strlen(c->exp) + 1,
			c->name);
	/* read back: the entries that were named, in order, the same */
	tb.s = c->exp;
	tb.len = strlen(c->exp);
	ck_assert_int_eq(hl_parse(&back, &tb, MAX_EXP), 0);
	for(i = 0, j = 0; i < h.l.n; i++) {
		const sf_rlist_entry_t *e = &h.l.v[i];
		if(e->copy == SF_COPY_BCC || e->anonymize)
			continue;
		ck_assert_int_lt(j, back.l.n);
		ck_assert_str_eq(back.l.v[j].uri.s, e->uri.s);
		ck_assert_int_eq(back.l.v[j].copy, e->copy);
		j++;
	}
	ck_assert_int_eq(j, back.l.n);
	hl_free(&back);
	hl_free(&h);
}
END_TEST

START_TEST(test_history_guards)
{
	sf_rlist_t l;
	char out[8];

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(sf_rlist_history(NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(sf_rlist_history(&l, out, sizeof(out)), 0); /* empty */
	l.n = 1;
	ck_assert_int_eq(sf_rlist_history(&l, out, sizeof(out)), -1); /* no v */
}
END_TEST

Suite *rlist_suite(void)
{
	const struct unit_test t[] = {
			UT_CASE("parse"),
			UT_LOOP(test_parse, N_RL),
			UT_LOOP(test_depth, 2),
			UT_LOOP(test_uri_length, 2),
			UT(test_parse_guards),
			UT_CASE("uri_key"),
			UT_LOOP(test_uri_key, N_KEY),
			UT_CASE("skip_sender"),
			UT_LOOP(test_skip_sender, N_SKIP),
			UT_CASE("history"),
			UT_LOOP(test_history, N_HIST),
			UT(test_history_guards),
	};

	return UNIT_SUITE("sf_rlist", t, NULL, NULL);
}
