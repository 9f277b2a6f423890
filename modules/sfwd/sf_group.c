/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: group messages: sf_explode() (see sf_group.h)
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <jansson.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/mem.h"
#include "core/mem/shm.h"
#include "core/parser/hf.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_uri.h"
#include "core/socket_info.h"
#include "core/ut.h"
#include "modules/tm/dlg.h"
#include "modules/tm/t_hooks.h"
#include "modules/tm/uac.h"

#include "sf_buf.h"
#include "sf_cfg.h"
#include "sf_event.h"
#include "sf_group.h"
#include "sf_imdn.h"
#include "sf_intake.h"
#include "sf_mime.h"
#include "sf_notify.h"
#include "sf_request.h"
#include "sf_rlist.h"
#include "sf_stats.h"
#include "sf_store.h"
#include "sf_text.h"
#include "sf_tm.h"
#include "sf_ul.h"

/* the largest copy (UDP, to this proxy), and what its headers may take
 * beside the body */
#define SF_GROUP_COPY_MAX 60000
#define SF_GROUP_HDRS_MAX 4096

/* a recipient's AoR (user@host) */
#define SF_GROUP_AOR_MAX 320

/* one copy: its explosion and index (a tm callback's parameter) */
typedef struct sf_gcopy
{
	struct sf_explosion *x;
	int i;
} sf_gcopy_t;

/* one exploded request while its copies are in flight (one shm block:
 * this struct, the copies, the codes, then the strings) */
typedef struct sf_explosion
{
	unsigned int hash_index; /* the sender's suspended transaction */
	unsigned int label;
	int total;	 /* copies */
	int pending; /* copies without a final reply (under _sf_group_lock) */
	int delivered, stored, refused, lost;
	int notify; /* the sender's report bits */
	long long cseq;
	double received;
	str call_id, from_tag, from_uri, from_name, imdn_id, imdn_datetime;
	str *rcpt;		/* the recipients' AoRs */
	int *code;		/* each copy's final code */
	sf_gcopy_t *cp; /* callback parameters */
} sf_explosion_t;

/* a copy that was neither relayed, stored nor refused by its recipient:
 * no final reply (tm's 408), a server error on the way, not sent */
static int sf_group_lost(int code)
{
	return code == 408 || code >= 500 || code <= 0;
}

/* a statement of this SIP worker's connection; once more on a fresh
 * connection when the first found it broken (a connection idle since a
 * failover) */
static PGresult *sf_group_run(int st, int n, const char *const *param)
{
	sf_db_t *db = sf_intake_db();
	PGresult *res = sf_store_run(db, st, n, param);

	if(res == NULL && db->last_err == SF_DB_EDOWN && db->conn == NULL)
		res = sf_store_run(db, st, n, param);
	if(res == NULL)
		update_stat(_sf_stat_db_errors, 1);
	return res;
}

static gen_lock_t *_sf_group_lock = NULL;
int sf_group_mod_init(void)
{
	_sf_group_lock = lock_alloc();
	if(_sf_group_lock == NULL || lock_init(_sf_group_lock) == NULL) {
		LM_ERR("no shared memory for the group lock\n");
		return -1;
	}
	return 0;
}

void sf_group_destroy(void)
{
	if(_sf_group_lock) {
		lock_destroy(_sf_group_lock);
		lock_dealloc(_sf_group_lock);
		_sf_group_lock = NULL;
	}
}

/* FNV-1a 64 over the parts, each followed by a 0 byte */
static uint64_t sf_group_hash(const str *v, int n)
{
	uint64_t h = 1469598103934665603ULL;
	int i, j;

	for(i = 0; i < n; i++) {
		for(j = 0; j < v[i].len; j++) {
			h ^= (unsigned char)v[i].s[j];
			h *= 1099511628211ULL;
		}
		h *= 1099511628211ULL;
	}
	return h;
}

/* does any Require header name option tag `tag`? */
static int sf_group_required(sip_msg_t *msg, const char *tag)
{
	hdr_field_t *hf;

	for(hf = msg->headers; hf != NULL; hf = hf->next) {
		const char *p, *end;
		if(hf->type != HDR_REQUIRE_T)
			continue;
		p = hf->body.s;
		end = hf->body.s + hf->body.len;
		while(p < end) {
			const char *q = p;
			sf_buf_t t;
			while(q < end && *q != ',')
				q++;
			t = sf_buf_trim(p, (size_t)(q - p));
			if(sf_buf_ieq(t.s, t.len, tag))
				return 1;
			p = q + 1;
		}
	}
	return 0;
}

/* what one request explodes into (pkg memory, sf_group_free_plan()) */
typedef struct sf_plan
{
	char (*aor)[SF_GROUP_AOR_MAX]; /* the recipients' AoRs */
	int *copy;					   /* enum sf_copy of each */
	int n;
	sf_buf_t content;	/* the copies' body */
	sf_buf_t ctype;		/* and Content-Type */
	sf_buf_t part_hdrs; /* the content part's own headers (lists) */
	char *history;		/* recipient-list-history XML, or NULL */
	int history_len;
	sf_rlist_t list;	/* a list's entries (lists) */
	const char *reason; /* why the request is bad */
} sf_plan_t;

