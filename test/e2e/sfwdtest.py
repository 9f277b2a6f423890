"""Shared by the Python drivers of the end-to-end tests and by the bench
(stdlib only): command lines, named checks, SIP (digest answers, messages
parsed and built, a UA that answers requests and waits for responses, an
INVITE dialog) and MSRP (frames split, parsed and built; a connection that
answers sfwd's SENDs and keeps the responses to its own)."""

import argparse
import hashlib
import re
import select
import socket
import subprocess
import threading
import time
import uuid

HOST = "127.0.0.1"


def send_check_args(send=(), check=()):
    """The command line of a driver with two subcommands: "send" (--kam,
    --port, --out and SEND's) and "check" (--sent, --recv and CHECK's);
    SEND and CHECK: (name, add_argument keywords) pairs. The parsed
    arguments; a.cmd is "send" or "check"."""
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    s = sp.add_parser("send")
    s.add_argument("--kam", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--out", required=True)
    for name, kw in send:
        s.add_argument(name, **kw)
    c = sp.add_parser("check")
    c.add_argument("--sent", required=True)
    c.add_argument("--recv", required=True)
    for name, kw in check:
        c.add_argument(name, **kw)
    return ap.parse_args()


# ------------------------------------------------------------ checks ----

LOCK = threading.RLock()
RESULTS = []  # the names checked so far, in order
FRAMES = {"sent": 0, "received": 0}  # MSRP frames Msrp sent and parsed
_log = None


def open_log(path, mode="w"):
    """where log() writes (before it, nothing is logged)"""
    global _log
    _log = open(path, mode)


def log(*a):
    """one line to the log, after the time of day"""
    if _log is None:
        return
    with LOCK:
        print(time.strftime("%H:%M:%S"), f"{time.time() % 1:.3f}"[1:], *a,
              file=_log, flush=True)


def check(name, ok, detail=""):
    """one named check: "ok<TAB>name<TAB>detail" or "FAIL<TAB>..." on
    stdout (run.sh knows every name a driver must report); ok"""
    ok = bool(ok)
    detail = str(detail).replace("\t", " ").replace("\n", " | ")[:600]
    with LOCK:
        RESULTS.append(name)
        print(f"{'ok' if ok else 'FAIL'}\t{name}\t{detail}", flush=True)
    log("ok  " if ok else "FAIL", name, "|", detail)
    return ok


# --------------------------------------------------------------- SIP ----

def digest(method, uri, user, password, chal):
    """the credentials (an Authorization value) answering the digest
    challenge CHAL (a WWW-/Proxy-Authenticate value)"""
    realm = re.search(r'realm="([^"]*)"', chal).group(1)
    nonce = re.search(r'nonce="([^"]*)"', chal).group(1)
    qop = "auth" if "qop" in chal else None
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    cnonce, nc = uuid.uuid4().hex[:8], "00000001"
    if qop:
        resp = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
        return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", '
                f'uri="{uri}", response="{resp}", qop=auth, nc={nc}, cnonce="{cnonce}"')
    resp = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", '
            f'uri="{uri}", response="{resp}"')


COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
           "c": "content-type", "l": "content-length"}


def sip_split(data):
    """(first line, [(name lower, raw value bytes)], body) of raw bytes"""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    hdrs = []
    for line in lines[1:]:
        n, _, v = line.partition(b":")
        hdrs.append((n.strip().lower().decode("latin-1"), v.strip()))
    return lines[0].decode("latin-1"), hdrs, body


def hget(hdrs, name, compact=True):
    """the value of the first header NAME (lower case) of sip_split's
    list, or None; compact=False: its compact form does not count"""
    for n, v in hdrs:
        if (COMPACT.get(n, n) if compact else n) == name:
            return v
    return None


def parse_sip(data):
    """sip_split's parts as text (UTF-8): the first line, {name lower:
    value} (the first of a repeated header), the body (bytes)"""
    first, hdrs, body = sip_split(data)
    text = {}
    for n, v in hdrs:
        text.setdefault(n, v.decode("utf-8", "replace").strip())
    return first.encode("latin-1").decode("utf-8", "replace"), text, body


def uri_of(v):
    """the URI of a From/To/Contact value (bytes or str)"""
    if isinstance(v, bytes):
        v = v.decode("latin-1")
    m = re.search(r"<([^>]*)>", v or "")
    if m:
        return m.group(1)
    return (v or "").split(";")[0].strip()


