#!/usr/bin/env python3
"""t020: a mailbox owner fetching stored messages over MSRP.

One INVITE (digest authenticated) with an MSRP offer to the owner's own
address, the ACK, a TCP connection to the path in the answer, an empty SEND
to bind it, then every SEND from sfwd answered 200 and reassembled; each
payload is parsed as the SIP MESSAGE it wraps. With --max N the connection
is dropped after N messages (no BYE). Writes a JSON report.
"""
import argparse
import base64
import json
import os
import re
import socket
import sys
import time
import uuid

sys.dont_write_bytecode = True  # leave the e2e folder as it is
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sfwdtest import (HOST, UA, Dialog, msrp_frames, msrp_ok, msrp_parse,  # noqa: E402
                      msrp_send, parse_sip, sdp_offer)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--local-port", type=int, required=True)
    p.add_argument("--msrp-port", type=int, required=True)
    p.add_argument("--mailbox", required=True)
    p.add_argument("--auth-user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--expect", type=int, default=0)
    p.add_argument("--max", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    report = {"invite": None, "messages": [], "frames": []}
    ua = UA(a.local_port, a.port, name="t020", contact=a.auth_user)
    our_path = f"msrp://{HOST}:{a.msrp_port}/{uuid.uuid4().hex[:12]};tcp"
    d = Dialog(ua, a.mailbox, a.mailbox, a.password,
               sdp_offer(a.msrp_port, our_path, "message/sip"),
               uuid.uuid4().hex + "@t020", uuid.uuid4().hex[:10],
               auth_user=a.auth_user, challenges=(401,))
    code = d.invite()
    report["invite"] = code
    if code != 200:
        json.dump(report, open(a.out, "w"))
        return 0
    srv_path = d.path
    report["answer_path"] = srv_path
    mh = re.match(r"msrp://([^:/]+):(\d+)/", srv_path)
    tcp = socket.create_connection((mh.group(1), int(mh.group(2))), timeout=10)
    tid = uuid.uuid4().hex[:10]
    tcp.sendall(msrp_send(tid, srv_path, our_path, f"bind-{tid}", "1-0/0"))
    parts = {}
    tcp.settimeout(3)
    try:
        for ftid, frame, flag in msrp_frames(tcp):
            start, kind, h, chunk = msrp_parse(frame)
            if kind != "SEND":
                report["frames"].append(start)
                continue
            report["frames"].append(f"SEND {h.get('byte-range')} {h.get('content-type')}")
            # answer every chunk
            tcp.sendall(msrp_ok(ftid, h["from-path"], our_path))
            parts.setdefault(h["message-id"], []).append(chunk)
            if flag != b"$":
                continue
            payload = b"".join(parts.pop(h["message-id"]))
            first, sh, sbody = parse_sip(payload)
            report["messages"].append({
                "msrp_content_type": h.get("content-type"),
                "start": first, "from": sh.get("from"), "to": sh.get("to"),
                "call_id": sh.get("call-id"), "cseq": sh.get("cseq"),
                "date": sh.get("date"), "content_type": sh.get("content-type"),
                "content_length": sh.get("content-length"),
                "via": sh.get("via"), "authorization": sh.get("authorization"),
                "body": base64.b64encode(sbody).decode()})
            if a.max and len(report["messages"]) >= a.max:
                tcp.close()  # drop: no more 200s, no BYE
                json.dump(report, open(a.out, "w"))
                return 0
            if a.expect and len(report["messages"]) >= a.expect:
                break
    except socket.timeout:
        pass
    report["bye"] = d.bye()
    time.sleep(0.3)
    tcp.close()
    json.dump(report, open(a.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
