#!/usr/bin/env python3
"""t045: every MSRP frame of a capture, checked by a strict RFC 4975 parser.

tshark 4.0's MSRP dissector decodes only the first MSRP message of a TCP
segment, so this reads the raw TCP payloads (tshark -T fields), reassembles
each direction of each TCP stream by sequence number, and parses the bytes
frame by frame:

  start line   MSRP SP transact-id SP (method | status-code [SP comment]) CRLF
               transact-id = ALPHANUM 3*31(ALPHANUM / . - + % =)
  headers      To-Path then From-Path first, each "hname: hval" CRLF
               (one SP after the colon), MSRP URIs in both paths
  body         requests only: CRLF CRLF after the headers, Content-Type
               present, then data CRLF, up to the end line
  end line     "-------" <the start line's tid> ("$" / "+" / "#") CRLF
  Byte-Range   well formed; with a known range-end the chunk holds exactly
               range-end - range-start + 1 bytes; a "$" chunk with a known
               total ends at it; the chunks of one Message-ID are contiguous
  SEND         Message-ID present
  responses    no body; To-Path a single URI; the tid is one of a request
               the other side sent on that stream

Prints "key<TAB>value" lines: streams, frames_c2s, frames_s2c, requests,
responses, leftover_bytes, gaps, errors, then each error as "error<TAB>...".
"""
import argparse
import re
import subprocess
import sys

TID = rb"[A-Za-z0-9][A-Za-z0-9.+%=-]{3,31}"
START = re.compile(rb"MSRP (" + TID + rb") (?:([A-Z]+)|([1-9][0-9]{2})(?: ([^\r\n]*))?)\r\n")
HNAME = re.compile(rb"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*")
MSRP_URI = re.compile(rb"msrps?://[^\s/]+(?::[0-9]+)?/[^\s;]+;tcp$", re.I)
RANGE = re.compile(rb"([0-9]+)-([0-9]+|\*)/([0-9]+|\*)$")


def payloads(pcap, port):
    """{(stream, srcport, dstport): bytes} reassembled by sequence number"""
    out = subprocess.run(
        ["tshark", "-r", pcap, "-Y", f"tcp.port == {port}", "-T", "fields",
         "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.dstport",
         "-e", "tcp.seq_raw", "-e", "tcp.flags.syn", "-e", "tcp.len",
         "-e", "tcp.payload", "-E", "separator=/t"],
        capture_output=True, check=True, timeout=60).stdout.decode()
    dirs, nxt, gaps = {}, {}, []
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 7:
            continue
        key = (int(f[0]), int(f[1]), int(f[2]))
        seq, syn = int(f[3]), f[4] in ("1", "True")
        data = bytes.fromhex(f[6].replace(":", "")) if f[6] else b""
        dirs.setdefault(key, b"")
        if syn:
            nxt[key] = (seq + 1) & 0xFFFFFFFF
            continue
        if not data:
            continue
        if key not in nxt:
            nxt[key] = seq  # the capture began after the SYN
        off = (seq - nxt[key]) & 0xFFFFFFFF
        if off >= 0x80000000:  # before what we have: a retransmission
            back = 0x100000000 - off
            data = data[back:]
            off = 0
        if off > 0:
            gaps.append(f"stream {key[0]} {key[1]}->{key[2]}: {off} bytes missing")
            continue
        dirs[key] += data
        nxt[key] = (nxt[key] + len(data)) & 0xFFFFFFFF
    return dirs, gaps


class Bad(Exception):
    pass


