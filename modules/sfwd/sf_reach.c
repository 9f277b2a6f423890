/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: reach beyond SIP: the forwarding process (sf_reach.h)
 */

#include <curl/curl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/pt.h"
#include "core/sr_module.h"

#include "sf_buf.h"
#include "sf_cfg.h"
#include "sf_db.h"
#include "sf_event.h"
#include "sf_fetch.h"
#include "sf_imdn.h"
#include "sf_mail.h"
#include "sf_notify.h"
#include "sf_reach.h"
#include "sf_sms.h"
#include "sf_stats.h"
#include "sf_store.h"
#include "sf_text.h"

/* the columns of a claimed row */
enum
{
	SF_CR_ID = 0,
	SF_CR_AOR,
	SF_CR_FROM_URI,
	SF_CR_FROM_NAME,
	SF_CR_TO_URI,
	SF_CR_CONTENT_TYPE,
	SF_CR_BODY,
	SF_CR_HEADERS,
	SF_CR_NOTIFY,
	SF_CR_IMDN_ID,
	SF_CR_RECEIVED,
	SF_CR_IMDN_DATETIME,
	SF_CR_FORWARD_TO,
	SF_CR_DONE,
	SF_CR_ATTEMPTS,
	SF_CR_STATE,
	SF_CR_EXPIRED,
	SF_CR_DELIVER_NOTIFY,
	SF_CR_TOKEN,
	SF_CR_KEEP
};

enum
{
	SF_RQ_CLAIM = 0,
	SF_RQ_FORWARDED,
	SF_RQ_KEEP,
	SF_RQ_FAIL,
	SF_RQ_RETRY,
	SF_RQ_RELEASE,
	SF_RQ_TOKEN,
	SF_RQ_WAIT,
	SF_RQ_MARK,
	SF_RQ_UNMARK,
	SF_RQ_COUNT
};

