/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: notify-then-fetch over HTTP (sf_http.h)
 */

#include <stdlib.h>
#include <string.h>

#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/parser/msg_parser.h"
#include "modules/xhttp/api.h"

#include "sf_buf.h"
#include "sf_cfg.h"
#include "sf_db.h"
#include "sf_event.h"
#include "sf_fetch.h"
#include "sf_http.h"
#include "sf_imdn.h"
#include "sf_intake.h"
#include "sf_notify.h"
#include "sf_stats.h"
#include "sf_store.h"
#include "sf_text.h"

static xhttp_api_t _sf_xhttp;
static int _sf_http_bound = 0;
/* http_url's path, without a '/' at its end ("" for the root) */
static str _sf_http_path = STR_NULL;

int sf_http_mod_init(void)
{
	str u = _sf_cfg.http_url;
	char *p;
	int skip;

	if(u.len == 0)
		return 0;
	if(u.len > 7 && strncasecmp(u.s, "http://", 7) == 0)
		skip = 7;
	else if(u.len > 8 && strncasecmp(u.s, "https://", 8) == 0)
		skip = 8;
	else {
		LM_ERR("http_url must be an http:// or https:// URL\n");
		return -1;
	}
	if(memchr(u.s, '?', u.len) != NULL || memchr(u.s, '#', u.len) != NULL) {
		LM_ERR("http_url has no query or fragment\n");
		return -1;
	}
	p = memchr(u.s + skip, '/', u.len - skip);
	_sf_http_path.s = p ? p : u.s + u.len;
	_sf_http_path.len = p ? (int)(u.s + u.len - p) : 0;
	while(_sf_http_path.len > 0
			&& _sf_http_path.s[_sf_http_path.len - 1] == '/')
		_sf_http_path.len--;
	if(xhttp_load_api(&_sf_xhttp) < 0) {
		LM_ERR("http_url needs the xhttp module (loadmodule \"xhttp.so\")\n");
		return -1;
	}
	_sf_http_bound = 1;
	return 0;
}

/* an extra header of the reply ("Name: value\r\n") */
static void sf_http_hdr(sip_msg_t *msg, const char *h)
{
	if(add_lump_rpl(msg, (char *)h, (int)strlen(h), LUMP_RPL_HDR) == 0)
		LM_ERR("cannot add a header to the HTTP reply\n");
}

static int sf_http_send(sip_msg_t *msg, int code, const char *reason,
		const char *ctype, const char *body, size_t blen)
{
	str r, c, b;

	r.s = (char *)reason;
	r.len = (int)strlen(reason);
	c.s = (char *)ctype;
	c.len = (int)strlen(ctype);
	b.s = (char *)body;
	b.len = (int)blen;
	return _sf_xhttp.reply(msg, code, &r, &c, &b);
}

/* the same short reply for every request that names nothing live */
static int sf_http_not_found(sip_msg_t *msg)
{
	update_stat(_sf_stat_fetch_denied, 1);
	sf_http_hdr(msg, "Cache-Control: no-store\r\n");
	sf_http_send(msg, 404, "Not Found", "text/plain", "not found\n", 10);
	return 1;
}

static int sf_http_unavailable(sip_msg_t *msg)
{
	sf_http_hdr(msg, "Retry-After: 5\r\n");
	sf_http_send(msg, 503, "Service Unavailable", "text/plain",
			"store unavailable\n", 18);
	return 1;
}

/* a stored value for a reply header: printable ASCII, at most 200 bytes,
 * else NULL */
