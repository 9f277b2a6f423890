#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

BOB_PORT=$((E2E_SIP_PORT + 11))
CAROL_PORT=$((E2E_SIP_PORT + 14))
count() { e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$1@$E2E_ADDR'"; }

# retry_interval 2 s (SFWD_TEST)
e2e_kam_example
echo "hello bob, are you there?" >"$T_DIR/text"

phone() { # phone NAME PORT SCENARIO: a registered phone; waits in background
	timeout 30 sipp -sf "$3" -i "$E2E_ADDR" -p "$2" -m 1 -nostdin -timeout 25s \
		-trace_msg -message_file "$T_DIR/$1.msg" >"$T_DIR/$1.out" 2>&1 &
	e2e_wait_port "$2"
	e2e_sipp "reg_$1" "$E2E_SIPP_DIR/register_contact.xml" -s "$1" \
		-key contact_port "$2" -key expires 3600 -m 1 -p $((E2E_SIP_PORT + 13))
}

phone bob "$BOB_PORT" "$T_SRC/bob.xml"
bob=$!
e2e_request_xml "$T_DIR/m202.xml" MESSAGE "" text/plain "$T_DIR/text" 202
e2e_check "MESSAGE to registered bob whose phone says 480 -> 202" \
	e2e_sipp m1 "$T_DIR/m202.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "stored with a timed retry" 1 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR' AND next_attempt IS NOT NULL")"
# the flusher retries without a new REGISTER; bob's phone says 200
wait "$bob"
e2e_eq "bob's phone got the MESSAGE twice (480, then the retry: 200)" 0 $?
for ((i = 0; i < 100; i++)); do
	[ "$(count bob)" = 0 ] && break
	sleep 0.1
done
e2e_eq "delivered by the timed retry: row deleted" 0 "$(count bob)"
e2e_eq "the retry is the same message (Call-ID)" 1 \
	"$(tr -d '\r' <"$T_DIR/bob.msg" | sed -n 's/^Call-ID: //p' | sort -u | wc -l)"

phone carol "$CAROL_PORT" "$T_SRC/carol.xml"
carol=$!
e2e_request_xml "$T_DIR/m404.xml" MESSAGE "" text/plain "$T_DIR/text" 404
e2e_check "MESSAGE to carol whose phone says 404 -> 404" \
	e2e_sipp m2 "$T_DIR/m404.xml" -s carol -m 1 -p $((E2E_SIP_PORT + 12))
wait "$carol"
e2e_eq "nothing stored for carol" 0 "$(count carol)"
e2e_end
