#!/usr/bin/env bash
# sf_store_async() with the writer answering (etc/kamailio-minimal.cfg): see
# README.
. "$(dirname "$0")/../lib.sh"
e2e_begin
# whatever happens below, the suite's PostgreSQL runs again at the end
e2e_on_exit 'sf_pg_start "$E2E_PGDIR" "$E2E_PG_PORT"'
e2e_on_exit 'e2e_uas_stop'

SEND_PORT=$((E2E_SIP_PORT + 12))
REG_PORT=$((E2E_SIP_PORT + 13))
BOB_PORT=$((E2E_SIP_PORT + 11))
BOB=t022bob
N=40
DB_TIMEOUT_MS=2000 # sfwd's default db_timeout_ms
kc() { sf_kamcmd "$T_DIR/kam" "$@"; }
stat() { kc sfwd.stats | sed -n "s/^[[:space:]]*$1: //p"; }

# per received 202: "CALL-ID MESSAGE-ID" (X-Sfwd-Message-ID without "sfwd-")
ids_of() {
	tr -d '\r' <"$1" | awk '
		/^-+ [0-9]/ { if (ok) print cid, id; ok = 0; cid = ""; id = ""; inmsg = 0; next }
		/message received/ { inmsg = 1; next }
		inmsg && /^SIP\/2\.0 202 / { ok = 1 }
		inmsg && tolower($1) == "call-id:" { cid = $2 }
		inmsg && tolower($1) == "x-sfwd-message-id:" { id = $2; sub(/^sfwd-/, "", id) }
		END { if (ok) print cid, id }'
}

e2e_kam kam "$SF_TOP/etc/kamailio-minimal.cfg" || e2e_fatal "Kamailio started"
e2e_q "DELETE FROM sfwd_message; DELETE FROM sfwd_profile" >/dev/null
echo "stored by the writer" >"$T_DIR/text"
e2e_request_xml "$T_DIR/ok.xml" MESSAGE "" text/plain "$T_DIR/text" 202

# 1. N at 200/s: each 202 names its committed row; fewer commits than rows
b0=$(stat store_batches)
e2e_check "$N MESSAGEs to offline $BOB at 200/s -> $N x 202" \
	e2e_sipp burst "$T_DIR/ok.xml" -s "$BOB" -m "$N" -r 200 -l "$N" -p "$SEND_PORT"
ids_of "$T_DIR/burst.msg" | sort >"$T_DIR/burst.ids"
e2e_q "SELECT call_id, id FROM sfwd_message WHERE aor = '$BOB@$E2E_ADDR'" | tr '|' ' ' |
	sort >"$T_DIR/rows.ids"
e2e_eq "$N rows" "$N" "$(wc -l <"$T_DIR/rows.ids")"
e2e_eq "every 202 names the row of its Call-ID (X-Sfwd-Message-ID)" "" \
	"$(diff "$T_DIR/burst.ids" "$T_DIR/rows.ids")"
b1=$(stat store_batches)
if [ -n "$b0" ] && [ -n "$b1" ] && [ $((b1 - b0)) -ge 1 ] && [ $((b1 - b0)) -lt "$N" ]; then
	e2e_ok "committed in $((b1 - b0)) batches for $N messages"
else
	e2e_fail "store_batches went from '$b0' to '$b1' for $N messages"
fi
e2e_check "sfwd.stats shows the writer's queue" eval 'kc sfwd.stats | grep -q "store_waiting: 0"'

# 2. a retransmission after the 202: the same row, no new one
e2e_check "MESSAGE, 202, the same request re-sent -> 202" \
	e2e_sipp retrans "$T_SRC/retrans.xml" -s "$BOB" -m 1 -p "$SEND_PORT"
