/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: RPC commands and statistics
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"
#include "core/mem/shm_mem.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"

#include "sf_buf.h"
#include "sf_notify.h"
#include "sf_text.h"
#include "sf_profile_json.h"
#include "sf_profile.h"
#include "sf_queue.h"
#include "sf_rpc.h"
#include "sf_ul.h"
#include "sf_stats.h"
#include "sf_writer.h"
#include "sf_store.h"
#include "sf_cfg.h"
#include "sf_rlist.h"

#include <jansson.h>

static sf_db_t *_sf_rdb = NULL;
static int sf_rpc_db(rpc_t *rpc, void *c);
/* input echoed in a fault is cut: a reply must fit the transport's
 * buffer (binrpc) whatever the caller sent */
#define SF_ECHO_MAX 64
#define SF_ECHO(n) ((n) > SF_ECHO_MAX ? SF_ECHO_MAX : (n))

/* the AoR argument: a SIP URI or user@host */
static int sf_rpc_aor(
		rpc_t *rpc, void *c, str *in, char *buf, int size, str *out)
{
	if(sf_aor_str(in, buf, size, out) < 0) {
		rpc->fault(c, 400,
				"Bad AoR (not a SIP URI or user@host, or not "
				"UTF-8): %.*s%s",
				SF_ECHO(in->len), in->s, in->len > SF_ECHO_MAX ? "..." : "");
		return -1;
	}
	return 0;
}

/* the database must be there and the first argument must be an AoR */
static int sf_rpc_aor_arg(rpc_t *rpc, void *c, char *buf, int size, str *aor)
{
	str in;

	if(sf_rpc_db(rpc, c) < 0)
		return -1;
	if(rpc->scan(c, "S", &in) < 1) {
		rpc->fault(c, 400, "Missing AoR");
		return -1;
	}
	return sf_rpc_aor(rpc, c, &in, buf, size, aor);
}

static int sf_rpc_db(rpc_t *rpc, void *c)
{
	if(_sf_rdb == NULL || _sf_cfg.db_url == NULL) {
		rpc->fault(c, 500, "No database (modparam db_url)");
		return -1;
	}
	return 0;
}

static PGresult *sf_rpc_run(
		rpc_t *rpc, void *c, int st, int n, const char *const *p)
{
	PGresult *res = sf_store_run(_sf_rdb, st, n, p);

	if(res == NULL) {
		update_stat(_sf_stat_db_errors, 1);
		rpc->fault(c, 500, "Database error");
	}
	return res;
}

/* the AoR argument, then statement st with it as its one parameter */
static PGresult *sf_rpc_aor_run(
		rpc_t *rpc, void *c, int st, char *abuf, int size, str *aor)
{
	const char *p[1];

	if(sf_rpc_aor_arg(rpc, c, abuf, size, aor) < 0)
		return NULL;
	p[0] = abuf;
	return sf_rpc_run(rpc, c, st, 1, p);
}

/* what a command on an AoR answers, from its statement's result */
typedef void (*sf_rpc_aor_reply_f)(
		rpc_t *rpc, void *c, PGresult *res, str *aor);

/* a command on an AoR: the AoR argument, statement st with it, reply */
static void sf_rpc_aor_cmd(
		rpc_t *rpc, void *c, int st, sf_rpc_aor_reply_f reply)
{
	char abuf[512];
	str aor;
	PGresult *res;

	if((res = sf_rpc_aor_run(rpc, c, st, abuf, sizeof(abuf), &aor)) == NULL)
		return;
	reply(rpc, c, res, &aor);
	PQclear(res);
}

/* a NUL-terminated copy of a str, for text parameters */
static char *sf_cstr(str *s, char *buf, int size)
{
	int n = s->len < size - 1 ? s->len : size - 1;

	memcpy(buf, s->s, n);
	buf[n] = '\0';
	return buf;
}

static const char *sf_rpc_stats_doc[] = {
		"Messages per state, the oldest queued, flushers, database.", 0};

