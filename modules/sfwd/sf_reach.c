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
#include "sf_imdn.h"
#include "sf_mail.h"
#include "sf_notify.h"
#include "sf_reach.h"
#include "sf_stats.h"
#include "sf_store.h"

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
	SF_CR_EXPIRED
};

enum
{
	SF_RQ_CLAIM = 0,
	SF_RQ_FORWARDED,
	SF_RQ_KEEP,
	SF_RQ_FAIL,
	SF_RQ_RETRY,
	SF_RQ_RELEASE,
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
		" expires <= now())"
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
};
/* clang-format on */

#define SF_REACH_MAX_TARGETS 16

/* the outcome of one send */
enum
{
	SF_SENT = 0,
	SF_AGAIN,  /* 4xx, no connection, timeout */
	SF_REFUSED /* 5xx or a target that cannot be served */
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
	size_t nl = strlen(name), i = 0, e, v;
	sf_buf_t out = {"", 0};

	while(i < hdrs.len) {
		for(e = i; e < hdrs.len && hdrs.s[e] != '\n'; e++)
			;
		if(e - i > nl && hdrs.s[i + nl] == ':'
				&& strncasecmp(hdrs.s + i, name, nl) == 0) {
			for(v = i + nl + 1;
					v < e && (hdrs.s[v] == ' ' || hdrs.s[v] == '\t'); v++)
				;
			out.s = hdrs.s + v;
			out.len = e - v;
			if(out.len > 0 && out.s[out.len - 1] == '\r')
				out.len--;
			return out;
		}
		i = e + 1;
	}
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

/* forward row `row` to its target `t` ("mailto:addr"); *code the reply */
static int sf_forward_one(
		PGresult *res, int row, const char *t, size_t tlen, long *code)
{
	sf_mail_in_t in;
	sf_buf_t hdrs = sf_rcol(res, row, SF_CR_HEADERS);
	char *mail;
	int size, n, r;

	*code = 0;
	if(tlen <= 7 || strncmp(t, "mailto:", 7) != 0) {
		/* sms: needs kannel_url (not configured in this build) */
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

/* the backoff before attempt `attempts` + 1 */
static int sf_backoff(int attempts)
{
	long long s = _sf_cfg.retry_interval;

	while(attempts-- > 0 && s < _sf_cfg.max_retry_interval)
		s *= 2;
	return (int)(s > _sf_cfg.max_retry_interval ? _sf_cfg.max_retry_interval
												: s);
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
	int i = 0, r = SF_SENT, n;
	size_t p = 0, e;
	long code = 0;

	sf_fmt(id, sizeof(id), "%lld", sf_db_int(res, row, SF_CR_ID));
	if(!expired) {
		while(p < to.len && i < SF_REACH_MAX_TARGETS) {
			for(e = p; e < to.len && to.s[e] != ' '; e++)
				;
			if(e > p && !(done & (1 << i))) {
				r = sf_forward_one(res, row, to.s + p, e - p, &code);
				if(r != SF_SENT)
					break;
				done |= 1 << i;
			}
			i++;
			p = e + 1;
		}
	}
	sf_fmt(done_s, sizeof(done_s), "%d", done);
	v[0] = id;
	v[1] = _sf_owner;
	if(!expired && r == SF_SENT) {
		update_stat(_sf_stat_forwarded, 1);
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
		sf_fmt(wait_s, sizeof(wait_s), "%d", sf_backoff(attempts));
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
	LM_INFO("forwarding process started as %s (SMTP %.*s)\n", _sf_owner,
			_sf_cfg.smtp_url.len, _sf_cfg.smtp_url.s);
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

int sf_reach_mod_init(void)
{
	if(_sf_cfg.smtp_url.len == 0)
		return 0;
	if(_sf_cfg.smtp_from.len == 0
			|| memchr(_sf_cfg.smtp_from.s, '@', _sf_cfg.smtp_from.len) == NULL
			|| memchr(_sf_cfg.smtp_from.s, '<', _sf_cfg.smtp_from.len) != NULL
			|| memchr(_sf_cfg.smtp_from.s, '\n', _sf_cfg.smtp_from.len)
					   != NULL) {
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

	if(_sf_cfg.smtp_url.len == 0)
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
