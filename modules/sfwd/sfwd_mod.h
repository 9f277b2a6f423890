/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: module parameters and bindings shared by the glue files
 */

#ifndef _SFWD_MOD_H_
#define _SFWD_MOD_H_

#include "core/str.h"
#include "modules/tm/tm_load.h"
#include "modules/usrloc/usrloc.h"

/*! \brief every modparam, with its default in sfwd_mod.c */
typedef struct sf_cfg
{
	int default_class;
	char *db_url;
	int db_timeout_ms;		 /*!< bound on a SIP worker's database wait */
	int flush_db_timeout_ms; /*!< bound on a flusher's database wait */
	int max_messages;
	int max_body_size;
	int default_lifetime;
	int max_lifetime;
	char *keep_headers;
	int trusted_flag; /*!< request flag: the source may assert identity */
	int flush_workers;
	int flush_on_register;
	int flush_window;
	int flush_batch;
	int lease_time;
	int retry_interval;
	int max_retry_interval;
	int max_attempts;
	int retention;
	int sweep_interval;
	str node_id;
	str ul_table;
	int queue_size;
	int store_queue;	/*!< sf_store_async() requests waiting, at most */
	int store_batch;	/*!< requests per sfwd_store_batch() */
	int store_delay_ms; /*!< a batch gathers requests this long */
	int report_mode;	/*!< SF_REPORT_IMDN or SF_REPORT_TEXT */
	str report_from;
	str report_proxy;
	int stored_notice;
	int stored_notice_interval;
	int mwi;
	str mwi_domain;
	str msrp_listen;
	int msrp_chunk_size;
	int msrp_idle_timeout;
	int msrp_max_sessions;
	int msrp_user_sessions; /*!< retrieval sessions one AoR may hold */
	int msrp_bind_timeout;	/*!< s a connection may take to bind */
	str msrp_to_path;
	str msrp_from_path;
	int policy_cache_ttl;
	int policy_cache_size;
	str event_callback;
} sf_cfg_t;

#define SF_REPORT_IMDN 0
#define SF_REPORT_TEXT 1

extern sf_cfg_t _sf_cfg;
extern struct tm_binds _sf_tmb;
extern usrloc_api_t _sf_ul;
extern udomain_t *_sf_udomain;

#endif
