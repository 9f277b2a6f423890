#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

CFG=$SF_TOP/etc/kamailio-lua.cfg
LUA=$SF_TOP/etc/kamailio.lua
N=5
BOB_PORT=$((E2E_SIP_PORT + 11))
CAROL_PORT=$((E2E_SIP_PORT + 14))
SUB_PORT=$((E2E_SIP_PORT + 15))
klog() { tr -d '\r' <"$T_DIR/kam/kamailio.log"; }
# the JSON of the event lines the Lua callback logged, one a line
events() { klog | grep -o '{"sfwd":.*}$'; }

# ---- the config: kamailio -c, with and without SFWD_NO_AUTH
for extra in "" "-A SFWD_NO_AUTH"; do
	# shellcheck disable=SC2086
	if kamailio -c -f "$CFG" -L "$SF_TOP/modules:$SF_KAM_MODDIR" $extra \
		-A "SFWD_LUA=\"$LUA\"" -A "SFWD_SIP_PORT=$E2E_SIP_PORT" \
		-A "SFWD_DB_URL=\"$E2E_DB_URL\"" >"$T_DIR/check.log" 2>&1; then
		e2e_ok "kamailio -c etc/kamailio-lua.cfg $extra"
	else
		e2e_fail "kamailio -c etc/kamailio-lua.cfg $extra: $(grep -m3 -E 'ERROR|CRITICAL' "$T_DIR/check.log")"
	fi
done

e2e_kam kam "$CFG" -A SFWD_TEST -A "SFWD_LUA=\"$LUA\"" ||
	e2e_fatal "Kamailio started with the Lua config"
e2e_ok "Kamailio started with the Lua config"
e2e_check "KEMI engine is Lua and ran etc/kamailio.lua" \
	grep -q "$LUA" <(sf_kamcmd "$T_DIR/kam" app_lua.list 2>&1)
e2e_q "DELETE FROM sfwd_message" >/dev/null

# ---- instant to an offline user: 480, nothing stored
e2e_request_xml "$T_DIR/instant.xml" MESSAGE "Request-Disposition: do-not-store" \
	text/plain "$T_SRC/README" 480
e2e_check "instant MESSAGE to offline bob -> 480" \
	e2e_sipp instant "$T_DIR/instant.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
e2e_check "... (Instant Only)" \
	grep -q '^SIP/2.0 480 Temporarily Unavailable (Instant Only)' "$T_DIR/instant.msg"
e2e_eq "instant MESSAGE stored nothing" 0 "$(e2e_rows bob)"

# ---- N messages, one at a time, each 202 with X-Sfwd-Message-ID
e2e_check "$N MESSAGEs to offline bob -> $N x 202 (with X-Sfwd-Message-ID)" \
	e2e_sipp alice "$T_SRC/alice.xml" -s bob -m $N -l 1 -r 10 -p $((E2E_SIP_PORT + 12))
e2e_eq "$N rows stored" $N "$(e2e_rows bob)"
e2e_q "SELECT id FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR' ORDER BY id" >"$T_DIR/bob_ids"
e2e_q "SELECT call_id FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR' ORDER BY id" \
	>"$T_DIR/stored_order"
# what alice sent, in order (her log also holds the replies)
e2e_messages alice | sed -n 's/^Call-ID: //p' | awk '!seen[$0]++' >"$T_DIR/sent_order"
e2e_check "stored in the order sent" cmp -s "$T_DIR/sent_order" "$T_DIR/stored_order"
e2e_eq "each 202 names its row (X-Sfwd-Message-ID: sfwd-<id>)" \
	"$(sed 's/^/sfwd-/' "$T_DIR/bob_ids" | tr '\n' ' ')" \
	"$(tr -d '\r' <"$T_DIR/alice.msg" | sed -n 's/^X-Sfwd-Message-ID: //p' | tr '\n' ' ')"

# ---- bob's recipient, then his registration: all N, in order, unchanged
e2e_delivery bob "$BOB_PORT" $N 30
sed -n 's/^Call-ID: //p' "$T_DIR/bob.txt" >"$T_DIR/delivered_order"
e2e_eq "delivered $N" $N "$(wc -l <"$T_DIR/delivered_order")"
e2e_check "delivered in the order sent, with the original Call-IDs" \
	cmp -s "$T_DIR/sent_order" "$T_DIR/delivered_order"
