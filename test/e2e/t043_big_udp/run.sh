#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

SEND_PORT=$((E2E_SIP_PORT + 13))
queued() { e2e_q "SELECT count(*) FROM sfwd_message WHERE state = 'queued'"; }

# rcpt_start LOG PORT [--udp-only]: the recipient in the background (RCPT)
RCPT=
rcpt_start() {
	local i
	: >"$T_DIR/$1.jsonl"
	timeout 60 python3 "$SF_TOP/test/e2e/sip_recipient.py" --port "$2" \
		--log "$T_DIR/$1.jsonl" --timeout 50 "${@:3}" >"$T_DIR/$1.out" 2>&1 &
	RCPT=$!
	e2e_on_exit "kill $RCPT"
	for ((i = 0; i < 50; i++)); do
		grep -q listening "$T_DIR/$1.out" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
rcpt_stop() {
	kill "$RCPT" 2>/dev/null
	wait "$RCPT" 2>/dev/null
}
send() { # send CASE
	timeout 60 python3 "$T_SRC/big.py" send --kam "$E2E_ADDR:$E2E_SIP_PORT" \
		--port "$SEND_PORT" --out "$T_DIR/sent_$1.json" --tag "$1" 2>"$T_DIR/send_$1.log"
	e2e_eq "$1: the sender ran to its end" 0 $?
	sed 's/^/    /' "$T_DIR/send_$1.log"
}
register() { # register CASE PORT: bob over UDP; sets T0 (ms, before the REGISTER)
	T0=$(e2e_ms_now)
	e2e_check "$1: bob registers over UDP -> 200" e2e_sipp "reg_$1" \
		"$E2E_SIPP_DIR/register_contact.xml" -s bob -key contact_port "$2" \
		-key expires 3600 -m 1 -p $((E2E_SIP_PORT + 14))
}
checks() { # checks CASE
	python3 "$T_SRC/big.py" check --sent "$T_DIR/sent_$1.json" \
		--recv "$T_DIR/rcpt_$1.jsonl" --t0 "$T0" --case "$1" >"$T_DIR/checks_$1.txt"
	e2e_eq "$1: the checker ran" 0 $?
	while IFS=$'\t' read -r what exp got; do
		e2e_eq "$what" "$exp" "$got"
	done <"$T_DIR/checks_$1.txt"
}

e2e_user bob bobs-secret
e2e_user alice alices-secret

# --- Case A: bob's recipient on UDP and TCP
e2e_kam_example
send A
e2e_check "A: recipient listens on UDP and TCP" rcpt_start rcpt_A $((E2E_SIP_PORT + 11))
register A $((E2E_SIP_PORT + 11))
while [ $(($(e2e_ms_now) - T0)) -lt 12000 ] && [ "$(queued)" != 0 ]; do
	sleep 0.2
done
sleep 0.5
echo "  A: queue empty after $(($(e2e_ms_now) - T0)) ms ($(queued) queued)"
rcpt_stop
checks A
e2e_eq "A: table empty" 0 "$(e2e_q "SELECT count(*) FROM sfwd_message")"

# --- Case B: a fresh Kamailio (no registrations), bob on UDP only
e2e_kam_stop kam
e2e_kam kam2 "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST || e2e_fatal "Kamailio (B) started"
e2e_q "DELETE FROM sfwd_message" >/dev/null
send B
big_cid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["call_id"])' \
	"$T_DIR/sent_B.json")
e2e_check "B: recipient listens on UDP only" rcpt_start rcpt_B $((E2E_SIP_PORT + 12)) --udp-only
register B $((E2E_SIP_PORT + 12))
big_state() {
	e2e_q "SELECT state || ' ' || coalesce(last_code::text, '-') FROM sfwd_message
		WHERE call_id = '$big_cid'"
}
st=
while [ $(($(e2e_ms_now) - T0)) -lt 10000 ]; do
	st=$(big_state)
	[ "$st" = "failed 513" ] && break
	sleep 0.2
done
echo "  B: big row '$st' after $(($(e2e_ms_now) - T0)) ms"
e2e_eq "B: the big row failed with last_code 513 within 10 s" "failed 513" "$st"
echo "  B: big row attempts: $(e2e_q "SELECT attempts FROM sfwd_message WHERE call_id = '$big_cid'")"
sleep 0.5
rcpt_stop
checks B
e2e_eq "B: nothing else left in the table" 0 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE call_id <> '$big_cid'")"
e2e_eq "no BUG/corrupt/segfault/core dumped/crashed child in Kamailio's logs" 0 \
	"$(cat "$T_DIR"/kam*/kamailio.log | grep -ciE 'BUG|corrupt|segfault|core dumped|core was generated|by a signal')"
e2e_end
