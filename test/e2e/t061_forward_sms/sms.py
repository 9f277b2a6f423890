#!/usr/bin/env python3
"""t061: SMS forwarding through a real Kannel (bearerbox, smsbox, fakesmsc
on loopback).

alice (registered, a UA of sfwdtest) sends MESSAGEs asking for reports to
bob, who is offline and whose profile forwards to sms:+4917012345678; what
the fake SMSC got is read from its capture (fakesmsc_decode.py: URL
decoding, UCS-2, concatenated parts joined). Kannel's delivery reports
come to sfwd's HTTP port (xhttp, sf_http). Kannel is stopped and started
by --kannel-stop/--kannel-start, the fake SMSC alone by --smsc-stop/
--smsc-start, the database read with --sql (a command taking one SQL
statement). One "ok/FAIL<TAB>name<TAB>detail" line per check
(sfwdtest.check)."""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import sfwdtest as st  # noqa: E402

BOB = "+4917012345678"
DAVE = "+4917012345679"
# over SMPP (Kannel routes +4916... to smpp_sim.py); the simulator answers by
# the last 4 digits
ERIN = "+491601110002"   # receipt stat:UNDELIV -> DLR 2
FRANK = "+491601110016"  # submit_sm_resp 0x0B -> DLR 16
GINA = "+491601110001"   # receipt stat:DELIVRD -> DLR 1
HANK = "+491601110004"   # stat:ENROUTE (DLR 4), 3 s later stat:DELIVRD (DLR 1)


def smsc(a):
    """the logical messages the fake SMSC got (parts joined), in order"""
    r = subprocess.run([sys.executable, os.path.join(HERE, "..", "fakesmsc_decode.py"),
                        os.path.join(a.kannel_dir, "fakesmsc.out")],
                       capture_output=True, text=True, timeout=30)
    return [json.loads(x) for x in r.stdout.splitlines() if x.strip()]


def wait_sms(a, pred, secs):
    """the first message the fake SMSC got for which pred is true"""
    end = time.time() + secs
    while True:
        for m in smsc(a):
            if pred(m) and not m.get("missing"):
                return m
        if time.time() >= end:
            return None
        time.sleep(0.2)


def lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def wait_line(path, pred, secs, after=-1):
    """(index, line) of the first line after index `after` of the file for
    which pred is true, waited for; (None, None)"""
    end = time.time() + secs
    while True:
        for i, x in enumerate(lines(path)):
            if i > after and pred(x):
                return i, x
        if time.time() >= end:
            return None, None
        time.sleep(0.1)


def sim_submit(a, num, secs):
    """(index, fields) of the SMPP simulator's last SUBMIT to num ("+..."),
    waited for; fields: id, to, sm (text, hex-decoded), ..."""
    path = os.path.join(a.kannel_dir, "smppsim.log")
    want = " to=" + num.lstrip("+") + " "
    i, _ = wait_line(path, lambda x: " SUBMIT " in x and want in x, secs)
    if i is None:
        return None, None
    ls = lines(path)
    i = max(k for k, x in enumerate(ls) if " SUBMIT " in x and want in x)
    f = dict(kv.split("=", 1) for kv in ls[i].split()[2:])
    f["text"] = bytes.fromhex(f.get("sm", "")).decode("latin-1")
    return i, f


def sim_submits(a):
    return [x for x in lines(os.path.join(a.kannel_dir, "smppsim.log")) if " SUBMIT " in x]


def sql(a, q):
    return st.sql_run(a.sql, q)


def wait_sql(a, q, want, secs):
    return st.wait_sql(a.sql, q, want, secs)


