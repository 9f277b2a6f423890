#!/usr/bin/env bash
# sfwd container entry point: Kamailio with sfwd in the foreground as PID 1
# (exec), logging to stderr; SIGTERM (podman stop) makes Kamailio stop its
# processes and exit. The configuration is /etc/sfwd/kamailio.cfg (the
# repository's etc/kamailio.cfg) with its defines set from the environment:
#
#   SFWD_DB_URL     PostgreSQL URL of the store, required; a TCP URL with
#                   password, e.g. postgres://sfwd:secret@db:5432/sfwd
#   SFWD_KDB_URL    URL for Kamailio's own database modules (presence,
#                   auth_db)                       [SFWD_DB_URL]
#   SFWD_SIP_ADDR   SIP listen address             [the container's first
#                   IPv4 address (hostname -I), else 127.0.0.1]
#   SFWD_SIP_PORT   SIP port, UDP and TCP          [5060]
#   SFWD_MSRP_PORT  MSRP retrieval port (TCP, on SFWD_SIP_ADDR) [2855]
#   SFWD_NO_AUTH    non-empty: no digest authentication of REGISTER and
#                   MESSAGE (-A SFWD_NO_AUTH)       []
#   SFWD_CFG        configuration file             [/etc/sfwd/kamailio.cfg]
#   SFWD_RUNDIR     RPC socket (kamailio_ctl) and JSON-RPC FIFO folder
#                   [/run/kamailio; kamcmd's default]
#   SFWD_SHM_MB, SFWD_PKG_MB  shared and per-process memory [64, 8]
#   SFWD_USER       user Kamailio runs as after binding its sockets
#                   [kamailio; empty: stays root]
#
# Arguments are passed on to kamailio (e.g. -A SFWD_STORED_NOTICE), except:
#   schema          prints the SQL that makes an empty database ready
#                   (sfwd's tables, then Kamailio's standard, presence and
#                   auth_db tables)
#   check           checks the configuration (kamailio -c) and exits
set -euo pipefail

log() { echo "sfwd-container: $*" >&2; }

if [ "${1:-}" = schema ]; then
	cat /usr/share/kamailio-sfwd/sql/sfwd-create.sql
	for f in standard presence auth_db; do
		cat "/usr/share/kamailio/postgres/$f-create.sql"
	done
	exit 0
fi

check=0
if [ "${1:-}" = check ]; then
	check=1
	shift
fi

addr=${SFWD_SIP_ADDR:-}
if [ -z "$addr" ]; then
	addr=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 -E '^[0-9.]+$' || true)
	addr=${addr:-127.0.0.1}
fi
port=${SFWD_SIP_PORT:-5060}
msrp_port=${SFWD_MSRP_PORT:-2855}
cfg=${SFWD_CFG:-/etc/sfwd/kamailio.cfg}
rundir=${SFWD_RUNDIR:-/run/kamailio}
rundir=${rundir%/}
user=${SFWD_USER-kamailio}

if [ -z "${SFWD_DB_URL:-}" ] && [ $check -eq 0 ]; then
	log "SFWD_DB_URL is not set (e.g. postgres://sfwd:secret@db:5432/sfwd)"
	exit 2
fi
db_url=${SFWD_DB_URL:-postgres://sfwd@127.0.0.1/sfwd}
kdb_url=${SFWD_KDB_URL:-$db_url}
case "$db_url$kdb_url" in
*'"'*)
	log "database URLs must not contain a double quote"
	exit 2
	;;
esac

args=(-f "$cfg" -E -DD -Y "$rundir" -P "$rundir/kamailio.pid"
	-m "${SFWD_SHM_MB:-64}" -M "${SFWD_PKG_MB:-8}"
	-A "SFWD_SIP_ADDR=$addr" -A "SFWD_SIP_PORT=$port"
	-A "SFWD_MSRP_LISTEN=\"$addr:$msrp_port\""
	-A "SFWD_CTL=\"unix:$rundir/kamailio_ctl\"" -A "SFWD_RUNDIR=\"$rundir/\""
	-A "SFWD_DB_URL=\"$db_url\"" -A "SFWD_KDB_URL=\"$kdb_url\"")
[ -n "${SFWD_NO_AUTH:-}" ] && args+=(-A SFWD_NO_AUTH)

if [ $check -eq 1 ]; then
	exec kamailio -c "${args[@]}" "$@"
fi

mkdir -p "$rundir"
rm -f "$rundir/kamailio_ctl" "$rundir/kamailio.pid"
if [ -n "$user" ] && [ "$user" != root ]; then
	chown "$user:" "$rundir"
	args+=(-u "$user" -g "$(id -gn "$user")")
fi

log "kamailio $(kamailio -v | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p')," \
	"cfg $cfg, SIP udp/tcp $addr:$port, MSRP $addr:$msrp_port," \
	"RPC unix:$rundir/kamailio_ctl${user:+, user $user}"
exec kamailio "${args[@]}" "$@"
