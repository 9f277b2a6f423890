/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the store intake (see sf_intake.h)
 */

#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/parser/parse_cseq.h"
#include "core/parser/parse_expires.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_to.h"
#include "core/trim.h"
#include "core/ut.h"
#include "core/xavp.h"

#include "sf_buf.h"
#include "sf_cfg.h"
#include "sf_event.h"
#include "sf_intake.h"
#include "sf_msrp_server.h"
#include "sf_notify.h"
#include "sf_profile_json.h"
#include "sf_profile.h"
#include "sf_queue.h"
#include "sf_imdn.h"
#include "sf_request.h"
#include "sf_stats.h"
#include "sf_store.h"
#include "sf_text.h"
#include "sf_tm.h"
#include "sf_ul.h"
#include "sf_writer.h"

/* this process's connection for sf_store() */
static sf_db_t _sf_wdb;

/* why the last sf_store*() of this process refused the request as bad
 * ($sfwd(reason), for the 400's Warning) */
static const char *_sf_last_reason = "";
/* $sfwd(rc) and $sfwd(id): the last store of this process */
static int _sf_last_rc = 0;
static long long _sf_last_id = 0;

/* the writer's view of what surrounds a store (sf_writer.h) */
static void sf_store_committed(
		sip_msg_t *msg, const sf_store_req_t *r, long long id);
static void sf_store_count_failure(int rc);
static void sf_store_set_result(int rc, long long id);
static const sf_writer_ops_t _sf_store_ops = {
		sf_store_committed, sf_store_count_failure, sf_store_set_result};

/* every text field of a request to store must be UTF-8 (PostgreSQL text):
 * checked here, so that one bad request is refused alone (400) and never
 * fails a batch of others; *what names the first bad field */
static int sf_store_req_valid(const sf_store_req_t *r, const char **what)
{
	const struct
	{
		const str *v;
		const char *name;
	} f[] = {{&r->aor, "recipient"}, {&r->ruri, "Request-URI"},
			{&r->from_uri, "From URI"}, {&r->from_name, "From display name"},
			{&r->from_tag, "From tag"}, {&r->to_uri, "To URI"},
			{&r->to_name, "To display name"}, {&r->call_id, "Call-ID"},
			{&r->content_type, "Content-Type"}, {&r->headers, "a kept header"},
			{&r->imdn_id, "imdn.Message-ID"},
			{&r->imdn_datetime, "CPIM DateTime"}};
	unsigned int i;

	for(i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if(f[i].v->len > 0 && !sf_utf8_valid(f[i].v->s, f[i].v->len)) {
			*what = f[i].name;
			return 0;
		}
	}
	return 1;
}

static void sf_store_set_result(int rc, long long id)
{
	_sf_last_rc = rc;
	_sf_last_id = id;
}

void sf_intake_set_outcome(int rc, const char *reason)
{
	sf_store_set_result(rc, 0);
	_sf_last_reason = reason ? reason : "";
}

/* sf_store() up to the insert: 1 with *rp filled in (rp->headers in pkg
 * memory, the caller frees it; rp->aor in aor), or a negative code */
