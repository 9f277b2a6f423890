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
 */

#include <string.h>

#include "core/dprint.h"
#include "core/hashes.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"

#include "sf_fifo.h"
#include "sf_queue.h"
#include "sf_stats.h"

/* the results keep a lock of their own: they are fixed-size records copied
 * into a ring (no allocation, no list), and an AoR push, which walks the
 * waiting AoRs to merge, does not hold up a tm callback posting a reply */
typedef struct sf_queue
{
	sf_fifo_t aors;	   /* the flusher polls its pipe, everyone else signals */
	gen_lock_t rlock;  /* the result ring */
	sf_result_t *ring; /* max_results entries */
	int rhead;		   /* oldest result */
	int rcount;
} sf_queue_t;

static sf_queue_t *_sf_queues = NULL;
static int _sf_nqueues = 0;
static int _sf_max_results = 0;

/* the flush_waiting gauge: AoRs waiting for a flusher, all queues */
static unsigned long sf_queue_waiting(void)
{
	int q, a, r;
	unsigned long n = 0;

	for(q = 0; q < _sf_nqueues; q++) {
		sf_queue_depth(q, &a, &r);
		n += a;
	}
	return n;
}

int sf_queue_init(int nqueues, int max_aors, int max_results)
{
	int i;

	if(sf_stats_gauge("flush_waiting", sf_queue_waiting) < 0)
		return -1;

	_sf_queues = shm_malloc(nqueues * sizeof(sf_queue_t));
	if(_sf_queues == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_sf_queues, 0, nqueues * sizeof(sf_queue_t));
	_sf_nqueues = nqueues;
	_sf_max_results = max_results;
	for(i = 0; i < nqueues; i++) {
		sf_queue_t *q = &_sf_queues[i];
		if(lock_init(&q->rlock) == NULL)
			return -1;
		q->ring = shm_malloc(max_results * sizeof(sf_result_t));
		if(q->ring == NULL) {
			SHM_MEM_ERROR;
			return -1;
		}
		if(sf_fifo_init(&q->aors, max_aors) < 0)
			return -1;
	}
	return 0;
}

void sf_queue_destroy(void)
{
	int i;

	if(_sf_queues == NULL)
		return;
	for(i = 0; i < _sf_nqueues; i++) {
		sf_fifo_destroy(&_sf_queues[i].aors);
		if(_sf_queues[i].ring)
			shm_free(_sf_queues[i].ring);
	}
	shm_free(_sf_queues);
	_sf_queues = NULL;
}

int sf_queue_of(const str *aor)
{
	if(_sf_nqueues <= 1)
		return 0;
	return (int)(core_case_hash((str *)aor, NULL, 0) % (unsigned)_sf_nqueues);
}

/* merge work b into a */
static int sf_work_merge(int a, int b)
{
	int due = 0;

	if(b & SF_WORK_FLUSH)
		due = (a & SF_WORK_FLUSH) ? (a & b & SF_WORK_DUE) : (b & SF_WORK_DUE);
	else
		due = a & SF_WORK_DUE;
	return ((a | b) & ~SF_WORK_DUE) | due;
}

/* sf_fifo_merge_f: work for an AoR already waiting joins its item */
static int sf_aor_merge(sf_fifo_item_t *waiting, const sf_fifo_item_t *item)
{
	sf_aor_item_t *w = (sf_aor_item_t *)waiting;
	const sf_aor_item_t *n = (const sf_aor_item_t *)item;

	if(w->aor.len != n->aor.len || memcmp(w->aor.s, n->aor.s, n->aor.len) != 0)
		return 0;
	w->work = sf_work_merge(w->work, n->work);
	return 1;
}

int sf_queue_push_aor(const str *aor, int work)
{
	sf_queue_t *q;
	sf_aor_item_t *n;
	int rc;

	if(_sf_queues == NULL || aor == NULL || aor->len <= 0)
		return -1;
	q = &_sf_queues[sf_queue_of(aor)];
	/* allocate before locking: shm_malloc takes its own lock */
	n = shm_malloc(sizeof(sf_aor_item_t) + aor->len + 1);
	if(n == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	n->work = work;
	n->aor.s = (char *)(n + 1);
	n->aor.len = aor->len;
	memcpy(n->aor.s, aor->s, aor->len);
	n->aor.s[aor->len] = '\0';

	rc = sf_fifo_push(&q->aors, &n->link, sf_aor_merge);
	if(rc == SF_FIFO_MERGED)
		return 2;
	if(rc < 0)
		return -1;
	sf_fifo_signal(&q->aors);
	return 1;
}

sf_aor_item_t *sf_queue_pop_aor(int qi)
{
	int n;

	return (sf_aor_item_t *)sf_fifo_take(&_sf_queues[qi].aors, 1, &n);
}

void sf_queue_free_aor(sf_aor_item_t *it)
{
	shm_free(it);
}

int sf_queue_push_result(uint64_t token, int code, int local)
{
	int qi = SF_TOKEN_QUEUE(token);
	sf_queue_t *q;

	if(_sf_queues == NULL || qi < 0 || qi >= _sf_nqueues)
		return -1;
	q = &_sf_queues[qi];
	lock_get(&q->rlock);
	if(q->rcount >= _sf_max_results) {
		lock_release(&q->rlock);
		return -1;
	}
	q->ring[(q->rhead + q->rcount) % _sf_max_results].token = token;
	q->ring[(q->rhead + q->rcount) % _sf_max_results].code = code;
	q->ring[(q->rhead + q->rcount) % _sf_max_results].local = local;
	q->rcount++;
	lock_release(&q->rlock);
	sf_fifo_signal(&q->aors);
	return 0;
}

int sf_queue_pop_results(int qi, sf_result_t *out, int max)
{
	sf_queue_t *q = &_sf_queues[qi];
	int n = 0;

	lock_get(&q->rlock);
	while(n < max && q->rcount > 0) {
		out[n++] = q->ring[q->rhead];
		q->rhead = (q->rhead + 1) % _sf_max_results;
		q->rcount--;
	}
	lock_release(&q->rlock);
	return n;
}

int sf_queue_results_max(void)
{
	return _sf_max_results;
}

int sf_queue_wake_fd(int qi)
{
	return sf_fifo_wake_fd(&_sf_queues[qi].aors);
}

void sf_queue_drain_wake(int qi)
{
	sf_fifo_drain(&_sf_queues[qi].aors);
}

void sf_queue_depth(int qi, int *aors, int *results)
{
	sf_queue_t *q = &_sf_queues[qi];

	*aors = sf_fifo_depth(&q->aors);
	lock_get(&q->rlock);
	*results = q->rcount;
	lock_release(&q->rlock);
}
