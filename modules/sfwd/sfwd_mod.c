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

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/kemi.h"
#include "core/pvar.h"
#include "core/route.h"
#include "core/socket_info.h"
#include "core/parser/msg_parser.h"

#include "sf_cfg.h"
#include "sf_encap.h"
#include "sf_event.h"
#include "sf_flush.h"
#include "sf_intake.h"
#include "sf_msrp_server.h"
#include "sf_notify.h"
#include "sf_profile.h"
#include "sf_http.h"
#include "sf_reach.h"
#include "sf_queue.h"
#include "sf_request.h"
#include "sf_rpc.h"
#include "sf_stats.h"
#include "sf_store.h"
#include "sf_tm.h"
#include "sf_ul.h"
#include "sf_writer.h"
#include "sf_group.h"

MODULE_VERSION

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);
static int w_sf_classify(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_store(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_store_async(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_store_async0(sip_msg_t *msg, char *p1, char *p2);
static int fixup_sf_store_async(void **param, int param_no);
static int fixup_free_sf_store_async(void **param, int param_no);
static int w_sf_flush(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_mwi_update(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_mwi_subscribe(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_session_accept(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_explode(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_encapsulate_msrp(sip_msg_t *msg, char *p1, char *p2);
static int w_sf_http(sip_msg_t *msg, char *p1, char *p2);
static int ki_sf_http(sip_msg_t *msg);
static int w_sf_encapsulate_msrp1(sip_msg_t *msg, char *p1, char *p2);
static int fixup_sf_encap(void **param, int param_no);
static int fixup_free_sf_encap(void **param, int param_no);

/* clang-format off */
static cmd_export_t cmds[] = {
	{"sf_classify", (cmd_function)w_sf_classify, 0, 0, 0, ANY_ROUTE},
	{"sf_http", (cmd_function)w_sf_http, 0, 0, 0, ANY_ROUTE},
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
	{"sf_session_accept", (cmd_function)w_sf_session_accept, 0, 0, 0,
		REQUEST_ROUTE | FAILURE_ROUTE},
	{"sf_explode", (cmd_function)w_sf_explode, 0, 0, 0, REQUEST_ROUTE},
	{"sf_encapsulate_msrp", (cmd_function)w_sf_encapsulate_msrp1, 1,
		fixup_sf_encap, fixup_free_sf_encap, REQUEST_ROUTE | FAILURE_ROUTE},
	{"sf_encapsulate_msrp", (cmd_function)w_sf_encapsulate_msrp, 2,
		fixup_sf_encap, fixup_free_sf_encap, REQUEST_ROUTE | FAILURE_ROUTE},
	{"sf_mwi_update", (cmd_function)w_sf_mwi_update, 1, fixup_spve_null,
		fixup_free_spve_null, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static pv_export_t mod_pvs[] = {
	{{"sfwd", sizeof("sfwd") - 1}, PVT_OTHER, sf_intake_pv_get, 0,
		sf_intake_pv_parse, 0, 0, 0},
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

static int mod_init(void)
{
	if(sf_cfg_check() < 0)
		return -1;
	if(sf_stats_mod_init() < 0 || sf_rpc_mod_init(sf_intake_db()) < 0
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
	if(sf_group_mod_init() < 0 || sf_notify_mod_init() < 0)
		return -1;
	if(sf_msrp_server_mod_init() < 0 || sf_profile_mod_init() < 0)
		return -1;
	if(sf_store_startup_check(
			   _sf_cfg.db_url, _sf_cfg.flush_db_timeout_ms, &_sf_cfg.node_id)
			< 0)
		return -1;
	if(sf_intake_mod_init() < 0 || sf_reach_mod_init() < 0
			|| sf_http_mod_init() < 0)
		return -1;
	return sf_flush_mod_init();
}

static int child_init(int rank)
{
	if(_sf_cfg.db_url == NULL)
		return 0;
	if(rank == PROC_MAIN)
		return (sf_flush_fork() < 0 || sf_msrp_server_fork() < 0
					   || sf_writer_fork() < 0 || sf_reach_fork() < 0)
					   ? -1
					   : 0;
	if(rank == PROC_INIT || rank == PROC_TCP_MAIN)
		return 0;
	sf_intake_child_init(rank);
	return 0;
}

static void mod_destroy(void)
{
	sf_intake_destroy();
	sf_queue_destroy();
	sf_writer_destroy();
	sf_group_destroy();
}

/* a script function's optional string parameter: ki0 without it, ki1
 * with its value, err when it has none */
static int sf_w_opt_str(sip_msg_t *msg, char *p1, int (*ki0)(sip_msg_t *),
		int (*ki1)(sip_msg_t *, str *), const char *what, int err)
{
	str s;

	if(p1 == NULL)
		return ki0(msg);
	if(fixup_get_svalue(msg, (gparam_t *)p1, &s) < 0) {
		LM_ERR("cannot get the %s parameter\n", what);
		return err;
	}
	return ki1(msg, &s);
}

static int ki_sf_classify(sip_msg_t *msg)
{
	return sf_classify_msg(sf_intake_db(), msg, 1, NULL);
}

static int w_sf_classify(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_sf_classify(msg);
}

/* ------------------------------------------------------------------ */
/* sf_store() */

/*!
 * \brief store the current MESSAGE for its recipient (owner: a SIP URI or
 *   user@host; default the Request-URI as received)
 * \return 1 stored and committed, -1 not storable, -2 database
 *   unavailable, -3 mailbox full, -4 body too large, -5 content type the
 *   recipient's profile does not accept ($xavp(sf=>accept) names what it
 *   does), -6 a bad request ($sfwd(reason))
 */
static int ki_sf_store_owner(sip_msg_t *msg, str *owner)
{
	return sf_intake_store(msg, owner);
}

static int ki_sf_store(sip_msg_t *msg)
{
	return ki_sf_store_owner(msg, NULL);
}

static int w_sf_store(sip_msg_t *msg, char *p1, char *p2)
{
	return sf_w_opt_str(msg, p1, ki_sf_store, ki_sf_store_owner, "owner",
			SF_STORE_ENOTSTORABLE);
}

/* ------------------------------------------------------------------ */
/* sf_store_async() */

/* KEMI: an empty function name lets the writer answer */
static int ki_sf_store_async_owner(sip_msg_t *msg, str *fname, str *owner)
{
	return sf_intake_store_async(msg,
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

	return sf_intake_store_async(msg, SF_WRITER_REPLY, &name, NULL);
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
		return sf_intake_store_async(msg, rt, &name, NULL);
	if(fixup_get_svalue(msg, (gparam_t *)p2, &owner) < 0) {
		LM_ERR("cannot get the owner parameter\n");
		return SF_STORE_ENOTSTORABLE;
	}
	return sf_intake_store_async(msg, rt, &name, &owner);
}

/* ------------------------------------------------------------------ */
/* sf_flush() */

/*! \brief sf_flush(aor): see sf_flush_aor() */
static int ki_sf_flush_aor(sip_msg_t *msg, str *uri)
{
	return sf_flush_aor(uri);
}

/*! \brief sf_flush(): see sf_flush_request() */
static int ki_sf_flush(sip_msg_t *msg)
{
	return sf_flush_request(msg);
}

static int w_sf_flush(sip_msg_t *msg, char *p1, char *p2)
{
	return sf_w_opt_str(msg, p1, ki_sf_flush, ki_sf_flush_aor, "AoR", -1);
}

/* ------------------------------------------------------------------ */
/* sf_encapsulate_msrp() */

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

/*! \brief sf_mwi_update(aor): see sf_mwi_update() */
static int ki_sf_mwi_update_aor(sip_msg_t *msg, str *uri)
{
	return sf_mwi_update(sf_intake_db(), uri);
}

/*! \brief sf_mwi_update(): the Request-URI's summary */
static int ki_sf_mwi_update(sip_msg_t *msg)
{
	if(msg->first_line.type != SIP_REQUEST)
		return -1;
	return ki_sf_mwi_update_aor(msg, &msg->first_line.u.request.uri);
}

static int w_sf_mwi_update(sip_msg_t *msg, char *p1, char *p2)
{
	return sf_w_opt_str(
			msg, p1, ki_sf_mwi_update, ki_sf_mwi_update_aor, "AoR", -1);
}

/*! \brief sf_mwi_subscribe(): see sf_mwi_subscribe() */
static int ki_sf_mwi_subscribe(sip_msg_t *msg)
{
	return sf_mwi_subscribe(msg, sf_intake_db());
}

static int w_sf_mwi_subscribe(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_sf_mwi_subscribe(msg);
}

/* sf_explode() */
static int ki_sf_explode(sip_msg_t *msg)
{
	return sf_group_explode(msg);
}

static int w_sf_explode(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_sf_explode(msg);
}

static int ki_sf_session_accept(sip_msg_t *msg)
{
	return sf_intake_session(msg);
}

static int w_sf_session_accept(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_sf_session_accept(msg);
}

static int ki_sf_http(sip_msg_t *msg)
{
	if(_sf_cfg.db_url == NULL)
		return -1;
	return sf_http_request(msg);
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
	{ str_init("sfwd"), str_init("sf_explode"),
		SR_KEMIP_INT, ki_sf_explode,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_session_accept"),
		SR_KEMIP_INT, ki_sf_session_accept,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_mwi_subscribe"),
		SR_KEMIP_INT, ki_sf_mwi_subscribe,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sfwd"), str_init("sf_http"),
		SR_KEMIP_INT, ki_sf_http,
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

/* sf_http(): event_route[xhttp:request] */
static int w_sf_http(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_sf_http(msg);
}
