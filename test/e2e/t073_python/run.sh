#!/usr/bin/env bash
# t073 (see README): etc/kamailio-python.cfg + etc/kamailio.py
# (app_python3) do what t032 proves of the Lua pair, with t032's SIPp
# scenarios and MSRP session driver; and route_group with t070's group
# client (phase "small"), a user that is not UTF-8, the xhttp handler
. "$(dirname "$0")/../lib.sh"
e2e_begin

CFG=$SF_TOP/etc/kamailio-python.cfg
PY=$SF_TOP/etc/kamailio.py
LUA_T=$E2E_DIR/t032_lua
N=5
BOB_PORT=$((E2E_SIP_PORT + 11))
CAROL_PORT=$((E2E_SIP_PORT + 14))
SUB_PORT=$((E2E_SIP_PORT + 15))
# Python caches the script's bytecode next to it (etc/__pycache__) unless
# told not to
export PYTHONDONTWRITEBYTECODE=1
klog() { tr -d '\r' <"$T_DIR/$1/kamailio.log"; }
e2e_on_exit 'e2e_q "DELETE FROM sfwd_group; DELETE FROM sfwd_group_sent"'

# ---- the script compiles; the config: kamailio -c, with and without
# SFWD_NO_AUTH (-c does not load the script)
e2e_check "etc/kamailio.py compiles (python3)" python3 -c \
	'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")' "$PY"
e2e_cfg_check "$CFG" -A "SFWD_PY=\"$PY\""

e2e_kam kam "$CFG" -A SFWD_TEST -A "SFWD_PY=\"$PY\"" ||
	e2e_fatal "Kamailio started with the Python config"
e2e_ok "Kamailio started with the Python config"
e2e_check "app_python3 loaded etc/kamailio.py (its mod_init() logged)" \
	grep -qF "sfwd: routing in Python by $PY" "$T_DIR/kam/kamailio.log"
e2e_check "app_python3 exports sfwd's KEMI functions (app_python.api_list)" \
	grep -q 'sf_store' <(sf_kamcmd "$T_DIR/kam" app_python.api_list 2>&1)
e2e_q "DELETE FROM sfwd_message; DELETE FROM sfwd_group; DELETE FROM sfwd_group_sent" >/dev/null

# ---- instant to an offline user: 480, nothing stored
e2e_request_xml "$T_DIR/instant.xml" MESSAGE "Request-Disposition: do-not-store" \
	text/plain "$T_SRC/README" 480
e2e_check "instant MESSAGE to offline bob -> 480" \
	e2e_sipp instant "$T_DIR/instant.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
e2e_check "... (Instant Only)" \
	grep -q '^SIP/2.0 480 Temporarily Unavailable (Instant Only)' "$T_DIR/instant.msg"
e2e_eq "instant MESSAGE stored nothing" 0 "$(e2e_rows bob)"

sed 's/t032/t073/g' "$LUA_T/alice.xml" >"$T_DIR/alice.xml"
cp "$LUA_T/phone.xml" "$T_DIR/phone.xml"
e2e_kemi_flow "$T_DIR" t073

# ---- SUBSCRIBE message-summary: WWW digest via route[SFWD_WWW_AUTH]
e2e_user bob bobs-secret
e2e_user carol carols-secret
printf 'SEQUENTIAL\nbob;carol\n' >"$T_DIR/carol_sub.csv"
e2e_check "carol subscribing to bob's mailbox -> 401, then 403" \
	e2e_sipp carol_sub "$LUA_T/subscribe.xml" -inf "$T_DIR/carol_sub.csv" \
	-au carol -ap carols-secret -m 1 -p "$SUB_PORT"
e2e_check "... 403 (Not Your Mailbox)" \
	grep -q '^SIP/2.0 403 Forbidden (Not Your Mailbox)' "$T_DIR/carol_sub.msg"
printf 'SEQUENTIAL\nbob;bob\n' >"$T_DIR/bob_sub.csv"
e2e_check "bob subscribing to his mailbox -> 401, 200 and a NOTIFY" \
	e2e_sipp bob_sub "$LUA_T/subscribe.xml" -inf "$T_DIR/bob_sub.csv" \
	-au bob -ap bobs-secret -m 1 -p "$SUB_PORT"
e2e_check "... the NOTIFY says no, 0/0" \
	grep -q '^Text-Message: 0/0' <(tr -d '\r' <"$T_DIR/bob_sub.msg")

# ---- group messages: route_group (sf_explode) and the sfwd:group event
e2e_users m01
chmod +x "$(e2e_sql_script)"
timeout 60 python3 "$E2E_DIR/t070_group/group.py" --phase small \
	--sip-port "$E2E_SIP_PORT" --base $((E2E_SIP_PORT + 100)) --sql "$T_DIR/q.sh" \
	--rpc "$(e2e_rpc_script kam)" --log "$T_DIR/group.log" \
	>"$T_DIR/group.txt" 2>"$T_DIR/group.err"
e2e_reported "$T_DIR/group.txt" "(see group.err)" "the group client reported only known checks" \
	"s0 bob registers -> 200" \
	"s1 a list of bob (registered) and dave (not) -> 202, 1 delivered, 1 stored" \
	"s2 bob got it once, dave's copy is stored" \
	"s3 m01 to group trio -> 202: bob delivered, dave stored"
