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
import hashlib
import json
import os
import re
import socket
import sys
import time
import uuid


def digest(method, uri, user, password, chal):
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


def parse_sip(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "replace").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        n, _, v = line.partition(":")
        hdrs.setdefault(n.strip().lower(), v.strip())
    return lines[0], hdrs, body


class Sip:
    def __init__(self, a):
        self.a = a
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", a.local_port))
        self.sock.settimeout(5)
        self.callid = uuid.uuid4().hex + "@t020"
        self.ftag = uuid.uuid4().hex[:10]
        self.cseq = 0

    def send(self, text):
        self.sock.sendto(text.encode() if isinstance(text, str) else text,
                         (self.a.host, self.a.port))

    def recv_final(self, method):
        deadline = time.time() + 10
        while time.time() < deadline:
            data, _ = self.sock.recvfrom(65535)
            first, hdrs, body = parse_sip(data)
            if first.startswith("SIP/2.0") and hdrs.get("cseq", "").endswith(method):
                code = int(first.split()[1])
                if code >= 200:
                    return code, hdrs, body
        raise TimeoutError(f"no final reply to {method}")

    def request(self, method, ruri, extra="", body=b"", ctype=None, totag=None):
        self.cseq += 1
        branch = "z9hG4bK" + uuid.uuid4().hex[:12]
        a = self.a
        to = f"<sip:{a.mailbox}@{a.host}>" + (f";tag={totag}" if totag else "")
        hdr = (f"{method} {ruri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{a.local_port};branch={branch};rport\r\n"
               f"From: <sip:{a.mailbox}@{a.host}>;tag={self.ftag}\r\n"
               f"To: {to}\r\n"
               f"Call-ID: {self.callid}\r\n"
               f"CSeq: {self.cseq} {method}\r\n"
               f"Contact: <sip:{a.auth_user}@127.0.0.1:{a.local_port}>\r\n"
               f"Max-Forwards: 70\r\n{extra}"
               + (f"Content-Type: {ctype}\r\n" if ctype else "")
               + f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.send(hdr + body)
        return branch

    def ack(self, ruri, branch, totag, cseq):
        a = self.a
        self.send(f"ACK {ruri} SIP/2.0\r\n"
                  f"Via: SIP/2.0/UDP 127.0.0.1:{a.local_port};branch={branch};rport\r\n"
                  f"From: <sip:{a.mailbox}@{a.host}>;tag={self.ftag}\r\n"
                  f"To: <sip:{a.mailbox}@{a.host}>;tag={totag}\r\n"
                  f"Call-ID: {self.callid}\r\nCSeq: {cseq} ACK\r\n"
                  f"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")


def frame_reader(sock):
    buf = b""
    while True:
        m = re.match(rb"MSRP ([A-Za-z0-9.+%=-]+) ", buf)
        if m:
            tid = m.group(1)
            end = re.search(rb"-------" + re.escape(tid) + rb"([$+#])\r\n", buf)
            if end:
                frame, buf = buf[:end.end()], buf[end.end():]
                yield tid, frame, end.group(1)
                continue
        chunk = sock.recv(65536)
        if not chunk:
            return
        buf += chunk


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
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
    sip = Sip(a)
    ruri = f"sip:{a.mailbox}@{a.host}:{a.port}"
    our_path = f"msrp://127.0.0.1:{a.msrp_port}/{uuid.uuid4().hex[:12]};tcp"
    sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
           f"t=0 0\r\nm=message {a.msrp_port} TCP/MSRP *\r\n"
           "a=accept-types:message/sip\r\n"
           f"a=path:{our_path}\r\na=setup:active\r\n").encode()
    b1 = sip.request("INVITE", ruri, body=sdp, ctype="application/sdp")
    code, hdrs, _ = sip.recv_final("INVITE")
    if code == 401:
        sip.ack(ruri, b1, re.search(r"tag=([^;>]+)", hdrs["to"]).group(1), sip.cseq)
        auth = digest("INVITE", ruri, a.auth_user, a.password, hdrs["www-authenticate"])
        sip.request("INVITE", ruri, extra=f"Authorization: {auth}\r\n",
                    body=sdp, ctype="application/sdp")
        code, hdrs, body = sip.recv_final("INVITE")
    report["invite"] = code
    if code != 200:
        json.dump(report, open(a.out, "w"))
        return 0
    totag = re.search(r"tag=([^;>]+)", hdrs["to"]).group(1)
    contact = re.search(r"<([^>]+)>", hdrs["contact"]).group(1)
    invite_cseq = sip.cseq
    sip.ack(contact, "z9hG4bK" + uuid.uuid4().hex[:12], totag, invite_cseq)
    srv_path = re.search(rb"a=path:(\S+)", body).group(1).decode()
    report["answer_path"] = srv_path
    mh = re.match(r"msrp://([^:/]+):(\d+)/", srv_path)
    tcp = socket.create_connection((mh.group(1), int(mh.group(2))), timeout=10)
    tid = uuid.uuid4().hex[:10]
    tcp.sendall((f"MSRP {tid} SEND\r\nTo-Path: {srv_path}\r\nFrom-Path: {our_path}\r\n"
                 f"Message-ID: bind-{tid}\r\nByte-Range: 1-0/0\r\n-------{tid}$\r\n").encode())
    parts = {}
    tcp.settimeout(3)
    try:
        for ftid, frame, flag in frame_reader(tcp):
            head, _, rest = frame.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            start = lines[0].split()
            h = {}
            for line in lines[1:]:
                n, _, v = line.partition(":")
                h[n.strip().lower()] = v.strip()
            if start[2] != "SEND":
                report["frames"].append(lines[0])
                continue
            report["frames"].append(f"SEND {h.get('byte-range')} {h.get('content-type')}")
            # answer every chunk
            tcp.sendall((f"MSRP {ftid.decode()} 200 OK\r\nTo-Path: {h['from-path']}\r\n"
                         f"From-Path: {our_path}\r\n-------{ftid.decode()}$\r\n").encode())
            chunk = rest[:rest.rfind(b"\r\n-------")] if rest else b""
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
    sip.request("BYE", contact, totag=totag)
    code, _, _ = sip.recv_final("BYE")
    report["bye"] = code
    time.sleep(0.3)
    tcp.close()
    json.dump(report, open(a.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
