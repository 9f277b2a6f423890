#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

BOB_PORT=$((E2E_SIP_PORT + 11))
e2e_kam kam "$SF_TOP/etc/kamailio-minimal.cfg" || e2e_fatal "Kamailio started"
e2e_q "DELETE FROM sfwd_message" >/dev/null
echo "minimal" >"$T_DIR/text"
e2e_request_xml "$T_DIR/m.xml" MESSAGE "" text/plain "$T_DIR/text" 202
e2e_check "MESSAGE to offline bob -> 202" e2e_sipp m "$T_DIR/m.xml" -s bob -m 2 -p $((E2E_SIP_PORT + 12))
e2e_eq "2 stored" 2 "$(e2e_q "SELECT count(*) FROM sfwd_message")"
timeout 30 sipp -sf "$E2E_SIPP_DIR/uas_message.xml" -i "$E2E_ADDR" -p "$BOB_PORT" -m 2 \
	-nostdin -timeout 25s >"$T_DIR/bob.out" 2>&1 &
bob=$!
e2e_wait_port "$BOB_PORT"
e2e_check "bob registers" e2e_sipp reg "$E2E_SIPP_DIR/register_contact.xml" -s bob \
	-key contact_port "$BOB_PORT" -key expires 3600 -m 1 -p $((E2E_SIP_PORT + 13))
wait "$bob"
e2e_eq "bob got both" 0 $?
for ((i = 0; i < 50; i++)); do
	[ "$(e2e_q "SELECT count(*) FROM sfwd_message")" = 0 ] && break
	sleep 0.1
done
e2e_eq "table empty" 0 "$(e2e_q "SELECT count(*) FROM sfwd_message")"
e2e_end