# group_line FROM: the outcome of the group lines whose sender is FROM
group_line() {
	e2e_events kam | jq -r --arg f "sip:$1@$E2E_ADDR" 'select(.sfwd == "group" and .from == $f)
		| "\(.state) \(.code) \(.copies) \(.delivered) \(.stored) \(.refused) \(.lost) \(.call_id | length > 0)"'
}
two_group_lines() { [ "$(e2e_events kam | grep -c '"sfwd":"group"')" -ge 2 ]; }
e2e_until 50 two_group_lines
e2e_eq "a \"group\" line for alice's list: sent, 202, 2 copies, 1 delivered, 1 stored" \
	"sent 202 2 1 1 0 0 true" "$(group_line alice)"
e2e_eq "a \"group\" line for m01's message to group trio: the same" \
	"sent 202 2 1 1 0 0 true" "$(group_line m01)"
e2e_check "every event line is still valid JSON" e2e_events_json kam

# ---- a Request-URI user that is not UTF-8: 400 (Python decodes text)
e2e_request_xml "$T_DIR/m400.xml" MESSAGE "" text/plain "$T_DIR/text" 400
e2e_check "MESSAGE to a user that is not UTF-8 -> 400" \
	e2e_sipp m400 "$T_DIR/m400.xml" -s "$(printf 'b\xffb')" -m 1 -p $((E2E_SIP_PORT + 12))
e2e_check "... (Not UTF-8), answered by the Python request route" \
	grep -q '^SIP/2.0 400 Bad Request (Not UTF-8)' "$T_DIR/m400.msg"

e2e_eq "no errors in the Kamailio log (Python exceptions, a route returning None, ...)" 0 \
	"$(klog kam | grep -cE ' (ERROR|CRITICAL):')"
e2e_kam_stop kam

# ---- with authentication (no SFWD_NO_AUTH): the Python AUTH route
# and HTTP (xhttp): the Python ksr_xhttp_event
HTTP_PORT=$((E2E_SIP_PORT + 17))
E2E_AUTH=1 e2e_kam kam_auth "$CFG" -A SFWD_TEST -A "SFWD_PY=\"$PY\"" \
	-A "SFWD_HTTP_PORT=$HTTP_PORT" -A "SFWD_HTTP_ADDR=$E2E_ADDR" \
	-A "SFWD_HTTP_URL=\"http://$E2E_ADDR:$HTTP_PORT/sfwd\"" ||
	e2e_fatal "Kamailio started with the Python config and authentication"
e2e_user alice alices-secret
e2e_check "REGISTER -> 401, with credentials 200" \
	e2e_sipp auth_reg "$E2E_SIPP_DIR/register_contact.xml" -s bob -au bob -ap bobs-secret \
	-key contact_port "$BOB_PORT" -key expires 60 -m 1 -p $((E2E_SIP_PORT + 13))
e2e_check "... the 401 came first" grep -q '^SIP/2.0 401 ' "$T_DIR/auth_reg.msg"
e2e_request_xml "$T_DIR/m407.xml" MESSAGE "" text/plain "$T_DIR/text" 407
e2e_check "MESSAGE from alice without credentials -> 407" \
	e2e_sipp m407 "$T_DIR/m407.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "nothing stored without credentials" 0 "$(e2e_rows bob)"
# ---- an MSRP session for an offline user: route_session /
# sf_session_accept() (t032's driver; its check names say "Lua")
timeout 30 python3 "$LUA_T/session.py" --kam-port "$E2E_SIP_PORT" \
	--port $((E2E_SIP_PORT + 16)) --password alices-secret 2>"$T_DIR/session.err" |
	sed 's/\tLua: /\tPython: /' >"$T_DIR/session.txt"
e2e_reported "$T_DIR/session.txt" "(see session.err)" "the session driver reported only known checks" \
	"Python: INVITE to offline dave with an MSRP offer -> 200 from sfwd" \
	"Python: the SEND -> 200 (stored)" "Python: BYE -> 200"
e2e_eq "the session's message is stored for dave, in its session" 1 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message m JOIN sfwd_session s ON s.id = m.session_id WHERE m.aor = 'dave@$E2E_ADDR' AND m.body = 'hello through Lua'::bytea")"
e2e_eq "no errors in the Kamailio log (authentication)" 0 \
	"$(klog kam_auth | grep -cE ' (ERROR|CRITICAL):')"
# ---- HTTP: the Python ksr_xhttp_event (after the log checks: Kamailio's
# core logs errors parsing xhttp's replies, with any cfg)
# http_get URL: "CODE BODY" of a GET, "+ no-store" when the reply says so
# (sf_http() answered: its 404 carries Cache-Control: no-store)
http_get() {
	curl -s -m 5 -D "$T_DIR/http.hdr" -o "$T_DIR/http.body" -w '%{http_code}' "$1"
	printf ' %s' "$(cat "$T_DIR/http.body")"
	grep -qi '^Cache-Control: no-store' "$T_DIR/http.hdr" && printf ' + no-store'
}
e2e_eq "GET / on the HTTP port -> 404 from the Python handler" "404 not found" \
	"$(http_get "http://$E2E_ADDR:$HTTP_PORT/")"
e2e_eq "a link on the SIP port -> 404 from the Python handler (only the HTTP listener serves)" \
	"404 not found" "$(http_get "http://$E2E_ADDR:$E2E_SIP_PORT/sfwd/m/0123456789abcdef0123456789abcdef")"
e2e_eq "a dead link on the HTTP port -> 404 from sf_http()" "404 not found + no-store" \
	"$(http_get "http://$E2E_ADDR:$HTTP_PORT/sfwd/m/0123456789abcdef0123456789abcdef")"
e2e_end
