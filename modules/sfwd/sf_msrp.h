/*
 * sfwd - store-and-forward instant messaging for Kamailio
 *
 * Copyright (C) 2026 sfwd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*!
 * \file
 * \brief sfwd :: pure MSRP framing and parsing (RFC 4975), message/sip
 *
 * libc only: no Kamailio types, no logging, no allocation. Inputs are
 * sf_buf_t (pointer, length) that need not be NUL-terminated; builders
 * write into a caller buffer and return the length written (the output is
 * NUL-terminated when there is room for it) or -1 when it does not fit or
 * an input is unusable.
 */

#ifndef _SF_MSRP_H_
#define _SF_MSRP_H_

#include <stddef.h>
#include <time.h>

#include "sf_buf.h"

/*! \brief limits the parser enforces; SF_MSRP_MAX_HEADERS counts the start
 * line and the header lines with their CRLFs, not the blank line or the end
 * line after them */
#define SF_MSRP_MAX_HEADERS 8192 /*!< start line + headers, bytes */
#define SF_MSRP_TID_MIN 4		 /*!< transaction id length, RFC 4975 */
#define SF_MSRP_TID_MAX 32

/*!
 * \brief one SEND frame (or one chunk of a larger payload)
 *
 * Output, CRLF line ends, headers in this order:
 *   MSRP <tid> SEND
 *   To-Path: <to_path>
 *   From-Path: <from_path>
 *   Message-ID: <message_id>
 *   [Success-Report: yes]        when success_report
 *   Byte-Range: <start>-<start+len-1>/<total>   (start 1-based)
 *   Content-Type: <content_type>                 only when len > 0 or start 1
 *                                    (and total > 0: not in an empty SEND)
 *   (blank line) <chunk> CRLF                    only when len > 0
 *   -------<tid><flag> CRLF
 * flag is '$' for the last chunk (start+len-1 == total), '+' otherwise.
 * A frame with len 0 (an empty SEND, e.g. to bind a connection) has
 * Byte-Range 1-0/0, no Content-Type and no body.
 * tid: 4..32 characters of [A-Za-z0-9.+%=-], the first a letter or digit
 * (RFC 4975 ident). The chunk must not contain
 * "-------<tid>" (the caller picks a tid not in the payload; see
 * sf_msrp_tid_ok).
 */
typedef struct sf_msrp_send
{
	sf_buf_t tid;
	sf_buf_t to_path;
	sf_buf_t from_path;
	sf_buf_t message_id;
	int success_report;
	sf_buf_t content_type;
	size_t start; /*!< 1-based first byte of this chunk */
	size_t total; /*!< whole payload length */
	sf_buf_t chunk;
} sf_msrp_send_t;

/*!
 * \brief build one SEND frame as sf_msrp_send_t describes
 * \param f the frame
 * \param out the output buffer
 * \param outsize its size
 * \return the frame's length (NUL-terminated only when there is room), -1
 *   when it does not fit or f is not usable (a tid, path or Content-Type
 *   that is not valid, a Byte-Range outside the payload, a chunk that
 *   contains its end line)
 */
int sf_msrp_build_send(const sf_msrp_send_t *f, char *out, size_t outsize);

/*!
 * \brief how many SEND chunks a payload of plen bytes takes at
 *   chunk_size bytes each (an empty payload: one empty SEND)
 * \param plen the payload's length
 * \param chunk_size bytes per chunk
 * \return the number of chunks, 0 when chunk_size is 0
 */
size_t sf_msrp_chunks(size_t plen, size_t chunk_size);

