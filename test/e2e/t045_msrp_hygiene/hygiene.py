#!/usr/bin/env python3
"""t045: MSRP retrieval hygiene, driven from one raw SIP/MSRP client.

Prints one line per named check, "ok<TAB>name<TAB>detail" or
"FAIL<TAB>name<TAB>detail", and writes a JSON summary (session ids, the
MSRP frames this client sent and received, for the capture cross-check).
Every wait is bounded; everything talks to 127.0.0.1 only.
"""
import argparse
import json
import os
import re
import select
import socket
import sys
import threading
import time
import uuid

sys.dont_write_bytecode = True  # leave t020's folder as it is
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "t020_msrp"))
from msrp_client import digest  # noqa: E402  (t020's digest answer)

HOST = "127.0.0.1"
LOG = None
RESULTS = []
RLOCK = threading.RLock()
FRAMES = {"sent": 0, "received": 0}


def log(*a):
    with RLOCK:
        print(*a, file=LOG, flush=True)


def check(name, ok, detail=""):
    with RLOCK:
        RESULTS.append(name)
        print(f"{'ok' if ok else 'FAIL'}\t{name}\t{detail}", flush=True)
    log(("ok  " if ok else "FAIL"), name, "|", detail)
    return ok


def pump_socket(sock, timeout, read, stop=lambda: False):
    """read() whenever sock is readable, for timeout s at most; returns
    earlier when nothing arrives in the time left or once stop() is true."""
    end = time.time() + timeout
    while not stop():
        left = end - time.time()
        if left <= 0:
            return
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return
        read()


def utf8_name(n):
    """n bytes of valid UTF-8 (no quote, no backslash) for a display name"""
    base = "Ünïcödé Nâme 名前 Ωμέγα ß "
    out = b""
    i = 0
    while True:
        c = base[i % len(base)].encode()
        if len(out) + len(c) > n:
            break
        out += c
        i += 1
    return out + b"x" * (n - len(out))


# ---------------------------------------------------------------- SIP ----

def sip_split(data):
    """(first line, [(name lower, raw value bytes)], body) of raw bytes"""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    hdrs = []
    for line in lines[1:]:
        n, _, v = line.partition(b":")
        hdrs.append((n.strip().lower().decode("latin-1"), v.strip()))
    return lines[0].decode("latin-1"), hdrs, body


def hget(hdrs, name):
    for n, v in hdrs:
        if n == name:
            return v
    return None


class UA:
    """a SIP UA over UDP; answers NOTIFYs with 200 and keeps their bodies"""

    def __init__(self, port, kam_port):
        self.port = port
        self.kam = (HOST, kam_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, port))
        self.notifies = []  # (time, body)
        self.responses = []

    def send(self, data):
        self.sock.sendto(data, self.kam)

    def _handle(self, data):
        first, hdrs, body = sip_split(data)
        if first.startswith("SIP/2.0 "):
            self.responses.append((first, hdrs, body, data))
            return
        if first.startswith("NOTIFY "):
            self.notifies.append((time.time(), body))
            log("NOTIFY", body.decode("utf-8", "replace").replace("\r\n", " | "))
        # 200 to any request (NOTIFY)
        resp = b"SIP/2.0 200 OK\r\n"
        for n, v in hdrs:
            if n in ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"):
                name = {"v": "via", "f": "from", "t": "to", "i": "call-id"}.get(n, n)
                resp += name.encode() + b": " + v + b"\r\n"
        resp += b"Content-Length: 0\r\n\r\n"
        self.send(resp)

    def pump(self, timeout):
        pump_socket(self.sock, timeout, lambda: self._handle(self.sock.recvfrom(65535)[0]))

    def final(self, callid, method, timeout=5.0):
        """the next final response for callid/method (bounded)"""
        end = time.time() + timeout
        while time.time() < end:
            for i, (first, hdrs, body, raw) in enumerate(self.responses):
                cs = hget(hdrs, "cseq") or b""
                if (hget(hdrs, "call-id") == callid.encode()
                        and cs.split()[-1:] == [method.encode()]
                        and int(first.split()[1]) >= 200):
                    del self.responses[i]
                    return int(first.split()[1]), hdrs, body
            self.pump(0.05)
        return None, [], b""