static void sf_rpc_stats(rpc_t *rpc, void *c)
{
	void *th, *fh, *ah;
	PGresult *res = NULL;
	int i, a, r;
	long queued = 0, failed = 0, expired = 0, oldest = 0;

	if(sf_rpc_db(rpc, c) < 0)
		return;
	res = sf_store_run(_sf_rdb, SF_SQL_STATS, 0, NULL);
	if(res) {
		for(i = 0; i < PQntuples(res); i++) {
			const char *st = PQgetvalue(res, i, 0);
			long n = atol(PQgetvalue(res, i, 1));
			if(strcmp(st, "queued") == 0) {
				queued = n;
				oldest = atol(PQgetvalue(res, i, 2));
			} else if(strcmp(st, "failed") == 0)
				failed = n;
			else if(strcmp(st, "expired") == 0)
				expired = n;
		}
		PQclear(res);
	} else {
		update_stat(_sf_stat_db_errors, 1);
	}
	if(rpc->add(c, "{", &th) < 0)
		return;
	rpc->struct_add(th, "ddddds", "queued", (int)queued, "failed", (int)failed,
			"expired", (int)expired, "oldest_queued_age", (int)oldest,
			"stored_since_start", (int)get_stat_val(_sf_stat_stored),
			"database", res ? "up" : "down");
	rpc->struct_add(th, "dd", "delivered_since_start",
			(int)get_stat_val(_sf_stat_delivered), "flush_workers",
			_sf_cfg.flush_workers);
	rpc->struct_add(th, "dd", "store_waiting", sf_writer_depth(),
			"store_batches", (int)get_stat_val(_sf_stat_batches));
	if(rpc->struct_add(th, "[", "flushers", &fh) < 0)
		return;
	for(i = 0; i < _sf_cfg.flush_workers; i++) {
		sf_queue_depth(i, &a, &r);
		if(rpc->array_add(fh, "{", &ah) < 0)
			return;
		rpc->struct_add(
				ah, "ddd", "index", i, "aors_waiting", a, "results_waiting", r);
	}
}

static const char *sf_rpc_list_doc[] = {
		"Stored messages: [aor] [limit=20] [offset=0], oldest first.", 0};

/* [aor [limit [offset]]] of a listing, and its statement run; the rows
 * (PQclear them) or NULL (the fault is sent) */
static PGresult *sf_rpc_paged(rpc_t *rpc, void *c, int st)
{
	str aor_in = STR_NULL, aor = STR_NULL;
	char abuf[512], lbuf[16], obuf[16];
	const char *p[3];
	int limit = 20, offset = 0;

	if(sf_rpc_db(rpc, c) < 0)
		return NULL;
	if(rpc->scan(c, "*S", &aor_in) == 1 && aor_in.len > 0) {
		if(sf_rpc_aor(rpc, c, &aor_in, abuf, sizeof(abuf), &aor) < 0)
			return NULL;
		if(rpc->scan(c, "*d", &limit) == 1)
			rpc->scan(c, "*d", &offset);
	} else {
		abuf[0] = '\0';
	}
	if(limit < 1 || limit > 1000 || offset < 0) {
		rpc->fault(c, 400, "limit is 1..1000, offset >= 0");
		return NULL;
	}
	sf_fmt(lbuf, sizeof(lbuf), "%d", limit);
	sf_fmt(obuf, sizeof(obuf), "%d", offset);
	p[0] = aor.len ? abuf : "";
	p[1] = lbuf;
	p[2] = obuf;
	return sf_rpc_run(rpc, c, st, 3, p);
}

/* a listing's columns, in the statement's order: 's' text, 'd' integer */
typedef struct sf_rpc_col
{
	const char *name;
	char type;
} sf_rpc_col_t;

