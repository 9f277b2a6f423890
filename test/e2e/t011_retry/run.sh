#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

N=30
BOB_PORT=$((E2E_SIP_PORT + 11))

# default timers: no timed retry fires between the two passes
e2e_kam kam "$SF_TOP/etc/kamailio.cfg" || e2e_fatal "Kamailio started"
e2e_q "DELETE FROM sfwd_message" >/dev/null

# every third message asks bob's first recipient to refuse it (480); the
# fifth to forbid it (403)
{
	echo SEQUENTIAL
	for ((i = 1; i <= N; i++)); do
		if [ "$i" = 5 ]; then
			echo "$i;FORBID"
		elif ((i % 3 == 0)); then
			echo "$i;REFUSE"
		else
			echo "$i;ok"
		fi
	done
} >"$T_DIR/verdicts.csv"
e2e_check "$N MESSAGEs stored" e2e_sipp alice "$T_SRC/alice.xml" -s bob -m $N \
	-inf "$T_DIR/verdicts.csv" -p $((E2E_SIP_PORT + 12))

bob() { # bob LOG COUNT SCENARIO: a recipient for COUNT MESSAGEs
	timeout 40 sipp -sf "$3" -i "$E2E_ADDR" -p "$BOB_PORT" -m "$2" -nostdin \
		-timeout 30s -trace_msg -message_file "$T_DIR/$1.msg" >"$T_DIR/$1.out" 2>&1 &
	bob_pid=$!
	e2e_wait_port "$BOB_PORT"
}
register() {
	e2e_sipp "reg_$1" "$E2E_SIPP_DIR/register_contact.xml" -s bob \
		-key contact_port "$BOB_PORT" -key expires 3600 -m 1 -p $((E2E_SIP_PORT + 13))
}
wait_queued() { # wait_queued N: until N rows are queued and unclaimed
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'
			AND state = 'queued' AND claim_owner IS NULL")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
received() { # received LOG: the MESSAGEs in a recipient's log, CR-free
	tr -d '\r' <"$T_DIR/$1.msg" | awk '/^MESSAGE /{r=1} /^SIP\/2\.0 /{r=0} r'
}
calls_with() { # calls_with LOG WORD: Call-IDs of the MESSAGEs whose body has WORD
	received "$1" | awk -v w="$2" '/^Call-ID: /{c=$2} /^t011 message /{if ($NF == w) print c}'
}

refused=$((N / 3))
bob bob1 $N "$T_SRC/bob.xml"
e2e_check "bob registers" register 1
wait "$bob_pid"
e2e_eq "first pass: bob's recipient saw all $N" 0 $?
e2e_check "first pass: the $refused refused rows are queued again" wait_queued $refused
e2e_eq "refused rows: attempts 1, last code 480, timed retry set" $refused \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE state = 'queued' AND attempts = 1
		AND last_code = 480 AND next_attempt IS NOT NULL
		AND convert_from(body, 'UTF8') LIKE '%REFUSE%'")"
e2e_eq "the forbidden row is 'failed' with 403" 1 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE state = 'failed' AND last_code = 403
		AND done_at IS NOT NULL")"

# second pass: a recipient that takes everything
bob bob2 $refused "$E2E_SIPP_DIR/uas_message.xml"
e2e_check "bob registers again" register 2
wait "$bob_pid"
e2e_eq "second pass: bob's recipient saw the $refused refused ones" 0 $?
e2e_check "second pass: nothing queued" wait_queued 0
e2e_eq "the failed row stays (terminal, kept for retention)" 1 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE state = 'failed'")"

calls_with bob1 REFUSE | sort >"$T_DIR/refused"
received bob2 | sed -n 's/^Call-ID: //p' | sort >"$T_DIR/second"
e2e_check "second pass got exactly the refused ones" \
	cmp -s "$T_DIR/refused" "$T_DIR/second"
# what bob accepted: the "ok" ones of the first pass, all of the second
{ calls_with bob1 ok; cat "$T_DIR/second"; } >"$T_DIR/accepted"
e2e_eq "no message accepted twice" 0 "$(sort "$T_DIR/accepted" | uniq -d | wc -l)"
e2e_eq "accepted in all: $N - 1 forbidden" $((N - 1)) "$(wc -l <"$T_DIR/accepted")"
e2e_eq "the forbidden one was sent once" 1 "$(calls_with bob1 FORBID | wc -l)"
e2e_end
