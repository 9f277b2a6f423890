#!/usr/bin/env bash
# sfwd for real: a private PostgreSQL cluster and Kamailio with sfwd, both on
# loopback, everything under var/ (git-ignored).
#
#   scripts/sfwd-run.sh run      foreground; Ctrl-C stops both
#   scripts/sfwd-run.sh start    detached (PID files under var/)
#   scripts/sfwd-run.sh stop     stops what start started
#   scripts/sfwd-run.sh status
#
# Environment (defaults):
#   SFWD_SIP_ADDR   127.0.0.1        SIP listen address (UDP and TCP)
#   SFWD_SIP_PORT   5060             SIP port
#   SFWD_PG_PORT    55432            PostgreSQL port on 127.0.0.1
#   SFWD_MSRP_PORT  2855             MSRP retrieval port (TCP, SFWD_SIP_ADDR)
#   SFWD_HTTP_PORT  8080             HTTP (xhttp): links to content to fetch,
#                                    SMS delivery reports; 0: none
#   SFWD_DB         sfwd             database and role name
#   SFWD_VAR        <repo>/var       state: var/pg, var/run
#   SFWD_CFG        <repo>/etc/kamailio.cfg
#   SFWD_NO_AUTH    1: no digest authentication of REGISTER and MESSAGE
#                   (as the container's SFWD_NO_AUTH)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

SIP_ADDR=${SFWD_SIP_ADDR:-127.0.0.1}
SIP_PORT=${SFWD_SIP_PORT:-5060}
PG_PORT=${SFWD_PG_PORT:-55432}
MSRP_PORT=${SFWD_MSRP_PORT:-2855}
HTTP_PORT=${SFWD_HTTP_PORT:-8080}
HTTP=()
[ "$HTTP_PORT" != 0 ] && HTTP=(-A "SFWD_HTTP_PORT=$HTTP_PORT" -A "SFWD_HTTP_ADDR=$SIP_ADDR"
	-A "SFWD_HTTP_URL=\"http://$SIP_ADDR:$HTTP_PORT/sfwd\"")
DB=${SFWD_DB:-sfwd}
VAR=${SFWD_VAR:-$SF_TOP/var}
CFG=${SFWD_CFG:-$SF_TOP/etc/kamailio.cfg}
PGDIR=$VAR/pg
RUNDIR=$VAR/run

case "$SIP_ADDR" in
127.*) ;;
*) sf_log "warning: SFWD_SIP_ADDR=$SIP_ADDR is not a loopback address" ;;
esac

NO_AUTH=()
[ -n "${SFWD_NO_AUTH:-}" ] && [ "${SFWD_NO_AUTH}" != 0 ] && NO_AUTH=(-A SFWD_NO_AUTH)

start_all() {
	sf_pg_start "$PGDIR" "$PG_PORT"
	# scripts/cluster-run.sh makes var/pg wait for a synchronous standby;
	# without that standby running every commit would wait forever
	sf_pg_running "$VAR/pg-standby" ||
		sf_psql "$PGDIR" "$PG_PORT" postgres -c "ALTER SYSTEM RESET synchronous_standby_names" \
			-c "SELECT pg_reload_conf()" >/dev/null
	sf_pg_schema "$PGDIR" "$PG_PORT" "$DB"
	sf_kam_start "$RUNDIR" "$CFG" "${NO_AUTH[@]}" \
		-A "SFWD_SIP_ADDR=$SIP_ADDR" -A "SFWD_SIP_PORT=$SIP_PORT" \
		-A "SFWD_MSRP_LISTEN=\"$SIP_ADDR:$MSRP_PORT\"" \
		-A "SFWD_DB_URL=\"$(sf_db_url "$PGDIR" "$PG_PORT" "$DB")\"" \
		-A "SFWD_KDB_URL=\"$(sf_kdb_url "$PGDIR" "$PG_PORT" "$DB")\"" "${HTTP[@]}"
}

stop_all() {
	sf_kam_stop "$RUNDIR"
	sf_pg_stop "$PGDIR"
}

banner() {
	cat <<-EOF

		sfwd is running
		  SIP (UDP, TCP)  sip:$SIP_ADDR:$SIP_PORT
		  MSRP retrieval  msrp://$SIP_ADDR:$MSRP_PORT (TCP)
		  HTTP fetch      $([ "$HTTP_PORT" != 0 ] && echo "http://$SIP_ADDR:$HTTP_PORT/sfwd/m/<token>" || echo off)
		  PostgreSQL      127.0.0.1:$PG_PORT and $(readlink -f "$PGDIR")/run, database "$DB"
		  RPC             kamcmd -s unixs:$RUNDIR/kamailio_ctl core.uptime
		  Kamailio log    $RUNDIR/kamailio.log
		  psql            psql -h $(readlink -f "$PGDIR")/run -p $PG_PORT -U $DB $DB

		Try it in a second terminal: add alice and bob (only subscribers have a
		mailbox), send bob a MESSAGE from alice while he is offline (202: stored),
		look at the queue, then bring bob online: his phone shows alice's message.
		  cd $SF_TOP && export SFWD_SIP_ADDR=$SIP_ADDR SFWD_SIP_PORT=$SIP_PORT SFWD_PG_PORT=$PG_PORT SFWD_VAR=$VAR
		  scripts/sfwd-user.sh add alice alices-secret
		  scripts/sfwd-user.sh add bob bobs-secret
		  sipp -sf test/sipp/message.xml -s bob -au alice -ap alices-secret -m 1 -p $((SIP_PORT + 11)) $SIP_ADDR:$SIP_PORT
		  kamcmd -s unixs:$RUNDIR/kamailio_ctl sfwd.list
		  scripts/sfwd-phone.sh bob bobs-secret

	EOF
}

case "${1:-run}" in
run)
	trap 'echo; sf_log "stopping"; stop_all; exit 0' INT TERM
	trap 'stop_all' EXIT
	start_all
	banner
	echo "  Ctrl-C stops Kamailio and PostgreSQL."
	# follow Kamailio until it exits or we are interrupted
	while kill -0 "$(cat "$RUNDIR/kamailio.launcher" 2>/dev/null)" 2>/dev/null; do
		sleep 1 &
		wait $! || true
	done
	sf_log "Kamailio exited, see $RUNDIR/kamailio.log"
	exit 1
	;;
start)
	start_all || { stop_all; exit 1; }
	banner
	echo "  make stop stops Kamailio and PostgreSQL."
	;;
stop)
	stop_all
	sf_log "stopped"
	;;
status)
	rc=0
	if kill -0 "$(cat "$RUNDIR/kamailio.launcher" 2>/dev/null)" 2>/dev/null; then
		echo "kamailio: running, $(sf_kamcmd "$RUNDIR" core.uptime 2>/dev/null |
			tr '\n' ' ')"
	else
		echo "kamailio: stopped"
		rc=1
	fi
	if sf_pg_running "$PGDIR"; then
		echo "postgresql: running on 127.0.0.1:$PG_PORT"
	else
		echo "postgresql: stopped"
		rc=1
	fi
	exit $rc
	;;
*)
	echo "usage: $0 run|start|stop|status" >&2
	exit 2
	;;
esac
