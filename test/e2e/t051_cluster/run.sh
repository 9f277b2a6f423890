#!/usr/bin/env bash
# Two Kamailio nodes with dmq_usrloc and one sfwd database: live delivery
# across nodes, a wake over LISTEN/NOTIFY, a replay by the node the user
# registered through (exactly once, in order), and a dead node's replay
# finished by the other node after the lease.
. "$(dirname "$0")/../lib.sh"
e2e_begin

DOMAIN=$E2E_ADDR # the users' domain on both nodes (subscribers are there)
AOR=bob@$DOMAIN
ADDR1=$E2E_NODE_ADDR1
ADDR2=$E2E_NODE_ADDR2
PORT1=$E2E_NODE_PORT1
PORT2=$E2E_NODE_PORT2
CONTACT_PORT=$((E2E_SIP_PORT + 11))  # bob's phone (uas_message.xml)
SEND_PORT=$((E2E_SIP_PORT + 12))     # alice
REG_PORT=$((E2E_SIP_PORT + 13))
SLOW_PORT=$((E2E_SIP_PORT + 15))     # bob's slow phone (uas_slow.xml)
LEASE=5
N_LIVE=100
N_STORE=100 # per node
N_KILL=100
KILL_AFTER=10

# the cluster's wake trigger on the test database, removed at the end
e2e_cluster_wake || e2e_fatal "etc/cluster/sfwd-cluster.sql applied"
e2e_on_exit 'e2e_uas_stop'

# start_node N
start_node() {
	e2e_cluster_node "$1" -A "SFWD_LEASE_TIME=$LEASE" -A SFWD_FLUSH_BATCH=20
}
sip() { e2e_cluster_sipp "$@"; }
register() { # register ADDR PORT LOGNAME CONTACT-PORT EXPIRES
	sip "$1" "$2" "$3" "$T_SRC/register.xml" -s bob -key contact_port "$4" \
		-key expires "$5" -m 1 -p "$REG_PORT"
}
# knows NODE: the node's usrloc has a contact of bob
knows() { e2e_cluster_knows "$1" "$AOR"; }
queued() { e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR' AND state = 'queued'"; }
# the MESSAGE transactions a phone got: "DIR TIME CALL-ID BRANCH SENT-BY ..."
phone_tx() { e2e_sipp_log "$T_DIR/$1.msg" | awk '$1 == "in" && $7 == "MESSAGE"' | sort -s -u -k3,4; }
t_start=$(e2e_ms_now)

start_node 1 || e2e_fatal "node 1 started on $ADDR1:$PORT1"
start_node 2 || e2e_fatal "node 2 started on $ADDR2:$PORT2"
e2e_check "DMQ: each node knows the other (10 s at most)" e2e_until 100 eval \
	"sf_kamcmd '$T_DIR/node1' dmq.list_nodes | grep -q '$ADDR2' &&
	sf_kamcmd '$T_DIR/node2' dmq.list_nodes | grep -q '$ADDR1'"

# --- 1. live across nodes: bob at node 2, alice through node 1
e2e_uas_start bob "$E2E_SIPP_DIR/uas_message.xml" "$CONTACT_PORT" ||
	e2e_fail "bob's phone listens on $CONTACT_PORT"
e2e_check "bob registers at node 2 -> 200" register "$ADDR2" "$PORT2" reg1 "$CONTACT_PORT" 3600
t0=$(e2e_ms_now)
e2e_check "node 1 has bob's contact (replicated)" e2e_until 50 knows 1
echo "  info replication of the registration to node 1 seen after $(($(e2e_ms_now) - t0)) ms (polled every 100 ms)"
t0=$(e2e_ms_now)
e2e_check "$N_LIVE MESSAGEs through node 1 -> 200 from bob each" \
	sip "$ADDR1" "$PORT1" live "$T_SRC/message_200.xml" -s bob -m "$N_LIVE" \
	-r 200 -l 20 -p "$SEND_PORT"
live_ms=$(($(e2e_ms_now) - t0))
e2e_eq "200s alice got" "$N_LIVE" "$(e2e_replies "$T_DIR/live.msg" | awk '$2 == 200' | wc -l)"
e2e_eq "nothing stored for bob" 0 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR'")"
e2e_eq "bob's phone got $N_LIVE MESSAGEs, from node 1" "$N_LIVE" \
	"$(phone_tx bob | awk -v s="$ADDR1:$PORT1" '$5 == s' | wc -l)"
echo "  info $N_LIVE live MESSAGEs across nodes in $live_ms ms;" \
	"median answer $(e2e_replies "$T_DIR/live.msg" | sort -k3,3n | awk '{ a[NR] = $3 } END { print a[int((NR + 1) / 2)] }') ms"

# --- 2. a store that took bob for offline wakes node 2 (LISTEN/NOTIFY)
e2e_q "INSERT INTO sfwd_message (aor, ruri, from_uri, to_uri, call_id, cseq,
	received, expires, class, content_type, body) VALUES ('$AOR',
	'sip:$AOR', 'sip:alice@$DOMAIN', 'sip:$AOR', 't051-wake', 1, now(),
	now() + interval '1 hour', 2, 'text/plain', 'woken')" >/dev/null
