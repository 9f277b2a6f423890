/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: the tm API (see sf_tm.h)
 */

#include "core/dprint.h"

#include "sf_tm.h"

struct tm_binds _sf_tmb;

int sf_tm_bind(void)
{
	if(load_tm_api(&_sf_tmb) < 0) {
		LM_ERR("cannot bind tm (load tm before sfwd)\n");
		return -1;
	}
	return 0;
}
