/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the message store in PostgreSQL (etc/sql/sfwd-create.sql)
 *
 * Every statement is prepared once per connection; parameters go in binary
 * format (text as raw bytes, so nothing needs NUL termination and nothing
 * is ever pasted into SQL).
 */

#ifndef _SF_STORE_H_
#define _SF_STORE_H_

#include "core/str.h"

#include "sf_db.h"

/*! \brief what became of a request to store: sf_store()'s and
 *   sf_store_async()'s return codes, $sfwd(rc) */
#define SF_STORE_OK 1
#define SF_STORE_ENOTSTORABLE -1 /*!< not a MESSAGE, instant, Expires 0, ... */
#define SF_STORE_EDB -2			 /*!< the database is away or slow */
#define SF_STORE_EFULL -3		 /*!< the mailbox holds max_messages */
#define SF_STORE_ETOOBIG -4		 /*!< body over max_body_size */
#define SF_STORE_ETYPE -5		 /*!< the profile refuses the type */
#define SF_STORE_EBAD -6		 /*!< a bad request ($sfwd(reason)) */

/*! \brief the schema version this module works with */
#define SF_SCHEMA_VERSION 9

/*! \brief the prepared statements, indexes into sf_store_stmts; the
 *   RPC and policy ones are run with sf_store_run() */
enum sf_stmt
{
	SF_SQL_STORE = 0,
	SF_SQL_STORE_BATCH,
	SF_SQL_CLAIM,
	SF_SQL_DELETE,
	SF_SQL_RETRY,
	SF_SQL_FAIL,
	SF_SQL_RELEASE_AOR,
	SF_SQL_RENEW,
	SF_SQL_RELEASE_NODE,
	SF_SQL_EXPIRE,
	SF_SQL_PURGE,
	SF_SQL_DUE_AORS,
	SF_SQL_COUNT_AOR,
	SF_SQL_PARK,
	SF_SQL_STATS,
	SF_SQL_LIST,
	SF_SQL_SHOW,
	SF_SQL_DELETE_ID,
	SF_SQL_PURGE_AOR,
	SF_SQL_PROFILE_GET,
	SF_SQL_PROFILE_SET,
	SF_SQL_PROFILE_DELETE,
	SF_SQL_QUEUED,
	SF_SQL_PROFILE_ANY,
	SF_SQL_CLAIM_SESSION,
	SF_SQL_SESSION_STORE,
	SF_SQL_SESSION_END,
	SF_SQL_SESSION_GET,
	SF_SQL_SESSION_PURGE,
	SF_SQL_SESSIONS,
	SF_SQL_CLAIM_OWNED,
	SF_SQL_DISOWN,
	SF_SQL_RENEW_OWNED,
	SF_SQL_DUE_AORS_AGE,
	SF_SQL_TAKEOVER,
	SF_SQL_FETCH_TOKEN,
	SF_SQL_NOTIFIED,
	SF_SQL_FETCH_GET,
	SF_SQL_FETCHED,
	SF_SQL_DLR_OK,
	SF_SQL_DLR_FAIL,
	SF_SQL_DLR_KNOWN,
	SF_SQL_GROUP_MEMBERS,
	SF_SQL_GROUP_COUNT,
	SF_SQL_GROUP_GET,
	SF_SQL_GROUP_SET,
	SF_SQL_GROUP_DELETE,
	SF_SQL_GROUP_LIST,
	SF_SQL_GROUP_SENT,
	SF_SQL_GROUP_UNSENT,
	SF_SQL_GROUP_PENDING,
	SF_SQL_GROUP_SETTLE,
	SF_SQL_GROUP_PURGE,
	SF_SQL_COUNT
};

extern const sf_db_stmt_t sf_store_stmts[SF_SQL_COUNT];

/*! \brief one message to store */
typedef struct sf_store_req
{
	str aor;
	str ruri;
	str from_uri;
	str from_name;
	str from_tag;
	str to_uri;
	str to_name;
	str call_id;
	long long cseq;	 /*!< 0..4294967295 */
	double received; /*!< epoch seconds */
	int lifetime;	 /*!< seconds */
	int cls;
	int notify;
	str content_type;
	str body;
	str headers;
	int max_messages;  /*!< 0: no limit */
	int retry;		   /*!< seconds to the first timed retry, 0: none */
	str imdn_id;	   /*!< imdn.Message-ID of a CPIM body, or empty */
	str imdn_datetime; /*!< DateTime of a CPIM body (RFC 3339), or empty */
} sf_store_req_t;

/*!
 * \brief store one message (one round trip, committed when it returns)
 * \param db the connection
 * \param r the message
 * \return the new row id (> 0), 0 when the mailbox is full, -1 on a
 *   database error (db->last_err)
 */