t0=$(e2e_ms_now)
e2e_drained "the row stored as for an offline bob delivered without a REGISTER" 5 queued
wake_ms=$(($(e2e_ms_now) - t0))
e2e_eq "it went out from node 2 (which holds the registration)" 1 \
	"$(phone_tx bob | awk -v s="$ADDR2:$PORT2" '$3 == "t051-wake" && $5 == s' | wc -l)"
echo "  info woken and delivered in $wake_ms ms (polled every 100 ms)"
e2e_check "bob unregisters at node 2 -> 200" register "$ADDR2" "$PORT2" unreg1 "$CONTACT_PORT" 0
e2e_check "node 1 drops bob's contact (replicated)" e2e_until 50 eval '! knows 1'
e2e_uas_stop

# --- 3. stored through both nodes, replayed by the node bob registers at
e2e_check "$N_STORE MESSAGEs through node 1 -> 202 each" \
	sip "$ADDR1" "$PORT1" store1 "$T_SRC/message_202.xml" -s bob -m "$N_STORE" \
	-r 200 -l 20 -p "$SEND_PORT"
e2e_check "$N_STORE MESSAGEs through node 2 -> 202 each" \
	sip "$ADDR2" "$PORT2" store2 "$T_SRC/message_202.xml" -s bob -m "$N_STORE" \
	-r 200 -l 20 -p "$SEND_PORT"
e2e_eq "queued rows for bob" $((2 * N_STORE)) "$(queued)"
e2e_q "SELECT call_id FROM sfwd_message WHERE aor = '$AOR' AND state = 'queued' ORDER BY id" \
	>"$T_DIR/stored.order"
e2e_uas_start bob2 "$E2E_SIPP_DIR/uas_message.xml" "$CONTACT_PORT" ||
	e2e_fail "bob's phone listens on $CONTACT_PORT"
t0=$(e2e_ms_now)
e2e_check "bob registers at node 1 -> 200" register "$ADDR1" "$PORT1" reg2 "$CONTACT_PORT" 3600
e2e_drained "no row left for bob" 30 queued
replay_ms=$(($(e2e_ms_now) - t0))
sleep 1 # a late duplicate would show up now
phone_tx bob2 >"$T_DIR/bob2.tx"
awk '{ print $3 }' "$T_DIR/bob2.tx" | sort | uniq -d >"$T_DIR/bob2.dups"
e2e_eq "bob's phone got $((2 * N_STORE)) MESSAGE transactions" $((2 * N_STORE)) "$(wc -l <"$T_DIR/bob2.tx")"
e2e_eq "no Call-ID twice" 0 "$(wc -l <"$T_DIR/bob2.dups")"
sort -k2,2n "$T_DIR/bob2.tx" | awk '{ print $3 }' >"$T_DIR/delivered.order"
e2e_check "delivered in the order stored (both nodes' messages)" \
	cmp -s "$T_DIR/stored.order" "$T_DIR/delivered.order"
e2e_eq "every one sent by node 1 (node 2 holds only the replica)" $((2 * N_STORE)) \
	"$(awk -v s="$ADDR1:$PORT1" '$5 == s' "$T_DIR/bob2.tx" | wc -l)"
echo "  info replay of $((2 * N_STORE)) stored messages in $replay_ms ms from the REGISTER"
e2e_check "bob unregisters at node 1 -> 200" register "$ADDR1" "$PORT1" unreg2 "$CONTACT_PORT" 0
e2e_check "node 2 drops bob's contact (replicated)" e2e_until 50 eval '! knows 2'
e2e_uas_stop

