#!/usr/bin/env python3
"""t062: notify-then-fetch over HTTP (Kamailio's xhttp, sfwd's sf_http()).

alice (a registered UA of sfwdtest, asking for reports) sends to offline
users: bob a 20 KB image above fetch_threshold, carol (profile "deliver":
"notify") a short text, dave a 2 MB file over an MSRP session, erin a text
with a 3 s lifetime (profile notify). Each registers and gets a notice (a
text MESSAGE naming sender, size and link); the content is fetched with
curl: HEAD and a Range do not count, the first full GET does (the row
goes, alice gets her delivery report), then 404. Wrong, malformed and
expired tokens get 404; 1,000 wrong tokens all 404. One
"ok/FAIL<TAB>name<TAB>detail" line per check (sfwdtest.check)."""

import argparse
import hashlib
import http.client
import os
import re
import subprocess
import sys
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sfwdtest as st  # noqa: E402

A = None
U = "t062"  # the users' prefix (--users)


def sql(q):
    return st.sql_run(A.sql, q)


def register(ua, user):
    return st.register(ua, user, A.domain)


wait = st.wait_until
reports = st.reports


def curl(url, *opts, out=None):
    """(HTTP code, headers text, body bytes) of one curl request"""
    hdr = os.path.join(A.tmp, "h-" + uuid.uuid4().hex[:8])
    body = out or os.path.join(A.tmp, "b-" + uuid.uuid4().hex[:8])
    r = subprocess.run(["curl", "-s", "--max-time", "20", "-D", hdr, "-o", body,
                        "-w", "%{http_code}", *opts, url],
                       capture_output=True, text=True, timeout=30)
    try:
        code = int(r.stdout.strip() or 0)
    except ValueError:
        code = 0
    h = open(hdr, encoding="latin-1").read() if os.path.exists(hdr) else ""
    b = open(body, "rb").read() if os.path.exists(body) else b""
    for f in (hdr, body):
        if f != out and os.path.exists(f):
            os.unlink(f)
    return code, h, b


def header(h, name):
    m = re.search(r"(?im)^" + re.escape(name) + r":\s*(.*?)\s*$", h)
    return m.group(1) if m else None


LINK = re.compile(rb"(http://\S+/m/([0-9a-f]{32}))")


