#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

BOB_PORT=$((E2E_SIP_PORT + 11))
count() { e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$1@$E2E_ADDR' ${2:-}"; }
peer() { timeout 30 python3 "$T_SRC/tcp_peer.py" "$@"; }

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST -A SFWD_MAX_MESSAGES=3 ||
	e2e_fatal "Kamailio started"
e2e_q "DELETE FROM sfwd_message" >/dev/null

# --- 100 KB binary over TCP, 60-character Content-Type
head -c 102400 /dev/urandom >"$T_DIR/photo.jpg"
CT='image/jpeg; name="sfwd-t012-holiday-picture-00000000001.jpg"'
e2e_eq "the Content-Type is 60 characters" 60 "${#CT}"
e2e_eq "100 KB image/jpeg over TCP -> 202" 202 \
	"$(peer send "$E2E_ADDR" "$E2E_SIP_PORT" bob "$T_DIR/photo.jpg" "$CT")"
e2e_eq "stored byte for byte (length and md5)" \
	"102400 $(md5sum <"$T_DIR/photo.jpg" | cut -c1-32)" \
	"$(e2e_q "SELECT length(body) || ' ' || md5(body) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'")"
e2e_eq "the full Content-Type is stored" "$CT" \
	"$(e2e_q "SELECT content_type FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'")"
peer recv "$BOB_PORT" "$T_DIR/photo.jpg" "$CT" 20 >"$T_DIR/bob.out" 2>&1 &
bob=$!
e2e_wait_port "$BOB_PORT"
e2e_check "bob registers over TCP" e2e_sipp reg "$E2E_SIPP_DIR/register_contact.xml" \
	-t t1 -s bob -key contact_port "$BOB_PORT" -key expires 3600 -m 1 \
	-p $((E2E_SIP_PORT + 13))
wait "$bob"
e2e_eq "bob got the same bytes and Content-Type over TCP ($(cat "$T_DIR/bob.out"))" 0 $?
for ((i = 0; i < 50; i++)); do
	[ "$(count bob)" = 0 ] && break
	sleep 0.1
done
e2e_eq "bob's row deleted after the 200" 0 "$(count bob)"

# --- body over max_body_size (128 KiB by default): 513, nothing stored
head -c 140000 /dev/urandom >"$T_DIR/big.bin"
e2e_eq "140 KB body -> 513" 513 \
	"$(peer send "$E2E_ADDR" "$E2E_SIP_PORT" erin "$T_DIR/big.bin" application/octet-stream)"
e2e_eq "nothing stored for erin" 0 "$(count erin)"

# --- quota: max_messages 3
echo "hello carol" >"$T_DIR/text"
e2e_request_xml "$T_DIR/m202.xml" MESSAGE "" text/plain "$T_DIR/text" 202
e2e_request_xml "$T_DIR/m486.xml" MESSAGE "" text/plain "$T_DIR/text" 486
e2e_check "3 MESSAGEs to carol -> 202" \
	e2e_sipp q1 "$T_DIR/m202.xml" -s carol -m 3 -p $((E2E_SIP_PORT + 12))
e2e_check "the 4th -> 486 (mailbox full)" \
	e2e_sipp q2 "$T_DIR/m486.xml" -s carol -m 1 -p $((E2E_SIP_PORT + 12))
e2e_check "486 names the cause" grep -q '^SIP/2.0 486 Busy Here (Mailbox Full)' "$T_DIR/q2.msg"
e2e_eq "carol has 3 rows" 3 "$(count carol)"

# --- lifetime: Expires 2 ends 'expired'; a huge Expires is capped
e2e_request_xml "$T_DIR/short.xml" MESSAGE "Expires: 2" text/plain "$T_DIR/text" 202
e2e_check "MESSAGE with Expires: 2 -> 202" \
	e2e_sipp exp "$T_DIR/short.xml" -s dave -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "its lifetime is 2 s" 2 \
	"$(e2e_q "SELECT extract(epoch FROM expires - received)::int FROM sfwd_message WHERE aor = 'dave@$E2E_ADDR'")"
for ((i = 0; i < 100; i++)); do
	[ "$(count dave "AND state = 'expired'")" = 1 ] && break
	sleep 0.1
done
e2e_eq "after its lifetime the row is 'expired'" 1 "$(count dave "AND state = 'expired' AND done_at IS NOT NULL")"
e2e_request_xml "$T_DIR/long.xml" MESSAGE "Expires: 999999999" text/plain "$T_DIR/text" 202
e2e_check "MESSAGE with a huge Expires -> 202" \
	e2e_sipp long "$T_DIR/long.xml" -s frank -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "its lifetime is capped at max_lifetime (30 days)" 2592000 \
	"$(e2e_q "SELECT extract(epoch FROM expires - received)::int FROM sfwd_message WHERE aor = 'frank@$E2E_ADDR'")"
e2e_end
