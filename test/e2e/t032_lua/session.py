#!/usr/bin/env python3
"""t032: an MSRP session for an offline user through the Lua routing
(route_session / sf_session_accept()): alice INVITEs dave, who is offline;
sfwd answers 200 with its path; one SEND -> 200; BYE -> 200. Prints one
line per named check ("ok   NAME" / "FAIL NAME | detail").

  session.py --kam-port P --port P2 --password alices-secret --out FILE
"""
import argparse
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sfwdtest as t  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kam-port", type=int, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--to", default="dave")
    a = ap.parse_args()
    ua = t.UA(a.port, a.kam_port, name="alice", contact="alice")
    our = f"msrp://{t.HOST}:{a.port + 1}/{uuid.uuid4().hex[:12]};tcp"
    d = t.Dialog(ua, "alice", a.to, a.password,
                 t.sdp_offer(a.port + 1, our, "text/plain"),
                 "t032-" + uuid.uuid4().hex, "t032" + uuid.uuid4().hex[:8])
    code = d.invite()
    t.check("Lua: INVITE to offline dave with an MSRP offer -> 200 from sfwd",
            code == 200 and bool(d.path), f"code {code} path {d.path}")
    if code != 200 or not d.path:
        return 1
    m = t.Msrp(d.path, our)
    tid = m.send(b"hello through Lua", "text/plain")
    got = m.response(tid)
    t.check("Lua: the SEND -> 200 (stored)", got == 200, f"got {got}")
    m.close()
    got = d.bye()
    t.check("Lua: BYE -> 200", got == 200, f"got {got}")
    ua.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
