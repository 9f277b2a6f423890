/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure MSRP framing and parsing (see sf_msrp.h)
 *
 * RFC 4975 section 7 (framing), 7.1 (chunking) and 9 (syntax):
 *
 *   req-start    = "MSRP" SP transact-id SP method CRLF
 *   resp-start   = "MSRP" SP transact-id SP status-code [SP comment] CRLF
 *   transact-id  = ident = ALPHANUM 3*31ident-char
 *   ident-char   = ALPHANUM / "." / "-" / "+" / "%" / "="
 *   content-stuff = *(Other-Mime-header CRLF) Content-Type 2CRLF data CRLF
 *   end-line     = "-------" transact-id continuation-flag CRLF
 *
 * The body ends at the first CRLF "-------" tid: the sender makes sure the
 * payload does not hold that string (sf_msrp_tid_ok).
 */

#include <limits.h>
#include <string.h>
#include <time.h>

#include "sf_buf.h"
#include "sf_msrp.h"
#include "sf_text.h"

#define DASHES "-------"
#define NDASHES 7

/* Byte-Range numbers: at most 18 digits, so they fit a long long */
#define NUM_DIGITS 18
#define NUM_MAX 999999999999999999ULL

/* ---- character classes (ASCII, not the locale's) ----------------------- */

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static int is_tid_char(unsigned char c)
{
	return is_alnum(c) || c == '.' || c == '-' || c == '+' || c == '%'
		   || c == '=';
}

/* RFC 3261 token */
static int is_token_char(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '!' || c == '%'
		   || c == '*' || c == '_' || c == '+' || c == '`' || c == '\''
		   || c == '~';
}

