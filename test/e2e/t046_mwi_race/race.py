#!/usr/bin/env python3
"""t046: SUBSCRIBE message-summary racing the replay that a REGISTER starts.

One process, stdlib only, four UDP sockets on the test address:
  alice  sends the MESSAGEs that are stored for offline bob
  phone  bob's registered contact: answers each replayed MESSAGE 200
  reg    sends bob's REGISTERs (register, then unregister)
  sub    bob's subscriber: SUBSCRIBE message-summary with digest
         authentication, answers every NOTIFY 200, logs CSeq and body

Each round: store --messages MESSAGEs for bob (202 each), get the 401
challenge of a SUBSCRIBE, then send the authenticated SUBSCRIBE and bob's
REGISTER within a few milliseconds of each other (the order and the gap
vary by round, see OFFSETS), answer the replay, wait until the store is
empty and no NOTIFY came for --quiet seconds, end the subscription
(Expires: 0) and the registration (Expires: 0).

Per round one JSON line on stdout:
  {"round": n, "offset_ms": x, "notifies": [[cseq, mw, text, state], ...],
   "order_ok": bool, "last": "no 0/0", "stale": bool, "delivered": k, ...}
then a summary line "SUMMARY rounds=.. order_violations=.. stale_end=.. ..."
Exit status 0 when it ran (the checks are the caller's), 2 on a harness
error (no 202, no 200 to SUBSCRIBE/REGISTER, no delivery in time, ...).
"""

import argparse
import hashlib
import json
import os
import random
import re
import select
import socket
import subprocess
import sys
import time

# SUBSCRIBE minus REGISTER send time, milliseconds (negative: SUBSCRIBE
# first), cycled over the rounds. On loopback Kamailio answers the REGISTER
# and replays 3 MESSAGEs in about 5 ms while the SUBSCRIBE (digest check,
# counts, presence) takes about 10 ms: the old race hit between 1 and 12 ms
OFFSETS = [0.0, 1.0, 9.0, 1.5, 10.0, 2.0, 10.5, 3.0, 11.0, 4.0, 11.5, 5.0,
           8.5, 6.0, 12.0, 7.0, 8.0, 0.5, 9.5, -1.0]

COMPACT = {"i": "call-id", "v": "via", "f": "from", "t": "to", "m": "contact",
           "l": "content-length", "c": "content-type", "e": "content-encoding",
           "k": "supported", "o": "event", "x": "session-expires"}


def now():
    return time.monotonic()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class Msg:
    def __init__(self, data):
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        self.first = lines[0]
        self.hdrs = []
        for ln in lines[1:]:
            if ln[:1] in (" ", "\t") and self.hdrs:
                n, v = self.hdrs[-1]
                self.hdrs[-1] = (n, v + " " + ln.strip())
                continue
            n, _, v = ln.partition(":")
            n = n.strip().lower()
            self.hdrs.append((COMPACT.get(n, n), v.strip()))
        self.body = body.decode("utf-8", "replace")
        p = self.first.split(" ", 2)
        self.is_req = not self.first.startswith("SIP/2.0")
        self.method = p[0] if self.is_req else None
        self.code = int(p[1]) if not self.is_req else None
        cs = self.get("cseq").split()
        self.cseq = int(cs[0]) if cs and cs[0].isdigit() else -1
        self.cseq_method = cs[1] if len(cs) > 1 else ""
        self.callid = self.get("call-id")

    def get(self, name):
        for n, v in self.hdrs:
            if n == name:
                return v
        return ""

    def all(self, name):
        return [v for n, v in self.hdrs if n == name]


