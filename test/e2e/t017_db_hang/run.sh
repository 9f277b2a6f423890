#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

DB_TIMEOUT_MS=2000
MARGIN_MS=1500
SEND=$SF_TOP/test/e2e/t013_db_down/send.xml

e2e_kam_example
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
e2e_replies_within "PostgreSQL frozen" "$T_DIR/frozen.codes" $((DB_TIMEOUT_MS + MARGIN_MS))

# what the frozen backends had in hand must not commit once they run
sleep 3
awk '$2 == 503 { print "'"'"'" $1 "'"'"'" }' "$T_DIR/frozen.codes" | paste -sd, >"$T_DIR/refused"
e2e_eq "no refused MESSAGE was stored after all" 0 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE call_id IN ($(cat "$T_DIR/refused"))")"
ok=0
e2e_until_202 after 30 0 "$SEND" -s hangbob -p $((E2E_SIP_PORT + 12)) && ok=1
e2e_eq "stores again once PostgreSQL runs, same Kamailio" 1 "$ok"
e2e_eq "rows: the 4 before and the 1 after" 5 \
	"$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'hangbob@$E2E_ADDR'")"
e2e_end
