/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: everything usrloc (see sf_ul.h)
 */

#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/dprint.h"
#include "core/globals.h"
#include "core/mem/mem.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_uri.h"
#include "core/sr_module.h"
#include "modules/usrloc/usrloc.h"

#include "sf_cfg.h"
#include "sf_queue.h"
#include "sf_text.h"
#include "sf_ul.h"

static usrloc_api_t _sf_ul;
static int _sf_ul_bound = 0;
static udomain_t *_sf_udomain = NULL;

static int sf_aor_of_raw(str *uri, char *out, int outsize);

/* the AoR (as usrloc keys it) of a SIP URI or of "user@host"; one the
 * store can key (UTF-8, as PostgreSQL text) or -1 */
int sf_aor_of(str *uri, char *out, int outsize)
{
	int n = sf_aor_of_raw(uri, out, outsize);

	if(n > 0 && !sf_utf8_valid(out, n))
		return -1;
	return n;
}

int sf_aor_str(str *uri, char *buf, int size, str *aor)
{
	aor->len = sf_aor_of(uri, buf, size);
	if(aor->len <= 0)
		return -1;
	aor->s = buf;
	return 0;
}

static int sf_aor_of_raw(str *uri, char *out, int outsize)
{
	sip_uri_t pu;
	char *at;

	if(uri->len > 4
			&& (strncasecmp(uri->s, "sip:", 4) == 0
					|| strncasecmp(uri->s, "sips:", 5) == 0)) {
		if(parse_uri(uri->s, uri->len, &pu) < 0)
			return -1;
		return sf_aor_build(pu.user.s, pu.user.len, pu.host.s, pu.host.len,
				(_sf_ul_bound ? _sf_ul.use_domain : 0), out, outsize);
	}
	at = memchr(uri->s, '@', uri->len);
	if(at == NULL)
		return sf_aor_build(uri->s, uri->len, NULL, 0,
				(_sf_ul_bound ? _sf_ul.use_domain : 0), out, outsize);
	return sf_aor_build(uri->s, at - uri->s, at + 1, uri->s + uri->len - at - 1,
			(_sf_ul_bound ? _sf_ul.use_domain : 0), out, outsize);
}

/* registered through this node: its REGISTER was saved here (registrar
 * sets the contact's server_id to the node's); dmq_usrloc keeps the
 * server_id of the node that saved it */
static int sf_contact_here(const ucontact_t *c)
{
	return !_sf_cfg.cluster || c->server_id == server_id;
}

static void sf_ul_contact_cb(ucontact_t *c, int type, void *param)
{
	if(c == NULL || c->aor == NULL)
		return;
	/* a replica of another node's registration: that node flushes (it
	 * holds the contact's connection, and two nodes must not race) */
	if(!sf_contact_here(c)) {
		LM_DBG("%.*s registered through server_id %d: not flushed here\n",
				c->aor->len, c->aor->s, c->server_id);
		return;
	}
	/* nothing is stored for an AoR the store cannot key */
	if(!sf_utf8_valid(c->aor->s, c->aor->len))
		return;
	if(sf_queue_push_aor(c->aor, SF_WORK_FLUSH) < 0)
		LM_WARN("flush queue full, %.*s waits for its next registration\n",
				c->aor->len, c->aor->s);
	else
		LM_DBG("queued flush of %.*s\n", c->aor->len, c->aor->s);
}

static int sf_contact_usable(ucontact_t *c, time_t now)
{
	if(!(c->expires > now || c->expires == 0))
		return 0;
	/* no Allow header in the REGISTER: everything is allowed */
	if(c->methods != 0 && c->methods != (unsigned int)-1
			&& !(c->methods & METHOD_MESSAGE))
		return 0;
	return 1;
}

