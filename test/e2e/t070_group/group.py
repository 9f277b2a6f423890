#!/usr/bin/env python3
"""t070: group messages (issue 18): RFC 5365 lists and server-side groups.

Plays the sender (alice, registered, so that her reports reach her), the
members' phones (UAs that register and answer every request 200) and the
bad senders. Prints one "ok|FAIL<TAB>name<TAB>detail" line per check;
run.sh knows every name. Every wait is bounded; all on 127.0.0.1."""

import argparse
import os
import re
import socket
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sfwdtest import (HOST, UA, check, hget, log, open_log, sip_request,  # noqa: E402
                      wait_until)

A = None
KAM = None


def sql(q):
    return subprocess.run([A.sql, q], capture_output=True, text=True,
                          timeout=30).stdout.strip()


def rpc(*args):
    return subprocess.run([A.rpc, *args], capture_output=True, text=True,
                          timeout=30).stdout.strip()


def register(ua, user):
    cid = uuid.uuid4().hex
    ua.request("REGISTER", f"sip:{HOST}", f"<sip:{user}@{HOST}>;tag={cid[:8]}",
               f"<sip:{user}@{HOST}>", cid, 1, extra=b"Expires: 600\r\n")
    code, _, _ = ua.final(cid, "REGISTER")
    return code


def unregister(ua, user):
    cid = uuid.uuid4().hex
    ua.request("REGISTER", f"sip:{HOST}", f"<sip:{user}@{HOST}>;tag={cid[:8]}",
               f"<sip:{user}@{HOST}>", cid, 1, extra=b"Expires: 0\r\n")
    return ua.final(cid, "REGISTER")[0]


def rlist(entries):
    """a resource-lists document: (uri, copyControl or None)"""
    x = ('<?xml version="1.0" encoding="UTF-8"?>\r\n'
         '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"'
         ' xmlns:cp="urn:ietf:params:xml:ns:copycontrol"><list>')
    for uri, cc in entries:
        x += f'<entry uri="{uri}"' + (f' cp:copyControl="{cc}"' if cc else "") + "/>"
    return x + "</list></resource-lists>\r\n"


def multipart(xml, text, bnd="boundary1"):
    return (f"--{bnd}\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
            f"--{bnd}\r\nContent-Type: application/resource-lists+xml\r\n"
            f"Content-Disposition: recipient-list\r\n\r\n{xml}"
            f"--{bnd}--\r\n").encode(), f"multipart/mixed;boundary={bnd}"


def list_message(ua, frm, xml, text, extra=b"", ruri=None):
    body, ctype = multipart(xml, text)
    cid = uuid.uuid4().hex
    data, _ = sip_request("MESSAGE", ruri or f"sip:list@{HOST}",
                          f"<sip:{frm}@{HOST}>;tag={cid[:8]}", f"<sip:list@{HOST}>",
                          cid, 7, ua.port, extra=b"Require: recipient-list-message\r\n" + extra,
                          body=body, ctype=ctype)
    ua.send(data)
    return cid, data


def tcp_request(data, timeout=25.0):
    """sends a request over a TCP connection of its own: the first final
    response's bytes (b"" when none came)"""
    s = socket.create_connection((HOST, KAM), timeout=timeout)
    s.sendall(data)
    resp = b""
    end = time.time() + timeout
    while time.time() < end:
        while resp.startswith(b"SIP/2.0 1") and b"\r\n\r\n" in resp:
            resp = resp.split(b"\r\n\r\n", 1)[1]
        if b"\r\n\r\n" in resp:
            break
        try:
            d = s.recv(65536)
        except OSError:
            break
        if not d:
            break
        resp += d
    s.close()
    return resp


def final(ua, cid, timeout=25.0):
    return ua.final(cid, "MESSAGE", timeout=timeout)


def copies(ua, text):
    return [r for r in ua.got("MESSAGE") if text.encode() in r["body"]]


def reports(ua):
    return [r for r in ua.got("MESSAGE") if b"<recipient-uri>" in r["body"]
            or re.search(rb"Your message to .* (was delivered|could not be|was refused)",
                         r["body"])]