static const char *sf_http_safe(
		const char *s, size_t len, char *out, size_t size)
{
	size_t i;

	if(len == 0 || len > 200 || len + 1 > size)
		return NULL;
	for(i = 0; i < len; i++) {
		if((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return NULL;
		out[i] = s[i];
	}
	out[len] = '\0';
	return out;
}

/* a request header's value (the first), or NULL */
static str *sf_http_req_hdr(sip_msg_t *msg, const char *name)
{
	struct hdr_field *hf;
	size_t nl = strlen(name);

	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return NULL;
	for(hf = msg->headers; hf != NULL; hf = hf->next) {
		if(hf->name.len == (int)nl && strncasecmp(hf->name.s, name, nl) == 0)
			return &hf->body;
	}
	return NULL;
}

/* one span of "bytes=a-b", "bytes=a-", "bytes=-n" within size: 1 and
 * [*from, *to], 0 none or not one span (the whole is sent), -1 outside */
static int sf_http_range(str *r, long long size, long long *from, long long *to)
{
	const char *p, *e;
	char *end;
	long long a = -1, b = -1;

	if(r == NULL || r->len < 7 || strncasecmp(r->s, "bytes=", 6) != 0)
		return 0;
	p = r->s + 6;
	e = r->s + r->len;
	while(e > p && (e[-1] == ' ' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	if(memchr(p, ',', e - p) != NULL || e - p > 40)
		return 0;
	if(*p != '-') {
		a = strtoll(p, &end, 10);
		if(end == p || a < 0 || end >= e || *end != '-')
			return 0;
		p = end + 1;
		if(p < e) {
			b = strtoll(p, &end, 10);
			if(end != e || b < a)
				return 0;
		}
	} else {
		b = strtoll(p + 1, &end, 10);
		if(end != e || b <= 0)
			return 0;
		a = size - b > 0 ? size - b : 0;
		b = size - 1;
	}
	if(a >= size)
		return -1;
	if(b < 0 || b >= size)
		b = size - 1;
	*from = a;
	*to = b;
	return 1;
}

/* the report, the event and the statistics of a row that ended */
static void sf_http_outcome(
		PGresult *res, int delivered, const char *state, int code)
{
	static const sf_report_cols_t cols = {SF_XC_ID, SF_XC_FROM_URI,
			SF_XC_FROM_NAME, SF_XC_TO_URI, SF_XC_IMDN_ID, SF_XC_RECEIVED,
			SF_XC_IMDN_DATETIME, SF_XC_NOTIFY};
	sf_report_src_t src;
	str aor;

	if(res == NULL || PQntuples(res) != 1)
		return;
	aor.s = PQgetvalue(res, 0, SF_XC_AOR);
	aor.len = PQgetlength(res, 0, SF_XC_AOR);
	sf_report_src_row(&src, res, 0, &cols);
	LM_INFO("message %lld for %.*s %s\n", src.id, aor.len, aor.s, state);
	sf_report(&src, delivered ? SF_IMDN_DELIVERED : SF_IMDN_FAILED);
	update_stat(delivered ? _sf_stat_delivered : _sf_stat_failed, 1);
	sf_event_outcome(delivered, src.id, &aor, &src.from_uri, state, code);
}

/* GET|HEAD .../m/<token> */
static int sf_http_fetch(sip_msg_t *msg, const char *token, int head)
{
	sf_db_t *db = sf_intake_db();
	const char *v[2];
	char ctype[256], enc[256], idbuf[24], hdr[320];
	const char *ct, *ce, *hv;
	PGresult *res, *del;
	long long id, from = 0, to = 0, size;
	size_t hvlen;
	int r;

	v[0] = token;
	res = sf_db_exec(db, SF_SQL_FETCH_GET, v, NULL, NULL, 1);
	if(res == NULL)
		return sf_http_unavailable(msg);
	if(PQntuples(res) != 1) {
		PQclear(res);
		return sf_http_not_found(msg);
	}
	id = sf_db_int(res, 0, 0);
	size = PQgetlength(res, 0, 2);
	/* stored from the wire: used only when it cannot split the reply */
	ct = sf_http_safe(PQgetvalue(res, 0, 1), PQgetlength(res, 0, 1), ctype,
			sizeof(ctype));
	if(ct == NULL)
		ct = "application/octet-stream";
	hv = sf_hdr_value(PQgetvalue(res, 0, 3), PQgetlength(res, 0, 3),
			"Content-Encoding", &hvlen);
	ce = hv ? sf_http_safe(hv, hvlen, enc, sizeof(enc)) : NULL;
	sf_http_hdr(msg, "Cache-Control: no-store\r\n");
	sf_http_hdr(msg, "X-Content-Type-Options: nosniff\r\n");
	sf_http_hdr(msg, "Content-Security-Policy: sandbox\r\n");
	sf_http_hdr(msg, "Accept-Ranges: bytes\r\n");
	if(ce != NULL
			&& sf_fmt(hdr, sizeof(hdr), "Content-Encoding: %s\r\n", ce) > 0)
		sf_http_hdr(msg, hdr);
	if(head) {
		/* the headers only; not a delivery */
		sf_http_send(msg, 200, "OK", ct, NULL, 0);
		PQclear(res);
		return 1;
	}
	r = sf_http_range(sf_http_req_hdr(msg, "Range"), size, &from, &to);
	if(r < 0) {
		if(sf_fmt(hdr, sizeof(hdr), "Content-Range: bytes */%lld\r\n", size)
				> 0)
			sf_http_hdr(msg, hdr);
		sf_http_send(msg, 416, "Range Not Satisfiable", "text/plain", "", 0);
		PQclear(res);
		return 1;
	}
	if(r == 1 && !(from == 0 && to == size - 1)) {
		/* a part: not a delivery */
		if(sf_fmt(hdr, sizeof(hdr), "Content-Range: bytes %lld-%lld/%lld\r\n",
				   from, to, size)
				> 0)
			sf_http_hdr(msg, hdr);
		sf_http_send(msg, 206, "Partial Content", ct,
				PQgetvalue(res, 0, 2) + from, (size_t)(to - from + 1));
		PQclear(res);
		return 1;
	}
	if(sf_http_send(msg, 200, "OK", ct, PQgetvalue(res, 0, 2), (size_t)size)
			< 0) {
		LM_INFO("message %lld: the fetch's reply was not sent\n", id);
		PQclear(res);
		return 1;
	}
	PQclear(res);
	/* handed to the connection whole: delivered (the first time) */
	sf_fmt(idbuf, sizeof(idbuf), "%lld", id);
	v[0] = idbuf;
	v[1] = token;
	del = sf_db_exec(db, SF_SQL_FETCHED, v, NULL, NULL, 1);
	if(del == NULL) {
		LM_WARN("message %lld fetched; not deleted (database error %d): it "
				"stays until fetched again or expired\n",
				id, db->last_err);
		return 1;
	}
	if(PQntuples(del) == 1)
		update_stat(_sf_stat_fetched, 1);
	sf_http_outcome(del, 1, "fetched", 200);
	PQclear(del);
	return 1;
}

/* GET .../dlr/<token>?type=N (Kannel) */
static int sf_http_dlr(sip_msg_t *msg, const char *token, str *query)
{
	sf_db_t *db = sf_intake_db();
	const char *v[2], *p;
	char type_s[16];
	PGresult *res;
	long type = -1;
	char *end;
	int done = 0;

	for(p = query->s; p != NULL && p < query->s + query->len;) {
		if(query->s + query->len - p > 5 && strncmp(p, "type=", 5) == 0) {
			type = strtol(p + 5, &end, 10);
			if(end == p + 5 || type < 0 || type > 0xffff)
				type = -1;
			break;
		}
		p = memchr(p, '&', query->s + query->len - p);
		if(p != NULL)
			p++;
	}
	if(type < 0) {
		sf_http_send(msg, 400, "Bad Request", "text/plain", "type?\n", 6);
		return 1;
	}
	update_stat(_sf_stat_sms_reports, 1);
	sf_fmt(type_s, sizeof(type_s), "%ld", type);
	v[0] = token;
	v[1] = type_s;
	if(type == 1 || type == 2 || type == 16) {
		res = sf_db_exec(db, type == 1 ? SF_SQL_DLR_OK : SF_SQL_DLR_FAIL, v,
				NULL, NULL, 1);
		if(res == NULL)
			return sf_http_unavailable(msg);
		done = PQntuples(res) == 1;
		if(done && type != 1)
			update_stat(_sf_stat_forward_failed, 1);
		if(done)
			sf_http_outcome(res, type == 1, type == 1 ? "delivered" : "failed",
					type == 1 ? 200 : 500 + (int)type);
		PQclear(res);
	}
	if(!done) {
		/* a buffered/accepted notice, a repeated report, a row kept for
		 * SIP: taken when the token is live */
		res = sf_db_exec(db, SF_SQL_DLR_KNOWN, v, NULL, NULL, 1);
		if(res == NULL)
			return sf_http_unavailable(msg);
		done = PQntuples(res) > 0;
		PQclear(res);
		if(!done)
			return sf_http_not_found(msg);
	}
	sf_http_send(msg, 200, "OK", "text/plain", "ok\n", 3);
	return 1;
}

int sf_http_request(sip_msg_t *msg)
{
	str uri, query = STR_NULL, method;
	char token[SF_FETCH_TOKEN_LEN + 1];
	const char *p, *e;
	int kind; /* 0 content, 1 delivery report */

	if(!_sf_http_bound) {
		LM_ERR("sf_http() needs modparam http_url (and the xhttp module)\n");
		return -1;
	}
	if(msg->first_line.type != SIP_REQUEST || !IS_HTTP(msg))
		return -1;
	method = msg->first_line.u.request.method;
	uri = msg->first_line.u.request.uri;
	p = memchr(uri.s, '?', uri.len);
	if(p != NULL) {
		query.s = (char *)p + 1;
		query.len = (int)(uri.s + uri.len - query.s);
		uri.len = (int)(p - uri.s);
	}
	if(uri.len < _sf_http_path.len
			|| memcmp(uri.s, _sf_http_path.s, _sf_http_path.len) != 0)
		return -1;
	p = uri.s + _sf_http_path.len;
	e = uri.s + uri.len;
	if(e - p > 3 && memcmp(p, "/m/", 3) == 0) {
		kind = 0;
		p += 3;
	} else if(e - p > 5 && memcmp(p, "/dlr/", 5) == 0) {
		kind = 1;
		p += 5;
	} else {
		return -1;
	}
	/* the same reply for every token that is wrong, in form or not */
	if(!sf_fetch_token_valid(p, (size_t)(e - p)))
		return sf_http_not_found(msg);
	memcpy(token, p, SF_FETCH_TOKEN_LEN);
	token[SF_FETCH_TOKEN_LEN] = '\0';
	if(method.len == 3 && memcmp(method.s, "GET", 3) == 0)
		return kind == 0 ? sf_http_fetch(msg, token, 0)
						 : sf_http_dlr(msg, token, &query);
	if(kind == 0 && method.len == 4 && memcmp(method.s, "HEAD", 4) == 0)
		return sf_http_fetch(msg, token, 1);
	sf_http_hdr(msg, kind == 0 ? "Allow: GET, HEAD\r\n" : "Allow: GET\r\n");
	sf_http_send(msg, 405, "Method Not Allowed", "text/plain", "", 0);
	return 1;
}
