/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure builder of an e-mail from a stored message (see
 *   sf_mail.h)
 */

#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "sf_buf.h"
#include "sf_mail.h"
#include "sf_text.h"

/* a header line with encoded words is folded to this many octets */
#define FOLD 78
/* an encoded word is at most this long (RFC 2047 section 2) */
#define EW_MAX 75
/* "=?UTF-8?B?" and "?=" */
#define EW_OVERHEAD 12

/* a cleaned display name or subject: 4 bytes per character at most */
#define TEXT_SIZE (SF_MAIL_TEXT_CHARS * 4 + 1)
/* the display label "<name> (<uri>)" */
#define LABEL_SIZE (TEXT_SIZE + SF_MAIL_URI_CHARS + 4)
/* the first part of a multipart mail: the label, a media type, a coding,
 * a number and the fixed words */
#define NOTE_SIZE (LABEL_SIZE + 512)
/* the longest Content-Type parameter attribute and value kept */
#define ATTR_MAX 64
#define VALUE_MAX 256

/* ---- small helpers ----------------------------------------------------- */

/* a (NULL, n > 0) range is unusable; (NULL, 0) is empty */
static int buf_ok(sf_buf_t b)
{
	return b.s != NULL || b.len == 0;
}

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		   || (c >= '0' && c <= '9');
}

/* RFC 5322 atext */
static int is_atext(unsigned char c)
{
	return is_alnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 2045 token character */
static int is_token(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static int all_token(const char *s, size_t n)
{
	size_t i;

	for(i = 0; i < n; i++) {
		if(!is_token((unsigned char)s[i]))
			return 0;
	}
	return n > 0;
}

/* printable ASCII without "=?" (which a reader could take for an encoded
 * word): fit to be written as it is */
static int plain_ok(const char *s, size_t n)
{
	size_t i;

	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if(c < 0x20 || c > 0x7e)
			return 0;
		if(c == '=' && i + 1 < n && s[i + 1] == '?')
			return 0;
	}
	return 1;
}

/* a domain: letters, digits, '-', '_', '.'; or a [literal] of printable
 * ASCII without '[', ']', '\' */
static int domain_ok(const char *s, size_t n)
{
	size_t i;

	if(n == 0)
		return 0;
	if(s[0] == '[') {
		if(n < 3 || s[n - 1] != ']')
			return 0;
		for(i = 1; i + 1 < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if(c <= 0x20 || c >= 0x7f || c == '[' || c == ']' || c == '\\')
				return 0;
		}
		return 1;
	}
	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if(!is_alnum(c) && c != '-' && c != '_' && c != '.')
			return 0;
	}
	return 1;
}

/* local@domain: the local part atext and '.', one '@' */
static int addr_ok(sf_buf_t b)
{
	const char *at;
	size_t i, ll;

	if(b.s == NULL || b.len == 0 || b.len > SF_MAIL_ADDR_MAX)
		return 0;
	at = memchr(b.s, '@', b.len);
	if(at == NULL || at == b.s)
		return 0;
	ll = (size_t)(at - b.s);
	for(i = 0; i < ll; i++) {
		if(!is_atext((unsigned char)b.s[i]) && b.s[i] != '.')
			return 0;
	}
	return domain_ok(at + 1, b.len - ll - 1);
}

static void put_buf(sf_wr_t *w, sf_buf_t b)
{
	sf_put(w, b.s, b.len);
}

/* a signed decimal (sf_put_uint takes an unsigned long, 32 bits on some
 * targets) */
static void put_ll(sf_wr_t *w, long long v)
{
	unsigned long long u = (unsigned long long)v;
	char buf[24];
	size_t n = sizeof(buf);

	if(v < 0)
		u = 0 - u;
	do {
		buf[--n] = (char)('0' + u % 10);
		u /= 10;
	} while(u > 0);
	if(v < 0)
		buf[--n] = '-';
	sf_put(w, buf + n, sizeof(buf) - n);
}

/* ---- base64 ------------------------------------------------------------ */

