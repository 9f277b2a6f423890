#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

BOB_PORT=$((E2E_SIP_PORT + 11))
SUB_PORT=$((E2E_SIP_PORT + 15))

e2e_kam_example
e2e_user bob bobs-secret
e2e_user carol carols-secret

# carol (authenticated as herself) may not watch bob's mailbox
printf 'SEQUENTIAL\nbob;carol\n' >"$T_DIR/carol.csv"
e2e_check "carol subscribing to bob's mailbox -> 401, then 403" \
	e2e_sipp carol "$T_SRC/subscribe.xml" -inf "$T_DIR/carol.csv" -au carol \
	-ap carols-secret -m 1 -p "$SUB_PORT"
e2e_check "403 says why" grep -q '^SIP/2.0 403 Forbidden (Not Your Mailbox)' "$T_DIR/carol.msg"
printf 'SEQUENTIAL\nbob;bob\n' >"$T_DIR/wrong.csv"
e2e_sipp wrong "$T_SRC/subscribe.xml" -inf "$T_DIR/wrong.csv" -au bob \
	-ap wrong-password -m 1 -p "$SUB_PORT"
e2e_eq "a wrong password gets no subscription" 0 \
	"$(tr -d '\r' <"$T_DIR/wrong.msg" | grep -c '^SIP/2.0 200')"
e2e_check "... but a new challenge" test \
	"$(tr -d '\r' <"$T_DIR/wrong.msg" | grep -c '^SIP/2.0 401')" -ge 2

# bob watches his own mailbox until it says no after yes
printf 'SEQUENTIAL\nbob;bob\n' >"$T_DIR/bob.csv"
timeout 60 sipp -sf "$T_SRC/subscribe.xml" -inf "$T_DIR/bob.csv" -au bob \
	-ap bobs-secret -i "$E2E_ADDR" \
	-p "$SUB_PORT" -m 1 -nostdin -timeout 50s -trace_msg \
	-message_file "$T_DIR/sub.msg" "$E2E_ADDR:$E2E_SIP_PORT" >"$T_DIR/sub.out" 2>&1 &
sub=$!
notifies() { # one line per NOTIFY: "Messages-Waiting: x Text-Message: n/m"
	{ tr -d '\r' <"$T_DIR/sub.msg"; } 2>/dev/null | awk '
	function out() { if (mw != "") print "Messages-Waiting: " mw " Text-Message: " tm; mw = "" }
	/^NOTIFY /{ out(); r = 1; next }
	/^SIP\/2\.0 /{ out(); r = 0 }
	r && /^Messages-Waiting:/ { mw = $2 }
	r && /^Text-Message:/ { tm = $2 }
	END { out() }'
}
wait_notify() { # wait_notify PATTERN: a NOTIFY body matching it arrived
	local i
	for ((i = 0; i < 100; i++)); do
		notifies | grep -q "$1" && return 0
		sleep 0.1
	done
	return 1
}
e2e_check "bob's SUBSCRIBE -> NOTIFY no, 0/0" wait_notify '^Messages-Waiting: no Text-Message: 0/0$'

echo "for bob" >"$T_DIR/text"
e2e_request_xml "$T_DIR/m.xml" MESSAGE "" text/plain "$T_DIR/text" 202
e2e_check "3 MESSAGEs stored for bob" e2e_sipp m "$T_DIR/m.xml" -s bob -m 3 -p $((E2E_SIP_PORT + 12))
e2e_check "NOTIFY yes, 3/0" wait_notify '^Messages-Waiting: yes Text-Message: 3/0$'

e2e_recipient phone "$BOB_PORT" 3 30
e2e_check "bob registers his phone" e2e_register reg bob "$BOB_PORT"
e2e_uas_wait
e2e_eq "the phone got the 3 messages" 0 $?
wait "$sub"
e2e_eq "the subscriber saw yes then no, and ended" 0 $?
notifies >"$T_DIR/sequence"
e2e_eq "the first NOTIFY: no, 0/0" "Messages-Waiting: no Text-Message: 0/0" "$(head -n 1 "$T_DIR/sequence")"
e2e_eq "the last NOTIFY: no, 0/0" "Messages-Waiting: no Text-Message: 0/0" "$(tail -n 1 "$T_DIR/sequence")"
e2e_eq "the NOTIFYs count up to 3 while storing" 1 "$(grep -c 'Text-Message: 3/0' "$T_DIR/sequence")"
e2e_end
