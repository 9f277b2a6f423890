# Shared by the benchmarks (scripts/bench.sh, bench-reregister.sh,
# bench-scale.sh): Kamailio and PostgreSQL for sfwd and msilo, SIPp senders
# and recipients, CPU and memory readings, one store step, one replay.
# The caller sets, before sourcing: OUT (its results folder), PORT (SIP;
# PORT+1..+3 SIPp), PG_PORT, PGDIR, KAM_ARGS (Kamailio options for both),
# SIPP_BUF (SIPp's socket buffer option), EMPTY_WAIT_MS, BENCH_LOG (the log
# prefix); then calls bench_pg to start PostgreSQL.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

log() { echo "${BENCH_LOG:-bench}: $*" >&2; }
ms_now() { echo $(($(date +%s%N) / 1000000)); }
HZ=$(getconf CLK_TCK)
q() { sf_psql "$PGDIR" "$PG_PORT" "$1" -tAc "$2"; }
# pN of a sorted file of numbers
pct() { awk -v p="$1" '{a[NR]=$1} END {if (NR) print a[int(NR*p)+(NR*p>int(NR*p))]; else print "-"}' "$2"; }

# a fresh PostgreSQL (sf_bench_pg) and what the steps need of it: SFWD_URL,
# MSILO_URL, PM (the postmaster's pid), PG_SETTINGS
bench_pg() {
	sf_bench_pg "$PGDIR" "$PG_PORT" || return 1
	SFWD_URL=$(sf_db_url "$PGDIR" "$PG_PORT" bench_sfwd)
	MSILO_URL=$(sf_kdb_url "$PGDIR" "$PG_PORT" bench_msilo)
	PM=$(head -n 1 "$(readlink -f "$PGDIR")/data/postmaster.pid")
	PG_SETTINGS=$(q postgres "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name)
		FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers')")
}

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
# With "keep" as KEEP the table is not emptied first: rows counts the new.
store_step() { # store_step SYSTEM RATE N CSV TAG [keep]
	local sys=$1 rate=$2 n=$3 csv=$4 tag=$5 k0 g0 k1 g1 rows r0=0 ok rc n202 d retr
	if [ "${6:-}" = keep ]; then
		r0=$(rows_of "$sys")
	else
		q "$(db_of "$sys")" "TRUNCATE $(table_of "$sys")" >/dev/null
	fi
	read -r k0 g0 <<<"$(cpu_ns)"
	send "$tag" "$csv" "$n" "$rate" -trace_rtt -rtt_freq 200
	rc=$?
	sleep 1
	read -r k1 g1 <<<"$(cpu_ns)"
	rows=$(($(rows_of "$sys") - r0))
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
		p50=$(pct 0.5 "$OUT/$tag.rtt")
		p99=$(pct 0.99 "$OUT/$tag.rtt")
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
# PORT+2 that answers N MESSAGEs with 200 (log TAG.uas.msg), at most SECONDS.
# It ends with the last 200; with RECIPIENT_XML=$SF_TOP/test/bench/
# uas_phone.xml it answers retransmissions for 5 s more (and ends then).
recipient() {
	(cd "$OUT" && timeout $(($3 + 30)) sipp -sf "${RECIPIENT_XML:-$SF_TOP/test/sipp/uas_message.xml}" $SIPP_BUF \
		-i 127.0.0.1 -p $((PORT + 2)) -m "$2" -nostdin -timeout "$3s" -trace_msg \
		-message_file "$OUT/$1.uas.msg" >"$OUT/$1.uas.log" 2>&1) &
	sleep 0.5
}

# replay: N queued for one user, one REGISTER; prints
# "ms_to_last ms_to_empty received unique duplicates missing in_order"
replay_step() {
	local sys=$1 n=$2 tag=$3 user=$4 t0 tl te rows c
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
	read -r tl t0 <<<"$(replay_one "$user" "$n" "$tag")"
	te=$(wait_empty "$sys" "$t0")
	read -r -a c <<<"$(recipient_counts "$OUT/$tag.uas.msg" "$OUT/$tag.order")"
	echo "$tl $te ${c[0]} ${c[1]} ${c[2]} $((n - c[1])) ${c[3]}"
}

# trace_ms FILE sent|received first|last: the time of day (ms) of the first
# or last message SIPp sent or received, from its -trace_msg file
trace_ms() {
	tr -d '\r' <"$1" | awk -v kind="$2" -v which="$3" '
		/^-+ [0-9-]+ [0-9:.]+$/ { split($3, t, ":"); ms = (t[1] * 3600 + t[2] * 60 + t[3]) * 1000; next }
		$0 ~ "message " kind { v = ms; if (which == "first") exit }
		END { printf "%d\n", v }'
}

# replay_one USER N TAG: a SIPp recipient for N MESSAGEs (TAG.uas.msg), then
# USER registers it; prints "ms_to_the_last_message t0_ms": from the
# REGISTER leaving its SIPp to the last MESSAGE reaching the other (both
# from their traces; t0: this host's clock when the REGISTER's SIPp started)
replay_one() {
	local user=$1 n=$2 tag=$3 t0 uas
	recipient "$tag" "$n" 120
	uas=$!
	t0=$(ms_now)
	(cd "$OUT" && sipp -sf "$SF_TOP/test/sipp/register_contact.xml" -s "$user" \
		-key contact_port $((PORT + 2)) -key expires 3600 -i 127.0.0.1 -p $((PORT + 3)) \
		-m 1 -nostdin -timeout 10s -trace_msg -message_file "$OUT/$tag.reg.msg" \
		"127.0.0.1:$PORT" >"$OUT/$tag.reg.log" 2>&1)
	wait "$uas"
	echo "$(($(trace_ms "$OUT/$tag.uas.msg" received last) - $(trace_ms "$OUT/$tag.reg.msg" sent first))) $t0"
}

# queue_fill SYSTEM FIRST LAST PER: PER messages for each of the users
# rFIRST..rLAST (@127.0.0.1) queued in SQL, not over SIP, in the order of
# user and number, 100,000 users a statement; then ANALYZE. sfwd's trigger
# (sfwd_forward_plan: forwards that profiles ask for; the benchmarks have no
# profiles) does not run for them (session_replication_role = replica).
queue_fill() {
	local sys=$1 a=$2 last=$3 per=$4 b
	while [ "$a" -le "$last" ]; do
		b=$((a + 99999 > last ? last : a + 99999))
		if [ "$sys" = sfwd ]; then
			q bench_sfwd "SET session_replication_role = replica;
				INSERT INTO sfwd_message (aor, ruri, from_uri, from_name, from_tag,
					to_uri, to_name, call_id, cseq, received, expires, class, notify,
					content_type, body, headers)
				SELECT 'r' || u || '@127.0.0.1', 'sip:r' || u || '@127.0.0.1',
					'sip:alice@127.0.0.1', '', 'rr' || u || '-' || k,
					'sip:r' || u || '@127.0.0.1', '', 'rr-' || u || '-' || k, 1, now(),
					now() + interval '1 day', 3, 0, 'text/plain',
					convert_to('bench message ' || k || ' for r' || u, 'UTF8'), ''
				FROM generate_series($a, $b) u, generate_series(1, $per) k
				ORDER BY u, k" >/dev/null || return 1
		else
			q bench_msilo "INSERT INTO silo (src_addr, dst_addr, username, domain,
					inc_time, exp_time, ctype, body, callid)
				SELECT 'sip:alice@127.0.0.1', 'sip:r' || u || '@127.0.0.1', 'r' || u,
					'127.0.0.1', extract(epoch FROM now())::int,
					extract(epoch FROM now())::int + 86400, 'text/plain',
					convert_to('bench message ' || k || ' for r' || u, 'UTF8'),
					'rr-' || u || '-' || k
				FROM generate_series($a, $b) u, generate_series(1, $per) k
				ORDER BY u, k" >/dev/null || return 1
		fi
		a=$((b + 1))
	done
	q "$(db_of "$sys")" "ANALYZE $(table_of "$sys")" >/dev/null
}

# the results of a run, kept by the caller in the associative array R
# ("name" -> "space-separated figures"): field NAME I is the I-th figure;
# ratio A B is A / B with two decimals ("-" without both); r_json prints
# R's entries as the last lines of a JSON object (after the caller's own)
field() { echo "${R[$1]:-}" | awk -v i="$2" '{print $i}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "-" && a != "") printf "%.2f", a / b; else print "-" }'; }
r_json() {
	local k first=1
	for k in $(printf '%s\n' "${!R[@]}" | sort); do
		[ $first = 1 ] || echo ","
		first=0
		printf '  "%s": "%s"' "$k" "${R[$k]}"
	done
	echo
}
