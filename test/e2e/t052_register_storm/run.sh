#!/usr/bin/env bash
# A REGISTER storm across both cluster nodes during a 2,000-message replay:
# every stored message reaches each of bob's contacts exactly once.
. "$(dirname "$0")/../lib.sh"
e2e_begin

AOR=bob@$E2E_ADDR
T051=$E2E_DIR/t051_cluster # its REGISTER and stored-MESSAGE scenarios
C1_PORT=$((E2E_SIP_PORT + 11)) # bob's phone
C2_PORT=$((E2E_SIP_PORT + 17)) # bob's second device, registered in the storm
SEND_PORT1=$((E2E_SIP_PORT + 12))
SEND_PORT2=$((E2E_SIP_PORT + 18))
REG_PORT=$((E2E_SIP_PORT + 13)) # the first REGISTER, then storm A..D:
STORM_PORT=$((E2E_SIP_PORT + 19)) # ... + 0..3
N_SIP=500       # stored through each node over SIP
N_SQL=1000      # then straight into the table
N_ALL=$((2 * N_SIP + N_SQL))
N_STORM=100     # REGISTERs of contact 1 at each node
N_STORM2=20     # REGISTERs of contact 2 at each node
STORM_RATE=50   # per second, per node (contact 1)
LEASE=5

queued() { e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR' AND state = 'queued'"; }
node_sipp() { # node_sipp N LOGNAME SCENARIO [sipp args...]
	local a=E2E_NODE_ADDR$1 p=E2E_NODE_PORT$1
	shift
	e2e_cluster_sipp "${!a}" "${!p}" "$@"
}
# register N LOGNAME CONTACT-PORT COUNT RATE LOCAL-PORT: COUNT REGISTERs
# of bob (an hour each, every one a new Call-ID) at node N
register() {
	node_sipp "$1" "$2" "$T051/register.xml" -s bob -key contact_port "$3" \
		-key expires 3600 -m "$4" -r "$5" -l 20 -p "$6"
}
# rcpt NAME PORT: a sip_recipient.py (log $T_DIR/NAME.jsonl) until the end
rcpt() {
	local i
	: >"$T_DIR/$1.jsonl"
	timeout 100 python3 "$E2E_DIR/sip_recipient.py" --port "$2" --udp-only \
		--log "$T_DIR/$1.jsonl" --timeout 90 >"$T_DIR/$1.out" 2>&1 &
	e2e_on_exit "kill $!"
	for ((i = 0; i < 50; i++)); do
		grep -q listening "$T_DIR/$1.out" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# reg_ms LOG...: per REGISTER of the SIPp logs, ms from its first
# transmission to its 200 (none: -1), then its node and the time of the 200
reg_ms() {
	e2e_sipp_log "$@" | awk '
	$1 == "out" && $7 == "REGISTER" && !($3 in t0) { t0[$3] = $2 }
	$1 == "in" && $7 == "SIP/2.0" && $8 == 200 && !($3 in t1) { t1[$3] = $2 }
	END {
		for (c in t0) {
			ms = (c in t1) ? (t1[c] - t0[c]) * 1000 : -1
			if (ms < -0.5) ms += 86400000
			printf "%.2f %.6f\n", (c in t1) ? ms : -1, (c in t1) ? t1[c] : 0
		}
	}'
}
pct() { # pct P FILE: the P-th percentile of the first column (nearest rank)
	sort -n "$2" | awk -v p="$1" '{ a[NR] = $1 } END {
		i = int((p * NR + 99) / 100); if (i < 1) i = 1; print a[i] }'
}
t_start=$(e2e_ms_now)

e2e_cluster_wake || e2e_fatal "etc/cluster/sfwd-cluster.sql applied"
e2e_cluster_node 1 -A "SFWD_LEASE_TIME=$LEASE" -A SFWD_FLUSH_BATCH=20 ||
	e2e_fatal "node 1 started"
e2e_cluster_node 2 -A "SFWD_LEASE_TIME=$LEASE" -A SFWD_FLUSH_BATCH=20 ||
	e2e_fatal "node 2 started"
e2e_check "DMQ: each node knows the other (10 s at most)" e2e_until 100 eval \
	"sf_kamcmd '$T_DIR/node1' dmq.list_nodes | grep -q '$E2E_NODE_ADDR2' &&
	sf_kamcmd '$T_DIR/node2' dmq.list_nodes | grep -q '$E2E_NODE_ADDR1'"

# --- 1. bob is offline: 2 x 500 stored over SIP (both nodes at once), 1,000
# more straight into the table
t0=$(e2e_ms_now)
node_sipp 1 store1 "$T051/message_202.xml" -s bob -m "$N_SIP" -r 250 -l 50 -p "$SEND_PORT1" &
s1=$!
node_sipp 2 store2 "$T051/message_202.xml" -s bob -m "$N_SIP" -r 250 -l 50 -p "$SEND_PORT2" &
s2=$!
wait $s1
e2e_eq "$N_SIP MESSAGEs through node 1 -> 202 each" 0 $?
wait $s2
e2e_eq "$N_SIP MESSAGEs through node 2 -> 202 each" 0 $?
sip_ms=$(($(e2e_ms_now) - t0))
e2e_q "INSERT INTO sfwd_message (aor, ruri, from_uri, to_uri, call_id, cseq,
	received, expires, class, content_type, body)
	SELECT '$AOR', 'sip:$AOR', 'sip:alice@$E2E_ADDR', 'sip:$AOR',
	't052-sql-' || i, i, now(), now() + interval '1 hour', 2, 'text/plain',
	convert_to('t052 stored ' || i, 'UTF8') FROM generate_series(1, $N_SQL) i" >/dev/null
