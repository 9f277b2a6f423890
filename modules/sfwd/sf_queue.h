/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: shared-memory work queues between SIP workers and flushers
 *
 * Each flusher process owns one queue (an AoR hashes to one flusher, so one
 * node never flushes one AoR twice at once): the AoRs waiting to be
 * flushed, and the final replies (results) of the MESSAGEs it sent. Both
 * are filled by other processes (usrloc callbacks and script functions in
 * SIP workers, tm callbacks in SIP workers or the timer): the AoRs through
 * an sf_fifo_t, whose lock is held only to link or unlink an item, the
 * results through a small ring under a lock of its own; either wakes the
 * flusher through the FIFO's pipe.
 */

#ifndef _SF_QUEUE_H_
#define _SF_QUEUE_H_

#include <stdint.h>

#include "core/str.h"

#include "sf_fifo.h"

/*! \brief what an AoR waits for (bits) */
#define SF_WORK_FLUSH 1 /*!< deliver what waits */
#define SF_WORK_DUE 2	/*!< with FLUSH: only rows whose timed retry is due */
#define SF_WORK_MWI 4	/*!< publish its message summary */

/*! \brief an AoR waiting for its flusher */
typedef struct sf_aor_item
{
	sf_fifo_item_t link; /*!< first: the queue's FIFO links it */
	int work;			 /*!< SF_WORK_* bits */
	str aor;			 /*!< points just after the struct */
} sf_aor_item_t;

/*! \brief the final reply of one sent MESSAGE */
typedef struct sf_result
{
	uint64_t token; /*!< what the flusher gave tm as callback parameter */
	int code;		/*!< final SIP status (408 for a timeout) */
	int local;		/*!< made by tm here (timeout, send error), not received */
} sf_result_t;

/*!
 * \brief allocate the queues in shared memory and make the wake pipes
 *   (mod_init, before the fork)
 * \param nqueues how many queues (one per flusher)
 * \param max_aors the most AoRs waiting in a queue
 * \param max_results the size of a queue's result ring
 * \return 0 ok, -1 error
 */
int sf_queue_init(int nqueues, int max_aors, int max_results);

/*! \brief free the shared memory (mod_destroy) */
void sf_queue_destroy(void);

/*!
 * \brief the queue an AoR belongs to
 * \param aor the AoR
 * \return the queue's index (its hash, case-insensitive)
 */
int sf_queue_of(const str *aor);

/*!
 * \brief queue work for an AoR; work for an AoR already waiting is merged
 *   (a full flush covers a due-only one)
 * \param aor the AoR
 * \param work SF_WORK_* bits
 * \return 1 queued, 2 merged, -1 queue full or no memory
 */
int sf_queue_push_aor(const str *aor, int work);

/*!
 * \brief take the oldest AoR of queue q
 * \param q the queue
 * \return the item (shm; free with sf_queue_free_aor) or NULL
 */
sf_aor_item_t *sf_queue_pop_aor(int q);

/*!
 * \brief free an item sf_queue_pop_aor() returned
 * \param it the item
 */
void sf_queue_free_aor(sf_aor_item_t *it);

/*!
 * \brief post a result to the flusher named in the token's top byte
 * \param token what the flusher gave tm as callback parameter
 * \param code final SIP status (408 for a timeout)
 * \param local 1: made by tm here (timeout, send error), not received
 * \return 0 ok, -1 that flusher's result ring is full (result dropped)
 */
int sf_queue_push_result(uint64_t token, int code, int local);

/*!
 * \brief take up to max results of queue q
 * \param q the queue
 * \param out the results
 * \param max the room in out
 * \return how many were copied to out
 */
int sf_queue_pop_results(int q, sf_result_t *out, int max);

/*! \brief how many outcomes one flusher's ring holds: a flusher keeps no
 * more transactions in flight than that, so none is ever lost */
int sf_queue_results_max(void);

/*!
 * \brief the fd a flusher polls for wake-ups; sf_queue_drain_wake empties it
 * \param q the queue
 * \return the read end of the queue's wake-up pipe
 */
int sf_queue_wake_fd(int q);

/*!
 * \brief empty the wake-up pipe of queue q after a wake-up
 * \param q the queue
 */
void sf_queue_drain_wake(int q);

/*!
 * \brief AoRs and results waiting in queue q (for statistics and RPC)
 * \param q the queue
 * \param aors the AoRs waiting
 * \param results the results waiting
 */
void sf_queue_depth(int q, int *aors, int *results);

/*! \brief the flusher a token belongs to, and token construction */
#define SF_TOKEN(q, seq) (((uint64_t)(q) << 24) | ((seq)&0xffffffULL))
#define SF_TOKEN_QUEUE(t) ((int)(((t) >> 24) & 0xff))

#endif
