#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

BOB_PORT=$((E2E_SIP_PORT + 11))

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST || e2e_fatal "Kamailio started"
kpid=$(cat "$T_DIR/kam/kamailio.pid")

# ins CALL-ID CSEQ FROM-NAME TO-NAME HEADERS: a queued row for bob, as a
# writer other than this sfwd could have left it
ins() {
	e2e_q "INSERT INTO sfwd_message (aor, ruri, from_uri, from_name, from_tag, to_uri,
		to_name, call_id, cseq, received, expires, class, content_type, body, headers)
		VALUES ('bob@$E2E_ADDR', 'sip:bob@$E2E_ADDR', 'sip:alice@$E2E_ADDR', '$3', 't047',
		'sip:bob@$E2E_ADDR', '$4', '$1', $2, now(), now() + interval '30 days', 2,
		'text/plain', convert_to('body of $1', 'UTF8'), $5)" >/dev/null
}
e61="'Expires: 2592000' || chr(13) || chr(10) || repeat('Expires: 1' || chr(13) || chr(10), 60)"
e1000="repeat('Expires: 1' || chr(13) || chr(10), 1000)"
ins t047-e61 1 '' '' "$e61"
ins t047-e1000 2 '' '' "$e1000"
ins t047-nocrlf 3 '' '' "'Subject: no end' || chr(13) || chr(10) || 'Expires: 5'"
ins t047-names 4 "\"$(head -c 2000 /dev/zero | tr '\0' n)\"" "\"$(head -c 2000 /dev/zero | tr '\0' t)\"" "''"
ins t047-cseq 4294967295 '' '' "'Expires: 60' || chr(13) || chr(10)"
e2e_eq "5 hostile rows queued for bob" 5 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'")"

timeout 40 sipp -sf "$E2E_SIPP_DIR/uas_message.xml" -i "$E2E_ADDR" -p "$BOB_PORT" \
	-m 5 -nostdin -timeout 30s -trace_msg -message_file "$T_DIR/bob.msg" \
	>"$T_DIR/bob.out" 2>&1 &
bob=$!
e2e_on_exit "kill $bob"
e2e_wait_port "$BOB_PORT"
e2e_check "bob registers -> 200" e2e_sipp reg "$E2E_SIPP_DIR/register_contact.xml" \
	-s bob -key contact_port "$BOB_PORT" -key expires 3600 -m 1 -p $((E2E_SIP_PORT + 13))
wait "$bob"
e2e_eq "bob's recipient got 5 MESSAGEs and ended cleanly" 0 $?
tr -d '\r' <"$T_DIR/bob.msg" | awk '/^MESSAGE /{r=1; n++} /^SIP\/2\.0 /{r=0} r{print n ": " $0}' >"$T_DIR/bob.txt"
for c in t047-e61 t047-e1000 t047-nocrlf t047-names t047-cseq; do
	e2e_eq "$c delivered once" 1 "$(grep -c "^[0-9]*: Call-ID: $c$" "$T_DIR/bob.txt")"
done
# each replay: one Expires, what is left of 30 days (or of the lifetime)
e2e_eq "every replay carries exactly one Expires" "1 1 1 1" \
	"$(for c in t047-e61 t047-e1000 t047-nocrlf t047-cseq; do
		n=$(grep "^[0-9]*: Call-ID: $c$" "$T_DIR/bob.txt" | cut -d: -f1)
		grep -c "^$n: Expires: " "$T_DIR/bob.txt"; done | tr '\n' ' ' | sed 's/ $//')"
n=$(grep "^[0-9]*: Call-ID: t047-e61$" "$T_DIR/bob.txt" | cut -d: -f1)
left=$(sed -n "s/^$n: Expires: //p" "$T_DIR/bob.txt")
e2e_check "... the 61-Expires row says what is left of 30 days ($left)" \
	test "${left:-0}" -gt 2591000 -a "${left:-0}" -le 2592000
e2e_check "the 2,000-byte display names are replayed whole" \
	grep -q "^[0-9]*: From: \"$(head -c 2000 /dev/zero | tr '\0' n)\" <sip:alice@" "$T_DIR/bob.txt"
e2e_check "CSeq 4294967295 is replayed as stored" grep -q '^[0-9]*: CSeq: 4294967295 MESSAGE$' "$T_DIR/bob.txt"
for ((i = 0; i < 50; i++)); do
	[ "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'")" = 0 ] && break
	sleep 0.1
done
e2e_eq "the store is empty" 0 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'")"
e2e_eq "Kamailio's main process is the same" "$kpid" "$(cat "$T_DIR/kam/kamailio.pid")"
e2e_check "... and answers RPC" eval 'sf_kamcmd "$T_DIR/kam" core.uptime >/dev/null'
e2e_eq "no allocator BUG, crash or signal in the log" 0 \
	"$(grep -cE 'BUG|corrupt|segfault|core dumped|by a signal' "$T_DIR/kam/kamailio.log")"
e2e_end
