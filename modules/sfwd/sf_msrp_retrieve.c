/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: MSRP retrieval: a mailbox's queued rows sent to its owner
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/mem/mem.h"

#include "sf_buf.h"
#include "sf_cfg.h"
#include "sf_db.h"
#include "sf_msrp.h"
#include "sf_msrp_conn.h"
#include "sf_msrp_retrieve.h"
#include "sf_queue.h"
#include "sf_stats.h"
#include "sf_store.h"
#include "sf_text.h"

#define SF_MS_BATCH 50

void sf_ms_release(sf_mconn_t *c)
{
	if(c->slot >= 0 && (c->batch || c->row_id)) {
		str aor;
		aor.s = _sf_ms[c->slot].aor;
		aor.len = _sf_ms[c->slot].aor_len;
		sf_store_release_aor(&_sf_msdb, &_sf_ms_owner, &aor);
		sf_store_disown(&_sf_msdb, &_sf_ms_owner, &aor);
	}
	if(c->batch)
		PQclear(c->batch);
	if(c->order)
		pkg_free(c->order);
	c->batch = NULL;
	c->order = NULL;
	c->nrows = c->next_row = 0;
	c->row_id = 0;
}

static str sf_ms_col(PGresult *res, int row, int col)
{
	str s;

	s.s = PQgetvalue(res, row, col);
	s.len = PQgetisnull(res, row, col) ? 0 : PQgetlength(res, row, col);
	return s;
}

/* "name <uri>;tag=tag" of stored text of any length (pkg; NULL: no
 * memory or it cannot be built) */
static char *sf_ms_name_addr(str name, str uri, str tag, int *len)
{
	int size = name.len + uri.len + tag.len + 16;
	char *out = pkg_malloc(size);

	if(out == NULL) {
		PKG_MEM_ERROR;
		return NULL;
	}
	*len = sf_fmt(out, size, "%.*s%s<%.*s>%s%.*s", name.len, name.s,
			name.len ? " " : "", uri.len, uri.s, tag.len ? ";tag=" : "",
			tag.len, tag.s);
	if(*len < 0) {
		pkg_free(out);
		return NULL;
	}
	return out;
}

/* one stored row as the SIP MESSAGE it was (message/sip), in pkg memory;
 * NULL when it cannot be built (*len -1) or there is no memory (*len 0) */
static char *sf_ms_row_payload(PGresult *res, int row, int *len)
{
	char *from = NULL, *to = NULL, *hdrs = NULL, *payload = NULL;
	str fn, fu, ft, tn, tu, none = STR_NULL;
	sf_sipmsg_t m;
	int flen, tlen, plen, hl, n;
	long long left;

	*len = 0;
	fu = sf_ms_col(res, row, SF_CC_FROM_URI);
	fn = sf_ms_col(res, row, SF_CC_FROM_NAME);
	ft = sf_ms_col(res, row, SF_CC_FROM_TAG);
	tu = sf_ms_col(res, row, SF_CC_TO_URI);
	tn = sf_ms_col(res, row, SF_CC_TO_NAME);
	memset(&m, 0, sizeof(m));
	from = sf_ms_name_addr(fn, fu, ft, &flen);
	to = sf_ms_name_addr(tn, tu, none, &tlen);
	if(from == NULL || to == NULL)
		goto done;
	m.from = sf_bufv(from, flen);
	m.to = sf_bufv(to, tlen);
	m.ruri = sf_bufv(tu.s, tu.len);
	m.call_id = sf_bufv(PQgetvalue(res, row, SF_CC_CALL_ID),
			PQgetlength(res, row, SF_CC_CALL_ID));
	m.cseq = (unsigned int)sf_db_int(res, row, SF_CC_CSEQ);
	/* stored headers are untrusted: one Expires (what is left), every line
	 * ended, in a buffer sized for the rewrite (as a SIP replay) */
	hl = PQgetlength(res, row, SF_CC_HEADERS);
	left = sf_db_int(res, row, SF_CC_EXPIRES) - (long long)time(0);
	hdrs = pkg_malloc(hl + SF_EXPIRES_GROWTH + 1);
	if(hdrs == NULL) {
		PKG_MEM_ERROR;
		goto done;
	}
	n = sf_hdrs_set_expires(PQgetvalue(res, row, SF_CC_HEADERS), hl,
			left < 0 ? 0 : left, hdrs, hl + SF_EXPIRES_GROWTH + 1);
	m.headers = sf_bufv(hdrs, n < 0 ? 0 : n);
	m.content_type = sf_bufv(PQgetvalue(res, row, SF_CC_CONTENT_TYPE),
			PQgetlength(res, row, SF_CC_CONTENT_TYPE));
	m.body = sf_bufv(PQgetvalue(res, row, SF_CC_BODY),
			PQgetlength(res, row, SF_CC_BODY));
	m.date = (time_t)sf_db_float(res, row, SF_CC_RECEIVED);
	plen = m.body.len + m.headers.len + m.from.len + m.to.len + m.ruri.len
		   + m.call_id.len + m.content_type.len + 1024;
	payload = pkg_malloc(plen);
	if(payload == NULL) {
		PKG_MEM_ERROR;
		goto done;
	}
	*len = sf_sipmsg_build(&m, payload, plen);
	if(*len < 0) {
		pkg_free(payload);
		payload = NULL;
	}
done:
	if(from)
		pkg_free(from);
	if(to)
		pkg_free(to);
	if(hdrs)
		pkg_free(hdrs);
	return payload;
}

