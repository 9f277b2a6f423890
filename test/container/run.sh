#!/usr/bin/env bash
# `make test-container`: the sfwd image, built from nothing but Debian
# packages, against the core SIPp scenario. Builds a base image and the sfwd
# image (etc/container/Containerfile) under tags of its own, starts a
# private PostgreSQL on the host's loopback, runs the image with
# --network host and checks: the image's schema, 202 on store, the stored
# rows, sfwd.list/sfwd.stats over RPC (podman exec, and the host's kamcmd on
# the mounted socket), the stored messages delivered to a SIPp recipient
# after it registers, the queue empty after, the events in the container's
# log (stderr), and a clean exit on SIGTERM. Loopback only, every wait
# bounded. On exit, also on failure, it removes the container, both images
# and the database it made: nothing is cached, every run builds as on a
# fresh machine (make image keeps its own images). Runs as root (sudo).
#
# Environment (defaults): SFWD_CT_SIP_PORT [45060] (SIPp uses +11 to +13),
# SFWD_CT_MSRP_PORT [45090], SFWD_CT_PG_PORT [55633],
# SFWD_CT_VAR [var/container/test].
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
VAR=${SFWD_CT_VAR:-$TOP/var/container/test}
# the image is made in our own folder, not make image's
export CT_WORK=$VAR
# the e2e harness' checks (e2e_ok/e2e_fail/e2e_eq/e2e_check), SQL (e2e_q),
# SIPp runs and waits, on this test's own address, ports, database and folder
. "$TOP/test/e2e/lib.sh"
. "$TOP/scripts/container-lib.sh"

E2E_ADDR=127.0.0.1
E2E_SIP_PORT=${SFWD_CT_SIP_PORT:-45060}
E2E_MSRP_PORT=${SFWD_CT_MSRP_PORT:-45090}
E2E_PG_PORT=${SFWD_CT_PG_PORT:-55633}
E2E_PGDIR=$VAR/pg
E2E_DB=sfwd_ct
# shellcheck disable=SC2034 # the harness' (test/e2e/lib.sh)
E2E_SIPP_TIMEOUT=30
# shellcheck disable=SC2034 # the harness' (test/e2e/lib.sh)
T_DIR=$VAR
N=3
BOB_PORT=$((E2E_SIP_PORT + 11))
RUN_ID=$(date +%s)-$$
BASE=localhost/sfwd-test-base:$RUN_ID
IMAGE=localhost/sfwd-test:$RUN_ID
CTR=sfwd-test-$RUN_ID
# the RPC socket's folder, mounted into the container: a short path (unix
# socket paths must fit in 107 bytes)
RUNDIR=
made_base=0
made_image=0
made_ctr=0
interrupted=0

# stop here: the checks after this one cannot run
fatal() {
	e2e_fail "$*"
	finish
}

cleanup() {
	e2e_uas_stop
	if [ $made_ctr = 1 ]; then
		podman logs "$CTR" >"$VAR/kamailio.log" 2>&1
		podman rm -f -t 0 "$CTR" >/dev/null 2>&1
	fi
	[ $made_image = 1 ] && podman rmi -f "$IMAGE" >/dev/null 2>&1
	[ $made_base = 1 ] && podman rmi -f "$BASE" >/dev/null 2>&1
	sf_pg_destroy "$E2E_PGDIR" >/dev/null 2>&1
	[ -n "$RUNDIR" ] && rm -rf "$RUNDIR"
	rm -rf "$VAR/rootfs" "$VAR/context"
	# what this run made, if anything is left
	podman ps -a --format '{{.Names}}' 2>/dev/null | grep -qx "$CTR" &&
		echo "container: warning: container $CTR is left"
	podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null |
		grep -E -x "($IMAGE|$BASE)" | sed 's/^/container: warning: image left: /'
}

finish() {
	trap - EXIT
	cleanup
	echo "container: $E2E_CHECKS checks in $(($(date +%s) - t_start)) s, logs in $VAR"
	[ $interrupted = 1 ] && echo "container: interrupted"
	if [ "$E2E_CHECKS" -gt 0 ] && [ "$E2E_FAILED" -eq 0 ] && [ $interrupted = 0 ]; then
		echo "PASS test-container: $E2E_CHECKS checks"
		exit 0
	fi
	echo "FAIL test-container: $E2E_FAILED of $E2E_CHECKS checks failed"
	exit 1
}

# debootstrap and podman run as root
if [ "$(id -u)" -ne 0 ]; then
	exec sudo -E "$0" "$@"
fi
t_start=$(date +%s)
# a cluster left by an earlier run that was killed
sf_pg_destroy "$E2E_PGDIR" >/dev/null 2>&1
rm -rf "$VAR"
mkdir -p "$VAR"
trap finish EXIT
trap 'interrupted=1; exit 130' INT TERM

ct_deps || fatal "podman, runc and debootstrap installed and working"