static int sf_store_prepare(
		sip_msg_t *msg, str *owner, sf_store_req_t *rp, char *aor, int aorsize)
{
	sf_store_req_t r;
	sf_profile_t pol;
	int has_pol;
	struct to_body *from, *to;
	struct timeval tv;
	str hdrs = STR_NULL;
	int n;
	exp_body_t *exp;
	sf_buf_t body;

	_sf_last_reason = "";
	if(msg->first_line.type != SIP_REQUEST || msg->REQ_METHOD != METHOD_MESSAGE)
		return SF_STORE_ENOTSTORABLE;
	if(_sf_cfg.db_url == NULL) {
		LM_ERR("sf_store() needs modparam db_url\n");
		return SF_STORE_EDB;
	}
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || msg->callid == NULL
			|| msg->cseq == NULL || parse_from_header(msg) < 0
			|| msg->to == NULL) {
		LM_INFO("not storing a MESSAGE without From, To, Call-ID or CSeq\n");
		return SF_STORE_ENOTSTORABLE;
	}
	memset(&r, 0, sizeof(r));
	r.cls = sf_msg_class(&_sf_wdb, msg, &r.notify);
	if(r.cls != SF_CLASS_STORE && r.cls != SF_CLASS_NOTIFY) {
		LM_DBG("not storing class %d (call-id %.*s)\n", r.cls,
				msg->callid->body.len, msg->callid->body.s);
		return SF_STORE_ENOTSTORABLE;
	}
	body = sf_msg_body(msg);
	r.body.s = (char *)body.s;
	r.body.len = (int)body.len;
	if(r.body.len > _sf_cfg.max_body_size) {
		LM_INFO("not storing a %d-byte body (max_body_size %d, call-id "
				"%.*s)\n",
				r.body.len, _sf_cfg.max_body_size, msg->callid->body.len,
				msg->callid->body.s);
		return SF_STORE_ETOOBIG;
	}

	r.ruri = msg->first_line.u.request.uri;
	n = sf_aor_of(owner ? owner : &r.ruri, aor, aorsize);
	if(n <= 0) {
		LM_INFO("not storing: no recipient AoR (or not UTF-8) in %.*s\n",
				owner ? owner->len : r.ruri.len, owner ? owner->s : r.ruri.s);
		_sf_last_reason = "no recipient address of record (or not UTF-8)";
		return SF_STORE_EBAD;
	}
	r.aor.s = aor;
	r.aor.len = n;
	has_pol = sf_profile_get(&_sf_wdb, &r.aor, &pol) == 1;
	if(has_pol) {
		sf_buf_t ct = {NULL, 0};
		if(msg->content_type) {
			ct.s = msg->content_type->body.s;
			ct.len = msg->content_type->body.len;
		}
		if(!sf_profile_accepts(&pol, ct)) {
			str root = str_init("sf"), k_acc = str_init("accept"), v;
			char acc[4200];
			v.len = sf_profile_accept_header(&pol, acc, sizeof(acc));
			if(v.len > 0) {
				v.s = acc;
				xavp_set_child_sval(&root, &k_acc, &v);
			}
			LM_INFO("%.*s does not accept %.*s (call-id %.*s)\n", r.aor.len,
					r.aor.s, (int)ct.len, ct.s, msg->callid->body.len,
					msg->callid->body.s);
			return SF_STORE_ETYPE;
		}
	}

	from = get_from(msg);
	to = get_to(msg);
	r.from_uri = from->uri;
	r.from_name = from->display;
	r.from_tag = from->tag_value;
	r.to_uri = to->uri;
	r.to_name = to->display;
	r.call_id = msg->callid->body;
	trim(&r.call_id);
	{
		/* the full 32-bit number (RFC 3261 8.1.1.5), as sent */
		unsigned int cseq;
		if(str2int(&get_cseq(msg)->number, &cseq) < 0) {
			_sf_last_reason = "CSeq number is not a 32-bit number";
			return SF_STORE_EBAD;
		}
		r.cseq = cseq;
	}
	if(msg->content_type) {
		r.content_type = msg->content_type->body;
		trim(&r.content_type);
	} else {
		r.content_type.s = "text/plain";
		r.content_type.len = 10;
	}

	/* lifetime: the request's Expires, else the profile's, else the
	 * default, all capped (sf_lifetime) */
	exp = NULL;
	if(msg->expires && parse_expires(msg->expires) == 0)
		exp = (exp_body_t *)msg->expires->parsed;
	r.lifetime = sf_lifetime(exp && exp->valid, exp ? exp->val : 0,
			has_pol ? pol.lifetime : 0, _sf_cfg.default_lifetime,
			_sf_cfg.max_lifetime);
	if(r.lifetime == 0) {
		LM_DBG("Expires: 0, nothing to store\n");
		return SF_STORE_ENOTSTORABLE;
	}

	if(msg->tval.tv_sec != 0) {
		tv = msg->tval;
	} else {
		gettimeofday(&tv, NULL);
	}
	r.received = tv.tv_sec + tv.tv_usec / 1e6;

	if(sf_kept_headers(msg, tv.tv_sec, &hdrs) < 0)
		return SF_STORE_EDB;
	r.headers = hdrs;
	/* an encoded (compressed) body is opaque: no CPIM is read from it */
	if(msg->content_type && r.content_type.len >= 12
			&& strncasecmp(r.content_type.s, "message/cpim", 12) == 0
			&& !sf_msg_body_encoded(msg)) {
		sf_buf_t v;
		if(sf_cpim_message_id(body, &v)) {
			r.imdn_id.s = (char *)v.s;
			r.imdn_id.len = (int)v.len;
		}
		if(sf_cpim_datetime(body, &v)) {
			r.imdn_datetime.s = (char *)v.s;
			r.imdn_datetime.len = (int)v.len;
		}
	}
	{
		const char *what = NULL;
		if(!sf_store_req_valid(&r, &what)) {
			static char reason[64];
			LM_INFO("not storing a MESSAGE whose %s is not UTF-8 (call-id "
					"%.*s)\n",
					what, msg->callid->body.len, msg->callid->body.s);
			if(sf_fmt(reason, sizeof(reason), "%s is not UTF-8", what) < 0)
				strcpy(reason, "not UTF-8");
			_sf_last_reason = reason;
			sf_hdrs_free(hdrs.s);
			return SF_STORE_EBAD;
		}
	}
	r.max_messages = (has_pol && pol.max_messages >= 0) ? pol.max_messages
														: _sf_cfg.max_messages;
	/* registered but not reached: retry on a timer; else at registration */
	r.retry = sf_ul_registered(&r.aor) ? _sf_cfg.retry_interval : 0;
	*rp = r;
	return 1;
}