def parse_frame(buf, pos):
    """one frame at buf[pos:]; returns (end, frame dict) or raises Bad"""
    m = START.match(buf, pos)
    if not m:
        raise Bad(f"bad start line at {pos}: {buf[pos:pos + 60]!r}")
    tid, method, code = m.group(1), m.group(2), m.group(3)
    p = m.end()
    headers = []
    endline = b"-------" + tid
    body = None
    while True:
        if buf.startswith(endline, p):
            break  # no body
        if buf.startswith(b"\r\n", p):
            if method is None:
                raise Bad(f"tid {tid!r}: a response with a body")
            # the body runs to CRLF end line
            q = buf.find(b"\r\n" + endline, p + 2)
            if q < 0:
                raise Bad(f"tid {tid!r}: no end line after the body")
            body = buf[p + 2:q]
            p = q + 2
            break
        e = buf.find(b"\r\n", p)
        if e < 0:
            raise Bad(f"tid {tid!r}: unterminated header at {p}")
        line = buf[p:e]
        hm = HNAME.match(line)
        if not hm or line[hm.end():hm.end() + 2] != b": " or len(line) == hm.end() + 2:
            raise Bad(f"tid {tid!r}: malformed header line {line[:80]!r}")
        headers.append((hm.group(0).lower().decode(), line[hm.end() + 2:]))
        p = e + 2
    if not buf.startswith(endline, p):
        raise Bad(f"tid {tid!r}: no end line at {p}")
    p += len(endline)
    if p + 3 > len(buf):
        raise Bad(f"tid {tid!r}: truncated end line")
    flag = buf[p:p + 1]
    if flag not in (b"$", b"+", b"#") or buf[p + 1:p + 3] != b"\r\n":
        raise Bad(f"tid {tid!r}: bad end line {buf[p - len(endline):p + 3]!r}")
    return p + 3, {"tid": tid, "method": method, "code": code, "headers": headers,
                   "body": body, "flag": flag}


def check_frame(fr, errs, where):
    h = fr["headers"]
    tid = fr["tid"].decode()
    names = [n for n, _ in h]
    if names[:2] != ["to-path", "from-path"]:
        errs.append(f"{where} tid {tid}: To-Path, From-Path not first: {names}")
        return
    for n, v in h[:2]:
        uris = v.split(b" ")
        if not all(MSRP_URI.match(u) for u in uris):
            errs.append(f"{where} tid {tid}: bad {n} {v!r}")
    hd = {}
    for n, v in h:
        hd.setdefault(n, v)
    if fr["method"] is None:
        if len(h[0][1].split(b" ")) != 1:
            errs.append(f"{where} tid {tid}: response To-Path of more than one URI")
        return
    if fr["body"] is not None and "content-type" not in hd:
        errs.append(f"{where} tid {tid}: a body without Content-Type")
    if fr["method"] == b"SEND" and "message-id" not in hd:
        errs.append(f"{where} tid {tid}: SEND without Message-ID")
    br = hd.get("byte-range")
    blen = len(fr["body"] or b"")
    if br is None:
        if fr["flag"] == b"+":
            errs.append(f"{where} tid {tid}: a '+' chunk without Byte-Range")
        return
    m = RANGE.match(br)
    if not m:
        errs.append(f"{where} tid {tid}: bad Byte-Range {br!r}")
        return
    start = int(m.group(1))
    end = None if m.group(2) == b"*" else int(m.group(2))
    total = None if m.group(3) == b"*" else int(m.group(3))
    if start < 1:
        errs.append(f"{where} tid {tid}: Byte-Range starts at {start}")
    if fr["method"] == b"SEND" and fr["flag"] != b"#":
        if end is not None and blen != end - start + 1:
            errs.append(f"{where} tid {tid}: Byte-Range {br.decode()} but {blen} body bytes")
        if fr["flag"] == b"$" and total is not None and start + blen - 1 != total:
            errs.append(f"{where} tid {tid}: last chunk ends at {start + blen - 1}, total {total}")
        fr["range"] = (start, start + blen - 1, total)


def validate(data, where):
    """every frame of one direction's bytes: (frames, leftover, errors,
    request tids, response tids)"""
    errs, reqs, resps = [], set(), []
    pos, nframes = 0, 0
    nextbyte = {}  # message-id -> next expected range-start
    while pos < len(data):
        try:
            pos, fr = parse_frame(data, pos)
        except Bad as e:
            errs.append(f"{where}: {e}")
            return nframes, len(data) - pos, errs, reqs, resps
        nframes += 1
        check_frame(fr, errs, where)
        if fr["method"] is not None:
            reqs.add(fr["tid"])
            mid = dict(fr["headers"]).get("message-id")
            if "range" in fr and mid is not None:
                s, e, _ = fr["range"]
                want = nextbyte.get(mid, 1)
                if s != want:
                    errs.append(f"{where} tid {fr['tid'].decode()}: chunk of {mid!r} "
                                f"starts at {s}, expected {want}")
                nextbyte[mid] = 1 if fr["flag"] == b"$" else e + 1
        else:
            resps.append(fr["tid"])
    return nframes, 0, errs, reqs, resps


