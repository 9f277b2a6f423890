#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

# T046_ROUNDS rounds (default 20) of: store T046_MESSAGES (3) for offline
# bob, then his SUBSCRIBE message-summary and his REGISTER within a few ms
# (race.py). T046_OLD=1: afterwards the same rounds against a copy of the
# cfg with the previous route PRESENCE (sf_mwi_update(); handle_subscribe();),
# reported, not checked (see README).
ROUNDS=${T046_ROUNDS:-20}
MESSAGES=${T046_MESSAGES:-3}

race() { # race LOGNAME [race.py args]: the rounds against the running Kamailio
	local log=$1
	shift
	timeout $((${T046_BUDGET:-50} + 30)) python3 "$T_SRC/race.py" --addr "$E2E_ADDR" --port "$E2E_SIP_PORT" \
		--alice-port $((E2E_SIP_PORT + 12)) --phone-port $((E2E_SIP_PORT + 11)) \
		--reg-port $((E2E_SIP_PORT + 13)) --sub-port $((E2E_SIP_PORT + 15)) \
		--rounds "$ROUNDS" --messages "$MESSAGES" --budget "${T046_BUDGET:-50}" \
		${T046_OFFSETS:+--offsets "$T046_OFFSETS"} \
		--rows-url "$E2E_DB_URL" --trace "$T_DIR/$log.trace" "$@" \
		>"$T_DIR/$log.out" 2>"$T_DIR/$log.err"
}
summary() { sed -n 's/^SUMMARY //p' "$T_DIR/$1.out"; }
field() { summary "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST || e2e_fatal "Kamailio started"
e2e_check "$ROUNDS rounds of SUBSCRIBE racing REGISTER ran (race.py)" race new
echo "  .... $(summary new)"
e2e_eq "rounds run" "$ROUNDS" "$(field new rounds)"
e2e_eq "rounds whose NOTIFY CSeqs did not strictly increase" 0 "$(field new order_violations)"
e2e_eq "rounds whose store was not empty 5 s after the replay" 0 "$(field new not_empty)"
e2e_eq "rounds whose last NOTIFY said anything but 'no 0/0'" 0 "$(field new stale_end)"
# the race was run: the SUBSCRIBE counted before the replay's end (its
# first NOTIFY says yes), the replay's summary came after
raced=$(python3 -c '
import json, sys
n = 0
for ln in open(sys.argv[1]):
    if ln.startswith("{"):
        r = json.loads(ln)
        n += bool(r.get("notifies")) and r["notifies"][0][1] == "yes"
print(n)' "$T_DIR/new.out")
e2e_check "in $raced of $ROUNDS rounds the first NOTIFY said yes (at least a quarter)" \
	test "$((raced * 4))" -ge "$ROUNDS"
e2e_eq "every NOTIFY answered 200 at once (no retransmission by tm)" 0 \
	"$(field new notify_retransmissions)"
e2e_eq "bob's store is empty" 0 "$(e2e_q "SELECT count(*) FROM sfwd_message")"
e2e_eq "no child crashed, no BUG" 0 \
	"$(grep -ciE 'BUG|corrupt|segfault|core dumped|core was generated|by a signal' "$T_DIR/kam/kamailio.log")"
e2e_kam_stop kam

if [ "${T046_OLD:-0}" = 1 ]; then
	# the previous route PRESENCE, in a copy of the cfg
	sed 's/^\(\s*\)sf_mwi_subscribe();$/\1if (!has_totag()) { sf_mwi_update(); }\n\1handle_subscribe();/' \
		"$SF_TOP/etc/kamailio.cfg" >"$T_DIR/kamailio-old.cfg"
	e2e_eq "the copy calls handle_subscribe() itself" 1 \
		"$(grep -c '^\s*handle_subscribe();$' "$T_DIR/kamailio-old.cfg")"
	e2e_q "DELETE FROM sfwd_message; DELETE FROM presentity; DELETE FROM active_watchers; DELETE FROM watchers" >/dev/null
	if e2e_kam old "$T_DIR/kamailio-old.cfg" -A SFWD_TEST; then
		race old
		echo "  .... previous cfg: $(summary old) (exit $?)"
	else
		e2e_fail "Kamailio started with the previous cfg"
	fi
fi
e2e_end
