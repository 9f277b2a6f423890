/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: module glue (exports, init, script and KEMI wrappers)
 */

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/xavp.h"
#include "core/data_lump.h"
#include "core/flags.h"
#include "core/kemi.h"
#include "core/pvar.h"
#include "core/route.h"
#include "core/lvalue.h"
#include "core/rand/kam_rand.h"
#include "core/ut.h"
#include "core/trim.h"
#include "core/socket_info.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_cseq.h"
#include "core/parser/parse_expires.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_uri.h"

#include "sf_buf.h"
#include "sf_classify.h"
#include "sf_db.h"
#include "sf_flush.h"
#include "sf_notify.h"
#include "sf_policy.h"
#include "sf_profile.h"
#include "sf_rpc.h"
#include "sf_stats.h"
#include "sf_event.h"
#include "sf_msrp.h"
#include "sf_msrps.h"
#include "sf_queue.h"
#include "sf_report.h"
#include "sf_store.h"
#include "sf_text.h"
#include "sf_ul.h"
#include "sf_writer.h"
#include "sf_cfg.h"
#include "sf_tm.h"

MODULE_VERSION


/* this process's connection for sf_store() */
static sf_db_t _sf_wdb;

/* sf_store() return codes */
#define SF_STORE_ENOTSTORABLE -1
#define SF_STORE_EDB -2
#define SF_STORE_EFULL -3
#define SF_STORE_ETOOBIG -4
#define SF_STORE_ETYPE -5
#define SF_STORE_EBAD -6

/* headers never stored, whatever keep_headers says */
static const char _sf_never_kept[] =
		"Authorization,Proxy-Authorization,Via,Route,Record-Route,"
		"Max-Forwards,From,To,Call-ID,CSeq,Content-Type,Content-Length,"
		"Contact,Request-Disposition,Proxy-Require,Require";
/* headers always kept (From, To, Call-ID, CSeq, Content-Type have
 * columns of their own); those that define the body among them */
static const char _sf_always_kept[] =
		"Date,Subject,Expires,Content-Encoding,Content-Language,"
		"Content-Disposition";
/* identity headers: kept only from a source the script trusts
 * (modparam trusted_flag set on the request) */
static const char _sf_identity[] =
		"P-Asserted-Identity,P-Preferred-Identity,Identity,Identity-Info";

/* the writer's view of what surrounds a store (sf_writer.h) */
static void sf_store_committed(
		sip_msg_t *msg, const sf_store_req_t *r, long long id);