/* [aor [limit [offset]]], statement st, one struct per row */
static void sf_rpc_listing(
		rpc_t *rpc, void *c, int st, const sf_rpc_col_t *cols, int ncols)
{
	PGresult *res;
	void *ah, *sh;
	int i, k;

	if((res = sf_rpc_paged(rpc, c, st)) == NULL)
		return;
	if(PQnfields(res) != ncols || rpc->add(c, "[", &ah) < 0) {
		PQclear(res);
		return;
	}
	for(i = 0; i < PQntuples(res); i++) {
		if(rpc->array_add(ah, "{", &sh) < 0)
			break;
		for(k = 0; k < ncols; k++) {
			if(cols[k].type == 'd')
				rpc->struct_add(
						sh, "d", cols[k].name, atoi(PQgetvalue(res, i, k)));
			else
				rpc->struct_add(sh, "s", cols[k].name, PQgetvalue(res, i, k));
		}
	}
	PQclear(res);
}

static void sf_rpc_list(rpc_t *rpc, void *c)
{
	static const sf_rpc_col_t cols[] = {{"id", 's'}, {"aor", 's'},
			{"from", 's'}, {"received", 's'}, {"age", 'd'}, {"state", 's'},
			{"attempts", 'd'}, {"content_type", 's'}, {"size", 'd'}};

	sf_rpc_listing(rpc, c, SF_SQL_LIST, cols, sizeof(cols) / sizeof(cols[0]));
}

/* an id argument: digits only */
static int sf_rpc_id(rpc_t *rpc, void *c, char *buf, int size)
{
	str id;
	int i;

	if(rpc->scan(c, ".S", &id) < 1) {
		rpc->fault(c, 400, "Missing message id");
		return -1;
	}
	if(id.len == 0 || id.len > 18) {
		rpc->fault(c, 400, "Bad message id");
		return -1;
	}
	for(i = 0; i < id.len; i++) {
		if(id.s[i] < '0' || id.s[i] > '9') {
			rpc->fault(c, 400, "Bad message id: %.*s", SF_ECHO(id.len), id.s);
			return -1;
		}
	}
	sf_cstr(&id, buf, size);
	return 0;
}

static const char *sf_rpc_sessions_doc[] = {
		"MSRP sessions stored for offline users, oldest first: [aor [limit "
		"[offset]]] (limit 20 by default, at most 1000)",
		0};

static void sf_rpc_sessions(rpc_t *rpc, void *c)
{
	static const sf_rpc_col_t cols[] = {{"id", 's'}, {"aor", 's'},
			{"from", 's'}, {"call_id", 's'}, {"started", 's'}, {"ended", 's'},
			{"messages", 'd'}, {"queued", 'd'}};

	sf_rpc_listing(
			rpc, c, SF_SQL_SESSIONS, cols, sizeof(cols) / sizeof(cols[0]));
}

/* the id argument, then statement st with it: its one row (of nfields
 * columns; 0: any number), or NULL and a fault */
static PGresult *sf_rpc_id_run(
		rpc_t *rpc, void *c, int st, char *id, int size, int nfields)
{
	const char *p[1];
	PGresult *res;

	if(sf_rpc_db(rpc, c) < 0 || sf_rpc_id(rpc, c, id, size) < 0)
		return NULL;
	p[0] = id;
	if((res = sf_rpc_run(rpc, c, st, 1, p)) == NULL)
		return NULL;
	if(PQntuples(res) != 1 || (nfields > 0 && PQnfields(res) != nfields)) {
		PQclear(res);
		rpc->fault(c, 404, "No message %s", id);
		return NULL;
	}
	return res;
}

static const char *sf_rpc_show_doc[] = {
		"One stored message: <id>. Headers, size, text preview.", 0};

static int sf_hexval(char c)
{
	return (c >= '0' && c <= '9')	? c - '0'
		   : (c >= 'a' && c <= 'f') ? c - 'a' + 10
									: -1;
}

/* the first bytes of the body: whole UTF-8 characters of a text, else
 * (binary, or not text) their hex; never a byte the RPC cannot carry */
