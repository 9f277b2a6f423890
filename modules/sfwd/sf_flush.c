/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: flusher processes: claim, replay through tm, outcome
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/mem/shm.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_param.h"
#include "core/parser/parse_rr.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_uri.h"
#include "core/socket_info.h"
#include "core/forward.h"
#include "core/strutils.h"
#include "core/pt.h"
#include "core/sr_module.h"
#include "core/ut.h"
#include "modules/tm/dlg.h"
#include "modules/tm/t_hooks.h"
#include "modules/tm/uac.h"

#include "sf_buf.h"
#include "sf_db.h"
#include "sf_flush.h"
#include "sf_event.h"
#include "sf_fetch.h"
#include "sf_msrp_server.h"
#include "sf_stats.h"
#include "sf_notify.h"
#include "sf_queue.h"
#include "sf_imdn.h"
#include "sf_store.h"
#include "sf_text.h"
#include "sf_ul.h"
#include "sf_cfg.h"
#include "sf_tm.h"

#define SF_MAX_CONTACTS 16
#define SF_RESULTS_AT_ONCE 256
#define SF_SWEEP_LIMIT 1000
/* a request larger than this cannot go in one UDP datagram (65,507 bytes
 * of payload, less room for what tm adds): it goes over TCP or fails */
#define SF_UDP_MAX 65000

struct sf_sess;

/* one row in flight: sent to every contact, waiting for their replies */
typedef struct sf_flight
{
	struct sf_flight *next;
	uint64_t token;
	struct sf_sess *sess;
	int row; /* in sess->batch */
	long long id;
	int attempts;
	int pending;	   /* contacts that have not answered */
	int retry;		   /* some contact answered with a temporary failure */
	int code;		   /* the last non-2xx code */
	int oversize;	   /* too large for UDP: a local failure is 513 */
	int notice;		   /* a notice of content to fetch (sf_http.h) */
	long long sent_at; /* ms: a lost result must not stall the session */
} sf_flight_t;

/* one AoR being flushed */
typedef struct sf_sess
{
	struct sf_sess *next;
	str aor; /* pkg, NUL-terminated */
	int due_only;
	PGresult *batch; /* claimed rows */
	int *order;		 /* batch row indexes in id order */
	int nrows;
	int next_row;
	long long last_id;
	int more;			   /* the batch was full: claim again when done */
	int stop;			   /* a contact did not answer: send no more now */
	int changed;		   /* a row left the queue: publish the summary */
	int inflight;		   /* rows in flight */
	int sent;			   /* rows sent since the session began */
	long long retry_at_ms; /* claim again not before */
	sf_contact_t contacts[SF_MAX_CONTACTS];
	int ncontacts;
} sf_sess_t;

/* the state of this flusher process */
static int _sf_q = -1;
static sf_db_t _sf_fdb;
static str _sf_owner = STR_NULL;
static sf_sess_t *_sf_sessions = NULL;
static sf_flight_t *_sf_flights = NULL;
static uint64_t _sf_seq = 0;
/* replay transactions whose outcome has not come back through the ring
 * yet (each calls sf_tm_cb once): never more than the ring holds, so that
 * no outcome is lost and no delivered message is sent again */
static int _sf_owed = 0;
static long long _sf_owed_seen_ms = 0; /* last outcome taken from the ring */
/* AoRs whose message summary is to be published (after the DELETE) */
typedef struct sf_mwi_item
{
	struct sf_mwi_item *next;
	str aor;
} sf_mwi_item_t;
static sf_mwi_item_t *_sf_mwi_pending = NULL;
/* delivered rows waiting for one DELETE */
static char *_sf_del_buf = NULL;
static int _sf_del_len = 0;
static int _sf_del_size = 0;
static int _sf_del_n = 0;

/* ------------------------------------------------------------------ */
/* sending */

/* tm: the final reply of a replayed MESSAGE (any process) */
static void sf_tm_cb(struct cell *t, int type, struct tmcb_params *ps)
{
	uint64_t token = (uint64_t)(uintptr_t)(*ps->param);

	if(sf_queue_push_result(token, ps->code, ps->rpl == FAKED_REPLY) < 0)
		LM_WARN("result ring of flusher %d full, a replay outcome is "
				"lost (the row is retried after its lease)\n",
				SF_TOKEN_QUEUE(token));
}

