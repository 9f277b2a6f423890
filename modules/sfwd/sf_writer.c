/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the store writer behind sf_store_async()
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/action.h"
#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/forward.h"
#include "core/tags.h"
#include "core/parser/parse_to.h"
#include "core/kemi.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/msg_translator.h"
#include "core/pt.h"
#include "core/receive.h"
#include "core/route.h"
#include "core/sr_module.h"
#include "core/xavp.h"

#include "sf_buf.h"
#include "sf_db.h"
#include "sf_event.h"
#include "sf_stats.h"
#include "sf_fifo.h"
#include "sf_store.h"
#include "sf_writer.h"
#include "sf_cfg.h"


/*! \brief one request waiting for the writer; one shm block, every str
 *   of r points into data */
typedef struct sf_wjob
{
	sf_fifo_item_t link; /*!< first: the writer's FIFO links it */
	sf_store_req_t r;
	struct receive_info rcv;
	struct dest_info dst; /*!< SF_WRITER_REPLY: where the reply goes */
	sf_writer_route_t rt;
	long long deadline_ms; /*!< the sender is answered 503 after this */
	str buf; /*!< the request as received, or (SF_WRITER_REPLY) the 202 */
	char data[];
} sf_wjob_t;

/* the job after j in a chain sf_fifo_take() returned */
#define SF_WJOB_NEXT(j) ((sf_wjob_t *)(j)->link.next)

/* the writer polls its pipe, the SIP workers signal */
static sf_fifo_t *_sf_wq = NULL;
static const sf_writer_ops_t *_sf_wops = NULL;
static sf_db_t _sf_wrdb;

/* to-tags of the replies the writer sends, as sl makes them */
static char _sf_tag_buf[TOTAG_VALUE_LEN];
static char *_sf_tag_suffix = NULL;
static str _sf_tag = {_sf_tag_buf, TOTAG_VALUE_LEN};

/* the store_waiting gauge: requests waiting for the writer */
static unsigned long sf_writer_waiting(void)
{
	return (unsigned long)sf_writer_depth();
}

