/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: per-user profiles (see sf_profile_json.h)
 *
 * Choices the header leaves open:
 * - Input: json_loadb() with JSON_REJECT_DUPLICATES | JSON_DECODE_ANY (so a
 *   top-level string or number gets "profile: not a JSON object" rather
 *   than a lexer message). Trailing text after the object, invalid UTF-8,
 *   "\u0000" and duplicate keys are JSON errors ("JSON error at line L
 *   column C: ..."). json == NULL with len 0 is the empty input.
 * - Members are checked in a fixed order: unknown members first (the first
 *   one met), then store, accept, max_messages, lifetime, forward. null is
 *   a wrong type (leave the member out to unset it).
 * - store: exactly "no", "yes" or "notify" (lower case).
 * - numbers: JSON integers only; 5.0 and 1e3 are reals and refused.
 * - accept: indexes in messages start at 0. A pattern is "*", or a type,
 *   '/', and a subtype or '*', where type and subtype are RFC 6838
 *   restricted-names of 1..63 characters (first character a letter or a
 *   digit, then letters, digits and !#$&-^_.+). A star type ("*" slash
 *   "*"), surrounding spaces and parameters are refused. Patterns are
 *   stored as written (case kept); duplicates are allowed.
 * - forward: scheme sip or sips in any case. Every ASCII character must be
 *   one RFC 3261 allows somewhere in a SIP URI (letters, digits,
 *   -_.!~*'()%&=+$,;?/:@[]); bytes >= 0x80 (UTF-8) are allowed, so a
 *   Unicode user part passes. The host part (after the first '@', or after
 *   the scheme when there is no '@') must be a non-empty hostname or IPv4
 *   address (letters, digits, '-', '.') or an IPv6 reference "[...]" (hex
 *   digits, ':', '.'), optionally followed by ":port" (1..65535), then the
 *   end, ';' or '?'. A user part, when '@' is present, must not be empty.
 * - Error messages: one line (control bytes become spaces), member names
 *   from the input shown with bytes outside printable ASCII as '?', and a
 *   message cut by errsize does not end in a partial UTF-8 sequence.
 *   errsize 0: nothing is written (err may be NULL). out is written only on
 *   success; unused accept slots and the rest of forward are zero, so two
 *   parses of equal profiles compare equal with memcmp().
 * - sf_profile_dump() writes JSON by hand (no json_dumps): '"', '\\' and
 *   control bytes are escaped, other bytes are copied. A member is left out
 *   when unset: store 0, max_messages < 0, lifetime < 0, naccept 0,
 *   forward "". It returns -1 also for a struct it cannot represent (store
 *   outside 0..3, naccept outside 0..32). Strings are read at most up to
 *   their array size.
 * - sf_profile_accepts(): a NULL profile or naccept <= 0 accepts everything.
 *   The value is cut at the first ';', then spaces, tabs, CR and LF around
 *   it are dropped; an empty result is text/plain. "type/ *" patterns need
 *   a non-empty subtype ("text" and "text/" do not match "text/ *"); "*"
 *   matches anything, even a malformed value.
 * - sf_profile_accept_header(): patterns joined with ", ".
 * - On -1, dump and accept_header leave out as "" when outsize > 0.
 */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "sf_buf.h"
#include "sf_profile_json.h"

#define SF_PROFILE_TOKEN_MAX 63
#define SF_PROFILE_MAX_MESSAGES 100000000
#define SF_PROFILE_MAX_LIFETIME 315360000

/* ---- error messages ---------------------------------------------------- */

static void sf_err(char *err, size_t errsize, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

static void sf_err(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;
	size_t i, n;
	int r;

	if(err == NULL || errsize == 0)
		return;
	va_start(ap, fmt);
	r = vsnprintf(err, errsize, fmt, ap); /* lint: truncation wanted */
	va_end(ap);
	if(r < 0) {
		err[0] = '\0';
		return;
	}
	n = strlen(err);
	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)err[i];
		if(c < 0x20 || c == 0x7f)
			err[i] = ' ';
	}
	if((size_t)r > n) {
		/* cut: drop a partial UTF-8 sequence at the end */
		i = n;
		while(i > 0 && ((unsigned char)err[i - 1] & 0xc0) == 0x80)
			i--;
		if(i > 0 && ((unsigned char)err[i - 1] & 0xc0) == 0xc0) {
			unsigned char lead = (unsigned char)err[i - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
			if(n - (i - 1) < need)
				err[i - 1] = '\0';
		}
	}
}

/* a member name from the input, for a message: at most size-1 bytes,
 * non-printable and non-ASCII bytes as '?', "..." when cut */
static void sf_show(char *dst, size_t size, const char *s, size_t len)
{
	size_t i, n;

	n = len < size - 1 ? len : size - 4;
	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if(n < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

static const char *sf_json_type_name(const json_t *v)
{
	switch(json_typeof(v)) {
		case JSON_OBJECT:
			return "an object";
		case JSON_ARRAY:
			return "an array";
		case JSON_STRING:
			return "a string";
		case JSON_INTEGER:
			return "an integer";
		case JSON_REAL:
			return "a real number";
		case JSON_TRUE:
		case JSON_FALSE:
			return "a boolean";
		case JSON_NULL:
			return "null";
	}
	return "an unknown value";
}

/* ---- character classes ------------------------------------------------- */

static int sf_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		   || (c >= '0' && c <= '9');
}

static int sf_is_hex(unsigned char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
		   || (c >= '0' && c <= '9');
}

static int sf_ieq(const char *a, const char *b, size_t n)
{
	size_t i;

	for(i = 0; i < n; i++)
		if(sf_lower(a[i]) != sf_lower(b[i]))
			return 0;
	return 1;
}

/* RFC 6838 restricted-name-chars */
static int sf_is_rn_char(unsigned char c)
{
	return sf_is_alnum(c) || (c != '\0' && strchr("!#$&-^_.+", c) != NULL);
}

/* RFC 6838 restricted-name of 1..63 characters */
static int sf_is_rn(const char *s, size_t len)
{
	size_t i;

	if(len < 1 || len > SF_PROFILE_TOKEN_MAX)
		return 0;
	if(!sf_is_alnum((unsigned char)s[0]))
		return 0;
	for(i = 1; i < len; i++)
		if(!sf_is_rn_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* an ASCII character RFC 3261 allows somewhere in a SIP URI */
static int sf_is_uri_char(unsigned char c)
{
	if(c >= 0x80)
		return 1;
	return sf_is_alnum(c)
		   || (c != '\0' && strchr("-_.!~*'()%&=+$,;?/:@[]", c) != NULL);
}

/* ---- members ----------------------------------------------------------- */

static int sf_parse_store(
		const json_t *v, sf_profile_t *p, char *err, size_t errsize)
{
	const char *s;
	size_t n;

	if(!json_is_string(v)) {
		sf_err(err, errsize,
				"store: expected a string (\"no\", \"yes\" or \"notify\"),"
				" got %s",
				sf_json_type_name(v));
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if(n == 2 && memcmp(s, "no", 2) == 0)
		p->store = SF_CLASS_INSTANT;
	else if(n == 3 && memcmp(s, "yes", 3) == 0)
		p->store = SF_CLASS_STORE;
	else if(n == 6 && memcmp(s, "notify", 6) == 0)
		p->store = SF_CLASS_NOTIFY;
	else {
		sf_err(err, errsize,
				"store: must be \"no\", \"yes\" or \"notify\" (lower case)");
		return -1;
	}
	return 0;
}

static int sf_check_pattern(
		const char *s, size_t n, int idx, char *err, size_t errsize)
{
	const char *slash;

	if(n == 0) {
		sf_err(err, errsize, "accept[%d]: empty pattern", idx);
		return -1;
	}
	if(n >= SF_PROFILE_PATTERN_MAX) {
		sf_err(err, errsize, "accept[%d]: pattern longer than %d characters",
				idx, SF_PROFILE_PATTERN_MAX - 1);
		return -1;
	}
	if(n == 1 && s[0] == '*')
		return 0;
	slash = memchr(s, '/', n);
	if(slash == NULL || !sf_is_rn(s, (size_t)(slash - s))
			|| !((n - (size_t)(slash - s) - 1 == 1 && slash[1] == '*')
					|| sf_is_rn(slash + 1, n - (size_t)(slash - s) - 1))) {
		sf_err(err, errsize,
				"accept[%d]: not a content type pattern (\"*\","
				" \"type/*\" or \"type/subtype\", RFC 6838 names of 1..%d"
				" characters)",
				idx, SF_PROFILE_TOKEN_MAX);
		return -1;
	}
	return 0;
}

static int sf_parse_accept(
		const json_t *v, sf_profile_t *p, char *err, size_t errsize)
{
	size_t i, n, sl;
	const json_t *e;

	if(!json_is_array(v)) {
		sf_err(err, errsize, "accept: expected an array of strings, got %s",
				sf_json_type_name(v));
		return -1;
	}
	n = json_array_size(v);
	if(n == 0) {
		sf_err(err, errsize,
				"accept: empty list (leave the member out to accept"
				" everything)");
		return -1;
	}
	if(n > SF_PROFILE_MAX_ACCEPT) {
		sf_err(err, errsize, "accept: %zu patterns, at most %d allowed", n,
				SF_PROFILE_MAX_ACCEPT);
		return -1;
	}
	for(i = 0; i < n; i++) {
		e = json_array_get(v, i);
		if(!json_is_string(e)) {
			sf_err(err, errsize, "accept[%d]: expected a string, got %s",
					(int)i, sf_json_type_name(e));
			return -1;
		}
		sl = json_string_length(e);
		if(sf_check_pattern(json_string_value(e), sl, (int)i, err, errsize) < 0)
			return -1;
		memcpy(p->accept[i], json_string_value(e), sl);
		p->accept[i][sl] = '\0';
	}
	p->naccept = (int)n;
	return 0;
}

static int sf_parse_int(const json_t *v, const char *name, long long min,
		long long max, int *dst, char *err, size_t errsize)
{
	json_int_t x;

	if(!json_is_integer(v)) {
		sf_err(err, errsize, "%s: expected an integer, got %s", name,
				sf_json_type_name(v));
		return -1;
	}
	x = json_integer_value(v);
	if((long long)x < min || (long long)x > max) {
		sf_err(err, errsize, "%s: %lld is out of range (%lld..%lld)", name,
				(long long)x, min, max);
		return -1;
	}
	*dst = (int)x;
	return 0;
}

/* the host part of a SIP URI: host [":" port] then end, ';' or '?' */
static int sf_check_hostport(const char *s, size_t n, char *err, size_t errsize)
{
	size_t i = 0, h;
	unsigned long port;

	if(n > 0 && s[0] == '[') {
		for(i = 1; i < n && s[i] != ']'; i++)
			if(!sf_is_hex((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
				break;
		if(i >= n || s[i] != ']' || i == 1) {
			sf_err(err, errsize, "forward: bad IPv6 reference in host part");
			return -1;
		}
		i++;
	} else {
		for(i = 0; i < n; i++)
			if(!sf_is_alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
				break;
		if(i == 0) {
			sf_err(err, errsize, "forward: SIP URI without a host part");
			return -1;
		}
	}
	if(i < n && s[i] == ':') {
		i++;
		h = i;
		port = 0;
		while(i < n && s[i] >= '0' && s[i] <= '9' && i - h < 6) {
			port = port * 10 + (unsigned long)(s[i] - '0');
			i++;
		}
		if(i == h || port == 0 || port > 65535) {
			sf_err(err, errsize, "forward: bad port in host part");
			return -1;
		}
	}
	if(i < n && s[i] != ';' && s[i] != '?') {
		if(s[i] > 0x20 && s[i] < 0x7f)
			sf_err(err, errsize, "forward: bad character '%c' in host part",
					s[i]);
		else
			sf_err(err, errsize, "forward: bad byte 0x%02x in host part",
					(unsigned char)s[i]);
		return -1;
	}
	return 0;
}

static int sf_parse_forward(
		const json_t *v, sf_profile_t *p, char *err, size_t errsize)
{
	const char *s, *colon, *at, *rest;
	size_t n, i, sch, rn;

	if(!json_is_string(v)) {
		sf_err(err, errsize, "forward: expected a string, got %s",
				sf_json_type_name(v));
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if(n == 0) {
		sf_err(err, errsize, "forward: empty URI");
		return -1;
	}
	if(n >= SF_PROFILE_URI_MAX) {
		sf_err(err, errsize, "forward: URI longer than %d characters",
				SF_PROFILE_URI_MAX - 1);
		return -1;
	}
	colon = memchr(s, ':', n);
	sch = colon == NULL ? 0 : (size_t)(colon - s);
	if(sch == 6 && sf_ieq(s, "mailto", 6)) {
		sf_err(err, errsize, "forward: mailto: is not supported yet");
		return -1;
	}
	if(!((sch == 3 && sf_ieq(s, "sip", 3))
			   || (sch == 4 && sf_ieq(s, "sips", 4)))) {
		sf_err(err, errsize,
				"forward: not a sip: or sips: URI (other schemes are not"
				" supported)");
		return -1;
	}
	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if(!sf_is_uri_char(c)) {
			if(c > 0x20 && c < 0x7f)
				sf_err(err, errsize,
						"forward: character '%c' is not allowed in a SIP URI",
						c);
			else
				sf_err(err, errsize,
						"forward: character 0x%02x is not allowed in a SIP"
						" URI",
						c);
			return -1;
		}
	}
	rest = colon + 1;
	rn = n - sch - 1;
	at = memchr(rest, '@', rn);
	if(at != NULL) {
		if(at == rest) {
			sf_err(err, errsize, "forward: empty user part before '@'");
			return -1;
		}
		rn -= (size_t)(at + 1 - rest);
		rest = at + 1;
	}
	if(sf_check_hostport(rest, rn, err, errsize) < 0)
		return -1;
	memcpy(p->forward, s, n);
	p->forward[n] = '\0';
	return 0;
}

/* ---- parse ------------------------------------------------------------- */

static int sf_policy_from_json(
		const json_t *root, sf_profile_t *p, char *err, size_t errsize)
{
	static const char *const known[] = {
			"store", "accept", "max_messages", "lifetime", "forward"};
	const char *key;
	const json_t *v;
	void *it;
	size_t i, klen;
	char shown[48];

	if(!json_is_object(root)) {
		sf_err(err, errsize, "profile: not a JSON object (got %s)",
				sf_json_type_name(root));
		return -1;
	}
	for(it = json_object_iter((json_t *)root); it != NULL;
			it = json_object_iter_next((json_t *)root, it)) {
		key = json_object_iter_key(it);
		klen = strlen(key); /* no NUL in keys without JSON_ALLOW_NUL */
		for(i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if(strlen(known[i]) == klen && memcmp(known[i], key, klen) == 0)
				break;
		if(i == sizeof(known) / sizeof(known[0])) {
			sf_show(shown, sizeof(shown), key, klen);
			sf_err(err, errsize,
					"\"%s\": unknown member (known: store, accept,"
					" max_messages, lifetime, forward)",
					shown);
			return -1;
		}
	}
	if((v = json_object_get(root, "store")) != NULL
			&& sf_parse_store(v, p, err, errsize) < 0)
		return -1;
	if((v = json_object_get(root, "accept")) != NULL
			&& sf_parse_accept(v, p, err, errsize) < 0)
		return -1;
	if((v = json_object_get(root, "max_messages")) != NULL
			&& sf_parse_int(v, "max_messages", 0, SF_PROFILE_MAX_MESSAGES,
					   &p->max_messages, err, errsize)
					   < 0)
		return -1;
	if((v = json_object_get(root, "lifetime")) != NULL
			&& sf_parse_int(v, "lifetime", 1, SF_PROFILE_MAX_LIFETIME,
					   &p->lifetime, err, errsize)
					   < 0)
		return -1;
	if((v = json_object_get(root, "forward")) != NULL
			&& sf_parse_forward(v, p, err, errsize) < 0)
		return -1;
	return 0;
}

int sf_profile_parse(const char *json, size_t len, sf_profile_t *out, char *err,
		size_t errsize)
{
	sf_profile_t p;
	json_error_t jerr;
	json_t *root;
	int ret;

	if(err != NULL && errsize > 0)
		err[0] = '\0';
	if(out == NULL) {
		sf_err(err, errsize, "profile: no output");
		return -1;
	}
	if(json == NULL) {
		if(len > 0) {
			sf_err(err, errsize, "profile: no input");
			return -1;
		}
		json = "";
	}
	memset(&p, 0, sizeof(p));
	p.store = SF_PROFILE_STORE_UNSET;
	p.max_messages = -1;
	p.lifetime = -1;
	p.naccept = 0;

	root = json_loadb(
			json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if(root == NULL) {
		sf_err(err, errsize, "JSON error at line %d column %d: %s", jerr.line,
				jerr.column, jerr.text);
		return -1;
	}
	ret = sf_policy_from_json(root, &p, err, errsize);
	json_decref(root);
	if(ret < 0)
		return -1;
	memcpy(out, &p, sizeof(p));
	return 0;
}

/* ---- output (sf_buf.h writer) ------------------------------------------ */

/* a JSON string: '"', '\\' and control bytes escaped, others copied */
static void sf_put_jstr(sf_wr_t *w, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = strnlen(s, max);
	char esc[6];

	SF_PUTS(w, "\"");
	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if(c == '"')
			SF_PUTS(w, "\\\"");
		else if(c == '\\')
			SF_PUTS(w, "\\\\");
		else if(c == '\n')
			SF_PUTS(w, "\\n");
		else if(c == '\r')
			SF_PUTS(w, "\\r");
		else if(c == '\t')
			SF_PUTS(w, "\\t");
		else if(c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			sf_put(w, esc, 6);
		} else
			sf_put(w, s + i, 1);
	}
	SF_PUTS(w, "\"");
}

/* ---- dump, accept header ----------------------------------------------- */

int sf_profile_dump(const sf_profile_t *p, char *out, size_t outsize)
{
	static const char *const store_names[] = {NULL, "no", "yes", "notify"};
	sf_wr_t w;
	int i, first = 1;

	sf_wr_init(&w, out, outsize);
	if(p == NULL || p->store < 0 || p->store > SF_CLASS_NOTIFY || p->naccept < 0
			|| p->naccept > SF_PROFILE_MAX_ACCEPT) {
		w.len = w.size; /* not representable */
		return sf_wr_end(&w);
	}
	SF_PUTS(&w, "{");
	if(p->store != SF_PROFILE_STORE_UNSET) {
		SF_PUTS(&w, "\"store\":");
		sf_put_jstr(&w, store_names[p->store], 8);
		first = 0;
	}
	if(p->naccept > 0) {
		if(!first)
			SF_PUTS(&w, ",");
		SF_PUTS(&w, "\"accept\":[");
		for(i = 0; i < p->naccept; i++) {
			if(i > 0)
				SF_PUTS(&w, ",");
			sf_put_jstr(&w, p->accept[i], SF_PROFILE_PATTERN_MAX);
		}
		SF_PUTS(&w, "]");
		first = 0;
	}
	if(p->max_messages >= 0) {
		if(!first)
			SF_PUTS(&w, ",");
		SF_PUTS(&w, "\"max_messages\":");
		sf_put_uint(&w, (unsigned long)p->max_messages);
		first = 0;
	}
	if(p->lifetime >= 0) {
		if(!first)
			SF_PUTS(&w, ",");
		SF_PUTS(&w, "\"lifetime\":");
		sf_put_uint(&w, (unsigned long)p->lifetime);
		first = 0;
	}
	if(p->forward[0] != '\0') {
		if(!first)
			SF_PUTS(&w, ",");
		SF_PUTS(&w, "\"forward\":");
		sf_put_jstr(&w, p->forward, SF_PROFILE_URI_MAX);
	}
	SF_PUTS(&w, "}");
	return sf_wr_end(&w);
}

int sf_profile_accept_header(const sf_profile_t *p, char *out, size_t outsize)
{
	sf_wr_t w;
	int i;

	sf_wr_init(&w, out, outsize);
	if(p == NULL || p->naccept <= 0 || p->naccept > SF_PROFILE_MAX_ACCEPT) {
		w.len = w.size;
		return sf_wr_end(&w);
	}
	for(i = 0; i < p->naccept; i++) {
		if(i > 0)
			SF_PUTS(&w, ", ");
		sf_put(&w, p->accept[i], strnlen(p->accept[i], SF_PROFILE_PATTERN_MAX));
	}
	return sf_wr_end(&w);
}

/* ---- matching ---------------------------------------------------------- */

static int sf_is_ows(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* does pattern pat match the bare content type ct (no parameters, no
 * surrounding white space, not empty)? */
static int sf_pattern_match(const char *pat, const char *ct, size_t n)
{
	size_t pl = strnlen(pat, SF_PROFILE_PATTERN_MAX);
	const char *slash;
	size_t tl;

	if(pl == 1 && pat[0] == '*')
		return 1;
	if(pl >= 2 && pat[pl - 2] == '/' && pat[pl - 1] == '*') {
		/* "type/ *": same type, then '/' and a non-empty subtype */
		tl = pl - 2;
		slash = memchr(ct, '/', n);
		return slash != NULL && (size_t)(slash - ct) == tl
			   && sf_ieq(ct, pat, tl) && (size_t)(slash - ct) + 1 < n;
	}
	return pl == n && sf_ieq(ct, pat, n);
}

int sf_profile_accepts(const sf_profile_t *p, sf_buf_t content_type)
{
	static const char text_plain[] = "text/plain";
	const char *s = content_type.s, *semi;
	size_t n = s == NULL ? 0 : content_type.len;
	int i;

	if(p == NULL || p->naccept <= 0)
		return 1;
	if(n > 0 && (semi = memchr(s, ';', n)) != NULL)
		n = (size_t)(semi - s);
	while(n > 0 && sf_is_ows(s[0])) {
		s++;
		n--;
	}
	while(n > 0 && sf_is_ows(s[n - 1]))
		n--;
	if(n == 0) {
		s = text_plain;
		n = sizeof(text_plain) - 1;
	}
	for(i = 0; i < p->naccept && i < SF_PROFILE_MAX_ACCEPT; i++)
		if(sf_pattern_match(p->accept[i], s, n))
			return 1;
	return 0;
}
