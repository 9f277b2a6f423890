/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: reading a SIP request (see sf_request.h)
 */

#include <string.h>
#include <strings.h>

#include "core/data_lump.h"
#include "core/dprint.h"
#include "core/flags.h"
#include "core/mem/mem.h"
#include "core/parser/parse_content.h"
#include "core/ut.h"
#include "core/xavp.h"

#include "sf_cfg.h"
#include "sf_profile_json.h"
#include "sf_profile.h"
#include "sf_request.h"
#include "sf_text.h"
#include "sf_ul.h"

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

/* sf_kept_headers() writes here when it fits (always, for UDP): no
 * allocation per message */
static char _sf_hdr_buf[BUF_SIZE + 128];

/*! \brief the message body, bounded by Content-Length when it is present */
sf_buf_t sf_msg_body(sip_msg_t *msg)
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
sf_buf_t sf_msg_encoding(sip_msg_t *msg)
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
int sf_msg_body_encoded(sip_msg_t *msg)
{
	sf_buf_t ce = sf_msg_encoding(msg);

	ce = sf_buf_trim(ce.s, ce.len);
	return ce.len > 0 && !sf_buf_ieq(ce.s, ce.len, "identity");
}

static int sf_set_xavp(
		sf_class_result_t *r, int by_profile, const char *fwd, int store_first)
{
	str root = str_init("sf");
	str k_class = str_init("class");
	str k_notify = str_init("notify");
	str k_source = str_init("source");
	str k_forward = str_init("forward");
	str k_store_first = str_init("store_first");
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
	if(store_first)
		xavp_set_child_ival(&root, &k_store_first, 1);
	return 0;
}

/* is a message for a reachable recipient stored and replayed rather than
 * relayed? Yes when the profile wants a notice with a link ("deliver":
 * "notify", with http_url set) or a copy beyond SIP of every message
 * (forward_when "always" with mailto:/sms: targets) */
static int sf_store_first(const sf_profile_t *p)
{
	int beyond = (1 << SF_FWD_MAILTO) | (1 << SF_FWD_SMS);

	if(p->deliver == SF_DELIVER_NOTIFY && _sf_cfg.http_url.len > 0)
		return 1;
	return p->forward_when == SF_FWD_WHEN_ALWAYS
		   && (sf_profile_forward_kinds(p) & beyond) != 0;
}

/* the recipient's profile (R-URI as received), for a MESSAGE */
static int sf_msg_profile(sf_db_t *db, sip_msg_t *msg, sf_profile_t *pol)
{
	char aor[512];
	str a;

	if(_sf_cfg.db_url == NULL
			|| (msg->REQ_METHOD != METHOD_MESSAGE
					&& msg->REQ_METHOD != METHOD_INVITE))
		return 0;
	a.len = sf_aor_of(&msg->first_line.u.request.uri, aor, sizeof(aor));
	if(a.len <= 0)
		return 0;
	a.s = aor;
	return sf_profile_get(db, &a, pol) == 1;
}

/*!
 * \brief classify the current request (see sf_classify.h for the grammar)
 * \return 1 instant, 2 store, 3 store + report, -1 not MESSAGE/INVITE,
 *   -2 unparsable flag
 */
/* classify msg; with set_xavp, $xavp(sf=>...) as sf_classify() sets it */
int sf_classify_msg(
		sf_db_t *db, sip_msg_t *msg, int set_xavp, sf_class_result_t *resp)
{
	sf_buf_t rd[SF_CLS_MAX_HDRS], cd[SF_CLS_MAX_HDRS];
	sf_class_input_t in;
	sf_class_result_t res;
	sf_profile_t pol;
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
	has_pol = sf_msg_profile(db, msg, &pol);
	if(has_pol && pol.store != SF_PROFILE_STORE_UNSET)
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
			&& sf_set_xavp(&res, has_pol && pol.store != SF_PROFILE_STORE_UNSET,
					   /* relayed instead of stored: forward_when offline */
					   has_pol && pol.forward_when <= SF_FWD_WHEN_OFFLINE
							   ? pol.forward
							   : NULL,
					   has_pol && sf_store_first(&pol))
					   < 0)
		return SF_CLS_ERR_PARSE;
	LM_DBG("class %s (notify %d) from %s for %.*s (call-id %.*s)\n",
			sf_class_name(res.cls), res.notify, sf_source_name(res.source),
			msg->first_line.u.request.uri.len, msg->first_line.u.request.uri.s,
			msg->callid ? msg->callid->body.len : 0,
			msg->callid ? msg->callid->body.s : "");
	return ret;
}

void sf_hdrs_free(char *s)
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
int sf_kept_headers(sip_msg_t *msg, time_t received, str *out)
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

/* the class the sender asked for: $xavp(sf) when sf_classify() ran */
int sf_msg_class(sf_db_t *db, sip_msg_t *msg, int *notify)
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
		cls = sf_classify_msg(db, msg, 0, &res);
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