static void sf_group_free_plan(sf_plan_t *p)
{
	if(p->aor)
		pkg_free(p->aor);
	if(p->copy)
		pkg_free(p->copy);
	if(p->history)
		pkg_free(p->history);
	if(p->list.v)
		pkg_free(p->list.v);
	if(p->list.arena)
		pkg_free(p->list.arena);
	memset(p, 0, sizeof(*p));
}

static int sf_group_plan_alloc(sf_plan_t *p, int n)
{
	p->aor = pkg_malloc(sizeof(*p->aor) * (n > 0 ? n : 1));
	p->copy = pkg_malloc(sizeof(int) * (n > 0 ? n : 1));
	if(p->aor == NULL || p->copy == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	return 0;
}

/* the AoR of a URI as a C string in out; 0 ok, -1 not a SIP URI */
static int sf_group_aor(const char *uri, int len, char *out, int size)
{
	str u, a;
	sip_uri_t pu;

	u.s = (char *)uri;
	u.len = len;
	if(parse_uri(u.s, u.len, &pu) < 0
			|| (pu.type != SIP_URI_T && pu.type != SIPS_URI_T)
			|| pu.user.len == 0)
		return -1;
	/* decoded (%0D%0A...): it goes into the copy's URI and To as is */
	if(sf_aor_str(&u, out, size, &a) < 0
			|| !sf_aor_printable(a.s, (size_t)a.len))
		return -1;
	return 0;
}

/* an RFC 5365 list: the recipients, the content part */
static int sf_group_plan_list(sip_msg_t *msg, const str *sender, sf_plan_t *p)
{
	sf_buf_t body = sf_msg_body(msg), ct, params, part, hdrs, content;
	sf_buf_t list = {NULL, 0}, cpart = {NULL, 0}, chdrs = {NULL, 0};
	sf_mime_iter_t it;
	const char *v;
	size_t vlen;
	int i, r, max = _sf_cfg.max_recipients, nparts = 0;
	sf_buf_t sb;

	if(msg->content_type == NULL) {
		p->reason = "a recipient-list-message without a body";
		return SF_GROUP_EBAD;
	}
	if(sf_msg_body_encoded(msg)) {
		p->reason = "a recipient-list-message with an encoded body";
		return SF_GROUP_EBAD;
	}
	ct.s = msg->content_type->body.s;
	ct.len = msg->content_type->body.len;
	ct = sf_mime_type(ct, &params);
	if(!sf_buf_ieq(ct.s, ct.len, "multipart/mixed")
			|| sf_mime_open(params, body, &it) < 0) {
		p->reason = "a recipient-list-message body must be multipart/mixed";
		return SF_GROUP_EBAD;
	}
	while((r = sf_mime_next(&it, &part)) == 1) {
		sf_buf_t pct, disp;
		if(++nparts > 16)
			break;
		if(sf_mime_split(part, &hdrs, &content) < 0)
			continue;
		v = sf_hdr_value(hdrs.s, hdrs.len, "Content-Type", &vlen);
		pct = v ? sf_mime_type((sf_buf_t){v, vlen}, NULL)
				: (sf_buf_t){"text/plain", 10};
		v = sf_hdr_value(hdrs.s, hdrs.len, "Content-Disposition", &vlen);
		disp = v ? sf_mime_type((sf_buf_t){v, vlen}, NULL)
				 : (sf_buf_t){NULL, 0};
		if(sf_buf_ieq(pct.s, pct.len, "application/resource-lists+xml")
				&& sf_buf_ieq(disp.s, disp.len, "recipient-list")) {
			if(list.s != NULL) {
				p->reason = "more than one recipient-list part";
				return SF_GROUP_EBAD;
			}
			list = content;
		} else if(cpart.s == NULL) {
			cpart = content;
			chdrs = hdrs;
			v = sf_hdr_value(hdrs.s, hdrs.len, "Content-Type", &vlen);
			p->ctype = v ? sf_buf_trim(v, vlen) : (sf_buf_t){"text/plain", 10};
		} else {
			p->reason = "more than one content part";
			return SF_GROUP_EBAD;
		}
	}
	if(r < 0 || nparts > 16) {
		p->reason = "a malformed multipart body";
		return SF_GROUP_EBAD;
	}
	if(list.s == NULL || cpart.s == NULL) {
		p->reason = "a recipient-list-message needs a recipient-list part "
					"and a content part";
		return SF_GROUP_EBAD;
	}
	p->content = cpart;
	p->part_hdrs = chdrs;
	p->list.max = max;
	p->list.v = pkg_malloc(sizeof(sf_rlist_entry_t) * max);
	p->list.size = SF_RLIST_ARENA_SIZE(max);
	p->list.arena = pkg_malloc(p->list.size);
	if(p->list.v == NULL || p->list.arena == NULL) {
		PKG_MEM_ERROR;
		return SF_GROUP_EINTERNAL;
	}
	r = sf_rlist_parse(list.s, list.len, &p->list);
	if(r == SF_RLIST_ETOOMANY) {
		p->reason = "too many recipients";
		return SF_GROUP_ETOOMANY;
	}
	if(r < 0) {
		p->reason = "a malformed recipient list";
		return SF_GROUP_EBAD;
	}
	sb.s = sender->s;
	sb.len = (size_t)sender->len;
	sf_rlist_skip_sender(&p->list, sb);
	if(p->list.n == 0) {
		p->reason = "no recipient but the sender";
		return SF_GROUP_EBAD;
	}
	if(sf_group_plan_alloc(p, p->list.n) < 0)
		return SF_GROUP_EINTERNAL;
	for(i = 0; i < p->list.n; i++) {
		if(sf_group_aor(p->list.v[i].uri.s, (int)p->list.v[i].uri.len,
				   p->aor[i], SF_GROUP_AOR_MAX)
				< 0) {
			p->reason = "a recipient that is not a SIP URI";
			return SF_GROUP_EBAD;
		}
		p->copy[i] = p->list.v[i].copy;
	}
	p->n = p->list.n;
	if(_sf_cfg.group_history) {
		size_t hsize = (size_t)p->list.n * 300 + 512;
		p->history = pkg_malloc(hsize);
		if(p->history == NULL) {
			PKG_MEM_ERROR;
			return SF_GROUP_EINTERNAL;
		}
		p->history_len = sf_rlist_history(&p->list, p->history, hsize);
		if(p->history_len <= 0) {
			pkg_free(p->history);
			p->history = NULL;
			p->history_len = 0;
		}
	}
	return 0;
}

/* a server-side group: its members but the sender; SF_GROUP_ENONE when
 * the Request-URI names no group */
static int sf_group_plan_group(sip_msg_t *msg, const str *sender, sf_plan_t *p)
{
	char gbuf[SF_GROUP_AOR_MAX];
	str group;
	const char *param[1];
	PGresult *res;
	int i, n, member = 0, anyone = 0;

	if(parse_sip_msg_uri(msg) < 0)
		return SF_GROUP_ENONE;
	if(sf_aor_str(&msg->first_line.u.request.uri, gbuf, sizeof(gbuf), &group)
			< 0)
		return SF_GROUP_ENONE;
	/* no group at all (sfwd:groups, counted by the sweep and the RPCs):
	 * no query, and no wait on a database in trouble */
	if(sf_stats_groups() == 0)
		return SF_GROUP_ENONE;
	param[0] = gbuf;
	res = sf_group_run(SF_SQL_GROUP_MEMBERS, 1, param);
	if(res == NULL)
		return SF_GROUP_EDB;
	n = PQntuples(res);
	if(n == 0) {
		PQclear(res);
		return SF_GROUP_ENONE;
	}
	if(n > _sf_cfg.max_recipients + 1) {
		PQclear(res);
		p->reason = "the group has more members than max_recipients";
		return SF_GROUP_ETOOMANY;
	}
	if(sf_group_plan_alloc(p, n) < 0) {
		PQclear(res);
		return SF_GROUP_EINTERNAL;
	}
	anyone = strcmp(PQgetvalue(res, 0, 1), "anyone") == 0;
	for(i = 0; i < n; i++) {
		const char *m = PQgetvalue(res, i, 0);
		int len = PQgetlength(res, i, 0);
		if(len == sender->len && memcmp(m, sender->s, len) == 0) {
			member = 1;
			continue;
		}
		if(len <= 0 || len >= SF_GROUP_AOR_MAX)
			continue;
		memcpy(p->aor[p->n], m, len);
		p->aor[p->n][len] = '\0';
		p->copy[p->n] = SF_COPY_BCC; /* members are not listed */
		p->n++;
	}
	PQclear(res);
	if(!member && !anyone) {
		p->reason = "only members send to this group";
		return SF_GROUP_EFORBID;
	}
	if(p->n == 0) {
		p->reason = "no member but the sender";
		return SF_GROUP_EBAD;
	}
	if(p->n > _sf_cfg.max_recipients) {
		p->reason = "the group has more members than max_recipients";
		return SF_GROUP_ETOOMANY;
	}
	p->content = sf_msg_body(msg);
	if(msg->content_type)
		p->ctype = sf_buf_trim(
				msg->content_type->body.s, msg->content_type->body.len);
	else
		p->ctype = (sf_buf_t){"text/plain", 10};
	return 0;
}

/* statement st with the request's key: $1 Call-ID, $2 From tag, $3 CSeq,
 * then (nparams >= 4) $4 a JSON array of the AoRs of p whose byte in mask
 * is set (mask NULL: all of them), (nparams 5) $5 extra */
static PGresult *sf_group_key_run(sip_msg_t *msg, const sf_plan_t *p,
		const char *mask, int st, int nparams, const char *extra)
{
	json_t *a = NULL;
	char *js = NULL, *cid, *tag, cseq[24];
	const char *param[5];
	PGresult *res = NULL;
	str *ft = &get_from(msg)->tag_value;
	int i;

	cid = pkg_malloc(msg->callid->body.len + 1);
	tag = pkg_malloc(ft->len + 1);
	if(cid == NULL || tag == NULL)
		goto out;
	if(nparams >= 4) {
		a = json_array();
		if(a == NULL)
			goto out;
		for(i = 0; i < p->n; i++)
			if(mask == NULL || mask[i])
				json_array_append_new(a, json_string(p->aor[i]));
		js = json_dumps(a, JSON_COMPACT);
		if(js == NULL)
			goto out;
	}
	if(sf_fmt(cseq, sizeof(cseq), "%lld",
			   strtoll(get_cseq(msg)->number.s, NULL, 10))
			< 0)
		goto out;
	memcpy(cid, msg->callid->body.s, msg->callid->body.len);
	cid[msg->callid->body.len] = '\0';
	memcpy(tag, ft->s, ft->len);
	tag[ft->len] = '\0';
	param[0] = cid;
	param[1] = tag;
	param[2] = cseq;
	param[3] = js;
	param[4] = extra;
	res = sf_group_run(st, nparams, param);
out:
	if(js)
		free(js);
	if(a)
		json_decref(a);
	if(cid)
		pkg_free(cid);
	if(tag)
		pkg_free(tag);
	return res;
}

/* the recipients nobody sends to now (sfwd_group_sent: new ones, and
 * those an explosion claimed long ago without an outcome: a crash):
 * send[i] = 1; the count, or SF_GROUP_EDB */
static int sf_group_claim(sip_msg_t *msg, const sf_plan_t *p, char *send)
{
	PGresult *res;
	char stale[16];
	int i, j, n;

	if(sf_fmt(stale, sizeof(stale), "%d", _sf_cfg.group_timeout + 5) < 0)
		return SF_GROUP_EINTERNAL;
	res = sf_group_key_run(msg, p, NULL, SF_SQL_GROUP_SENT, 5, stale);
	if(res == NULL)
		return SF_GROUP_EDB;
	memset(send, 0, p->n);
	n = PQntuples(res);
	for(j = 0; j < n; j++) {
		const char *r = PQgetvalue(res, j, 0);
		for(i = 0; i < p->n; i++) {
			if(!send[i] && strcmp(p->aor[i], r) == 0) {
				send[i] = 1;
				break;
			}
		}
	}
	PQclear(res);
	return n;
}

/* the end of an explosion in sfwd_group_sent: the recipients whose copy
 * had an outcome are done, those whose copy was lost are forgotten (a
 * retransmission sends them); runs once, where the last copy ended */
static void sf_group_settle(const sf_explosion_t *x)
{
	json_t *done, *lost;
	char *jd = NULL, *jl = NULL, cseq[24];
	char *cid, *tag;
	const char *param[5];
	PGresult *res;
	int i;

	done = json_array();
	lost = json_array();
	cid = pkg_malloc(x->call_id.len + 1);
	tag = pkg_malloc(x->from_tag.len + 1);
	if(done == NULL || lost == NULL || cid == NULL || tag == NULL)
		goto out;
	for(i = 0; i < x->total; i++) {
		str r = x->rcpt[i];
		if(r.len > 4 && strncmp(r.s, "sip:", 4) == 0) {
			r.s += 4;
			r.len -= 4;
		}
		json_array_append_new(sf_group_lost(x->code[i]) ? lost : done,
				json_stringn(r.s, r.len));
	}
	jd = json_dumps(done, JSON_COMPACT);
	jl = json_dumps(lost, JSON_COMPACT);
	if(jd == NULL || jl == NULL
			|| sf_fmt(cseq, sizeof(cseq), "%lld", x->cseq) < 0)
		goto out;
	memcpy(cid, x->call_id.s, x->call_id.len);
	cid[x->call_id.len] = '\0';
	memcpy(tag, x->from_tag.s, x->from_tag.len);
	tag[x->from_tag.len] = '\0';
	param[0] = cid;
	param[1] = tag;
	param[2] = cseq;
	param[3] = jd;
	param[4] = jl;
	res = sf_group_run(SF_SQL_GROUP_SETTLE, 5, param);
	if(res == NULL)
		LM_WARN("cannot record the copies of group message call-id %.*s: a "
				"retransmission after %d s sends them again\n",
				x->call_id.len, x->call_id.s, _sf_cfg.group_timeout + 5);
	else
		PQclear(res);
out:
	if(jd)
		free(jd);
	if(jl)
		free(jl);
	if(done)
		json_decref(done);
	if(lost)
		json_decref(lost);
	if(cid)
		pkg_free(cid);
	if(tag)
		pkg_free(tag);
}

/* copy s into the block at *pos */
static void sf_group_put(str *dst, const char *s, int len, char **pos)
{
	dst->s = *pos;
	dst->len = len > 0 ? len : 0;
	if(dst->len)
		memcpy(*pos, s, dst->len);
	*pos += dst->len;
}

/* every copy has its final reply: answer the sender */
static void sf_group_finish(sf_explosion_t *x)
{
	struct cell *t = NULL, *cur;
	int cur_branch, answered = 0;
	char hbuf[256], tbuf[24];
	str hdrs, reason, totag;
	int code, n, counts[SF_EV_GROUP_COUNTS];

	sf_group_settle(x);
	if(x->lost == x->total) {
		code = 503;
		reason = (str)str_init("Service Unavailable (Copies Not Sent)");
		n = sf_fmt(hbuf, sizeof(hbuf), "Retry-After: 30\r\n");
	} else {
		code = 202;
		reason = (str)str_init("Accepted");
		n = sf_fmt(hbuf, sizeof(hbuf),
				SF_GROUP_HDR ": copies=%d;delivered=%d;stored=%d;"
							 "refused=%d;lost=%d\r\n%s",
				x->total, x->delivered, x->stored, x->refused, x->lost,
				x->lost ? "Warning: 399 sfwd \"some copies were not sent\"\r\n"
						: "");
	}
	if(n < 0)
		n = 0;
	hdrs.s = hbuf;
	hdrs.len = n;
	totag.len = sf_fmt(tbuf, sizeof(tbuf), "sfg%08x", x->label);
	totag.s = tbuf;
	/* t_lookup_ident() makes the sender's transaction this process's
	 * current one: the one of the copy whose reply is being processed
	 * (or none, in the script) comes back after */
	cur = _sf_tmb.t_gett();
	cur_branch = _sf_tmb.t_gett_branch();
	if(_sf_tmb.t_lookup_ident(&t, x->hash_index, x->label) < 0 || t == NULL) {
		LM_INFO("the transaction of group message call-id %.*s is gone "
				"(timed out): no answer\n",
				x->call_id.len, x->call_id.s);
	} else if(_sf_tmb.t_reply_with_body(t, code, &reason, NULL, &hdrs, &totag)
			  < 0) {
		LM_INFO("cannot answer group message call-id %.*s (answered "
				"already: timed out)\n",
				x->call_id.len, x->call_id.s);
	} else {
		answered = 1;
	}
	_sf_tmb.t_sett(cur, cur_branch);
	LM_INFO("group message call-id %.*s from %.*s: %d copies, %d delivered, "
			"%d stored, %d refused, %d lost; %s %d\n",
			x->call_id.len, x->call_id.s, x->from_uri.len, x->from_uri.s,
			x->total, x->delivered, x->stored, x->refused, x->lost,
			answered ? "answered" : "not answered", code);
	counts[0] = x->total;
	counts[1] = x->delivered;
	counts[2] = x->stored;
	counts[3] = x->refused;
	counts[4] = x->lost;
	sf_event_group(&x->from_uri, &x->call_id, answered ? code : 408, counts);
	shm_free(x);
}

/* one copy ended (under no lock); the last one answers the sender */
static void sf_group_outcome(sf_explosion_t *x, int i, int code, int stored)
{
	sf_report_src_t src;
	int status = 0, last;

	/* a copy sfwd stored is reported when it is delivered or expires */
	if(code >= 200 && code < 300 && !stored)
		status = SF_IMDN_DELIVERED;
	else if(code == 403)
		status = SF_IMDN_FORBIDDEN;
	else if(sf_group_lost(code))
		status = SF_IMDN_ERROR;
	else if(code >= 300)
		status = SF_IMDN_FAILED;
	if(status && x->notify) {
		memset(&src, 0, sizeof(src));
		src.from_uri = x->from_uri;
		src.from_name = x->from_name;
		src.to_uri = x->rcpt[i];
		src.imdn_id = x->imdn_id;
		src.received = x->received;
		src.imdn_datetime = x->imdn_datetime;
		src.notify = x->notify;
		sf_report(&src, status);
	}
	lock_get(_sf_group_lock);
	x->code[i] = code;
	if(code >= 200 && code < 300) {
		if(stored)
			x->stored++;
		else
			x->delivered++;
	} else if(status == SF_IMDN_ERROR) {
		x->lost++;
	} else {
		x->refused++;
	}
	last = --x->pending == 0;
	lock_release(_sf_group_lock);
	update_stat(_sf_stat_group_copies, 1);
	if(status == SF_IMDN_ERROR)
		update_stat(_sf_stat_group_lost, 1);
	if(last)
		sf_group_finish(x);
}

/* a copy's final reply (TMCB_LOCAL_COMPLETED) */
static void sf_group_cb(struct cell *t, int type, struct tmcb_params *ps)
{
	sf_gcopy_t *c = (sf_gcopy_t *)(*ps->param);
	int stored = 0;
	str name = str_init("X-Sfwd-Message-ID");
	hdr_field_t *hf;

	if(c == NULL)
		return;
	if(ps->rpl && ps->rpl != FAKED_REPLY && ps->code >= 200 && ps->code < 300
			&& parse_headers(ps->rpl, HDR_EOH_F, 0) >= 0) {
		for(hf = ps->rpl->headers; hf != NULL; hf = hf->next) {
			if(hf->name.len == name.len
					&& strncasecmp(hf->name.s, name.s, name.len) == 0) {
				stored = 1;
				break;
			}
		}
	}
	*ps->param = NULL;
	sf_group_outcome(c->x, c->i, ps->code, stored);
}

/* the end of a writer into a pkg buffer: out set, or the buffer freed */
static int sf_group_wr_done(sf_wr_t *w, char *buf, str *out)
{
	int len = sf_wr_end(w);

	if(len < 0) {
		pkg_free(buf);
		return -1;
	}
	out->s = buf;
	out->len = len;
	return 0;
}

/* the headers of every copy: the kept ones (not those the content part
 * brings itself), Request-Disposition, Content-Type, the mark */
static int sf_group_copy_hdrs(sip_msg_t *msg, const sf_plan_t *p,
		const char *key, time_t now, str *out)
{
	str kept = STR_NULL;
	hdr_field_t *hf;
	sf_buf_t line;
	const char *pos, *end;
	size_t size;
	sf_wr_t w;
	char *buf;

	if(sf_kept_headers(msg, now, &kept) < 0)
		return -1;
	size = (size_t)kept.len + p->part_hdrs.len + p->ctype.len + 256;
	for(hf = msg->headers; hf != NULL; hf = hf->next)
		if(hf->name.len == 19
				&& strncasecmp(hf->name.s, "Request-Disposition", 19) == 0)
			size += (size_t)hf->body.len + 24;
	buf = pkg_malloc(size);
	if(buf == NULL) {
		sf_hdrs_free(kept.s);
		PKG_MEM_ERROR;
		return -1;
	}
	sf_wr_init(&w, buf, size);
	/* a list's copy: its content part defines the body, not the
	 * multipart's Content-* headers */
	pos = kept.s;
	end = kept.s + kept.len;
	while(sf_next_line(&pos, end, &line)) {
		if(p->part_hdrs.s != NULL
				&& sf_buf_iprefix(line.s, line.len, "content-"))
			continue;
		sf_put(&w, line.s, line.len);
		SF_PUTS(&w, "\r\n");
	}
	sf_hdrs_free(kept.s);
	if(p->part_hdrs.s != NULL) {
		pos = p->part_hdrs.s;
		end = p->part_hdrs.s + p->part_hdrs.len;
		while(sf_next_line(&pos, end, &line)) {
			const char *colon = memchr(line.s, ':', line.len);
			sf_buf_t name;
			if(colon == NULL)
				continue;
			name = sf_buf_trim(line.s, (size_t)(colon - line.s));
			/* its Content-* headers but the type (written below) and
			 * the length (tm's) */
			if(!sf_buf_iprefix(name.s, name.len, "content-")
					|| sf_buf_ieq(name.s, name.len, "content-type")
					|| sf_buf_ieq(name.s, name.len, "content-length"))
				continue;
			sf_put(&w, line.s, line.len);
			SF_PUTS(&w, "\r\n");
		}
	}
	for(hf = msg->headers; hf != NULL; hf = hf->next) {
		if(hf->name.len == 19
				&& strncasecmp(hf->name.s, "Request-Disposition", 19) == 0) {
			SF_PUTS(&w, "Request-Disposition: ");
			sf_put(&w, hf->body.s, hf->body.len);
			SF_PUTS(&w, "\r\n");
		}
	}
	if(p->history) {
		SF_PUTS(&w, "Content-Type: multipart/mixed;boundary=sfwd-");
		sf_put(&w, key, strlen(key));
	} else {
		SF_PUTS(&w, "Content-Type: ");
		sf_put(&w, p->ctype.s, p->ctype.len);
	}
	SF_PUTS(&w, "\r\n" SF_GROUP_HDR ": ");
	sf_put(&w, key, strlen(key));
	SF_PUTS(&w, "\r\n");
	return sf_group_wr_done(&w, buf, out);
}

/* a list's copy with a recipient-list-history: multipart/mixed */
static int sf_group_copy_body(const sf_plan_t *p, const char *key, str *out)
{
	size_t size, klen = strlen(key);
	sf_wr_t w;
	char *buf;

	if(p->history == NULL) {
		out->s = (char *)p->content.s;
		out->len = (int)p->content.len;
		return 0;
	}
	size = (size_t)p->history_len + p->content.len + p->part_hdrs.len + 512;
	buf = pkg_malloc(size);
	if(buf == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	sf_wr_init(&w, buf, size);
	SF_PUTS(&w, "--sfwd-");
	sf_put(&w, key, klen);
	SF_PUTS(&w, "\r\nContent-Type: application/resource-lists+xml\r\n"
				"Content-Disposition: recipient-list-history; "
				"handling=optional\r\n\r\n");
	sf_put(&w, p->history, p->history_len);
	SF_PUTS(&w, "\r\n--sfwd-");
	sf_put(&w, key, klen);
	SF_PUTS(&w, "\r\n");
	sf_put(&w, p->part_hdrs.s, p->part_hdrs.len);
	if(p->part_hdrs.len > 0 && p->part_hdrs.s[p->part_hdrs.len - 1] != '\n')
		SF_PUTS(&w, "\r\n");
	SF_PUTS(&w, "\r\n");
	sf_put(&w, p->content.s, p->content.len);
	SF_PUTS(&w, "\r\n--sfwd-");
	sf_put(&w, key, klen);
	SF_PUTS(&w, "--\r\n");
	return sf_group_wr_done(&w, buf, out);
}

/* where the copies go: this proxy's UDP socket on the address the request
 * came to (else its first UDP socket), from that same socket, so that the
 * script knows them (source = this address and port: trusted) */
static struct socket_info *sf_group_self(
		sip_msg_t *msg, char *buf, int size, str *out)
{
	struct socket_info *si = msg->rcv.bind_address;
	int n;

	if(si == NULL || si->proto != PROTO_UDP) {
		si = find_si(&msg->rcv.dst_ip, 0, PROTO_UDP);
		if(si == NULL)
			si = udp_listen;
	}
	if(si == NULL)
		return NULL;
	n = sf_fmt(buf, size, "sip:%s%.*s%s:%d;transport=udp",
			si->address.af == AF_INET6 ? "[" : "", si->address_str.len,
			si->address_str.s, si->address.af == AF_INET6 ? "]" : "",
			(int)si->port_no);
	if(n < 0)
		return NULL;
	out->s = buf;
	out->len = n;
	return si;
}

int sf_group_explode(sip_msg_t *msg)
{
	sf_plan_t p;
	struct to_body *from;
	char sbuf[SF_GROUP_AOR_MAX], self[128], key[40], *send = NULL;
	str sender, dst, body = STR_NULL, hdrs = STR_NULL;
	str method = str_init("MESSAGE"), from_uri = STR_NULL;
	sf_buf_t imdn_id = {NULL, 0}, imdn_dt = {NULL, 0};
	sf_explosion_t *x = NULL;
	struct timeval tv;
	unsigned int hash_index, label;
	int ret, i, k, nsend, notify = 0, size, list, pending;
	PGresult *res;
	struct socket_info *self_si;
	char *pos;
	uint64_t h;
	str hk[3];

	memset(&p, 0, sizeof(p));
	sf_intake_set_outcome(0, NULL);
	if(msg->first_line.type != SIP_REQUEST || msg->REQ_METHOD != METHOD_MESSAGE)
		return SF_GROUP_ENONE;
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || msg->callid == NULL
			|| msg->cseq == NULL || parse_from_header(msg) < 0)
		return SF_GROUP_ENONE;
	from = get_from(msg);
	if(from->tag_value.len == 0
			|| sf_aor_str(&from->uri, sbuf, sizeof(sbuf), &sender) < 0)
		return SF_GROUP_ENONE;
	list = sf_group_required(msg, "recipient-list-message");
	if(list && _sf_cfg.db_url == NULL)
		return SF_GROUP_EDB;
	if(_sf_cfg.db_url == NULL)
		return SF_GROUP_ENONE;
	ret = list ? sf_group_plan_list(msg, &from->uri, &p)
			   : sf_group_plan_group(msg, &sender, &p);
	if(ret < 0)
		goto fail;
	/* every copy goes over UDP (see sf_group_self()) */
	if(p.content.len + (size_t)p.history_len + (size_t)from->body.len
					+ SF_GROUP_HDRS_MAX
			> SF_GROUP_COPY_MAX) {
		p.reason = "too large for a group message";
		ret = SF_GROUP_ETOOBIG;
		goto fail;
	}
	if(sf_msg_class(sf_intake_db(), msg, &notify) == -2) {
		p.reason = "an unparsable store flag";
		ret = SF_GROUP_EBAD;
		goto fail;
	}
	if(notify && sf_buf_iprefix(p.ctype.s, p.ctype.len, "message/cpim")) {
		sf_cpim_message_id(p.content, &imdn_id);
		sf_cpim_datetime(p.content, &imdn_dt);
	}
	/* the transaction first: a retransmission ends here */
	if(_sf_tmb.t_gett == NULL || _sf_tmb.t_gett() == NULL
			|| _sf_tmb.t_gett() == T_UNDEFINED) {
		ret = _sf_tmb.t_newtran(msg);
		if(ret == 0) {
			sf_group_free_plan(&p);
			return 1; /* a retransmission tm has answered */
		}
		if(ret < 0) {
			ret = SF_GROUP_EINTERNAL;
			goto fail;
		}
	}
	send = pkg_malloc(p.n);
	if(send == NULL) {
		ret = SF_GROUP_EINTERNAL;
		goto fail;
	}
	nsend = sf_group_claim(msg, &p, send);
	if(nsend < 0) {
		ret = nsend;
		goto fail;
	}
	update_stat(_sf_stat_group_messages, 1);
	if(nsend == 0) {
		/* every copy went out before (the same answer again), or some are
		 * still on their way (another node, or a restart) */
		res = sf_group_key_run(msg, &p, NULL, SF_SQL_GROUP_PENDING, 3, NULL);
		if(res == NULL) {
			ret = SF_GROUP_EDB;
			goto fail;
		}
		pending = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
		LM_INFO("group message call-id %.*s was exploded before: nothing "
				"sent again (%d copies without an outcome)\n",
				msg->callid->body.len, msg->callid->body.s, pending);
		if(pending == 0)
			_sf_tmb.t_reply(msg, 202, "Accepted");
		else
			_sf_tmb.t_reply(msg, 500, "Server Error (Still Sending)");
		pkg_free(send);
		sf_group_free_plan(&p);
		return 1;
	}
	_sf_tmb.set_fr(msg, 0, (unsigned int)_sf_cfg.group_timeout * 1000);
	self_si = sf_group_self(msg, self, sizeof(self), &dst);
	if(self_si == NULL) {
		LM_ERR("group messages need a UDP socket (listen=udp:...)\n");
		ret = SF_GROUP_EINTERNAL;
		goto unclaim;
	}
	hk[0] = msg->callid->body;
	hk[1] = from->tag_value;
	hk[2] = get_cseq(msg)->number;
	h = sf_group_hash(hk, 3);
	if(sf_fmt(key, sizeof(key), "%016llx", (unsigned long long)h) < 0) {
		ret = SF_GROUP_EINTERNAL;
		goto unclaim;
	}
	gettimeofday(&tv, NULL);
	if(sf_group_copy_hdrs(msg, &p, key, tv.tv_sec, &hdrs) < 0
			|| sf_group_copy_body(&p, key, &body) < 0) {
		ret = SF_GROUP_EINTERNAL;
		goto unclaim;
	}
	/* the explosion's block */
	size = sizeof(*x) + nsend * (sizeof(str) + sizeof(int) + sizeof(sf_gcopy_t))
		   + msg->callid->body.len + from->tag_value.len + from->uri.len
		   + from->display.len + msg->callid->body.len + (int)imdn_id.len
		   + (int)imdn_dt.len + 40;
	for(i = 0; i < p.n; i++)
		if(send[i])
			size += strlen(p.aor[i]) + 5; /* "sip:" and the NUL */
	x = shm_malloc(size);
	if(x == NULL) {
		SHM_MEM_ERROR;
		ret = SF_GROUP_EINTERNAL;
		goto unclaim;
	}
	memset(x, 0, sizeof(*x));
	x->rcpt = (str *)(x + 1);
	x->cp = (sf_gcopy_t *)(x->rcpt + nsend);
	x->code = (int *)(x->cp + nsend);
	pos = (char *)(x->code + nsend);
	sf_group_put(&x->call_id, msg->callid->body.s, msg->callid->body.len, &pos);
	sf_group_put(&x->from_tag, from->tag_value.s, from->tag_value.len, &pos);
	sf_group_put(&x->from_uri, from->uri.s, from->uri.len, &pos);
	sf_group_put(&x->from_name, from->display.s, from->display.len, &pos);
	/* a report names the original by its imdn.Message-ID, else by its
	 * Call-ID (every recipient's report the same one) */
	if(imdn_id.len == 0) {
		imdn_id.s = msg->callid->body.s;
		imdn_id.len = (size_t)msg->callid->body.len;
	}
	sf_group_put(&x->imdn_id, imdn_id.s, (int)imdn_id.len, &pos);
	sf_group_put(&x->imdn_datetime, imdn_dt.s, (int)imdn_dt.len, &pos);
	x->cseq = strtoll(get_cseq(msg)->number.s, NULL, 10);
	x->received = tv.tv_sec + tv.tv_usec / 1e6;
	x->notify = notify;
	for(i = 0, k = 0; i < p.n; i++) {
		if(!send[i])
			continue;
		/* "sip:", the AoR, a NUL: counted in size above */
		x->rcpt[k].s = pos;
		x->rcpt[k].len = 4 + (int)strlen(p.aor[i]);
		memcpy(pos, "sip:", 4);
		memcpy(pos + 4, p.aor[i], x->rcpt[k].len - 4 + 1);
		pos += x->rcpt[k].len + 1;
		x->cp[k].x = x;
		x->cp[k].i = k;
		k++;
	}
	x->total = x->pending = nsend;
	if(_sf_tmb.t_suspend(msg, &hash_index, &label) != 0) {
		LM_ERR("cannot suspend group message call-id %.*s\n",
				msg->callid->body.len, msg->callid->body.s);
		shm_free(x);
		x = NULL;
		ret = SF_GROUP_EINTERNAL;
		goto unclaim;
	}
	x->hash_index = hash_index;
	x->label = label;
	/* the display name and URI, as tm writes them into From */
	from_uri.len = from->display.len + from->uri.len + 3;
	from_uri.s = pkg_malloc(from_uri.len + 1);
	if(from_uri.s == NULL) {
		PKG_MEM_ERROR;
		from_uri.len = 0;
	} else {
		from_uri.len = sf_fmt(from_uri.s, from_uri.len + 1, "%.*s%s<%.*s>",
				from->display.len, from->display.s,
				from->display.len ? " " : "", from->uri.len, from->uri.s);
		if(from_uri.len < 0) {
			pkg_free(from_uri.s);
			from_uri.s = NULL;
		}
	}
	for(k = 0; k < nsend; k++) {
		dlg_t *dlg = NULL;
		uac_req_t uac_r;
		str cid, ruri = x->rcpt[k];
		char cbuf[64];
		uint64_t rh = sf_group_hash(&ruri, 1);

		cid.len = sf_fmt(cbuf, sizeof(cbuf), "%s.%016llx@sfwd", key,
				(unsigned long long)rh);
		cid.s = cbuf;
		if(from_uri.s == NULL || cid.len < 0
				|| _sf_tmb.new_dlg_uac(&cid, &x->from_tag,
						   (unsigned int)x->cseq, &from_uri, &ruri, &dlg)
						   < 0) {
			sf_group_outcome(x, k, 500, 0);
			continue;
		}
		if(_sf_tmb.set_dlg_target(dlg, &ruri, &dst) < 0) {
			_sf_tmb.free_dlg(dlg);
			sf_group_outcome(x, k, 500, 0);
			continue;
		}
		dlg->send_sock = self_si;
		set_uac_req(&uac_r, &method, &hdrs, &body, dlg, TMCB_LOCAL_COMPLETED,
				sf_group_cb, (void *)&x->cp[k]);
		ret = _sf_tmb.t_uac(&uac_r);
		_sf_tmb.free_dlg(dlg);
		if(ret < 0) {
			LM_INFO("cannot send the copy of call-id %.*s for %.*s (%d)\n",
					msg->callid->body.len, msg->callid->body.s, ruri.len,
					ruri.s, ret);
			sf_group_outcome(x, k, 500, 0);
		}
	}
	/* x may be gone now: the last copy's outcome freed it */
	if(from_uri.s)
		pkg_free(from_uri.s);
	sf_hdrs_free(hdrs.s);
	if(body.s && body.s != p.content.s)
		pkg_free(body.s);
	pkg_free(send);
	sf_group_free_plan(&p);
	return 1;

unclaim:
	/* nothing went out: forget the claim, so that a retransmission sends */
	res = sf_group_key_run(msg, &p, send, SF_SQL_GROUP_UNSENT, 4, NULL);
	if(res)
		PQclear(res);
fail:
	if(hdrs.s)
		sf_hdrs_free(hdrs.s);
	if(body.s && body.s != p.content.s)
		pkg_free(body.s);
	if(send)
		pkg_free(send);
	sf_intake_set_outcome(ret == SF_GROUP_EBAD ? SF_STORE_EBAD : ret, p.reason);
	sf_group_free_plan(&p);
	return ret;
}
