/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: event routes
 */

#include <stdio.h>
#include <string.h>

#include "core/action.h"
#include "core/dprint.h"
#include "core/fmsg.h"
#include "core/kemi.h"
#include "core/receive.h"
#include "core/route.h"
#include "core/xavp.h"
#include "core/parser/parse_from.h"

#include "sf_buf.h"
#include "sf_event.h"
#include "sf_cfg.h"

enum
{
	SF_EV_STORED = 0,
	SF_EV_DELIVERED,
	SF_EV_FAILED,
	SF_EV_SESSION_ACCEPTED,
	SF_EV_SESSION_ENDED,
	SF_EV_GROUP,
	SF_EV_N
};

static str _sf_ev_names[SF_EV_N] = {str_init("sfwd:stored"),
		str_init("sfwd:delivered"), str_init("sfwd:failed"),
		str_init("sfwd:session-accepted"), str_init("sfwd:session-ended"),
		str_init("sfwd:group")};
static int _sf_ev_rt[SF_EV_N] = {-1, -1, -1, -1, -1, -1};

int sf_event_mod_init(void)
{
	int i;

	for(i = 0; i < SF_EV_N; i++) {
		_sf_ev_rt[i] = route_lookup(&event_rt, _sf_ev_names[i].s);
		if(_sf_ev_rt[i] >= 0 && event_rt.rlist[_sf_ev_rt[i]] == NULL)
			_sf_ev_rt[i] = -1;
	}
	return 0;
}

static int sf_event_wanted(int ev)
{
	return _sf_ev_rt[ev] >= 0
		   || (_sf_cfg.event_callback.len > 0 && sr_kemi_eng_get() != NULL);
}

/* $xavp(sfev=>...) for the route */
static void sf_event_xavp(long long id, const str *aor, const str *from,
		const char *state, int code)
{
	str root = str_init("sfev"), k;
	char idbuf[24];
	str v;

	xavp_rm_by_name(&root, 1, NULL);
	v.s = idbuf;
	v.len = sf_fmt(idbuf, sizeof(idbuf), "%lld", id);
	if(v.len < 0)
		v.len = 0;
	k.s = "id";
	k.len = 2;
	xavp_set_child_sval(&root, &k, &v);
	if(aor && aor->len) {
		k.s = "aor";
		k.len = 3;
		xavp_set_child_sval(&root, &k, (str *)aor);
	}
	if(from && from->len) {
		k.s = "from";
		k.len = 4;
		xavp_set_child_sval(&root, &k, (str *)from);
	}
	v.s = (char *)state;
	v.len = strlen(state);
	k.s = "state";
	k.len = 5;
	xavp_set_child_sval(&root, &k, &v);
	k.s = "code";
	k.len = 4;
	xavp_set_child_ival(&root, &k, code);
}

int sf_route_run(sip_msg_t *msg, struct action *route, int type, str *kemi_fn,
		str *kemi_arg)
{
	int backup_rt = get_route_type(), ret = 0;
	struct run_act_ctx ctx;
	sr_kemi_eng_t *keng;

	set_route_type(type);
	init_run_actions_ctx(&ctx);
	if(route != NULL) {
		run_top_route(route, msg, &ctx);
	} else if(kemi_fn != NULL && kemi_fn->len > 0
			  && (keng = sr_kemi_eng_get()) != NULL) {
		if(sr_kemi_route(keng, msg, type, kemi_fn, kemi_arg) < 0) {
			LM_ERR("error in KEMI function %.*s\n", kemi_fn->len, kemi_fn->s);
			ret = -1;
		}
	}
	set_route_type(backup_rt);
	return ret;
}

static void sf_event_run(int ev, sip_msg_t *msg)
{
	sf_route_run(msg, _sf_ev_rt[ev] >= 0 ? event_rt.rlist[_sf_ev_rt[ev]] : NULL,
			EVENT_ROUTE, &_sf_cfg.event_callback, &_sf_ev_names[ev]);
}

