# shellcheck shell=bash
# sfwd - shell helpers shared by `make run` (scripts/sfwd-run.sh), the
# end-to-end tests (test/e2e) and the benchmark: a private PostgreSQL
# cluster and a Kamailio instance, both on loopback, both with bounded waits.
#
# Source it; it defines functions only (and SF_TOP, the repo's top folder).

SF_TOP=${SF_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SF_KAM_MODDIR=${SF_KAM_MODDIR:-$(dirname "$(dpkg -L kamailio 2>/dev/null |
	grep -m1 '/kamailio/modules/tm.so$')" 2>/dev/null)}
SF_KAM_SQL=${SF_KAM_SQL:-/usr/share/kamailio/postgres}

sf_log() { echo "sfwd: $*" >&2; }

# the PostgreSQL server binaries (initdb, pg_ctl), newest major first
sf_pg_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || { sf_log "no PostgreSQL server installed"; return 1; }
	echo "$d"
}

# PostgreSQL refuses to run as root: run its tools as "postgres" then.
sf_pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# sf_pg_real DIR: the folder the server really uses for DIR. As root the
# server runs as "postgres", which may not reach DIR (a clone under /root);
# a long DIR would also overflow the unix socket path. Then the cluster
# lives under /var/tmp and DIR is a link to it.
sf_pg_real() {
	local dir=$1 real
	if [ -L "$dir" ]; then
		readlink -f "$dir"
		return
	fi
	mkdir -p "$(dirname "$dir")"
	if { [ "$(id -u)" -eq 0 ] &&
		! runuser -u postgres -- test -x "$(dirname "$dir")" 2>/dev/null; } ||
		[ ${#dir} -gt 70 ]; then
		real=/var/tmp/sfwd-pg-$(printf %s "$dir" | md5sum | cut -c1-12)
		# no link: whatever is there belongs to a removed clone
		rm -rf "$real"
		mkdir -p "$real"
		ln -sfn "$real" "$dir"
		echo "$real"
	else
		mkdir -p "$dir"
		echo "$dir"
	fi
}

# sf_pg_destroy DIR: stop the cluster and remove it (and the link)
sf_pg_destroy() {
	local dir=$1
	sf_pg_stop "$dir"
	if [ -L "$dir" ]; then
		rm -rf "$(readlink -f "$dir")"
	fi
	rm -rf "$dir"
}

# sf_pg_start DIR PORT: create (once) and start a cluster in DIR that
# listens on 127.0.0.1:PORT and on a unix socket in DIR/run. Durable:
# fsync and synchronous_commit stay on.
sf_pg_start() {
	local dir port=$2 bin
	dir=$(sf_pg_real "$1") || return 1
	bin=$(sf_pg_bindir) || return 1
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		sf_pg_as "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 \
			--locale=C --auth-local=trust --auth-host=scram-sha-256 \
			>"$dir/initdb.log" 2>&1 ||
			{ sf_log "initdb failed, see $dir/initdb.log"; return 1; }
		sf_pg_as mkdir -p "$dir/run"
		sf_pg_as tee -a "$dir/data/postgresql.conf" >/dev/null <<-EOF
			# sfwd: private cluster on loopback only
			listen_addresses = '127.0.0.1'
			unix_socket_directories = '$dir/run'
			fsync = on
			synchronous_commit = on
			max_connections = 200
			shared_buffers = 128MB
			log_min_messages = warning
		EOF
	fi
	if sf_pg_as "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		return 0
	fi
	sf_pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
		-o "-p $port" -w -t 60 start >/dev/null ||
		{ sf_log "PostgreSQL did not start, see $dir/postgres.log"; return 1; }
}

sf_pg_running() {
	[ -e "$1" ] || return 1
	sf_pg_as "$(sf_pg_bindir)/pg_ctl" -D "$(readlink -f "$1")/data" status \
		>/dev/null 2>&1
}

sf_pg_stop() {
	local dir bin
	[ -e "$1" ] || return 0
	dir=$(readlink -f "$1")
	bin=$(sf_pg_bindir) || return 1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	sf_pg_as "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
		sf_pg_as "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop \
			>/dev/null 2>&1 || true
}

# sf_psql DIR PORT [DB] [psql args...]: a superuser psql on the socket
sf_psql() {
	local dir port=$2 db=${3:-postgres}
	dir=$(readlink -f "$1")
	shift 3
	sf_pg_as psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" \
		-U postgres -d "$db" "$@"
}

# sf_pg_upgrade DIR PORT DB: apply etc/sql/sfwd-upgrade-<v>-<v+1>.sql from
# the database's schema version up to sfwd-create.sql's; fails when a step
# is missing or fails
sf_pg_upgrade() {
	local dir=$1 port=$2 db=$3 have want f
	want=$(sed -n 's/^INSERT INTO sfwd_version (version) VALUES (\([0-9]*\));/\1/p' \
		"$SF_TOP/etc/sql/sfwd-create.sql")
	have=$(sf_psql "$dir" "$port" "$db" -tAc "SELECT max(version) FROM sfwd_version" \
		2>/dev/null) || return 1
	[ -n "$want" ] && [ -n "$have" ] || return 1
	while [ "$have" -lt "$want" ]; do
		f=$SF_TOP/etc/sql/sfwd-upgrade-$have-$((have + 1)).sql
		[ -f "$f" ] || return 1
		sf_log "upgrading database $db: $(basename "$f")"
		sf_pg_as psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" \
			-U "$db" -d "$db" <"$f" >/dev/null || return 1
		have=$((have + 1))
	done
	[ "$have" = "$want" ]
}

# sf_pg_schema DIR PORT DB [reset]: create role and database DB (owner DB)
# once and apply etc/sql/sfwd-create.sql to it. The database's comment
# records the file's checksum: when the file has changed since, a test
# database (reset=1) is made anew; otherwise the upgrade scripts bring it to
# the current version, or a warning says they could not.
sf_pg_schema() {
	local dir port=$2 db=$3 reset=${4:-0} sum have
	dir=$(readlink -f "$1")
	sum=$(md5sum <"$SF_TOP/etc/sql/sfwd-create.sql" | cut -c1-32)
	if [ -z "$(sf_psql "$dir" "$port" postgres -tAc \
		"SELECT 1 FROM pg_roles WHERE rolname = '$db'")" ]; then
		sf_psql "$dir" "$port" postgres -c "CREATE ROLE \"$db\" LOGIN" || return 1
	fi
	have=$(sf_psql "$dir" "$port" postgres -tAc "SELECT coalesce(shobj_description(oid, \
		'pg_database'), '-') FROM pg_database WHERE datname = '$db'")
	if [ -n "$have" ] && [ "$have" != "sfwd-create.sql $sum" ]; then
		if [ "$reset" = 1 ]; then
			sf_psql "$dir" "$port" postgres -c "DROP DATABASE \"$db\" WITH (FORCE)" ||
				return 1
			have=
		elif sf_pg_upgrade "$dir" "$port" "$db"; then
			sf_psql "$dir" "$port" postgres -c \
				"COMMENT ON DATABASE \"$db\" IS 'sfwd-create.sql $sum'" || return 1
		else
			sf_log "warning: database $db was made from another etc/sql/sfwd-create.sql;" \
				"drop it (make distclean) if sfwd refuses to start"
		fi
	fi
	if [ -z "$have" ]; then
		sf_psql "$dir" "$port" postgres -c \
			"CREATE DATABASE \"$db\" OWNER \"$db\"" || return 1
		sf_pg_as psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" \
			-U "$db" -d "$db" <"$SF_TOP/etc/sql/sfwd-create.sql" >/dev/null ||
			{ sf_log "schema failed on database $db"; return 1; }
		# Kamailio's own tables for presence (message summaries) and
		# digest authentication, from Debian's packages
		local f
		for f in standard presence auth_db; do
			sf_pg_as psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" \
				-U "$db" -d "$db" <"$SF_KAM_SQL/$f-create.sql" >/dev/null ||
				{ sf_log "$f-create.sql failed on database $db"; return 1; }
		done
		sf_psql "$dir" "$port" postgres -c \
			"COMMENT ON DATABASE \"$db\" IS 'sfwd-create.sql $sum'" || return 1
	fi
}

# sf_pg_password DIR DB: the role's password for TCP logins (Kamailio's
# own database modules cannot use a unix socket), made once per cluster
sf_pg_password() {
	local dir pw
	dir=$(readlink -f "$1")
	pw=$dir/password-$2
	if [ ! -s "$pw" ]; then
		(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$pw")
	fi
	cat "$pw"
}

# sf_kdb_url DIR PORT DB: the URL for Kamailio's database modules (TCP)
sf_kdb_url() {
	local pw
	pw=$(sf_pg_password "$1" "$3")
	sf_psql "$1" "$2" postgres -c \
		"ALTER ROLE \"$3\" PASSWORD '$pw'" >/dev/null || return 1
	echo "postgres://$3:$pw@127.0.0.1:$2/$3"
}

# the libpq URI the module uses for database DB of the cluster in DIR
sf_db_url() {
	local dir port=$2 db=$3
	dir=$(readlink -f "$1")
	echo "postgres:///$db?host=$dir/run&port=$port&user=$db"
}

# sf_kam_start RUNDIR CFG [-A DEFINE ...]: start Kamailio detached with its
# RPC socket at RUNDIR/kamailio_ctl, logs to RUNDIR/kamailio.log; waits
# (bounded) until it answers RPC.
# SFWD_ASAN=1 (make test-asan): var/asan/modules/sfwd/sfwd.so instead, gcc's
# ASan runtime preloaded; every process writes ASan's reports to
# ${SFWD_ASAN_LOG:-RUNDIR}/asan.PID. UBSan's go to kamailio.log: its runtime
# (libubsan, loaded with sfwd.so) ignores log_path, as its
# __sanitizer_set_report_path binds to libasan's
sf_kam_start() {
	local rundir=$1 cfg=$2 i san=() mpath=$SF_TOP/modules:$SF_KAM_MODDIR
	shift 2
	mkdir -p "$rundir"
	rm -f "$rundir/kamailio.pid" "$rundir/kamailio_ctl"
	if [ -n "${SFWD_ASAN:-}" ]; then
		local log=${SFWD_ASAN_LOG:-$rundir}
		[ -f "$SF_TOP/var/asan/modules/sfwd/sfwd.so" ] ||
			{ sf_log "no var/asan/modules/sfwd/sfwd.so: make module-asan"; return 1; }
		mkdir -p "$log"
		mpath=$SF_TOP/var/asan/modules:$mpath
		san=(env "LD_PRELOAD=$(readlink -f "$(gcc -print-file-name=libasan.so)")"
			"ASAN_OPTIONS=detect_leaks=0:log_path=$log/asan"
			"UBSAN_OPTIONS=print_stacktrace=1")
	fi
	setsid "${san[@]}" kamailio -DD -E -f "$cfg" -Y "$rundir" -P "$rundir/kamailio.pid" \
		-m "${SF_KAM_SHM:-64}" -M "${SF_KAM_PKG:-8}" \
		-L "$mpath" \
		-A "SFWD_CTL=\"unix:$rundir/kamailio_ctl\"" \
		-A "SFWD_RUNDIR=\"$rundir/\"" "$@" \
		</dev/null >"$rundir/kamailio.log" 2>&1 &
	echo $! >"$rundir/kamailio.launcher"
	for ((i = 0; i < 100; i++)); do
		if [ -S "$rundir/kamailio_ctl" ] &&
			kamcmd -s "unixs:$rundir/kamailio_ctl" core.uptime >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$(cat "$rundir/kamailio.launcher")" 2>/dev/null || break
		sleep 0.1
	done
	sf_log "Kamailio did not start, last lines of $rundir/kamailio.log:"
	tail -n 20 "$rundir/kamailio.log" >&2
	sf_kam_stop "$rundir"
	return 1
}

# sf_kam_stop RUNDIR: SIGTERM, bounded wait, then SIGKILL of the group
sf_kam_stop() {
	local rundir=$1 pid i
	pid=$(cat "$rundir/kamailio.launcher" 2>/dev/null) || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	rm -f "$rundir/kamailio.launcher"
}

sf_kamcmd() {
	local rundir=$1
	shift
	kamcmd -s "unixs:$rundir/kamailio_ctl" "$@"
}

# sf_pg_standby PRIMARY-DIR PRIMARY-PORT DIR PORT: a streaming standby of the
# (running) cluster in PRIMARY-DIR, in DIR, listening on 127.0.0.1:PORT and
# on a unix socket in DIR/run: pg_basebackup -R over the primary's socket,
# then started (bounded waits). It is no synchronous standby's primary
# itself: synchronous_standby_names is emptied, so that once promoted it
# commits alone.
sf_pg_standby() {
	local pdir ppport=$2 dir port=$4 bin
	pdir=$(readlink -f "$1")
	dir=$(sf_pg_real "$3") || return 1
	bin=$(sf_pg_bindir) || return 1
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	sf_pg_as mkdir -p "$dir/run"
	sf_pg_as timeout 60 "$bin/pg_basebackup" -h "$pdir/run" \
		-p "$ppport" -U postgres -D "$dir/data" -R -X stream -c fast \
		>"$dir/basebackup.log" 2>&1 ||
		{ sf_log "pg_basebackup failed, see $dir/basebackup.log"; return 1; }
	sf_pg_as tee -a "$dir/data/postgresql.conf" >/dev/null <<-EOF2
		# sfwd: streaming standby of $pdir
		unix_socket_directories = '$dir/run'
		hot_standby = on
		synchronous_standby_names = ''
	EOF2
	sf_pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
		-o "-p $port" -w -t 60 start >/dev/null ||
		{ sf_log "standby did not start, see $dir/postgres.log"; return 1; }
}

# sf_pg_promote DIR: promote the standby in DIR (waits, 10 s at most)
sf_pg_promote() {
	sf_pg_as "$(sf_pg_bindir)/pg_ctl" -D "$(readlink -f "$1")/data" -w -t 10 \
		promote >/dev/null
}

# sf_pg_pids DIR: the postmaster's pid and its children's (one line)
sf_pg_pids() {
	local pm
	pm=$(head -n 1 "$(readlink -f "$1")/data/postmaster.pid" 2>/dev/null) || return 1
	echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"
}

# sf_bench_pg DIR PORT: a fresh PostgreSQL for the benchmarks (make bench,
# make bench-reregister): databases bench_sfwd (sfwd's schema) and
# bench_msilo (msilo's table, owned by its role)
sf_bench_pg() {
	sf_pg_destroy "$1"
	sf_pg_start "$1" "$2" || return 1
	sf_pg_schema "$1" "$2" bench_sfwd 1 || return 1
	sf_pg_schema "$1" "$2" bench_msilo 1 || return 1
	sf_pg_as psql -X -q -v ON_ERROR_STOP=1 -h "$(readlink -f "$1")/run" -p "$2" \
		-U bench_msilo -d bench_msilo <"$SF_KAM_SQL/msilo-create.sql" >/dev/null
}
