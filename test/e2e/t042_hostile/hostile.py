#!/usr/bin/env python3
"""t042: hostile MESSAGEs to offline users, sent raw (stdlib only).

  hostile.py send  --kam ADDR:PORT --port LOCALPORT --out sent.json
      builds the matrix (items a-k, see README), sends each request over UDP
      (TCP when it is over 1300 bytes), retransmits over UDP (0.5, 1, 2 s)
      until a final reply, at most 8 s each; writes what was sent and the
      final reply of each to sent.json.
  hostile.py check --sent sent.json --db rows.txt --recv recv.jsonl
      compares: the final replies with the expected ones, the rows stored
      before delivery (rows.txt: "aor<TAB>hex(call_id)<TAB>hex(from_tag)<TAB>cseq
      <TAB>state" lines) with the requests that got 2xx, and the requests
      the recipient got (sip_recipient.py log) with those that must be
      delivered; prints one "NAME<TAB>EXPECTED<TAB>GOT" line per check.
"""

import base64
import json
import os
import re
import socket
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sfwdtest  # noqa: E402

UDP_MAX = 1300
COMPACT = {"f": "from", "t": "to", "i": "call-id", "c": "content-type",
           "s": "subject", "e": "content-encoding", "l": "content-length",
           "v": "via", "m": "contact", "y": "identity", "k": "supported"}
# always compared byte for byte in a replay
BASE_HDRS = ["from", "to", "call-id", "cseq", "content-type"]
FORBIDDEN = ["p-asserted-identity", "p-preferred-identity", "identity"]


def b64(b):
    return base64.b64encode(b).decode()


def unb64(s):
    return base64.b64decode(s)


def rnd():
    return os.urandom(6).hex()


# ---------------------------------------------------------------- building