# --- 4. node 1 dies in the middle of a replay; node 2 finishes it
e2e_check "$N_KILL MESSAGEs through node 2 -> 202 each" \
	sip "$ADDR2" "$PORT2" store3 "$T_SRC/message_202.xml" -s bob -m "$N_KILL" \
	-r 200 -l 20 -p "$SEND_PORT"
e2e_accepted_rows store3 "$AOR" "$N_KILL"
e2e_uas_start slow "$T_SRC/uas_slow.xml" "$SLOW_PORT" ||
	e2e_fail "bob's slow phone listens on $SLOW_PORT"
e2e_check "bob registers the slow phone at node 1 -> 200" \
	register "$ADDR1" "$PORT1" reg3 "$SLOW_PORT" 3600
e2e_check "node 2 has bob's contact (replicated)" e2e_until 50 knows 2
got=0
t0=$(e2e_ms_now)
while [ $(($(e2e_ms_now) - t0)) -lt 20000 ]; do
	got=$(phone_tx slow | wc -l)
	[ "$got" -ge "$KILL_AFTER" ] && break
	sleep 0.05
done
leader=$(cat "$T_DIR/node1/kamailio.launcher")
disown "$leader" 2>/dev/null
kill -KILL -- "-$leader" 2>/dev/null
t_kill=$(e2e_ms_now)
at_kill=$(phone_tx slow | wc -l)
if [ "$got" -ge "$KILL_AFTER" ]; then
	e2e_ok "replay under way: $at_kill MESSAGEs received when SIGKILL hit node 1"
else
	e2e_fail "replay under way: only $got MESSAGEs within 20 s"
fi
e2e_check "node 1's processes are gone" e2e_until 50 eval '[ -z "$(pgrep -g "$leader")" ]'
rm -f "$T_DIR/node1/kamailio.launcher"
claimed=$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR' AND claim_owner LIKE 'node1/%'")
echo "  info at the kill: $(queued) rows queued, $claimed of them claimed by node 1"
e2e_drained "node 2 delivered the rest" 40 queued
done_ms=$(($(e2e_ms_now) - t_kill))
sleep 1
e2e_uas_stop
phone_tx slow >"$T_DIR/slow.tx"
awk '{ print $3 }' "$T_DIR/slow.tx" | sort >"$T_DIR/slow.cids"
sort -u "$T_DIR/slow.cids" >"$T_DIR/delivered"
dups=$(uniq -d "$T_DIR/slow.cids" | wc -l)
e2e_eq "every stored Call-ID delivered" 0 "$(comm -23 "$T_DIR/accepted" "$T_DIR/delivered" | wc -l)"
e2e_eq "nothing delivered that was not stored" 0 "$(comm -13 "$T_DIR/accepted" "$T_DIR/delivered" | wc -l)"
first2=$(awk -v s="$ADDR2:$PORT2" '$5 == s { print $2; exit }' "$T_DIR/slow.tx")
last1=$(awk -v s="$ADDR1:$PORT1" '$5 == s { t = $2 } END { print t }' "$T_DIR/slow.tx")
by2=$(awk -v s="$ADDR2:$PORT2" '$5 == s' "$T_DIR/slow.tx" | wc -l)
e2e_check "node 2 sent the rest ($by2), after the kill" \
	eval "[ '$by2' -gt 0 ] && awk 'BEGIN { exit !($first2 > $last1) }'"
# in flight at the kill: flush_window (1) sent and unanswered, or answered
# but not yet deleted (the DELETE follows within one 20 ms loop)
if [ "$dups" -le 2 ]; then
	e2e_ok "Call-IDs delivered twice: $dups (in flight at the kill; at most 2)"
else
	e2e_fail "Call-IDs delivered twice: $dups, more than were in flight at the kill"
fi
echo "  info node 2 took over: first MESSAGE $(awk -v a="$first2" -v b="$last1" 'BEGIN { printf "%.1f", a - b }') s after node 1's last;" \
	"queue empty $done_ms ms after the kill (lease $LEASE s); $by2 sent by node 2"
grep -h "released expired claims" "$T_DIR/node2/kamailio.log" | tail -n 1 | sed 's/^/  info node 2: /'
echo "  info t051 took $(($(e2e_ms_now) - t_start)) ms"
e2e_end
