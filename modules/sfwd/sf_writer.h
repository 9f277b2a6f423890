/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the store writer behind sf_store_async()
 *
 * A SIP worker that calls sf_store_async() copies the request and what
 * sf_store() would insert into shared memory, hands it to the writer
 * process and goes back to reading the network. The writer takes every
 * request waiting (up to store_batch), inserts them with one statement
 * (sfwd_store_batch(), one commit), and then, for each, runs the route the
 * script named on a copy of the request, with $sfwd(rc) and $sfwd(id)
 * saying what became of it. So one fsync'd commit answers many senders and
 * no SIP worker waits on the database.
 */

#ifndef _SF_WRITER_H_
#define _SF_WRITER_H_

#include "core/parser/msg_parser.h"
#include "core/str.h"

#include "sf_store.h"

/*! \brief where the result of a store goes: a route of the native
 *   script (index in main_rt) or a KEMI function name */
typedef struct sf_writer_route
{
	int rt;	  /*!< main_rt index, -1: KEMI, SF_WRITER_REPLY: none */
	str name; /*!< the name as written (KEMI function) */
} sf_writer_route_t;

/*! \brief no route: the writer answers the sender itself (202 with
 *   X-Sfwd-Message-ID, 503 with Retry-After, 486 when the mailbox is full)
 *   from a reply the SIP worker prepared */
#define SF_WRITER_REPLY -2

/*! \brief what the writer calls after a batch, for each request: given by
 *   the caller of sf_writer_mod_init() (the store intake), so that the
 *   writer knows nothing above it */
typedef struct sf_writer_ops
{
	/*! after the commit: statistics, summaries, notice, event (msg
	 *  NULL: the request is gone) */
	void (*committed)(sip_msg_t *msg, const sf_store_req_t *r, long long id);
	/*! a store that did not happen (rc as sf_store()'s) */
	void (*not_stored)(int rc);
	/*! $sfwd(rc) and $sfwd(id) for the route run on the request */
	void (*set_result)(int rc, long long id);
} sf_writer_ops_t;

/*!
 * \brief shared queue, process registration and to-tags (mod_init)
 * \param ops what runs after each request's commit (kept; not copied)
 * \return 0 ok, -1 error
 */
int sf_writer_mod_init(const sf_writer_ops_t *ops);

/*!
 * \brief fork the writer (child_init, PROC_MAIN)
 * \return 0 ok, -1 the fork failed
 */
int sf_writer_fork(void);

/*! \brief free the shared queue and what waits in it (mod_destroy) */
void sf_writer_destroy(void);

/*!
 * \brief queue the current request for the writer
 * \param msg the request
 * \param r the message to store (copied)
 * \param rt where the result goes (copied)
 * \return 0 queued, -1 queue full or no memory (nothing queued)
 */
int sf_writer_push(
		sip_msg_t *msg, const sf_store_req_t *r, const sf_writer_route_t *rt);

/*!
 * \brief requests waiting for the writer (RPC, statistics)
 * \return how many
 */
int sf_writer_depth(void);

#endif
