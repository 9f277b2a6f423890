#!/usr/bin/env python3
"""A SIP recipient for the end-to-end tests (stdlib only).

Listens on UDP and (unless --udp-only) TCP on the same address and port,
answers every request with 200 OK (all Vias, From, To with a tag of its
own, Call-ID, CSeq) on the transport it came over, and appends each raw
request, one JSON line each, to --log:
  {"t": <epoch seconds>, "proto": "udp"|"tcp", "raw": <base64 of the bytes>}
Runs until SIGTERM/SIGINT or --timeout seconds. Writes "listening" to
stdout once both sockets are bound.

  sip_recipient.py --port 27071 --log bob.jsonl [--udp-only] [--timeout 120]
"""

import argparse
import base64
import json
import os
import re
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True  # leave the e2e folder as it is
import sfwdtest  # noqa: E402

_lock = threading.Lock()
_log = None


def record(proto, raw):
    line = json.dumps({"t": time.time(), "proto": proto,
                       "raw": base64.b64encode(raw).decode()})
    with _lock:
        _log.write(line + "\n")
        _log.flush()


def reply_for(raw):
    """200 OK for a request, or None when raw is not a request."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    if not lines or lines[0].startswith(b"SIP/2.0 ") \
            or not lines[0].endswith(b" SIP/2.0"):
        return None
    keep = []
    for ln in lines[1:]:
        if b":" not in ln:
            continue
        name = ln.split(b":", 1)[0].strip().lower()
        if name in (b"via", b"v", b"from", b"f", b"call-id", b"i",
                    b"cseq"):
            keep.append(ln)
        elif name in (b"to", b"t"):
            if not re.search(rb";\s*tag=", ln, re.I):
                ln += b";tag=rcpt-" + os.urandom(4).hex().encode()
            keep.append(ln)
    return (b"SIP/2.0 200 OK\r\n" + b"\r\n".join(keep)
            + b"\r\nContent-Length: 0\r\n\r\n")


def handle(proto):
    """answers and records each request (sfwdtest.serve_udp/serve_tcp)"""
    def h(raw, reply):
        rep = reply_for(raw)
        if rep is not None:
            record(proto, raw)
            reply(rep)
    return h


def main():
    global _log
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--udp-only", action="store_true")
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    _log = open(a.log, "a")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    udp, tcp = sfwdtest.sip_sockets(a.addr, a.port, not a.udp_only)
    # the reply goes to where the request came from (rport)
    threading.Thread(target=sfwdtest.serve_udp, args=(udp, handle("udp")),
                     daemon=True).start()
    if tcp:
        threading.Thread(target=sfwdtest.serve_tcp, args=(tcp, handle("tcp")),
                         daemon=True).start()
    print("listening", flush=True)
    try:
        time.sleep(a.timeout)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