def tag_of(v):
    """the tag parameter of a From/To value (bytes or str), or "" """
    if isinstance(v, bytes):
        v = v.decode("latin-1")
    m = re.search(r";\s*tag=([^;>\s]+)", v or "")
    return m.group(1) if m else ""


def close_quietly(*socks):
    """closes each socket that is not None (an error aside)"""
    for s in socks:
        if s is not None:
            try:
                s.close()
            except OSError:
                pass


def _b(x):
    return x if isinstance(x, bytes) else x.encode()


def sip_request(method, ruri, frm, to, callid, cseq, port, contact=None,
                extra=b"", body=b"", ctype=None, branch=None):
    """a request from HOST:port over UDP (rport): (bytes, Via branch).
    frm, to: the header values (str or bytes); contact: the user of
    "Contact: <sip:CONTACT@HOST:port>" (None: no Contact); extra: more
    header lines (each ending in CRLF), after Max-Forwards"""
    branch = branch or "z9hG4bK" + uuid.uuid4().hex[:16]
    h = (f"{method} {ruri} SIP/2.0\r\n"
         f"Via: SIP/2.0/UDP {HOST}:{port};branch={branch};rport\r\n").encode()
    h += b"From: " + _b(frm) + b"\r\nTo: " + _b(to) + b"\r\n"
    h += f"Call-ID: {callid}\r\nCSeq: {cseq} {method}\r\n".encode()
    if contact:
        h += f"Contact: <sip:{contact}@{HOST}:{port}>\r\n".encode()
    h += b"Max-Forwards: 70\r\n" + _b(extra)
    if ctype:
        h += f"Content-Type: {ctype}\r\n".encode()
    return h + f"Content-Length: {len(body)}\r\n\r\n".encode() + body, branch


def content_length(head):
    """the Content-Length (or l) of a message head, 0 without a number"""
    for ln in head.split(b"\r\n")[1:]:
        if b":" not in ln:
            continue
        name, val = ln.split(b":", 1)
        if name.strip().lower() in (b"content-length", b"l"):
            try:
                return int(val.strip())
            except ValueError:
                return 0
    return 0


def sip_take(buf):
    """(the first whole SIP message of a stream's bytes, the bytes after
    it); CRLF keep-alives before it skipped; (None, buf) while it is not
    whole"""
    while buf.startswith(b"\r\n"):
        buf = buf[2:]
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None, buf
    total = end + 4 + content_length(buf[:end])
    if len(buf) < total:
        return None, buf
    return buf[:total], buf[total:]


def sip_sockets(addr, port, tcp):
    """a UDP socket bound to addr:port (4 MB receive buffer) and, with
    tcp, a TCP one listening on it (else None)"""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    udp.bind((addr, port))
    lsock = None
    if tcp:
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((addr, port))
        lsock.listen(16)
    return udp, lsock


def serve_udp(sock, handle):
    """handle(raw, reply) for each (not blank) datagram until sock closes;
    reply(bytes) answers to where it came from (rport)"""
    while True:
        try:
            raw, addr = sock.recvfrom(262144)
        except OSError:
            return
        if raw.strip():
            handle(raw, lambda d, a=addr: sock.sendto(d, a))


def serve_tcp(lsock, handle):
    """accepts connections until lsock closes, each read by a thread of
    its own: handle(raw, reply) for each SIP message; reply(bytes) sends
    on that connection"""
    while True:
        try:
            conn, _ = lsock.accept()
        except OSError:
            return
        threading.Thread(target=_serve_conn, args=(conn, handle), daemon=True).start()


def _serve_conn(conn, handle):
    buf = b""
    try:
        while True:
            raw, buf = sip_take(buf)
            if raw is not None:
                handle(raw, conn.sendall)
                continue
            d = conn.recv(262144)
            if not d:
                return
            buf += d
    except OSError:
        return
    finally:
        conn.close()


