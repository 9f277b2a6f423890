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
HZ=$(getconf CLK_TCK)
# the same memory for both: 512 MB shared, 16 MB private per process
export SF_KAM_SHM=512 SF_KAM_PKG=16
mkdir -p "$OUT"
rm -rf "$OUT/run" "$OUT"/*.log "$OUT"/*.csv "$OUT"/*.msg "$OUT"/*.rtt
trap 'sf_kam_stop "$OUT/run"; sf_pg_stop "$PGDIR"' EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }
ms_now() { echo $(($(date +%s%N) / 1000000)); }

# ---- PostgreSQL: one cluster, one database per system
sf_bench_pg "$PGDIR" "$PG_PORT" || exit 1
q() { sf_psql "$PGDIR" "$PG_PORT" "$1" -tAc "$2"; }
SFWD_URL=$(sf_db_url "$PGDIR" "$PG_PORT" bench_sfwd)
MSILO_URL=$(sf_kdb_url "$PGDIR" "$PG_PORT" bench_msilo)
PM=$(head -n 1 "$(readlink -f "$PGDIR")/data/postmaster.pid")
PG_SETTINGS=$(q postgres "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name)
	FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers')")

# "KAM PG": CPU time in ns of Kamailio's processes and PostgreSQL's, from
# /proc/<pid>/schedstat (exact; /proc/<pid>/stat counts whole clock ticks
# per process, which over 15 processes blurs a short run by +-150 ms)
cpu_ns_of() {
	local p s t=0
	for p in "$@"; do
		if read -r s _ <"/proc/$p/schedstat" 2>/dev/null; then
			t=$((t + s))
		elif s=$(cat "/proc/$p/stat" 2>/dev/null); then
			# after "(comm) ": utime is field 14, stime 15 (clock ticks)
			s=${s##*) }
			read -r -a f <<<"$s"
			t=$((t + (f[11] + f[12]) * 1000000000 / HZ))
		fi
	done
	echo "$t"
}
cpu_ns() {
	echo "$(cpu_ns_of $(pgrep -g "$(cat "$OUT/run/kamailio.launcher")"))" \
		"$(cpu_ns_of "$PM" $(pgrep -P "$PM"))"
}

KAM_ARGS=${SFWD_BENCH_KAM_ARGS--x tlsf}
start_kam() { # start_kam SYSTEM [-A DEFINE...]
	local sys=$1
	shift
	# shellcheck disable=SC2086 # options, split on purpose
	set -- $KAM_ARGS "$@"
	if [ "$sys" = sfwd ]; then
		sf_kam_start "$OUT/run" "$SF_TOP/test/bench/sfwd.cfg" -A "SFWD_SIP_PORT=$PORT" \
			-A "SFWD_DB_URL=\"$SFWD_URL\"" "$@"
	else
		sf_kam_start "$OUT/run" "$SF_TOP/test/bench/msilo.cfg" -A "SFWD_SIP_PORT=$PORT" \
			-A "MSILO_DB_URL=\"$MSILO_URL\"" -A "MSILO_PROXY=\"sip:127.0.0.1:$PORT\"" "$@"
	fi
}
table_of() { [ "$1" = sfwd ] && echo sfwd_message || echo silo; }
db_of() { [ "$1" = sfwd ] && echo bench_sfwd || echo bench_msilo; }
rows_of() { q "$(db_of "$1")" "SELECT count(*) FROM $(table_of "$1")"; }
shm_used() { sf_kamcmd "$OUT/run" core.shmmem 2>/dev/null | sed -n 's/.*used: //p' | head -n 1; }
# private memory in use, summed over Kamailio's processes
pkg_used() {
	sf_kamcmd "$OUT/run" pkg.stats 2>/dev/null |
		awk '$1 == "used:" { s += $2 } END { print s + 0 }'
}
table_bytes() { q "$(db_of "$1")" "SELECT pg_total_relation_size('$(table_of "$1")')"; }

users_csv() { # users_csv FILE N [PREFIX]: N distinct recipients
	{
		echo SEQUENTIAL
		seq 1 "$2" | sed "s/^/${3:-u}/"
	} >"$1"
}
one_user_csv() { printf 'SEQUENTIAL\n%s\n' "$2" >"$1"; }

# send N MESSAGEs at RATE to the users of CSV; SIPp's exit status
send() { # send TAG CSV N RATE [sipp args...]
	local tag=$1 csv=$2 n=$3 rate=$4
	shift 4
	(cd "$OUT" && timeout $((n / rate + 60)) sipp -sf "$SF_TOP/test/bench/store.xml" $SIPP_BUF \
		-inf "$csv" -i 127.0.0.1 -p $((PORT + 1)) -r "$rate" -rp 1000 -m "$n" -l 10000 \
		-nostdin -timeout $((n / rate + 30))s -timeout_error "$@" \
		"127.0.0.1:$PORT" >"$OUT/$tag.log" 2>&1)
}

# wait (bounded) until the store holds no row; prints the time it took, or
# "never"
wait_empty() { # wait_empty SYSTEM T0_MS
	local t
	while :; do
		t=$(ms_now)
		if [ "$(rows_of "$1")" = 0 ]; then
			echo $((t - $2))
			return
		fi
		[ $((t - $2)) -ge $EMPTY_WAIT_MS ] && break
		sleep 0.02
	done
	echo never
}

# store N at RATE; prints "ok|lost rows 202s cpu_ms_per_1000 p50 p99
# kam_cpu_ms_per_1000 pg_cpu_ms_per_1000 retransmissions". A step is
# zero-loss when every request got its 202, each 202 is a row, and no
# request timed out (SIPp retransmits after 500 ms without an answer).
store_step() {
	local sys=$1 rate=$2 n=$3 csv=$4 tag=$5 k0 g0 k1 g1 rows ok rc n202 d retr
	q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	read -r k0 g0 <<<"$(cpu_ns)"
	send "$tag" "$csv" "$n" "$rate" -trace_rtt -rtt_freq 200
	rc=$?
	sleep 1
	read -r k1 g1 <<<"$(cpu_ns)"
	rows=$(rows_of "$sys")
	n202=$(awk -F'|' '/Successful call/ { v = $3 } END { gsub(/ /, "", v); print v }' "$OUT/$tag.log")
	# the MESSAGE line of SIPp's last screen: sent, retransmissions, ...
	retr=$(awk '$1 == "MESSAGE" { k = 0; for (i = 2; i <= NF; i++)
		if ($i ~ /^[0-9]+$/ && ++k == 2) v = $i } END { print v + 0 }' "$OUT/$tag.log")
	ok=lost
	[ "$rc" = 0 ] && [ "$rows" = "$n" ] && [ "${n202:-0}" = "$n" ] && [ "$retr" = 0 ] && ok=ok
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
	d=$((rows > 0 ? rows : 1))
	# CPU: ns / rows = us per message = ms per 1000
	echo "$ok $rows ${n202:-?} $(((k1 - k0 + g1 - g0) / 1000 / d)) $p50 $p99" \
		"$(((k1 - k0) / 1000 / d)) $(((g1 - g0) / 1000 / d)) $retr"
}

# BURST_N MESSAGEs as fast as SIPp sends them (Kamailio started with 64 MB
# of shared memory); prints "sent_ms n202 n503 lost rows alloc_errors
# shm_peak_kb": lost = neither a 202 nor a 503 within SIPp's
# retransmissions; alloc_errors = lines of Kamailio's log saying it ran
# out of memory; shm_peak_kb = the most shared memory in use seen (every
# 100 ms)
# screen_count CODE LOG: the messages of SIPp's last screen line
# "CODE <---- [RTD] N ..."
screen_count() {
	awk -v c="$1" '$1 == c && $2 ~ /^<-/ { for (i = 3; i <= NF; i++)
		if ($i ~ /^[0-9]+$/) { v = $i; break } } END { print v + 0 }' "$2"
}
burst_step() { # burst_step SYSTEM N TAG
	local sys=$1 n=$2 tag=$3 t0 t1 peak=0 u n202 n503 lost rows alloc pid
	users_csv "$OUT/burst.csv" "$n" b
	(while :; do
		u=$(shm_used)
		[ -n "$u" ] && echo "$u"
		sleep 0.1
	done) >"$OUT/$tag.shm" &
	pid=$!
	t0=$(ms_now)
	(cd "$OUT" && timeout 120 sipp -sf "$SF_TOP/test/bench/burst.xml" $SIPP_BUF \
		-inf "$OUT/burst.csv" -i 127.0.0.1 -p $((PORT + 1)) -r "$n" -rp 1000 -m "$n" \
		-l "$n" -nostdin -timeout 90s -timeout_error "127.0.0.1:$PORT" >"$OUT/$tag.log" 2>&1)
	t1=$(ms_now)
	sleep 2
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	peak=$(sort -n "$OUT/$tag.shm" | tail -n 1)
	# SIPp's last screen: "503 <---- N" and "202 <---- N" (the counts)
	n503=$(screen_count 503 "$OUT/$tag.log")
	n202=$(screen_count 202 "$OUT/$tag.log")
	lost=$((n - n202 - n503))
	rows=$(rows_of "$sys")
	alloc=$(grep -ciE 'no more (shm|shared|pkg|private)|out of memory|could not allocate|not enough (shared )?memory' \
		"$OUT/run/kamailio.log")
	echo "$((t1 - t0)) $n202 $n503 $lost $rows $alloc $(( ${peak:-0} / 1024 ))"
}

# what a recipient's SIPp log shows: "received unique duplicates in_order"
# (unique: distinct Call-IDs; duplicates: deliveries of one message in more
# than one transaction (Via branch) - a retransmission of the same
# transaction is not one; in_order: first deliveries came in the order of
# the sequence numbers in ORDERFILE, one a line: the store's order)
recipient_counts() { # recipient_counts MSGFILE [ORDERFILE]
	tr -d '\r' <"$1" | awk -v orderf="${2:-}" '
		BEGIN {
			order = 1; last = -1; no = 0
			if (orderf != "") while ((getline l < orderf) > 0) want_seq[++no] = l + 0
		}
		/^-+ [0-9]/ { inm = 0; next }
		/message received/ { inm = 1; next }
		inm && /^MESSAGE / { got++; want = 1; next }
		inm && want && tolower($1) == "call-id:" { cid = $2 }
		inm && want && tolower($1) == "via:" && br == "" {
			if (match($0, /branch=[^;, ]+/)) br = substr($0, RSTART + 7, RLENGTH - 7)
		}
		inm && want && match($0, /bench message [0-9]+/) {
			seq = substr($0, RSTART + 14, RLENGTH - 14) + 0
			if (!((cid, br) in seen_t)) {
				seen_t[cid, br] = 1
				if (!(cid in seen_c)) {
					seen_c[cid] = 1; uniq++
					if (no > 0) {
						if (want_seq[uniq] != seq) order = 0
					} else if (seq < last) order = 0
					last = seq
				} else dup++
			}
			want = 0; cid = ""; br = ""
		}
		END { printf "%d %d %d %s\n", got, uniq, dup, order ? "yes" : "no" }'
}

# recipient TAG N SECONDS: a SIPp recipient in the background ($!) on
# PORT+2 that answers N MESSAGEs with 200 (log TAG.uas.msg), at most SECONDS
recipient() {
	(cd "$OUT" && timeout $(($3 + 30)) sipp -sf "$SF_TOP/test/sipp/uas_message.xml" $SIPP_BUF \
		-i 127.0.0.1 -p $((PORT + 2)) -m "$2" -nostdin -timeout "$3s" -trace_msg \
		-message_file "$OUT/$1.uas.msg" >"$OUT/$1.uas.log" 2>&1) &
	sleep 0.5
}

# replay: N queued for one user, one REGISTER; prints
# "ms_to_last ms_to_empty received unique duplicates missing in_order"
replay_step() {
	local sys=$1 n=$2 tag=$3 user=$4 t0 tl te rows c uas
	q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	one_user_csv "$OUT/one.csv" "$user"
	send "$tag.fill" "$OUT/one.csv" "$n" 2000
	rows=$(rows_of "$sys")
	[ "$rows" = "$n" ] || log "$sys replay: only $rows of $n stored"
	# the store's order: the sequence numbers of the bodies by row id
	if [ "$sys" = sfwd ]; then
		q bench_sfwd "SELECT convert_from(body, 'UTF8') FROM sfwd_message ORDER BY id"
	else
		q bench_msilo "SELECT body FROM silo ORDER BY id"
	fi | sed -n 's/.*bench message \([0-9]*\).*/\1/p' >"$OUT/$tag.order"
	recipient "$tag" "$n" 120
	uas=$!
	t0=$(ms_now)
	(cd "$OUT" && sipp -sf "$SF_TOP/test/sipp/register_contact.xml" -s "$user" \
		-key contact_port $((PORT + 2)) -key expires 3600 -i 127.0.0.1 -p $((PORT + 3)) \
		-m 1 -nostdin -timeout 10s "127.0.0.1:$PORT" >"$OUT/$tag.reg.log" 2>&1)
	wait "$uas"
	tl=$(ms_now)
	te=$(wait_empty "$sys" "$t0")
	read -r -a c <<<"$(recipient_counts "$OUT/$tag.uas.msg" "$OUT/$tag.order")"
	echo "$((tl - t0)) $te ${c[0]} ${c[1]} ${c[2]} $((n - c[1])) ${c[3]}"
}

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
field() { echo "${R[$1]:-}" | awk -v i="$2" '{print $i}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "-" && a != "") printf "%.2f", a / b; else print "-" }'; }
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
	first=1
	for k in $(printf '%s\n' "${!R[@]}" | sort); do
		[ $first = 1 ] || echo ","
		first=0
		printf '  "%s": "%s"' "$k" "${R[$k]}"
	done
	echo
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
