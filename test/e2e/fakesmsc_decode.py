#!/usr/bin/env python3
"""Decode what Kannel's fakesmsc received (its stderr capture, fakesmsc.out)
into logical messages, reassembling UDH-concatenated parts.

usage: fakesmsc_decode.py FAKESMSC_OUT [--udh-coding auto|0|2]
prints one JSON object per logical message:
  {"from": .., "to": .., "coding": 0|1|2, "parts": N, "text": ..}   (or "hex" for 8-bit)

Line format (the part between "<" and ">" of "... Got message N: <...>"):
  FROM TO text TEXT                      7-bit (GSM) message: raw UTF-8 text
  FROM TO ucs-2 URLENC                   UCS-2 message: URL-encoded UTF-16BE
  FROM TO data URLENC                    8-bit message: URL-encoded octets
  FROM TO udh URLENC_UDH data URLENC     any coding with UDH (concatenated part)
URLENC: "+" = space, %XX = octet.  For udh lines the coding is NOT on the
line: 7-bit parts carry UTF-8 text, UCS-2 parts UTF-16BE.  --udh-coding auto
picks UTF-16BE when the reassembled octets contain NUL or are not valid UTF-8
(right for Latin/Cyrillic/emoji; pure-CJK UCS-2 can look like ASCII - pass
--udh-coding 2 when you know you sent coding=2).
Concatenation UDH: 05 00 03 REF TOTAL SEQ (8-bit ref) or 06 08 04 REFHI REFLO TOTAL SEQ.
"""
import json, re, sys
from urllib.parse import unquote_to_bytes

LINE = re.compile(r" Got message \d+: <(.*)>$")


def dec(s):
    return unquote_to_bytes(s.replace("+", " "))


def parse_concat(udh):
    i = 1
    while i < len(udh):
        iei, ln = udh[i], udh[i + 1]
        v = udh[i + 2:i + 2 + ln]
        if iei == 0x00 and ln == 3:
            return v[0], v[1], v[2]
        if iei == 0x08 and ln == 4:
            return (v[0] << 8) | v[1], v[2], v[3]
        i += 2 + ln
    return None


def decode_udh_payload(b, mode):
    if mode == "2":
        return 2, b.decode("utf-16-be")
    if mode == "0":
        return 0, b.decode("utf-8")
    if b"\0" not in b:
        try:
            return 0, b.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return 2, b.decode("utf-16-be")


def main():
    path = sys.argv[1]
    mode = "auto"
    if "--udh-coding" in sys.argv:
        mode = sys.argv[sys.argv.index("--udh-coding") + 1]
    out, groups, order = [], {}, []
    for raw in open(path, encoding="utf-8", errors="surrogateescape"):
        m = LINE.search(raw.rstrip("\n"))
        if not m:
            continue
        f = m.group(1).split(" ", 3)
        if len(f) < 3 or f[2] not in ("text", "ucs-2", "data", "udh"):
            # continuation of a 7-bit text that contained a newline
            if out and out[-1].get("coding") == 0:
                out[-1]["text"] += "\n" + m.group(1)
            continue
        frm, to, typ = f[0], f[1], f[2]
        rest = f[3] if len(f) > 3 else ""
        if typ == "text":
            out.append({"from": frm, "to": to, "coding": 0, "parts": 1, "text": rest})
        elif typ == "ucs-2":
            out.append({"from": frm, "to": to, "coding": 2, "parts": 1,
                        "text": dec(rest).decode("utf-16-be")})
        elif typ == "data":
            out.append({"from": frm, "to": to, "coding": 1, "parts": 1, "hex": dec(rest).hex()})
        elif typ == "udh":
            udh_s, _, payload = rest.split(" ", 2)      # "<udh> data <payload>"
            udh, data = dec(udh_s), dec(payload)
            c = parse_concat(udh)
            if c is None:
                out.append({"from": frm, "to": to, "coding": None, "parts": 1,
                            "udh": udh.hex(), "hex": data.hex()})
                continue
            key = (frm, to, c[0], c[1])
            if key not in groups:
                groups[key] = {}
                rec = {"from": frm, "to": to, "parts": c[1], "_key": key}
                out.append(rec)
            groups[key][c[2]] = data
    for rec in out:
        key = rec.pop("_key", None)
        if key is None:
            continue
        parts = groups[key]
        if len(parts) < rec["parts"]:
            rec["missing"] = [i for i in range(1, rec["parts"] + 1) if i not in parts]
        b = b"".join(parts[i] for i in sorted(parts))
        rec["coding"], rec["text"] = decode_udh_payload(b, mode)
    for rec in out:
        print(json.dumps(rec, ensure_ascii=False))


if __name__ == "__main__":
    main()
