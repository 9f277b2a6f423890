#!/usr/bin/env python3
"""t060: e-mail forwarding through a real MTA (exim4 on loopback).

alice (registered, a UA of sfwdtest) sends MESSAGEs asking for reports to
bob, who is offline and whose profile forwards to mailto:; the mails are
read from the MTA's maildir with Python's email package. The MTA is
stopped and started again by the commands --mta-stop / --mta-start, the
database read with --sql (a command taking one SQL statement). One
"ok/FAIL<TAB>name<TAB>detail" line per check (sfwdtest.check)."""

import argparse
import email
import email.policy
import email.utils
import os
import subprocess
import sys
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sfwdtest as st  # noqa: E402


def mails(maildir):
    """the mails in maildir/new, parsed, by file name"""
    out = {}
    d = os.path.join(maildir, "new")
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = email.message_from_binary_file(f, policy=email.policy.default)
    return out


def wait_mails(maildir, n, secs):
    end = time.time() + secs
    while time.time() < end:
        m = mails(maildir)
        if len(m) >= n:
            return m
        time.sleep(0.1)
    return mails(maildir)


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
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--mta-stop", required=True)
    ap.add_argument("--mta-start", required=True)
    ap.add_argument("--sql", required=True, nargs="+")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    st.open_log(a.log)
    dom = a.domain
    alice = st.UA(a.alice_port, a.kam_port, name="alice", contact="alice")
    frm = f'"Alice Älvdal" <sip:alice@{dom}>;tag=' + uuid.uuid4().hex[:8]

    cid = "t060-reg-" + uuid.uuid4().hex[:8]
    alice.request("REGISTER", f"sip:{dom}", f"<sip:alice@{dom}>;tag=r1", f"<sip:alice@{dom}>",
                  cid, 1, extra=b"Expires: 600\r\n")
    code, _, _ = alice.final(cid, "REGISTER")
    st.check("alice registers -> 200", code == 200, code)

    def send(to, ctype, body, subject=None):
        cid = "t060-" + uuid.uuid4().hex[:12]
        extra = b"Request-Disposition: notify\r\n"
        if subject is not None:
            extra += b"Subject: " + subject.encode() + b"\r\n"
        t = time.time()
        alice.request("MESSAGE", f"sip:{to}@{dom}", frm, f"<sip:{to}@{dom}>", cid, 1,
                      contact=False, extra=extra, body=body, ctype=ctype)
        code, _, _ = alice.final(cid, "MESSAGE", timeout=10)
        return cid, code, t

    text = "Grüße aus Köln — 日本語 😀\r\nzweite Zeile\r\n".encode()
    image = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(40 * 1024))
    c1, code, t1 = send("t060bob", "text/plain; charset=utf-8", text, subject="Grüße")
    st.check("a UTF-8 text to bob (offline, forwards to mailto:) -> 202", code == 202, code)
    c2, code, t2 = send("t060bob", "image/png", image)
    st.check("a 40 KB image to bob -> 202", code == 202, code)

    got = wait_mails(a.maildir, 2, 15)
    st.check("two mails in the maildir within 15 s", len(got) == 2, len(got))
    by_type = {}
    for m in got.values():
        by_type["multipart" if m.is_multipart() else "single"] = m
    m1 = by_type.get("single")
    m2 = by_type.get("multipart")
    st.check("the text mail is there", m1 is not None, list(got))
    if m1 is not None:
        st.check("text mail: Subject is the original's", m1["subject"] == "Grüße", m1["subject"])
        fr = m1["from"]
        st.check("text mail: From shows alice's display name and SIP URI",
                 "Alice Älvdal" in str(fr) and f"sip:alice@{dom}" in str(fr), fr)
        st.check("text mail: X-SIP-From names alice", f"sip:alice@{dom}" in str(m1["x-sip-from"]),
                 m1["x-sip-from"])
        d = email.utils.parsedate_to_datetime(str(m1["date"])).timestamp()
        st.check("text mail: Date is when the MESSAGE came (within 2 s)", abs(d - t1) <= 2,
                 f"{m1['date']} vs {t1:.0f}")
        st.check("text mail: text/plain, charset utf-8",
                 m1.get_content_type() == "text/plain" and m1.get_content_charset() == "utf-8",
                 m1["content-type"])
        st.check("text mail: the body byte for byte", m1.get_payload(decode=True) == text,
                 repr(m1.get_payload(decode=True)[:80]))
        st.check("text mail: a Message-ID", bool(m1["message-id"]), m1["message-id"])
    st.check("the image mail is there", m2 is not None, list(got))
    if m2 is not None:
        atts = [p for p in m2.iter_attachments()]
        st.check("image mail: one attachment, image/png",
                 len(atts) == 1 and atts[0].get_content_type() == "image/png",
                 [p.get_content_type() for p in atts])
        st.check("image mail: the attachment decodes to the same 40 KB",
                 bool(atts) and atts[0].get_payload(decode=True) == image,
                 len(atts[0].get_payload(decode=True)) if atts else 0)
        st.check("image mail: Subject says who sent it",
                 "Alice" in str(m2["subject"]), m2["subject"])
        st.check("the two mails have different Message-IDs",
                 m1 is not None and m1["message-id"] != m2["message-id"])
    st.check("alice gets two delivery reports", len(reports(alice, "delivered", 2, 10)) == 2)
    st.check("no row left for bob",
             wait_sql(a, f"SELECT count(*) FROM sfwd_message WHERE aor = 't060bob@{dom}'",
                      "0", 5) == "0")

    # the MTA away: tried again, delivered once it is back, nothing twice
    subprocess.run(a.mta_stop, shell=True, timeout=30)
    c3, code, _ = send("t060bob", "text/plain", b"while the MTA was away\r\n", subject="later")
    st.check("a text while the MTA is stopped -> 202", code == 202, code)
    att = wait_sql(a, f"SELECT forward_attempts >= 1 FROM sfwd_message WHERE call_id = '{c3}'",
                   "t", 10)
    st.check("the forward failed and waits for a retry (forward_attempts >= 1)", att == "t", att)
    subprocess.run(a.mta_start, shell=True, timeout=30)
    got = wait_mails(a.maildir, 3, 20)
    st.check("the MTA back: the third mail arrives", len(got) == 3, len(got))
    time.sleep(2)
    got = mails(a.maildir)
    ids = [str(m["message-id"]) for m in got.values()]
    st.check("three mails, no Message-ID twice", len(got) == 3 and len(set(ids)) == 3, ids)
    st.check("alice gets the third delivery report", len(reports(alice, "delivered", 3, 10)) == 3)

    # a 5xx from the MTA: failed, a failure report
    c4, code, _ = send("t060carol", "text/plain", b"to a refused address\r\n")
    st.check("a text to carol (forwards to a refused address) -> 202", code == 202, code)
    row = wait_sql(a, f"SELECT state || ' ' || forward_code FROM sfwd_message WHERE call_id = '{c4}'",
                   "failed 550", 10)
    st.check("the row is failed with the MTA's 550", row == "failed 550", row)
    st.check("alice gets a failure report", len(reports(alice, "failed", 1, 10)) == 1)
    st.check("no fourth mail", len(mails(a.maildir)) == 3, len(mails(a.maildir)))
    alice.close()


if __name__ == "__main__":
    main()