def self_test():
    """the checker accepts a good stream and rejects each known-bad one"""
    tp, fp = b"To-Path: msrp://127.0.0.1:1/abcd;tcp\r\n", b"From-Path: msrp://127.0.0.1:2/efgh;tcp\r\n"

    def send(tid=b"tid1", br=b"1-5/5", body=b"hello", flag=b"$", hdrs=None, end_tid=None,
             mid=b"m1"):
        h = hdrs if hdrs is not None else tp + fp
        h += b"Message-ID: " + mid + b"\r\n" + (b"Byte-Range: " + br + b"\r\n" if br else b"")
        return (b"MSRP " + tid + b" SEND\r\n" + h + b"Content-Type: text/plain\r\n\r\n" + body
                + b"\r\n-------" + (end_tid or tid) + flag + b"\r\n")
    ok200 = b"MSRP tid1 200 OK\r\n" + tp + fp + b"-------tid1$\r\n"
    good = [send(), ok200,
            send(tid=b"tidA", br=b"1-3/5", body=b"hel", flag=b"+", mid=b"m2")
            + send(tid=b"tidB", br=b"4-5/5", body=b"lo", mid=b"m2"),
            b"MSRP tid9 SEND\r\n" + tp + fp + b"Message-ID: x\r\nByte-Range: 1-0/0\r\n-------tid9$\r\n"]
    bad = {
        "end-line tid differs": send(end_tid=b"tid2"),
        "Byte-Range longer than the body": send(br=b"1-6/6"),
        "last chunk short of the total": send(br=b"1-5/9"),
        "From-Path missing": send(hdrs=tp),
        "From-Path before To-Path": send(hdrs=fp + tp),
        "no space after the colon": send(hdrs=tp + b"From-Path:msrp://127.0.0.1:2/efgh;tcp\r\n"),
        "bytes after the last frame": send() + b"junk",
        "truncated frame": send()[:-4],
        "chunks not contiguous": send(tid=b"tidA", br=b"1-3/5", body=b"hel", flag=b"+", mid=b"m3")
        + send(tid=b"tidB", br=b"5-5/5", body=b"o", mid=b"m3"),
        "response with a body": b"MSRP tid1 200 OK\r\n" + tp + fp + b"\r\nx\r\n-------tid1$\r\n",
        "bad start line": b"MSRP t1 SEND\r\n" + tp + fp + b"-------t1$\r\n",
        "bad continuation flag": send(flag=b"!"),
        "SEND without Message-ID": b"MSRP tid7 SEND\r\n" + tp + fp + b"-------tid7$\r\n",
    }
    fails = []
    for i, g in enumerate(good):
        n, left, errs, _, _ = validate(g, "good")
        if errs or left or n == 0:
            fails.append(f"good stream {i} refused: {errs} left {left}")
    for name, b in bad.items():
        n, left, errs, _, _ = validate(b, "bad")
        if not errs and not left:
            fails.append(f"accepted: {name}")
    print(f"selftest_cases\t{len(good) + len(bad)}")
    print(f"selftest_failures\t{len(fails)}")
    for f in fails:
        print(f"selftest_error\t{f}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap", nargs="?")
    ap.add_argument("--port", type=int)
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    dirs, gaps = payloads(a.pcap, a.port)
    errs = list(gaps)
    c2s = s2c = nreq = nresp = left = 0
    tids = {}  # (stream, srcport) -> set of request tids
    answers = []  # (stream, responder srcport, its peer port, tid, where)
    streams = set()
    for (stream, sport, dport), data in sorted(dirs.items()):
        streams.add(stream)
        where = f"stream {stream} {'c->s' if dport == a.port else 's->c'}"
        n, lo, e, reqs, resps = validate(data, where)
        errs += e
        left += lo
        nreq += n - len(resps)
        nresp += len(resps)
        tids.setdefault((stream, sport), set()).update(reqs)
        answers += [(stream, sport, dport, t, where) for t in resps]
        if dport == a.port:
            c2s += n
        else:
            s2c += n
    for stream, sport, dport, tid, where in answers:
        if tid not in tids.get((stream, dport), set()):
            errs.append(f"{where}: response to tid {tid.decode()} the other side never sent")
    print(f"streams\t{len(streams)}")
    print(f"frames_c2s\t{c2s}")
    print(f"frames_s2c\t{s2c}")
    print(f"requests\t{nreq}")
    print(f"responses\t{nresp}")
    print(f"leftover_bytes\t{left}")
    print(f"gaps\t{len(gaps)}")
    print(f"errors\t{len(errs)}")
    for e in errs:
        print(f"error\t{e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
