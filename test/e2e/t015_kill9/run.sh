#!/usr/bin/env bash
# Kamailio is killed (SIGKILL, whole process group) in the middle of a
# replay; started again with the same node id it releases its dead claims
# and, at the next registration, delivers everything that was left.
. "$(dirname "$0")/../lib.sh"
e2e_begin

USER_NAME=t015bob
AOR=$USER_NAME@$E2E_ADDR
N=60
KILL_AFTER=10                       # delivered messages seen before the kill
NODE_ID=k9
CONTACT_PORT=$((E2E_SIP_PORT + 11)) # the slow recipient (uas_slow.xml)
SEND_PORT=$((E2E_SIP_PORT + 12))    # alice
REG_PORT=$((E2E_SIP_PORT + 13))
CFG=$SF_TOP/etc/kamailio.cfg



e2e_on_exit 'e2e_uas_stop'

register() { # register LOGNAME
	e2e_sipp "$1" "$E2E_SIPP_DIR/register_contact.xml" -s "$USER_NAME" \
		-key contact_port "$CONTACT_PORT" -key expires 3600 -m 1 -p "$REG_PORT"
}
received() { grep -c '^MESSAGE ' "$T_DIR/bob.msg" 2>/dev/null; }

e2e_kam kam "$CFG" -A SFWD_TEST -A "SFWD_NODE_ID=\"$NODE_ID\"" ||
	e2e_fatal "Kamailio started"

e2e_check "$N MESSAGEs to offline $USER_NAME -> 202 each" \
	e2e_sipp store "$T_SRC/store.xml" -s "$USER_NAME" -m "$N" -r 100 -l 20 \
	-p "$SEND_PORT"
e2e_accepted_rows store "$AOR" "$N"
e2e_check "$N queued rows, the 202'd Call-IDs" \
	eval '[ "$(wc -l <"$T_DIR/rows")" = "$N" ] && cmp -s "$T_DIR/accepted" "$T_DIR/rows"'

# the replay starts; after KILL_AFTER messages the whole Kamailio dies
e2e_uas_start bob "$T_SRC/uas_slow.xml" "$CONTACT_PORT" ||
	e2e_fail "the recipient listens on $CONTACT_PORT"
e2e_check "REGISTER $USER_NAME -> 200" register reg1
got=0
t0=$(e2e_ms_now)
while [ $(($(e2e_ms_now) - t0)) -lt 20000 ]; do # 20 s at most
	got=$(received)
	[ "$got" -ge "$KILL_AFTER" ] && break
	sleep 0.05
done
leader=$(cat "$T_DIR/kam/kamailio.launcher")
disown "$leader" 2>/dev/null # no "Killed" job notice from bash
if [ -n "$leader" ] && [ "$(ps -o pgid= -p "$leader" | tr -d ' ')" = "$leader" ]; then
	e2e_ok "the launcher ($leader) leads Kamailio's process group"
	kill -KILL -- "-$leader" 2>/dev/null
else
	e2e_fail "the launcher ($leader) leads Kamailio's process group"
	kill -KILL "$leader" 2>/dev/null
fi
at_kill=$(received)
if [ "$got" -ge "$KILL_AFTER" ]; then
	e2e_ok "replay under way: $at_kill MESSAGEs received when SIGKILL hit group $leader"
else
	e2e_fail "replay under way: only $got MESSAGEs within 20 s"
fi
gone=0
for ((i = 0; i < 50; i++)); do # at most 5 s
	if [ -z "$(pgrep -g "$leader")" ]; then
		gone=1
		break
	fi
	sleep 0.1
done
e2e_eq "no process of Kamailio's group left after SIGKILL" 1 "$gone"
rm -f "$T_DIR/kam/kamailio.launcher"
# the restart below writes a new kamailio.log: keep the dead run's
cp "$T_DIR/kam/kamailio.log" "$T_DIR/kam/kamailio.killed.log"

# what the dead run left behind: unsent rows, claimed by <node id>/<pid>
left_at_kill=$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR' AND state = 'queued'")
claimed=$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR' AND claim_owner LIKE '$NODE_ID/%' AND lease_until > now()")
if [ "$left_at_kill" -gt 0 ] && [ "$left_at_kill" -lt "$N" ]; then
	e2e_ok "killed mid-replay: $left_at_kill of $N rows still queued"
else
	e2e_fail "killed mid-replay: $left_at_kill of $N rows still queued"
fi
e2e_eq "every row left is still leased by the dead run" "$left_at_kill" "$claimed"

# the same node again: its dead claims are released at start
e2e_kam kam "$CFG" -A SFWD_TEST -A "SFWD_NODE_ID=\"$NODE_ID\"" ||
	e2e_fatal "Kamailio started again"
released=$(sed -n "s/.*released \([0-9]*\) messages claimed by the last run of $NODE_ID\$/\1/p" \
	"$T_DIR/kam/kamailio.log" | tail -n 1)
e2e_eq "the new run released the dead run's claims (log)" "$claimed" "${released:-0}"
e2e_eq "no lease left after the start" 0 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR' AND claim_owner IS NOT NULL")"
before_reg=$(received)
e2e_check "REGISTER $USER_NAME again -> 200" register reg2

e2e_drained "no queued row left for $AOR" 30 \
	e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR' AND state = 'queued'"
sleep 1 # a late duplicate would show up in the recipient's log now
e2e_uas_stop
e2e_eq "nothing left in the table for $AOR (failed, expired, queued)" 0 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR'")"

e2e_sipp_log "$T_DIR/bob.msg" | awk '$1 == "in" && $7 == "MESSAGE"' >"$T_DIR/bob.in"
sort -u -k3,4 "$T_DIR/bob.in" >"$T_DIR/bob.tx"
awk '{ print $3 }' "$T_DIR/bob.tx" | sort >"$T_DIR/bob.cids"
sort -u "$T_DIR/bob.cids" >"$T_DIR/delivered"
missing=$(comm -23 "$T_DIR/accepted" "$T_DIR/delivered" | wc -l)
extra=$(comm -13 "$T_DIR/accepted" "$T_DIR/delivered" | wc -l)
dups=$(uniq -d "$T_DIR/bob.cids" | wc -l)
e2e_eq "every stored Call-ID delivered at least once" 0 "$missing"
e2e_eq "nothing delivered that was not stored" 0 "$extra"
echo "  info $(wc -l <"$T_DIR/bob.tx") MESSAGE transactions for $N messages:" \
	"$dups Call-IDs delivered twice or more (allowed);" \
	"$at_kill received before the kill, $((${before_reg:-0} - at_kill)) more" \
	"between the kill and the new REGISTER; ${released:-0} rows released at restart"
e2e_end
