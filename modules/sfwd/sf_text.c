/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure text helpers (see sf_text.h)
 */

#include <string.h>
#include <strings.h>
#include <time.h>

#include "sf_text.h"

/* ASCII only: the C library's tolower() depends on the locale */
static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static int hexval(unsigned char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if(c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- sf_aor_build ------------------------------------------------------ */

int sf_aor_build(const char *user, size_t ulen, const char *host, size_t hlen,
		int use_domain, char *out, size_t outsize)
{
	size_t i, n = 0;
	int hi, lo;

	if(out == NULL || outsize == 0)
		return -1;
	out[0] = '\0';
	if(user == NULL)
		ulen = 0;
	if(host == NULL)
		hlen = 0;

	/* the user, %XX decoded; the output is never longer than the input */
	for(i = 0; i < ulen; i++) {
		unsigned char c = (unsigned char)user[i];
		if(c == '%') {
			if(ulen - i < 3)
				goto error; /* truncated escape */
			hi = hexval((unsigned char)user[i + 1]);
			lo = hexval((unsigned char)user[i + 2]);
			if(hi < 0 || lo < 0)
				goto error;
			c = (unsigned char)((hi << 4) | lo);
			if(c == 0)
				goto error;
			i += 2;
		}
		if(n + 1 >= outsize)
			goto error; /* no room for the byte and the NUL */
		out[n++] = (char)c;
	}

	if(use_domain) {
		if(n > 0) {
			if(n + 1 >= outsize)
				goto error;
			out[n++] = '@';
		}
		if(hlen >= outsize - n)
			goto error;
		for(i = 0; i < hlen; i++)
			out[n++] = (char)lower((unsigned char)host[i]);
	}

	if(n == 0)
		goto error;
	out[n] = '\0';
	return (int)n;

error:
	out[0] = '\0';
	return -1;
}

/* ---- sf_backoff -------------------------------------------------------- */

int sf_backoff(int attempts, int base, int max)
{
	int d, i;

	if(base <= 0 || max <= 0)
		return 0;
	if(base >= max)
		return max;
	d = base;
	/* d <= max / 2 before each doubling, so d * 2 <= max: no overflow;
	 * d at least doubles each turn, so this ends within ~31 turns */
	for(i = 1; i < attempts; i++) {
		if(d > max / 2)
			return max;
		d *= 2;
	}
	return d;
}

/* ---- sf_http_date ------------------------------------------------------ */

static const char _sf_wday[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char _sf_mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static char *put2(char *p, int v)
{
	*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

int sf_http_date(time_t t, char *out, size_t outsize)
{
	struct tm tm;
	char *p;
	int year;

	if(out == NULL || outsize < 30)
		return -1;
	out[0] = '\0';
	if(gmtime_r(&t, &tm) == NULL)
		return -1;
	/* four digits only; tm_year + 1900 may overflow, so compare first */
	if(tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 || tm.tm_wday < 0
			|| tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	year = tm.tm_year + 1900;

	p = out;
	memcpy(p, _sf_wday[tm.tm_wday], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	p = put2(p, tm.tm_mday);
	*p++ = ' ';
	memcpy(p, _sf_mon[tm.tm_mon], 3);
	p += 3;
	*p++ = ' ';
	p = put2(p, year / 100);
	p = put2(p, year % 100);
	*p++ = ' ';
	p = put2(p, tm.tm_hour);
	*p++ = ':';
	p = put2(p, tm.tm_min);
	*p++ = ':';
	p = put2(p, tm.tm_sec); /* 60 for a leap second, as gmtime_r says */
	memcpy(p, " GMT", 4);
	p += 4;
	*p = '\0';
	return (int)(p - out);
}

/* ---- sf_utf8_valid ----------------------------------------------------- */

/* Unicode 15, table 3-7: well-formed UTF-8 byte sequences */
int sf_aor_printable(const char *s, size_t len)
{
	const char *at;
	size_t i;

	if(s == NULL || len < 3)
		return 0;
	at = memchr(s, '@', len);
	if(at == NULL || at == s || at == s + len - 1)
		return 0;
	for(i = 0; i < len; i++) {
		unsigned char b = (unsigned char)s[i];
		if(b <= 0x20 || b == 0x7f || b == '<' || b == '>' || b == '"')
			return 0;
	}
	return 1;
}

int sf_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	unsigned char lo, hi;

	if(s == NULL)
		return len == 0;
	while(i < len) {
		unsigned char c = p[i];
		if(c == 0)
			return 0;
		if(c < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if(c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if(c >= 0xe0 && c <= 0xef) {
			n = 2;
			if(c == 0xe0)
				lo = 0xa0; /* no overlongs */
			else if(c == 0xed)
				hi = 0x9f; /* no surrogates */
		} else if(c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if(c == 0xf0)
				lo = 0x90; /* no overlongs */
			else if(c == 0xf4)
				hi = 0x8f; /* nothing above U+10FFFF */
		} else {
			return 0; /* continuation, C0, C1 or F5..FF lead byte */
		}
		if(len - i - 1 < n)
			return 0; /* truncated */
		if(p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for(k = 2; k <= n; k++) {
			if(p[i + k] < 0x80 || p[i + k] > 0xbf)
				return 0;
		}
		i += n + 1;
	}
	return 1;
}

/* ---- sf_name_in_list --------------------------------------------------- */

static int buf_ieq(const char *a, const char *b, size_t len)
{
	size_t i;

	for(i = 0; i < len; i++) {
		if(lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	}
	return 1;
}

int sf_name_in_list(
		const char *name, size_t nlen, const char *list, size_t llen)
{
	size_t i = 0, b, e;

	if(name == NULL || nlen == 0 || list == NULL)
		return 0;
	while(i < llen) {
		b = i;
		while(i < llen && list[i] != ',')
			i++;
		e = i;
		if(i < llen)
			i++; /* the comma */
		while(b < e && is_ws((unsigned char)list[b]))
			b++;
		while(e > b && is_ws((unsigned char)list[e - 1]))
			e--;
		if(e - b == nlen && buf_ieq(list + b, name, nlen))
			return 1;
	}
	return 0;
}

/* ---- sf_outcome_of ----------------------------------------------------- */

int sf_outcome_of(int code)
{
	if(code >= 200 && code <= 299)
		return SF_OUT_DELIVERED;
	if(code >= 600 && code <= 699)
		return SF_OUT_FAILED;
	switch(code) {
		case 403:
		case 404:
		case 410:
		case 415:
		case 513: /* too large: it will not shrink */
			return SF_OUT_FAILED;
	}
	return SF_OUT_RETRY;
}

/* ---- sf_utf8_preview --------------------------------------------------- */

int sf_utf8_preview(const char *s, size_t len, size_t *keep)
{
	size_t i = 0, j;

	*keep = 0;
	if(s == NULL)
		return 1;
	while(i < len) {
		/* one character: the longest prefix of s[i..] that validates */
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80					  ? 1
				   : (c >= 0xc2 && c <= 0xdf) ? 2
				   : (c >= 0xe0 && c <= 0xef) ? 3
				   : (c >= 0xf0 && c <= 0xf4) ? 4
											  : 0;
		if(n == 0)
			return 0;
		if(len - i < n) {
			/* cut at the end: fine if what is there could begin one */
			for(j = 1; j < len - i; j++) {
				if(((unsigned char)s[i + j] & 0xc0) != 0x80)
					return 0;
			}
			return 1;
		}
		if(!sf_utf8_valid(s + i, n))
			return 0;
		i += n;
		*keep = i;
	}
	return 1;
}

/* ---- sf_rfc3339_valid -------------------------------------------------- */

static int digits(const char *s, size_t len, size_t *i, int n)
{
	int k;

	for(k = 0; k < n; k++, (*i)++) {
		if(*i >= len || s[*i] < '0' || s[*i] > '9')
			return 0;
	}
	return 1;
}

static int lit(const char *s, size_t len, size_t *i, char c)
{
	if(*i >= len || lower((unsigned char)s[*i]) != (unsigned char)c)
		return 0;
	(*i)++;
	return 1;
}

int sf_rfc3339_valid(const char *s, size_t len)
{
	size_t i = 0;

	if(s == NULL || len > 64)
		return 0;
	if(!digits(s, len, &i, 4) || !lit(s, len, &i, '-') || !digits(s, len, &i, 2)
			|| !lit(s, len, &i, '-') || !digits(s, len, &i, 2)
			|| !lit(s, len, &i, 't') || !digits(s, len, &i, 2)
			|| !lit(s, len, &i, ':') || !digits(s, len, &i, 2)
			|| !lit(s, len, &i, ':') || !digits(s, len, &i, 2))
		return 0;
	if(i < len && s[i] == '.') {
		i++;
		if(!digits(s, len, &i, 1))
			return 0;
		while(i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if(i < len && lower((unsigned char)s[i]) == 'z')
		return i + 1 == len;
	if(i >= len || (s[i] != '+' && s[i] != '-'))
		return 0;
	i++;
	return digits(s, len, &i, 2) && lit(s, len, &i, ':')
		   && digits(s, len, &i, 2) && i == len;
}

/* ---- sf_hdrs_set_expires ----------------------------------------------- */

static int is_expires_line(const char *h, size_t n)
{
	size_t i = 7;

	if(n < 8 || !buf_ieq(h, "expires", 7))
		return 0;
	while(i < n && (h[i] == ' ' || h[i] == '\t'))
		i++;
	return i < n && h[i] == ':';
}

int sf_hdrs_set_expires(
		const char *h, size_t hlen, long long left, char *out, size_t outsize)
{
	const char *end, *eol;
	size_t n = 0, ln;
	int done = 0;
	char num[24];
	size_t nl = sizeof(num);
	unsigned long long v = left < 0 ? 0 : (unsigned long long)left;

	if(out == NULL || outsize == 0)
		return -1;
	out[0] = '\0';
	if(h == NULL || hlen == 0)
		return 0;
	do {
		num[--nl] = (char)('0' + v % 10);
		v /= 10;
	} while(v > 0);
	end = h + hlen;
	while(h < end) {
		eol = memchr(h, '\n', (size_t)(end - h));
		ln = eol ? (size_t)(eol + 1 - h) : (size_t)(end - h);
		if(is_expires_line(h, ln)) {
			if(!done) {
				if(outsize - n <= 9 + (sizeof(num) - nl) + 2)
					goto error;
				memcpy(out + n, "Expires: ", 9);
				n += 9;
				memcpy(out + n, num + nl, sizeof(num) - nl);
				n += sizeof(num) - nl;
				memcpy(out + n, "\r\n", 2);
				n += 2;
				done = 1;
			}
		} else {
			if(outsize - n <= ln + 2)
				goto error;
			memcpy(out + n, h, ln);
			n += ln;
			/* a last line without its line end gets CRLF */
			if(h[ln - 1] != '\n') {
				memcpy(out + n, "\r\n", 2);
				n += 2;
			}
		}
		h += ln;
	}
	out[n] = '\0';
	return (int)n;

error:
	out[0] = '\0';
	return -1;
}

/* ---- sf_lifetime ------------------------------------------------------- */

int sf_lifetime(
		int has_expires, unsigned int expires, int profile, int def, int max)
{
	if(max <= 0)
		return 0;
	if(has_expires)
		return expires < (unsigned int)max ? (int)expires : max;
	if(profile > 0 && profile < max)
		return profile;
	return def < max ? def : max;
}

const char *sf_hdr_value(
		const char *h, size_t hlen, const char *name, size_t *vlen)
{
	size_t nl = strlen(name), i = 0, e, v;

	*vlen = 0;
	while(h != NULL && i < hlen) {
		for(e = i; e < hlen && h[e] != '\n'; e++)
			;
		if(e - i > nl && h[i + nl] == ':'
				&& strncasecmp(h + i, name, nl) == 0) {
			for(v = i + nl + 1; v < e && (h[v] == ' ' || h[v] == '\t'); v++)
				;
			*vlen = e - v;
			if(*vlen > 0 && h[v + *vlen - 1] == '\r')
				(*vlen)--;
			return h + v;
		}
		i = e + 1;
	}
	return NULL;
}
