#!/usr/bin/env python3
"""t012: a TCP SIP peer for binary bodies.

  tcp_peer.py send KAM_HOST KAM_PORT USER BODY_FILE CONTENT_TYPE
      sends one MESSAGE over TCP, prints the status code of the answer
  tcp_peer.py recv LISTEN_PORT BODY_FILE CONTENT_TYPE TIMEOUT
      registers nothing; accepts connections on 127.0.0.1:LISTEN_PORT,
      answers the first MESSAGE with 200 and exits 0 when its body and
      Content-Type equal the expected ones (1 otherwise, 2 on timeout)
"""
import socket
import sys
import time
import uuid


def read_message(sock, buf):
    """One SIP message from a stream: (head, body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed in the headers")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    clen = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            clen = int(value.strip())
    while len(rest) < clen:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed in the body")
        rest += chunk
    return head, rest[:clen], rest[clen:]


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        n, _, v = line.partition(b":")
        if n.strip().lower() == name.lower():
            return v.strip()
    return None


def send(host, port, user, body_file, ctype):
    body = open(body_file, "rb").read()
    s = socket.create_connection((host, int(port)), timeout=10)
    lport = s.getsockname()[1]
    cid = uuid.uuid4().hex
    head = (
        f"MESSAGE sip:{user}@{host}:{port};transport=tcp SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP 127.0.0.1:{lport};branch=z9hG4bK{cid[:16]}\r\n"
        f"From: <sip:alice@{host}>;tag={cid[:8]}\r\n"
        f"To: <sip:{user}@{host}>\r\n"
        f"Call-ID: {cid}@t012\r\n"
        f"CSeq: 7 MESSAGE\r\n"
        f"Max-Forwards: 70\r\n"
        f"Content-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    s.sendall(head + body)
    buf = b""
    deadline = time.time() + 10
    while time.time() < deadline:
        h, _, buf = read_message(s, buf)
        code = int(h.split(b" ", 2)[1])
        if code >= 200:
            print(code)
            return 0
    return 2


def recv(port, body_file, ctype, timeout):
    want = open(body_file, "rb").read()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(port)))
    ls.listen(4)
    ls.settimeout(float(timeout))
    try:
        conn, _ = ls.accept()
    except socket.timeout:
        print("no connection from Kamailio")
        return 2
    conn.settimeout(float(timeout))
    head, body, _ = read_message(conn, b"")
    first = head.split(b"\r\n", 1)[0]
    reply = b"SIP/2.0 200 OK\r\n"
    for line in head.split(b"\r\n")[1:]:
        n = line.partition(b":")[0].strip().lower()
        if n in (b"via", b"v", b"from", b"f", b"call-id", b"i", b"cseq"):
            reply += line + b"\r\n"
        elif n in (b"to", b"t"):
            reply += line + b";tag=t012peer\r\n"
    reply += b"Content-Length: 0\r\n\r\n"
    conn.sendall(reply)
    time.sleep(0.2)
    got_ct = header(head, b"content-type") or header(head, b"c")
    ok = first.startswith(b"MESSAGE ") and body == want and got_ct == ctype.encode()
    print(f"request={first.decode(errors='replace')} body={len(body)} bytes "
          f"equal={body == want} content-type={got_ct!r}")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "send":
        sys.exit(send(*sys.argv[2:7]))
    sys.exit(recv(*sys.argv[2:6]))
