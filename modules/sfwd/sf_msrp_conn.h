/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: MSRP sessions and connections: what the MSRP process, its
 *   retrieval and its ingest share
 *
 * The session table lives in shared memory (the SIP workers answer the
 * INVITEs, the MSRP process serves the sessions) under one lock; a
 * connection lives in the MSRP process. Here too: the MSRP process's
 * database connection and lease owner, our address and path, random ids,
 * and writing frames and responses.
 */

#ifndef _SF_MSRP_CONN_H_
#define _SF_MSRP_CONN_H_

#include <stddef.h>
#include <time.h>

#include "core/locking.h"
#include "core/str.h"
#include "modules/tm/dlg.h"

#include "sf_buf.h"
#include "sf_db.h"
#include "sf_msrp.h"
#include "sf_store.h"

#define SF_MS_ID_LEN 24 /* base32: 120 bits from getrandom() */
#define SF_MS_TAG_MAX 128
#define SF_MS_PATH_MAX 512
#define SF_MS_HOST_MAX 64
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

/* one client connection, in the MSRP process */
typedef struct sf_mconn
{
	int fd;
	int slot; /* session, -1 until the first SEND binds it */
	char *in;
	int inlen;
	time_t last;
	long long accepted_ms; /* unbound after msrp_bind_timeout: closed */
	/* delivery (sf_msrp_retrieve.c) */
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
	int disowned;				/* all sent: the AoR given up (cluster mode) */
	/* ingest: the message being received (sf_msrp_ingest.c) */
	sf_msrp_reasm_t ra;
	char *mbuf; /* its bytes so far (pkg) */
	size_t msize;
	char *mct; /* its Content-Type (pkg) */
	int mct_len;
} sf_mconn_t;

extern sf_msess_t *_sf_ms;		/* msrp_max_sessions slots, NULL: no MSRP */
extern gen_lock_t *_sf_ms_lock; /* guards _sf_ms */
extern char _sf_ms_host[SF_MS_HOST_MAX]; /* msrp_listen's address */
extern int _sf_ms_port;					 /* and port */
extern sf_db_t _sf_msdb; /* the MSRP process's database connection */
extern str _sf_ms_owner; /* its lease owner: node_id/pid */

/*!
 * \brief mod_init: msrp_listen read into our address and port, the session
 *   table and its lock in shared memory
 * \return 0 ok, -1 a bad msrp_listen or no shared memory
 */
int sf_ms_table_init(void);

/*!
 * \brief random characters of base32 from the kernel's CSPRNG (session
 *   ids are the capability to a mailbox's MSRP session)
 * \param out room for len characters and a NUL
 * \param len how many characters, at most 64
 * \return 0 ok, -1 no randomness (or len too large)
 */
int sf_rand_id(char *out, int len);

/*!
 * \brief free an ingest session's shm block (and tm's dialog in it);
 *   the caller holds _sf_ms_lock or owns the slot
 * \param s the session; s->ing is NULL afterwards
 */
void sf_ms_ingest_free(sf_msess_t *s);

/*!
 * \brief send all of buf, blocking with the socket's send timeout
 * \param fd the connection
 * \param buf the bytes
 * \param len their number
 * \return 0 all written, -1 the connection failed
 */
int sf_ms_write(int fd, const char *buf, size_t len);

/*!
 * \brief our MSRP path for a session: msrp://host:port/id;tcp
 * \param slot the session slot
 * \param buf where it goes
 * \param size the room in buf
 * \return its length, -1 it does not fit
 */
int sf_ms_our_path(int slot, char *buf, int size);

/*!
 * \brief respond to a request frame, back along its From-Path
 * \param c the connection it came on
 * \param f the request
 * \param code the status code
 * \param reason the reason phrase
 */
void sf_ms_respond(
		sf_mconn_t *c, sf_msrp_frame_t *f, int code, const char *reason);

#endif