/*!
 * \brief chunk `index` (0-based) of a payload as one SEND frame: the
 *   template's paths, Message-ID, Content-Type and Success-Report; its own
 *   transaction id, tid_prefix followed by the decimal index (each chunk is
 *   a transaction of its own, RFC 4975 7.1); Byte-Range and '$' or '+'
 *   from the payload. The caller checks the prefix with sf_msrp_tid_ok()
 *   against the whole payload first (then no chunk's end line can occur
 *   in it), and keeps it short enough that prefix + index is a valid tid.
 * \param tmpl the template (its tid, start, total and chunk are not used)
 * \param payload the whole payload
 * \param chunk_size bytes per chunk
 * \param index the chunk, 0-based
 * \param tid_prefix the transaction id prefix
 * \param out the output buffer
 * \param outsize its size
 * \return the frame's length, -1 when it does not fit or index is past
 *   the last chunk
 */
int sf_msrp_build_chunk(const sf_msrp_send_t *tmpl, sf_buf_t payload,
		size_t chunk_size, size_t index, sf_buf_t tid_prefix, char *out,
		size_t outsize);

/*!
 * \brief a response: "MSRP <tid> <code> <reason>", To-Path, From-Path, end
 *   line with '$'. code 100..999; reason may be empty (then no space).
 * \param tid the request's transaction id
 * \param code the status code
 * \param reason the reason phrase, may be empty
 * \param to_path the To-Path
 * \param from_path the From-Path
 * \param out the output buffer
 * \param outsize its size
 * \return the frame's length (NUL-terminated only when there is room), -1
 *   when it does not fit or an argument is not valid
 */
int sf_msrp_build_response(sf_buf_t tid, int code, sf_buf_t reason,
		sf_buf_t to_path, sf_buf_t from_path, char *out, size_t outsize);

/*!
 * \brief 1 when tid is a valid transaction id that does not occur as
 *   "-------<tid>" in payload
 * \param tid the transaction id
 * \param payload the payload
 * \return 1 usable, 0 not
 */
int sf_msrp_tid_ok(sf_buf_t tid, sf_buf_t payload);

/*! \brief a parsed frame; every sf_buf_t points into the input */
typedef struct sf_msrp_frame
{
	int is_request; /*!< 1 request, 0 response */
	sf_buf_t tid;
	sf_buf_t method;  /*!< requests: SEND, REPORT, ... */
	int code;		  /*!< responses: status code */
	sf_buf_t reason;  /*!< responses: reason phrase (may be empty) */
	sf_buf_t to_path; /*!< header values, empty when absent */
	sf_buf_t from_path;
	sf_buf_t message_id;
	sf_buf_t content_type;
	sf_buf_t failure_report; /*!< "yes", "no", "partial" or empty */
	sf_buf_t success_report; /*!< "yes", "no" or empty */
	sf_buf_t byte_range;	 /*!< raw value */
	long long range_start;	 /*!< parsed Byte-Range; -1 when absent */
	long long range_end;	 /*!< -1 for '*' */
	long long range_total;	 /*!< -1 for '*' */
	int range_bad;			 /*!< a well-formed Byte-Range that does not
							  *   add up (start 0, end before start, end
							  *   past the total, a last chunk not as long
							  *   as it says): the frame is whole, a
							  *   request gets 400 */
	sf_buf_t body;			 /*!< without the CRLF before the end line */
	char flag;				 /*!< '$', '+' or '#' */
} sf_msrp_frame_t;

/*! \brief parser results */
enum sf_msrp_parse
{
	SF_MSRP_INCOMPLETE = 0, /*!< need more bytes */
	SF_MSRP_EBAD = -1		/*!< malformed: close the connection */
};

/*!
 * \brief parse one frame at the start of buf
 * \param buf the received bytes
 * \param f the parsed frame (points into buf) when the return value
 *   is > 0
 * \return the frame's length (> 0, bytes consumed), SF_MSRP_INCOMPLETE
 *   when buf holds only its beginning, or SF_MSRP_EBAD when it is
 *   malformed: a start line that is not "MSRP <tid> <method>" or
 *   "MSRP <tid> <3-digit code>[ <reason>]", a tid outside the limits,
 *   headers (start line included) over SF_MSRP_MAX_HEADERS bytes without
 *   their end, a header line without ':', a Byte-Range that is not
 *   "<start>-<end|*>/<total|*>" with 1 <= start, start <= end + 1 and
 *   end <= total when they are numbers, a body whose length disagrees with
 *   a numeric Byte-Range of a complete ('$') SEND chunk (a REPORT's
 *   Byte-Range names bytes of the reported SEND), an end line whose tid
 *   differs from the start line's or whose flag is not $, + or #, a
 *   response with a body. Never reads outside buf.
 */