def sip_request(method, ruri, frm, to, callid, cseq, contact_port, extra=b"",
                body=b"", ctype=None, branch=None):
    branch = branch or "z9hG4bK" + uuid.uuid4().hex[:16]
    h = (f"{method} {ruri} SIP/2.0\r\n"
         f"Via: SIP/2.0/UDP {HOST}:{contact_port};branch={branch};rport\r\n").encode()
    h += b"From: " + frm + b"\r\nTo: " + to + b"\r\n"
    h += (f"Call-ID: {callid}\r\nCSeq: {cseq} {method}\r\n"
          f"Contact: <sip:t045@{HOST}:{contact_port}>\r\nMax-Forwards: 70\r\n").encode()
    h += extra
    if ctype:
        h += f"Content-Type: {ctype}\r\n".encode()
    h += f"Content-Length: {len(body)}\r\n\r\n".encode()
    return h + body, branch


def store_message(ua, frm, to, body=b"hello", ctype="text/plain"):
    """a MESSAGE from alice to bob (offline): the final reply code"""
    callid = uuid.uuid4().hex + "@t045"
    data, _ = sip_request("MESSAGE", f"sip:bob@{HOST}:{ua.kam[1]}", frm, to,
                          callid, 1, ua.port, body=body, ctype=ctype)
    ua.send(data)
    code, _, _ = ua.final(callid, "MESSAGE")
    return code, callid


