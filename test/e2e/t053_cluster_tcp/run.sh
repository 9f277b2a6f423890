#!/usr/bin/env bash
# Cluster mode and a TCP contact: live delivery through the node holding
# the connection (Path), and sfwd's replay along a Path to the node itself.
. "$(dirname "$0")/../lib.sh"
e2e_begin

DOMAIN=$E2E_ADDR
AOR=bob@$DOMAIN
ADDR1=$E2E_NODE_ADDR1
ADDR2=$E2E_NODE_ADDR2
PORT1=$E2E_NODE_PORT1
PORT2=$E2E_NODE_PORT2
CONTACT_PORT=$((E2E_SIP_PORT + 21)) # named by bob's Contact; nothing listens
SEND_PORT=$((E2E_SIP_PORT + 22))    # alice
N_LIVE=20

e2e_cluster_wake || e2e_fatal "etc/cluster/sfwd-cluster.sql applied"
start_node() { e2e_cluster_node "$1" -A "SFWD_LEASE_TIME=5"; }
sip() { e2e_cluster_sipp "$@"; }
knows() { e2e_cluster_knows "$1" "$AOR"; }
queued() { e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR' AND state = 'queued'"; }
# bob_got CALL-ID-PREFIX: MESSAGEs bob's phone got on its TCP connection
bob_got() {
	python3 -c 'import json,sys
n = 0
for ln in open(sys.argv[1]):
    r = json.loads(ln)
    n += r["method"] == "MESSAGE" and r["call_id"].startswith(sys.argv[2])
print(n)' "$T_DIR/bob.jsonl" "$1"
}

start_node 1 || e2e_fatal "node 1 started on $ADDR1:$PORT1"
start_node 2 || e2e_fatal "node 2 started on $ADDR2:$PORT2"
e2e_check "DMQ: each node knows the other (10 s at most)" e2e_until 100 eval \
	"sf_kamcmd '$T_DIR/node1' dmq.list_nodes | grep -q '$ADDR2' &&
	sf_kamcmd '$T_DIR/node2' dmq.list_nodes | grep -q '$ADDR1'"

# --- bob registers at node 2 over his TCP connection
: >"$T_DIR/bob.jsonl"
# bob_connect OUT: bob's phone connects to node 2 and registers there (its
# output in $T_DIR/OUT); until registered (5 s at most)
bob_connect() {
	python3 "$T_SRC/tcp_bob.py" --node "$ADDR2:$PORT2" --addr "$E2E_ADDR" \
		--domain "$DOMAIN" --contact-port "$CONTACT_PORT" --log "$T_DIR/bob.jsonl" \
		--timeout 60 >"$T_DIR/$1" 2>&1 &
	bob=$!
	e2e_on_exit "kill $bob 2>/dev/null"
	e2e_until 50 grep -q '^registered' "$T_DIR/$1"
}
e2e_check "bob registers at node 2 over TCP -> 200" bob_connect bob.out
e2e_check "node 1 has bob's contact (replicated)" e2e_until 50 knows 1
e2e_check "node 1's copy has the Path to node 2 (received: bob's connection)" eval \
	"sf_kamcmd '$T_DIR/node1' ul.lookup location '$AOR' | grep -i 'path' | grep -q 'sip:$ADDR2:$PORT2;transport=tcp;lr;received='"

# --- live: alice through node 1, relayed by node 2 over bob's connection
e2e_check "$N_LIVE MESSAGEs through node 1 -> 200 from bob each" \
	sip "$ADDR1" "$PORT1" live1 "$T_SRC/message_200.xml" -s bob -m "$N_LIVE" \
	-r 50 -l 10 -p "$SEND_PORT"
e2e_eq "200s alice got through node 1" "$N_LIVE" "$(e2e_replies "$T_DIR/live1.msg" | awk '$2 == 200' | wc -l)"
e2e_eq "bob's TCP connection got them" "$N_LIVE" "$(bob_got "")"
e2e_eq "each through node 2 (top Via)" "$N_LIVE" \
	"$(grep -c "\"via\": \"SIP/2.0/TCP $ADDR2:$PORT2" "$T_DIR/bob.jsonl")"
e2e_eq "nothing stored for bob" 0 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR'")"

# --- live through node 2 itself (its lookup skips its own Path)
e2e_check "a MESSAGE through node 2 -> 200 from bob" \
	sip "$ADDR2" "$PORT2" live2 "$T_SRC/message_200.xml" -s bob -m 1 -p "$SEND_PORT"
e2e_eq "bob's TCP connection got $((N_LIVE + 1))" $((N_LIVE + 1)) "$(bob_got "")"
e2e_eq "still nothing stored" 0 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR'")"

# --- sfwd's replay from node 2, the node holding the connection: its own
# Path hop skipped (no detour through its own socket, which would make the
# replay a request from outside and strip the stored identity)
e2e_q "INSERT INTO sfwd_message (aor, ruri, from_uri, to_uri, call_id, cseq,
	received, expires, class, content_type, body, headers) VALUES ('$AOR',
	'sip:$AOR', 'sip:alice@$DOMAIN', 'sip:$AOR', 't053-wake', 1, now(),
	now() + interval '1 hour', 2, 'text/plain', 'woken',
	E'P-Asserted-Identity: <sip:alice@$DOMAIN>\r\n')" >/dev/null
e2e_drained "the row stored as for an offline bob delivered (node 2 woken)" 10 queued
e2e_check "bob's TCP connection got the replay" e2e_until 30 eval '[ "$(bob_got t053-wake)" = 1 ]'
# replay_field FIELD: the field of the replay in bob's log
replay_field() {
	grep '"t053-wake"' "$T_DIR/bob.jsonl" | head -n 1 |
		python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"
}
e2e_eq "the replay came straight from node 2 (one Via)" \
	"SIP/2.0/TCP $ADDR2:$PORT2" "$(replay_field vias | sed 's/,SIP\// &/g; s/;[^ ]*//g')"
e2e_eq "the replay names no Route (node 2's own Path hop dropped)" "" "$(replay_field route)"
e2e_eq "the replay keeps the stored P-Asserted-Identity" "<sip:alice@$DOMAIN>" "$(replay_field pai)"

# --- bob's connection gone (no unregistration: a phone that crashed or
# lost its network), his registration still valid: stored, not 477
kill "$bob" 2>/dev/null
wait "$bob" 2>/dev/null
e2e_check "a MESSAGE through node 2 (the connection lost there) -> 202" \
	sip "$ADDR2" "$PORT2" gone2 "$T_SRC/message_202.xml" -s bob -m 1 -p "$SEND_PORT"
e2e_check "a MESSAGE through node 1 (node 2 answers it 477) -> 202" \
	sip "$ADDR1" "$PORT1" gone1 "$T_SRC/message_202.xml" -s bob -m 1 -p "$SEND_PORT"
e2e_eq "both queued for bob" 2 "$(queued)"
e2e_check "bob connects and registers again at node 2 -> 200" bob_connect bob2.out
e2e_drained "both delivered to the new connection" 10 queued
gone_ids="$(e2e_replies "$T_DIR/gone2.msg" | awk '{ print $1 }') $(e2e_replies "$T_DIR/gone1.msg" | awk '{ print $1 }')"
got=0
for cid in $gone_ids; do
	[ "$(bob_got "$cid")" = 1 ] && got=$((got + 1))
done
e2e_eq "bob's new connection got each of the two once" 2 "$got"
e2e_end
