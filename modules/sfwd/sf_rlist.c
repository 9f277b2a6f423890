/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure recipient lists (see sf_rlist.h)
 */

#include <limits.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "sf_buf.h"
#include "sf_imdn.h"
#include "sf_rlist.h"

static const char _sf_rl_ns[] = "urn:ietf:params:xml:ns:resource-lists";
static const char _sf_cp_ns[] = "urn:ietf:params:xml:ns:copycontrol";

/* network off, no DTD loading, no entity substitution, quiet */
#define SF_RLIST_XML_OPTS \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* ---- URI keys ------------------------------------------------------------ */

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* the URI of a display form ("name" <uri>, <uri>) or the trimmed text;
 * -1 when a quote or '<' is not closed */
static int unwrap(sf_buf_t in, sf_buf_t *uri)
{
	sf_buf_t u = sf_buf_trim(in.s, in.len);
	const char *p = u.s, *end = u.s + u.len, *lt, *gt;

	if(u.len > 0 && *p == '"') {
		for(p++; p < end && *p != '"'; p++) {
			if(*p == '\\' && p + 1 < end)
				p++;
		}
		if(p == end)
			return -1;
		p++;
		lt = memchr(p, '<', (size_t)(end - p));
		if(lt == NULL)
			return -1; /* a display name needs <uri> */
	} else {
		lt = u.len > 0 ? memchr(p, '<', u.len) : NULL;
	}
	if(lt != NULL) {
		gt = memchr(lt + 1, '>', (size_t)(end - lt - 1));
		if(gt == NULL)
			return -1;
		u = sf_buf_trim(lt + 1, (size_t)(gt - lt - 1));
	}
	*uri = u;
	return 0;
}

int sf_uri_key(sf_buf_t uri, char *out, size_t outsize)
{
	const char *p, *end, *colon, *at, *h, *hend;
	sf_buf_t u;
	sf_wr_t w;
	size_t i;

	if(out == NULL || outsize == 0)
		return -1;
	out[0] = '\0';
	if(uri.s == NULL || unwrap(uri, &u) < 0 || u.len == 0)
		return -1;
	for(i = 0; i < u.len; i++) {
		unsigned char c = (unsigned char)u.s[i];
		if(c < 0x21 || c == 0x7f || c == '<' || c == '>')
			return -1;
	}
	p = u.s;
	end = u.s + u.len;
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if(!is_alpha(*p))
		return -1;
	for(colon = p + 1; colon < end && *colon != ':'; colon++) {
		char c = *colon;
		if(!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-'
				&& c != '.')
			return -1;
	}
	if(colon == end)
		return -1;

	sf_wr_init(&w, out, outsize);
	if(!sf_buf_ieq(p, (size_t)(colon - p), "sip")
			&& !sf_buf_ieq(p, (size_t)(colon - p), "sips")) {
		for(i = 0; i < u.len; i++)
			sf_putch(&w, sf_lower(u.s[i]));
		return sf_wr_end(&w);
	}
	p = colon + 1;
	at = memchr(p, '@', (size_t)(end - p));
	h = p;
	if(at != NULL) {
		const char *uend = memchr(p, ':', (size_t)(at - p));
		if(uend == NULL)
			uend = at; /* no password */
		if(uend == p)
			return -1; /* an empty user */
		sf_put(&w, p, (size_t)(uend - p));
		sf_putch(&w, '@');
		h = at + 1;
	}
	if(h < end && *h == '[') {
		hend = memchr(h, ']', (size_t)(end - h));
		if(hend == NULL)
			goto unusable;
		hend++;
	} else {
		for(hend = h;
				hend < end && *hend != ':' && *hend != ';' && *hend != '?';
				hend++)
			;
	}
	if(hend == h)
		goto unusable; /* an empty host */
	for(; h < hend; h++)
		sf_putch(&w, sf_lower(*h));
	return sf_wr_end(&w);
unusable:
	out[0] = '\0';
	return -1;
}

/* ---- parsing ------------------------------------------------------------- */

struct walk
{
	sf_rlist_t *l;
	size_t seen;	 /* entries before merging */
	size_t seen_max; /* 4 * l->max */
};

/* an element of the resource-lists namespace named name */
static int is_rl(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL
		   && strcmp((const char *)n->ns->href, _sf_rl_ns) == 0
		   && strcmp((const char *)n->name, name) == 0;
}

/* a copycontrol attribute's value, trimmed; (NULL, 0) when absent */
static sf_buf_t cp_value(const xmlChar *v)
{
	if(v == NULL)
		return sf_bufv(NULL, 0);
	return sf_buf_trim((const char *)v, strlen((const char *)v));
}

/* a URI fit to be written back as is: 1..SF_RLIST_URI_MAX bytes, none of
 * them < 0x21, 0x7f, '<', '>', '"' */
