#!/usr/bin/env python3
"""t052: what bob's contacts got, against what was stored.

  analyze.py STORED-ORDER NODE1-SENT-BY NODE2-SENT-BY CONTACT-LOG...

STORED-ORDER: the stored Call-IDs in id order, one a line. Each CONTACT-LOG
is a sip_recipient.py log (JSON lines). For each contact, the MESSAGE
transactions it got (Call-ID, CSeq, top Via branch; a retransmission has
the branch of its transaction) and prints "key<TAB>value" lines:
  <c>.tx            transactions
  <c>.retrans       retransmitted requests (same transaction again)
  <c>.dups          (Call-ID, CSeq) in more than one transaction
  <c>.unknown       Call-IDs that were not stored
  <c>.missing       stored Call-IDs it never got
  <c>.inversions    transactions that arrived before one stored earlier
  <c>.node1 / .node2  transactions sent by each node
  <c>.node_inversions  inversions within each node's own sends (summed)
  <c>.switches      changes of the sending node, in arrival order
  <c>.first / .last   epoch seconds of its first and last transaction
and, on stderr, the evidence of every duplicate and the first inversions.
"""

import base64
import json
import sys


def headers(raw):
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    hs = {}
    for ln in head[1:]:
        if ":" not in ln:
            continue
        k, v = ln.split(":", 1)
        k = k.strip().lower()
        k = {"i": "call-id", "v": "via"}.get(k, k)
        hs.setdefault(k, v.strip())  # the first (top) one
    return head[0], hs


def main():
    order = [l.strip() for l in open(sys.argv[1]) if l.strip()]
    rank = {c: i for i, c in enumerate(order)}
    nodes = {sys.argv[2]: "node1", sys.argv[3]: "node2"}
    for path in sys.argv[4:]:
        c = path.rsplit("/", 1)[-1].split(".")[0]
        tx = {}  # (call-id, cseq, branch) -> first arrival
        seq = []
        retrans = 0
        for ln in open(path):
            r = json.loads(ln)
            first, hs = headers(base64.b64decode(r["raw"]))
            if not first.startswith("MESSAGE "):
                continue
            via = hs.get("via", "")
            sent_by = via.split()[1].split(";")[0] if len(via.split()) > 1 else "?"
            branch = ""
            for p in via.split(";")[1:]:
                if p.strip().startswith("branch="):
                    branch = p.strip()[7:]
            cseq = hs.get("cseq", "").split()[0] if hs.get("cseq") else "?"
            key = (hs.get("call-id", "?"), cseq, branch)
            if key in tx:
                retrans += 1
                continue
            tx[key] = (r["t"], nodes.get(sent_by, sent_by))
            seq.append(key)
        by_msg = {}
        for k in seq:
            by_msg.setdefault(k[:2], []).append(k)
        dups = {m: ks for m, ks in by_msg.items() if len(ks) > 1}
        for m, ks in sorted(dups.items()):
            for k in ks:
                t, n = tx[k]
                print("%s duplicate: Call-ID %s CSeq %s branch %s at %.6f from %s"
                      % (c, m[0], m[1], k[2], t, n), file=sys.stderr)
        got = {k[0] for k in seq}
        # arrival order: each transaction's first request
        inv = 0
        hi = -1
        hi_cid = None
        for k in sorted(seq, key=lambda k: tx[k][0]):
            rk = rank.get(k[0])
            if rk is None:
                continue
            if rk < hi:
                inv += 1
                if inv <= 10:
                    print("%s out of order: %s (stored #%d, %s) after %s (stored #%d)"
                          % (c, k[0], rk, tx[k][1], hi_cid, hi), file=sys.stderr)
            else:
                hi, hi_cid = rk, k[0]
        arrived = sorted(seq, key=lambda k: tx[k][0])
        node_inv = 0
        for node in ("node1", "node2"):
            ks = [rank[k[0]] for k in arrived
                  if tx[k][1] == node and k[0] in rank]
            node_inv += sum(1 for a, b in zip(ks, ks[1:]) if b < a)
        ns = [tx[k][1] for k in arrived]
        switches = sum(1 for a, b in zip(ns, ns[1:]) if a != b)
        times = sorted(t for t, _ in tx.values())
        out = {
            "tx": len(seq), "retrans": retrans, "dups": len(dups),
            "unknown": len(got - set(rank)), "missing": len(set(rank) - got),
            "inversions": inv, "node_inversions": node_inv,
            "switches": switches,
            "node1": sum(1 for t, n in tx.values() if n == "node1"),
            "node2": sum(1 for t, n in tx.values() if n == "node2"),
            "first": "%.6f" % times[0] if times else "0",
            "last": "%.6f" % times[-1] if times else "0",
        }
        for k, v in out.items():
            print("%s.%s\t%s" % (c, k, v))


if __name__ == "__main__":
    main()
