#!/usr/bin/env python3
"""bench: N concurrent MSRP sessions (RFC 4975) to offline users, stored by
sfwd's sf_session_accept().

Each session, in its own thread: an INVITE over UDP with an MSRP offer
(From snd<k>, To <prefix><k>: a user nobody registered; its own From tag
and Call-ID; a=path msrp://127.0.0.1:<msrp-port>/<id>;tcp, a=setup:active),
the 200, the ACK, a TCP connection to the path of the answer, M SENDs of
--size bytes text/plain one after the other (each waits for its 200: sfwd
answers the last chunk of a message only after its COMMIT, so M sequential
SENDs are M stored messages; no pipelining), then a BYE and its 200. All
sessions start together. SIP requests are retransmitted (RFC 3261 timer A:
0.5 s, doubling) for at most --timeout seconds; every wait is bounded by
--timeout and a whole session by --session-timeout.

Prints one line:
  sessions_ok=S/N sends_acked=A/N*M errors=E seconds=W send_p50_ms=..
  send_p99_ms=.. connect_max_ms=..
(seconds: from the first INVITE to the last session's end; send_*: from a
SEND to its 200; connect_max_ms: the slowest TCP connect) and the first
errors on stderr. Exit status 0 when every session and SEND succeeded.
"""
import argparse
import os
import re
import socket
import sys
import threading
import time
import uuid

sys.dont_write_bytecode = True  # leave the e2e folder as it is
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from sfwdtest import (close_quietly, msrp_parse, msrp_send, msrp_split,  # noqa: E402
                      parse_sip, sdp_offer, sip_request)


class SessionError(Exception):
    pass


class Session:
    def __init__(self, a, k, deadline):
        self.a, self.k, self.deadline = a, k, deadline
        self.user = f"snd{k}"
        self.rcpt = f"{a.prefix}{k}"
        self.callid = f"{uuid.uuid4().hex}@bench-sess"
        self.ftag = uuid.uuid4().hex[:12]
        self.cseq = 0
        self.acked = 0
        self.rtts = []
        self.connect = None
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.lport = self.udp.getsockname()[1]
        self.tcp = None
        self.buf = b""

    def left(self):
        t = self.deadline - time.monotonic()
        if t <= 0:
            raise SessionError("session timeout")
        return t

    def sip(self, method, ruri, totag=None, body=b"", ctype=None, cseq=None,
            want=True):
        """send a request (retransmitted until a response or --timeout);
        returns the final response (code, headers, body) or None (ACK)"""
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        a = self.a
        to = f"<sip:{self.rcpt}@{a.host}>" + (f";tag={totag}" if totag else "")
        msg, branch = sip_request(method, ruri, f"<sip:{self.user}@{a.host}>;tag={self.ftag}",
                                  to, self.callid, cseq, self.lport, contact=self.user,
                                  body=body, ctype=ctype)
        dst = (a.host, a.port)
        self.udp.sendto(msg, dst)
        if not want:
            return None
        end = time.monotonic() + min(a.timeout, self.left())
        t1, nxt, provisional = 0.5, time.monotonic() + 0.5, False
        while True:
            now = time.monotonic()
            if now >= end:
                raise SessionError(f"no final response to {method}")
            self.udp.settimeout(max(0.01, min(end, nxt) - now))
            try:
                data, _ = self.udp.recvfrom(65535)
            except socket.timeout:
                if time.monotonic() >= nxt:
                    # timer A (INVITE: until a provisional), timer E
                    if not (method == "INVITE" and provisional):
                        self.udp.sendto(msg, dst)
                    t1 = min(t1 * 2, 4.0)
                    nxt = time.monotonic() + t1
                continue
            first, hdrs, rbody = parse_sip(data)
            if not first.startswith("SIP/2.0 ") or branch not in hdrs.get("via", ""):
                continue
            code = int(first.split()[1])
            if code < 200:
                provisional = True
                continue
            return code, hdrs, rbody

    def frame(self, tid):
        """read until the response to transaction tid; returns its code"""
        while True:
            # whole frames in buf: skip those that are not our response
            while True:
                f = msrp_split(self.buf)
                if not f:
                    if len(self.buf) > 10 and not self.buf.startswith(b"MSRP "):
                        raise SessionError(f"not MSRP: {self.buf[:40]!r}")
                    break
                ftid, frame, _, self.buf = f
                _, what, _, _ = msrp_parse(frame)
                if ftid == tid and what.isdigit():
                    return int(what)
            self.tcp.settimeout(min(self.a.timeout, self.left()))
            try:
                chunk = self.tcp.recv(65536)
            except socket.timeout:
                raise SessionError("no MSRP response in time")
            if not chunk:
                raise SessionError("MSRP connection closed by sfwd")
            self.buf += chunk

    def run(self):
        a = self.a
        ruri = f"sip:{self.rcpt}@{a.host}:{a.port}"
        sid = uuid.uuid4().hex[:16]
        path = f"msrp://127.0.0.1:{a.msrp_port}/{sid};tcp"
        sdp = sdp_offer(a.msrp_port, path, "text/plain", origin=f"- {self.k}",
                        extra="a=sendonly\r\n")
        code, hdrs, body = self.sip("INVITE", ruri, body=sdp, ctype="application/sdp")
        if code != 200:
            raise SessionError(f"INVITE got {code}")
        m = re.search(r"tag=([^;>\s]+)", hdrs.get("to", ""))
        if not m:
            raise SessionError("200 without To tag")
        totag = m.group(1)
        m = re.search(r"<([^>]+)>", hdrs.get("contact", ""))
        target = m.group(1) if m else ruri
        self.sip("ACK", target, totag=totag, cseq=self.cseq, want=False)
        m = re.search(rb"a=path:(\S+)", body)
        mh = m and re.match(rb"msrp://([^:/]+):(\d+)/", m.group(1))
        if not mh:
            raise SessionError("200 without an MSRP path")
        srv = m.group(1).decode()
        t0 = time.monotonic()
        self.tcp = socket.create_connection(
            (mh.group(1).decode(), int(mh.group(2))), timeout=min(a.timeout, self.left()))
        self.connect = time.monotonic() - t0
        for j in range(1, a.sends + 1):
            text = f"bench session {self.k} message {j} "
            payload = (text + "x" * max(0, a.size - len(text))).encode()
            tid = uuid.uuid4().hex[:12]
            t0 = time.monotonic()
            self.tcp.sendall(msrp_send(tid, srv, path, f"{sid}-{j}",
                                       f"1-{len(payload)}/{len(payload)}", payload,
                                       "text/plain"))
            rc = self.frame(tid)
            if rc != 200:
                raise SessionError(f"SEND {j} got MSRP {rc}")
            self.rtts.append(time.monotonic() - t0)
            self.acked += 1
        code, _, _ = self.sip("BYE", target, totag=totag)
        if code != 200:
            raise SessionError(f"BYE got {code}")

    def close(self):
        close_quietly(self.tcp, self.udp)


