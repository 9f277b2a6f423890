/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: configuration: every modparam, its default and its range
 *
 * One list per kind: adding an integer parameter is one row of
 * SF_CFG_INTS (name, default, min, max) plus its section in doc/sfwd.md;
 * a string parameter one row of SF_CFG_STRS (name, default). The struct
 * members, the defaults, the modparam table and the range checks are made
 * from these lists (sf_cfg.c). Read _sf_cfg anywhere; only sf_cfg.c and
 * mod_init write it.
 */

#ifndef _SF_CFG_H_
#define _SF_CFG_H_

#include "core/sr_module.h"
#include "core/str.h"

/* clang-format off */
/*! \brief integer modparams: name, default, min, max */
#define SF_CFG_INTS(X)                                     \
	X(db_timeout_ms, 2000, 10, 600000)                     \
	X(flush_db_timeout_ms, 10000, 10, 600000)              \
	X(max_messages, 1000, 0, 100000000)                    \
	X(max_body_size, 131072, 1, 16777216)                  \
	X(default_lifetime, 604800, 1, 315360000)              \
	X(max_lifetime, 2592000, 1, 315360000)                 \
	X(trusted_flag, -1, -1, 31)                            \
	X(flush_workers, 2, 1, 64)                             \
	X(flush_on_register, 1, 0, 2147483647)                 \
	X(flush_window, 1, 1, 10000)                           \
	X(flush_batch, 100, 1, 10000)                          \
	X(lease_time, 120, 5, 86400)                           \
	X(retry_interval, 60, 1, 86400)                        \
	X(max_retry_interval, 3600, 1, 2592000)                \
	X(max_attempts, 10, 0, 1000000)                        \
	X(retention, 86400, 0, 315360000)                      \
	X(sweep_interval, 5, 1, 3600)                          \
	X(queue_size, 10000, 1, 10000000)                      \
	X(store_queue, 10000, 1, 10000000)                     \
	X(store_batch, 500, 1, 10000)                          \
	X(store_delay_ms, 20, 0, 1000)                         \
	X(stored_notice, 0, 0, 2147483647)                     \
	X(stored_notice_interval, 60, 0, 86400)                \
	X(mwi, 0, 0, 2147483647)                               \
	X(msrp_chunk_size, 2048, 64, 1048576)                  \
	X(msrp_idle_timeout, 60, 1, 86400)                     \
	X(msrp_max_sessions, 256, 1, 10000)                    \
	X(msrp_user_sessions, 2, 1, 10000)                     \
	X(msrp_bind_timeout, 5, 1, 3600)                       \
	X(session_messages, 1000, 1, 1000000)                  \
	X(session_sender_max, 16, 1, 10000)                    \
	X(profile_cache_ttl, 60, 0, 86400)                      \
	X(profile_cache_size, 10000, 0, 10000000)                \
	X(cluster, 0, 0, 1)                                    \
	X(forward_interval_ms, 1000, 50, 600000)               \
	X(forward_timeout_ms, 10000, 100, 600000)              \
	X(forward_max_attempts, 10, 1, 1000000)                \
	X(forward_batch, 20, 1, 1000)                          \
	X(fetch_threshold, 65536, 0, 2147483647)              \
	X(max_recipients, 100, 1, 10000)                       \
	X(group_history, 1, 0, 1)                              \
	X(group_timeout, 30, 2, 300)

/*! \brief string modparams (str; len 0 when unset): name, default */
#define SF_CFG_STRS(X)                                     \
	X(node_id, "")                                         \
	X(ul_table, "location")                                \
	X(report_from, "")                                     \
	X(report_proxy, "")                                    \
	X(mwi_domain, "")                                      \
	X(msrp_listen, "")                                     \
	X(msrp_to_path, "")                                    \
	X(msrp_from_path, "")                                  \
	X(event_callback, "")                                  \
	X(wake_channel, "")                                    \
	X(smtp_url, "")                                        \
	X(smtp_from, "")                                       \
	X(kannel_url, "")                                      \
	X(kannel_user, "")                                     \
	X(kannel_pass, "")                                     \
	X(kannel_from, "")                                     \
	X(http_url, "")
/* clang-format on */

#define SF_REPORT_IMDN 0
#define SF_REPORT_TEXT 1

#define SF_CFG_INT_MEMBER(name, def, min, max) int name;
#define SF_CFG_STR_MEMBER(name, def) str name;

/*! \brief every modparam (and node_id once resolved) */
typedef struct sf_cfg
{
	SF_CFG_INTS(SF_CFG_INT_MEMBER)
	SF_CFG_STRS(SF_CFG_STR_MEMBER)
	int default_class;	/*!< enum sf_class (default_class) */
	int report_mode;	/*!< SF_REPORT_IMDN or SF_REPORT_TEXT (report_mode) */
	char *db_url;		/*!< libpq URI; NULL: only sf_classify() works */
	char *keep_headers; /*!< comma-separated names, "" when unset */
} sf_cfg_t;

extern sf_cfg_t _sf_cfg;

/*! \brief the modparam table of the module's exports */
extern param_export_t sf_cfg_params[];

/*!
 * \brief mod_init: string parameters into _sf_cfg, every integer within
 *   its range (a clear error names the one that is not), node_id resolved
 *   ("<hostname>:<first listen port>" unless set)
 * \return 0 ok, -1 a parameter is out of range
 */
int sf_cfg_check(void);

#endif
