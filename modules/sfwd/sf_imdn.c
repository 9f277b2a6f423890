/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure builders of report and summary bodies (see
 *   sf_imdn.h)
 */

#include <limits.h>
#include <string.h>
#include <time.h>

#include "sf_buf.h"
#include "sf_cpim.h"
#include "sf_imdn.h"
#include "sf_text.h"


static const char _sf_imdn_urn[] = "urn:ietf:params:imdn";

/* ---- small helpers ----------------------------------------------------- */

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* a (NULL, n > 0) range is unusable; (NULL, 0) is empty */
static int buf_ok(sf_buf_t b)
{
	return b.s != NULL || b.len == 0;
}

/* a non-empty value without control bytes, fit for a CPIM header line;
 * with no_angle, also without '<' '>' (a URI written inside < >) */
static int hdr_value_ok(sf_buf_t b, int no_angle)
{
	size_t i;

	if(b.s == NULL || b.len == 0)
		return 0;
	for(i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.s[i];
		if(is_ctl(c) || (no_angle && (c == '<' || c == '>')))
			return 0;
	}
	return 1;
}

/* ---- escaping and quoting ---------------------------------------------- */

static void put_xml(sf_wr_t *w, const char *s, size_t len)
{
	size_t i;

	for(i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch(c) {
			case '&':
				SF_PUTS(w, "&amp;");
				break;
			case '<':
				SF_PUTS(w, "&lt;");
				break;
			case '>':
				SF_PUTS(w, "&gt;");
				break;
			case '"':
				SF_PUTS(w, "&quot;");
				break;
			case '\'':
				SF_PUTS(w, "&apos;");
				break;
			default:
				/* C0 controls but TAB, LF, CR are not XML 1.0 Chars */
				if(c < 0x20 && c != '\t' && c != '\n' && c != '\r')
					break;
				sf_putch(w, (char)c);
		}
	}
}

int sf_xml_escape(sf_buf_t in, char *out, size_t outsize)
{
	sf_wr_t w;

	sf_wr_init(&w, out, outsize);
	if(!buf_ok(in)) {
		w.len = w.size; /* fail */
		return sf_wr_end(&w);
	}
	put_xml(&w, in.s, in.len);
	return sf_wr_end(&w);
}

/* '"' text '"'; with unescape, the text is a quoted-string's inside and
 * its quoted-pairs are resolved first */
static void put_quoted(sf_wr_t *w, const char *s, size_t len, int unescape)
{
	size_t i;

	sf_putch(w, '"');
	for(i = 0; i < len; i++) {
		char c = s[i];
		if(unescape && c == '\\' && i + 1 < len)
			c = s[++i];
		if(c == '\r' || c == '\n' || c == '\0')
			continue;
		if(c == '"' || c == '\\')
			sf_putch(w, '\\');
		sf_putch(w, c);
	}
	sf_putch(w, '"');
}

int sf_quote(sf_buf_t in, char *out, size_t outsize)
{
	sf_wr_t w;

	sf_wr_init(&w, out, outsize);
	if(!buf_ok(in)) {
		w.len = w.size; /* fail */
		return sf_wr_end(&w);
	}
	put_quoted(&w, in.s, in.len, 0);
	return sf_wr_end(&w);
}

/* ---- dates ------------------------------------------------------------- */

