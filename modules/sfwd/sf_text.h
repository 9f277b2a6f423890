/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure text helpers for the store and the replay
 *
 * libc only: no Kamailio types, no logging, no allocation. Inputs are
 * (pointer, length) pairs that need not be NUL-terminated; outputs go to
 * caller buffers with their size, and are NUL-terminated when they fit.
 */

#ifndef _SF_TEXT_H_
#define _SF_TEXT_H_

#include <stddef.h>
#include <time.h>

/*!
 * \brief the address of record usrloc uses for a URI's user and host
 *
 * As Kamailio's registrar builds it (extract_aor, case_sensitive on, no
 * realm prefix): the user part with %XX escapes decoded, then, when
 * use_domain is set, '@' and the host in lower case. Without use_domain
 * the AoR is the user alone. An empty user gives just the host (with
 * use_domain) or an error (without).
 * \param user the URI's user part (escaped)
 * \param ulen its length
 * \param host the URI's host
 * \param hlen its length
 * \param use_domain usrloc's use_domain
 * \param out the output buffer
 * \param outsize its size
 * \return the length written (without the NUL), or -1 when out is too
 *   small, an escape is malformed (%G1, a truncated %4) or decodes to a
 *   NUL byte, or the result would be empty
 */
int sf_aor_build(const char *user, size_t ulen, const char *host, size_t hlen,
		int use_domain, char *out, size_t outsize);

/*!
 * \brief the delay before the next attempt after `attempts` failed ones
 *
 * base * 2^(attempts-1), capped at max; attempts <= 0 gives base; never
 * overflows (a huge attempts value gives max). base <= 0 gives 0.
 * \param attempts failed attempts so far
 * \param base the first delay
 * \param max the cap
 * \return the delay (0 also when max <= 0)
 */
int sf_backoff(int attempts, int base, int max);

/*!
 * \brief an RFC 7231 / RFC 3261 date, "Sun, 06 Nov 1994 08:49:37 GMT"
 * \param t the time
 * \param out the output buffer
 * \param outsize its size
 * \return 29 (the length) or -1 when outsize < 30
 */
int sf_http_date(time_t t, char *out, size_t outsize);

/*!
 * \brief 1 when the bytes are valid UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF); 0 otherwise. NUL bytes are invalid here too,
 * since PostgreSQL text cannot hold them.
 * \param s the bytes
 * \param len their length
 * \return 1 valid, 0 not
 */
int sf_utf8_valid(const char *s, size_t len);

/*!
 * \brief can this AoR (user@host, percent escapes decoded) be written into
 *   a URI and a header as it is: user and host not empty, no byte <= 0x20
 *   (CR, LF, blanks, NUL), 0x7f, '<', '>' or '"', one '@' at least
 * \param s the AoR
 * \param len its length
 * \return 1 yes, 0 no
 */
int sf_aor_printable(const char *s, size_t len);

/*!
 * \brief how much of a text can be shown: 1 when the bytes are UTF-8 as
 *   far as they go (a character cut at the very end is allowed: *keep then
 *   stops before it), 0 when they hold a NUL or an invalid sequence before
 *   the end (binary: show its size, not its bytes); *keep is the length of
 *   the whole characters
 * \param s the bytes
 * \param len their length
 * \param keep the length of the whole characters
 * \return 1 text, 0 binary
 */
int sf_utf8_preview(const char *s, size_t len, size_t *keep);

/*!
 * \brief 1 when the bytes are an RFC 3339 date-time
 *   (2026-11-30T18:00:00.25+01:00; T and Z in any case; at most 64 bytes),
 *   0 otherwise
 * \param s the bytes
 * \param len their length
 * \return 1 valid, 0 not
 */
int sf_rfc3339_valid(const char *s, size_t len);

/*!
 * \brief stored headers ("Name: value\r\n" lines) with every Expires line
 *   replaced by one "Expires: <left>\r\n" where the first one was; lines
 *   are kept byte for byte otherwise, a last line without its line end
 *   gets CRLF (the output always ends in a line end). The output is never
 *   longer than hlen + SF_EXPIRES_GROWTH.
 * \param h the headers
 * \param hlen their length
 * \param left the seconds left, the new Expires value
 * \param out the output buffer
 * \param outsize its size
 * \return the length written (NUL-terminated), or -1 when out is too small
 */
int sf_hdrs_set_expires(
		const char *h, size_t hlen, long long left, char *out, size_t outsize);

/*! \brief the most sf_hdrs_set_expires() adds to its input */
#define SF_EXPIRES_GROWTH 32

/*!
 * \brief is `name` in the comma-separated list `list`? (case-insensitive,
 * white space around items ignored, empty items ignored)
 * \param name the name
 * \param nlen its length
 * \param list the list
 * \param llen its length
 * \return 1 yes, 0 no
 */
int sf_name_in_list(
		const char *name, size_t nlen, const char *list, size_t llen);

/*!
 * \brief how long a message may wait: the request's Expires when it has
 *   a valid one (capped at max), else the recipient's profile lifetime
 *   (when > 0 and below max), else the default (capped at max)
 * \param has_expires 1 when the request carries a valid Expires
 * \param expires its value (seconds)
 * \param profile the profile's lifetime, <= 0: none
 * \param def default_lifetime
 * \param max max_lifetime
 * \return the lifetime in seconds, or 0 for Expires: 0 (nothing to
 *   store)
 */
int sf_lifetime(
		int has_expires, unsigned int expires, int profile, int def, int max);

/*!
 * \brief what a final SIP status means for a stored message
 */
enum sf_outcome
{
	SF_OUT_DELIVERED = 1, /*!< 2xx: delete the row */
	SF_OUT_RETRY = 2,	  /*!< try again later (408, 480, 5xx, ...) */
	SF_OUT_FAILED = 3	  /*!< permanent: 403, 404, 410, 415, 513, 6xx */
};

/*!
 * \brief classify a final status code (100..699); 1xx and out-of-range
 * codes are SF_OUT_RETRY
 * \param code the SIP status code
 * \return an enum sf_outcome
 */
int sf_outcome_of(int code);

/*!
 * \brief the value of header `name` among stored headers ("Name: value"
 *   lines, CRLF or LF), its first occurrence, leading blanks and the CR
 *   left out; (NULL, 0) when absent
 * \param h the headers
 * \param hlen their length
 * \param name the header name (matched case-insensitively)
 * \param vlen the value's length
 * \return the value's first byte, or NULL
 */
const char *sf_hdr_value(
		const char *h, size_t hlen, const char *name, size_t *vlen);

#endif