long long sf_store_insert(sf_db_t *db, const sf_store_req_t *r);

/*!
 * \brief store n messages with one statement (sfwd_store_batch(), one
 *   commit); the batch rolls back when it would commit after `deadline`
 *   (epoch seconds)
 * \param db the connection
 * \param rs the messages
 * \param n how many
 * \param deadline epoch seconds
 * \return n rows in input order (binary: int4 position, int8 id: > 0
 *   stored, 0 stored by a concurrent transaction, -1 mailbox full;
 *   caller PQclear()s), or NULL on a database error (db->last_err)
 */
PGresult *sf_store_insert_batch(
		sf_db_t *db, const sf_store_req_t *const *rs, int n, double deadline);

/*! \brief columns of a claimed row, in SF_SQL_CLAIM's RETURNING order */
enum sf_claim_col
{
	SF_CC_ID = 0,
	SF_CC_FROM_URI,
	SF_CC_FROM_NAME,
	SF_CC_FROM_TAG,
	SF_CC_TO_URI,
	SF_CC_TO_NAME,
	SF_CC_CALL_ID,
	SF_CC_CSEQ,
	SF_CC_CONTENT_TYPE,
	SF_CC_BODY,
	SF_CC_HEADERS,
	SF_CC_EXPIRES,
	SF_CC_ATTEMPTS,
	SF_CC_CLASS,
	SF_CC_NOTIFY,
	SF_CC_IMDN_ID,
	SF_CC_RECEIVED,		  /*!< float8 epoch seconds, microseconds kept */
	SF_CC_IMDN_DATETIME,  /*!< text, '' when none */
	SF_CC_SESSION,		  /*!< int8 sfwd_session id, 0: not a session's */
	SF_CC_DELIVER_NOTIFY, /*!< bool: the profile says "deliver": "notify" */
	SF_CC_FETCH_TOKEN	  /*!< text, '' when none yet */
};

/*! \brief what a claim returns, in enum sf_claim_col order */
#define SF_CLAIM_COLS                                                         \
	"id, from_uri, from_name, from_tag, to_uri, to_name, call_id, cseq,"      \
	" content_type, body, headers, floor(extract(epoch FROM expires))::int8," \
	" attempts, class, notify, imdn_id,"                                      \
	" extract(epoch FROM received)::float8, coalesce(imdn_datetime, ''),"     \
	" coalesce(session_id, 0), deliver_notify, coalesce(fetch_token, '')"

/*! \brief what a report needs of a row (SF_SQL_EXPIRE's RETURNING) */
#define SF_EXPIRED_COLS                              \
	"id, aor, from_uri, from_name, to_uri, imdn_id," \
	" extract(epoch FROM received)::float8, notify," \
	" coalesce(imdn_datetime, '')"
enum sf_expired_col
{
	SF_XC_ID = 0,
	SF_XC_AOR,
	SF_XC_FROM_URI,
	SF_XC_FROM_NAME,
	SF_XC_TO_URI,
	SF_XC_IMDN_ID,
	SF_XC_RECEIVED,
	SF_XC_NOTIFY,
	SF_XC_IMDN_DATETIME
};

/*!
 * \brief claim up to `limit` queued rows of an AoR with id > after_id,
 *   for `lease` seconds (rows leased by others are skipped); the result's
 *   rows are in id order: arrival order
 * \param db the connection
 * \param owner the claim owner ("<node_id>/<pid>" of a flusher)
 * \param aor the AoR
 * \param after_id only rows with a greater id
 * \param due_only 1: only rows whose timed retry is due
 * \param limit at most this many rows
 * \param lease seconds
 * \return the rows (binary format; caller PQclear()s) or NULL on error
 */
PGresult *sf_store_claim(sf_db_t *db, const str *owner, const str *aor,
		long long after_id, int due_only, int limit, int lease);

/*!
 * \brief delete delivered rows (ids as a PostgreSQL array literal,
 *   "{1,2,3}") still claimed by owner
 * \param db the connection
 * \param owner the claim owner ("<node_id>/<pid>" of a flusher)
 * \param ids the row ids, "{1,2,3}"
 * \return rows deleted, -1 on error
 */
/*!
 * \brief cluster mode: this flusher is done with an AoR, another may own
 *   it now (no-op when modparam cluster is 0)
 * \param db the connection
 * \param owner the flusher
 * \param aor the AoR
 * \return 0 ok, -1 database error
 */
int sf_store_disown(sf_db_t *db, const str *owner, const str *aor);

int sf_store_delete(sf_db_t *db, const str *owner, const char *ids);