def outcome(hdrs):
    return (hget(hdrs, "x-sfwd-group") or b"").decode()


def phase_list():
    alice = UA(A.base, KAM, name="alice")
    phones = {n: UA(A.base + i, KAM, name=n)
              for i, n in enumerate(["bob", "carol", "dave", "erin", "frank"], 1)}
    check("l0 alice, bob and carol register -> 200",
          [register(alice, "alice"), register(phones["bob"], "bob"),
           register(phones["carol"], "carol")] == [200, 200, 200])
    for n in ("dave", "erin", "frank"):  # offline: a previous run's contacts go
        unregister(phones[n], n)
    text = "hello group " + uuid.uuid4().hex[:8]
    xml = rlist([(f"sip:bob@{HOST}", "to"), (f"sip:carol@{HOST}", "cc"),
                 (f"sip:dave@{HOST}", "to"), (f"sip:erin@{HOST}", "cc"),
                 (f"sip:frank@{HOST}", "bcc")])
    cid, raw = list_message(alice, "alice", xml, text,
                            extra=b"Request-Disposition: notify\r\n")
    code, hdrs, _ = final(alice, cid)
    check("l1 a list of 5 (2 registered, 3 not, 1 bcc) -> 202", code == 202, code)
    check("l2 ... its X-Sfwd-Group says 5 copies: 2 delivered, 3 stored",
          outcome(hdrs) == "copies=5;delivered=2;stored=3;refused=0;lost=0", outcome(hdrs))
    wait_until(lambda: all(len(copies(phones[n], text)) >= 1 for n in ("bob", "carol")), 5)
    check("l3 bob and carol got it once each",
          [len(copies(phones[n], text)) for n in ("bob", "carol")] == [1, 1],
          [len(copies(phones[n], text)) for n in ("bob", "carol")])
    b = copies(phones["bob"], text)
    bob = b[0] if b else {"hdrs": [], "body": b"", "first": ""}
    check("l4 ... from alice, to bob, a Call-ID of its own",
          b"alice@" in (hget(bob["hdrs"], "from") or b"")
          and b"bob@" in (hget(bob["hdrs"], "to") or b"")
          and (hget(bob["hdrs"], "call-id") or b"").decode() != cid,
          f'{hget(bob["hdrs"], "from")} {hget(bob["hdrs"], "to")}')
    check("l5 ... with the to and cc recipients listed (recipient-list-history)",
          all(f"sip:{n}@{HOST}".encode() in bob["body"] for n in ("bob", "carol", "dave", "erin"))
          and b"recipient-list-history" in bob["body"], bob["body"][:300])
    rows = sql(f"SELECT string_agg(aor, ',' ORDER BY aor) FROM sfwd_message "
               f"WHERE state = 'queued' AND position(convert_to('{text}', 'UTF8') in body) > 0")
    check("l6 dave, erin and frank's copies are stored",
          rows == f"dave@{HOST},erin@{HOST},frank@{HOST}", rows)
    for n in ("dave", "erin", "frank"):
        register(phones[n], n)
    wait_until(lambda: all(len(copies(phones[n], text)) >= 1 for n in ("dave", "erin", "frank")), 15)
    check("l7 dave, erin and frank got it once each after registering",
          [len(copies(phones[n], text)) for n in ("dave", "erin", "frank")] == [1, 1, 1],
          [len(copies(phones[n], text)) for n in ("dave", "erin", "frank")])
    seen = [r["body"] for n, p in phones.items() if n != "frank" for r in copies(p, text)]
    check("l8 nobody else's copy names the bcc recipient (frank)",
          len(seen) == 4 and not any(b"frank" in s for s in seen))
    wait_until(lambda: len(reports(alice)) >= 5, 15)
    rep = reports(alice)
    names = sorted({m.decode() for r in rep
                    for m in re.findall(rb"(?:<recipient-uri>|Your message to )(?:sip:)?(\w+)@", r["body"])})
    check("l9 alice got 5 reports, one naming each recipient",
          len(rep) == 5 and names == ["bob", "carol", "dave", "erin", "frank"],
          f"{len(rep)} {names}")
    # a retransmission after the transaction is gone: the same bytes
    time.sleep(6)
    alice.send(raw)
    code, hdrs, _ = final(alice, cid, 10)
    time.sleep(2)
    total = sum(len(copies(p, text)) for p in phones.values())
    n_rows = sql(f"SELECT count(*) FROM sfwd_message "
                 f"WHERE position(convert_to('{text}', 'UTF8') in body) > 0")
    check("l10 the same request again later -> 202, nobody gets a second copy",
          code == 202 and total == 5 and n_rows == "0", f"{code} {total} {n_rows}")
    for n, p in phones.items():
        unregister(p, n)
    unregister(alice, "alice")
    for u in [alice, *phones.values()]:
        u.close()


