#!/usr/bin/env python3
"""t045: MSRP retrieval hygiene, driven from one raw SIP/MSRP client.

Prints one line per named check, "ok<TAB>name<TAB>detail" or
"FAIL<TAB>name<TAB>detail", and writes a JSON summary (session ids, the
MSRP frames this client sent and received, for the capture cross-check).
Every wait is bounded; everything talks to 127.0.0.1 only.
"""
import argparse
import json
import os
import re
import socket
import sys
import threading
import time
import uuid

sys.dont_write_bytecode = True  # leave the e2e folder as it is
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sfwdtest  # noqa: E402
from sfwdtest import HOST, check, hget, sip_split  # noqa: E402


def utf8_name(n):
    """n bytes of valid UTF-8 (no quote, no backslash) for a display name"""
    base = "Ünïcödé Nâme 名前 Ωμέγα ß "
    out = b""
    i = 0
    while True:
        c = base[i % len(base)].encode()
        if len(out) + len(c) > n:
            break
        out += c
        i += 1
    return out + b"x" * (n - len(out))


# ---------------------------------------------------------------- SIP ----

def UA(port, kam_port):
    """a SIP UA (sfwdtest.UA): answers NOTIFYs with 200 and keeps them"""
    return sfwdtest.UA(port, kam_port, name=f"ua{port}", contact="t045")


def store_message(ua, frm, to, body=b"hello", ctype="text/plain"):
    """a MESSAGE from alice to bob (offline): the final reply code"""
    callid = uuid.uuid4().hex + "@t045"
    ua.request("MESSAGE", f"sip:bob@{HOST}:{ua.kam[1]}", frm, to, callid, 1,
               body=body, ctype=ctype)
    code, _, _ = ua.final(callid, "MESSAGE")
    return code, callid


class Session(sfwdtest.Dialog):
    """an MSRP retrieval dialog: INVITE (401 digest) to one's own address"""

    def __init__(self, ua, mailbox, password):
        self.our_path = f"msrp://{HOST}:{ua.port + 1}/{uuid.uuid4().hex[:16]};tcp"
        super().__init__(ua, mailbox, mailbox, password,
                         sfwdtest.sdp_offer(ua.port + 1, self.our_path, "message/sip"),
                         uuid.uuid4().hex + "@t045", uuid.uuid4().hex[:12],
                         challenges=(401,))
        self.sid = None

    def invite(self):
        code = super().invite()
        if code == 200:
            m = re.match(r"msrp://[^/]+/([^;]*);tcp$", self.path)
            self.sid = m.group(1) if m else ""
        return code


# --------------------------------------------------------------- MSRP ----

def Msrp(path, our_path):
    """one TCP connection to sfwd's MSRP port (sfwdtest.Msrp)"""
    return sfwdtest.Msrp(path, our_path, mid_prefix="t045-")


def send_silent(m, name, **send):
    """The check that a SEND (Msrp.send's arguments) gets no response within
    1 s and the connection stays open."""
    t = m.send(**send)
    m.pump(1.0)
    check(name, t not in m.responses and not m.closed,
          f"got {m.responses.get(t, (None,))[0]} closed={m.closed}")


def send_code(m, name, want, **send):
    """The check that a SEND (Msrp.send's arguments) gets the response code
    WANT within 3 s."""
    code = m.response(m.send(**send), 3)
    check(name, code == want, f"got {code}")


def made_up_path(port):
    return f"msrp://{HOST}:{port}/{uuid.uuid4().hex[:8]}abcdefghijklmnop;tcp"


# ------------------------------------------------------------- checks ----

