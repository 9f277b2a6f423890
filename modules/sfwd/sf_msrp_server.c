/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: retrieval of stored messages over MSRP
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, memrchr */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/pt.h"
#include "core/rand/kam_rand.h"
#include "core/socket_info.h"
#include "core/sr_module.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_to.h"
#include "core/data_lump_rpl.h"
#include "modules/tm/dlg.h"

#include "sf_buf.h"
#include "sf_db.h"
#include "sf_msrp.h"
#include "sf_msrp_server.h"
#include "sf_imdn.h"
#include "sf_profile.h"
#include "sf_queue.h"
#include "sf_stats.h"
#include "sf_store.h"
#include "sf_text.h"
#include "sf_cfg.h"
#include "sf_classify.h"
#include "sf_cpim.h"
#include "sf_event.h"
#include "sf_tm.h"

#define SF_MS_ID_LEN 24 /* base32: 120 bits from getrandom() */
#define SF_MS_TAG_MAX 128
#define SF_MS_PATH_MAX 512
#define SF_MS_MAX_CONNS 256
#define SF_MS_INBUF_MAX (SF_MSRP_MAX_HEADERS + 65536 + 128)
#define SF_MS_BATCH 50
#define SF_MS_SESSION_ROWS 200 /* session messages sent as one SEND */

/* session states */
#define SF_MS_FREE 0
#define SF_MS_WAITING 1 /* answered; the client has not connected yet */
#define SF_MS_BOUND 2	/* a connection serves it */
#define SF_MS_ENDED 3	/* BYE came: close it */
#define SF_MS_DONE \
	4					/* an ingest session ended before it was bound (BYE,
						 * never connected): the MSRP process ends it */
#define SF_MS_CLOSING 5 /* the MSRP process is ending it */
#define SF_MS_GONE \
	6 /* an ingest session whose MSRP side ended first:
						 * its dialog's BYE still gets 200, until
						 * msrp_idle_timeout after the end */

#define SF_MS_RETRIEVE 0 /* the owner fetches the mailbox */
#define SF_MS_INGEST 1	 /* a sender's session for an offline recipient */

/* what an accepted session stores with each message: the INVITE's
 * parties, class and limits; every str points into the same shm block */
typedef struct sf_ms_ingest
{
	sf_session_req_t req; /* req.m: the fields every message shares */
	dlg_t *dlg;			  /* tm's dialog, to send our BYE */
	int end_with_bye;	  /* the MSRP side failed: sfwd ends the dialog */
	int stored;			  /* messages stored so far (the next cseq - 1) */
	char data[];
} sf_ms_ingest_t;

/* one MSRP session (retrieval or ingest), in shared memory */
typedef struct sf_msess
{
	int state;
	int sipfrag;   /* payloads as message/sipfrag */
	int multipart; /* a stored session as one multipart/mixed SEND */
	char id[SF_MS_ID_LEN + 1];
	char aor[256];
	int aor_len;
	char client_path[SF_MS_PATH_MAX];
	int client_path_len;
	char callid[128];
	int callid_len;
	char ftag[SF_MS_TAG_MAX]; /* the dialog: the client's tag and ours */
	int ftag_len;
	char totag[SF_MS_TAG_MAX];
	int totag_len;
	time_t created;
	int kind;			 /* SF_MS_RETRIEVE or SF_MS_INGEST */
	sf_ms_ingest_t *ing; /* SF_MS_INGEST: one shm block, or NULL */
} sf_msess_t;

static sf_msess_t *_sf_ms = NULL;
static gen_lock_t *_sf_ms_lock = NULL;
static char _sf_ms_host[64];
static int _sf_ms_port = 0;

/* one client connection, in the MSRP process */
typedef struct sf_mconn
{
	int fd;
	int slot; /* session, -1 until the first SEND binds it */
	char *in;
	int inlen;
	time_t last;
	long long accepted_ms; /* unbound after msrp_bind_timeout: closed */
	/* delivery */
	PGresult *batch;
	int *order;
	int nrows;
	int next_row;
	long long last_id;
	int more;
	int stopped;	  /* a non-200: send no more in this session */
	long long row_id; /* in flight, 0: none */
	char row_tid[12]; /* the tid prefix of its chunks */
	int row_chunks;	  /* chunks sent */
	int row_acks;	  /* 200s received */
	int row_parts;	  /* rows in flight (a whole session: several) */
	long long row_ids[SF_MS_SESSION_ROWS];
	int row_session;			/* the rows in flight are a session's unit */
	long long sent_session;		/* the last session sent as a unit */
	long long sent_session_max; /* its highest row id sent */
	/* ingest: the message being received */
	sf_msrp_reasm_t ra;
	char *mbuf; /* its bytes so far (pkg) */
	size_t msize;
	char *mct; /* its Content-Type (pkg) */
	int mct_len;
} sf_mconn_t;

static sf_mconn_t _sf_mc[SF_MS_MAX_CONNS];
static sf_db_t _sf_msdb;
static str _sf_ms_owner = STR_NULL;

