/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: a wake-up pipe between processes (see sf_wake.h)
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/dprint.h"

#include "sf_wake.h"

int sf_wake_init(sf_wake_t *wk)
{
	int fds[2];

	if(pipe(fds) < 0) {
		LM_ERR("cannot create a wake pipe: %s\n", strerror(errno));
		return -1;
	}
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
	wk->r = fds[0];
	wk->w = fds[1];
	return 0;
}

void sf_wake_signal(const sf_wake_t *wk)
{
	char c = 1;

	/* EAGAIN: the pipe is full, the process is awake anyway */
	if(write(wk->w, &c, 1) < 0 && errno != EAGAIN)
		LM_DBG("wake write failed: %s\n", strerror(errno));
}

void sf_wake_drain(const sf_wake_t *wk)
{
	char buf[256];

	while(read(wk->r, buf, sizeof(buf)) > 0)
		;
}
