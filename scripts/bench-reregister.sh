#!/usr/bin/env bash
# `make bench-reregister`: a mass re-registration after an outage (issue
# 17), sfwd against msilo in one run. USERS users with PER messages queued
# each (made in SQL, not sent over SIP) re-register within SECS seconds
# (SIPp, evenly spread) to a Kamailio with Debian's default 64 MB of shared
# memory; one SIPp answers every MESSAGE for all of them. Reported per
# system: REGISTER p50/p99 during the drain, messages received, distinct,
# duplicates, missing, ms until the store is empty, each user's first
# message after its REGISTER (p50/p90/p99/max), allocation errors in
# Kamailio's log, shared memory peak. Writes var/bench-rr/rr.txt, rr.json
# and (gnuplot) rr-drain.png, rr-shm.png.
#
#   scripts/bench-reregister.sh
# Environment: SFWD_RR_USERS (20000), SFWD_RR_PER (10), SFWD_RR_SECS (60),
# SFWD_BENCH_PORT (35060), SFWD_BENCH_PG_PORT (55533), SFWD_BENCH_KAM_ARGS
# ("-x tlsf")
set -uo pipefail
BENCH_LOG=bench-rr
. "$(dirname "$0")/bench-lib.sh"

USERS=${SFWD_RR_USERS:-20000}
PER=${SFWD_RR_PER:-10}
SECS=${SFWD_RR_SECS:-60}
PORT=${SFWD_BENCH_PORT:-35060}
PG_PORT=${SFWD_BENCH_PG_PORT:-55533}
KAM_ARGS=${SFWD_BENCH_KAM_ARGS--x tlsf}
OUT=$SF_TOP/var/bench-rr
PGDIR=$OUT/pg
DRAIN_MAX=300 # seconds at most for one system to deliver everything
export SF_KAM_SHM=64 SF_KAM_PKG=16
SIPP_BUF="-buff_size 4194304"
mkdir -p "$OUT"
rm -rf "$OUT/run" "$OUT"/*.log "$OUT"/*.csv "$OUT"/*.msg "$OUT"/*.rtt "$OUT"/*.dat
trap 'sf_kam_stop "$OUT/run"; sf_pg_stop "$PGDIR"' EXIT
trap 'exit 130' INT TERM
bench_pg || exit 1

declare -A R
seq 1 "$USERS" | sed 's/^/r/' | { echo SEQUENTIAL; cat; } >"$OUT/users.csv"
rate=$(((USERS + SECS - 1) / SECS))
for sys in msilo sfwd; do
	q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	queue_fill "$sys" 1 "$USERS" "$PER"
	log "$sys: $(rows_of "$sys") messages queued for $USERS users"
	start_kam "$sys" || exit 1
	n=$((USERS * PER))
	# one phone for everybody: answers every MESSAGE 200, logs each
	(cd "$OUT" && timeout $((DRAIN_MAX + 60)) sipp -sf "$SF_TOP/test/bench/uas_phone.xml" \
		$SIPP_BUF -i 127.0.0.1 -p $((PORT + 2)) -m "$n" -nostdin -timeout "${DRAIN_MAX}s" \
		-trace_msg -message_file "$OUT/$sys.uas.msg" >"$OUT/$sys.uas.log" 2>&1) &
	uas=$!
	sleep 0.5
	# shared memory every 200 ms; the queue every second
	(while :; do echo "$(ms_now) $(shm_used)"; sleep 0.2; done) >"$OUT/$sys.shm" &
	shm_pid=$!
	t0=$(ms_now)
	(cd "$OUT" && timeout $((SECS + 120)) sipp -sf "$SF_TOP/test/bench/register_users.xml" \
		$SIPP_BUF -inf "$OUT/users.csv" -key contact_port $((PORT + 2)) -i 127.0.0.1 \
		-p $((PORT + 3)) -r "$rate" -m "$USERS" -l "$USERS" -nostdin -timeout $((SECS + 90))s \
		-trace_rtt -rtt_freq 1 "127.0.0.1:$PORT" >"$OUT/$sys.reg.log" 2>&1)
	t_reg=$(ms_now)
	# until the phone answered every message (it then ends), or DRAIN_MAX
	te=never
	while [ $(($(ms_now) - t0)) -lt $((DRAIN_MAX * 1000)) ]; do
		if ! kill -0 "$uas" 2>/dev/null; then
			te=$(($(ms_now) - t0))
			break
		fi
		sleep 0.2
	done
	sleep 3
	kill "$uas" "$shm_pid" 2>/dev/null
	wait "$uas" "$shm_pid" 2>/dev/null
	# REGISTER response times (ms)
	rtt=$(ls -t "$OUT"/register_users_*_rtt.csv 2>/dev/null | head -n 1)
	tail -n +2 "$rtt" | cut -d';' -f2 | sort -n >"$OUT/$sys.reg.rtt"
	rm -f "$rtt"
	n200=$(awk '$1 == "200" && $2 ~ /^<-/ { for (i = 3; i <= NF; i++)
		if ($i ~ /^[0-9]+$/) { v = $i; break } } END { print v + 0 }' "$OUT/$sys.reg.log")
	# each MESSAGE received: "ms_of_day user call-id branch" (a
	# retransmission has its transaction's branch, a second delivery a new
	# one)
	awk '/^-+ [0-9-]+ [0-9:.]+$/ { split($3, t, ":");
			ms = (t[1] * 3600 + t[2] * 60 + t[3]) * 1000; next }
		/^MESSAGE sip:r[0-9]+@/ { u = $2; sub(/^sip:r/, "", u); sub(/@.*/, "", u);
			cur = u; br = ""; next }
		/^Via:/ && cur != "" && br == "" { br = $0; sub(/.*branch=/, "", br); sub(/[;,].*/, "", br); next }
		/^Call-ID:/ && cur != "" { print int(ms), cur, $2, br; cur = "" }' \
		<(tr -d '\r' <"$OUT/$sys.uas.msg") >"$OUT/$sys.got"
	got=$(awk '{print $3, $4}' "$OUT/$sys.got" | sort -u | wc -l)
	uniq_n=$(awk '{print $3}' "$OUT/$sys.got" | sort -u | wc -l)
	dup=$((got - uniq_n))
	missing=$((n - uniq_n))
	# first message of user i after its REGISTER, sent at t0 + (i-1)/rate
	midnight=$(( $(date -d "$(date -d "@$((t0 / 1000))" +%F)" +%s) * 1000 ))
	# the phone had every message when the last distinct one came (it ends
	# 5 s later: uas_phone.xml answers retransmissions that long)
	te=never
	[ "$missing" = 0 ] && te=$(awk -v t0="$t0" -v mid="$midnight" '!($3 in s) { s[$3] = 1;
		if ($1 > m) m = $1 } END { print int(m + mid - t0) }' "$OUT/$sys.got")
	awk -v t0="$t0" -v mid="$midnight" -v rate="$rate" '
		!($2 in first) { first[$2] = $1 }
		END { for (u in first) { d = first[u] + mid - (t0 + (u - 1) * 1000 / rate);
			print (d < 0 ? 0 : int(d)) } }' "$OUT/$sys.got" | sort -n >"$OUT/$sys.first"
	alloc=$(grep -ciE 'no more (shm|shared|pkg|private)|out of memory|could not allocate|not enough (shared )?memory' \
		"$OUT/run/kamailio.log")
	peak=$(awk '{print $2}' "$OUT/$sys.shm" | sort -n | tail -n 1)
	R[$sys]="$(pct 0.5 "$OUT/$sys.reg.rtt") $(pct 0.99 "$OUT/$sys.reg.rtt") $n200 $got $uniq_n $dup $missing $te $(pct 0.5 "$OUT/$sys.first") $(pct 0.9 "$OUT/$sys.first") $(pct 0.99 "$OUT/$sys.first") $(tail -n 1 "$OUT/$sys.first") $alloc $((${peak:-0} / 1024)) $((t_reg - t0))"
	log "$sys: ${R[$sys]} (reg_p50 reg_p99 reg_200 got unique dup missing ms_empty first_p50 first_p90 first_p99 first_max alloc_errors shm_peak_kb ms_registering)"
	# delivered (distinct) over time, a point a second
	sort -n "$OUT/$sys.got" | awk -v t0="$t0" -v mid="$midnight" '
		!($3 in seen) { seen[$3] = 1; n++; s = int(($1 + mid - t0) / 1000);
			if (s != last) { print last, n - 1; last = s } }
		END { print last, n }' >"$OUT/$sys.drain.dat"
	awk -v t0="$t0" '{ if ($2 != "") printf "%.1f %.2f\n", ($1 - t0) / 1000, $2 / 1048576 }' \
		"$OUT/$sys.shm" >"$OUT/$sys.shm.dat"
	sf_kam_stop "$OUT/run"
	cp "$OUT/run/kamailio.log" "$OUT/$sys.kamailio.log"
