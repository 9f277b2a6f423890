/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: per-user profiles, cached in shared memory
 */

#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/hashes.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"

#include "sf_profile.h"
#include "sf_store.h"
#include "sf_cfg.h"

#define SF_PROF_BUCKETS 1024
#define SF_PROF_JSON_MAX 8192

typedef struct sf_prof_entry
{
	struct sf_prof_entry *next;
	unsigned int hash;
	time_t expires;
	str aor;
	str json; /* len 0: this AoR has no profile */
} sf_prof_entry_t;

typedef struct sf_prof_cache
{
	gen_lock_t lock;
	int count;
	/* until then the table holds no profile at all: no lookups */
	volatile time_t empty_until;
	/* until then the table is known to hold some: no EXISTS check */
	volatile time_t some_until;
	/* bumped by every change made here: an EXISTS answer older than a
	 * change is not kept */
	volatile unsigned int gen;
	sf_prof_entry_t *b[SF_PROF_BUCKETS];
} sf_prof_cache_t;

static sf_prof_cache_t *_sf_pc = NULL;

int sf_profile_mod_init(void)
{
	_sf_pc = shm_malloc(sizeof(*_sf_pc));
	if(_sf_pc == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_sf_pc, 0, sizeof(*_sf_pc));
	if(lock_init(&_sf_pc->lock) == NULL)
		return -1;
	return 0;
}

/* unlink and free the entry of aor; caller holds the lock */
static void sf_prof_drop_unsafe(const str *aor, unsigned int h)
{
	sf_prof_entry_t **pp, *e;

	for(pp = &_sf_pc->b[h % SF_PROF_BUCKETS]; (e = *pp) != NULL;
			pp = &e->next) {
		if(e->hash == h && e->aor.len == aor->len
				&& memcmp(e->aor.s, aor->s, aor->len) == 0) {
			*pp = e->next;
			shm_free(e);
			_sf_pc->count--;
			return;
		}
	}
}

void sf_profile_invalidate(const str *aor)
{
	unsigned int h;

	if(_sf_pc == NULL)
		return;
	h = core_case_hash((str *)aor, NULL, 0);
	lock_get(&_sf_pc->lock);
	sf_prof_drop_unsafe(aor, h);
	_sf_pc->empty_until = 0;
	_sf_pc->some_until = 0;
	_sf_pc->gen++;
	lock_release(&_sf_pc->lock);
}

/* 1 cached with a profile (json copied to buf), 0 cached as none, -1 not
 * cached */
static int sf_prof_lookup(const str *aor, unsigned int h, char *buf, int size)
{
	sf_prof_entry_t *e;
	time_t now = time(NULL);
	int ret = -1;

	lock_get(&_sf_pc->lock);
	for(e = _sf_pc->b[h % SF_PROF_BUCKETS]; e != NULL; e = e->next) {
		if(e->hash == h && e->aor.len == aor->len
				&& memcmp(e->aor.s, aor->s, aor->len) == 0) {
			if(e->expires < now) {
				sf_prof_drop_unsafe(aor, h);
			} else if(e->json.len == 0) {
				ret = 0;
			} else if(e->json.len < size) {
				memcpy(buf, e->json.s, e->json.len);
				buf[e->json.len] = '\0';
				ret = 1;
			}
			break;
		}
	}
	lock_release(&_sf_pc->lock);
	return ret;
}

static void sf_prof_store(
		const str *aor, unsigned int h, const char *json, int jlen)
{
	sf_prof_entry_t *e;

	if(_sf_cfg.profile_cache_ttl <= 0)
		return;
	/* allocate outside the lock */
	e = shm_malloc(sizeof(*e) + aor->len + jlen + 2);
	if(e == NULL)
		return;
	e->hash = h;
	e->expires = time(NULL) + _sf_cfg.profile_cache_ttl;
	e->aor.s = (char *)(e + 1);
	e->aor.len = aor->len;
	memcpy(e->aor.s, aor->s, aor->len);
	e->json.s = e->aor.s + aor->len + 1;
	e->json.len = jlen;
	if(jlen)
		memcpy(e->json.s, json, jlen);
	lock_get(&_sf_pc->lock);
	sf_prof_drop_unsafe(aor, h);
	if(_sf_pc->count >= _sf_cfg.profile_cache_size) {
		lock_release(&_sf_pc->lock);
		shm_free(e);
		return;
	}
	e->next = _sf_pc->b[h % SF_PROF_BUCKETS];
	_sf_pc->b[h % SF_PROF_BUCKETS] = e;
	_sf_pc->count++;
	lock_release(&_sf_pc->lock);
}

int sf_profile_get(sf_db_t *db, const str *aor, sf_profile_t *out)
{
	char json[SF_PROF_JSON_MAX], key[512], err[256];
	const char *p[1];
	unsigned int h;
	PGresult *res;
	time_t now;
	int r, len;

	if(_sf_pc == NULL || aor->len <= 0 || aor->len >= (int)sizeof(key))
		return 0;
	/* most installations have few or no profiles: one EXISTS per
	 * profile_cache_ttl instead of one lookup per new AoR */
	now = time(NULL);
	if(_sf_pc->empty_until > now)
		return 0;
	if(_sf_cfg.profile_cache_ttl > 0 && _sf_pc->some_until <= now) {
		unsigned int gen = _sf_pc->gen;
		int empty;

		res = sf_store_run(db, SF_SQL_PROFILE_ANY, 0, NULL);
		if(res == NULL)
			return 0;
		empty = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 'f';
		PQclear(res);
		lock_get(&_sf_pc->lock);
		if(gen == _sf_pc->gen) {
			if(empty)
				_sf_pc->empty_until = now + _sf_cfg.profile_cache_ttl;
			else
				_sf_pc->some_until = now + _sf_cfg.profile_cache_ttl;
		}
		lock_release(&_sf_pc->lock);
		if(empty)
			return 0;
	}
	h = core_case_hash((str *)aor, NULL, 0);
	r = sf_prof_lookup(aor, h, json, sizeof(json));
	if(r < 0) {
		memcpy(key, aor->s, aor->len);
		key[aor->len] = '\0';
		p[0] = key;
		res = sf_store_run(db, SF_SQL_PROFILE_GET, 1, p);
		if(res == NULL) {
			LM_INFO("no profile for %.*s: the database did not answer\n",
					aor->len, aor->s);
			return 0;
		}
		if(PQntuples(res) == 1
				&& (len = PQgetlength(res, 0, 0)) < (int)sizeof(json)) {
			memcpy(json, PQgetvalue(res, 0, 0), len);
			json[len] = '\0';
			r = 1;
		} else {
			len = 0;
			r = 0;
		}
		PQclear(res);
		sf_prof_store(aor, h, json, len);
	}
	if(r == 0)
		return 0;
	if(sf_profile_parse(json, strlen(json), out, err, sizeof(err)) < 0) {
		LM_ERR("stored profile of %.*s does not parse: %s\n", aor->len, aor->s,
				err);
		return -1;
	}
	return 1;
}
