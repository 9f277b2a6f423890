#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

DB_TIMEOUT_MS=2000
MARGIN_MS=1500
SEND=$SF_TOP/test/e2e/t013_db_down/send.xml

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST || { e2e_fail "Kamailio started"; e2e_end; }
e2e_q "DELETE FROM sfwd_message" >/dev/null
e2e_check "4 MESSAGEs stored while PostgreSQL runs" \
	e2e_sipp before "$SEND" -s hangbob -m 4 -r 20 -p $((E2E_SIP_PORT + 12))

pm=$(head -n 1 "$(readlink -f "$E2E_PGDIR")/data/postmaster.pid")
pids="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
e2e_on_exit "kill -CONT $pids"
kill -STOP $pids
e2e_sipp frozen "$SEND" -s hangbob -m 8 -r 8 -l 8 -p $((E2E_SIP_PORT + 12))
kill -CONT $pids
e2e_replies "$T_DIR/frozen.msg" >"$T_DIR/frozen.codes"
e2e_eq "PostgreSQL frozen: 8 of 8 refused with 503 + Retry-After" 8 \
	"$(awk '$2 == 503 && $4 == 1' "$T_DIR/frozen.codes" | wc -l)"
max_ms=$(awk 'BEGIN { m = -1 } $3 + 0 > m { m = $3 + 0 } END { print m }' "$T_DIR/frozen.codes")
if awk -v m="$max_ms" -v b=$((DB_TIMEOUT_MS + MARGIN_MS)) 'BEGIN { exit !(m >= 0 && m <= b) }'; then
	e2e_ok "every reply within $((DB_TIMEOUT_MS + MARGIN_MS)) ms (slowest $max_ms ms)"
else
	e2e_fail "slowest reply $max_ms ms, over $((DB_TIMEOUT_MS + MARGIN_MS)) ms"
fi

# what the frozen backends had in hand must not commit once they run
sleep 3
awk '$2 == 503 { print "'"'"'" $1 "'"'"'" }' "$T_DIR/frozen.codes" | paste -sd, >"$T_DIR/refused"
e2e_eq "no refused MESSAGE was stored after all" 0 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE call_id IN ($(cat "$T_DIR/refused"))")"
ok=0
for ((i = 0; i < 30; i++)); do
	e2e_sipp "after_$i" "$SEND" -s hangbob -m 1 -p $((E2E_SIP_PORT + 12))
	if [ "$(e2e_replies "$T_DIR/after_$i.msg" | awk '{ print $2 }')" = 202 ]; then
		ok=1
		break
	fi
	sleep 0.5
done
e2e_eq "stores again once PostgreSQL runs, same Kamailio" 1 "$ok"
e2e_eq "rows: the 4 before and the 1 after" 5 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'hangbob@$E2E_ADDR'")"
e2e_end