int sf_msrp_parse(sf_buf_t buf, sf_msrp_frame_t *f);

/*!
 * \brief may a transaction response with this code go back for request f?
 *   (RFC 4975 section 7.1.1: Failure-Report "no" asks for none, "partial"
 *   for failures only); 1 yes, 0 no
 * \param f the request
 * \param code the response code
 * \return 1 yes, 0 no
 */
int sf_msrp_may_respond(const sf_msrp_frame_t *f, int code);

/*! \brief what the retrieval server does with one frame */
enum sf_msrp_act
{
	SF_MSRP_ACT_NONE = 0, /*!< nothing (a REPORT; a response not wanted) */
	SF_MSRP_ACT_RESPOND,  /*!< send the response code/reason */
	SF_MSRP_ACT_BIND,	  /*!< an unbound connection's first SEND: look the
						   * session up by its To-Path and From-Path; if
						   * there is none, respond 481 and close */
	SF_MSRP_ACT_RESULT,	  /*!< a response to one of the server's SENDs */
	SF_MSRP_ACT_CLOSE	  /*!< respond (when code > 0), then close */
};

typedef struct sf_msrp_verdict
{
	int act;			/*!< enum sf_msrp_act */
	int code;			/*!< response code, 0: none may be sent */
	const char *reason; /*!< its reason phrase */
} sf_msrp_verdict_t;

/*!
 * \brief the server's verdict on one parsed frame of a connection
 * \param f the frame
 * \param bound 1 when the connection is bound to a session whose path
 *   (the server's own) is our_path; a bound connection takes requests for
 *   that session only (another To-Path: 481), answers SEND 200, ignores
 *   REPORT, answers other methods 501; every response respects the
 *   request's Failure-Report (sf_msrp_may_respond)
 * \param our_path the server's path of the bound session
 * \param v the verdict
 * \return v->act
 */
int sf_msrp_serve(const sf_msrp_frame_t *f, int bound, sf_buf_t our_path,
		sf_msrp_verdict_t *v);

/*! \brief the inner SIP request of a message/sip (or sipfrag) payload */
typedef struct sf_sipmsg
{
	sf_buf_t method; /*!< empty: MESSAGE */
	sf_buf_t ruri;	 /*!< Request-URI */
	sf_buf_t from;	 /*!< From header value: name-addr and params */
	sf_buf_t to;	 /*!< To header value */
	sf_buf_t call_id;
	unsigned int cseq;
	sf_buf_t headers;	   /*!< further "Name: value\r\n" lines, may be empty */
	sf_buf_t content_type; /*!< empty: no Content-Type line */
	sf_buf_t body;
	time_t date; /*!< adds "Date: <RFC 1123>" when headers has no Date
				  * line (case-insensitive); 0: never */
} sf_sipmsg_t;

/*!
 * \brief "MESSAGE <ruri> SIP/2.0", From, To, Call-ID, "CSeq: <n> MESSAGE",
 *   [Date], the extra headers as given, [Content-Type], Content-Length,
 *   blank line, body byte for byte. CRLF line ends. -1 when ruri, from,
 *   to or call_id is empty or contains CR or LF, or headers does not end in
 *   CRLF (when not empty).
 * \param m the request
 * \param out the output buffer
 * \param outsize its size
 * \return the length written (NUL-terminated only when there is room),
 *   or -1
 */
int sf_sipmsg_build(const sf_sipmsg_t *m, char *out, size_t outsize);