class UA:
    """a SIP UA on HOST:port, UDP (and TCP with tcp=True), read by threads:
    every request but ACK gets 200 OK (with a To tag of its own when it has
    none) and is recorded once per transaction (requests, got());
    responses wait for final(). Its requests go to Kamailio on HOST:kam_port,
    with "Contact: <sip:CONTACT@HOST:port>"."""

    def __init__(self, port, kam_port, tcp=False, name="ua", contact="ua"):
        self.port = port
        self.name = name
        self.contact = contact
        self.kam = (HOST, kam_port)
        self.sock, self.lsock = sip_sockets(HOST, port, tcp)
        self.cv = threading.Condition()
        self.responses = []
        self.requests = []  # dicts: t, proto, first, hdrs, body, raw
        self.seen = set()
        threading.Thread(target=serve_udp, args=(self.sock, self._udp), daemon=True).start()
        if tcp:
            threading.Thread(target=serve_tcp, args=(self.lsock, self._tcp),
                             daemon=True).start()

    def send(self, data):
        self.sock.sendto(data, self.kam)

    def request(self, method, ruri, frm, to, callid, cseq, contact=True, **kw):
        """sends a request (sip_request's keywords); its Via branch"""
        data, branch = sip_request(method, ruri, frm, to, callid, cseq, self.port,
                                   self.contact if contact else None, **kw)
        self.send(data)
        return branch

    def ack_non2xx(self, ruri, frm, to, callid, cseq, branch, hdrs):
        """ACK of a non-2xx final response: the INVITE's branch, its To tag"""
        self.request("ACK", ruri, frm, hget(hdrs, "to") or to, callid, cseq,
                     contact=False, branch=branch)

    def _udp(self, raw, reply):
        self._handle(raw, "udp", reply)

    def _tcp(self, raw, reply):
        self._handle(raw, "tcp", reply)

    def _handle(self, raw, proto, reply):
        first, hdrs, body = sip_split(raw)
        if first.startswith("SIP/2.0 "):
            with self.cv:
                self.responses.append((first, hdrs, body, raw))
                self.cv.notify_all()
            return
        method = first.split(" ", 1)[0]
        if method == "ACK":
            return
        via = hget(hdrs, "via") or b""
        m = re.search(rb"branch=([^;,\s]+)", via)
        key = (m.group(1) if m else b"") + b" " + (hget(hdrs, "cseq") or b"")
        resp = b"SIP/2.0 200 OK\r\n"
        for n, v in hdrs:
            n = COMPACT.get(n, n)
            if n in ("via", "from", "call-id", "cseq"):
                resp += n.encode() + b": " + v + b"\r\n"
            elif n == "to":
                if not tag_of(v):
                    v += b";tag=" + self.name.encode() + hashlib.md5(key).hexdigest()[:8].encode()
                resp += b"to: " + v + b"\r\n"
        resp += b"Content-Length: 0\r\n\r\n"
        try:
            reply(resp)
        except OSError:
            pass
        with self.cv:
            if key not in self.seen:
                self.seen.add(key)
                self.requests.append({"t": time.time(), "proto": proto, "first": first,
                                      "hdrs": hdrs, "body": body, "raw": raw})
                log(f"{self.name} got {first} ({len(body)} bytes body, {proto})")
            self.cv.notify_all()

    def final(self, callid, method, timeout=5.0):
        """the next final response for callid/method (bounded): (code,
        hdrs, body), (None, [], b"") when none came"""
        end = time.time() + timeout
        with self.cv:
            while True:
                for i, (first, hdrs, body, raw) in enumerate(self.responses):
                    cs = hget(hdrs, "cseq") or b""
                    if (hget(hdrs, "call-id") == callid.encode()
                            and cs.split()[-1:] == [method.encode()]
                            and int(first.split()[1]) >= 200):
                        del self.responses[i]
                        return int(first.split()[1]), hdrs, body
                left = end - time.time()
                if left <= 0:
                    return None, [], b""
                self.cv.wait(left)

    def got(self, method, callid=None):
        """the requests METHOD it received (of the Call-ID callid)"""
        with self.cv:
            return [r for r in self.requests if r["first"].startswith(method + " ")
                    and (callid is None or hget(r["hdrs"], "call-id") == callid.encode())]

    def close(self):
        close_quietly(self.sock, self.lsock)


def authed(ua, method, ruri, frm, to, callid, cseq, user, password, extra=b"",
           body=b"", ctype=None, timeout=5.0, contact=True, challenges=(401, 407)):
    """a request of ua, and once more with digest credentials (CSeq + 1)
    when its final response is one of CHALLENGES (401, 407); a non-2xx to
    an INVITE is ACKed. (code, hdrs, body, cseq used); code None: no
    final response"""
    auth = b""
    for _ in range(2):
        branch = ua.request(method, ruri, frm, to, callid, cseq, contact=contact,
                            extra=_b(extra) + auth, body=body, ctype=ctype)
        code, hdrs, rbody = ua.final(callid, method, timeout)
        if code is None:
            return None, [], b"", cseq
        if method == "INVITE" and code >= 300:
            ua.ack_non2xx(ruri, frm, to, callid, cseq, branch, hdrs)
        if code in challenges and not auth:
            name = "www-authenticate" if code == 401 else "proxy-authenticate"
            chal = (hget(hdrs, name) or b"").decode()
            hn = "Authorization" if code == 401 else "Proxy-Authorization"
            auth = f"{hn}: {digest(method, ruri, user, password, chal)}\r\n".encode()
            cseq += 1
            continue
        return code, hdrs, rbody, cseq
    return code, hdrs, rbody, cseq


