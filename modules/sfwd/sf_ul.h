/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: everything usrloc: the binding, the registration
 *   callback, AoRs as usrloc keys them, who is registered, contacts
 *
 * The callback runs in a SIP worker under usrloc's slot lock: it only
 * queues the AoR for its flusher.
 */

#ifndef _SF_UL_H_
#define _SF_UL_H_

#include "core/ip_addr.h"
#include "core/str.h"

/*! \brief a registered contact to deliver to (pkg copies, NUL-terminated) */
typedef struct sf_contact
{
	str uri;
	str received; /*!< where the REGISTER came from (NAT), or empty */
	str path;	  /*!< the Path towards the contact, or empty */
	struct socket_info *sock;
} sf_contact_t;

/*!
 * \brief mod_init: bind usrloc (load it before sfwd), use table
 *   ul_table, register the callback that queues a flush when a contact
 *   registers (flush_on_register); with modparam cluster only for a
 *   contact registered through this node, not one dmq_usrloc replicated
 *   from another node
 * \return 0 ok, -1 error
 */
int sf_ul_mod_init(void);

/*!
 * \brief the AoR usrloc keys for a SIP URI or "user@host" (%XX decoded;
 *   with the domain when usrloc's use_domain is set), when it is UTF-8
 *   (the store keys it as text)
 * \param uri the URI or user@host
 * \param out the AoR, NUL-terminated
 * \param outsize its size
 * \return the AoR's length (> 0), or <= 0 when there is none
 */
int sf_aor_of(str *uri, char *out, int outsize);

/*!
 * \brief sf_aor_of() as a str
 * \param uri the URI or user@host
 * \param buf where the AoR is written, NUL-terminated
 * \param size its size
 * \param aor set to the AoR in buf
 * \return 0 ok, -1 there is none
 */
int sf_aor_str(str *uri, char *buf, int size, str *aor);

/*!
 * \brief has the AoR a contact here that takes MESSAGE and has not
 *   expired?
 * \param aor the AoR
 * \return 1 yes, 0 no
 */
int sf_ul_registered(const str *aor);

/*! \brief sf_ul_where(): no usable contact */
#define SF_UL_NONE 0
/*! \brief sf_ul_where(): usable contacts, all registered through other
 *   nodes (replicated by dmq_usrloc) */
#define SF_UL_ELSEWHERE 1
/*! \brief sf_ul_where(): a usable contact registered through this node
 *   (without modparam cluster: any usable contact) */
#define SF_UL_HERE 2

/*!
 * \brief where is the AoR registered? A contact was registered through
 *   this node when its server_id is this node's (core parameter
 *   server_id, distinct per node in a cluster); with modparam cluster 0
 *   every contact counts as registered here
 * \param aor the AoR
 * \return SF_UL_NONE, SF_UL_ELSEWHERE or SF_UL_HERE
 */
int sf_ul_where(const str *aor);

/*!
 * \brief copy the usable contacts of an AoR (pkg; free with
 *   sf_ul_contacts_free)
 * \param aor the AoR
 * \param out at most max contacts
 * \param max the room in out
 * \return how many were copied
 */
int sf_ul_contacts(const str *aor, sf_contact_t *out, int max);

/*! \brief free what sf_ul_contacts() copied
 * \param c the contacts
 * \param n how many */
void sf_ul_contacts_free(sf_contact_t *c, int n);

#endif