void sf_event_stored(
		sip_msg_t *msg, long long id, const str *aor, const str *from)
{
	str root = str_init("sfev");
	sip_msg_t tmsg;

	if(!sf_event_wanted(SF_EV_STORED))
		return;
	if(msg == NULL) {
		if(faked_msg_get_new(&tmsg) < 0) {
			LM_ERR("cannot make a message for event_route[sfwd:stored]\n");
			return;
		}
	}
	sf_event_xavp(id, aor, from, "stored", 0);
	sf_event_run(SF_EV_STORED, msg ? msg : &tmsg);
	xavp_rm_by_name(&root, 1, NULL);
	if(msg == NULL) {
		free_sip_msg(&tmsg);
		ksr_msg_env_reset();
	}
}

void sf_event_outcome(int delivered, long long id, const str *aor,
		const str *from, const char *state, int code)
{
	int ev = delivered ? SF_EV_DELIVERED : SF_EV_FAILED;
	str root = str_init("sfev");
	sip_msg_t tmsg;

	if(!sf_event_wanted(ev))
		return;
	if(faked_msg_get_new(&tmsg) < 0) {
		LM_ERR("cannot make a message for event_route[%.*s]\n",
				_sf_ev_names[ev].len, _sf_ev_names[ev].s);
		return;
	}
	sf_event_xavp(id, aor, from, state, code);
	sf_event_run(ev, &tmsg);
	xavp_rm_by_name(&root, 1, NULL);
	free_sip_msg(&tmsg);
	ksr_msg_env_reset();
}

void sf_event_session(int accepted, sip_msg_t *msg, const str *aor,
		const str *from, const str *call_id, const char *state, int messages)
{
	int ev = accepted ? SF_EV_SESSION_ACCEPTED : SF_EV_SESSION_ENDED;
	str root = str_init("sfev"), k = str_init("call_id");
	sip_msg_t tmsg;

	if(!sf_event_wanted(ev))
		return;
	if(msg == NULL) {
		if(faked_msg_get_new(&tmsg) < 0) {
			LM_ERR("cannot make a message for event_route[%.*s]\n",
					_sf_ev_names[ev].len, _sf_ev_names[ev].s);
			return;
		}
	}
	/* id 0 (a session, not a message); code: messages stored */
	sf_event_xavp(0, aor, from, state, messages);
	if(call_id && call_id->len)
		xavp_set_child_sval(&root, &k, (str *)call_id);
	sf_event_run(ev, msg ? msg : &tmsg);
	xavp_rm_by_name(&root, 1, NULL);
	if(msg == NULL) {
		free_sip_msg(&tmsg);
		ksr_msg_env_reset();
	}
}

void sf_event_group(const str *from, const str *call_id, int code,
		const int counts[SF_EV_GROUP_COUNTS])
{
	static const char *names[SF_EV_GROUP_COUNTS] = {
			"copies", "delivered", "stored", "refused", "lost"};
	str root = str_init("sfev"), k;
	sip_msg_t tmsg;
	int i;

	if(!sf_event_wanted(SF_EV_GROUP))
		return;
	if(faked_msg_get_new(&tmsg) < 0) {
		LM_ERR("cannot make a message for event_route[sfwd:group]\n");
		return;
	}
	sf_event_xavp(0, NULL, from,
			code >= 200 && code < 300 ? "sent" : "not-sent", code);
	if(call_id && call_id->len) {
		k.s = "call_id";
		k.len = 7;
		xavp_set_child_sval(&root, &k, (str *)call_id);
	}
	for(i = 0; i < SF_EV_GROUP_COUNTS; i++) {
		k.s = (char *)names[i];
		k.len = strlen(names[i]);
		xavp_set_child_ival(&root, &k, counts[i]);
	}
	sf_event_run(SF_EV_GROUP, &tmsg);
	xavp_rm_by_name(&root, 1, NULL);
	/* no ksr_msg_env_reset(): this may run in a tm callback or in the
	 * script of the request being exploded, whose AVPs must stay */
	free_sip_msg(&tmsg);
}
