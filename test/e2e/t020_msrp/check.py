#!/usr/bin/env python3
"""t020_msrp: checks of what the client received (argument: the test folder)."""
import base64, json, sys
d = sys.argv[1]
msgs = json.load(open(d + "/drop.json"))["messages"] + json.load(open(d + "/rest.json"))["messages"]
body = open(d + "/body", "rb").read()
stored = open(d + "/stored").read().split()
print("count", len(msgs))
print("order", [m["call_id"] for m in msgs] == stored)
print("msrp_type", all(m["msrp_content_type"] == "message/sip" for m in msgs))
print("start", all(m["start"].startswith("MESSAGE sip:bob@") and m["start"].endswith(" SIP/2.0") for m in msgs))
print("from", all(m["from"].startswith('"Alice" <sip:alice@') and ";tag=" in m["from"] for m in msgs))
print("date", all(m["date"] and m["date"].endswith(" GMT") for m in msgs))
print("ctype", all(m["content_type"] == "text/plain;charset=utf-8" for m in msgs))
print("body", all(base64.b64decode(m["body"]) == body for m in msgs))
print("cseq", all(m["cseq"] == "1 MESSAGE" for m in msgs))
print("no_via_auth", all(m["via"] is None and m["authorization"] is None for m in msgs))
