#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

GW_PORT=$((E2E_SIP_PORT + 19))
rpc() { sf_kamcmd "$T_DIR/kam" "$@" 2>&1; }
count() { e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$1@$E2E_ADDR'"; }

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST || e2e_fatal "Kamailio started"
e2e_q "DELETE FROM sfwd_message; DELETE FROM sfwd_profile" >/dev/null
echo "a picture, they say" >"$T_DIR/pic"
echo "just text" >"$T_DIR/text"
send() { # send LOG USER CTYPE BODY CODE [HEADERS]
	e2e_request_xml "$T_DIR/$1.xml" MESSAGE "${6:-}" "$3" "$4" "$5"
	e2e_sipp "$1" "$T_DIR/$1.xml" -s "$2" -m 1 -p $((E2E_SIP_PORT + 12))
}

# accept
rpc sfwd.policy_set "bob@$E2E_ADDR" '{"accept":["text/*"]}' >/dev/null
e2e_check "bob accepts text only: image/jpeg -> 415" send img bob image/jpeg "$T_DIR/pic" 415
e2e_check "... with Accept: text/*" grep -q '^Accept: text/\*' "$T_DIR/img.msg"
e2e_eq "... nothing stored" 0 "$(count bob)"
e2e_check "text/plain to bob -> 202" send txt bob text/plain "$T_DIR/text" 202
e2e_eq "... stored" 1 "$(count bob)"

# store: no
rpc sfwd.policy_set "carol@$E2E_ADDR" '{"store":"no"}' >/dev/null
e2e_check "carol's profile says no: a plain MESSAGE -> 480" send no carol text/plain "$T_DIR/text" 480
e2e_eq "... not stored" 0 "$(count carol)"
e2e_check "an explicit store request beats the profile -> 202" \
	send yes carol text/plain "$T_DIR/text" 202 "Request-Disposition: store"
e2e_eq "... stored" 1 "$(count carol)"

# store: notify
rpc sfwd.policy_set "dave@$E2E_ADDR" '{"store":"notify"}' >/dev/null
e2e_check "dave's profile says notify -> 202" send notify dave text/plain "$T_DIR/text" 202
e2e_eq "... class 3 with both report bits" "3 3" \
	"$(e2e_q "SELECT class || ' ' || notify FROM sfwd_message WHERE aor = 'dave@$E2E_ADDR'")"

# forward
rpc sfwd.policy_set "erin@$E2E_ADDR" "{\"forward\":\"sip:erin@$E2E_ADDR:$GW_PORT\"}" >/dev/null
timeout 20 sipp -sf "$E2E_SIPP_DIR/uas_message.xml" -i "$E2E_ADDR" -p "$GW_PORT" -m 1 \
	-nostdin -timeout 15s -trace_msg -message_file "$T_DIR/gw.msg" >"$T_DIR/gw.out" 2>&1 &
gw=$!
e2e_wait_port "$GW_PORT"
e2e_check "erin forwards: the MESSAGE is relayed, the gateway's 200 comes back" \
	send fwd erin text/plain "$T_DIR/text" 200
wait "$gw"
e2e_eq "the gateway got it" 0 $?
e2e_check "... addressed to the forward URI" grep -q "^MESSAGE sip:erin@$E2E_ADDR:$GW_PORT" "$T_DIR/gw.msg"
e2e_eq "... nothing stored for erin" 0 "$(count erin)"

# without a profile, the module default (store) again
rpc sfwd.policy_delete "carol@$E2E_ADDR" >/dev/null
e2e_check "carol's profile deleted: a plain MESSAGE -> 202" send again carol text/plain "$T_DIR/text" 202
e2e_eq "... stored" 2 "$(count carol)"
e2e_end