def sdp_offer(port, path, accept_types, origin="- 1", extra=""):
    """an SDP offer of an MSRP session (m=message PORT TCP/MSRP *, a=path
    PATH, a=setup:active); origin: the o= line's user and session id"""
    return ("v=0\r\n"
            f"o={origin} 1 IN IP4 {HOST}\r\n"
            "s=-\r\n"
            f"c=IN IP4 {HOST}\r\n"
            "t=0 0\r\n"
            f"m=message {port} TCP/MSRP *\r\n"
            f"a=accept-types:{accept_types}\r\n"
            f"a=path:{path}\r\n"
            "a=setup:active\r\n" + extra).encode()


class Dialog:
    """an INVITE dialog of ua from FRM_USER to TO_USER (both @HOST) with the
    SDP offer sdp: invite() (digest answered as auth_user, default
    FRM_USER, with password), its ACK; bye()"""

    def __init__(self, ua, frm_user, to_user, password, sdp, callid, ftag,
                 auth_user=None, extra=b"", challenges=(401, 407)):
        self.ua = ua
        self.user = frm_user
        self.to_user = to_user
        self.password = password
        self.auth_user = auth_user or frm_user
        self.sdp = sdp
        self.callid = callid
        self.ftag = ftag
        self.extra = extra
        self.challenges = challenges
        self.cseq = 1
        self.ruri = f"sip:{to_user}@{HOST}:{ua.kam[1]}"
        self.code = None
        self.hdrs = []
        self.answer = b""
        self.path = None
        self.totag = None
        self.contact = None

    def frm(self, ftag=None):
        return f"<sip:{self.user}@{HOST}>;tag={ftag or self.ftag}".encode()

    def to(self, tagged=False, totag=None):
        t = f"<sip:{self.to_user}@{HOST}>".encode()
        totag = totag or (self.totag if tagged else None)
        return t + (f";tag={totag}".encode() if totag else b"")

    def invite(self, timeout=5.0):
        """the INVITE, and on 200 its ACK: the final code (None: none)"""
        code, hdrs, body, self.cseq = authed(
            self.ua, "INVITE", self.ruri, self.frm(), self.to(), self.callid, self.cseq,
            self.auth_user, self.password, extra=self.extra, body=self.sdp,
            ctype="application/sdp", timeout=timeout, challenges=self.challenges)
        self.code, self.hdrs, self.answer = code, hdrs, body
        if code != 200:
            log(f"INVITE {self.user}->{self.to_user} {self.callid}: {code}")
            return code
        self.totag = tag_of(hget(hdrs, "to") or b"")
        c = hget(hdrs, "contact")
        self.contact = uri_of(c) if c else self.ruri
        m = re.search(rb"a=path:(\S+)", body)
        self.path = m.group(1).decode() if m else ""
        self.ua.request("ACK", self.contact, self.frm(), self.to(True), self.callid,
                        self.cseq)
        log(f"session {self.user}->{self.to_user} {self.callid}: path {self.path}")
        return code

    def bye(self, ftag=None, totag=None, timeout=5.0):
        """a BYE (From tag ftag, To tag totag when given): the final code"""
        self.cseq += 1
        self.ua.request("BYE", self.contact or self.ruri, self.frm(ftag),
                        self.to(True, totag), self.callid, self.cseq)
        code, _, _ = self.ua.final(self.callid, "BYE", timeout)
        return code


# -------------------------------------------------------------- MSRP ----

FRAME_RE = re.compile(rb"MSRP ([A-Za-z0-9][A-Za-z0-9.+%=-]{3,31}) ")


def new_tid():
    return uuid.uuid4().hex[:14]


def msrp_split(buf):
    """the first whole frame of buf: (tid, frame, end-line flag, the bytes
    after it); None while there is none"""
    m = FRAME_RE.match(buf)
    if not m:
        return None
    tid = m.group(1)
    end = re.search(rb"-------" + re.escape(tid) + rb"([$+#])\r\n", buf)
    if not end:
        return None
    return tid.decode(), bytes(buf[:end.end()]), end.group(1), buf[end.end():]


