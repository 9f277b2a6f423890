#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

BOB_SIP=$((E2E_SIP_PORT + 17))
BOB_MSRP=$((E2E_SIP_PORT + 18))
count() { e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR' AND state = 'queued'"; }
client() { # client OUT [args]: one retrieval session
	local out=$1
	shift
	timeout 40 python3 "$T_SRC/msrp_client.py" --port "$E2E_SIP_PORT" \
		--local-port "$BOB_SIP" --msrp-port "$BOB_MSRP" --mailbox bob \
		--out "$T_DIR/$out.json" "$@" >"$T_DIR/$out.log" 2>&1
}
jq_py() { python3 -c "import json,sys; d=json.load(open('$T_DIR/$1.json')); print($2)"; }

e2e_kam_example
e2e_user bob bobs-secret
e2e_user carol carols-secret

# capture the MSRP port for an independent dissector
e2e_capture_msrp

printf 'line one\r\nline two, caf\xc3\xa9\r\n' >"$T_DIR/body"
e2e_request_xml "$T_DIR/m.xml" MESSAGE "Subject: t020" "text/plain;charset=utf-8" "$T_DIR/body" 202
sed -i 's|From: <sip:alice@\[local_ip\]>|From: "Alice" <sip:alice@[remote_ip]>|' "$T_DIR/m.xml"
e2e_check "5 MESSAGEs stored for bob" e2e_sipp m "$T_DIR/m.xml" -s bob -m 5 -p $((E2E_SIP_PORT + 12))
e2e_q "SELECT call_id FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR' ORDER BY id" >"$T_DIR/stored"

# carol may not fetch bob's mailbox
client carol --auth-user carol --password carols-secret --expect 1
e2e_eq "INVITE for bob's mailbox authenticated as carol -> 403" 403 "$(jq_py carol 'd["invite"]')"
e2e_eq "nothing delivered to carol" 5 "$(count)"

# a session dropped after 2 messages
client drop --auth-user bob --password bobs-secret --max 2
e2e_eq "bob's INVITE -> 200" 200 "$(jq_py drop 'd["invite"]')"
e2e_check "the answer's path is on msrp_listen" \
	grep -q "msrp://$E2E_ADDR:$E2E_MSRP_PORT/" <(jq_py drop 'd["answer_path"]')
e2e_eq "2 received before the drop" 2 "$(jq_py drop 'len(d["messages"])')"
for ((i = 0; i < 50; i++)); do
	[ "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR' AND claim_owner IS NULL")" = 3 ] && break
	sleep 0.1
done
e2e_eq "3 remain queued (and unclaimed) after the drop" 3 "$(count)"

# the next session takes the rest
client rest --auth-user bob --password bobs-secret --expect 3
e2e_eq "the next session gets the other 3" 3 "$(jq_py rest 'len(d["messages"])')"
e2e_eq "BYE -> 200" 200 "$(jq_py rest 'd.get("bye")')"
for ((i = 0; i < 50; i++)); do
	[ "$(count)" = 0 ] && break
	sleep 0.1
done
e2e_eq "the table is empty" 0 "$(count)"

python3 "$T_SRC/check.py" "$T_DIR" >"$T_DIR/check.txt"
for k in "count 5" "order True" "msrp_type True" "start True" "from True" "date True" \
	"ctype True" "body True" "cseq True" "no_via_auth True"; do
	e2e_eq "message/sip payloads: ${k% *}" "$k" "$(grep "^${k% *} " "$T_DIR/check.txt")"
done

# a message larger than msrp_chunk_size goes in chunks
head -c 9000 /dev/urandom | base64 -w 76 >"$T_DIR/big"
e2e_request_xml "$T_DIR/big.xml" MESSAGE "" text/plain "$T_DIR/big" 202
e2e_check "a 12 KB MESSAGE stored" e2e_sipp big "$T_DIR/big.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
want=$(e2e_q "SELECT md5(body) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'")
client big --auth-user bob --password bobs-secret --expect 1
e2e_eq "it arrives whole (md5 of the stored body)" "$want" \
	"$(jq_py big '__import__("hashlib").md5(__import__("base64").b64decode(d["messages"][0]["body"])).hexdigest()')"
e2e_check "in several chunks (Byte-Range 1-2048/..., then more)" \
	test "$(jq_py big 'sum(1 for f in d["frames"] if f.startswith("SEND "))')" -ge 6
e2e_check "the first chunk is 1-2048" grep -q "^SEND 1-2048/" <(jq_py big '"\n".join(d["frames"])')

sleep 1
e2e_capture_stop
e2e_msrp_lines
e2e_check "tshark decodes MSRP SENDs" grep -q 'SEND' "$T_DIR/msrp.txt"
e2e_check "tshark decodes MSRP 200 responses" grep -q '200 OK' "$T_DIR/msrp.txt"
e2e_eq "tshark: no malformed or erroneous MSRP" 0 "$(e2e_msrp_bad)"
# the 200 goes out through tm with its own reference to the transaction
# (t_reply_with_body() on one from t_gett() dropped a reference it never
# took: tm logged "still linked in hash table" twice per INVITE)
e2e_eq "tm logs no 'still linked in hash table'" 0 \
	"$(grep -c 'still linked' "$T_DIR/kam/kamailio.log")"
e2e_end