static int uri_ok(const char *s, size_t len)
{
	size_t i;

	if(len == 0 || len > SF_RLIST_URI_MAX)
		return 0;
	for(i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if(c < 0x21 || c == 0x7f || c == '<' || c == '>' || c == '"')
			return 0;
	}
	return 1;
}

/* the key stored after an entry's URI in the arena (by take()) */
static const char *entry_key(const sf_rlist_entry_t *e)
{
	return e->uri.s + e->uri.len + 1;
}

/* merge into an entry of the same key or add a new one */
static int take(
		struct walk *w, const char *uri, size_t ulen, int copy, int anon)
{
	sf_rlist_t *l = w->l;
	char key[SF_RLIST_URI_MAX + 1];
	sf_rlist_entry_t *e;
	size_t need;
	char *dst;
	int klen, i;

	klen = sf_uri_key(sf_bufv(uri, ulen), key, sizeof(key));
	if(klen <= 0)
		return SF_RLIST_EPARSE;
	for(i = 0; i < l->n; i++) {
		e = &l->v[i];
		if(strcmp(entry_key(e), key) == 0) {
			e->count++;
			if(copy < e->copy)
				e->copy = copy;
			e->anonymize = e->anonymize && anon;
			return 0;
		}
	}
	if(l->n >= l->max)
		return SF_RLIST_ETOOMANY;
	need = ulen + 1 + (size_t)klen + 1;
	if(l->arena == NULL || l->used > l->size || need > l->size - l->used)
		return SF_RLIST_ESPACE;
	dst = l->arena + l->used;
	memcpy(dst, uri, ulen);
	dst[ulen] = '\0';
	memcpy(dst + ulen + 1, key, (size_t)klen + 1);
	l->used += need;
	e = &l->v[l->n++];
	e->uri = sf_bufv(dst, ulen);
	e->copy = copy;
	e->anonymize = anon;
	e->count = 1;
	return 0;
}

static int take_entry(struct walk *w, xmlNodePtr n)
{
	xmlChar *uri, *cc = NULL, *an = NULL;
	int ret = SF_RLIST_EPARSE, copy = SF_COPY_TO, anon = 0;
	size_t ulen;
	sf_buf_t v;

	if(++w->seen > w->seen_max)
		return SF_RLIST_ETOOMANY;
	uri = xmlGetNoNsProp(n, BAD_CAST "uri");
	if(uri == NULL)
		return SF_RLIST_EPARSE;
	ulen = strlen((const char *)uri);
	if(!uri_ok((const char *)uri, ulen))
		goto done;
	cc = xmlGetNsProp(n, BAD_CAST "copyControl", BAD_CAST _sf_cp_ns);
	v = cp_value(cc);
	if(v.s == NULL)
		copy = SF_COPY_TO;
	else if(v.len == 2 && memcmp(v.s, "to", 2) == 0)
		copy = SF_COPY_TO;
	else if(v.len == 2 && memcmp(v.s, "cc", 2) == 0)
		copy = SF_COPY_CC;
	else if(v.len == 3 && memcmp(v.s, "bcc", 3) == 0)
		copy = SF_COPY_BCC;
	else
		goto done;
	an = xmlGetNsProp(n, BAD_CAST "anonymize", BAD_CAST _sf_cp_ns);
	v = cp_value(an);
	if(v.s == NULL)
		anon = 0;
	else if((v.len == 4 && memcmp(v.s, "true", 4) == 0)
			|| (v.len == 1 && v.s[0] == '1'))
		anon = 1;
	else if((v.len == 5 && memcmp(v.s, "false", 5) == 0)
			|| (v.len == 1 && v.s[0] == '0'))
		anon = 0;
	else
		goto done;
	ret = take(w, (const char *)uri, ulen, copy, anon);
done:
	xmlFree(uri);
	if(cc != NULL)
		xmlFree(cc);
	if(an != NULL)
		xmlFree(an);
	return ret;
}

static int walk_list(struct walk *w, xmlNodePtr list, int depth)
{
	xmlNodePtr c;
	int ret;

	if(depth > SF_RLIST_DEPTH_MAX)
		return SF_RLIST_EPARSE;
	for(c = list->children; c != NULL; c = c->next) {
		if(is_rl(c, "entry"))
			ret = take_entry(w, c);
		else if(is_rl(c, "list"))
			ret = walk_list(w, c, depth + 1);
		else if(is_rl(c, "entry-ref") || is_rl(c, "external"))
			ret = SF_RLIST_EPARSE; /* never resolved */
		else
			continue; /* display-name, extensions, text */
		if(ret < 0)
			return ret;
	}
	return 0;
}