echo "== image from Debian packages only"
t0=$(date +%s)
made_base=1
ct_base_image "$BASE" || fatal "base image made by debootstrap"
t_base=$(($(date +%s) - t0))
e2e_ok "base image $BASE (debootstrap minbase, podman import) in $t_base s"
t0=$(date +%s)
made_image=1
ct_build_image "$IMAGE" "$BASE" || fatal "sfwd image built"
t_build=$(($(date +%s) - t0))
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
e2e_ok "image $IMAGE built in $t_build s, $((size / 1000000)) MB"
deb=$(ls "$TOP"/var/deb/kamailio-sfwd-module_*.deb 2>/dev/null | head -n 1)
deb_ver=$(dpkg-deb -f "$deb" Version 2>/dev/null)
e2e_eq "sfwd came from its Debian package (make deb), installed by apt" \
	"install ok installed $deb_ver" \
	"$(podman run --rm --entrypoint dpkg-query "$IMAGE" -W -f '${Status} ${Version}' kamailio-sfwd-module 2>&1)"
e2e_eq "... which depends on exactly the image's kamailio" \
	"$(podman run --rm --entrypoint dpkg-query "$IMAGE" -W -f '${Version}' kamailio 2>&1)" \
	"$(dpkg-deb -f "$deb" Depends | sed -n 's/.*kamailio (= \([^)]*\)).*/\1/p')"
# dpkg -r in a throwaway container: nothing of the package is left (it
# has no conffiles)
e2e_check "dpkg -r kamailio-sfwd-module leaves none of its files" podman run --rm \
	--entrypoint /bin/sh "$IMAGE" -c 'files=$(dpkg-query -L kamailio-sfwd-module |
		while read -r f; do [ -f "$f" ] && echo "$f"; done)
		[ -n "$files" ] && dpkg -r kamailio-sfwd-module >/dev/null 2>&1 &&
		for f in $files; do [ ! -e "$f" ] || { echo "left: $f"; exit 1; }; done &&
		! dpkg-query -W -f="\${Status}" kamailio-sfwd-module 2>/dev/null | grep -q "^install ok"' 
e2e_check "runtime stage: no compiler, no apt lists" podman run --rm \
	--entrypoint /bin/sh "$IMAGE" -c \
	'! command -v gcc && ! command -v make && [ -z "$(ls /var/lib/apt/lists | grep -v -e ^lock -e ^partial)" ]'
podman run --rm "$IMAGE" schema >"$VAR/schema.sql" 2>&1
e2e_check "schema prints sfwd's and Kamailio's tables" \
	grep -q 'CREATE TABLE sfwd_message' "$VAR/schema.sql"
e2e_check "... with auth_db's subscriber" grep -q 'CREATE TABLE subscriber' "$VAR/schema.sql"
podman run --rm "$IMAGE" >"$VAR/no-url.out" 2>&1
e2e_eq "without SFWD_DB_URL the container exits 2" 2 $?
e2e_check "... saying why" grep -q 'SFWD_DB_URL is not set' "$VAR/no-url.out"

echo "== PostgreSQL on 127.0.0.1:$E2E_PG_PORT, Kamailio in the container"
sf_pg_destroy "$E2E_PGDIR"
sf_pg_start "$E2E_PGDIR" "$E2E_PG_PORT" || fatal "PostgreSQL started"
sf_pg_schema "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" 1 || fatal "schema applied"
DB_URL=$(sf_kdb_url "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB") || fatal "database URL"
# the image's own schema makes an empty database as sf_pg_schema does
sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" postgres -c "CREATE DATABASE ${E2E_DB}_schema" >/dev/null &&
	sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "${E2E_DB}_schema" -f - <"$VAR/schema.sql" \
		>/dev/null 2>"$VAR/schema.err"
e2e_eq "the image's schema applies to an empty database" 0 $?
tables() {
	sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "$1" -tAc "SELECT string_agg(tablename, ' '
		ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'"
}
e2e_eq "... with the same tables" "$(tables "$E2E_DB")" "$(tables "${E2E_DB}_schema")"
e2e_user alice alices-secret >/dev/null || fatal "user alice added"
e2e_user bob bobs-secret >/dev/null || fatal "user bob added"

RUNDIR=$(mktemp -d /tmp/sfwd-ct.XXXXXX)
made_ctr=1
podman run -d --name "$CTR" --network host \
	--ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
	-v "$RUNDIR:/run/kamailio" \
	-e SFWD_DB_URL="$DB_URL" -e SFWD_SIP_ADDR=$E2E_ADDR \
	-e SFWD_SIP_PORT="$E2E_SIP_PORT" -e SFWD_MSRP_PORT="$E2E_MSRP_PORT" \
	"$IMAGE" -A SFWD_TEST >"$VAR/run.out" 2>&1 ||
	fatal "container started: $(cat "$VAR/run.out")"