def pct(v, p):
    if not v:
        return "-"
    v = sorted(v)
    return f"{v[min(len(v) - 1, int(len(v) * p))] * 1000:.1f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True, help="Kamailio's SIP port (UDP)")
    p.add_argument("--msrp-port", type=int, required=True,
                   help="the port in our own a=path (sfwd never connects to it)")
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--sends", type=int, default=20)
    p.add_argument("--size", type=int, default=100, help="bytes of each SEND's body")
    p.add_argument("--prefix", default="sess", help="recipients: <prefix>1..N")
    p.add_argument("--timeout", type=float, default=10, help="seconds for any one answer")
    p.add_argument("--session-timeout", type=float, default=120)
    a = p.parse_args()

    results = [None] * a.sessions
    errors = []
    lock = threading.Lock()
    start = threading.Barrier(a.sessions + 1)

    def worker(k):
        s = None
        try:
            start.wait(timeout=30)
            s = Session(a, k, time.monotonic() + a.session_timeout)
            s.run()
            results[k - 1] = (True, s.acked, s.rtts, s.connect)
        except (SessionError, OSError, threading.BrokenBarrierError) as e:
            with lock:
                errors.append(f"session {k}: {e}")
            results[k - 1] = (False, s.acked if s else 0, s.rtts if s else [],
                              s.connect if s else None)
        finally:
            if s:
                s.close()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True)
               for k in range(1, a.sessions + 1)]
    for t in threads:
        t.start()
    start.wait(timeout=30)
    t0 = time.monotonic()
    for t in threads:
        t.join(a.session_timeout + 5)
    secs = time.monotonic() - t0
    ok = sum(1 for r in results if r and r[0])
    acked = sum(r[1] for r in results if r)
    rtts = [x for r in results if r for x in r[2]]
    conns = [r[3] for r in results if r and r[3] is not None]
    hung = sum(1 for t in threads if t.is_alive())
    nerr = len(errors) + hung
    for e in errors[:10]:
        print(f"msrp_sessions: {e}", file=sys.stderr)
    if hung:
        print(f"msrp_sessions: {hung} sessions did not end", file=sys.stderr)
    print(f"sessions_ok={ok}/{a.sessions} sends_acked={acked}/{a.sessions * a.sends} "
          f"errors={nerr} seconds={secs:.2f} send_p50_ms={pct(rtts, 0.5)} "
          f"send_p99_ms={pct(rtts, 0.99)} connect_max_ms={pct(conns, 1.0)}")
    sys.stdout.flush()
    return 0 if ok == a.sessions and acked == a.sessions * a.sends else 1


if __name__ == "__main__":
    sys.exit(main())