static char *put2(char *p, int v)
{
	*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* "YYYY-MM-DD" sep "HH:MM:SS" (19 chars, no NUL) into buf; -1 if the year
 * has not four digits */
static int fmt_date(time_t t, char sep, char *buf)
{
	struct tm tm;
	char *p = buf;
	int year;

	if(gmtime_r(&t, &tm) == NULL)
		return -1;
	/* tm_year + 1900 may overflow: compare first */
	if(tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	year = tm.tm_year + 1900;
	p = put2(p, year / 100);
	p = put2(p, year % 100);
	*p++ = '-';
	p = put2(p, tm.tm_mon + 1);
	*p++ = '-';
	p = put2(p, tm.tm_mday);
	*p++ = sep;
	p = put2(p, tm.tm_hour);
	*p++ = ':';
	p = put2(p, tm.tm_min);
	*p++ = ':';
	put2(p, tm.tm_sec);
	return 0;
}

int sf_iso_date(time_t t, char *out, size_t outsize)
{
	if(out == NULL || outsize < 21)
		return -1;
	out[0] = '\0';
	if(fmt_date(t, 'T', out) < 0)
		return -1;
	out[19] = 'Z';
	out[20] = '\0';
	return 20;
}

int sf_iso_date_us(double t, char *out, size_t outsize)
{
	time_t sec;
	long us;

	if(out == NULL || outsize < 28)
		return -1;
	out[0] = '\0';
	if(!(t >= 0 && t < 253402300800.0)) /* 0001 .. 9999 as four digits */
		return -1;
	sec = (time_t)t;
	us = (long)((t - (double)sec) * 1e6 + 0.5);
	if(us >= 1000000) {
		sec++;
		us -= 1000000;
	}
	if(fmt_date(sec, 'T', out) < 0)
		return -1;
	out[19] = '.';
	for(int k = 25; k >= 20; k--) {
		out[k] = (char)('0' + us % 10);
		us /= 10;
	}
	out[26] = 'Z';
	out[27] = '\0';
	return 27;
}

/* ---- IMDN -------------------------------------------------------------- */

static const char *status_elem(int status)
{
	switch(status) {
		case SF_IMDN_DELIVERED:
			return "<delivered/>";
		case SF_IMDN_FAILED:
			return "<failed/>";
		case SF_IMDN_FORBIDDEN:
			return "<forbidden/>";
		case SF_IMDN_ERROR:
			return "<error/>";
	}
	return NULL;
}

/* the RFC 5438 section 7 document, every line ending in CRLF */
static void put_imdn_xml(
		sf_wr_t *w, const sf_report_t *r, const char *date, const char *st)
{
	SF_PUTS(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
			   "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\r\n"
			   "  <message-id>");
	put_xml(w, r->message_id.s, r->message_id.len);
	SF_PUTS(w, "</message-id>\r\n  <datetime>");
	if(r->original_datetime.len > 0)
		put_xml(w, r->original_datetime.s, r->original_datetime.len);
	else
		sf_put(w, date, 20);
	SF_PUTS(w, "</datetime>\r\n  <recipient-uri>");
	put_xml(w, r->recipient_uri.s, r->recipient_uri.len);
	SF_PUTS(w, "</recipient-uri>\r\n  <original-recipient-uri>");
	put_xml(w, r->recipient_uri.s, r->recipient_uri.len);
	SF_PUTS(w, "</original-recipient-uri>\r\n"
			   "  <delivery-notification>\r\n"
			   "    <status>\r\n"
			   "      ");
	sf_put(w, st, strlen(st));
	SF_PUTS(w, "\r\n"
			   "    </status>\r\n"
			   "  </delivery-notification>\r\n"
			   "</imdn>\r\n");
}

int sf_imdn_build(const sf_report_t *r, char *out, size_t outsize)
{
	char odate[21], rdate[21];
	const char *st;
	sf_buf_t name;
	size_t xml_len;
	sf_wr_t w;

	sf_wr_init(&w, out, outsize);
	w.len = w.size; /* fail unless everything below is usable */
	if(r == NULL || (st = status_elem(r->status)) == NULL)
		return sf_wr_end(&w);
	if(!hdr_value_ok(r->report_from, 1) || !hdr_value_ok(r->sender_uri, 1)
			|| !hdr_value_ok(r->report_id, 0) || r->message_id.len == 0
			|| r->message_id.s == NULL || r->recipient_uri.len == 0
			|| r->recipient_uri.s == NULL || !buf_ok(r->sender_name)
			|| !buf_ok(r->original_datetime))
		return sf_wr_end(&w);
	if(sf_iso_date(r->original_time, odate, sizeof(odate)) < 0
			|| sf_iso_date(r->report_time, rdate, sizeof(rdate)) < 0)
		return sf_wr_end(&w);

	/* the XML's length first, for Content-Length */
	sf_wr_init(&w, NULL, 0);
	put_imdn_xml(&w, r, odate, st);
	xml_len = w.len;

	sf_wr_init(&w, out, outsize);
	SF_PUTS(&w, "From: <");
	sf_put(&w, r->report_from.s, r->report_from.len);
	SF_PUTS(&w, ">\r\nTo: ");
	name = sf_buf_trim(r->sender_name.s, r->sender_name.len);
	if(name.len >= 2 && name.s[0] == '"' && name.s[name.len - 1] == '"') {
		/* sent as a quoted-string: unquote, then quote again */
		if(name.len > 2) {
			put_quoted(&w, name.s + 1, name.len - 2, 1);
			sf_putch(&w, ' ');
		}
	} else if(name.len > 0) {
		put_quoted(&w, name.s, name.len, 0);
		sf_putch(&w, ' ');
	}
	sf_putch(&w, '<');
	sf_put(&w, r->sender_uri.s, r->sender_uri.len);
	SF_PUTS(&w, ">\r\n"
				"NS: imdn <urn:ietf:params:imdn>\r\n"
				"imdn.Message-ID: ");
	sf_put(&w, r->report_id.s, r->report_id.len);
	SF_PUTS(&w, "\r\nDateTime: ");
	sf_put(&w, rdate, 20);
	SF_PUTS(&w, "\r\n"
				"\r\n"
				"Content-Type: message/imdn+xml\r\n"
				"Content-Disposition: notification\r\n"
				"Content-Length: ");
	sf_put_uint(&w, (unsigned long)xml_len);
	SF_PUTS(&w, "\r\n\r\n");
	put_imdn_xml(&w, r, odate, st);
	return sf_wr_end(&w);
}

/* ---- plain text report ------------------------------------------------- */

int sf_report_text(const sf_report_t *r, char *out, size_t outsize)
{
	char date[20];
	size_t i;
	sf_wr_t w;

	sf_wr_init(&w, out, outsize);
	w.len = w.size; /* fail unless the report is usable */
	if(r == NULL || status_elem(r->status) == NULL || r->recipient_uri.s == NULL
			|| r->recipient_uri.len == 0
			|| fmt_date(r->original_time, ' ', date) < 0)
		return sf_wr_end(&w);

	sf_wr_init(&w, out, outsize);
	SF_PUTS(&w, "Your message to ");
	/* one line: control bytes of the URI are dropped */
	for(i = 0; i < r->recipient_uri.len; i++) {
		if(!is_ctl((unsigned char)r->recipient_uri.s[i]))
			sf_putch(&w, r->recipient_uri.s[i]);
	}
	SF_PUTS(&w, " of ");
	sf_put(&w, date, 19);
	SF_PUTS(&w, " UTC ");
	switch(r->status) {
		case SF_IMDN_DELIVERED:
			SF_PUTS(&w, "was delivered.");
			break;
		case SF_IMDN_FORBIDDEN:
			SF_PUTS(&w, "was refused.");
			break;
		default:
			SF_PUTS(&w, "could not be delivered.");
			break;
	}
	return sf_wr_end(&w);
}

/* ---- message summary --------------------------------------------------- */

int sf_mwi_build(sf_buf_t account, int new_text, int old_text, int new_mm,
		int old_mm, char *out, size_t outsize)
{
	size_t i;
	sf_wr_t w;

	sf_wr_init(&w, out, outsize);
	if(new_text < 0 || old_text < 0 || new_mm < 0 || old_mm < 0
			|| !buf_ok(account)) {
		w.len = w.size; /* fail */
		return sf_wr_end(&w);
	}
	for(i = 0; i < account.len; i++) {
		if(is_ctl((unsigned char)account.s[i])) {
			w.len = w.size; /* would break the line */
			return sf_wr_end(&w);
		}
	}
	SF_PUTS(&w, "Messages-Waiting: ");
	if(new_text > 0 || new_mm > 0)
		SF_PUTS(&w, "yes\r\n");
	else
		SF_PUTS(&w, "no\r\n");
	if(account.len > 0) {
		SF_PUTS(&w, "Message-Account: ");
		sf_put(&w, account.s, account.len);
		SF_PUTS(&w, "\r\n");
	}
	SF_PUTS(&w, "Text-Message: ");
	sf_put_uint(&w, (unsigned long)new_text);
	sf_putch(&w, '/');
	sf_put_uint(&w, (unsigned long)old_text);
	SF_PUTS(&w, "\r\n");
	if(new_mm != 0 || old_mm != 0) {
		SF_PUTS(&w, "Multimedia-Message: ");
		sf_put_uint(&w, (unsigned long)new_mm);
		sf_putch(&w, '/');
		sf_put_uint(&w, (unsigned long)old_mm);
		SF_PUTS(&w, "\r\n");
	}
	return sf_wr_end(&w);
}

/* ---- CPIM -------------------------------------------------------------- */

/* the first non-empty imdn.Message-ID of the CPIM header block */
int sf_cpim_message_id(sf_buf_t body, sf_buf_t *id)
{
	sf_cpim_t c;
	const char *pos = NULL;

	if(id == NULL)
		return 0;
	id->s = NULL;
	id->len = 0;
	if(!sf_cpim_open(body, _sf_imdn_urn, &c) || c.nns == 0)
		return 0;
	while(sf_cpim_next(&c, &pos, "message-id", 1, id)) {
		if(id->len > 0)
			return 1;
	}
	id->s = NULL;
	id->len = 0;
	return 0;
}

/* DateTime: a header of the default namespace (no prefix) */
int sf_cpim_datetime(sf_buf_t body, sf_buf_t *dt)
{
	sf_cpim_t c;
	const char *pos = NULL;

	if(dt == NULL)
		return 0;
	dt->s = NULL;
	dt->len = 0;
	if(!sf_cpim_open(body, _sf_imdn_urn, &c)
			|| !sf_cpim_next(&c, &pos, "datetime", 0, dt))
		goto none;
	if(sf_rfc3339_valid(dt->s, dt->len))
		return 1;
none:
	dt->s = NULL;
	dt->len = 0;
	return 0;
}

/* ---- content types ----------------------------------------------------- */

int sf_is_text_type(sf_buf_t content_type)
{
	const char *semi;
	sf_buf_t mt;

	if(content_type.s == NULL)
		return 0;
	semi = memchr(content_type.s, ';', content_type.len);
	mt = sf_buf_trim(content_type.s,
			semi ? (size_t)(semi - content_type.s) : content_type.len);
	if(mt.len > 5 && sf_buf_ieq(mt.s, 5, "text/"))
		return 1;
	return sf_buf_ieq(mt.s, mt.len, "message/cpim");
}
