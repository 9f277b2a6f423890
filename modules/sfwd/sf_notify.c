/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: delivery reports, stored notices, message summaries
 */

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/atomic_ops.h"
#include "core/dprint.h"
#include "core/hashes.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/socket_info.h"
#include "core/sr_module.h"
#include "modules/presence/bind_presence.h"
#include "modules/tm/uac.h"

#include "sf_buf.h"
#include "sf_classify.h"
#include "sf_notify.h"
#include "sf_stats.h"
#include "sf_imdn.h"
#include "sf_store.h"
#include "sf_cfg.h"
#include "sf_tm.h"
#include "sf_ul.h"

#define SF_NOTICE_SLOTS 1024
#define SF_REPORT_MAX 8192

static presence_api_t _sf_pres;
static int _sf_pres_bound = 0;

/* AoRs (by hash slot) whose SUBSCRIBE a SIP worker is handling: their
 * flusher holds its summary back meanwhile, so that the subscription's
 * NOTIFYs go out in CSeq order, each with the counts of its time */
#define SF_MWI_GATES 256
#define SF_MWI_GATE_MAX_S 5 /* a worker that died in between: ignored */
typedef struct sf_mwi_gate
{
	atomic_t busy;		 /* workers answering a SUBSCRIBE of the slot */
	atomic_t publishing; /* a flusher publishing a summary of the slot */
	volatile time_t since;
} sf_mwi_gate_t;
static sf_mwi_gate_t *_sf_mwi_gate = NULL;

/* last notice per sender hash: a lossy, lock-free rate limit */
typedef struct sf_notice_slot
{
	unsigned int hash;
	time_t at;
} sf_notice_slot_t;
static sf_notice_slot_t *_sf_notice = NULL;

static char _sf_default_from[128];
static char _sf_default_proxy[128];
/* report_from was set: reports come from it, not from the recipient */
static int _sf_report_from_set = 0;

int sf_notify_mod_init(void)
{
	struct socket_info *si = get_first_socket();
	bind_presence_t bind_presence;

	_sf_report_from_set = _sf_cfg.report_from.len > 0;
	if(_sf_cfg.report_from.len == 0) {
		_sf_cfg.report_from.len =
				sf_fmt(_sf_default_from, sizeof(_sf_default_from),
						"sip:sfwd@%.*s", si ? si->address_str.len : 9,
						si ? si->address_str.s : "localhost");
		if(_sf_cfg.report_from.len < 0) {
			LM_ERR("listen address too long for report_from: set it\n");
			return -1;
		}
		_sf_cfg.report_from.s = _sf_default_from;
	}
	if(_sf_cfg.report_proxy.len == 0 && si) {
		_sf_cfg.report_proxy.len = sf_fmt(_sf_default_proxy,
				sizeof(_sf_default_proxy), "sip:%.*s:%d;transport=%s",
				si->address_str.len, si->address_str.s, (int)si->port_no,
				si->proto == PROTO_TCP ? "tcp" : "udp");
		if(_sf_cfg.report_proxy.len < 0) {
			LM_ERR("listen address too long for report_proxy: set it\n");
			return -1;
		}
		_sf_cfg.report_proxy.s = _sf_default_proxy;
	}
	if(_sf_cfg.stored_notice) {
		_sf_notice = shm_malloc(SF_NOTICE_SLOTS * sizeof(sf_notice_slot_t));
		if(_sf_notice == NULL) {
			SHM_MEM_ERROR;
			return -1;
		}
		memset(_sf_notice, 0, SF_NOTICE_SLOTS * sizeof(sf_notice_slot_t));
	}
	if(_sf_cfg.mwi) {
		bind_presence = (bind_presence_t)find_export("bind_presence", 1, 0);
		if(bind_presence == NULL || bind_presence(&_sf_pres) < 0) {
			LM_ERR("modparam mwi needs the presence module (load presence "
				   "and presence_mwi before sfwd)\n");
			return -1;
		}
		_sf_pres_bound = 1;
		_sf_mwi_gate = shm_malloc(SF_MWI_GATES * sizeof(sf_mwi_gate_t));
		if(_sf_mwi_gate == NULL) {
			SHM_MEM_ERROR;
			return -1;
		}
		memset(_sf_mwi_gate, 0, SF_MWI_GATES * sizeof(sf_mwi_gate_t));
	}
	return 0;
}

