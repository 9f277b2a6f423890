/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure classification of the store flag (see sf_classify.h)
 */

#include <string.h>

#include "sf_buf.h"
#include "sf_classify.h"
#include "sf_cpim.h"

/* what one source asks for */
#define W_INSTANT 1
#define W_STORE 2
#define W_POS 4 /* positive report: store + notify */
#define W_NEG 8 /* negative report */


static const char _sf_imdn_urn[] = "urn:ietf:params:imdn";

/* RFC 3261 token characters */
static int is_token_char(unsigned char c)
{
	if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
			|| (c >= '0' && c <= '9'))
		return 1;
	switch(c) {
		case '-':
		case '.':
		case '!':
		case '%':
		case '*':
		case '_':
		case '+':
		case '`':
		case '\'':
		case '~':
			return 1;
	}
	return 0;
}

/* a control byte that may not appear in a header body */
static int is_bad_ctl(unsigned char c)
{
	return (c < 0x20 && !sf_is_lws(c)) || c == 0x7f;
}

/* Request-Disposition: 1#( token ), RFC 3841 syntax, store-flag values */
static int parse_req_disp(const char *s, size_t len, int *want)
{
	size_t i = 0, t;

	while(i < len) {
		unsigned char c = (unsigned char)s[i];
		if(sf_is_lws(c) || c == ',') {
			i++;
			continue;
		}
		if(!is_token_char(c))
			return SF_CLS_ERR_PARSE;
		t = i;
		while(i < len && is_token_char((unsigned char)s[i]))
			i++;
		if(sf_buf_ieq(s + t, i - t, "do-not-store"))
			*want |= W_INSTANT;
		else if(sf_buf_ieq(s + t, i - t, "store")
				|| sf_buf_ieq(s + t, i - t, "store-and-forward")
				|| sf_buf_ieq(s + t, i - t, "store-and-forward-if-not-reached"))
			*want |= W_STORE;
		else if(sf_buf_ieq(s + t, i - t, "notify"))
			*want |= W_STORE | W_POS | W_NEG;
		/* what follows a token: LWS, then a comma or the end */
		while(i < len && sf_is_lws((unsigned char)s[i]))
			i++;
		if(i < len && s[i] != ',')
			return SF_CLS_ERR_PARSE;
	}
	return 0;
}

/* the IMS store-flag words: instant | store&fwd | S&F */
static int flag_word(const char *s, size_t len, int *want)
{
	if(sf_buf_ieq(s, len, "instant")) {
		*want |= W_INSTANT;
		return 1;
	}
	if(sf_buf_ieq(s, len, "store&fwd") || sf_buf_ieq(s, len, "s&f")) {
		*want |= W_STORE;
		return 1;
	}
	return 0;
}

/* Content-Disposition: disp-type *( SEMI disp-param ) */
static int parse_cont_disp(const char *s, size_t len, int *want)
{
	size_t i, t;

	for(i = 0; i < len; i++) {
		if(is_bad_ctl((unsigned char)s[i]))
			return SF_CLS_ERR_PARSE;
	}
	i = 0;
	while(i < len && sf_is_lws((unsigned char)s[i]))
		i++;
	if(i == len)
		return 0; /* empty: says nothing */
	t = i;
	while(i < len && (is_token_char((unsigned char)s[i]) || s[i] == '&'))
		i++;
	if(i == t)
		return SF_CLS_ERR_PARSE; /* no disposition type */
	if(!flag_word(s + t, i - t, want) && memchr(s + t, '&', i - t) != NULL)
		return SF_CLS_ERR_PARSE; /* '&' only in the two store-flag forms */
	while(i < len && sf_is_lws((unsigned char)s[i]))
		i++;
	if(i < len && s[i] != ';')
		return SF_CLS_ERR_PARSE;
	return 0;
}

