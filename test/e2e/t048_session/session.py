#!/usr/bin/env python3
"""t048: whole MSRP sessions stored for an offline user (issue 14).

One raw SIP/MSRP client, run once per phase (--phase a|b|c1|c2|d|e), that
plays alice (the sender: INVITE with an MSRP offer to an offline user, the
SENDs, the BYE), the recipients' phones (UAs that register and answer every
request 200) and bob fetching over MSRP retrieval. It prints one line per
named check, "ok<TAB>name<TAB>detail" or "FAIL<TAB>name<TAB>detail"; run.sh
knows every name a phase must report, so a check never reached fails too.
State that a later phase needs (bodies, Call-IDs, counters) goes to a JSON
file (--state). Every wait is bounded; everything is on 127.0.0.1.

  a   alice -> offline bob: 5 SENDs (text, CPIM asking a delivery report,
      60 KB binary in 3 chunks, 2,000 bytes of MSRP-looking text, binary
      with invalid UTF-8); each last-chunk 200 only once its row is in the
      table; an empty SEND stores nothing; BYE; bob registers and gets 5
      MESSAGEs (order, From, Call-ID, Date, Content-Type, bytes); alice's
      registered phone gets the IMDN "delivered"
  b   a second session fetched by bob over MSRP retrieval as one
      multipart/mixed of message/sip (INVITE, the MESSAGEs, BYE), parsed
      back; a third fetched with message/sip only (one per message)
  c1  3 SENDs answered 200, the first chunk of a 4th, then Kamailio is
      killed (--kill, SIGKILL of its process group)
  c2  after the restart: exactly the 3 are stored; a new session works
  d   bad input: a wrong To-Path (481, closed), 413 (declared and
      accumulated), 400 (Byte-Range gap, end < start), 415 and 403 from a
      profile, 100 sessions never connected closed on idle, instant (480),
      no such user (404), a profile that refuses storing (4xx)
  e   PostgreSQL stopped (--pg-stop) in the middle of a session: the next
      SEND gets an MSRP error, never 200
"""
import argparse
import base64
import email.utils
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid

sys.dont_write_bytecode = True  # leave the e2e folder as it is
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sfwdtest  # noqa: E402
from sfwdtest import (HOST, authed, check, hget, log, new_tid, sip_split,  # noqa: E402
                      uri_of)

A = None  # the arguments
STATE = {}


def sql(q):
    """one query through run.sh's helper: its output, stripped"""
    try:
        r = subprocess.run(["bash", A.sql, q], capture_output=True, timeout=15)
    except subprocess.TimeoutExpired:
        log("SQL timeout:", q)
        return ""
    if r.returncode != 0 or r.stderr:
        log("SQL:", q, "->", r.returncode, r.stderr.decode("utf-8", "replace").strip())
    return r.stdout.decode("utf-8", "replace").strip()


def sql_int(q):
    v = sql(q)
    try:
        return int(v.split("\n")[0])
    except ValueError:
        return None


def rpc(*args):
    try:
        r = subprocess.run(["bash", A.rpc] + list(args), capture_output=True, timeout=15)
    except subprocess.TimeoutExpired:
        return ""
    return (r.stdout + r.stderr).decode("utf-8", "replace")


def md5(b):
    return hashlib.md5(b).hexdigest()


def rows_of(callid):
    return sql_int(f"SELECT count(*) FROM sfwd_message WHERE call_id = '{callid}'")


def poll(cond, timeout, step=0.1):
    end = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() >= end:
            return v
        time.sleep(step)


# ---------------------------------------------------------------- SIP ----

def UA(port, tcp=False, name="ua"):
    """a SIP UA (sfwdtest.UA) talking to the test's Kamailio"""
    return sfwdtest.UA(port, A.sip_port, tcp=tcp, name=name, contact="t048")


def register(ua, user, contact_port, expires):
    """REGISTER (401 digest) of user's contact HOST:contact_port: the code"""
    callid = uuid.uuid4().hex + "@t048reg"
    frm = f"<sip:{user}@{HOST}>;tag={uuid.uuid4().hex[:10]}".encode()
    to = f"<sip:{user}@{HOST}>".encode()
    extra = f"Expires: {expires}\r\n".encode()
    data_contact = f"Contact: <sip:{user}@{HOST}:{contact_port}>\r\n".encode()
    code, _, _, _ = authed(ua, "REGISTER", f"sip:{HOST}:{A.sip_port}", frm, to, callid, 1,
                           user, user + "s-secret", extra=extra + data_contact,
                           contact=False)
    return code


def sdp_offer(path_port, path, accept_types, extra_m=""):
    return sfwdtest.sdp_offer(path_port, path, accept_types,
                              origin=f"t048 {random.randint(1, 1 << 30)}", extra=extra_m)


class Session(sfwdtest.Dialog):
    """alice's side of an MSRP session to an (offline) user: INVITE with an
    MSRP offer (digest on 407), ACK, BYE"""

    ACCEPT = "text/plain message/cpim application/octet-stream image/png text/html"

    def __init__(self, ua, to_user, frm_user="alice", extra=b"", accept=None,
                 extra_m="", path_port=None):
        self.path_port = path_port or ua.port + 1
        self.our_path = f"msrp://{HOST}:{self.path_port}/{uuid.uuid4().hex[:20]};tcp"
        super().__init__(ua, frm_user, to_user, frm_user + "s-secret",
                         sdp_offer(self.path_port, self.our_path, accept or self.ACCEPT,
                                   extra_m),
                         "t048-" + uuid.uuid4().hex + "@" + HOST,
                         "t048" + uuid.uuid4().hex[:10], extra=extra)

    def invite(self, timeout=8.0):
        return super().invite(timeout)


class Retrieval(sfwdtest.Dialog):
    """bob's MSRP retrieval dialog: INVITE (401 digest) to his own address"""

    def __init__(self, ua, mailbox, accept):
        self.our_path = f"msrp://{HOST}:{ua.port + 1}/{uuid.uuid4().hex[:16]};tcp"
        super().__init__(ua, mailbox, mailbox, mailbox + "s-secret",
                         sdp_offer(ua.port + 1, self.our_path, accept),
                         uuid.uuid4().hex + "@t048r", uuid.uuid4().hex[:12])


# --------------------------------------------------------------- MSRP ----