class Ua:
    def __init__(self, args):
        self.a = args
        self.addr = args.addr
        self.server = (args.addr, args.port)
        self.socks = {}
        for name, port in (("alice", args.alice_port), ("phone", args.phone_port),
                           ("reg", args.reg_port), ("sub", args.sub_port)):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind((args.addr, port))
            s.setblocking(False)
            self.socks[name] = s
        self.byfd = {s.fileno(): n for n, s in self.socks.items()}
        self.responses = {}  # (call-id, cseq, method) -> [Msg]
        self.notifies = {}  # call-id -> [dict]
        self.notify_keys = set()
        self.notify_retrans = 0
        self.last_notify_at = 0.0
        self.delivered = set()  # Call-IDs of replayed MESSAGEs
        self.other_requests = 0
        self.tagn = random.randrange(1 << 30)
        self.log = open(args.trace, "a") if args.trace else None

    def tag(self):
        self.tagn += 1
        return "t046-%x" % self.tagn

    def trace(self, where, direction, data):
        if self.log:
            self.log.write("----- %.6f %s %s\n%s\n" % (
                time.time(), where, direction, data.decode("utf-8", "replace")))

    def send(self, where, data, dst=None):
        self.trace(where, "out", data)
        self.socks[where].sendto(data, dst or self.server)

    def answer(self, where, m, src, code=200, reason="OK", totag=True):
        h = ["SIP/2.0 %d %s" % (code, reason)]
        h += ["Via: " + v for v in m.all("via")]
        h.append("From: " + m.get("from"))
        to = m.get("to")
        if totag and ";tag=" not in to:
            to += ";tag=" + self.tag()
        h.append("To: " + to)
        h.append("Call-ID: " + m.callid)
        h.append("CSeq: " + m.get("cseq"))
        h.append("Content-Length: 0")
        self.send(where, ("\r\n".join(h) + "\r\n\r\n").encode(), src)

    def on_packet(self, where, data, src):
        self.trace(where, "in", data)
        try:
            m = Msg(data)
        except Exception:  # noqa: BLE001 - garbage on a test port
            return
        if not m.is_req:
            self.responses.setdefault((m.callid, m.cseq, m.cseq_method), []).append(m)
            return
        if m.method == "ACK":
            return
        if where == "sub" and m.method == "NOTIFY":
            vias = m.all("via")
            br = re.search(r"branch=([^;,\s]+)", vias[0]).group(1) if vias else ""
            key = (m.callid, m.cseq, br)
            self.answer(where, m, src, totag=False)
            if key in self.notify_keys:
                self.notify_retrans += 1
                return
            self.notify_keys.add(key)
            mw = re.search(r"^Messages-Waiting:\s*(\S+)", m.body, re.M | re.I)
            tm = re.search(r"^Text-Message:\s*(\S+)", m.body, re.M | re.I)
            self.notifies.setdefault(m.callid, []).append({
                "cseq": m.cseq, "mw": mw.group(1) if mw else "-",
                "text": tm.group(1) if tm else "-",
                "state": m.get("subscription-state").split(";")[0],
                "t": round(time.time(), 6)})
            self.last_notify_at = now()
            return
        if where == "phone" and m.method == "MESSAGE":
            self.answer(where, m, src)
            self.delivered.add(m.callid)
            return
        self.other_requests += 1
        self.answer(where, m, src)

    def pump(self, timeout):
        end = now() + max(0.0, timeout)
        while True:
            left = end - now()
            r, _, _ = select.select(list(self.socks.values()), [], [], max(0.0, left))
            for s in r:
                while True:
                    try:
                        data, src = s.recvfrom(65535)
                    except (BlockingIOError, InterruptedError):
                        break
                    self.on_packet(self.byfd[s.fileno()], data, src)
            if left <= 0:
                return

    def wait(self, cond, timeout, step=0.01):
        end = now() + timeout
        while not cond():
            if now() >= end:
                return False
            self.pump(min(step, end - now()))
        return True

    def final(self, callid, cseq, method):
        for m in self.responses.get((callid, cseq, method), []):
            if m.code >= 200:
                return m
        return None

    def transact(self, where, data, callid, cseq, method, timeout=5.0):
        """send, retransmit every 0.5 s, return the final response or None"""
        end = now() + timeout
        self.send(where, data)
        nxt = now() + 0.5
        while now() < end:
            f = self.final(callid, cseq, method)
            if f:
                return f
            self.pump(min(0.01, end - now()))
            if now() >= nxt and not self.final(callid, cseq, method):
                self.send(where, data)
                nxt = now() + 0.5
        return self.final(callid, cseq, method)

    # ---- requests

    def req(self, where, method, ruri, from_, to, callid, cseq, extra=(),
            ctype=None, body=""):
        port = self.socks[where].getsockname()[1]
        h = ["%s %s SIP/2.0" % (method, ruri),
             "Via: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK-%s" % (
                 self.addr, port, self.tag()),
             "Max-Forwards: 70", "From: " + from_, "To: " + to,
             "Call-ID: " + callid, "CSeq: %d %s" % (cseq, method)]
        h += list(extra)
        b = body.encode()
        if ctype:
            h.append("Content-Type: " + ctype)
        h.append("Content-Length: %d" % len(b))
        return ("\r\n".join(h) + "\r\n\r\n").encode() + b

    def store(self, n, rnd):
        """n MESSAGEs alice -> bob, all in flight at once; True if all 202"""
        want = {}
        for i in range(n):
            cid = "t046-m-%d-%d-%s@%s" % (rnd, i, self.tag(), self.addr)
            data = self.req("alice", "MESSAGE", "sip:bob@%s:%d" % self.server,
                            "<sip:alice@%s>;tag=%s" % (self.addr, self.tag()),
                            "<sip:bob@%s>" % self.addr, cid, 1,
                            ctype="text/plain",
                            body="t046 round %d message %d\r\n" % (rnd, i))
            want[cid] = data
            self.send("alice", data)
        ok = self.wait(lambda: all(self.final(c, 1, "MESSAGE") for c in want), 5.0)
        codes = [self.final(c, 1, "MESSAGE") for c in want]
        return ok and all(m.code == 202 for m in codes)

    def register_msg(self, callid, cseq, expires, ftag):
        return self.req(
            "reg", "REGISTER", "sip:%s:%d" % self.server,
            "<sip:bob@%s>;tag=%s" % (self.addr, ftag), "<sip:bob@%s>" % self.addr,
            callid, cseq, extra=[
                "Contact: <sip:bob@%s:%d;transport=udp>" % (self.addr, self.a.phone_port),
                "Expires: %d" % expires, "User-Agent: t046"])

    def subscribe_msg(self, callid, cseq, ftag, auth=None, ruri=None, totag=None,
                      expires=600):
        ruri = ruri or "sip:bob@%s:%d" % self.server
        extra = ["Contact: <sip:bob@%s:%d>" % (self.addr, self.a.sub_port),
                 "Event: message-summary",
                 "Accept: application/simple-message-summary",
                 "Expires: %d" % expires]
        if auth:
            extra.append(auth)
        to = "<sip:bob@%s>" % self.addr + (";tag=" + totag if totag else "")
        return self.req("sub", "SUBSCRIBE", ruri,
                        "<sip:bob@%s>;tag=%s" % (self.addr, ftag), to, callid,
                        cseq, extra=extra)

    def digest(self, chal, method, uri):
        p = dict(re.findall(r'(\w+)="?([^",]*)"?', chal))
        ha1 = md5("bob:%s:%s" % (p["realm"], self.a.password))
        ha2 = md5("%s:%s" % (method, uri))
        cnonce = self.tag()
        if "qop" in p:
            qop = "auth"
            resp = md5("%s:%s:00000001:%s:%s:%s" % (ha1, p["nonce"], cnonce, qop, ha2))
            return ('Authorization: Digest username="bob", realm="%s", '
                    'nonce="%s", uri="%s", response="%s", algorithm=MD5, '
                    'qop=%s, nc=00000001, cnonce="%s"' % (
                        p["realm"], p["nonce"], uri, resp, qop, cnonce)
                    + (', opaque="%s"' % p["opaque"] if "opaque" in p else ""))
        resp = md5("%s:%s:%s" % (ha1, p["nonce"], ha2))
        return ('Authorization: Digest username="bob", realm="%s", nonce="%s", '
                'uri="%s", response="%s", algorithm=MD5' % (
                    p["realm"], p["nonce"], uri, resp))