/* one m= line of an SDP body */
static int parse_m_line(const char *s, size_t len, int *want)
{
	sf_buf_t f[3];
	size_t i = 0, n = 0, k;

	/* media, port, proto; fmt list not needed */
	while(n < 3) {
		while(i < len && s[i] == ' ')
			i++;
		if(i == len)
			break;
		f[n].s = s + i;
		while(i < len && s[i] != ' ')
			i++;
		f[n].len = (size_t)(s + i - f[n].s);
		n++;
	}
	if(n == 0 || !sf_buf_ieq(f[0].s, f[0].len, "messaging"))
		return 0;
	if(n < 3)
		return SF_CLS_ERR_PARSE; /* truncated m=messaging */
	for(k = 0; k < f[1].len; k++) {
		char c = f[1].s[k];
		if(!((c >= '0' && c <= '9') || (c == '/' && k > 0)))
			return SF_CLS_ERR_PARSE;
	}
	if(!sf_buf_iprefix(f[2].s, f[2].len, "imtp/"))
		return 0;
	if(!flag_word(f[2].s + 5, f[2].len - 5, want))
		return SF_CLS_ERR_PARSE;
	return 0;
}

static int parse_sdp(const char *s, size_t len, int *want)
{
	const char *p = s, *end = s + len;
	sf_buf_t line;
	int ret;

	while(sf_next_line(&p, end, &line)) {
		if(line.len >= 2 && line.s[0] == 'm' && line.s[1] == '=') {
			ret = parse_m_line(line.s + 2, line.len - 2, want);
			if(ret < 0)
				return ret;
		}
	}
	return 0;
}

/* media type of a Content-Type body, and where its parameters start */
static sf_buf_t media_type(sf_buf_t ct, sf_buf_t *params)
{
	const char *semi = ct.s ? memchr(ct.s, ';', ct.len) : NULL;
	sf_buf_t mt;

	if(semi == NULL) {
		mt = sf_buf_trim(ct.s, ct.len);
		params->s = NULL;
		params->len = 0;
	} else {
		mt = sf_buf_trim(ct.s, (size_t)(semi - ct.s));
		params->s = semi + 1;
		params->len = ct.len - (size_t)(semi + 1 - ct.s);
	}
	return mt;
}

/* the boundary parameter of a multipart Content-Type; 0 if found */
static int find_boundary(sf_buf_t params, sf_buf_t *out)
{
	const char *p, *end;

	if(params.s == NULL)
		return -1;
	p = params.s;
	end = params.s + params.len;

	while(p < end) {
		const char *n, *eq;
		sf_buf_t name;

		while(p < end && (sf_is_lws((unsigned char)*p) || *p == ';'))
			p++;
		n = p;
		while(p < end && *p != '=' && *p != ';')
			p++;
		if(p == end || *p == ';')
			continue;
		eq = p;
		name = sf_buf_trim(n, (size_t)(eq - n));
		p++;
		while(p < end && sf_is_lws((unsigned char)*p))
			p++;
		if(p < end && *p == '"') {
			const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
			if(q == NULL)
				return -1;
			out->s = p + 1;
			out->len = (size_t)(q - p - 1);
			p = q + 1;
		} else {
			out->s = p;
			while(p < end && *p != ';' && !sf_is_lws((unsigned char)*p))
				p++;
			out->len = (size_t)(p - out->s);
		}
		if(sf_buf_ieq(name.s, name.len, "boundary"))
			return (out->len >= 1 && out->len <= 70) ? 0 : -1;
		while(p < end && *p != ';')
			p++;
	}
	return -1;
}

/* the delimiter "--boundary" at a line start at or after p; NULL if none */
static const char *find_delim(
		const char *start, const char *p, const char *end, sf_buf_t bnd)
{
	while(p + 2 + bnd.len <= end) {
		if((p == start || p[-1] == '\n') && p[0] == '-' && p[1] == '-'
				&& memcmp(p + 2, bnd.s, bnd.len) == 0)
			return p;
		p = memchr(p, '\n', (size_t)(end - p));
		if(p == NULL)
			return NULL;
		p++;
	}
	return NULL;
}