def check3(a):
    """silent connection closed within bind timeout + 2 s; a SEND to a
    made-up session gets 481 and the connection closes"""
    limit = a.bind_timeout + 2
    s = socket.create_connection((HOST, a.msrp_port), timeout=limit + 3)
    t0 = time.time()
    try:
        d = s.recv(100)
    except socket.timeout:
        d = None
    except (ConnectionResetError, OSError):
        d = b""
    dt = time.time() - t0
    s.close()
    check("3a silent connection closed within msrp_bind_timeout+2 s",
          d == b"" and dt <= limit,
          f"closed after {dt:.2f} s (limit {limit} s)" if d == b"" else
          f"not closed within {dt:.2f} s (got {d!r})")
    # sfwd counts the bind time in milliseconds: not before it is over
    check("3e ... but not before msrp_bind_timeout (no early close)",
          d == b"" and dt >= a.bind_timeout - 0.05, f"closed after {dt:.2f} s")

    c = Msrp(made_up_path(a.msrp_port), f"msrp://{HOST}:{a.msrp_port + 7}/t045x;tcp")
    t0 = time.time()
    tid = c.send(to_path=c.path)
    code = c.response(tid, 3)
    check("3b SEND naming a made-up session -> MSRP 481", code == 481, f"got {code}")
    c.wait(lambda: c.closed, 3)
    dt = time.time() - t0
    check("3c ... and sfwd closes that connection (within 2 s)", c.closed and dt <= 2,
          f"closed={c.closed} after {dt:.2f} s")
    c.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sip-port", type=int, required=True)
    p.add_argument("--msrp-port", type=int, required=True)
    p.add_argument("--ua-port", type=int, required=True)
    p.add_argument("--bind-timeout", type=int, default=5)
    p.add_argument("--log", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--rows", required=True, help="command printing bob's queued count")
    a = p.parse_args()
    sfwdtest.open_log(a.log)
    summary = {"ids": []}

    def queued():
        return int(os.popen(a.rows).read().strip() or -1)

    t3 = threading.Thread(target=check3, args=(a,), daemon=True)
    t3.start()

    ua = UA(a.ua_port, a.sip_port)        # alice's sender, bob's dialogs
    ua_c = UA(a.ua_port + 2, a.sip_port)  # carol's dialogs

    # ---- 1: long From / To display names
    long_from = b'"' + utf8_name(1100) + b'"'
    long_to = b'"' + utf8_name(1100).replace(b"x", b"y") + b'"'
    frm1 = long_from + f" <sip:alice@{HOST}>;tag=t045from1".encode()
    to1 = f"<sip:bob@{HOST}>".encode()
    frm2 = f'"Alice" <sip:alice@{HOST}>;tag=t045from2'.encode()
    to2 = long_to + f" <sip:bob@{HOST}>".encode()
    body1 = "long From, café\r\n".encode()
    body2 = "long To, naïve\r\n".encode()
    c1, cid1 = store_message(ua, frm1, to1, body1, "text/plain;charset=utf-8")
    c2, cid2 = store_message(ua, frm2, to2, body2, "text/plain;charset=utf-8")
    check("1a MESSAGE with a 1,100-byte From display name stored (202)", c1 == 202, f"got {c1}")
    check("1b MESSAGE with a 1,100-byte To display name stored (202)", c2 == 202, f"got {c2}")

    # carol's live session: its path is "another session" for check 6
    sc = Session(ua_c, "carol", "carols-secret")
    sc.invite()

    # ---- bob's session A
    sa = Session(ua, "bob", "bobs-secret")
    code = sa.invite()
    check("A bob's retrieval INVITE -> 200", code == 200, f"got {code}")
    if code != 200:
        return finish(a, summary)
    summary["ids"] += [sa.sid, sc.sid]
    m = Msrp(sa.path, sa.our_path)
    bind = m.send()
    code = m.response(bind, 3)
    check("A the empty SEND binding session A -> 200", code == 200, f"got {code}")

    # ---- 6: To-Path of another session after binding
    t_made = m.send(to_path=made_up_path(a.msrp_port))
    t_other = m.send(to_path=sc.path) if sc.path else None
    code = m.response(t_made, 3)
    check("6a bound: SEND to a made-up session id -> MSRP 481", code == 481, f"got {code}")
    code = m.response(t_other, 3) if t_other else None
    check("6b bound: SEND to carol's live session path -> MSRP 481", code == 481,
          f"got {code} (carol's session: {sc.code})")
    # the real session goes on: both stored messages arrive, rows deleted
    m.wait(lambda: len(m.messages) >= 2, 5)
    n_left = -1
    for _ in range(30):
        n_left = queued()
        if n_left == 0:
            break
        m.pump(0.1)
    check("6c ... the connection stays open and session A delivers both messages",
          not m.closed and len(m.messages) == 2 and n_left == 0,
          f"closed={m.closed} messages={len(m.messages)} still queued={n_left}")

    # ---- 1: the payloads
    by_from = [p for _, _, p, _ in m.messages if b"t045from1" in p]
    by_to = [p for _, _, p, _ in m.messages if b"t045from2" in p]

    def payload_checks(label, pl, hname, want):
        if not pl:
            check(f"{label} message/sip payload received", False, "not received")
            return
        pl = pl[0]
        first, hdrs, body = sip_split(pl)
        # as named: a compact form (f:, t:, l:) does not count
        got = hget(hdrs, hname, compact=False)
        check(f"{label} payload {hname.title()} header byte-exact", got == want,
              f"want {len(want)} bytes, got {len(got or b'')}: {(got or b'')[:40]!r}...{(got or b'')[-60:]!r}")
        nul = pl.find(b"\0")
        check(f"{label} payload has no NUL byte", nul < 0, f"NUL at byte {nul}" if nul >= 0 else "")
        cl = hget(hdrs, "content-length", compact=False)
        check(f"{label} payload Content-Length matches its body",
              cl is not None and cl.isdigit() and int(cl) == len(body),
              f"Content-Length {cl!r}, body {len(body)} bytes")
        try:
            pl.decode("utf-8")
            utf = True
        except UnicodeDecodeError as e:
            utf = str(e)
        check(f"{label} payload is valid UTF-8", utf is True, "" if utf is True else utf)

    payload_checks("1c long From:", by_from, "from", frm1)
    payload_checks("1d long To:", by_to, "to", to2)
    if by_from:
        _, hdrs, body = sip_split(by_from[0])
        check("1e long From: payload body byte-exact", body == body1, f"{body!r}")
    if by_to:
        _, hdrs, body = sip_split(by_to[0])
        check("1f long To: payload body byte-exact", body == body2, f"{body!r}")

    # ---- 7: Failure-Report
    send_silent(m, "7a SEND with Failure-Report: no -> no MSRP response within 1 s",
                extra=b"Failure-Report: no\r\n", body=b"fr-no")
    send_code(m, "7b ... the connection still works: a normal SEND -> 200", 200,
              body=b"after fr-no")
    send_silent(m, "7c good SEND with Failure-Report: partial -> no 200 within 1 s",
                extra=b"Failure-Report: partial\r\n", body=b"fr-partial")
    send_code(m, "7d SEND to another session with Failure-Report: partial -> 481", 481,
              to_path=made_up_path(a.msrp_port), extra=b"Failure-Report: partial\r\n")
    send_silent(m, "7e SEND to another session with Failure-Report: no -> no response",
                to_path=made_up_path(a.msrp_port), extra=b"Failure-Report: no\r\n")
    send_code(m, "7f ... a normal SEND afterwards -> 200", 200, body=b"after fr-partial")

    # ---- 5: BYE tags
    code = sa.bye(totag="wrong" + uuid.uuid4().hex[:6])
    check("5a BYE with the right Call-ID but a wrong To tag -> 481", code == 481, f"got {code}")
    code = sa.bye(ftag="wrong" + uuid.uuid4().hex[:6])
    check("5b BYE with the right Call-ID but a wrong From tag -> 481", code == 481, f"got {code}")
    m.pump(0.5)
    t = m.send(body=b"after wrong BYEs")
    code = m.response(t, 3)
    check("5c ... the session stays usable: SEND -> 200, connection open",
          code == 200 and not m.closed, f"got {code} closed={m.closed}")
    code = sa.bye()
    check("5d the right BYE -> 200", code == 200, f"got {code}")
    t0 = time.time()
    m.wait(lambda: m.closed, 3)
    check("5e ... and sfwd closes the MSRP connection (within 2 s)",
          m.closed and time.time() - t0 <= 2, f"closed={m.closed} after {time.time() - t0:.2f} s")
    m.close()
    code = sa.bye()
    check("5f the same BYE again (new CSeq) -> 481", code == 481, f"got {code}")
    if sc.code == 200:
        code = sc.bye()
        check("5g carol's unconnected session: BYE -> 200", code == 200, f"got {code}")

    # ---- 4: per-user limit (msrp_user_sessions 2)
    b1 = Session(ua, "bob", "bobs-secret")
    b2 = Session(ua, "bob", "bobs-secret")
    b3 = Session(ua, "bob", "bobs-secret")
    r1, r2 = b1.invite(), b2.invite()
    check("4a bob's first and second concurrent retrieval INVITEs -> 200",
          (r1, r2) == (200, 200), f"got {r1}, {r2}")
    r3 = b3.invite()
    check("4b bob's third concurrent retrieval INVITE -> 486", r3 == 486, f"got {r3}")
    c2 = Session(ua_c, "carol", "carols-secret")
    r = c2.invite()
    check("4c carol is not affected: her INVITE meanwhile -> 200", r == 200, f"got {r}")
    summary["ids"] += [x.sid for x in (b1, b2, c2) if x.sid]
    byes = [x.bye() for x in (b1, b2, c2) if x.code == 200]
    check("4d the three sessions end with BYE -> 200", byes == [200, 200, 200], f"got {byes}")
    b4 = Session(ua, "bob", "bobs-secret")
    r = b4.invite()
    check("4e after the BYEs bob may open a session again -> 200", r == 200, f"got {r}")
    if r == 200:
        summary["ids"].append(b4.sid)
        b4.bye()

    # ---- 2: session ids
    ids = summary["ids"]
    bad = [i for i in ids if not re.fullmatch(r"[a-z2-7]{16,}", i or "")]
    check("2a every session id in a=path is >= 16 characters of [a-z2-7]",
          ids and not bad, f"{len(ids)} ids, lengths {sorted(set(len(i or '') for i in ids))}, bad {bad}")
    check("2b session ids differ between sessions", len(ids) >= 2 and len(set(ids)) == len(ids),
          f"{len(ids)} ids, {len(set(ids))} distinct")
    check("2c a=path has the form msrp://<msrp_listen>/<id>;tcp",
          re.fullmatch(rf"msrp://{re.escape(HOST)}:{a.msrp_port}/[a-z2-7]+;tcp", sa.path or "")
          is not None, sa.path or "")

    # ---- 8: message summaries follow MSRP retrieval
    n = 3
    codes = [store_message(ua, f'"Alice" <sip:alice@{HOST}>;tag=t045mwi{i}'.encode(),
                           f"<sip:bob@{HOST}>".encode(), f"waiting {i}".encode())[0]
             for i in range(n)]
    check(f"8a {n} text MESSAGEs stored for bob", codes == [202] * n, f"got {codes}")
    sub = UA(a.ua_port + 4, a.sip_port)
    callid = uuid.uuid4().hex + "@t045sub"
    ruri = f"sip:bob@{HOST}:{a.sip_port}"
    extra = b"Event: message-summary\r\nAccept: application/simple-message-summary\r\nExpires: 120\r\n"
    frm = f"<sip:bob@{HOST}>;tag=t045sub".encode()
    code, _, _, _ = sfwdtest.authed(sub, "SUBSCRIBE", ruri, frm, f"<sip:bob@{HOST}>", callid, 1,
                                    "bob", "bobs-secret", extra=extra, challenges=(401,))
    check("8b bob's SUBSCRIBE message-summary (digest) -> 200", code == 200, f"got {code}")

    def summ(body):
        t = body.decode("utf-8", "replace")
        mw = re.search(r"Messages-Waiting:\s*(\S+)", t)
        tm = re.search(r"Text-Message:\s*(\S+)", t)
        return (mw.group(1) if mw else None, tm.group(1) if tm else None)

    def notifies():
        return [(r["t"], r["body"]) for r in sub.got("NOTIFY")]

    def wait_notify(want, timeout, after=0.0):
        end = time.time() + timeout
        while time.time() < end:
            for ts, body in notifies():
                if ts >= after and summ(body) == want:
                    return ts
            time.sleep(0.05)
        return None

    ts = wait_notify(("yes", f"{n}/0"), 3)
    check(f"8c NOTIFY Messages-Waiting: yes, Text-Message: {n}/0", ts is not None,
          f"NOTIFYs: {[summ(b) for _, b in notifies()]}")
    sd = Session(ua, "bob", "bobs-secret")
    r = sd.invite()
    got = []
    t_done = None
    if r == 200:
        md = Msrp(sd.path, sd.our_path)
        md.send()
        end = time.time() + 6
        while len(md.messages) < n and time.time() < end and not md.closed:
            md.pump(0.05)
        got = md.messages
        t_done = md.messages[-1][3] if len(md.messages) >= n else None
    check(f"8d bob fetches the {n} over MSRP", r == 200 and len(got) == n,
          f"INVITE {r}, {len(got)} messages")
    ts = wait_notify(("no", "0/0"), 3.5, after=(t_done or time.time()) - 0.5) if t_done else None
    dt = (ts - t_done) if ts and t_done else None
    check("8e NOTIFY Messages-Waiting: no, Text-Message: 0/0 within 3 s of the last 200",
          dt is not None and dt <= 3.0,
          (f"after {dt:.2f} s" if dt is not None else "none") +
          f"; NOTIFYs: {[summ(b) for _, b in notifies()]}")
    if r == 200:
        sd.bye()
        md.wait(lambda: md.closed, 2)
        md.close()

    t3.join(12)
    check("3d the idle-connection checks finished", not t3.is_alive(), "")
    return finish(a, summary)


def finish(a, summary):
    summary["frames"] = dict(sfwdtest.FRAMES)
    summary["checks"] = sfwdtest.RESULTS
    json.dump(summary, open(a.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