rpc() { podman exec "$CTR" kamcmd "$@" 2>&1; }
up=0
for ((i = 0; i < 100; i++)); do
	if rpc core.uptime >/dev/null; then
		up=1
		break
	fi
	[ "$(podman inspect --format '{{.State.Running}}' "$CTR")" = true ] || break
	sleep 0.2
done
if [ $up = 0 ]; then
	podman logs "$CTR" 2>&1 | tail -n 20
	fatal "Kamailio in the container answers RPC"
fi
e2e_ok "Kamailio in the container answers RPC (podman exec kamcmd)"
e2e_eq "Kamailio is the container's PID 1" kamailio \
	"$(podman exec "$CTR" cat /proc/1/comm 2>&1)"
e2e_eq "... running as user kamailio" kamailio \
	"$(podman exec "$CTR" stat -c %U /proc/1 2>&1)"

echo "== store: $N MESSAGEs from alice to bob, who is offline"
e2e_check "alice's $N MESSAGEs end (digest authenticated)" e2e_sipp alice \
	"$E2E_SIPP_DIR/message.xml" -s bob -au alice -ap alices-secret -m $N \
	-p $((E2E_SIP_PORT + 12))
e2e_eq "each got 202 Accepted (Stored)" $N \
	"$(tr -d '\r' <"$VAR/alice.msg" | grep -c '^SIP/2.0 202 ')"
e2e_eq "$N rows for bob in PostgreSQL" $N "$(e2e_rows bob)"
e2e_eq "... with alice's text" $N "$(e2e_q "SELECT count(*) FROM sfwd_message
	WHERE from_uri LIKE 'sip:alice@%' AND convert_from(body, 'UTF8') LIKE
	'hello from sfwd''s example, message %'")"
rpc sfwd.list "bob@$E2E_ADDR" >"$VAR/list"
e2e_eq "sfwd.list bob@$E2E_ADDR (podman exec kamcmd): $N" $N "$(grep -c 'id:' "$VAR/list")"
rpc sfwd.stats >"$VAR/stats"
e2e_check "sfwd.stats: $N queued" grep -q "queued: $N\$" "$VAR/stats"
e2e_check "sfwd.stats: database up" grep -q 'database: up' "$VAR/stats"
kamcmd -s "unixs:$RUNDIR/kamailio_ctl" sfwd.stats >"$VAR/stats-host" 2>&1
e2e_check "sfwd.stats on the mounted socket (host kamcmd)" \
	grep -q "queued: $N\$" "$VAR/stats-host"

echo "== deliver: bob registers (digest authenticated)"
# (bob.txt: the MESSAGEs bob's recipient got)
e2e_delivery bob "$BOB_PORT" $N 30 -au bob -ap bobs-secret
e2e_eq "delivered $N" $N "$(grep -c '^MESSAGE sip:bob@' "$VAR/bob.txt")"
e2e_eq "... from alice, with her text" $N \
	"$(grep -c "^hello from sfwd's example, message [0-9]*\$" "$VAR/bob.txt")"
e2e_eq "... each with the Date it was stored" $N "$(grep -c '^Date: ' "$VAR/bob.txt")"
e2e_drained "queue empty after delivery" 5 e2e_rows bob
e2e_eq "sfwd.list bob@$E2E_ADDR: nothing" 0 "$(rpc sfwd.list "bob@$E2E_ADDR" | grep -c 'id:')"
e2e_check "sfwd.stats: 0 queued" grep -q 'queued: 0$' <(rpc sfwd.stats)
podman logs "$CTR" >"$VAR/kamailio-running.log" 2>&1
e2e_eq "the log (stderr) has $N stored events" $N \
	"$(grep -c '{"sfwd":"stored"' "$VAR/kamailio-running.log")"
e2e_eq "... and $N delivered events" $N \
	"$(grep -c '{"sfwd":"delivered",.*"code":200}' "$VAR/kamailio-running.log")"
# (at shutdown, TCP workers may log "receive_fd(): EOF": Kamailio's own)
e2e_check "no errors in the log until then" \
	bash -c "! grep -E ' (ERROR|CRITICAL|ALERT): ' '$VAR/kamailio-running.log'"

echo "== SIGTERM: podman stop"
t0=$(date +%s%N)
podman stop -t 20 "$CTR" >/dev/null 2>&1
stop_ms=$((($(date +%s%N) - t0) / 1000000))
e2e_eq "Kamailio exited 0 on SIGTERM (not killed)" 0 \
	"$(podman inspect --format '{{.State.ExitCode}}' "$CTR")"
e2e_check "... in ${stop_ms} ms, well before the 20 s SIGKILL" [ $stop_ms -lt 15000 ]
podman logs "$CTR" >"$VAR/kamailio.log" 2>&1
e2e_check "... through its own shutdown (main process' last words)" \
	grep -q 'handle_sigs(): Thank you for flying kamailio' "$VAR/kamailio.log"
echo "container: times: base image ${t_base} s, sfwd image ${t_build} s"
finish