static sf_mwi_gate_t *sf_mwi_gate_of(const str *aor)
{
	if(_sf_mwi_gate == NULL)
		return NULL;
	return &_sf_mwi_gate[core_case_hash((str *)aor, NULL, 0) % SF_MWI_GATES];
}

int sf_mwi_held(const str *aor)
{
	sf_mwi_gate_t *g = sf_mwi_gate_of(aor);

	return g != NULL && atomic_get(&g->busy) > 0
		   && time(NULL) - g->since < SF_MWI_GATE_MAX_S;
}

int sf_mwi_publish_held(sf_db_t *db, const str *aor)
{
	sf_mwi_gate_t *g = sf_mwi_gate_of(aor);
	int ret;

	if(g == NULL)
		return sf_mwi_publish(db, aor);
	/* mark first, then look: a worker that marks busy after this waits
	 * for the mark to go (both are full barriers) */
	atomic_inc(&g->publishing);
	if(sf_mwi_held(aor)) {
		atomic_dec(&g->publishing);
		return 2;
	}
	ret = sf_mwi_publish(db, aor);
	atomic_dec(&g->publishing);
	return ret;
}

int sf_mwi_update(sf_db_t *db, str *uri)
{
	char buf[512];
	str aor;

	if(!_sf_cfg.mwi || _sf_cfg.db_url == NULL) {
		LM_ERR("sf_mwi_update() needs modparams db_url and mwi\n");
		return -1;
	}
	if(sf_aor_str(uri, buf, sizeof(buf), &aor) < 0)
		return -1;
	return sf_mwi_publish(db, &aor) == 0 ? 1 : -1;
}

int sf_mwi_subscribe(sip_msg_t *msg, sf_db_t *db)
{
	char buf[512];
	str aor;
	sf_mwi_gate_t *g;
	int ret, i;

	if(!_sf_cfg.mwi || _sf_cfg.db_url == NULL) {
		LM_ERR("sf_mwi_subscribe() needs modparams db_url and mwi\n");
		return -1;
	}
	if(msg->first_line.type != SIP_REQUEST
			|| msg->REQ_METHOD != METHOD_SUBSCRIBE
			|| sf_aor_str(
					   &msg->first_line.u.request.uri, buf, sizeof(buf), &aor)
					   < 0)
		return -1;
	g = sf_mwi_gate_of(&aor);
	if(!_sf_pres_bound || g == NULL)
		return -1;
	g->since = time(NULL);
	atomic_inc(&g->busy);
	/* a flusher that marked before us finishes its NOTIFY first (bounded:
	 * a publish is one query and one presence update) */
	for(i = 0; i < 500 && atomic_get(&g->publishing) > 0; i++)
		usleep(1000);
	sf_mwi_publish(db, &aor);
	ret = _sf_pres.handle_subscribe0(msg);
	atomic_dec(&g->busy);
	return ret;
}

int sf_is_report_sender(const str *uri)
{
	return uri->len == _sf_cfg.report_from.len
		   && strncasecmp(uri->s, _sf_cfg.report_from.s, uri->len) == 0;
}

static sf_buf_t sf_b(const str *s)
{
	sf_buf_t b;

	b.s = s->s;
	b.len = s->len > 0 ? (size_t)s->len : 0;
	return b;
}