/* what follows a commit, in the process that saw it ($xavp(sf=>id) only
 * where a script runs on the request) */
static void sf_store_after(const sf_store_req_t *r, long long id, int xavp)
{
	str id_s, root = str_init("sf"), k_id = str_init("id");
	char idbuf[24];

	if(xavp) {
		id_s.s = idbuf;
		id_s.len = sf_fmt(idbuf, sizeof(idbuf), "%lld", id);
		if(id_s.len > 0)
			xavp_set_child_sval(&root, &k_id, &id_s);
	}
	if(_sf_cfg.mwi)
		sf_queue_push_aor(&r->aor, SF_WORK_MWI);
	sf_stored_notice(&r->from_uri, &r->aor);
	/* per message: debug level (sfwd:stored and the event say it too) */
	LM_DBG("stored message %lld for %.*s from %.*s (call-id %.*s)\n", id,
			r->aor.len, r->aor.s, r->from_uri.len, r->from_uri.s,
			r->call_id.len, r->call_id.s);
}

/* sf_store(): the work; ki_sf_store_owner() counts and signals */
static int sf_store_do(sip_msg_t *msg, str *owner, long long *idp)
{
	sf_store_req_t r;
	char aor[512];
	long long id;
	int ret;

	ret = sf_store_prepare(msg, owner, &r, aor, sizeof(aor));
	if(ret < 0)
		return ret;
	id = sf_store_insert(&_sf_wdb, &r);
	if(id > 0)
		sf_store_committed(msg, &r, id);
	sf_hdrs_free(r.headers.s);
	if(id < 0) {
		LM_INFO("database unavailable, not storing for %.*s (call-id %.*s)\n",
				r.aor.len, r.aor.s, r.call_id.len, r.call_id.s);
		return SF_STORE_EDB;
	}
	if(id == 0) {
		LM_INFO("mailbox of %.*s is full (%d messages)\n", r.aor.len, r.aor.s,
				r.max_messages);
		return SF_STORE_EFULL;
	}
	*idp = id;
	return 1;
}

/* statistics of a store that did not happen */
static void sf_store_count_failure(int rc)
{
	switch(rc) {
		case SF_STORE_EDB:
			update_stat(_sf_stat_db_errors, 1);
			break;
		case SF_STORE_EFULL:
			update_stat(_sf_stat_rej_full, 1);
			break;
		case SF_STORE_ETOOBIG:
			update_stat(_sf_stat_rej_size, 1);
			break;
		case SF_STORE_ETYPE:
			update_stat(_sf_stat_rej_type, 1);
			break;
		case SF_STORE_EBAD:
			update_stat(_sf_stat_rej_bad, 1);
			break;
		default:
			update_stat(_sf_stat_rej_other, 1);
	}
}

static void sf_store_committed(
		sip_msg_t *msg, const sf_store_req_t *r, long long id)
{
	sf_store_after(r, id, msg != NULL);
	update_stat(_sf_stat_stored, 1);
	sf_event_stored(msg, id, &r->aor, &r->from_uri);
}

