#!/usr/bin/env bash
# PostgreSQL primary + synchronous standby under the test's folder; sfwd's
# db_url lists both with target_session_attrs=read-write. 2,000 MESSAGEs at
# 500/s to an offline user; after ~1,000 the primary is killed (-9) or, in
# a second fresh run, frozen (SIGSTOP); the standby is promoted half a
# second later. Every 202 is a row on the new primary, sfwd stores again
# within 5 s of the promotion without a restart, the 503'd ones sent again
# (same Call-ID, From tag, CSeq) end as exactly one row each, no duplicates.
# Kamailio's own database URL (auth_db, presence) lists both too (con_param
# port and target_session_attrs); the subscribers are on the primary; digest
# authentication is on: a MESSAGE from a local user, authenticated against
# the promoted standby, gets a 202 within 5 s of the promotion. The stream
# comes from a foreign domain (not challenged, as from another domain).
. "$(dirname "$0")/../lib.sh"
e2e_begin

USER_NAME=t050bob
AOR=$USER_NAME@$E2E_ADDR
N=2000             # MESSAGEs per run
RATE=500           # per second
FAULT_AFTER=1000   # the fault once this many are sent
PROMOTE_DELAY=0.5  # s from the fault to pg_ctl promote
RECOVER_MS=5000    # a 202 again within this of the promotion
USER2=t050carol    # registers after the failover
CONTACT_PORT=$((E2E_SIP_PORT + 11))
SEND_PORT=$((E2E_SIP_PORT + 12))
PROBE_PORT=$((E2E_SIP_PORT + 14))
RESEND_PORT=$((E2E_SIP_PORT + 15))
DIGEST_PORT=$((E2E_SIP_PORT + 16))
DIGEST_MS=5000     # a digest-authenticated 202 within this of the promotion
DIGEST_USER=alice      # message.xml sends From alice (auth_check: the same user)
# the stream is not challenged: From a foreign domain
FROM=(--from-domain t050.example.net)
PG_BASE=${SFWD_TEST_FAILOVER_PG_PORT:-$((E2E_PG_PORT + 7))} # 4 ports from here
SENDER=$T_SRC/sender.py

e2e_users "$USER_NAME" "$USER2"

# q DIR PORT SQL: one query on database sfwd of the cluster in DIR
q() { sf_psql "$1" "$2" sfwd -tAc "$3"; }

# digest_probe DIR T0 MAX-MS: from T0 (epoch ms, now) four MESSAGEs a second
# for MAX-MS, each on its own (not waiting for the one before), from
# DIGEST_USER, digest-authenticated (407, then credentials), to USER_NAME;
# prints how long after T0 the first 202 came (ms; none: no 202)
digest_probe() {
	local d=$1 t0=$2 max=$3 day
	timeout $((max / 1000 + 25)) sipp -sf "$E2E_SIPP_DIR/message.xml" -i "$E2E_ADDR" \
		-nostdin -timeout $((max / 1000 + 20))s -r 4 -rp 1000 -m $((max / 250)) \
		-trace_msg -message_file "$d/digest.msg" -s "$USER_NAME" \
		-au "$DIGEST_USER" -ap "${DIGEST_USER}s-secret" -p "$DIGEST_PORT" \
		"$E2E_ADDR:$E2E_SIP_PORT" >"$d/digest.out" 2>&1
	# SIPp's times are seconds since local midnight
	day=$(date -d "$(date -d "@$((t0 / 1000))" +%F) 00:00" +%s)
	e2e_sipp_log "$d/digest.msg" | awk -v t0="$t0" -v day="$day" '
		$1 == "in" && $7 == "SIP/2.0" && $8 == 202 {
			ms = ($2 + day) * 1000 - t0
			if (ms < -3600000) ms += 86400000
			if (first == "" || ms < first) first = ms
		}
		END { print (first == "" ? "none" : int(first)) }'
}

