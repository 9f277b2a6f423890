#!/usr/bin/env bash
# forward_when always / after with e-mail targets through a real MTA
# (exim4 on loopback); when.py sends, reads the maildir and checks.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/mta.sh"
e2e_begin

MTA_PORT=$((E2E_SIP_PORT + 55))
BASE_PORT=$((E2E_SIP_PORT + 56))
e2e_mta "$MTA_PORT"

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST \
	-A "SFWD_SMTP_URL=\"smtp://127.0.0.1:$MTA_PORT\"" \
	-A 'SFWD_SMTP_FROM="sfwd@sfwd.test"' || e2e_fatal "Kamailio started"
rpc() { sf_kamcmd "$T_DIR/kam" "$@" 2>&1; }
e2e_users t063gina t063henry t063ivy t063jack
for p in 'gina:"forward_when":"always"' 'henry:"forward_when":"always"' \
	'ivy:"forward_when":"after","forward_after":3' 'jack:"forward_when":"after","forward_after":4'; do
	u=${p%%:*}
	e2e_check "$u's profile: ${p#*:}" eval \
		"rpc sfwd.profile_set 't063$u@$E2E_ADDR' '{\"forward\":\"mailto:$u@sfwd.test\",${p#*:}}' | grep -qv error"
done

e2e_sql_script >/dev/null
python3 "$T_SRC/when.py" --mta-stop "bash '$T_DIR/mta.sh' stop" --mta-start "bash '$T_DIR/mta.sh' start" --kam-port "$E2E_SIP_PORT" --base-port "$BASE_PORT" \
	--domain "$E2E_ADDR" --maildir "$MTA_DIR/Maildir" \
	--sql bash "$T_DIR/q.sh" --log "$T_DIR/when.log" >"$T_DIR/when.out" 2>"$T_DIR/when.err"
mapfile -t names < <(grep -o 'st\.check("[^"]*"' "$T_SRC/when.py" | sed 's/^st\.check("//; s/"$//')
e2e_reported "$T_DIR/when.out" "(see when.log, when.err)" "when.py reports no other check" "${names[@]}"
e2e_end
