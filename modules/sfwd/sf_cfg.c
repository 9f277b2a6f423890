/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: configuration (see sf_cfg.h)
 */

#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/dprint.h"
#include "core/socket_info.h"

#include "sf_buf.h"
#include "sf_cfg.h"
#include "sf_classify.h"

#define SF_CFG_INT_DEFAULT(name, def, min, max) .name = (def),
#define SF_CFG_STR_DEFAULT(name, def) .name = {(def), sizeof(def) - 1},

sf_cfg_t _sf_cfg = {
		SF_CFG_INTS(SF_CFG_INT_DEFAULT) SF_CFG_STRS(SF_CFG_STR_DEFAULT)
				.default_class = SF_CLASS_STORE,
		.report_mode = SF_REPORT_IMDN,
		.db_url = NULL,
		.keep_headers = "",
};

/* what the cfg set for the string parameters, before sf_cfg_check() */
#define SF_CFG_STR_SHADOW(name, def) static char *_sf_p_##name = NULL;
SF_CFG_STRS(SF_CFG_STR_SHADOW)

/* checked when the cfg is read, so that `kamailio -c` catches it */
static int sf_param_default_class(modparam_t type, void *val)
{
	char *s = (char *)val;
	int c = sf_class_from_name(s, strlen(s));

	if(c < 0) {
		LM_ERR("invalid default_class '%s' (use instant, store or notify)\n",
				s);
		return -1;
	}
	_sf_cfg.default_class = c;
	return 0;
}

static int sf_param_report_mode(modparam_t type, void *val)
{
	char *s = (char *)val;

	if(strcasecmp(s, "imdn") == 0) {
		_sf_cfg.report_mode = SF_REPORT_IMDN;
	} else if(strcasecmp(s, "text") == 0) {
		_sf_cfg.report_mode = SF_REPORT_TEXT;
	} else {
		LM_ERR("invalid report_mode '%s' (use imdn or text)\n", s);
		return -1;
	}
	return 0;
}

#define SF_CFG_INT_PARAM(name, def, min, max) {#name, PARAM_INT, &_sf_cfg.name},
#define SF_CFG_STR_PARAM(name, def) {#name, PARAM_STRING, &_sf_p_##name},

/* clang-format off */
param_export_t sf_cfg_params[] = {
	SF_CFG_INTS(SF_CFG_INT_PARAM)
	SF_CFG_STRS(SF_CFG_STR_PARAM)
	{"default_class", PARAM_STRING | PARAM_USE_FUNC,
		(void *)sf_param_default_class},
	{"report_mode", PARAM_STRING | PARAM_USE_FUNC,
		(void *)sf_param_report_mode},
	{"db_url", PARAM_STRING, &_sf_cfg.db_url},
	{"keep_headers", PARAM_STRING, &_sf_cfg.keep_headers},
	/* the names before "profile" was the one name (one more release) */
	{"policy_cache_ttl", PARAM_INT, &_sf_cfg.profile_cache_ttl},
	{"policy_cache_size", PARAM_INT, &_sf_cfg.profile_cache_size},
	{0, 0, 0}
};
/* clang-format on */

/* "<hostname>:<first listen port>" unless node_id is set */
static int sf_node_id_init(void)
{
	static char buf[300];
	struct socket_info *si;
	char host[256];

	if(_sf_cfg.node_id.len > 0) {
		if(_sf_cfg.node_id.len > 200) {
			LM_ERR("node_id is longer than 200 bytes\n");
			return -1;
		}
		return 0;
	}
	if(gethostname(host, sizeof(host)) < 0)
		strcpy(host, "kamailio");
	host[sizeof(host) - 1] = '\0';
	si = get_first_socket();
	_sf_cfg.node_id.len =
			sf_fmt(buf, sizeof(buf), "%s:%d", host, si ? (int)si->port_no : 0);
	if(_sf_cfg.node_id.len < 0)
		return -1;
	_sf_cfg.node_id.s = buf;
	return 0;
}

#define SF_CFG_STR_SET(name, def)                     \
	if(_sf_p_##name && *_sf_p_##name) {               \
		_sf_cfg.name.s = _sf_p_##name;                \
		_sf_cfg.name.len = (int)strlen(_sf_p_##name); \
	}
#define SF_CFG_INT_RANGE(name, def, min, max)                      \
	if(_sf_cfg.name < (min) || _sf_cfg.name > (max)) {             \
		LM_ERR("modparam " #name "=%d is out of range [%d, %d]\n", \
				_sf_cfg.name, (min), (max));                       \
		return -1;                                                 \
	}

int sf_cfg_check(void)
{
	SF_CFG_INTS(SF_CFG_INT_RANGE)
	SF_CFG_STRS(SF_CFG_STR_SET)
	if(_sf_cfg.default_lifetime > _sf_cfg.max_lifetime)
		_sf_cfg.default_lifetime = _sf_cfg.max_lifetime;
	if(_sf_cfg.db_url != NULL && *_sf_cfg.db_url == '\0')
		_sf_cfg.db_url = NULL;
	return sf_node_id_init();
}