class Session:
    """an MSRP retrieval dialog: INVITE (digest) to one's own address"""

    def __init__(self, ua, mailbox, password):
        self.ua = ua
        self.mailbox = mailbox
        self.password = password
        self.callid = uuid.uuid4().hex + "@t045"
        self.ftag = uuid.uuid4().hex[:12]
        self.cseq = 0
        self.our_path = f"msrp://{HOST}:{ua.port + 1}/{uuid.uuid4().hex[:16]};tcp"
        self.code = None
        self.totag = None
        self.contact = None
        self.path = None
        self.sid = None

    def frm(self, ftag=None):
        return f"<sip:{self.mailbox}@{HOST}>;tag={ftag or self.ftag}".encode()

    def invite(self):
        ruri = f"sip:{self.mailbox}@{HOST}:{self.ua.kam[1]}"
        sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
               f"t=0 0\r\nm=message {self.ua.port + 1} TCP/MSRP *\r\n"
               "a=accept-types:message/sip\r\n"
               f"a=path:{self.our_path}\r\na=setup:active\r\n").encode()
        to = f"<sip:{self.mailbox}@{HOST}>".encode()
        auth = b""
        for _ in range(2):
            self.cseq += 1
            data, branch = sip_request("INVITE", ruri, self.frm(), to, self.callid,
                                       self.cseq, self.ua.port, extra=auth,
                                       body=sdp, ctype="application/sdp")
            self.ua.send(data)
            code, hdrs, body = self.ua.final(self.callid, "INVITE")
            if code is None:
                self.code = None
                return None
            totag = re.search(rb"tag=([^;>\s]+)", hget(hdrs, "to") or b"")
            totag = totag.group(1) if totag else b""
            if code >= 300:
                # ACK of a non-2xx: the INVITE's branch
                ack = (f"ACK {ruri} SIP/2.0\r\n"
                       f"Via: SIP/2.0/UDP {HOST}:{self.ua.port};branch={branch};rport\r\n"
                       ).encode() + b"From: " + self.frm() + b"\r\nTo: " + to + \
                    b";tag=" + totag + (f"\r\nCall-ID: {self.callid}\r\nCSeq: {self.cseq} ACK\r\n"
                                        "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()
                self.ua.send(ack)
            if code == 401 and not auth:
                chal = (hget(hdrs, "www-authenticate") or b"").decode()
                auth = ("Authorization: " + digest("INVITE", ruri, self.mailbox,
                                                   self.password, chal) + "\r\n").encode()
                continue
            break
        self.code = code
        if code != 200:
            return code
        self.totag = totag.decode()
        self.contact = re.search(rb"<([^>]+)>", hget(hdrs, "contact")).group(1).decode()
        m = re.search(rb"a=path:(\S+)", body)
        self.path = m.group(1).decode() if m else ""
        m = re.match(r"msrp://[^/]+/([^;]*);tcp$", self.path)
        self.sid = m.group(1) if m else ""
        data, _ = sip_request("ACK", self.contact, self.frm(),
                              to + f";tag={self.totag}".encode(), self.callid,
                              self.cseq, self.ua.port)
        self.ua.send(data)
        log(f"session {self.mailbox} {self.callid}: path {self.path}")
        return code

    def bye(self, ftag=None, totag=None):
        self.cseq += 1
        to = f"<sip:{self.mailbox}@{HOST}>;tag={totag or self.totag}".encode()
        data, _ = sip_request("BYE", self.contact, self.frm(ftag), to, self.callid,
                              self.cseq, self.ua.port)
        self.ua.send(data)
        code, _, _ = self.ua.final(self.callid, "BYE")
        return code


# --------------------------------------------------------------- MSRP ----

FRAME_RE = re.compile(rb"MSRP ([A-Za-z0-9][A-Za-z0-9.+%=-]{3,31}) ")


class Msrp:
    """one TCP connection to sfwd's MSRP port; answers sfwd's SENDs with 200
    and reassembles their payloads"""

    def __init__(self, path, our_path, timeout=3.0):
        m = re.match(r"msrp://([^:/]+):(\d+)/", path)
        self.path = path
        self.our_path = our_path
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=timeout)
        self.buf = b""
        self.closed = False
        self.responses = {}  # tid -> (code, frame)
        self.parts = {}
        self.messages = []  # (message-id, content-type, payload)
        self.acked = []  # time of each 200 that completed a message
        self.frames_in = 0
        self.frames_out = 0

    def send_raw(self, data, frames=1):
        self.sock.sendall(data)
        self.frames_out += frames
        with RLOCK:
            FRAMES["sent"] += frames

    def send(self, to_path=None, body=b"", extra=b"", tid=None):
        tid = tid or uuid.uuid4().hex[:12]
        to_path = to_path or self.path
        f = (f"MSRP {tid} SEND\r\nTo-Path: {to_path}\r\nFrom-Path: {self.our_path}\r\n"
             f"Message-ID: t045-{tid}\r\nByte-Range: 1-{len(body)}/{len(body)}\r\n").encode()
        f += extra
        if body:
            f += b"Content-Type: text/plain\r\n\r\n" + body + b"\r\n"
        f += f"-------{tid}$\r\n".encode()
        self.send_raw(f)
        return tid

    def _frames(self):
        while True:
            m = FRAME_RE.match(self.buf)
            if not m:
                return
            tid = m.group(1)
            end = re.search(rb"-------" + re.escape(tid) + rb"([$+#])\r\n", self.buf)
            if not end:
                return
            frame, self.buf = self.buf[:end.end()], self.buf[end.end():]
            self.frames_in += 1
            with RLOCK:
                FRAMES["received"] += 1
            self._frame(tid.decode(), frame, end.group(1))

    def _frame(self, tid, frame, flag):
        head, _, rest = frame.partition(b"\r\n\r\n")
        if not rest:
            head = frame[:frame.rfind(b"-------")]
        lines = head.split(b"\r\n")
        start = lines[0].split(b" ", 3)
        h = {}
        for line in lines[1:]:
            n, _, v = line.partition(b":")
            if n:
                h.setdefault(n.strip().lower().decode(), v.strip().decode("latin-1"))
        if start[2] != b"SEND":
            if start[2].isdigit():
                self.responses[tid] = (int(start[2]), frame)
                log(f"MSRP response {tid}: {lines[0].decode('latin-1')}")
            return
        # a SEND from sfwd: 200 (Failure-Report aside), reassemble
        self.send_raw((f"MSRP {tid} 200 OK\r\nTo-Path: {h['from-path']}\r\n"
                       f"From-Path: {self.our_path}\r\n-------{tid}$\r\n").encode())
        chunk = rest[:rest.rfind(b"\r\n-------")] if rest else b""
        self.parts.setdefault(h.get("message-id"), []).append(chunk)
        if flag == b"$":
            payload = b"".join(self.parts.pop(h.get("message-id")))
            self.messages.append((h.get("message-id"), h.get("content-type"), payload))
            self.acked.append(time.time())
            log(f"MSRP message {h.get('message-id')} ({len(payload)} bytes)")

    def pump(self, timeout):
        pump_socket(self.sock, timeout, self._read, lambda: self.closed)

    def _read(self):
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, OSError):
            data = b""
        if not data:
            self.closed = True
            self.closed_at = time.time()
            return
        self.buf += data
        self._frames()

    def wait(self, cond, timeout):
        end = time.time() + timeout
        while not cond() and time.time() < end and not self.closed:
            self.pump(min(0.05, max(0.0, end - time.time())))
        return cond()

    def response(self, tid, timeout):
        self.wait(lambda: tid in self.responses, timeout)
        r = self.responses.get(tid)
        return r[0] if r else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def send_silent(m, name, **send):
    """The check that a SEND (Msrp.send's arguments) gets no response within
    1 s and the connection stays open."""
    t = m.send(**send)
    m.pump(1.0)
    check(name, t not in m.responses and not m.closed,
          f"got {m.responses.get(t, (None,))[0]} closed={m.closed}")


