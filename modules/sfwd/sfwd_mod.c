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

#include <string.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/xavp.h"
#include "core/kemi.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_content.h"

#include "sf_classify.h"

MODULE_VERSION

/* modparam default_class: instant | store | notify */
static int _sf_default_class = SF_CLASS_STORE;

static int mod_init(void);
static int sf_param_default_class(modparam_t type, void *val);
static int w_sf_classify(sip_msg_t *msg, char *p1, char *p2);

/* clang-format off */
static cmd_export_t cmds[] = {
	{"sf_classify", (cmd_function)w_sf_classify, 0, 0, 0, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"default_class", PARAM_STRING | PARAM_USE_FUNC,
		(void *)sf_param_default_class},
	{0, 0, 0}
};

struct module_exports exports = {
	"sfwd",			 /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,			 /* cmd (cfg function) exports */
	params,			 /* param exports */
	0,				 /* RPC method exports */
	0,				 /* pseudo-variables exports */
	0,				 /* response handling function */
	mod_init,		 /* module init function */
	0,				 /* per-child init function */
	0				 /* module destroy function */
};
/* clang-format on */

/* checked when the cfg is read, so that `kamailio -c` catches it */
static int sf_param_default_class(modparam_t type, void *val)
{
	char *s = (char *)val;
	int c = sf_class_from_name(s, strlen(s));

	if(c < 0) {
		LM_ERR("invalid default_class '%s' (use instant, store or notify)\n",
				s);
		return -1;
	}
	_sf_default_class = c;
	return 0;
}

static int mod_init(void)
{
	return 0;
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

static int sf_set_xavp(sf_class_result_t *r)
{
	str root = str_init("sf");
	str k_class = str_init("class");
	str k_notify = str_init("notify");
	str k_source = str_init("source");
	str v_source;

	v_source.s = (char *)sf_source_name(r->source);
	v_source.len = strlen(v_source.s);
	xavp_rm_by_name(&root, 1, NULL);
	if(xavp_set_child_ival(&root, &k_class, r->cls) < 0
			|| xavp_set_child_ival(&root, &k_notify, r->notify) < 0
			|| xavp_set_child_sval(&root, &k_source, &v_source) < 0) {
		LM_ERR("cannot set $xavp(sf)\n");
		return -1;
	}
	return 0;
}

/*!
 * \brief classify the current request (see sf_classify.h for the grammar)
 * \return 1 instant, 2 store, 3 store + report, -1 not MESSAGE/INVITE,
 *   -2 unparsable flag
 */
static int ki_sf_classify(sip_msg_t *msg)
{
	sf_buf_t rd[SF_CLS_MAX_HDRS], cd[SF_CLS_MAX_HDRS];
	sf_class_input_t in;
	sf_class_result_t res;
	hdr_field_t *hf;
	int ret;

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
	in.default_class = _sf_default_class;

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
	if(sf_set_xavp(&res) < 0)
		return SF_CLS_ERR_PARSE;
	LM_DBG("class %s (notify %d) from %s for %.*s (call-id %.*s)\n",
			sf_class_name(res.cls), res.notify, sf_source_name(res.source),
			msg->first_line.u.request.uri.len, msg->first_line.u.request.uri.s,
			msg->callid ? msg->callid->body.len : 0,
			msg->callid ? msg->callid->body.s : "");
	return ret;
}

static int w_sf_classify(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_sf_classify(msg);
}

/* clang-format off */
static sr_kemi_t sr_kemi_sfwd_exports[] = {
	{ str_init("sfwd"), str_init("sf_classify"),
		SR_KEMIP_INT, ki_sf_classify,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
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
