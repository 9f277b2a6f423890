/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: an SMS through Kannel's sendsms interface (sf_sms.h)
 */

#include <string.h>

#include "sf_sms.h"

#define SF_SMS_STR(x) #x
#define SF_SMS_XSTR(x) SF_SMS_STR(x)

/* the characters of the GSM 03.38 default alphabet beyond printable ASCII
 * (besides LF and CR), as code points */
static const unsigned short sf_gsm_basic[] = {0x00a1, 0x00a3, 0x00a4, 0x00a5,
		0x00a7, 0x00bf, 0x00c4, 0x00c5, 0x00c6, 0x00c7, 0x00c9, 0x00d1, 0x00d6,
		0x00d8, 0x00dc, 0x00df, 0x00e0, 0x00e4, 0x00e5, 0x00e6, 0x00e8, 0x00e9,
		0x00ec, 0x00f1, 0x00f2, 0x00f6, 0x00f8, 0x00f9, 0x00fc, 0x0393, 0x0394,
		0x0398, 0x039b, 0x039e, 0x03a0, 0x03a3, 0x03a6, 0x03a8, 0x03a9};

/* septets a code point takes in the default alphabet: 1, 2 (extension
 * table), 0 not representable */
static int sf_gsm_septets(unsigned int cp)
{
	size_t i;

	if(cp == '\n' || cp == '\r')
		return 1;
	if(cp == '\f' || cp == 0x20ac)
		return 2;
	if(cp >= 0x20 && cp < 0x7f) {
		if(cp == '`')
			return 0;
		if(strchr("^{}\\[~]|", (int)cp) != NULL)
			return 2;
		return 1;
	}
	for(i = 0; i < sizeof(sf_gsm_basic) / sizeof(sf_gsm_basic[0]); i++)
		if(sf_gsm_basic[i] == cp)
			return 1;
	return 0;
}

/* the code point of the UTF-8 sequence at s (at most left bytes) and its
 * length; 0 when it is not a valid one or a NUL */
