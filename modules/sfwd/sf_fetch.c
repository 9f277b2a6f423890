/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: notify-then-fetch: tokens, links and notices (sf_fetch.h)
 */

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "sf_fetch.h"

int sf_fetch_token(char out[SF_FETCH_TOKEN_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[SF_FETCH_TOKEN_LEN / 2];
	size_t got = 0;
	ssize_t n;
	int i;

	while(got < sizeof(b)) {
		n = getrandom(b + got, sizeof(b) - got, 0);
		if(n < 0) {
			if(errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	for(i = 0; i < (int)sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[SF_FETCH_TOKEN_LEN] = '\0';
	return 0;
}

int sf_fetch_token_valid(const char *s, size_t len)
{
	size_t i;

	if(s == NULL || len != SF_FETCH_TOKEN_LEN)
		return 0;
	for(i = 0; i < len; i++)
		if(!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int sf_fetch_url(char *out, size_t size, sf_buf_t base, const char *kind,
		const char *token)
{
	sf_wr_t w;

	while(base.len > 0 && base.s[base.len - 1] == '/')
		base.len--;
	sf_wr_init(&w, out, size);
	sf_put(&w, base.s, base.len);
	sf_putch(&w, '/');
	sf_put(&w, kind, strlen(kind));
	sf_putch(&w, '/');
	sf_put(&w, token, strlen(token));
	return sf_wr_end(&w);
}

/* the length of the UTF-8 sequence at s (at most left bytes), 0 when it is
 * not a valid one */
static size_t sf_u8_seq(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned int cp;

	if(s[0] < 0x80)
		return 1;
	if(s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if(s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if(s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if(n > left)
		return 0;
	for(i = 1; i < n; i++) {
		if((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
			|| (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* text from the wire: at most max characters, whole UTF-8 characters
 * only, control characters and invalid bytes left out, a '"' as '\'' */
static void sf_put_text(sf_wr_t *w, sf_buf_t t, size_t max)
{
	const unsigned char *s = (const unsigned char *)t.s;
	size_t i = 0, n, chars = 0;

	while(i < t.len && chars < max) {
		n = sf_u8_seq(s + i, t.len - i);
		if(n == 0) {
			i++;
			continue;
		}
		if(n == 1 && (s[i] < 0x20 || s[i] == 0x7f)) {
			if(chars > 0 && (s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
				sf_putch(w, ' ');
			i++;
			continue;
		}
		if(n == 1 && s[i] == '"')
			sf_putch(w, '\'');
		else
			sf_put(w, t.s + i, n);
		i += n;
		chars++;
	}
	if(i < t.len)
		SF_PUTS(w, "...");
}

/* printable ASCII up to max bytes (a URI, a type) */
static void sf_put_ascii(sf_wr_t *w, sf_buf_t t, size_t max, int stop_semi)
{
	size_t i;

	for(i = 0; i < t.len && i < max; i++) {
		if(stop_semi && (t.s[i] == ';' || (unsigned char)t.s[i] <= 0x20))
			break;
		if(t.s[i] > 0x20 && t.s[i] < 0x7f && t.s[i] != '<' && t.s[i] != '>')
			sf_putch(w, t.s[i]);
	}
}

/* "2.0 MB", "40 KB", "512 bytes" */
static void sf_put_size(sf_wr_t *w, long long size)
{
	if(size < 0)
		size = 0;
	if(size < 1024) {
		sf_put_uint(w, (unsigned long)size);
		if(size == 1)
			SF_PUTS(w, " byte");
		else
			SF_PUTS(w, " bytes");
	} else if(size < 1024 * 1024) {
		sf_put_uint(w, (unsigned long)((size + 512) / 1024));
		SF_PUTS(w, " KB");
	} else {
		long long tenths = (size * 10 + 512 * 1024) / (1024 * 1024);
		sf_put_uint(w, (unsigned long)(tenths / 10));
		sf_putch(w, '.');
		sf_put_uint(w, (unsigned long)(tenths % 10));
		SF_PUTS(w, " MB");
	}
}

int sf_fetch_notice(char *out, size_t size, const sf_fetch_notice_in_t *in)
{
	sf_wr_t w;
	sf_buf_t name;
	size_t before;

	sf_wr_init(&w, out, size);
	SF_PUTS(&w, "Message from ");
	before = w.len;
	name = in->from_name;
	/* a quoted display name as it was on the wire: its text */
	if(name.len >= 2 && name.s[0] == '"' && name.s[name.len - 1] == '"') {
		name.s++;
		name.len -= 2;
	}
	sf_put_text(&w, name, 64);
	if(w.len > before)
		sf_putch(&w, ' ');
	sf_putch(&w, '<');
	sf_put_ascii(&w, in->from_uri, 128, 0);
	SF_PUTS(&w, ">: ");
	if(in->subject.len > 0) {
		before = w.len;
		sf_putch(&w, '"');
		sf_put_text(&w, in->subject, 80);
		SF_PUTS(&w, "\", ");
		if(w.len == before + 3)
			w.len = before; /* nothing printable */
	}
	sf_put_size(&w, in->size);
	if(in->content_type.len > 0) {
		SF_PUTS(&w, " (");
		sf_put_ascii(&w, in->content_type, 64, 1);
		sf_putch(&w, ')');
	}
	SF_PUTS(&w, ". Fetch it: ");
	sf_put_ascii(&w, in->url, 256, 0);
	return sf_wr_end(&w);
}
