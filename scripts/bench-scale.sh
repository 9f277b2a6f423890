#!/usr/bin/env bash
# `make bench-scale`: the cost of storing and replaying with a large backlog
# (issue 17), sfwd against msilo in one run, and sfwd's table after a
# million messages went through it.
#
# For each system, on an empty table and then with USERS x PER messages
# queued (made in SQL, not over SIP): STORE_N MESSAGEs at STORE_RATE to
# users who each have PER waiting (CPU per message, p50/p99), and the
# replay of PER messages for each of REPLAY_USERS users (one REGISTER each:
# ms to the last message). Then, sfwd only, on the full table: CHURN_N
# MESSAGEs stored for CHURN_USERS other users and delivered (they
# register), the table's size (heap + indexes) before, after, and after
# autovacuum has run on it (bounded wait; never VACUUM FULL).
# Writes var/bench-scale/scale.txt and scale.json.
#
#   scripts/bench-scale.sh
# Environment: SFWD_SCALE_USERS (1000000), SFWD_SCALE_PER (10),
# SFWD_SCALE_CHURN (1000000), SFWD_SCALE_AV_WAIT (600, seconds),
# SFWD_BENCH_PORT (35060), SFWD_BENCH_PG_PORT (55533), SFWD_BENCH_KAM_ARGS
# ("-x tlsf")
set -uo pipefail
BENCH_LOG=bench-scale
. "$(dirname "$0")/bench-lib.sh"