/*! \brief the longest Message-ID a receiver keeps (RFC 4975: 4..32) */
#define SF_MSRP_MID_MAX 64

/*! \brief a message being received in chunks, on one connection */
typedef struct sf_msrp_reasm
{
	char mid[SF_MSRP_MID_MAX]; /*!< its Message-ID; mid_len 0: none */
	size_t mid_len;
	unsigned long long have; /*!< bytes received, in order */
	long long total;		 /*!< as the first chunk said; -1: '*' */
	int refused;			 /*!< refused: its further chunks are too */
} sf_msrp_reasm_t;

/*! \brief what sf_msrp_chunk() says to do with a SEND chunk */
enum sf_msrp_chunk_act
{
	SF_MSRP_CHUNK_REFUSE = -1, /*!< answer v->code (400, 413), keep nothing */
	SF_MSRP_CHUNK_MORE = 1,	   /*!< keep its body; answer v->code (200) */
	SF_MSRP_CHUNK_DONE = 2,	   /*!< keep its body: the message is complete;
								*   answer 200 only once it is stored */
	SF_MSRP_CHUNK_EMPTY = 3,   /*!< an empty SEND: nothing to keep; 200 */
	SF_MSRP_CHUNK_ABORT = 4	   /*!< '#': drop what came; 200 */
};

/*! \brief forget any message in progress (a new connection) */
void sf_msrp_reasm_reset(sf_msrp_reasm_t *r);

/*!
 * \brief refuse the message f begins or continues: its further chunks
 *   are refused too (f's flag '+'), or it is over
 * \param r what came so far (reset)
 * \param f the refused chunk
 */
void sf_msrp_reasm_refuse(sf_msrp_reasm_t *r, const sf_msrp_frame_t *f);

/*!
 * \brief judge one SEND chunk of a session that receives messages: one
 *   message at a time, its chunks in order (each Byte-Range starts where
 *   the last ended), the message's length known or not ('*') but never
 *   over max; a refused message's further chunks are refused too
 * \param r what came so far (updated)
 * \param f the chunk (a SEND for this session)
 * \param max the largest message kept, bytes
 * \param v the verdict: v->act one of enum sf_msrp_chunk_act, v->code the
 *   response (0: the sender wants none, RFC 4975 Failure-Report)
 * \return v->act
 */
int sf_msrp_chunk(sf_msrp_reasm_t *r, const sf_msrp_frame_t *f, size_t max,
		sf_msrp_verdict_t *v);

/*!
 * \brief a REPORT for a whole message (RFC 4975 7.1.2): Byte-Range
 *   1-total/total, "Status: 000 <code>"
 * \param f tid, paths (To-Path: the sender's), Message-ID and total of
 *   the message reported on
 * \param code 200 for a Success-Report
 * \param out where the frame goes
 * \param outsize its size
 * \return the frame's length, -1 when a field is unusable or it does not
 *   fit
 */
int sf_msrp_build_report(
		const sf_msrp_send_t *f, int code, char *out, size_t outsize);

/*!
 * \brief may boundary delimit these parts (RFC 2046 5.1.1: 1..70
 *   characters, none of the parts holds "--" boundary)?
 * \param boundary the boundary
 * \param parts the parts
 * \param n how many
 * \return 1 yes, 0 no
 */
int sf_multipart_boundary_ok(sf_buf_t boundary, const sf_buf_t *parts, int n);

/*!
 * \brief a multipart body: each part with its Content-Type, then the close
 *   delimiter
 * \param boundary checked with sf_multipart_boundary_ok()
 * \param types each part's Content-Type
 * \param parts the parts
 * \param n how many (>= 1)
 * \param out where the body goes
 * \param outsize its size
 * \return the body's length, -1 when it does not fit or an input is
 *   unusable
 */
int sf_multipart_build(sf_buf_t boundary, const sf_buf_t *types,
		const sf_buf_t *parts, int n, char *out, size_t outsize);

#endif