def send_code(m, name, want, **send):
    """The check that a SEND (Msrp.send's arguments) gets the response code
    WANT within 3 s."""
    code = m.response(m.send(**send), 3)
    check(name, code == want, f"got {code}")


def made_up_path(port):
    return f"msrp://{HOST}:{port}/{uuid.uuid4().hex[:8]}abcdefghijklmnop;tcp"


# ------------------------------------------------------------- checks ----

def check3(a):
    """silent connection closed within bind timeout + 2 s; a SEND to a
    made-up session gets 481 and the connection closes"""
    limit = a.bind_timeout + 2
    s = socket.create_connection((HOST, a.msrp_port), timeout=limit + 3)
    t0 = time.time()
    try:
        d = s.recv(100)
    except socket.timeout:
        d = None
    except (ConnectionResetError, OSError):
        d = b""
    dt = time.time() - t0
    s.close()
    check("3a silent connection closed within msrp_bind_timeout+2 s",
          d == b"" and dt <= limit,
          f"closed after {dt:.2f} s (limit {limit} s)" if d == b"" else
          f"not closed within {dt:.2f} s (got {d!r})")
    # sfwd counts the bind time in milliseconds: not before it is over
    check("3e ... but not before msrp_bind_timeout (no early close)",
          d == b"" and dt >= a.bind_timeout - 0.05, f"closed after {dt:.2f} s")

    c = Msrp(made_up_path(a.msrp_port), f"msrp://{HOST}:{a.msrp_port + 7}/t045x;tcp")
    t0 = time.time()
    tid = c.send(to_path=c.path)
    code = c.response(tid, 3)
    check("3b SEND naming a made-up session -> MSRP 481", code == 481, f"got {code}")
    c.wait(lambda: c.closed, 3)
    dt = time.time() - t0
    check("3c ... and sfwd closes that connection (within 2 s)", c.closed and dt <= 2,
          f"closed={c.closed} after {dt:.2f} s")
    c.close()


