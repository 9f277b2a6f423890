#!/usr/bin/env bash
# PostgreSQL primary + synchronous standby under the test's folder; two
# Kamailio nodes of a cluster (etc/cluster/kamailio.cfg: dmq, dmq_usrloc)
# whose sfwd db_url lists both with target_session_attrs=read-write.
# 2,000 MESSAGEs at 500/s to an offline user, half through each node;
# after ~1,000 the primary is killed (-9) or, in a second fresh run, frozen
# (SIGSTOP); the standby is promoted half a second later. Every 202 is a
# row on the new primary, sfwd on both nodes stores again within 5 s of
# the promotion without a restart, the 503'd ones sent again (same
# Call-ID, From tag, CSeq) end as exactly one row each, no duplicates.
# Kamailio's own database URL (auth_db, presence) lists both too (con_param
# port and target_session_attrs); the subscribers are on the primary; digest
# authentication is on: a MESSAGE from a local user, authenticated against
# the promoted standby, gets a 202 within 5 s of the promotion. The stream
# comes from a foreign domain (not challenged, as from another domain).
. "$(dirname "$0")/../lib.sh"
e2e_begin

USER_NAME=t050bob
AOR=$USER_NAME@$E2E_ADDR
N=2000             # MESSAGEs per run, half through each node
RATE=500           # per second, both nodes together
FAULT_AFTER=1000   # the fault once this many are sent (both nodes)
PROMOTE_DELAY=0.5  # s from the fault to pg_ctl promote
RECOVER_MS=5000    # a 202 again within this of the promotion
USER2=t050carol    # registers after the failover
CONTACT_PORT=$((E2E_SIP_PORT + 11))
SEND_PORT=$((E2E_SIP_PORT + 12))
PROBE_PORT=$((E2E_SIP_PORT + 14))  # and + 17 for node 2
RESEND_PORT=$((E2E_SIP_PORT + 15))
SEND2_PORT=$((E2E_SIP_PORT + 18))  # node 2's half of the stream
DIGEST_PORT=$((E2E_SIP_PORT + 16))
DIGEST_MS=5000     # a digest-authenticated 202 within this of the promotion
DIGEST_USER=alice      # message.xml sends From alice (auth_check: the same user)
# the stream is not challenged: From a foreign domain
FROM=(--from-domain t050.example.net)
PG_BASE=${SFWD_TEST_FAILOVER_PG_PORT:-$((E2E_PG_PORT + 7))} # 4 ports from here
SENDER=$T_SRC/sender.py
NODES=(1 2)
# node N: its ADDR:PORT
node() { local a=E2E_NODE_ADDR$1 p=E2E_NODE_PORT$1; echo "${!a}:${!p}"; }

e2e_users "$USER_NAME" "$USER2"

# q DIR PORT SQL: one query on database sfwd of the cluster in DIR
q() { sf_psql "$1" "$2" sfwd -tAc "$3"; }