USERS=${SFWD_SCALE_USERS:-1000000}
PER=${SFWD_SCALE_PER:-10}
CHURN_N=${SFWD_SCALE_CHURN:-1000000}
CHURN_USERS=1000
CHURN_RATE=8000
AV_WAIT=${SFWD_SCALE_AV_WAIT:-600}
STORE_N=20000
STORE_RATE=2000
REPLAY_USERS=5
PORT=${SFWD_BENCH_PORT:-35060}
PG_PORT=${SFWD_BENCH_PG_PORT:-55533}
KAM_ARGS=${SFWD_BENCH_KAM_ARGS--x tlsf}
OUT=$SF_TOP/var/bench-scale
PGDIR=$OUT/pg
SIPP_BUF="-buff_size 1048576"
EMPTY_WAIT_MS=20000
export SF_KAM_SHM=512 SF_KAM_PKG=16
mkdir -p "$OUT"
rm -rf "$OUT/run" "$OUT"/*.log "$OUT"/*.csv "$OUT"/*.msg "$OUT"/*.rtt
trap 'sf_kam_stop "$OUT/run"; sf_pg_stop "$PGDIR"' EXIT
trap 'exit 130' INT TERM
bench_pg || exit 1
[ "$USERS" -ge $((2 * STORE_N)) ] || { log "SFWD_SCALE_USERS must be at least $((2 * STORE_N))"; exit 1; }

# the stored-to users: r1..rSTORE_N; the replayed ones in the middle
R1=$((USERS / 2 + 1))
RN=$((R1 + REPLAY_USERS - 1))
users_csv "$OUT/users.csv" "$STORE_N" r

# "heap_bytes index_bytes": the table (with TOAST) and all its indexes
sizes() {
	q "$(db_of "$1")" "SELECT pg_table_size('$(table_of "$1")'), pg_indexes_size('$(table_of "$1")')"
}
# replay REPLAY_USERS users (PER messages each) one after the other;
# prints "median_ms max_ms received unique duplicates"
replays() {
	local sys=$1 tag=$2 u t got=0 uniq=0 dup=0 c
	for u in $(seq "$R1" "$RN"); do
		read -r t _ <<<"$(replay_one "r$u" "$PER" "$tag.$u")"
		echo "$t" >>"$OUT/$tag.times"
		read -r -a c <<<"$(recipient_counts "$OUT/$tag.$u.uas.msg")"
		got=$((got + c[0])) uniq=$((uniq + c[1])) dup=$((dup + c[2]))
	done
	sort -n "$OUT/$tag.times" -o "$OUT/$tag.times"
	echo "$(pct 0.5 "$OUT/$tag.times") $(tail -n 1 "$OUT/$tag.times") $got $uniq $dup"
}
# the table as a long-running store has it: vacuumed (visibility map and
# hint bits set), analysed, checkpointed; then no autovacuum may run while
# CPU is measured (it is PostgreSQL's CPU too). Bounded waits.
settle() { # settle SYSTEM
	local i
	q "$(db_of "$1")" "VACUUM (ANALYZE) $(table_of "$1")" >/dev/null
	q "$(db_of "$1")" "CHECKPOINT" >/dev/null
	for i in $(seq 1 600); do
		[ -z "$(q postgres "SELECT 1 FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" ] &&
			return 0
		sleep 1
	done
	log "an autovacuum still runs after 600 s"
}
# one side (empty or full): store step and replays on a fresh Kamailio;
# prints the store step's fields, then the replays'
side() { # side SYSTEM TAG
	local sys=$1 tag=$2 st rp
	rm -f "$OUT/$tag.replay.times"
	settle "$sys"
	start_kam "$sys" || return 1
	st=$(store_step "$sys" "$STORE_RATE" "$STORE_N" "$OUT/users.csv" "$tag.store" keep)
	rp=$(replays "$sys" "$tag.replay")
	sf_kam_stop "$OUT/run"
	cp "$OUT/run/kamailio.log" "$OUT/$tag.kamailio.log"
	echo "$st $rp"
}
# autovacuum runs on sfwd_message so far
av_count() {
	q bench_sfwd "SELECT autovacuum_count FROM pg_stat_user_tables WHERE relname = 'sfwd_message'"
}
dead() {
	q bench_sfwd "SELECT n_live_tup || ' ' || n_dead_tup FROM pg_stat_user_tables WHERE relname = 'sfwd_message'"
}

declare -A R
for sys in msilo sfwd; do
	log "== $sys"
	q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	queue_fill "$sys" "$R1" "$RN" "$PER" || exit 1
	R[$sys.empty]=$(side "$sys" "$sys.empty") || exit 1
	log "$sys empty: ${R[$sys.empty]} (ok rows 202s cpu p50 p99 kam pg retrans | replay median max got unique dup)"
	q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	t0=$(ms_now)
	queue_fill "$sys" 1 "$USERS" "$PER" || exit 1
	R[$sys.fill]="$(($(ms_now) - t0)) $(rows_of "$sys") $(sizes "$sys" | tr '|' ' ')"
	log "$sys: ${R[$sys.fill]} (ms_to_fill rows heap_bytes index_bytes)"
	R[$sys.full]=$(side "$sys" "$sys.full") || exit 1
	log "$sys full: ${R[$sys.full]}"
	# the other system runs on the same PostgreSQL: not beside this backlog
	[ "$sys" = msilo ] && q bench_msilo "TRUNCATE silo; CHECKPOINT" >/dev/null
done

# ---- sfwd's table after CHURN_N stored and delivered
log "== sfwd: $CHURN_N stored and delivered on the full table"
users_csv "$OUT/churn.csv" "$CHURN_USERS" c
av0=$(av_count)
size0=$(sizes sfwd | tr '|' ' ')
start_kam sfwd || exit 1
t0=$(ms_now)
send churn.store "$OUT/churn.csv" "$CHURN_N" "$CHURN_RATE" || log "churn: SIPp reported errors while storing"
t_stored=$(($(ms_now) - t0))
queued=$(q bench_sfwd "SELECT count(*) FROM sfwd_message WHERE state = 'queued' AND aor >= 'c' AND aor < 'd'")
log "churn: $queued queued in $t_stored ms"
RECIPIENT_XML=$SF_TOP/test/bench/uas_phone.xml recipient churn "$queued" 900
uas=$!
t0=$(ms_now)
(cd "$OUT" && sipp -sf "$SF_TOP/test/bench/register_users.xml" -inf "$OUT/churn.csv" \
	-key contact_port $((PORT + 2)) -i 127.0.0.1 -p $((PORT + 3)) -r 200 \
	-m "$CHURN_USERS" -nostdin -timeout 60s "127.0.0.1:$PORT" >"$OUT/churn.reg.log" 2>&1)
wait "$uas"
# the last MESSAGE's arrival (the phone ends 5 s after it, uas_phone.xml)
t_delivered=$(($(trace_ms "$OUT/churn.uas.msg" received last) - t0 % 86400000 - $(date +%z | awk '{ s = substr($1, 1, 1) == "-" ? -1 : 1; print s * (substr($1, 2, 2) * 60 + substr($1, 4, 2)) * 60000 }')))
left=$(q bench_sfwd "SELECT count(*) FROM sfwd_message WHERE aor >= 'c' AND aor < 'd'")
read -r -a c <<<"$(recipient_counts "$OUT/churn.uas.msg")"
rm -f "$OUT/churn.uas.msg"
sf_kam_stop "$OUT/run"
cp "$OUT/run/kamailio.log" "$OUT/churn.kamailio.log"
size1=$(sizes sfwd | tr '|' ' ')
dead1=$(dead)
log "churn: delivered ${c[1]} (dup ${c[2]}) in $t_delivered ms, $left left; sizes $size0 -> $size1; live/dead $dead1"
# autovacuum, as configured (the schema's per-table settings), no VACUUM
t0=$(ms_now)
t_av=never
while [ $(($(ms_now) - t0)) -lt $((AV_WAIT * 1000)) ]; do
	if [ "$(av_count)" -gt "$av0" ]; then
		# it may still be running: wait until no autovacuum works on it
		while [ -n "$(q bench_sfwd "SELECT 1 FROM pg_stat_progress_vacuum p
			JOIN pg_class c ON c.oid = p.relid WHERE c.relname = 'sfwd_message'")" ]; do
			sleep 1
		done
		t_av=$(($(ms_now) - t0))
		break
	fi
	sleep 5
done
size2=$(sizes sfwd | tr '|' ' ')
R[churn]="$t_stored $queued $t_delivered ${c[1]} ${c[2]} $left $size0 $size1 $size2 $t_av $av0 $(av_count) $dead1 $(dead)"
log "churn: ${R[churn]}"

# ---- the table
mb() { awk -v a="$1" -v b="${2:-0}" 'BEGIN { printf "%.0f", (a + b) / 1048576 }'; }
row() { printf '%-44s %14s %14s %14s %14s\n' "$@"; }
{
	echo "bench-scale, $(date -u +%FT%TZ), $(nproc) cores, Kamailio -m 512 -M 16${KAM_ARGS:+ $KAM_ARGS}," \
		"PostgreSQL $PG_SETTINGS; full: $USERS users x $PER queued"
	row "figure" "msilo empty" "msilo full" "sfwd empty" "sfwd full"
	row "queued rows" "$REPLAY_USERS x $PER" "$(field msilo.fill 2)" "$REPLAY_USERS x $PER" "$(field sfwd.fill 2)"
	row "s to fill in SQL; heap + indexes (MB)" "" \
		"$(($(field msilo.fill 1) / 1000)); $(mb "$(field msilo.fill 3)") + $(mb "$(field msilo.fill 4)")" "" \
		"$(($(field sfwd.fill 1) / 1000)); $(mb "$(field sfwd.fill 3)") + $(mb "$(field sfwd.fill 4)")"
	row "store $STORE_N at $STORE_RATE/s: zero-loss" "$(field msilo.empty 1)" "$(field msilo.full 1)" \
		"$(field sfwd.empty 1)" "$(field sfwd.full 1)"
	row "  CPU ms per 1000 (kam+pg)" "$(field msilo.empty 4)" "$(field msilo.full 4)" \
		"$(field sfwd.empty 4)" "$(field sfwd.full 4)"
	row "  of which Kamailio / PostgreSQL" "$(field msilo.empty 7) / $(field msilo.empty 8)" \
		"$(field msilo.full 7) / $(field msilo.full 8)" "$(field sfwd.empty 7) / $(field sfwd.empty 8)" \
		"$(field sfwd.full 7) / $(field sfwd.full 8)"
	row "  response p50 / p99 (ms)" "$(field msilo.empty 5) / $(field msilo.empty 6)" \
		"$(field msilo.full 5) / $(field msilo.full 6)" "$(field sfwd.empty 5) / $(field sfwd.empty 6)" \
		"$(field sfwd.full 5) / $(field sfwd.full 6)"
	row "replay $PER, $REPLAY_USERS users: ms median / max" "$(field msilo.empty 10) / $(field msilo.empty 11)" \
		"$(field msilo.full 10) / $(field msilo.full 11)" "$(field sfwd.empty 10) / $(field sfwd.empty 11)" \
		"$(field sfwd.full 10) / $(field sfwd.full 11)"
	row "  received / distinct / duplicates" \
		"$(field msilo.empty 12)/$(field msilo.empty 13)/$(field msilo.empty 14)" \
		"$(field msilo.full 12)/$(field msilo.full 13)/$(field msilo.full 14)" \
		"$(field sfwd.empty 12)/$(field sfwd.empty 13)/$(field sfwd.empty 14)" \
		"$(field sfwd.full 12)/$(field sfwd.full 13)/$(field sfwd.full 14)"
	echo "full/empty, sfwd: CPU $(ratio "$(field sfwd.full 4)" "$(field sfwd.empty 4)")," \
		"p99 $(ratio "$(field sfwd.full 6)" "$(field sfwd.empty 6)")," \
		"replay $(ratio "$(field sfwd.full 10)" "$(field sfwd.empty 10)");" \
		"msilo: CPU $(ratio "$(field msilo.full 4)" "$(field msilo.empty 4)")," \
		"p99 $(ratio "$(field msilo.full 6)" "$(field msilo.empty 6)")," \
		"replay $(ratio "$(field msilo.full 10)" "$(field msilo.empty 10)")"
	echo "sfwd, $CHURN_N stored ($CHURN_RATE/s asked; $(field churn 2) queued in $(field churn 1) ms)" \
		"and delivered ($(field churn 4) distinct, $(field churn 5) duplicates, in $(field churn 3) ms; $(field churn 6) left):"
	row "  table heap + indexes (MB)" "before" "after" "autovacuumed" "vacuumed/before"
	row "" "$(mb "$(field churn 7)") + $(mb "$(field churn 8)")" "$(mb "$(field churn 9)") + $(mb "$(field churn 10)")" \
		"$(mb "$(field churn 11)") + $(mb "$(field churn 12)")" \
		"$(ratio "$(mb "$(field churn 11)" "$(field churn 12)")" "$(mb "$(field churn 7)" "$(field churn 8)")")"
	echo "  autovacuum runs on sfwd_message since the churn began: $(($(field churn 15) - $(field churn 14)))" \
		"($(field churn 13) ms after the deliveries until one had run, waited at most $AV_WAIT s);" \
		"dead rows after the deliveries $(field churn 17), at the end $(field churn 19)"
} | tee "$OUT/scale.txt"
{
	echo "{"
	echo "  \"users\": $USERS, \"per_user\": $PER, \"churn\": $CHURN_N, \"date\": \"$(date -u +%FT%TZ)\","
	r_json
	echo "}"
} >"$OUT/scale.json"
log "written $OUT/scale.txt and $OUT/scale.json"
