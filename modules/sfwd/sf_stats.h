/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the statistics under "sfwd:" (kamcmd stats.get_statistics)
 *
 * The counters live here, so every file that counts includes this one
 * (a low floor) and nothing else. A gauge that reads another file's state
 * (store_waiting, flush_waiting) is registered by the file that owns the
 * state, with sf_stats_gauge().
 */

#ifndef _SF_STATS_H_
#define _SF_STATS_H_

#include "core/counters.h"

extern stat_var *_sf_stat_stored;
extern stat_var *_sf_stat_delivered;
extern stat_var *_sf_stat_failed;
extern stat_var *_sf_stat_expired;
extern stat_var *_sf_stat_rej_full;
extern stat_var *_sf_stat_rej_size;
extern stat_var *_sf_stat_rej_type;
extern stat_var *_sf_stat_rej_other;
extern stat_var *_sf_stat_rej_bad;
extern stat_var *_sf_stat_db_errors;
extern stat_var *_sf_stat_reports;
extern stat_var *_sf_stat_batches;
extern stat_var *_sf_stat_sess_accepted;   /*!< MSRP sessions sfwd answered */
extern stat_var *_sf_stat_sess_msgs;	   /*!< messages stored from them */
extern stat_var *_sf_stat_sess_delivered;  /*!< sessions fetched whole */
extern stat_var *_sf_stat_forwarded;	   /*!< sent to every forward target */
extern stat_var *_sf_stat_forward_failed;  /*!< a forward refused for good */
extern stat_var *_sf_stat_forward_retries; /*!< a forward to try again */
extern stat_var *_sf_stat_notified;		/*!< notices of content to fetch sent */
extern stat_var *_sf_stat_fetched;		/*!< contents fetched (complete GETs) */
extern stat_var *_sf_stat_fetch_denied; /*!< fetches of no live token */
extern stat_var *_sf_stat_sms_reports;
extern stat_var *_sf_stat_group_messages; /*!< list/group MESSAGEs exploded */
extern stat_var *_sf_stat_group_copies;	  /*!< their copies with an outcome */
extern stat_var *_sf_stat_group_lost;
/*!< copies not relayed nor stored */ /*!< SMS delivery reports taken */

/*! \brief mod_init: register the counters and the queue_depth gauge
 * \return 0 ok, -1 error */
int sf_stats_mod_init(void);

/*!
 * \brief register a gauge read by a function of its owner
 * \param name the statistic's name under "sfwd:"
 * \param fn returns the current value (called from any process)
 * \return 0 ok, -1 error
 */
int sf_stats_gauge(const char *name, unsigned long (*fn)(void));

/*!
 * \brief set the queued-messages gauge (queue_depth; the sweep of
 *   flusher 0 refreshes it)
 * \param n the number of queued messages
 */
void sf_stats_set_queued(long n);

/*!
 * \brief set the oldest-queued gauge (oldest_queued_age: seconds since the
 *   oldest queued message was received; counted with queue_depth)
 * \param seconds its age, 0 when nothing is queued
 */
void sf_stats_set_oldest(long seconds);

/*!
 * \brief set the groups gauge (sfwd:groups: rows of sfwd_group; the sweep
 *   of flusher 0 and the group RPCs refresh it)
 * \param n the number of groups
 */
void sf_stats_set_groups(long n);

/*!
 * \brief the groups gauge
 * \return the number of groups, -1 not counted yet
 */
long sf_stats_groups(void);

#endif