def main():
    global LOG
    p = argparse.ArgumentParser()
    p.add_argument("--sip-port", type=int, required=True)
    p.add_argument("--msrp-port", type=int, required=True)
    p.add_argument("--ua-port", type=int, required=True)
    p.add_argument("--bind-timeout", type=int, default=5)
    p.add_argument("--log", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--rows", required=True, help="command printing bob's queued count")
    a = p.parse_args()
    LOG = open(a.log, "w")
    summary = {"ids": []}

    def queued():
        return int(os.popen(a.rows).read().strip() or -1)

    t3 = threading.Thread(target=check3, args=(a,), daemon=True)
    t3.start()

    ua = UA(a.ua_port, a.sip_port)        # alice's sender, bob's dialogs
    ua_c = UA(a.ua_port + 2, a.sip_port)  # carol's dialogs

    # ---- 1: long From / To display names
    long_from = b'"' + utf8_name(1100) + b'"'
    long_to = b'"' + utf8_name(1100).replace(b"x", b"y") + b'"'
    frm1 = long_from + f" <sip:alice@{HOST}>;tag=t045from1".encode()
    to1 = f"<sip:bob@{HOST}>".encode()
    frm2 = f'"Alice" <sip:alice@{HOST}>;tag=t045from2'.encode()
    to2 = long_to + f" <sip:bob@{HOST}>".encode()
    body1 = "long From, café\r\n".encode()
    body2 = "long To, naïve\r\n".encode()
    c1, cid1 = store_message(ua, frm1, to1, body1, "text/plain;charset=utf-8")
    c2, cid2 = store_message(ua, frm2, to2, body2, "text/plain;charset=utf-8")
    check("1a MESSAGE with a 1,100-byte From display name stored (202)", c1 == 202, f"got {c1}")
    check("1b MESSAGE with a 1,100-byte To display name stored (202)", c2 == 202, f"got {c2}")

    # carol's live session: its path is "another session" for check 6
    sc = Session(ua_c, "carol", "carols-secret")
    sc.invite()

    # ---- bob's session A
    sa = Session(ua, "bob", "bobs-secret")
    code = sa.invite()
    check("A bob's retrieval INVITE -> 200", code == 200, f"got {code}")
    if code != 200:
        return finish(a, summary)
    summary["ids"] += [sa.sid, sc.sid]
    m = Msrp(sa.path, sa.our_path)
    bind = m.send()
    code = m.response(bind, 3)
    check("A the empty SEND binding session A -> 200", code == 200, f"got {code}")

    # ---- 6: To-Path of another session after binding
    t_made = m.send(to_path=made_up_path(a.msrp_port))
    t_other = m.send(to_path=sc.path) if sc.path else None
    code = m.response(t_made, 3)
    check("6a bound: SEND to a made-up session id -> MSRP 481", code == 481, f"got {code}")
    code = m.response(t_other, 3) if t_other else None
    check("6b bound: SEND to carol's live session path -> MSRP 481", code == 481,
          f"got {code} (carol's session: {sc.code})")
    # the real session goes on: both stored messages arrive, rows deleted
    m.wait(lambda: len(m.messages) >= 2, 5)
    n_left = -1
    for _ in range(30):
        n_left = queued()
        if n_left == 0:
            break
        m.pump(0.1)
    check("6c ... the connection stays open and session A delivers both messages",
          not m.closed and len(m.messages) == 2 and n_left == 0,
          f"closed={m.closed} messages={len(m.messages)} still queued={n_left}")

    # ---- 1: the payloads
    by_from = [p for _, _, p in m.messages if b"t045from1" in p]
    by_to = [p for _, _, p in m.messages if b"t045from2" in p]

    def payload_checks(label, pl, hname, want):
        if not pl:
            check(f"{label} message/sip payload received", False, "not received")
            return
        pl = pl[0]
        first, hdrs, body = sip_split(pl)
        got = hget(hdrs, hname)
        check(f"{label} payload {hname.title()} header byte-exact", got == want,
              f"want {len(want)} bytes, got {len(got or b'')}: {(got or b'')[:40]!r}...{(got or b'')[-60:]!r}")
        nul = pl.find(b"\0")
        check(f"{label} payload has no NUL byte", nul < 0, f"NUL at byte {nul}" if nul >= 0 else "")
        cl = hget(hdrs, "content-length")
        check(f"{label} payload Content-Length matches its body",
              cl is not None and cl.isdigit() and int(cl) == len(body),
              f"Content-Length {cl!r}, body {len(body)} bytes")
        try:
            pl.decode("utf-8")
            utf = True
        except UnicodeDecodeError as e:
            utf = str(e)
        check(f"{label} payload is valid UTF-8", utf is True, "" if utf is True else utf)

    payload_checks("1c long From:", by_from, "from", frm1)
    payload_checks("1d long To:", by_to, "to", to2)
    if by_from:
        _, hdrs, body = sip_split(by_from[0])
        check("1e long From: payload body byte-exact", body == body1, f"{body!r}")
    if by_to:
        _, hdrs, body = sip_split(by_to[0])
        check("1f long To: payload body byte-exact", body == body2, f"{body!r}")

    # ---- 7: Failure-Report
    send_silent(m, "7a SEND with Failure-Report: no -> no MSRP response within 1 s",
                extra=b"Failure-Report: no\r\n", body=b"fr-no")
    send_code(m, "7b ... the connection still works: a normal SEND -> 200", 200,
              body=b"after fr-no")
    send_silent(m, "7c good SEND with Failure-Report: partial -> no 200 within 1 s",
                extra=b"Failure-Report: partial\r\n", body=b"fr-partial")
    send_code(m, "7d SEND to another session with Failure-Report: partial -> 481", 481,
              to_path=made_up_path(a.msrp_port), extra=b"Failure-Report: partial\r\n")
    send_silent(m, "7e SEND to another session with Failure-Report: no -> no response",
                to_path=made_up_path(a.msrp_port), extra=b"Failure-Report: no\r\n")
    send_code(m, "7f ... a normal SEND afterwards -> 200", 200, body=b"after fr-partial")

    # ---- 5: BYE tags
    code = sa.bye(totag="wrong" + uuid.uuid4().hex[:6])
    check("5a BYE with the right Call-ID but a wrong To tag -> 481", code == 481, f"got {code}")
    code = sa.bye(ftag="wrong" + uuid.uuid4().hex[:6])
    check("5b BYE with the right Call-ID but a wrong From tag -> 481", code == 481, f"got {code}")
    m.pump(0.5)
    t = m.send(body=b"after wrong BYEs")
    code = m.response(t, 3)
    check("5c ... the session stays usable: SEND -> 200, connection open",
          code == 200 and not m.closed, f"got {code} closed={m.closed}")
    code = sa.bye()
    check("5d the right BYE -> 200", code == 200, f"got {code}")
    t0 = time.time()
    m.wait(lambda: m.closed, 3)
    check("5e ... and sfwd closes the MSRP connection (within 2 s)",
          m.closed and time.time() - t0 <= 2, f"closed={m.closed} after {time.time() - t0:.2f} s")
    m.close()
    code = sa.bye()
    check("5f the same BYE again (new CSeq) -> 481", code == 481, f"got {code}")
    if sc.code == 200:
        code = sc.bye()
        check("5g carol's unconnected session: BYE -> 200", code == 200, f"got {code}")

    # ---- 4: per-user limit (msrp_user_sessions 2)
    b1 = Session(ua, "bob", "bobs-secret")
    b2 = Session(ua, "bob", "bobs-secret")
    b3 = Session(ua, "bob", "bobs-secret")
    r1, r2 = b1.invite(), b2.invite()
    check("4a bob's first and second concurrent retrieval INVITEs -> 200",
          (r1, r2) == (200, 200), f"got {r1}, {r2}")
    r3 = b3.invite()
    check("4b bob's third concurrent retrieval INVITE -> 486", r3 == 486, f"got {r3}")
    c2 = Session(ua_c, "carol", "carols-secret")
    r = c2.invite()
    check("4c carol is not affected: her INVITE meanwhile -> 200", r == 200, f"got {r}")
    summary["ids"] += [x.sid for x in (b1, b2, c2) if x.sid]
    byes = [x.bye() for x in (b1, b2, c2) if x.code == 200]
    check("4d the three sessions end with BYE -> 200", byes == [200, 200, 200], f"got {byes}")
    b4 = Session(ua, "bob", "bobs-secret")
    r = b4.invite()
    check("4e after the BYEs bob may open a session again -> 200", r == 200, f"got {r}")
    if r == 200:
        summary["ids"].append(b4.sid)
        b4.bye()

    # ---- 2: session ids
    ids = summary["ids"]
    bad = [i for i in ids if not re.fullmatch(r"[a-z2-7]{16,}", i or "")]
    check("2a every session id in a=path is >= 16 characters of [a-z2-7]",
          ids and not bad, f"{len(ids)} ids, lengths {sorted(set(len(i or '') for i in ids))}, bad {bad}")
    check("2b session ids differ between sessions", len(ids) >= 2 and len(set(ids)) == len(ids),
          f"{len(ids)} ids, {len(set(ids))} distinct")
    check("2c a=path has the form msrp://<msrp_listen>/<id>;tcp",
          re.fullmatch(rf"msrp://{re.escape(HOST)}:{a.msrp_port}/[a-z2-7]+;tcp", sa.path or "")
          is not None, sa.path or "")

    # ---- 8: message summaries follow MSRP retrieval
    n = 3
    codes = [store_message(ua, f'"Alice" <sip:alice@{HOST}>;tag=t045mwi{i}'.encode(),
                           f"<sip:bob@{HOST}>".encode(), f"waiting {i}".encode())[0]
             for i in range(n)]
    check(f"8a {n} text MESSAGEs stored for bob", codes == [202] * n, f"got {codes}")
    sub = UA(a.ua_port + 4, a.sip_port)
    callid = uuid.uuid4().hex + "@t045sub"
    ruri = f"sip:bob@{HOST}:{a.sip_port}"
    extra = b"Event: message-summary\r\nAccept: application/simple-message-summary\r\nExpires: 120\r\n"
    frm = f"<sip:bob@{HOST}>;tag=t045sub".encode()
    data, _ = sip_request("SUBSCRIBE", ruri, frm, f"<sip:bob@{HOST}>".encode(), callid, 1,
                          sub.port, extra=extra)
    sub.send(data)
    code, hdrs, _ = sub.final(callid, "SUBSCRIBE")
    if code == 401:
        chal = (hget(hdrs, "www-authenticate") or b"").decode()
        auth = ("Authorization: " + digest("SUBSCRIBE", ruri, "bob", "bobs-secret", chal)
                + "\r\n").encode()
        data, _ = sip_request("SUBSCRIBE", ruri, frm, f"<sip:bob@{HOST}>".encode(), callid, 2,
                              sub.port, extra=extra + auth)
        sub.send(data)
        code, hdrs, _ = sub.final(callid, "SUBSCRIBE")
    check("8b bob's SUBSCRIBE message-summary (digest) -> 200", code == 200, f"got {code}")

    def summ(body):
        t = body.decode("utf-8", "replace")
        mw = re.search(r"Messages-Waiting:\s*(\S+)", t)
        tm = re.search(r"Text-Message:\s*(\S+)", t)
        return (mw.group(1) if mw else None, tm.group(1) if tm else None)

    def wait_notify(want, timeout, after=0.0):
        end = time.time() + timeout
        while time.time() < end:
            for ts, body in sub.notifies:
                if ts >= after and summ(body) == want:
                    return ts
            sub.pump(0.05)
        return None

    ts = wait_notify(("yes", f"{n}/0"), 3)
    check(f"8c NOTIFY Messages-Waiting: yes, Text-Message: {n}/0", ts is not None,
          f"NOTIFYs: {[summ(b) for _, b in sub.notifies]}")
    sd = Session(ua, "bob", "bobs-secret")
    r = sd.invite()
    got = []
    t_done = None
    if r == 200:
        md = Msrp(sd.path, sd.our_path)
        md.send()
        end = time.time() + 6
        while len(md.messages) < n and time.time() < end and not md.closed:
            md.pump(0.05)
            sub.pump(0)
        got = md.messages
        t_done = md.acked[-1] if len(md.acked) >= n else None
    check(f"8d bob fetches the {n} over MSRP", r == 200 and len(got) == n,
          f"INVITE {r}, {len(got)} messages")
    ts = wait_notify(("no", "0/0"), 3.5, after=(t_done or time.time()) - 0.5) if t_done else None
    dt = (ts - t_done) if ts and t_done else None
    check("8e NOTIFY Messages-Waiting: no, Text-Message: 0/0 within 3 s of the last 200",
          dt is not None and dt <= 3.0,
          (f"after {dt:.2f} s" if dt is not None else "none") +
          f"; NOTIFYs: {[summ(b) for _, b in sub.notifies]}")
    if r == 200:
        sd.bye()
        md.wait(lambda: md.closed, 2)
        md.close()

    t3.join(12)
    check("3d the idle-connection checks finished", not t3.is_alive(), "")
    return finish(a, summary)


def finish(a, summary):
    summary["frames"] = dict(FRAMES)
    summary["checks"] = RESULTS
    json.dump(summary, open(a.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
