#!/usr/bin/env bash
# sfwd as a cluster on one machine: two Kamailio nodes (127.0.0.2 and
# 127.0.0.3: loopback, no set-up) sharing registrations over dmq_usrloc and
# one sfwd database in a private PostgreSQL (var/pg, the one of `make run`),
# with a synchronous streaming standby (var/pg-standby, pg_basebackup -R:
# every commit, so every 202, is on both). Both nodes' db_url (sfwd) and
# their Kamailio database URL (auth_db, presence) list the primary and the
# standby with target_session_attrs=read-write: after
#   pg_ctl -D var/pg-standby/data promote     (the primary gone)
# every process finds the new primary by itself. Everything under var/
# (git-ignored).
#
#   scripts/cluster-run.sh start   detached; prints where each listens
#   scripts/cluster-run.sh stop    stops both nodes and the standby (the
#                                  primary: scripts/sfwd-run.sh stop)
#   scripts/cluster-run.sh status
#
# Environment (defaults):
#   SFWD_NODE1_ADDR  127.0.0.2      SFWD_NODE2_ADDR  127.0.0.3
#   SFWD_SIP_PORT    5060           SIP port of each node (UDP, TCP, DMQ)
#   SFWD_MSRP_PORT   2855           MSRP retrieval port of each node
#   SFWD_PG_PORT     55432          the primary on 127.0.0.1; the standby +1
#   SFWD_STANDBY     1              0: no standby (one database host)
#   SFWD_NO_AUTH     1              0: digest authentication of REGISTER
#                                   and MESSAGE (as etc/kamailio.cfg)
#   SFWD_DB, SFWD_VAR as for scripts/sfwd-run.sh
# Users are user@127.0.0.1 on both nodes (SFWD_DOMAIN of the node cfg).
set -euo pipefail

. "$(dirname "$0")/lib.sh"

ADDR1=${SFWD_NODE1_ADDR:-127.0.0.2}
ADDR2=${SFWD_NODE2_ADDR:-127.0.0.3}
SIP_PORT=${SFWD_SIP_PORT:-5060}
MSRP_PORT=${SFWD_MSRP_PORT:-2855}
PG_PORT=${SFWD_PG_PORT:-55432}
STANDBY=${SFWD_STANDBY:-1}
DB=${SFWD_DB:-sfwd}
VAR=${SFWD_VAR:-$SF_TOP/var}
CFG=$SF_TOP/etc/cluster/kamailio.cfg
PGDIR=$VAR/pg
SBDIR=$VAR/pg-standby
SB_PORT=$((PG_PORT + 1))

NO_AUTH=()
DB_DEFS=()
[ "${SFWD_NO_AUTH:-1}" != 0 ] && NO_AUTH=(-A SFWD_NO_AUTH)

# node N ADDR
start_node() {
	local n=$1 addr=$2
	sf_kam_start "$VAR/cluster/node$n" "$CFG" "${NO_AUTH[@]}" \
		-A "SFWD_SIP_ADDR=$addr" -A "SFWD_SIP_PORT=$SIP_PORT" \
		-A "SFWD_MSRP_LISTEN=\"$addr:$MSRP_PORT\"" \
		-A "SFWD_SERVER_ID=$n" -A "SFWD_NODE_ID=\"node$n\"" \
		-A "SFWD_DMQ_SELF=\"sip:$addr:$SIP_PORT\"" \
		-A "SFWD_DMQ_SEED1=\"sip:$ADDR1:$SIP_PORT\"" \
		-A "SFWD_DMQ_SEED2=\"sip:$ADDR2:$SIP_PORT\"" \
		"${DB_DEFS[@]}"
}

# the database URLs of the nodes: the primary, and the standby after it
db_urls() {
	local pw
	if [ "$STANDBY" != 1 ]; then
		DB_DEFS=(-A "SFWD_DB_URL=\"$(sf_db_url "$PGDIR" "$PG_PORT" "$DB")\""
			-A "SFWD_KDB_URL=\"$(sf_kdb_url "$PGDIR" "$PG_PORT" "$DB")\"")
		return
	fi
	sf_kdb_url "$PGDIR" "$PG_PORT" "$DB" >/dev/null # sets the password
	pw=$(sf_pg_password "$PGDIR" "$DB")
	DB_URL="postgresql://$DB:$pw@127.0.0.1:$PG_PORT,127.0.0.1:$SB_PORT/$DB?target_session_attrs=read-write"
	# db_postgres takes one port in its URL: the list goes as con_param
	DB_DEFS=(-A "SFWD_DB_URL=\"$DB_URL\""
		-A "SFWD_KDB_URL=\"postgres://$DB:$pw@127.0.0.1,127.0.0.1/$DB\""
		-A "SFWD_KDB_CON_PARAM=\"port='$PG_PORT,$SB_PORT'\""
		-A 'SFWD_KDB_CON_PARAM2="target_session_attrs=read-write"')
}

# synchronous replication on the primary (on) or off again: a primary
# whose only synchronous standby is gone waits with every commit
sync_standby() {
	local v=$1
	sf_pg_running "$PGDIR" || return 0
	if [ "$v" = on ]; then
		v="ALTER SYSTEM SET synchronous_standby_names = '*'"
	else
		v="ALTER SYSTEM RESET synchronous_standby_names"
	fi
	sf_psql "$PGDIR" "$PG_PORT" postgres -c "$v" -c "SELECT pg_reload_conf()" >/dev/null
}