int sf_writer_mod_init(const sf_writer_ops_t *ops)
{

	_sf_wops = ops;
	_sf_wq = shm_malloc(sizeof(*_sf_wq));
	if(_sf_wq == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	if(sf_fifo_init(_sf_wq, _sf_cfg.store_queue) < 0)
		return -1;
	init_tags(_sf_tag_buf, &_sf_tag_suffix, "sfwd-stateless", '-');
	if(sf_stats_gauge("store_waiting", sf_writer_waiting) < 0)
		return -1;
	register_procs(1);
	cfg_register_child(1);
	return 0;
}

void sf_writer_destroy(void)
{
	if(_sf_wq == NULL)
		return;
	sf_fifo_destroy(_sf_wq);
	shm_free(_sf_wq);
	_sf_wq = NULL;
}

int sf_writer_depth(void)
{
	return _sf_wq ? sf_fifo_depth(_sf_wq) : 0;
}

/* the 202 for msg, as sl_send_reply() would send it, and where to */
static int sf_writer_prepare_reply(
		sip_msg_t *msg, str *out, struct dest_info *dst)
{
	static str text = str_init("Accepted");
	struct bookmark bm;
	unsigned int len = 0;
	char *b;

	init_dest_info(dst);
	if(reply_to_via) {
		if(update_sock_struct_from_via(&dst->to, msg, msg->via1) < 0) {
			LM_ERR("cannot resolve the reply destination %.*s\n",
					msg->via1->host.len, msg->via1->host.s);
			return -1;
		}
	} else {
		update_sock_struct_from_ip(&dst->to, msg);
	}
	dst->proto = msg->rcv.proto;
	dst->send_sock = msg->rcv.bind_address;
	dst->id = msg->rcv.proto_reserved1;
#ifdef USE_COMP
	dst->comp = msg->via1->comp_no;
#endif
	dst->send_flags = msg->rpl_send_flags;
	if(msg->to
			&& (get_to(msg)->tag_value.s == 0
					|| get_to(msg)->tag_value.len == 0)) {
		calc_crc_suffix(msg, _sf_tag_suffix);
		b = build_res_buf_from_sip_req(202, &text, &_sf_tag, msg, &len, &bm);
	} else {
		b = build_res_buf_from_sip_req(202, &text, 0, msg, &len, &bm);
	}
	if(b == NULL) {
		LM_ERR("cannot build the reply\n");
		return -1;
	}
	out->s = b;
	out->len = (int)len;
	return 0;
}

int sf_writer_push(
		sip_msg_t *msg, const sf_store_req_t *r, const sf_writer_route_t *rt)
{
	sf_wjob_t *j;
	struct dest_info dst;
	str b;
	char *pos;
	int size, n;

	if(_sf_wq == NULL)
		return -1;
	/* a look first: no copy when the queue is full */
	if(sf_fifo_depth(_sf_wq) >= _sf_cfg.store_queue)
		return -1;
	if(rt->rt == SF_WRITER_REPLY) {
		if(sf_writer_prepare_reply(msg, &b, &dst) < 0)
			return -1;
	} else {
		b.s = msg->buf;
		b.len = msg->len;
	}
	size = sizeof(*j) + sf_store_req_room(r) + sf_str_room(&rt->name)
		   + sf_str_room(&b);
	/* a few sizes only: Kamailio's allocator finds a freed block of the
	 * same size at once instead of splitting and searching */
	size = size <= 1024 ? 1024 : (size + 4095) & ~4095;
	j = shm_malloc(size);
	if(j == NULL) {
		SHM_MEM_ERROR;
		if(rt->rt == SF_WRITER_REPLY)
			pkg_free(b.s);
		return -1;
	}
	j->rcv = msg->rcv;
	j->rt.rt = rt->rt;
	j->deadline_ms = sf_db_now_ms() + _sf_cfg.db_timeout_ms;
	pos = j->data;
	sf_store_req_pack(&j->r, r, &pos);
	sf_str_pack(&j->rt.name, &rt->name, &pos);
	sf_str_pack(&j->buf, &b, &pos);
	if(rt->rt == SF_WRITER_REPLY) {
		j->dst = dst;
		pkg_free(b.s);
	}

	n = sf_fifo_push(_sf_wq, &j->link, NULL);
	if(n < 0)
		return -1;
	/* the writer sleeps until the oldest request has waited
	 * store_delay_ms: wake it for the first of a batch and for a full one
	 * only */
	if(n == 1 || n == _sf_cfg.store_batch)
		sf_fifo_signal(_sf_wq);
	return 0;
}

/* the writer's copy of a request (parsing writes into it) */
static char _sf_wbuf[BUF_SIZE + 1];

/* SF_WRITER_REPLY: the prepared 202, or its status line replaced, plus
 * one header */
static void sf_writer_reply(sf_wjob_t *j, int rc, long long id)
{
	static char out[BUF_SIZE];
	const char *eol, *end, *status;
	char hdr[64];
	int n, k;

	eol = memchr(j->buf.s, '\n', j->buf.len);
	/* the headers end with an empty line: put ours before it */
	end = j->buf.s + j->buf.len - 2;
	if(eol == NULL || end <= eol || j->buf.len + 128 > (int)sizeof(out))
		return;
	eol++;
	hdr[0] = '\0';
	if(rc == SF_STORE_OK) {
		status = "202 Accepted";
		sf_fmt(hdr, sizeof(hdr), "X-Sfwd-Message-ID: sfwd-%lld\r\n", id);
	} else if(rc == SF_STORE_EFULL) {
		status = "486 Busy Here (Mailbox Full)";
	} else if(rc == SF_STORE_EBAD) {
		status = "400 Bad Request (Not Storable)";
	} else {
		status = "503 Service Unavailable (Store Unavailable)";
		sf_fmt(hdr, sizeof(hdr), "Retry-After: 30\r\n");
	}
	/* room checked above: buf.len + 128 fits, status and hdr are short */
	n = sf_fmt(out, sizeof(out), "SIP/2.0 %s\r\n", status);
	if(n < 0)
		return;
	memcpy(out + n, eol, end - eol);
	n += end - eol;
	k = sf_fmt(out + n, sizeof(out) - n, "%s\r\n", hdr);
	if(k < 0)
		return;
	n += k;
	if(msg_send(&j->dst, out, n) < 0)
		LM_INFO("cannot send the reply for call-id %.*s\n", j->r.call_id.len,
				j->r.call_id.s);
}

/* run the script's route for one job on a copy of its request */
static void sf_writer_answer(sf_wjob_t *j, int rc, long long id)
{
	sip_msg_t msg;
	char *buf;

	if(j->rt.rt == SF_WRITER_REPLY) {
		sf_writer_reply(j, rc, id);
		if(rc == SF_STORE_OK)
			_sf_wops->committed(NULL, &j->r, id);
		else
			_sf_wops->not_stored(rc);
		return;
	}
	_sf_wops->set_result(rc, id);
	buf = j->buf.len < (int)sizeof(_sf_wbuf) ? _sf_wbuf
											 : pkg_malloc(j->buf.len + 1);
	if(buf == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	memcpy(buf, j->buf.s, j->buf.len);
	buf[j->buf.len] = '\0';
	if(build_sip_msg_from_buf(&msg, buf, j->buf.len, inc_msg_no()) < 0) {
		LM_ERR("cannot parse the stored copy of call-id %.*s\n",
				j->r.call_id.len, j->r.call_id.s);
		if(buf != _sf_wbuf)
			pkg_free(buf);
		return;
	}
	msg.rcv = j->rcv;

	/* the sender first, then what follows a commit */
	sf_route_run(&msg, j->rt.rt >= 0 ? main_rt.rlist[j->rt.rt] : NULL,
			REQUEST_ROUTE, &j->rt.name, NULL);
	if(rc == SF_STORE_OK)
		_sf_wops->committed(&msg, &j->r, id);
	else
		_sf_wops->not_stored(rc);
	free_sip_msg(&msg);
	if(buf != _sf_wbuf)
		pkg_free(buf);
	ksr_msg_env_reset();
	xavp_reset_list();
	_sf_wops->set_result(0, 0);
}

static void sf_writer_batch(sf_wjob_t *jobs, int n)
{
	const sf_store_req_t **rs;
	sf_wjob_t *j, *jn;
	PGresult *res = NULL;
	long long now = sf_db_now_ms(), deadline = 0, id;
	struct timeval tv;
	int k = 0, row;

	static const sf_store_req_t **rsbuf = NULL;

	if(rsbuf == NULL)
		rsbuf = pkg_malloc(_sf_cfg.store_batch * sizeof(*rs));
	if(rsbuf == NULL)
		PKG_MEM_ERROR;
	rs = rsbuf;
	/* those whose sender was already told 503 by now are not stored */
	for(j = jobs; rs && j; j = SF_WJOB_NEXT(j)) {
		if(j->deadline_ms <= now)
			continue;
		if(deadline == 0 || j->deadline_ms < deadline)
			deadline = j->deadline_ms;
		rs[k++] = &j->r;
	}
	if(k > 0) {
		gettimeofday(&tv, NULL);
		/* wait no longer than the earliest sender, whose deadline the
		 * server also checks before it commits (epoch seconds) */
		_sf_wrdb.timeout_ms = (int)(deadline - now);
		res = sf_store_insert_batch(&_sf_wrdb, rs, k,
				tv.tv_sec + tv.tv_usec / 1e6 + (deadline - now) / 1000.0);
		update_stat(_sf_stat_batches, 1);
		if(res == NULL)
			LM_INFO("database unavailable, %d messages not stored\n", k);
		else
			LM_DBG("stored a batch of %d\n", k);
	}
	if(res == NULL && k > 0 && sf_db_data_error(&_sf_wrdb)) {
		/* the server refused the data of one of them (checked before,
		 * so this should not happen): each alone, so that one bad
		 * request is refused alone and the others are stored */
		LM_WARN("store batch refused (SQLSTATE %s): storing its %d "
				"messages one by one\n",
				_sf_wrdb.last_state, k);
		for(j = jobs; j; j = jn) {
			jn = SF_WJOB_NEXT(j);
			if(j->deadline_ms <= now) {
				sf_writer_answer(j, SF_STORE_EDB, 0);
			} else {
				_sf_wrdb.timeout_ms = (int)(j->deadline_ms - sf_db_now_ms());
				if(_sf_wrdb.timeout_ms < 10)
					_sf_wrdb.timeout_ms = 10;
				id = sf_store_insert(&_sf_wrdb, &j->r);
				if(id > 0)
					sf_writer_answer(j, SF_STORE_OK, id);
				else if(id == 0)
					sf_writer_answer(j, SF_STORE_EFULL, 0);
				else
					sf_writer_answer(j,
							sf_db_data_error(&_sf_wrdb) ? SF_STORE_EBAD
														: SF_STORE_EDB,
							0);
			}
			shm_free(j);
		}
		return;
	}
	row = 0;
	for(j = jobs; j; j = jn) {
		jn = SF_WJOB_NEXT(j);
		if(rs == NULL || j->deadline_ms <= now || res == NULL) {
			sf_writer_answer(j, SF_STORE_EDB, 0);
		} else {
			id = sf_db_int(res, row, 1);
			row++;
			if(id < 0)
				sf_writer_answer(j, SF_STORE_EFULL, 0);
			else
				sf_writer_answer(j, SF_STORE_OK, id);
		}
		shm_free(j);
	}
	if(res)
		PQclear(res);
}

/* when the last commit ended (ms) */
static long long _sf_last_commit_ms = 0;

/* ms until the oldest waiting request has waited store_delay_ms (0: go
 * now), so that a batch gathers what arrives meanwhile. Only under load:
 * a request that came more than store_delay_ms / 2 after the last commit
 * ended has nobody to share a commit with (at that rate a wait would
 * gather fewer than two): it is committed at once, and what comes while
 * that commit is in flight goes in the next (group commit) */
static int sf_writer_wait_ms(void)
{
	const sf_wjob_t *oldest;
	long long first;
	int n, left;

	/* the writer alone takes jobs: the oldest stays while it looks */
	oldest = (const sf_wjob_t *)sf_fifo_peek(_sf_wq, &n);
	first = oldest ? oldest->deadline_ms - _sf_cfg.db_timeout_ms : 0;
	if(n == 0)
		return 1000;
	if(n >= _sf_cfg.store_batch || _sf_cfg.store_delay_ms <= 0)
		return 0;
	if(first - _sf_last_commit_ms > _sf_cfg.store_delay_ms / 2)
		return 0;
	left = (int)(first + _sf_cfg.store_delay_ms - sf_db_now_ms());
	return left > 0 ? left : 0;
}

static void sf_writer_main(void)
{
	struct pollfd pfd;
	sf_wjob_t *jobs;
	int n, wait_ms;

	sf_db_init(&_sf_wrdb, _sf_cfg.db_url, _sf_cfg.db_timeout_ms, sf_store_stmts,
			SF_SQL_COUNT, SF_SCHEMA_VERSION);
	if(sf_db_connect(&_sf_wrdb) < 0)
		LM_WARN("store writer: no database yet, retrying\n");
	LM_INFO("store writer started\n");
	for(;;) {
		cfg_update();
		pfd.fd = sf_fifo_wake_fd(_sf_wq);
		pfd.events = POLLIN;
		pfd.revents = 0;
		wait_ms = sf_writer_wait_ms();
		if(wait_ms > 0)
			poll(&pfd, 1, wait_ms);
		sf_fifo_drain(_sf_wq);
		if(sf_writer_wait_ms() > 0)
			continue;
		/* what waited long enough, and everything behind it */
		while((jobs = (sf_wjob_t *)sf_fifo_take(
					   _sf_wq, _sf_cfg.store_batch, &n))
				!= NULL) {
			sf_writer_batch(jobs, n);
			_sf_last_commit_ms = sf_db_now_ms();
			if(n < _sf_cfg.store_batch)
				break;
		}
	}
}

int sf_writer_fork(void)
{
	int pid;

	pid = fork_process(PROC_RPC, "sfwd store writer", 1);
	if(pid < 0) {
		LM_ERR("cannot fork the store writer\n");
		return -1;
	}
	if(pid == 0) {
		if(cfg_child_init())
			exit(-1);
		sf_writer_main();
		exit(0); /* not reached */
	}
	return 0;
}