def notice_of(ua, secs=10):
    """the first MESSAGE ua got that names a link: (request, url, token)"""
    def find():
        for r in ua.got("MESSAGE"):
            m = LINK.search(r["body"])
            if m:
                return r, m.group(1).decode(), m.group(2).decode()
        return None
    return wait(find, secs) or (None, None, None)


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--kam-port", type=int, required=True)
    ap.add_argument("--base-port", type=int, required=True)
    ap.add_argument("--http", required=True)  # the links' base
    ap.add_argument("--domain", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--sql", required=True, nargs="+")
    ap.add_argument("--log", required=True)
    ap.add_argument("--users", default="t062")
    A = ap.parse_args()
    global U
    U = A.users
    st.open_log(A.log)
    dom, p = A.domain, A.base_port
    alice = st.UA(p, A.kam_port, name="alice", contact="alice")
    st.check("alice registers -> 200", register(alice, "alice") == 200)
    frm = f'"Alice Älvdal" <sip:alice@{dom}>;tag=' + uuid.uuid4().hex[:8]

    def send(to, ctype, body, subject=None, extra=b""):
        cid = "t062-" + uuid.uuid4().hex[:12]
        extra = b"Request-Disposition: notify\r\n" + extra
        if subject is not None:
            extra += b"Subject: " + subject.encode() + b"\r\n"
        alice.request("MESSAGE", f"sip:{to}@{dom}", frm, f"<sip:{to}@{dom}>", cid, 1,
                      contact=False, extra=extra, body=body, ctype=ctype)
        code, _, _ = alice.final(cid, "MESSAGE", timeout=10)
        return cid, code

    image = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(20 * 1024))
    cb, code = send(U + "bob", "image/png", image, subject="Das Foto")
    st.check("a 20 KB image to bob (offline; above fetch_threshold) -> 202", code == 202, code)
    ctext = "Kurz: Grüße 😀".encode()
    cc, code = send(U + "carol", "text/plain;charset=utf-8", ctext)
    st.check("a short text to carol (offline; profile deliver notify) -> 202", code == 202, code)
    ce, code = send(U + "erin", "text/plain", b"expires soon", extra=b"Expires: 4\r\n")
    st.check("a text with a 4 s lifetime to erin (notify) -> 202", code == 202, code)

    # 2 MB over an MSRP session to dave (offline)
    big = hashlib.sha256(b"t062").digest() * (2 * 1024 * 1024 // 32)
    path_port = p + 5
    our_path = f"msrp://{st.HOST}:{path_port}/{uuid.uuid4().hex[:20]};tcp"
    sdp = st.sdp_offer(path_port, our_path, "application/octet-stream text/plain",
                       origin="t062 1")
    s = st.Dialog(alice, "alice", U + "dave", "alices-secret", sdp,
                  "t062-s-" + uuid.uuid4().hex + "@" + st.HOST, "t062" + uuid.uuid4().hex[:8])
    code = s.invite(timeout=8)
    rc = None
    if code == 200:
        m = st.Msrp(s.path, our_path, mid_prefix="t062-")
        tids = m.send_message(big, "application/octet-stream", 32)
        rc = m.response(tids[-1], 15) if tids else None
        m.close()
        s.bye()
    st.check("2 MB over an MSRP session to dave -> INVITE 200, last chunk 200",
             code == 200 and rc == 200, f"INVITE {code}, SEND {rc}")

    # bob registers: a notice, not the image
    bob = st.UA(p + 1, A.kam_port, name="bob", contact=U + "bob")
    st.check("bob registers -> 200", register(bob, U + "bob") == 200)
    r, url, token = notice_of(bob)
    st.check("bob gets a notice with a link (/m/ and 32 hex digits)", r is not None,
             [x["body"][:80] for x in bob.got("MESSAGE")])
    if r is None:
        return
    body = r["body"].decode("utf-8", "replace")
    st.log("bob's notice:", body)
    st.check("the notice is text/plain", (st.hget(r["hdrs"], "content-type") or b"")
             .lower().startswith(b"text/plain"), st.hget(r["hdrs"], "content-type"))
    st.check("the notice names the sender, subject, size and type",
             "Alice Älvdal" in body and f"sip:alice@{dom}" in body and "Das Foto" in body
             and "20 KB" in body and "image/png" in body, body)
    st.check("the notice comes From alice",
             f"sip:alice@{dom}".encode() in (st.hget(r["hdrs"], "from") or b""),
             st.hget(r["hdrs"], "from"))
    st.check("the link is below http_url", url.startswith(A.http + "/m/"), url)
    st.check("bob got no other MESSAGE (not the image itself)",
             len(bob.got("MESSAGE")) == 1, len(bob.got("MESSAGE")))
    st.check("bob's row waits in state fetch with that token",
             wait(lambda: sql(f"SELECT state FROM sfwd_message WHERE fetch_token = '{token}'")
                  == "fetch", 5), sql(f"SELECT state FROM sfwd_message WHERE call_id = '{cb}'"))
    hc = http.client.HTTPConnection(st.HOST, int(A.http.split(":")[2].split("/")[0]),
                                     timeout=10)
    hc.request("HEAD", url.split(":", 2)[2][url.split(":", 2)[2].index("/"):])
    hr = hc.getresponse()
    hb = hr.read()
    hc.close()
    st.check("HEAD -> 200 with the type, no body", hr.status == 200
             and (hr.getheader("Content-Type") or "").startswith("image/png") and hb == b"",
             f"{hr.status} {hr.getheader('Content-Type')} {len(hb)}")
    code, h, b = curl(url, "-r", "0-99")
    st.check("GET bytes 0-99 -> 206, those 100 bytes",
             code == 206 and b == image[:100]
             and header(h, "Content-Range") == f"bytes 0-99/{len(image)}",
             f"{code} {len(b)} {header(h, 'Content-Range')}")
    st.check("neither HEAD nor the part counted: the row is still there",
             sql(f"SELECT count(*) FROM sfwd_message WHERE call_id = '{cb}'") == "1")
    code, h, b = curl(url)
    st.check("GET -> 200, the original type and exactly the bytes",
             code == 200 and b == image and (header(h, "Content-Type") or "") == "image/png",
             f"{code} {len(b)} {header(h, 'Content-Type')}")
    st.check("the reply says no-store and nosniff",
             header(h, "Cache-Control") == "no-store"
             and header(h, "X-Content-Type-Options") == "nosniff", h[:300])
    st.check("the full GET counted: bob's row is gone",
             wait(lambda: sql(f"SELECT count(*) FROM sfwd_message WHERE call_id = '{cb}'")
                  == "0", 5))
    st.check("alice gets her delivery report for the image",
             any(cb.encode() in x["body"] or b"delivered" in x["body"]
                 for x in reports(alice, "delivered", 1, 10)),
             len(alice.got("MESSAGE")))
    code, h, b = curl(url)
    st.check("the same link again -> 404", code == 404, code)
    # wrong tokens
    wrong = A.http + "/m/" + uuid.uuid4().hex
    code, h, b404 = curl(wrong)
    st.check("a wrong token -> 404", code == 404, code)
    code, h, b = curl(A.http + "/m/" + token.upper())
    st.check("a malformed token (upper case) -> 404, the same body", code == 404 and b == b404,
             f"{code} {b!r}")
    code, h, b = curl(A.http + "/m/../" + token)
    st.check("a path around the token -> 404", code == 404, code)
    code, h, b = curl(url, "-X", "POST")
    st.check("POST on a link -> 405", code == 405, code)

    # carol: deliver notify; her link gives her text, nothing of anyone else
    carol = st.UA(p + 2, A.kam_port, name="carol", contact=U + "carol")
    st.check("carol registers -> 200", register(carol, U + "carol") == 200)
    r, curl_url, ctoken = notice_of(carol)
    st.check("carol gets a notice for her short text", r is not None,
             [x["body"][:80] for x in carol.got("MESSAGE")])
    if r is not None:
        code, h, b = curl(curl_url)
        st.check("carol's link -> her text, exactly, text/plain;charset=utf-8",
                 code == 200 and b == ctext and "charset=utf-8" in (header(h, "Content-Type") or ""),
                 f"{code} {b!r} {header(h, 'Content-Type')}")
        st.check("carol's token is not bob's, and fetches nothing of bob's",
                 ctoken != token and b != image)

    # dave: 2 MB
    dave = st.UA(p + 3, A.kam_port, name="dave", contact=U + "dave")
    st.check("dave registers -> 200", register(dave, U + "dave") == 200)
    r, durl, dtoken = notice_of(dave)
    st.check("dave gets a notice naming 2.0 MB", r is not None and b"2.0 MB" in r["body"],
             r["body"] if r else None)
    if r is not None:
        t = time.time()
        out = os.path.join(A.tmp, "dave.bin")
        code, h, b = curl(durl, out=out)
        ms = (time.time() - t) * 1000
        st.check("GET of the 2 MB -> 200 and the same SHA-256",
                 code == 200 and hashlib.sha256(b).hexdigest() == hashlib.sha256(big).hexdigest(),
                 f"{code} {len(b)} bytes")
        print(f"info 2 MB fetched in {ms:.0f} ms", file=sys.stderr)

    # erin: notified, then expired before the fetch
    erin = st.UA(p + 4, A.kam_port, name="erin", contact=U + "erin")
    st.check("erin registers -> 200", register(erin, U + "erin") == 200)
    r, eurl, etoken = notice_of(erin)
    st.check("erin gets a notice", r is not None)
    if r is not None:
        st.check("erin's row expires (state expired within 15 s)",
                 wait(lambda: sql(f"SELECT state FROM sfwd_message WHERE call_id = '{ce}'")
                      == "expired", 15),
                 sql(f"SELECT state FROM sfwd_message WHERE call_id = '{ce}'"))
        code, h, b = curl(eurl)
        st.check("the expired message's link -> 404, the same body", code == 404 and b == b404,
                 f"{code} {b!r}")
        st.check("alice gets a failure report for erin's text",
                 len(reports(alice, "failed", 1, 10)) >= 1,
                 [x["body"][-120:] for x in alice.got("MESSAGE")])

    # frank (deliver notify) is registered: a live message is stored and
    # he gets the notice at once, not the text
    frank = st.UA(p + 6, A.kam_port, name="frank", contact=U + "frank")
    st.check("frank registers -> 200", register(frank, U + "frank") == 200)
    ftext = "live, but notify".encode()
    cf, code = send(U + "frank", "text/plain", ftext)
    st.check("a text to frank (registered; profile deliver notify) -> 202 (stored)",
             code == 202, code)
    r, furl, _ = notice_of(frank, 5)
    st.check("frank gets a notice within 5 s, not the text",
             r is not None and not any(x["body"] == ftext for x in frank.got("MESSAGE")),
             [x["body"][:60] for x in frank.got("MESSAGE")])
    if r is not None:
        code, h, b = curl(furl)
        st.check("frank's link -> his text", code == 200 and b == ftext, f"{code} {b!r}")

    # a forward to mailto: with no SMTP relay configured (this cfg has
    # none): it waits, and expires at its lifetime like any message
    cg, code = send(U + "gus", "text/plain", b"no relay for this", extra=b"Expires: 3\r\n")
    st.check("a text to gus (offline; forwards to mailto:, no smtp_url) -> 202", code == 202, code)
    st.check("gus's row expires (state expired within 15 s)",
             wait(lambda: sql(f"SELECT state FROM sfwd_message WHERE call_id = '{cg}'")
                  == "expired", 15),
             sql(f"SELECT state FROM sfwd_message WHERE call_id = '{cg}'"))
    st.check("alice gets a failure report for gus's text",
             len(reports(alice, "failed", 2, 10)) >= 2,
             len(reports(alice, "failed", 2, 0)))

    # 1,000 wrong tokens, one connection after the other
    t = time.time()
    urls = [A.http + "/m/" + uuid.uuid4().hex for _ in range(1000)]
    cfg = os.path.join(A.tmp, "urls.cfg")
    with open(cfg, "w") as f:
        for u in urls:
            f.write(f'url = "{u}"\noutput = "/dev/null"\nwrite-out = "%{{http_code}}\\n"\n')
    r = subprocess.run(["curl", "-s", "--max-time", "60", "-K", cfg], capture_output=True,
                       text=True, timeout=120)
    codes = r.stdout.split()
    ms = (time.time() - t) * 1000
    st.check("1,000 wrong tokens -> 1,000 x 404", codes.count("404") == 1000,
             f"{len(codes)} answers, {codes.count('404')} x 404")
    print(f"info 1,000 wrong tokens answered in {ms:.0f} ms", file=sys.stderr)
    for ua in (alice, bob, carol, dave, erin, frank):
        ua.close()


if __name__ == "__main__":
    main()
