/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: MSRP sessions stored for offline users: each message
 *   committed before its 200, the session's end, the sweep
 */

#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"

#include "sf_buf.h"
#include "sf_cfg.h"
#include "sf_classify.h"
#include "sf_imdn.h"
#include "sf_event.h"
#include "sf_msrp.h"
#include "sf_msrp_conn.h"
#include "sf_msrp_ingest.h"
#include "sf_profile.h"
#include "sf_queue.h"
#include "sf_stats.h"
#include "sf_store.h"
#include "sf_text.h"
#include "sf_tm.h"

/* the sessions_open gauge: stored sessions answered and not yet ended */
unsigned long sf_ms_sessions_open(void)
{
	unsigned long n = 0;
	int i;

	if(_sf_ms == NULL)
		return 0;
	lock_get(_sf_ms_lock);
	for(i = 0; i < _sf_cfg.msrp_max_sessions; i++) {
		if(_sf_ms[i].kind == SF_MS_INGEST && _sf_ms[i].state != SF_MS_FREE
				&& _sf_ms[i].state != SF_MS_GONE)
			n++;
	}
	lock_release(_sf_ms_lock);
	return n;
}

sf_ms_ingest_t *sf_ms_ingest_block(
		sip_msg_t *msg, const sf_session_req_t *r, const str *sdp)
{
	sf_ms_ingest_t *ing;
	sf_session_req_t *q;
	char *pos;
	int size;

	size = sizeof(*ing) + sf_store_req_room(&r->m) + sf_str_room(sdp);
	ing = shm_malloc(size);
	if(ing == NULL) {
		SHM_MEM_ERROR;
		return NULL;
	}
	memset(ing, 0, sizeof(*ing));
	q = &ing->req;
	q->started = r->started;
	pos = ing->data;
	/* what every message of the session shares; its own fields come with
	 * each message */
	sf_store_req_pack(&q->m, &r->m, &pos);
	sf_str_pack(&q->sdp, sdp, &pos);
	/* our BYE, should the MSRP side fail */
	if(_sf_tmb.new_dlg_uas(msg, 200, &ing->dlg) < 0)
		ing->dlg = NULL;
	return ing;
}

/* the end of an ingest session (its slot in SF_MS_CLOSING, or bound to
 * a connection that closes): its record ends, a failed one gets our BYE,
 * then the slot is free */
void sf_ms_ingest_end(int slot, const char *why)
{
	sf_msess_t *s = &_sf_ms[slot];
	sf_ms_ingest_t *ing = s->ing;
	uac_req_t uac;
	str bye = str_init("BYE");

	if(ing != NULL) {
		/* sfwd ended it (idle, a bad frame, the store gone): the sender's
		 * dialog ends too; after its own BYE or close it has no need */
		if(strcmp(why, "bye") != 0 && strcmp(why, "closed by the client") != 0)
			ing->end_with_bye = 1;
		if(ing->stored > 0
				&& sf_store_session_end(&_sf_msdb, &ing->req.m.call_id,
						   &ing->req.m.from_tag, &ing->req.m.aor)
						   < 0)
			LM_INFO("cannot record the end of the session of call-id %.*s "
					"(the sweep ends it later)\n",
					ing->req.m.call_id.len, ing->req.m.call_id.s);
		LM_INFO("MSRP session from %.*s for %.*s ended (%s): %d messages "
				"stored\n",
				ing->req.m.from_uri.len, ing->req.m.from_uri.s,
				ing->req.m.aor.len, ing->req.m.aor.s, why, ing->stored);
		sf_event_session(0, NULL, &ing->req.m.aor, &ing->req.m.from_uri,
				&ing->req.m.call_id, why, ing->stored);
		if(ing->end_with_bye && ing->dlg) {
			set_uac_req(&uac, &bye, NULL, NULL, ing->dlg, 0, NULL, NULL);
			if(_sf_tmb.t_request_within(&uac) < 0)
				LM_INFO("cannot send BYE for call-id %.*s\n",
						ing->req.m.call_id.len, ing->req.m.call_id.s);
		}
	}
	lock_get(_sf_ms_lock);
	sf_ms_ingest_free(s);
	/* the sender's BYE may still come (after closing the connection) */
	if(strcmp(why, "bye") != 0 && s->state != SF_MS_ENDED
			&& s->state != SF_MS_DONE) {
		s->state = SF_MS_GONE;
		s->created = time(NULL);
	} else {
		s->state = SF_MS_FREE;
	}
	lock_release(_sf_ms_lock);
}

/* respond to f when its sender wants it */
static void sf_ms_answer(
		sf_mconn_t *c, sf_msrp_frame_t *f, int code, const char *reason)
{
	if(code > 0 && sf_msrp_may_respond(f, code))
		sf_ms_respond(c, f, code, reason);
}