/*!
 * \brief a failed attempt that may be retried: attempts+1, next attempt
 *   in `delay` seconds (0: at the next registration), or 'failed' when
 *   attempts reach max_attempts; releases the claim
 * \param db the connection
 * \param owner the claim owner ("<node_id>/<pid>" of a flusher)
 * \param id the row id
 * \param code the final SIP status of the attempt
 * \param delay seconds to the next attempt, 0: the next registration
 * \param max_attempts 0: no limit
 * \return 0 queued again, 1 now 'failed', -1 error
 */
int sf_store_retry(sf_db_t *db, const str *owner, long long id, int code,
		int delay, int max_attempts);

/*!
 * \brief a permanent failure: state 'failed'; 0 ok, -1 error
 * \param db the connection
 * \param owner the claim owner ("<node_id>/<pid>" of a flusher)
 * \param id the row id
 * \param code the final SIP status
 * \return 0 ok, -1 error
 */
int sf_store_fail(sf_db_t *db, const str *owner, long long id, int code);

/*!
 * \brief give back the unsent claimed rows of an AoR; 0 ok, -1 error
 * \param db the connection
 * \param owner the claim owner ("<node_id>/<pid>" of a flusher)
 * \param aor the AoR
 * \return 0 ok, -1 error
 */
int sf_store_release_aor(sf_db_t *db, const str *owner, const str *aor);

/*!
 * \brief extend the lease of every row owner holds; 0 ok, -1 error
 * \param db the connection
 * \param owner the claim owner ("<node_id>/<pid>" of a flusher)
 * \param lease seconds from now
 * \return 0 ok, -1 error
 */
int sf_store_renew(sf_db_t *db, const str *owner, int lease);

/*!
 * \brief free the claims of a node's earlier run ("<node>/..."); returns
 *   the number of rows freed or -1
 * \param db the connection
 * \param node the node_id
 * \return the number of rows freed, -1 on error
 */
int sf_store_release_node(sf_db_t *db, const str *node);

/*!
 * \brief the start-up check (mod_init): the database at url must hold this
 *   sfwd's schema; the claims of this node's last run are freed (its
 *   flushers are gone). A database that cannot be reached is no error: it
 *   is logged, and sfwd answers sf_store() with -2 until it is there.
 * \param url the libpq URI (modparam db_url)
 * \param timeout_ms the most any wait may take
 * \param node this node's node_id
 * \return 0 ok (or unreachable), -1 another schema, or the release failed
 */
int sf_store_startup_check(const char *url, int timeout_ms, const str *node);

/*!
 * \brief queued rows past their expiry become 'expired' (at most
 *   `limit`); returns them (SF_EXPIRED_COLS, binary; caller PQclear()s) or
 *   NULL on error
 * \param db the connection
 * \param limit at most this many rows
 * \return the expired rows, or NULL on error
 */
PGresult *sf_store_expire(sf_db_t *db, int limit);

/*!
 * \brief queued messages of an AoR: text ones (text/..., message/cpim)
 *   and the others; 0 ok, -1 error
 * \param db the connection
 * \param aor the AoR
 * \param text the text ones
 * \param other the others
 * \return 0 ok, -1 error
 */
int sf_store_count(sf_db_t *db, const str *aor, int *text, int *other);

/*!
 * \brief delete terminal rows older than `retention` seconds; returns how
 *   many (at most `limit`) or -1
 * \param db the connection
 * \param retention seconds
 * \param limit at most this many rows
 * \return the number of rows deleted, -1 on error
 */
int sf_store_purge(sf_db_t *db, int retention, int limit);

/*!
 * \brief forget the recipients of exploded requests older than a day
 *   (sfwd_group_sent)
 * \param db the connection
 * \param limit at most this many rows
 * \return the number of rows deleted, -1 on error
 */
int sf_store_group_purge(sf_db_t *db, int limit);

/*!
 * \brief count the server-side groups into the sfwd:groups gauge (left
 *   as it is when the database cannot say)
 * \param db the connection
 */
void sf_store_group_count(sf_db_t *db);

/*!
 * \brief AoRs with a timed retry due (caller PQclear()s; text column 0)
 * \param db the connection
 * \param limit at most this many rows are looked at
 * \return the AoRs, or NULL on error
 */
PGresult *sf_store_due_aors(sf_db_t *db, int limit);

/*!
 * \brief an AoR without contacts here: its due rows wait for the next
 *   registration; 0 ok, -1 error
 * \param db the connection
 * \param aor the AoR
 * \return 0 ok, -1 error
 */
int sf_store_park(sf_db_t *db, const str *aor);

/*!
 * \brief run statement st with text parameters (NULL-terminated strings;
 *   n of them), text results
 * \param db the connection
 * \param st the statement, an enum sf_stmt
 * \param n the number of params
 * \param params the parameters
 * \return the result (caller PQclear()s) or NULL on error
 */
