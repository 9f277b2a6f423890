/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the statistics (see sf_stats.h)
 */

#include "core/atomic_ops.h"
#include "core/dprint.h"
#include "core/mem/shm_mem.h"

#include "sf_stats.h"

stat_var *_sf_stat_stored;
stat_var *_sf_stat_delivered;
stat_var *_sf_stat_failed;
stat_var *_sf_stat_expired;
stat_var *_sf_stat_rej_full;
stat_var *_sf_stat_rej_size;
stat_var *_sf_stat_rej_type;
stat_var *_sf_stat_rej_other;
stat_var *_sf_stat_rej_bad;
stat_var *_sf_stat_db_errors;
stat_var *_sf_stat_reports;
stat_var *_sf_stat_batches;
stat_var *_sf_stat_sess_accepted;
stat_var *_sf_stat_sess_msgs;
stat_var *_sf_stat_sess_delivered;
stat_var *_sf_stat_forwarded;
stat_var *_sf_stat_forward_failed;
stat_var *_sf_stat_forward_retries;
stat_var *_sf_stat_notified;
stat_var *_sf_stat_fetched;
stat_var *_sf_stat_fetch_denied;
stat_var *_sf_stat_sms_reports;
stat_var *_sf_stat_group_messages;
stat_var *_sf_stat_group_copies;
stat_var *_sf_stat_group_lost;

static atomic_t *_sf_queued = NULL;
/* seconds the oldest queued message has waited, when last counted */
static atomic_t *_sf_oldest = NULL;

static unsigned long sf_stat_oldest(void)
{
	long n = _sf_oldest ? (long)atomic_get(_sf_oldest) : 0;
	return n > 0 ? (unsigned long)n : 0;
}

/* server-side groups (sfwd_group rows); -1 until first counted */
static atomic_t *_sf_groups = NULL;

static unsigned long sf_stat_groups(void)
{
	long n = _sf_groups ? (long)atomic_get(_sf_groups) : 0;
	return n > 0 ? (unsigned long)n : 0;
}

static unsigned long sf_stat_queued(void)
{
	return _sf_queued ? (unsigned long)atomic_get(_sf_queued) : 0;
}

/* clang-format off */
static stat_export_t sf_stats[] = {
	{"stored", 0, &_sf_stat_stored},
	{"delivered", 0, &_sf_stat_delivered},
	{"failed", 0, &_sf_stat_failed},
	{"expired", 0, &_sf_stat_expired},
	{"rejected_full", 0, &_sf_stat_rej_full},
	{"rejected_size", 0, &_sf_stat_rej_size},
	{"rejected_type", 0, &_sf_stat_rej_type},
	{"rejected_other", 0, &_sf_stat_rej_other},
	{"rejected_bad", 0, &_sf_stat_rej_bad},
	{"db_errors", 0, &_sf_stat_db_errors},
	{"reports_sent", 0, &_sf_stat_reports},
	{"store_batches", 0, &_sf_stat_batches},
	{"sessions_accepted", 0, &_sf_stat_sess_accepted},
	{"session_messages", 0, &_sf_stat_sess_msgs},
	{"sessions_delivered", 0, &_sf_stat_sess_delivered},
	{"forwarded", 0, &_sf_stat_forwarded},
	{"forward_failed", 0, &_sf_stat_forward_failed},
	{"notified", 0, &_sf_stat_notified},
	{"fetched", 0, &_sf_stat_fetched},
	{"fetch_denied", 0, &_sf_stat_fetch_denied},
	{"sms_reports", 0, &_sf_stat_sms_reports},
	{"group_messages", 0, &_sf_stat_group_messages},
	{"group_copies", 0, &_sf_stat_group_copies},
	{"group_copies_lost", 0, &_sf_stat_group_lost},
	{"forward_retries", 0, &_sf_stat_forward_retries},
	{"queue_depth", STAT_IS_FUNC, (stat_var **)sf_stat_queued},
	{"oldest_queued_age", STAT_IS_FUNC, (stat_var **)sf_stat_oldest},
	{"groups", STAT_IS_FUNC, (stat_var **)sf_stat_groups},
	{0, 0, 0}
};
/* clang-format on */

int sf_stats_mod_init(void)
{
	_sf_queued = shm_malloc(sizeof(atomic_t));
	if(_sf_queued == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	atomic_set(_sf_queued, 0);
	_sf_oldest = shm_malloc(sizeof(atomic_t));
	if(_sf_oldest == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	atomic_set(_sf_oldest, 0);
	_sf_groups = shm_malloc(sizeof(atomic_t));
	if(_sf_groups == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	atomic_set(_sf_groups, -1);
	if(register_module_stats("sfwd", sf_stats) != 0) {
		LM_ERR("cannot register statistics\n");
		return -1;
	}
	return 0;
}

int sf_stats_gauge(const char *name, unsigned long (*fn)(void))
{
	if(register_stat("sfwd", (char *)name, (stat_var **)fn, STAT_IS_FUNC)
			!= 0) {
		LM_ERR("cannot register statistic %s\n", name);
		return -1;
	}
	return 0;
}

void sf_stats_set_queued(long n)
{
	if(_sf_queued)
		atomic_set(_sf_queued, n);
}

void sf_stats_set_oldest(long seconds)
{
	if(_sf_oldest)
		atomic_set(_sf_oldest, seconds);
}

void sf_stats_set_groups(long n)
{
	if(_sf_groups)
		atomic_set(_sf_groups, n);
}

long sf_stats_groups(void)
{
	return _sf_groups ? (long)atomic_get(_sf_groups) : -1;
}
