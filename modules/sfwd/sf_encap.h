/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: sf_encapsulate_msrp(): the current request as
 *   message/sip (RFC 3261 section 27.5) or message/sipfrag in MSRP SEND
 *   frames (RFC 4975)
 */

#ifndef _SF_ENCAP_H_
#define _SF_ENCAP_H_

#include "core/parser/msg_parser.h"
#include "core/pvar.h"
#include "core/str.h"

/*!
 * \brief the current request, wrapped, into a variable
 * \param msg the request
 * \param dst a writable variable: the frames, one after the other (a
 *   payload over msrp_chunk_size is chunked)
 * \param mode "sip" (default when empty or NULL) or "sipfrag"
 * \return 1 ok, -1 error (logged)
 */
int sf_encapsulate(sip_msg_t *msg, pv_spec_t *dst, str *mode);

#endif
