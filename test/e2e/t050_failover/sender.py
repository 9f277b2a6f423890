#!/usr/bin/env python3
"""t050: a SIP UAC over UDP that sends MESSAGEs to one offline user at a
steady rate, retransmits each (RFC 3261 timers, same branch) until its final
reply, and records per Call-ID the final code and when it came (stdlib only).

  send   --count N --rate R [--mark-after K --mark FILE]: N new MESSAGEs;
         FILE is created once K have been sent
  resend --ids FILE: again the MESSAGEs whose Call-IDs FILE lists, with the
         same Call-ID, From tag and CSeq (a new transaction: a new branch)
  probe  --every MS --max-ms MS: one new MESSAGE every MS until one gets a
         202 (or MAX-MS passed); the rest are still waited for

--out gets one line per MESSAGE: CALL-ID CODE SENT-MS FINAL-MS (epoch ms;
CODE "none" and FINAL-MS -1 when no final reply came within Timer F, 32 s,
or --linger seconds after the last send)."""

import argparse
import heapq
import os
import random
import select
import socket
import time

T1, T2, TIMER_F = 0.5, 4.0, 32.0


def now_ms():
    return int(time.time() * 1000)


class Uac:
    def __init__(self, a):
        self.a = a
        self.kam = (a.kam.rsplit(":", 1)[0], int(a.kam.rsplit(":", 1)[1]))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((a.addr, a.port))
        self.sock.setblocking(False)
        self.run = "%x" % random.getrandbits(32)
        self.tx = {}  # call-id -> dict(data, sent, final, code, next, iv)
        self.timers = []  # (at, call-id)
        self.n_branch = 0
        self.first_202_ms = -1

    def message(self, cid, tag, cseq):
        self.n_branch += 1
        a = self.a
        body = "t050 message %s\r\n" % cid
        return (
            "MESSAGE sip:%s@%s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%s-%d;rport\r\n"
            'From: "Alice" <sip:alice@%s>;tag=%s\r\n'
            "To: <sip:%s@%s>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: %d MESSAGE\r\n"
            "Max-Forwards: 70\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: %d\r\n\r\n%s"
            % (a.user, a.domain or "%s:%d" % self.kam, a.addr, a.port, self.run,
               self.n_branch, a.from_domain or a.addr, tag, a.user,
               a.domain or self.kam[0], cid, cseq,
               len(body), body)
        ).encode()

    def start(self, cid, tag, cseq=1):
        t = time.monotonic()
        data = self.message(cid, tag, cseq)
        self.tx[cid] = {"data": data, "sent": now_ms(), "t0": t, "code": None,
                        "final": -1, "iv": T1}
        self.sock.sendto(data, self.kam)
        heapq.heappush(self.timers, (t + T1, cid))

    def timer(self, cid):
        x = self.tx[cid]
        if x["code"] is not None:
            return
        t = time.monotonic()
        if t - x["t0"] >= TIMER_F:
            x["code"] = "none"
            return
        self.sock.sendto(x["data"], self.kam)
        x["iv"] = min(x["iv"] * 2, T2)
        heapq.heappush(self.timers, (t + x["iv"], cid))

    def receive(self):
        while True:
            try:
                data = self.sock.recv(65535)
            except BlockingIOError:
                return
            text = data.decode("utf-8", "replace")
            lines = text.split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) < 2 or parts[0] != "SIP/2.0":
                continue
            code = int(parts[1])
            cid = None
            for ln in lines[1:]:
                if ln == "":
                    break
                k, _, v = ln.partition(":")
                if k.strip().lower() in ("call-id", "i"):
                    cid = v.strip()
            x = self.tx.get(cid)
            if code < 200 or x is None or x["code"] is not None:
                continue
            x["code"] = str(code)
            x["final"] = now_ms()
            if code == 202 and self.first_202_ms < 0:
                self.first_202_ms = x["final"]

    def pending(self):
        return sum(1 for x in self.tx.values() if x["code"] is None)

    def step(self, until):
        """wait for replies and timers until `until` (monotonic)"""
        while True:
            t = time.monotonic()
            wait = until - t
            if self.timers:
                wait = min(wait, self.timers[0][0] - t)
            if wait > 0:
                r, _, _ = select.select([self.sock], [], [], wait)
                if r:
                    self.receive()
            while self.timers and self.timers[0][0] <= time.monotonic():
                _, cid = heapq.heappop(self.timers)
                self.timer(cid)
            if time.monotonic() >= until:
                return

    def drain(self, linger):
        end = time.monotonic() + linger
        while self.pending() and time.monotonic() < end:
            self.step(min(end, time.monotonic() + 0.05))

    def write(self, out):
        with open(out + ".tmp", "w") as f:
            for cid, x in self.tx.items():
                f.write("%s %s %d %d\n" % (cid, x["code"] or "none", x["sent"],
                                           x["final"]))
        os.rename(out + ".tmp", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["send", "resend", "probe"])
    ap.add_argument("--kam", required=True, help="ADDR:PORT of Kamailio")
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--from-domain", default="",
                    help="the From domain (default: --addr)")
    ap.add_argument("--domain", default="",
                    help="the recipient's domain (default: Kamailio's ADDR:PORT)")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--mark-after", type=int, default=0)
    ap.add_argument("--mark", default="")
    ap.add_argument("--ids", default="")
    ap.add_argument("--every", type=int, default=250)
    ap.add_argument("--max-ms", type=int, default=8000)
    ap.add_argument("--linger", type=float, default=15)
    ap.add_argument("--tag", default="t050")
    a = ap.parse_args()
    u = Uac(a)
    t0 = time.monotonic()
    if a.mode in ("send", "resend"):
        if a.mode == "send":
            ids = ["%s-%s-%d@%s" % (a.tag, u.run, i, a.addr)
                   for i in range(a.count)]
        else:
            with open(a.ids) as f:
                ids = [ln.split()[0] for ln in f if ln.strip()]
        for i, cid in enumerate(ids):
            u.step(t0 + i / a.rate)
            # the From tag is the Call-ID's: a resend repeats it
            u.start(cid, "tag-" + cid.split("@")[0])
            if a.mark and i + 1 == a.mark_after:
                open(a.mark, "w").close()
        u.drain(a.linger)
    else:
        i = 0
        end = t0 + a.max_ms / 1000.0
        while u.first_202_ms < 0 and time.monotonic() < end:
            cid = "%s-probe-%s-%d@%s" % (a.tag, u.run, i, a.addr)
            u.start(cid, "tag-" + cid.split("@")[0])
            i += 1
            u.step(min(end, time.monotonic() + a.every / 1000.0))
        u.drain(a.linger)
    u.write(a.out)


if __name__ == "__main__":
    main()