/*! \brief one message of an MSRP session to store */
typedef struct sf_session_req
{
	sf_store_req_t m; /*!< the message; m.cseq: its order in the session
					   *   (1, 2, ...); m.retry unused */
	str sdp;		  /*!< the sender's SDP offer, as sent */
	double started;	  /*!< when the session was accepted, epoch seconds */
} sf_session_req_t;

/*!
 * \brief store one message of a session, and the session with its first
 *   (one round trip, committed when it returns)
 * \param db the connection
 * \param r the message and its session
 * \return the row id (> 0; the existing one for the same message), 0 when
 *   the mailbox is full, -1 on a database error
 */
long long sf_store_session_msg(sf_db_t *db, const sf_session_req_t *r);

/*!
 * \brief the end of a session: its end time, and the row goes when none
 *   of its messages waits
 * \param db the connection
 * \param call_id the session's Call-ID
 * \param from_tag the sender's From tag
 * \param aor the recipient
 * \return 0 ok, -1 database error
 */
int sf_store_session_end(
		sf_db_t *db, const str *call_id, const str *from_tag, const str *aor);

/*! \brief columns of sf_store_session_get() */
enum sf_session_col
{
	SF_SC_FROM_URI = 0,
	SF_SC_FROM_NAME,
	SF_SC_FROM_TAG,
	SF_SC_TO_URI,
	SF_SC_TO_NAME,
	SF_SC_CALL_ID,
	SF_SC_SDP,
	SF_SC_STARTED, /*!< float8 epoch seconds */
	SF_SC_ENDED,   /*!< float8 epoch seconds, 0: still open */
	SF_SC_MESSAGES
};

/*!
 * \brief one session's record
 * \param db the connection
 * \param id its id (sfwd_message.session_id)
 * \return one row (columns enum sf_session_col; PQclear it), NULL when
 *   there is none or on a database error
 */
PGresult *sf_store_session_get(sf_db_t *db, long long id);

/*!
 * \brief claim every queued message of one session, also those owner
 *   holds already
 * \param db the connection
 * \param owner the claiming process
 * \param session_id the session
 * \param lease seconds
 * \return the rows in id order (columns as sf_store_claim()), NULL on
 *   error
 */
PGresult *sf_store_claim_session(
		sf_db_t *db, const str *owner, long long session_id, int lease);

/*!
 * \brief delete up to limit sessions none of whose messages waits any
 *   more (ended, or open for a day)
 * \param db the connection
 * \param limit the most to delete
 * \return how many went, -1 on error
 */
int sf_store_session_purge(sf_db_t *db, int limit);

PGresult *sf_store_run(sf_db_t *db, int st, int n, const char *const *params);

/*!
 * \brief AoRs with a timed retry due, each with whether it is overdue
 *   (its oldest due row has waited more than grace seconds: the node that
 *   holds its registration has not taken it); caller PQclear()s; binary:
 *   column 0 the AoR, column 1 int4 1 overdue / 0 not
 * \param db the connection
 * \param limit at most this many rows are looked at
 * \param grace seconds a due row waits for its own node
 * \return the AoRs, or NULL on error
 */
PGresult *sf_store_due_aors_age(sf_db_t *db, int limit, int grace);

/*!
 * \brief release queued rows whose lease has expired (their flusher died
 *   or lost the database), so that a node holding their AoR's
 *   registration delivers them; caller PQclear()s; binary: column 0 the
 *   distinct AoRs released
 * \param db the connection
 * \param limit at most this many rows
 * \return the AoRs, or NULL on error
 */
PGresult *sf_store_takeover(sf_db_t *db, int limit);

/*!
 * \brief the bytes sf_str_pack() takes for s (its text and a NUL)
 * \param s the text (NULL or empty: 1)
 * \return the size
 */
int sf_str_room(const str *s);

/*!
 * \brief copy s to *pos, NUL-terminated, point d at the copy and move
 *   *pos past it (building one shared-memory block of several texts)
 * \param d where the copy is named
 * \param s the text (NULL or empty: an empty text)
 * \param pos where the copy goes; moved past it
 */
void sf_str_pack(str *d, const str *s, char **pos);

/*!
 * \brief the bytes sf_store_req_pack() takes for r's texts
 * \param r the request
 * \return the size
 */
int sf_store_req_room(const sf_store_req_t *r);

/*!
 * \brief copy r into d with every text of r packed at *pos (one block
 *   of sf_store_req_room() bytes that outlives r)
 * \param d the copy
 * \param r the request
 * \param pos where the texts go; moved past them
 */
void sf_store_req_pack(sf_store_req_t *d, const sf_store_req_t *r, char **pos);

#endif