# scenario MODE PA PB: MODE kill (-9) or stop (SIGSTOP) of the primary on
# port PA; the standby on PB
scenario() {
	local mode=$1 pa=$2 pb=$3 d=$T_DIR/$1 a b pw pids kam_pid t_fault t_prom
	local first recovered
	a=$d/primary
	b=$d/standby
	mkdir -p "$d"
	e2e_on_exit "sf_pg_stop '$b'"
	# the primary: durable, WAL for a standby; commits wait for the
	# standby once it is there (synchronous_standby_names below)
	sf_pg_start "$a" "$pa" || e2e_fatal "$mode: the primary started"
	e2e_on_exit "sf_pg_stop '$a'"
	sf_pg_schema "$a" "$pa" sfwd 1 || e2e_fatal "$mode: schema on the primary"
	pw=$(sf_pg_password "$a" sfwd)
	sf_psql "$a" "$pa" postgres -c "ALTER ROLE sfwd PASSWORD '$pw'" >/dev/null
	# the subscribers (Kamailio's own tables) on the primary too
	local u values=
	for u in "$USER_NAME" "$USER2" "$DIGEST_USER"; do
		values+="${values:+,}('$u', '$E2E_ADDR', md5('$u:$E2E_ADDR:${u}s-secret'))"
	done
	q "$a" "$pa" "INSERT INTO subscriber (username, domain, ha1) VALUES $values" >/dev/null ||
		e2e_fatal "$mode: subscribers on the primary"
	sf_pg_standby "$a" "$pa" "$b" "$pb" || e2e_fatal "$mode: the standby started"
	sf_pg_as tee -a "$(readlink -f "$a")/data/postgresql.conf" >/dev/null <<-EOF
		# t050: synchronous streaming replication
		wal_level = replica
		max_wal_senders = 4
		synchronous_standby_names = '*'
		synchronous_commit = on
		fsync = on
	EOF
	sf_psql "$a" "$pa" postgres -c "SELECT pg_reload_conf()" >/dev/null
	e2e_check "$mode: the standby streams synchronously" e2e_until 100 eval \
		"[ \"\$(sf_psql '$a' $pa postgres -tAc \"SELECT sync_state FROM pg_stat_replication\")\" = sync ]"
	e2e_eq "$mode: the standby is read-only" t \
		"$(q "$b" "$pb" "SELECT pg_is_in_recovery()")"

	# shellcheck disable=SC2034 # e2e_kam's
	E2E_DB_URL="postgresql://sfwd:$pw@127.0.0.1:$pa,127.0.0.1:$pb/sfwd?target_session_attrs=read-write"
	# Kamailio's own: no per-host ports in its URL; db_postgres gives libpq
	# the con_param keywords last (the last value of a keyword counts)
	# shellcheck disable=SC2034 # e2e_kam's
	E2E_KDB_URL="postgres://sfwd:$pw@127.0.0.1,127.0.0.1/sfwd"
	# (a mailbox for all of them)
	E2E_AUTH=1 e2e_kam "kam-$mode" "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST \
		-A SFWD_MAX_MESSAGES=100000 -A "SFWD_KDB_CON_PARAM=\"port='$pa,$pb'\"" \
		-A 'SFWD_KDB_CON_PARAM2="target_session_attrs=read-write"' ||
		e2e_fatal "$mode: Kamailio started"
	kam_pid=$(cat "$T_DIR/kam-$mode/kamailio.launcher")

	# 2,000 at 500/s; the fault after ~1,000
	python3 "$SENDER" send --kam "$E2E_ADDR:$E2E_SIP_PORT" --port "$SEND_PORT" \
		"${FROM[@]}" --user "$USER_NAME" --count "$N" --rate "$RATE" --mark-after "$FAULT_AFTER" \
		--mark "$d/mark" --linger 10 --tag "t050$mode" --out "$d/main.codes" \
		>"$d/main.log" 2>&1 &
	local sender=$!
	e2e_until 100 test -e "$d/mark" || e2e_fail "$mode: $FAULT_AFTER sent within 10 s"
	pids=$(sf_pg_pids "$a")
	if [ "$mode" = kill ]; then
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL $pids
	else
		e2e_on_exit "kill -KILL $pids"
		# shellcheck disable=SC2086
		kill -STOP $pids
	fi
	t_fault=$(e2e_ms_now)
	sleep "$PROMOTE_DELAY"
	t_prom=$(e2e_ms_now)
	e2e_check "$mode: the standby promoted" sf_pg_promote "$b"
	digest_probe "$d" "$t_prom" $((DIGEST_MS + 5000)) >"$d/digest.first" &
	local digest=$!
	# a new MESSAGE every 250 ms from the promotion until one gets a 202
	python3 "$SENDER" probe --kam "$E2E_ADDR:$E2E_SIP_PORT" --port "$PROBE_PORT" \
		"${FROM[@]}" --user "$USER_NAME" --every 250 --max-ms $((RECOVER_MS + 3000)) --linger 5 \
		--tag "t050$mode" --out "$d/probe.codes" >"$d/probe.log" 2>&1
	first=$(awk '$2 == 202 { print $4 }' "$d/probe.codes" | sort -n | head -n 1)
	recovered=$((${first:-$((t_prom + 999999))} - t_prom))
	e2e_check "$mode: a MESSAGE sent after the promotion -> 202 within $RECOVER_MS ms of it (took $recovered ms; promoted $((t_prom - t_fault)) ms after the fault)" \
		test "$recovered" -le "$RECOVER_MS"
	wait "$digest"
	local dig
	dig=$(cat "$d/digest.first")
	echo "  info $mode: digest-authenticated MESSAGEs (4/s from the promotion): $(e2e_sipp_log "$d/digest.msg" |
		awk '$1 == "in" && $7 == "SIP/2.0" { n[$8]++ } END { for (c in n) printf "%s x %s; ", n[c], c }')"
	e2e_check "$mode: a digest-authenticated MESSAGE sent after the promotion -> 202 within $DIGEST_MS ms of it (took $dig ms)" \
		test "${dig/none/999999}" -le "$DIGEST_MS"
	timeout 60 tail --pid="$sender" -f /dev/null
	wait "$sender"
	e2e_check "$mode: the sender recorded every MESSAGE" test "$(wc -l <"$d/main.codes" 2>/dev/null)" = "$N"
	local n202 n503 nother first_main
	n202=$(awk '$2 == 202' "$d/main.codes" | wc -l)
	n503=$(awk '$2 == 503' "$d/main.codes" | wc -l)
	nother=$(awk '$2 != 202 && $2 != 503' "$d/main.codes" | wc -l)
	first_main=$(awk -v t="$t_prom" '$2 == 202 && $4 >= t { print $4 - t }' "$d/main.codes" |
		sort -n | head -n 1)
	echo "  info $mode: stream: $n202 x 202, $n503 x 503, $nother other/none; first 202 of the stream after the promotion: ${first_main:-none} ms"
	e2e_check "$mode: 202s before the fault" test "$n202" -gt $((FAULT_AFTER / 2))
	e2e_eq "$mode: every MESSAGE answered 202 or 503" 0 "$nother"

	# every 202 is a row on the new primary
	cat "$d/main.codes" "$d/probe.codes" | awk '$2 == 202 { print $1 }' | sort >"$d/accepted"
	q "$b" "$pb" "SELECT call_id FROM sfwd_message WHERE aor = '$AOR'" | sort >"$d/rows"
	e2e_eq "$mode: every 202 ($(wc -l <"$d/accepted")) is a row on the new primary" 0 \
		"$(comm -23 "$d/accepted" "$d/rows" | wc -l)"
	echo "  info $mode: rows of 503'd MESSAGEs already there before they are sent again (commit outcome unknown): $(awk '$2 != 202 { print $1 }' "$d/main.codes" | sort | comm -12 - "$d/rows" | wc -l)"

	# the senders of the 503s try again: same Call-ID, From tag and CSeq
	awk '$2 != 202 { print $1 }' "$d/main.codes" >"$d/refused"
	if [ -s "$d/refused" ]; then
		python3 "$SENDER" resend --kam "$E2E_ADDR:$E2E_SIP_PORT" --port "$RESEND_PORT" \
			"${FROM[@]}" --user "$USER_NAME" --ids "$d/refused" --rate "$RATE" --linger 10 \
			--out "$d/resend.codes" >"$d/resend.log" 2>&1
		e2e_eq "$mode: the $(wc -l <"$d/refused") refused, sent again, -> 202" \
			"$(wc -l <"$d/refused")" "$(awk '$2 == 202' "$d/resend.codes" | wc -l)"
	fi
	q "$b" "$pb" "SELECT call_id FROM sfwd_message WHERE aor = '$AOR'" | sort >"$d/rows"
	awk '{ print $1 }' "$d/main.codes" | sort >"$d/sent"
	e2e_eq "$mode: each of the $N MESSAGEs is a row on the new primary" "$N" \
		"$(comm -12 "$d/sent" "$d/rows" | wc -l)"
	e2e_eq "$mode: no duplicate rows" 0 \
		"$(q "$b" "$pb" "SELECT count(*) - count(DISTINCT (call_id, from_tag, cseq)) FROM sfwd_message WHERE aor = '$AOR'")"
	# the flushers found the new primary too: a user registers and gets
	# what was stored for them after the failover
	python3 "$SENDER" send --kam "$E2E_ADDR:$E2E_SIP_PORT" --port "$SEND_PORT" \
		"${FROM[@]}" --user "$USER2" --count 3 --rate 50 --linger 5 --tag "t050$mode" \
		--out "$d/user2.codes" >"$d/user2.log" 2>&1
	e2e_eq "$mode: 3 MESSAGEs to $USER2 -> 202" 3 "$(awk '$2 == 202' "$d/user2.codes" | wc -l)"
	local t_reg
	t_reg=$(e2e_ms_now)
	e2e_delivery "$USER2" "$CONTACT_PORT" 3 30 -au "$USER2" -ap "${USER2}s-secret"
	echo "  info $mode: $USER2 got the 3 $(($(e2e_ms_now) - t_reg)) ms after registering"
	e2e_check "$mode: the same Kamailio (pid $kam_pid) still runs" kill -0 "$kam_pid"
	grep -E "database: (connected to|cannot connect|connect to)" \
		"$T_DIR/kam-$mode/kamailio.log" >"$d/db.log"
	echo "  info $mode: sfwd processes that found the new primary: $(grep -c 'connected to 127.0.0.1:'"$pb" "$d/db.log")"
	e2e_kam_stop "kam-$mode"
	# shellcheck disable=SC2086
	[ "$mode" = stop ] && kill -KILL $pids 2>/dev/null
	sf_pg_stop "$b"
	sf_pg_stop "$a"
}

scenario kill "$PG_BASE" $((PG_BASE + 1))
scenario stop $((PG_BASE + 2)) $((PG_BASE + 3))
e2e_end
