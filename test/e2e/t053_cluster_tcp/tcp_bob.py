#!/usr/bin/env python3
"""t053: bob's phone on TCP. Connects to a node, REGISTERs bob@DOMAIN over
that connection (Via and Contact name --contact-port, where nothing
listens: only the connection reaches the phone), prints "registered" once
the 200 came, then answers every request arriving on the connection with
200 OK and logs one JSON line each: {"t", "method", "call_id", "via" (the
top one), "vias" (all), "route", "pai" (P-Asserted-Identity; "" none)}.
Runs until SIGTERM or --timeout seconds (stdlib only).

  tcp_bob.py --node 127.0.0.3:36062 --domain 127.0.0.1 --contact-port N \
      --log bob.jsonl [--timeout 60]
"""

import argparse
import json
import os
import signal
import socket
import sys
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sfwdtest  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node", required=True)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--domain", required=True)
    ap.add_argument("--contact-port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    host, port = a.node.rsplit(":", 1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    deadline = time.time() + a.timeout
    s = socket.create_connection((host, int(port)), timeout=5,
                                 source_address=(a.addr, 0))
    cp = a.contact_port
    reg = (f"REGISTER sip:{a.domain} SIP/2.0\r\n"
           f"Via: SIP/2.0/TCP {a.addr}:{cp};branch=z9hG4bK{uuid.uuid4().hex[:16]}\r\n"
           f"From: <sip:bob@{a.domain}>;tag={uuid.uuid4().hex[:8]}\r\n"
           f"To: <sip:bob@{a.domain}>\r\n"
           f"Call-ID: t053-reg-{uuid.uuid4().hex[:12]}\r\n"
           f"CSeq: 1 REGISTER\r\n"
           f"Contact: <sip:bob@{a.addr}:{cp};transport=tcp>\r\n"
           f"Expires: 600\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
    s.sendall(reg.encode())
    log = open(a.log, "a")
    buf = b""
    s.settimeout(0.5)
    while time.time() < deadline:
        msg, buf = sfwdtest.sip_take(buf)
        if msg is None:
            try:
                d = s.recv(65536)
            except socket.timeout:
                continue
            if not d:
                break
            buf += d
            continue
        first, hdrs, _ = sfwdtest.sip_split(msg)
        if first.startswith("SIP/2.0 "):
            if "REGISTER" in (sfwdtest.hget(hdrs, "cseq") or b"").decode():
                print("registered" if first.split()[1] == "200"
                      else "refused " + first, flush=True)
            continue
        keep = []
        for n, v in hdrs:
            n = sfwdtest.COMPACT.get(n, n)
            if n in ("via", "from", "call-id", "cseq"):
                keep.append(f"{n}: ".encode() + v)
            elif n == "to":
                keep.append(b"to: " + v + (b"" if b"tag=" in v else b";tag=b053"))
        s.sendall(b"SIP/2.0 200 OK\r\n" + b"\r\n".join(keep)
                  + b"\r\nContent-Length: 0\r\n\r\n")
        log.write(json.dumps({
            "t": time.time(), "method": first.split()[0],
            "call_id": (sfwdtest.hget(hdrs, "call-id") or b"").decode(),
            "via": (sfwdtest.hget(hdrs, "via") or b"").decode(),
            "vias": b",".join(v for n, v in hdrs
                              if sfwdtest.COMPACT.get(n, n) == "via").decode(),
            "route": (sfwdtest.hget(hdrs, "route") or b"").decode(),
            "pai": (sfwdtest.hget(hdrs, "p-asserted-identity") or b"").decode()})
                  + "\n")
        log.flush()


if __name__ == "__main__":
    main()
