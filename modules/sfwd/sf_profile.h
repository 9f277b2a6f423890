/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: per-user profiles: table sfwd_profile, cached in shared
 *   memory
 *
 * The cache keeps each AoR's profile (its JSON, or "none") for
 * profile_cache_ttl seconds; sfwd.profile_set/profile_delete drop the entry
 * at once on this node (other nodes see the change within the TTL).
 */

#ifndef _SF_PROFILE_H_
#define _SF_PROFILE_H_

#include "core/str.h"

#include "sf_db.h"
#include "sf_profile_json.h"

/*!
 * \brief mod_init: the cache in shared memory
 * \return 0 ok, -1 error
 */
int sf_profile_mod_init(void);

/*!
 * \brief the profile of an AoR (cache, else the database)
 * \param db the connection
 * \param aor the AoR
 * \param out the profile
 * \return 1 found (out filled), 0 none (or the database did not answer;
 *   logged), -1 the stored profile does not parse (logged)
 */
int sf_profile_get(sf_db_t *db, const str *aor, sf_profile_t *out);

/*!
 * \brief forget the cached profile of an AoR
 * \param aor the AoR
 */
void sf_profile_invalidate(const str *aor);

#endif