/* clang-format off */
static const sf_db_stmt_t sf_reach_stmts[SF_RQ_COUNT] = {
	/* due forwards, oldest first, not claimed by anyone (a flusher
	 * replaying the same row holds its lease) */
	[SF_RQ_CLAIM] = {"sf_fwd_claim",
		"WITH c AS (UPDATE sfwd_message SET claim_owner = $1::text,"
		" lease_until = now() + make_interval(secs => $2::int4)"
		" WHERE id IN (SELECT id FROM sfwd_message"
		"  WHERE forward_at <= now() AND state IN ('queued', 'forward')"
		"  AND (lease_until IS NULL OR lease_until < now())"
		"  ORDER BY forward_at LIMIT $3::int4 FOR UPDATE SKIP LOCKED)"
		" RETURNING id, aor, from_uri, from_name, to_uri, content_type, body,"
		" headers, notify, coalesce(imdn_id, ''),"
		" extract(epoch FROM received)::float8, coalesce(imdn_datetime, ''),"
		" coalesce(forward_to, ''), forward_done, forward_attempts, state,"
		" expires <= now(), deliver_notify, coalesce(fetch_token, ''),"
		" forward_keep)"
		" SELECT * FROM c ORDER BY 1", 3},
	/* sent to every target: gone (delivered elsewhere; or a copy of one
	 * delivered over SIP already: forward_keep in state 'forward') */
	[SF_RQ_FORWARDED] = {"sf_fwd_done",
		"DELETE FROM sfwd_message WHERE id = $1::int8"
		" AND claim_owner = $2::text"
		" AND (NOT forward_keep OR state = 'forward')"
		" RETURNING forward_keep", 2},
	/* forward_when "always": forwarded, still queued for SIP */
	[SF_RQ_KEEP] = {"sf_fwd_keep",
		"UPDATE sfwd_message SET forward_at = NULL,"
		" forward_done = $3::int4, claim_owner = NULL, lease_until = NULL"
		" WHERE id = $1::int8 AND claim_owner = $2::text", 3},
	/* refused for good (or expired): a row only forwarded ends so; one
	 * still queued for SIP stays queued */
	[SF_RQ_FAIL] = {"sf_fwd_fail",
		"UPDATE sfwd_message SET"
		" state = CASE WHEN state = 'forward' THEN $5::text ELSE state END,"
		" done_at = CASE WHEN state = 'forward' THEN now() END,"
		" forward_code = $3::int4, forward_done = $4::int4, forward_at = NULL,"
		" claim_owner = NULL, lease_until = NULL"
		" WHERE id = $1::int8 AND claim_owner = $2::text"
		" RETURNING state, forward_keep", 5},
	[SF_RQ_RETRY] = {"sf_fwd_retry",
		"UPDATE sfwd_message SET forward_attempts = forward_attempts + 1,"
		" forward_code = $3::int4, forward_done = $4::int4,"
		" forward_at = now() + make_interval(secs => $5::int4),"
		" claim_owner = NULL, lease_until = NULL"
		" WHERE id = $1::int8 AND claim_owner = $2::text", 5},
	/* claims this process held before it restarted */
	[SF_RQ_RELEASE] = {"sf_fwd_release",
		"UPDATE sfwd_message SET claim_owner = NULL, lease_until = NULL"
		" WHERE claim_owner = $1::text", 1},
	/* the row's token (for its link and its SMS delivery reports): the
	 * one it has, else $3 */
	[SF_RQ_TOKEN] = {"sf_fwd_token",
		"UPDATE sfwd_message SET fetch_token = coalesce(fetch_token, $3::text)"
		" WHERE id = $1::int8 AND claim_owner = $2::text"
		" RETURNING fetch_token", 3},
	/* sent to every target, an SMS among them: waits for the gateway's
	 * delivery report ('sms') or the GET of its link ('fetch'); a row
	 * with forward_keep stays queued for SIP instead (SF_RQ_KEEP) */
	[SF_RQ_WAIT] = {"sf_fwd_wait",
		"UPDATE sfwd_message SET state = $3::text, forward_at = NULL,"
		" forward_done = $4::int4, claim_owner = NULL, lease_until = NULL"
		" WHERE id = $1::int8 AND claim_owner = $2::text AND NOT forward_keep"
		" AND state IN ('queued', 'forward', 'sms')"
		" RETURNING id", 4},
	/* before the last SMS text of a row goes: 'sms' already, so that a
	 * delivery report coming back at once finds it waiting */
	[SF_RQ_MARK] = {"sf_fwd_mark",
		"UPDATE sfwd_message SET state = 'sms'"
		" WHERE id = $1::int8 AND claim_owner = $2::text AND NOT forward_keep"
		" AND state IN ('queued', 'forward')"
		" RETURNING id", 2},
	/* ... and back when it did not go */
	[SF_RQ_UNMARK] = {"sf_fwd_unmark",
		"UPDATE sfwd_message SET state = $3::text"
		" WHERE id = $1::int8 AND claim_owner = $2::text AND state = 'sms'"
		" RETURNING id", 3},
};
/* clang-format on */

#define SF_REACH_MAX_TARGETS 16

/* the outcome of one send */
enum
{
	SF_SENT = 0,
	SF_AGAIN,  /* SMTP 4xx, HTTP 5xx, no connection, timeout */
	SF_REFUSED /* SMTP 5xx, HTTP 4xx or a target that cannot be served */
};

static sf_db_t _sf_rdb;
static char _sf_owner[256];
static CURL *_sf_curl;

static sf_buf_t sf_rcol(PGresult *res, int row, int col)
{
	sf_buf_t b;

	b.s = PQgetvalue(res, row, col);
	b.len = PQgetisnull(res, row, col) ? 0 : (size_t)PQgetlength(res, row, col);
	return b;
}

/* the value of header `name` among the row's kept headers ("Name: value
 * CRLF" each), empty when absent */
static sf_buf_t sf_row_header(sf_buf_t hdrs, const char *name)
{
	sf_buf_t out = {"", 0};
	const char *v = sf_hdr_value(hdrs.s, hdrs.len, name, &out.len);

	if(v != NULL)
		out.s = v;
	return out;
}

/* libcurl's upload source: the mail */
typedef struct sf_upload
{
	const char *p;
	size_t left;
} sf_upload_t;

