/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: a wake-up pipe between processes: any process signals,
 *   one process polls its read end and drains it (the flush queues and the
 *   store writer use one each)
 */

#ifndef _SF_WAKE_H_
#define _SF_WAKE_H_

/*! \brief the two ends, made before the fork, both non-blocking */
typedef struct sf_wake
{
	int r; /*!< the waiting process polls and drains this */
	int w; /*!< everyone else writes one byte here */
} sf_wake_t;

/*! \brief make the pipe (mod_init)
 * \param wk the wake-up to set up
 * \return 0 ok, -1 error (logged) */
int sf_wake_init(sf_wake_t *wk);

/*! \brief wake the waiting process (never blocks: a full pipe means it
 *   is awake anyway)
 * \param wk the wake-up */
void sf_wake_signal(const sf_wake_t *wk);

/*! \brief empty the pipe after a wake-up
 * \param wk the wake-up */
void sf_wake_drain(const sf_wake_t *wk);

#endif