e2e_eq "queued rows for bob" "$N_ALL" "$(queued)"
e2e_q "SELECT call_id FROM sfwd_message WHERE aor = '$AOR' AND state = 'queued' ORDER BY id" \
	>"$T_DIR/stored.order"
echo "  info stored $((2 * N_SIP)) over SIP in $sip_ms ms, $N_SQL by INSERT"

# --- 2. bob registers at node 1; the storm hits both nodes during the
# replay: contact 1 refreshed at node 1 and node 2 alternately (50/s each),
# contact 2 registered and refreshed at both
rcpt c1 "$C1_PORT" || e2e_fatal "bob's phone listens on $C1_PORT"
rcpt c2 "$C2_PORT" || e2e_fatal "bob's second device listens on $C2_PORT"
t_reg=$(e2e_ms_now)
e2e_check "bob registers contact 1 at node 1 -> 200" register 1 reg "$C1_PORT" 1 100 "$REG_PORT"
t_reg200=$(e2e_ms_now)
register 1 stormA "$C1_PORT" "$N_STORM" "$STORM_RATE" "$STORM_PORT" &
pa=$!
register 2 stormB "$C1_PORT" "$N_STORM" "$STORM_RATE" $((STORM_PORT + 1)) &
pb=$!
sleep 0.3
register 2 stormC "$C2_PORT" "$N_STORM2" 10 $((STORM_PORT + 2)) &
pc=$!
register 1 stormD "$C2_PORT" "$N_STORM2" 10 $((STORM_PORT + 3)) &
pd=$!
e2e_drained "every row left the queue" 60 queued
t_empty=$(e2e_ms_now)
for p in $pa $pb $pc $pd; do
	wait "$p"
	rc=$?
	[ "$rc" = 0 ] || echo "  info storm SIPp $p ended with $rc"
done
e2e_drained "and no row came back (a requeued retry)" 3 eval \
	"e2e_q \"SELECT count(*) FROM sfwd_message WHERE aor = '$AOR'\""
sleep 1 # a late duplicate would show up now
for s in A B C D; do
	e2e_sipp_log "$T_DIR/storm$s.msg" | awk '$1 == "out" && $7 == "REGISTER"' | wc -l
done | paste -sd' ' >"$T_DIR/storm.counts"
reg_ms "$T_DIR"/storm[AB].msg >"$T_DIR/reg1.ms"
reg_ms "$T_DIR"/storm[CD].msg >"$T_DIR/reg2.ms"
cat "$T_DIR/reg1.ms" "$T_DIR/reg2.ms" >"$T_DIR/reg.ms"
e2e_eq "storm: $((2 * N_STORM + 2 * N_STORM2)) REGISTERs answered 200" \
	$((2 * N_STORM + 2 * N_STORM2)) "$(awk '$1 >= 0' "$T_DIR/reg.ms" | wc -l)"

