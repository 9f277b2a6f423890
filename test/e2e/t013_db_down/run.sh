#!/usr/bin/env bash
# PostgreSQL goes away under a running Kamailio and comes back: 503 +
# Retry-After (fast) while it is away, 202 again without a restart, and
# every 202 (before and after) delivered at the next registration.
. "$(dirname "$0")/../lib.sh"
e2e_begin
# whatever happens below, the suite's PostgreSQL runs again at the end
e2e_on_exit 'sf_pg_start "$E2E_PGDIR" "$E2E_PG_PORT"'

USER_NAME=t013bob
AOR=$USER_NAME@$E2E_ADDR
CONTACT_PORT=$((E2E_SIP_PORT + 11)) # the recipient (uas_message.xml)
SEND_PORT=$((E2E_SIP_PORT + 12))    # alice
REG_PORT=$((E2E_SIP_PORT + 13))     # the REGISTER
N_BEFORE=5                          # stored before the outage
N_DOWN=20                           # sent while PostgreSQL is down
N_AFTER=3                           # stored after it is back
DB_TIMEOUT_MS=2000                  # sfwd's db_timeout_ms (etc/kamailio.cfg keeps the default)
MARGIN_MS=1000
SEND=$T_SRC/send.xml


e2e_on_exit 'e2e_uas_stop'

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST ||
	e2e_fatal "Kamailio started"
kam_pid=$(cat "$T_DIR/kam/kamailio.launcher")

# 1. PostgreSQL up: stored
e2e_sipp before "$SEND" -s "$USER_NAME" -m "$N_BEFORE" -r 20 -p "$SEND_PORT"
e2e_eq "before the outage: $N_BEFORE MESSAGEs -> 202" "$N_BEFORE" \
	"$(e2e_replies "$T_DIR/before.msg" | awk '$2 == 202' | wc -l)"

# 2. PostgreSQL down under the running Kamailio
sf_pg_stop "$E2E_PGDIR"
e2e_check "PostgreSQL is stopped" eval '! sf_pg_running "$E2E_PGDIR"'
e2e_sipp down "$SEND" -s "$USER_NAME" -m "$N_DOWN" -r 10 -l "$N_DOWN" -p "$SEND_PORT"
e2e_replies "$T_DIR/down.msg" >"$T_DIR/down.codes"
e2e_eq "PostgreSQL down: MESSAGEs sent" "$N_DOWN" "$(wc -l <"$T_DIR/down.codes")"
e2e_eq "PostgreSQL down: every MESSAGE -> 503" "$N_DOWN" \
	"$(awk '$2 == 503' "$T_DIR/down.codes" | wc -l)"
e2e_eq "PostgreSQL down: every 503 carries Retry-After (> 0)" "$N_DOWN" \
	"$(awk '$2 == 503 && $4 == 1' "$T_DIR/down.codes" | wc -l)"
# (db_timeout_ms + a margin)
e2e_replies_within "PostgreSQL down" "$T_DIR/down.codes" $((DB_TIMEOUT_MS + MARGIN_MS))
max_ms=$E2E_MAX_MS

# 3. PostgreSQL back: 202 again, same Kamailio
sf_pg_start "$E2E_PGDIR" "$E2E_PG_PORT" || e2e_fail "PostgreSQL started again"
t0=$(e2e_ms_now)
back=0
# one probe every ~0.5 s, 30 s at most
E2E_SIPP_TIMEOUT=5 e2e_until_202 probe 0 30000 "$SEND" -s "$USER_NAME" -p "$SEND_PORT" &&
	back=1
probes=$E2E_PROBES
e2e_eq "PostgreSQL back: a MESSAGE -> 202 again within 30 s (probe $probes, after $(($(e2e_ms_now) - t0)) ms)" 1 "$back"
e2e_check "the same Kamailio (pid $kam_pid) still runs" kill -0 "$kam_pid"
e2e_sipp after "$SEND" -s "$USER_NAME" -m "$N_AFTER" -r 20 -p "$SEND_PORT"
e2e_eq "after the outage: $N_AFTER MESSAGEs -> 202" "$N_AFTER" \
	"$(e2e_replies "$T_DIR/after.msg" | awk '$2 == 202' | wc -l)"

# 4. a 202 means a row, and a row means a 202
e2e_replies "$T_DIR"/before.msg "$T_DIR"/down.msg "$T_DIR"/probe_*.msg \
	"$T_DIR"/after.msg >"$T_DIR/all.codes"
awk '$2 == 202 { print $1 }' "$T_DIR/all.codes" | sort >"$T_DIR/accepted"
awk '$2 != 202 { print $1 }' "$T_DIR/all.codes" | sort >"$T_DIR/refused"
e2e_q "SELECT call_id FROM sfwd_message WHERE aor = '$AOR' AND state = 'queued'" |
	sort >"$T_DIR/rows"
n202=$(wc -l <"$T_DIR/accepted")
e2e_eq "202s: $N_BEFORE before + probe + $N_AFTER after" $((N_BEFORE + 1 + N_AFTER)) "$n202"
e2e_eq "no 202 without a queued row" 0 "$(comm -23 "$T_DIR/accepted" "$T_DIR/rows" | wc -l)"
e2e_eq "no row without a 202 (nothing stored for a 503)" 0 \
	"$(comm -13 "$T_DIR/accepted" "$T_DIR/rows" | wc -l)"

# 5. the user registers: everything stored is delivered
e2e_uas_start bob "$E2E_SIPP_DIR/uas_message.xml" "$CONTACT_PORT" ||
	e2e_fail "the recipient listens on $CONTACT_PORT"
e2e_check "REGISTER $USER_NAME with the recipient as contact -> 200" \
	e2e_sipp reg "$E2E_SIPP_DIR/register_contact.xml" -s "$USER_NAME" \
	-key contact_port "$CONTACT_PORT" -key expires 3600 -m 1 -p "$REG_PORT"
e2e_drained "no row left for $AOR (any state)" 30 \
	e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$AOR'"
sleep 0.5 # a late duplicate would show up in the recipient's log now
e2e_uas_stop
e2e_sipp_log "$T_DIR/bob.msg" | awk '$1 == "in" && $7 == "MESSAGE" { print $3 }' |
	sort -u >"$T_DIR/delivered"
e2e_eq "every 202'd message delivered" 0 \
	"$(comm -23 "$T_DIR/accepted" "$T_DIR/delivered" | wc -l)"
e2e_eq "nothing delivered that was not 202'd" 0 \
	"$(comm -13 "$T_DIR/accepted" "$T_DIR/delivered" | wc -l)"
echo "  info $n202 stored and delivered, $(awk '$2 == 503' "$T_DIR/down.codes" | wc -l)" \
	"refused with 503 while PostgreSQL was down (slowest reply $max_ms ms)," \
	"$((probes - 1)) probes refused before the first 202; Kamailio log:" \
	"$(grep -c 'database unavailable' "$T_DIR/kam/kamailio.log") 'database unavailable' lines"
e2e_end