/*!
 * \brief store the current MESSAGE for its recipient (owner: a SIP URI or
 *   user@host; default the Request-URI as received)
 * \return 1 stored and committed, -1 not storable, -2 database
 *   unavailable, -3 mailbox full, -4 body too large, -5 content type the
 *   recipient's profile does not accept ($xavp(sf=>accept) names what it
 *   does)
 */
int sf_intake_store(sip_msg_t *msg, str *owner)
{
	long long id = 0;
	int ret = sf_store_do(msg, owner, &id);

	sf_store_set_result(ret, id);
	if(ret != 1)
		sf_store_count_failure(ret);
	return ret;
}

/*!
 * \brief sf_store() without waiting: the request goes to the store
 *   writer, which inserts it with others in one commit and then runs the
 *   route (native route index rt, else the KEMI function `name`) on a
 *   copy of the request with $sfwd(rc) (sf_store()'s codes) and
 *   $sfwd(id) set; that route answers the sender. Stateless: call it
 *   without a transaction (a retransmission finds the row it already has)
 * \return 0 queued (the script ends here); < 0 as sf_store() when the
 *   request cannot be stored or queued, the script goes on
 */
int sf_intake_store_async(sip_msg_t *msg, int rt, str *name, str *owner)
{
	sf_store_req_t r;
	sf_writer_route_t wr;
	struct cell *t;
	char aor[512];
	int ret;

	if(_sf_tmb.t_gett && (t = _sf_tmb.t_gett()) != NULL && t != T_UNDEFINED) {
		LM_ERR("sf_store_async() answers statelessly: call it before "
			   "t_newtran() (or use sf_store())\n");
		ret = SF_STORE_ENOTSTORABLE;
		goto fail;
	}
	ret = sf_store_prepare(msg, owner, &r, aor, sizeof(aor));
	if(ret < 0)
		goto fail;
	wr.rt = rt;
	wr.name = *name;
	if(sf_writer_push(msg, &r, &wr) < 0) {
		LM_INFO("store queue full (store_queue %d), not storing for %.*s "
				"(call-id %.*s)\n",
				_sf_cfg.store_queue, r.aor.len, r.aor.s, r.call_id.len,
				r.call_id.s);
		sf_hdrs_free(r.headers.s);
		ret = SF_STORE_EDB;
		goto fail;
	}
	sf_hdrs_free(r.headers.s);
	sf_store_set_result(0, 0);
	return 0;
fail:
	sf_store_set_result(ret, 0);
	sf_store_count_failure(ret);
	return ret;
}

int sf_intake_mod_init(void)
{
	return sf_writer_mod_init(&_sf_store_ops);
}

void sf_intake_child_init(int rank)
{
	sf_db_init(&_sf_wdb, _sf_cfg.db_url, _sf_cfg.db_timeout_ms, sf_store_stmts,
			SF_SQL_COUNT, SF_SCHEMA_VERSION);
	/* SIP workers connect now; a failure is retried at the first store */
	if(rank > 0)
		sf_db_connect(&_sf_wdb);
}

void sf_intake_destroy(void)
{
	sf_db_close(&_sf_wdb);
}

sf_db_t *sf_intake_db(void)
{
	return &_sf_wdb;
}

/* $sfwd(rc), $sfwd(id), $sfwd(reason) */
int sf_intake_pv_parse(pv_spec_t *sp, str *in)
{
	static const char *names[] = {"rc", "id", "reason"};
	unsigned int i;

	for(i = 0; in != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
		if(in->len == (int)strlen(names[i])
				&& strncmp(in->s, names[i], in->len) == 0) {
			sp->pvp.pvn.u.isname.name.n = (int)i;
			sp->pvp.pvn.type = PV_NAME_INTSTR;
			sp->pvp.pvn.u.isname.type = 0;
			return 0;
		}
	}
	LM_ERR("unknown $sfwd(%.*s): use $sfwd(rc), $sfwd(id) or "
		   "$sfwd(reason)\n",
			in ? in->len : 0, in ? in->s : "");
	return -1;
}