static const char _sf_b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* the base64 of n bytes into out (4 * ceil(n / 3) characters) */
static size_t b64_enc(const unsigned char *s, size_t n, char *out)
{
	size_t i, o = 0;
	unsigned long v;

	for(i = 0; i + 2 < n; i += 3) {
		v = ((unsigned long)s[i] << 16) | ((unsigned long)s[i + 1] << 8)
			| s[i + 2];
		out[o++] = _sf_b64[(v >> 18) & 63];
		out[o++] = _sf_b64[(v >> 12) & 63];
		out[o++] = _sf_b64[(v >> 6) & 63];
		out[o++] = _sf_b64[v & 63];
	}
	if(i < n) {
		v = (unsigned long)s[i] << 16;
		if(i + 1 < n)
			v |= (unsigned long)s[i + 1] << 8;
		out[o++] = _sf_b64[(v >> 18) & 63];
		out[o++] = _sf_b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? _sf_b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

static size_t b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* base64 of the bytes, one run of characters */
static void put_b64(sf_wr_t *w, const char *s, size_t n)
{
	char buf[80];
	size_t k;

	while(n > 0) {
		k = n > 57 ? 57 : n; /* a multiple of 3: the runs join */
		sf_put(w, buf, b64_enc((const unsigned char *)s, k, buf));
		s += k;
		n -= k;
	}
}

/* base64 of the bytes in lines of 76 characters, each ending in CRLF */
static void put_b64_lines(sf_wr_t *w, const char *s, size_t n)
{
	char buf[80];
	size_t k, m;

	while(n > 0) {
		/* past the end of a real buffer the result is -1 whatever comes:
		 * stop encoding (a counting writer, out NULL, goes on) */
		if(w->out != NULL && w->len > w->size)
			return;
		k = n > 57 ? 57 : n;
		m = b64_enc((const unsigned char *)s, k, buf);
		buf[m++] = '\r';
		buf[m++] = '\n';
		sf_put(w, buf, m);
		s += k;
		n -= k;
	}
}

/* ---- cleaning hostile text --------------------------------------------- */

/* valid UTF-8, no controls, single spaces, at most max characters */
typedef struct mtext
{
	char s[TEXT_SIZE];
	size_t len;
	size_t chars;
} mtext_t;

/* the code point at s[*i] (moved past it); U+FFFD for a byte that does
 * not start a valid sequence (moved past that byte alone) */
static unsigned long next_cp(const char *s, size_t len, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s + *i;
	size_t n, k;
	unsigned long cp;

	if(p[0] < 0x80) {
		(*i)++;
		return p[0];
	}
	n = (p[0] >= 0xc2 && p[0] <= 0xdf)	 ? 2
		: (p[0] >= 0xe0 && p[0] <= 0xef) ? 3
		: (p[0] >= 0xf0 && p[0] <= 0xf4) ? 4
										 : 0;
	if(n == 0 || len - *i < n || !sf_utf8_valid(s + *i, n)) {
		(*i)++;
		return 0xfffd;
	}
	cp = p[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
	for(k = 1; k < n; k++)
		cp = (cp << 6) | (p[k] & 0x3f);
	*i += n;
	return cp;
}

static size_t utf8_enc(unsigned long cp, char *u)
{
	if(cp < 0x80) {
		u[0] = (char)cp;
		return 1;
	}
	if(cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if(cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (char)(0xf0 | (cp >> 18));
	u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* one code point onto t: a control is a space, a space after a space (or
 * at the start) is dropped; 0 when t is full */
static int tx_add(mtext_t *t, unsigned long cp)
{
	if(cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028
			|| cp == 0x2029)
		cp = ' ';
	if(cp == ' ' && (t->len == 0 || t->s[t->len - 1] == ' '))
		return 1;
	if(t->chars >= SF_MAIL_TEXT_CHARS)
		return 0;
	t->len += utf8_enc(cp, t->s + t->len);
	t->chars++;
	return 1;
}

/* the text of a display name (quoted: up to its closing quote, with its
 * \-escapes undone) or of a subject, cleaned */
static void clean_text(sf_buf_t in, int name, mtext_t *t)
{
	sf_buf_t b = sf_buf_trim(in.s, in.len);
	int quoted = name && b.len > 0 && b.s[0] == '"';
	size_t i = quoted ? 1 : 0;
	unsigned long cp;

	t->len = 0;
	t->chars = 0;
	while(i < b.len) {
		unsigned char c = (unsigned char)b.s[i];
		if(quoted && c == '"')
			break;
		if(quoted && c == '\\' && i + 1 < b.len) {
			i++;
			if((unsigned char)b.s[i] >= 0x80)
				continue; /* not a quoted-pair: the '\' alone goes */
			cp = (unsigned char)b.s[i++];
		} else {
			cp = next_cp(b.s, b.len, &i);
		}
		if(!tx_add(t, cp))
			break;
	}
	if(t->len > 0 && t->s[t->len - 1] == ' ') {
		t->len--;
		t->chars--;
	}
}

/* the URI: without surrounding <> and white space, controls dropped,
 * what is not a plain URI character %-encoded; out has room for
 * SF_MAIL_URI_CHARS; its length */
static size_t clean_uri(sf_buf_t in, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	sf_buf_t b = sf_buf_trim(in.s, in.len);
	size_t i, n = 0;

	if(b.len >= 2 && b.s[0] == '<' && b.s[b.len - 1] == '>')
		b = sf_buf_trim(b.s + 1, b.len - 2);
	for(i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.s[i];
		if(c < 0x20 || c == 0x7f)
			continue;
		/* "=?" could be read as an encoded word: its '?' is encoded */
		if(c >= 0x80 || c == ' ' || c == '"' || c == '<' || c == '>'
				|| c == '\\' || (c == '?' && n > 0 && out[n - 1] == '=')) {
			if(n + 3 > SF_MAIL_URI_CHARS)
				break;
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else {
			if(n + 1 > SF_MAIL_URI_CHARS)
				break;
			out[n++] = (char)c;
		}
	}
	return n;
}

/* ---- header fields ----------------------------------------------------- */

/* text (valid UTF-8, not empty) as encoded words from column col, one per
 * folded line, each line at most FOLD octets; the column after the last */
static size_t put_ew(sf_wr_t *w, const char *s, size_t n, size_t col)
{
	size_t i = 0, room, maxb, k, j;

	for(;;) {
		room = FOLD - col;
		if(room > EW_MAX)
			room = EW_MAX;
		maxb = (room - EW_OVERHEAD) / 4 * 3;
		k = n - i;
		if(k > maxb) {
			k = maxb;
			/* never split a character */
			while(k > 0 && ((unsigned char)s[i + k] & 0xc0) == 0x80)
				k--;
			/* rather after a space: readers that (against RFC 2047
			 * section 6.2) show the folding between two words as a space
			 * then split no word of the text, they only widen a space */
			for(j = k; j > 0; j--) {
				if(s[i + j - 1] == ' ') {
					k = j;
					break;
				}
			}
		}
		SF_PUTS(w, "=?UTF-8?B?");
		put_b64(w, s + i, k);
		SF_PUTS(w, "?=");
		col += EW_OVERHEAD + b64_len(k);
		i += k;
		if(i >= n)
			return col;
		SF_PUTS(w, "\r\n ");
		col = 1;
	}
}

/* "<name>: " and an unstructured text: plain, folded at its spaces, when
 * plain_ok(), else encoded words */
static void put_unstructured(
		sf_wr_t *w, const char *name, const char *s, size_t n)
{
	size_t col = strlen(name) + 2, i = 0, e;

	sf_put(w, name, strlen(name));
	SF_PUTS(w, ": ");
	if(!plain_ok(s, n)) {
		put_ew(w, s, n, col);
		SF_PUTS(w, "\r\n");
		return;
	}
	while(i < n) {
		/* one word; the text has single spaces, none at either end */
		e = i;
		while(e < n && s[e] != ' ')
			e++;
		if(i > 0) {
			if(col + 1 + (e - i) > FOLD) {
				SF_PUTS(w, "\r\n ");
				col = 1;
			} else {
				sf_putch(w, ' ');
				col++;
			}
		}
		sf_put(w, s + i, e - i);
		col += e - i;
		i = e + 1;
	}
	SF_PUTS(w, "\r\n");
}

/* From: the label as a quoted-string, or as encoded words, and <sender> */
static void put_from(sf_wr_t *w, const char *label, size_t n, sf_buf_t sender)
{
	size_t i, q = 2, col;

	SF_PUTS(w, "From: ");
	if(n == 0) {
		sf_putch(w, '<');
		put_buf(w, sender);
		SF_PUTS(w, ">\r\n");
		return;
	}
	for(i = 0; i < n; i++)
		q += (label[i] == '"' || label[i] == '\\') ? 2 : 1;
	if(plain_ok(label, n) && 6 + q + 2 + sender.len + 1 <= FOLD) {
		sf_putch(w, '"');
		for(i = 0; i < n; i++) {
			if(label[i] == '"' || label[i] == '\\')
				sf_putch(w, '\\');
			sf_putch(w, label[i]);
		}
		SF_PUTS(w, "\" <");
	} else {
		col = put_ew(w, label, n, 6);
		if(col + 2 + sender.len + 1 <= FOLD)
			SF_PUTS(w, " <");
		else
			SF_PUTS(w, "\r\n <");
	}
	put_buf(w, sender);
	SF_PUTS(w, ">\r\n");
}

/* ---- Content-Type ------------------------------------------------------ */

/* a parsed media type: type and subtype in lower case, the parameters'
 * text */
typedef struct ctype
{
	int ok;
	char type[128];
	char sub[128];
	sf_buf_t params;
} ctype_t;

static void skip_lws(sf_buf_t b, size_t *i)
{
	while(*i < b.len && sf_is_lws((unsigned char)b.s[*i]))
		(*i)++;
}

/* a token of at most max characters, lower case, into out (NUL-ended) */
static int read_token(sf_buf_t b, size_t *i, char *out, size_t max)
{
	size_t n = 0;

	while(*i < b.len && is_token((unsigned char)b.s[*i])) {
		if(n >= max)
			return 0;
		out[n++] = sf_lower(b.s[(*i)++]);
	}
	out[n] = '\0';
	return n > 0;
}

static void ct_parse(sf_buf_t ct, ctype_t *c)
{
	sf_buf_t b = sf_buf_trim(ct.s, ct.len);
	size_t i = 0;

	c->ok = 1;
	c->params.s = NULL;
	c->params.len = 0;
	if(b.len == 0) {
		memcpy(c->type, "text", 5);
		memcpy(c->sub, "plain", 6);
		return;
	}
	c->ok = 0;
	if(!read_token(b, &i, c->type, sizeof(c->type) - 1))
		return;
	skip_lws(b, &i);
	if(i >= b.len || b.s[i] != '/')
		return;
	i++;
	skip_lws(b, &i);
	if(!read_token(b, &i, c->sub, sizeof(c->sub) - 1))
		return;
	c->ok = 1;
	c->params.s = b.s + i;
	c->params.len = b.len - i;
}

/* the next `; attribute=value` of p from *i: 1 with the attribute and the
 * value (quoted-pairs undone, into val, VALUE_MAX + 1 bytes) and *usable
 * 0 when it holds a control or a non-ASCII byte or is too long; 0 at the
 * end or at a parameter that is not well-formed */
static int next_param(sf_buf_t p, size_t *i, sf_buf_t *attr, char *val,
		size_t *vlen, int *usable)
{
	size_t n = 0;
	unsigned char c;

	*usable = 1;
	skip_lws(p, i);
	if(*i >= p.len || p.s[*i] != ';')
		return 0;
	(*i)++;
	skip_lws(p, i);
	attr->s = p.s + *i;
	while(*i < p.len && is_token((unsigned char)p.s[*i]))
		(*i)++;
	attr->len = (size_t)(p.s + *i - attr->s);
	if(attr->len == 0)
		return 0;
	if(attr->len > ATTR_MAX)
		*usable = 0;
	skip_lws(p, i);
	if(*i >= p.len || p.s[*i] != '=')
		return 0;
	(*i)++;
	skip_lws(p, i);
	if(*i < p.len && p.s[*i] == '"') {
		for((*i)++;; (*i)++) {
			if(*i >= p.len)
				return 0; /* no closing quote */
			c = (unsigned char)p.s[*i];
			if(c == '"')
				break;
			if(c == '\\' && *i + 1 < p.len)
				c = (unsigned char)p.s[++(*i)];
			if(c < 0x20 || c >= 0x7f || n >= VALUE_MAX)
				*usable = 0;
			else
				val[n++] = (char)c;
		}
		(*i)++;
	} else {
		while(*i < p.len && is_token((unsigned char)p.s[*i])) {
			if(n >= VALUE_MAX)
				*usable = 0;
			else
				val[n++] = p.s[*i];
			(*i)++;
		}
		if(n == 0)
			return 0;
	}
	*vlen = n;
	return 1;
}

/* "; attribute=value", folded before it when the line would pass FOLD */
static void put_param(sf_wr_t *w, size_t *col, const char *attr, size_t alen,
		const char *val, size_t vlen)
{
	int tok = all_token(val, vlen);
	size_t i, plen = alen + 1 + vlen;

	if(!tok) {
		plen += 2;
		for(i = 0; i < vlen; i++)
			plen += (val[i] == '"' || val[i] == '\\');
	}
	if(*col + 2 + plen > FOLD) {
		SF_PUTS(w, ";\r\n ");
		*col = 1 + plen;
	} else {
		SF_PUTS(w, "; ");
		*col += 2 + plen;
	}
	sf_put(w, attr, alen);
	sf_putch(w, '=');
	if(tok) {
		sf_put(w, val, vlen);
		return;
	}
	sf_putch(w, '"');
	for(i = 0; i < vlen; i++) {
		if(val[i] == '"' || val[i] == '\\')
			sf_putch(w, '\\');
		sf_putch(w, val[i]);
	}
	sf_putch(w, '"');
}

/* "Content-Type: type/sub" and the well-formed parameters of c; with
 * charset, "; charset=utf-8" when there is no charset parameter */
static void put_ctype(sf_wr_t *w, const ctype_t *c, int charset)
{
	char val[VALUE_MAX + 1];
	size_t i = 0, vlen = 0, col, tl = strlen(c->type), sl = strlen(c->sub);
	sf_buf_t attr;
	int usable, n = 0, has_charset = 0;

	SF_PUTS(w, "Content-Type: ");
	sf_put(w, c->type, tl);
	sf_putch(w, '/');
	sf_put(w, c->sub, sl);
	col = 14 + tl + 1 + sl;
	while(n < SF_MAIL_MAX_PARAMS
			&& next_param(c->params, &i, &attr, val, &vlen, &usable)) {
		if(!usable)
			continue;
		if(sf_buf_ieq(attr.s, attr.len, "charset"))
			has_charset = 1;
		put_param(w, &col, attr.s, attr.len, val, vlen);
		n++;
	}
	if(charset && !has_charset)
		put_param(w, &col, "charset", 7, "utf-8", 5);
	SF_PUTS(w, "\r\n");
}

/* the file name extension of a media type */
static const char *ext_of(const ctype_t *c)
{
	static const struct
	{
		const char *type, *sub, *ext;
	} tab[] = {
			{"image", "jpeg", "jpg"},
			{"image", "jpg", "jpg"},
			{"image", "pjpeg", "jpg"},
			{"image", "png", "png"},
			{"image", "gif", "gif"},
			{"image", "webp", "webp"},
			{"image", "heic", "heic"},
			{"application", "pdf", "pdf"},
			{"text", "plain", "txt"},
			{"text", "vcard", "vcf"},
			{"text", "x-vcard", "vcf"},
			{"message", "rfc822", "eml"},
			{"video", "mp4", "mp4"},
			{"video", "3gpp", "3gp"},
			{"audio", "mpeg", "mp3"},
			{"audio", "amr", "amr"},
			{"audio", "ogg", "ogg"},
	};
	size_t k;

	if(!c->ok)
		return "bin";
	for(k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
		if(strcmp(c->type, tab[k].type) == 0 && strcmp(c->sub, tab[k].sub) == 0)
			return tab[k].ext;
	}
	return "bin";
}

/* ---- the mail ---------------------------------------------------------- */

static int in_ok(const sf_mail_in_t *in)
{
	char d[32];

	if(!buf_ok(in->from_name) || !buf_ok(in->from_uri) || !buf_ok(in->subject)
			|| !buf_ok(in->content_type) || !buf_ok(in->content_encoding)
			|| !buf_ok(in->body))
		return 0;
	if(!addr_ok(in->to_addr) || !addr_ok(in->sender))
		return 0;
	if(in->host.s == NULL || in->host.len > SF_MAIL_HOST_MAX
			|| !domain_ok(in->host.s, in->host.len))
		return 0;
	if(in->id < 0)
		return 0;
	/* years 1900 .. 9999 (sf_http_date refuses five digits) */
	if(in->date < -2208988800LL || (long long)(time_t)in->date != in->date
			|| sf_http_date((time_t)in->date, d, sizeof(d)) != 29)
		return 0;
	return 1;
}

/* FNV-1a of id and date: the boundary's hex, the same for every retry */
static void put_hash(sf_wr_t *w, long long id, long long date)
{
	uint64_t h = 14695981039346656037ULL;
	unsigned long long v[2];
	char hex[16];
	int k, b;

	v[0] = (unsigned long long)id;
	v[1] = (unsigned long long)date;
	for(k = 0; k < 2; k++) {
		for(b = 0; b < 8; b++) {
			h ^= (v[k] >> (8 * b)) & 0xff;
			h *= 1099511628211ULL;
		}
	}
	for(k = 15; k >= 0; k--) {
		hex[k] = "0123456789abcdef"[h & 15];
		h >>= 4;
	}
	sf_put(w, hex, sizeof(hex));
}

static void put_boundary(sf_wr_t *w, const sf_mail_in_t *in)
{
	SF_PUTS(w, "=_sfwd_");
	put_ll(w, in->id);
	sf_putch(w, '_');
	put_hash(w, in->id, in->date);
}

/* what the content coding makes of the attachment: its media type (NULL:
 * the SIP one) and the suffix after the extension */
static const char *coding_type(sf_buf_t enc, const char **suffix)
{
	*suffix = NULL;
	if(sf_buf_ieq(enc.s, enc.len, "gzip")
			|| sf_buf_ieq(enc.s, enc.len, "x-gzip")) {
		*suffix = ".gz";
		return "application/gzip";
	}
	if(sf_buf_ieq(enc.s, enc.len, "deflate")) {
		*suffix = ".zz";
		return "application/zlib";
	}
	return "application/octet-stream";
}

/* the multipart body after the mail's headers */
static void put_multipart(sf_wr_t *w, const sf_mail_in_t *in, const ctype_t *ct,
		sf_buf_t enc, const char *label, size_t llen)
{
	char note[NOTE_SIZE];
	sf_wr_t nw;
	const char *atype = NULL, *suffix = NULL, *ext = ext_of(ct);
	size_t i;
	int nlen;

	/* the note: "Message from X: type[, coding-encoded], N bytes, ..." */
	sf_wr_init(&nw, note, sizeof(note));
	SF_PUTS(&nw, "Message from ");
	if(llen > 0)
		sf_put(&nw, label, llen);
	else
		SF_PUTS(&nw, "unknown sender");
	SF_PUTS(&nw, ": ");
	if(ct->ok) {
		sf_put(&nw, ct->type, strlen(ct->type));
		sf_putch(&nw, '/');
		sf_put(&nw, ct->sub, strlen(ct->sub));
	} else {
		SF_PUTS(&nw, "unknown type");
	}
	if(enc.len > 0) {
		SF_PUTS(&nw, ", ");
		if(enc.len <= 32 && all_token(enc.s, enc.len)) {
			for(i = 0; i < enc.len; i++)
				sf_putch(&nw, sf_lower(enc.s[i]));
			sf_putch(&nw, '-');
		}
		SF_PUTS(&nw, "encoded");
	}
	SF_PUTS(&nw, ", ");
	put_ll(&nw, (long long)in->body.len);
	SF_PUTS(&nw, " bytes, attached.\r\n");
	nlen = sf_wr_end(&nw);
	if(nlen < 0)
		nlen = 0; /* cannot happen: NOTE_SIZE holds the longest */

	/* the attachment's media type and file name extension */
	if(enc.len > 0) {
		atype = coding_type(enc, &suffix);
		if(suffix == NULL)
			ext = "bin";
	} else if(!ct->ok || strcmp(ct->type, "multipart") == 0
			  || strcmp(ct->type, "message") == 0) {
		atype = "application/octet-stream"; /* no base64 for these */
	}

	SF_PUTS(w, "Content-Type: multipart/mixed;\r\n boundary=\"");
	put_boundary(w, in);
	SF_PUTS(w, "\"\r\n\r\n");

	SF_PUTS(w, "--");
	put_boundary(w, in);
	SF_PUTS(w, "\r\nContent-Type: text/plain; charset=utf-8\r\n"
			   "Content-Transfer-Encoding: base64\r\n\r\n");
	put_b64_lines(w, note, (size_t)nlen);

	SF_PUTS(w, "--");
	put_boundary(w, in);
	SF_PUTS(w, "\r\n");
	if(atype != NULL) {
		SF_PUTS(w, "Content-Type: ");
		sf_put(w, atype, strlen(atype));
		SF_PUTS(w, "\r\n");
	} else {
		put_ctype(w, ct, 0);
	}
	SF_PUTS(w, "Content-Disposition: attachment;"
			   " filename=\"message-");
	put_ll(w, in->id);
	sf_putch(w, '.');
	sf_put(w, ext, strlen(ext));
	if(suffix != NULL)
		sf_put(w, suffix, strlen(suffix));
	SF_PUTS(w, "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	put_b64_lines(w, in->body.s, in->body.len);
	if(in->body.len == 0)
		SF_PUTS(w, "\r\n"); /* the empty body, then the delimiter's CRLF */
	SF_PUTS(w, "--");
	put_boundary(w, in);
	SF_PUTS(w, "--\r\n");
}

/* the whole mail into w; in is checked */
static void build(sf_wr_t *w, const sf_mail_in_t *in)
{
	mtext_t name, subj;
	char uri[SF_MAIL_URI_CHARS];
	char label[LABEL_SIZE];
	char date[32];
	size_t ulen, llen = 0;
	sf_buf_t enc;
	ctype_t ct;

	clean_text(in->from_name, 1, &name);
	ulen = clean_uri(in->from_uri, uri);

	/* the label: "name (uri)", "name", "uri" or nothing */
	memcpy(label, name.s, name.len);
	llen = name.len;
	if(ulen > 0) {
		if(llen > 0) {
			memcpy(label + llen, " (", 2);
			llen += 2;
		}
		memcpy(label + llen, uri, ulen);
		llen += ulen;
		if(name.len > 0)
			label[llen++] = ')';
	}

	/* the subject, or "Message from <name, else URI>" */
	clean_text(in->subject, 0, &subj);
	if(subj.len == 0) {
		char from[LABEL_SIZE];
		size_t fl = 0;

		memcpy(from, "Message from ", 13);
		fl = 13;
		if(name.len > 0) {
			memcpy(from + fl, name.s, name.len);
			fl += name.len;
		} else if(ulen > 0) {
			memcpy(from + fl, uri, ulen);
			fl += ulen;
		} else {
			memcpy(from + fl, "unknown sender", 14);
			fl += 14;
		}
		/* cut to SF_MAIL_TEXT_CHARS characters as any subject */
		clean_text(sf_bufv(from, fl), 0, &subj);
	}

	put_from(w, label, llen, in->sender);
	SF_PUTS(w, "To: <");
	put_buf(w, in->to_addr);
	SF_PUTS(w, ">\r\n");
	put_unstructured(w, "Subject", subj.s, subj.len);
	sf_http_date((time_t)in->date, date, sizeof(date));
	SF_PUTS(w, "Date: ");
	sf_put(w, date, 25); /* "Thu, 01 Jan 1970 00:00:00", then the zone */
	SF_PUTS(w, " +0000\r\nMessage-ID: <sfwd.");
	put_ll(w, in->id);
	sf_putch(w, '.');
	put_ll(w, in->date);
	sf_putch(w, '@');
	put_buf(w, in->host);
	SF_PUTS(w, ">\r\nAuto-Submitted: auto-forwarded\r\n");
	if(ulen > 0) {
		SF_PUTS(w, "X-SIP-From: <");
		sf_put(w, uri, ulen);
		SF_PUTS(w, ">\r\n");
	}
	SF_PUTS(w, "MIME-Version: 1.0\r\n");

	ct_parse(in->content_type, &ct);
	enc = sf_buf_trim(in->content_encoding.s, in->content_encoding.len);
	if(sf_buf_ieq(enc.s, enc.len, "identity"))
		enc.len = 0;
	if(ct.ok && strcmp(ct.type, "text") == 0 && enc.len == 0) {
		put_ctype(w, &ct, 1);
		SF_PUTS(w, "Content-Transfer-Encoding: base64\r\n\r\n");
		put_b64_lines(w, in->body.s, in->body.len);
		return;
	}
	put_multipart(w, in, &ct, enc, label, llen);
}

int sf_mail_build(const sf_mail_in_t *in, char *out, size_t size)
{
	sf_wr_t w;

	if(in == NULL || !in_ok(in))
		return SF_MAIL_BAD_INPUT;
	sf_wr_init(&w, out, size);
	build(&w, in);
	return sf_wr_end(&w);
}

int sf_mail_size(const sf_mail_in_t *in)
{
	sf_wr_t w;

	if(in == NULL || !in_ok(in))
		return SF_MAIL_BAD_INPUT;
	sf_wr_init(&w, NULL, 0);
	build(&w, in);
	if(w.len >= INT_MAX)
		return -1;
	return (int)w.len + 1;
}