done

f() { echo "${R[$1]}" | awk -v i="$2" '{print $i}'; }
row() { printf '%-48s %18s %18s\n' "$@"; }
{
	echo "mass re-registration, $(date -u +%FT%TZ), $(nproc) cores: $USERS users x $PER messages," \
		"REGISTERs spread over $SECS s, Kamailio -m 64 -M 16${KAM_ARGS:+ $KAM_ARGS}"
	row "figure" "msilo" "sfwd"
	row "REGISTER p50 / p99 (ms)" "$(f msilo 1) / $(f msilo 2)" "$(f sfwd 1) / $(f sfwd 2)"
	row "REGISTERs answered 200" "$(f msilo 3)" "$(f sfwd 3)"
	row "MESSAGE transactions / distinct messages" "$(f msilo 4) / $(f msilo 5)" "$(f sfwd 4) / $(f sfwd 5)"
	row "duplicates / missing" "$(f msilo 6) / $(f msilo 7)" "$(f sfwd 6) / $(f sfwd 7)"
	row "ms until the phone had every message" "$(f msilo 8)" "$(f sfwd 8)"
	row "first message after the REGISTER p50/p90/p99/max (ms)" \
		"$(f msilo 9)/$(f msilo 10)/$(f msilo 11)/$(f msilo 12)" \
		"$(f sfwd 9)/$(f sfwd 10)/$(f sfwd 11)/$(f sfwd 12)"
	row "allocation errors in Kamailio's log" "$(f msilo 13)" "$(f sfwd 13)"
	row "shared memory peak (KB of 65536)" "$(f msilo 14)" "$(f sfwd 14)"
} | tee "$OUT/rr.txt"
{
	echo "{"
	echo "  \"users\": $USERS, \"per_user\": $PER, \"seconds\": $SECS,"
	echo "  \"msilo\": \"${R[msilo]}\","
	echo "  \"sfwd\": \"${R[sfwd]}\""
	echo "}"
} >"$OUT/rr.json"
if command -v gnuplot >/dev/null; then
	gnuplot <<EOG 2>"$OUT/gnuplot.log" && log "written $OUT/rr-drain.png, $OUT/rr-shm.png"
set terminal pngcairo size 800,480 font ",11"
set grid
set xlabel "seconds from the first REGISTER"
set output "$OUT/rr-drain.png"
set key top left
set title "Messages delivered: $USERS users x $PER, REGISTERs over $SECS s"
set ylabel "messages delivered (distinct)"
plot "$OUT/msilo.drain.dat" using 1:2 with lines lw 2 lc rgb "#8b00b0" title "msilo", \
	"$OUT/sfwd.drain.dat" using 1:2 with lines lw 2 lc rgb "#009e73" title "sfwd"
set output "$OUT/rr-shm.png"
set title "Shared memory in use during the re-registration (64 MB)"
set ylabel "MB"
set yrange [0:72]
plot "$OUT/msilo.shm.dat" using 1:2 with lines lw 2 lc rgb "#8b00b0" title "msilo", \
	"$OUT/sfwd.shm.dat" using 1:2 with lines lw 2 lc rgb "#009e73" title "sfwd", \
	64 with lines dt 3 lc rgb "red" title "64 MB"
EOG
fi