e2e_eq "original From (display name, URI, tag), in order" \
	"$(seq 1 $N | sed "s/.*/From: \"Alice Liddell\" <sip:alice@$E2E_ADDR>;tag=t032-&/")" \
	"$(grep '^From: ' "$T_DIR/bob.txt")"
e2e_eq "original bodies byte for byte, in order" \
	"$(seq 1 $N | sed "s/.*/t032 message &: caf$(printf '\xc3\xa9')?/")" \
	"$(grep '^t032 message ' "$T_DIR/bob.txt")"
e2e_drained "table empty after delivery" 5 e2e_rows bob

# ---- a registered phone answering 480: the Lua failure route stores it
echo "hello carol, are you there?" >"$T_DIR/text"
timeout 30 sipp -sf "$T_SRC/phone.xml" -i "$E2E_ADDR" -p "$CAROL_PORT" -m 1 \
	-nostdin -timeout 25s -trace_msg -message_file "$T_DIR/carol.msg" \
	>"$T_DIR/carol.out" 2>&1 &
carol=$!
e2e_wait_port "$CAROL_PORT"
e2e_check "carol registers -> 200" e2e_register reg_carol carol "$CAROL_PORT"
e2e_request_xml "$T_DIR/m202.xml" MESSAGE "" text/plain "$T_DIR/text" 202
e2e_check "MESSAGE to registered carol whose phone says 480 -> 202 (failure route)" \
	e2e_sipp m202 "$T_DIR/m202.xml" -s carol -m 1 -p $((E2E_SIP_PORT + 12))
carol_id=$(e2e_q "SELECT id FROM sfwd_message WHERE aor = 'carol@$E2E_ADDR' AND next_attempt IS NOT NULL")
e2e_check "stored with a timed retry" test -n "$carol_id"
e2e_eq "the failure route's 202 names the row" "X-Sfwd-Message-ID: sfwd-$carol_id" \
	"$(tr -d '\r' <"$T_DIR/m202.msg" | grep '^X-Sfwd-Message-ID: ')"
wait "$carol"
e2e_eq "carol's phone got it twice (480, then the retry: 200)" 0 $?
e2e_drained "delivered by the timed retry: row deleted" 10 e2e_rows carol

# ---- the event callback (ksr_sfwd_event) logged JSON lines
# ev_ids EVENT TO-PREFIX: the ids of the events of one kind whose "to"
# starts with TO-PREFIX ("to" of "stored" is the Request-URI, of the others
# the AoR)
ev_ids() {
	events | jq -r --arg e "$1" --arg t "$2" \
		'select(.sfwd == $e and (.to | startswith($t))) | .id' 2>/dev/null | sort -n
}
events_json() { [ "$(events | wc -l)" -gt 0 ] && events | jq -e . >/dev/null; }
delivered_all() { [ "$(events | grep -c '"delivered"')" -ge $((N + 1)) ]; }
e2e_until 50 delivered_all
e2e_check "every event line is valid JSON" events_json
e2e_eq "a \"stored\" line for each of bob's rows (none for the instant one)" \
	"$(tr '\n' ' ' <"$T_DIR/bob_ids")" \
	"$(ev_ids stored "sip:bob@$E2E_ADDR" | tr '\n' ' ')"
e2e_eq "a \"delivered\" line for each of bob's rows" \
	"$(tr '\n' ' ' <"$T_DIR/bob_ids")" \
	"$(ev_ids delivered "bob@$E2E_ADDR" | tr '\n' ' ')"
e2e_eq "the stored lines name the sender" $((N + 1)) \
	"$(events | jq -r 'select(.sfwd == "stored") | .from' | grep -c "^sip:alice@$E2E_ADDR$")"
e2e_eq "the delivered lines carry code 200" $((N + 1)) \
	"$(events | jq -r 'select(.sfwd == "delivered") | .code' | grep -c '^200$')"
e2e_eq "\"stored\" from the failure route (carol)" "$carol_id" \
	"$(ev_ids stored "sip:carol@$E2E_ADDR" | tr '\n' ' ' | sed 's/ $//')"