static void sf_store_count_failure(int rc);
static void sf_store_set_result(int rc, long long id);
static const sf_writer_ops_t _sf_store_ops = {
		sf_store_committed, sf_store_count_failure, sf_store_set_result};

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);
static int w_sf_classify(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_store(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_store_async(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_store_async0(sip_msg_t *msg, char *p1, char *p2);
static int fixup_sf_store_async(void **param, int param_no);
static int fixup_free_sf_store_async(void **param, int param_no);
static int pv_parse_sfwd_name(pv_spec_p sp, str *in);
static int pv_get_sfwd(sip_msg_t *msg, pv_param_t *param, pv_value_t *res);
static int w_sf_flush(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_mwi_update(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_mwi_subscribe(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_encapsulate_msrp(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_encapsulate_msrp1(sip_msg_t *msg, char *p1, char *p2);
static int fixup_sf_encap(void **param, int param_no);
static int fixup_free_sf_encap(void **param, int param_no);

/* clang-format off */
static cmd_export_t cmds[] = {
	{"sf_classify", (cmd_function)w_sf_classify, 0, 0, 0, ANY_ROUTE},
	{"sf_store", (cmd_function)w_sf_store, 0, 0, 0,
		REQUEST_ROUTE | FAILURE_ROUTE},
	{"sf_store", (cmd_function)w_sf_store, 1, fixup_spve_null,
		fixup_free_spve_null, REQUEST_ROUTE | FAILURE_ROUTE},
	{"sf_store_async", (cmd_function)w_sf_store_async0, 0, 0, 0,
		REQUEST_ROUTE},
	{"sf_store_async", (cmd_function)w_sf_store_async, 1,
		fixup_sf_store_async, fixup_free_sf_store_async, REQUEST_ROUTE},
	{"sf_store_async", (cmd_function)w_sf_store_async, 2,
		fixup_sf_store_async, fixup_free_sf_store_async, REQUEST_ROUTE},
	{"sf_flush", (cmd_function)w_sf_flush, 0, 0, 0, ANY_ROUTE},
	{"sf_flush", (cmd_function)w_sf_flush, 1, fixup_spve_null,
		fixup_free_spve_null, ANY_ROUTE},
	{"sf_mwi_update", (cmd_function)w_sf_mwi_update, 0, 0, 0, ANY_ROUTE},
	{"sf_mwi_subscribe", (cmd_function)w_sf_mwi_subscribe, 0, 0, 0,
		REQUEST_ROUTE},
	{"sf_encapsulate_msrp", (cmd_function)w_sf_encapsulate_msrp1, 1,
		fixup_sf_encap, fixup_free_sf_encap, REQUEST_ROUTE | FAILURE_ROUTE},
	{"sf_encapsulate_msrp", (cmd_function)w_sf_encapsulate_msrp, 2,
		fixup_sf_encap, fixup_free_sf_encap, REQUEST_ROUTE | FAILURE_ROUTE},
	{"sf_mwi_update", (cmd_function)w_sf_mwi_update, 1, fixup_spve_null,
		fixup_free_spve_null, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};


static pv_export_t mod_pvs[] = {
	{{"sfwd", sizeof("sfwd") - 1}, PVT_OTHER, pv_get_sfwd, 0,
		pv_parse_sfwd_name, 0, 0, 0},
	{{0, 0}, 0, 0, 0, 0, 0, 0, 0}
};

struct module_exports exports = {
	"sfwd",			 /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,			 /* cmd (cfg function) exports */
	sf_cfg_params,	 /* param exports (sf_cfg.c) */
	0,				 /* RPC method exports */
	mod_pvs,		 /* pseudo-variables exports */
	0,				 /* response handling function */
	mod_init,		 /* module init function */
	child_init,		 /* per-child init function */
	mod_destroy		 /* module destroy function */
};
/* clang-format on */

/* the schema version must match; claims of this node's last run are
 * freed (its flushers are gone) */
static int sf_db_startup_check(void)
{
	sf_db_t db;
	int n, ret = 0;

	sf_db_init(&db, _sf_cfg.db_url, _sf_cfg.flush_db_timeout_ms, sf_store_stmts,
			SF_ST_COUNT, SF_SCHEMA_VERSION);
	if(sf_db_connect(&db) < 0) {
		if(db.last_err == SF_DB_ESCHEMA || db.last_err == SF_DB_EQUERY) {
			LM_ERR("the database at db_url does not hold the schema of "
				   "this sfwd (etc/sql/sfwd-create.sql, version %d)\n",
					SF_SCHEMA_VERSION);
			return -1;
		}
		LM_WARN("database not reachable at start-up; sfwd answers "
				"sf_store() with -2 until it is\n");
		return 0;
	}
	n = sf_store_release_node(&db, &_sf_cfg.node_id);
	if(n > 0)
		LM_INFO("released %d messages claimed by the last run of %.*s\n", n,
				_sf_cfg.node_id.len, _sf_cfg.node_id.s);
	else if(n < 0)
		ret = -1;
	sf_db_close(&db);
	return ret;
}

static int mod_init(void)
{
	if(sf_cfg_check() < 0)
		return -1;
	if(sf_stats_mod_init() < 0 || sf_rpc_mod_init(&_sf_wdb) < 0
			|| sf_event_mod_init() < 0)
		return -1;
	if(_sf_cfg.mwi_domain.len == 0 && get_first_socket())
		_sf_cfg.mwi_domain = get_first_socket()->address_str;
	if(_sf_cfg.db_url == NULL) {
		LM_INFO("no db_url: only sf_classify() is available\n");
		return 0;
	}
	if(sf_tm_bind() < 0)
		return -1;
	if(sf_ul_mod_init() < 0)
		return -1;
	if(sf_queue_init(_sf_cfg.flush_workers, _sf_cfg.queue_size, 4096) < 0)
		return -1;
	if(sf_notify_mod_init() < 0)
		return -1;
	if(sf_msrps_mod_init() < 0 || sf_profile_mod_init() < 0)
		return -1;
	if(sf_db_startup_check() < 0)
		return -1;
	if(sf_writer_mod_init(&_sf_store_ops) < 0)
		return -1;
	return sf_flush_mod_init();
}

static int child_init(int rank)
{
	if(_sf_cfg.db_url == NULL)
		return 0;
	if(rank == PROC_MAIN)
		return (sf_flush_fork() < 0 || sf_msrps_fork() < 0
					   || sf_writer_fork() < 0)
					   ? -1
					   : 0;
	if(rank == PROC_INIT || rank == PROC_TCP_MAIN)
		return 0;
	sf_db_init(&_sf_wdb, _sf_cfg.db_url, _sf_cfg.db_timeout_ms, sf_store_stmts,
			SF_ST_COUNT, SF_SCHEMA_VERSION);
	/* SIP workers connect now; a failure is retried at the first store */
	if(rank > 0)
		sf_db_connect(&_sf_wdb);
	return 0;
}

static void mod_destroy(void)
{
	sf_db_close(&_sf_wdb);
	sf_queue_destroy();
	sf_writer_destroy();
}

/*! \brief the message body, bounded by Content-Length when it is present */
static sf_buf_t sf_msg_body(sip_msg_t *msg)
{
	sf_buf_t b = {NULL, 0};
	char *body;
	int len;

	body = get_body(msg);
	if(body == NULL)
		return b;
	len = (int)(msg->buf + msg->len - body);
	if(msg->content_length != NULL) {
		int clen = get_content_length(msg);
		if(clen >= 0 && clen < len)
			len = clen;
	}
	if(len > 0) {
		b.s = body;
		b.len = (size_t)len;
	}
	return b;
}

/*! \brief the first Content-Encoding, or an empty range */
static sf_buf_t sf_msg_encoding(sip_msg_t *msg)
{
	sf_buf_t b = {NULL, 0};
	hdr_field_t *hf;

	for(hf = msg->headers; hf != NULL; hf = hf->next) {
		if(hf->type == HDR_CONTENTENCODING_T) {
			b.s = hf->body.s;
			b.len = (size_t)hf->body.len;
			break;
		}
	}
	return b;
}

/*! \brief is the body encoded (deflate, gzip, ...: not identity)? */
static int sf_msg_body_encoded(sip_msg_t *msg)
{
	sf_buf_t ce = sf_msg_encoding(msg);

	ce = sf_buf_trim(ce.s, ce.len);
	return ce.len > 0 && !sf_buf_ieq(ce.s, ce.len, "identity");
}

static int sf_set_xavp(sf_class_result_t *r, int by_profile, const char *fwd)
{
	str root = str_init("sf");
	str k_class = str_init("class");
	str k_notify = str_init("notify");
	str k_source = str_init("source");
	str k_forward = str_init("forward");
	str v_source, v_forward;

	v_source.s = (by_profile && r->source == SF_SRC_DEFAULT)
						 ? "profile"
						 : (char *)sf_source_name(r->source);
	v_source.len = strlen(v_source.s);
	xavp_rm_by_name(&root, 1, NULL);
	if(xavp_set_child_ival(&root, &k_class, r->cls) < 0
			|| xavp_set_child_ival(&root, &k_notify, r->notify) < 0
			|| xavp_set_child_sval(&root, &k_source, &v_source) < 0) {
		LM_ERR("cannot set $xavp(sf)\n");
		return -1;
	}
	if(fwd && *fwd) {
		v_forward.s = (char *)fwd;
		v_forward.len = strlen(fwd);
		xavp_set_child_sval(&root, &k_forward, &v_forward);
	}
	return 0;
}

/* the recipient's profile (R-URI as received), for a MESSAGE */
static int sf_msg_profile(sip_msg_t *msg, sf_policy_t *pol)
{
	char aor[512];
	str a;

	if(_sf_cfg.db_url == NULL || msg->REQ_METHOD != METHOD_MESSAGE)
		return 0;
	a.len = sf_aor_of(&msg->first_line.u.request.uri, aor, sizeof(aor));
	if(a.len <= 0)
		return 0;
	a.s = aor;
	return sf_profile_get(&_sf_wdb, &a, pol) == 1;
}

/*!
 * \brief classify the current request (see sf_classify.h for the grammar)
 * \return 1 instant, 2 store, 3 store + report, -1 not MESSAGE/INVITE,
 *   -2 unparsable flag
 */
/* classify msg; with set_xavp, $xavp(sf=>...) as sf_classify() sets it */
static int sf_classify_msg(
		sip_msg_t *msg, int set_xavp, sf_class_result_t *resp)
{
	sf_buf_t rd[SF_CLS_MAX_HDRS], cd[SF_CLS_MAX_HDRS];
	sf_class_input_t in;
	sf_class_result_t res;
	sf_policy_t pol;
	hdr_field_t *hf;
	int ret, has_pol;

	memset(&in, 0, sizeof(in));
	if(msg->first_line.type != SIP_REQUEST)
		return SF_CLS_ERR_METHOD;
	if(msg->REQ_METHOD == METHOD_MESSAGE)
		in.method = SF_METHOD_MESSAGE;
	else if(msg->REQ_METHOD == METHOD_INVITE)
		in.method = SF_METHOD_INVITE;
	else
		return SF_CLS_ERR_METHOD;
	if(parse_headers(msg, HDR_EOH_F, 0) < 0) {
		LM_DBG("cannot parse headers (call-id %.*s)\n",
				msg->callid ? msg->callid->body.len : 0,
				msg->callid ? msg->callid->body.s : "");
		return SF_CLS_ERR_PARSE;
	}
	in.req_disp = rd;
	in.cont_disp = cd;
	for(hf = msg->headers; hf != NULL; hf = hf->next) {
		if(hf->type == HDR_REQUESTDISPOSITION_T
				&& in.n_req_disp < SF_CLS_MAX_HDRS) {
			rd[in.n_req_disp].s = hf->body.s;
			rd[in.n_req_disp++].len = (size_t)hf->body.len;
		} else if(hf->type == HDR_CONTENTDISPOSITION_T
				  && in.n_cont_disp < SF_CLS_MAX_HDRS) {
			cd[in.n_cont_disp].s = hf->body.s;
			cd[in.n_cont_disp++].len = (size_t)hf->body.len;
		}
	}
	if(msg->content_type != NULL) {
		in.content_type.s = msg->content_type->body.s;
		in.content_type.len = (size_t)msg->content_type->body.len;
	}
	in.body = sf_msg_body(msg);
	in.content_encoding = sf_msg_encoding(msg);
	in.default_class = _sf_cfg.default_class;
	/* the recipient's profile comes between the sender and the default */
	has_pol = sf_msg_profile(msg, &pol);
	if(has_pol && pol.store != SF_POLICY_STORE_UNSET)
		in.default_class = pol.store;

	ret = sf_classify_parse(&in, &res);
	if(ret < 0) {
		LM_INFO("unparsable store flag in %.*s from %.*s (call-id %.*s)\n",
				msg->first_line.u.request.method.len,
				msg->first_line.u.request.method.s,
				msg->from ? msg->from->body.len : 0,
				msg->from ? msg->from->body.s : "",
				msg->callid ? msg->callid->body.len : 0,
				msg->callid ? msg->callid->body.s : "");
		return ret;
	}
	if(resp)
		*resp = res;
	if(set_xavp
			&& sf_set_xavp(&res, has_pol && pol.store != SF_POLICY_STORE_UNSET,
					   has_pol ? pol.forward : NULL)
					   < 0)
		return SF_CLS_ERR_PARSE;
	LM_DBG("class %s (notify %d) from %s for %.*s (call-id %.*s)\n",
			sf_class_name(res.cls), res.notify, sf_source_name(res.source),
			msg->first_line.u.request.uri.len, msg->first_line.u.request.uri.s,
			msg->callid ? msg->callid->body.len : 0,
			msg->callid ? msg->callid->body.s : "");
	return ret;
}

static int ki_sf_classify(sip_msg_t *msg)
{
	return sf_classify_msg(msg, 1, NULL);
}

static int w_sf_classify(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_sf_classify(msg);
}


/* ------------------------------------------------------------------ */
/* sf_store() */

/* sf_kept_headers() writes here when it fits (always, for UDP): no
 * allocation per message */
static char _sf_hdr_buf[BUF_SIZE + 128];

static void sf_hdrs_free(char *s)
{
	if(s != NULL && s != _sf_hdr_buf)
		pkg_free(s);
}

/* did the script remove this header (remove_hf() and the like leave a
 * LUMP_DEL over it; the parsed header itself stays)? */
static int sf_hdr_removed(sip_msg_t *msg, hdr_field_t *hf)
{
	struct lump *l;
	unsigned int off = (unsigned int)(hf->name.s - msg->buf);

	for(l = msg->add_rm; l != NULL; l = l->next) {
		if(l->op == LUMP_DEL && l->u.offset <= off
				&& off + hf->len <= l->u.offset + l->len)
			return 1;
	}
	return 0;
}

/* the name as the lists know it: compact forms spelled out */
static int sf_hdr_is(hdr_field_t *hf, const char *list, size_t llen)
{
	static const struct
	{
		int type;
		const char *name;
	} compact[] = {{HDR_SUBJECT_T, "Subject"},
			{HDR_CONTENTENCODING_T, "Content-Encoding"},
			{HDR_CONTENTTYPE_T, "Content-Type"},
			{HDR_CONTENTLENGTH_T, "Content-Length"}, {HDR_FROM_T, "From"},
			{HDR_TO_T, "To"}, {HDR_CALLID_T, "Call-ID"}, {HDR_VIA_T, "Via"},
			{HDR_CONTACT_T, "Contact"}, {HDR_IDENTITY_T, "Identity"},
			{HDR_IDENTITY_INFO_T, "Identity-Info"}};
	unsigned int i;

	if(sf_name_in_list(hf->name.s, hf->name.len, list, llen))
		return 1;
	if(hf->name.len != 1)
		return 0;
	for(i = 0; i < sizeof(compact) / sizeof(compact[0]); i++) {
		if(hf->type == compact[i].type)
			return sf_name_in_list(
					compact[i].name, strlen(compact[i].name), list, llen);
	}
	return 0;
}

/* "Name: value\r\n" of every header to keep, and Date when absent:
 * never the routing and credential headers; the identity headers only from
 * a trusted source; nothing the script removed; Expires once */
static int sf_kept_headers(sip_msg_t *msg, time_t received, str *out)
{
	hdr_field_t *hf;
	int size = 64, has_date = 0, has_expires = 0, len = 0, trusted, n;
	char *buf;

	trusted = _sf_cfg.trusted_flag >= 0
			  && isflagset(msg, _sf_cfg.trusted_flag) == 1;
	for(hf = msg->headers; hf != NULL; hf = hf->next)
		size += hf->name.len + hf->body.len + 4;
	buf = size <= (int)sizeof(_sf_hdr_buf) ? _sf_hdr_buf : pkg_malloc(size);
	if(buf == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	for(hf = msg->headers; hf != NULL; hf = hf->next) {
		if(sf_hdr_is(hf, _sf_never_kept, sizeof(_sf_never_kept) - 1))
			continue;
		if(sf_hdr_is(hf, _sf_identity, sizeof(_sf_identity) - 1)) {
			if(!trusted)
				continue;
		} else if(!sf_hdr_is(hf, _sf_always_kept, sizeof(_sf_always_kept) - 1)
				  && !sf_hdr_is(hf, _sf_cfg.keep_headers,
						  strlen(_sf_cfg.keep_headers))) {
			continue;
		}
		if(sf_hdr_removed(msg, hf))
			continue;
		if(hf->type == HDR_EXPIRES_T) {
			if(has_expires)
				continue; /* the first one counts (parse_expires) */
			has_expires = 1;
		}
		if(hf->type == HDR_DATE_T)
			has_date = 1;
		memcpy(buf + len, hf->name.s, hf->name.len);
		len += hf->name.len;
		memcpy(buf + len, ": ", 2);
		len += 2;
		memcpy(buf + len, hf->body.s, hf->body.len);
		len += hf->body.len;
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	if(!has_date) {
		memcpy(buf + len, "Date: ", 6);
		len += 6;
		n = sf_http_date(received, buf + len, size - len);
		if(n < 0) {
			sf_hdrs_free(buf);
			return -1;
		}
		len += n;
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	out->s = buf;
	out->len = len;
	return 0;
}

/* why the last sf_store*() of this process refused the request as bad
 * ($sfwd(reason), for the 400's Warning) */
static const char *_sf_last_reason = "";

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

/* the class the sender asked for: $xavp(sf) when sf_classify() ran */
static int sf_msg_class(sip_msg_t *msg, int *notify)
{
	str root = str_init("sf");
	str k_class = str_init("class");
	str k_notify = str_init("notify");
	sr_xavp_t *x;
	int cls;

	x = xavp_get_child_with_ival(&root, &k_class);
	if(x == NULL) {
		/* sf_classify() did not run: classify, leaving $xavp(sf) alone
		 * (no shared memory taken for a verdict used only here) */
		sf_class_result_t res;
		cls = sf_classify_msg(msg, 0, &res);
		if(cls < 0)
			return cls;
		*notify = res.notify;
		return res.cls;
	}
	cls = x->val.v.i;
	x = xavp_get_child_with_ival(&root, &k_notify);
	*notify = x ? x->val.v.i : 0;
	return cls;
}

/* $sfwd(rc) and $sfwd(id): the last store of this process */
static int _sf_last_rc = 0;
static long long _sf_last_id = 0;

static void sf_store_set_result(int rc, long long id)
{
	_sf_last_rc = rc;
	_sf_last_id = id;
}

/* sf_store() up to the insert: 1 with *rp filled in (rp->headers in pkg
 * memory, the caller frees it; rp->aor in aor), or a negative code */
static int sf_store_prepare(
		sip_msg_t *msg, str *owner, sf_store_req_t *rp, char *aor, int aorsize)
{
	sf_store_req_t r;
	sf_policy_t pol;
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
	r.cls = sf_msg_class(msg, &r.notify);
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
		if(!sf_policy_accepts(&pol, ct)) {
			str root = str_init("sf"), k_acc = str_init("accept"), v;
			char acc[4200];
			v.len = sf_policy_accept_header(&pol, acc, sizeof(acc));
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

	/* lifetime: the request's Expires, capped; else the default */
	r.lifetime =
			(has_pol && pol.lifetime > 0 && pol.lifetime < _sf_cfg.max_lifetime)
					? pol.lifetime
					: _sf_cfg.default_lifetime;
	if(msg->expires && parse_expires(msg->expires) == 0) {
		exp = (exp_body_t *)msg->expires->parsed;
		if(exp && exp->valid) {
			if(exp->val == 0) {
				LM_DBG("Expires: 0, nothing to store\n");
				return SF_STORE_ENOTSTORABLE;
			}
			r.lifetime = exp->val < (unsigned)_sf_cfg.max_lifetime
								 ? (int)exp->val
								 : _sf_cfg.max_lifetime;
		}
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
static int ki_sf_store_owner(sip_msg_t *msg, str *owner)
{
	long long id = 0;
	int ret = sf_store_do(msg, owner, &id);

	sf_store_set_result(ret, id);
	if(ret != 1)
		sf_store_count_failure(ret);
	return ret;
}

static int ki_sf_store(sip_msg_t *msg)
{
	return ki_sf_store_owner(msg, NULL);
}

static int w_sf_store(sip_msg_t *msg, char *p1, char *p2)
{
	str owner;

	if(p1 == NULL)
		return ki_sf_store(msg);
	if(fixup_get_svalue(msg, (gparam_t *)p1, &owner) < 0) {
		LM_ERR("cannot get the owner parameter\n");
		return SF_STORE_ENOTSTORABLE;
	}
	return ki_sf_store_owner(msg, &owner);
}

/* ------------------------------------------------------------------ */
/* sf_store_async() */

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
static int sf_store_async_do(sip_msg_t *msg, int rt, str *name, str *owner)
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

/* KEMI: an empty function name lets the writer answer */
static int ki_sf_store_async_owner(sip_msg_t *msg, str *fname, str *owner)
{
	return sf_store_async_do(msg,
			(fname == NULL || fname->len == 0) ? SF_WRITER_REPLY : -1, fname,
			owner);
}

static int ki_sf_store_async(sip_msg_t *msg, str *fname)
{
	return ki_sf_store_async_owner(msg, fname, NULL);
}

static int w_sf_store_async0(sip_msg_t *msg, char *p1, char *p2)
{
	str name = STR_NULL;

	return sf_store_async_do(msg, SF_WRITER_REPLY, &name, NULL);
}

/* param 1: the route's name (must exist); 2: the owner */
static int fixup_sf_store_async(void **param, int param_no)
{
	int rt;

	if(param_no == 2)
		return fixup_spve_null(param, 1);
	rt = route_lookup(&main_rt, (char *)*param);
	if(rt < 0 || main_rt.rlist[rt] == NULL) {
		LM_ERR("sf_store_async(): no route[%s] in the configuration\n",
				(char *)*param);
		return -1;
	}
	*param = (void *)(long)rt;
	return 0;
}

static int fixup_free_sf_store_async(void **param, int param_no)
{
	if(param_no == 2)
		return fixup_free_spve_null(param, 1);
	return 0;
}

static int w_sf_store_async(sip_msg_t *msg, char *p1, char *p2)
{
	str owner, name = STR_NULL;
	int rt = (int)(long)p1;

	if(p2 == NULL)
		return sf_store_async_do(msg, rt, &name, NULL);
	if(fixup_get_svalue(msg, (gparam_t *)p2, &owner) < 0) {
		LM_ERR("cannot get the owner parameter\n");
		return SF_STORE_ENOTSTORABLE;
	}
	return sf_store_async_do(msg, rt, &name, &owner);
}

/* $sfwd(rc), $sfwd(id), $sfwd(reason) */
static int pv_parse_sfwd_name(pv_spec_p sp, str *in)
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

static int pv_get_sfwd(sip_msg_t *msg, pv_param_t *param, pv_value_t *res)
{
	static char buf[24];
	str s;

	switch(param->pvn.u.isname.name.n) {
		case 0:
			return pv_get_sintval(msg, param, res, _sf_last_rc);
		case 2:
			if(_sf_last_reason[0] == '\0')
				return pv_get_null(msg, param, res);
			s.s = (char *)_sf_last_reason;
			s.len = strlen(_sf_last_reason);
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

/* ------------------------------------------------------------------ */
/* sf_flush() */

/*!
 * \brief queue the delivery of what waits for an AoR (a SIP URI or
 *   user@host)
 * \return 1 queued (or already waiting), -1 bad AoR or queue full
 */
static int ki_sf_flush_aor(sip_msg_t *msg, str *uri)
{
	char aor[512];
	str a;

	if(_sf_cfg.db_url == NULL) {
		LM_ERR("sf_flush() needs modparam db_url\n");
		return -1;
	}
	a.len = sf_aor_of(uri, aor, sizeof(aor));
	if(a.len <= 0) {
		LM_INFO("sf_flush: bad AoR %.*s\n", uri->len, uri->s);
		return -1;
	}
	a.s = aor;
	return sf_queue_push_aor(&a, SF_WORK_FLUSH) < 0 ? -1 : 1;
}

/*! \brief sf_flush() without an AoR: the To of a REGISTER, else the
 *   Request-URI as received; on an INVITE with an MSRP offer, the caller's
 *   own mailbox over MSRP; on a BYE of such a session, its end */
static int ki_sf_flush(sip_msg_t *msg)
{
	char aor[512];
	str a;

	if(msg->first_line.type != SIP_REQUEST)
		return -1;
	if(msg->REQ_METHOD == METHOD_INVITE) {
		if(_sf_cfg.db_url == NULL || parse_from_header(msg) < 0)
			return -1;
		a.len = sf_aor_of(&get_from(msg)->uri, aor, sizeof(aor));
		if(a.len <= 0)
			return -1;
		a.s = aor;
		return sf_msrps_invite(msg, &a);
	}
	if(msg->REQ_METHOD == METHOD_BYE || msg->REQ_METHOD == METHOD_CANCEL)
		return sf_msrps_bye(msg);
	if(msg->REQ_METHOD == METHOD_REGISTER) {
		if(parse_headers(msg, HDR_TO_F, 0) < 0 || msg->to == NULL)
			return -1;
		return ki_sf_flush_aor(msg, &get_to(msg)->uri);
	}
	return ki_sf_flush_aor(msg, &msg->first_line.u.request.uri);
}

static int w_sf_flush(sip_msg_t *msg, char *p1, char *p2)
{
	str uri;

	if(p1 == NULL)
		return ki_sf_flush(msg);
	if(fixup_get_svalue(msg, (gparam_t *)p1, &uri) < 0) {
		LM_ERR("cannot get the AoR parameter\n");
		return -1;
	}
	return ki_sf_flush_aor(msg, &uri);
}


/* ------------------------------------------------------------------ */
/* sf_encapsulate_msrp() */

static void sf_buf_rtrim(sf_buf_t *b)
{
	while(b->len > 0
			&& (b->s[b->len - 1] == ' ' || b->s[b->len - 1] == '\t'
					|| b->s[b->len - 1] == '\r' || b->s[b->len - 1] == '\n'))
		b->len--;
}

/*!
 * \brief the current request as message/sip (mode "sip") or
 *   message/sipfrag ("sipfrag") in MSRP SEND frame(s), into dst
 *
 * To-Path/From-Path: $xavp(sf=>msrp_to_path) / $xavp(sf=>msrp_from_path)
 * when set, else the modparams msrp_to_path / msrp_from_path. A payload
 * over msrp_chunk_size becomes several frames, one after the other.
 * \return 1 ok, -1 error
 */
static int sf_encapsulate(sip_msg_t *msg, pv_spec_t *dst, str *mode)
{
	str root = str_init("sf"), k_to = str_init("msrp_to_path"),
		k_from = str_init("msrp_from_path");
	str hdrs = STR_NULL, to_path, from_path;
	sr_xavp_t *x;
	sf_sipmsg_t m;
	sf_msrp_send_t f;
	sf_buf_t body;
	pv_value_t val;
	char *payload = NULL, *out = NULL, tid[24], mid[40];
	int plen, olen = 0, n, sipfrag = 0, ret = -1;
	size_t off, chunk = _sf_cfg.msrp_chunk_size;

	if(mode && mode->len > 0) {
		if(mode->len == 7 && strncasecmp(mode->s, "sipfrag", 7) == 0)
			sipfrag = 1;
		else if(!(mode->len == 3 && strncasecmp(mode->s, "sip", 3) == 0)) {
			LM_ERR("sf_encapsulate_msrp: mode is sip or sipfrag\n");
			return -1;
		}
	}
	if(msg->first_line.type != SIP_REQUEST
			|| parse_headers(msg, HDR_EOH_F, 0) < 0 || msg->callid == NULL
			|| msg->cseq == NULL || parse_from_header(msg) < 0
			|| msg->to == NULL) {
		LM_ERR("sf_encapsulate_msrp: not a request with From, To, Call-ID "
			   "and CSeq\n");
		return -1;
	}
	x = xavp_get_child_with_sval(&root, &k_to);
	to_path = x ? x->val.v.s : _sf_cfg.msrp_to_path;
	x = xavp_get_child_with_sval(&root, &k_from);
	from_path = x ? x->val.v.s : _sf_cfg.msrp_from_path;
	if(to_path.len == 0 || from_path.len == 0) {
		LM_ERR("sf_encapsulate_msrp: no To-Path/From-Path (modparams "
			   "msrp_to_path, msrp_from_path or $xavp(sf=>msrp_*_path))\n");
		return -1;
	}
	if(sf_kept_headers(
			   msg, msg->tval.tv_sec ? msg->tval.tv_sec : time(NULL), &hdrs)
			< 0)
		return -1;
	body = sf_msg_body(msg);
	memset(&m, 0, sizeof(m));
	m.ruri.s = msg->first_line.u.request.uri.s;
	m.ruri.len = msg->first_line.u.request.uri.len;
	/* the whole header values, parameters (tag) included */
	m.from.s = msg->from->body.s;
	m.from.len = msg->from->body.len;
	m.to.s = msg->to->body.s;
	m.to.len = msg->to->body.len;
	m.call_id.s = msg->callid->body.s;
	m.call_id.len = msg->callid->body.len;
	str2int(&get_cseq(msg)->number, &m.cseq);
	m.headers.s = hdrs.s;
	m.headers.len = hdrs.len;
	if(msg->content_type) {
		m.content_type.s = msg->content_type->body.s;
		m.content_type.len = msg->content_type->body.len;
	}
	m.body = body;
	plen = body.len + hdrs.len + msg->len + 512;
	payload = pkg_malloc(plen);
	if(payload == NULL) {
		PKG_MEM_ERROR;
		goto done;
	}
	/* header values as parsed may carry trailing white space, CR LF */
	sf_buf_rtrim(&m.from);
	sf_buf_rtrim(&m.to);
	sf_buf_rtrim(&m.call_id);
	sf_buf_rtrim(&m.content_type);
	plen = sf_sipmsg_build(&m, payload, plen);
	if(plen < 0) {
		LM_ERR("sf_encapsulate_msrp: cannot build the message/sip payload "
			   "(call-id %.*s)\n",
				msg->callid->body.len, msg->callid->body.s);
		goto done;
	}
	n = (plen + chunk - 1) / chunk;
	olen = n * (chunk + to_path.len + from_path.len + 256) + 1;
	out = pkg_malloc(olen);
	if(out == NULL) {
		PKG_MEM_ERROR;
		goto done;
	}
	memset(&f, 0, sizeof(f));
	f.to_path.s = to_path.s;
	f.to_path.len = to_path.len;
	f.from_path.s = from_path.s;
	f.from_path.len = from_path.len;
	sf_fmt(mid, sizeof(mid), "sfwd-%08x%08x", kam_rand(), kam_rand());
	f.message_id.s = mid;
	f.message_id.len = strlen(mid);
	f.content_type.s = sipfrag ? "message/sipfrag" : "message/sip";
	f.content_type.len = strlen(f.content_type.s);
	f.total = plen;
	do {
		sf_fmt(tid, sizeof(tid), "%08x%04x", kam_rand(), kam_rand() & 0xffff);
		f.tid.s = tid;
		f.tid.len = strlen(tid);
		f.chunk.s = payload;
		f.chunk.len = plen;
	} while(!sf_msrp_tid_ok(f.tid, f.chunk));
	n = 0;
	for(off = 0; off < (size_t)plen || off == 0; off += chunk) {
		size_t len = (size_t)plen - off < chunk ? (size_t)plen - off : chunk;
		int w;
		f.start = off + 1;
		f.chunk.s = payload + off;
		f.chunk.len = len;
		w = sf_msrp_build_send(&f, out + n, olen - n);
		if(w < 0)
			goto done;
		n += w;
		if(plen == 0)
			break;
	}
	memset(&val, 0, sizeof(val));
	val.flags = PV_VAL_STR;
	val.rs.s = out;
	val.rs.len = n;
	if(dst->setf(msg, &dst->pvp, (int)EQ_T, &val) < 0) {
		LM_ERR("sf_encapsulate_msrp: cannot set the destination\n");
		goto done;
	}
	ret = 1;
done:
	if(hdrs.s)
		sf_hdrs_free(hdrs.s);
	if(payload)
		pkg_free(payload);
	if(out)
		pkg_free(out);
	return ret;
}

static int ki_sf_encapsulate_msrp(sip_msg_t *msg, str *dst, str *mode)
{
	pv_spec_t *sp = pv_cache_get(dst);

	if(sp == NULL || sp->setf == NULL) {
		LM_ERR("sf_encapsulate_msrp: %.*s is not a writable variable\n",
				dst->len, dst->s);
		return -1;
	}
	return sf_encapsulate(msg, sp, mode);
}

static int ki_sf_encapsulate_msrp_sip(sip_msg_t *msg, str *dst)
{
	return ki_sf_encapsulate_msrp(msg, dst, NULL);
}

/* param 1: a writable variable; param 2: the mode, a dynamic string */
static int fixup_sf_encap(void **param, int param_no)
{
	return param_no == 1 ? fixup_pvar_null(param, 1)
						 : fixup_spve_null(param, 1);
}

static int fixup_free_sf_encap(void **param, int param_no)
{
	return param_no == 1 ? fixup_free_pvar_null(param, 1)
						 : fixup_free_spve_null(param, 1);
}

static int w_sf_encapsulate_msrp1(sip_msg_t *msg, char *p1, char *p2)
{
	return w_sf_encapsulate_msrp(msg, p1, NULL);
}

static int w_sf_encapsulate_msrp(sip_msg_t *msg, char *p1, char *p2)
{
	pv_spec_t *sp = (pv_spec_t *)p1;
	str mode = STR_NULL;

	if(sp->setf == NULL) {
		LM_ERR("sf_encapsulate_msrp: the destination is not writable\n");
		return -1;
	}
	if(p2 && fixup_get_svalue(msg, (gparam_t *)p2, &mode) < 0)
		return -1;
	return sf_encapsulate(msg, sp, &mode);
}

/* ------------------------------------------------------------------ */
/* sf_mwi_update() */

/*!
 * \brief publish now the message summary of an AoR (a SIP URI or
 *   user@host; default the Request-URI): call it before handle_subscribe()
 *   so that the first NOTIFY carries the current counts
 * \return 1 published, -1 error (or modparam mwi off)
 */
static int ki_sf_mwi_update_aor(sip_msg_t *msg, str *uri)
{
	char aor[512];
	str a;

	if(!_sf_cfg.mwi || _sf_cfg.db_url == NULL) {
		LM_ERR("sf_mwi_update() needs modparams db_url and mwi\n");
		return -1;
	}
	a.len = sf_aor_of(uri, aor, sizeof(aor));
	if(a.len <= 0)
		return -1;
	a.s = aor;
	return sf_mwi_publish(&_sf_wdb, &a) == 0 ? 1 : -1;
}

static int ki_sf_mwi_update(sip_msg_t *msg)
{
	if(msg->first_line.type != SIP_REQUEST)
		return -1;
	return ki_sf_mwi_update_aor(msg, &msg->first_line.u.request.uri);
}

static int w_sf_mwi_update(sip_msg_t *msg, char *p1, char *p2)
{
	str uri;

	if(p1 == NULL)
		return ki_sf_mwi_update(msg);
	if(fixup_get_svalue(msg, (gparam_t *)p1, &uri) < 0)
		return -1;
	return ki_sf_mwi_update_aor(msg, &uri);
}

/*!
 * \brief a SUBSCRIBE message-summary for the Request-URI's mailbox: the
 *   current counts published, then presence's handle_subscribe(), so that
 *   the subscription's NOTIFYs go out in CSeq order with current counts
 * \return handle_subscribe()'s result; -1 error (or modparam mwi off)
 */
static int ki_sf_mwi_subscribe(sip_msg_t *msg)
{
	char aor[512];
	str a;

	if(!_sf_cfg.mwi || _sf_cfg.db_url == NULL) {
		LM_ERR("sf_mwi_subscribe() needs modparams db_url and mwi\n");
		return -1;
	}
	if(msg->first_line.type != SIP_REQUEST
			|| msg->REQ_METHOD != METHOD_SUBSCRIBE)
		return -1;
	a.len = sf_aor_of(&msg->first_line.u.request.uri, aor, sizeof(aor));
	if(a.len <= 0)
		return -1;
	a.s = aor;
	return sf_mwi_subscribe(msg, &_sf_wdb, &a);
}

static int w_sf_mwi_subscribe(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_sf_mwi_subscribe(msg);
}

/* clang-format off */
static sr_kemi_t sr_kemi_sfwd_exports[] = {
	{ str_init("sfwd"), str_init("sf_classify"),
		SR_KEMIP_INT, ki_sf_classify,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_store"),
		SR_KEMIP_INT, ki_sf_store,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_store_async"),
		SR_KEMIP_INT, ki_sf_store_async,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_store_async_owner"),
		SR_KEMIP_INT, ki_sf_store_async_owner,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_store_owner"),
		SR_KEMIP_INT, ki_sf_store_owner,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_flush"),
		SR_KEMIP_INT, ki_sf_flush,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_flush_aor"),
		SR_KEMIP_INT, ki_sf_flush_aor,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_encapsulate_msrp"),
		SR_KEMIP_INT, ki_sf_encapsulate_msrp_sip,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_encapsulate_msrp_mode"),
		SR_KEMIP_INT, ki_sf_encapsulate_msrp,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_mwi_update"),
		SR_KEMIP_INT, ki_sf_mwi_update,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_mwi_subscribe"),
		SR_KEMIP_INT, ki_sf_mwi_subscribe,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_mwi_update_aor"),
		SR_KEMIP_INT, ki_sf_mwi_update_aor,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},

	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(sr_kemi_sfwd_exports);
	return 0;
}
