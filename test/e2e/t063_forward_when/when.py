#!/usr/bin/env python3
"""t063: when a profile forwards beyond SIP (forward_when), with e-mail
through a real MTA (exim4 on loopback) as the target.

  always, registered   the phone gets the message (stored first, replayed
                       at once: 202) and a copy goes by mail; one report
  always, offline      a copy by mail at once, the message waits for SIP
                       and is replayed at registration; one report
  after 3 s, offline   stored; mailed once 3 s passed undelivered; a
                       report
  after 4 s            the recipient registers within the 4 s: delivered
                       over SIP, no mail ever
One "ok/FAIL<TAB>name<TAB>detail" line per check (sfwdtest.check)."""

import argparse
import email
import email.policy
import os
import subprocess
import sys
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sfwdtest as st  # noqa: E402

A = None


def mails_to(addr):
    out = []
    d = os.path.join(A.maildir, "new")
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        with open(os.path.join(d, name), "rb") as f:
            m = email.message_from_binary_file(f, policy=email.policy.default)
        if addr in str(m["to"]):
            out.append(m)
    return out


def sql(q):
    return st.sql_run(A.sql, q)


def register(ua, user):
    return st.register(ua, user, A.domain)


wait = st.wait_until


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--kam-port", type=int, required=True)
    ap.add_argument("--base-port", type=int, required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--sql", required=True, nargs="+")
    ap.add_argument("--log", required=True)
    ap.add_argument("--mta-stop", required=True)
    ap.add_argument("--mta-start", required=True)
    A = ap.parse_args()
    st.open_log(A.log)
    dom, p = A.domain, A.base_port
    alice = st.UA(p, A.kam_port, name="alice", contact="alice")
    st.check("alice registers -> 200", register(alice, "alice") == 200)
    frm = f'"Alice" <sip:alice@{dom}>;tag=' + uuid.uuid4().hex[:8]

    def send(to, body):
        cid = "t063-" + uuid.uuid4().hex[:12]
        alice.request("MESSAGE", f"sip:{to}@{dom}", frm, f"<sip:{to}@{dom}>", cid, 1,
                      contact=False, extra=b"Request-Disposition: notify\r\n", body=body,
                      ctype="text/plain")
        code, hdrs, _ = alice.final(cid, "MESSAGE", timeout=10)
        MID[cid] = (st.hget(hdrs, "x-sfwd-message-id") or b"?").strip()
        return cid, code

    MID = {}

    def reports(cid):
        """alice's delivery reports naming the message's id (IMDN
        <message-id>sfwd-N</message-id>)"""
        want = b"<message-id>" + MID.get(cid, b"?") + b"</message-id>"
        return [r for r in alice.got("MESSAGE")
                if b"<delivered/>" in r["body"] and want in r["body"]]

    def rows(cid):
        return sql(f"SELECT count(*) FROM sfwd_message WHERE call_id = '{cid}'")

    # always, registered
    gina = st.UA(p + 1, A.kam_port, name="gina", contact="t063gina")
    st.check("gina (always) registers -> 200", register(gina, "t063gina") == 200)
    b1 = b"always, gina online"
    c1, code = send("t063gina", b1)
    st.check("a text to gina (registered, always) -> 202 (stored first)", code == 202, code)
    st.check("gina's phone gets the text", wait(lambda: any(
        r["body"] == b1 for r in gina.got("MESSAGE")), 5))
    st.check("and a copy is mailed to gina", wait(lambda: len(mails_to("gina@sfwd.test")) == 1, 10),
             len(mails_to("gina@sfwd.test")))
    st.check("gina's row is gone once both happened", wait(lambda: rows(c1) == "0", 10), rows(c1))
    time.sleep(1.5)
    st.check("alice gets exactly one delivery report for it", len(reports(c1)) == 1,
             len(reports(c1)))
    st.check("one mail only", len(mails_to("gina@sfwd.test")) == 1)

    # always, offline
    b2 = b"always, henry offline"
    c2, code = send("t063henry", b2)
    st.check("a text to henry (offline, always) -> 202", code == 202, code)
    st.check("a copy is mailed to henry at once",
             wait(lambda: len(mails_to("henry@sfwd.test")) == 1, 10))
    st.check("henry's row still waits for SIP (queued)",
             wait(lambda: sql(f"SELECT state FROM sfwd_message WHERE call_id = '{c2}'") == "queued", 5),
             sql(f"SELECT state FROM sfwd_message WHERE call_id = '{c2}'"))
    st.check("no report yet", len(reports(c2)) == 0)
    henry = st.UA(p + 2, A.kam_port, name="henry", contact="t063henry")
    st.check("henry registers -> 200", register(henry, "t063henry") == 200)
    st.check("henry's phone gets the text",
             wait(lambda: any(r["body"] == b2 for r in henry.got("MESSAGE")), 10))
    st.check("alice gets one delivery report for henry's", wait(lambda: len(reports(c2)) == 1, 10)
             and (time.sleep(1.5) or len(reports(c2)) == 1), len(reports(c2)))
    st.check("henry's row is gone", wait(lambda: rows(c2) == "0", 5), rows(c2))

    # after 3 s, offline
    b3 = b"after 3 s, ivy offline"
    t = time.time()
    c3, code = send("t063ivy", b3)
    st.check("a text to ivy (offline, after 3 s) -> 202", code == 202, code)
    time.sleep(1.5)
    st.check("no mail to ivy within 1.5 s", len(mails_to("ivy@sfwd.test")) == 0)
    st.check("mailed to ivy after 3 s",
             wait(lambda: len(mails_to("ivy@sfwd.test")) == 1, 10))
    took = time.time() - t
    st.check("... not before 3 s", took >= 3, f"{took:.1f} s")
    st.check("alice gets the delivery report for ivy's", wait(lambda: len(reports(c3)) == 1, 10))
    st.check("ivy's row is gone", wait(lambda: rows(c3) == "0", 5), rows(c3))

    # after 4 s: delivered over SIP in time, never mailed
    b4 = b"after 4 s, jack registers in time"
    c4, code = send("t063jack", b4)
    st.check("a text to jack (offline, after 4 s) -> 202", code == 202, code)
    jack = st.UA(p + 3, A.kam_port, name="jack", contact="t063jack")
    st.check("jack registers at once -> 200", register(jack, "t063jack") == 200)
    st.check("jack's phone gets the text",
             wait(lambda: any(r["body"] == b4 for r in jack.got("MESSAGE")), 5))
    time.sleep(6)
    st.check("6 s later: no mail to jack", len(mails_to("jack@sfwd.test")) == 0)
    st.check("jack's row is gone", rows(c4) == "0", rows(c4))
    # always, registered, the MTA away and a short lifetime: delivered
    # over SIP; the copy cannot go in time and is dropped, no failure
    # report after the delivery report
    subprocess.run(A.mta_stop, shell=True, timeout=30)
    b5 = b"always, MTA away"
    cid = "t063-" + uuid.uuid4().hex[:12]
    alice.request("MESSAGE", f"sip:t063gina@{dom}", frm, f"<sip:t063gina@{dom}>", cid, 1,
                  contact=False, extra=b"Request-Disposition: notify\r\nExpires: 3\r\n",
                  body=b5, ctype="text/plain")
    code, hdrs, _ = alice.final(cid, "MESSAGE", timeout=10)
    MID[cid] = (st.hget(hdrs, "x-sfwd-message-id") or b"?").strip()
    st.check("MTA stopped: a text to gina (always, 3 s lifetime) -> 202", code == 202, code)
    st.check("gina's phone gets it", wait(lambda: any(
        r["body"] == b5 for r in gina.got("MESSAGE")), 5))
    st.check("its copy waits in state forward",
             wait(lambda: sql(f"SELECT state FROM sfwd_message WHERE call_id = '{cid}'")
                  == "forward", 5), sql(f"SELECT state FROM sfwd_message WHERE call_id = '{cid}'"))
    st.check("past its lifetime the copy is dropped (no row within 15 s)",
             wait(lambda: rows(cid) == "0", 15), sql(f"SELECT state FROM sfwd_message WHERE call_id = '{cid}'"))
    time.sleep(1)
    fails = [r for r in alice.got("MESSAGE") if b"<failed/>" in r["body"]
             and b"<message-id>" + MID[cid] + b"</message-id>" in r["body"]]
    st.check("alice has its delivery report and no failure report",
             len(reports(cid)) == 1 and not fails, f"{len(reports(cid))} delivered, {len(fails)} failed")
    subprocess.run(A.mta_start, shell=True, timeout=30)
    for ua in (alice, gina, henry, jack):
        ua.close()


if __name__ == "__main__":
    main()
