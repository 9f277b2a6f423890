/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: sf_encapsulate_msrp() (see sf_encap.h)
 */

#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/dprint.h"
#include "core/lvalue.h"
#include "core/mem/mem.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_cseq.h"
#include "core/rand/kam_rand.h"
#include "core/ut.h"
#include "core/xavp.h"

#include "sf_buf.h"
#include "sf_cfg.h"
#include "sf_encap.h"
#include "sf_msrp.h"
#include "sf_request.h"

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
int sf_encapsulate(sip_msg_t *msg, pv_spec_t *dst, str *mode)
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
	size_t i, chunk = _sf_cfg.msrp_chunk_size;

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
	/* one transaction id prefix the payload does not hold; each chunk
	 * adds its index */
	do {
		sf_fmt(tid, sizeof(tid), "%08x%04x", kam_rand(), kam_rand() & 0xffff);
	} while(!sf_msrp_tid_ok(sf_bufv(tid, strlen(tid)), sf_bufv(payload, plen)));
	n = 0;
	for(i = 0; i < sf_msrp_chunks(plen, chunk); i++) {
		int w = sf_msrp_build_chunk(&f, sf_bufv(payload, plen), chunk, i,
				sf_bufv(tid, strlen(tid)), out + n, olen - n);
		if(w < 0)
			goto done;
		n += w;
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
