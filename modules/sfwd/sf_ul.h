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
 *   registers (flush_on_register)
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
