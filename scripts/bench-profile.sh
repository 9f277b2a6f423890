#!/usr/bin/env bash
# `make bench-profile`: where the CPU of storing goes. sfwd (test/bench/
# sfwd.cfg) takes N MESSAGEs at RATE for offline users while `perf record`
# samples every Kamailio and PostgreSQL process; prints CPU per stored
# message (Kamailio / PostgreSQL, as make bench counts it), the commits
# (sfwd:store_batches) and the top of `perf report` by process and by
# symbol. Writes var/bench-profile/ (perf.data, report.txt).
#
#   scripts/bench-profile.sh
# Environment: SFWD_PROFILE_RATE (2000), SFWD_PROFILE_N (20000),
# SFWD_PROFILE_DELAY (store_delay_ms; unset: the module's default),
# SFWD_BENCH_PORT (35060), SFWD_BENCH_PG_PORT (55533), SFWD_BENCH_KAM_ARGS
# ("-x tlsf")
set -uo pipefail
BENCH_LOG=bench-profile
. "$(dirname "$0")/bench-lib.sh"

RATE=${SFWD_PROFILE_RATE:-2000}
N=${SFWD_PROFILE_N:-20000}
PORT=${SFWD_BENCH_PORT:-35060}
PG_PORT=${SFWD_BENCH_PG_PORT:-55533}
KAM_ARGS=${SFWD_BENCH_KAM_ARGS--x tlsf}
OUT=$SF_TOP/var/bench-profile
PGDIR=$OUT/pg
SIPP_BUF="-buff_size 1048576"
EMPTY_WAIT_MS=20000
export SF_KAM_SHM=512 SF_KAM_PKG=16
command -v perf >/dev/null || { log "no perf (apt-get install linux-perf)"; exit 1; }
mkdir -p "$OUT"
rm -rf "$OUT/run" "$OUT"/*.log "$OUT"/*.csv "$OUT"/*.rtt "$OUT/perf.data"
trap 'sf_kam_stop "$OUT/run"; sf_pg_stop "$PGDIR"' EXIT
trap 'exit 130' INT TERM
bench_pg || exit 1

delay=()
[ -n "${SFWD_PROFILE_DELAY:-}" ] && delay=(-A "BENCH_DELAY=$SFWD_PROFILE_DELAY")
start_kam sfwd "${delay[@]}" || exit 1
users_csv "$OUT/users.csv" "$N" p
# a first run warms the caches and the prepared statements
store_step sfwd "$RATE" 2000 "$OUT/users.csv" warm >/dev/null
pids=$( (pgrep -g "$(cat "$OUT/run/kamailio.launcher")"; echo "$PM"; pgrep -P "$PM") |
	sort -u | paste -sd, -)
batches() { sf_kamcmd "$OUT/run" stats.get_statistics sfwd: | tr -d '"' | sed -n 's/.*store_batches = //p'; }
b0=$(batches)
perf record -q -g -p "$pids" -o "$OUT/perf.data" >"$OUT/perf.log" 2>&1 &
perf_pid=$!
sleep 0.5
res=$(store_step sfwd "$RATE" "$N" "$OUT/users.csv" profile)
kill -INT "$perf_pid"
wait "$perf_pid"
b1=$(batches)
read -r ok rows _ cpu p50 p99 kam pg _ <<<"$res"
{
	echo "bench-profile, $(date -u +%FT%TZ), $(nproc) cores: $N MESSAGEs at $RATE/s," \
		"store_delay_ms ${SFWD_PROFILE_DELAY:-default}, Kamailio${KAM_ARGS:+ $KAM_ARGS}, PostgreSQL $PG_SETTINGS"
	echo "zero-loss $ok, rows $rows, CPU per 1000 stored $cpu ms (Kamailio $kam, PostgreSQL $pg)," \
		"p50/p99 $p50/$p99 ms, commits $((b1 - b0)) ($(awk -v r="$rows" -v b="$((b1 - b0))" \
		'BEGIN { if (b > 0) printf "%.1f", r / b; else print "-" }') messages each)"
	echo
	echo "== samples by process"
	perf report -i "$OUT/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 15
	echo
	echo "== top symbols (self), all processes"
	perf report -i "$OUT/perf.data" --no-children --sort comm,dso,symbol --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 40
} | tee "$OUT/report.txt"
log "written $OUT/report.txt ($OUT/perf.data: perf report -i it)"