def msrp_frames(sock):
    """(tid, frame, flag) of each frame read from sock until it closes"""
    buf = b""
    while True:
        f = msrp_split(buf)
        if f:
            tid, frame, flag, buf = f
            yield tid, frame, flag
            continue
        chunk = sock.recv(65536)
        if not chunk:
            return
        buf += chunk


def msrp_parse(frame):
    """(start line, its third word: method or status code, {header name
    lower: value} (the first of a repeated one), the content: b"" when
    none) of a whole frame"""
    head, sep, rest = frame.partition(b"\r\n\r\n")
    if not sep:
        head = frame[:frame.rfind(b"-------")]
    lines = head.split(b"\r\n")
    start = lines[0].split(b" ", 3)
    h = {}
    for line in lines[1:]:
        n, _, v = line.partition(b":")
        if n:
            h.setdefault(n.strip().lower().decode("latin-1"), v.strip().decode("latin-1"))
    chunk = rest[:rest.rfind(b"\r\n-------")] if sep else b""
    kind = start[2].decode("latin-1") if len(start) > 2 else ""
    return lines[0].decode("latin-1"), kind, h, chunk


def msrp_send(tid, to_path, from_path, mid, rng, body=b"", ctype=None, flag="$",
              extra=b""):
    """a SEND frame (one chunk: Byte-Range rng, end-line flag); extra:
    more header lines after Byte-Range; no Content-Type without a body"""
    f = (f"MSRP {tid} SEND\r\nTo-Path: {to_path}\r\n"
         f"From-Path: {from_path}\r\nMessage-ID: {mid}\r\n"
         f"Byte-Range: {rng}\r\n").encode() + extra
    if body:
        assert f"-------{tid}".encode() not in body
        f += f"Content-Type: {ctype}\r\n\r\n".encode() + body + b"\r\n"
    return f + f"-------{tid}{flag}\r\n".encode()


def msrp_ok(tid, to_path, from_path):
    """the 200 to a request tid"""
    return (f"MSRP {tid} 200 OK\r\nTo-Path: {to_path}\r\n"
            f"From-Path: {from_path}\r\n-------{tid}$\r\n").encode()