/* a MESSAGE from `from` to uri, through report_proxy */
static int sf_send_message(const str *from, const str *to_uri,
		const str *to_name, const char *ctype, const char *disposition,
		const str *body)
{
	static str method = str_init("MESSAGE");
	char hbuf[256], tobuf[1024];
	str hdrs, to, ruri = *to_uri;
	uac_req_t uac_r;
	int ret;

	hdrs.s = hbuf;
	hdrs.len = sf_fmt(hbuf, sizeof(hbuf),
			"Content-Type: %s\r\nRequest-Disposition: %s\r\n", ctype,
			disposition);
	if(hdrs.len < 0)
		return -1;
	to = *to_uri;
	if(to_name && to_name->len > 0) {
		/* a name too long for the buffer: the bare URI */
		to.len = sf_fmt(tobuf, sizeof(tobuf), "%.*s <%.*s>", to_name->len,
				to_name->s, to_uri->len, to_uri->s);
		if(to.len > 0)
			to.s = tobuf;
		else
			to = *to_uri;
	}
	set_uac_req(&uac_r, &method, &hdrs, (str *)body, NULL, 0, NULL, NULL);
	ret = _sf_tmb.t_request(&uac_r, &ruri, &to, (str *)from,
			_sf_cfg.report_proxy.len ? &_sf_cfg.report_proxy : NULL);
	if(ret < 0) {
		LM_WARN("cannot send a MESSAGE to %.*s (%d)\n", to_uri->len, to_uri->s,
				ret);
		return -1;
	}
	return 0;
}

static str sf_report_col(const PGresult *res, int row, int col)
{
	str s;

	s.s = PQgetvalue(res, row, col);
	s.len = PQgetisnull(res, row, col) ? 0 : PQgetlength(res, row, col);
	return s;
}

void sf_report_src_row(sf_report_src_t *src, const PGresult *res, int row,
		const sf_report_cols_t *c)
{
	src->id = sf_db_int(res, row, c->id);
	src->from_uri = sf_report_col(res, row, c->from_uri);
	src->from_name = sf_report_col(res, row, c->from_name);
	src->to_uri = sf_report_col(res, row, c->to_uri);
	src->imdn_id = sf_report_col(res, row, c->imdn_id);
	src->received = sf_db_float(res, row, c->received);
	src->imdn_datetime = sf_report_col(res, row, c->imdn_datetime);
	src->notify = (int)sf_db_int(res, row, c->notify);
}

int sf_report(const sf_report_src_t *src, int status)
{
	static unsigned int seq = 0;
	char buf[SF_REPORT_MAX], own_id[48], rid[64], dt[32];
	sf_report_t r;
	str body, from;
	int want;

	want = (status == SF_IMDN_DELIVERED) ? SF_NOTIFY_POSITIVE
										 : SF_NOTIFY_NEGATIVE;
	if(!(src->notify & want) || sf_is_report_sender(&src->from_uri))
		return 0;

	memset(&r, 0, sizeof(r));
	r.status = status;
	if(src->imdn_id.len > 0) {
		r.message_id = sf_b(&src->imdn_id);
	} else {
		r.message_id.len = sf_fmt(own_id, sizeof(own_id), "sfwd-%lld", src->id);
		r.message_id.s = own_id;
	}
	r.report_id.len = sf_fmt(rid, sizeof(rid), "sfwd-r%lld-%u-%d", src->id,
			++seq, (int)time(NULL));
	r.report_id.s = rid;
	if(r.message_id.len < 0 || r.report_id.len < 0)
		return -1;
	r.original_time = (time_t)src->received;
	/* RFC 5438 7.1.1: the original's DateTime identifies it; without
	 * one, when it was received, to the microsecond */
	if(src->imdn_datetime.len > 0) {
		r.original_datetime = sf_b(&src->imdn_datetime);
	} else if(sf_iso_date_us(src->received, dt, sizeof(dt)) > 0) {
		r.original_datetime.s = dt;
		r.original_datetime.len = 27;
	}
	r.report_time = time(NULL);
	r.recipient_uri = sf_b(&src->to_uri);
	r.sender_uri = sf_b(&src->from_uri);
	r.sender_name = sf_b(&src->from_name);
	/* as if the recipient's device sent it, unless report_from is set */
	from = (_sf_report_from_set || src->to_uri.len == 0) ? _sf_cfg.report_from
														 : src->to_uri;
	r.report_from = sf_b(&from);

	body.s = buf;
	if(_sf_cfg.report_mode == SF_REPORT_TEXT)
		body.len = sf_report_text(&r, buf, sizeof(buf));
	else
		body.len = sf_imdn_build(&r, buf, sizeof(buf));
	if(body.len < 0) {
		LM_ERR("cannot build the report of message %lld\n", src->id);
		return -1;
	}
	if(sf_send_message(&from, &src->from_uri, &src->from_name,
			   _sf_cfg.report_mode == SF_REPORT_TEXT ? "text/plain"
													 : "message/cpim",
			   "store", &body)
			< 0)
		return -1;
	update_stat(_sf_stat_reports, 1);
	LM_INFO("report (status %d) on message %lld sent to %.*s\n", status,
			src->id, src->from_uri.len, src->from_uri.s);
	return 1;
}

