#!/usr/bin/env bash
# E-mail forwarding through a real MTA (Debian's exim4, a private instance
# on loopback): mail.py sends, reads the maildir and checks.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/mta.sh"
e2e_begin

MTA_PORT=$((E2E_SIP_PORT + 50))
ALICE_PORT=$((E2E_SIP_PORT + 51))
# exim's own user must reach its folder: not under the clone (which may be
# in a private home), linked from the test's folder
e2e_mta "$MTA_PORT"
echo "  info exim4 answered EHLO ${MTA_START_MS:-?} ms after its start"

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST \
	-A "SFWD_SMTP_URL=\"smtp://127.0.0.1:$MTA_PORT\"" \
	-A 'SFWD_SMTP_FROM="sfwd@sfwd.test"' || e2e_fatal "Kamailio started"
rpc() { sf_kamcmd "$T_DIR/kam" "$@" 2>&1; }
e2e_users t060bob t060carol
e2e_check "bob's profile forwards to mailto:" eval \
	"rpc sfwd.profile_set 't060bob@$E2E_ADDR' '{\"forward\":\"mailto:bob@sfwd.test\"}' | grep -qv error"
e2e_check "carol's to an address the MTA refuses" eval \
	"rpc sfwd.profile_set 't060carol@$E2E_ADDR' '{\"forward\":[\"mailto:carol@reject.test\"]}' | grep -qv error"
out=$(rpc sfwd.profile_set "t060bob@$E2E_ADDR" '{"forward":"mailto:bob@exa..mple"}')
e2e_check "a malformed mailto: is refused, naming the member" eval "grep -q 'forward' <<<'$out'"
echo "  info the refusal: $out"

e2e_sql_script >/dev/null
python3 "$T_SRC/mail.py" --kam-port "$E2E_SIP_PORT" --alice-port "$ALICE_PORT" \
	--domain "$E2E_ADDR" --maildir "$MTA_DIR/Maildir" \
	--mta-stop "bash '$T_DIR/mta.sh' stop" --mta-start "bash '$T_DIR/mta.sh' start" \
	--sql bash "$T_DIR/q.sh" --log "$T_DIR/mail.log" >"$T_DIR/mail.out" 2>"$T_DIR/mail.err"
# every check mail.py makes, by name (one never reported fails)
mapfile -t names < <(grep -o 'st\.check("[^"]*"' "$T_SRC/mail.py" | sed 's/^st\.check("//; s/"$//')
e2e_reported "$T_DIR/mail.out" "(see mail.log, mail.err)" "mail.py reports no other check" "${names[@]}"
echo "  info $(grep -c ' => ' "$MTA_DIR/log/mainlog" 2>/dev/null) deliveries in exim's log; statistics: $(rpc stats.get_statistics sfwd: | grep -E 'forward' | tr -d '"' | tr '\n' ' ' | tr -s ' ')"
e2e_end
