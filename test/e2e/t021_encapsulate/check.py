#!/usr/bin/env python3
"""t021_encapsulate: checks of what the client received (argument: the test folder)."""
import re, sys
d = sys.argv[1]

def parts(log):
    """(request, reply body) of the first MESSAGE / 200 in a SIPp log"""
    raw = open(d + "/" + log, "rb").read()
    req = re.search(rb"MESSAGE sip:.*?\r\n\r\n.*?(?=\r?\n?-{20,})", raw, re.S).group(0)
    rep = re.search(rb"SIP/2\.0 200 Encapsulated\r\n(.*?)\r\n\r\n", raw, re.S)
    hdrs = rep.group(1).decode()
    clen = int(re.search(r"Content-Length: *(\d+)", hdrs).group(1))
    body = raw[rep.end():rep.end() + clen]
    return req, body

def frames(blob):
    out = []
    while blob:
        m = re.match(rb"MSRP (\S+) SEND\r\n(.*?)\r\n\r\n", blob, re.S)
        tid = m.group(1)
        end = re.search(rb"\r\n-------" + re.escape(tid) + rb"([$+#])\r\n", blob)
        h = dict(l.split(": ", 1) for l in m.group(2).decode().split("\r\n"))
        out.append((h, blob[m.end():end.start()], end.group(1).decode()))
        blob = blob[end.end():]
    return out

req1, b1 = parts("m1.msg")
f = frames(b1)
h, payload, flag = f[0]
inner_head, _, inner_body = payload.partition(b"\r\n\r\n")
ih = inner_head.decode()
sent_head, _, sent_body = req1.partition(b"\r\n\r\n")
def hv(text, name):
    m = re.search(r"^" + name + r": *(.*)$", text, re.M | re.I)
    return m.group(1).strip() if m else None
sh = sent_head.decode()
print("frames1", len(f))
print("paths", h["To-Path"] == "msrp://127.0.0.1:7654/jshA7we;tcp" and h["From-Path"] == "msrp://127.0.0.1:2855/sfwd;tcp")
print("ctype", h["Content-Type"] == "message/sip")
print("range", h["Byte-Range"] == "1-%d/%d" % (len(payload), len(payload)) and flag == "$")
print("start", ih.split("\r\n")[0].startswith("MESSAGE sip:bob@") )
for n in ("From", "To", "Call-ID", "CSeq", "Subject", "Content-Type"):
    print("keep_" + n, hv(ih, n) == hv(sh, n))
print("date", hv(ih, "Date") is not None)
print("body", inner_body == sent_body)
print("drop", all(hv(ih, n) is None for n in ("Via", "Route", "Authorization", "Max-Forwards")))

_, b2 = parts("m2.msg")
print("sipfrag", frames(b2)[0][0]["Content-Type"] == "message/sipfrag")

_, b3 = parts("m3.msg")
f3 = frames(b3)
total = int(f3[0][0]["Byte-Range"].split("/")[1])
pos, ok = 1, True
for h, c, fl in f3:
    s, e = map(int, h["Byte-Range"].split("/")[0].split("-"))
    ok = ok and s == pos and e - s + 1 == len(c)
    pos = e + 1
print("chunks", len(f3) >= 2 and ok and pos == total + 1 and [x[2] for x in f3] == ["+"] * (len(f3) - 1) + ["$"])
print("same_id", len({x[0]["Message-ID"] for x in f3}) == 1)