/* one body part: headers, blank line, content; SDP parts are read */
static int parse_part(const char *s, size_t len, int *want)
{
	const char *p = s, *end = s + len;
	sf_buf_t line, ct = {NULL, 0}, params;

	for(;;) {
		if(!sf_next_line(&p, end, &line))
			return 0; /* no blank line: headers only, no content */
		if(line.len == 0)
			break;
		if(sf_buf_iprefix(line.s, line.len, "content-type:"))
			ct = sf_buf_trim(line.s + 13, line.len - 13);
	}
	ct = media_type(ct, &params);
	if(!sf_buf_ieq(ct.s, ct.len, "application/sdp"))
		return 0;
	return parse_sdp(p, (size_t)(end - p), want);
}

static int parse_multipart(sf_buf_t params, sf_buf_t body, int *want)
{
	const char *start = body.s, *end = body.s + body.len;
	const char *d, *next, *pstart, *pend;
	sf_buf_t bnd;
	int ret;

	if(find_boundary(params, &bnd) < 0 || body.s == NULL)
		return SF_CLS_ERR_PARSE;
	d = find_delim(start, start, end, bnd);
	if(d == NULL)
		return SF_CLS_ERR_PARSE;
	for(;;) {
		const char *p = d + 2 + bnd.len;
		if(p + 2 <= end && p[0] == '-' && p[1] == '-')
			return 0; /* close delimiter */
		/* skip transport padding to the end of the delimiter line */
		p = memchr(p, '\n', (size_t)(end - p));
		if(p == NULL)
			return SF_CLS_ERR_PARSE;
		pstart = p + 1;
		next = find_delim(start, pstart, end, bnd);
		if(next == NULL)
			return SF_CLS_ERR_PARSE; /* no close delimiter */
		/* the CRLF before the delimiter belongs to the delimiter */
		pend = next;
		if(pend > pstart && pend[-1] == '\n')
			pend--;
		if(pend > pstart && pend[-1] == '\r')
			pend--;
		ret = parse_part(pstart, (size_t)(pend - pstart), want);
		if(ret < 0)
			return ret;
		d = next;
	}
}

/* message/cpim: imdn.Disposition-Notification in the CPIM header block */
static int parse_cpim(sf_buf_t body, int *want)
{
	sf_cpim_t c;
	sf_buf_t value;
	const char *pos = NULL;

	if(!sf_cpim_open(body, _sf_imdn_urn, &c))
		return SF_CLS_ERR_PARSE; /* header block never ends */
	while(sf_cpim_next(&c, &pos, "disposition-notification", 1, &value)) {
		/* comma list of notification types */
		const char *v = value.s, *vend = value.s + value.len;
		while(v < vend) {
			const char *k = memchr(v, ',', (size_t)(vend - v));
			sf_buf_t tok;
			if(k == NULL)
				k = vend;
			tok = sf_buf_trim(v, (size_t)(k - v));
			if(sf_buf_ieq(tok.s, tok.len, "positive-delivery"))
				*want |= W_POS;
			else if(sf_buf_ieq(tok.s, tok.len, "negative-delivery"))
				*want |= W_NEG;
			v = k + 1;
		}
	}
	return 0;
}