void sf_ms_msg_free(sf_mconn_t *c)
{
	if(c->mbuf)
		pkg_free(c->mbuf);
	if(c->mct)
		pkg_free(c->mct);
	c->mbuf = c->mct = NULL;
	c->msize = 0;
	c->mct_len = 0;
}

/* the first chunk of a message: may it be stored? 0, or the refusal */
static int sf_ms_admit(sf_mconn_t *c, sf_msrp_frame_t *f, const char **why)
{
	sf_ms_ingest_t *ing = _sf_ms[c->slot].ing;
	sf_profile_t pol;

	if(ing->stored >= _sf_cfg.session_messages) {
		*why = "Too Many Messages In Session";
		return 403;
	}
	if(!sf_utf8_valid(f->content_type.s, f->content_type.len)) {
		*why = "Content-Type Not UTF-8";
		return 400;
	}
	if(sf_profile_get(&_sf_msdb, &ing->req.m.aor, &pol) == 1
			&& !sf_profile_accepts(&pol, f->content_type)) {
		*why = "Type Not Accepted";
		return 415;
	}
	c->mct = pkg_malloc(f->content_type.len + 1);
	if(c->mct == NULL) {
		PKG_MEM_ERROR;
		*why = "No Memory";
		return 413;
	}
	memcpy(c->mct, f->content_type.s, f->content_type.len);
	c->mct_len = (int)f->content_type.len;
	return 0;
}

/* store the complete message of c; 0 stored, or the refusal */
static int sf_ms_commit(sf_mconn_t *c, const char **why, long long *idp)
{
	sf_ms_ingest_t *ing = _sf_ms[c->slot].ing;
	sf_session_req_t r = ing->req;
	sf_class_input_t in;
	sf_class_result_t res;
	sf_buf_t body, v;
	struct timeval tv;
	char date[64];
	long long id;
	int n;

	gettimeofday(&tv, NULL);
	body.s = c->mbuf ? c->mbuf : "";
	body.len = c->ra.have;
	r.m.cseq = ing->stored + 1;
	r.m.received = tv.tv_sec + tv.tv_usec / 1e6;
	r.m.content_type.s = c->mct;
	r.m.content_type.len = c->mct_len;
	r.m.body.s = (char *)body.s;
	r.m.body.len = (int)body.len;
	/* what a MESSAGE carrying it would say: a CPIM body's report request,
	 * its imdn.Message-ID and DateTime */
	memset(&in, 0, sizeof(in));
	in.method = SF_METHOD_MESSAGE;
	in.content_type.s = c->mct;
	in.content_type.len = c->mct_len;
	in.body = body;
	in.default_class = r.m.cls;
	if(sf_classify_parse(&in, &res) >= 0 && res.cls != SF_CLASS_INSTANT)
		r.m.notify |= res.notify;
	if(c->mct_len >= 12 && strncasecmp(c->mct, "message/cpim", 12) == 0) {
		if(sf_cpim_message_id(body, &v) && sf_utf8_valid(v.s, v.len)) {
			r.m.imdn_id.s = (char *)v.s;
			r.m.imdn_id.len = (int)v.len;
		}
		if(sf_cpim_datetime(body, &v) && sf_utf8_valid(v.s, v.len)) {
			r.m.imdn_datetime.s = (char *)v.s;
			r.m.imdn_datetime.len = (int)v.len;
		}
	}
	n = sf_fmt(date, sizeof(date), "Date: ");
	if(n > 0) {
		int k = sf_http_date(tv.tv_sec, date + n, sizeof(date) - n - 2);
		if(k > 0) {
			memcpy(date + n + k, "\r\n", 2);
			r.m.headers.s = date;
			r.m.headers.len = n + k + 2;
		}
	}
	id = sf_store_session_msg(&_sf_msdb, &r);
	if(id < 0) {
		update_stat(_sf_stat_db_errors, 1);
		*why = "Store Unavailable";
		return 408;
	}
	if(id == 0) {
		update_stat(_sf_stat_rej_full, 1);
		*why = "Mailbox Full";
		return 403;
	}
	ing->stored++;
	*idp = id;
	update_stat(_sf_stat_stored, 1);
	update_stat(_sf_stat_sess_msgs, 1);
	sf_event_stored(NULL, id, &r.m.aor, &r.m.from_uri);
	if(_sf_cfg.mwi)
		sf_queue_push_aor(&r.m.aor, SF_WORK_MWI);
	return 0;
}

