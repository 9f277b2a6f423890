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
 *
 * Every wait on the server (connect, prepare, query) is bounded by the
 * connection's timeout; a connection that timed out or broke is closed and
 * opened again on a later call, at most once per SF_DB_RETRY_MS. Only
 * prepared statements are run; no SQL is ever built from message text.
 *
 * A URL that lists several hosts (libpq's multi-host URI or conninfo,
 * e.g. with target_session_attrs=read-write) is tried one host at a time,
 * each with its own share of the connect budget (at least
 * SF_DB_HOST_MIN_MS), starting with the host that worked last, so that a
 * host that hangs (its port accepts, nothing answers) does not use up the
 * budget of the others.
 */

#ifndef _SF_DB_H_
#define _SF_DB_H_

#include <libpq-fe.h>

/*! \brief after a failed connect, calls fail at once for this long */
#define SF_DB_RETRY_MS 1000

/*! \brief the least share of the connect budget a host of a multi-host
 *   URL gets (while the budget lasts) */
#define SF_DB_HOST_MIN_MS 300

/*! \brief hosts of a multi-host URL tried, at most */
#define SF_DB_MAX_HOSTS 16

/*! \brief a prepared statement: name, SQL text, parameter count */
typedef struct sf_db_stmt
{
	const char *name;
	const char *sql;
	int nparams;
} sf_db_stmt_t;

/*! \brief why the last call failed */
enum sf_db_err
{
	SF_DB_OK = 0,
	SF_DB_EDOWN = 1,	/*!< no connection (server down, refused, backoff) */
	SF_DB_ETIMEOUT = 2, /*!< the deadline passed */
	SF_DB_EQUERY = 3,	/*!< the server refused the statement */
	SF_DB_ESCHEMA = 4	/*!< schema version differs from the module's */
};

typedef struct sf_db
{
	PGconn *conn;
	const char *url;		   /*!< libpq URI or conninfo */
	int timeout_ms;			   /*!< bound on every wait */
	const sf_db_stmt_t *stmts; /*!< statements prepared on connect */
	int nstmts;				   /*!< number of stmts */
	int schema_version;		   /*!< expected sfwd_version, 0: no check */
	long long retry_at_ms;	   /*!< no connect attempt before this */
	int last_err;			   /*!< enum sf_db_err of the last call */
	char last_state[6];		   /*!< its SQLSTATE when the server refused
								* the statement (SF_DB_EQUERY), else "" */
	int host;				   /*!< multi-host URL: the host (index) tried
								* first: the one that worked last, or after
								* a round that failed, the first that
								* answered (refused, read-only) */
	int nhosts;				   /*!< hosts in url (0 or 1: one) */
	int host_ok;			   /*!< 1 + the host last connected to, 0 */
} sf_db_t;

/*!
 * \brief the number of items of a libpq comma-separated list (host, port,
 *   hostaddr), and optionally one of them
 * \param list the list ("a,b,c"; NULL or "" is one empty item)
 * \param i the item wanted (< 0: none)
 * \param out where item i goes, NUL-terminated (may be NULL when i < 0)
 * \param size out's size
 * \return the number of items, or -1 when item i does not exist or does
 *   not fit in out
 */
int sf_db_list_item(const char *list, int i, char *out, int size);

/*!
 * \brief did the server refuse the last statement for its data (SQLSTATE
 *   class 22: e.g. text that is not UTF-8, or 23: a constraint), so that
 *   the same statement with other data would pass?
 * \param db the connection
 * \return 1 yes, 0 no
 */
int sf_db_data_error(const sf_db_t *db);

/*!
 * \brief set up (no connection yet)
 * \param db the connection to set up
 * \param url libpq URI or conninfo (kept, not copied)
 * \param timeout_ms bound on every wait (<= 0: 1000)
 * \param stmts statements prepared on connect (kept, not copied)
 * \param nstmts number of stmts
 * \param schema_version expected sfwd_version, 0: no check
 */
void sf_db_init(sf_db_t *db, const char *url, int timeout_ms,
		const sf_db_stmt_t *stmts, int nstmts, int schema_version);

/*!
 * \brief connect now unless connected; prepares the statements and checks
 *   the schema version
 * \param db the connection
 * \return 0 connected, -1 not (db->last_err says why)
 */
int sf_db_connect(sf_db_t *db);

/*!
 * \brief close the connection (reopened by the next call)
 * \param db the connection
 */
void sf_db_close(sf_db_t *db);

/*!
 * \brief run prepared statement `idx` of db->stmts
 * \param db the connection
 * \param idx the statement's index in db->stmts
 * \param values as for PQexecPrepared
 * \param lengths as for PQexecPrepared (may be NULL for all-text
 *   parameters)
 * \param formats as for PQexecPrepared (may be NULL for all-text
 *   parameters)
 * \param binary_result 1 to get the result in binary format
 * \return the result (PGRES_TUPLES_OK or PGRES_COMMAND_OK; the caller
 *   PQclear()s it), or NULL with db->last_err set
 */
PGresult *sf_db_exec(sf_db_t *db, int idx, const char *const *values,
		const int *lengths, const int *formats, int binary_result);

/*!
 * \brief a binary-format integer column (int2, int4 or int8)
 * \param res the result
 * \param row the row
 * \param col the column
 * \return the value, 0 when NULL or not 2, 4 or 8 bytes long
 */
long long sf_db_int(const PGresult *res, int row, int col);

/*!
 * \brief a binary-format float8 column (0 when NULL or not float8)
 * \param res the result
 * \param row the row
 * \param col the column
 * \return the value, or 0
 */
double sf_db_float(const PGresult *res, int row, int col);

/*!
 * \brief milliseconds of a monotonic clock
 * \return the clock's value in milliseconds
 */
long long sf_db_now_ms(void);

#endif
