#!/usr/bin/env bash
# `make bench` / `make bench-quick`: sfwd against Kamailio's msilo on this
# machine, in one run, with the same PostgreSQL (fsync and synchronous_commit
# on) and the same Kamailio settings; SIPp drives both. Prints one table and
# writes it as JSON to var/bench/bench.json.
#
#   scripts/bench.sh [quick]
# Environment: SFWD_BENCH_PORT (35060), SFWD_BENCH_PG_PORT (55533)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

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
else
	STORE_N=20000
	RATES="1000 2000 4000 8000 16000"
	REPLAY_NS="1000 10000"
fi
HZ=$(getconf CLK_TCK)
# the same memory for both: 512 MB shared, 16 MB private per process
export SF_KAM_SHM=512 SF_KAM_PKG=16
mkdir -p "$OUT"
rm -rf "$OUT/run" "$OUT"/*.log "$OUT"/*.csv
trap 'sf_kam_stop "$OUT/run"; sf_pg_stop "$PGDIR"' EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# ---- PostgreSQL: one cluster, one database per system
sf_pg_destroy "$PGDIR"
sf_pg_start "$PGDIR" "$PG_PORT" || exit 1
sf_pg_schema "$PGDIR" "$PG_PORT" bench_sfwd 1 || exit 1
sf_pg_schema "$PGDIR" "$PG_PORT" bench_msilo 1 || exit 1
# msilo's table, owned by its role
sf_pg_as psql -X -q -v ON_ERROR_STOP=1 -h "$(readlink -f "$PGDIR")/run" -p "$PG_PORT" \
	-U bench_msilo -d bench_msilo <"$SF_KAM_SQL/msilo-create.sql" >/dev/null || exit 1
q() { sf_psql "$PGDIR" "$PG_PORT" "$1" -tAc "$2"; }
SFWD_URL=$(sf_db_url "$PGDIR" "$PG_PORT" bench_sfwd)
MSILO_URL=$(sf_kdb_url "$PGDIR" "$PG_PORT" bench_msilo)
PM=$(head -n 1 "$(readlink -f "$PGDIR")/data/postmaster.pid")

# CPU seconds (user + system) of Kamailio's processes and PostgreSQL's
cpu_ticks() {
	local pids p t=0
	pids="$(pgrep -g "$(cat "$OUT/run/kamailio.launcher")") $PM $(pgrep -P "$PM")"
	for p in $pids; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		# after "(comm) ": state is field 3, utime 14, stime 15
		s=${s##*) }
		read -r -a f <<<"$s"
		t=$((t + f[11] + f[12]))
	done
	echo "$t"
}

start_kam() { # start_kam SYSTEM
	if [ "$1" = sfwd ]; then
		sf_kam_start "$OUT/run" "$SF_TOP/test/bench/sfwd.cfg" -A "SFWD_SIP_PORT=$PORT" \
			-A "SFWD_DB_URL=\"$SFWD_URL\""
	else
		sf_kam_start "$OUT/run" "$SF_TOP/test/bench/msilo.cfg" -A "SFWD_SIP_PORT=$PORT" \
			-A "MSILO_DB_URL=\"$MSILO_URL\""
	fi
}
table_of() { [ "$1" = sfwd ] && echo sfwd_message || echo silo; }
db_of() { [ "$1" = sfwd ] && echo bench_sfwd || echo bench_msilo; }
shm_used() { sf_kamcmd "$OUT/run" core.shmmem 2>/dev/null | sed -n 's/.*used: //p' | head -n 1; }

users_csv() { # users_csv FILE N: N distinct recipients
	{
		echo SEQUENTIAL
		seq 1 "$2" | sed 's/^/u/'
	} >"$1"
}
one_user_csv() { printf 'SEQUENTIAL\n%s\n' "$2" >"$1"; }

# store N at RATE; prints "ok|lost rows 202s cpu_ms_per_1000 p50 p99"
store_step() {
	local sys=$1 rate=$2 n=$3 csv=$4 tag=$5 t0 t1 rows ok rc n202
	q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	t0=$(cpu_ticks)
	(cd "$OUT" && timeout $((n / rate + 60)) sipp -sf "$SF_TOP/test/bench/store.xml" \
		-inf "$csv" -i 127.0.0.1 -p $((PORT + 1)) -r "$rate" -rp 1000 -m "$n" -l 10000 \
		-nostdin -timeout $((n / rate + 30))s -timeout_error -trace_rtt -rtt_freq 200 \
		"127.0.0.1:$PORT" \
		>"$OUT/$tag.log" 2>&1)
	rc=$?
	sleep 1
	t1=$(cpu_ticks)
	rows=$(q "$(db_of "$sys")" "SELECT count(*) FROM $(table_of "$sys")")
	n202=$(awk -F'|' '/Successful call/ { v = $3 } END { gsub(/ /, "", v); print v }' "$OUT/$tag.log")
	ok=lost
	[ "$rc" = 0 ] && [ "$rows" = "$n" ] && ok=ok
	# response times (ms) of this run
	local rtt p50 p99
	rtt=$(ls -t "$OUT"/store_*_rtt.csv 2>/dev/null | head -n 1)
	if [ -n "$rtt" ]; then
		tail -n +2 "$rtt" | cut -d';' -f2 | sort -n >"$OUT/$tag.rtt"
		rm -f "$rtt"
		p50=$(awk '{a[NR]=$1} END {if (NR) print a[int(NR*0.5)+(NR*0.5>int(NR*0.5))]; else print "-"}' "$OUT/$tag.rtt")
		p99=$(awk '{a[NR]=$1} END {if (NR) print a[int(NR*0.99)+(NR*0.99>int(NR*0.99))]; else print "-"}' "$OUT/$tag.rtt")
	else
		p50=- p99=-
	fi
	echo "$ok $rows ${n202:-?} $(((t1 - t0) * 1000 * 1000 / HZ / (rows > 0 ? rows : 1))) $p50 $p99"
}

# replay: N queued for one user, one REGISTER; prints
# "ms_to_last ms_to_empty received unique missing"
replay_step() {
	local sys=$1 n=$2 tag=$3 t0 tl te rows got uniq i
	q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	one_user_csv "$OUT/one.csv" rcpt
	(cd "$OUT" && timeout 300 sipp -sf "$SF_TOP/test/bench/store.xml" -inf "$OUT/one.csv" \
		-i 127.0.0.1 -p $((PORT + 1)) -r 2000 -m "$n" -l 10000 -nostdin -timeout 200s \
		"127.0.0.1:$PORT" >"$OUT/$tag.fill.log" 2>&1)
	rows=$(q "$(db_of "$sys")" "SELECT count(*) FROM $(table_of "$sys")")
	[ "$rows" = "$n" ] || log "$sys replay: only $rows of $n stored"
	(cd "$OUT" && timeout 300 sipp -sf "$SF_TOP/test/sipp/uas_message.xml" -i 127.0.0.1 \
		-p $((PORT + 2)) -m "$n" -nostdin -timeout 30s -trace_msg \
		-message_file "$OUT/$tag.uas.msg" >"$OUT/$tag.uas.log" 2>&1) &
	local uas=$!
	sleep 0.5
	t0=$(date +%s%N)
	(cd "$OUT" && sipp -sf "$SF_TOP/test/sipp/register_contact.xml" -s rcpt \
		-key contact_port $((PORT + 2)) -key expires 3600 -i 127.0.0.1 -p $((PORT + 3)) \
		-m 1 -nostdin -timeout 10s "127.0.0.1:$PORT" >"$OUT/$tag.reg.log" 2>&1)
	wait "$uas"
	tl=$(date +%s%N)
	te=
	for ((i = 0; i < 750; i++)); do
		if [ "$sys" = sfwd ]; then
			rows=$(q bench_sfwd "SELECT count(*) FROM sfwd_message")
		else
			rows=$(q bench_msilo "SELECT count(*) FROM silo WHERE snd_time = 0")
			[ "$(q bench_msilo "SELECT count(*) FROM silo")" = 0 ] || rows=1
		fi
		if [ "$rows" = 0 ]; then
			te=$(date +%s%N)
			break
		fi
		sleep 0.02
	done
	got=$(tr -d '\r' <"$OUT/$tag.uas.msg" | grep -c '^MESSAGE ')
	uniq=$(tr -d '\r' <"$OUT/$tag.uas.msg" | awk '/^MESSAGE /{r=1} /^SIP\/2\.0 /{r=0} r' |
		sed -n 's/^Call-ID: //p' | sort -u | wc -l)
	echo "$(((tl - t0) / 1000000)) $([ -n "$te" ] && echo $(((te - t0) / 1000000)) || echo never) $got $uniq $((n - uniq))"
}

declare -A R
for sys in msilo sfwd; do
	log "== $sys"
	start_kam "$sys" || exit 1
	R[$sys.shm0]=$(shm_used)
	users_csv "$OUT/users.csv" "$STORE_N"
	best=0
	for rate in $RATES; do
		res=$(store_step "$sys" "$rate" "$STORE_N" "$OUT/users.csv" "$sys.store.$rate")
		log "$sys store $STORE_N at $rate/s: $res"
		R[$sys.store.$rate]=$res
		set -- $res
		[ "$1" = ok ] || break
		best=$rate
	done
	R[$sys.best]=$best
	for n in $REPLAY_NS; do
		res=$(replay_step "$sys" "$n" "$sys.replay.$n")
		log "$sys replay $n: $res"
		R[$sys.replay.$n]=$res
	done
	# transactions live for tm's wait timer: let them go before measuring
	sleep 10
	R[$sys.shm1]=$(shm_used)
	sf_kam_stop "$OUT/run"
	cp "$OUT/run/kamailio.log" "$OUT/$sys.kamailio.log"
done

# ---- the table
field() { echo "${R[$1]:-}" | awk -v i="$2" '{print $i}'; }
cpu_at() { # the CPU figure at 2000/s (or the highest rate run)
	local v
	v=$(field "$1.store.2000" 4)
	echo "${v:--}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "-") printf "%.2f", a / b; else print "-" }'; }
{
	printf '%-44s %14s %14s %10s\n' "figure" "msilo" "sfwd" "sfwd/msilo"
	printf '%-44s %14s %14s %10s\n' "highest zero-loss store rate (msg/s)" "${R[msilo.best]}" "${R[sfwd.best]}" "$(ratio "${R[sfwd.best]}" "${R[msilo.best]}")"
	printf '%-44s %14s %14s %10s\n' "CPU ms per 1000 stored at 2000/s (kam+pg)" "$(cpu_at msilo)" "$(cpu_at sfwd)" "$(ratio "$(cpu_at sfwd)" "$(cpu_at msilo)")"
	printf '%-44s %14s %14s\n' "response p50 / p99 at 2000/s (ms)" "$(field msilo.store.2000 5)/$(field msilo.store.2000 6)" "$(field sfwd.store.2000 5)/$(field sfwd.store.2000 6)"
	for n in $REPLAY_NS; do
		printf '%-44s %14s %14s %10s\n' "replay $n: ms to the last message" "$(field msilo.replay.$n 1)" "$(field sfwd.replay.$n 1)" "$(ratio "$(field sfwd.replay.$n 1)" "$(field msilo.replay.$n 1)")"
		printf '%-44s %14s %14s\n' "replay $n: ms until the store is empty" "$(field msilo.replay.$n 2)" "$(field sfwd.replay.$n 2)"
		printf '%-44s %14s %14s\n' "replay $n: duplicates / missing" "$(($(field msilo.replay.$n 3) - $(field msilo.replay.$n 4)))/$(field msilo.replay.$n 5)" "$(($(field sfwd.replay.$n 3) - $(field sfwd.replay.$n 4)))/$(field sfwd.replay.$n 5)"
	done
	printf '%-44s %14s %14s\n' "shared memory used, start -> end (bytes)" "${R[msilo.shm0]}->${R[msilo.shm1]}" "${R[sfwd.shm0]}->${R[sfwd.shm1]}"
} | tee "$OUT/bench.txt"
{
	echo "{"
	echo "  \"machine\": \"$(nproc) cores, $(uname -r)\", \"date\": \"$(date -u +%FT%TZ)\", \"quick\": $QUICK,"
	first=1
	for k in "${!R[@]}"; do
		[ $first = 1 ] || echo ","
		first=0
		printf '  "%s": "%s"' "$k" "${R[$k]}"
	done
	echo
	echo "}"
} >"$OUT/bench.json"
log "written $OUT/bench.txt and $OUT/bench.json"
