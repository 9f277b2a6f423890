/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the message store in PostgreSQL
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/dprint.h"
#include "core/mem/mem.h"

#include "sf_cfg.h"
#include "sf_stats.h"
#include "sf_store.h"

/* the claim's rows: $2 AoR, after id $3, due only ($4), at most $5, in id
 * order, skipping those another flusher holds; the rest of a claim
 * statement after its "WHERE" (CLAIM and, in cluster mode, CLAIM_OWNED) */
#define SF_CLAIM_ROWS                                               \
	"id IN (SELECT id FROM sfwd_message"                            \
	"  WHERE aor = $2::text AND state = 'queued' AND id > $3::int8" \
	"  AND expires > now()"                                         \
	"  AND (lease_until IS NULL OR lease_until < now())"            \
	"  AND (NOT $4::bool OR next_attempt <= now())"                 \
	"  ORDER BY id LIMIT $5::int4 FOR UPDATE SKIP LOCKED)"          \
	" RETURNING " SF_CLAIM_COLS ")"                                 \
	" SELECT * FROM c ORDER BY 1"

/* clang-format off */
const sf_db_stmt_t sf_store_stmts[SF_SQL_COUNT] = {
	[SF_SQL_STORE] = {"sf_store",
		"SELECT sfwd_store($1::text, $2::text, $3::text, $4::text, $5::text,"
		" $6::text, $7::text, $8::text, $9::int8, $10::float8, $11::int4,"
		" $12::int2, $13::int2, $14::text, $15::bytea, $16::text, $17::int4,"
		" $18::int4, $19::text, $20::text, $21::float8)", 21},
	[SF_SQL_STORE_BATCH] = {"sf_store_batch",
		"SELECT ord, id FROM sfwd_store_batch($1::text[], $2::text[],"
		" $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
		" $8::text[], $9::int8[], $10::float8[], $11::int4[], $12::int2[],"
		" $13::int2[], $14::text[], $15::bytea[], $16::text[], $17::int4[],"
		" $18::int4[], $19::text[], $20::text[], $21::float8)", 21},
	[SF_SQL_CLAIM] = {"sf_claim",
		"WITH c AS (UPDATE sfwd_message SET claim_owner = $1::text,"
		" lease_until = now() + make_interval(secs => $6::int4)"
		" WHERE " SF_CLAIM_ROWS, 6},
	/* cluster mode: the claim, only while this flusher owns the AoR (or
	 * the owner's lease ran out); the ownership is taken or renewed in
	 * the same statement */
	[SF_SQL_CLAIM_OWNED] = {"sf_claim_owned",
		"WITH own AS (INSERT INTO sfwd_aor_owner (aor, owner, lease_until)"
		"  VALUES ($2::text, $1::text, now() + make_interval(secs => $6::int4))"
		"  ON CONFLICT (aor) DO UPDATE SET owner = EXCLUDED.owner,"
		"  lease_until = EXCLUDED.lease_until"
		"  WHERE sfwd_aor_owner.owner = EXCLUDED.owner"
		"  OR sfwd_aor_owner.lease_until < now() RETURNING 1),"
		" c AS (UPDATE sfwd_message SET claim_owner = $1::text,"
		" lease_until = now() + make_interval(secs => $6::int4)"
		" WHERE EXISTS (SELECT 1 FROM own) AND " SF_CLAIM_ROWS, 6},
	[SF_SQL_DISOWN] = {"sf_disown",
		"DELETE FROM sfwd_aor_owner WHERE aor = $2::text AND owner = $1::text", 2},
	[SF_SQL_RENEW_OWNED] = {"sf_renew_owned",
		"UPDATE sfwd_aor_owner"
		" SET lease_until = now() + make_interval(secs => $2::int4)"
		" WHERE owner = $1::text", 2},
	/* every queued message of one session, also those this owner holds
	 * already (an MSRP retrieval sends a session as one unit) */
	[SF_SQL_CLAIM_SESSION] = {"sf_claim_session",
		"WITH c AS (UPDATE sfwd_message SET claim_owner = $1::text,"
		" lease_until = now() + make_interval(secs => $3::int4)"
		" WHERE id IN (SELECT id FROM sfwd_message"
		"  WHERE session_id = $2::int8 AND state = 'queued'"
		"  AND expires > now() AND (claim_owner = $1::text"
		"  OR lease_until IS NULL OR lease_until < now())"
		"  ORDER BY id FOR UPDATE SKIP LOCKED)"
		" RETURNING " SF_CLAIM_COLS ")"
		" SELECT * FROM c ORDER BY 1", 3},
	[SF_SQL_SESSION_STORE] = {"sf_session_store",
		"SELECT sfwd_session_store($1::text, $2::text, $3::text, $4::text,"
		" $5::text, $6::text, $7::text, $8::text, $9::int8, $10::float8,"
		" $11::int4, $12::int2, $13::int2, $14::text, $15::bytea, $16::text,"
		" $17::int4, $18::text, $19::text, $20::bytea, $21::float8)", 21},
	[SF_SQL_SESSION_END] = {"sf_session_end",
		"SELECT sfwd_session_end($1::text, $2::text, $3::text)", 3},
	[SF_SQL_SESSION_GET] = {"sf_session_get",
		"SELECT from_uri, from_name, from_tag, to_uri, to_name, call_id, sdp,"
		" extract(epoch FROM started)::float8,"
		" coalesce(extract(epoch FROM ended)::float8, 0), messages"
		" FROM sfwd_session WHERE id = $1::int8", 1},
	/* sessions none of whose messages waits, ended (or open for a day:
	 * the node that held it died) */
	[SF_SQL_SESSION_PURGE] = {"sf_session_purge",
		"DELETE FROM sfwd_session WHERE id IN (SELECT s.id FROM sfwd_session s"
		"  WHERE (s.ended IS NOT NULL OR s.started < now() - interval '1 day')"
		"  AND NOT EXISTS (SELECT 1 FROM sfwd_message m"
		"   WHERE m.session_id = s.id)"
		"  LIMIT $1::int4 FOR UPDATE SKIP LOCKED)", 1},
	[SF_SQL_SESSIONS] = {"sf_sessions",
		"SELECT s.id, s.aor, s.from_uri, s.call_id,"
		" to_char(s.started AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" coalesce(to_char(s.ended AT TIME ZONE 'UTC',"
		"  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), s.messages,"
		" (SELECT count(*) FROM sfwd_message m WHERE m.session_id = s.id"
		"  AND m.state = 'queued')"
		" FROM sfwd_session s WHERE ($1::text = '' OR s.aor = $1::text)"
		" ORDER BY s.id LIMIT $2::int4 OFFSET $3::int4", 3},
	/* delivered: gone; one whose copy beyond SIP is still to go
	 * (forward_when "always", forward_at set) waits for it in state
	 * 'forward' (forward_keep: no second report) */
	[SF_SQL_DELETE] = {"sf_delete",
		"WITH k AS (UPDATE sfwd_message SET state = 'forward',"
		" claim_owner = NULL, lease_until = NULL"
		" WHERE id = ANY($2::int8[]) AND claim_owner = $1::text"
		" AND forward_keep AND forward_at IS NOT NULL)"
		" DELETE FROM sfwd_message WHERE id = ANY($2::int8[])"
		" AND claim_owner = $1::text"
		" AND NOT (forward_keep AND forward_at IS NOT NULL)", 2},
	[SF_SQL_RETRY] = {"sf_retry",
		"UPDATE sfwd_message SET attempts = attempts + 1,"
		" last_code = $3::int2,"
		" state = CASE WHEN $5::int4 > 0 AND attempts + 1 >= $5::int4"
		"  THEN 'failed' ELSE 'queued' END,"
		" done_at = CASE WHEN $5::int4 > 0 AND attempts + 1 >= $5::int4"
		"  THEN now() END,"
		" next_attempt = CASE WHEN $4::int4 > 0"
		"  THEN now() + make_interval(secs => $4::int4) END,"
		" claim_owner = NULL, lease_until = NULL"
		" WHERE id = $2::int8 AND claim_owner = $1::text RETURNING state", 5},
	[SF_SQL_FAIL] = {"sf_fail",
		"UPDATE sfwd_message SET attempts = attempts + 1,"
		" last_code = $3::int2, state = 'failed', done_at = now(),"
		" claim_owner = NULL, lease_until = NULL"
		" WHERE id = $2::int8 AND claim_owner = $1::text", 3},
	[SF_SQL_RELEASE_AOR] = {"sf_release_aor",
		"UPDATE sfwd_message SET claim_owner = NULL, lease_until = NULL"
		" WHERE aor = $2::text AND claim_owner = $1::text", 2},
	[SF_SQL_RENEW] = {"sf_renew",
		"UPDATE sfwd_message"
		" SET lease_until = now() + make_interval(secs => $2::int4)"
		" WHERE claim_owner = $1::text", 2},
	[SF_SQL_RELEASE_NODE] = {"sf_release_node",
		"UPDATE sfwd_message SET claim_owner = NULL, lease_until = NULL"
		" WHERE claim_owner IS NOT NULL"
		" AND left(claim_owner, length($1::text) + 1) = $1::text || '/'", 1},
	/* undelivered at its lifetime: 'expired' (a failure report); a copy
	 * beyond SIP of one delivered over SIP that could not go in time is
	 * dropped without one (its sender has the delivery report) */
	[SF_SQL_EXPIRE] = {"sf_expire",
		"WITH copy AS (DELETE FROM sfwd_message WHERE id IN (SELECT id"
		"  FROM sfwd_message WHERE state = 'forward' AND forward_keep"
		"  AND expires <= now()"
		"  AND (lease_until IS NULL OR lease_until < now())"
		"  LIMIT $1::int4 FOR UPDATE SKIP LOCKED))"
		" UPDATE sfwd_message SET state = 'expired', done_at = now(),"
		" claim_owner = NULL, lease_until = NULL"
		" WHERE id IN (SELECT id FROM sfwd_message"
		"  WHERE state IN ('queued', 'forward', 'fetch', 'sms')"
		"  AND NOT (state = 'forward' AND forward_keep) AND expires <= now()"
		"  AND (lease_until IS NULL OR lease_until < now())"
		"  ORDER BY expires LIMIT $1::int4 FOR UPDATE SKIP LOCKED)"
		" RETURNING " SF_EXPIRED_COLS, 1},
	[SF_SQL_PURGE] = {"sf_purge",
		"DELETE FROM sfwd_message WHERE id IN (SELECT id FROM sfwd_message"
		"  WHERE state <> 'queued'"
		"  AND done_at < now() - make_interval(secs => $1::int4)"
		"  LIMIT $2::int4 FOR UPDATE SKIP LOCKED)", 2},
	[SF_SQL_DUE_AORS] = {"sf_due_aors",
		"SELECT DISTINCT aor FROM (SELECT aor FROM sfwd_message"
		"  WHERE state = 'queued' AND next_attempt <= now()"
		"  AND (lease_until IS NULL OR lease_until < now())"
		"  ORDER BY next_attempt LIMIT $1::int4) d", 1},
	[SF_SQL_COUNT_AOR] = {"sf_count_aor",
		"SELECT count(*) FILTER (WHERE content_type ~* '^(text/|message/cpim)'),"
		" count(*) FILTER (WHERE content_type !~* '^(text/|message/cpim)')"
		" FROM sfwd_message WHERE aor = $1::text AND state = 'queued'", 1},
	[SF_SQL_STATS] = {"sf_stats",
		"SELECT state, count(*),"
		" coalesce(extract(epoch FROM now() - min(received))::int8, 0)"
		" FROM sfwd_message GROUP BY state ORDER BY state", 0},
	[SF_SQL_LIST] = {"sf_list",
		"SELECT id, aor, from_uri,"
		" to_char(received AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" extract(epoch FROM now() - received)::int8, state, attempts,"
		" content_type, length(body)"
		" FROM sfwd_message WHERE ($1::text = '' OR aor = $1::text)"
		" ORDER BY id LIMIT $2::int4 OFFSET $3::int4", 3},
	[SF_SQL_SHOW] = {"sf_show",
		"SELECT id, aor, ruri, from_uri, from_name, to_uri, call_id, cseq,"
		" to_char(received AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" to_char(expires AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" class, notify, content_type, length(body), headers, state, attempts,"
		" coalesce(to_char(next_attempt AT TIME ZONE 'UTC',"
		"  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"
		" coalesce(last_code, 0), coalesce(claim_owner, ''),"
		" coalesce(session_id, 0), encode(substring(body FROM 1 FOR 200), 'hex'),"
		" content_type ~* '^(text/|message/cpim)'"
		" FROM sfwd_message WHERE id = $1::int8", 1},
	[SF_SQL_DELETE_ID] = {"sf_delete_id",
		"DELETE FROM sfwd_message WHERE id = $1::int8 RETURNING aor", 1},
	[SF_SQL_PURGE_AOR] = {"sf_purge_aor",
		"DELETE FROM sfwd_message WHERE aor = $1::text", 1},
	[SF_SQL_PROFILE_GET] = {"sf_profile_get",
		"SELECT profile FROM sfwd_profile WHERE aor = $1::text", 1},
	[SF_SQL_PROFILE_SET] = {"sf_profile_set",
		"INSERT INTO sfwd_profile (aor, profile) VALUES ($1::text, $2::text)"
		" ON CONFLICT (aor) DO UPDATE SET profile = EXCLUDED.profile,"
		" updated = now()", 2},
	[SF_SQL_PROFILE_DELETE] = {"sf_profile_delete",
		"DELETE FROM sfwd_profile WHERE aor = $1::text", 1},
	[SF_SQL_PROFILE_ANY] = {"sf_profile_any",
		"SELECT EXISTS (SELECT 1 FROM sfwd_profile)", 0},
	[SF_SQL_QUEUED] = {"sf_queued",
		"SELECT count(*), coalesce(extract(epoch FROM"
		" now() - min(received)), 0)::int8 FROM sfwd_message"
		" WHERE state = 'queued'", 0},
	[SF_SQL_PARK] = {"sf_park",
		"UPDATE sfwd_message SET next_attempt = NULL"
		" WHERE aor = $1::text AND state = 'queued'"
		" AND next_attempt <= now()", 1},
	/* the cluster's sweep: which due AoRs the node holding the
	 * registration has left for longer than the grace ($2 s) */
	[SF_SQL_DUE_AORS_AGE] = {"sf_due_aors_age",
		"SELECT aor, (min(next_attempt) < now()"
		" - make_interval(secs => $2::int4))::int4 FROM (SELECT aor,"
		"  next_attempt FROM sfwd_message"
		"  WHERE state = 'queued' AND next_attempt <= now()"
		"  AND (lease_until IS NULL OR lease_until < now())"
		"  ORDER BY next_attempt LIMIT $1::int4) d GROUP BY aor", 2},
	/* the cluster's sweep: claims of a dead flusher go back to the queue
	 * (index sfwd_message_lease, etc/cluster/sfwd-cluster.sql) */
	[SF_SQL_TAKEOVER] = {"sf_takeover",
		"WITH r AS (UPDATE sfwd_message SET claim_owner = NULL,"
		" lease_until = NULL WHERE id IN (SELECT id FROM sfwd_message"
		"  WHERE claim_owner IS NOT NULL AND lease_until < now()"
		"  AND state = 'queued'"
		"  LIMIT $1::int4 FOR UPDATE SKIP LOCKED) RETURNING aor)"
		" SELECT DISTINCT aor FROM r", 1},
	/* notify-then-fetch (sf_http.h): a claimed row's token, kept once
	 * given (a notice sent again names the same link) */
	[SF_SQL_FETCH_TOKEN] = {"sf_fetch_token",
		"UPDATE sfwd_message SET fetch_token = coalesce(fetch_token, $2::text)"
		" WHERE id = $1::int8 AND claim_owner = $3::text"
		" RETURNING fetch_token", 3},
	/* its notice was taken: the content waits for its GET */
	[SF_SQL_NOTIFIED] = {"sf_notified",
		"UPDATE sfwd_message SET state = 'fetch', attempts = attempts + 1,"
		" next_attempt = NULL, claim_owner = NULL, lease_until = NULL"
		" WHERE id = $1::int8 AND claim_owner = $2::text"
		" AND state = 'queued'", 2},
	/* the content of a live token */
	[SF_SQL_FETCH_GET] = {"sf_fetch_get",
		"SELECT id, content_type, body, headers FROM sfwd_message"
		" WHERE fetch_token = $1::text"
		" AND state IN ('queued', 'forward', 'fetch', 'sms')"
		" AND expires > now()", 1},
	/* the first complete GET: delivered */
	[SF_SQL_FETCHED] = {"sf_fetched",
		"DELETE FROM sfwd_message WHERE id = $1::int8"
		" AND fetch_token = $2::text RETURNING " SF_EXPIRED_COLS, 2},
	/* Kannel's delivery reports of an SMS */
	[SF_SQL_DLR_OK] = {"sf_dlr_ok",
		"DELETE FROM sfwd_message WHERE fetch_token = $1::text"
		" AND state = 'sms' RETURNING " SF_EXPIRED_COLS, 1},
	[SF_SQL_DLR_FAIL] = {"sf_dlr_fail",
		"UPDATE sfwd_message SET state = 'failed', done_at = now(),"
		" forward_code = $2::int4 WHERE fetch_token = $1::text"
		" AND state = 'sms' RETURNING " SF_EXPIRED_COLS, 2},
	[SF_SQL_DLR_KNOWN] = {"sf_dlr_known",
		"SELECT 1 FROM sfwd_message WHERE fetch_token = $1::text", 1},
	/* groups (sf_group.h): a group's members (one row each) and who may
	 * send to it; text results */
	[SF_SQL_GROUP_MEMBERS] = {"sf_group_members",
		"SELECT m, senders FROM sfwd_group, unnest(members) m"
		" WHERE name = $1::text", 1},
	[SF_SQL_GROUP_COUNT] = {"sf_group_count",
		"SELECT count(*) FROM sfwd_group", 0},
	[SF_SQL_GROUP_GET] = {"sf_group_get",
		"SELECT json_build_object('group', name, 'members', members,"
		" 'senders', senders, 'updated',"
		" extract(epoch FROM updated)::int8)::text FROM sfwd_group"
		" WHERE name = $1::text", 1},
	/* $2: a JSON array of AoRs the RPC checked and wrote itself */
	[SF_SQL_GROUP_SET] = {"sf_group_set",
		"INSERT INTO sfwd_group (name, members, senders)"
		" SELECT $1::text, ARRAY(SELECT json_array_elements_text($2::json)),"
		" $3::text ON CONFLICT (name) DO UPDATE SET members = EXCLUDED.members,"
		" senders = EXCLUDED.senders, updated = now()", 3},
	[SF_SQL_GROUP_DELETE] = {"sf_group_delete",
		"DELETE FROM sfwd_group WHERE name = $1::text RETURNING 1", 1},
	[SF_SQL_GROUP_LIST] = {"sf_group_list",
		"SELECT name, cardinality(members), senders FROM sfwd_group"
		" ORDER BY name LIMIT $1::int4", 1},
	/* the recipients ($4, a JSON array) of one exploded request that
	 * nobody sends to now: new ones, and claims older than $5 s without an
	 * outcome (a crash); those are returned */
	[SF_SQL_GROUP_SENT] = {"sf_group_sent",
		"INSERT INTO sfwd_group_sent (call_id, from_tag, cseq, recipient)"
		" SELECT $1::text, $2::text, $3::int8, r"
		" FROM json_array_elements_text($4::json) r"
		" ON CONFLICT (call_id, from_tag, cseq, recipient) DO UPDATE"
		" SET created = now() WHERE NOT sfwd_group_sent.done"
		" AND sfwd_group_sent.created < now() - make_interval(secs => $5::int4)"
		" RETURNING recipient", 5},
	/* claims of one request still without an outcome */
	[SF_SQL_GROUP_PENDING] = {"sf_group_pending",
		"SELECT count(*) FROM sfwd_group_sent WHERE call_id = $1::text"
		" AND from_tag = $2::text AND cseq = $3::int8 AND NOT done", 3},
	/* claims that sent nothing: a retransmission sends them */
	[SF_SQL_GROUP_UNSENT] = {"sf_group_unsent",
		"DELETE FROM sfwd_group_sent WHERE call_id = $1::text"
		" AND from_tag = $2::text AND cseq = $3::int8"
		" AND recipient IN (SELECT json_array_elements_text($4::json))", 4},
	/* the end of an explosion: $4 done, $5 lost (forgotten) */
	[SF_SQL_GROUP_SETTLE] = {"sf_group_settle",
		"WITH l AS (DELETE FROM sfwd_group_sent WHERE call_id = $1::text"
		"  AND from_tag = $2::text AND cseq = $3::int8"
		"  AND recipient IN (SELECT json_array_elements_text($5::json)))"
		" UPDATE sfwd_group_sent SET done = true WHERE call_id = $1::text"
		" AND from_tag = $2::text AND cseq = $3::int8"
		" AND recipient IN (SELECT json_array_elements_text($4::json))", 5},
	[SF_SQL_GROUP_PURGE] = {"sf_group_purge",
		"DELETE FROM sfwd_group_sent WHERE ctid IN (SELECT ctid"
		"  FROM sfwd_group_sent WHERE created < now() - interval '1 day'"
		"  LIMIT $1::int4)", 1},
};
/* clang-format on */

#define SF_MAX_PARAMS 21

/* parameters in binary format; integers are kept, big-endian, in ibuf */
typedef struct sf_params
{
	const char *v[SF_MAX_PARAMS];
	int l[SF_MAX_PARAMS];
	int f[SF_MAX_PARAMS];
	unsigned char ibuf[SF_MAX_PARAMS][8];
	int n;
} sf_params_t;

static void p_bytes(sf_params_t *p, const char *s, int len)
{
	p->v[p->n] = (s && len > 0) ? s : "";
	p->l[p->n] = len > 0 ? len : 0;
	p->f[p->n] = 1;
	p->n++;
}

static void p_str(sf_params_t *p, const str *s)
{
	p_bytes(p, s ? s->s : NULL, s ? s->len : 0);
}

/* a NUL-terminated string in text format (e.g. an array literal) */
static void p_text(sf_params_t *p, const char *s)
{
	p->v[p->n] = s;
	p->l[p->n] = 0;
	p->f[p->n] = 0;
	p->n++;
}

/* an n-byte big-endian integer */
static void p_int(sf_params_t *p, uint64_t v, int n)
{
	unsigned char *b = p->ibuf[p->n];
	int i;

	for(i = n - 1; i >= 0; i--) {
		b[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	p_bytes(p, (const char *)b, n);
}

static void p_i2(sf_params_t *p, int v)
{
	p_int(p, (uint64_t)(int64_t)v, 2);
}

static void p_i4(sf_params_t *p, int v)
{
	p_int(p, (uint64_t)(int64_t)v, 4);
}

static void p_i8(sf_params_t *p, long long v)
{
	p_int(p, (uint64_t)v, 8);
}

static void p_f8(sf_params_t *p, double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	p_int(p, u, 8);
}

static void p_bool(sf_params_t *p, int b)
{
	p_int(p, b ? 1 : 0, 1);
}

static PGresult *sf_run(sf_db_t *db, int st, sf_params_t *p, int binary)
{
	return sf_db_exec(db, st, p->v, p->l, p->f, binary);
}

/* run a statement whose result is only its row count */
static int sf_run_count(sf_db_t *db, int st, sf_params_t *p)
{
	PGresult *res = sf_run(db, st, p, 0);
	int n;

	if(res == NULL)
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	return n;
}

/* what sfwd_store() and sfwd_session_store() take first, in their order:
 * the message up to its quota */
static void p_message(sf_params_t *p, const sf_store_req_t *r)
{
	p->n = 0;
	p_str(p, &r->aor);
	p_str(p, &r->ruri);
	p_str(p, &r->from_uri);
	p_str(p, &r->from_name);
	p_str(p, &r->from_tag);
	p_str(p, &r->to_uri);
	p_str(p, &r->to_name);
	p_str(p, &r->call_id);
	p_i8(p, r->cseq);
	p_f8(p, r->received);
	p_i4(p, r->lifetime);
	p_i2(p, r->cls);
	p_i2(p, r->notify);
	p_str(p, &r->content_type);
	p_str(p, &r->body);
	p_str(p, &r->headers);
	p_i4(p, r->max_messages);
}

/* the one row id a store function returns: > 0, 0 mailbox full, -1 */
static long long sf_store_id(sf_db_t *db, PGresult *res)
{
	long long id;

	if(res == NULL)
		return -1;
	if(PQntuples(res) != 1) {
		PQclear(res);
		db->last_err = SF_DB_EQUERY;
		return -1;
	}
	id = sf_db_int(res, 0, 0);
	PQclear(res);
	return id > 0 ? id : 0;
}

long long sf_store_insert(sf_db_t *db, const sf_store_req_t *r)
{
	sf_params_t p;
	struct timeval tv;

	p_message(&p, r);
	p_i4(&p, r->retry);
	p_str(&p, &r->imdn_id);
	p_str(&p, &r->imdn_datetime);
	/* the server rolls back what it could only commit after we gave up */
	gettimeofday(&tv, NULL);
	p_f8(&p, tv.tv_sec + tv.tv_usec / 1e6 + db->timeout_ms / 1000.0);
	return sf_store_id(db, sf_run(db, SF_SQL_STORE, &p, 1));
}


/* ------------------------------------------------------------------ */
/* one-dimensional arrays in PostgreSQL's binary format (array_recv):
 * ndim, has-nulls, element type, then the dimension (length, lower
 * bound 1), then each element as length + bytes */

#define SF_OID_INT2 21
#define SF_OID_INT4 23
#define SF_OID_INT8 20
#define SF_OID_TEXT 25
#define SF_OID_BYTEA 17
#define SF_OID_FLOAT8 701

typedef struct sf_arr
{
	char *s;
	int len;
	int size;
	int err;
} sf_arr_t;

static void arr_raw(sf_arr_t *a, const void *p, int n)
{
	char *ns;
	int size;

	if(a->err)
		return;
	if(a->len + n > a->size) {
		size = a->size ? a->size * 2 : 1024;
		while(size < a->len + n)
			size *= 2;
		ns = pkg_realloc(a->s, size);
		if(ns == NULL) {
			PKG_MEM_ERROR;
			a->err = 1;
			return;
		}
		a->s = ns;
		a->size = size;
	}
	memcpy(a->s + a->len, p, n);
	a->len += n;
}

static void arr_be(sf_arr_t *a, uint64_t v, int n)
{
	unsigned char b[8];
	int i;

	for(i = n - 1; i >= 0; i--) {
		b[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	arr_raw(a, b, n);
}

static void arr_begin(sf_arr_t *a, unsigned oid, int n)
{
	a->len = 0;
	arr_be(a, 1, 4); /* one dimension */
	arr_be(a, 0, 4); /* no NULLs */
	arr_be(a, oid, 4);
	arr_be(a, (uint64_t)n, 4);
	arr_be(a, 1, 4); /* lower bound */
}

static void arr_str(sf_arr_t *a, const str *v)
{
	int len = (v && v->s && v->len > 0) ? v->len : 0;

	arr_be(a, (uint64_t)len, 4);
	if(len)
		arr_raw(a, v->s, len);
}

static void arr_int(sf_arr_t *a, long long v, int n)
{
	arr_be(a, (uint64_t)n, 4);
	arr_be(a, (uint64_t)v, n);
}

static void arr_f8(sf_arr_t *a, double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	arr_be(a, 8, 4);
	arr_be(a, u, 8);
}

/* the columns of sfwd_store_batch(), in its parameter order */
enum
{
	SF_BA_AOR = 0,
	SF_BA_RURI,
	SF_BA_FROM_URI,
	SF_BA_FROM_NAME,
	SF_BA_FROM_TAG,
	SF_BA_TO_URI,
	SF_BA_TO_NAME,
	SF_BA_CALL_ID,
	SF_BA_CSEQ,
	SF_BA_RECEIVED,
	SF_BA_LIFETIME,
	SF_BA_CLASS,
	SF_BA_NOTIFY,
	SF_BA_CTYPE,
	SF_BA_BODY,
	SF_BA_HEADERS,
	SF_BA_MAX,
	SF_BA_RETRY,
	SF_BA_IMDN,
	SF_BA_IMDN_DATETIME,
	SF_BA_N
};

PGresult *sf_store_insert_batch(
		sf_db_t *db, const sf_store_req_t *const *rs, int n, double deadline)
{
	static const unsigned oids[SF_BA_N] = {SF_OID_TEXT, SF_OID_TEXT,
			SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT, SF_OID_TEXT,
			SF_OID_TEXT, SF_OID_INT8, SF_OID_FLOAT8, SF_OID_INT4, SF_OID_INT2,
			SF_OID_INT2, SF_OID_TEXT, SF_OID_BYTEA, SF_OID_TEXT, SF_OID_INT4,
			SF_OID_INT4, SF_OID_TEXT, SF_OID_TEXT};
	/* kept between calls: the buffers only grow */
	static sf_arr_t a[SF_BA_N];
	sf_params_t p;
	PGresult *res;
	int i, c;

	for(c = 0; c < SF_BA_N; c++) {
		a[c].err = 0;
		arr_begin(&a[c], oids[c], n);
	}
	for(i = 0; i < n; i++) {
		const sf_store_req_t *r = rs[i];
		arr_str(&a[SF_BA_AOR], &r->aor);
		arr_str(&a[SF_BA_RURI], &r->ruri);
		arr_str(&a[SF_BA_FROM_URI], &r->from_uri);
		arr_str(&a[SF_BA_FROM_NAME], &r->from_name);
		arr_str(&a[SF_BA_FROM_TAG], &r->from_tag);
		arr_str(&a[SF_BA_TO_URI], &r->to_uri);
		arr_str(&a[SF_BA_TO_NAME], &r->to_name);
		arr_str(&a[SF_BA_CALL_ID], &r->call_id);
		arr_int(&a[SF_BA_CSEQ], r->cseq, 8);
		arr_f8(&a[SF_BA_RECEIVED], r->received);
		arr_int(&a[SF_BA_LIFETIME], r->lifetime, 4);
		arr_int(&a[SF_BA_CLASS], r->cls, 2);
		arr_int(&a[SF_BA_NOTIFY], r->notify, 2);
		arr_str(&a[SF_BA_CTYPE], &r->content_type);
		arr_str(&a[SF_BA_BODY], &r->body);
		arr_str(&a[SF_BA_HEADERS], &r->headers);
		arr_int(&a[SF_BA_MAX], r->max_messages, 4);
		arr_int(&a[SF_BA_RETRY], r->retry, 4);
		arr_str(&a[SF_BA_IMDN], &r->imdn_id);
		arr_str(&a[SF_BA_IMDN_DATETIME], &r->imdn_datetime);
	}
	p.n = 0;
	for(c = 0; c < SF_BA_N; c++) {
		if(a[c].err) {
			db->last_err = SF_DB_EQUERY;
			return NULL;
		}
		p_bytes(&p, a[c].s, a[c].len);
	}
	p_f8(&p, deadline);
	res = sf_run(db, SF_SQL_STORE_BATCH, &p, 1);
	if(res != NULL && PQntuples(res) != n) {
		LM_ERR("sfwd_store_batch() returned %d rows for %d\n", PQntuples(res),
				n);
		PQclear(res);
		db->last_err = SF_DB_EQUERY;
		return NULL;
	}
	return res;
}

PGresult *sf_store_claim(sf_db_t *db, const str *owner, const str *aor,
		long long after_id, int due_only, int limit, int lease)
{
	sf_params_t p;

	p.n = 0;
	p_str(&p, owner);
	p_str(&p, aor);
	p_i8(&p, after_id);
	p_bool(&p, due_only);
	p_i4(&p, limit);
	p_i4(&p, lease);
	return sf_run(
			db, _sf_cfg.cluster ? SF_SQL_CLAIM_OWNED : SF_SQL_CLAIM, &p, 1);
}

int sf_store_disown(sf_db_t *db, const str *owner, const str *aor)
{
	sf_params_t p;

	if(!_sf_cfg.cluster)
		return 0;
	p.n = 0;
	p_str(&p, owner);
	p_str(&p, aor);
	return sf_run_count(db, SF_SQL_DISOWN, &p) < 0 ? -1 : 0;
}

int sf_store_delete(sf_db_t *db, const str *owner, const char *ids)
{
	sf_params_t p;

	p.n = 0;
	p_str(&p, owner);
	p_text(&p, ids);
	return sf_run_count(db, SF_SQL_DELETE, &p);
}

int sf_store_retry(sf_db_t *db, const str *owner, long long id, int code,
		int delay, int max_attempts)
{
	sf_params_t p;
	PGresult *res;
	int failed;

	p.n = 0;
	p_str(&p, owner);
	p_i8(&p, id);
	p_i2(&p, code);
	p_i4(&p, delay);
	p_i4(&p, max_attempts);
	res = sf_run(db, SF_SQL_RETRY, &p, 0);
	if(res == NULL)
		return -1;
	failed =
			PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "failed") == 0;
	PQclear(res);
	return failed;
}

int sf_store_fail(sf_db_t *db, const str *owner, long long id, int code)
{
	sf_params_t p;

	p.n = 0;
	p_str(&p, owner);
	p_i8(&p, id);
	p_i2(&p, code);
	return sf_run_count(db, SF_SQL_FAIL, &p) < 0 ? -1 : 0;
}

int sf_store_release_aor(sf_db_t *db, const str *owner, const str *aor)
{
	sf_params_t p;

	p.n = 0;
	p_str(&p, owner);
	p_str(&p, aor);
	return sf_run_count(db, SF_SQL_RELEASE_AOR, &p) < 0 ? -1 : 0;
}

int sf_store_renew(sf_db_t *db, const str *owner, int lease)
{
	sf_params_t p;

	p.n = 0;
	p_str(&p, owner);
	p_i4(&p, lease);
	if(_sf_cfg.cluster && sf_run_count(db, SF_SQL_RENEW_OWNED, &p) < 0)
		return -1;
	return sf_run_count(db, SF_SQL_RENEW, &p) < 0 ? -1 : 0;
}

int sf_store_release_node(sf_db_t *db, const str *node)
{
	sf_params_t p;

	p.n = 0;
	p_str(&p, node);
	return sf_run_count(db, SF_SQL_RELEASE_NODE, &p);
}

int sf_store_startup_check(const char *url, int timeout_ms, const str *node)
{
	sf_db_t db;
	int n, ret = 0;

	sf_db_init(&db, url, timeout_ms, sf_store_stmts, SF_SQL_COUNT,
			SF_SCHEMA_VERSION);
	if(sf_db_connect(&db) < 0) {
		if(db.last_err == SF_DB_ESCHEMA || db.last_err == SF_DB_EQUERY) {
			LM_ERR("the database at db_url does not hold the schema of "
				   "this sfwd (etc/sql/sfwd-create.sql, version %d)\n",
					SF_SCHEMA_VERSION);
			return -1;
		}
		LM_WARN("database not reachable at start-up; sfwd answers "
				"sf_store() with -2 until it is\n");
		return 0;
	}
	n = sf_store_release_node(&db, node);
	if(n > 0)
		LM_INFO("released %d messages claimed by the last run of %.*s\n", n,
				node->len, node->s);
	else if(n < 0)
		ret = -1;
	sf_db_close(&db);
	return ret;
}

PGresult *sf_store_expire(sf_db_t *db, int limit)
{
	sf_params_t p;

	p.n = 0;
	p_i4(&p, limit);
	return sf_run(db, SF_SQL_EXPIRE, &p, 1);
}

int sf_store_count(sf_db_t *db, const str *aor, int *text, int *other)
{
	sf_params_t p;
	PGresult *res;

	p.n = 0;
	p_str(&p, aor);
	res = sf_run(db, SF_SQL_COUNT_AOR, &p, 1);
	if(res == NULL)
		return -1;
	*text = (int)sf_db_int(res, 0, 0);
	*other = (int)sf_db_int(res, 0, 1);
	PQclear(res);
	return 0;
}

int sf_store_purge(sf_db_t *db, int retention, int limit)
{
	sf_params_t p;

	p.n = 0;
	p_i4(&p, retention);
	p_i4(&p, limit);
	return sf_run_count(db, SF_SQL_PURGE, &p);
}

void sf_store_group_count(sf_db_t *db)
{
	PGresult *res = sf_store_run(db, SF_SQL_GROUP_COUNT, 0, NULL);

	if(res == NULL)
		return;
	if(PQntuples(res) == 1)
		sf_stats_set_groups(atol(PQgetvalue(res, 0, 0)));
	PQclear(res);
}

int sf_store_group_purge(sf_db_t *db, int limit)
{
	sf_params_t p;

	p.n = 0;
	p_i4(&p, limit);
	return sf_run_count(db, SF_SQL_GROUP_PURGE, &p);
}

PGresult *sf_store_due_aors(sf_db_t *db, int limit)
{
	sf_params_t p;

	p.n = 0;
	p_i4(&p, limit);
	return sf_run(db, SF_SQL_DUE_AORS, &p, 1);
}

int sf_store_park(sf_db_t *db, const str *aor)
{
	sf_params_t p;

	p.n = 0;
	p_str(&p, aor);
	return sf_run_count(db, SF_SQL_PARK, &p) < 0 ? -1 : 0;
}

PGresult *sf_store_run(sf_db_t *db, int st, int n, const char *const *params)
{
	return sf_db_exec(db, st, params, NULL, NULL, 0);
}

long long sf_store_session_msg(sf_db_t *db, const sf_session_req_t *sr)
{
	sf_params_t p;

	p_message(&p, &sr->m);
	p_str(&p, &sr->m.imdn_id);
	p_str(&p, &sr->m.imdn_datetime);
	p_str(&p, &sr->sdp);
	p_f8(&p, sr->started);
	return sf_store_id(db, sf_run(db, SF_SQL_SESSION_STORE, &p, 1));
}

int sf_store_session_end(
		sf_db_t *db, const str *call_id, const str *from_tag, const str *aor)
{
	sf_params_t p;

	p.n = 0;
	p_str(&p, call_id);
	p_str(&p, from_tag);
	p_str(&p, aor);
	return sf_run_count(db, SF_SQL_SESSION_END, &p) < 0 ? -1 : 0;
}

PGresult *sf_store_session_get(sf_db_t *db, long long id)
{
	sf_params_t p;
	PGresult *res;

	p.n = 0;
	p_i8(&p, id);
	res = sf_run(db, SF_SQL_SESSION_GET, &p, 1);
	if(res != NULL && PQntuples(res) != 1) {
		PQclear(res);
		return NULL;
	}
	return res;
}

PGresult *sf_store_claim_session(
		sf_db_t *db, const str *owner, long long session_id, int lease)
{
	sf_params_t p;

	p.n = 0;
	p_str(&p, owner);
	p_i8(&p, session_id);
	p_i4(&p, lease);
	return sf_run(db, SF_SQL_CLAIM_SESSION, &p, 1);
}

int sf_store_session_purge(sf_db_t *db, int limit)
{
	sf_params_t p;

	p.n = 0;
	p_i4(&p, limit);
	return sf_run_count(db, SF_SQL_SESSION_PURGE, &p);
}

int sf_str_room(const str *s)
{
	return ((s && s->s && s->len > 0) ? s->len : 0) + 1;
}

void sf_str_pack(str *d, const str *s, char **pos)
{
	int len = (s && s->s && s->len > 0) ? s->len : 0;

	d->s = *pos;
	d->len = len;
	if(len)
		memcpy(*pos, s->s, len);
	(*pos)[len] = '\0';
	*pos += len + 1;
}

/* the text fields of a request, in one list for sizing and packing */
#define SF_REQ_STRS(r)                                                      \
	&(r)->aor, &(r)->ruri, &(r)->from_uri, &(r)->from_name, &(r)->from_tag, \
			&(r)->to_uri, &(r)->to_name, &(r)->call_id, &(r)->content_type, \
			&(r)->body, &(r)->headers, &(r)->imdn_id, &(r)->imdn_datetime

int sf_store_req_room(const sf_store_req_t *r)
{
	const str *f[] = {SF_REQ_STRS(r)};
	unsigned int i;
	int n = 0;

	for(i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		n += sf_str_room(f[i]);
	return n;
}

void sf_store_req_pack(sf_store_req_t *d, const sf_store_req_t *r, char **pos)
{
	const str *f[] = {SF_REQ_STRS(r)};
	str *t[] = {SF_REQ_STRS(d)};
	unsigned int i;

	*d = *r;
	for(i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		sf_str_pack(t[i], f[i], pos);
}

PGresult *sf_store_due_aors_age(sf_db_t *db, int limit, int grace)
{
	sf_params_t p;

	p.n = 0;
	p_i4(&p, limit);
	p_i4(&p, grace);
	return sf_run(db, SF_SQL_DUE_AORS_AGE, &p, 1);
}

PGresult *sf_store_takeover(sf_db_t *db, int limit)
{
	sf_params_t p;

	p.n = 0;
	p_i4(&p, limit);
	return sf_run(db, SF_SQL_TAKEOVER, &p, 1);
}