int sf_msrp_server_enabled(void)
{
	return _sf_ms != NULL;
}

/* "ip:port" or "msrp://ip:port" */
static int sf_msrp_server_parse_listen(void)
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

/* the sessions_open gauge: stored sessions answered and not yet ended */
static unsigned long sf_ms_sessions_open(void)
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

int sf_msrp_server_mod_init(void)
{
	if(_sf_cfg.msrp_listen.len == 0)
		return 0;
	if(sf_msrp_server_parse_listen() < 0)
		return -1;
	if(sf_stats_gauge("sessions_open", sf_ms_sessions_open) < 0)
		return -1;
	_sf_ms = shm_malloc(_sf_cfg.msrp_max_sessions * sizeof(sf_msess_t));
	_sf_ms_lock = lock_alloc();
	if(_sf_ms == NULL || _sf_ms_lock == NULL
			|| lock_init(_sf_ms_lock) == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_sf_ms, 0, _sf_cfg.msrp_max_sessions * sizeof(sf_msess_t));
	register_procs(1);
	cfg_register_child(1);
	return 0;
}

/* len characters of base32 (5 bits each) from the kernel's CSPRNG:
 * session ids are the capability to a mailbox's MSRP session */
static int sf_rand_id(char *out, int len)
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

/* ------------------------------------------------------------------ */
/* SIP side (SIP workers) */

/* the attribute value of "a=<name>:" in an SDP media section */
static int sf_sdp_attr(sf_buf_t sdp, const char *name, sf_buf_t *val)
{
	const char *p = sdp.s, *end = sdp.s + sdp.len, *eol;
	size_t n = strlen(name);

	while(p < end) {
		eol = memchr(p, '\n', end - p);
		if(eol == NULL)
			eol = end;
		if((size_t)(eol - p) > n + 2 && p[0] == 'a' && p[1] == '='
				&& strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			val->s = p + 3 + n;
			val->len = eol - val->s;
			while(val->len > 0
					&& (val->s[val->len - 1] == '\r'
							|| val->s[val->len - 1] == ' '))
				val->len--;
			return 1;
		}
		p = eol + 1;
	}
	return 0;
}