/* "<!DOCTYPE" anywhere: refused before libxml2 reads its subset */
static int has_doctype(const char *s, size_t len)
{
	static const char dt[] = "<!DOCTYPE";
	const char *p = s, *end = s + len;

	while((size_t)(end - p) >= sizeof(dt) - 1) {
		p = memchr(p, '<', (size_t)(end - p) - (sizeof(dt) - 2));
		if(p == NULL)
			return 0;
		if(memcmp(p, dt, sizeof(dt) - 1) == 0)
			return 1;
		p++;
	}
	return 0;
}

int sf_rlist_parse(const char *xml, size_t len, sf_rlist_t *l)
{
	static int xml_ready;
	struct walk w;
	xmlDocPtr doc;
	xmlNodePtr root, c;
	int ret = 0;

	if(l == NULL)
		return SF_RLIST_EPARSE;
	l->n = 0;
	l->used = 0;
	if(xml == NULL || len == 0 || len > INT_MAX || l->max < 0
			|| (l->v == NULL && l->max > 0))
		return SF_RLIST_EPARSE;
	if(has_doctype(xml, len))
		return SF_RLIST_EPARSE;
	if(!xml_ready) {
		xmlInitParser();
		xml_ready = 1;
	}
	doc = xmlReadMemory(xml, (int)len, NULL, NULL, SF_RLIST_XML_OPTS);
	if(doc == NULL)
		return SF_RLIST_EPARSE;
	root = xmlDocGetRootElement(doc);
	if(doc->intSubset != NULL || doc->extSubset != NULL || root == NULL
			|| !is_rl(root, "resource-lists")) {
		ret = SF_RLIST_EPARSE;
		goto done;
	}
	w.l = l;
	w.seen = 0;
	w.seen_max = (size_t)l->max * 4;
	for(c = root->children; c != NULL && ret == 0; c = c->next) {
		if(is_rl(c, "list"))
			ret = walk_list(&w, c, 1);
	}
	if(ret == 0 && l->n == 0)
		ret = SF_RLIST_EPARSE; /* no entry at all */
done:
	xmlFreeDoc(doc);
	return ret;
}

/* ---- the sender and the history ------------------------------------------ */

int sf_rlist_skip_sender(sf_rlist_t *l, sf_buf_t sender_uri)
{
	char skey[SF_RLIST_URI_MAX + 1], ekey[SF_RLIST_URI_MAX + 1];
	int slen, i;

	if(l == NULL || l->v == NULL)
		return 0;
	slen = sf_uri_key(sender_uri, skey, sizeof(skey));
	if(slen <= 0)
		return 0;
	for(i = 0; i < l->n; i++) {
		if(sf_uri_key(l->v[i].uri, ekey, sizeof(ekey)) != slen
				|| memcmp(ekey, skey, (size_t)slen) != 0)
			continue;
		if(l->v[i].count >= 2)
			return 0;
		memmove(&l->v[i], &l->v[i + 1],
				(size_t)(l->n - i - 1) * sizeof(l->v[0]));
		l->n--;
		return 1;
	}
	return 0;
}

/* an entry named in the history */
static int in_history(const sf_rlist_entry_t *e)
{
	return (e->copy == SF_COPY_TO || e->copy == SF_COPY_CC) && !e->anonymize;
}

/* the URI XML-escaped in place at the writer's end */
static void put_escaped(sf_wr_t *w, sf_buf_t uri)
{
	int r = -1;

	if(w->len < w->size)
		r = sf_xml_escape(uri, w->out + w->len, w->size - w->len);
	if(r < 0) {
		/* does not fit: the writer stays over its size, so it fails */
		w->len = (w->len < w->size ? w->size : w->len) + uri.len;
		return;
	}
	w->len += (size_t)r;
}

int sf_rlist_history(const sf_rlist_t *l, char *out, size_t outsize)
{
	sf_wr_t w;
	int i, any = 0;

	if(l == NULL || (l->n > 0 && l->v == NULL))
		return -1;
	for(i = 0; i < l->n && !any; i++)
		any = in_history(&l->v[i]);
	if(!any)
		return 0;
	sf_wr_init(&w, out, outsize);
	SF_PUTS(&w,
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
			"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\""
			" xmlns:cp=\"urn:ietf:params:xml:ns:copycontrol\">\r\n"
			"  <list>\r\n");
	for(i = 0; i < l->n; i++) {
		const sf_rlist_entry_t *e = &l->v[i];
		if(!in_history(e))
			continue;
		SF_PUTS(&w, "    <entry uri=\"");
		put_escaped(&w, e->uri);
		if(e->copy == SF_COPY_CC)
			SF_PUTS(&w, "\" cp:copyControl=\"cc\"/>\r\n");
		else
			SF_PUTS(&w, "\" cp:copyControl=\"to\"/>\r\n");
	}
	SF_PUTS(&w, "  </list>\r\n"
				"</resource-lists>\r\n");
	return sf_wr_end(&w);
}