/* the INVITE (first) or BYE (bye) of a stored session, as message/sip,
 * from its record; pkg memory, NULL when it cannot be built */
static char *sf_ms_session_sip(
		PGresult *rec, int bye, unsigned int cseq, int *len)
{
	str fu = sf_ms_col(rec, 0, SF_SC_FROM_URI), tu, none = STR_NULL;
	char *from, *to, *out = NULL;
	sf_sipmsg_t m;
	int flen, tlen, size;

	tu = sf_ms_col(rec, 0, SF_SC_TO_URI);
	from = sf_ms_name_addr(sf_ms_col(rec, 0, SF_SC_FROM_NAME), fu,
			sf_ms_col(rec, 0, SF_SC_FROM_TAG), &flen);
	to = sf_ms_name_addr(sf_ms_col(rec, 0, SF_SC_TO_NAME), tu, none, &tlen);
	memset(&m, 0, sizeof(m));
	if(from == NULL || to == NULL)
		goto done;
	m.method = bye ? sf_bufv("BYE", 3) : sf_bufv("INVITE", 6);
	m.ruri = sf_bufv(tu.s, tu.len);
	m.from = sf_bufv(from, flen);
	m.to = sf_bufv(to, tlen);
	m.call_id = sf_bufv(PQgetvalue(rec, 0, SF_SC_CALL_ID),
			PQgetlength(rec, 0, SF_SC_CALL_ID));
	m.cseq = cseq;
	m.date = (time_t)sf_db_float(rec, 0, bye ? SF_SC_ENDED : SF_SC_STARTED);
	if(!bye) {
		m.content_type = sf_bufv("application/sdp", 15);
		m.body = sf_bufv(
				PQgetvalue(rec, 0, SF_SC_SDP), PQgetlength(rec, 0, SF_SC_SDP));
	}
	size = flen + tlen + tu.len + m.call_id.len + m.body.len + 512;
	out = pkg_malloc(size);
	if(out == NULL) {
		PKG_MEM_ERROR;
		goto done;
	}
	*len = sf_sipmsg_build(&m, out, size);
	if(*len < 0) {
		pkg_free(out);
		out = NULL;
	}
done:
	if(from)
		pkg_free(from);
	if(to)
		pkg_free(to);
	return out;
}

#define SF_MS_SESSION_BYTES (512 * 1024) /* one session SEND, at most */

/* the stored session of row `row` of c's batch as one multipart/mixed
 * payload (RFC 3261 27.5 parts: the INVITE, each message, the BYE once it
 * ended); its rows become c's rows in flight. pkg memory; NULL when the
 * session is not there any more or cannot be built (then the row goes
 * alone) */