# a hot standby streaming from the primary, made once by pg_basebackup -R
start_standby() {
	local dir bin
	[ "$STANDBY" = 1 ] || return 0
	bin=$(sf_pg_bindir)
	dir=$(sf_pg_real "$SBDIR")
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		sf_pg_as mkdir -p "$dir/run"
		sf_pg_as "$bin/pg_basebackup" -h "$(readlink -f "$PGDIR")/run" \
			-p "$PG_PORT" -U postgres -D "$dir/data" -R -X stream \
			>"$dir/basebackup.log" 2>&1 ||
			{ sf_log "pg_basebackup failed, see $dir/basebackup.log"; return 1; }
	fi
	sf_pg_running "$SBDIR" && return 0
	sf_pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
		-o "-p $SB_PORT -k $dir/run" -w -t 60 start >/dev/null ||
		{ sf_log "the standby did not start, see $dir/postgres.log"; return 1; }
}

start_all() {
	sf_pg_start "$PGDIR" "$PG_PORT"
	# nothing waits for a standby that is not there yet (a cluster run
	# that ended without `make stop` leaves it on)
	sync_standby off
	sf_pg_schema "$PGDIR" "$PG_PORT" "$DB"
	sf_pg_as psql -X -q -v ON_ERROR_STOP=1 -h "$(readlink -f "$PGDIR")/run" \
		-p "$PG_PORT" -U "$DB" -d "$DB" <"$SF_TOP/etc/cluster/sfwd-cluster.sql" \
		>/dev/null
	start_standby
	if [ "$STANDBY" = 1 ]; then
		sync_standby on
		local i
		for ((i = 0; i < 100; i++)); do
			[ "$(sf_psql "$PGDIR" "$PG_PORT" postgres -tAc \
				"SELECT sync_state FROM pg_stat_replication")" = sync ] && break
			sleep 0.1
		done
		[ "$i" -lt 100 ] || {
			sf_log "the standby does not replicate synchronously (after a failover the promoted standby is a primary of its own: remove $SBDIR to make a new standby)"
			return 1
		}
	fi
	db_urls
	start_node 1 "$ADDR1"
	start_node 2 "$ADDR2"
}

stop_all() {
	sf_kam_stop "$VAR/cluster/node1"
	sf_kam_stop "$VAR/cluster/node2"
	sync_standby off
	sf_pg_stop "$SBDIR"
}

banner() {
	local pg
	pg=$(readlink -f "$PGDIR")
	cat <<-EOF

		sfwd cluster is running
		  node1  SIP (UDP, TCP, DMQ) sip:$ADDR1:$SIP_PORT  MSRP msrp://$ADDR1:$MSRP_PORT
		         RPC kamcmd -s unixs:$VAR/cluster/node1/kamailio_ctl dmq.list_nodes
		         log $VAR/cluster/node1/kamailio.log
		  node2  SIP (UDP, TCP, DMQ) sip:$ADDR2:$SIP_PORT  MSRP msrp://$ADDR2:$MSRP_PORT
		         RPC kamcmd -s unixs:$VAR/cluster/node2/kamailio_ctl dmq.list_nodes
		         log $VAR/cluster/node2/kamailio.log
		  PostgreSQL primary  127.0.0.1:$PG_PORT and $pg/run, database "$DB"
	EOF
	[ "$STANDBY" = 1 ] && cat <<-EOF
		  PostgreSQL standby  127.0.0.1:$SB_PORT and $(readlink -f "$SBDIR")/run (synchronous, read-only)
		  db_url (both nodes) postgresql://$DB:***@127.0.0.1:$PG_PORT,127.0.0.1:$SB_PORT/$DB?target_session_attrs=read-write
		  failover: stop the primary, then: $([ "$(id -u)" -eq 0 ] && echo "runuser -u postgres -- ")$(sf_pg_bindir)/pg_ctl -D $(readlink -f "$SBDIR")/data promote
	EOF
	cat <<-EOF

		bob's phone registers at node2, alice's MESSAGE goes through node1 (200
		from the phone: delivered live across the nodes):
		  cd $SF_TOP && export SFWD_PG_PORT=$PG_PORT SFWD_VAR=$VAR
		  scripts/sfwd-user.sh add alice alices-secret 127.0.0.1
		  scripts/sfwd-user.sh add bob bobs-secret 127.0.0.1
		  sipp -sf test/sipp/uas_message.xml -i 127.0.0.1 -p $((SIP_PORT + 10)) -m 1 -bg
		  sipp -sf test/e2e/t051_cluster/register.xml -i 127.0.0.1 -p $((SIP_PORT + 11)) -s bob -key domain 127.0.0.1 -key contact_port $((SIP_PORT + 10)) -key expires 600 -m 1 $ADDR2:$SIP_PORT
		  sipp -sf test/e2e/t051_cluster/message_200.xml -i 127.0.0.1 -p $((SIP_PORT + 12)) -s bob -key domain 127.0.0.1 -m 1 $ADDR1:$SIP_PORT
		make stop stops the nodes, the standby and the primary.

	EOF
}

case "${1:-start}" in
start)
	start_all || { stop_all; exit 1; }
	banner
	;;
stop)
	stop_all
	;;
status)
	rc=0
	for n in 1 2; do
		if kill -0 "$(cat "$VAR/cluster/node$n/kamailio.launcher" 2>/dev/null)" 2>/dev/null; then
			echo "node$n: running, $(sf_kamcmd "$VAR/cluster/node$n" dmq.list_nodes 2>/dev/null |
				grep -c 'host:') DMQ nodes known"
		else
			echo "node$n: stopped"
			rc=1
		fi
	done
	sf_pg_running "$PGDIR" && echo "postgresql primary: running on 127.0.0.1:$PG_PORT" ||
		{ echo "postgresql primary: stopped"; rc=1; }
	if [ "$STANDBY" = 1 ]; then
		sf_pg_running "$SBDIR" && echo "postgresql standby: running on 127.0.0.1:$SB_PORT" ||
			{ echo "postgresql standby: stopped"; rc=1; }
	fi
	exit $rc
	;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