def rows(args):
    if not args.rows_url:
        return 0
    out = subprocess.run(
        ["psql", "-X", "-tA", args.rows_url, "-c",
         "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@%s'" % args.addr],
        capture_output=True, text=True, timeout=10)
    try:
        return int(out.stdout.strip())
    except ValueError:
        return -1


def spin_until(t):
    while time.perf_counter() < t:
        pass


def one_round(ua, args, rnd):
    res = {"round": rnd}
    fail = lambda why: dict(res, error=why)  # noqa: E731
    if not ua.store(args.messages, rnd):
        return fail("a MESSAGE to offline bob got no 202")
    ua.pump(args.settle)  # the store's own summary publish settles
    ua.delivered.clear()

    # the challenge
    scid = "t046-s-%d-%s@%s" % (rnd, ua.tag(), ua.addr)
    sftag = ua.tag()
    r = ua.transact("sub", ua.subscribe_msg(scid, 1, sftag), scid, 1, "SUBSCRIBE")
    if r is None or r.code != 401:
        return fail("SUBSCRIBE without credentials: %s" % (r and r.code))
    ruri = "sip:bob@%s:%d" % ua.server
    auth = ua.digest(r.get("www-authenticate"), "SUBSCRIBE", ruri)
    sub = ua.subscribe_msg(scid, 2, sftag, auth=auth)
    rcid = "t046-r-%d-%s@%s" % (rnd, ua.tag(), ua.addr)
    rftag = ua.tag()
    reg = ua.register_msg(rcid, 1, 600, rftag)

    # the race: both in flight within a few ms
    off = args.offsets[(rnd - 1) % len(args.offsets)]
    res["offset_ms"] = off
    t0 = time.perf_counter()
    if off < 0:
        ua.send("sub", sub)
        spin_until(t0 - off / 1000.0)
        ua.send("reg", reg)
    else:
        ua.send("reg", reg)
        spin_until(t0 + off / 1000.0)
        ua.send("sub", sub)
    sent = now()

    # retransmit until answered; then the replay, the empty store, quiet
    def answered():
        return ua.final(scid, 2, "SUBSCRIBE") and ua.final(rcid, 1, "REGISTER")
    nxt = sent + 0.5
    while not answered() and now() < sent + 5:
        ua.pump(0.01)
        if now() >= nxt:
            if not ua.final(scid, 2, "SUBSCRIBE"):
                ua.send("sub", sub)
            if not ua.final(rcid, 1, "REGISTER"):
                ua.send("reg", reg)
            nxt = now() + 0.5
    sr, rr = ua.final(scid, 2, "SUBSCRIBE"), ua.final(rcid, 1, "REGISTER")
    if sr is None or sr.code // 100 != 2:
        return fail("authenticated SUBSCRIBE: %s" % (sr and sr.code))
    if rr is None or rr.code != 200:
        return fail("REGISTER: %s" % (rr and rr.code))
    if not ua.wait(lambda: len(ua.delivered) >= args.messages, 10.0):
        return fail("replayed %d of %d" % (len(ua.delivered), args.messages))
    res["delivered"] = len(ua.delivered)
    end = now() + 5.0
    n = -1
    while now() < end:
        n = rows(ua.a)
        if n == 0:
            break
        ua.pump(0.05)
    res["rows_left"] = n
    ua.wait(lambda: ua.notifies.get(scid) and now() - ua.last_notify_at >= args.quiet,
            5.0)
    got = list(ua.notifies.get(scid, []))
    res["last"] = "%s %s" % (got[-1]["mw"], got[-1]["text"]) if got else "none"
    res["stale"] = res["last"] != "no 0/0"

    # end of the subscription: 200 and a terminated NOTIFY (also in order)
    totag = re.search(r";tag=([^;>\s]+)", sr.get("to"))
    contact = re.search(r"<([^>]+)>", sr.get("contact") or "")
    un = ua.subscribe_msg(scid, 3, sftag, ruri=contact.group(1) if contact else ruri,
                          totag=totag.group(1) if totag else None, expires=0)
    ur = ua.transact("sub", un, scid, 3, "SUBSCRIBE")
    res["unsubscribe"] = ur and ur.code
    ua.wait(lambda: any(x["state"] == "terminated" for x in ua.notifies.get(scid, [])),
            2.0)
    # bob offline again
    ur = ua.transact("reg", ua.register_msg(rcid, 2, 0, rftag), rcid, 2, "REGISTER")
    res["unregister"] = ur and ur.code
    ua.pump(0.05)

    got = ua.notifies.get(scid, [])
    res["notifies"] = [[x["cseq"], x["mw"], x["text"], x["state"]] for x in got]
    cs = [x["cseq"] for x in got]
    res["order_ok"] = all(a < b for a, b in zip(cs, cs[1:]))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True, help="Kamailio's SIP port")
    ap.add_argument("--alice-port", type=int, required=True)
    ap.add_argument("--phone-port", type=int, required=True)
    ap.add_argument("--reg-port", type=int, required=True)
    ap.add_argument("--sub-port", type=int, required=True)
    ap.add_argument("--password", default="bobs-secret")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--messages", type=int, default=3)
    ap.add_argument("--offsets", default=",".join(str(x) for x in OFFSETS),
                    help="ms, SUBSCRIBE minus REGISTER, cycled over the rounds")
    ap.add_argument("--settle", type=float, default=0.15)
    ap.add_argument("--quiet", type=float, default=0.4)
    ap.add_argument("--budget", type=float, default=0,
                    help="stop starting rounds after this many seconds (0: none)")
    ap.add_argument("--rows-url", default="", help="libpq URL of the store")
    ap.add_argument("--trace", default="")
    args = ap.parse_args()
    args.offsets = [float(x) for x in args.offsets.split(",")]

    ua = Ua(args)
    start = now()
    done = viol = stale = errors = not_empty = 0
    for rnd in range(1, args.rounds + 1):
        if args.budget and now() - start > args.budget:
            break
        res = one_round(ua, args, rnd)
        print(json.dumps(res), flush=True)
        done += 1
        if "error" in res:
            errors += 1
            break
        viol += not res["order_ok"]
        stale += res["stale"]
        not_empty += res["rows_left"] != 0
    print("SUMMARY rounds=%d order_violations=%d stale_end=%d not_empty=%d "
          "errors=%d notify_retransmissions=%d other_requests=%d seconds=%.1f" % (
              done, viol, stale, not_empty, errors, ua.notify_retrans,
              ua.other_requests,
              now() - start), flush=True)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
