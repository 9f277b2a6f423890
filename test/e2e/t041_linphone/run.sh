#!/usr/bin/env bash
# shellcheck disable=SC2317 # the helpers below are called through e2e_until
# alice is a real linphonec; see README
. "$(dirname "$0")/../lib.sh"
e2e_begin

LIN_PORT=$((E2E_SIP_PORT + 15)) # alice's linphonec, UDP
BOB_PORT=$((E2E_SIP_PORT + 11))
TEXT="t041 hello from linphonec"
H=$T_DIR/alice
LIN_DB=$H/linphone.db
# lin_sql SQL: a query on linphonec's database (read-only; it may be writing)
lin_sql() { sqlite3 -readonly -cmd '.timeout 2000' "$LIN_DB" "$1" 2>/dev/null; }
# the state of alice's one outgoing chat message (LinphoneChatMessageState)
lin_state() { lin_sql "SELECT state FROM conference_chat_message_event WHERE direction = 1"; }
in_log() { grep -q -- "$1" "$H/log" 2>/dev/null; }
in_log_f() { grep -qF -- "$1" "$H/log" 2>/dev/null; }
state_is() { [ "$(lin_state)" = "$1" ]; }

for c in linphonec sqlite3 sipp; do
	command -v "$c" >/dev/null ||
		e2e_fatal "$c is installed (Debian: linphone-cli, sqlite3, sip-tester)"
done
e2e_kam_example

# alice: linphonec with its own config, HOME and database, commands on
# stdin through a fifo (fd 3), its log at level 6 (the SIP messages too)
mkdir -p "$H/.local/share/linphone"
sed -e "s|@LIN_PORT@|$LIN_PORT|g" -e "s|@ADDR@|$E2E_ADDR|g" \
	-e "s|@SIP_PORT@|$E2E_SIP_PORT|g" -e "s|@DB@|$LIN_DB|g" \
	"$T_SRC/linphonerc.in" >"$H/rc"
mkfifo "$H/in"
HOME=$H XDG_CONFIG_HOME=$H/.config XDG_DATA_HOME=$H/.local/share \
	PULSE_SERVER=unix:$H/no-pulse timeout -k 2 50 \
	linphonec -c "$H/rc" -d 6 -l "$H/log" <"$H/in" >"$H/out" 2>&1 &
lin=$!
exec 3>"$H/in"
e2e_on_exit "exec 3>&-; kill $lin; wait $lin"

if e2e_until 100 in_log 'to \[LinphoneRegistrationOk\]'; then
	e2e_ok "linphonec (alice) registers"
else
	e2e_fail "linphonec (alice) registers (log: $H/log)"
	e2e_end
fi

# bob is offline: sfwd stores the message (202)
echo "chat sip:bob@$E2E_ADDR $TEXT" >&3
e2e_until 100 in_log '^SIP/2.0 202 '
e2e_check "sfwd answers linphonec's MESSAGE 202" in_log '^SIP/2.0 202 Accepted'
e2e_check "and no error reply (linphonec's log)" \
	bash -c "! grep -E '^SIP/2.0 [3-6][0-9][0-9] ' '$H/log'"
mid=$(lin_sql "SELECT imdn_message_id FROM conference_chat_message_event WHERE direction = 1")
e2e_check "linphonec keeps it under an imdn.Message-ID ($mid)" test -n "$mid"
e2e_eq "stored for bob as message/cpim asking for delivery reports, with that id" \
	"message/cpim 3 $mid" \
	"$(e2e_q "SELECT content_type || ' ' || notify || ' ' || imdn_id FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'")"
e2e_until 30 state_is 2
e2e_eq "linphonec marks it Delivered (2: the server took it)" 2 "$(lin_state)"

# bob registers and gets it
e2e_delivery bob "$BOB_PORT" 1 10 2>/dev/null
e2e_check "... alice's text" grep -qxF "$TEXT" "$T_DIR/bob.txt"
e2e_check "... in linphonec's CPIM, with its imdn.Message-ID" \
	grep -qxF "imdn.Message-ID: $mid" "$T_DIR/bob.txt"

# the report reaches linphonec, which marks the message DeliveredToUser
e2e_check "linphonec receives a report on $mid" \
	e2e_until 50 in_log_f "<message-id>$mid</message-id>"
e2e_check "... <delivered/>" in_log_f '<delivered/>'
e2e_until 50 state_is 6
e2e_eq "linphonec marks its message DeliveredToUser (6) in its database" 6 "$(lin_state)"
e2e_eq "the report is no chat message shown to alice" 0 \
	"$(lin_sql "SELECT count(*) FROM conference_chat_message_event WHERE direction = 0")"

echo quit >&3
e2e_until 30 bash -c "! kill -0 $lin 2>/dev/null"
e2e_end