# --- 3. what each contact got
python3 "$T_SRC/analyze.py" "$T_DIR/stored.order" \
	"$E2E_NODE_ADDR1:$E2E_NODE_PORT1" "$E2E_NODE_ADDR2:$E2E_NODE_PORT2" \
	"$T_DIR/c1.jsonl" "$T_DIR/c2.jsonl" >"$T_DIR/got.txt" 2>"$T_DIR/evidence.txt"
got() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$T_DIR/got.txt"; }
e2e_eq "contact 1: $N_ALL MESSAGE transactions" "$N_ALL" "$(got c1.tx)"
e2e_eq "contact 1: no message (Call-ID+CSeq) in two transactions" 0 "$(got c1.dups)"
e2e_eq "contact 1: every stored message" 0 "$(got c1.missing)"
e2e_eq "contact 1: nothing that was not stored" 0 "$(got c1.unknown)"
e2e_eq "contact 1: each node's own sends in the order stored" 0 "$(got c1.node_inversions)"
e2e_eq "contact 1: in the order stored (flush_window 1)" 0 "$(got c1.inversions)"
e2e_eq "contact 2: no message (Call-ID+CSeq) in two transactions" 0 "$(got c2.dups)"
e2e_eq "contact 2: nothing that was not stored" 0 "$(got c2.unknown)"
e2e_eq "contact 2: in the order stored" 0 "$(got c2.inversions)"
e2e_check "contact 2 got messages (registered during the replay)" \
	eval "[ '$(got c2.tx)' -gt 0 ]"
if [ -s "$T_DIR/evidence.txt" ]; then
	echo "  evidence ($T_DIR/evidence.txt):"
	head -n 20 "$T_DIR/evidence.txt" | sed 's/^/    /'
fi

# --- figures
first=$(got c1.first)
last=$(got c1.last)
# REGISTERs answered while contact 1 was receiving the replay (time of day)
tod() { python3 -c "import time,sys; t=float(sys.argv[1]); l=time.localtime(t); print('%.6f' % (l.tm_hour*3600+l.tm_min*60+l.tm_sec+t%1))" "$1"; }
in_replay=$(awk -v a="$(tod "$first")" -v b="$(tod "$last")" \
	'$1 >= 0 && $2 >= a && $2 <= b' "$T_DIR/reg.ms" | wc -l)
e2e_check "the storm overlapped the replay ($in_replay REGISTERs answered during it)" \
	eval "[ '$in_replay' -ge 20 ]"
echo "  info replay: queue empty $((t_empty - t_reg200)) ms after the first REGISTER's 200" \
	"($((t_empty - t_reg)) ms including it); contact 1 got its first MESSAGE to its last in" \
	"$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms"
echo "  info sent to contact 1: $(got c1.node1) by node 1, $(got c1.node2) by node 2;" \
	"$(got c1.retrans) retransmissions; the sending node changed $(got c1.switches) times"
echo "  info contact 2: $(got c2.tx) transactions ($(got c2.node1) by node 1, $(got c2.node2) by node 2)," \
	"$(got c2.retrans) retransmissions"
echo "  info storm REGISTERs sent (A node1/c1, B node2/c1, C node2/c2, D node1/c2): $(cat "$T_DIR/storm.counts");" \
	"$in_replay answered during the replay"
echo "  info REGISTER answer during the storm: p50 $(pct 50 "$T_DIR/reg.ms") ms," \
	"p99 $(pct 99 "$T_DIR/reg.ms") ms, max $(pct 100 "$T_DIR/reg.ms") ms" \
	"(contact 1: p50 $(pct 50 "$T_DIR/reg1.ms"), p99 $(pct 99 "$T_DIR/reg1.ms"))"
for n in 1 2; do
	echo "  info node $n: $(grep -c 'not delivered\|refused' "$T_DIR/node$n/kamailio.log") rows not delivered," \
		"$(grep -c 'released expired claims' "$T_DIR/node$n/kamailio.log") takeovers," \
		"$(grep -c 'no outcome for message' "$T_DIR/node$n/kamailio.log") lost outcomes"
done
echo "  info t052 took $(($(e2e_ms_now) - t_start)) ms"
e2e_end
