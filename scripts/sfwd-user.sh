#!/usr/bin/env bash
# Users of `make run`'s private database (digest authentication, table
# subscriber; the password is kept only as ha1 = md5(user:domain:password)).
#
#   scripts/sfwd-user.sh add USER PASSWORD [DOMAIN]   (DOMAIN: SFWD_SIP_ADDR)
#   scripts/sfwd-user.sh del USER [DOMAIN]
#   scripts/sfwd-user.sh list
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PG_PORT=${SFWD_PG_PORT:-55432}
DB=${SFWD_DB:-sfwd}
VAR=${SFWD_VAR:-$SF_TOP/var}
DOMAIN_DEFAULT=${SFWD_SIP_ADDR:-127.0.0.1}
q() { sf_psql "$VAR/pg" "$PG_PORT" "$DB" -v ON_ERROR_STOP=1 "$@"; }
sf_pg_running "$VAR/pg" || { sf_log "PostgreSQL is not running (make start)"; exit 1; }

case "${1:-}" in
add)
	[ $# -ge 3 ] || { echo "usage: $0 add USER PASSWORD [DOMAIN]" >&2; exit 2; }
	q -q -v u="$2" -v p="$3" -v d="${4:-$DOMAIN_DEFAULT}" <<-'SQL'
		INSERT INTO subscriber (username, domain, ha1)
		VALUES (:'u', :'d', md5(:'u' || ':' || :'d' || ':' || :'p'))
		ON CONFLICT (username, domain) DO UPDATE SET ha1 = EXCLUDED.ha1;
	SQL
	echo "user $2@${4:-$DOMAIN_DEFAULT} set"
	;;
del)
	[ $# -ge 2 ] || { echo "usage: $0 del USER [DOMAIN]" >&2; exit 2; }
	q -q -v u="$2" -v d="${3:-$DOMAIN_DEFAULT}" <<-'SQL'
		DELETE FROM subscriber WHERE username = :'u' AND domain = :'d';
	SQL
	;;
list)
	q -c "SELECT username, domain FROM subscriber ORDER BY 2, 1"
	;;
*)
	echo "usage: $0 add|del|list ..." >&2
	exit 2
	;;
esac