static size_t sf_upload_read(char *buf, size_t size, size_t n, void *arg)
{
	sf_upload_t *u = arg;
	size_t k = size * n;

	if(k > u->left)
		k = u->left;
	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* "<addr>" for MAIL FROM / RCPT TO; -1 too long */
static int sf_angle(char *out, size_t size, const char *addr, size_t len)
{
	return sf_fmt(out, size, "<%.*s>", (int)len, addr);
}

/* send one mail to one address through smtp_url; *code the last SMTP
 * reply (0: none) */
static int sf_smtp_send(const char *rcpt, size_t rcpt_len, const char *mail,
		size_t mail_len, long *code)
{
	char from[300], to[300], url[1024];
	struct curl_slist *rcpts;
	sf_upload_t up = {mail, mail_len};
	CURLcode rc;

	*code = 0;
	if(sf_angle(to, sizeof(to), rcpt, rcpt_len) < 0
			|| sf_angle(from, sizeof(from), _sf_cfg.smtp_from.s,
					   _sf_cfg.smtp_from.len)
					   < 0
			|| sf_fmt(url, sizeof(url), "%.*s", _sf_cfg.smtp_url.len,
					   _sf_cfg.smtp_url.s)
					   < 0)
		return SF_REFUSED;
	rcpts = curl_slist_append(NULL, to);
	if(rcpts == NULL)
		return SF_AGAIN;
	curl_easy_reset(_sf_curl);
	curl_easy_setopt(_sf_curl, CURLOPT_URL, url);
	curl_easy_setopt(_sf_curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(_sf_curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(_sf_curl, CURLOPT_READFUNCTION, sf_upload_read);
	curl_easy_setopt(_sf_curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(_sf_curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(_sf_curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)mail_len);
	curl_easy_setopt(_sf_curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(
			_sf_curl, CURLOPT_TIMEOUT_MS, (long)_sf_cfg.forward_timeout_ms);
	curl_easy_setopt(_sf_curl, CURLOPT_CONNECTTIMEOUT_MS,
			(long)_sf_cfg.forward_timeout_ms);
	rc = curl_easy_perform(_sf_curl);
	curl_easy_getinfo(_sf_curl, CURLINFO_RESPONSE_CODE, code);
	curl_slist_free_all(rcpts);
	if(rc == CURLE_OK)
		return SF_SENT;
	LM_INFO("mail to %.*s: %s (SMTP %ld)\n", (int)rcpt_len, rcpt,
			curl_easy_strerror(rc), *code);
	return (*code >= 500 && *code < 600) ? SF_REFUSED : SF_AGAIN;
}

/* what the sms: targets of a row get, worked out before the first one */
typedef struct sf_sms_row
{
	int state;	   /* 0 not yet, 1 ready */
	int notice;	   /* 1 a notice with a link, 0 the text itself */
	int last;	   /* 1 the row's last target to send */
	int marked;	   /* 1 the row is 'sms' already (SF_RQ_MARK) */
	sf_buf_t text; /* the SMS text */
	char token[SF_FETCH_TOKEN_LEN + 1]; /* "" none (no http_url) */
	char buf[SF_FETCH_NOTICE_MAX];
} sf_sms_row_t;

/* whether the row's content goes as the SMS text itself (*text): plain
 * text in UTF-8 or US-ASCII, or such text in message/cpim, not
 * content-encoded, valid UTF-8, within ten parts (sf_sms_text), and the
 * recipient did not ask for notices */
static int sf_sms_is_text(PGresult *res, int row, sf_buf_t *text)
{
	if(PQgetvalue(res, row, SF_CR_DELIVER_NOTIFY)[0] != 0
			|| sf_row_header(
					   sf_rcol(res, row, SF_CR_HEADERS), "Content-Encoding")
							   .len
					   > 0)
		return 0;
	return sf_sms_text(sf_rcol(res, row, SF_CR_CONTENT_TYPE),
			sf_rcol(res, row, SF_CR_BODY), text);
}

/* the row's token: the one it has, else a new one written with it */
static int sf_sms_token(PGresult *res, int row, char *out)
{
	char id[24], fresh[SF_FETCH_TOKEN_LEN + 1];
	const char *v[3];
	sf_buf_t have = sf_rcol(res, row, SF_CR_TOKEN);
	PGresult *r;
	int ok = 0;

	if(sf_fetch_token_valid(have.s, have.len)) {
		memcpy(out, have.s, SF_FETCH_TOKEN_LEN);
		out[SF_FETCH_TOKEN_LEN] = '\0';
		return 0;
	}
	if(sf_fetch_token(fresh) < 0) {
		LM_ERR("no random bytes for a token\n");
		return -1;
	}
	sf_fmt(id, sizeof(id), "%lld", sf_db_int(res, row, SF_CR_ID));
	v[0] = id;
	v[1] = _sf_owner;
	v[2] = fresh;
	r = sf_db_exec(&_sf_rdb, SF_RQ_TOKEN, v, NULL, NULL, 0);
	if(r == NULL) {
		LM_WARN("forward: database error %d\n", _sf_rdb.last_err);
		return -1;
	}
	if(PQntuples(r) == 1
			&& sf_fetch_token_valid(
					PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0))) {
		memcpy(out, PQgetvalue(r, 0, 0), SF_FETCH_TOKEN_LEN);
		out[SF_FETCH_TOKEN_LEN] = '\0';
		ok = 1;
	}
	PQclear(r);
	return ok ? 0 : -1;
}

/* the text and the token of the row's SMS, once per row */
static int sf_sms_prepare(PGresult *res, int row, sf_sms_row_t *m)
{
	sf_fetch_notice_in_t in;
	sf_buf_t base = sf_bufv(_sf_cfg.http_url.s, (size_t)_sf_cfg.http_url.len);
	char url[512];
	sf_buf_t body;
	int text = sf_sms_is_text(res, row, &body), n;

	if(m->state == 1)
		return SF_SENT;
	if(!text && base.len == 0) {
		LM_INFO("message %lld: not a text for an SMS, and no http_url for"
				" a link to it\n",
				sf_db_int(res, row, SF_CR_ID));
		return SF_REFUSED;
	}
	m->token[0] = '\0';
	if(base.len > 0 && sf_sms_token(res, row, m->token) < 0)
		return SF_AGAIN;
	m->notice = !text;
	if(text) {
		m->text = body;
		m->state = 1;
		return SF_SENT;
	}
	memset(&in, 0, sizeof(in));
	in.from_name = sf_rcol(res, row, SF_CR_FROM_NAME);
	in.from_uri = sf_rcol(res, row, SF_CR_FROM_URI);
	in.subject = sf_row_header(sf_rcol(res, row, SF_CR_HEADERS), "Subject");
	in.content_type = sf_rcol(res, row, SF_CR_CONTENT_TYPE);
	in.size = (long long)sf_rcol(res, row, SF_CR_BODY).len;
	n = sf_fetch_url(url, sizeof(url), base, "m", m->token);
	in.url = sf_bufv(url, n < 0 ? 0 : (size_t)n);
	if(n >= 0)
		n = sf_fetch_notice(m->buf, sizeof(m->buf), &in);
	if(n < 0) {
		LM_ERR("message %lld: cannot build the notice\n",
				sf_db_int(res, row, SF_CR_ID));
		return SF_REFUSED;
	}
	m->text = sf_bufv(m->buf, (size_t)n);
	m->state = 1;
	return SF_SENT;
}

/* libcurl's sink: the start of the gateway's answer, printable ASCII */
typedef struct sf_answer
{
	char s[128];
	size_t len;
} sf_answer_t;

static size_t sf_answer_write(char *buf, size_t size, size_t n, void *arg)
{
	sf_answer_t *a = arg;
	size_t k = size * n, i;

	for(i = 0; i < k && a->len + 1 < sizeof(a->s); i++)
		a->s[a->len++] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? buf[i] : ' ';
	a->s[a->len] = '\0';
	return k;
}

/* send the row's SMS to number num ("+digits") through Kannel's sendsms
 * (a GET to kannel_url); *code the HTTP status (0: none). The URL holds
 * the password: it is never logged, and wiped after use. */
static int sf_kannel_send(
		PGresult *res, int row, const sf_sms_row_t *m, sf_buf_t num, long *code)
{
	sf_sms_req_t rq;
	sf_answer_t ans;
	sf_buf_t base = sf_bufv(_sf_cfg.http_url.s, (size_t)_sf_cfg.http_url.len);
	char dlr[600], *url;
	size_t size;
	int k, n;
	CURLcode rc;

	*code = 0;
	memset(&rq, 0, sizeof(rq));
	rq.user = sf_bufv(_sf_cfg.kannel_user.s, (size_t)_sf_cfg.kannel_user.len);
	rq.pass = sf_bufv(_sf_cfg.kannel_pass.s, (size_t)_sf_cfg.kannel_pass.len);
	rq.from = sf_sms_sender(
			sf_bufv(_sf_cfg.kannel_from.s, (size_t)_sf_cfg.kannel_from.len),
			sf_rcol(res, row, SF_CR_FROM_URI));
	rq.to = num;
	rq.text = m->text;
	if(m->token[0] != '\0') {
		/* the gateway puts the report's type for %d */
		k = sf_fetch_url(dlr, sizeof(dlr), base, "dlr", m->token);
		if(k < 0 || sf_fmt(dlr + k, sizeof(dlr) - (size_t)k, "?type=%%d") < 0)
			return SF_REFUSED;
		rq.dlr_url = sf_bufv(dlr, strlen(dlr));
	}
	size = (size_t)_sf_cfg.kannel_url.len + 128
		   + 3
					 * (rq.user.len + rq.pass.len + rq.from.len + rq.to.len
							 + rq.text.len + rq.dlr_url.len);
	url = malloc(size);
	if(url == NULL)
		return SF_AGAIN;
	k = sf_fmt(url, size, "%.*s%c", _sf_cfg.kannel_url.len,
			_sf_cfg.kannel_url.s,
			memchr(_sf_cfg.kannel_url.s, '?', _sf_cfg.kannel_url.len) ? '&'
																	  : '?');
	n = k < 0 ? -1 : sf_sms_query(url + k, size - (size_t)k, &rq);
	if(n < 0) {
		LM_ERR("message %lld: cannot build the SMS request\n",
				sf_db_int(res, row, SF_CR_ID));
		free(url);
		return SF_REFUSED;
	}
	ans.len = 0;
	ans.s[0] = '\0';
	curl_easy_reset(_sf_curl);
	curl_easy_setopt(_sf_curl, CURLOPT_URL, url);
	curl_easy_setopt(_sf_curl, CURLOPT_HTTPGET, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(_sf_curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(
			_sf_curl, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(_sf_curl, CURLOPT_WRITEFUNCTION, sf_answer_write);
	curl_easy_setopt(_sf_curl, CURLOPT_WRITEDATA, &ans);
	curl_easy_setopt(_sf_curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(
			_sf_curl, CURLOPT_TIMEOUT_MS, (long)_sf_cfg.forward_timeout_ms);
	curl_easy_setopt(_sf_curl, CURLOPT_CONNECTTIMEOUT_MS,
			(long)_sf_cfg.forward_timeout_ms);
	rc = curl_easy_perform(_sf_curl);
	curl_easy_getinfo(_sf_curl, CURLINFO_RESPONSE_CODE, code);
	/* libcurl keeps a copy of the URL until the next reset */
	curl_easy_reset(_sf_curl);
	memset(url, 0, size);
	free(url);
	if(rc != CURLE_OK) {
		LM_INFO("message %lld: SMS to %.*s: %s\n",
				sf_db_int(res, row, SF_CR_ID), (int)num.len, num.s,
				curl_easy_strerror(rc));
		*code = 0;
		return SF_AGAIN;
	}
	if(*code >= 200 && *code < 300) {
		LM_DBG("message %lld: SMS to %.*s: %ld %s\n",
				sf_db_int(res, row, SF_CR_ID), (int)num.len, num.s, *code,
				ans.s);
		return SF_SENT;
	}
	LM_INFO("message %lld: SMS to %.*s: HTTP %ld (%s)\n",
			sf_db_int(res, row, SF_CR_ID), (int)num.len, num.s, *code, ans.s);
	return (*code >= 400 && *code < 500) ? SF_REFUSED : SF_AGAIN;
}

static int sf_exec(int idx, const char *const *v);

/* SF_RQ_MARK or SF_RQ_UNMARK (back to the state it was claimed in) */
static int sf_sms_mark(PGresult *res, int row, int idx)
{
	char id[24];
	const char *v[3];

	sf_fmt(id, sizeof(id), "%lld", sf_db_int(res, row, SF_CR_ID));
	v[0] = id;
	v[1] = _sf_owner;
	v[2] = PQgetvalue(res, row, SF_CR_STATE);
	return sf_exec(idx, v);
}

/* forward row `row` to its target `t` ("mailto:addr" or "sms:+digits");
 * *code the reply */
static int sf_forward_one(PGresult *res, int row, const char *t, size_t tlen,
		sf_sms_row_t *m, long *code)
{
	sf_mail_in_t in;
	sf_buf_t hdrs = sf_rcol(res, row, SF_CR_HEADERS), num;
	char *mail;
	int size, n, r;

	*code = 0;
	if(_sf_cfg.kannel_url.len > 0 && sf_sms_target(t, tlen, &num) == 0) {
		r = sf_sms_prepare(res, row, m);
		if(r != SF_SENT)
			return r;
		/* Kannel may report the delivery before its answer to the send
		 * is read here: the row is to wait for it before it goes */
		if(m->last && !m->notice && m->token[0] != '\0' && !m->marked)
			m->marked = sf_sms_mark(res, row, SF_RQ_MARK) == 1;
		r = sf_kannel_send(res, row, m, num, code);
		if(r != SF_SENT && m->marked) {
			sf_sms_mark(res, row, SF_RQ_UNMARK);
			m->marked = 0;
		}
		return r;
	}
	if(tlen <= 7 || strncmp(t, "mailto:", 7) != 0
			|| _sf_cfg.smtp_url.len == 0) {
		LM_INFO("message %lld: no gateway for %.*s\n",
				sf_db_int(res, row, SF_CR_ID), (int)tlen, t);
		return SF_REFUSED;
	}
	memset(&in, 0, sizeof(in));
	in.from_name = sf_rcol(res, row, SF_CR_FROM_NAME);
	in.from_uri = sf_rcol(res, row, SF_CR_FROM_URI);
	in.to_addr.s = t + 7;
	in.to_addr.len = tlen - 7;
	in.sender.s = _sf_cfg.smtp_from.s;
	in.sender.len = (size_t)_sf_cfg.smtp_from.len;
	in.subject = sf_row_header(hdrs, "Subject");
	in.date = (long long)sf_db_float(res, row, SF_CR_RECEIVED);
	in.content_type = sf_rcol(res, row, SF_CR_CONTENT_TYPE);
	in.content_encoding = sf_row_header(hdrs, "Content-Encoding");
	in.body = sf_rcol(res, row, SF_CR_BODY);
	in.id = sf_db_int(res, row, SF_CR_ID);
	in.host.s = memchr(_sf_cfg.smtp_from.s, '@', _sf_cfg.smtp_from.len);
	if(in.host.s != NULL) {
		in.host.s++;
		in.host.len = (size_t)(_sf_cfg.smtp_from.s + _sf_cfg.smtp_from.len
							   - in.host.s);
	} else {
		in.host.s = "sfwd.invalid";
		in.host.len = strlen(in.host.s);
	}
	size = sf_mail_size(&in);
	if(size <= 0)
		return SF_REFUSED;
	/* a dedicated process: the body may be megabytes, beyond pkg memory */
	mail = malloc((size_t)size + 1);
	if(mail == NULL)
		return SF_AGAIN;
	n = sf_mail_build(&in, mail, (size_t)size + 1);
	if(n < 0) {
		LM_ERR("message %lld: cannot build the mail (%d)\n", in.id, n);
		free(mail);
		return SF_REFUSED;
	}
	r = sf_smtp_send(t + 7, tlen - 7, mail, (size_t)n, code);
	free(mail);
	return r;
}

/* the report and the event of a row that ended */
static void sf_row_outcome(
		PGresult *res, int row, int delivered, const char *state, int code)
{
	static const sf_report_cols_t cols = {SF_CR_ID, SF_CR_FROM_URI,
			SF_CR_FROM_NAME, SF_CR_TO_URI, SF_CR_IMDN_ID, SF_CR_RECEIVED,
			SF_CR_IMDN_DATETIME, SF_CR_NOTIFY};
	sf_report_src_t src;
	str aor;

	aor.s = PQgetvalue(res, row, SF_CR_AOR);
	aor.len = PQgetlength(res, row, SF_CR_AOR);
	sf_report_src_row(&src, res, row, &cols);
	sf_report(&src, delivered ? SF_IMDN_DELIVERED : SF_IMDN_FAILED);
	sf_event_outcome(delivered, src.id, &aor, &src.from_uri, state, code);
}

static int sf_exec(int idx, const char *const *v)
{
	PGresult *r = sf_db_exec(&_sf_rdb, idx, v, NULL, NULL, 0);
	int n;

	if(r == NULL) {
		LM_WARN("forward: database error %d\n", _sf_rdb.last_err);
		return -1;
	}
	n = PQntuples(r) > 0 ? 1 : 0;
	if(n && idx == SF_RQ_FAIL && strcmp(PQgetvalue(r, 0, 0), "queued") == 0)
		n = 2; /* still queued for SIP */
	else if(n && (idx == SF_RQ_FAIL || idx == SF_RQ_FORWARDED)
			&& PQgetvalue(r, 0, idx == SF_RQ_FAIL ? 1 : 0)[0] == 't')
		n = 3; /* a copy of one delivered over SIP: its report went */
	PQclear(r);
	return n;
}

/* forward one claimed row to its remaining targets */
static void sf_forward_row(PGresult *res, int row)
{
	char id[24], done_s[16], code_s[16], wait_s[16];
	const char *v[5];
	sf_buf_t to = sf_rcol(res, row, SF_CR_FORWARD_TO);
	int done = (int)sf_db_int(res, row, SF_CR_DONE);
	int attempts = (int)sf_db_int(res, row, SF_CR_ATTEMPTS);
	int expired = PQgetvalue(res, row, SF_CR_EXPIRED)[0] != 0;
	int i, nt = 0, pass, r = SF_SENT, n, has_sms = 0, sms_left = 0;
	size_t p = 0, e, ts[SF_REACH_MAX_TARGETS], te[SF_REACH_MAX_TARGETS];
	char sms[SF_REACH_MAX_TARGETS];
	long code = 0;
	sf_sms_row_t m;
	sf_buf_t body;
	const char *wait = NULL;

	memset(&m, 0, sizeof(m));
	sf_fmt(id, sizeof(id), "%lld", sf_db_int(res, row, SF_CR_ID));
	while(p < to.len && nt < SF_REACH_MAX_TARGETS) {
		for(e = p; e < to.len && to.s[e] != ' '; e++)
			;
		ts[nt] = p;
		te[nt] = e;
		sms[nt] = e - p > 4 && strncmp(to.s + p, "sms:", 4) == 0;
		has_sms |= sms[nt];
		if(sms[nt] && e > p && !(done & (1 << nt)))
			sms_left++;
		nt++;
		p = e + 1;
	}
	/* the sms: targets last: the row may end with their delivery report */
	for(pass = 0; !expired && pass < 2 && r == SF_SENT; pass++) {
		for(i = 0; i < nt; i++) {
			if(sms[i] != pass || te[i] == ts[i] || (done & (1 << i)))
				continue;
			m.last = pass == 1 && sms_left == 1;
			r = sf_forward_one(
					res, row, to.s + ts[i], te[i] - ts[i], &m, &code);
			if(r != SF_SENT)
				break;
			done |= 1 << i;
			if(pass == 1)
				sms_left--;
		}
	}
	sf_fmt(done_s, sizeof(done_s), "%d", done);
	v[0] = id;
	v[1] = _sf_owner;
	if(!expired && r == SF_SENT) {
		update_stat(_sf_stat_forwarded, 1);
		/* an SMS went out: the row waits for the gateway's delivery
		 * report, or for the GET of the notice's link; the report to the
		 * sender comes then (sf_http). Not a row kept for SIP (or a copy
		 * of one delivered over SIP): it goes on as after a mail. */
		if(has_sms && PQgetvalue(res, row, SF_CR_KEEP)[0] == 0) {
			if(!sf_sms_is_text(res, row, &body))
				wait = "fetch";
			else if(_sf_cfg.http_url.len > 0)
				wait = "sms";
		}
		if(wait != NULL) {
			/* no row: Kannel's report came first and ended it */
			v[2] = wait;
			v[3] = done_s;
			sf_exec(SF_RQ_WAIT, v);
			return;
		}
		n = sf_exec(SF_RQ_FORWARDED, v);
		if(n == 1)
			sf_row_outcome(res, row, 1, "forwarded", 250);
		if(n >= 1)
			return;
		v[2] = done_s;
		sf_exec(SF_RQ_KEEP, v);
		return;
	}
	sf_fmt(code_s, sizeof(code_s), "%ld", expired ? 408L : code);
	v[2] = code_s;
	v[3] = done_s;
	if(!expired && r == SF_AGAIN
			&& attempts + 1 < _sf_cfg.forward_max_attempts) {
		update_stat(_sf_stat_forward_retries, 1);
		sf_fmt(wait_s, sizeof(wait_s), "%d",
				sf_backoff(attempts + 1, _sf_cfg.retry_interval,
						_sf_cfg.max_retry_interval));
		v[4] = wait_s;
		sf_exec(SF_RQ_RETRY, v);
		return;
	}
	v[4] = expired ? "expired" : "failed";
	update_stat(_sf_stat_forward_failed, 1);
	n = sf_exec(SF_RQ_FAIL, v);
	if(n == 1)
		sf_row_outcome(res, row, 0, v[4], (int)(expired ? 408 : code));
}

static void sf_reach_main(void)
{
	char lease[16], batch[16];
	const char *v[3];
	PGresult *res;
	int i, n;

	if(sf_fmt(_sf_owner, sizeof(_sf_owner), "%.*s/%d", _sf_cfg.node_id.len,
			   _sf_cfg.node_id.s, (int)getpid())
			< 0) {
		LM_ERR("node_id too long\n");
		exit(-1);
	}
	_sf_curl = curl_easy_init();
	if(_sf_curl == NULL) {
		LM_ERR("cannot set up libcurl\n");
		exit(-1);
	}
	sf_db_init(&_sf_rdb, _sf_cfg.db_url, _sf_cfg.flush_db_timeout_ms,
			sf_reach_stmts, SF_RQ_COUNT, SF_SCHEMA_VERSION);
	sf_fmt(lease, sizeof(lease), "%d", _sf_cfg.lease_time);
	sf_fmt(batch, sizeof(batch), "%d", _sf_cfg.forward_batch);
	LM_INFO("forwarding process started as %s (SMTP %.*s, Kannel %s)\n",
			_sf_owner, _sf_cfg.smtp_url.len, _sf_cfg.smtp_url.s,
			_sf_cfg.kannel_url.len > 0 ? "set" : "none");
	for(;;) {
		cfg_update();
		v[0] = _sf_owner;
		v[1] = lease;
		v[2] = batch;
		res = sf_db_exec(&_sf_rdb, SF_RQ_CLAIM, v, NULL, NULL, 1);
		n = res ? PQntuples(res) : 0;
		for(i = 0; i < n; i++)
			sf_forward_row(res, i);
		if(res)
			PQclear(res);
		/* a full batch: more may be due at once */
		if(n < _sf_cfg.forward_batch)
			poll(NULL, 0, _sf_cfg.forward_interval_ms);
	}
}

/* 1 when the range starts with the lower-case literal (any case) */
static int sf_reach_prefix(str *s, const char *lit)
{
	return sf_buf_iprefix(s->s, (size_t)s->len, lit);
}

int sf_reach_mod_init(void)
{
	if(_sf_cfg.smtp_url.len == 0 && _sf_cfg.kannel_url.len == 0)
		return 0;
	if(_sf_cfg.kannel_url.len > 0
			&& ((!sf_reach_prefix(&_sf_cfg.kannel_url, "http://")
						&& !sf_reach_prefix(&_sf_cfg.kannel_url, "https://"))
					|| memchr(_sf_cfg.kannel_url.s, ' ', _sf_cfg.kannel_url.len)
							   != NULL
					|| memchr(_sf_cfg.kannel_url.s, '\n',
							   _sf_cfg.kannel_url.len)
							   != NULL)) {
		LM_ERR("kannel_url must be an http:// or https:// URL (Kannel's"
			   " sendsms)\n");
		return -1;
	}
	if(_sf_cfg.kannel_url.len > 0 && _sf_cfg.http_url.len == 0)
		LM_WARN("kannel_url without http_url: no delivery reports of"
				" SMS, and no SMS of content that is not a short text\n");
	if(_sf_cfg.smtp_url.len > 0
			&& (_sf_cfg.smtp_from.len == 0
					|| memchr(_sf_cfg.smtp_from.s, '@', _sf_cfg.smtp_from.len)
							   == NULL
					|| memchr(_sf_cfg.smtp_from.s, '<', _sf_cfg.smtp_from.len)
							   != NULL
					|| memchr(_sf_cfg.smtp_from.s, '\n', _sf_cfg.smtp_from.len)
							   != NULL)) {
		LM_ERR("smtp_url needs smtp_from, an address (user@domain)\n");
		return -1;
	}
	if(curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		LM_ERR("cannot initialise libcurl\n");
		return -1;
	}
	register_procs(1);
	cfg_register_child(1);
	return 0;
}

int sf_reach_fork(void)
{
	int pid;

	if(_sf_cfg.smtp_url.len == 0 && _sf_cfg.kannel_url.len == 0)
		return 0;
	pid = fork_process(PROC_RPC, "sfwd reach", 1);
	if(pid < 0) {
		LM_ERR("cannot fork the forwarding process\n");
		return -1;
	}
	if(pid == 0) {
		if(cfg_child_init())
			exit(-1);
		sf_reach_main();
		exit(0);
	}
	return 0;
}
