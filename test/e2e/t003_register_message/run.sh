#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

BOB_PORT=$((E2E_SIP_PORT + 11))
ALICE_PORT=$((E2E_SIP_PORT + 12))
text=$T_DIR/text
echo "hello bob, from t003" >"$text"

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" || e2e_fatal "Kamailio started"
ctl() { sf_kamcmd "$T_DIR/kam" "$@"; }

e2e_check "REGISTER bob over UDP -> 200" \
	e2e_sipp reg_udp "$E2E_SIPP_DIR/register.xml" -s bob -m 1 -p "$BOB_PORT"
e2e_check "REGISTER dave over TCP -> 200" \
	e2e_sipp reg_tcp "$E2E_SIPP_DIR/register.xml" -s dave -m 1 -t t1 -p $((BOB_PORT + 2))
e2e_check "kamcmd ul.lookup shows bob's contact" \
	grep -q "sip:bob@$E2E_ADDR:$BOB_PORT" <(ctl ul.lookup location "bob@$E2E_ADDR" 2>&1)

# bob's recipient listens where he registered
timeout $((E2E_SIPP_TIMEOUT + 10)) sipp -sf "$E2E_SIPP_DIR/uas_message.xml" \
	-i "$E2E_ADDR" -p "$BOB_PORT" -m 1 -nostdin -timeout "${E2E_SIPP_TIMEOUT}s" \
	-trace_msg -message_file "$T_DIR/bob.msg" >"$T_DIR/bob.out" 2>&1 &
bob=$!
e2e_wait_port "$BOB_PORT"
e2e_request_xml "$T_DIR/m_bob.xml" MESSAGE "" text/plain "$text" 200
e2e_check "MESSAGE to registered bob -> 200 from bob" \
	e2e_sipp m_bob "$T_DIR/m_bob.xml" -m 1 -s bob -p "$ALICE_PORT"
wait "$bob"
e2e_eq "bob's SIPp ended cleanly" 0 $?
e2e_check "bob received the body" grep -q "hello bob, from t003" "$T_DIR/bob.msg"

e2e_request_xml "$T_DIR/m_instant.xml" MESSAGE "Content-Disposition: instant" \
	text/plain "$text" 480
e2e_check "instant MESSAGE to offline carol -> 480" \
	e2e_sipp m_instant "$T_DIR/m_instant.xml" -m 1 -s carol -p "$ALICE_PORT"
e2e_request_xml "$T_DIR/m_bad.xml" MESSAGE 'Request-Disposition: store;now' \
	text/plain "$text" 400
e2e_check "unparsable store flag -> 400" \
	e2e_sipp m_bad "$T_DIR/m_bad.xml" -m 1 -s bob -p "$ALICE_PORT"
e2e_end