int sf_ul_registered(const str *aor)
{
	urecord_t *r = NULL;
	ucontact_t *c;
	time_t now = time(NULL);
	int found = 0;

	if(_sf_udomain == NULL)
		return 0;
	_sf_ul.lock_udomain(_sf_udomain, (str *)aor);
	if(_sf_ul.get_urecord(_sf_udomain, (str *)aor, &r) == 0) {
		for(c = r->contacts; c != NULL && !found; c = c->next)
			found = sf_contact_usable(c, now);
	}
	_sf_ul.unlock_udomain(_sf_udomain, (str *)aor);
	return found;
}

int sf_ul_where(const str *aor)
{
	urecord_t *r = NULL;
	ucontact_t *c;
	time_t now = time(NULL);
	int where = SF_UL_NONE;

	if(_sf_udomain == NULL)
		return SF_UL_NONE;
	_sf_ul.lock_udomain(_sf_udomain, (str *)aor);
	if(_sf_ul.get_urecord(_sf_udomain, (str *)aor, &r) == 0) {
		for(c = r->contacts; c != NULL && where != SF_UL_HERE; c = c->next) {
			if(sf_contact_usable(c, now))
				where = sf_contact_here(c) ? SF_UL_HERE : SF_UL_ELSEWHERE;
		}
	}
	_sf_ul.unlock_udomain(_sf_udomain, (str *)aor);
	return where;
}

void sf_ul_contacts_free(sf_contact_t *c, int n)
{
	int i;

	for(i = 0; i < n; i++) {
		if(c[i].uri.s)
			pkg_free(c[i].uri.s);
		c[i].uri.s = NULL;
	}
}

/* copy src to *pos, NUL-terminated, and point d at the copy */
static void sf_ul_copy(str *d, const str *src, char **pos)
{
	d->s = *pos;
	d->len = src->len;
	if(src->len > 0)
		memcpy(*pos, src->s, src->len);
	(*pos)[src->len] = '\0';
	*pos += src->len + 1;
}

int sf_ul_contacts(const str *aor, sf_contact_t *out, int max)
{
	urecord_t *r = NULL;
	ucontact_t *c;
	time_t now = time(NULL);
	sf_contact_t *d;
	char *p;
	int n = 0;

	if(_sf_udomain == NULL)
		return 0;
	_sf_ul.lock_udomain(_sf_udomain, (str *)aor);
	if(_sf_ul.get_urecord(_sf_udomain, (str *)aor, &r) == 0) {
		for(c = r->contacts; c != NULL && n < max; c = c->next) {
			if(!sf_contact_usable(c, now))
				continue;
			/* one allocation for the three strings */
			p = pkg_malloc(c->c.len + c->received.len + c->path.len + 3);
			if(p == NULL) {
				PKG_MEM_ERROR;
				break;
			}
			d = &out[n++];
			sf_ul_copy(&d->uri, &c->c, &p);
			sf_ul_copy(&d->received, &c->received, &p);
			sf_ul_copy(&d->path, &c->path, &p);
			d->sock = c->sock;
		}
	}
	_sf_ul.unlock_udomain(_sf_udomain, (str *)aor);
	return n;
}

int sf_ul_mod_init(void)
{
	bind_usrloc_t bind_usrloc;

	bind_usrloc = (bind_usrloc_t)find_export("ul_bind_usrloc", 1, 0);
	if(bind_usrloc == NULL || bind_usrloc(&_sf_ul) < 0) {
		LM_ERR("cannot bind usrloc (load usrloc before sfwd)\n");
		return -1;
	}
	_sf_ul_bound = 1;
	if(_sf_ul.register_udomain(_sf_cfg.ul_table.s, &_sf_udomain) < 0) {
		LM_ERR("cannot use usrloc table %.*s\n", _sf_cfg.ul_table.len,
				_sf_cfg.ul_table.s);
		return -1;
	}
	if(_sf_cfg.flush_on_register
			&& _sf_ul.register_ulcb(UL_CONTACT_INSERT | UL_CONTACT_UPDATE,
					   sf_ul_contact_cb, NULL)
					   < 0) {
		LM_ERR("cannot register the usrloc callback\n");
		return -1;
	}
	return 0;
}
