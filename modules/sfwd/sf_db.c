/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: one libpq connection per process, with deadlines
 */

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"

#include "sf_buf.h"
#include "sf_db.h"

long long sf_db_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait until the socket is readable (or writable); 1 ready, 0 deadline
 * passed, -1 error */
static int sf_db_wait(PGconn *c, int for_write, long long deadline)
{
	struct pollfd p;
	long long left;
	int r;

	p.fd = PQsocket(c);
	if(p.fd < 0)
		return -1;
	p.events = for_write ? POLLOUT : POLLIN;
	for(;;) {
		left = deadline - sf_db_now_ms();
		if(left <= 0)
			return 0;
		p.revents = 0;
		r = poll(&p, 1, (int)left);
		if(r > 0)
			return 1;
		if(r == 0)
			return 0;
		if(errno != EINTR)
			return -1;
	}
}

/* send what libpq buffered, within the deadline; 0 ok, -1 failed */
static int sf_db_flush(sf_db_t *db, long long deadline)
{
	int r;

	while((r = PQflush(db->conn)) == 1) {
		if(sf_db_wait(db->conn, 1, deadline) <= 0) {
			db->last_err = SF_DB_ETIMEOUT;
			return -1;
		}
	}
	if(r < 0) {
		db->last_err = SF_DB_EDOWN;
		return -1;
	}
	return 0;
}

/* collect the results of the query in flight; returns the last one */
static PGresult *sf_db_collect(sf_db_t *db, long long deadline)
{
	PGresult *res, *last = NULL;

	db->last_state[0] = '\0';
	for(;;) {
		while(PQisBusy(db->conn)) {
			int w = sf_db_wait(db->conn, 0, deadline);
			if(w <= 0) {
				db->last_err = (w == 0) ? SF_DB_ETIMEOUT : SF_DB_EDOWN;
				goto fail;
			}
			if(!PQconsumeInput(db->conn)) {
				db->last_err = SF_DB_EDOWN;
				goto fail;
			}
		}
		res = PQgetResult(db->conn);
		if(res == NULL)
			break;
		if(last)
			PQclear(last);
		last = res;
	}
	if(last == NULL) {
		db->last_err = SF_DB_EDOWN;
		return NULL;
	}
	switch(PQresultStatus(last)) {
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			db->last_err = SF_DB_OK;
			return last;
		default:
			break;
	}
	db->last_err =
			(PQstatus(db->conn) == CONNECTION_OK) ? SF_DB_EQUERY : SF_DB_EDOWN;
	{
		const char *st = PQresultErrorField(last, PG_DIAG_SQLSTATE);
		if(st != NULL && strlen(st) == 5)
			memcpy(db->last_state, st, 6);
	}
	LM_ERR("database: %s", PQresultErrorMessage(last));
	PQclear(last);
	return NULL;

fail:
	if(last)
		PQclear(last);
	return NULL;
}

void sf_db_init(sf_db_t *db, const char *url, int timeout_ms,
		const sf_db_stmt_t *stmts, int nstmts, int schema_version)
{
	memset(db, 0, sizeof(*db));
	db->url = url;
	db->timeout_ms = timeout_ms > 0 ? timeout_ms : 1000;
	db->stmts = stmts;
	db->nstmts = nstmts;
	db->schema_version = schema_version;
}

void sf_db_close(sf_db_t *db)
{
	if(db->conn) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
}

static int sf_db_check_schema(sf_db_t *db, long long deadline)
{
	PGresult *res;
	int v, ok;

	if(db->schema_version <= 0)
		return 0;
	if(!PQsendQueryParams(db->conn, "SELECT max(version) FROM sfwd_version", 0,
			   NULL, NULL, NULL, NULL, 0)
			|| sf_db_flush(db, deadline) < 0) {
		db->last_err = SF_DB_EDOWN;
		return -1;
	}
	res = sf_db_collect(db, deadline);
	if(res == NULL) {
		if(db->last_err == SF_DB_EQUERY) {
			LM_ERR("database has no sfwd schema (apply "
				   "etc/sql/sfwd-create.sql)\n");
			db->last_err = SF_DB_ESCHEMA;
		}
		return -1;
	}
	ok = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);
	v = ok ? atoi(PQgetvalue(res, 0, 0)) : -1;
	PQclear(res);
	if(v != db->schema_version) {
		LM_ERR("database schema version is %d, this sfwd needs %d (see "
			   "etc/sql/ for upgrades)\n",
				v, db->schema_version);
		db->last_err = SF_DB_ESCHEMA;
		return -1;
	}
	return 0;
}

/* the server aborts a statement that outlives our wait, so that a store we
 * answered 503 to does not commit later */
