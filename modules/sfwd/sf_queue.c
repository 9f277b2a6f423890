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

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/dprint.h"
#include "core/hashes.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"

#include "sf_queue.h"
#include "sf_stats.h"
#include "sf_wake.h"

typedef struct sf_queue
{
	gen_lock_t lock;
	sf_aor_item_t *head;
	sf_aor_item_t *tail;
	int naors;
	sf_result_t *ring; /* max_results entries */
	int rhead;		   /* oldest result */
	int rcount;
	sf_wake_t wake; /* the flusher polls it, everyone else signals */
} sf_queue_t;

static sf_queue_t *_sf_queues = NULL;
static int _sf_nqueues = 0;
static int _sf_max_aors = 0;
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
	_sf_max_aors = max_aors;
	_sf_max_results = max_results;
	for(i = 0; i < nqueues; i++) {
		sf_queue_t *q = &_sf_queues[i];
		if(lock_init(&q->lock) == NULL)
			return -1;
		q->ring = shm_malloc(max_results * sizeof(sf_result_t));
		if(q->ring == NULL) {
			SHM_MEM_ERROR;
			return -1;
		}
		if(sf_wake_init(&q->wake) < 0)
			return -1;
	}
	return 0;
}

void sf_queue_destroy(void)
{
	int i;
	sf_aor_item_t *it;

	if(_sf_queues == NULL)
		return;
	for(i = 0; i < _sf_nqueues; i++) {
		while((it = _sf_queues[i].head) != NULL) {
			_sf_queues[i].head = it->next;
			shm_free(it);
		}
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

int sf_queue_push_aor(const str *aor, int work)
{
	sf_queue_t *q;
	sf_aor_item_t *it, *n;

	if(_sf_queues == NULL || aor == NULL || aor->len <= 0)
		return -1;
	q = &_sf_queues[sf_queue_of(aor)];
	/* allocate before locking: shm_malloc takes its own lock */
	n = shm_malloc(sizeof(sf_aor_item_t) + aor->len + 1);
	if(n == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	n->next = NULL;
	n->work = work;
	n->aor.s = (char *)(n + 1);
	n->aor.len = aor->len;
	memcpy(n->aor.s, aor->s, aor->len);
	n->aor.s[aor->len] = '\0';

	lock_get(&q->lock);
	for(it = q->head; it != NULL; it = it->next) {
		if(it->aor.len == aor->len
				&& memcmp(it->aor.s, aor->s, aor->len) == 0) {
			it->work = sf_work_merge(it->work, work);
			lock_release(&q->lock);
			shm_free(n);
			return 2;
		}
	}
	if(q->naors >= _sf_max_aors) {
		lock_release(&q->lock);
		shm_free(n);
		return -1;
	}
	if(q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	q->naors++;
	lock_release(&q->lock);
	sf_wake_signal(&q->wake);
	return 1;
}

sf_aor_item_t *sf_queue_pop_aor(int qi)
{
	sf_queue_t *q = &_sf_queues[qi];
	sf_aor_item_t *it;

	lock_get(&q->lock);
	it = q->head;
	if(it) {
		q->head = it->next;
		if(q->head == NULL)
			q->tail = NULL;
		q->naors--;
	}
	lock_release(&q->lock);
	return it;
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
	lock_get(&q->lock);
	if(q->rcount >= _sf_max_results) {
		lock_release(&q->lock);
		return -1;
	}
	q->ring[(q->rhead + q->rcount) % _sf_max_results].token = token;
	q->ring[(q->rhead + q->rcount) % _sf_max_results].code = code;
	q->ring[(q->rhead + q->rcount) % _sf_max_results].local = local;
	q->rcount++;
	lock_release(&q->lock);
	sf_wake_signal(&q->wake);
	return 0;
}

int sf_queue_pop_results(int qi, sf_result_t *out, int max)
{
	sf_queue_t *q = &_sf_queues[qi];
	int n = 0;

	lock_get(&q->lock);
	while(n < max && q->rcount > 0) {
		out[n++] = q->ring[q->rhead];
		q->rhead = (q->rhead + 1) % _sf_max_results;
		q->rcount--;
	}
	lock_release(&q->lock);
	return n;
}

int sf_queue_wake_fd(int qi)
{
	return _sf_queues[qi].wake.r;
}

void sf_queue_drain_wake(int qi)
{
	sf_wake_drain(&_sf_queues[qi].wake);
}

void sf_queue_depth(int qi, int *aors, int *results)
{
	sf_queue_t *q = &_sf_queues[qi];

	lock_get(&q->lock);
	*aors = q->naors;
	*results = q->rcount;
	lock_release(&q->lock);
}
