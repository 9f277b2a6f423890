/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: RPC commands (kamcmd sfwd.*, JSON-RPC) and statistics
 *
 * RPC handlers run in the ctl/jsonrpcs process and use that process's own
 * database connection; they copy shared data out under its lock and
 * format the reply after releasing it, and never hold a lock while they
 * talk to the database.
 */

#ifndef _SF_RPC_H_
#define _SF_RPC_H_

#include "core/counters.h"

#include "sf_db.h"

/*! \brief the statistics under "sfwd:" */
extern stat_var *_sf_st_stored;
extern stat_var *_sf_st_delivered;
extern stat_var *_sf_st_failed;
extern stat_var *_sf_st_expired;
extern stat_var *_sf_st_rej_full;
extern stat_var *_sf_st_rej_size;
extern stat_var *_sf_st_rej_type;
extern stat_var *_sf_st_rej_other;
extern stat_var *_sf_st_rej_bad;
extern stat_var *_sf_st_db_errors;
extern stat_var *_sf_st_reports;
extern stat_var *_sf_st_batches;

/*! \brief mod_init: register statistics and RPC commands; `db` is the
 *   connection the RPC handlers of this process use */
int sf_rpc_mod_init(sf_db_t *db);

/*! \brief flusher 0 refreshes the queued-messages gauge (queue_depth) */
void sf_rpc_set_queued(long n);

/*! \brief the AoR of a SIP URI or user@host, as usrloc keys it (in
 *   sfwd_mod.c); length or <= 0 */
int sf_aor_of(str *uri, char *out, int outsize);

#endif
