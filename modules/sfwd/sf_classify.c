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
#include "sf_mime.h"
#include "sf_text.h"

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

/* one body part: headers, blank line, content; SDP parts are read */
static int parse_part(sf_buf_t part, int *want)
{
	sf_buf_t hdrs, content, ct;

	if(sf_mime_split(part, &hdrs, &content) < 0)
		return 0; /* no blank line: headers only, no content */
	ct.s = sf_hdr_value(hdrs.s, hdrs.len, "content-type", &ct.len);
	ct = sf_mime_type(ct, NULL);
	if(!sf_buf_ieq(ct.s, ct.len, "application/sdp"))
		return 0;
	return parse_sdp(content.s, content.len, want);
}

static int parse_multipart(sf_buf_t params, sf_buf_t body, int *want)
{
	sf_mime_iter_t it;
	sf_buf_t part;
	int ret;

	if(sf_mime_open(params, body, &it) < 0)
		return SF_CLS_ERR_PARSE;
	while((ret = sf_mime_next(&it, &part)) > 0) {
		ret = parse_part(part, want);
		if(ret < 0)
			return ret;
	}
	return ret < 0 ? SF_CLS_ERR_PARSE : 0;
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

	mt = sf_mime_type(in->content_type, &params);
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