static int sf_db_set_timeout(sf_db_t *db, long long deadline)
{
	char ms[16];
	const char *v[1];
	PGresult *res;

	if(sf_fmt(ms, sizeof(ms), "%d", db->timeout_ms) < 0)
		return -1;
	v[0] = ms;
	if(!PQsendQueryParams(db->conn,
			   "SELECT set_config('statement_timeout', $1, false)", 1, NULL, v,
			   NULL, NULL, 0)
			|| sf_db_flush(db, deadline) < 0)
		return -1;
	res = sf_db_collect(db, deadline);
	if(res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int sf_db_connect_until(sf_db_t *db, long long deadline)
{
	long long now = sf_db_now_ms();
	PostgresPollingStatusType st;
	PGresult *res;
	int i, w;

	if(db->conn && PQstatus(db->conn) == CONNECTION_OK) {
		db->last_err = SF_DB_OK;
		return 0;
	}
	sf_db_close(db);
	if(now < db->retry_at_ms) {
		db->last_err = SF_DB_EDOWN;
		return -1;
	}
	db->conn = PQconnectStart(db->url);
	if(db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD) {
		LM_ERR("database: cannot start connecting: %s",
				db->conn ? PQerrorMessage(db->conn) : "out of memory\n");
		db->last_err = SF_DB_EDOWN;
		goto fail;
	}
	st = PGRES_POLLING_WRITING;
	while(st != PGRES_POLLING_OK) {
		if(st == PGRES_POLLING_FAILED) {
			LM_INFO("database: cannot connect: %s", PQerrorMessage(db->conn));
			db->last_err = SF_DB_EDOWN;
			goto fail;
		}
		w = sf_db_wait(db->conn, st == PGRES_POLLING_WRITING, deadline);
		if(w <= 0) {
			LM_INFO("database: connect timed out after %d ms\n",
					db->timeout_ms);
			db->last_err = SF_DB_ETIMEOUT;
			goto fail;
		}
		st = PQconnectPoll(db->conn);
	}
	if(PQsetnonblocking(db->conn, 1) != 0) {
		db->last_err = SF_DB_EDOWN;
		goto fail;
	}
	if(sf_db_check_schema(db, deadline) < 0
			|| sf_db_set_timeout(db, deadline) < 0)
		goto fail;
	for(i = 0; i < db->nstmts; i++) {
		if(!PQsendPrepare(db->conn, db->stmts[i].name, db->stmts[i].sql,
				   db->stmts[i].nparams, NULL)
				|| sf_db_flush(db, deadline) < 0) {
			db->last_err = SF_DB_EDOWN;
			goto fail;
		}
		res = sf_db_collect(db, deadline);
		if(res == NULL) {
			LM_ERR("database: cannot prepare %s\n", db->stmts[i].name);
			goto fail;
		}
		PQclear(res);
	}
	db->retry_at_ms = 0;
	db->last_err = SF_DB_OK;
	LM_DBG("database connected (%d statements prepared)\n", db->nstmts);
	return 0;

fail:
	sf_db_close(db);
	db->retry_at_ms = sf_db_now_ms() + SF_DB_RETRY_MS;
	return -1;
}

int sf_db_connect(sf_db_t *db)
{
	return sf_db_connect_until(db, sf_db_now_ms() + db->timeout_ms);
}

PGresult *sf_db_exec(sf_db_t *db, int idx, const char *const *values,
		const int *lengths, const int *formats, int binary_result)
{
	long long deadline;
	PGresult *res;

	if(idx < 0 || idx >= db->nstmts) {
		db->last_err = SF_DB_EQUERY;
		return NULL;
	}
	/* one deadline for connecting and running */
	deadline = sf_db_now_ms() + db->timeout_ms;
	if(sf_db_connect_until(db, deadline) < 0)
		return NULL;
	if(!PQsendQueryPrepared(db->conn, db->stmts[idx].name,
			   db->stmts[idx].nparams, values, lengths, formats,
			   binary_result ? 1 : 0)) {
		LM_ERR("database: cannot send %s: %s", db->stmts[idx].name,
				PQerrorMessage(db->conn));
		db->last_err = SF_DB_EDOWN;
		sf_db_close(db);
		return NULL;
	}
	if(sf_db_flush(db, deadline) < 0) {
		sf_db_close(db);
		return NULL;
	}
	res = sf_db_collect(db, deadline);
	if(res == NULL && db->last_err != SF_DB_EQUERY) {
		/* a query in flight cannot be abandoned on this connection */
		if(db->last_err == SF_DB_ETIMEOUT) {
			LM_WARN("database: %s timed out after %d ms\n", db->stmts[idx].name,
					db->timeout_ms);
			/* a server that hangs: fail fast for a while */
			db->retry_at_ms = sf_db_now_ms() + SF_DB_RETRY_MS;
		}
		sf_db_close(db);
	}
	return res;
}

long long sf_db_int(const PGresult *res, int row, int col)
{
	const unsigned char *p;
	uint64_t v = 0;
	int len, i;

	if(PQgetisnull(res, row, col))
		return 0;
	p = (const unsigned char *)PQgetvalue(res, row, col);
	len = PQgetlength(res, row, col);
	if(len != 2 && len != 4 && len != 8)
		return 0;
	for(i = 0; i < len; i++)
		v = (v << 8) | p[i];
	/* sign-extend from len bytes */
	if(len < 8 && (p[0] & 0x80))
		v |= ~(uint64_t)0 << (len * 8);
	return (long long)v;
}

double sf_db_float(const PGresult *res, int row, int col)
{
	const unsigned char *p;
	uint64_t v = 0;
	double d;
	int i;

	if(PQgetisnull(res, row, col) || PQgetlength(res, row, col) != 8)
		return 0;
	p = (const unsigned char *)PQgetvalue(res, row, col);
	for(i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	memcpy(&d, &v, sizeof(d));
	return d;
}

int sf_db_data_error(const sf_db_t *db)
{
	return db->last_err == SF_DB_EQUERY
		   && (strncmp(db->last_state, "22", 2) == 0
				   || strncmp(db->last_state, "23", 2) == 0);
}