int sf_intake_pv_get(sip_msg_t *msg, pv_param_t *param, pv_value_t *res)
{
	static char buf[24];
	str s;

	switch(param->pvn.u.isname.name.n) {
		case 0:
			return pv_get_sintval(msg, param, res, _sf_last_rc);
		case 2:
			s.s = (char *)_sf_last_reason;
			if(s.s[0] == '\0')
				return pv_get_null(msg, param, res);
			s.len = strlen(s.s);
			return pv_get_strval(msg, param, res, &s);
	}
	if(_sf_last_id <= 0)
		return pv_get_null(msg, param, res);
	s.s = buf;
	s.len = sf_fmt(buf, sizeof(buf), "%lld", _sf_last_id);
	if(s.len < 0)
		return pv_get_null(msg, param, res);
	return pv_get_strval(msg, param, res, &s);
}

int sf_intake_session(sip_msg_t *msg)
{
	sf_session_req_t r;
	sf_profile_t pol;
	struct to_body *from, *to;
	struct timeval tv;
	char aor[512], acc[4200];
	const char *what = NULL;
	str types = STR_NULL;
	int has_pol, n, i, ret;

	if(msg->first_line.type != SIP_REQUEST || msg->REQ_METHOD != METHOD_INVITE)
		return SF_SESSION_ENOOFFER;
	if(_sf_cfg.db_url == NULL || !sf_msrp_server_enabled()) {
		LM_ERR("sf_session_accept() needs modparams db_url and "
			   "msrp_listen\n");
		return SF_SESSION_EINTERNAL;
	}
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || msg->callid == NULL
			|| parse_from_header(msg) < 0 || msg->to == NULL)
		return SF_SESSION_EBAD;
	memset(&r, 0, sizeof(r));
	r.m.cls = sf_msg_class(&_sf_wdb, msg, &r.m.notify);
	if(r.m.cls == SF_CLASS_INSTANT)
		return SF_SESSION_EINSTANT;
	if(r.m.cls != SF_CLASS_STORE && r.m.cls != SF_CLASS_NOTIFY)
		return r.m.cls == SF_CLS_ERR_PARSE ? SF_SESSION_EBAD
										   : SF_SESSION_ENOTSTORED;
	r.m.ruri = msg->first_line.u.request.uri;
	n = sf_aor_of(&r.m.ruri, aor, sizeof(aor));
	if(n <= 0)
		return SF_SESSION_EBAD;
	r.m.aor.s = aor;
	r.m.aor.len = n;
	has_pol = sf_profile_get(&_sf_wdb, &r.m.aor, &pol) == 1;
	from = get_from(msg);
	to = get_to(msg);
	r.m.from_uri = from->uri;
	r.m.from_name = from->display;
	r.m.from_tag = from->tag_value;
	r.m.to_uri = to->uri;
	r.m.to_name = to->display;
	r.m.call_id = msg->callid->body;
	trim(&r.m.call_id);
	if(r.m.from_tag.len <= 0 || !sf_store_req_valid(&r.m, &what)) {
		LM_INFO("not accepting a session whose %s is not UTF-8 (call-id "
				"%.*s)\n",
				what ? what : "From tag", r.m.call_id.len, r.m.call_id.s);
		return SF_SESSION_EBAD;
	}
	r.m.lifetime = sf_lifetime(0, 0, has_pol ? pol.lifetime : 0,
			_sf_cfg.default_lifetime, _sf_cfg.max_lifetime);
	r.m.max_messages = (has_pol && pol.max_messages >= 0)
							   ? pol.max_messages
							   : _sf_cfg.max_messages;
	gettimeofday(&tv, NULL);
	r.started = tv.tv_sec + tv.tv_usec / 1e6;
	/* what the recipient's profile accepts is what we take (SDP
	 * accept-types: one space between types) */
	if(has_pol) {
		n = sf_profile_accept_header(&pol, acc, sizeof(acc));
		if(n > 0) {
			int k = 0;
			for(i = 0; i < n; i++) {
				if(acc[i] == ',')
					acc[k++] = ' ';
				else if(acc[i] != ' ')
					acc[k++] = acc[i];
			}
			types.s = acc;
			types.len = k;
		}
	}
	ret = sf_msrp_server_accept(msg, &r, &types);
	switch(ret) {
		case 1:
			sf_event_session(1, msg, &r.m.aor, &r.m.from_uri, &r.m.call_id,
					"accepted", 0);
			return 1;
		case -1:
			return SF_SESSION_ENOOFFER;
		case -3:
			return SF_SESSION_EBUSY;
		default:
			return SF_SESSION_EINTERNAL;
	}
}