def phase_group():
    members = [f"m{i:02d}" for i in range(1, 51)]
    out = rpc("sfwd.group_set", f"team@{HOST}",
              "[" + ",".join(f'"sip:{m}@{HOST}"' for m in members) + "]")
    check("g0 sfwd.group_set team with 50 members", "50 members" in out, out)
    got = rpc("sfwd.group_get", f"team@{HOST}")
    check("g1 sfwd.group_get lists them, senders members",
          f"m50@{HOST}" in got and '"senders" : "members"' in got.replace('":"', '" : "'), got[:200])
    sender = UA(A.base + 10, KAM, name="m01")
    online = {m: UA(A.base + 10 + i, KAM, name=m) for i, m in enumerate(members[1:25], 1)}
    regs = [register(u, m) for m, u in online.items()]
    check("g2 24 members register -> 200", regs == [200] * 24, regs)
    text = "team news " + uuid.uuid4().hex[:8]
    cid = uuid.uuid4().hex
    data, _ = sip_request("MESSAGE", f"sip:team@{HOST}", f"<sip:m01@{HOST}>;tag={cid[:8]}",
                          f"<sip:team@{HOST}>", cid, 3, sender.port,
                          body=text.encode(), ctype="text/plain")
    sender.send(data)
    code, hdrs, _ = final(sender, cid)
    check("g3 m01 sends to the group -> 202", code == 202, code)
    check("g4 ... 49 copies: 24 delivered, 25 stored",
          outcome(hdrs) == "copies=49;delivered=24;stored=25;refused=0;lost=0", outcome(hdrs))
    # a phone records a request after it answered it: a moment later
    wait_until(lambda: all(len(copies(u, text)) >= 1 for u in online.values()), 5)
    counts = [len(copies(u, text)) for u in online.values()]
    check("g5 each registered member got it once", counts == [1] * 24, counts)
    rows = sql(f"SELECT count(*), count(DISTINCT aor), min(aor), max(aor), "
               f"count(*) FILTER (WHERE aor = 'm01@{HOST}') FROM sfwd_message "
               f"WHERE body = convert_to('{text}', 'UTF8')")
    check("g6 25 copies stored, one per offline member, none for the sender",
          rows == f"25|25|m26@{HOST}|m50@{HOST}|0", rows)
    time.sleep(6)
    sender.send(data)
    code, _, _ = final(sender, cid, 10)
    time.sleep(2)
    counts = [len(copies(u, text)) for u in online.values()]
    rows2 = sql(f"SELECT count(*) FROM sfwd_message WHERE body = convert_to('{text}', 'UTF8')")
    check("g7 a retransmission of the original changes nothing",
          code == 202 and counts == [1] * 24 and rows2 == "25", f"{code} {rows2}")
    # bad input
    out = UA(A.base + 40, KAM, name="out")
    cid = uuid.uuid4().hex
    data, _ = sip_request("MESSAGE", f"sip:team@{HOST}", f"<sip:outsider@{HOST}>;tag={cid[:8]}",
                          f"<sip:team@{HOST}>", cid, 1, out.port, body=b"hi", ctype="text/plain")
    out.send(data)
    code, _, _ = final(out, cid, 10)
    check("g8 a non-member to a members-only group -> 403", code == 403, code)
    cid = uuid.uuid4().hex
    data, _ = sip_request("MESSAGE", f"sip:nogroup@{HOST}", f"<sip:m01@{HOST}>;tag={cid[:8]}",
                          f"<sip:nogroup@{HOST}>", cid, 1, out.port, body=b"hi", ctype="text/plain")
    out.send(data)
    code, _, _ = final(out, cid, 10)
    check("g9 a message to an unknown group -> 404", code == 404, code)
    rpc("sfwd.group_set", f"solo@{HOST}", f'["m01@{HOST}"]')
    cid = uuid.uuid4().hex
    data, _ = sip_request("MESSAGE", f"sip:solo@{HOST}", f"<sip:m01@{HOST}>;tag={cid[:8]}",
                          f"<sip:solo@{HOST}>", cid, 1, out.port, body=b"hi", ctype="text/plain")
    out.send(data)
    code, _, _ = final(out, cid, 10)
    check("g10 a group whose only member is the sender -> 400", code == 400, code)
    stat = [ln for ln in rpc("stats.get_statistics", "all").splitlines()
            if ln.startswith("sfwd:groups ")]
    check("g11 sfwd:groups counts the 2 groups", stat == ["sfwd:groups = 2"], stat)
    for m, u in online.items():
        unregister(u, m)
    for u in [sender, out, *online.values()]:
        u.close()


