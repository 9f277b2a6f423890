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

int sf_db_list_item(const char *list, int i, char *out, int size)
{
	const char *p = list ? list : "", *e;
	int n = 0, len;

	for(;;) {
		e = strchr(p, ',');
		len = e ? (int)(e - p) : (int)strlen(p);
		if(n == i) {
			if(out == NULL || len >= size)
				return -1;
			memcpy(out, p, len);
			out[len] = '\0';
		}
		n++;
		if(e == NULL)
			break;
		p = e + 1;
	}
	return (i >= n) ? -1 : n;
}

/* the hosts of a URL, parsed: the libpq options and the lists */
typedef struct sf_db_hosts
{
	PQconninfoOption *opts;
	const char *host, *hostaddr, *port; /* the lists, or NULL */
	int n;								/* hosts; <= 1: not a multi-host URL */
} sf_db_hosts_t;

static void sf_db_hosts_parse(const sf_db_t *db, sf_db_hosts_t *h)
{
	PQconninfoOption *o;
	char *err = NULL;
	int nh = 0, na = 0, np = 0;

	memset(h, 0, sizeof(*h));
	h->opts = PQconninfoParse(db->url, &err);
	if(h->opts == NULL) {
		/* PQconnectStart() says what is wrong with it */
		if(err)
			PQfreemem(err);
		return;
	}
	for(o = h->opts; o->keyword; o++) {
		if(o->val == NULL || o->val[0] == '\0')
			continue;
		if(strcmp(o->keyword, "host") == 0)
			h->host = o->val;
		else if(strcmp(o->keyword, "hostaddr") == 0)
			h->hostaddr = o->val;
		else if(strcmp(o->keyword, "port") == 0)
			h->port = o->val;
	}
	if(h->host)
		nh = sf_db_list_item(h->host, -1, NULL, 0);
	if(h->hostaddr)
		na = sf_db_list_item(h->hostaddr, -1, NULL, 0);
	if(h->port)
		np = sf_db_list_item(h->port, -1, NULL, 0);
	h->n = na ? na : nh;
	/* lists libpq would refuse: left to libpq, as one URL */
	if((nh && na && nh != na) || (np > 1 && np != h->n)
			|| h->n > SF_DB_MAX_HOSTS)
		h->n = 1;
}

static void sf_db_hosts_free(sf_db_hosts_t *h)
{
	if(h->opts)
		PQconninfoFree(h->opts);
	h->opts = NULL;
}

/* start connecting to host i of h (h->n > 1): the URL's options with
 * host, hostaddr and port replaced by host i's; NULL when out of memory */
static PGconn *sf_db_start_host(
		const sf_db_hosts_t *h, int i, char *name, int size)
{
	const char *kw[64], *val[64];
	char host[256], addr[256], port[32];
	PQconninfoOption *o;
	int k = 0;

	host[0] = addr[0] = port[0] = '\0';
	if(h->host)
		sf_db_list_item(h->host, i, host, sizeof(host));
	if(h->hostaddr)
		sf_db_list_item(h->hostaddr, i, addr, sizeof(addr));
	if(h->port && sf_db_list_item(h->port, i, port, sizeof(port)) < 0)
		sf_db_list_item(h->port, 0, port, sizeof(port));
	if(sf_fmt(name, size, "%s%s%s", host[0] ? host : addr, port[0] ? ":" : "",
			   port)
			< 0)
		name[0] = '\0';
	for(o = h->opts; o->keyword && k < 63; o++) {
		if(strcmp(o->keyword, "host") == 0) {
			if(host[0] == '\0')
				continue;
			kw[k] = o->keyword;
			val[k++] = host;
		} else if(strcmp(o->keyword, "hostaddr") == 0) {
			if(addr[0] == '\0')
				continue;
			kw[k] = o->keyword;
			val[k++] = addr;
		} else if(strcmp(o->keyword, "port") == 0) {
			if(port[0] == '\0')
				continue;
			kw[k] = o->keyword;
			val[k++] = port;
		} else if(o->val != NULL && o->val[0] != '\0') {
			kw[k] = o->keyword;
			val[k++] = o->val;
		}
	}
	kw[k] = NULL;
	val[k] = NULL;
	return PQconnectStartParams(kw, val, 0);
}

/* open db->conn (PQconnectStart, or host i of h when h->n > 1) within
 * the deadline; 0 connected, -1 not (db->last_err says why) */
static int sf_db_open(
		sf_db_t *db, const sf_db_hosts_t *h, int i, long long deadline)
{
	PostgresPollingStatusType st;
	char name[300];
	long long t0 = sf_db_now_ms();
	int w;

	if(h->n > 1) {
		db->conn = sf_db_start_host(h, i, name, sizeof(name));
	} else {
		name[0] = '\0';
		db->conn = PQconnectStart(db->url);
	}
	if(db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD) {
		LM_ERR("database: cannot start connecting%s%s: %s",
				name[0] ? " to " : "", name,
				db->conn ? PQerrorMessage(db->conn) : "out of memory\n");
		db->last_err = SF_DB_EDOWN;
		return -1;
	}
	st = PGRES_POLLING_WRITING;
	while(st != PGRES_POLLING_OK) {
		if(st == PGRES_POLLING_FAILED) {
			LM_INFO("database: cannot connect%s%s: %s", name[0] ? " to " : "",
					name, PQerrorMessage(db->conn));
			db->last_err = SF_DB_EDOWN;
			return -1;
		}
		w = sf_db_wait(db->conn, st == PGRES_POLLING_WRITING, deadline);
		if(w <= 0) {
			LM_INFO("database: connect%s%s timed out after %lld ms\n",
					name[0] ? " to " : "", name, sf_db_now_ms() - t0);
			db->last_err = SF_DB_ETIMEOUT;
			return -1;
		}
		st = PQconnectPoll(db->conn);
	}
	if(h->n > 1 && i + 1 != db->host_ok)
		LM_NOTICE("database: connected to %s (host %d of %d)\n", name, i + 1,
				h->n);
	return 0;
}