int sf_classify_parse(const sf_class_input_t *in, sf_class_result_t *out)
{
	enum
	{
		NSRC = SF_SRC_CPIM + 1
	};
	int want[NSRC];
	sf_buf_t mt, params;
	int i, ret, bits = 0;

	if(in == NULL || out == NULL)
		return SF_CLS_ERR_METHOD;
	if(in->method != SF_METHOD_MESSAGE && in->method != SF_METHOD_INVITE)
		return SF_CLS_ERR_METHOD;
	memset(want, 0, sizeof(want));

	for(i = 0; i < in->n_req_disp && i < SF_CLS_MAX_HDRS; i++) {
		ret = parse_req_disp(in->req_disp[i].s, in->req_disp[i].len,
				&want[SF_SRC_REQUEST_DISPOSITION]);
		if(ret < 0)
			return ret;
	}
	for(i = 0; i < in->n_cont_disp && i < SF_CLS_MAX_HDRS; i++) {
		ret = parse_cont_disp(in->cont_disp[i].s, in->cont_disp[i].len,
				&want[SF_SRC_CONTENT_DISPOSITION]);
		if(ret < 0)
			return ret;
	}

	mt = media_type(in->content_type, &params);
	{
		sf_buf_t ce =
				sf_buf_trim(in->content_encoding.s, in->content_encoding.len);
		if(ce.s != NULL && ce.len > 0 && !sf_buf_ieq(ce.s, ce.len, "identity"))
			goto decide; /* an encoded body is opaque */
	}
	if(in->method == SF_METHOD_INVITE && in->body.len > 0) {
		if(mt.len == 0 || sf_buf_ieq(mt.s, mt.len, "application/sdp"))
			ret = parse_sdp(in->body.s, in->body.len, &want[SF_SRC_SDP]);
		else if(sf_buf_iprefix(mt.s, mt.len, "multipart/"))
			ret = parse_multipart(params, in->body, &want[SF_SRC_SDP]);
		else
			ret = 0;
		if(ret < 0)
			return ret;
	} else if(in->method == SF_METHOD_MESSAGE
			  && sf_buf_ieq(mt.s, mt.len, "message/cpim")) {
		ret = parse_cpim(in->body, &want[SF_SRC_CPIM]);
		if(ret < 0)
			return ret;
	}

decide:
	for(i = 0; i < NSRC; i++)
		bits |= want[i] & (W_POS | W_NEG);

	/* instant beats everything, then notify, then store, then default */
	for(i = 0; i < NSRC; i++) {
		if(want[i] & W_INSTANT) {
			out->cls = SF_CLASS_INSTANT;
			out->notify = 0;
			out->source = i;
			return out->cls;
		}
	}
	out->notify = ((bits & W_POS) ? SF_NOTIFY_POSITIVE : 0)
				  | ((bits & W_NEG) ? SF_NOTIFY_NEGATIVE : 0);
	for(i = 0; i < NSRC; i++) {
		if(want[i] & W_POS) {
			out->cls = SF_CLASS_NOTIFY;
			out->source = i;
			return out->cls;
		}
	}
	for(i = 0; i < NSRC; i++) {
		if(want[i] & W_STORE) {
			out->cls = SF_CLASS_STORE;
			out->source = i;
			return out->cls;
		}
	}
	out->source = SF_SRC_DEFAULT;
	switch(in->default_class) {
		case SF_CLASS_INSTANT:
			out->cls = SF_CLASS_INSTANT;
			out->notify = 0;
			break;
		case SF_CLASS_NOTIFY:
			out->cls = SF_CLASS_NOTIFY;
			out->notify = SF_NOTIFY_POSITIVE | SF_NOTIFY_NEGATIVE;
			break;
		default:
			out->cls = SF_CLASS_STORE;
			break;
	}
	return out->cls;
}

const char *sf_class_name(int cls)
{
	switch(cls) {
		case SF_CLASS_INSTANT:
			return "instant";
		case SF_CLASS_STORE:
			return "store";
		case SF_CLASS_NOTIFY:
			return "notify";
	}
	return "unknown";
}

const char *sf_source_name(int source)
{
	switch(source) {
		case SF_SRC_DEFAULT:
			return "default";
		case SF_SRC_REQUEST_DISPOSITION:
			return "request-disposition";
		case SF_SRC_CONTENT_DISPOSITION:
			return "content-disposition";
		case SF_SRC_SDP:
			return "sdp";
		case SF_SRC_CPIM:
			return "cpim";
	}
	return "unknown";
}

int sf_class_from_name(const char *s, size_t len)
{
	int c;

	if(s == NULL)
		return -1;
	for(c = SF_CLASS_INSTANT; c <= SF_CLASS_NOTIFY; c++) {
		if(sf_buf_ieq(s, len, sf_class_name(c)))
			return c;
		if(len == 1 && s[0] == '0' + c)
			return c;
	}
	return -1;
}
