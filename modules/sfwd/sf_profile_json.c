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
 *   one met), then store, accept, max_messages, lifetime, forward,
 *   forward_when (then whether forward is there), forward_after (then
 *   whether forward_when is "after"), whether forward_after is missing,
 *   deliver. null is a wrong type (leave the member out to unset it).
 * - store, forward_when, deliver: exactly one of their words (lower case);
 *   "offline" and "inline" given explicitly parse like the default.
 * - numbers: JSON integers only; 5.0 and 1e3 are reals and refused.
 * - accept: indexes in messages start at 0. A pattern is "*", or a type,
 *   '/', and a subtype or '*', where type and subtype are RFC 6838
 *   restricted-names of 1..63 characters (first character a letter or a
 *   digit, then letters, digits and !#$&-^_.+). A star type ("*" slash
 *   "*"), surrounding spaces and parameters are refused. Patterns are
 *   stored as written (case kept); duplicates are allowed.
 * - forward: a target's messages start with "forward" for a string and
 *   "forward[i]" for array item i (from 0); a target is checked for its
 *   length (1..255 bytes) first, then by its scheme (up to the first
 *   ':'); a duplicate names the earlier index. Items are checked in order,
 *   the first error wins; a list over 4 items is refused before any item
 *   is looked at.
 * - sip:/sips: targets: scheme in any case. Every ASCII character must be
 *   one RFC 3261 allows somewhere in a SIP URI (letters, digits,
 *   -_.!~*'()%&=+$,;?/:@[]); bytes >= 0x80 (UTF-8) are allowed, so a
 *   Unicode user part passes. The host part (after the first '@', or after
 *   the scheme when there is no '@') must be a non-empty hostname or IPv4
 *   address (letters, digits, '-', '.') or an IPv6 reference "[...]" (hex
 *   digits, ':', '.'), optionally followed by ":port" (1..65535), then the
 *   end, ';' or '?'. A user part, when '@' is present, must not be empty.
 * - mailto: and sms:/tel: targets: control characters and bytes >= 0x80
 *   are refused first (addresses are ASCII: no SMTPUTF8), then '?' and '%'
 *   (mailto:) or ';' and '?' (sms:/tel:) with their own messages. The
 *   mailto: address splits at its first '@'; the local part's atext is
 *   RFC 5322's less '%' and '?'; a single-label domain ("localhost") and
 *   an all-digit label are allowed; address literals are read with
 *   inet_pton() (dotted quad, no leading zeros; IPv6 in any RFC 4291 text
 *   form, tag "IPv6:" in any case). Messages show the local part or the
 *   domain with non-printable bytes as '?' and "..." when long. sms:/tel:
 *   separators are allowed anywhere after the '+', also repeated or at
 *   the end; the first digit may be 0 (no country code check).
 * - Error messages: one line (control bytes become spaces), member names
 *   from the input shown with bytes outside printable ASCII as '?', and a
 *   message cut by errsize does not end in a partial UTF-8 sequence.
 *   errsize 0: nothing is written (err may be NULL). out is written only on
 *   success; unused accept and fwd slots and the rest of every string are
 *   zero, so two parses of equal profiles compare equal with memcmp().
 * - sf_profile_dump() writes JSON by hand (no json_dumps): '"', '\\' and
 *   control bytes are escaped, other bytes are copied. A member is left out
 *   when unset or the default: store 0, max_messages < 0, lifetime < 0,
 *   naccept 0, nforward 0 with forward "", forward_when UNSET or OFFLINE,
 *   forward_after <= 0, deliver INLINE. forward comes from fwd[] (a
 *   string when nforward is 1), or, when nforward is 0, from the forward
 *   field (a struct filled by hand). It returns -1 also for a struct it
 *   cannot represent (store outside 0..3, naccept outside 0..32, nforward
 *   outside 0..4, forward_when outside 0..3, deliver outside 0..1). Strings
 *   are read at most up to their array size.
 * - sf_profile_forward_kinds(): kinds outside 1..3 are skipped; nforward
 *   0 with a non-empty forward field counts as a sip: target.
 * - sf_profile_accepts(): a NULL profile or naccept <= 0 accepts everything.
 *   The value is cut at the first ';', then spaces, tabs, CR and LF around
 *   it are dropped; an empty result is text/plain. "type/ *" patterns need
 *   a non-empty subtype ("text" and "text/" do not match "text/ *"); "*"
 *   matches anything, even a malformed value.
 * - sf_profile_accept_header(): patterns joined with ", ".
 * - On -1, dump and accept_header leave out as "" when outsize > 0.
 */

#include <arpa/inet.h>
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
#define SF_PROFILE_MAX_FORWARD_AFTER 31536000
#define SF_PROFILE_LOCAL_MAX 64	  /* RFC 5321 local part */
#define SF_PROFILE_LABEL_MAX 63	  /* a DNS label */
#define SF_PROFILE_DOMAIN_MAX 253 /* a domain name */
#define SF_PROFILE_ADDR_MAX 254	  /* a whole address */
#define SF_PROFILE_E164_MIN 2
#define SF_PROFILE_E164_MAX 15

/* the words of the string members, indexed by their value (NULL: none) */
static const char *const sf_store_names[] = {NULL, "no", "yes", "notify"};
static const char *const sf_when_names[] = {NULL, "offline", "always", "after"};
static const char *const sf_deliver_names[] = {"inline", "notify"};
#define SF_NWORDS(a) ((int)(sizeof(a) / sizeof((a)[0])))

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

/* a member whose value is one of words[] (lower case, NULL entries
 * skipped): *dst = its index; list names them for the messages */
static int sf_parse_word(const json_t *v, const char *name,
		const char *const *words, int nwords, const char *list, int *dst,
		char *err, size_t errsize)
{
	const char *s;
	size_t n;
	int i;

	if(!json_is_string(v)) {
		sf_err(err, errsize, "%s: expected a string (%s), got %s", name, list,
				sf_json_type_name(v));
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	for(i = 0; i < nwords; i++) {
		if(words[i] != NULL && strlen(words[i]) == n
				&& memcmp(s, words[i], n) == 0) {
			*dst = i;
			return 0;
		}
	}
	sf_err(err, errsize, "%s: must be %s (lower case)", name, list);
	return -1;
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
static int sf_check_hostport(
		const char *s, size_t n, const char *name, char *err, size_t errsize)
{
	size_t i = 0, h;
	unsigned long port;

	if(n > 0 && s[0] == '[') {
		for(i = 1; i < n && s[i] != ']'; i++)
			if(!sf_is_hex((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
				break;
		if(i >= n || s[i] != ']' || i == 1) {
			sf_err(err, errsize, "%s: bad IPv6 reference in host part", name);
			return -1;
		}
		i++;
	} else {
		for(i = 0; i < n; i++)
			if(!sf_is_alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
				break;
		if(i == 0) {
			sf_err(err, errsize, "%s: SIP URI without a host part", name);
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
			sf_err(err, errsize, "%s: bad port in host part", name);
			return -1;
		}
	}
	if(i < n && s[i] != ';' && s[i] != '?') {
		if(s[i] > 0x20 && s[i] < 0x7f)
			sf_err(err, errsize, "%s: bad character '%c' in host part", name,
					s[i]);
		else
			sf_err(err, errsize, "%s: bad byte 0x%02x in host part", name,
					(unsigned char)s[i]);
		return -1;
	}
	return 0;
}

/* a sip: or sips: URI of n bytes whose scheme takes sch bytes: kept as
 * written */
static int sf_check_sip(const char *s, size_t n, size_t sch, const char *name,
		char *err, size_t errsize)
{
	const char *rest, *at;
	size_t i, rn;

	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if(!sf_is_uri_char(c)) {
			if(c > 0x20 && c < 0x7f)
				sf_err(err, errsize,
						"%s: character '%c' is not allowed in a SIP URI", name,
						c);
			else
				sf_err(err, errsize,
						"%s: character 0x%02x is not allowed in a SIP URI",
						name, c);
			return -1;
		}
	}
	rest = s + sch + 1;
	rn = n - sch - 1;
	at = memchr(rest, '@', rn);
	if(at != NULL) {
		if(at == rest) {
			sf_err(err, errsize, "%s: empty user part before '@'", name);
			return -1;
		}
		rn -= (size_t)(at + 1 - rest);
		rest = at + 1;
	}
	return sf_check_hostport(rest, rn, name, err, errsize);
}

/* control characters and bytes >= 0x80 are refused in a mailto:, sms: or
 * tel: target (sch names the scheme in messages) */
static int sf_check_bytes(const char *s, size_t n, const char *name,
		const char *sch, char *err, size_t errsize)
{
	size_t i;

	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if(c < 0x20 || c == 0x7f) {
			sf_err(err, errsize, "%s: %s: character 0x%02x is not allowed",
					name, sch, c);
			return -1;
		}
		if(c >= 0x80) {
			sf_err(err, errsize, "%s: %s: non-ASCII byte 0x%02x is not allowed",
					name, sch, c);
			return -1;
		}
	}
	return 0;
}

/* RFC 5322 atext, less '%' and '?' (a mailto: URI's escape and header
 * fields, refused before) */
static int sf_is_atext(unsigned char c)
{
	return sf_is_alnum(c)
		   || (c != '\0' && strchr("!#$&'*+-/=^_`{|}~", c) != NULL);
}

/* a dot-atom of 1..64 characters: no leading, trailing or double dot */
static int sf_is_local_part(const char *s, size_t n)
{
	size_t i;

	if(n < 1 || n > SF_PROFILE_LOCAL_MAX || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for(i = 1; i < n; i++)
		if(s[i] == '.' ? s[i - 1] == '.' : !sf_is_atext((unsigned char)s[i]))
			return 0;
	return sf_is_atext((unsigned char)s[0]);
}

/* dot-separated LDH labels of 1..63 characters, at most 253 in all */
static int sf_is_ldh_domain(const char *s, size_t n)
{
	size_t i, start = 0;

	if(n < 1 || n > SF_PROFILE_DOMAIN_MAX)
		return 0;
	for(i = 0; i <= n; i++) {
		if(i == n || s[i] == '.') {
			if(i == start || i - start > SF_PROFILE_LABEL_MAX || s[start] == '-'
					|| s[i - 1] == '-')
				return 0;
			start = i + 1;
		} else if(!sf_is_alnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	}
	return 1;
}

/* "[IPv4]" or "[IPv6:...]" (tag in any case), read by inet_pton() */
static int sf_is_addr_literal(const char *s, size_t n)
{
	unsigned char addr[16];
	char buf[64];
	int af = AF_INET;

	if(n < 3 || s[0] != '[' || s[n - 1] != ']')
		return 0;
	s++;
	n -= 2;
	if(n > 5 && sf_ieq(s, "IPv6:", 5)) {
		af = AF_INET6;
		s += 5;
		n -= 5;
	}
	if(n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(af, buf, addr) == 1;
}

/* mailto: and an address (a of an bytes): out = "mailto:" + the address */
static int sf_check_mailto(const char *a, size_t an, const char *name,
		char *out, char *err, size_t errsize)
{
	const char *at;
	size_t ln, dn;
	char shown[64];

	if(sf_check_bytes(a, an, name, "mailto", err, errsize) < 0)
		return -1;
	if(an == 0) {
		sf_err(err, errsize, "%s: mailto: empty address", name);
		return -1;
	}
	if(memchr(a, '?', an) != NULL) {
		sf_err(err, errsize,
				"%s: mailto: header fields (\"?...\") are not supported", name);
		return -1;
	}
	if(memchr(a, '%', an) != NULL) {
		sf_err(err, errsize, "%s: mailto: %%-escapes are not supported", name);
		return -1;
	}
	if(an > SF_PROFILE_ADDR_MAX) { /* only if SF_PROFILE_URI_MAX grows */
		sf_err(err, errsize, "%s: mailto: address longer than %d characters",
				name, SF_PROFILE_ADDR_MAX);
		return -1;
	}
	at = memchr(a, '@', an);
	if(at == NULL) {
		sf_err(err, errsize, "%s: mailto: no '@' in the address", name);
		return -1;
	}
	ln = (size_t)(at - a);
	if(!sf_is_local_part(a, ln)) {
		sf_show(shown, sizeof(shown), a, ln);
		sf_err(err, errsize, "%s: mailto: bad local part \"%s\"", name, shown);
		return -1;
	}
	dn = an - ln - 1;
	if(!(dn > 0 && at[1] == '[' ? sf_is_addr_literal(at + 1, dn)
								: sf_is_ldh_domain(at + 1, dn))) {
		sf_show(shown, sizeof(shown), at + 1, dn);
		sf_err(err, errsize, "%s: mailto: bad domain \"%s\"", name, shown);
		return -1;
	}
	memcpy(out, "mailto:", 7);
	memcpy(out + 7, a, an);
	out[7 + an] = '\0';
	return 0;
}

/* the digits of a global number "+" 2..15 digits with visual separators
 * into digits (room for 16): their count, or -1 */
static int sf_e164_digits(const char *r, size_t rn, char *digits)
{
	size_t i;
	int nd = 0;

	if(rn == 0 || r[0] != '+')
		return -1;
	for(i = 1; i < rn; i++) {
		if(r[i] >= '0' && r[i] <= '9') {
			if(nd == SF_PROFILE_E164_MAX)
				return -1;
			digits[nd++] = r[i];
		} else if(r[i] == '\0' || strchr("-. ()", r[i]) == NULL)
			return -1;
	}
	return nd < SF_PROFILE_E164_MIN ? -1 : nd;
}

/* sms: or tel: (sch, lower case) and a number (r of rn bytes): out =
 * "sms:+" and the digits */
static int sf_check_e164(const char *r, size_t rn, const char *sch,
		const char *name, char *out, char *err, size_t errsize)
{
	char digits[SF_PROFILE_E164_MAX + 1];
	int nd;

	if(sf_check_bytes(r, rn, name, sch, err, errsize) < 0)
		return -1;
	if(memchr(r, ';', rn) != NULL) {
		sf_err(err, errsize, "%s: %s: parameters (\";...\") are not supported",
				name, sch);
		return -1;
	}
	if(memchr(r, '?', rn) != NULL) {
		sf_err(err, errsize,
				"%s: %s: header fields (\"?...\") are not supported", name,
				sch);
		return -1;
	}
	nd = sf_e164_digits(r, rn, digits);
	if(nd < 0) {
		sf_err(err, errsize,
				"%s: %s: not a global E.164 number (+ and %d..%d digits)", name,
				sch, SF_PROFILE_E164_MIN, SF_PROFILE_E164_MAX);
		return -1;
	}
	memcpy(out, "sms:+", 5);
	memcpy(out + 5, digits, (size_t)nd);
	out[5 + nd] = '\0';
	return 0;
}

/* one target (s of n bytes) into t: kind and normalised URI */
static int sf_parse_target(const char *s, size_t n, const char *name,
		struct sf_profile_fwd *t, char *err, size_t errsize)
{
	const char *colon;
	size_t sch;

	if(n == 0) {
		sf_err(err, errsize, "%s: empty URI", name);
		return -1;
	}
	if(n >= SF_PROFILE_URI_MAX) {
		sf_err(err, errsize, "%s: URI longer than %d characters", name,
				SF_PROFILE_URI_MAX - 1);
		return -1;
	}
	colon = memchr(s, ':', n);
	sch = colon == NULL ? 0 : (size_t)(colon - s);
	if((sch == 3 && sf_ieq(s, "sip", 3))
			|| (sch == 4 && sf_ieq(s, "sips", 4))) {
		t->kind = SF_FWD_SIP;
		if(sf_check_sip(s, n, sch, name, err, errsize) < 0)
			return -1;
		memcpy(t->uri, s, n);
		t->uri[n] = '\0';
		return 0;
	}
	if(sch == 6 && sf_ieq(s, "mailto", 6)) {
		t->kind = SF_FWD_MAILTO;
		return sf_check_mailto(s + 7, n - 7, name, t->uri, err, errsize);
	}
	if(sch == 3 && (sf_ieq(s, "sms", 3) || sf_ieq(s, "tel", 3))) {
		t->kind = SF_FWD_SMS;
		return sf_check_e164(s + 4, n - 4, sf_ieq(s, "sms", 3) ? "sms" : "tel",
				name, t->uri, err, errsize);
	}
	sf_err(err, errsize, "%s: not a sip:, sips:, mailto:, sms: or tel: URI",
			name);
	return -1;
}

/* the same target: same kind, the scheme in any case, the rest as is */
static int sf_same_target(
		const struct sf_profile_fwd *a, const struct sf_profile_fwd *b)
{
	size_t n = strnlen(a->uri, SF_PROFILE_URI_MAX);
	const char *colon = memchr(a->uri, ':', n);
	size_t sch = colon == NULL ? 0 : (size_t)(colon - a->uri);

	return a->kind == b->kind && strnlen(b->uri, SF_PROFILE_URI_MAX) == n
		   && sf_ieq(a->uri, b->uri, sch)
		   && memcmp(a->uri + sch, b->uri + sch, n - sch) == 0;
}

/* the JSON value e, named name in messages, as p's next target */
static int sf_add_target(const json_t *e, const char *name, sf_profile_t *p,
		char *err, size_t errsize)
{
	struct sf_profile_fwd *t = &p->fwd[p->nforward];
	int j;

	if(!json_is_string(e)) {
		sf_err(err, errsize, "%s: expected a string, got %s", name,
				sf_json_type_name(e));
		return -1;
	}
	if(sf_parse_target(json_string_value(e), json_string_length(e), name, t,
			   err, errsize)
			< 0)
		return -1;
	for(j = 0; j < p->nforward; j++) {
		if(sf_same_target(&p->fwd[j], t)) {
			sf_err(err, errsize, "%s: duplicate of forward[%d]", name, j);
			return -1;
		}
	}
	if(t->kind == SF_FWD_SIP && p->forward[0] == '\0')
		memcpy(p->forward, t->uri, sizeof(p->forward));
	p->nforward++;
	return 0;
}

static int sf_parse_forward(
		const json_t *v, sf_profile_t *p, char *err, size_t errsize)
{
	size_t i, n;
	char name[32];

	if(json_is_string(v))
		return sf_add_target(v, "forward", p, err, errsize);
	if(!json_is_array(v)) {
		sf_err(err, errsize,
				"forward: expected a string or an array of 1..%d strings,"
				" got %s",
				SF_PROFILE_MAX_FORWARD, sf_json_type_name(v));
		return -1;
	}
	n = json_array_size(v);
	if(n == 0) {
		sf_err(err, errsize,
				"forward: empty list (leave the member out to forward"
				" nothing)");
		return -1;
	}
	if(n > SF_PROFILE_MAX_FORWARD) {
		sf_err(err, errsize, "forward: at most %d targets (got %zu)",
				SF_PROFILE_MAX_FORWARD, n);
		return -1;
	}
	for(i = 0; i < n; i++) {
		if(sf_fmt(name, sizeof(name), "forward[%d]", (int)i) < 0
				|| sf_add_target(json_array_get(v, i), name, p, err, errsize)
						   < 0)
			return -1;
	}
	return 0;
}

/* forward_when, forward_after, deliver (after forward) */
static int sf_parse_when(
		const json_t *root, sf_profile_t *p, char *err, size_t errsize)
{
	const json_t *v;

	if((v = json_object_get(root, "forward_when")) != NULL) {
		if(sf_parse_word(v, "forward_when", sf_when_names,
				   SF_NWORDS(sf_when_names),
				   "\"offline\", \"always\" or \"after\"", &p->forward_when,
				   err, errsize)
				< 0)
			return -1;
		if(p->nforward == 0) {
			sf_err(err, errsize, "forward_when: needs forward");
			return -1;
		}
	} else if(p->nforward > 0)
		p->forward_when = SF_FWD_WHEN_OFFLINE;
	if((v = json_object_get(root, "forward_after")) != NULL) {
		if(sf_parse_int(v, "forward_after", 1, SF_PROFILE_MAX_FORWARD_AFTER,
				   &p->forward_after, err, errsize)
				< 0)
			return -1;
		if(p->forward_when != SF_FWD_WHEN_AFTER) {
			sf_err(err, errsize,
					"forward_after: only with forward_when \"after\"");
			return -1;
		}
	} else if(p->forward_when == SF_FWD_WHEN_AFTER) {
		sf_err(err, errsize,
				"forward_after: required with forward_when \"after\"");
		return -1;
	}
	if((v = json_object_get(root, "deliver")) != NULL
			&& sf_parse_word(v, "deliver", sf_deliver_names,
					   SF_NWORDS(sf_deliver_names), "\"inline\" or \"notify\"",
					   &p->deliver, err, errsize)
					   < 0)
		return -1;
	return 0;
}

/* ---- parse ------------------------------------------------------------- */

static int sf_policy_from_json(
		const json_t *root, sf_profile_t *p, char *err, size_t errsize)
{
	static const char *const known[] = {"store", "accept", "max_messages",
			"lifetime", "forward", "forward_when", "forward_after", "deliver"};
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
					" max_messages, lifetime, forward, forward_when,"
					" forward_after, deliver)",
					shown);
			return -1;
		}
	}
	if((v = json_object_get(root, "store")) != NULL
			&& sf_parse_word(v, "store", sf_store_names,
					   SF_NWORDS(sf_store_names),
					   "\"no\", \"yes\" or \"notify\"", &p->store, err, errsize)
					   < 0)
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
	return sf_parse_when(root, p, err, errsize);
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
	p.nforward = 0;
	p.forward_when = SF_FWD_WHEN_UNSET;
	p.forward_after = -1;
	p.deliver = SF_DELIVER_INLINE;

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

/* the separator before a member's key, then the key */
static void sf_put_key(sf_wr_t *w, int *first, const char *key)
{
	if(!*first)
		SF_PUTS(w, ",");
	*first = 0;
	sf_put_jstr(w, key, 32);
	SF_PUTS(w, ":");
}

/* forward: a string for one target, else an array; a struct with only
 * the forward field set (filled by hand) as that string */
static void sf_put_forward(sf_wr_t *w, const sf_profile_t *p)
{
	int i;

	if(p->nforward == 0)
		sf_put_jstr(w, p->forward, SF_PROFILE_URI_MAX);
	else if(p->nforward == 1)
		sf_put_jstr(w, p->fwd[0].uri, SF_PROFILE_URI_MAX);
	else {
		SF_PUTS(w, "[");
		for(i = 0; i < p->nforward; i++) {
			if(i > 0)
				SF_PUTS(w, ",");
			sf_put_jstr(w, p->fwd[i].uri, SF_PROFILE_URI_MAX);
		}
		SF_PUTS(w, "]");
	}
}

/* can the struct be written (every index in range)? */
static int sf_dumpable(const sf_profile_t *p)
{
	return p != NULL && p->store >= 0 && p->store < SF_NWORDS(sf_store_names)
		   && p->naccept >= 0 && p->naccept <= SF_PROFILE_MAX_ACCEPT
		   && p->nforward >= 0 && p->nforward <= SF_PROFILE_MAX_FORWARD
		   && p->forward_when >= 0 && p->forward_when < SF_NWORDS(sf_when_names)
		   && p->deliver >= 0 && p->deliver < SF_NWORDS(sf_deliver_names);
}

int sf_profile_dump(const sf_profile_t *p, char *out, size_t outsize)
{
	sf_wr_t w;
	int i, first = 1;

	sf_wr_init(&w, out, outsize);
	if(!sf_dumpable(p)) {
		w.len = w.size; /* not representable */
		return sf_wr_end(&w);
	}
	SF_PUTS(&w, "{");
	if(p->store != SF_PROFILE_STORE_UNSET) {
		sf_put_key(&w, &first, "store");
		sf_put_jstr(&w, sf_store_names[p->store], 8);
	}
	if(p->naccept > 0) {
		sf_put_key(&w, &first, "accept");
		SF_PUTS(&w, "[");
		for(i = 0; i < p->naccept; i++) {
			if(i > 0)
				SF_PUTS(&w, ",");
			sf_put_jstr(&w, p->accept[i], SF_PROFILE_PATTERN_MAX);
		}
		SF_PUTS(&w, "]");
	}
	if(p->max_messages >= 0) {
		sf_put_key(&w, &first, "max_messages");
		sf_put_uint(&w, (unsigned long)p->max_messages);
	}
	if(p->lifetime >= 0) {
		sf_put_key(&w, &first, "lifetime");
		sf_put_uint(&w, (unsigned long)p->lifetime);
	}
	if(p->nforward > 0 || p->forward[0] != '\0') {
		sf_put_key(&w, &first, "forward");
		sf_put_forward(&w, p);
	}
	if(p->forward_when == SF_FWD_WHEN_ALWAYS
			|| p->forward_when == SF_FWD_WHEN_AFTER) {
		sf_put_key(&w, &first, "forward_when");
		sf_put_jstr(&w, sf_when_names[p->forward_when], 16);
	}
	if(p->forward_after > 0) {
		sf_put_key(&w, &first, "forward_after");
		sf_put_uint(&w, (unsigned long)p->forward_after);
	}
	if(p->deliver == SF_DELIVER_NOTIFY) {
		sf_put_key(&w, &first, "deliver");
		sf_put_jstr(&w, sf_deliver_names[p->deliver], 16);
	}
	SF_PUTS(&w, "}");
	return sf_wr_end(&w);
}

int sf_profile_forward_kinds(const sf_profile_t *p)
{
	int i, k = 0;

	if(p == NULL)
		return 0;
	if(p->nforward <= 0)
		return p->forward[0] != '\0' ? 1 << SF_FWD_SIP : 0;
	for(i = 0; i < p->nforward && i < SF_PROFILE_MAX_FORWARD; i++)
		if(p->fwd[i].kind >= SF_FWD_SIP && p->fwd[i].kind <= SF_FWD_SMS)
			k |= 1 << p->fwd[i].kind;
	return k;
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
