#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

E2E_AUTH=1
BOB_PORT=$((E2E_SIP_PORT + 11))

e2e_kam_example
e2e_user alice alices-secret
e2e_user bob bobs-secret

e2e_sipp noauth "$E2E_SIPP_DIR/register.xml" -s bob -au bob -ap wrong -m 1 -p "$BOB_PORT"
e2e_check "REGISTER without credentials -> 401" grep -q '^SIP/2.0 401' "$T_DIR/noauth.msg"
e2e_eq "a wrong password does not register" 0 "$(tr -d '\r' <"$T_DIR/noauth.msg" | grep -c '^SIP/2.0 200')"

# alice (authenticated) sends bob, offline, a message asking for a report
printf 'From: <sip:alice@127.0.0.1>\n' >/dev/null
e2e_sipp m "$E2E_SIPP_DIR/message.xml" -s bob -au alice -ap alices-secret -m 1 -p $((E2E_SIP_PORT + 12))
e2e_check "MESSAGE from alice -> 407" grep -q '^SIP/2.0 407' "$T_DIR/m.msg"
e2e_check "... then 202 with her credentials" grep -q '^SIP/2.0 202' "$T_DIR/m.msg"
e2e_eq "stored once" 1 "$(e2e_rows bob)"

echo "to elsewhere" >"$T_DIR/text"
e2e_request_xml "$T_DIR/foreign.xml" MESSAGE "" text/plain "$T_DIR/text" 403
sed -i 's|MESSAGE sip:\[service\]@\[remote_ip\]:\[remote_port\]|MESSAGE sip:[service]@example.org|; s|To: <sip:\[service\]@\[remote_ip\]>|To: <sip:[service]@example.org>|; s|From: <sip:alice@\[local_ip\]>|From: <sip:mallory@example.net>|' "$T_DIR/foreign.xml"
e2e_check "relaying between foreign domains -> 403" \
	e2e_sipp foreign "$T_DIR/foreign.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))

# bob registers with credentials; the stored message goes to him; alice
# asked for nothing, so now one that asks: notify, Expires 2, to dave
timeout 30 sipp -sf "$E2E_SIPP_DIR/uas_message.xml" -i "$E2E_ADDR" -p "$BOB_PORT" -m 1 \
	-nostdin -timeout 25s >"$T_DIR/bob.out" 2>&1 &
bob=$!
e2e_wait_port "$BOB_PORT"
e2e_check "bob registers with credentials" e2e_sipp reg "$E2E_SIPP_DIR/register_contact.xml" \
	-s bob -au bob -ap bobs-secret -key contact_port "$BOB_PORT" -key expires 3600 \
	-m 1 -p $((E2E_SIP_PORT + 13))
wait "$bob"
e2e_eq "bob got the stored message" 0 $?

sed -e 's|      Content-Type: text/plain|      Request-Disposition: notify\n      Expires: 2\n      Content-Type: text/plain|' \
	"$E2E_SIPP_DIR/message.xml" >"$T_DIR/notify.xml"
e2e_sipp n "$T_DIR/notify.xml" -s dave -au alice -ap alices-secret -m 1 -p $((E2E_SIP_PORT + 12))
e2e_check "alice's notify MESSAGE to dave -> 202" grep -q '^SIP/2.0 202' "$T_DIR/n.msg"
for ((i = 0; i < 100; i++)); do
	[ "$(e2e_rows alice "AND content_type = 'message/cpim'")" = 1 ] && break
	sleep 0.1
done
e2e_eq "sfwd's own failure report passed authentication and is stored for alice" 1 \
	"$(e2e_rows alice "AND content_type = 'message/cpim'")"
e2e_end
