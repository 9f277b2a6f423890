#!/usr/bin/env python3
"""t043: one ~100 KB MESSAGE (over TCP) and two small ones (over UDP) to
offline bob, and what bob's recipient got (stdlib only; the raw sender of
t042_hostile/hostile.py).

  big.py send  --kam ADDR:PORT --port LOCALPORT --out sent.json --tag A
      sends them one after the other, each after the final reply of the
      one before; sent.json: name, Call-ID, final reply, body
  big.py check --sent sent.json --recv recv.jsonl --t0 MS --case A|B
      prints "NAME<TAB>EXPECTED<TAB>GOT" lines: per request the transport
      and count of deliveries, the order, and the time from t0 (epoch ms,
      when bob registered)
"""

import base64
import json
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(_here, ".."), os.path.join(_here, "..", "t042_hostile")]
import hostile  # noqa: E402
import sfwdtest  # noqa: E402

BIG = 100 * 1024


def cmd_send(a):
    snd = hostile.Sender(a.kam, a.port)
    # binary, every byte value, not compressible into anything small
    big_body = (bytes(range(256)) + os.urandom(256)) * (BIG // 512)
    reqs = [hostile.Req("big", "big", "bob", 202,
                        ctype=b"application/octet-stream", body=big_body),
            hostile.Req("small1", "small", "bob", 202),
            hostile.Req("small2", "small", "bob", 202)]
    out = []
    for r in reqs:
        r.call_id = ("t043-%s-%s-%s@127.0.0.1" % (a.tag, r.name,
                                                  hostile.rnd())).encode()
        snd.send_group([r])
        code = snd.replies.get(r.branch, (None, b""))[0]
        out.append({"name": r.name, "call_id": r.call_id.decode(),
                    "proto": r.proto, "size": len(r.raw), "code": code,
                    "body": hostile.b64(r.body)})
        print("t043 sent %s (%d bytes over %s): %s" % (
            r.name, len(r.raw), r.proto, code), file=sys.stderr)
    json.dump(out, open(a.out, "w"))
    return 0


def cmd_check(a):
    sent = json.load(open(a.sent))
    got = {}  # call_id -> {branch: (t, proto, body)}
    for ln in open(a.recv):
        if not ln.strip():
            continue
        j = json.loads(ln)
        raw = base64.b64decode(j["raw"])
        first, hdrs, body = hostile.parse_sip(raw)
        if not first.startswith(b"MESSAGE "):
            continue
        cid = (hostile.values(hdrs, "call-id") or [b""])[0].decode("latin-1")
        vias = hostile.values(hdrs, "via")
        br = vias[0].split(b"branch=")[-1] if vias else b""
        got.setdefault(cid, {}).setdefault(br, (j["t"], j["proto"], body))
    out = []

    def chk(name, exp, g):
        out.append("%s\t%s\t%s" % (name, exp, g))

    c = a.case
    for r in sent:
        chk("%s: %s -> 202" % (c, r["name"]), 202, r["code"])
    big, s1, s2 = sent
    for r in ([big, s1, s2] if c == "A" else [s1, s2]):
        d = list(got.get(r["call_id"], {}).values())
        want_proto = "tcp" if r is big else "udp"
        chk("%s: %s delivered once, over %s, byte-exact" % (
            c, r["name"], want_proto.upper()), "1 %s ok" % want_proto,
            "%d %s %s" % (len(d), ",".join(x[1] for x in d) or "-",
                          "ok" if d and all(x[2] == base64.b64decode(
                              r["body"]) for x in d) else "body differs"
                          if d else "-"))
        ms = (min(x[0] for x in d) * 1000 - a.t0) if d else None
        limit = 10000 if c == "A" else 1500
        chk("%s: %s delivered within %d ms of the registration" % (
            c, r["name"], limit), "yes",
            "yes" if ms is not None and ms <= limit else
            ("no (%.0f ms)" % ms if ms is not None else "no (never)"))
    if c == "A":
        order = sorted((min(x[0] for x in got[r["call_id"]].values()),
                        r["name"]) for r in sent if got.get(r["call_id"]))
        chk("A: delivered in arrival order", "big small1 small2",
            " ".join(n for _, n in order))
    else:
        chk("B: big never delivered (nothing listens on TCP)", 0,
            len(got.get(big["call_id"], {})))
    print("\n".join(out))
    return 0


def main():
    a = sfwdtest.send_check_args(
        send=[("--tag", dict(required=True))],
        check=[("--t0", dict(type=float, required=True)),
               ("--case", dict(choices=["A", "B"], required=True))])
    return cmd_send(a) if a.cmd == "send" else cmd_check(a)


if __name__ == "__main__":
    sys.exit(main())