/* the Success-Report of a stored message (RFC 4975 7.1.2) */
static void sf_ms_success_report(
		sf_mconn_t *c, sf_msrp_frame_t *f, unsigned long long total)
{
	char out[2048], tid[12];
	sf_msrp_send_t r;
	int n;

	if(f->success_report.len != 3
			|| strncasecmp(f->success_report.s, "yes", 3) != 0
			|| sf_rand_id(tid, 10) < 0)
		return;
	memset(&r, 0, sizeof(r));
	r.tid = sf_bufv(tid, 10);
	r.to_path = f->from_path;
	r.from_path = f->to_path;
	r.message_id = f->message_id;
	r.total = total;
	n = sf_msrp_build_report(&r, 200, out, sizeof(out));
	if(n > 0)
		sf_ms_write(c->fd, out, n);
}

/* a SEND for an ingest session: one chunk of a message to keep */
int sf_ms_ingest(sf_mconn_t *c, sf_msrp_frame_t *f)
{
	sf_msrp_verdict_t v;
	const char *why = "";
	unsigned long long total;
	long long id = 0;
	char *nb;
	int code, act;

	/* the first chunk of a message: may it be stored at all? */
	if(c->ra.mid_len == 0 && f->body.len > 0) {
		code = sf_ms_admit(c, f, &why);
		if(code > 0) {
			sf_msrp_reasm_refuse(&c->ra, f);
			sf_ms_msg_free(c);
			sf_ms_answer(c, f, code, why);
			return 0;
		}
	}
	act = sf_msrp_chunk(&c->ra, f, _sf_cfg.max_body_size, &v);
	switch(act) {
		case SF_MSRP_CHUNK_MORE:
		case SF_MSRP_CHUNK_DONE:
			break;
		case SF_MSRP_CHUNK_REFUSE:
			if(c->ra.mid_len == 0 || c->ra.refused)
				sf_ms_msg_free(c);
			sf_ms_answer(c, f, v.code, v.reason);
			return 0;
		default: /* EMPTY, ABORT */
			if(act == SF_MSRP_CHUNK_ABORT)
				sf_ms_msg_free(c);
			sf_ms_answer(c, f, v.code, v.reason);
			return 0;
	}
	if(f->body.len > 0) {
		if(c->ra.have > c->msize) {
			size_t want = c->ra.have < 4096 ? 4096 : c->ra.have * 2;
			if(want > (size_t)_sf_cfg.max_body_size)
				want = _sf_cfg.max_body_size;
			if(want < c->ra.have)
				want = c->ra.have;
			nb = pkg_realloc(c->mbuf, want);
			if(nb == NULL) {
				PKG_MEM_ERROR;
				sf_msrp_reasm_refuse(&c->ra, f);
				sf_ms_msg_free(c);
				sf_ms_answer(c, f, 413, "No Memory");
				return 0;
			}
			c->mbuf = nb;
			c->msize = want;
		}
		memcpy(c->mbuf + c->ra.have - f->body.len, f->body.s, f->body.len);
	}
	if(act == SF_MSRP_CHUNK_MORE) {
		/* a chunk received, not a message stored: what a sender may rely
		 * on is the 200 of the last chunk (and the Success-Report) */
		sf_ms_answer(c, f, v.code, v.reason);
		return 0;
	}
	total = c->ra.have;
	code = sf_ms_commit(c, &why, &id);
	sf_msrp_reasm_reset(&c->ra);
	sf_ms_msg_free(c);
	if(code > 0) {
		sf_ms_answer(c, f, code, why);
		if(code == 408) {
			/* the store is gone: end the session, the sender tries later */
			_sf_ms[c->slot].ing->end_with_bye = 1;
			return -1;
		}
		return 0;
	}
	LM_DBG("session message %lld stored (%llu bytes)\n", id, total);
	/* committed: now the sender may hear it */
	sf_ms_answer(c, f, v.code, v.reason);
	sf_ms_success_report(c, f, total);
	return 0;
}

/* ingest sessions no connection will end: ended before one was bound
 * (BYE), or never connected to within msrp_idle_timeout */
void sf_ms_sweep(time_t now)
{
	int i, end, bye;

	for(i = 0; i < _sf_cfg.msrp_max_sessions; i++) {
		sf_msess_t *s = &_sf_ms[i];
		if(s->kind == SF_MS_INGEST && s->state == SF_MS_GONE
				&& now - s->created >= _sf_cfg.msrp_idle_timeout) {
			lock_get(_sf_ms_lock);
			if(s->state == SF_MS_GONE)
				s->state = SF_MS_FREE;
			lock_release(_sf_ms_lock);
			continue;
		}
		if(s->kind != SF_MS_INGEST
				|| (s->state != SF_MS_DONE && s->state != SF_MS_WAITING))
			continue;
		lock_get(_sf_ms_lock);
		bye = s->state == SF_MS_DONE;
		end = bye
			  || (s->state == SF_MS_WAITING
					  && now - s->created >= _sf_cfg.msrp_idle_timeout);
		if(end)
			s->state = SF_MS_CLOSING;
		lock_release(_sf_ms_lock);
		if(end)
			sf_ms_ingest_end(i, bye ? "bye" : "idle");
	}
}