static char *sf_ms_session_payload(
		sf_mconn_t *c, long long sid, int *plen, char *ctype, int ctsize)
{
	PGresult *rows = NULL, *rec = NULL;
	sf_buf_t parts[SF_MS_SESSION_ROWS + 2], types[SF_MS_SESSION_ROWS + 2];
	char *bufs[SF_MS_SESSION_ROWS + 2], *out = NULL, bnd[28];
	int n = 0, i, len, total = 0, nrows, tries;
	unsigned int last_cseq = 1;

	memset(bufs, 0, sizeof(bufs));
	rows = sf_store_claim_session(
			&_sf_msdb, &_sf_ms_owner, sid, _sf_cfg.lease_time);
	rec = sf_store_session_get(&_sf_msdb, sid);
	if(rows == NULL || rec == NULL || PQntuples(rows) == 0)
		goto done;
	bufs[n] = sf_ms_session_sip(rec, 0, 1, &len);
	if(bufs[n] == NULL)
		goto done;
	parts[n] = sf_bufv(bufs[n], len);
	types[n++] = sf_bufv("message/sip", 11);
	total += len;
	nrows = PQntuples(rows);
	c->row_parts = 0;
	for(i = 0; i < nrows && c->row_parts < SF_MS_SESSION_ROWS; i++) {
		bufs[n] = sf_ms_row_payload(rows, i, &len);
		if(bufs[n] == NULL)
			break; /* this one and the rest go alone */
		if(c->row_parts > 0 && total + len > SF_MS_SESSION_BYTES) {
			pkg_free(bufs[n]);
			bufs[n] = NULL;
			break; /* the rest in the next unit */
		}
		parts[n] = sf_bufv(bufs[n], len);
		types[n++] = sf_bufv("message/sip", 11);
		total += len;
		c->row_ids[c->row_parts++] = sf_db_int(rows, i, SF_CC_ID);
		last_cseq = (unsigned int)sf_db_int(rows, i, SF_CC_CSEQ);
	}
	if(c->row_parts == 0)
		goto done;
	/* the BYE when the session ended and all its messages are here */
	if(i == nrows && sf_db_float(rec, 0, SF_SC_ENDED) > 0) {
		bufs[n] = sf_ms_session_sip(rec, 1, last_cseq + 1, &len);
		if(bufs[n] != NULL) {
			parts[n] = sf_bufv(bufs[n], len);
			types[n++] = sf_bufv("message/sip", 11);
			total += len;
		}
	}
	for(tries = 0; tries < 8; tries++) {
		memcpy(bnd, "sfwd-", 5);
		if(sf_rand_id(bnd + 5, 20) < 0)
			goto done;
		if(sf_multipart_boundary_ok(sf_bufv(bnd, 25), parts, n))
			break;
	}
	if(tries == 8)
		goto done;
	len = total + n * 128 + 64;
	out = pkg_malloc(len);
	if(out == NULL) {
		PKG_MEM_ERROR;
		goto done;
	}
	*plen = sf_multipart_build(sf_bufv(bnd, 25), types, parts, n, out, len);
	if(*plen < 0
			|| sf_fmt(ctype, ctsize, "multipart/mixed;boundary=%s", bnd) < 0) {
		pkg_free(out);
		out = NULL;
	}
done:
	if(out == NULL)
		c->row_parts = 0;
	for(i = 0; i < n; i++) {
		if(bufs[i])
			pkg_free(bufs[i]);
	}
	if(rows)
		PQclear(rows);
	if(rec)
		PQclear(rec);
	return out;
}

