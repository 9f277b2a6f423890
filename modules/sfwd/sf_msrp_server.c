/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the MSRP process (listener, connections, read loop, frame
 *   dispatch) and the SIP side of its sessions (offer, slot, SDP answer,
 *   BYE); what a session carries: sf_msrp_retrieve.c, sf_msrp_ingest.c
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
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
#include "core/socket_info.h"
#include "core/sr_module.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_to.h"
#include "core/data_lump_rpl.h"

#include "sf_buf.h"
#include "sf_cfg.h"
#include "sf_db.h"
#include "sf_msrp.h"
#include "sf_msrp_conn.h"
#include "sf_msrp_ingest.h"
#include "sf_msrp_retrieve.h"
#include "sf_msrp_server.h"
#include "sf_stats.h"
#include "sf_store.h"
#include "sf_tm.h"

#define SF_MS_MAX_CONNS 256
#define SF_MS_INBUF_MAX (SF_MSRP_MAX_HEADERS + 65536 + 128)

static sf_mconn_t _sf_mc[SF_MS_MAX_CONNS];

int sf_msrp_server_enabled(void)
{
	return _sf_ms != NULL;
}

int sf_msrp_server_mod_init(void)
{
	if(_sf_cfg.msrp_listen.len == 0)
		return 0;
	if(sf_ms_table_init() < 0
			|| sf_stats_gauge("sessions_open", sf_ms_sessions_open) < 0)
		return -1;
	register_procs(1);
	cfg_register_child(1);
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

int sf_msrp_server_accept(
		sip_msg_t *msg, const sf_session_req_t *r, const str *accept_types)
{
	sf_buf_t body, path, types;
	sf_ms_ingest_t *ing;
	str sdp;
	char attrs[4300];
	int slot, passive;

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
	ing = sf_ms_ingest_block(msg, r, &sdp);
	if(ing == NULL)
		return -2;

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

static void sf_ms_close(sf_mconn_t *c, const char *why)
{
	LM_INFO("MSRP connection %d closed: %s\n", c->fd, why);
	sf_ms_release(c);
	close(c->fd);
	if(c->in)
		pkg_free(c->in);
	sf_ms_msg_free(c);
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

/* a SEND for an ingest session: kept; the store gone ends the session
 * (the sender tries later) */
static void sf_ms_keep(sf_mconn_t *c, sf_msrp_frame_t *f)
{
	if(sf_ms_ingest(c, f) < 0)
		sf_ms_close(c, "database unavailable");
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
			our_path = sf_bufv(ours, n);
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
				sf_ms_keep(c, f); /* the first SEND may hold a message */
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
				sf_ms_keep(c, f);
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
		used = sf_msrp_parse(sf_bufv(c->in, c->inlen), &f);
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
