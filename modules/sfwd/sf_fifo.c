/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: a mailbox between processes (see sf_fifo.h)
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/dprint.h"
#include "core/mem/shm_mem.h"

#include "sf_fifo.h"

int sf_fifo_init(sf_fifo_t *f, int max)
{
	int fds[2];

	memset(f, 0, sizeof(*f));
	f->max = max;
	if(lock_init(&f->lock) == NULL)
		return -1;
	if(pipe(fds) < 0) {
		LM_ERR("cannot create a wake pipe: %s\n", strerror(errno));
		return -1;
	}
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
	f->wake_r = fds[0];
	f->wake_w = fds[1];
	return 0;
}

void sf_fifo_destroy(sf_fifo_t *f)
{
	sf_fifo_item_t *it;

	while((it = f->head) != NULL) {
		f->head = it->next;
		shm_free(it);
	}
	f->tail = NULL;
	f->n = 0;
}

int sf_fifo_push(sf_fifo_t *f, sf_fifo_item_t *item, sf_fifo_merge_f merge)
{
	sf_fifo_item_t *it;
	int n;

	item->next = NULL;
	lock_get(&f->lock);
	for(it = merge ? f->head : NULL; it != NULL; it = it->next) {
		if(merge(it, item)) {
			lock_release(&f->lock);
			shm_free(item);
			return SF_FIFO_MERGED;
		}
	}
	if(f->n >= f->max) {
		lock_release(&f->lock);
		shm_free(item);
		return -1;
	}
	if(f->tail)
		f->tail->next = item;
	else
		f->head = item;
	f->tail = item;
	n = ++f->n;
	lock_release(&f->lock);
	return n;
}

sf_fifo_item_t *sf_fifo_take(sf_fifo_t *f, int max, int *n)
{
	sf_fifo_item_t *first, *it, *last = NULL;
	int k = 0;

	lock_get(&f->lock);
	first = f->head;
	for(it = first; it != NULL && k < max; it = it->next) {
		last = it;
		k++;
	}
	if(last) {
		f->head = last->next;
		if(f->head == NULL)
			f->tail = NULL;
		last->next = NULL;
		f->n -= k;
	}
	lock_release(&f->lock);
	*n = k;
	return last ? first : NULL;
}

const sf_fifo_item_t *sf_fifo_peek(sf_fifo_t *f, int *n)
{
	const sf_fifo_item_t *it;

	lock_get(&f->lock);
	it = f->head;
	*n = f->n;
	lock_release(&f->lock);
	return it;
}

int sf_fifo_depth(sf_fifo_t *f)
{
	int n;

	lock_get(&f->lock);
	n = f->n;
	lock_release(&f->lock);
	return n;
}

int sf_fifo_wake_fd(const sf_fifo_t *f)
{
	return f->wake_r;
}

void sf_fifo_signal(const sf_fifo_t *f)
{
	char c = 1;

	/* EAGAIN: the pipe is full, the consumer is awake anyway */
	if(write(f->wake_w, &c, 1) < 0 && errno != EAGAIN)
		LM_DBG("wake write failed: %s\n", strerror(errno));
}

void sf_fifo_drain(const sf_fifo_t *f)
{
	char buf[256];

	while(read(f->wake_r, buf, sizeof(buf)) > 0)
		;
}