reports = st.reports


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kam-port", type=int, required=True)
    ap.add_argument("--alice-port", type=int, required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--kannel-dir", required=True)
    ap.add_argument("--kannel-stop", required=True)
    ap.add_argument("--kannel-start", required=True)
    ap.add_argument("--smsc-stop", required=True)
    ap.add_argument("--smsc-start", required=True)
    ap.add_argument("--sql", required=True, nargs="+")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    st.open_log(a.log)
    dom = a.domain
    alice = st.UA(a.alice_port, a.kam_port, name="alice", contact="alice")
    frm = f'"Alice" <sip:alice@{dom}>;tag=' + uuid.uuid4().hex[:8]

    cid = "t061-reg-" + uuid.uuid4().hex[:8]
    alice.request("REGISTER", f"sip:{dom}", f"<sip:alice@{dom}>;tag=r1", f"<sip:alice@{dom}>",
                  cid, 1, extra=b"Expires: 600\r\n")
    code, _, _ = alice.final(cid, "REGISTER")
    st.check("alice registers -> 200", code == 200, code)

    def send(to, ctype, body, sender=None, notify=True):
        cid = "t061-" + uuid.uuid4().hex[:12]
        extra = b"Request-Disposition: notify\r\n" if notify else b""
        alice.request("MESSAGE", f"sip:{to}@{dom}", sender or frm, f"<sip:{to}@{dom}>", cid, 1,
                      contact=False, extra=extra, body=body, ctype=ctype)
        code, _, _ = alice.final(cid, "MESSAGE", timeout=10)
        return cid, code

    def row(cid, cols):
        return sql(a, f"SELECT {cols} FROM sfwd_message WHERE call_id = '{cid}'")

    def gone(cid):
        return wait_sql(a, f"SELECT count(*) FROM sfwd_message WHERE call_id = '{cid}'", "0", 10)

    delivered = 0

    # a plain text: the text itself, 7-bit; Kannel's DLR ends the row
    c1, code = send("t061bob", "text/plain; charset=utf-8", b"Hello from SIP")
    st.check("Hello from SIP to bob (offline, forwards to sms:) -> 202", code == 202, code)
    m = wait_sms(a, lambda m: m.get("text") == "Hello from SIP", 15)
    st.check("the fake SMSC gets exactly 'Hello from SIP', 7-bit",
             m is not None and m["coding"] == 0, m or [x.get("text") for x in smsc(a)])
    st.check("it goes to +4917012345678, from 'sfwd' (alice's URI has no +number)",
             m is not None and m["to"] == BOB and m["from"] == "sfwd", m)
    delivered += 1
    st.check("Kannel's DLR reaches sfwd: alice gets a delivery report",
             len(reports(alice, "delivered", delivered, 10)) == delivered,
             len(reports(alice, "delivered", 0, 0)))
    st.check("the DLR ends the row (gone)", gone(c1) == "0", row(c1, "state"))

    # non-GSM text: UCS-2, exactly
    uni = "Grüße ☃ 你好"
    c2, code = send("t061bob", "text/plain; charset=utf-8", uni.encode())
    st.check("a text with non-GSM characters -> 202", code == 202, code)
    m = wait_sms(a, lambda m: m.get("text") == uni, 15)
    st.check("it arrives exactly, as UCS-2", m is not None and m["coding"] == 2,
             m or [x.get("text") for x in smsc(a)][-3:])

    # 400 characters: concatenated parts, reassembled equal
    long_text = " ".join(f"word{i:03d}" for i in range(50))[:400]
    long_text = long_text + "x" * (400 - len(long_text))
    c3, code = send("t061bob", "text/plain", long_text.encode())
    st.check("a 400-character text -> 202", code == 202, code)
    m = wait_sms(a, lambda m: m.get("text") == long_text, 15)
    st.check("it arrives as one text equal to the original", m is not None,
             [x.get("text", "")[:20] for x in smsc(a)][-3:])
    st.check("in 3 concatenated parts (153+153+94)", m is not None and m["parts"] == 3,
             m and m["parts"])
    delivered += 2
    st.check("alice gets the delivery reports of both (DLRs)",
             len(reports(alice, "delivered", delivered, 10)) == delivered,
             len(reports(alice, "delivered", 0, 0)))
    st.check("both rows are gone", gone(c2) == "0" and gone(c3) == "0")

    # an image: a notice with a link; the GET of the link delivers it
    image = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(5 * 1024))
    c4, code = send("t061bob", "image/png", image)
    st.check("a 5 KB image/png to bob -> 202", code == 202, code)
    link_re = re.escape(a.http) + r"/m/([0-9a-f]{32})$"
    m = wait_sms(a, lambda m: re.search(link_re, m.get("text", "")) is not None, 15)
    text = m["text"] if m else ""
    st.check("the SMS is a notice naming alice, the size, the type",
             "Alice" in text and f"sip:alice@{dom}" in text and "5 KB" in text
             and "image/png" in text, text)
    tok = re.search(link_re, text)
    tok = tok.group(1) if tok else "none"
    st.check("... with a link <http_url>/m/<32 hex>", tok != "none", text)
    st.check("the row waits in state fetch with the link's token",
             wait_sql(a, f"SELECT state || ' ' || fetch_token FROM sfwd_message"
                      f" WHERE call_id = '{c4}'", "fetch " + tok, 5) == "fetch " + tok,
             row(c4, "state, fetch_token"))
    try:
        with urllib.request.urlopen(a.http + "/m/" + tok, timeout=10) as r:
            got = r.read()
    except Exception as e:  # noqa: BLE001 - any failure is the check's detail
        got = repr(e).encode()
    st.check("the link gives the same 5 KB", got == image, len(got))
    delivered += 1
    st.check("fetched: the row is gone, alice gets a delivery report",
             gone(c4) == "0" and len(reports(alice, "delivered", delivered, 10)) == delivered,
             (row(c4, "state"), len(reports(alice, "delivered", 0, 0))))

    # message/cpim with a plain text inside: the inner text
    cpim = (f"From: <sip:alice@{dom}>\r\nTo: <sip:t061bob@{dom}>\r\n"
            "DateTime: 2026-12-01T10:00:00Z\r\n\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Hallo aus CPIM").encode()
    c9, code = send("t061bob", "message/cpim", cpim)
    st.check("a message/cpim with text/plain inside -> 202", code == 202, code)
    m = wait_sms(a, lambda m: m.get("text") == "Hallo aus CPIM", 15)
    st.check("its SMS is the inner text exactly", m is not None,
             [x.get("text", "")[:24] for x in smsc(a)][-3:])
    delivered += 1
    st.check("its DLR: the row is gone, alice gets a delivery report",
             gone(c9) == "0" and len(reports(alice, "delivered", delivered, 10)) == delivered,
             (row(c9, "state"), len(reports(alice, "delivered", 0, 0))))

    # text beyond 10 parts, and a recipient who wants notices: a notice
    too_long = ("0123456789" * 200).encode()
    c10, code = send("t061bob", "text/plain", too_long)
    st.check("a 2000-character text -> 202", code == 202, code)
    m = wait_sms(a, lambda m: "2 KB (text/plain)" in m.get("text", "")
                 and re.search(link_re, m.get("text", "")) is not None, 15)
    st.check("beyond 10 parts: a notice with a link instead, the row waits in state fetch",
             m is not None and wait_sql(a, f"SELECT state FROM sfwd_message"
                                        f" WHERE call_id = '{c10}'", "fetch", 5) == "fetch",
             (m, row(c10, "state")))
    c11, code = send("t061dave", "text/plain", b"short, but dave wants notices")
    st.check("a short text to dave (profile deliver notify, forwards to sms:) -> 202",
             code == 202, code)
    m = wait_sms(a, lambda m: m.get("to") == DAVE
                 and re.search(link_re, m.get("text", "")) is not None, 15)
    st.check("dave gets a notice with a link, not the text",
             m is not None and "29 bytes (text/plain)" in m["text"], m)

    # the SMSC away: Kannel queues (202), the row waits in state 'sms'
    subprocess.run(a.smsc_stop, shell=True, timeout=30)
    c5, code = send("t061bob", "text/plain", b"while the SMSC was away")
    st.check("a text while the fake SMSC is away -> 202", code == 202, code)
    w = wait_sql(a, f"SELECT state || ' ' || (fetch_token ~ '^[0-9a-f]{{32}}$') || ' '"
                 f" || (forward_at IS NULL) || ' ' || (claim_owner IS NULL)"
                 f" FROM sfwd_message WHERE call_id = '{c5}'", "sms true true true", 10)
    st.check("Kannel accepted it: the row waits in state sms (token, not due, not claimed)",
             w == "sms true true true", w)
    st.check("no report yet while it waits",
             len(reports(alice, "delivered", delivered + 1, 1)) == delivered)
    subprocess.run(a.smsc_start, shell=True, timeout=30)
    m = wait_sms(a, lambda m: m.get("text") == "while the SMSC was away", 15)
    st.check("the SMSC back: it arrives", m is not None)
    delivered += 1
    st.check("then its DLR: the row is gone, alice gets a delivery report",
             gone(c5) == "0" and len(reports(alice, "delivered", delivered, 10)) == delivered,
             (row(c5, "state"), len(reports(alice, "delivered", 0, 0))))

    # Kannel away: tried again, sent once it is back, nothing twice
    subprocess.run(a.kannel_stop, shell=True, timeout=30)
    c6, code = send("t061bob", "text/plain", b"while Kannel was away")
    st.check("a text while Kannel is stopped -> 202", code == 202, code)
    att = wait_sql(a, f"SELECT forward_attempts >= 1 FROM sfwd_message WHERE call_id = '{c6}'",
                   "t", 10)
    st.check("the send failed and waits for a retry (forward_attempts >= 1)", att == "t", att)
    r = subprocess.run(a.kannel_start, shell=True, timeout=60)
    st.check("Kannel starts again", r.returncode == 0, r.returncode)
    m = wait_sms(a, lambda m: m.get("text") == "while Kannel was away", 20)
    st.check("Kannel back: the text arrives", m is not None)
    delivered += 1
    st.check("its DLR: the row is gone, alice gets a delivery report",
             gone(c6) == "0" and len(reports(alice, "delivered", delivered, 10)) == delivered,
             (row(c6, "state"), len(reports(alice, "delivered", 0, 0))))

    # the sender's +number as the SMS's sender
    c7, code = send("t061bob", "text/plain", b"from a number",
                    sender=f"<sip:+4930123456@{dom}>;tag=" + uuid.uuid4().hex[:8], notify=False)
    st.check("a text from sip:+4930123456 -> 202", code == 202, code)
    m = wait_sms(a, lambda m: m.get("text") == "from a number", 15)
    st.check("its SMS comes from +4930123456", m is not None and m["from"] == "+4930123456", m)

    # Kannel refuses the number (4xx): failed for good, a failure report
    c8, code = send("t061carol", "text/plain", b"to a refused number")
    st.check("a text to carol (forwards to a number Kannel refuses) -> 202", code == 202, code)
    w = wait_sql(a, f"SELECT state || ' ' || forward_code FROM sfwd_message WHERE call_id = '{c8}'",
                 "failed 400", 10)
    st.check("the row is failed with Kannel's 400", w == "failed 400", w)
    st.check("alice gets a failure report", len(reports(alice, "failed", 1, 10)) == 1)

    # over SMPP: Kannel's own SMPP client and DLR code, the simulator's real
    # receipts (sfwd asks for DLR 1, 2 and 16 only)
    failed = 1
    sim_log = os.path.join(a.kannel_dir, "smppsim.log")
    bb_log = os.path.join(a.kannel_dir, "bearerbox.log")
    c12, code = send("t061erin", "text/plain", b"to an undeliverable number")
    st.check("a text to erin (forwards to +491601110002, over SMPP) -> 202", code == 202, code)
    _, sub = sim_submit(a, ERIN, 15)
    st.check("the SMPP simulator gets it (Kannel routes +4916... there), exactly",
             sub is not None and sub["text"] == "to an undeliverable number", sub)
    w = wait_sql(a, f"SELECT state || ' ' || forward_code FROM sfwd_message"
                 f" WHERE call_id = '{c12}'", "failed 2", 10)
    st.check("receipt stat:UNDELIV -> Kannel's DLR 2: the row is failed with forward_code 2",
             w == "failed 2", w)
    failed += 1
    st.check("alice gets a failure report for it",
             len(reports(alice, "failed", failed, 10)) == failed,
             len(reports(alice, "failed", 0, 0)))

    c13, code = send("t061frank", "text/plain", b"to a number the SMSC rejects")
    st.check("a text to frank (forwards to +491601110016, over SMPP) -> 202", code == 202, code)
    _, sub = sim_submit(a, FRANK, 15)
    st.check("the SMPP simulator gets it and rejects it (submit_sm_resp 0x0B)",
             sub is not None and sub["text"] == "to a number the SMSC rejects", sub)
    w = wait_sql(a, f"SELECT state || ' ' || forward_code FROM sfwd_message"
                 f" WHERE call_id = '{c13}'", "failed 16", 10)
    st.check("the reject -> Kannel's DLR 16: the row is failed with forward_code 16",
             w == "failed 16", w)
    failed += 1
    st.check("alice gets a failure report for the rejected one",
             len(reports(alice, "failed", failed, 10)) == failed,
             len(reports(alice, "failed", 0, 0)))

    c14, code = send("t061gina", "text/plain", b"delivered over SMPP")
    st.check("a text to gina (forwards to +491601110001, over SMPP) -> 202", code == 202, code)
    _, sub = sim_submit(a, GINA, 15)
    st.check("the SMPP simulator gets 'delivered over SMPP', from 'sfwd'",
             sub is not None and sub["text"] == "delivered over SMPP" and sub["from"] == "sfwd",
             sub)
    delivered += 1
    st.check("receipt stat:DELIVRD -> DLR 1 over SMPP: the row is gone, a delivery report",
             gone(c14) == "0" and len(reports(alice, "delivered", delivered, 10)) == delivered,
             (row(c14, "state"), len(reports(alice, "delivered", 0, 0))))
    st.check("no failure report for it", len(reports(alice, "failed", 0, 0)) == failed,
             len(reports(alice, "failed", 0, 0)))

    # an intermediate receipt (ENROUTE = DLR 4) does not end the row; the
    # final one (DELIVRD), 3 s later, does
    c15, code = send("t061hank", "text/plain", b"enroute, then delivered")
    st.check("a text to hank (forwards to +491601110004, over SMPP) -> 202", code == 202, code)
    si, sub = sim_submit(a, HANK, 15)
    mid = sub["id"] if sub else "none"
    ri, _ = wait_line(sim_log, lambda x: f" RECEIPT id={mid} stat=ENROUTE" in x, 5,
                      after=si if si is not None else 10**9)
    st.check("the simulator sends it an ENROUTE receipt first", ri is not None, sub)
    look = f"Looking for DLR smsc=SMPPSIM, ts={mid}, dst={HANK.lstrip('+')}, type=4"
    li, _ = wait_line(bb_log, lambda x: look in x, 5)
    gi, _ = wait_line(bb_log, lambda x: "Ignoring DLR message because of mask type=4" in x, 2,
                      after=li if li is not None else 10**9)
    st.check("bearerbox takes it as DLR 4 and, outside sfwd's dlr-mask, passes nothing on",
             li is not None and gi is not None, (li, gi))
    w = row(c15, "state")
    st.check("after the ENROUTE receipt the row still waits in state sms", w == "sms", w)
    tok = row(c15, "fetch_token")
    codes = []
    for t in (4, 8):
        try:
            with urllib.request.urlopen(f"{a.http}/dlr/{tok}?type={t}", timeout=5) as r:
                codes.append(r.status)
        except Exception as e:  # noqa: BLE001 - any failure is the check's detail
            codes.append(repr(e))
    w = row(c15, "state")
    st.check("sfwd itself: a report of type 4 or 8 for its token -> 200, the row stays sms",
             codes == [200, 200] and w == "sms", (codes, w))
    st.check("no report to alice while it is enroute",
             len(reports(alice, "delivered", 0, 0)) == delivered
             and len(reports(alice, "failed", 0, 0)) == failed,
             (len(reports(alice, "delivered", 0, 0)), len(reports(alice, "failed", 0, 0))))
    ri, _ = wait_line(sim_log, lambda x: f" RECEIPT id={mid} stat=DELIVRD" in x, 10,
                      after=si if si is not None else 10**9)
    delivered += 1
    st.check("then the DELIVRD receipt: DLR 1, the row is gone, a delivery report",
             ri is not None and gone(c15) == "0"
             and len(reports(alice, "delivered", delivered, 10)) == delivered,
             (ri, row(c15, "state"), len(reports(alice, "delivered", 0, 0))))
    subs = sim_submits(a)
    st.check("the SMPP simulator got 4 SMS, one to each of its numbers",
             len(subs) == 4 and all(sum(f" to={n.lstrip('+')} " in x for x in subs) == 1
                                    for n in (ERIN, FRANK, GINA, HANK)), subs)

    time.sleep(2)
    texts = [x.get("text") for x in smsc(a)]
    want = ["Hello from SIP", uni, long_text, "while the SMSC was away", "while Kannel was away",
            "from a number"]
    want.append("Hallo aus CPIM")
    st.check("nothing twice, nothing to carol's number: 10 SMS in all",
             len(texts) == 10 and all(texts.count(t) == 1 for t in want)
             and not any(x["to"] not in (BOB, DAVE) for x in smsc(a)),
             [t[:24] if t else t for t in texts])
    st.check("alice got no other report",
             len(reports(alice, "delivered", 0, 0)) == delivered
             and len(reports(alice, "failed", 0, 0)) == failed,
             (len(reports(alice, "delivered", 0, 0)), len(reports(alice, "failed", 0, 0))))
    alice.close()


if __name__ == "__main__":
    main()
