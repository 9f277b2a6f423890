#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

RCPT_PORT=$((E2E_SIP_PORT + 11))
SEND_PORT=$((E2E_SIP_PORT + 13))
kc() { sf_kamcmd "$T_DIR/kam" "$@"; }
# Kamailio's main process and its children, one PID a line
kam_procs() {
	local main
	main=$(cat "$T_DIR/kam/kamailio.pid" 2>/dev/null) || return
	echo "$main"
	ps -o pid= --ppid "$main" | tr -d ' ' | sort -n
}

e2e_user bob bobs-secret
e2e_user carol carols-secret
e2e_user alice alices-secret
e2e_kam_example
# the "before" snapshot once Kamailio has settled: under ASan its processes
# rename themselves for a while after the control socket answers (main
# becomes "main process - attendant", the TCP main comes last); bounded
psx_settled() {
	kc core.psx >"$T_DIR/psx.before" 2>&1
	grep -q 'tcp main process' "$T_DIR/psx.before" &&
		grep -q 'main process - attendant' "$T_DIR/psx.before" &&
		sleep 0.3 && kc core.psx 2>&1 | cmp -s - "$T_DIR/psx.before"
}
e2e_until 100 psx_settled || e2e_fail "core.psx settles after the start (see psx.before)"
kam_procs >"$T_DIR/procs.before"

# the matrix; each request's final reply in sent.json
t0=$(e2e_ms_now)
timeout 120 python3 "$T_SRC/hostile.py" send --kam "$E2E_ADDR:$E2E_SIP_PORT" \
	--port "$SEND_PORT" --out "$T_DIR/sent.json" --only "${T042_ONLY:-}" 2>"$T_DIR/send.log"
e2e_eq "the sender ran to its end" 0 $?
echo "  sent in $(($(e2e_ms_now) - t0)) ms:" && sed 's/^/    /' "$T_DIR/send.log"
# past the lifetime of "Expires: 1" (the sweep runs every second)
sleep 3
e2e_q "SELECT split_part(aor, '@', 1), encode(convert_to(call_id, 'UTF8'), 'hex'),
	encode(convert_to(from_tag, 'UTF8'), 'hex'), cseq, state FROM sfwd_message
	ORDER BY id" | tr '|' '\t' >"$T_DIR/rows.txt"

# the recipient: UDP and TCP on one port, for both users
: >"$T_DIR/recv.jsonl"
timeout 120 python3 "$SF_TOP/test/e2e/sip_recipient.py" --port "$RCPT_PORT" \
	--log "$T_DIR/recv.jsonl" --timeout 110 >"$T_DIR/recv.out" 2>&1 &
rcpt=$!
e2e_on_exit "kill $rcpt"
for ((i = 0; i < 50; i++)); do
	grep -q listening "$T_DIR/recv.out" 2>/dev/null && break
	sleep 0.1
done
e2e_check "bob registers -> 200" e2e_sipp reg_bob "$E2E_SIPP_DIR/register_contact.xml" \
	-s bob -key contact_port "$RCPT_PORT" -key expires 3600 -m 1 -p $((E2E_SIP_PORT + 14))
e2e_check "carol registers -> 200" e2e_sipp reg_carol "$E2E_SIPP_DIR/register_contact.xml" \
	-s carol -key contact_port "$RCPT_PORT" -key expires 3600 -m 1 -p $((E2E_SIP_PORT + 15))
# bounded: until nothing is queued any more (at most 40 s), then a second
# more for late duplicates
t0=$(e2e_ms_now)
while [ $(($(e2e_ms_now) - t0)) -lt 40000 ]; do
	[ "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE state = 'queued'")" = 0 ] && break
	sleep 0.2
done
sleep 1
echo "  deliveries took $(($(e2e_ms_now) - t0)) ms; $(wc -l <"$T_DIR/recv.jsonl") requests received"
kill "$rcpt" 2>/dev/null
wait "$rcpt" 2>/dev/null

# one check per item, and across the matrix
python3 "$T_SRC/hostile.py" check --sent "$T_DIR/sent.json" --db "$T_DIR/rows.txt" \
	--recv "$T_DIR/recv.jsonl" >"$T_DIR/checks.txt" 2>"$T_DIR/check.err"
e2e_eq "the checker ran" 0 $?
while IFS=$'\t' read -r what exp got; do
	e2e_eq "$what" "$exp" "$got"
done <"$T_DIR/checks.txt"

e2e_eq "table empty at the end (no queued, failed or expired row)" 0 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message")"
kam_procs >"$T_DIR/procs.after"
e2e_check "Kamailio's main process still runs" \
	kill -0 "$(head -n 1 "$T_DIR/procs.before")"
e2e_check "Kamailio never restarted: main PID and every process unchanged" \
	cmp -s "$T_DIR/procs.before" "$T_DIR/procs.after"
kc core.psx >"$T_DIR/psx.after" 2>&1
e2e_check "core.psx lists the same processes as before" \
	cmp -s "$T_DIR/psx.before" "$T_DIR/psx.after"
e2e_eq "no BUG/corrupt/segfault/core dumped/crashed child in Kamailio's log" 0 \
	"$(grep -ciE 'BUG|corrupt|segfault|core dumped|core was generated|by a signal' "$T_DIR/kam/kamailio.log")"
e2e_end