e2e_eq "\"delivered\" for carol after the retry" "$carol_id" \
	"$(ev_ids delivered "carol@$E2E_ADDR" | tr '\n' ' ' | sed 's/ $//')"
e2e_eq "no failed events" 0 "$(events | jq -r 'select(.sfwd != "stored" and .sfwd != "delivered")' | grep -c .)"
e2e_eq "no errors in the Kamailio log (Lua, KEMI callback, ...)" 0 \
	"$(klog | grep -cE ' (ERROR|CRITICAL):')"

# ---- SUBSCRIBE message-summary: WWW digest via route[SFWD_WWW_AUTH]
e2e_user bob bobs-secret
e2e_user carol carols-secret
printf 'SEQUENTIAL\nbob;carol\n' >"$T_DIR/carol_sub.csv"
e2e_check "carol subscribing to bob's mailbox -> 401, then 403" \
	e2e_sipp carol_sub "$T_SRC/subscribe.xml" -inf "$T_DIR/carol_sub.csv" \
	-au carol -ap carols-secret -m 1 -p "$SUB_PORT"
e2e_check "... 403 (Not Your Mailbox)" \
	grep -q '^SIP/2.0 403 Forbidden (Not Your Mailbox)' "$T_DIR/carol_sub.msg"
printf 'SEQUENTIAL\nbob;bob\n' >"$T_DIR/bob_sub.csv"
e2e_check "bob subscribing to his mailbox -> 401, 200 and a NOTIFY" \
	e2e_sipp bob_sub "$T_SRC/subscribe.xml" -inf "$T_DIR/bob_sub.csv" \
	-au bob -ap bobs-secret -m 1 -p "$SUB_PORT"
e2e_check "... the NOTIFY says no, 0/0" \
	grep -q '^Text-Message: 0/0' <(tr -d '\r' <"$T_DIR/bob_sub.msg")
e2e_kam_stop kam

# ---- with authentication (no SFWD_NO_AUTH): the Lua AUTH route
E2E_AUTH=1 e2e_kam kam_auth "$CFG" -A SFWD_TEST -A "SFWD_LUA=\"$LUA\"" ||
	e2e_fatal "Kamailio started with the Lua config and authentication"
e2e_user alice alices-secret
e2e_check "REGISTER -> 401, with credentials 200" \
	e2e_sipp auth_reg "$E2E_SIPP_DIR/register_contact.xml" -s bob -au bob -ap bobs-secret \
	-key contact_port "$BOB_PORT" -key expires 60 -m 1 -p $((E2E_SIP_PORT + 13))
e2e_check "... the 401 came first" grep -q '^SIP/2.0 401 ' "$T_DIR/auth_reg.msg"
e2e_request_xml "$T_DIR/m407.xml" MESSAGE "" text/plain "$T_DIR/text" 407
e2e_check "MESSAGE from alice without credentials -> 407" \
	e2e_sipp m407 "$T_DIR/m407.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "nothing stored without credentials" 0 "$(e2e_rows bob)"
# ---- an MSRP session for an offline user: route_session / sf_session_accept()
timeout 30 python3 "$T_SRC/session.py" --kam-port "$E2E_SIP_PORT" \
	--port $((E2E_SIP_PORT + 16)) --password alices-secret \
	>"$T_DIR/session.txt" 2>"$T_DIR/session.err"
e2e_reported "$T_DIR/session.txt" "(see session.err)" "the session driver reported only known checks" \
	"Lua: INVITE to offline dave with an MSRP offer -> 200 from sfwd" \
	"Lua: the SEND -> 200 (stored)" "Lua: BYE -> 200"
e2e_eq "the session's message is stored for dave, in its session" 1 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message m JOIN sfwd_session s ON s.id = m.session_id WHERE m.aor = 'dave@$E2E_ADDR' AND m.body = 'hello through Lua'::bytea")"
e2e_eq "no errors in the Kamailio log (authentication)" 0 \
	"$(tr -d '\r' <"$T_DIR/kam_auth/kamailio.log" | grep -cE ' (ERROR|CRITICAL):')"
e2e_end
