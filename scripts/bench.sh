#!/usr/bin/env bash
# `make bench` / `make bench-quick`: sfwd against Kamailio's msilo on this
# machine, in one run, with the same PostgreSQL (fsync and synchronous_commit
# on) and the same Kamailio settings; SIPp drives both. Prints one table and
# writes it, with every raw figure, as JSON to var/bench/bench.json.
# sfwd alone also takes SESS_N concurrent MSRP sessions of SESS_SENDS SENDs
# each for offline users (sf_session_accept(); msilo has no sessions).
#
#   scripts/bench.sh [quick]
# Environment: SFWD_BENCH_PORT (35060), SFWD_BENCH_PG_PORT (55533),
# SFWD_BENCH_KAM_ARGS: Kamailio options for both (default "-x tlsf", the
# TLSF allocator; empty: Kamailio's default q_malloc, see doc/performance.md)
set -uo pipefail
BENCH_LOG=bench
. "$(dirname "$0")/bench-lib.sh"

QUICK=0
[ "${1:-}" = quick ] && QUICK=1
PORT=${SFWD_BENCH_PORT:-35060}
PG_PORT=${SFWD_BENCH_PG_PORT:-55533}
OUT=$SF_TOP/var/bench
PGDIR=$OUT/pg
if [ $QUICK = 1 ]; then
	STORE_N=2000
	RATES="1000 2000 4000"
	REPLAY_NS="200 1000"
	ORDER_N=200
	MEM_N=10000
	MEM_USERS=20
else
	STORE_N=20000
	RATES="1000 2000 4000 8000 16000"
	REPLAY_NS="1000 10000"
	ORDER_N=1000
	MEM_N=100000
	MEM_USERS=100