void sf_stored_notice(const str *sender_uri, const str *aor)
{
	char buf[1024];
	unsigned int h;
	sf_notice_slot_t *slot;
	time_t now = time(NULL);
	str body;

	if(!_sf_cfg.stored_notice || _sf_notice == NULL
			|| sf_is_report_sender(sender_uri))
		return;
	h = core_case_hash((str *)sender_uri, NULL, 0);
	slot = &_sf_notice[h % SF_NOTICE_SLOTS];
	if(slot->hash == h && now - slot->at < _sf_cfg.stored_notice_interval) {
		LM_DBG("stored notice to %.*s rate-limited\n", sender_uri->len,
				sender_uri->s);
		return;
	}
	slot->hash = h;
	slot->at = now;
	body.s = buf;
	body.len = sf_fmt(buf, sizeof(buf),
			"Your message to %.*s is stored and will be delivered when "
			"%.*s is online.",
			aor->len, aor->s, aor->len, aor->s);
	if(body.len < 0) {
		/* an address too long to say twice: say it once */
		body.len = sf_fmt(buf, sizeof(buf),
				"Your message is stored and will be delivered when %.*s is "
				"online.",
				aor->len > 900 ? 900 : aor->len, aor->s);
		if(body.len < 0)
			return;
	}
	sf_send_message(&_sf_cfg.report_from, sender_uri, NULL, "text/plain",
			"do-not-store", &body);
}

int sf_mwi_publish(sf_db_t *db, const str *aor)
{
	static str event = str_init("message-summary");
	static str etag = str_init("sfwd-mwi");
	char account[600], buf[512];
	str user, realm, body, acc;
	sf_buf_t accb;
	char *at;
	int text, other;

	if(!_sf_pres_bound)
		return 1;
	at = memchr(aor->s, '@', aor->len);
	user.s = aor->s;
	if(at) {
		user.len = at - aor->s;
		realm.s = at + 1;
		realm.len = aor->s + aor->len - realm.s;
	} else {
		user.len = aor->len;
		realm = _sf_cfg.mwi_domain;
	}
	if(user.len == 0 || realm.len == 0)
		return -1;
	if(sf_store_count(db, aor, &text, &other) < 0)
		return -1;
	acc.s = account;
	acc.len = sf_fmt(account, sizeof(account), "sip:%.*s@%.*s", user.len,
			user.s, realm.len, realm.s);
	if(acc.len < 0)
		return -1;
	accb = sf_b(&acc);
	body.s = buf;
	body.len = sf_mwi_build(accb, text, 0, other, 0, buf, sizeof(buf));
	if(body.len < 0)
		return -1;
	if(_sf_pres.update_presentity(&event, &realm, &user, &etag,
			   &_sf_cfg.report_from, &body, _sf_cfg.max_lifetime + 86400, 1, 1)
			< 0) {
		LM_ERR("cannot publish the message summary of %.*s\n", aor->len,
				aor->s);
		return -1;
	}
	LM_DBG("message summary of %.*s: %d text, %d other\n", aor->len, aor->s,
			text, other);
	return 0;
}