/* "name <uri>" or "<uri>" in buf: tm prints a URI ending in '>' as is */
static int sf_name_addr(
		const char *name, int nlen, const char *uri, int ulen, str *out)
{
	out->s = pkg_malloc(nlen + ulen + 4);
	if(out->s == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	out->len = 0;
	if(nlen > 0) {
		memcpy(out->s, name, nlen);
		out->s[nlen] = ' ';
		out->len = nlen + 1;
	}
	out->s[out->len++] = '<';
	memcpy(out->s + out->len, uri, ulen);
	out->len += ulen;
	out->s[out->len++] = '>';
	return 0;
}

#define COL(r, c) PQgetvalue(res, (r), (c))
#define LEN(r, c) PQgetlength(res, (r), (c))

/* the stored headers, every Expires replaced by one with what is left of
 * the lifetime, then the Content-Type; pkg, caller frees. Stored text is
 * untrusted: the buffer is sized for the rewritten text, not the stored */
static int sf_replay_headers(PGresult *res, int row, str *out)
{
	const char *h = COL(row, SF_CC_HEADERS);
	int hlen = LEN(row, SF_CC_HEADERS), ctlen = LEN(row, SF_CC_CONTENT_TYPE);
	long long left = sf_db_int(res, row, SF_CC_EXPIRES) - (long long)time(0);
	size_t size = (size_t)hlen + SF_EXPIRES_GROWTH + 16 + ctlen + 3;
	int n;

	out->s = pkg_malloc(size);
	if(out->s == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	n = sf_hdrs_set_expires(h, hlen, left < 0 ? 0 : left, out->s, size);
	if(n < 0 || size - n < 16 + (size_t)ctlen + 1) {
		LM_ERR("cannot rewrite the headers of message %lld\n",
				sf_db_int(res, row, SF_CC_ID));
		pkg_free(out->s);
		out->s = NULL;
		return -1;
	}
	memcpy(out->s + n, "Content-Type: ", 14);
	n += 14;
	memcpy(out->s + n, COL(row, SF_CC_CONTENT_TYPE), ctlen);
	n += ctlen;
	memcpy(out->s + n, "\r\n", 2);
	n += 2;
	out->len = n;
	return 0;
}

/* does host:port (an IP literal) accept a TCP connection within a second?
 * 1 yes, 0 no, -1 cannot tell (a name, not an address) */
static int sf_tcp_reachable(const str *host, unsigned short port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	char h[64];
	struct pollfd p;
	socklen_t sl;
	int fd, err = 0, r;
	socklen_t el = sizeof(err);

	if(host->len <= 0 || host->len >= (int)sizeof(h))
		return -1;
	memcpy(h, host->s, host->len);
	h[host->len] = '\0';
	if(h[0] == '[' && host->len > 2 && h[host->len - 1] == ']') {
		memmove(h, h + 1, host->len - 2);
		h[host->len - 2] = '\0';
	}
	memset(&ss, 0, sizeof(ss));
	if(inet_pton(AF_INET, h, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
	} else if(inet_pton(AF_INET6, h, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
	} else {
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if(fd < 0)
		return -1;
	r = connect(fd, (struct sockaddr *)&ss, sl);
	if(r < 0 && errno == EINPROGRESS) {
		p.fd = fd;
		p.events = POLLOUT;
		p.revents = 0;
		r = (poll(&p, 1, 1000) == 1
					&& getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0
					&& err == 0)
					? 0
					: -1;
	}
	close(fd);
	return r == 0 ? 1 : 0;
}

/* a request too large for UDP to a contact reached over UDP: over TCP to
 * the same address when nothing in between (no NAT binding, no Path) says
 * UDP only; *dst gets the destination URI (pkg, caller frees) and *sock
 * a TCP socket. 0 go over TCP, -1 cannot */
static int sf_tcp_target(sf_contact_t *ct, str *dst, struct socket_info **sock)
{
	sip_uri_t u;
	char buf[300];
	int n;

	if(ct->received.len > 0 || ct->path.len > 0 || ct->sock == NULL)
		return -1;
	if(parse_uri(ct->uri.s, ct->uri.len, &u) < 0 || u.host.len == 0)
		return -1;
	/* RFC 3261 18.1.1: a request too large for UDP goes over TCP, which
	 * every UA implements, also when the contact says transport=udp */
	if(u.transport_val.len > 0
			&& !(u.transport_val.len == 3
					&& (strncasecmp(u.transport_val.s, "tcp", 3) == 0
							|| strncasecmp(u.transport_val.s, "udp", 3) == 0)))
		return -1;
	/* tm takes a refused connection for a timeout after fr_timer, with
	 * every later message of the queue waiting: look first (1 s) */
	if(sf_tcp_reachable(&u.host, u.port_no ? u.port_no : SIP_PORT) == 0) {
		LM_INFO("%.*s takes no TCP connection\n", ct->uri.len, ct->uri.s);
		return -1;
	}
	*sock = grep_sock_info(
			&ct->sock->address_str, ct->sock->port_no, PROTO_TCP);
	if(*sock == NULL)
		*sock = grep_sock_info(&ct->sock->address_str, 0, PROTO_TCP);
	if(*sock == NULL)
		return -1;
	n = sf_fmt(buf, sizeof(buf), "sip:%.*s:%d;transport=tcp", u.host.len,
			u.host.s, u.port_no ? (int)u.port_no : SIP_PORT);
	if(n < 0)
		return -1;
	dst->s = pkg_malloc(n + 1);
	if(dst->s == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	memcpy(dst->s, buf, n + 1);
	dst->len = n;
	return 0;
}

/* the route set of a contact registered with a Path (RFC 3327) into *rr;
 * a first hop that is this node itself is dropped, as registrar's
 * path_check_local does for lookup(): the contact's connection is here,
 * named by the hop's received parameter (path's use_received: an escaped
 * URI, copied into dst, MAX_URI_SIZE bytes) or else by the contact's own
 * received. A detour through this node's own socket would take the
 * request for one from outside (identity headers removed) and open a
 * connection to itself. 0 ok (*rr may be NULL: no hop left), -1 bad Path */
static int sf_path_route(sf_contact_t *ct, rr_t **rr, char *dst, str *dst_uri)
{
	sip_uri_t u;
	param_hooks_t hooks;
	param_t *params = NULL;
	rr_t *rest;
	str out;

	*rr = NULL;
	dst_uri->s = NULL;
	dst_uri->len = 0;
	if(parse_rr_body(ct->path.s, ct->path.len, rr) < 0 || *rr == NULL)
		return -1;
	if(parse_uri((*rr)->nameaddr.uri.s, (*rr)->nameaddr.uri.len, &u) < 0)
		return -1;
	if(check_self(&u.host, u.port_no ? u.port_no : SIP_PORT, 0) != 1)
		return 0;
	if(u.params.len > 0
			&& parse_params(&u.params, CLASS_CONTACT, &hooks, &params) == 0) {
		if(hooks.contact.received != NULL
				&& hooks.contact.received->body.len > 0
				&& hooks.contact.received->body.len < MAX_URI_SIZE) {
			out.s = dst;
			out.len = MAX_URI_SIZE - 1;
			if(unescape_user(&hooks.contact.received->body, &out) == 0
					&& out.len > 0 && out.len < MAX_URI_SIZE) {
				dst[out.len] = '\0';
				*dst_uri = out;
			}
		}
		free_params(params);
	}
	rest = (*rr)->next;
	(*rr)->next = NULL;
	free_rr(rr);
	*rr = rest;
	return 0;
}

/* send one MESSAGE of row to contact ct; 0 sent, -1 not, -2 too large
 * for the only transport the contact has */
static int sf_send_one(PGresult *res, int row, sf_contact_t *ct, str *loc,
		str *rem, str *hdrs, str *body, uint64_t token, int oversize)
{
	str tcp_dst = STR_NULL;
	struct socket_info *tcp_sock = NULL;
	static str method = str_init("MESSAGE");
	str callid, ftag;
	dlg_t *dlg = NULL;
	uac_req_t uac_r;
	rr_t *rr = NULL;
	char path_dst_buf[MAX_URI_SIZE];
	str path_dst = STR_NULL;
	int via_path = 0;
	int ret;

	callid.s = COL(row, SF_CC_CALL_ID);
	callid.len = LEN(row, SF_CC_CALL_ID);
	ftag.s = COL(row, SF_CC_FROM_TAG);
	ftag.len = LEN(row, SF_CC_FROM_TAG);
	if(oversize && (ct->sock == NULL || ct->sock->proto == PROTO_UDP)) {
		if(sf_tcp_target(ct, &tcp_dst, &tcp_sock) < 0) {
			LM_INFO("message %lld is too large for UDP and %.*s has no "
					"other transport\n",
					sf_db_int(res, row, SF_CC_ID), ct->uri.len, ct->uri.s);
			return -2;
		}
	}

	if(_sf_tmb.new_dlg_uac(&callid, ftag.len ? &ftag : NULL,
			   (unsigned int)sf_db_int(res, row, SF_CC_CSEQ), loc, rem, &dlg)
			< 0) {
		LM_ERR("cannot build the replay of message %lld\n",
				sf_db_int(res, row, SF_CC_ID));
		if(tcp_dst.s)
			pkg_free(tcp_dst.s);
		return -1;
	}
	if(ct->path.len > 0) {
		/* Path: the route set towards the contact */
		if(sf_path_route(ct, &rr, path_dst_buf, &path_dst) < 0
				|| (rr != NULL && shm_duplicate_rr(&dlg->route_set, rr) < 0)) {
			LM_ERR("bad Path of a contact of message %lld\n",
					sf_db_int(res, row, SF_CC_ID));
			free_rr(&rr);
			_sf_tmb.free_dlg(dlg);
			if(tcp_dst.s)
				pkg_free(tcp_dst.s);
			return -1;
		}
		via_path = rr != NULL;
		free_rr(&rr);
	}
	/* the next hop: TCP for a large request, else a Path hop (the route
	 * set), else the connection a local Path hop names, else the
	 * contact's received address, else the contact itself */
	if(_sf_tmb.set_dlg_target(dlg, &ct->uri,
			   tcp_dst.s		  ? &tcp_dst
			   : via_path		  ? NULL
			   : path_dst.len	  ? &path_dst
			   : ct->received.len ? &ct->received
								  : NULL)
			< 0) {
		_sf_tmb.free_dlg(dlg);
		if(tcp_dst.s)
			pkg_free(tcp_dst.s);
		return -1;
	}
	dlg->send_sock = tcp_sock ? tcp_sock : ct->sock;
	if(tcp_dst.s) {
		LM_DBG("message %lld goes over TCP to %.*s\n",
				sf_db_int(res, row, SF_CC_ID), tcp_dst.len, tcp_dst.s);
		pkg_free(tcp_dst.s);
	}
	set_uac_req(&uac_r, &method, hdrs, body, dlg, TMCB_LOCAL_COMPLETED,
			sf_tm_cb, (void *)(uintptr_t)token);
	ret = _sf_tmb.t_uac(&uac_r);
	_sf_tmb.free_dlg(dlg);
	if(ret < 0) {
		LM_INFO("cannot send message %lld to %.*s (%d)\n",
				sf_db_int(res, row, SF_CC_ID), ct->uri.len, ct->uri.s, ret);
		return -1;
	}
	_sf_owed++;
	return 0;
}

static void sf_outcome(sf_flight_t *f, int code, int local);

/* is row's content fetched over HTTP instead of sent (sf_http.h)? */
static int sf_row_notice(PGresult *res, int row)
{
	if(_sf_cfg.http_url.len == 0)
		return 0;
	return COL(row, SF_CC_DELIVER_NOTIFY)[0] != 0
		   || (_sf_cfg.fetch_threshold > 0
				   && LEN(row, SF_CC_BODY) > _sf_cfg.fetch_threshold);
}

/* copy stored header `name` ("Name: value\r\n") to w when present */
static void sf_notice_hdr(sf_wr_t *w, PGresult *res, int row, const char *name)
{
	const char *v;
	size_t vlen;

	v = sf_hdr_value(
			COL(row, SF_CC_HEADERS), LEN(row, SF_CC_HEADERS), name, &vlen);
	if(v == NULL)
		return;
	sf_put(w, name, strlen(name));
	SF_PUTS(w, ": ");
	sf_put(w, v, vlen);
	SF_PUTS(w, "\r\n");
}

/* a notice's headers: Date, Subject and P-Asserted-Identity as stored,
 * then its own Content-Type */
static void sf_notice_hdrs(sf_wr_t *w, PGresult *res, int row)
{
	static const char *const kept[] = {
			"Date", "Subject", "P-Asserted-Identity"};
	size_t i;

	for(i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		sf_notice_hdr(w, res, row, kept[i]);
	SF_PUTS(w, "Content-Type: text/plain;charset=utf-8\r\n");
}

/* the notice of a row's content to fetch: its text (body, pkg) and
 * headers (hdrs, pkg: Date, Subject and P-Asserted-Identity as stored,
 * Content-Type text/plain); the row gets its token first. 0, or -1 */
static int sf_notice_build(PGresult *res, int row, str *body, str *hdrs)
{
	char token[SF_FETCH_TOKEN_LEN + 1], url[512], idbuf[24];
	const char *v[3];
	sf_fetch_notice_in_t in;
	sf_buf_t sub;
	size_t slen;
	PGresult *r;
	sf_wr_t w;
	int n;

	body->s = hdrs->s = NULL;
	if(LEN(row, SF_CC_FETCH_TOKEN) == SF_FETCH_TOKEN_LEN) {
		memcpy(token, COL(row, SF_CC_FETCH_TOKEN), SF_FETCH_TOKEN_LEN + 1);
	} else {
		if(sf_fetch_token(token) < 0) {
			LM_ERR("no random bytes for a token\n");
			return -1;
		}
		sf_fmt(idbuf, sizeof(idbuf), "%lld", sf_db_int(res, row, SF_CC_ID));
		v[0] = idbuf;
		v[1] = token;
		v[2] = _sf_owner.s;
		r = sf_db_exec(&_sf_fdb, SF_SQL_FETCH_TOKEN, v, NULL, NULL, 0);
		if(r == NULL || PQntuples(r) != 1
				|| !sf_fetch_token_valid(
						PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0))) {
			if(r)
				PQclear(r);
			return -1;
		}
		memcpy(token, PQgetvalue(r, 0, 0), SF_FETCH_TOKEN_LEN);
		PQclear(r);
	}
	if(sf_fetch_url(url, sizeof(url),
			   sf_bufv(_sf_cfg.http_url.s, _sf_cfg.http_url.len), "m", token)
			< 0) {
		LM_ERR("http_url is too long for a link\n");
		return -1;
	}
	memset(&in, 0, sizeof(in));
	in.from_name =
			sf_bufv(COL(row, SF_CC_FROM_NAME), LEN(row, SF_CC_FROM_NAME));
	in.from_uri = sf_bufv(COL(row, SF_CC_FROM_URI), LEN(row, SF_CC_FROM_URI));
	sub.s = sf_hdr_value(
			COL(row, SF_CC_HEADERS), LEN(row, SF_CC_HEADERS), "Subject", &slen);
	sub.len = sub.s ? slen : 0;
	in.subject = sub;
	in.content_type =
			sf_bufv(COL(row, SF_CC_CONTENT_TYPE), LEN(row, SF_CC_CONTENT_TYPE));
	in.size = LEN(row, SF_CC_BODY);
	in.url = sf_bufv(url, strlen(url));
	body->s = pkg_malloc(SF_FETCH_NOTICE_MAX);
	if(body->s == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	n = sf_fetch_notice(body->s, SF_FETCH_NOTICE_MAX, &in);
	if(n < 0)
		goto error;
	body->len = n;
	/* the headers: counted, then written */
	sf_wr_init(&w, NULL, 0);
	sf_notice_hdrs(&w, res, row);
	n = (int)w.len + 1;
	hdrs->s = pkg_malloc(n);
	if(hdrs->s == NULL) {
		PKG_MEM_ERROR;
		goto error;
	}
	sf_wr_init(&w, hdrs->s, n);
	sf_notice_hdrs(&w, res, row);
	hdrs->len = sf_wr_end(&w);
	if(hdrs->len < 0)
		goto error;
	return 0;
error:
	if(body->s)
		pkg_free(body->s);
	if(hdrs->s)
		pkg_free(hdrs->s);
	body->s = hdrs->s = NULL;
	return -1;
}

/* send the session's next row to every contact */
static void sf_send_row(sf_sess_t *s)
{
	PGresult *res = s->batch;
	int row = s->order[s->next_row++];
	sf_flight_t *f;
	str loc = STR_NULL, rem = STR_NULL, hdrs = STR_NULL, body,
		notice = STR_NULL;
	int i, r, sent = 0, too_big = 0;

	f = pkg_malloc(sizeof(*f));
	if(f == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	memset(f, 0, sizeof(*f));
	f->id = sf_db_int(res, row, SF_CC_ID);
	f->row = row;
	f->attempts = (int)sf_db_int(res, row, SF_CC_ATTEMPTS);
	f->sess = s;
	f->token = SF_TOKEN(_sf_q, ++_sf_seq);
	f->sent_at = sf_db_now_ms();
	f->code = 500;
	f->next = _sf_flights;
	_sf_flights = f;
	s->inflight++;

	if(sf_name_addr(COL(row, SF_CC_FROM_NAME), LEN(row, SF_CC_FROM_NAME),
			   COL(row, SF_CC_FROM_URI), LEN(row, SF_CC_FROM_URI),
			   &loc) < 0
			|| sf_name_addr(COL(row, SF_CC_TO_NAME), LEN(row, SF_CC_TO_NAME),
					   COL(row, SF_CC_TO_URI), LEN(row, SF_CC_TO_URI), &rem)
					   < 0)
		goto done;
	f->notice = sf_row_notice(res, row);
	if(f->notice) {
		if(sf_notice_build(res, row, &notice, &hdrs) < 0) {
			LM_ERR("cannot build the notice of message %lld\n", f->id);
			goto done;
		}
		body = notice;
	} else {
		if(sf_replay_headers(res, row, &hdrs) < 0)
			goto done;
		body.s = COL(row, SF_CC_BODY);
		body.len = LEN(row, SF_CC_BODY);
	}
	f->oversize = body.len + hdrs.len + loc.len + rem.len
						  + LEN(row, SF_CC_CALL_ID) + 1024
				  > SF_UDP_MAX;
	/* count first: a reply may come back before the loop ends */
	f->pending = s->ncontacts;
	for(i = 0; i < s->ncontacts; i++) {
		r = sf_send_one(res, row, &s->contacts[i], &loc, &rem, &hdrs, &body,
				f->token, f->oversize);
		if(r == 0) {
			sent++;
		} else {
			f->pending--;
			if(r == -2)
				too_big++;
			else
				f->retry = 1;
		}
	}
	LM_DBG("message %lld for %.*s sent to %d of %d contacts\n", f->id,
			s->aor.len, s->aor.s, sent, s->ncontacts);
done:
	if(loc.s)
		pkg_free(loc.s);
	if(rem.s)
		pkg_free(rem.s);
	if(hdrs.s)
		pkg_free(hdrs.s);
	if(notice.s)
		pkg_free(notice.s);
	if(sent == 0) {
		f->pending = 1;
		if(too_big > 0 && !f->retry) {
			/* no contact can take it: it fails alone, the rest go on */
			sf_outcome(f, 513, 0);
		} else {
			f->retry = 1;
			sf_outcome(f, 500, 1);
		}
	}
}

/* ------------------------------------------------------------------ */
/* reports and summaries */

static str sf_col(PGresult *res, int row, int col)
{
	str s;

	s.s = PQgetvalue(res, row, col);
	s.len = PQgetisnull(res, row, col) ? 0 : PQgetlength(res, row, col);
	return s;
}

/* the report on a claimed row, if its sender asked for one */
static void sf_report_row(sf_flight_t *f, int status)
{
	PGresult *res = f->sess->batch;
	static const sf_report_cols_t cols = {SF_CC_ID, SF_CC_FROM_URI,
			SF_CC_FROM_NAME, SF_CC_TO_URI, SF_CC_IMDN_ID, SF_CC_RECEIVED,
			SF_CC_IMDN_DATETIME, SF_CC_NOTIFY};
	sf_report_src_t src;

	sf_report_src_row(&src, res, f->row, &cols);
	sf_report(&src, status);
}

static void sf_event_row(
		sf_flight_t *f, int delivered, const char *state, int code)
{
	str from = sf_col(f->sess->batch, f->row, SF_CC_FROM_URI);

	sf_event_outcome(delivered, f->id, &f->sess->aor, &from, state, code);
}

static void sf_mwi_later(const str *aor)
{
	sf_mwi_item_t *m;

	if(!_sf_cfg.mwi)
		return;
	for(m = _sf_mwi_pending; m != NULL; m = m->next) {
		if(m->aor.len == aor->len && memcmp(m->aor.s, aor->s, aor->len) == 0)
			return;
	}
	m = pkg_malloc(sizeof(*m) + aor->len);
	if(m == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	m->aor.s = (char *)(m + 1);
	m->aor.len = aor->len;
	memcpy(m->aor.s, aor->s, aor->len);
	m->next = _sf_mwi_pending;
	_sf_mwi_pending = m;
}

static void sf_mwi_run(void)
{
	sf_mwi_item_t *m, **pp = &_sf_mwi_pending;

	while((m = *pp) != NULL) {
		/* a SUBSCRIBE of this AoR is being answered: after it */
		if(sf_mwi_publish_held(&_sf_fdb, &m->aor) == 2) {
			pp = &m->next;
			continue;
		}
		*pp = m->next;
		pkg_free(m);
	}
}

/* ------------------------------------------------------------------ */
/* outcomes */

static void sf_del_add(long long id)
{
	char num[24];
	int n = sf_fmt(num, sizeof(num), "%lld", id);

	if(_sf_del_len + n + 3 > _sf_del_size) {
		int size = _sf_del_size ? 2 * _sf_del_size : 1024;
		char *b = pkg_realloc(_sf_del_buf, size);
		if(b == NULL) {
			PKG_MEM_ERROR;
			return; /* the row stays; its lease ends; it is sent again */
		}
		_sf_del_buf = b;
		_sf_del_size = size;
	}
	if(_sf_del_len == 0)
		_sf_del_buf[_sf_del_len++] = '{';
	else
		_sf_del_buf[_sf_del_len++] = ',';
	memcpy(_sf_del_buf + _sf_del_len, num, n);
	_sf_del_len += n;
	_sf_del_n++;
}

/* one DELETE for every row delivered since the last call */
static void sf_del_flush(void)
{
	int n;

	if(_sf_del_n == 0)
		return;
	_sf_del_buf[_sf_del_len] = '}';
	_sf_del_buf[_sf_del_len + 1] = '\0';
	n = sf_store_delete(&_sf_fdb, &_sf_owner, _sf_del_buf);
	if(n < 0) {
		/* keep them for the next round; the lease is renewed meanwhile */
		_sf_del_buf[_sf_del_len] = '\0';
		return;
	}
	LM_DBG("deleted %d delivered messages\n", n);
	_sf_del_len = 0;
	_sf_del_n = 0;
}

static void sf_flight_free(sf_flight_t *f)
{
	sf_flight_t **pp;

	for(pp = &_sf_flights; *pp != NULL; pp = &(*pp)->next) {
		if(*pp == f) {
			*pp = f->next;
			break;
		}
	}
	f->sess->inflight--;
	pkg_free(f);
}

/* one contact's final reply for flight f; local: made by tm here (no
 * answer, cannot send), so the rest of the batch would fare no better */
static void sf_outcome(sf_flight_t *f, int code, int local)
{
	int out = sf_outcome_of(code), delay;

	if(out == SF_OUT_DELIVERED && f->notice) {
		/* the recipient knows: the content waits for its GET */
		char idbuf[24];
		const char *v[2];
		PGresult *r;

		LM_INFO("message %lld: notice delivered to %.*s (%d)\n", f->id,
				f->sess->aor.len, f->sess->aor.s, code);
		sf_fmt(idbuf, sizeof(idbuf), "%lld", f->id);
		v[0] = idbuf;
		v[1] = _sf_owner.s;
		r = sf_db_exec(&_sf_fdb, SF_SQL_NOTIFIED, v, NULL, NULL, 0);
		if(r != NULL)
			PQclear(r);
		update_stat(_sf_stat_notified, 1);
		f->sess->changed = 1;
		sf_flight_free(f);
		return;
	}
	if(out == SF_OUT_DELIVERED) {
		LM_DBG("message %lld delivered to %.*s (%d)\n", f->id, f->sess->aor.len,
				f->sess->aor.s, code);
		sf_del_add(f->id);
		update_stat(_sf_stat_delivered, 1);
		sf_report_row(f, SF_IMDN_DELIVERED);
		sf_event_row(f, 1, "delivered", code);
		f->sess->changed = 1;
		if(f->sess->due_only) {
			/* reachable again: everything may go, not only what was due */
			f->sess->due_only = 0;
			f->sess->more = 1;
		}
		sf_flight_free(f);
		return;
	}
	if(local && f->oversize) {
		/* no answer to a request only TCP could carry: the contact does
		 * not take TCP; this row fails alone, the rest go on */
		code = 513;
		out = SF_OUT_FAILED;
		local = 0;
	}
	f->code = code;
	if(out == SF_OUT_RETRY)
		f->retry = 1;
	if(local)
		f->sess->stop = 1;
	if(--f->pending > 0)
		return;
	if(f->retry) {
		/* timed retry only while the AoR is registered here */
		delay = sf_ul_registered(&f->sess->aor) ? sf_backoff(f->attempts + 1,
						_sf_cfg.retry_interval, _sf_cfg.max_retry_interval)
												: 0;
		LM_INFO("message %lld for %.*s not delivered (%d), attempt %d, "
				"next in %d s\n",
				f->id, f->sess->aor.len, f->sess->aor.s, f->code,
				f->attempts + 1, delay);
		if(sf_store_retry(&_sf_fdb, &_sf_owner, f->id, f->code, delay,
				   _sf_cfg.max_attempts)
				== 1) {
			LM_INFO("message %lld for %.*s failed after %d attempts\n", f->id,
					f->sess->aor.len, f->sess->aor.s, f->attempts + 1);
			update_stat(_sf_stat_failed, 1);
			sf_report_row(f, SF_IMDN_ERROR);
			sf_event_row(f, 0, "failed", f->code);
			f->sess->changed = 1;
		}
	} else {
		LM_INFO("message %lld for %.*s refused (%d): failed\n", f->id,
				f->sess->aor.len, f->sess->aor.s, f->code);
		/* RFC 5438 7.2.1.1: <forbidden/> is an IMDN refused by policy;
		 * a recipient who refused the message itself is <failed/> */
		if(sf_store_fail(&_sf_fdb, &_sf_owner, f->id, f->code) == 0) {
			update_stat(_sf_stat_failed, 1);
			sf_report_row(f, SF_IMDN_FAILED);
			sf_event_row(f, 0, "failed", f->code);
		}
		f->sess->changed = 1;
	}
	sf_flight_free(f);
}

/* a flight whose results never came (the result ring was full, or a tm
 * callback did not run) counts as a local timeout once the lease is half
 * over: the row is retried, the session goes on */
static void sf_flights_expire(long long now)
{
	sf_flight_t *f, *next;
	long long limit = _sf_cfg.lease_time * 1000LL / 2;

	for(f = _sf_flights; f != NULL; f = next) {
		next = f->next;
		if(now - f->sent_at > limit) {
			LM_WARN("no outcome for message %lld after %lld ms, taken as a "
					"timeout\n",
					f->id, now - f->sent_at);
			f->pending = 1;
			sf_outcome(f, 408, 1);
		}
	}
}

static void sf_results(void)
{
	sf_result_t r[SF_RESULTS_AT_ONCE];
	sf_flight_t *f;
	int n, i;

	do {
		n = sf_queue_pop_results(_sf_q, r, SF_RESULTS_AT_ONCE);
		if(n > 0) {
			_sf_owed = _sf_owed > n ? _sf_owed - n : 0;
			_sf_owed_seen_ms = sf_db_now_ms();
		}
		for(i = 0; i < n; i++) {
			for(f = _sf_flights; f != NULL; f = f->next) {
				if(f->token == r[i].token)
					break;
			}
			/* unknown: a late reply of a row already decided */
			if(f != NULL)
				sf_outcome(f, r[i].code, r[i].local);
		}
	} while(n == SF_RESULTS_AT_ONCE);
}

/* ------------------------------------------------------------------ */
/* sessions */

static void sf_sess_start(sf_aor_item_t *it)
{
	sf_sess_t *s, **pp;

	for(pp = &_sf_sessions; (s = *pp) != NULL; pp = &s->next) {
		if(s->aor.len == it->aor.len
				&& memcmp(s->aor.s, it->aor.s, it->aor.len) == 0) {
			/* already flushing: look again once this batch is done */
			s->more = 1;
			if(!(it->work & SF_WORK_DUE))
				s->due_only = 0;
			return;
		}
	}
	s = pkg_malloc(sizeof(*s) + it->aor.len + 1);
	if(s == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	memset(s, 0, sizeof(*s));
	s->aor.s = (char *)(s + 1);
	s->aor.len = it->aor.len;
	memcpy(s->aor.s, it->aor.s, it->aor.len);
	s->aor.s[s->aor.len] = '\0';
	s->due_only = (it->work & SF_WORK_DUE) ? 1 : 0;
	s->more = 1; /* nothing claimed yet */
	/* last: sessions are served in the order they began */
	s->next = NULL;
	*pp = s;
}

static void sf_contacts_free(sf_sess_t *s)
{
	sf_ul_contacts_free(s->contacts, s->ncontacts);
	s->ncontacts = 0;
}

/* copy the usable contacts of the session's AoR; returns how many */
static int sf_contacts_load(sf_sess_t *s)
{
	sf_contacts_free(s);
	s->ncontacts = sf_ul_contacts(&s->aor, s->contacts, SF_MAX_CONTACTS);
	return s->ncontacts;
}

static void sf_sess_free(sf_sess_t *s)
{
	sf_sess_t **pp;

	for(pp = &_sf_sessions; *pp != NULL; pp = &(*pp)->next) {
		if(*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if(s->changed)
		sf_mwi_later(&s->aor);
	/* cluster mode: another node may replay this user now */
	if(sf_store_disown(&_sf_fdb, &_sf_owner, &s->aor) < 0)
		LM_INFO("cannot give up %.*s (its ownership runs out with its lease)\n",
				s->aor.len, s->aor.s);
	if(s->batch)
		PQclear(s->batch);
	if(s->order)
		pkg_free(s->order);
	sf_contacts_free(s);
	pkg_free(s);
}

/* claim the next batch; 1 rows to send, 0 nothing left, -1 try later */
static int sf_sess_claim(sf_sess_t *s)
{
	PGresult *res;
	int i;

	if(s->batch) {
		PQclear(s->batch);
		s->batch = NULL;
	}
	if(s->order) {
		pkg_free(s->order);
		s->order = NULL;
	}
	s->nrows = s->next_row = 0;
	if(sf_contacts_load(s) == 0) {
		LM_DBG("%.*s has no usable contact here\n", s->aor.len, s->aor.s);
		s->more = 0;
		return 0;
	}
	res = sf_store_claim(&_sf_fdb, &_sf_owner, &s->aor, s->last_id, s->due_only,
			_sf_cfg.flush_batch, _sf_cfg.lease_time);
	if(res == NULL)
		return -1;
	s->more = (PQntuples(res) == _sf_cfg.flush_batch);
	if(PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	s->order = pkg_malloc(PQntuples(res) * sizeof(int));
	if(s->order == NULL) {
		PKG_MEM_ERROR;
		PQclear(res);
		sf_store_release_aor(&_sf_fdb, &_sf_owner, &s->aor);
		return -1;
	}
	s->batch = res;
	s->nrows = PQntuples(res);
	for(i = 0; i < s->nrows; i++)
		s->order[i] = i;
	/* the claim returns them in id order: arrival order */
	s->last_id = sf_db_int(res, s->order[s->nrows - 1], SF_CC_ID);
	LM_DBG("claimed %d messages for %.*s\n", s->nrows, s->aor.len, s->aor.s);
	return 1;
}

/* room in shared memory for one more transaction: each delivery holds
 * its tm cell (several KB) until tm's wait timer ends, so a burst of
 * deliveries pauses while less than an eighth of the pool is free rather
 * than fail (and leave registrations and stores without memory) */
static int sf_shm_room(long long now_ms)
{
	static long long warned_ms = 0;

	if(shm_available_safe() > shm_mem_size / 8)
		return 1;
	if(now_ms - warned_ms > 10000) {
		LM_WARN("shared memory low (%lu of %lu bytes free): deliveries "
				"wait (raise kamailio -m)\n",
				(unsigned long)shm_available_safe(),
				(unsigned long)shm_mem_size);
		warned_ms = now_ms;
	}
	return 0;
}

/* room in the result ring for the outcomes of one more row to every
 * contact of s. Should an outcome never come (tm calls back once per
 * transaction, also on its own timeout), the count is forgiven once
 * nothing is in flight and nothing came for a lease time. */
static int sf_ring_room(const sf_sess_t *s, long long now_ms)
{
	if(_sf_owed > 0 && _sf_flights == NULL
			&& now_ms - _sf_owed_seen_ms > _sf_cfg.lease_time * 1000LL) {
		LM_WARN("%d replay outcomes never came back: not waited for\n",
				_sf_owed);
		_sf_owed = 0;
	}
	return _sf_owed + s->ncontacts <= sf_queue_results_max();
}

/* send what the window allows (at most WINDOW in flight); claim the next
 * batch when one is done */
static void sf_sess_step(sf_sess_t *s, long long now_ms, int window)
{
	int r;

	for(;;) {
		while(!s->stop && s->inflight < window && s->next_row < s->nrows
				&& sf_ring_room(s, now_ms) && sf_shm_room(now_ms)) {
			sf_send_row(s);
			s->sent++;
		}
		if(s->inflight > 0)
			return; /* waiting for replies */
		if(s->stop) {
			/* give the unsent rows back: retried at the next
			 * registration or timed retry */
			if(s->next_row < s->nrows)
				sf_store_release_aor(&_sf_fdb, &_sf_owner, &s->aor);
			LM_INFO("%.*s does not answer, %d messages wait\n", s->aor.len,
					s->aor.s, s->nrows - s->next_row);
			sf_sess_free(s);
			return;
		}
		if(s->next_row < s->nrows)
			return;
		if(!s->more) {
			sf_sess_free(s);
			return;
		}
		if(s->retry_at_ms > now_ms)
			return;
		r = sf_sess_claim(s);
		if(r < 0) {
			/* the database is away: try again in a second */
			s->retry_at_ms = now_ms + SF_DB_RETRY_MS;
			return;
		}
		if(r == 0) {
			sf_sess_free(s);
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* periodic work */

/* cluster: the claims of a flusher whose lease ran out (its node died)
 * go back to the queue; an AoR registered anywhere is flushed here (the
 * node that held it may be the dead one) */
static void sf_takeover(void)
{
	PGresult *res;
	str aor;
	int i, n = 0;

	res = sf_store_takeover(&_sf_fdb, SF_SWEEP_LIMIT);
	if(res == NULL)
		return;
	for(i = 0; i < PQntuples(res); i++) {
		aor.s = PQgetvalue(res, i, 0);
		aor.len = PQgetlength(res, i, 0);
		if(sf_ul_where(&aor) != SF_UL_NONE) {
			sf_queue_push_aor(&aor, SF_WORK_FLUSH);
			n++;
		}
	}
	if(PQntuples(res) > 0)
		LM_INFO("released expired claims of %d AoRs, %d of them registered: "
				"flushed here\n",
				PQntuples(res), n);
	PQclear(res);
}

/* the gauge of queued messages: an exact count, which reads the whole
 * queue (over a second at 10 M rows). Counted at every sweep while that
 * is cheap; otherwise after 100 times as long as the last count took, so
 * that counting costs this flusher at most 1 % of its time */
static void sf_count_queued(void)
{
	static long long next_ms = 0;
	long long t0 = sf_db_now_ms(), took;
	PGresult *res;

	if(t0 < next_ms)
		return;
	res = sf_store_run(&_sf_fdb, SF_SQL_QUEUED, 0, NULL);
	if(res != NULL) {
		sf_stats_set_queued(atol(PQgetvalue(res, 0, 0)));
		sf_stats_set_oldest(atol(PQgetvalue(res, 0, 1)));
		PQclear(res);
	}
	took = sf_db_now_ms() - t0;
	next_ms = t0 + took * 100;
	if(took > 100)
		LM_DBG("counting the queue took %lld ms: next in %lld s\n", took,
				took / 10);
}

static void sf_sweep(void)
{
	PGresult *res;
	str aor;
	int i, n, where;

	res = sf_store_expire(&_sf_fdb, SF_SWEEP_LIMIT);
	if(res != NULL) {
		for(i = 0; i < PQntuples(res); i++) {
			static const sf_report_cols_t cols = {SF_XC_ID, SF_XC_FROM_URI,
					SF_XC_FROM_NAME, SF_XC_TO_URI, SF_XC_IMDN_ID,
					SF_XC_RECEIVED, SF_XC_IMDN_DATETIME, SF_XC_NOTIFY};
			sf_report_src_t src;

			sf_report_src_row(&src, res, i, &cols);
			aor = sf_col(res, i, SF_XC_AOR);
			LM_INFO("message %lld for %.*s expired\n", src.id, aor.len, aor.s);
			sf_report(&src, SF_IMDN_FAILED);
			update_stat(_sf_stat_expired, 1);
			sf_event_outcome(0, src.id, &aor, &src.from_uri, "expired", 0);
			/* its own flusher publishes it: one publisher per AoR */
			if(_sf_cfg.mwi)
				sf_queue_push_aor(&aor, SF_WORK_MWI);
		}
		PQclear(res);
	}
	n = sf_store_purge(&_sf_fdb, _sf_cfg.retention, SF_SWEEP_LIMIT);
	if(n > 0)
		LM_DBG("purged %d terminal messages\n", n);
	n = sf_store_session_purge(&_sf_fdb, SF_SWEEP_LIMIT);
	if(n > 0)
		LM_DBG("purged %d sessions without messages\n", n);
	sf_store_group_count(&_sf_fdb);
	n = sf_store_group_purge(&_sf_fdb, SF_SWEEP_LIMIT);
	if(n > 0)
		LM_DBG("forgot %d recipients of exploded requests\n", n);
	sf_count_queued();
	if(_sf_cfg.cluster)
		sf_takeover();
	/* timed retries: the node holding the registration takes them; in a
	 * cluster another node too once they are overdue (that node is gone) */
	res = _sf_cfg.cluster ? sf_store_due_aors_age(
				  &_sf_fdb, SF_SWEEP_LIMIT, _sf_cfg.lease_time)
						  : sf_store_due_aors(&_sf_fdb, SF_SWEEP_LIMIT);
	if(res == NULL)
		return;
	for(i = 0; i < PQntuples(res); i++) {
		aor.s = PQgetvalue(res, i, 0);
		aor.len = PQgetlength(res, i, 0);
		where = sf_ul_where(&aor);
		if(where == SF_UL_HERE
				|| (where == SF_UL_ELSEWHERE && PQnfields(res) > 1
						&& sf_db_int(res, i, 1) == 1))
			sf_queue_push_aor(&aor, SF_WORK_FLUSH | SF_WORK_DUE);
		else if(where == SF_UL_NONE)
			sf_store_park(&_sf_fdb, &aor);
	}
	PQclear(res);
}

/* ------------------------------------------------------------------ */
/* waking (modparam wake_channel): flusher 0 LISTENs on the channel on its
 * own connection; etc/cluster/sfwd-cluster.sql NOTIFYs the AoR of every
 * row stored for a recipient the storing node took for offline; the node
 * that holds a registration of that AoR flushes it */

static PGconn *_sf_wake_conn = NULL; /* the connection that LISTENs */
static int _sf_wake_pid = 0;		 /* its backend */

/* one utility statement on c within the flusher's database timeout;
 * 0 done, -1 not (the caller closes the connection) */
static int sf_wake_exec(PGconn *c, const char *sql)
{
	long long end = sf_db_now_ms() + _sf_cfg.flush_db_timeout_ms;
	struct pollfd p;
	PGresult *res;
	int ok = 1, r;

	if(!PQsendQuery(c, sql))
		return -1;
	for(;;) {
		r = PQflush(c);
		if(r < 0)
			return -1;
		if(r == 0 && !PQisBusy(c))
			break;
		if(sf_db_now_ms() >= end)
			return -1;
		p.fd = PQsocket(c);
		p.events = r == 1 ? (POLLIN | POLLOUT) : POLLIN;
		p.revents = 0;
		if(poll(&p, 1, (int)(end - sf_db_now_ms())) < 0 && errno != EINTR)
			return -1;
		if((p.revents & (POLLIN | POLLERR | POLLHUP)) && !PQconsumeInput(c))
			return -1;
	}
	while((res = PQgetResult(c)) != NULL) {
		if(PQresultStatus(res) != PGRES_COMMAND_OK)
			ok = 0;
		PQclear(res);
	}
	return ok ? 0 : -1;
}

/* LISTEN on the flusher's connection, again after every reconnect */
static void sf_wake_listen(void)
{
	PGconn *c = _sf_fdb.conn;
	char sql[300];
	char *id;
	int n;

	if(c == NULL || PQstatus(c) != CONNECTION_OK) {
		_sf_wake_conn = NULL;
		return;
	}
	if(c == _sf_wake_conn && PQbackendPID(c) == _sf_wake_pid)
		return;
	_sf_wake_conn = NULL;
	id = PQescapeIdentifier(
			c, _sf_cfg.wake_channel.s, (size_t)_sf_cfg.wake_channel.len);
	if(id == NULL)
		return;
	n = sf_fmt(sql, sizeof(sql), "LISTEN %s", id);
	PQfreemem(id);
	if(n < 0) {
		LM_ERR("wake_channel too long\n");
		return;
	}
	if(sf_wake_exec(c, sql) < 0) {
		LM_WARN("cannot LISTEN on %.*s: %s", _sf_cfg.wake_channel.len,
				_sf_cfg.wake_channel.s, PQerrorMessage(c));
		sf_db_close(&_sf_fdb);
		return;
	}
	_sf_wake_conn = c;
	_sf_wake_pid = PQbackendPID(c);
	LM_INFO("flusher 0 listens on channel %.*s (backend %d)\n",
			_sf_cfg.wake_channel.len, _sf_cfg.wake_channel.s, _sf_wake_pid);
}

/* the AoRs announced since the last call: flush those registered here */
static void sf_wake_read(void)
{
	PGconn *c = _sf_wake_conn;
	PGnotify *nt;
	str aor;

	if(c == NULL || c != _sf_fdb.conn)
		return;
	if(!PQconsumeInput(c))
		return; /* broken: the next statement reconnects, then LISTEN */
	while((nt = PQnotifies(c)) != NULL) {
		aor.s = nt->extra;
		aor.len = nt->extra ? strlen(nt->extra) : 0;
		if(aor.len > 0 && sf_ul_where(&aor) == SF_UL_HERE) {
			LM_DBG("woken for %.*s\n", aor.len, aor.s);
			sf_queue_push_aor(&aor, SF_WORK_FLUSH);
		}
		PQfreemem(nt);
	}
}

static void sf_flusher_main(int q)
{
	long long now, next_renew = 0, next_sweep = 0;
	sf_aor_item_t *it;
	sf_sess_t *s, *sn;
	struct pollfd pfd[2];
	char owner[256];
	int wake = (q == 0 && _sf_cfg.wake_channel.len > 0);

	_sf_q = q;
	_sf_owner.len = sf_fmt(owner, sizeof(owner), "%.*s/%d", _sf_cfg.node_id.len,
			_sf_cfg.node_id.s, (int)getpid());
	if(_sf_owner.len < 0) {
		LM_ERR("node_id too long (%d bytes)\n", _sf_cfg.node_id.len);
		exit(-1);
	}
	_sf_owner.s = owner;
	sf_db_init(&_sf_fdb, _sf_cfg.db_url, _sf_cfg.flush_db_timeout_ms,
			sf_store_stmts, SF_SQL_COUNT, SF_SCHEMA_VERSION);
	if(sf_db_connect(&_sf_fdb) < 0)
		LM_WARN("flusher %d: no database yet, retrying\n", q);
	LM_INFO("flusher %d started as %.*s\n", q, _sf_owner.len, _sf_owner.s);

	for(;;) {
		cfg_update();
		pfd[0].fd = sf_queue_wake_fd(q);
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = _sf_wake_conn ? PQsocket(_sf_wake_conn) : -1;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		poll(pfd, pfd[1].fd >= 0 ? 2 : 1,
				(_sf_sessions || _sf_del_n || _sf_mwi_pending) ? 20 : 200);
		sf_queue_drain_wake(q);
		if(wake)
			sf_wake_read();

		sf_results();
		while((it = sf_queue_pop_aor(q)) != NULL) {
			if(it->work & SF_WORK_FLUSH)
				sf_sess_start(it);
			if(it->work & SF_WORK_MWI)
				sf_mwi_later(&it->aor);
			sf_queue_free_aor(it);
		}
		now = sf_db_now_ms();
		sf_flights_expire(now);
		/* every user's first message before anybody's next ones: when
		 * shared memory is short (a mass re-registration), a user who
		 * registered last waits for the first messages of those before
		 * it, not for their whole queues; then the oldest sessions first */
		for(s = _sf_sessions; s != NULL; s = sn) {
			sn = s->next;
			if(s->sent == 0)
				sf_sess_step(s, now, 1);
		}
		for(s = _sf_sessions; s != NULL; s = sn) {
			sn = s->next;
			sf_sess_step(s, now, _sf_cfg.flush_window);
		}
		sf_del_flush();
		if(_sf_del_n == 0)
			sf_mwi_run();

		if(_sf_sessions && now >= next_renew) {
			sf_store_renew(&_sf_fdb, &_sf_owner, _sf_cfg.lease_time);
			next_renew = now + _sf_cfg.lease_time * 1000LL / 3;
		}
		if(q == 0 && now >= next_sweep) {
			sf_sweep();
			next_sweep = now + _sf_cfg.sweep_interval * 1000LL;
		}
		if(wake)
			sf_wake_listen();
	}
}

/* ------------------------------------------------------------------ */
/* set-up */

int sf_flush_mod_init(void)
{
	register_procs(_sf_cfg.flush_workers);
	cfg_register_child(_sf_cfg.flush_workers);
	return 0;
}

int sf_flush_fork(void)
{
	char desc[32];
	int i, pid;

	for(i = 0; i < _sf_cfg.flush_workers; i++) {
		sf_fmt(desc, sizeof(desc), "sfwd flusher %d", i);
		pid = fork_process(PROC_RPC, desc, 1);
		if(pid < 0) {
			LM_ERR("cannot fork %s\n", desc);
			return -1;
		}
		if(pid == 0) {
			if(cfg_child_init())
				exit(-1);
			sf_flusher_main(i);
			exit(0); /* not reached */
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the script function sf_flush() */

int sf_flush_aor(str *uri)
{
	char buf[512];
	str aor;

	if(_sf_cfg.db_url == NULL) {
		LM_ERR("sf_flush() needs modparam db_url\n");
		return -1;
	}
	if(sf_aor_str(uri, buf, sizeof(buf), &aor) < 0) {
		LM_INFO("sf_flush: bad AoR %.*s\n", uri->len, uri->s);
		return -1;
	}
	return sf_queue_push_aor(&aor, SF_WORK_FLUSH) < 0 ? -1 : 1;
}

int sf_flush_request(sip_msg_t *msg)
{
	char buf[512];
	str aor;

	if(msg->first_line.type != SIP_REQUEST)
		return -1;
	if(msg->REQ_METHOD == METHOD_INVITE) {
		if(_sf_cfg.db_url == NULL || parse_from_header(msg) < 0
				|| sf_aor_str(&get_from(msg)->uri, buf, sizeof(buf), &aor) < 0)
			return -1;
		return sf_msrp_server_invite(msg, &aor);
	}
	if(msg->REQ_METHOD == METHOD_BYE || msg->REQ_METHOD == METHOD_CANCEL)
		return sf_msrp_server_bye(msg);
	if(msg->REQ_METHOD == METHOD_REGISTER) {
		if(parse_headers(msg, HDR_TO_F, 0) < 0 || msg->to == NULL)
			return -1;
		return sf_flush_aor(&get_to(msg)->uri);
	}
	return sf_flush_aor(&msg->first_line.u.request.uri);
}