def Msrp(path, our_path):
    """one TCP connection to sfwd's MSRP port (sfwdtest.Msrp)"""
    return sfwdtest.Msrp(path, our_path, mid_prefix="t048-")


def made_up_path():
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return (f"msrp://{HOST}:{A.msrp_port}/"
            + "".join(random.choice(alphabet) for _ in range(24)) + ";tcp")


def send_and_wait(m, body, ctype, chunks=1, timeout=5.0, **kw):
    """a whole message; the code of the last chunk's response"""
    tids = m.send_message(body, ctype, chunks, **kw)
    return m.response(tids[-1], timeout) if tids else None


# ---------------------------------------------------------- contents ----

def cpim_body(mid):
    return ("From: <sip:alice@127.0.0.1>\r\n"
            "To: <sip:bob@127.0.0.1>\r\n"
            "NS: imdn <urn:ietf:params:imdn>\r\n"
            f"imdn.Message-ID: {mid}\r\n"
            "DateTime: 2026-11-22T10:00:00Z\r\n"
            "imdn.Disposition-Notification: positive-delivery\r\n"
            "\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "Bob, sag mir, wann du das bekommst \u2709\r\n").encode()


def mixed_text(n):
    """n bytes of UTF-8 text that looks like MSRP, MIME and SIP framing
    (legal in a body: no end line with the frame's own tid)"""
    base = ("-------abcdef0123$\r\nMSRP 1234abcd SEND\r\nTo-Path: msrp://x/y;tcp\r\n"
            "\r\n--boundary\r\nContent-Type: message/sip\r\n\r\nINVITE sip:x SIP/2.0\r\n"
            "Grüße \u00e9\u00e8 \u65e5\u672c ")
    out, i = b"", 0
    while True:
        c = base[i % len(base)].encode()
        if len(out) + len(c) > n:
            return out + b"x" * (n - len(out))
        out += c
        i += 1


def binary(n, seed):
    r = random.Random(seed)
    b = bytes(r.getrandbits(8) for _ in range(n))
    # certainly not UTF-8, with NULs and CR/LF in the middle
    head = b"\x00\xff\xfe\xc3\x28\xa0\xa1\r\n\x00\x89"
    return head + b[len(head):]


def png(seed, side=12):
    """a valid PNG (tshark's dissector decodes it) of random RGB pixels:
    binary with NUL bytes and bytes that are not UTF-8 (0x89 first)"""
    import struct
    import zlib
    r = random.Random(seed)
    raw = b"".join(b"\x00" + bytes(r.getrandbits(8) for _ in range(side * 3))
                   for _ in range(side))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def session_a_messages(mid):
    """the 5 SENDs of session A: (label, content-type, body, chunks)"""
    big = binary(61440, 48)
    return [
        ("utf-8 text", "text/plain;charset=utf-8",
         "Hallo Bob! Grüße aus Köln \u2713 \u65e5\u672c\u8a9e\r\nzweite Zeile\r\n".encode(), 1),
        ("CPIM asking positive-delivery", "message/cpim", cpim_body(mid), 1),
        ("60 KB binary in 3 chunks", "application/octet-stream", big, 3),
        ("2,000 bytes of MSRP-looking text", "text/plain;charset=utf-8", mixed_text(2000), 1),
        ("binary with invalid UTF-8", "image/png", png(4848), 1),
    ]


# ------------------------------------------------------------ phases ----

def db_rows(callid):
    """[(cseq, content_type, md5, from_uri, from_tag, aor, session_id)]"""
    out = sql("SELECT cseq, content_type, md5(body), from_uri, from_tag, aor, "
              "coalesce(session_id::text, '-') FROM sfwd_message "
              f"WHERE call_id = '{callid}' ORDER BY id")
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def db_session(callid):
    """{id, aor, from_uri, call_id, from_tag, sdp_md5, started, ended} or None"""
    out = sql("SELECT id, aor, from_uri, call_id, from_tag, md5(sdp), "
              "started IS NOT NULL, ended IS NOT NULL FROM sfwd_session "
              f"WHERE call_id = '{callid}'")
    if not out:
        return None
    f = out.splitlines()[0].split("|")
    if len(f) < 8:
        return None
    return dict(zip(["id", "aor", "from_uri", "call_id", "from_tag", "sdp_md5",
                     "started", "ended"], f))


def answer_checks(s, prefix):
    ans = s.answer.decode("latin-1")
    lines = ans.split("\r\n")
    mline = [x for x in lines if x.startswith("m=")]
    check(f"{prefix} answer m=message <msrp port> TCP/MSRP *",
          mline == [f"m=message {A.msrp_port} TCP/MSRP *"], mline)
    check(f"{prefix} answer a=path:msrp://<addr>:<msrp port>/<24 base32>;tcp",
          re.fullmatch(rf"msrp://{re.escape(HOST)}:{A.msrp_port}/[a-z2-7]{{24}};tcp",
                       s.path or "") is not None, s.path)
    check(f"{prefix} answer a=setup:passive", "a=setup:passive" in lines,
          [x for x in lines if x.startswith("a=setup")])
    check(f"{prefix} answer a=recvonly", "a=recvonly" in lines,
          [x for x in lines if x in ("a=sendonly", "a=recvonly", "a=sendrecv", "a=inactive")])
    at = [x for x in lines if x.startswith("a=accept-types:")]
    types = at[0].split(":", 1)[1].split() if at else []
    sent = ["text/plain", "message/cpim", "application/octet-stream", "image/png"]
    cover = all(any(t == "*" or t.lower() == w or
                    (t.endswith("/*") and w.startswith(t[:-1].lower())) for t in types)
                for w in sent)
    check(f"{prefix} answer a=accept-types covers what alice sends", cover, at)
    check(f"{prefix} answer a=max-size:<max_body_size>",
          f"a=max-size:{A.max_body}" in lines, [x for x in lines if x.startswith("a=max-size")])


def phase_a():
    alice = UA(A.base, name="alice")
    aphone = UA(A.base + 2, tcp=True, name="alicephone")
    bphone = UA(A.base + 3, tcp=True, name="bobphone")
    code = register(alice, "alice", A.base + 2, 120)
    check("a0 alice's phone registers (so that the report reaches her) -> 200", code == 200,
          f"got {code}")
    imdn_id = "t048-imdn-" + uuid.uuid4().hex[:12]
    msgs = session_a_messages(imdn_id)
    s = Session(alice, "bob")
    code = s.invite()
    check("a1 alice INVITEs offline bob with an MSRP offer -> 200 from sfwd", code == 200,
          f"got {code}")
    if code != 200:
        return
    answer_checks(s, "a2")
    STATE["accepted"] = STATE.get("accepted", 0) + 1
    try:
        m = Msrp(s.path, s.our_path)
    except (OSError, ValueError) as e:
        check("a3 alice connects to the answer's path", False, e)
        return
    codes, counts, times, sent_at, early = [], [], [], [], []
    keep = None
    sr_mid = "t048-sr-" + uuid.uuid4().hex[:12]  # message 4 asks a Success-Report
    sr = None
    for i, (label, ctype, body, chunks) in enumerate(msgs, 1):
        t_send = time.time()
        sent_at.append(t_send)
        if i == 4:
            tids = m.send_message(body, ctype, chunks, mid=sr_mid,
                                  extra=b"Success-Report: yes\r\n")
        elif chunks > 1:
            # the '+' chunks first: nothing of this message may be stored
            mid = "t048-" + uuid.uuid4().hex[:16]
            first = m.send_message(body, ctype, chunks, upto=chunks - 1, mid=mid)
            m.wait(lambda: all(t in m.responses for t in first), 0.5)
            early.append((i, rows_of(s.callid), i - 1,
                          [m.responses.get(t, (None,))[0] for t in first]))
            tids = first + m.send_message(body, ctype, chunks, skip=chunks - 1, mid=mid)
        else:
            tids = m.send_message(body, ctype, chunks)
        code = m.response(tids[-1], 5.0)
        # at once, before anything else: the row must already be there
        n = rows_of(s.callid)
        codes.append(code)
        counts.append(n)
        times.append(time.time())
        if i == 4:
            m.wait(lambda: any(h.get("message-id") == sr_mid for _, h in m.reports), 2.0)
            rep = [(t, h) for t, h in m.reports if h.get("message-id") == sr_mid]
            sr = (rep[0][1].get("status"), rep[0][1].get("byte-range"),
                  rep[0][0] >= m.responses.get(tids[-1], (0, 1e18))[1],
                  rows_of(s.callid)) if rep else None
        log(f"SEND {i} ({label}): {code}, rows then {n}")
        if i == 3:
            t = m.send_message(b"", None)[0]
            kcode = m.response(t, 5.0)
            keep = (kcode, rows_of(s.callid))
    check("a3 every SEND's last chunk -> 200", codes == [200] * 5, f"got {codes}")
    check("a4 at each last-chunk 200 the table already holds that many rows "
          "(rows = 200s so far)", counts == [1, 2, 3, 4, 5], f"rows at each 200: {counts}")
    check("a5 a chunked message is not stored before its last chunk",
          early and all(n == want for _, n, want, _ in early),
          f"(message, rows, expected, '+' responses): {early}")
    check("a28 the SEND asking Success-Report: yes gets REPORT 000 200 1-2000/2000, "
          "not before its 200, its row there", sr is not None
          and re.fullmatch(r"000 200( .*)?", sr[0] or "") is not None
          and sr[1] == "1-2000/2000" and sr[2] and sr[3] == 4,
          f"(Status, Byte-Range, after the 200, rows): {sr}")
    check("a6 the empty SEND (keep-alive) -> 200 and stores nothing",
          keep == (200, 3), f"(code, rows after): {keep}")
    sess = db_session(s.callid)
    check("a7 while open: a sfwd_session row, started set, ended not",
          sess is not None and sess["started"] == "t" and sess["ended"] == "f", sess)
    code = s.bye()
    check("a8 alice's BYE -> 200", code == 200, f"got {code}")
    sess = poll(lambda: (lambda x: x if x and x["ended"] == "t" else None)(db_session(s.callid)), 3)
    check("a9 after the BYE sfwd_session.ended is set", sess is not None, db_session(s.callid))
    m.pump(0.2)
    log(f"MSRP connection closed after BYE: {m.closed}")
    m.close()
    sess = db_session(s.callid) or {}
    rows = db_rows(s.callid)
    check("a10 5 rows for bob, all pointing to the session's sfwd_session row",
          len(rows) == 5 and all(r[5] == f"bob@{HOST}" and r[6] == sess.get("id")
                                 for r in rows),
          f"session id {sess.get('id')}, rows (aor, session_id): {[(r[5], r[6]) for r in rows]}")
    check("a11 cseq 1..5 in the order sent", [r[0] for r in rows] == ["1", "2", "3", "4", "5"],
          [r[0] for r in rows])
    check("a12 from_uri, from_tag: the INVITE's",
          rows and all(r[3] == f"sip:alice@{HOST}" and r[4] == s.ftag for r in rows),
          [(r[3], r[4]) for r in rows][:2])
    check("a13 content types as sent", [r[1] for r in rows] == [x[1] for x in msgs],
          [r[1] for r in rows])
    check("a14 bodies byte-exact (md5)", [r[2] for r in rows] == [md5(x[2]) for x in msgs],
          [(r[2], md5(x[2])) for r, x in zip(rows, msgs) if r[2] != md5(x[2])])
    check("a15 the session row: aor bob, from_uri alice, Call-ID, From tag",
          (sess.get("aor"), sess.get("from_uri"), sess.get("call_id"), sess.get("from_tag"))
          == (f"bob@{HOST}", f"sip:alice@{HOST}", s.callid, s.ftag), sess)
    check("a16 the session row keeps the INVITE's SDP byte-exact",
          sess.get("sdp_md5") == md5(s.sdp), f"{sess.get('sdp_md5')} vs {md5(s.sdp)}")
    imdn = sql(f"SELECT coalesce(imdn_id, '-') FROM sfwd_message WHERE call_id = '{s.callid}'"
               " AND content_type = 'message/cpim'")
    check("a17 the CPIM SEND's imdn.Message-ID is kept", imdn == imdn_id, imdn)

    # bob comes back: original times must show, so not at once
    time.sleep(2.2)
    code = register(alice, "bob", A.base + 3, 120)
    check("a18 bob's phone registers -> 200", code == 200, f"got {code}")
    registered = code == 200
    try:
        got = poll(lambda: len(bphone.got("MESSAGE", s.callid)) >= 5, 10)
        time.sleep(1.0)  # a duplicate would come now
        got = bphone.got("MESSAGE", s.callid)
        allm = bphone.got("MESSAGE")
        check("a19 bob gets exactly 5 MESSAGEs (no duplicate)", len(got) == 5 and len(allm) == 5,
              f"{len(got)} with the session's Call-ID, {len(allm)} MESSAGEs in all")
        if not allm:
            got = []
        else:
            got = allm
        bodies = [r["body"] for r in got]
        check("a20 in order, bodies byte-exact", bodies == [x[2] for x in msgs],
              [(len(b), md5(b)[:8]) for b in bodies])
        froms = [uri_of(hget(r["hdrs"], "from") or b"") for r in got]
        check("a21 From alice's URI", got and all(f == f"sip:alice@{HOST}" for f in froms), froms)
        cids = [(hget(r["hdrs"], "call-id") or b"").decode() for r in got]
        check("a22 Call-ID the session's", got and all(c == s.callid for c in cids), cids)
        dates = []
        for r, t0, t1 in zip(got, sent_at, times):
            d = hget(r["hdrs"], "date")
            try:
                dt = email.utils.parsedate_to_datetime(d.decode()).timestamp()
            except (AttributeError, TypeError, ValueError):
                dt = None
            dates.append((d, dt is not None and int(t0) - 1 <= dt <= t1 + 1,
                          round(dt - t0, 2) if dt else None))
        check("a23 each has a Date: the time alice sent it (not the delivery time)",
              len(dates) == 5 and all(ok for _, ok, _ in dates),
              [(d.decode() if d else None, off) for d, _, off in dates])
        cseqs = [(hget(r["hdrs"], "cseq") or b"").decode() for r in got]
        check("a29 CSeq: the order in the session (1..5 MESSAGE)",
              cseqs == [f"{k} MESSAGE" for k in range(1, 6)], cseqs)
        cts = [(hget(r["hdrs"], "content-type") or b"").decode() for r in got]
        check("a24 Content-Type as sent", cts == [x[1] for x in msgs], cts)
        left = poll(lambda: rows_of(s.callid) == 0, 3)
        check("a25 the delivered rows leave the table", left, f"{rows_of(s.callid)} left")

        def report():
            for r in aphone.got("MESSAGE"):
                b = r["body"]
                ct = (hget(r["hdrs"], "content-type") or b"").lower()
                if (b"<delivered/>" in b and imdn_id.encode() in b
                        and (ct.startswith(b"message/imdn+xml")
                             or (ct.startswith(b"message/cpim")
                                 and re.search(rb"(?im)^content-type:\s*message/imdn\+xml", b)))):
                    return r
            return None
        rep = poll(report, 5)
        check("a26 alice's phone gets the IMDN 'delivered' for the CPIM message", rep is not None,
              f"{len(aphone.got('MESSAGE'))} MESSAGEs to alice; reports stored for her: "
              + sql(f"SELECT count(*) FROM sfwd_message WHERE aor = 'alice@{HOST}'"))
    finally:
        if registered:
            code = register(alice, "bob", A.base + 3, 0)
            check("a27 bob unregisters (offline again) -> 200", code == 200, f"got {code}")
        register(alice, "alice", A.base + 2, 0)
        for u in (alice, aphone, bphone):
            u.close()


def parse_multipart(ctype, body):
    """the parts (bytes) of a multipart body, and whether it closed properly"""
    m = re.search(r'boundary\s*=\s*"?([^";\s]+)"?', ctype or "", re.I)
    if not m:
        return None, False
    delim = b"--" + m.group(1).encode()
    idx = []
    i = body.find(delim)
    while i >= 0:
        if i == 0 or body[i - 2:i] == b"\r\n":
            idx.append(i)
        i = body.find(delim, i + 1)
    parts, closed = [], False
    for k, i in enumerate(idx):
        after = body[i + len(delim):i + len(delim) + 2]
        if after == b"--":
            closed = True
            break
        eol = body.find(b"\r\n", i)
        if k + 1 >= len(idx) or eol < 0:
            break
        parts.append(body[eol + 2:idx[k + 1] - 2])
    return parts, closed


def part_split(part):
    """(MIME headers dict, content) of one body part"""
    head, _, content = part.partition(b"\r\n\r\n")
    h = {}
    for line in head.split(b"\r\n"):
        n, _, v = line.partition(b":")
        if n:
            h[n.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    return h, content


def store_session(ua, to_user, msgs, prefix):
    """a whole session: INVITE, each message, BYE; the Session (or None)"""
    s = Session(ua, to_user)
    code = s.invite()
    name = f"{prefix} INVITE, {len(msgs)} SENDs, BYE -> 200 each, {len(msgs)} rows"
    if code != 200:
        check(name, False, f"INVITE {code}")
        return None
    STATE["accepted"] = STATE.get("accepted", 0) + 1
    codes = []
    try:
        m = Msrp(s.path, s.our_path)
        for ctype, body, chunks, star in msgs:
            codes.append(send_and_wait(m, body, ctype, chunks, star=star))
        m.close()
    except (OSError, ValueError) as e:
        codes.append(str(e))
    bye = s.bye()
    n = rows_of(s.callid)
    check(name, codes == [200] * len(msgs) and bye == 200 and n == len(msgs),
          f"SENDs {codes}, BYE {bye}, rows {n}")
    STATE["stored"] = STATE.get("stored", 0) + codes.count(200)
    return s


def retrieve(ua, accept, want, quiet=1.5, limit=10.0):
    """bob's retrieval: (INVITE code, Msrp or None, Retrieval)"""
    r = Retrieval(ua, "bob", accept)
    code = r.invite()
    if code != 200:
        return code, None, r
    try:
        m = Msrp(r.path, r.our_path)
    except (OSError, ValueError) as e:
        log("retrieval connect:", e)
        return code, None, r
    t = m.send_message(b"", None)[0]  # bind
    m.response(t, 3.0)
    end = time.time() + limit
    while time.time() < end and not m.closed:
        m.pump(0.1)
        if len(m.messages) >= want and time.time() - m.messages[-1][3] >= quiet:
            break
    return code, m, r


def stored_retrieved(alice, bobr, msgs, prefix, accept, want, name):
    """a session of msgs stored (store_session's check named after PREFIX),
    then bob's retrieval accepting ACCEPT (retrieve; the check NAME:
    INVITE -> 200): (session, Msrp, Retrieval, messages), or None"""
    s = store_session(alice, "bob", msgs, prefix)
    if s is None:
        return None
    code, m, r = retrieve(bobr, accept, want)
    check(name, code == 200, f"got {code}")
    if m is None:
        return None
    return s, m, r, list(m.messages)


def phase_b():
    alice = UA(A.base, name="alice")
    bobr = UA(A.base + 4, name="bobr")
    msgs = [("text/plain;charset=utf-8", "zweite Sitzung, erste Nachricht \u00fc\r\n".encode(), 1,
             False),
            ("application/octet-stream", binary(5000, 4849), 2, True),
            ("text/html", b"<p>third &amp; last</p>\r\n", 1, False)]
    x = stored_retrieved(alice, bobr, msgs, "b1 session B:", "message/sip multipart/mixed", 1,
                         "b2 bob's retrieval INVITE accepting message/sip multipart/mixed -> 200")
    if x is None:
        return
    s, m, r, got = x
    check("b3 the whole session arrives as ONE MSRP message", len(got) == 1,
          f"{len(got)} messages: {[(x[1], len(x[2])) for x in got]}")
    mp = [x for x in got if (x[1] or "").lower().startswith("multipart/mixed")]
    check("b4 ... Content-Type multipart/mixed; boundary=...",
          mp and re.search(r"boundary=", mp[0][1] or "", re.I) is not None,
          [x[1] for x in got])
    parts, closed = parse_multipart(mp[0][1], mp[0][2]) if mp else ([], False)
    parts = parts or []
    heads = [part_split(p) for p in parts]
    check(f"b5 ... {len(msgs) + 2} message/sip parts (INVITE, {len(msgs)} MESSAGEs, BYE),"
          " closing delimiter",
          len(parts) == len(msgs) + 2 and closed
          and all(h.get("content-type", "").lower().startswith("message/sip") for h, _ in heads),
          f"{len(parts)} parts, closed {closed}, types {[h.get('content-type') for h, _ in heads]}")
    sips = [sip_split(c) for _, c in heads]
    starts = [x[0] for x in sips]
    inv = sips[0] if sips else ("", [], b"")
    check("b6 part 1: the INVITE alice -> bob with the session's Call-ID",
          inv[0].startswith("INVITE sip:bob@")
          and uri_of(hget(inv[1], "from") or b"") == f"sip:alice@{HOST}"
          and uri_of(hget(inv[1], "to") or b"").startswith("sip:bob@")
          and hget(inv[1], "call-id") == s.callid.encode(),
          f"{inv[0]!r} From {hget(inv[1], 'from')} Call-ID {hget(inv[1], 'call-id')}")
    check("b7 ... its body is the SDP offer, byte-exact (Content-Length right)",
          inv[2] == s.sdp and (hget(inv[1], "content-length") or b"").strip()
          == str(len(inv[2])).encode(), f"{inv[2][:80]!r}")
    mids = sips[1:-1]
    check("b8 parts 2..: one MESSAGE per SEND, in order, bodies byte-exact",
          [x[0].split(" ")[0] for x in mids] == ["MESSAGE"] * len(msgs)
          and [x[2] for x in mids] == [x[1] for x in msgs],
          f"{starts} bodies {[(len(x[2]), md5(x[2])[:8]) for x in mids]}")
    check("b9 ... Content-Type as sent, From alice, the session's Call-ID",
          [(hget(x[1], "content-type") or b"").decode() for x in mids] == [x[0] for x in msgs]
          and all(uri_of(hget(x[1], "from") or b"") == f"sip:alice@{HOST}"
                  and hget(x[1], "call-id") == s.callid.encode() for x in mids) and mids,
          [((hget(x[1], "content-type") or b"").decode(), uri_of(hget(x[1], "from") or b""))
           for x in mids])
    check("b10 the last part is the BYE (the session's Call-ID)",
          len(sips) >= 2 and sips[-1][0].startswith("BYE ")
          and hget(sips[-1][1], "call-id") == s.callid.encode(), starts[-1:])
    gone = poll(lambda: rows_of(s.callid) == 0, 3)
    check("b11 after the 200s the session's rows leave the table", gone,
          f"{rows_of(s.callid)} left")
    code = r.bye()
    check("b12 the retrieval BYE -> 200", code == 200, f"got {code}")
    m.wait(lambda: m.closed, 2)
    m.close()

    # without multipart/mixed: one message/sip per stored SEND
    msgs2 = [("text/plain", b"C1 plain\r\n", 1, False),
             ("application/octet-stream", binary(3000, 4850), 2, False)]
    x = stored_retrieved(alice, bobr, msgs2, "b13 session C:", "message/sip", 2,
                         "b14 bob's retrieval INVITE accepting message/sip only -> 200")
    if x is None:
        return
    s2, m, r, got = x
    sips = [sip_split(x[2]) for x in got]
    check("b15 ... one message/sip per stored SEND (2), each a MESSAGE",
          len(got) == 2 and all((x[1] or "").lower().startswith("message/sip") for x in got)
          and all(x[0].startswith("MESSAGE ") for x in sips),
          [(x[1], y[0][:30]) for x, y in zip(got, sips)])
    check("b16 ... in order, bodies byte-exact, Content-Type as sent",
          [x[2] for x in sips] == [x[1] for x in msgs2]
          and [(hget(x[1], "content-type") or b"").decode() for x in sips]
          == [x[0] for x in msgs2], [(len(x[2]), md5(x[2])[:8]) for x in sips])
    gone = poll(lambda: rows_of(s2.callid) == 0, 3)
    check("b17 ... and leave the table", gone, f"{rows_of(s2.callid)} left")
    r.bye()
    m.wait(lambda: m.closed, 2)
    m.close()


def phase_c1():
    alice = UA(A.base, name="alice")
    s = Session(alice, "frank")
    code = s.invite()
    check("c1 alice INVITEs offline frank -> 200", code == 200, f"got {code}")
    if code != 200:
        return
    m = Msrp(s.path, s.our_path)
    bodies = [f"before the kill {i} \u2620\r\n".encode() for i in (1, 2, 3)]
    res = []
    for b in bodies:
        c = send_and_wait(m, b, "text/plain;charset=utf-8")
        res.append((c, rows_of(s.callid)))
    check("c2 3 SENDs -> 200 each, each row there at its 200", res == [(200, 1), (200, 2), (200, 3)],
          res)
    fourth = binary(3000, 4851)
    m.send_message(fourth, "application/octet-stream", 3, upto=1)
    m.pump(0.4)
    check("c3 the first chunk ('+') of a 4th sent: still 3 rows", rows_of(s.callid) == 3,
          rows_of(s.callid))
    STATE["c"] = {"callid": s.callid, "ftag": s.ftag,
                  "bodies": [base64.b64encode(b).decode() for b in bodies]}
    r = subprocess.run(["bash", A.kill], capture_output=True, timeout=20)
    check("c4 Kamailio killed (SIGKILL of its process group), nothing of it left",
          r.returncode == 0, (r.stdout + r.stderr).decode("utf-8", "replace"))
    m.wait(lambda: m.closed, 3)
    check("c5 ... the MSRP connection dropped with it", m.closed, "")
    m.close()
    check("c6 after the kill: exactly the 3 acknowledged rows", rows_of(s.callid) == 3,
          rows_of(s.callid))


def phase_c2():
    c = STATE.get("c", {})
    callid = c.get("callid", "none")
    bodies = [base64.b64decode(b) for b in c.get("bodies", [])]
    rows = db_rows(callid)
    check("c7 after the restart: exactly 3 rows for the killed session, cseq 1..3",
          [r[0] for r in rows] == ["1", "2", "3"], [r[0] for r in rows])
    check("c8 ... bodies byte-exact, none of the 4th message",
          len(bodies) == 3 and [r[2] for r in rows] == [md5(b) for b in bodies],
          [r[2] for r in rows])
    sess = db_session(callid)
    log(f"the killed session's row after the restart: {sess}")
    alice = UA(A.base, name="alice")
    s = Session(alice, "frank")
    code, m, c = open_send(s, b"after the restart\r\n")
    ok, res = False, None
    if m:
        bye = s.bye()
        m.close()
        ok = c == 200 and bye == 200 and rows_of(s.callid) == 1
        res = (c, bye, rows_of(s.callid))
    check("c9 a new session from alice works: INVITE, SEND, BYE -> 200, stored", ok,
          f"INVITE {code}, (SEND, BYE, rows) {res}")
    s = Session(alice, "frank")
    code, m, c = open_send(s, b"and then the line drops\r\n")
    res = None
    if m:
        m.close()
        sess = poll(lambda: (lambda x: x if x and x["ended"] == "t" else None)(
            db_session(s.callid)), 2.0)
        res = (c, sess is not None, rows_of(s.callid))
    check("c10 a sender that drops the connection (no BYE) ends its session: "
          "ended set within 2 s, the message kept", code == 200 and res == (200, True, 1),
          f"INVITE {code}, (SEND, ended, rows) {res}")


IDLE_SENDERS = ["bob", "carol", "dave", "frank", "hangbob", "t013bob"]


def count_after_restart(accepted=0, stored=0):
    STATE["accepted_after_restart"] = STATE.get("accepted_after_restart", 0) + accepted
    STATE["stored_after_restart"] = STATE.get("stored_after_restart", 0) + stored


def open_send(s, body):
    """s.invite(), and on 200 one text/plain SEND of body, both counted
    since the restart: (INVITE code, Msrp, SEND code); the Msrp and the
    SEND code None without a 200"""
    code = s.invite()
    if code != 200:
        return code, None, None
    count_after_restart(1)
    m = Msrp(s.path, s.our_path)
    c = send_and_wait(m, body, "text/plain")
    if c == 200:
        count_after_restart(0, 1)
    return code, m, c


def stats_sessions():
    """{name: value} of every statistic/RPC field naming sessions"""
    out = rpc("sfwd.stats") + "\n" + rpc("stats.get_statistics", "all")
    vals = {}
    for mm in re.finditer(r"([A-Za-z_:.]*session[A-Za-z_:.]*)\s*[:=]\s*(-?\d+)", out):
        vals[mm.group(1)] = int(mm.group(2))
    return vals


def active_gauge(vals):
    """the statistics that count sessions open now (not retrieval ones)"""
    return {k: v for k, v in vals.items()
            if re.search(r"(^|[_:.])(active|open|current|live)([_:.]|$)", k, re.I)
            and "retriev" not in k.lower()}


def phase_d():
    alice = UA(A.base, name="alice")
    # --- wrong path, then the right one
    s = Session(alice, "dave")
    code = s.invite()
    if code == 200:
        count_after_restart(1)
    check("d1 alice INVITEs offline dave -> 200", code == 200, f"got {code}")
    if code == 200:
        x = Msrp(s.path, s.our_path)
        t = x.send_message(b"to nowhere", "text/plain", to_path=made_up_path())[0]
        c = x.response(t, 3.0)
        t0 = time.time()
        x.wait(lambda: x.closed, 3)
        check("d2 a first SEND to a wrong To-Path -> 481 and the connection closed",
              c == 481 and x.closed and time.time() - t0 <= 2.5,
              f"got {c}, closed {x.closed} after {time.time() - t0:.2f} s")
        x.close()
        m = Msrp(s.path, s.our_path)
        c = send_and_wait(m, b"the right path\r\n", "text/plain")
        check("d3 ... the real sender, on the right path, still gets 200", c == 200, f"got {c}")
        if c == 200:
            count_after_restart(0, 1)
        bye = s.bye()
        check("d4 ... BYE -> 200; exactly 1 row for that session",
              bye == 200 and rows_of(s.callid) == 1, f"BYE {bye}, rows {rows_of(s.callid)}")
        m.close()

    # --- 413, declared and accumulated
    s = Session(alice, "dave")
    code = s.invite()
    if code == 200:
        count_after_restart(1)
        m = Msrp(s.path, s.our_path)
        big = binary(A.max_body + 100, 4852)
        tids = m.send_message(big, "application/octet-stream", [8192] * 40, upto=1)
        c = m.response(tids[0], 3.0)
        check("d5 a chunk whose Byte-Range total exceeds max_body_size -> 413", c == 413,
              f"got {c} (Byte-Range 1-8192/{len(big)})")
        # accumulated: total '*', 8 KB chunks, each answered before the next
        # (0.3 s at most), until one is refused
        mid = "t048-acc-" + uuid.uuid4().hex[:8]
        big = binary(A.max_body + 3 * 8192, 4854)
        n_chunks = -(-len(big) // 8192)
        crossing = A.max_body // 8192 + 1  # the chunk that passes the limit
        pos, acc = 0, []
        for k in range(n_chunks):
            last = k == n_chunks - 1
            part = big[pos:pos + 8192]
            tid = new_tid()
            rng = f"{pos + 1}-{pos + len(part)}/{len(big) if last else '*'}"
            if not m.send_raw(m.frame(tid, part, "application/octet-stream", rng,
                                      "$" if last else "+", mid)):
                break
            pos += len(part)
            acc.append(tid)
            m.wait(lambda: tid in m.responses, 3.0 if last else 0.3)
            if any(m.responses.get(t, (0,))[0] == 413 for t in acc) or m.closed:
                break
        if not any(m.responses.get(t, (0,))[0] == 413 for t in acc):
            m.wait(lambda: any(m.responses.get(t, (0,))[0] == 413 for t in acc), 3.0)
        got = [(i + 1, m.responses[t][0]) for i, t in enumerate(acc) if t in m.responses]
        at = [i for i, c in got if c == 413]
        check("d6 chunks with total '*' accumulating past max_body_size -> 413",
              bool(at), f"{len(acc)} chunks of 8 KB sent, limit {A.max_body}, "
              f"(chunk, code): {[g for g in got if g[1] != 200]}, closed {m.closed}")
        check(f"d7 ... refused no later than the chunk that crossed the limit (chunk {crossing})",
              bool(at) and at[0] <= crossing, f"413 for chunk {at[:1]} of {n_chunks}")
        c = send_and_wait(m, b"small enough\r\n", "text/plain") if not m.closed else "closed"
        check("d8 ... the session goes on: a small SEND -> 200, only it is stored",
              c == 200 and rows_of(s.callid) == 1, f"got {c}, rows {rows_of(s.callid)}")
        if c == 200:
            count_after_restart(0, 1)
        s.bye()
        m.close()
    else:
        check("d5 a chunk whose Byte-Range total exceeds max_body_size -> 413", False,
              f"INVITE {code}")

    # --- 400: Byte-Range gap (the session goes on), end < start, and a
    # last chunk shorter than its Byte-Range (each in a session of its own)
    body = b"g" * 300

    def bad_range(name, frames, then_good=None):
        """frames: [(body, Byte-Range, flag)] of one message; checks that
        the last gets 400 (and, with then_good, that a good SEND after it
        is stored alone)"""
        x = Session(alice, "dave")
        code = x.invite()
        if code != 200:
            check(name, False, f"INVITE {code}")
            return
        count_after_restart(1)
        m = Msrp(x.path, x.our_path)
        mid = "t048-br-" + uuid.uuid4().hex[:8]
        tids = []
        for b_, rng, flag in frames:
            tids.append(new_tid())
            m.send_raw(m.frame(tids[-1], b_, "text/plain", rng, flag, mid))
        c = m.response(tids[-1], 3.0)
        m.pump(0.2)
        check(name, c == 400, f"got {c} (earlier chunks: "
              f"{[m.responses.get(t, (None,))[0] for t in tids[:-1]]}), "
              f"connection closed {m.closed}")
        if then_good:
            c = send_and_wait(m, b"well formed\r\n", "text/plain") if not m.closed else "closed"
            check(then_good, c == 200 and rows_of(x.callid) == 1,
                  f"got {c}, rows {rows_of(x.callid)}")
            if c == 200:
                count_after_restart(0, 1)
        x.bye()
        m.close()

    bad_range("d9 a chunk that does not start where the last ended (gap) -> 400",
              [(body[:100], "1-100/300", "+"), (body[150:], "151-300/300", "$")],
              "d10 ... the session goes on: a good SEND -> 200, only it is stored")
    bad_range("d11 a chunk with Byte-Range end < start -> 400",
              [(body[:100], "1-100/300", "+"), (body[100:150], "101-50/300", "$")])
    bad_range("d11b a last chunk with fewer bytes than its Byte-Range names -> 400",
              [(body[:90], "1-100/100", "$")])

    # --- 100 sessions opened and never used: from several senders, since
    # one sender may hold session_sender_max (16) at once; alice holds
    # exactly that many, so that a leak of hers refuses her next session
    idle = []
    senders = ["alice"] * 16 + [u for u in IDLE_SENDERS for _ in range(14)]
    for i in range(A.idle_sessions):
        x = Session(alice, "erin", frm_user=senders[i % len(senders)])
        x.invite(timeout=4.0)
        idle.append(x)
    codes = [x.code for x in idle]
    ok200 = [x for x in idle if x.code == 200]
    count_after_restart(len(ok200))
    t_idle = time.time()
    check(f"d12 {A.idle_sessions} INVITEs to offline erin (alice 16, 6 others 14 at most), "
          "never connected -> 200 each", len(ok200) == A.idle_sessions,
          f"{len(ok200)} x 200, others {sorted(set(c for c in codes if c != 200))}")
    g0 = active_gauge(stats_sessions())
    check("d13 the active-session gauge counts them while they are open",
          g0 and max(g0.values()) >= len(ok200), g0)

    # meanwhile: refusals at INVITE time
    # (from t014bob: alice holds session_sender_max idle sessions now)
    x = Session(alice, "bob", frm_user="t014bob",
                extra=b"Request-Disposition: do-not-store\r\n")
    code = x.invite()
    count_after_restart(code == 200)
    check("d14 INVITE with Request-Disposition: do-not-store (class instant) -> 480",
          code == 480, f"got {code}")
    x = Session(alice, "dave", frm_user="t014bob",
                extra_m="m=messaging 3456 IMTP/instant MESSAGE/instant html\r\n")
    code = x.invite()
    count_after_restart(code == 200)
    check("d15 INVITE whose SDP says IMTP/instant -> 480", code == 480, f"got {code}")
    x = Session(alice, "mallory", frm_user="t014bob")
    code = x.invite()
    count_after_restart(code == 200)
    check("d16 INVITE to mallory (no such subscriber) -> 404", code == 404, f"got {code}")
    x = Session(alice, "bob", frm_user="t014bob")
    code = x.invite()
    check("d17 INVITE to bob, whose profile says store: no -> 4xx (not 200)",
          code is not None and 400 <= code < 500, f"got {code}")
    count_after_restart(code == 200)
    if code == 200:
        x.bye()
    # carol: accept text/*, max_messages 2 (set by run.sh)
    x = Session(alice, "carol", frm_user="t014bob", accept="text/plain image/png")
    code = x.invite()
    if code == 200:
        count_after_restart(1)
        m = Msrp(x.path, x.our_path)
        c415 = send_and_wait(m, png(4853), "image/png")
        c1 = send_and_wait(m, b"carol 1\r\n", "text/plain")
        c2 = send_and_wait(m, b"carol 2\r\n", "text/plain")
        c3 = send_and_wait(m, b"carol 3\r\n", "text/plain")
        count_after_restart(0, [c1, c2].count(200))
        check("d18 carol accepts text/* only: an image/png SEND -> 415", c415 == 415,
              f"got {c415}")
        check("d19 carol's mailbox holds 2: the 3rd text SEND -> 403, 2 rows",
              (c1, c2, c3) == (200, 200, 403) and rows_of(x.callid) == 2,
              f"got {(c1, c2, c3)}, rows {rows_of(x.callid)}")
        x.bye()
        m.close()
    else:
        check("d18 carol accepts text/* only: an image/png SEND -> 415", False,
              f"INVITE {code}")

    # the idle sessions end: the sweep runs every 100 ms and counts whole
    # seconds, so every one has ended msrp_idle_timeout + 2 s after the last
    time.sleep(max(0.0, t_idle + A.idle_timeout + 2.0 - time.time()))
    g1 = active_gauge(stats_sessions())
    check("d20 msrp_idle_timeout + 2 s after the last: the active-session gauge is 0",
          g1 and all(v == 0 for v in g1.values()),
          f"{g1}; all session statistics: {stats_sessions()}")
    if ok200:
        try:
            y = Msrp(ok200[-1].path, ok200[-1].our_path)
            t = y.send_message(b"too late", "text/plain")[0]
            c = y.response(t, 3.0)
            if c == 200:
                count_after_restart(0, 1)  # stored, so counted by sfwd
            y.wait(lambda: y.closed, 2.5)
            check("d21 a SEND to the last idle session's path -> 481, connection closed",
                  c == 481 and y.closed, f"got {c}, closed {y.closed}")
            y.close()
        except OSError as e:
            check("d21 a SEND to the last idle session's path -> 481, connection closed",
                  False, e)
    STATE["idle_ended_by"] = time.time()
    STATE["idle_accepted"] = len(ok200)
    byes = sum(1 for r in alice.got("BYE"))
    log(f"BYEs from sfwd to alice for idle sessions: {byes}")
    x = Session(alice, "erin")
    code, m, c = open_send(x, b"erin, after the idle ones\r\n")
    res = None
    if m:
        res = (c, x.bye(), rows_of(x.callid))
        m.close()
    check("d22 a new session to erin still works: INVITE, SEND, BYE -> 200, 1 row",
          code == 200 and res == (200, 200, 1), f"INVITE {code}, (SEND, BYE, rows) {res}")


def phase_e():
    alice = UA(A.base, name="alice")
    s = Session(alice, "dave")
    code = s.invite()
    if code != 200:
        check("e1 alice INVITEs offline dave -> 200, a SEND -> 200", False, f"INVITE {code}")
        return
    m = Msrp(s.path, s.our_path)
    c = send_and_wait(m, b"before the outage\r\n", "text/plain")
    check("e1 alice INVITEs offline dave -> 200, a SEND -> 200", c == 200, f"SEND {c}")
    r = subprocess.run(["bash", A.pg_stop], capture_output=True, timeout=30)
    log("pg stop:", r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")[-300:])
    tids = m.send_message(b"during the outage\r\n", "text/plain")
    code = m.response(tids[0], 8.0)
    m.pump(1.0)  # a late 200 would show now
    final = m.responses.get(tids[0], (None,))[0]
    check("e2 PostgreSQL down: the SEND gets an MSRP error (>= 400), never 200",
          code is not None and code >= 400 and final == code,
          f"got {code} (then {final}), connection closed {m.closed}")
    bye = poll(lambda: alice.got("BYE", s.callid), 3)
    check("e3 ... and sfwd ends the session with a BYE to alice (within 3 s)", bool(bye),
          f"{len(alice.got('BYE'))} BYEs to alice")
    m.close()


def main():
    global A, STATE
    p = argparse.ArgumentParser()
    p.add_argument("--phase", required=True, choices=["a", "b", "c1", "c2", "d", "e"])
    p.add_argument("--sip-port", type=int, required=True)
    p.add_argument("--msrp-port", type=int, required=True)
    p.add_argument("--base", type=int, required=True, help="first of 7 ports of our own")
    p.add_argument("--sql", required=True, help="script: runs SQL $1, prints rows")
    p.add_argument("--rpc", required=True, help="script: kamcmd $@")
    p.add_argument("--kill", default="", help="script: SIGKILL of Kamailio (phase c1)")
    p.add_argument("--pg-stop", default="", help="script: stops PostgreSQL (phase e)")
    p.add_argument("--state", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--max-body", type=int, default=131072)
    p.add_argument("--idle-timeout", type=int, default=5)
    p.add_argument("--idle-sessions", type=int, default=100)
    A = p.parse_args()
    sfwdtest.open_log(A.log, "a")
    log(f"==== phase {A.phase}")
    if A.msrp_port in range(A.base, A.base + 7):
        print(f"FAIL\tports\tthe MSRP port {A.msrp_port} is among ours", flush=True)
        return 1
    try:
        STATE = json.load(open(A.state))
    except (OSError, ValueError):
        STATE = {}
    STATE.setdefault("frames", {})
    try:
        {"a": phase_a, "b": phase_b, "c1": phase_c1, "c2": phase_c2, "d": phase_d,
         "e": phase_e}[A.phase]()
    finally:
        STATE["frames"][A.phase] = dict(sfwdtest.FRAMES)
        json.dump(STATE, open(A.state, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
