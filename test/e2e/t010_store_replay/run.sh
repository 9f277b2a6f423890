#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

N=200
BOB_PORT=$((E2E_SIP_PORT + 11))

e2e_kam_example

# instant to an offline user: 480, nothing stored
e2e_request_xml "$T_DIR/instant.xml" MESSAGE "Request-Disposition: do-not-store" \
	text/plain "$T_SRC/README" 480
e2e_check "instant MESSAGE to offline bob -> 480" \
	e2e_sipp instant "$T_DIR/instant.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "instant MESSAGE stored nothing" 0 "$(e2e_rows bob)"

# N messages, each 202
e2e_check "$N MESSAGEs to offline bob -> $N x 202" \
	e2e_sipp alice "$T_SRC/alice.xml" -s bob -m $N -r 200 -l 50 -p $((E2E_SIP_PORT + 12))
e2e_eq "$N rows stored" $N "$(e2e_rows bob)"
e2e_eq "no credentials stored" 0 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE headers ILIKE '%authorization%' OR headers LIKE '%secret-%'")"
e2e_eq "Subject and Date kept" $N \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE headers ~ 'Subject: number [0-9]+' AND headers ~ 'Date: '")"
# arrival order: Call-IDs by id; the Date each got when it was stored
e2e_q "SELECT call_id FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR' ORDER BY id" >"$T_DIR/stored_order"
e2e_q "SELECT call_id || ' ' || substring(headers from 'Date: ([^\r]*)') FROM sfwd_message ORDER BY id" \
	>"$T_DIR/stored_dates"

# bob's recipient, then his registration
# (bob.txt: the MESSAGEs bob received; his log also holds the 200s he sent)
e2e_delivery bob "$BOB_PORT" $N 50
sed -n 's/^Call-ID: //p' "$T_DIR/bob.txt" >"$T_DIR/delivered_order"
e2e_eq "delivered $N" $N "$(wc -l <"$T_DIR/delivered_order")"
e2e_check "delivered in arrival order (flush_window 1)" \
	cmp -s "$T_DIR/stored_order" "$T_DIR/delivered_order"
e2e_eq "each From kept (display name, URI, tag)" $N \
	"$(grep -cE '^From: "Alice Liddell" <sip:alice@[^>]+>;tag=t010-[0-9]+$' "$T_DIR/bob.txt")"
e2e_eq "each CSeq kept" $N "$(grep -cE '^CSeq: [0-9]+ MESSAGE$' "$T_DIR/bob.txt")"
e2e_eq "each Content-Type kept" $N \
	"$(grep -c '^Content-Type: text/plain;charset=utf-8$' "$T_DIR/bob.txt")"
e2e_eq "each body kept byte for byte" $N \
	"$(grep -cE "^t010 message [0-9]+: caf$(printf '\xc3\xa9')\?$" "$T_DIR/bob.txt")"
e2e_eq "no credentials replayed" 0 "$(grep -ci '^Authorization' "$T_DIR/bob.txt")"
# the Date of each replay is the one it got when it was received
awk '/^Call-ID: /{c=$2} /^Date: /{sub(/^Date: /,""); print c " " $0}' "$T_DIR/bob.txt" \
	>"$T_DIR/delivered_dates"
e2e_eq "every replay carries a Date" $N "$(wc -l <"$T_DIR/delivered_dates")"
e2e_check "each replay's Date is the time it was received" \
	cmp -s "$T_DIR/stored_dates" "$T_DIR/delivered_dates"
e2e_drained "table empty after delivery" 5 e2e_rows bob
e2e_end
