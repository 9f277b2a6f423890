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

# ---- the config: kamailio -c, with and without SFWD_NO_AUTH
e2e_cfg_check "$CFG" -A "SFWD_LUA=\"$LUA\""

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

e2e_kemi_flow "$T_SRC" t032
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
