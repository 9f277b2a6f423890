/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: module parameters and bindings shared by the glue files
 */

#ifndef _SFWD_MOD_H_
#define _SFWD_MOD_H_

#include "core/str.h"
#include "modules/tm/tm_load.h"
#include "modules/usrloc/usrloc.h"

#include "sf_cfg.h"

extern struct tm_binds _sf_tmb;
extern usrloc_api_t _sf_ul;
extern udomain_t *_sf_udomain;

#endif
