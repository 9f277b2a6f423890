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

#include "sf_buf.h"
#include "sf_db.h"
#include "sf_msrp.h"
#include "sf_msrp_server.h"
#include "sf_queue.h"
#include "sf_stats.h"
#include "sf_store.h"
#include "sf_text.h"
#include "sf_cfg.h"
#include "sf_tm.h"

#define SF_MS_ID_LEN 24 /* base32: 120 bits from getrandom() */
#define SF_MS_TAG_MAX 128
#define SF_MS_PATH_MAX 512
#define SF_MS_MAX_CONNS 64
#define SF_MS_INBUF_MAX (SF_MSRP_MAX_HEADERS + 65536 + 128)
#define SF_MS_BATCH 50

/* session states */
#define SF_MS_FREE 0
#define SF_MS_WAITING 1 /* answered; the client has not connected yet */
#define SF_MS_BOUND 2	/* a connection serves it */
#define SF_MS_ENDED 3	/* BYE came: close it */

/* one retrieval session, in shared memory */
typedef struct sf_msess
{
	int state;
	int sipfrag; /* payloads as message/sipfrag */
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

int sf_msrp_server_mod_init(void)
{
	if(_sf_cfg.msrp_listen.len == 0)
		return 0;
	if(sf_msrp_server_parse_listen() < 0)
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

int sf_msrp_server_invite(sip_msg_t *msg, const str *aor)
{
	char sdp[1024], hdr[256];
	sf_buf_t body = {NULL, 0}, mline, path, types, setup;
	str sdp_s, hdr_s, totag, reason = str_init("OK"), ftag;
	struct socket_info *si = msg->rcv.bind_address;
	struct cell *t;
	char *b;
	int i, slot = -1, sipfrag, mine = 0;
	time_t now = time(NULL);

	if(!sf_msrp_server_enabled())
		return -1;
	b = get_body(msg);
	if(b == NULL)
		return -1;
	body.s = b;
	body.len = msg->buf + msg->len - b;
	/* an MSRP media line, a path, accept-types we can serve */
	mline.s = NULL;
	for(b = (char *)body.s; b && b < body.s + body.len;) {
		char *eol = memchr(b, '\n', body.s + body.len - b);
		if(body.s + body.len - b > 10 && strncmp(b, "m=message ", 10) == 0) {
			mline.s = b;
			mline.len = (eol ? eol : body.s + body.len) - b;
			break;
		}
		b = eol ? eol + 1 : NULL;
	}
	if(mline.s == NULL || memmem(mline.s, mline.len, "TCP/MSRP", 8) == NULL
			|| !sf_sdp_attr(body, "path", &path) || path.len == 0
			|| path.len >= SF_MS_PATH_MAX) {
		LM_INFO("INVITE for %.*s without a usable MSRP offer\n", aor->len,
				aor->s);
		return -1;
	}
	if(!sf_sdp_attr(body, "accept-types", &types)
			|| sf_has_word(types, "message/sip") || sf_has_word(types, "*"))
		sipfrag = 0;
	else if(sf_has_word(types, "message/sipfrag"))
		sipfrag = 1;
	else {
		LM_INFO("MSRP offer of %.*s accepts neither message/sip nor "
				"message/sipfrag\n",
				aor->len, aor->s);
		return -1;
	}
	if(sf_sdp_attr(body, "setup", &setup) && setup.len == 7
			&& strncasecmp(setup.s, "passive", 7) == 0) {
		LM_INFO("MSRP offer of %.*s wants sfwd to connect (setup:passive); "
				"not supported\n",
				aor->len, aor->s);
		return -1;
	}
	if(msg->callid == NULL || msg->callid->body.len >= 128
			|| aor->len >= (int)sizeof(_sf_ms[0].aor)
			|| parse_from_header(msg) < 0)
		return -1;
	ftag = get_from(msg)->tag_value;
	if(ftag.len <= 0 || ftag.len >= SF_MS_TAG_MAX)
		return -1;

	t = _sf_tmb.t_gett();
	if(t == NULL || t == T_UNDEFINED) {
		if(_sf_tmb.t_newtran(msg) < 0)
			return -2;
	}
	/* the to-tag tm will put in its reply: the dialog BYE must name */
	if(_sf_tmb.t_get_reply_totag(msg, &totag) < 0 || totag.len <= 0
			|| totag.len >= SF_MS_TAG_MAX)
		return -2;

	lock_get(_sf_ms_lock);
	for(i = 0; i < _sf_cfg.msrp_max_sessions; i++) {
		sf_msess_t *s = &_sf_ms[i];
		/* a session never connected to is reused after its idle time */
		if(s->state == SF_MS_WAITING
				&& now - s->created >= _sf_cfg.msrp_idle_timeout)
			s->state = SF_MS_FREE;
		if((s->state == SF_MS_WAITING || s->state == SF_MS_BOUND)
				&& s->aor_len == aor->len
				&& memcmp(s->aor, aor->s, aor->len) == 0)
			mine++;
		if(s->state == SF_MS_FREE && slot < 0)
			slot = i;
	}
	if(mine >= _sf_cfg.msrp_user_sessions) {
		lock_release(_sf_ms_lock);
		LM_INFO("%.*s holds %d MSRP retrieval sessions already\n", aor->len,
				aor->s, mine);
		return -3;
	}
	if(slot >= 0) {
		sf_msess_t *s = &_sf_ms[slot];
		memset(s, 0, sizeof(*s));
		if(sf_rand_id(s->id, SF_MS_ID_LEN) < 0) {
			lock_release(_sf_ms_lock);
			return -2;
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
		s->sipfrag = sipfrag;
		s->created = now;
		s->state = SF_MS_WAITING;
	}
	lock_release(_sf_ms_lock);
	if(slot < 0) {
		LM_WARN("all %d MSRP sessions busy\n", _sf_cfg.msrp_max_sessions);
		return -2;
	}

	sdp_s.s = sdp;
	sdp_s.len = sf_fmt(sdp, sizeof(sdp),
			"v=0\r\n"
			"o=sfwd %u 1 IN IP4 %s\r\n"
			"s=sfwd\r\n"
			"c=IN IP4 %s\r\n"
			"t=0 0\r\n"
			"m=message %d TCP/MSRP *\r\n"
			"a=accept-types:message/sip message/sipfrag\r\n"
			"a=path:msrp://%s:%d/%s;tcp\r\n"
			"a=setup:passive\r\n"
			"a=sendonly\r\n",
			(unsigned)now, _sf_ms_host, _sf_ms_host, _sf_ms_port, _sf_ms_host,
			_sf_ms_port, _sf_ms[slot].id);
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
			|| _sf_tmb.t_reply(msg, 200, reason.s) < 0)
		goto error;
	LM_INFO("MSRP retrieval session for %.*s (call-id %.*s)\n", aor->len,
			aor->s, msg->callid->body.len, msg->callid->body.s);
	return 1;

error:
	lock_get(_sf_ms_lock);
	_sf_ms[slot].state = SF_MS_FREE;
	lock_release(_sf_ms_lock);
	return -2;
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
		/* the MSRP process frees a bound session when it closes it */
		s->state = (s->state == SF_MS_BOUND) ? SF_MS_ENDED : SF_MS_FREE;
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

static void sf_ms_close(sf_mconn_t *c, const char *why)
{
	LM_INFO("MSRP connection %d closed: %s\n", c->fd, why);
	sf_ms_release(c);
	close(c->fd);
	if(c->in)
		pkg_free(c->in);
	if(c->slot >= 0) {
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

/* send the next queued message of c's session; 0 sent or nothing to do */
static int sf_ms_send_next(sf_mconn_t *c)
{
	sf_msess_t *s = &_sf_ms[c->slot];
	char ours[SF_MS_PATH_MAX], mid[48], *from = NULL, *to = NULL;
	char *hdrs = NULL;
	sf_sipmsg_t m;
	sf_msrp_send_t f;
	str aor, fu, fn, ft, tu, tn;
	char *payload = NULL, *frame = NULL;
	int row, plen, flen, i, olen, ret;

	size_t k, chunk = _sf_cfg.msrp_chunk_size;
	PGresult *res;

	if(c->row_id || c->stopped)
		return 0;
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

	/* the stored request as message/sip */
	fu = sf_ms_col(res, row, SF_CC_FROM_URI);
	fn = sf_ms_col(res, row, SF_CC_FROM_NAME);
	ft = sf_ms_col(res, row, SF_CC_FROM_TAG);
	tu = sf_ms_col(res, row, SF_CC_TO_URI);
	tn = sf_ms_col(res, row, SF_CC_TO_NAME);
	memset(&m, 0, sizeof(m));
	/* stored text of any length: buffers sized for it, lengths checked */
	olen = fn.len + fu.len + ft.len + tn.len + tu.len + 32;
	from = pkg_malloc(olen);
	to = pkg_malloc(olen);
	if(from == NULL || to == NULL) {
		PKG_MEM_ERROR;
		goto error;
	}
	flen = sf_fmt(from, olen, "%.*s%s<%.*s>%s%.*s", fn.len, fn.s,
			fn.len ? " " : "", fu.len, fu.s, ft.len ? ";tag=" : "", ft.len,
			ft.s);
	i = sf_fmt(to, olen, "%.*s%s<%.*s>", tn.len, tn.s, tn.len ? " " : "",
			tu.len, tu.s);
	if(flen < 0 || i < 0) {
		LM_ERR("cannot build From/To of message %lld\n",
				sf_db_int(res, row, SF_CC_ID));
		goto error;
	}
	m.from = sf_bb(from, flen);
	m.to = sf_bb(to, i);
	m.ruri = sf_bb(tu.s, tu.len);
	m.call_id = sf_bb(PQgetvalue(res, row, SF_CC_CALL_ID),
			PQgetlength(res, row, SF_CC_CALL_ID));
	m.cseq = (unsigned int)sf_db_int(res, row, SF_CC_CSEQ);
	/* stored headers are untrusted: one Expires (what is left), every line
	 * ended, in a buffer sized for the rewrite (as a SIP replay) */
	{
		int hl = PQgetlength(res, row, SF_CC_HEADERS), n;
		long long left =
				sf_db_int(res, row, SF_CC_EXPIRES) - (long long)time(0);
		hdrs = pkg_malloc(hl + SF_EXPIRES_GROWTH + 1);
		if(hdrs == NULL) {
			PKG_MEM_ERROR;
			goto error;
		}
		n = sf_hdrs_set_expires(PQgetvalue(res, row, SF_CC_HEADERS), hl,
				left < 0 ? 0 : left, hdrs, hl + SF_EXPIRES_GROWTH + 1);
		if(n < 0)
			n = 0;
		m.headers = sf_bb(hdrs, n);
	}
	m.content_type = sf_bb(PQgetvalue(res, row, SF_CC_CONTENT_TYPE),
			PQgetlength(res, row, SF_CC_CONTENT_TYPE));
	m.body = sf_bb(PQgetvalue(res, row, SF_CC_BODY),
			PQgetlength(res, row, SF_CC_BODY));
	m.date = (time_t)sf_db_float(res, row, SF_CC_RECEIVED);
	plen = m.body.len + m.headers.len + m.from.len + m.to.len + m.ruri.len
		   + m.call_id.len + m.content_type.len + 1024;
	payload = pkg_malloc(plen);
	frame = pkg_malloc(chunk + SF_MS_PATH_MAX * 2 + 1024);
	if(payload == NULL || frame == NULL) {
		PKG_MEM_ERROR;
		goto error;
	}
	plen = sf_sipmsg_build(&m, payload, plen);
	if(plen < 0) {
		/* this row alone: the ones behind it are still fetched */
		LM_ERR("cannot wrap message %lld as message/sip: skipped\n",
				sf_db_int(res, row, SF_CC_ID));
		ret = 0;
		goto done;
	}

	c->row_id = sf_db_int(res, row, SF_CC_ID);
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
	f.content_type = s->sipfrag ? sf_bb("message/sipfrag", 15)
								: sf_bb("message/sip", 11);
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
	LM_DBG("message %lld sent over MSRP in %d chunks\n", c->row_id,
			c->row_chunks);
	ret = 0;
	goto done;

error:
	c->stopped = 1;
	ret = -1;
done:
	if(hdrs)
		pkg_free(hdrs);
	if(payload)
		pkg_free(payload);
	if(frame)
		pkg_free(frame);
	if(from)
		pkg_free(from);
	if(to)
		pkg_free(to);
	return ret;
}

/* the client's response to one of our chunks */
static void sf_ms_on_response(sf_mconn_t *c, sf_msrp_frame_t *f)
{
	char ids[32];

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
	sf_fmt(ids, sizeof(ids), "{%lld}", c->row_id);
	if(sf_store_delete(&_sf_msdb, &_sf_ms_owner, ids) < 0) {
		LM_WARN("message %lld delivered over MSRP but not deleted (it "
				"comes again)\n",
				c->row_id);
	} else {
		str aor;
		LM_INFO("message %lld delivered over MSRP\n", c->row_id);
		update_stat(_sf_stat_delivered, 1);
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
			if(sf_msrp_may_respond(f, 200))
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
			|| listen(fd, 16) < 0) {
		LM_ERR("cannot listen for MSRP on %s:%d: %s\n", _sf_ms_host,
				_sf_ms_port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void sf_ms_accept(int lfd)
{
	struct timeval tv = {5, 0};
	int fd, i;

	fd = accept(lfd, NULL, NULL);
	if(fd < 0)
		return;
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
	LM_INFO("MSRP retrieval listening on %s:%d\n", _sf_ms_host, _sf_ms_port);

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
				sf_ms_close(c, "BYE");
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
			if(c->slot >= 0 && sf_ms_send_next(c) < 0 && c->stopped)
				sf_ms_release(c);
		}
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