static void sf_rpc_preview(void *th, rpc_t *rpc, const char *hex, int text)
{
	char bytes[200], out[2 * 64 + 1];
	size_t n = 0, keep, i;
	int hi, lo;

	while(n < sizeof(bytes) && (hi = sf_hexval(hex[2 * n])) >= 0
			&& (lo = sf_hexval(hex[2 * n + 1])) >= 0) {
		bytes[n++] = (char)(hi << 4 | lo);
	}
	if(text && sf_utf8_preview(bytes, n, &keep)) {
		/* control bytes other than TAB, CR, LF are shown as '.' */
		for(i = 0; i < keep; i++) {
			unsigned char ch = (unsigned char)bytes[i];
			if((ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n')
					|| ch == 0x7f)
				bytes[i] = '.';
		}
		rpc->struct_add(th, "S", "preview", &(str){bytes, (int)keep});
		return;
	}
	for(i = 0; i < n && i < 64; i++) {
		out[2 * i] = hex[2 * i];
		out[2 * i + 1] = hex[2 * i + 1];
	}
	out[2 * i] = '\0';
	rpc->struct_add(th, "ss", "body", "binary", "preview_hex", out);
}

static void sf_rpc_show(rpc_t *rpc, void *c)
{
	static const char *names[] = {"id", "aor", "ruri", "from", "from_name",
			"to", "call_id", "cseq", "received", "expires", "class", "notify",
			"content_type", "size", "headers", "state", "attempts",
			"next_attempt", "last_code", "claim_owner", "session"};
	enum
	{
		NNAMES = sizeof(names) / sizeof(names[0])
	};
	char id[24];
	PGresult *res;
	void *th;
	int i;

	res = sf_rpc_id_run(rpc, c, SF_SQL_SHOW, id, sizeof(id), NNAMES + 2);
	if(res == NULL)
		return;
	if(rpc->add(c, "{", &th) == 0) {
		for(i = 0; i < NNAMES; i++) {
			if(PQgetisnull(res, 0, i))
				continue;
			rpc->struct_add(th, "s", names[i], PQgetvalue(res, 0, i));
		}
		sf_rpc_preview(th, rpc, PQgetvalue(res, 0, NNAMES),
				PQgetvalue(res, 0, NNAMES + 1)[0] == 't');
	}
	PQclear(res);
}

static const char *sf_rpc_flush_doc[] = {
		"Deliver now what waits for <aor> (to its registered contacts).", 0};

static void sf_rpc_flush(rpc_t *rpc, void *c)
{
	str aor;
	char abuf[512];

	if(sf_rpc_aor_arg(rpc, c, abuf, sizeof(abuf), &aor) < 0)
		return;
	if(sf_queue_push_aor(&aor, SF_WORK_FLUSH) < 0) {
		rpc->fault(c, 500, "Flush queue full");
		return;
	}
	rpc->rpl_printf(c, "queued %.*s", aor.len, aor.s);
}

static const char *sf_rpc_delete_doc[] = {"Delete stored message <id>.", 0};

static void sf_rpc_delete(rpc_t *rpc, void *c)
{
	char id[24];
	PGresult *res;
	str aor;

	res = sf_rpc_id_run(rpc, c, SF_SQL_DELETE_ID, id, sizeof(id), 0);
	if(res == NULL)
		return;
	aor.s = PQgetvalue(res, 0, 0);
	aor.len = PQgetlength(res, 0, 0);
	if(_sf_cfg.mwi)
		sf_queue_push_aor(&aor, SF_WORK_MWI);
	rpc->rpl_printf(c, "deleted %s", id);
	PQclear(res);
}

static const char *sf_rpc_purge_doc[] = {
		"Delete every message (all states) of <aor>.", 0};

static void sf_rpc_purge_reply(rpc_t *rpc, void *c, PGresult *res, str *aor)
{
	if(_sf_cfg.mwi)
		sf_queue_push_aor(aor, SF_WORK_MWI);
	rpc->rpl_printf(c, "deleted %s", PQcmdTuples(res));
}

static void sf_rpc_purge(rpc_t *rpc, void *c)
{
	sf_rpc_aor_cmd(rpc, c, SF_SQL_PURGE_AOR, sf_rpc_purge_reply);
}

static const char *sf_rpc_profile_get_doc[] = {"The profile of <aor>.", 0};

static void sf_rpc_profile_get_reply(
		rpc_t *rpc, void *c, PGresult *res, str *aor)
{
	if(PQntuples(res) != 1)
		rpc->fault(c, 404, "No profile for %.*s", SF_ECHO(aor->len), aor->s);
	else
		rpc->rpl_printf(c, "%s", PQgetvalue(res, 0, 0));
}

static void sf_rpc_profile_get(rpc_t *rpc, void *c)
{
	sf_rpc_aor_cmd(rpc, c, SF_SQL_PROFILE_GET, sf_rpc_profile_get_reply);
}

static const char *sf_rpc_profile_set_doc[] = {
		"Set the profile of <aor> to <json> (validated).", 0};

static void sf_rpc_profile_set(rpc_t *rpc, void *c)
{
	str in, aor, json;
	char abuf[512], err[256], dump[8192];
	const char *p[2];
	sf_profile_t *pol;
	PGresult *res;

	if(sf_rpc_db(rpc, c) < 0)
		return;
	if(rpc->scan(c, "SS", &in, &json) < 2) {
		rpc->fault(c, 400, "Usage: sfwd.profile_set <aor> <json>");
		return;
	}
	if(sf_rpc_aor(rpc, c, &in, abuf, sizeof(abuf), &aor) < 0)
		return;
	pol = pkg_malloc(sizeof(*pol));
	if(pol == NULL) {
		rpc->fault(c, 500, "No memory");
		return;
	}
	if(sf_profile_parse(json.s, json.len, pol, err, sizeof(err)) < 0) {
		rpc->fault(c, 400, "Invalid profile: %s", err);
		pkg_free(pol);
		return;
	}
	if(sf_profile_dump(pol, dump, sizeof(dump)) < 0) {
		rpc->fault(c, 500, "Profile too large");
		pkg_free(pol);
		return;
	}
	pkg_free(pol);
	p[0] = abuf;
	p[1] = dump;
	if((res = sf_rpc_run(rpc, c, SF_SQL_PROFILE_SET, 2, p)) == NULL)
		return;
	PQclear(res);
	sf_profile_invalidate(&aor);
	rpc->rpl_printf(c, "%s", dump);
}

static const char *sf_rpc_profile_delete_doc[] = {
		"Remove the profile of <aor>.", 0};

static void sf_rpc_profile_delete_reply(
		rpc_t *rpc, void *c, PGresult *res, str *aor)
{
	if(atoi(PQcmdTuples(res)) == 0)
		rpc->fault(c, 404, "No profile for %.*s", SF_ECHO(aor->len), aor->s);
	else
		rpc->rpl_printf(c, "deleted profile of %s", aor->s);
	sf_profile_invalidate(aor);
}

static void sf_rpc_profile_delete(rpc_t *rpc, void *c)
{
	sf_rpc_aor_cmd(rpc, c, SF_SQL_PROFILE_DELETE, sf_rpc_profile_delete_reply);
}

/* groups (sf_group.h) */

/* a group's name or member: an AoR user@host, nothing a URI cannot hold */
static int sf_rpc_group_aor(rpc_t *rpc, void *c, str *in, char *buf, int size,
		str *out, const char *what)
{
	/* sf_group.c keeps a member's AoR in SF_RLIST_URI_MAX bytes */
	if(sf_aor_str(in, buf, size, out) < 0 || out->len > SF_RLIST_URI_MAX
			|| !sf_aor_printable(out->s, (size_t)out->len))
		goto bad;
	return 0;
bad:
	rpc->fault(c, 400, "Bad %s (not a SIP URI or user@host): %.*s%s", what,
			SF_ECHO(in->len), in->s, in->len > SF_ECHO_MAX ? "..." : "");
	return -1;
}

static const char *sf_rpc_group_get_doc[] = {
		"The members of group <aor> and who may send to it (JSON).", 0};

static void sf_rpc_group_get_reply(rpc_t *rpc, void *c, PGresult *res, str *aor)
{
	if(PQntuples(res) != 1)
		rpc->fault(c, 404, "No group %.*s", SF_ECHO(aor->len), aor->s);
	else
		rpc->rpl_printf(c, "%s", PQgetvalue(res, 0, 0));
}

static void sf_rpc_group_get(rpc_t *rpc, void *c)
{
	sf_rpc_aor_cmd(rpc, c, SF_SQL_GROUP_GET, sf_rpc_group_get_reply);
}

static const char *sf_rpc_group_set_doc[] = {
		"Set group <aor>: <json> is an array of member URIs, or "
		"{\"members\": [...], \"senders\": \"members\"|\"anyone\"}.",
		0};

static void sf_rpc_group_set(rpc_t *rpc, void *c)
{
	str in, aor, json, m, min;
	char abuf[512], mbuf[512];
	const char *p[3], *senders = "members";
	json_t *root = NULL, *members, *v, *out = NULL;
	json_error_t jerr;
	char *dump = NULL;
	size_t i, j;
	PGresult *res;

	if(sf_rpc_db(rpc, c) < 0)
		return;
	if(rpc->scan(c, "SS", &in, &json) < 2) {
		rpc->fault(c, 400, "Usage: sfwd.group_set <aor> <json>");
		return;
	}
	if(sf_rpc_group_aor(rpc, c, &in, abuf, sizeof(abuf), &aor, "group") < 0)
		return;
	root = json_loadb(json.s, json.len, JSON_REJECT_DUPLICATES, &jerr);
	if(root == NULL) {
		rpc->fault(c, 400, "Invalid JSON: %s", jerr.text);
		return;
	}
	members = root;
	if(json_is_object(root)) {
		members = json_object_get(root, "members");
		v = json_object_get(root, "senders");
		if(v != NULL) {
			if(!json_is_string(v)
					|| (strcmp(json_string_value(v), "members") != 0
							&& strcmp(json_string_value(v), "anyone") != 0)) {
				rpc->fault(c, 400,
						"Invalid group: senders is \"members\" or \"anyone\"");
				goto done;
			}
			senders = json_string_value(v);
		}
	}
	if(!json_is_array(members) || json_array_size(members) == 0) {
		rpc->fault(c, 400, "Invalid group: members is a non-empty array");
		goto done;
	}
	if(json_array_size(members) > (size_t)_sf_cfg.max_recipients + 1) {
		rpc->fault(c, 413, "Too many members (max_recipients %d + 1)",
				_sf_cfg.max_recipients);
		goto done;
	}
	out = json_array();
	if(out == NULL) {
		rpc->fault(c, 500, "No memory");
		goto done;
	}
	for(i = 0; i < json_array_size(members); i++) {
		v = json_array_get(members, i);
		if(!json_is_string(v)) {
			rpc->fault(c, 400, "Invalid group: member %zu is not a string", i);
			goto done;
		}
		min.s = (char *)json_string_value(v);
		min.len = (int)json_string_length(v);
		if(sf_rpc_group_aor(rpc, c, &min, mbuf, sizeof(mbuf), &m, "member") < 0)
			goto done;
		/* each member once */
		for(j = 0; j < json_array_size(out); j++)
			if(strcmp(json_string_value(json_array_get(out, j)), mbuf) == 0)
				break;
		if(j == json_array_size(out))
			json_array_append_new(out, json_string(mbuf));
	}
	dump = json_dumps(out, JSON_COMPACT);
	if(dump == NULL) {
		rpc->fault(c, 500, "No memory");
		goto done;
	}
	p[0] = abuf;
	p[1] = dump;
	p[2] = senders;
	if((res = sf_rpc_run(rpc, c, SF_SQL_GROUP_SET, 3, p)) == NULL)
		goto done;
	PQclear(res);
	sf_store_group_count(_sf_rdb);
	rpc->rpl_printf(c, "group %s: %zu members, senders %s", abuf,
			json_array_size(out), senders);
done:
	if(dump)
		free(dump);
	if(out)
		json_decref(out);
	json_decref(root);
}

static const char *sf_rpc_group_delete_doc[] = {"Delete group <aor>.", 0};

static void sf_rpc_group_delete_reply(
		rpc_t *rpc, void *c, PGresult *res, str *aor)
{
	if(PQntuples(res) != 1) {
		rpc->fault(c, 404, "No group %.*s", SF_ECHO(aor->len), aor->s);
	} else {
		sf_store_group_count(_sf_rdb);
		rpc->rpl_printf(c, "deleted group %.*s", aor->len, aor->s);
	}
}

static void sf_rpc_group_delete(rpc_t *rpc, void *c)
{
	sf_rpc_aor_cmd(rpc, c, SF_SQL_GROUP_DELETE, sf_rpc_group_delete_reply);
}

static const char *sf_rpc_group_list_doc[] = {
		"Groups: name, member count, senders ([limit], default 100).", 0};

static void sf_rpc_group_list(rpc_t *rpc, void *c)
{
	int limit = 100, i;
	char lbuf[16];
	const char *p[1];
	PGresult *res;
	void *h;

	if(sf_rpc_db(rpc, c) < 0)
		return;
	if(rpc->scan(c, "*d", &limit) < 1 || limit <= 0 || limit > 100000)
		limit = 100;
	if(sf_fmt(lbuf, sizeof(lbuf), "%d", limit) < 0)
		return;
	p[0] = lbuf;
	if((res = sf_rpc_run(rpc, c, SF_SQL_GROUP_LIST, 1, p)) == NULL)
		return;
	for(i = 0; i < PQntuples(res); i++) {
		if(rpc->add(c, "{", &h) < 0)
			break;
		rpc->struct_add(h, "sds", "group", PQgetvalue(res, i, 0), "members",
				atoi(PQgetvalue(res, i, 1)), "senders", PQgetvalue(res, i, 2));
	}
	PQclear(res);
}

/* clang-format off */
static rpc_export_t sf_rpc_cmds[] = {
	{"sfwd.stats", sf_rpc_stats, sf_rpc_stats_doc, 0},
	{"sfwd.list", sf_rpc_list, sf_rpc_list_doc, RET_ARRAY},
	{"sfwd.sessions", sf_rpc_sessions, sf_rpc_sessions_doc, RET_ARRAY},
	{"sfwd.show", sf_rpc_show, sf_rpc_show_doc, 0},
	{"sfwd.flush", sf_rpc_flush, sf_rpc_flush_doc, 0},
	{"sfwd.delete", sf_rpc_delete, sf_rpc_delete_doc, 0},
	{"sfwd.purge", sf_rpc_purge, sf_rpc_purge_doc, 0},
	{"sfwd.profile_get", sf_rpc_profile_get, sf_rpc_profile_get_doc, 0},
	{"sfwd.profile_set", sf_rpc_profile_set, sf_rpc_profile_set_doc, 0},
	{"sfwd.profile_delete", sf_rpc_profile_delete, sf_rpc_profile_delete_doc,
		0},
	/* the names before "profile" was the one name (one more release) */
	{"sfwd.group_set", sf_rpc_group_set, sf_rpc_group_set_doc, 0},
	{"sfwd.group_get", sf_rpc_group_get, sf_rpc_group_get_doc, 0},
	{"sfwd.group_delete", sf_rpc_group_delete, sf_rpc_group_delete_doc, 0},
	{"sfwd.group_list", sf_rpc_group_list, sf_rpc_group_list_doc, RET_ARRAY},
	{"sfwd.policy_get", sf_rpc_profile_get, sf_rpc_profile_get_doc, 0},
	{"sfwd.policy_set", sf_rpc_profile_set, sf_rpc_profile_set_doc, 0},
	{"sfwd.policy_delete", sf_rpc_profile_delete, sf_rpc_profile_delete_doc,
		0},
	{0, 0, 0, 0}
};
/* clang-format on */

int sf_rpc_mod_init(sf_db_t *db)
{
	_sf_rdb = db;
	if(rpc_register_array(sf_rpc_cmds) != 0) {
		LM_ERR("cannot register RPC commands\n");
		return -1;
	}
	return 0;
}