static int sf_has_word(sf_buf_t v, const char *w)
{
	size_t n = strlen(w), i = 0;

	while(i < v.len) {
		size_t j = i;
		while(j < v.len && v.s[j] != ' ')
			j++;
		if(j - i == n && strncasecmp(v.s + i, w, n) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

/* an ingest session's shm block: free it (and tm's dialog) */
static void sf_ms_ingest_free(sf_msess_t *s)
{
	if(s->ing == NULL)
		return;
	if(s->ing->dlg)
		_sf_tmb.free_dlg(s->ing->dlg);
	shm_free(s->ing);
	s->ing = NULL;
}

/* the MSRP offer of an INVITE: its SDP, the client's path, accept-types
 * (may be empty) and whether it waits for us to connect; 0 or -1 */
static int sf_ms_offer(sip_msg_t *msg, sf_buf_t *body, sf_buf_t *path,
		sf_buf_t *types, int *passive)
{
	sf_buf_t mline, setup;
	char *b;

	b = get_body(msg);
	if(b == NULL)
		return -1;
	body->s = b;
	body->len = msg->buf + msg->len - b;
	mline.s = NULL;
	for(; b && b < body->s + body->len;) {
		char *eol = memchr(b, '\n', body->s + body->len - b);
		if(body->s + body->len - b > 10 && strncmp(b, "m=message ", 10) == 0) {
			mline.s = b;
			mline.len = (eol ? eol : body->s + body->len) - b;
			break;
		}
		b = eol ? eol + 1 : NULL;
	}
	if(mline.s == NULL || memmem(mline.s, mline.len, "TCP/MSRP", 8) == NULL
			|| !sf_sdp_attr(*body, "path", path) || path->len == 0
			|| path->len >= SF_MS_PATH_MAX)
		return -1;
	if(!sf_sdp_attr(*body, "accept-types", types))
		types->len = 0;
	*passive = sf_sdp_attr(*body, "setup", &setup) && setup.len == 7
			   && strncasecmp(setup.s, "passive", 7) == 0;
	return 0;
}

/* a session slot for msg (the dialog's Call-ID and tags, the client's
 * path); at most `most` WAITING or BOUND sessions whose `key` (mailbox or
 * sender) is the same. The slot, -3 the key holds `most` already, -2 no
 * slot or an internal error. ing (shm) goes into the slot or is freed. */
static int sf_ms_take_slot(sip_msg_t *msg, const str *aor, sf_buf_t path,
		int kind, sf_ms_ingest_t *ing, const str *key, int most)
{
	str totag, ftag;
	struct cell *t;
	int i, slot = -1, mine = 0;
	time_t now = time(NULL);

	if(msg->callid == NULL || msg->callid->body.len >= 128
			|| aor->len >= (int)sizeof(_sf_ms[0].aor)
			|| parse_from_header(msg) < 0)
		goto refuse;
	ftag = get_from(msg)->tag_value;
	if(ftag.len <= 0 || ftag.len >= SF_MS_TAG_MAX)
		goto refuse;
	t = _sf_tmb.t_gett();
	if(t == NULL || t == T_UNDEFINED) {
		if(_sf_tmb.t_newtran(msg) < 0)
			goto refuse;
	}
	/* the to-tag tm will put in its reply: the dialog BYE must name */
	if(_sf_tmb.t_get_reply_totag(msg, &totag) < 0 || totag.len <= 0
			|| totag.len >= SF_MS_TAG_MAX)
		goto refuse;

	lock_get(_sf_ms_lock);
	for(i = 0; i < _sf_cfg.msrp_max_sessions; i++) {
		sf_msess_t *s = &_sf_ms[i];
		/* a session never connected to is reused after its idle time
		 * (an ingest one is freed by the MSRP process, which ends it) */
		if(s->state == SF_MS_WAITING && s->kind == SF_MS_RETRIEVE
				&& now - s->created >= _sf_cfg.msrp_idle_timeout)
			s->state = SF_MS_FREE;
		if((s->state == SF_MS_WAITING || s->state == SF_MS_BOUND)
				&& s->kind == kind
				&& (kind == SF_MS_RETRIEVE
								? s->aor_len == key->len
										  && memcmp(s->aor, key->s, key->len)
													 == 0
								: s->ing != NULL
										  && s->ing->req.m.from_uri.len
													 == key->len
										  && memcmp(s->ing->req.m.from_uri.s,
													 key->s, key->len)
													 == 0))
			mine++;
		if(s->state == SF_MS_FREE && s->ing == NULL && slot < 0)
			slot = i;
	}
	if(mine >= most) {
		lock_release(_sf_ms_lock);
		LM_INFO("%.*s holds %d MSRP sessions already\n", key->len, key->s,
				mine);
		if(ing) {
			if(ing->dlg)
				_sf_tmb.free_dlg(ing->dlg);
			shm_free(ing);
		}
		return -3;
	}
	if(slot >= 0) {
		sf_msess_t *s = &_sf_ms[slot];
		memset(s, 0, sizeof(*s));
		if(sf_rand_id(s->id, SF_MS_ID_LEN) < 0) {
			lock_release(_sf_ms_lock);
			goto refuse;
		}
		memcpy(s->aor, aor->s, aor->len);
		s->aor_len = aor->len;
		memcpy(s->client_path, path.s, path.len);
		s->client_path_len = path.len;
		memcpy(s->callid, msg->callid->body.s, msg->callid->body.len);
		s->callid_len = msg->callid->body.len;
		memcpy(s->ftag, ftag.s, ftag.len);
		s->ftag_len = ftag.len;
		memcpy(s->totag, totag.s, totag.len);
		s->totag_len = totag.len;
		s->created = now;
		s->kind = kind;
		s->ing = ing;
		s->state = SF_MS_WAITING;
	}
	lock_release(_sf_ms_lock);
	if(slot < 0) {
		LM_WARN("all %d MSRP sessions busy\n", _sf_cfg.msrp_max_sessions);
		goto refuse;
	}
	return slot;

refuse:
	if(ing) {
		if(ing->dlg)
			_sf_tmb.free_dlg(ing->dlg);
		shm_free(ing);
	}
	return -2;
}

/* answer msg 200 OK with our half of the session in slot; 1 or -2 */
static int sf_ms_reply(sip_msg_t *msg, int slot, const char *attrs)
{
	char sdp[2048], hdr[256];
	str sdp_s, hdr_s, reason = str_init("OK");
	struct socket_info *si = msg->rcv.bind_address;

	sdp_s.s = sdp;
	sdp_s.len = sf_fmt(sdp, sizeof(sdp),
			"v=0\r\n"
			"o=sfwd %u 1 IN IP4 %s\r\n"
			"s=sfwd\r\n"
			"c=IN IP4 %s\r\n"
			"t=0 0\r\n"
			"m=message %d TCP/MSRP *\r\n"
			"%s"
			"a=path:msrp://%s:%d/%s;tcp\r\n"
			"a=setup:passive\r\n",
			(unsigned)_sf_ms[slot].created, _sf_ms_host, _sf_ms_host,
			_sf_ms_port, attrs, _sf_ms_host, _sf_ms_port, _sf_ms[slot].id);
	hdr_s.s = hdr;
	hdr_s.len = sf_fmt(hdr, sizeof(hdr),
			"Content-Type: application/sdp\r\nContact: <sip:sfwd@%.*s:%d>\r\n",
			si ? si->address_str.len : 9, si ? si->address_str.s : "127.0.0.1",
			si ? (int)si->port_no : 5060);
	/* the reply through tm with lumps: tm keeps its own reference to the
	 * transaction (t_reply_with_body() would drop one it never took) */
	if(sdp_s.len < 0 || hdr_s.len < 0
			|| add_lump_rpl(msg, hdr_s.s, hdr_s.len, LUMP_RPL_HDR) == 0
			|| add_lump_rpl(msg, sdp_s.s, sdp_s.len, LUMP_RPL_BODY) == 0
			|| _sf_tmb.t_reply(msg, 200, reason.s) < 0) {
		lock_get(_sf_ms_lock);
		_sf_ms[slot].state = SF_MS_FREE;
		sf_ms_ingest_free(&_sf_ms[slot]);
		lock_release(_sf_ms_lock);
		return -2;
	}
	return 1;
}

int sf_msrp_server_invite(sip_msg_t *msg, const str *aor)
{
	sf_buf_t body, path, types;
	int slot, passive, sipfrag;
	char attrs[128];

	if(!sf_msrp_server_enabled())
		return -1;
	if(sf_ms_offer(msg, &body, &path, &types, &passive) < 0) {
		LM_INFO("INVITE for %.*s without a usable MSRP offer\n", aor->len,
				aor->s);
		return -1;
	}
	/* accept-types we can serve */
	if(types.len == 0 || sf_has_word(types, "message/sip")
			|| sf_has_word(types, "*"))
		sipfrag = 0;
	else if(sf_has_word(types, "message/sipfrag"))
		sipfrag = 1;
	else {
		LM_INFO("MSRP offer of %.*s accepts neither message/sip nor "
				"message/sipfrag\n",
				aor->len, aor->s);
		return -1;
	}
	if(passive) {
		LM_INFO("MSRP offer of %.*s wants sfwd to connect (setup:passive); "
				"not supported\n",
				aor->len, aor->s);
		return -1;
	}
	slot = sf_ms_take_slot(msg, aor, path, SF_MS_RETRIEVE, NULL, aor,
			_sf_cfg.msrp_user_sessions);
	if(slot < 0)
		return slot;
	_sf_ms[slot].sipfrag = sipfrag;
	/* a whole stored session as one multipart/mixed SEND, when the
	 * client says it takes that */
	_sf_ms[slot].multipart =
			!sipfrag && types.len > 0 && sf_has_word(types, "multipart/mixed");
	if(sf_fmt(attrs, sizeof(attrs),
			   "a=accept-types:message/sip message/sipfrag%s\r\n"
			   "a=sendonly\r\n",
			   _sf_ms[slot].multipart ? " multipart/mixed" : "")
			< 0)
		return -2;
	if(sf_ms_reply(msg, slot, attrs) < 0)
		return -2;
	LM_INFO("MSRP retrieval session for %.*s (call-id %.*s)\n", aor->len,
			aor->s, msg->callid->body.len, msg->callid->body.s);
	return 1;
}

/* the size of s in an ingest block, and its copy there */
static int sf_ms_room(const str *s)
{
	return (s && s->s && s->len > 0) ? s->len + 1 : 1;
}

static void sf_ms_pack(str *d, const str *s, char **pos)
{
	int len = (s && s->s && s->len > 0) ? s->len : 0;

	d->s = *pos;
	d->len = len;
	if(len)
		memcpy(*pos, s->s, len);
	(*pos)[len] = '\0';
	*pos += len + 1;
}

int sf_msrp_server_accept(
		sip_msg_t *msg, const sf_session_req_t *r, const str *accept_types)
{
	sf_buf_t body, path, types;
	sf_ms_ingest_t *ing;
	sf_session_req_t *q;
	str sdp;
	char attrs[4300], *pos;
	int slot, passive, size;

	if(!sf_msrp_server_enabled())
		return -1;
	if(sf_ms_offer(msg, &body, &path, &types, &passive) < 0) {
		LM_INFO("INVITE for %.*s without a usable MSRP offer\n", r->m.aor.len,
				r->m.aor.s);
		return -1;
	}
	if(passive) {
		LM_INFO("MSRP offer to %.*s wants sfwd to connect (setup:passive); "
				"not supported\n",
				r->m.aor.len, r->m.aor.s);
		return -1;
	}
	sdp.s = (char *)body.s;
	sdp.len = (int)body.len;
	size = sizeof(*ing) + sf_ms_room(&r->m.aor) + sf_ms_room(&r->m.ruri)
		   + sf_ms_room(&r->m.from_uri) + sf_ms_room(&r->m.from_name)
		   + sf_ms_room(&r->m.from_tag) + sf_ms_room(&r->m.to_uri)
		   + sf_ms_room(&r->m.to_name) + sf_ms_room(&r->m.call_id)
		   + sf_ms_room(&sdp);
	ing = shm_malloc(size);
	if(ing == NULL) {
		SHM_MEM_ERROR;
		return -2;
	}
	memset(ing, 0, sizeof(*ing));
	q = &ing->req;
	q->m = r->m;
	q->started = r->started;
	pos = ing->data;
	sf_ms_pack(&q->m.aor, &r->m.aor, &pos);
	sf_ms_pack(&q->m.ruri, &r->m.ruri, &pos);
	sf_ms_pack(&q->m.from_uri, &r->m.from_uri, &pos);
	sf_ms_pack(&q->m.from_name, &r->m.from_name, &pos);
	sf_ms_pack(&q->m.from_tag, &r->m.from_tag, &pos);
	sf_ms_pack(&q->m.to_uri, &r->m.to_uri, &pos);
	sf_ms_pack(&q->m.to_name, &r->m.to_name, &pos);
	sf_ms_pack(&q->m.call_id, &r->m.call_id, &pos);
	sf_ms_pack(&q->sdp, &sdp, &pos);
	q->m.content_type.s = q->m.body.s = q->m.headers.s = NULL;
	q->m.content_type.len = q->m.body.len = q->m.headers.len = 0;
	q->m.imdn_id.len = q->m.imdn_datetime.len = 0;
	/* our BYE, should the MSRP side fail */
	if(_sf_tmb.new_dlg_uas(msg, 200, &ing->dlg) < 0)
		ing->dlg = NULL;

	slot = sf_ms_take_slot(msg, &r->m.aor, path, SF_MS_INGEST, ing,
			&r->m.from_uri, _sf_cfg.session_sender_max);
	if(slot < 0)
		return slot;
	if(sf_fmt(attrs, sizeof(attrs),
			   "a=accept-types:%.*s\r\n"
			   "a=max-size:%d\r\n"
			   "a=recvonly\r\n",
			   accept_types && accept_types->len > 0 ? accept_types->len : 1,
			   accept_types && accept_types->len > 0 ? accept_types->s : "*",
			   _sf_cfg.max_body_size)
			< 0)
		return -2;
	if(sf_ms_reply(msg, slot, attrs) < 0)
		return -2;
	update_stat(_sf_stat_sess_accepted, 1);
	LM_INFO("MSRP session from %.*s stored for %.*s (call-id %.*s)\n",
			r->m.from_uri.len, r->m.from_uri.s, r->m.aor.len, r->m.aor.s,
			r->m.call_id.len, r->m.call_id.s);
	return 1;
}

int sf_msrp_server_bye(sip_msg_t *msg)
{
	str ftag, ttag;
	int i, found = -1, bye;

	if(!sf_msrp_server_enabled() || msg->callid == NULL
			|| parse_from_header(msg) < 0 || msg->to == NULL)
		return -1;
	bye = msg->REQ_METHOD == METHOD_BYE;
	ftag = get_from(msg)->tag_value;
	ttag = get_to(msg)->tag_value;
	lock_get(_sf_ms_lock);
	for(i = 0; i < _sf_cfg.msrp_max_sessions; i++) {
		sf_msess_t *s = &_sf_ms[i];
		/* the dialog: Call-ID and both tags (a CANCEL has no to-tag) */
		if(s->state == SF_MS_FREE || s->state == SF_MS_ENDED
				|| s->callid_len != msg->callid->body.len
				|| memcmp(s->callid, msg->callid->body.s, s->callid_len) != 0
				|| s->ftag_len != ftag.len
				|| memcmp(s->ftag, ftag.s, ftag.len) != 0)
			continue;
		if(bye
				&& (s->totag_len != ttag.len
						|| memcmp(s->totag, ttag.s, ttag.len) != 0))
			continue;
		if(s->state == SF_MS_DONE || s->state == SF_MS_CLOSING)
			continue;
		if(s->state == SF_MS_GONE) {
			s->state = SF_MS_FREE;
			found = 1;
			continue;
		}
		/* the MSRP process frees a bound session when it closes it, and
		 * ends an ingest one (its record, its dialog) */
		if(s->state == SF_MS_BOUND)
			s->state = SF_MS_ENDED;
		else
			s->state = s->kind == SF_MS_INGEST ? SF_MS_DONE : SF_MS_FREE;
		found = 1;
	}
	lock_release(_sf_ms_lock);
	return found;
}

/* ------------------------------------------------------------------ */
/* MSRP process */

static sf_buf_t sf_bb(const char *s, size_t len)
{
	sf_buf_t b;

	b.s = s;
	b.len = len;
	return b;
}

/* send all of buf, blocking with the socket's send timeout */
static int sf_ms_write(int fd, const char *buf, size_t len)
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

static void sf_ms_release(sf_mconn_t *c)
{
	if(c->slot >= 0 && (c->batch || c->row_id)) {
		str aor;
		aor.s = _sf_ms[c->slot].aor;
		aor.len = _sf_ms[c->slot].aor_len;
		sf_store_release_aor(&_sf_msdb, &_sf_ms_owner, &aor);
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

/* the end of an ingest session (its slot in SF_MS_CLOSING, or bound to
 * a connection that closes): its record ends, a failed one gets our BYE,
 * then the slot is free */
static void sf_ms_ingest_end(int slot, const char *why)
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

static void sf_ms_close(sf_mconn_t *c, const char *why)
{
	LM_INFO("MSRP connection %d closed: %s\n", c->fd, why);
	sf_ms_release(c);
	close(c->fd);
	if(c->in)
		pkg_free(c->in);
	if(c->mbuf)
		pkg_free(c->mbuf);
	if(c->mct)
		pkg_free(c->mct);
	if(c->slot >= 0 && _sf_ms[c->slot].kind == SF_MS_INGEST) {
		sf_ms_ingest_end(c->slot, why);
	} else if(c->slot >= 0) {
		lock_get(_sf_ms_lock);
		_sf_ms[c->slot].state = SF_MS_FREE;
		lock_release(_sf_ms_lock);
	}
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->slot = -1;
}

/* our path for session slot */
static int sf_ms_our_path(int slot, char *buf, int size)
{
	return sf_fmt(buf, size, "msrp://%s:%d/%s;tcp", _sf_ms_host, _sf_ms_port,
			_sf_ms[slot].id);
}

static void sf_ms_respond(
		sf_mconn_t *c, sf_msrp_frame_t *f, int code, const char *reason)
{
	char out[2048];
	int n;

	/* a response goes back along the From-Path of the request */
	n = sf_msrp_build_response(f->tid, code, sf_bb(reason, strlen(reason)),
			f->from_path, f->to_path, out, sizeof(out));
	if(n > 0)
		sf_ms_write(c->fd, out, n);
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
	m.from = sf_bb(from, flen);
	m.to = sf_bb(to, tlen);
	m.ruri = sf_bb(tu.s, tu.len);
	m.call_id = sf_bb(PQgetvalue(res, row, SF_CC_CALL_ID),
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
	m.headers = sf_bb(hdrs, n < 0 ? 0 : n);
	m.content_type = sf_bb(PQgetvalue(res, row, SF_CC_CONTENT_TYPE),
			PQgetlength(res, row, SF_CC_CONTENT_TYPE));
	m.body = sf_bb(PQgetvalue(res, row, SF_CC_BODY),
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
	m.method = bye ? sf_bb("BYE", 3) : sf_bb("INVITE", 6);
	m.ruri = sf_bb(tu.s, tu.len);
	m.from = sf_bb(from, flen);
	m.to = sf_bb(to, tlen);
	m.call_id = sf_bb(PQgetvalue(rec, 0, SF_SC_CALL_ID),
			PQgetlength(rec, 0, SF_SC_CALL_ID));
	m.cseq = cseq;
	m.date = (time_t)sf_db_float(rec, 0, bye ? SF_SC_ENDED : SF_SC_STARTED);
	if(!bye) {
		m.content_type = sf_bb("application/sdp", 15);
		m.body = sf_bb(
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
	parts[n] = sf_bb(bufs[n], len);
	types[n++] = sf_bb("message/sip", 11);
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
		parts[n] = sf_bb(bufs[n], len);
		types[n++] = sf_bb("message/sip", 11);
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
			parts[n] = sf_bb(bufs[n], len);
			types[n++] = sf_bb("message/sip", 11);
			total += len;
		}
	}
	for(tries = 0; tries < 8; tries++) {
		memcpy(bnd, "sfwd-", 5);
		if(sf_rand_id(bnd + 5, 20) < 0)
			goto done;
		if(sf_multipart_boundary_ok(sf_bb(bnd, 25), parts, n))
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
	*plen = sf_multipart_build(sf_bb(bnd, 25), types, parts, n, out, len);
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
static int sf_ms_send_next(sf_mconn_t *c)
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
			if(c->batch && !c->more)
				return 0; /* all sent */
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
	} while(!sf_msrp_tid_ok(sf_bb(c->row_tid, 10), sf_bb(payload, plen)));
	sf_fmt(mid, sizeof(mid), "sfwd-%lld", c->row_id);
	memset(&f, 0, sizeof(f));
	f.to_path = sf_bb(s->client_path, s->client_path_len);
	f.from_path = sf_bb(ours, sf_ms_our_path(c->slot, ours, sizeof(ours)));
	f.message_id = sf_bb(mid, strlen(mid));
	f.content_type = sf_bb(ctype, strlen(ctype));
	for(k = 0; k < sf_msrp_chunks(plen, chunk); k++) {
		flen = sf_msrp_build_chunk(&f, sf_bb(payload, plen), chunk, k,
				sf_bb(c->row_tid, 10), frame,
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
static void sf_ms_on_response(sf_mconn_t *c, sf_msrp_frame_t *f)
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

/* the first SEND binds the connection to its session */
static int sf_ms_bind(sf_mconn_t *c, sf_msrp_frame_t *f)
{
	char ours[SF_MS_PATH_MAX];
	int i, n;

	if(!f->is_request || f->method.len != 4
			|| memcmp(f->method.s, "SEND", 4) != 0)
		return -1;
	lock_get(_sf_ms_lock);
	for(i = 0; i < _sf_cfg.msrp_max_sessions; i++) {
		sf_msess_t *s = &_sf_ms[i];
		if(s->state != SF_MS_WAITING)
			continue;
		n = sf_ms_our_path(i, ours, sizeof(ours));
		if((int)f->to_path.len == n && memcmp(f->to_path.s, ours, n) == 0
				&& (int)f->from_path.len == s->client_path_len
				&& memcmp(f->from_path.s, s->client_path, s->client_path_len)
						   == 0) {
			s->state = SF_MS_BOUND;
			c->slot = i;
			break;
		}
	}
	lock_release(_sf_ms_lock);
	return c->slot >= 0 ? 0 : -1;
}

/* respond to f when its sender wants it */
static void sf_ms_answer(
		sf_mconn_t *c, sf_msrp_frame_t *f, int code, const char *reason)
{
	if(code > 0 && sf_msrp_may_respond(f, code))
		sf_ms_respond(c, f, code, reason);
}

static void sf_ms_msg_free(sf_mconn_t *c)
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
	r.tid = sf_bb(tid, 10);
	r.to_path = f->from_path;
	r.from_path = f->to_path;
	r.message_id = f->message_id;
	r.total = total;
	n = sf_msrp_build_report(&r, 200, out, sizeof(out));
	if(n > 0)
		sf_ms_write(c->fd, out, n);
}

/* a SEND for an ingest session: one chunk of a message to keep */
static void sf_ms_ingest(sf_mconn_t *c, sf_msrp_frame_t *f)
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
			return;
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
			return;
		default: /* EMPTY, ABORT */
			if(act == SF_MSRP_CHUNK_ABORT)
				sf_ms_msg_free(c);
			sf_ms_answer(c, f, v.code, v.reason);
			return;
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
				return;
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
		return;
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
			sf_ms_close(c, "database unavailable");
		}
		return;
	}
	LM_DBG("session message %lld stored (%llu bytes)\n", id, total);
	/* committed: now the sender may hear it */
	sf_ms_answer(c, f, v.code, v.reason);
	sf_ms_success_report(c, f, total);
}

static void sf_ms_on_frame(sf_mconn_t *c, sf_msrp_frame_t *f)
{
	sf_msrp_verdict_t v;
	char ours[SF_MS_PATH_MAX];
	sf_buf_t our_path = {NULL, 0};
	int n;

	c->last = time(NULL);
	if(c->slot >= 0) {
		n = sf_ms_our_path(c->slot, ours, sizeof(ours));
		if(n > 0)
			our_path = sf_bb(ours, n);
	}
	switch(sf_msrp_serve(f, c->slot >= 0, our_path, &v)) {
		case SF_MSRP_ACT_BIND:
			if(sf_ms_bind(c, f) < 0) {
				if(sf_msrp_may_respond(f, 481))
					sf_ms_respond(c, f, 481, "Session Does Not Exist");
				sf_ms_close(c, "no such session");
				return;
			}
			LM_INFO("MSRP session bound for %.*s\n", _sf_ms[c->slot].aor_len,
					_sf_ms[c->slot].aor);
			if(_sf_ms[c->slot].kind == SF_MS_INGEST)
				sf_ms_ingest(c, f); /* the first SEND may hold a message */
			else if(sf_msrp_may_respond(f, 200))
				sf_ms_respond(c, f, 200, "OK");
			return;
		case SF_MSRP_ACT_RESULT:
			sf_ms_on_response(c, f);
			return;
		case SF_MSRP_ACT_CLOSE:
			if(v.code > 0)
				sf_ms_respond(c, f, v.code, v.reason);
			sf_ms_close(c, "not a SEND to bind a session");
			return;
		case SF_MSRP_ACT_RESPOND:
		case SF_MSRP_ACT_NONE:
			/* a SEND for this session: an ingest one keeps it */
			if(_sf_ms[c->slot].kind == SF_MS_INGEST && f->is_request
					&& f->method.len == 4 && memcmp(f->method.s, "SEND", 4) == 0
					&& our_path.s != NULL && f->to_path.len == our_path.len
					&& memcmp(f->to_path.s, our_path.s, our_path.len) == 0) {
				sf_ms_ingest(c, f);
				return;
			}
			if(v.act == SF_MSRP_ACT_RESPOND)
				sf_ms_respond(c, f, v.code, v.reason);
			return;
	}
}

static void sf_ms_read(sf_mconn_t *c)
{
	sf_msrp_frame_t f;
	ssize_t n;
	int used;

	n = recv(c->fd, c->in + c->inlen, SF_MS_INBUF_MAX - c->inlen, MSG_DONTWAIT);
	if(n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		sf_ms_close(c, "closed by the client");
		return;
	}
	if(n < 0)
		return;
	c->inlen += n;
	for(;;) {
		used = sf_msrp_parse(sf_bb(c->in, c->inlen), &f);
		if(used == SF_MSRP_INCOMPLETE) {
			if(c->inlen == SF_MS_INBUF_MAX)
				sf_ms_close(c, "frame too large");
			return;
		}
		if(used < 0) {
			sf_ms_close(c, "malformed frame");
			return;
		}
		sf_ms_on_frame(c, &f);
		if(c->fd < 0)
			return;
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
	}
}

static int sf_ms_listen(void)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if(fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(_sf_ms_port);
	if(inet_pton(AF_INET, _sf_ms_host, &sa.sin_addr) != 1
			|| bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0
			|| listen(fd, SOMAXCONN) < 0
			|| fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		LM_ERR("cannot listen for MSRP on %s:%d: %s\n", _sf_ms_host,
				_sf_ms_port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void sf_ms_accept_one(int fd, struct timeval *tvp)
{
	struct timeval tv = *tvp;
	int i;

	for(i = 0; i < SF_MS_MAX_CONNS; i++) {
		if(_sf_mc[i].fd < 0)
			break;
	}
	if(i == SF_MS_MAX_CONNS
			|| (_sf_mc[i].in = pkg_malloc(SF_MS_INBUF_MAX)) == NULL) {
		LM_WARN("no room for another MSRP connection\n");
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	_sf_mc[i].fd = fd;
	_sf_mc[i].slot = -1;
	_sf_mc[i].inlen = 0;
	_sf_mc[i].last = time(NULL);
	_sf_mc[i].accepted_ms = sf_db_now_ms();
}

/* take every connection waiting (the listening socket does not block):
 * many senders connect at once */
static void sf_ms_accept(int lfd)
{
	struct timeval tv = {5, 0};
	int fd, n;

	for(n = 0; n < SF_MS_MAX_CONNS; n++) {
		fd = accept(lfd, NULL, NULL);
		if(fd < 0)
			return;
		sf_ms_accept_one(fd, &tv);
	}
}


/* ingest sessions no connection will end: ended before one was bound
 * (BYE), or never connected to within msrp_idle_timeout */
static void sf_ms_sweep(time_t now)
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

static void sf_msrp_server_main(void)
{
	struct pollfd pfd[SF_MS_MAX_CONNS + 1];
	int map[SF_MS_MAX_CONNS + 1];
	char owner[256];
	long long next_renew = 0;
	int lfd, i, n;
	time_t now;

	for(i = 0; i < SF_MS_MAX_CONNS; i++) {
		_sf_mc[i].fd = -1;
		_sf_mc[i].slot = -1;
	}
	_sf_ms_owner.len = sf_fmt(owner, sizeof(owner), "%.*s/%d",
			_sf_cfg.node_id.len, _sf_cfg.node_id.s, (int)getpid());
	if(_sf_ms_owner.len < 0)
		return;
	_sf_ms_owner.s = owner;
	sf_db_init(&_sf_msdb, _sf_cfg.db_url, _sf_cfg.flush_db_timeout_ms,
			sf_store_stmts, SF_SQL_COUNT, SF_SCHEMA_VERSION);
	lfd = sf_ms_listen();
	if(lfd < 0)
		return;
	LM_INFO("MSRP listening on %s:%d\n", _sf_ms_host, _sf_ms_port);

	for(;;) {
		cfg_update();
		n = 0;
		pfd[n].fd = lfd;
		pfd[n].events = POLLIN;
		map[n++] = -1;
		for(i = 0; i < SF_MS_MAX_CONNS; i++) {
			if(_sf_mc[i].fd < 0)
				continue;
			pfd[n].fd = _sf_mc[i].fd;
			pfd[n].events = POLLIN;
			map[n++] = i;
		}
		if(poll(pfd, n, 100) < 0 && errno != EINTR)
			continue;
		for(i = 0; i < n; i++) {
			if(!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if(map[i] < 0)
				sf_ms_accept(lfd);
			else if(_sf_mc[map[i]].fd >= 0)
				sf_ms_read(&_sf_mc[map[i]]);
		}
		now = time(NULL);
		for(i = 0; i < SF_MS_MAX_CONNS; i++) {
			sf_mconn_t *c = &_sf_mc[i];
			if(c->fd < 0)
				continue;
			if(c->slot >= 0 && _sf_ms[c->slot].state == SF_MS_ENDED) {
				sf_ms_close(c, "bye");
				continue;
			}
			if(now - c->last > _sf_cfg.msrp_idle_timeout) {
				sf_ms_close(c, "idle");
				continue;
			}
			/* a connection that names no session soon holds nothing */
			if(c->slot < 0
					&& sf_db_now_ms() - c->accepted_ms
							   >= _sf_cfg.msrp_bind_timeout * 1000LL) {
				sf_ms_close(c, "no session bound in time");
				continue;
			}
			if(c->slot >= 0 && _sf_ms[c->slot].kind == SF_MS_RETRIEVE
					&& sf_ms_send_next(c) < 0 && c->stopped)
				sf_ms_release(c);
		}
		sf_ms_sweep(now);
		if(sf_db_now_ms() >= next_renew) {
			sf_store_renew(&_sf_msdb, &_sf_ms_owner, _sf_cfg.lease_time);
			next_renew = sf_db_now_ms() + _sf_cfg.lease_time * 1000LL / 3;
		}
	}
}

int sf_msrp_server_fork(void)
{
	int pid;

	if(!sf_msrp_server_enabled())
		return 0;
	pid = fork_process(PROC_RPC, "sfwd msrp", 1);
	if(pid < 0)
		return -1;
	if(pid == 0) {
		if(cfg_child_init())
			exit(-1);
		sf_msrp_server_main();
		exit(-1);
	}
	return 0;
}