ids_of "$T_DIR/retrans.msg" >"$T_DIR/retrans.ids"
e2e_eq "two 202s" 2 "$(wc -l <"$T_DIR/retrans.ids")"
e2e_eq "both 202s name one row" 1 "$(awk '{ print $2 }' "$T_DIR/retrans.ids" | sort -u | wc -l)"
e2e_eq "... which exists, once" 1 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE id = $(awk 'NR == 1 { print $2 + 0 }' "$T_DIR/retrans.ids")")"
e2e_eq "$((N + 1)) rows in all" $((N + 1)) "$(e2e_q "SELECT count(*) FROM sfwd_message")"

# 3. a full mailbox: 486, nothing more stored
kc sfwd.policy_set "carol@$E2E_ADDR" '{"max_messages": 2}' >/dev/null ||
	e2e_fail "profile for carol set"
e2e_check "2 MESSAGEs to carol (quota 2) -> 202" \
	e2e_sipp fill "$T_DIR/ok.xml" -s carol -m 2 -p "$SEND_PORT"
e2e_request_xml "$T_DIR/full.xml" MESSAGE "" text/plain "$T_DIR/text" 486
e2e_check "the third -> 486 (Mailbox Full)" \
	e2e_sipp full "$T_DIR/full.xml" -s carol -m 1 -p "$SEND_PORT"
e2e_check "... with the reason phrase" grep -q "486 Busy Here (Mailbox Full)" "$T_DIR/full.msg"
e2e_eq "carol holds 2" 2 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'carol@$E2E_ADDR'")"

e2e_eq "no errors in the Kamailio log" 0 \
	"$(grep -c -E 'ERROR|CRITICAL|ALERT' "$T_DIR/kam/kamailio.log" | head -1)"

# 4. PostgreSQL down: 503 + Retry-After within db_timeout_ms + 1 s
sf_pg_stop "$E2E_PGDIR"
e2e_request_xml "$T_DIR/down.xml" MESSAGE "" text/plain "$T_DIR/text" 503
e2e_check "PostgreSQL down: 5 MESSAGEs -> 503" \
	e2e_sipp down "$T_DIR/down.xml" -s "$BOB" -m 5 -r 10 -p "$SEND_PORT"
e2e_replies "$T_DIR/down.msg" >"$T_DIR/down.codes"
e2e_eq "... each with Retry-After" 5 "$(awk '$2 == 503 && $4 == 1' "$T_DIR/down.codes" | wc -l)"
slow=$(awk 'BEGIN { m = -1 } $3 + 0 > m { m = $3 + 0 } END { print m }' "$T_DIR/down.codes")
e2e_check "... within $((DB_TIMEOUT_MS + 1000)) ms (slowest $slow ms)" \
	awk -v m="$slow" -v b=$((DB_TIMEOUT_MS + 1000)) 'BEGIN { exit !(m >= 0 && m <= b) }'
sf_pg_start "$E2E_PGDIR" "$E2E_PG_PORT" || e2e_fail "PostgreSQL started again"
e2e_eq "nothing stored for a 503" $((N + 1)) \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$BOB@$E2E_ADDR'")"

# 5. bob registers: exactly what got 202
e2e_uas_start bob "$E2E_SIPP_DIR/uas_message.xml" "$BOB_PORT" ||
	e2e_fail "the recipient listens on $BOB_PORT"
e2e_check "$BOB registers" e2e_sipp reg "$E2E_SIPP_DIR/register_contact.xml" -s "$BOB" \
	-key contact_port "$BOB_PORT" -key expires 3600 -m 1 -p "$REG_PORT"
for ((i = 0; i < 100; i++)); do
	[ "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$BOB@$E2E_ADDR'")" = 0 ] && break
	sleep 0.1
done
sleep 0.3
e2e_uas_stop
e2e_sipp_log "$T_DIR/bob.msg" | awk '$1 == "in" && $7 == "MESSAGE" { print $3 }' |
	sort -u >"$T_DIR/delivered"
cat "$T_DIR/burst.ids" "$T_DIR/retrans.ids" | awk '{ print $1 }' | sort -u >"$T_DIR/accepted"
e2e_eq "delivered = accepted ($N + 1)" "" "$(diff "$T_DIR/accepted" "$T_DIR/delivered")"
e2e_end