# digest_probe DIR T0 MAX-MS: from T0 (epoch ms, now), through node 1, four MESSAGEs a second
# for MAX-MS, each on its own (not waiting for the one before), from
# DIGEST_USER, digest-authenticated (407, then credentials), to USER_NAME;
# prints how long after T0 the first 202 came (ms; none: no 202)
digest_probe() {
	local d=$1 t0=$2 max=$3 day
	timeout $((max / 1000 + 25)) sipp -sf "$MESSAGE_XML" -i "$E2E_ADDR" \
		-key domain "$E2E_ADDR" -nostdin -timeout $((max / 1000 + 20))s -r 4 -rp 1000 -m $((max / 250)) \
		-trace_msg -message_file "$d/digest.msg" -s "$USER_NAME" \
		-au "$DIGEST_USER" -ap "${DIGEST_USER}s-secret" -p "$DIGEST_PORT" \
		"$(node 1)" >"$d/digest.out" 2>&1
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
	local mode=$1 pa=$2 pb=$3 d=$T_DIR/$1 a b pw pids t_fault t_prom
	local first recovered
	a=$d/primary
	b=$d/standby
	mkdir -p "$d"
	e2e_on_exit "sf_pg_stop '$b'"
	# the primary: durable, WAL for a standby; commits wait for the
	# standby once it is there (synchronous_standby_names below)
	# the port is in the kernel's ephemeral range: a client socket of an
	# earlier step may hold it for a moment (seen once: "could not bind
	# ... Address already in use"); try again for up to 10 s
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sf_pg_start "$a" "$pa" && break
		sleep 1
	done
	sf_pg_running "$a" || e2e_fatal "$mode: the primary started"
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

	# shellcheck disable=SC2034 # e2e_cluster_node's
	E2E_DB_URL="postgresql://sfwd:$pw@127.0.0.1:$pa,127.0.0.1:$pb/sfwd?target_session_attrs=read-write"
	# Kamailio's own: no per-host ports in its URL; db_postgres gives libpq
	# the con_param keywords last (the last value of a keyword counts)
	# shellcheck disable=SC2034 # e2e_cluster_node's
	E2E_KDB_URL="postgres://sfwd:$pw@127.0.0.1,127.0.0.1/sfwd"
	local n pid_of=()
	for n in "${NODES[@]}"; do
		# (a mailbox for all of them)
		E2E_AUTH=1 e2e_cluster_node "$n" -A SFWD_MAX_MESSAGES=100000 \
			-A "SFWD_KDB_CON_PARAM=\"port='$pa,$pb'\"" \
			-A 'SFWD_KDB_CON_PARAM2="target_session_attrs=read-write"' ||
			e2e_fatal "$mode: node $n started on $(node "$n")"
		pid_of[n]=$(cat "$T_DIR/node$n/kamailio.launcher")
	done
	e2e_check "$mode: DMQ: each node knows the other (10 s at most)" e2e_until 100 eval \
		"sf_kamcmd '$T_DIR/node1' dmq.list_nodes | grep -q '$E2E_NODE_ADDR2' &&
		sf_kamcmd '$T_DIR/node2' dmq.list_nodes | grep -q '$E2E_NODE_ADDR1'"

	# 2,000 at 500/s, half through each node; the fault after ~1,000
	local sender=() port
	for n in "${NODES[@]}"; do
		port=$SEND_PORT
		[ "$n" = 2 ] && port=$SEND2_PORT
		python3 "$SENDER" send --kam "$(node "$n")" --domain "$E2E_ADDR" --port "$port" \
			"${FROM[@]}" --user "$USER_NAME" --count $((N / 2)) --rate $((RATE / 2)) \
			--mark-after $((FAULT_AFTER / 2)) --mark "$d/mark$n" --linger 10 \
			--tag "t050${mode}n$n" --out "$d/main$n.codes" >"$d/main$n.log" 2>&1 &
		sender[n]=$!
	done
	e2e_until 100 test -e "$d/mark1" || e2e_fail "$mode: $FAULT_AFTER sent within 10 s"
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
	local digest=$! probe=()
	# through each node, a new MESSAGE every 250 ms from the promotion
	# until one gets a 202
	for n in "${NODES[@]}"; do
		python3 "$SENDER" probe --kam "$(node "$n")" --domain "$E2E_ADDR" \
			--port $((PROBE_PORT + 3 * (n - 1))) "${FROM[@]}" --user "$USER_NAME" \
			--every 250 --max-ms $((RECOVER_MS + 3000)) --linger 5 --tag "t050${mode}p$n" \
			--out "$d/probe$n.codes" >"$d/probe$n.log" 2>&1 &
		probe[n]=$!
	done
	for n in "${NODES[@]}"; do
		wait "${probe[n]}"
		first=$(awk '$2 == 202 { print $4 }' "$d/probe$n.codes" | sort -n | head -n 1)
		recovered=$((${first:-$((t_prom + 999999))} - t_prom))
		e2e_check "$mode: node $n: a MESSAGE sent after the promotion -> 202 within $RECOVER_MS ms of it (took $recovered ms; promoted $((t_prom - t_fault)) ms after the fault)" \
			test "$recovered" -le "$RECOVER_MS"
	done
	wait "$digest"
	local dig
	dig=$(cat "$d/digest.first")
	echo "  info $mode: digest-authenticated MESSAGEs through node 1 (4/s from the promotion): $(e2e_sipp_log "$d/digest.msg" |
		awk '$1 == "in" && $7 == "SIP/2.0" { n[$8]++ } END { for (c in n) printf "%s x %s; ", n[c], c }')"
	e2e_check "$mode: a digest-authenticated MESSAGE sent after the promotion -> 202 within $DIGEST_MS ms of it (took $dig ms)" \
		test "${dig/none/999999}" -le "$DIGEST_MS"
	for n in "${NODES[@]}"; do
		timeout 60 tail --pid="${sender[n]}" -f /dev/null
		wait "${sender[n]}"
	done
	cat "$d/main1.codes" "$d/main2.codes" >"$d/main.codes" 2>/dev/null
	e2e_check "$mode: the senders recorded every MESSAGE" test "$(wc -l <"$d/main.codes")" = "$N"
	local n202 n503 nother first_main
	n202=$(awk '$2 == 202' "$d/main.codes" | wc -l)
	n503=$(awk '$2 == 503' "$d/main.codes" | wc -l)
	nother=$(awk '$2 != 202 && $2 != 503' "$d/main.codes" | wc -l)
	first_main=$(awk -v t="$t_prom" '$2 == 202 && $4 >= t { print $4 - t }' "$d/main.codes" |
		sort -n | head -n 1)
	echo "  info $mode: stream: $n202 x 202, $n503 x 503, $nother other/none; first 202 of the stream after the promotion: ${first_main:-none} ms"
	for n in "${NODES[@]}"; do
		echo "  info $mode: node $n's half: $(awk '{ c[$2]++ } END { for (k in c) printf "%s x %s; ", c[k], k }' "$d/main$n.codes")"
	done
	e2e_check "$mode: 202s before the fault" test "$n202" -gt $((FAULT_AFTER / 2))
	e2e_eq "$mode: every MESSAGE answered 202 or 503" 0 "$nother"

	# every 202 is a row on the new primary
	cat "$d/main.codes" "$d/probe1.codes" "$d/probe2.codes" | awk '$2 == 202 { print $1 }' |
		sort >"$d/accepted"
	q "$b" "$pb" "SELECT call_id FROM sfwd_message WHERE aor = '$AOR'" | sort >"$d/rows"
	e2e_eq "$mode: every 202 ($(wc -l <"$d/accepted")) is a row on the new primary" 0 \
		"$(comm -23 "$d/accepted" "$d/rows" | wc -l)"
	echo "  info $mode: rows of 503'd MESSAGEs already there before they are sent again (commit outcome unknown): $(awk '$2 != 202 { print $1 }' "$d/main.codes" | sort | comm -12 - "$d/rows" | wc -l)"

	# the senders of the 503s try again, through the node they used: same
	# Call-ID, From tag and CSeq
	for n in "${NODES[@]}"; do
		awk '$2 != 202 { print $1 }' "$d/main$n.codes" >"$d/refused$n"
		[ -s "$d/refused$n" ] || continue
		python3 "$SENDER" resend --kam "$(node "$n")" --domain "$E2E_ADDR" --port "$RESEND_PORT" \
			"${FROM[@]}" --user "$USER_NAME" --ids "$d/refused$n" --rate "$RATE" --linger 10 \
			--out "$d/resend$n.codes" >"$d/resend$n.log" 2>&1
		e2e_eq "$mode: the $(wc -l <"$d/refused$n") refused by node $n, sent again, -> 202" \
			"$(wc -l <"$d/refused$n")" "$(awk '$2 == 202' "$d/resend$n.codes" | wc -l)"
	done
	q "$b" "$pb" "SELECT call_id FROM sfwd_message WHERE aor = '$AOR'" | sort >"$d/rows"
	awk '{ print $1 }' "$d/main.codes" | sort >"$d/sent"
	e2e_eq "$mode: each of the $N MESSAGEs is a row on the new primary" "$N" \
		"$(comm -12 "$d/sent" "$d/rows" | wc -l)"
	e2e_eq "$mode: no duplicate rows" 0 \
		"$(q "$b" "$pb" "SELECT count(*) - count(DISTINCT (call_id, from_tag, cseq)) FROM sfwd_message WHERE aor = '$AOR'")"
	# the flushers found the new primary too: a user stored for through
	# node 1 registers at node 2 and gets what was stored after the failover
	python3 "$SENDER" send --kam "$(node 1)" --domain "$E2E_ADDR" --port "$SEND_PORT" \
		"${FROM[@]}" --user "$USER2" --count 3 --rate 50 --linger 5 --tag "t050$mode" \
		--out "$d/user2.codes" >"$d/user2.log" 2>&1
	e2e_eq "$mode: 3 MESSAGEs to $USER2 through node 1 -> 202" 3 "$(awk '$2 == 202' "$d/user2.codes" | wc -l)"
	local t_reg
	t_reg=$(e2e_ms_now)
	e2e_recipient "$USER2" "$CONTACT_PORT" 3 30
	e2e_check "$mode: $USER2 registers at node 2 -> 200" \
		e2e_cluster_sipp "$E2E_NODE_ADDR2" "$E2E_NODE_PORT2" "reg-$mode" "$REGISTER_XML" \
		-s "$USER2" -key contact_port "$CONTACT_PORT" -key expires 3600 -m 1 \
		-p $((E2E_SIP_PORT + 13)) -au "$USER2" -ap "${USER2}s-secret"
	e2e_uas_wait
	e2e_eq "$mode: $USER2's phone got the 3 (from node 2) and ended cleanly" 0 $?
	echo "  info $mode: $USER2 got the 3 $(($(e2e_ms_now) - t_reg)) ms after registering"
	for n in "${NODES[@]}"; do
		e2e_check "$mode: node $n (pid ${pid_of[n]}) still runs, not restarted" kill -0 "${pid_of[n]}"
		grep -E "database: (connected to|cannot connect|connect to)" \
			"$T_DIR/node$n/kamailio.log" >"$d/db$n.log"
		echo "  info $mode: node $n: sfwd processes that found the new primary: $(grep -c 'connected to 127.0.0.1:'"$pb" "$d/db$n.log")"
		sf_kam_stop "$T_DIR/node$n"
		rm -rf "$d/node$n"
		mv "$T_DIR/node$n" "$d/node$n"
	done
	# shellcheck disable=SC2086
	[ "$mode" = stop ] && kill -KILL $pids 2>/dev/null
	sf_pg_stop "$b"
	sf_pg_stop "$a"
}

MESSAGE_XML=$(e2e_cluster_scenario message)
REGISTER_XML=$(e2e_cluster_scenario register_contact)
scenario kill "$PG_BASE" $((PG_BASE + 1))
scenario stop $((PG_BASE + 2)) $((PG_BASE + 3))
e2e_end