class Msrp:
    """one TCP connection to the MSRP path (msrp://host:port/...) of a
    session, ours our_path. Sends (chunked) SENDs, keeps every response
    by tid, answers sfwd's SENDs with 200 and reassembles them by
    Message-ID (retrieval), keeps REPORTs. Frames count in FRAMES."""

    def __init__(self, path, our_path, timeout=3.0, mid_prefix="msrp-"):
        m = re.match(r"msrp://([^:/]+):(\d+)/", path or "")
        if not m:
            raise ValueError(f"no MSRP path: {path!r}")
        self.path = path
        self.our_path = our_path
        self.mid_prefix = mid_prefix
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=timeout)
        self.buf = b""
        self.closed = False
        self.closed_at = None
        self.responses = {}  # tid -> (code, time, frame)
        self.reports = []  # (time, headers)
        self.parts = {}
        self.messages = []  # (message-id, content-type, payload, time of its 200)

    def send_raw(self, data, frames=1):
        try:
            self.sock.sendall(data)
        except OSError as e:
            log("MSRP send failed:", e)
            self.closed = True
            return False
        with LOCK:
            FRAMES["sent"] += frames
        return True

    def frame(self, tid, body, ctype, rng, flag, mid, to_path=None, extra=b""):
        return msrp_send(tid, to_path or self.path, self.our_path, mid, rng, body,
                         ctype, flag, extra)

    def send_message(self, body, ctype, chunks=1, star=False, to_path=None,
                     extra=b"", upto=None, mid=None, skip=0):
        """one message in `chunks` chunks (or the sizes in a list); star: the
        total is '*' but in the last chunk; upto: send only that many chunks;
        skip: not the first that many (sent before, same mid). Returns the
        tids sent, in order."""
        mid = mid or self.mid_prefix + uuid.uuid4().hex[:16]
        if isinstance(chunks, list):
            sizes = chunks
        else:
            n = max(1, chunks)
            step = -(-len(body) // n) if body else 0
            sizes = [step] * (n - 1) + [len(body) - step * (n - 1)]
        tids, pos = [], 0
        for k, size in enumerate(sizes):
            last = k == len(sizes) - 1
            if upto is not None and k >= upto:
                break
            if k < skip:
                pos += size
                continue
            part = body[pos:pos + size]
            total = "*" if star and not last else str(len(body))
            rng = f"{pos + 1}-{pos + len(part)}/{total}" if body else "1-0/0"
            tid = new_tid()
            tids.append(tid)
            if not self.send_raw(self.frame(tid, part, ctype, rng, "$" if last else "+",
                                            mid, to_path, extra)):
                break
            pos += size
        return tids

    def send(self, body=b"", ctype="text/plain", **kw):
        """one SEND of one chunk (send_message's keywords): its tid"""
        return self.send_message(body, ctype, **kw)[-1]

    def _frames(self):
        while True:
            f = msrp_split(self.buf)
            if not f:
                return
            tid, frame, flag, self.buf = f
            with LOCK:
                FRAMES["received"] += 1
            self._frame(tid, frame, flag)

    def _frame(self, tid, frame, flag):
        start, kind, h, chunk = msrp_parse(frame)
        if kind.isdigit():
            self.responses[tid] = (int(kind), time.time(), frame)
            log(f"MSRP response {tid}: {start}")
            return
        if kind == "REPORT":
            self.reports.append((time.time(), h))
            log(f"MSRP REPORT {h.get('message-id')} {h.get('status')}")
            return
        if kind != "SEND":
            return
        self.send_raw(msrp_ok(tid, h.get("from-path"), self.our_path))
        self.parts.setdefault(h.get("message-id"), []).append(chunk)
        if flag == b"$":
            payload = b"".join(self.parts.pop(h.get("message-id")))
            self.messages.append((h.get("message-id"), h.get("content-type"), payload,
                                  time.time()))
            log(f"MSRP message {h.get('message-id')} {h.get('content-type')} "
                f"({len(payload)} bytes)")

    def pump(self, timeout):
        """reads and handles what comes within timeout s (returns earlier
        when nothing does, or once the connection is closed)"""
        end = time.time() + timeout
        while not self.closed:
            left = end - time.time()
            if left <= 0:
                return
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return
            try:
                data = self.sock.recv(262144)
            except (ConnectionResetError, OSError):
                data = b""
            if not data:
                self.closed = True
                self.closed_at = time.time()
                log("MSRP connection closed by sfwd")
                return
            self.buf += data
            self._frames()

    def wait(self, cond, timeout):
        end = time.time() + timeout
        while not cond() and time.time() < end and not self.closed:
            self.pump(min(0.05, max(0.0, end - time.time())))
        return cond()

    def response(self, tid, timeout=5.0):
        """the code of the response to tid (None: none within timeout)"""
        self.wait(lambda: tid in self.responses, timeout)
        r = self.responses.get(tid)
        return r[0] if r else None

    def close(self):
        close_quietly(self.sock)


# ------------------------------------------------- helpers of the drivers ----

def wait_until(cond, secs, step=0.1):
    """cond() again and again until it is true or secs passed: its last value"""
    end = time.time() + secs
    while True:
        v = cond()
        if v or time.time() >= end:
            return v
        time.sleep(step)


def sql_run(argv, q):
    """one SQL statement through argv (a command taking it as its last
    argument, e.g. run.sh's q.sh): its output, stripped"""
    r = subprocess.run(list(argv) + [q], capture_output=True, text=True, timeout=30)
    return r.stdout.strip()


def wait_sql(argv, q, want, secs):
    """sql_run until it says want or secs passed: what it said last"""
    got = [None]

    def same():
        got[0] = sql_run(argv, q)
        return got[0] == want
    wait_until(same, secs)
    return got[0]


def register(ua, user, domain, expires=600):
    """ua registers as user@domain (its own contact): the final code"""
    cid = "reg-" + uuid.uuid4().hex[:12]
    ua.request("REGISTER", f"sip:{domain}", f"<sip:{user}@{domain}>;tag=r1",
               f"<sip:{user}@{domain}>", cid, 1, extra=f"Expires: {expires}\r\n".encode())
    code, _, _ = ua.final(cid, "REGISTER")
    return code


def reports(ua, status, n, secs):
    """ua's MESSAGEs whose IMDN says <status/>, waited for until n came"""
    def got():
        g = [r for r in ua.got("MESSAGE") if b"<" + status.encode() + b"/>" in r["body"]]
        return g if len(g) >= n else None
    return wait_until(got, secs) or [r for r in ua.got("MESSAGE")
                                     if b"<" + status.encode() + b"/>" in r["body"]]