/* send the next queued message of c's session; 0 sent or nothing to do */
int sf_ms_send_next(sf_mconn_t *c)
{
	sf_msess_t *s = &_sf_ms[c->slot];
	char ours[SF_MS_PATH_MAX], mid[48], ctype[64];
	sf_msrp_send_t f;
	str aor;
	char *payload = NULL, *frame = NULL;
	int row, plen, flen, i, ret;
	long long sid;

	size_t k, chunk = _sf_cfg.msrp_chunk_size;
	PGresult *res;

	if(c->row_id || c->stopped)
		return 0;
	for(;;) {
		if(c->next_row >= c->nrows) {
			if(c->batch && !c->more) {
				if(!c->disowned) {
					/* cluster mode: a flusher may have this user now */
					str aor;
					aor.s = s->aor;
					aor.len = s->aor_len;
					sf_store_disown(&_sf_msdb, &_sf_ms_owner, &aor);
					c->disowned = 1;
				}
				return 0; /* all sent */
			}
			if(c->batch) {
				PQclear(c->batch);
				pkg_free(c->order);
				c->batch = NULL;
				c->order = NULL;
			}
			aor.s = s->aor;
			aor.len = s->aor_len;
			res = sf_store_claim(&_sf_msdb, &_sf_ms_owner, &aor, c->last_id, 0,
					SF_MS_BATCH, _sf_cfg.lease_time);
			if(res == NULL)
				return -1;
			c->more = PQntuples(res) == SF_MS_BATCH;
			c->nrows = PQntuples(res);
			c->next_row = 0;
			c->batch = res;
			c->order = pkg_malloc((c->nrows + 1) * sizeof(int));
			if(c->order == NULL) {
				PKG_MEM_ERROR;
				return -1;
			}
			for(i = 0; i < c->nrows; i++)
				c->order[i] = i;
			/* the claim returns them in id order: arrival order */
			if(c->nrows == 0)
				return 0;
			c->last_id = sf_db_int(res, c->order[c->nrows - 1], SF_CC_ID);
		}
		res = c->batch;
		row = c->order[c->next_row++];
		/* sent already, with the rest of its session */
		sid = sf_db_int(res, row, SF_CC_SESSION);
		if(sid == 0 || sid != c->sent_session
				|| sf_db_int(res, row, SF_CC_ID) > c->sent_session_max)
			break;
	}

	plen = -1;
	c->row_parts = 0;
	c->row_session = 0;
	if(sid > 0 && s->multipart) {
		payload = sf_ms_session_payload(c, sid, &plen, ctype, sizeof(ctype));
		if(payload != NULL) {
			c->row_session = 1;
			c->sent_session = sid;
			c->sent_session_max = 0;
			for(i = 0; i < c->row_parts; i++) {
				if(c->row_ids[i] > c->sent_session_max)
					c->sent_session_max = c->row_ids[i];
			}
		}
	}
	if(payload == NULL) {
		payload = sf_ms_row_payload(res, row, &plen);
		if(payload == NULL && plen < 0) {
			/* this row alone: the ones behind it are still fetched */
			LM_ERR("cannot wrap message %lld as message/sip: skipped\n",
					sf_db_int(res, row, SF_CC_ID));
			return 0;
		}
		if(payload == NULL)
			goto error;
		c->row_ids[0] = sf_db_int(res, row, SF_CC_ID);
		c->row_parts = 1;
		if(sf_fmt(ctype, sizeof(ctype), "%s",
				   s->sipfrag ? "message/sipfrag" : "message/sip")
				< 0)
			goto error;
	}
	frame = pkg_malloc(chunk + SF_MS_PATH_MAX * 2 + 1024);
	if(frame == NULL) {
		PKG_MEM_ERROR;
		goto error;
	}

	c->row_id = c->row_ids[0];
	c->row_chunks = c->row_acks = 0;
	do {
		if(sf_rand_id(c->row_tid, 10) < 0)
			goto error;
	} while(!sf_msrp_tid_ok(sf_bufv(c->row_tid, 10), sf_bufv(payload, plen)));
	sf_fmt(mid, sizeof(mid), "sfwd-%lld", c->row_id);
	memset(&f, 0, sizeof(f));
	f.to_path = sf_bufv(s->client_path, s->client_path_len);
	f.from_path = sf_bufv(ours, sf_ms_our_path(c->slot, ours, sizeof(ours)));
	f.message_id = sf_bufv(mid, strlen(mid));
	f.content_type = sf_bufv(ctype, strlen(ctype));
	for(k = 0; k < sf_msrp_chunks(plen, chunk); k++) {
		flen = sf_msrp_build_chunk(&f, sf_bufv(payload, plen), chunk, k,
				sf_bufv(c->row_tid, 10), frame,
				chunk + SF_MS_PATH_MAX * 2 + 1024);
		if(flen < 0 || sf_ms_write(c->fd, frame, flen) < 0) {
			LM_INFO("cannot send message %lld over MSRP\n", c->row_id);
			goto error;
		}
		c->row_chunks++;
	}
	LM_DBG("message %lld (%d rows) sent over MSRP in %d chunks\n", c->row_id,
			c->row_parts, c->row_chunks);
	ret = 0;
	goto done;

error:
	c->stopped = 1;
	ret = -1;
done:
	if(payload)
		pkg_free(payload);
	if(frame)
		pkg_free(frame);
	return ret;
}

/* "{id,id,...}" of the rows in flight */
static int sf_ms_ids(sf_mconn_t *c, char *out, int size)
{
	int i, n = 1, k;

	out[0] = '{';
	for(i = 0; i < c->row_parts; i++) {
		k = sf_fmt(out + n, size - n, i ? ",%lld" : "%lld", c->row_ids[i]);
		if(k < 0)
			return -1;
		n += k;
	}
	return sf_fmt(out + n, size - n, "}") < 0 ? -1 : 0;
}

/* the client's response to one of our chunks */
void sf_ms_on_response(sf_mconn_t *c, sf_msrp_frame_t *f)
{
	char ids[SF_MS_SESSION_ROWS * 21 + 4];

	if(c->row_id == 0 || f->tid.len <= 10
			|| memcmp(f->tid.s, c->row_tid, 10) != 0)
		return; /* not ours, or late */
	if(f->code != 200) {
		LM_INFO("MSRP %d for message %lld: it stays queued\n", f->code,
				c->row_id);
		sf_ms_release(c);
		c->stopped = 1;
		return;
	}
	if(++c->row_acks < c->row_chunks)
		return;
	if(sf_ms_ids(c, ids, sizeof(ids)) < 0
			|| sf_store_delete(&_sf_msdb, &_sf_ms_owner, ids) < 0) {
		LM_WARN("message %lld delivered over MSRP but not deleted (it "
				"comes again)\n",
				c->row_id);
	} else {
		str aor;
		LM_INFO("message %lld delivered over MSRP%s\n", c->row_id,
				c->row_session ? " (a stored session)" : "");
		update_stat(_sf_stat_delivered, c->row_parts);
		if(c->row_session)
			update_stat(_sf_stat_sess_delivered, 1);
		/* the summary follows every way a message leaves the store */
		aor.s = _sf_ms[c->slot].aor;
		aor.len = _sf_ms[c->slot].aor_len;
		if(_sf_cfg.mwi)
			sf_queue_push_aor(&aor, SF_WORK_MWI);
	}
	c->row_id = 0;
}
