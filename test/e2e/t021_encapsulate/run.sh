#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

e2e_kam kam "$T_SRC/kamailio.cfg" || e2e_fatal "Kamailio started"

printf 'hello bob,\nthis is t021\n' >"$T_DIR/small"
head -c 2400 /dev/urandom | base64 -w 64 >"$T_DIR/big"
e2e_request_xml "$T_DIR/m1.xml" MESSAGE \
	'Subject: t021|Authorization: Digest username="alice", response="s3cret"|Route: <sip:127.0.0.9;lr>' \
	"text/plain;charset=utf-8" "$T_DIR/small" 200
e2e_request_xml "$T_DIR/m2.xml" MESSAGE "X-Mode: sipfrag" text/plain "$T_DIR/small" 200
e2e_request_xml "$T_DIR/m3.xml" MESSAGE "" text/plain "$T_DIR/big" 200
e2e_check "MESSAGE -> 200 with the frame" e2e_sipp m1 "$T_DIR/m1.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
e2e_check "mode sipfrag -> 200" e2e_sipp m2 "$T_DIR/m2.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
e2e_check "a 3 KB body over TCP -> 200" e2e_sipp m3 "$T_DIR/m3.xml" -t t1 -s bob -m 1 -p $((E2E_SIP_PORT + 12))

python3 "$T_SRC/check.py" "$T_DIR" >"$T_DIR/check.txt"
for k in "frames1 1" "paths True" "ctype True" "range True" "start True" "keep_From True" \
	"keep_To True" "keep_Call-ID True" "keep_CSeq True" "keep_Subject True" \
	"keep_Content-Type True" "date True" "body True" "drop True" "sipfrag True" \
	"chunks True" "same_id True"; do
	e2e_eq "frame: ${k% *}" "$k" "$(grep "^${k% *} " "$T_DIR/check.txt")"
done
e2e_end