/* on a fresh connection: non-blocking, schema checked, statement_timeout
 * set, statements prepared; 0 ok, -1 not */
static int sf_db_setup(sf_db_t *db, long long deadline)
{
	PGresult *res;
	int i;

	if(PQsetnonblocking(db->conn, 1) != 0) {
		db->last_err = SF_DB_EDOWN;
		return -1;
	}
	if(sf_db_check_schema(db, deadline) < 0
			|| sf_db_set_timeout(db, deadline) < 0)
		return -1;
	for(i = 0; i < db->nstmts; i++) {
		if(!PQsendPrepare(db->conn, db->stmts[i].name, db->stmts[i].sql,
				   db->stmts[i].nparams, NULL)
				|| sf_db_flush(db, deadline) < 0) {
			db->last_err = SF_DB_EDOWN;
			return -1;
		}
		res = sf_db_collect(db, deadline);
		if(res == NULL) {
			LM_ERR("database: cannot prepare %s\n", db->stmts[i].name);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}

static int sf_db_connect_until(sf_db_t *db, long long deadline)
{
	long long now = sf_db_now_ms(), left, share;
	sf_db_hosts_t h;
	int k, i, n, fast = -1;

	if(db->conn && PQstatus(db->conn) == CONNECTION_OK) {
		db->last_err = SF_DB_OK;
		return 0;
	}
	sf_db_close(db);
	if(now < db->retry_at_ms) {
		db->last_err = SF_DB_EDOWN;
		return -1;
	}
	sf_db_hosts_parse(db, &h);
	n = h.n > 1 ? h.n : 1;
	db->nhosts = n;
	if(db->host < 0 || db->host >= n)
		db->host = 0;
	/* one host at a time, the one that worked last first; each gets an
	 * equal share of what is left of the budget (at least
	 * SF_DB_HOST_MIN_MS), so that one that hangs leaves time for the
	 * others */
	for(k = 0; k < n; k++) {
		i = (db->host + k) % n;
		now = sf_db_now_ms();
		left = deadline - now;
		if(left <= 0) {
			db->last_err = SF_DB_ETIMEOUT;
			break;
		}
		share = left / (n - k);
		if(share < SF_DB_HOST_MIN_MS)
			share = left < SF_DB_HOST_MIN_MS ? left : SF_DB_HOST_MIN_MS;
		if(sf_db_open(db, &h, i, now + share) == 0
				&& sf_db_setup(db, deadline) == 0) {
			sf_db_hosts_free(&h);
			db->host = i;
			db->host_ok = i + 1;
			db->retry_at_ms = 0;
			db->last_err = SF_DB_OK;
			LM_DBG("database connected (%d statements prepared)\n", db->nstmts);
			return 0;
		}
		sf_db_close(db);
		if(db->last_err == SF_DB_ESCHEMA)
			break;
		if(fast < 0 && db->last_err != SF_DB_ETIMEOUT)
			fast = i;
	}
	/* next time first the first host that answered (refused, read-only:
	 * quick to try, and a standby may be promoted), those that hang with
	 * what is left of the budget */
	if(fast >= 0)
		db->host = fast;
	sf_db_hosts_free(&h);
	sf_db_close(db);
	db->retry_at_ms = sf_db_now_ms() + SF_DB_RETRY_MS;
	return -1;
}

int sf_db_connect(sf_db_t *db)
{
	return sf_db_connect_until(db, sf_db_now_ms() + db->timeout_ms);
}

/* did the server refuse the statement because the connection is no use:
 * class 08 (connection exception), 57P (shut down, crash, cannot
 * connect now), 25006 (read-only transaction: not a primary)? */
static int sf_db_gone(const sf_db_t *db)
{
	return strncmp(db->last_state, "08", 2) == 0
		   || strncmp(db->last_state, "57P", 3) == 0
		   || strcmp(db->last_state, "25006") == 0;
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
	if(res == NULL && db->last_err == SF_DB_EQUERY && sf_db_gone(db)) {
		/* the server is going away or cannot write (a standby): the next
		 * statement connects again, perhaps to another host */
		LM_WARN("database: %s failed (SQLSTATE %s): connecting again\n",
				db->stmts[idx].name, db->last_state);
		sf_db_close(db);
		return NULL;
	}
	if(res == NULL && db->last_err != SF_DB_EQUERY) {
		/* a query in flight cannot be abandoned on this connection */
		if(db->last_err == SF_DB_ETIMEOUT) {
			LM_WARN("database: %s timed out after %d ms\n", db->stmts[idx].name,
					db->timeout_ms);
			/* a server that hangs: fail fast for a while, then try
			 * the other hosts of a multi-host URL first */
			db->retry_at_ms = sf_db_now_ms() + SF_DB_RETRY_MS;
			if(db->nhosts > 1)
				db->host = (db->host + 1) % db->nhosts;
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
