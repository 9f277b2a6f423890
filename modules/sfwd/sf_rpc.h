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

/*!
 * \brief mod_init: register the RPC commands; `db` is the connection
 *   the RPC handlers of this process use
 * \param db the connection (kept, not copied)
 * \return 0 ok, -1 error
 */
int sf_rpc_mod_init(sf_db_t *db);

#endif
