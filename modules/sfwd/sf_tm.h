/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the tm API, bound once in mod_init
 */

#ifndef _SF_TM_H_
#define _SF_TM_H_

#include "modules/tm/tm_load.h"

/*! \brief tm's functions (t_uac, t_request, t_reply, ...) */
extern struct tm_binds _sf_tmb;

/*! \brief mod_init: bind tm (load tm before sfwd)
 * \return 0 ok, -1 error */
int sf_tm_bind(void);

#endif