def phase_bad():
    ua = UA(A.base + 41, KAM, name="bad")
    bob = UA(A.base + 42, KAM, name="bob")
    register(bob, "bob")
    cid, _ = list_message(ua, "alice", '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list><entry uri="sip:bob@h"/>',
                          "broken")
    code, hdrs, _ = final(ua, cid, 10)
    check("b1 malformed XML -> 400 with a Warning", code == 400 and hget(hdrs, "warning"),
          f"{code} {hget(hdrs, 'warning')}")
    text = "thrice " + uuid.uuid4().hex[:8]
    xml = rlist([(f"sip:bob@{HOST}", None), (f"sip:bob@{HOST.upper()};transport=udp", "cc"),
                 (f"sip:bob@{HOST}:5060", "bcc")])
    cid, _ = list_message(ua, "alice", xml, text)
    code, hdrs, _ = final(ua, cid)
    time.sleep(1)
    check("b2 a list naming bob 3 times -> 202, one copy",
          code == 202 and len(copies(bob, text)) == 1 and outcome(hdrs).startswith("copies=1;"),
          f"{code} {len(copies(bob, text))} {outcome(hdrs)}")
    # 10,000 recipients: over TCP (about 250 KB)
    entries = "".join(f'<entry uri="sip:{i}@h"/>' for i in range(10000))
    xml = ('<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>'
           + entries + "</list></resource-lists>\r\n")
    body, ctype = multipart(xml, "many")
    cid = uuid.uuid4().hex
    data, _ = sip_request("MESSAGE", f"sip:list@{HOST}", f"<sip:alice@{HOST}>;tag={cid[:8]}",
                          f"<sip:list@{HOST}>", cid, 1, ua.port,
                          extra=b"Require: recipient-list-message\r\n", body=body, ctype=ctype)
    resp = tcp_request(data.replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP", 1))
    warn = re.search(rb"Warning: [^\r]*", resp)
    check("b3 10,000 recipients -> 413", resp.startswith(b"SIP/2.0 413"),
          resp[:40] + b" " + (warn.group(0) if warn else b""))
    # hostile: a 2 KB display name and 60 Request-Disposition headers
    text = "hostile " + uuid.uuid4().hex[:8]
    body, ctype = multipart(rlist([(f"sip:bob@{HOST}", None)]), text)
    cid = uuid.uuid4().hex
    name = "N" * 2048
    data, _ = sip_request("MESSAGE", f"sip:list@{HOST}", f'"{name}" <sip:alice@{HOST}>;tag={cid[:8]}',
                          f"<sip:list@{HOST}>", cid, 1, ua.port,
                          extra=b"Require: recipient-list-message\r\n"
                          + b"Request-Disposition: store\r\n" * 60, body=body, ctype=ctype)
    ua.send(data)
    code, hdrs, _ = final(ua, cid)
    time.sleep(1)
    c = copies(bob, text)
    check("h1 a 2 KB display name, 60 Request-Disposition headers -> 202, bob's copy keeps the name",
          code == 202 and len(c) == 1 and name.encode() in (hget(c[0]["hdrs"], "from") or b""),
          f"{code} {len(c)}")
    bad = {
        "h2 a recipient that is not UTF-8 -> 400": (rlist([("sip:b\xffb@h", None)]).encode("latin-1"), b""),
        "h3 a gzip-encoded list body -> 400": (rlist([(f"sip:bob@{HOST}", None)]).encode(),
                                               b"Content-Encoding: gzip\r\n"),
        "h4 a DOCTYPE with entities (billion laughs) -> 400": (
            ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
             '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
             '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>'
             '<entry uri="sip:&b;@h"/></list></resource-lists>\r\n').encode(), b""),
        "h5 a tel: recipient -> 400": (rlist([("tel:+12345", None)]).encode(), b""),
    }
    for label, (xml, extra) in bad.items():
        bnd = "bb"
        body = (f"--{bnd}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{bnd}\r\n"
                "Content-Type: application/resource-lists+xml\r\n"
                "Content-Disposition: recipient-list\r\n\r\n").encode() + xml + f"--{bnd}--\r\n".encode()
        cid = uuid.uuid4().hex
        data, _ = sip_request("MESSAGE", f"sip:list@{HOST}", f"<sip:alice@{HOST}>;tag={cid[:8]}",
                              f"<sip:list@{HOST}>", cid, 1, ua.port,
                              extra=b"Require: recipient-list-message\r\n" + extra, body=body,
                              ctype=f"multipart/mixed;boundary={bnd}")
        ua.send(data)
        code, hdrs, _ = final(ua, cid, 10)
        check(label, code == 400, f"{code} {hget(hdrs, 'warning')}")
    # a recipient whose decoded user would put a header into the copy
    cid, _ = list_message(ua, "alice", rlist([("sip:x%0D%0AP-Asserted-Identity:%20evil@h", None)]),
                          "inject")
    code, hdrs, _ = final(ua, cid, 10)
    check("h7 a recipient with %0D%0A in its user -> 400", code == 400, f"{code} {hget(hdrs, 'warning')}")
    # a sender on TCP: the copies still go over UDP, trusted
    text = "tcp " + uuid.uuid4().hex[:8]
    body, ctype = multipart(rlist([(f"sip:bob@{HOST}", None)]), text)
    cid = uuid.uuid4().hex
    data, _ = sip_request("MESSAGE", f"sip:list@{HOST}", f"<sip:alice@{HOST}>;tag={cid[:8]}",
                          f"<sip:list@{HOST}>", cid, 1, ua.port,
                          extra=b"Require: recipient-list-message\r\n", body=body, ctype=ctype)
    resp = tcp_request(data.replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP", 1))
    wait_until(lambda: len(copies(bob, text)) >= 1, 5)
    check("h8 a list sent over TCP -> 202, bob gets his copy",
          resp.startswith(b"SIP/2.0 202") and len(copies(bob, text)) == 1, resp[:60])
    # claims in sfwd_group_sent: one still on its way (another node), one
    # a crashed node left long ago
    cid = uuid.uuid4().hex
    ftag = cid[:8]
    sql(f"INSERT INTO sfwd_group_sent (call_id, from_tag, cseq, recipient) "
        f"VALUES ('{cid}', '{ftag}', 7, 'bob@{HOST}')")
    text = "claimed " + uuid.uuid4().hex[:8]
    body, ctype = multipart(rlist([(f"sip:bob@{HOST}", None)]), text)
    data, _ = sip_request("MESSAGE", f"sip:list@{HOST}", f"<sip:alice@{HOST}>;tag={ftag}",
                          f"<sip:list@{HOST}>", cid, 7, ua.port,
                          extra=b"Require: recipient-list-message\r\n", body=body, ctype=ctype)
    ua.send(data)
    code, _, _ = final(ua, cid, 10)
    check("h9 a request whose copies another node is sending -> 500, nothing sent",
          code == 500 and len(copies(bob, text)) == 0, code)
    sql(f"UPDATE sfwd_group_sent SET created = now() - interval '1 hour' WHERE call_id = '{cid}'")
    time.sleep(6)
    ua.send(data.replace(b"branch=z9hG4bK", b"branch=z9hG4bKx", 1))
    code, hdrs, _ = final(ua, cid, 10)
    wait_until(lambda: len(copies(bob, text)) >= 1, 5)
    check("h10 ... claimed long ago without an outcome (a crash) -> sent now, 202",
          code == 202 and len(copies(bob, text)) == 1 and outcome(hdrs).startswith("copies=1;"),
          f"{code} {outcome(hdrs)}")
    text = "after " + uuid.uuid4().hex[:8]
    cid, _ = list_message(ua, "alice", rlist([(f"sip:bob@{HOST}", None)]), text)
    code, _, _ = final(ua, cid)
    time.sleep(1)
    check("h6 ... and the next good list still goes -> 202, bob gets it",
          code == 202 and len(copies(bob, text)) == 1, code)
    unregister(bob, "bob")
    ua.close()
    bob.close()


def phase_small():
    """the same list flow under another cfg (Lua, minimal): bob registered,
    dave not; a server-side group: m01 to its two other members"""
    alice = UA(A.base + 43, KAM, name="alice")
    bob = UA(A.base + 44, KAM, name="bob")
    dave = UA(A.base + 45, KAM, name="dave")
    check("s0 bob registers -> 200", register(bob, "bob") == 200)
    unregister(dave, "dave")
    text = "small " + uuid.uuid4().hex[:8]
    xml = rlist([(f"sip:bob@{HOST}", "to"), (f"sip:dave@{HOST}", "bcc")])
    cid, _ = list_message(alice, "alice", xml, text)
    code, hdrs, _ = final(alice, cid)
    check("s1 a list of bob (registered) and dave (not) -> 202, 1 delivered, 1 stored",
          code == 202 and outcome(hdrs) == "copies=2;delivered=1;stored=1;refused=0;lost=0",
          f"{code} {outcome(hdrs)}")
    rows = sql(f"SELECT string_agg(aor, ',') FROM sfwd_message "
               f"WHERE position(convert_to('{text}', 'UTF8') in body) > 0")
    wait_until(lambda: len(copies(bob, text)) >= 1, 5)
    check("s2 bob got it once, dave's copy is stored",
          len(copies(bob, text)) == 1 and rows == f"dave@{HOST}", f"{len(copies(bob, text))} {rows}")
    rpc("sfwd.group_set", f"trio@{HOST}", f'["m01@{HOST}", "bob@{HOST}", "dave@{HOST}"]')
    text = "trio " + uuid.uuid4().hex[:8]
    cid = uuid.uuid4().hex
    data, _ = sip_request("MESSAGE", f"sip:trio@{HOST}", f"<sip:m01@{HOST}>;tag={cid[:8]}",
                          f"<sip:trio@{HOST}>", cid, 1, alice.port, body=text.encode(),
                          ctype="text/plain")
    alice.send(data)
    code, hdrs, _ = final(alice, cid)
    wait_until(lambda: len(copies(bob, text)) >= 1, 5)
    check("s3 m01 to group trio -> 202: bob delivered, dave stored",
          code == 202 and outcome(hdrs) == "copies=2;delivered=1;stored=1;refused=0;lost=0"
          and len(copies(bob, text)) == 1, f"{code} {outcome(hdrs)}")
    unregister(bob, "bob")
    for u in (alice, bob, dave):
        u.close()


def main():
    global A, KAM
    p = argparse.ArgumentParser()
    p.add_argument("--sip-port", type=int, required=True)
    p.add_argument("--base", type=int, required=True)
    p.add_argument("--sql", required=True)
    p.add_argument("--rpc", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--phase", required=True)
    A = p.parse_args()
    KAM = A.sip_port
    open_log(A.log, "a")
    log("phase", A.phase)
    {"list": phase_list, "group": phase_group, "bad": phase_bad,
     "small": phase_small}[A.phase]()


if __name__ == "__main__":
    main()
