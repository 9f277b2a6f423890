/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: a mailbox between processes: a shared-memory FIFO that
 *   any process fills and one process empties, and the wake-up pipe that
 *   process polls (the flush queues and the store writer use one each)
 *
 * An item is a block of shared memory whose first member is an
 * sf_fifo_item_t. It is allocated by the producer before the push (the
 * FIFO's lock is held only to link or unlink), and freed by the consumer
 * with shm_free() once taken. Whether a push also wakes the consumer is the
 * caller's choice: sf_fifo_signal().
 */

#ifndef _SF_FIFO_H_
#define _SF_FIFO_H_

#include "core/locking.h"

/*! \brief the link of an item: the first member of the caller's struct */
typedef struct sf_fifo_item
{
	struct sf_fifo_item *next; /*!< the next younger item, NULL: none */
} sf_fifo_item_t;

/*! \brief the FIFO; lives in shared memory, made before the fork */
typedef struct sf_fifo
{
	gen_lock_t lock;
	sf_fifo_item_t *head; /*!< the oldest item */
	sf_fifo_item_t *tail; /*!< the youngest item */
	int n;				  /*!< items waiting */
	int max;			  /*!< the most items waiting */
	int wake_r;			  /*!< the consumer polls and drains this */
	int wake_w;			  /*!< everyone else writes one byte here */
} sf_fifo_t;

/*! \brief sf_fifo_push(): the item was folded into one already waiting */
#define SF_FIFO_MERGED 0

/*! \brief may fold a new item into one already waiting (called under the
 *   FIFO's lock, once for each waiting item, oldest first: no allocation,
 *   no blocking)
 * \param waiting an item already waiting (may be changed)
 * \param item the item being pushed
 * \return 1 folded (the push ends there), 0 not this one */
typedef int (*sf_fifo_merge_f)(
		sf_fifo_item_t *waiting, const sf_fifo_item_t *item);

/*!
 * \brief set up a FIFO in shared memory and make its wake-up pipe
 *   (mod_init, before the fork)
 * \param f the FIFO (shared memory, zeroed or not)
 * \param max the most items waiting (a push beyond it is refused)
 * \return 0 ok, -1 error (logged)
 */
int sf_fifo_init(sf_fifo_t *f, int max);

/*!
 * \brief free the items still waiting (mod_destroy); f itself stays
 * \param f the FIFO
 */
void sf_fifo_destroy(sf_fifo_t *f);

/*!
 * \brief append an item, or fold it into one already waiting
 * \param f the FIFO
 * \param item the item (shared memory); the FIFO takes it: freed with
 *   shm_free() here when it is merged or refused
 * \param merge may fold item into a waiting one; NULL: never
 * \return how many wait after the push (>= 1), SF_FIFO_MERGED, or -1 the
 *   FIFO is full
 */
int sf_fifo_push(sf_fifo_t *f, sf_fifo_item_t *item, sf_fifo_merge_f merge);

/*!
 * \brief take up to max items, oldest first (the consumer)
 * \param f the FIFO
 * \param max the most items to take (>= 1)
 * \param n set to how many were taken
 * \return the oldest of them, linked by next (the last one's is NULL), or
 *   NULL (none waits); each is the caller's to shm_free()
 */
sf_fifo_item_t *sf_fifo_take(sf_fifo_t *f, int max, int *n);

/*!
 * \brief the oldest waiting item, left in place: for the consumer only
 *   (only it unlinks items, so the item stays valid until it takes it;
 *   producers may still change its next)
 * \param f the FIFO
 * \param n set to how many wait
 * \return the oldest item or NULL
 */
const sf_fifo_item_t *sf_fifo_peek(sf_fifo_t *f, int *n);

/*!
 * \brief how many items wait (statistics, RPC, a cheap refusal)
 * \param f the FIFO
 * \return the count
 */
int sf_fifo_depth(sf_fifo_t *f);

/*!
 * \brief the fd the consumer polls for wake-ups (then sf_fifo_drain())
 * \param f the FIFO
 * \return the read end of the wake-up pipe
 */
int sf_fifo_wake_fd(const sf_fifo_t *f);

/*!
 * \brief wake the consumer (never blocks: a full pipe means it is awake
 *   anyway)
 * \param f the FIFO
 */
void sf_fifo_signal(const sf_fifo_t *f);

/*!
 * \brief empty the wake-up pipe after a wake-up (the consumer)
 * \param f the FIFO
 */
void sf_fifo_drain(const sf_fifo_t *f);

#endif
