/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: MSRP sessions and connections: the shared-memory session
 *   table, our address and path, writing frames and responses
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr */
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "core/dprint.h"
#include "core/mem/shm_mem.h"

#include "sf_buf.h"
#include "sf_cfg.h"
#include "sf_msrp.h"
#include "sf_msrp_conn.h"
#include "sf_tm.h"

sf_msess_t *_sf_ms = NULL;
gen_lock_t *_sf_ms_lock = NULL;
char _sf_ms_host[SF_MS_HOST_MAX];
int _sf_ms_port = 0;
sf_db_t _sf_msdb;
str _sf_ms_owner = STR_NULL;

/* "ip:port" or "msrp://ip:port" */
static int sf_ms_parse_listen(void)
{
	char *s = _sf_cfg.msrp_listen.s, *colon;
	int len = _sf_cfg.msrp_listen.len;

	if(len > 7 && strncmp(s, "msrp://", 7) == 0) {
		s += 7;
		len -= 7;
	}
	colon = memrchr(s, ':', len);
	if(colon == NULL || colon == s || colon - s >= (int)sizeof(_sf_ms_host)) {
		LM_ERR("msrp_listen must be <ip>:<port>, not %.*s\n",
				_sf_cfg.msrp_listen.len, _sf_cfg.msrp_listen.s);
		return -1;
	}
	memcpy(_sf_ms_host, s, colon - s);
	_sf_ms_host[colon - s] = '\0';
	_sf_ms_port = atoi(colon + 1);
	if(_sf_ms_port <= 0 || _sf_ms_port > 65535) {
		LM_ERR("bad msrp_listen port in %.*s\n", _sf_cfg.msrp_listen.len,
				_sf_cfg.msrp_listen.s);
		return -1;
	}
	return 0;
}

int sf_ms_table_init(void)
{
	if(sf_ms_parse_listen() < 0)
		return -1;
	_sf_ms = shm_malloc(_sf_cfg.msrp_max_sessions * sizeof(sf_msess_t));
	_sf_ms_lock = lock_alloc();
	if(_sf_ms == NULL || _sf_ms_lock == NULL
			|| lock_init(_sf_ms_lock) == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_sf_ms, 0, _sf_cfg.msrp_max_sessions * sizeof(sf_msess_t));
	return 0;
}

/* len characters of base32 (5 bits each) from the kernel's CSPRNG:
 * session ids are the capability to a mailbox's MSRP session */
int sf_rand_id(char *out, int len)
{
	static const char a[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char r[64];
	ssize_t got = 0, n;
	int i;

	if(len > (int)sizeof(r))
		return -1;
	while(got < len) {
		n = getrandom(r + got, len - got, 0);
		if(n < 0) {
			if(errno == EINTR)
				continue;
			LM_ERR("getrandom: %s\n", strerror(errno));
			out[0] = '\0';
			return -1;
		}
		got += n;
	}
	for(i = 0; i < len; i++)
		out[i] = a[r[i] & 31];
	out[len] = '\0';
	return 0;
}

/* an ingest session's shm block: free it (and tm's dialog) */
void sf_ms_ingest_free(sf_msess_t *s)
{
	if(s->ing == NULL)
		return;
	if(s->ing->dlg)
		_sf_tmb.free_dlg(s->ing->dlg);
	shm_free(s->ing);
	s->ing = NULL;
}

/* send all of buf, blocking with the socket's send timeout */
int sf_ms_write(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while(len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if(n < 0) {
			if(errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* our path for session slot */
int sf_ms_our_path(int slot, char *buf, int size)
{
	return sf_fmt(buf, size, "msrp://%s:%d/%s;tcp", _sf_ms_host, _sf_ms_port,
			_sf_ms[slot].id);
}

void sf_ms_respond(
		sf_mconn_t *c, sf_msrp_frame_t *f, int code, const char *reason)
{
	char out[2048];
	int n;

	/* a response goes back along the From-Path of the request */
	n = sf_msrp_build_response(f->tid, code, sf_bufv(reason, strlen(reason)),
			f->from_path, f->to_path, out, sizeof(out));
	if(n > 0)
		sf_ms_write(c->fd, out, n);
}