static size_t sf_u8_next(const unsigned char *s, size_t left, unsigned int *cp)
{
	size_t n, i;

	if(s[0] == 0)
		return 0;
	if(s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if(s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		*cp = s[0] & 0x1f;
	} else if(s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		*cp = s[0] & 0x0f;
	} else if(s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		*cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if(n > left)
		return 0;
	for(i = 1; i < n; i++) {
		if((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if((n == 3 && (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff)))
			|| (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)))
		return 0;
	return n;
}

int sf_sms_measure(const char *s, size_t len, size_t *units)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, septets = 0, utf16 = 0;
	unsigned int cp = 0;
	int gsm = 1, k;

	*units = 0;
	if(s == NULL && len > 0)
		return -1;
	while(i < len) {
		n = sf_u8_next(u + i, len - i, &cp);
		if(n == 0)
			return -1;
		utf16 += cp > 0xffff ? 2 : 1;
		if(gsm) {
			k = sf_gsm_septets(cp);
			if(k == 0)
				gsm = 0;
			septets += (size_t)k;
		}
		i += n;
	}
	if(!gsm) {
		*units = utf16;
		return SF_SMS_UCS2;
	}
	*units = septets > len ? septets : len;
	return SF_SMS_GSM;
}

int sf_sms_fits(int coding, size_t units)
{
	if(coding == SF_SMS_GSM)
		return units <= (size_t)SF_SMS_GSM_PART * SF_SMS_MAX_PARTS;
	if(coding == SF_SMS_UCS2)
		return units <= (size_t)SF_SMS_UCS2_PART * SF_SMS_MAX_PARTS;
	return 0;
}

static int sf_sms_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* [s, e) without surrounding white space */
static void sf_sms_trim(const char **s, const char **e)
{
	while(*s < *e && sf_sms_ws(**s))
		(*s)++;
	while(*e > *s && sf_sms_ws((*e)[-1]))
		(*e)--;
}

/* the end of the parameter that starts at p: the next ';' outside a
 * quoted-string, or end */
static const char *sf_sms_param_end(const char *p, const char *end)
{
	int q = 0;

	for(; p < end; p++) {
		if(q && *p == '\\' && p + 1 < end)
			p++;
		else if(*p == '"')
			q = !q;
		else if(!q && *p == ';')
			break;
	}
	return p;
}

int sf_sms_plain(sf_buf_t ct)
{
	const char *p = ct.s, *end, *a, *b, *eq, *vs, *ve;

	if(ct.s == NULL || ct.len == 0)
		return 1;
	end = ct.s + ct.len;
	for(a = p; a < end && *a != ';'; a++)
		;
	b = a;
	sf_sms_trim(&p, &b);
	if(p == b)
		return a == end; /* no type: SIP's default, text/plain */
	if(!sf_buf_ieq(p, (size_t)(b - p), "text/plain"))
		return 0;
	while(a < end) {
		p = a + 1;
		a = sf_sms_param_end(p, end);
		for(eq = p; eq < a && *eq != '='; eq++)
			;
		b = eq;
		sf_sms_trim(&p, &b);
		if(!sf_buf_ieq(p, (size_t)(b - p), "charset"))
			continue;
		vs = eq < a ? eq + 1 : a;
		ve = a;
		sf_sms_trim(&vs, &ve);
		if(ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
			vs++;
			ve--;
		}
		if(!sf_buf_ieq(vs, (size_t)(ve - vs), "utf-8")
				&& !sf_buf_ieq(vs, (size_t)(ve - vs), "us-ascii"))
			return 0;
	}
	return 1;
}

/* the line [p, *eol) and where the next starts (*next); 0 when no line
 * end is left */
static int sf_sms_line(
		const char *p, const char *end, const char **eol, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if(nl == NULL)
		return 0;
	*next = nl + 1;
	*eol = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	return 1;
}

int sf_sms_cpim(sf_buf_t body, sf_buf_t *ctype, sf_buf_t *content)
{
	const char *p = body.s, *end, *eol, *next, *v;
	int block = 0, have_ct = 0;

	ctype->s = "";
	ctype->len = 0;
	if(body.s == NULL)
		return -1;
	end = body.s + body.len;
	/* block 0: the CPIM headers; block 1: the MIME headers */
	while(block < 2) {
		if(!sf_sms_line(p, end, &eol, &next))
			return -1;
		if(eol == p) {
			block++;
		} else if(block == 1) {
			if(sf_buf_iprefix(p, (size_t)(eol - p), "content-type:")) {
				v = p + 13;
				sf_sms_trim(&v, &eol);
				*ctype = sf_bufv(v, (size_t)(eol - v));
				have_ct = 1;
			} else if(sf_buf_iprefix(p, (size_t)(eol - p),
							  "content-transfer-encoding:")) {
				v = p + 26;
				sf_sms_trim(&v, &eol);
				if(!sf_buf_ieq(v, (size_t)(eol - v), "7bit")
						&& !sf_buf_ieq(v, (size_t)(eol - v), "8bit")
						&& !sf_buf_ieq(v, (size_t)(eol - v), "binary"))
					return -1;
			}
		}
		p = next;
	}
	if(!have_ct || ctype->len == 0)
		return -1;
	*content = sf_bufv(p, (size_t)(end - p));
	return 0;
}

int sf_sms_text(sf_buf_t ct, sf_buf_t body, sf_buf_t *text)
{
	const char *a = ct.s, *b = ct.s;
	sf_buf_t inner;
	size_t units;
	int coding;

	if(ct.s != NULL) {
		for(b = a; b < ct.s + ct.len && *b != ';'; b++)
			;
		sf_sms_trim(&a, &b);
	}
	if(ct.s != NULL && sf_buf_ieq(a, (size_t)(b - a), "message/cpim")) {
		if(sf_sms_cpim(body, &inner, &body) < 0)
			return 0;
		ct = inner;
	}
	if(!sf_sms_plain(ct))
		return 0;
	coding = sf_sms_measure(body.s, body.len, &units);
	if(coding < 0 || !sf_sms_fits(coding, units))
		return 0;
	*text = body;
	return 1;
}

/* 1 to 15 digits */
static int sf_sms_digits(const char *s, size_t len)
{
	size_t i;

	if(len < 1 || len > 15)
		return 0;
	for(i = 0; i < len; i++)
		if(s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int sf_sms_target(const char *t, size_t len, sf_buf_t *num)
{
	if(t == NULL || len < 6 || !sf_buf_iprefix(t, len, "sms:+")
			|| !sf_sms_digits(t + 5, len - 5))
		return -1;
	num->s = t + 4;
	num->len = len - 4;
	return 0;
}

sf_buf_t sf_sms_sender(sf_buf_t cfg_from, sf_buf_t from_uri)
{
	const char *s = from_uri.s, *e;
	size_t n = from_uri.len, skip;

	if(cfg_from.len > 0)
		return cfg_from;
	if(s != NULL && n > 0 && s[0] == '<') {
		s++;
		n--;
	}
	if(sf_buf_iprefix(s, n, "sip:") || sf_buf_iprefix(s, n, "tel:"))
		skip = 4;
	else if(sf_buf_iprefix(s, n, "sips:"))
		skip = 5;
	else
		return sf_bufv("sfwd", 4);
	s += skip;
	n -= skip;
	for(e = s; e < s + n && *e != '@' && *e != ';' && *e != '>' && *e != '?';
			e++)
		;
	if((size_t)(e - s) >= 2 && s[0] == '+'
			&& sf_sms_digits(s + 1, (size_t)(e - s) - 1))
		return sf_bufv(s, (size_t)(e - s));
	return sf_bufv("sfwd", 4);
}

/* name=value with value percent-encoded (RFC 3986 unreserved kept) */
static void sf_sms_param(sf_wr_t *w, const char *name, sf_buf_t v)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	unsigned char c;

	if(w->len > 0)
		sf_putch(w, '&');
	sf_put(w, name, strlen(name));
	sf_putch(w, '=');
	for(i = 0; i < v.len; i++) {
		c = (unsigned char)v.s[i];
		if((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
				|| (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
				|| c == '~') {
			sf_putch(w, (char)c);
		} else {
			sf_putch(w, '%');
			sf_putch(w, hex[c >> 4]);
			sf_putch(w, hex[c & 15]);
		}
	}
}

int sf_sms_query(char *out, size_t size, const sf_sms_req_t *in)
{
	sf_wr_t w;
	size_t units;
	int coding;

	coding = sf_sms_measure(in->text.s, in->text.len, &units);
	sf_wr_init(&w, out, size);
	if(coding < 0) {
		sf_wr_end(&w);
		return -1;
	}
	sf_sms_param(&w, "username", in->user);
	sf_sms_param(&w, "password", in->pass);
	sf_sms_param(&w, "from", in->from);
	sf_sms_param(&w, "to", in->to);
	sf_sms_param(&w, "text", in->text);
	sf_sms_param(&w, "charset", sf_bufv("UTF-8", 5));
	if(coding == SF_SMS_UCS2)
		sf_sms_param(&w, "coding", sf_bufv("2", 1));
	if(in->dlr_url.len > 0) {
		sf_sms_param(&w, "dlr-mask", sf_bufv(SF_SMS_XSTR(SF_SMS_DLR_MASK), 2));
		sf_sms_param(&w, "dlr-url", in->dlr_url);
	}
	return sf_wr_end(&w);
}