fi
MEM_RATE=4000 # stores per second in the memory run (both sustain it)
# a burst: BURST_N MESSAGEs sent as fast as one SIPp can (asked for
# BURST_N a second) to a Kamailio with Debian's default 64 MB of shared
# memory (quick and full)
BURST_N=20000
# a light load: response times when the store is not busy (quick and full)
LOW_RATE=50
LOW_N=300
# MSRP sessions stored for offline users (sfwd only), quick and full alike:
# 1000 SENDs take a few seconds, and the same size keeps the figures of
# both comparable. sfwd's MSRP listener: PORT+4; the senders' own paths
# name PORT+5 (sfwd never connects to them)
SESS_N=50
SESS_SENDS=20
SESS_TIMEOUT=120 # seconds for one session, all waits inside it bounded
# SIPp's socket buffers (default 64 KB): one SIPp stands for thousands of
# phones and gets their answers in bursts; the kernel caps this at
# net.core.rmem_max
SIPP_BUF="-buff_size 1048576"
EMPTY_WAIT_MS=20000
# the same memory for both: 512 MB shared, 16 MB private per process
export SF_KAM_SHM=512 SF_KAM_PKG=16
mkdir -p "$OUT"
rm -rf "$OUT/run" "$OUT"/*.log "$OUT"/*.csv "$OUT"/*.msg "$OUT"/*.rtt
trap 'sf_kam_stop "$OUT/run"; sf_pg_stop "$PGDIR"' EXIT
trap 'exit 130' INT TERM

KAM_ARGS=${SFWD_BENCH_KAM_ARGS--x tlsf}
bench_pg || exit 1

# memory: shared, private (all processes) and the table's size, before and
# after N stored-and-delivered messages (U users, one recipient); prints
# "shm0 shm1 pkg0 pkg1 table0 table1 delivered ms_to_empty rows_left
# table_after_vacuum"
memory_step() {
	local sys=$1 n=$2 u=$3 shm0 pkg0 tb0 tb1 uas te c
	q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	shm0=$(shm_used)
	pkg0=$(pkg_used)
	tb0=$(table_bytes "$sys")
	users_csv "$OUT/mem_users.csv" "$u" "m"
	send "$sys.mem.fill" "$OUT/mem_users.csv" "$n" "$MEM_RATE" ||
		log "$sys memory: SIPp reported errors while storing"
	log "$sys memory: $(rows_of "$sys") of $n stored"
	recipient "$sys.mem" "$n" 60
	uas=$!
	t0=$(ms_now)
	(cd "$OUT" && sipp -sf "$SF_TOP/test/bench/register_users.xml" -inf "$OUT/mem_users.csv" \
		-key contact_port $((PORT + 2)) -i 127.0.0.1 -p $((PORT + 3)) -r 20 \
		-m "$u" -nostdin -timeout 60s "127.0.0.1:$PORT" >"$OUT/$sys.mem.reg.log" 2>&1)
	wait "$uas"
	te=$(wait_empty "$sys" "$t0")
	# transactions live for tm's wait timer: let them go before measuring
	sleep 10
	read -r -a c <<<"$(recipient_counts "$OUT/$sys.mem.uas.msg")"
	rm -f "$OUT/$sys.mem.uas.msg"
	tb1=$(table_bytes "$sys")
	q "$(db_of "$sys")" "VACUUM $(table_of "$sys")" >/dev/null
	echo "$shm0 $(shm_used) $pkg0 $(pkg_used) $tb0 $tb1 ${c[1]} $te $(rows_of "$sys")" \
		"$(table_bytes "$sys")"
}

# MSRP sessions (sfwd only): N senders at once, each an INVITE with an MSRP
# offer to its own offline user, S SENDs of 100 bytes (each waits for its
# 200, which sfwd sends after the COMMIT), a BYE; prints "ok|lost acked
# rows cpu_ms_per_1000 kam pg seconds sessions_ok sessions_ended errors
# send_p50_ms send_p99_ms" (CPU of everything from the first INVITE to the
# last BYE, per stored SEND)
sessions_step() {
	local n=$1 sends=$2 tag=$3 k0 g0 k1 g1 rc rows ended line ok d f v
	local -A c
	q bench_sfwd "TRUNCATE sfwd_message, sfwd_session" >/dev/null
	read -r k0 g0 <<<"$(cpu_ns)"
	timeout $((SESS_TIMEOUT + 60)) python3 "$SF_TOP/test/bench/msrp_sessions.py" \
		--port "$PORT" --msrp-port $((PORT + 5)) --sessions "$n" --sends "$sends" \
		--size 100 --prefix sess --session-timeout "$SESS_TIMEOUT" \
		>"$OUT/$tag.log" 2>&1
	rc=$?
	sleep 1
	read -r k1 g1 <<<"$(cpu_ns)"
	rows=$(q bench_sfwd "SELECT count(*) FROM sfwd_message WHERE session_id IS NOT NULL")
	ended=$(q bench_sfwd "SELECT count(*) FROM sfwd_session WHERE ended IS NOT NULL")
	line=$(grep '^sessions_ok=' "$OUT/$tag.log" | tail -n 1)
	# key=value: sessions_ok=S/N sends_acked=A/T errors=E seconds=W ...
	for f in sessions_ok sends_acked errors seconds send_p50_ms send_p99_ms; do
		v=$(echo "$line" | tr ' ' '\n' | sed -n "s/^$f=//p" | cut -d/ -f1)
		c[$f]=${v:-?}
	done
	ok=lost
	[ "$rc" = 0 ] && [ "${c[sends_acked]}" = $((n * sends)) ] && [ "$rows" = $((n * sends)) ] &&
		ok=ok
	d=$((rows > 0 ? rows : 1))
	echo "$ok ${c[sends_acked]} $rows $(((k1 - k0 + g1 - g0) / 1000 / d))" \
		"$(((k1 - k0) / 1000 / d)) $(((g1 - g0) / 1000 / d)) ${c[seconds]}" \
		"${c[sessions_ok]} $ended ${c[errors]} ${c[send_p50_ms]} ${c[send_p99_ms]}"
}

declare -A R
for sys in msilo sfwd; do
	log "== $sys"
	start_kam "$sys" || exit 1
	# first, so that "before" is the freshly started Kamailio
	res=$(memory_step "$sys" "$MEM_N" "$MEM_USERS")
	log "$sys memory $MEM_N: $res (shm0 shm1 pkg0 pkg1 table0 table1 delivered ms_empty left table_vacuumed)"
	R[$sys.memory]=$res
	# the rest on a fresh Kamailio and an empty table
	sf_kam_stop "$OUT/run"
	cp "$OUT/run/kamailio.log" "$OUT/$sys.memory.kamailio.log"
	q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	start_kam "$sys" || exit 1
	users_csv "$OUT/users.csv" "$STORE_N"
	res=$(store_step "$sys" "$LOW_RATE" "$LOW_N" "$OUT/users.csv" "$sys.low")
	log "$sys store $LOW_N at $LOW_RATE/s: $res (ok rows 202s cpu p50 p99 kam pg retrans)"
	R[$sys.low]=$res
	best=0
	for rate in $RATES; do
		res=$(store_step "$sys" "$rate" "$STORE_N" "$OUT/users.csv" "$sys.store.$rate")
		log "$sys store $STORE_N at $rate/s: $res (ok rows 202s cpu p50 p99 kam pg retrans)"
		R[$sys.store.$rate]=$res
		set -- $res
		[ "$1" = ok ] || break
		best=$rate
	done
	R[$sys.best]=$best
	for n in $REPLAY_NS; do
		res=$(replay_step "$sys" "$n" "$sys.replay.$n" "rcpt$n")
		log "$sys replay $n: $res (ms_last ms_empty received unique dup missing in_order)"
		R[$sys.replay.$n]=$res
	done
	sf_kam_stop "$OUT/run"
	cp "$OUT/run/kamailio.log" "$OUT/$sys.kamailio.log"
	q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	SF_KAM_SHM=64 start_kam "$sys" || exit 1
	res=$(burst_step "$sys" "$BURST_N" "$sys.burst")
	log "$sys burst $BURST_N at 64 MB: $res (sent_ms 202s 503s lost rows alloc_errors shm_peak_kb)"
	R[$sys.burst]=$res
	sf_kam_stop "$OUT/run"
	cp "$OUT/run/kamailio.log" "$OUT/$sys.burst.kamailio.log"
done
# sfwd with its MSRP listener: sessions stored for offline users (a fresh
# Kamailio, so that the MESSAGE steps above ran as before, without it)
start_kam sfwd -A "SFWD_MSRP_LISTEN=\"127.0.0.1:$((PORT + 4))\"" || exit 1
res=$(sessions_step "$SESS_N" "$SESS_SENDS" sfwd.sessions)
log "sfwd sessions $SESS_N x $SESS_SENDS: $res (ok acked rows cpu kam pg seconds sessions_ok ended errors p50 p99)"
R[sfwd.sessions]=$res
sf_kam_stop "$OUT/run"
cp "$OUT/run/kamailio.log" "$OUT/sfwd.sessions.kamailio.log"
# sfwd with flush_window 1: strict order
start_kam sfwd -A BENCH_WINDOW=1 || exit 1
res=$(replay_step sfwd "$ORDER_N" "sfwd.order" "ordered")
log "sfwd flush_window 1, replay $ORDER_N: $res"
R[sfwd.order]=$res
sf_kam_stop "$OUT/run"

# ---- the table
row() { printf '%-46s %16s %16s %10s\n' "$@"; }
# the highest rate both stored without loss
common=$(( R[msilo.best] < R[sfwd.best] ? R[msilo.best] : R[sfwd.best] ))
{
	echo "sfwd against msilo, $(date -u +%FT%TZ), $(nproc) cores, Kamailio $(kamailio -v | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p')" \
		"(children 4, -m 512 -M 16${KAM_ARGS:+ $KAM_ARGS}), PostgreSQL $PG_SETTINGS"
	row "figure" "msilo" "sfwd" "sfwd/msilo"
	row "highest zero-loss store rate (msg/s)" "${R[msilo.best]}" "${R[sfwd.best]}" "$(ratio "${R[sfwd.best]}" "${R[msilo.best]}")"
	for rate in 2000 $common; do
		row "CPU ms per 1000 stored at $rate/s (kam+pg)" "$(field "msilo.store.$rate" 4)" "$(field "sfwd.store.$rate" 4)" \
			"$(ratio "$(field "sfwd.store.$rate" 4)" "$(field "msilo.store.$rate" 4)")"
		row "  of which Kamailio / PostgreSQL" "$(field "msilo.store.$rate" 7) / $(field "msilo.store.$rate" 8)" \
			"$(field "sfwd.store.$rate" 7) / $(field "sfwd.store.$rate" 8)"
		[ "$rate" = "$common" ] && break
	done
	row "CPU ms per 1000 SENDs stored, $SESS_N sessions" "-" "$(field sfwd.sessions 4)" "-"
	row "  of which Kamailio / PostgreSQL" "-" "$(field sfwd.sessions 5) / $(field sfwd.sessions 6)"
	row "  ${SESS_N}x$SESS_SENDS SENDs: 200s / rows / seconds" "-" \
		"$(field sfwd.sessions 2) / $(field sfwd.sessions 3) / $(field sfwd.sessions 7)"
	row "burst $BURST_N at 64 MB shm: 202 / 503 / lost" \
		"$(field msilo.burst 2) / $(field msilo.burst 3) / $(field msilo.burst 4)" \
		"$(field sfwd.burst 2) / $(field sfwd.burst 3) / $(field sfwd.burst 4)"
	row "  ms to send it; rows; alloc errors; shm peak KB" \
		"$(field msilo.burst 1); $(field msilo.burst 5); $(field msilo.burst 6); $(field msilo.burst 7)" \
		"$(field sfwd.burst 1); $(field sfwd.burst 5); $(field sfwd.burst 6); $(field sfwd.burst 7)"
	row "response p50 / p99 at $LOW_RATE/s (ms)" "$(field msilo.low 5) / $(field msilo.low 6)" \
		"$(field sfwd.low 5) / $(field sfwd.low 6)"
	row "response p50 / p99 at 2000/s (ms)" "$(field msilo.store.2000 5) / $(field msilo.store.2000 6)" \
		"$(field sfwd.store.2000 5) / $(field sfwd.store.2000 6)"
	for n in $REPLAY_NS; do
		row "replay $n: ms to the last message" "$(field msilo.replay.$n 1)" "$(field sfwd.replay.$n 1)" \
			"$(ratio "$(field sfwd.replay.$n 1)" "$(field msilo.replay.$n 1)")"
		row "replay $n: ms until the store is empty" "$(field msilo.replay.$n 2)" "$(field sfwd.replay.$n 2)"
		row "replay $n: duplicates / missing" "$(field msilo.replay.$n 5) / $(field msilo.replay.$n 6)" \
			"$(field sfwd.replay.$n 5) / $(field sfwd.replay.$n 6)"
	done
	row "replay $ORDER_N, flush_window 1: in order, dup/miss" "" \
		"$(field sfwd.order 7), $(field sfwd.order 5)/$(field sfwd.order 6)"
	row "memory, $MEM_N stored and delivered:" "" ""
	row "  shared memory used, before -> after (KB)" \
		"$(($(field msilo.memory 1) / 1024)) -> $(($(field msilo.memory 2) / 1024))" \
		"$(($(field sfwd.memory 1) / 1024)) -> $(($(field sfwd.memory 2) / 1024))"
	row "  private memory, all processes (KB)" \
		"$(($(field msilo.memory 3) / 1024)) -> $(($(field msilo.memory 4) / 1024))" \
		"$(($(field sfwd.memory 3) / 1024)) -> $(($(field sfwd.memory 4) / 1024))"
	row "  table + indexes (KB), -> after VACUUM" \
		"$(($(field msilo.memory 5) / 1024)) -> $(($(field msilo.memory 6) / 1024)) -> $(($(field msilo.memory 10) / 1024))" \
		"$(($(field sfwd.memory 5) / 1024)) -> $(($(field sfwd.memory 6) / 1024)) -> $(($(field sfwd.memory 10) / 1024))"
	row "  delivered / ms until empty / rows left" \
		"$(field msilo.memory 7) / $(field msilo.memory 8) / $(field msilo.memory 9)" \
		"$(field sfwd.memory 7) / $(field sfwd.memory 8) / $(field sfwd.memory 9)"
} | tee "$OUT/bench.txt"
{
	echo "{"
	echo "  \"machine\": \"$(nproc) cores, $(uname -r)\", \"date\": \"$(date -u +%FT%TZ)\", \"quick\": $QUICK,"
	echo "  \"postgresql\": \"$PG_SETTINGS\", \"store_n\": $STORE_N, \"memory_n\": $MEM_N,"
	echo "  \"sessions\": $SESS_N, \"session_sends\": $SESS_SENDS,"
	echo "  \"kamailio_args\": \"-m 512 -M 16 $KAM_ARGS\","
	r_json
	echo "}"
} >"$OUT/bench.json"
log "written $OUT/bench.txt and $OUT/bench.json"

# ---- the pictures (gnuplot, when installed: apt-get install gnuplot-nox)
for sys in msilo sfwd; do
	for rate in $LOW_RATE $RATES; do
		k=$sys.store.$rate
		[ "$rate" = "$LOW_RATE" ] && k=$sys.low
		[ -n "${R[$k]:-}" ] || continue
		echo "$rate $(field "$k" 4) $(field "$k" 5) $(field "$k" 6)"
	done >"$OUT/$sys.rates.dat"
	awk '{ printf "%.1f %.2f\n", (NR - 1) / 10, $1 / 1048576 }' \
		"$OUT/$sys.burst.shm" >"$OUT/$sys.burst.dat" 2>/dev/null
done
"$SF_TOP/scripts/bench-charts.sh" "$OUT" "$BURST_N"
