#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

export SFWD_VAR=$T_DIR/var
export SFWD_SIP_PORT=$((E2E_SIP_PORT + 100))
export SFWD_PG_PORT=$((E2E_PG_PORT + 100))
export SFWD_MSRP_PORT=$((E2E_MSRP_PORT + 100))
export SFWD_HTTP_PORT=$((E2E_SIP_PORT + 170)) # +130: the MSRP port by default
export SFWD_SIP_ADDR=$E2E_ADDR

# as a terminal would: its own process group (job control on, so SIGINT
# is not ignored in it), Ctrl-C to the whole group
e2e_on_exit '"$SF_TOP/scripts/sfwd-run.sh" stop'
set -m
make -s -C "$SF_TOP" run >"$T_DIR/make_run.out" 2>&1 </dev/null &
runner=$!
set +m
up=0
for ((i = 0; i < 600; i++)); do
	if grep -q "sfwd is running" "$T_DIR/make_run.out" 2>/dev/null; then
		up=1
		break
	fi
	kill -0 "$runner" 2>/dev/null || break
	sleep 0.1
done
e2e_eq "make run is up within 60 s" 1 "$up"
e2e_check "make run names its HTTP links" grep -q "http://$E2E_ADDR:$SFWD_HTTP_PORT/sfwd/m/" "$T_DIR/make_run.out"
e2e_eq "make run serves HTTP: a link with a wrong token -> 404" 404 \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://$E2E_ADDR:$SFWD_HTTP_PORT/sfwd/m/0123456789abcdef0123456789abcdef")"

# the try-it walk-through, exactly as make run printed it (issue 12 item
# 22): it must end with alice's message shown at bob's phone
sed -n '/^Try it in a second terminal/,/^$/p' "$T_DIR/make_run.out" |
	sed -n 's/^  //p' >"$T_DIR/walk.sh"
e2e_eq "make run prints the six walk-through commands" 6 "$(wc -l <"$T_DIR/walk.sh")"
(cd / && env -u SFWD_VAR -u SFWD_SIP_PORT -u SFWD_PG_PORT -u SFWD_MSRP_PORT \
	-u SFWD_SIP_ADDR timeout 60 bash -e "$T_DIR/walk.sh") </dev/null \
	>"$T_DIR/walk.out" 2>&1
e2e_eq "the walk-through runs to its end" 0 $?
e2e_check "... alice's MESSAGE got 202 (SIPp counts one)" grep -qE "^ +202 <-+ +1 " "$T_DIR/walk.out"
e2e_check "... sfwd.list showed it waiting for bob" grep -q "aor: bob@$E2E_ADDR" "$T_DIR/walk.out"
e2e_check "... bob's phone shows it from alice" \
	grep -q '^message 1 From: "Alice" <sip:alice@' "$T_DIR/walk.out"
e2e_check "... with its text" grep -q "| hello from sfwd's example, message 1" "$T_DIR/walk.out"
e2e_check "... and says it received 1" grep -q '^bob received 1 message' "$T_DIR/walk.out"

e2e_check "scripts/sfwd-user.sh adds bob" "$SF_TOP/scripts/sfwd-user.sh" add bob bobs-secret
E2E_SIP_PORT=$SFWD_SIP_PORT e2e_sipp noauth "$E2E_SIPP_DIR/register.xml" -s bob \
	-au bob -ap wrong -m 1 -p $((SFWD_SIP_PORT + 1))
e2e_check "make run authenticates: a wrong password gets 401" \
	grep -q '^SIP/2.0 401' "$T_DIR/noauth.msg"
E2E_SIP_PORT=$SFWD_SIP_PORT e2e_check "REGISTER with bob's password -> 200" \
	e2e_sipp reg "$E2E_SIPP_DIR/register.xml" -s bob -au bob -ap bobs-secret -m 1 \
	-p $((SFWD_SIP_PORT + 1))
kpid=$(cat "$SFWD_VAR/run/kamailio.pid" 2>/dev/null)
ppid_pg=$(head -n 1 "$SFWD_VAR/pg/data/postmaster.pid" 2>/dev/null)

kill -INT -- "-$runner" 2>/dev/null
for ((i = 0; i < 300; i++)); do
	kill -0 "$runner" 2>/dev/null || break
	sleep 0.1
done
gone() { # gone PID: not running within 30 s
	local j
	[ -n "$1" ] || return 1
	for ((j = 0; j < 300; j++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
e2e_check "Ctrl-C: make run exited" gone "$runner"
e2e_check "Ctrl-C: Kamailio ($kpid) stopped" gone "$kpid"
e2e_check "Ctrl-C: PostgreSQL ($ppid_pg) stopped" gone "$ppid_pg"
e2e_check "no process left in make run's state folder" \
	test -z "$(pgrep -f "$SFWD_VAR" || true)"
e2e_end
