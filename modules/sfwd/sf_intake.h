/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the store intake: sf_store() and sf_store_async(), from a
 *   request to a committed row (or a clear refusal)
 *
 * Every text field the store keeps is checked before anything is queued,
 * so a bad request is refused alone. sf_store() inserts with this SIP
 * worker's own connection and returns after the commit; sf_store_async()
 * hands the prepared request to the store writer (sf_writer.h), which
 * commits it with others and then answers.
 */

#ifndef _SF_INTAKE_H_
#define _SF_INTAKE_H_

#include "core/parser/msg_parser.h"
#include "core/pvar.h"
#include "core/str.h"

#include "sf_db.h"
#include "sf_store.h"


/*! \brief mod_init: the store writer, told what follows a commit
 * \return 0 ok, -1 error */
int sf_intake_mod_init(void);

/*! \brief child_init: a SIP worker's store connection (connected now;
 *   a failure is retried at the first store)
 * \param rank the child's rank (> 0: a SIP worker) */
void sf_intake_child_init(int rank);

/*! \brief mod_destroy: close this process's connection */
void sf_intake_destroy(void);

/*!
 * \brief this SIP worker's connection (RPC, summaries, profiles)
 * \return the connection (static; never NULL)
 */
sf_db_t *sf_intake_db(void);

/*!
 * \brief store the current MESSAGE for its recipient, committed when this
 *   returns
 * \param msg the MESSAGE
 * \param owner the recipient (a SIP URI or user@host), NULL: the
 *   Request-URI as received
 * \return SF_STORE_OK, or SF_STORE_E* (the statistics count why)
 */
int sf_intake_store(sip_msg_t *msg, str *owner);

/*!
 * \brief sf_store() without waiting: prepared and checked here, committed
 *   by the store writer with whatever else waits, which then answers
 * \param msg the MESSAGE (no transaction may exist yet)
 * \param rt the route the writer runs (index in main_rt), -1: the KEMI
 *   function name, SF_WRITER_REPLY: the writer replies itself
 * \param name the KEMI function name (rt -1)
 * \param owner as sf_intake_store()
 * \return 0 queued (the script ends here), or SF_STORE_E*
 */
int sf_intake_store_async(sip_msg_t *msg, int rt, str *name, str *owner);

/*!
 * \brief parse the name of $sfwd(rc), $sfwd(id) or $sfwd(reason): the
 *   last store of this process (pv_export_t parse function)
 * \param sp the variable's spec (its name is set)
 * \param in the name in the parentheses
 * \return 0 ok, -1 an unknown name (logged)
 */
int sf_intake_pv_parse(pv_spec_t *sp, str *in);

/*!
 * \brief the value of $sfwd(...) (pv_export_t get function): rc is
 *   SF_STORE_OK, SF_STORE_E*, or 0 (none yet, or queued by
 *   sf_intake_store_async()); id the row id of the last store (null when
 *   none); reason why the last request was bad (null otherwise)
 * \param msg the request
 * \param param the variable's parameter (its parsed name)
 * \param res the value
 * \return 0 ok, -1 error (as pv_get_*())
 */
int sf_intake_pv_get(sip_msg_t *msg, pv_param_t *param, pv_value_t *res);

/*!
 * \brief set $sfwd(rc) and $sfwd(reason) for a request that another
 *   function of this process refused (sf_explode())
 * \param rc the value of $sfwd(rc)
 * \param reason the value of $sfwd(reason) (static text), NULL: none
 */
void sf_intake_set_outcome(int rc, const char *reason);

/*! \brief what sf_session_accept() returns besides 1 (answered) */
#define SF_SESSION_ENOOFFER -1	 /*!< no usable MSRP offer: 488 */
#define SF_SESSION_EINSTANT -2	 /*!< the sender asked for instant: 480 */
#define SF_SESSION_ENOTSTORED -3 /*!< the recipient's profile refuses: 480 */
#define SF_SESSION_EBUSY -4		 /*!< the sender holds too many: 486 */
#define SF_SESSION_EINTERNAL -5	 /*!< no session slot, no database: 500 */
#define SF_SESSION_EBAD -6		 /*!< a bad request (store flag, UTF-8): 400 */

/*!
 * \brief an INVITE with an MSRP offer for a recipient who cannot be
 *   reached: classify it (the SDP's store flag, the recipient's profile);
 *   for store or notify, answer 200 OK on the recipient's behalf and store
 *   every message of the session (sf_msrp_server_accept())
 * \param msg the INVITE
 * \return 1 answered (the script ends), or one of SF_SESSION_E*
 */
int sf_intake_session(sip_msg_t *msg);

#endif