class Req:
    def __init__(self, name, item, user, exp, ruri=None, from_name=None,
                 from_tag=None, to_name=None, call_id=None, cseq=None,
                 ctype=b"text/plain;charset=utf-8", body=None, extra=(),
                 compare=(), absent=(), expires_check=False, deliver=None):
        self.name = name
        self.item = item
        self.user = user
        self.exp = exp
        self.ruri = ruri or ("sip:%s@{kam}" % user).encode()
        self.from_name = from_name
        self.from_tag = from_tag or ("t042-" + rnd()).encode()
        self.to_name = to_name
        self.call_id = call_id or ("t042-%s-%s@127.0.0.1" % (name, rnd())).encode()
        self.cseq = cseq if cseq is not None else b"1"
        self.ctype = ctype
        self.body = body if body is not None else (
            "t042 %s: caf\u00e9" % name).encode()
        self.extra = list(extra)
        self.compare = list(compare)
        self.absent = list(absent)
        self.expires_check = expires_check
        self.deliver = (exp // 100 == 2) if deliver is None else deliver
        self.branch = ("z9hG4bK-t042-" + rnd()).encode()
        self.raw = None
        self.proto = None
        self.hdrs = {}

    def build(self, kam, via_sentby, proto):
        ruri = self.ruri.replace(b"{kam}", kam.encode())
        frm = ((b'"' + self.from_name + b'" ') if self.from_name else b"") \
            + b"<sip:alice@127.0.0.1>;tag=" + self.from_tag
        to = ((b'"' + self.to_name + b'" ') if self.to_name else b"") \
            + b"<" + ruri.split(b";")[0].replace(b":" + kam.split(":")[1].encode(), b"") + b">"
        lines = [b"MESSAGE " + ruri + b" SIP/2.0",
                 b"Via: SIP/2.0/" + proto.upper().encode() + b" " + via_sentby.encode()
                 + b";rport;branch=" + self.branch,
                 b"Max-Forwards: 70",
                 b"From: " + frm,
                 b"To: " + to,
                 b"Call-ID: " + self.call_id,
                 b"CSeq: " + self.cseq + b" MESSAGE"]
        lines += self.extra
        lines += [b"Content-Type: " + self.ctype,
                  b"Content-Length: " + str(len(self.body)).encode()]
        self.raw = b"\r\n".join(lines) + b"\r\n\r\n" + self.body
        self.proto = proto
        self.hdrs = {"from": [frm], "to": [to], "call-id": [self.call_id],
                     "cseq": [self.cseq + b" MESSAGE"],
                     "content-type": [self.ctype]}
        for ln in self.extra:
            n, v = ln.split(b":", 1)
            self.hdrs.setdefault(n.decode().strip().lower(), []).append(v.strip())
        return self.raw

    def size_estimate(self, kam):
        self.build(kam, "127.0.0.1:65535", "udp")
        return len(self.raw)


def utf8_name(n):
    """n bytes of valid UTF-8 (2-byte characters, ASCII to fill)"""
    unit = "\u00e4\u00f6\u00fc\u00df \u00c9t\u00e9 "  # mixed 1/2-byte chars
    s = ""
    while len((s + unit).encode()) <= n:
        s += unit
    s += "x" * (n - len(s.encode()))
    assert len(s.encode()) == n
    return s.encode()


def matrix():
    """[(group, [Req...])]: the requests of a group go out together (a
    burst), groups one after the other."""
    G = []
    # a) one Expires: 2592000 and sixty Expires: 1
    G.append(("a", [Req("a-expires61", "a", "bob", 202,
                        extra=[b"Expires: 2592000"] + [b"Expires: 1"] * 60,
                        expires_check=True)]))
    # b) a 2,000-byte quoted From display name, valid UTF-8
    G.append(("b", [Req("b-fromname2k", "b", "bob", 202,
                        from_name=utf8_name(2000))]))
    # c, d, e) one bad request in a 20 ms burst of 20 good ones to bob
    for item, bad in (
            # a To display name that is not UTF-8 (sip:%FF@ names no
            # subscriber: the example cfg answers 404 before the store)
            ("c", Req("c-toname-ff", "c", "bob", 400,
                      to_name=b"B\xffb")),
            ("d", Req("d-fromtag-ff", "d", "bob", 400,
                      from_tag=b"t042-\xff-" + rnd().encode())),
            ("e", Req("e-subject-ff", "e", "bob", 400,
                      extra=[b"Subject: caf\xff"]))):
        good = [Req("%s-good%02d" % (item, i), item, "bob", 202)
                for i in range(20)]
        G.append((item, good[:10] + [bad] + good[10:]))
    # f) the same Call-ID, From tag and CSeq to bob and to carol; the bob
    # one sent again (the same bytes)
    cid = ("t042-f-%s@127.0.0.1" % rnd()).encode()
    tag = ("t042-f-" + rnd()).encode()
    fb = Req("f-bob", "f", "bob", 202, call_id=cid, from_tag=tag, cseq=b"7")
    fc = Req("f-carol", "f", "carol", 202, call_id=cid, from_tag=tag,
             cseq=b"7")
    G.append(("f1", [fb]))
    G.append(("f2", [fc]))
    G.append(("f3", ["resend", fb]))
    # g) identity headers from an untrusted sender
    G.append(("g", [Req("g-identity", "g", "bob", 202, extra=[
        b"P-Asserted-Identity: \"The Bank\" <sip:bank@127.0.0.1>",
        b"P-Preferred-Identity: <sip:ceo@127.0.0.1>",
        b"Identity: eyJhbGciOiJFUzI1NiJ9.eyJvcmlnIjp7fX0.c2lnbmF0dXJl"
        b";info=<https://cert.example.org/a.cer>;alg=ES256;ppt=shaken"],
        absent=FORBIDDEN)]))
    # h) the largest CSeq
    G.append(("h", [Req("h-cseq-max", "h", "bob", 202, cseq=b"4294967295")]))
    # i) deflate-encoded German text
    text = ("Gr\u00fc\u00dfe aus M\u00fcnchen! " * 20).encode()
    dbody = zlib.compress(text, 9)
    G.append(("i", [Req("i-deflate", "i", "bob", 202,
                        ctype=b"text/plain;charset=utf-8", body=dbody,
                        extra=[b"Content-Encoding: deflate",
                               b"Content-Language: de"],
                        compare=["content-encoding", "content-language"])]))
    # j) deflated message/cpim
    cpim = (b"From: <sip:alice@127.0.0.1>\r\nTo: <sip:bob@127.0.0.1>\r\n"
            b"DateTime: 2026-01-01T12:00:00Z\r\n\r\n"
            b"Content-Type: text/plain;charset=utf-8\r\n\r\n"
            + ("cpim caf\u00e9 " * 30).encode())
    G.append(("j", [Req("j-cpim-deflate", "j", "bob", 202,
                        ctype=b"message/cpim", body=zlib.compress(cpim, 9),
                        extra=[b"Content-Encoding: deflate"],
                        compare=["content-encoding"])]))
    # k) NUL bytes and invalid UTF-8 in bodies; 60 Subjects; a 2 KB To
    # display name; a 900-byte Call-ID
    nulbody = b"t042 k \x00 nul \x00\x00 and invalid utf-8 \xff\xfe\xc3\x28 " \
              b"\xed\xa0\x80 end\x00"
    octets = bytes(range(256)) * 2
    subjects = [("Subject: number %02d \u00fcber" % i).encode()
                for i in range(60)]
    G.append(("k", [
        Req("k-text-nul", "k", "bob", 202, ctype=b"text/plain",
            body=nulbody),
        Req("k-octets", "k", "bob", 202,
            ctype=b"application/octet-stream", body=octets),
        Req("k-subject60", "k", "bob", 202, extra=subjects,
            compare=["subject"]),
        Req("k-toname2k", "k", "bob", 202, to_name=utf8_name(2048)),
        Req("k-callid900", "k", "bob", 202, call_id=(
            "t042-k-callid900-" + rnd() + "-").encode().ljust(884, b"x")
            + b"@127.0.0.1.x.y"),
    ]))
    return G


# ----------------------------------------------------------------- sending

class Sender:
    def __init__(self, kam, port):
        self.kam = kam
        host, p = kam.split(":")
        self.dst = (host, int(p))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", port))
        self.port = port
        self.replies = {}  # branch -> (code, first line)
        self.cv = threading.Condition()
        threading.Thread(target=self.udp_rx, daemon=True).start()

    def got(self, raw):
        head = raw.split(b"\r\n\r\n", 1)[0]
        lines = head.split(b"\r\n")
        m = re.match(rb"SIP/2\.0 (\d{3})", lines[0])
        if not m:
            return
        code = int(m.group(1))
        if code < 200:
            return
        for ln in lines[1:]:
            n = ln.split(b":", 1)[0].strip().lower()
            if n in (b"via", b"v"):
                bm = re.search(rb"branch=([^;, ]+)", ln)
                if bm:
                    with self.cv:
                        self.replies.setdefault(bm.group(1), (code, lines[0]))
                        self.cv.notify_all()
                break

    def udp_rx(self):
        while True:
            try:
                raw, _ = self.udp.recvfrom(65536)
            except OSError:
                return
            self.got(raw)

    def tcp_send(self, raw_builder, req):
        s = socket.create_connection(self.dst, timeout=10)
        raw = raw_builder("127.0.0.1:%d" % s.getsockname()[1], "tcp")
        s.sendall(raw)

        def rx():
            buf = b""
            deadline = time.time() + 10
            try:
                while time.time() < deadline:
                    d = s.recv(65536)
                    if not d:
                        break
                    buf += d
                    while b"\r\n\r\n" in buf:
                        head, rest = buf.split(b"\r\n\r\n", 1)
                        m = re.search(rb"\r\n(?:content-length|l)\s*:\s*(\d+)",
                                      head, re.I)
                        n = int(m.group(1)) if m else 0
                        if len(rest) < n:
                            break
                        self.got(head + b"\r\n\r\n" + rest[:n])
                        buf = rest[n:]
                        with self.cv:
                            if req.branch in self.replies:
                                return
            except OSError:
                pass
            finally:
                s.close()
        threading.Thread(target=rx, daemon=True).start()

    def send_group(self, reqs, resend=False):
        """send the requests back to back, then wait (bounded) for their
        final replies, retransmitting over UDP"""
        udp_reqs = []
        t_first = time.time()
        for r in reqs:
            if resend:
                # the same bytes again
                with self.cv:
                    self.replies.pop(r.branch, None)
                if r.proto == "udp":
                    self.udp.sendto(r.raw, self.dst)
                    udp_reqs.append(r)
                else:
                    self.tcp_send(lambda sb, pr, r=r: r.raw, r)
                continue
            if r.size_estimate(self.kam) > UDP_MAX:
                self.tcp_send(lambda sb, pr, r=r: r.build(self.kam, sb, pr), r)
            else:
                r.build(self.kam, "127.0.0.1:%d" % self.port, "udp")
                self.udp.sendto(r.raw, self.dst)
                udp_reqs.append(r)
        t0 = time.time()
        self.spread_ms = (t0 - t_first) * 1000
        nxt, step = 0.5, 0.5
        while True:
            with self.cv:
                missing = [r for r in reqs if r.branch not in self.replies]
                if not missing or time.time() - t0 > 8:
                    return
                self.cv.wait(0.05)
            if time.time() - t0 >= nxt:
                for r in missing:
                    if r in udp_reqs:
                        self.udp.sendto(r.raw, self.dst)
                step = min(step * 2, 4)
                nxt += step


def cmd_send(a):
    snd = Sender(a.kam, a.port)
    out = []
    t_start = time.time()
    only = set(a.only.split(",")) if a.only else None
    for group, reqs in matrix():
        if only is not None and group[0] not in only:
            continue
        resend = reqs[0] == "resend"
        if resend:
            reqs = reqs[1:]
        t0 = time.time()
        snd.send_group(reqs, resend)
        burst_ms = (time.time() - t0) * 1000
        for r in reqs:
            code = snd.replies.get(r.branch, (None, b""))
            out.append({
                "name": r.name + ("-resend" if resend else ""),
                "item": r.item, "group": group, "user": r.user,
                "resend": resend, "exp": r.exp, "deliver": r.deliver
                and not resend, "proto": r.proto, "size": len(r.raw),
                "code": code[0], "status": code[1].decode("latin-1"),
                "call_id": b64(r.call_id), "from_tag": b64(r.from_tag),
                "cseq": r.cseq.decode(), "body": b64(r.body),
                "hdrs": {k: [b64(v) for v in vs] for k, vs in r.hdrs.items()},
                "compare": BASE_HDRS + r.compare, "absent": r.absent,
                "expires_check": r.expires_check,
                "spread_ms": snd.spread_ms})
        print("t042 sent %-3s %2d request(s): %s" % (
            group, len(reqs), " ".join(
                "%s=%s" % (r.name, snd.replies.get(r.branch, ("none",))[0])
                for r in reqs)), file=sys.stderr)
    with open(a.out, "w") as f:
        json.dump({"requests": out, "seconds": time.time() - t_start}, f)
    return 0


# ---------------------------------------------------------------- checking

def parse_sip(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    hdrs = []
    for ln in lines[1:]:
        if ln[:1] in (b" ", b"\t") and hdrs:
            hdrs[-1] = (hdrs[-1][0], hdrs[-1][1] + b" " + ln.strip())
            continue
        if b":" not in ln:
            continue
        n, v = ln.split(b":", 1)
        n = n.strip().decode("latin-1").lower()
        n = COMPACT.get(n, n)
        hdrs.append((n, v.strip()))
    cl = [v for n, v in hdrs if n == "content-length"]
    if cl:
        try:
            body = body[:int(cl[0])]
        except ValueError:
            pass
    return lines[0], hdrs, body


def values(hdrs, name):
    return [v for n, v in hdrs if n == name]


def uri_user(first_line):
    m = re.match(rb"\S+ sips?:([^@;>]*)@", first_line)
    return m.group(1).decode("latin-1") if m else "?"


def tag_of(frm):
    m = re.search(rb";\s*tag=([^;]+)", frm or b"", re.I)
    return m.group(1) if m else b""


def cmd_check(a):
    sent = json.load(open(a.sent))["requests"]
    out = []

    def chk(name, exp, got):
        out.append("%s\t%s\t%s" % (name, exp, got))

    # rows stored before delivery: aor, call_id, from_tag, cseq, state
    rows = []
    for ln in open(a.db, "rb").read().split(b"\n"):
        if not ln.strip():
            continue
        f = ln.split(b"\t")
        rows.append((f[0].split(b"@")[0].decode("latin-1"),
                     bytes.fromhex(f[1].decode()), bytes.fromhex(f[2].decode()),
                     f[3].decode(),
                     f[4].decode()))

    def cseq_forms(c):
        # as stored in an integer column (wrapped) or a bigint one
        n = int(c)
        return {c, str(n - (1 << 32))} if n >= 1 << 31 else {c}

    def rows_for(r):
        return [x for x in rows if x[0] == r["user"]
                and x[1] == unb64(r["call_id"])
                and x[2] == unb64(r["from_tag"])
                and x[3] in cseq_forms(r["cseq"])]

    # replays the recipient got: (user, call_id, from_tag, cseq) -> list
    recv = {}
    unmatched = 0
    keys = {}
    for r in sent:
        keys[(r["user"], unb64(r["call_id"]), unb64(r["from_tag"]),
              r["cseq"])] = r
    for ln in open(a.recv):
        if not ln.strip():
            continue
        raw = unb64(json.loads(ln)["raw"])
        first, hdrs, body = parse_sip(raw)
        if not first.startswith(b"MESSAGE "):
            continue
        cs = values(hdrs, "cseq")
        k = (uri_user(first), (values(hdrs, "call-id") or [b""])[0],
             tag_of((values(hdrs, "from") or [b""])[0]),
             cs[0].split()[0].decode("latin-1") if cs else "")
        if k not in keys:
            unmatched += 1
            continue
        vias = values(hdrs, "via")
        br = re.search(rb"branch=([^;, ]+)", vias[0]).group(1) if vias else b""
        recv.setdefault(k, {})[br] = (first, hdrs, body)

    def key(r):
        return (r["user"], unb64(r["call_id"]), unb64(r["from_tag"]),
                r["cseq"])

    def replay_problems(r):
        """why the replay of r is not exactly once and byte-exact ("" ok)"""
        got = recv.get(key(r), {})
        if len(got) != 1:
            return "delivered %d times" % len(got)
        first, hdrs, body = list(got.values())[0]
        bad = []
        if body != unb64(r["body"]):
            bad.append("body (%d bytes, sent %d)" % (len(body),
                                                      len(unb64(r["body"]))))
        for h in r["compare"]:
            want = [unb64(v) for v in r["hdrs"].get(h, [])]
            have = values(hdrs, h)
            if have != want:
                bad.append("%s (%d value(s), first %r)" % (
                    h, len(have), have[0][:60] if have else b""))
        for h in r["absent"]:
            if values(hdrs, h):
                bad.append("%s present" % h)
        if r["expires_check"]:
            ex = values(hdrs, "expires")
            ok = len(ex) == 1 and ex[0].isdigit() and \
                2592000 - 600 <= int(ex[0]) <= 2592000
            if not ok:
                bad.append("Expires %r" % ex)
        return "; ".join(bad)

    items = sorted({r["item"] for r in sent})
    for it in items:
        rs = [r for r in sent if r["item"] == it]
        # replies: expected vs got, per request (compact when many)
        exp = " ".join("%s=%s" % (r["name"], r["exp"]) for r in rs)
        got = " ".join("%s=%s" % (r["name"], r["code"]) for r in rs)
        if len(rs) > 4:
            def summ(field):
                c = {}
                for r in rs:
                    c.setdefault(r[field], []).append(r["name"])
                return ", ".join("%s x%d%s" % (
                    k, len(v), "" if len(v) > 3 else " (%s)" % " ".join(v))
                    for k, v in sorted(c.items(), key=lambda x: str(x[0])))
            exp, got = summ("exp"), summ("code")
        chk("%s: final replies" % it, exp, got)
        if len(rs) > 4 and it in "cde":
            chk("%s: the burst of %d left within 20 ms" % (it, len(rs)),
                "yes", "yes" if rs[0]["spread_ms"] <= 20 else
                "no (%.1f ms)" % rs[0]["spread_ms"])
        # stored before delivery: one row per request that must be stored
        st_exp = " ".join("%s=%d" % (r["name"], 1 if r["exp"] // 100 == 2
                                      else 0) for r in rs if not r["resend"])
        st_got = " ".join("%s=%d" % (r["name"], len(rows_for(r)))
                          for r in rs if not r["resend"])
        if len(rs) > 4:
            n_exp = sum(1 for r in rs if r["exp"] // 100 == 2)
            st_exp = "%d rows, none for the bad one" % n_exp
            good_rows = sum(min(len(rows_for(r)), 1) for r in rs
                            if r["exp"] // 100 == 2)
            bad_rows = sum(len(rows_for(r)) for r in rs
                           if r["exp"] // 100 != 2)
            st_got = "%d rows, %s" % (good_rows, "none for the bad one"
                                      if bad_rows == 0 else
                                      "%d for the bad one" % bad_rows)
        chk("%s: stored while offline" % it, st_exp, st_got)
        # delivered exactly once and byte-exact
        dl = [r for r in rs if r["deliver"]]
        probs = ["%s: %s" % (r["name"], p) for r in dl
                 for p in [replay_problems(r)] if p]
        chk("%s: each delivered exactly once, byte-exact" % it,
            "%d ok" % len(dl), "%d ok%s" % (len(dl) - len(probs), (
                "; " + " | ".join(probs)[:1500]) if probs else ""))
        nd = [r for r in rs if not r["deliver"] and not r["resend"]]
        if nd:
            chk("%s: the refused one(s) not delivered" % it, 0,
                sum(len(recv.get(key(r), {})) for r in nd))
    # f: two rows (bob, carol), one row for bob after the re-send
    fb = ([r for r in sent if r["name"] == "f-bob"] or [None])[0]
    if fb:
        chk("f: rows for the shared Call-ID/From tag/CSeq (bob, carol)",
            "bob=1 carol=1", "bob=%d carol=%d" % (
                sum(1 for x in rows if x[0] == "bob"
                    and x[1] == unb64(fb["call_id"])),
                sum(1 for x in rows if x[0] == "carol"
                    and x[1] == unb64(fb["call_id"]))))

    # across the matrix
    ok2 = [r for r in sent if r["code"] is not None and r["code"] // 100 == 2
           and not r["resend"]]
    probs = [r["name"] for r in ok2 if replay_problems(r)]
    chk("all: every request that got 2xx delivered exactly once, byte-exact",
        "0 not", "%d not%s" % (len(probs), (" (" + " ".join(probs)[:600] + ")")
                               if probs else ""))
    bad = [r for r in sent if r["code"] is None or r["code"] // 100 != 2]
    # a refused request's row, under whatever AoR it may have been stored
    stored_bad = [r["name"] for r in bad
                  if [x for x in rows if x[1] == unb64(r["call_id"])
                      and x[2] == unb64(r["from_tag"])] or recv.get(key(r))]
    chk("all: nothing with a non-2xx reply stored or delivered", "0",
        "%d%s" % (len(stored_bad), (" (" + " ".join(stored_bad)[:600] + ")")
                  if stored_bad else ""))
    ok_keys = set()
    for r in ok2:
        for c in cseq_forms(r["cseq"]):
            ok_keys.add((r["user"], unb64(r["call_id"]),
                         unb64(r["from_tag"]), c))
    stray = [x for x in rows if x[:4] not in ok_keys]
    chk("all: rows that match no request with a 2xx reply", 0, len(stray))
    chk("all: replays that match no request", 0, unmatched)
    print("\n".join(out))
    return 0


def main():
    a = sfwdtest.send_check_args(
        send=[("--only", dict(default="",
                              help="comma-separated items (a,b,...): only these"))],
        check=[("--db", dict(required=True))])
    return cmd_send(a) if a.cmd == "send" else cmd_check(a)


if __name__ == "__main__":
    sys.exit(main())