static int is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int is_flag(unsigned char c)
{
	return c == '$' || c == '+' || c == '#';
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* case-insensitive: the bytes equal the NUL-terminated literal */
static int eq_ci(const unsigned char *s, size_t len, const char *lit)
{
	size_t i;

	for(i = 0; i < len; i++) {
		if(lit[i] == '\0' || lower(s[i]) != lower((unsigned char)lit[i]))
			return 0;
	}
	return lit[len] == '\0';
}

/* ---- checks shared by the builders ------------------------------------- */

static int tid_valid(sf_buf_t tid)
{
	size_t i;

	if(tid.s == NULL || tid.len < SF_MSRP_TID_MIN || tid.len > SF_MSRP_TID_MAX)
		return 0;
	if(!is_alnum((unsigned char)tid.s[0]))
		return 0;
	for(i = 1; i < tid.len; i++)
		if(!is_tid_char((unsigned char)tid.s[i]))
			return 0;
	return 1;
}

static int has_crlf(sf_buf_t b)
{
	size_t i;

	if(b.s == NULL)
		return 0;
	for(i = 0; i < b.len; i++)
		if(b.s[i] == '\r' || b.s[i] == '\n')
			return 1;
	return 0;
}

/* a header value the parser gives back unchanged: not empty, no CR or LF,
 * no white space at either end (the parser trims it) */
static int hval_ok(sf_buf_t b)
{
	if(b.s == NULL || b.len == 0 || has_crlf(b))
		return 0;
	return !is_wsp((unsigned char)b.s[0])
		   && !is_wsp((unsigned char)b.s[b.len - 1]);
}

/* does "-------<tid>" occur in payload? */
static int has_delim(sf_buf_t payload, sf_buf_t tid)
{
	const char *p, *end;
	size_t need = NDASHES + tid.len;

	if(payload.s == NULL || payload.len < need)
		return 0;
	p = payload.s;
	end = payload.s + payload.len; /* a match must start before end-need */
	while((size_t)(end - p) >= need) {
		p = memchr(p, '-', (size_t)(end - p) - need + 1);
		if(p == NULL)
			return 0;
		if(memcmp(p, DASHES, NDASHES) == 0
				&& memcmp(p + NDASHES, tid.s, tid.len) == 0)
			return 1;
		p++;
	}
	return 0;
}

/* ---- output: sf_wr (sf_buf.h), exact fit allowed -------------------- */

#define puts_(w, lit) sf_put((w), (lit), strlen(lit))
#define putb(w, b) sf_put((w), (b).s, (b).len)
#define putc_(w, c) sf_putch((w), (c))
#define putnum(w, v) sf_put_uint((w), (unsigned long)(v))

/* one header line: "name: value" CRLF */
static void puthdr(sf_wr_t *w, const char *name, sf_buf_t value)
{
	puts_(w, name);
	puts_(w, ": ");
	putb(w, value);
	puts_(w, "\r\n");
}

/* a request's start line, To-Path, From-Path and Message-ID; 0, or -1
 * when one of them cannot be written as parsed */
static int put_request(sf_wr_t *w, const sf_msrp_send_t *f, const char *method)
{
	if(!tid_valid(f->tid) || !hval_ok(f->to_path) || !hval_ok(f->from_path)
			|| !hval_ok(f->message_id))
		return -1;
	puts_(w, "MSRP ");
	putb(w, f->tid);
	putc_(w, ' ');
	puts_(w, method);
	puts_(w, "\r\n");
	puthdr(w, "To-Path", f->to_path);
	puthdr(w, "From-Path", f->from_path);
	puthdr(w, "Message-ID", f->message_id);
	return 0;
}

/* "Byte-Range: start-last/total" */
static void put_range(sf_wr_t *w, size_t start, size_t last, size_t total)
{
	puts_(w, "Byte-Range: ");
	putnum(w, start);
	putc_(w, '-');
	putnum(w, last);
	putc_(w, '/');
	putnum(w, total);
	puts_(w, "\r\n");
}

/* the end line */
static void put_end(sf_wr_t *w, sf_buf_t tid, char flag)
{
	puts_(w, DASHES);
	putb(w, tid);
	putc_(w, flag);
	puts_(w, "\r\n");
}

static int fail(char *out, size_t outsize)
{
	if(out != NULL && outsize > 0)
		out[0] = '\0';
	return -1;
}

/* ---- builders ---------------------------------------------------------- */

int sf_msrp_build_send(const sf_msrp_send_t *f, char *out, size_t outsize)
{
	sf_wr_t w;

	sf_wr_init(&w, out, outsize);
	size_t len, last;
	int with_ct;

	if(f == NULL || out == NULL)
		return fail(out, outsize);
	len = f->chunk.len;
	if(!tid_valid(f->tid) || (f->chunk.s == NULL && len > 0))
		return fail(out, outsize);
	/* 1 <= start, start + len - 1 <= total, all printable as parsed */
	if(f->start < 1 || f->total > NUM_MAX || f->start - 1 > f->total
			|| len > f->total - (f->start - 1))
		return fail(out, outsize);
	last = f->start - 1 + len; /* the last byte's 1-based position */
	/* every chunk with data, and the first one of a non-empty payload */
	with_ct = len > 0 || (f->start == 1 && f->total > 0);
	if(with_ct && !hval_ok(f->content_type))
		return fail(out, outsize);
	if(has_delim(f->chunk, f->tid))
		return fail(out, outsize);

	if(put_request(&w, f, "SEND") < 0)
		return fail(out, outsize);
	if(f->success_report)
		puts_(&w, "Success-Report: yes\r\n");
	put_range(&w, f->start, last, f->total);
	if(with_ct)
		puthdr(&w, "Content-Type", f->content_type);
	if(len > 0) {
		puts_(&w, "\r\n");
		putb(&w, f->chunk);
		puts_(&w, "\r\n");
	}
	put_end(&w, f->tid, last == f->total ? '$' : '+');
	return sf_wr_end_exact(&w);
}

size_t sf_msrp_chunks(size_t plen, size_t chunk_size)
{
	if(chunk_size == 0)
		return 0;
	return plen == 0 ? 1 : (plen + chunk_size - 1) / chunk_size;
}

int sf_msrp_build_chunk(const sf_msrp_send_t *tmpl, sf_buf_t payload,
		size_t chunk_size, size_t index, sf_buf_t tid_prefix, char *out,
		size_t outsize)
{
	sf_msrp_send_t f;
	char tid[SF_MSRP_TID_MAX + 1];
	char num[24];
	size_t i = sizeof(num), off, v = index;

	if(tmpl == NULL || out == NULL || chunk_size == 0
			|| (payload.s == NULL && payload.len > 0)
			|| index >= sf_msrp_chunks(payload.len, chunk_size))
		return fail(out, outsize);
	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while(v > 0);
	if(tid_prefix.s == NULL
			|| tid_prefix.len + (sizeof(num) - i) > SF_MSRP_TID_MAX)
		return fail(out, outsize);
	memcpy(tid, tid_prefix.s, tid_prefix.len);
	memcpy(tid + tid_prefix.len, num + i, sizeof(num) - i);
	f = *tmpl;
	f.tid.s = tid;
	f.tid.len = tid_prefix.len + (sizeof(num) - i);
	off = index * chunk_size;
	f.start = off + 1;
	f.total = payload.len;
	f.chunk.s = payload.len ? payload.s + off : NULL;
	f.chunk.len =
			payload.len - off < chunk_size ? payload.len - off : chunk_size;
	return sf_msrp_build_send(&f, out, outsize);
}

int sf_msrp_build_response(sf_buf_t tid, int code, sf_buf_t reason,
		sf_buf_t to_path, sf_buf_t from_path, char *out, size_t outsize)
{
	sf_wr_t w;

	sf_wr_init(&w, out, outsize);

	if(out == NULL || !tid_valid(tid) || code < 100 || code > 999)
		return fail(out, outsize);
	if(!hval_ok(to_path) || !hval_ok(from_path))
		return fail(out, outsize);
	if((reason.s == NULL && reason.len > 0) || has_crlf(reason))
		return fail(out, outsize);

	puts_(&w, "MSRP ");
	putb(&w, tid);
	putc_(&w, ' ');
	putnum(&w, (unsigned long long)code);
	if(reason.len > 0) {
		putc_(&w, ' ');
		putb(&w, reason);
	}
	puts_(&w, "\r\n");
	puthdr(&w, "To-Path", to_path);
	puthdr(&w, "From-Path", from_path);
	put_end(&w, tid, '$');
	return sf_wr_end_exact(&w);
}

int sf_msrp_tid_ok(sf_buf_t tid, sf_buf_t payload)
{
	if(!tid_valid(tid))
		return 0;
	if(payload.s == NULL)
		payload.len = 0;
	return !has_delim(payload, tid);
}

/* ---- parser ------------------------------------------------------------ */

/* where the parser is in buf: bytes s[0..n) */
typedef struct pin
{
	const unsigned char *s;
	size_t n;
	size_t tid; /* the start line's transaction id: s[tid..tid+tlen) */
	size_t tlen;
} pin_t;

static sf_buf_t sub(const pin_t *in, size_t from, size_t to)
{
	sf_buf_t b;

	b.s = (const char *)in->s + from;
	b.len = to - from;
	return b;
}

static void frame_reset(sf_msrp_frame_t *f)
{
	memset(f, 0, sizeof(*f));
	f->range_start = -1;
	f->range_end = -1;
	f->range_total = -1;
}

/* 1..NUM_DIGITS digits, or '*' (-1) when star is allowed; the whole of
 * s[*p..end) up to the byte `stop` (or up to end when stop is 0) */
static int parse_num(const unsigned char *s, size_t *p, size_t end, char stop,
		int star, long long *v)
{
	size_t i = *p, nd = 0;
	long long x = 0;

	if(star && i < end && s[i] == '*') {
		i++;
		x = -1;
	} else {
		while(i < end && is_digit(s[i])) {
			if(++nd > NUM_DIGITS)
				return -1;
			x = x * 10 + (s[i] - '0');
			i++;
		}
		if(nd == 0)
			return -1;
	}
	if(stop != 0) {
		if(i >= end || s[i] != (unsigned char)stop)
			return -1;
		i++;
	} else if(i != end) {
		return -1;
	}
	*p = i;
	*v = x;
	return 0;
}

/* "<start>-<end|*>/<total|*>" */
static int parse_range(sf_buf_t v, long long *a, long long *b, long long *t)
{
	const unsigned char *s = (const unsigned char *)v.s;
	size_t p = 0;

	if(parse_num(s, &p, v.len, '-', 0, a) < 0
			|| parse_num(s, &p, v.len, '/', 1, b) < 0
			|| parse_num(s, &p, v.len, 0, 1, t) < 0)
		return -1;
	/* well formed, but not adding up: the frame is whole, the request
	 * gets 400 (RFC 4975 7.3.1) */
	if(*a < 1 || (*b >= 0 && *a > *b + 1) || (*b >= 0 && *t >= 0 && *b > *t))
		return 1;
	return 0;
}

/* one header line s[from..to) (without its CRLF) */
static int parse_header(
		const pin_t *in, size_t from, size_t to, sf_msrp_frame_t *f)
{
	const unsigned char *s = in->s;
	size_t i = from, nend, v, ve;
	sf_buf_t val, *dst = NULL;

	/* hname = ALPHA *token, then ':' (white space before it tolerated) */
	if(i >= to || !is_alpha(s[i]))
		return -1;
	while(i < to && is_token_char(s[i]))
		i++;
	nend = i;
	while(i < to && is_wsp(s[i]))
		i++;
	if(i >= to || s[i] != ':')
		return -1;
	v = i + 1;
	while(v < to && is_wsp(s[v]))
		v++;
	ve = to;
	while(ve > v && is_wsp(s[ve - 1]))
		ve--;
	val = sub(in, v, ve);

	if(eq_ci(s + from, nend - from, "To-Path"))
		dst = &f->to_path;
	else if(eq_ci(s + from, nend - from, "From-Path"))
		dst = &f->from_path;
	else if(eq_ci(s + from, nend - from, "Message-ID"))
		dst = &f->message_id;
	else if(eq_ci(s + from, nend - from, "Content-Type"))
		dst = &f->content_type;
	else if(eq_ci(s + from, nend - from, "Failure-Report"))
		dst = &f->failure_report;
	else if(eq_ci(s + from, nend - from, "Success-Report"))
		dst = &f->success_report;
	else if(eq_ci(s + from, nend - from, "Byte-Range")) {
		long long a, b, t;
		int rc = parse_range(val, &a, &b, &t);
		/* every instance must be well formed; the first one counts */
		if(rc < 0)
			return -1;
		if(f->byte_range.s == NULL) {
			f->byte_range = val;
			f->range_start = a;
			f->range_end = b;
			f->range_total = t;
		}
		f->range_bad |= rc; /* any instance that does not add up */
		return 0;
	}
	/* the first instance counts */
	if(dst != NULL && dst->s == NULL)
		*dst = val;
	return 0;
}

/*
 * the end line "-------<tid><flag>CRLF" at s[p..]: 1 and *end (just past
 * it) and *flag, or INCOMPLETE, or EBAD
 */
static int parse_end_line(const pin_t *in, size_t p, size_t *end, char *flag)
{
	const unsigned char *s = in->s;
	size_t i, k = p;

	for(i = 0; i < NDASHES; i++, k++) {
		if(k >= in->n)
			return SF_MSRP_INCOMPLETE;
		if(s[k] != '-')
			return SF_MSRP_EBAD;
	}
	for(i = 0; i < in->tlen; i++, k++) {
		if(k >= in->n)
			return SF_MSRP_INCOMPLETE;
		if(s[k] != s[in->tid + i])
			return SF_MSRP_EBAD;
	}
	if(k >= in->n)
		return SF_MSRP_INCOMPLETE;
	if(!is_flag(s[k]))
		return SF_MSRP_EBAD;
	*flag = (char)s[k++];
	if(k >= in->n)
		return SF_MSRP_INCOMPLETE;
	if(s[k++] != '\r')
		return SF_MSRP_EBAD;
	if(k >= in->n)
		return SF_MSRP_INCOMPLETE;
	if(s[k++] != '\n')
		return SF_MSRP_EBAD;
	*end = k;
	return 1;
}

/*
 * does CRLF "-------" tid start at s[q]? 1 yes, 0 no, 2 the bytes up to
 * the end of buf are a beginning of it
 */
static int end_match(const pin_t *in, size_t q)
{
	const unsigned char *s = in->s;
	size_t i, k = q;

	for(i = 0; i < 2 + NDASHES + in->tlen; i++, k++) {
		unsigned char c;
		if(k >= in->n)
			return 2;
		if(i < 2)
			c = (unsigned char)"\r\n"[i];
		else if(i < 2 + NDASHES)
			c = '-';
		else
			c = s[in->tid + i - 2 - NDASHES];
		if(s[k] != c)
			return 0;
	}
	return 1;
}

/*
 * the start line; on success *p is just past its CRLF. Bytes are checked
 * as they come, so that garbage is refused without waiting for a CRLF.
 */
/* the rest of the start line from s[*k]: a method (upper-case letters)
 * or a comment (anything but CR and LF, up to the CR); 1 with *k at the
 * first byte after it, or INCOMPLETE, or EBAD */
static int scan_start_line(
		const unsigned char *s, size_t n, size_t *k, int method)
{
	for(;; (*k)++) {
		if(*k > SF_MSRP_MAX_HEADERS - 2)
			return SF_MSRP_EBAD;
		if(*k >= n)
			return SF_MSRP_INCOMPLETE;
		if(method ? (s[*k] < 'A' || s[*k] > 'Z') : s[*k] == '\r')
			return 1;
		if(!method && s[*k] == '\n')
			return SF_MSRP_EBAD;
	}
}

static int parse_start(pin_t *in, size_t *p, sf_msrp_frame_t *f)
{
	const unsigned char *s = in->s;
	size_t n = in->n, i, k, from;
	int rc;

	for(k = 0; k < 5; k++) {
		if(k >= n)
			return SF_MSRP_INCOMPLETE;
		if(s[k] != (unsigned char)"MSRP "[k])
			return SF_MSRP_EBAD;
	}

	/* transact-id = ALPHANUM 3*31ident-char */
	in->tid = k;
	for(;;) {
		if(k >= n)
			return SF_MSRP_INCOMPLETE;
		if(!is_tid_char(s[k]))
			break;
		if(k == in->tid && !is_alnum(s[k]))
			return SF_MSRP_EBAD;
		if(k - in->tid >= SF_MSRP_TID_MAX)
			return SF_MSRP_EBAD;
		k++;
	}
	in->tlen = k - in->tid;
	if(in->tlen < SF_MSRP_TID_MIN || s[k] != ' ')
		return SF_MSRP_EBAD;
	f->tid = sub(in, in->tid, k);
	k++;

	if(k >= n)
		return SF_MSRP_INCOMPLETE;
	if(is_digit(s[k])) {
		/* status-code = 3DIGIT, 100..999 */
		f->code = 0;
		for(i = 0; i < 3; i++, k++) {
			if(k >= n)
				return SF_MSRP_INCOMPLETE;
			if(!is_digit(s[k]) || (i == 0 && s[k] == '0'))
				return SF_MSRP_EBAD;
			f->code = f->code * 10 + (s[k] - '0');
		}
		if(k >= n)
			return SF_MSRP_INCOMPLETE;
		if(s[k] == ' ')
			k++;
		else if(s[k] != '\r')
			return SF_MSRP_EBAD;
		/* comment: anything but CR and LF */
		from = k;
		rc = scan_start_line(s, n, &k, 0);
		if(rc != 1)
			return rc;
		f->is_request = 0;
		f->reason = sub(in, from, k);
	} else {
		/* method = 1*UPALPHA */
		from = k;
		rc = scan_start_line(s, n, &k, 1);
		if(rc != 1)
			return rc;
		if(k == from || s[k] != '\r')
			return SF_MSRP_EBAD;
		f->is_request = 1;
		f->method = sub(in, from, k);
	}
	/* s[k] is CR */
	if(k + 1 >= n)
		return SF_MSRP_INCOMPLETE;
	if(s[k + 1] != '\n')
		return SF_MSRP_EBAD;
	*p = k + 2;
	return 1;
}

int sf_msrp_parse(sf_buf_t buf, sf_msrp_frame_t *f)
{
	sf_msrp_frame_t tmp;
	pin_t in;
	size_t p, e, q, b, end;
	unsigned long long want;
	char flag = 0;
	int rc;

	if(f == NULL)
		f = &tmp;
	frame_reset(f);
	in.s = (const unsigned char *)buf.s;
	in.n = buf.s != NULL ? buf.len : 0;
	in.tid = in.tlen = 0;

	rc = parse_start(&in, &p, f);
	if(rc != 1)
		return rc;

	/* header lines, up to a blank line or the end line */
	for(;;) {
		if(p >= in.n)
			return SF_MSRP_INCOMPLETE;
		if(in.s[p] == '\r') {
			/* the blank line before the body */
			if(p + 1 >= in.n)
				return SF_MSRP_INCOMPLETE;
			if(in.s[p + 1] != '\n' || !f->is_request)
				return SF_MSRP_EBAD;
			b = p + 2;
			break;
		}
		if(in.s[p] == '-') {
			/* the end line right after the headers: no body */
			rc = parse_end_line(&in, p, &end, &flag);
			if(rc != 1)
				return rc;
			f->body = sub(&in, p, p);
			goto done;
		}
		/* a header line must end (CRLF included) within the limit */
		for(e = p;; e++) {
			if(e > SF_MSRP_MAX_HEADERS - 2)
				return SF_MSRP_EBAD;
			if(e >= in.n)
				return SF_MSRP_INCOMPLETE;
			if(in.s[e] == '\r')
				break;
			if(in.s[e] == '\n')
				return SF_MSRP_EBAD;
		}
		if(e + 1 >= in.n)
			return SF_MSRP_INCOMPLETE;
		if(in.s[e + 1] != '\n')
			return SF_MSRP_EBAD;
		if(parse_header(&in, p, e, f) < 0)
			return SF_MSRP_EBAD;
		p = e + 2;
	}

	/* the body runs to the first CRLF "-------" tid; searching from the
	 * blank line's CRLF also accepts a blank line then the end line (an
	 * empty body without its CRLF) */
	q = b - 2;
	for(;;) {
		const unsigned char *r;
		if(q >= in.n)
			return SF_MSRP_INCOMPLETE;
		r = memchr(in.s + q, '\r', in.n - q);
		if(r == NULL)
			return SF_MSRP_INCOMPLETE;
		q = (size_t)(r - in.s);
		rc = end_match(&in, q);
		if(rc == 1)
			break;
		if(rc == 2)
			return SF_MSRP_INCOMPLETE;
		q++;
	}
	rc = parse_end_line(&in, q + 2, &end, &flag);
	if(rc != 1)
		return rc;
	f->body = q >= b ? sub(&in, b, q) : sub(&in, b, b);

done:
	f->flag = flag;
	/* a complete SEND chunk holds exactly the bytes its Byte-Range names
	 * (a REPORT's Byte-Range names bytes of the SEND it reports on) */
	if(flag == '$' && f->range_end >= 0 && f->is_request && f->method.len == 4
			&& memcmp(f->method.s, "SEND", 4) == 0) {
		want = (unsigned long long)(f->range_end - f->range_start + 1);
		if(!f->range_bad && (unsigned long long)f->body.len != want)
			f->range_bad = 1; /* the frame is whole: 400, not a close */
	}
	if(end > INT_MAX)
		return SF_MSRP_EBAD;
	return (int)end;
}

int sf_msrp_may_respond(const sf_msrp_frame_t *f, int code)
{
	const sf_buf_t *v = &f->failure_report;

	if(v->s == NULL || v->len == 0)
		return 1;
	if(eq_ci((const unsigned char *)v->s, v->len, "no"))
		return 0;
	if(eq_ci((const unsigned char *)v->s, v->len, "partial"))
		return code != 200;
	return 1;
}

static void verdict(sf_msrp_verdict_t *v, const sf_msrp_frame_t *f, int act,
		int code, const char *reason)
{
	v->act = act;
	v->code = (f->is_request && code > 0 && sf_msrp_may_respond(f, code)) ? code
																		  : 0;
	v->reason = reason;
	if(act == SF_MSRP_ACT_RESPOND && v->code == 0)
		v->act = SF_MSRP_ACT_NONE;
}

int sf_msrp_serve(const sf_msrp_frame_t *f, int bound, sf_buf_t our_path,
		sf_msrp_verdict_t *v)
{
	int send;

	if(f == NULL || v == NULL)
		return SF_MSRP_ACT_NONE;
	send = f->is_request && f->method.len == 4
		   && memcmp(f->method.s, "SEND", 4) == 0;
	if(!bound) {
		if(send) {
			verdict(v, f, SF_MSRP_ACT_BIND, 0, "");
			return v->act;
		}
		verdict(v, f, SF_MSRP_ACT_CLOSE, 481, "Session Does Not Exist");
		return v->act;
	}
	if(!f->is_request) {
		verdict(v, f, SF_MSRP_ACT_RESULT, 0, "");
		return v->act;
	}
	/* RFC 4975 7.3.1: a request for another session than the one this
	 * connection serves */
	if(our_path.s == NULL || f->to_path.len != our_path.len
			|| memcmp(f->to_path.s, our_path.s, our_path.len) != 0) {
		verdict(v, f, SF_MSRP_ACT_RESPOND, 481, "Session Does Not Exist");
		return v->act;
	}
	if(f->range_bad)
		verdict(v, f, SF_MSRP_ACT_RESPOND, 400, "Bad Byte-Range");
	else if(send)
		verdict(v, f, SF_MSRP_ACT_RESPOND, 200, "OK");
	else if(f->method.len == 6 && memcmp(f->method.s, "REPORT", 6) == 0)
		verdict(v, f, SF_MSRP_ACT_NONE, 0, "");
	else
		verdict(v, f, SF_MSRP_ACT_RESPOND, 501, "Not Implemented");
	return v->act;
}

/* ---- message/sip ------------------------------------------------------- */

/* a line of h starting with "Date" [WSP] ":" (any case) */
static int has_date_line(sf_buf_t h)
{
	const unsigned char *s = (const unsigned char *)h.s;
	size_t i = 0, k;

	while(i < h.len) {
		if(h.len - i >= 4 && eq_ci(s + i, 4, "date")) {
			k = i + 4;
			while(k < h.len && is_wsp(s[k]))
				k++;
			if(k < h.len && s[k] == ':')
				return 1;
		}
		/* the next line */
		while(i < h.len && s[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

static int line_ok(sf_buf_t b)
{
	return b.s != NULL && b.len > 0 && !has_crlf(b);
}

int sf_sipmsg_build(const sf_sipmsg_t *m, char *out, size_t outsize)
{
	sf_wr_t w;

	sf_wr_init(&w, out, outsize);
	char date[32];
	sf_buf_t hdrs, ct, body;

	if(m == NULL || out == NULL)
		return fail(out, outsize);
	if(!line_ok(m->ruri) || !line_ok(m->from) || !line_ok(m->to)
			|| !line_ok(m->call_id))
		return fail(out, outsize);
	hdrs = m->headers;
	if(hdrs.s == NULL) {
		if(hdrs.len > 0)
			return fail(out, outsize);
	} else if(hdrs.len > 0
			  && (hdrs.len < 2 || hdrs.s[hdrs.len - 2] != '\r'
					  || hdrs.s[hdrs.len - 1] != '\n')) {
		return fail(out, outsize);
	}
	ct = m->content_type;
	if((ct.s == NULL && ct.len > 0) || has_crlf(ct))
		return fail(out, outsize);
	body = m->body;
	if(body.s == NULL && body.len > 0)
		return fail(out, outsize);
	date[0] = '\0';
	if(m->date != 0 && !has_date_line(hdrs)) {
		if(sf_http_date(m->date, date, sizeof(date)) < 0)
			return fail(out, outsize);
	}

	if(m->method.len > 0 && !line_ok(m->method))
		return fail(out, outsize);
	if(m->method.len > 0)
		putb(&w, m->method);
	else
		puts_(&w, "MESSAGE");
	putc_(&w, ' ');
	putb(&w, m->ruri);
	puts_(&w, " SIP/2.0\r\n");
	puthdr(&w, "From", m->from);
	puthdr(&w, "To", m->to);
	puthdr(&w, "Call-ID", m->call_id);
	puts_(&w, "CSeq: ");
	putnum(&w, m->cseq);
	putc_(&w, ' ');
	if(m->method.len > 0)
		putb(&w, m->method);
	else
		puts_(&w, "MESSAGE");
	puts_(&w, "\r\n");
	if(date[0] != '\0') {
		puts_(&w, "Date: ");
		puts_(&w, date);
		puts_(&w, "\r\n");
	}
	putb(&w, hdrs);
	if(ct.len > 0)
		puthdr(&w, "Content-Type", ct);
	puts_(&w, "Content-Length: ");
	putnum(&w, body.len);
	puts_(&w, "\r\n\r\n");
	putb(&w, body);
	return sf_wr_end_exact(&w);
}

/* ---- receiving a message in chunks (RFC 4975 7.1, 7.3) ----------------- */

void sf_msrp_reasm_reset(sf_msrp_reasm_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sf_msrp_reasm_refuse(sf_msrp_reasm_t *r, const sf_msrp_frame_t *f)
{
	/* the rest of a refused message is refused too, until it ends */
	if(f->flag == '+' && f->message_id.len > 0
			&& f->message_id.len <= SF_MSRP_MID_MAX) {
		sf_msrp_reasm_reset(r);
		memcpy(r->mid, f->message_id.s, f->message_id.len);
		r->mid_len = f->message_id.len;
		r->refused = 1;
	} else {
		sf_msrp_reasm_reset(r);
	}
}

static int chunk_refuse(sf_msrp_reasm_t *r, const sf_msrp_frame_t *f,
		sf_msrp_verdict_t *v, int code, const char *reason)
{
	sf_msrp_reasm_refuse(r, f);
	verdict(v, f, SF_MSRP_ACT_RESPOND, code, reason);
	v->act = SF_MSRP_CHUNK_REFUSE;
	return v->act;
}

/* one message at a time: another one's chunk is refused, the one begun
 * goes on, untouched */
static int other_message(const sf_msrp_frame_t *f, sf_msrp_verdict_t *v)
{
	verdict(v, f, SF_MSRP_ACT_RESPOND, 413, "Another Message In Progress");
	v->act = SF_MSRP_CHUNK_REFUSE;
	return v->act;
}

int sf_msrp_chunk(sf_msrp_reasm_t *r, const sf_msrp_frame_t *f, size_t max,
		sf_msrp_verdict_t *v)
{
	long long start, end;
	int same;

	if(r == NULL || f == NULL || v == NULL)
		return SF_MSRP_CHUNK_REFUSE;
	same = r->mid_len > 0 && f->message_id.len == r->mid_len
		   && memcmp(f->message_id.s, r->mid, r->mid_len) == 0;
	if(f->message_id.len == 0 || f->message_id.len > SF_MSRP_MID_MAX
			|| !hval_ok(f->message_id))
		return chunk_refuse(r, f, v, 400, "Bad Message-ID");
	if(f->range_bad)
		return same || r->mid_len == 0
					   ? chunk_refuse(r, f, v, 400, "Bad Byte-Range")
					   : other_message(f, v);
	if(r->refused) {
		if(same) {
			if(f->flag != '+')
				sf_msrp_reasm_reset(r);
			verdict(v, f, SF_MSRP_ACT_RESPOND, 413, "Message Refused");
			v->act = SF_MSRP_CHUNK_REFUSE;
			return v->act;
		}
		sf_msrp_reasm_reset(r); /* a new message: the old one gave up */
		same = 0;
	}
	if(r->mid_len > 0 && !same)
		return other_message(f, v);
	start = f->range_start < 0 ? 1 : f->range_start;
	end = f->range_end;
	if(start != (long long)r->have + 1
			|| (end >= 0 && end != start + (long long)f->body.len - 1)
			|| (f->range_total >= 0 && end >= 0 && end > f->range_total)
			|| (r->mid_len > 0 && f->range_total >= 0 && r->total >= 0
					&& f->range_total != r->total))
		return chunk_refuse(r, f, v, 400, "Bad Byte-Range");
	if(f->flag == '#') {
		sf_msrp_reasm_reset(r);
		verdict(v, f, SF_MSRP_ACT_RESPOND, 200, "OK");
		v->act = SF_MSRP_CHUNK_ABORT;
		return v->act;
	}
	/* what it says it is, and what came: no more than max */
	if((f->range_total >= 0 && (unsigned long long)f->range_total > max)
			|| r->have + f->body.len > max)
		return chunk_refuse(r, f, v, 413, "Message Too Large");
	if(r->mid_len == 0) {
		if(f->flag == '$' && f->body.len == 0) {
			/* an empty SEND: a keep-alive, or the one binding a session */
			verdict(v, f, SF_MSRP_ACT_RESPOND, 200, "OK");
			v->act = SF_MSRP_CHUNK_EMPTY;
			return v->act;
		}
		if(f->content_type.len == 0)
			return chunk_refuse(r, f, v, 400, "Content-Type Missing");
		memcpy(r->mid, f->message_id.s, f->message_id.len);
		r->mid_len = f->message_id.len;
		r->total = f->range_total;
	}
	if(r->total < 0 && f->range_total >= 0) {
		if((unsigned long long)f->range_total < r->have + f->body.len)
			return chunk_refuse(r, f, v, 400, "Bad Byte-Range");
		r->total = f->range_total; /* '*' first, the length later */
	}
	r->have += f->body.len;
	if(f->flag == '$') {
		if(r->total >= 0 && (unsigned long long)r->total != r->have)
			return chunk_refuse(r, f, v, 400, "Bad Byte-Range");
		verdict(v, f, SF_MSRP_ACT_RESPOND, 200, "OK");
		v->act = SF_MSRP_CHUNK_DONE;
		return v->act;
	}
	verdict(v, f, SF_MSRP_ACT_RESPOND, 200, "OK");
	v->act = SF_MSRP_CHUNK_MORE;
	return v->act;
}

int sf_msrp_build_report(
		const sf_msrp_send_t *f, int code, char *out, size_t outsize)
{
	sf_wr_t w;

	sf_wr_init(&w, out, outsize);
	if(f == NULL || out == NULL || code < 100 || code > 999
			|| f->total > NUM_MAX || put_request(&w, f, "REPORT") < 0)
		return fail(out, outsize);
	put_range(&w, 1, f->total, f->total);
	puts_(&w, "Status: 000 ");
	putnum(&w, (unsigned long long)code);
	puts_(&w, code == 200 ? " OK\r\n" : "\r\n");
	put_end(&w, f->tid, '$');
	return sf_wr_end_exact(&w);
}

/* ---- multipart/mixed (RFC 2046 5.1) ------------------------------------ */

int sf_multipart_boundary_ok(sf_buf_t boundary, const sf_buf_t *parts, int n)
{
	size_t i, k;
	int j;

	if(boundary.s == NULL || boundary.len < 1 || boundary.len > 70)
		return 0;
	for(i = 0; i < boundary.len; i++) {
		if(!is_alnum((unsigned char)boundary.s[i]) && boundary.s[i] != '-'
				&& boundary.s[i] != '_' && boundary.s[i] != '.')
			return 0;
	}
	/* no part may hold "--" boundary */
	for(j = 0; j < n; j++) {
		const char *p = parts[j].s;
		size_t len = parts[j].len;
		if(p == NULL && len > 0)
			return 0;
		for(k = 0; k + 2 + boundary.len <= len; k++) {
			if(p[k] == '-' && p[k + 1] == '-'
					&& memcmp(p + k + 2, boundary.s, boundary.len) == 0)
				return 0;
		}
	}
	return 1;
}

int sf_multipart_build(sf_buf_t boundary, const sf_buf_t *types,
		const sf_buf_t *parts, int n, char *out, size_t outsize)
{
	sf_wr_t w;
	int i;

	sf_wr_init(&w, out, outsize);
	if(out == NULL || n < 1 || types == NULL || parts == NULL
			|| !sf_multipart_boundary_ok(boundary, parts, n))
		return fail(out, outsize);
	for(i = 0; i < n; i++) {
		if(!line_ok(types[i]))
			return fail(out, outsize);
		puts_(&w, "--");
		putb(&w, boundary);
		puts_(&w, "\r\nContent-Type: ");
		putb(&w, types[i]);
		puts_(&w, "\r\n\r\n");
		putb(&w, parts[i]);
		puts_(&w, "\r\n");
	}
	puts_(&w, "--");
	putb(&w, boundary);
	puts_(&w, "--\r\n");
	return sf_wr_end_exact(&w);
}
