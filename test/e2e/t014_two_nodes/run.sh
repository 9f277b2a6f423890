#!/usr/bin/env bash
# Two Kamailio nodes share one store; the user registers at both at once:
# every stored message reaches the recipient exactly once.
. "$(dirname "$0")/../lib.sh"
e2e_begin

USER_NAME=t014bob
AOR=$USER_NAME@$E2E_ADDR
N=100
PORT_A=$E2E_SIP_PORT
PORT_B=$((E2E_SIP_PORT + 20))      # node b, UDP and TCP
CONTACT_PORT=$((E2E_SIP_PORT + 11)) # the recipient (uas_message.xml)
SEND_PORT=$((E2E_SIP_PORT + 12))    # alice
REG_PORT_A=$((E2E_SIP_PORT + 13))
REG_PORT_B=$((E2E_SIP_PORT + 14))
CFG=$SF_TOP/etc/kamailio.cfg



e2e_on_exit 'e2e_uas_stop'

# node a through the harness; node b by hand: Kamailio refuses a second -A
# for a name already defined ("pp_define(): already defined:
# SFWD_SIP_PORT"), so the harness's -A SFWD_SIP_PORT cannot be overridden
# small batches: the two nodes' claims interleave
e2e_kam a "$CFG" -A SFWD_TEST -A 'SFWD_NODE_ID="a"' -A SFWD_FLUSH_BATCH=10 ||
	e2e_fatal "Kamailio a started"
e2e_on_exit 'sf_kam_stop "$T_DIR/b"'
sf_kam_start "$T_DIR/b" "$CFG" \
	-A "SFWD_SIP_ADDR=$E2E_ADDR" -A "SFWD_SIP_PORT=$PORT_B" \
	-A "SFWD_DB_URL=\"$E2E_DB_URL\"" -A "SFWD_KDB_URL=\"$E2E_KDB_URL\"" \
	-A "SFWD_MSRP_LISTEN=\"$E2E_ADDR:$((E2E_MSRP_PORT + 1))\"" -A SFWD_TEST \
	-A SFWD_NO_AUTH -A 'SFWD_NODE_ID="b"' \
	-A SFWD_FLUSH_BATCH=10 ||
	e2e_fatal "Kamailio b started"
e2e_ok "two nodes up: a on $PORT_A, b on $PORT_B, one database"

# N messages stored through node a
e2e_check "$N MESSAGEs to offline $USER_NAME via node a -> 202 each" \
	e2e_sipp store "$T_SRC/store.xml" -s "$USER_NAME" -m "$N" -r 100 -l 20 \
	-p "$SEND_PORT"
e2e_accepted_rows store "$AOR" "$N"
e2e_eq "queued rows for $AOR" "$N" "$(wc -l <"$T_DIR/rows")"
e2e_check "the rows are the 202'd Call-IDs" cmp -s "$T_DIR/accepted" "$T_DIR/rows"

# one recipient; the user registers it at both nodes at the same moment
e2e_uas_start bob "$E2E_SIPP_DIR/uas_message.xml" "$CONTACT_PORT" ||
	e2e_fail "the recipient listens on $CONTACT_PORT"
e2e_sipp reg_a "$E2E_SIPP_DIR/register_contact.xml" -s "$USER_NAME" \
	-key contact_port "$CONTACT_PORT" -key expires 3600 -m 1 -p "$REG_PORT_A" &
pa=$!
E2E_SIP_PORT=$PORT_B e2e_sipp reg_b "$E2E_SIPP_DIR/register_contact.xml" \
	-s "$USER_NAME" -key contact_port "$CONTACT_PORT" -key expires 3600 -m 1 \
	-p "$REG_PORT_B" &
pb=$!
wait "$pa"
e2e_eq "REGISTER at node a -> 200" 0 $?
wait "$pb"
e2e_eq "REGISTER at node b -> 200" 0 $?

e2e_drained "no row left for $AOR (any state)" 30 \
	e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR'"
sleep 1 # a late duplicate would show up in the recipient's log now
e2e_uas_stop

# MESSAGE requests the recipient got: transactions (Call-ID + branch; a
# retransmission repeats both), Call-IDs, and the node each came from
e2e_sipp_log "$T_DIR/bob.msg" | awk '$1 == "in" && $7 == "MESSAGE"' >"$T_DIR/bob.in"
sort -u -k3,4 "$T_DIR/bob.in" >"$T_DIR/bob.tx"
awk '{ print $3 }' "$T_DIR/bob.tx" | sort >"$T_DIR/bob.cids"
sort -u "$T_DIR/bob.cids" >"$T_DIR/delivered"
ntx=$(wc -l <"$T_DIR/bob.tx")
dups=$(uniq -d "$T_DIR/bob.cids" | wc -l)
e2e_eq "the recipient got $N MESSAGE transactions" "$N" "$ntx"
e2e_eq "no Call-ID delivered twice" 0 "$dups"
e2e_check "the delivered Call-IDs are the stored ones" \
	cmp -s "$T_DIR/accepted" "$T_DIR/delivered"
by_a=$(awk -v s="$E2E_ADDR:$PORT_A" '$5 == s' "$T_DIR/bob.tx" | wc -l)
by_b=$(awk -v s="$E2E_ADDR:$PORT_B" '$5 == s' "$T_DIR/bob.tx" | wc -l)
e2e_eq "every MESSAGE came from node a or node b (a $by_a + b $by_b)" "$ntx" \
	$((by_a + by_b))
echo "  info split: node a sent $by_a, node b sent $by_b;" \
	"$(($(wc -l <"$T_DIR/bob.in") - ntx)) retransmissions seen by the recipient"
e2e_end
