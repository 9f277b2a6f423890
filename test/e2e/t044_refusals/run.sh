#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

CAROL_PORT=$((E2E_SIP_PORT + 11))
kc() { sf_kamcmd "$T_DIR/kam" "$@" 2>&1 | tee -a "$T_DIR/rpc.txt"; }
final() { tr -d '\r' <"$T_DIR/$1.msg" | awk '/^SIP\/2\.0 [2-6][0-9][0-9]/ && $2 != 407 {c=$2} END{print c}'; }

E2E_AUTH=1 e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST ||
	e2e_fatal "Kamailio started"

# alice's MESSAGE scenario (digest on 407), to sip:[service]@<address> with
# no port, optionally asking for reports
scen() { # scen OUT [HEADER]
	sed -e 's|MESSAGE sip:\[service\]@\[remote_ip\]:\[remote_port\] SIP/2.0|MESSAGE sip:[service]@[remote_ip] SIP/2.0|' \
		-e "s|      Max-Forwards: 70|      Max-Forwards: 70${2:+\\n      $2}|" \
		"$E2E_SIPP_DIR/message.xml" >"$1"
}
scen "$T_DIR/noport.xml"
scen "$T_DIR/notify.xml" "Request-Disposition: notify"

# item 15: no port means 5060, and the cfg's alias makes it local
e2e_sipp noport "$T_DIR/noport.xml" -s bob -au alice -ap alices-secret -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "MESSAGE to sip:bob@$E2E_ADDR (no port, SIP on $E2E_SIP_PORT) -> 202" 202 "$(final noport)"
e2e_eq "... stored for bob" 1 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'")"

# item 5: what the script removed is not stored (remove_hf() leaves the
# parsed header; sfwd reads the lumps), what it kept is
scen "$T_DIR/hdrs.xml" "X-Test-Kept: kept-1\n      X-Test-Removed: removed-1"
e2e_sipp hdrs "$T_DIR/hdrs.xml" -s dave -au alice -ap alices-secret -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "a MESSAGE with a kept header and one the script removes -> 202" 202 "$(final hdrs)"
e2e_eq "... the kept one is stored, the removed one is not" "t f" \
	"$(e2e_q "SELECT headers LIKE '%X-Test-Kept: kept-1%', headers LIKE '%X-Test-Removed%' FROM sfwd_message WHERE aor = 'dave@$E2E_ADDR'" | tr '|' ' ')"

# item 9: only subscribers have a mailbox
e2e_sipp mallory "$T_DIR/noport.xml" -s mallory -au alice -ap alices-secret -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "MESSAGE to mallory, who is no subscriber -> 404" 404 "$(final mallory)"
e2e_eq "... nothing stored for mallory" 0 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor LIKE 'mallory@%'")"

# item 13: carol refuses with 403; alice (offline) gets a stored report
e2e_sipp notify "$T_DIR/notify.xml" -s carol -au alice -ap alices-secret -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "a notify MESSAGE to carol (offline) -> 202" 202 "$(final notify)"
sed 's|SIP/2.0 200 OK|SIP/2.0 403 Forbidden|' "$E2E_SIPP_DIR/uas_message.xml" >"$T_DIR/uas403.xml"
timeout 30 sipp -sf "$T_DIR/uas403.xml" -i "$E2E_ADDR" -p "$CAROL_PORT" -m 1 -nostdin \
	-timeout 20s -trace_msg -message_file "$T_DIR/carol.msg" >"$T_DIR/carol.out" 2>&1 &
carol=$!
e2e_on_exit "kill $carol"
e2e_wait_port "$CAROL_PORT"
e2e_check "carol registers" e2e_sipp reg "$E2E_SIPP_DIR/register_contact.xml" -s carol \
	-au carol -ap carols-secret -key contact_port "$CAROL_PORT" -key expires 3600 -m 1 \
	-p $((E2E_SIP_PORT + 13))
wait "$carol"
for ((i = 0; i < 50; i++)); do
	[ "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'alice@$E2E_ADDR'")" = 1 ] && break
	sleep 0.1
done
e2e_eq "carol's 403 ends the message failed" "failed 403" \
	"$(e2e_q "SELECT state || ' ' || last_code FROM sfwd_message WHERE aor = 'carol@$E2E_ADDR'")"
report=$(e2e_q "SELECT convert_from(body, 'UTF8') FROM sfwd_message WHERE aor = 'alice@$E2E_ADDR'")
e2e_check "the report stored for alice says <failed/>" grep -q '<failed/>' <<<"$report"
e2e_check "... not <forbidden/> (RFC 5438 7.2.1.1: that is an IMDN denied by policy)" \
	eval '! grep -q "<forbidden/>" <<<"$report"'

# item 11: hostile RPC arguments
out=$(kc sfwd.list "sip:%FF@$E2E_ADDR" 2>&1)
e2e_check "sfwd.list of an AoR that decodes to 0xFF -> 400 (not 500)" grep -q '400' <<<"$out"
long="sip:$(head -c 5000 /dev/zero | tr '\0' a)@$E2E_ADDR"
out=$(kc sfwd.list "$long" 2>&1)
e2e_check "sfwd.list of a 5,000-character AoR -> a 400 reply (not an empty one)" \
	grep -q '400.*Bad AoR' <<<"$out"
e2e_check "... its fault echoes at most 64 characters of the input" \
	test "$(grep -o 'a*' <<<"$out" | awk '{ if (length > m) m = length } END { print m + 0 }')" -le 64
out=$(kc sfwd.policy_get "$long" 2>&1)
e2e_check "sfwd.policy_get of it -> 400 too" grep -q '400' <<<"$out"

# item 7: previews of hostile stored bodies (rows as a store holds them)
ins() { # ins CONTENT-TYPE HEX-BODY -> id
	e2e_q "INSERT INTO sfwd_message (aor, ruri, from_uri, to_uri, call_id, cseq, received,
		expires, class, content_type, body) VALUES ('erin@$E2E_ADDR', 'sip:erin@$E2E_ADDR',
		'sip:alice@$E2E_ADDR', 'sip:erin@$E2E_ADDR', md5(random()::text), 1, now(),
		now() + interval '1 day', 2, '$1', decode('$2', 'hex')) RETURNING id" | head -n 1
}
# 199 ASCII bytes, then a two-byte character across the 200-byte preview
cut=$(ins 'text/plain;charset=utf-8' "$(printf 'x%.0s' $(seq 199) | od -An -v -tx1 | tr -d ' \n')c3a9")
out=$(kc sfwd.show "$cut" 2>&1)
e2e_check "sfwd.show: a preview that would cut a character -> ok (not 500)" \
	grep -q "preview: $(printf 'x%.0s' $(seq 199))$" <<<"$out"
nul=$(ins 'text/plain' 68656c6c6f00776f726c64)
out=$(kc sfwd.show "$nul" 2>&1)
e2e_check "sfwd.show: a text body with a NUL byte -> shown as binary (hex)" \
	grep -q 'preview_hex: 68656c6c6f00776f726c64' <<<"$out"
bad=$(ins 'text/plain' 636166ff)
out=$(kc sfwd.show "$bad" 2>&1)
e2e_check "sfwd.show: a text body that is not UTF-8 -> shown as binary" \
	grep -q 'preview_hex: 636166ff' <<<"$out"
e2e_eq "no RPC answered 500" 0 "$(grep -c '^error: 500' "$T_DIR/rpc.txt")"
e2e_check "Kamailio still answers RPC" eval 'kc core.uptime >/dev/null'
e2e_end
