# shellcheck shell=bash
# sfwd end-to-end test harness: a private PostgreSQL (shared by the tests of
# one run, started here when the suite runner did not), a Kamailio per test,
# SIPp as the peer; loopback only, every wait bounded, everything stopped on
# exit, also on failure.
#
# A test is a folder test/e2e/tNNN_name/ with run.sh (and its cfg and SIPp
# scenarios). run.sh sources this file, calls e2e_begin, then checks with
# e2e_ok/e2e_fail/e2e_eq, and ends with e2e_end (its exit status).

set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SF_TOP=$(cd "$E2E_DIR/../.." && pwd)
. "$SF_TOP/scripts/lib.sh"

E2E_ADDR=${SFWD_TEST_ADDR:-127.0.0.1}
E2E_SIP_PORT=${SFWD_TEST_SIP_PORT:-25060}
E2E_PG_PORT=${SFWD_TEST_PG_PORT:-55433}
# kept short: unix socket paths (RPC, PostgreSQL) must fit in 107 bytes
if [ -z "${SFWD_TEST_VAR:-}" ] && [ ${#SF_TOP} -gt 50 ]; then
	SFWD_TEST_VAR=/tmp/sfwd-test-$(printf %s "$SF_TOP" | md5sum | cut -c1-8)
fi
E2E_VAR=${SFWD_TEST_VAR:-$SF_TOP/var/test}
E2E_PGDIR=$E2E_VAR/pg
E2E_DB=${SFWD_TEST_DB:-sfwd_test}
E2E_MSRP_PORT=${SFWD_TEST_MSRP_PORT:-$((E2E_SIP_PORT + 30))}
E2E_SIPP_TIMEOUT=${SFWD_TEST_SIPP_TIMEOUT:-30}
E2E_SIPP_DIR=$SF_TOP/test/sipp

# the checks made so far and how many of them failed (read only)
E2E_CHECKS=0
E2E_FAILED=0
_e2e_own_pg=0
_e2e_kams=()

# e2e_begin: a fresh work folder T_DIR for the calling test
e2e_begin() {
	T_NAME=$(basename "$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)")
	T_SRC=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
	T_DIR=$E2E_VAR/$T_NAME
	rm -rf "$T_DIR"
	mkdir -p "$T_DIR"
	trap '_e2e_cleanup' EXIT
	trap 'exit 130' INT TERM
	if [ -z "${SFWD_TEST_PG_UP:-}" ]; then
		sf_pg_start "$E2E_PGDIR" "$E2E_PG_PORT" || {
			echo "FAIL $T_NAME: PostgreSQL did not start"
			exit 1
		}
		_e2e_own_pg=1
	fi
	sf_pg_schema "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" 1 || exit 1
	E2E_DB_URL=$(sf_db_url "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB")
	E2E_KDB_URL=$(sf_kdb_url "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB") || exit 1
	# the example cfg stores only for local subscribers: the usual
	# recipients exist (password "<name>s-secret"); mallory does not
	e2e_users alice bob carol dave erin frank hangbob t013bob t014bob t015bob
	# each test starts with an empty store, no profiles and no watchers of
	# an earlier test (presence would NOTIFY their ports)
	sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" -q -c \
		"DELETE FROM sfwd_message; DELETE FROM sfwd_profile;
		DELETE FROM active_watchers; DELETE FROM watchers; DELETE FROM presentity"
}

# e2e_q SQL: one query on the test database, rows unaligned, no header
e2e_q() {
	sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" -tAc "$1"
}

# e2e_until TENTHS CMD...: run CMD every 0.1 s until it succeeds, at most
# TENTHS times; its status is the last run's
e2e_until() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# e2e_wait_port PORT: wait (5 s at most) until a peer listens on UDP or
# TCP PORT of the test address
e2e_wait_port() {
	e2e_until 50 eval "[ -n \"\$(ss -Hlun 'sport = :$1'; ss -Hltn 'sport = :$1')\" ]"
}

# e2e_users NAME...: subscribers NAME with password NAMEs-secret
e2e_users() {
	local u values=
	for u in "$@"; do
		values+="${values:+,}('$u', '$E2E_ADDR', md5('$u:$E2E_ADDR:${u}s-secret'))"
	done
	sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" -q -c \
		"INSERT INTO subscriber (username, domain, ha1) VALUES $values
		ON CONFLICT (username, domain) DO UPDATE SET ha1 = EXCLUDED.ha1"
}

# e2e_on_exit CMD: run CMD (eval'd) at exit, before the harness cleanup
_e2e_at_exit=()
e2e_on_exit() {
	_e2e_at_exit+=("$1")
}

_e2e_cleanup() {
	local r
	for r in "${_e2e_at_exit[@]}"; do
		eval "$r" >/dev/null 2>&1
	done
	e2e_uas_stop
	for r in "${_e2e_kams[@]}"; do
		sf_kam_stop "$r"
	done
	[ "$_e2e_own_pg" = 1 ] && sf_pg_stop "$E2E_PGDIR"
}

# e2e_kam NAME CFG [-A DEFINE ...]: start Kamailio NAME on the test port;
# without digest authentication of REGISTER/MESSAGE unless E2E_AUTH=1
e2e_kam() {
	local name=$1 cfg=$2
	shift 2
	[ "${E2E_AUTH:-0}" = 1 ] || set -- -A SFWD_NO_AUTH "$@"
	_e2e_kams+=("$T_DIR/$name")
	sf_kam_start "$T_DIR/$name" "$cfg" \
		-A "SFWD_SIP_ADDR=$E2E_ADDR" -A "SFWD_SIP_PORT=$E2E_SIP_PORT" \
		-A "SFWD_DB_URL=\"$E2E_DB_URL\"" -A "SFWD_KDB_URL=\"$E2E_KDB_URL\"" \
		-A "SFWD_MSRP_LISTEN=\"$E2E_ADDR:$E2E_MSRP_PORT\"" "$@"
}

# e2e_kam_example [-A DEFINE ...]: Kamailio "kam" with etc/kamailio.cfg and
# SFWD_TEST, then an empty store; the test ends (failed) when it does not start
e2e_kam_example() {
	e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST "$@" || e2e_fatal "Kamailio started"
	e2e_q "DELETE FROM sfwd_message" >/dev/null
}

e2e_kam_stop() {
	sf_kam_stop "$T_DIR/$1"
}

# e2e_user NAME PASSWORD: a subscriber for digest authentication (ha1)
e2e_user() {
	sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" -q -c \
		"INSERT INTO subscriber (username, domain, ha1) VALUES ('$1', '$E2E_ADDR',
		md5('$1:$E2E_ADDR:$2')) ON CONFLICT (username, domain) DO UPDATE
		SET ha1 = EXCLUDED.ha1"
}

# e2e_sipp LOGNAME SCENARIO [sipp args...]: one bounded SIPp run against
# the test Kamailio; messages in $T_DIR/LOGNAME.msg, errors in .err;
# returns SIPp's exit status
e2e_sipp() {
	local log=$1 scen=$2
	shift 2
	timeout $((E2E_SIPP_TIMEOUT + 10)) sipp -sf "$scen" -i "$E2E_ADDR" \
		-nostdin -timeout "${E2E_SIPP_TIMEOUT}s" -timeout_error \
		-trace_msg -message_file "$T_DIR/$log.msg" \
		-trace_err -error_file "$T_DIR/$log.err" \
		"$@" "$E2E_ADDR:$E2E_SIP_PORT" >"$T_DIR/$log.out" 2>&1
}

e2e_ok() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	echo "  ok   $*"
}

e2e_fail() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	E2E_FAILED=$((E2E_FAILED + 1))
	echo "  FAIL $*"
}

# e2e_fatal WHAT: a failed check after which the others cannot run: the
# test ends here
e2e_fatal() {
	e2e_fail "$*"
	e2e_end
}

# e2e_eq WHAT EXPECTED GOT
e2e_eq() {
	if [ "$2" = "$3" ]; then
		e2e_ok "$1"
	else
		e2e_fail "$1: expected '$2', got '$3'"
	fi
}

# e2e_check WHAT COMMAND...: passes when the command succeeds
e2e_check() {
	local what=$1
	shift
	if "$@"; then
		e2e_ok "$what"
	else
		e2e_fail "$what"
	fi
}

e2e_end() {
	if [ "$E2E_CHECKS" -eq 0 ]; then
		echo "FAIL $T_NAME: no checks ran"
		exit 1
	fi
	if [ "$E2E_FAILED" -gt 0 ]; then
		echo "FAIL $T_NAME: $E2E_FAILED of $E2E_CHECKS checks failed (logs: $T_DIR)"
		exit 1
	fi
	echo "PASS $T_NAME: $E2E_CHECKS checks"
	exit 0
}

# e2e_request_xml OUT METHOD "HEADER|HEADER" CONTENT-TYPE BODY-FILE CODE
# writes a SIPp scenario to OUT: one request from alice to [service] (extra
# header lines separated by "|"), then the final reply CODE (an INVITE is
# ACKed; a 100 may come first)
e2e_request_xml() {
	local out=$1 method=$2 hdrs=$3 ctype=$4 bodyf=$5 code=$6 ack=""
	[ "$method" = INVITE ] && ack=$(cat <<-EOF
		<send>
		  <![CDATA[
		    ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
		    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
		    From: <sip:alice@[local_ip]>;tag=[pid]SIPpTag00[call_number]
		    To: <sip:[service]@[remote_ip]>[peer_tag_param]
		    Call-ID: [call_id]
		    CSeq: 1 ACK
		    Max-Forwards: 70
		    Content-Length: 0

		  ]]>
		</send>
	EOF
	)
	{
		cat <<-EOF
			<?xml version="1.0" encoding="ISO-8859-1" ?>
			<scenario name="t002 case">
			<send retrans="500">
			<![CDATA[
			$method sip:[service]@[remote_ip]:[remote_port] SIP/2.0
			Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
			From: <sip:alice@[local_ip]>;tag=[pid]SIPpTag00[call_number]
			To: <sip:[service]@[remote_ip]>
			Call-ID: [call_id]
			CSeq: 1 $method
			Contact: <sip:alice@[local_ip]:[local_port]>
			Max-Forwards: 70
		EOF
		[ -n "$hdrs" ] && tr '|' '\n' <<<"$hdrs"
		[ -n "$ctype" ] && echo "Content-Type: $ctype"
		echo "Content-Length: [len]"
		echo
		[ -n "$bodyf" ] && cat "$bodyf"
		echo "]]>"
		echo "</send>"
		echo "<recv response=\"100\" optional=\"true\"/>"
		echo "<recv response=\"$code\"/>"
		echo "$ack"
		echo "</scenario>"
	} >"$out"
}


# e2e_sipp_log FILE...: one line per logged SIP message of SIPp -trace_msg logs:
# DIR SECONDS CALL-ID TOP-VIA-BRANCH TOP-VIA-SENT-BY RETRY-AFTER FIRST-LINE
e2e_sipp_log() {
	cat "$@" 2>/dev/null | tr -d '\r' | awk '
	function out() {
		if (first != "")
			printf "%s %.6f %s %s %s %d %s\n", dir, ts, (cid == "" ? "-" : cid),
				(br == "" ? "-" : br), (via == "" ? "-" : via), ra, first
	}
	/^-----------+ [0-9]+-[0-9]+-[0-9]+ [0-9:.]+$/ {
		out(); split($3, t, ":"); ts = t[1] * 3600 + t[2] * 60 + t[3]
		dir = ""; first = ""; cid = ""; br = ""; via = ""; ra = 0; hdr = 0; next
	}
	dir == "" && / message (received|sent)/ {
		dir = ($0 ~ /received/) ? "in" : "out"; next
	}
	dir != "" && first == "" && NF > 0 { first = $0; hdr = 1; next }
	hdr && NF == 0 { hdr = 0; next }
	hdr && (tolower($1) == "call-id:" || $1 == "i:") { cid = $2 }
	hdr && via == "" && (tolower($1) == "via:" || $1 == "v:") {
		via = $3; sub(/;.*/, "", via)
		if (match($0, /branch=[^;, ]+/)) br = substr($0, RSTART + 7, RLENGTH - 7)
	}
	hdr && tolower($1) == "retry-after:" && $2 ~ /^[0-9]+$/ && $2 > 0 { ra = 1 }
	END { out() }'
}

# e2e_replies LOG...: per Call-ID sent, "CALL-ID CODE MS RETRY-AFTER": the first
# final reply, MS from the first transmission of the MESSAGE to it
e2e_replies() {
	e2e_sipp_log "$@" | awk '
	$1 == "out" && $7 == "MESSAGE" && !($3 in t0) { t0[$3] = $2 }
	$1 == "in" && $7 == "SIP/2.0" && $8 >= 200 && !($3 in code) {
		code[$3] = $8; t1[$3] = $2; ra[$3] = $6
	}
	END {
		for (c in t0) {
			if (c in code) {
				ms = (t1[c] - t0[c]) * 1000
				if (ms < 0) ms += 86400000
				printf "%s %s %.1f %d\n", c, code[c], ms, ra[c]
			} else
				printf "%s none -1 0\n", c
		}
	}'
}


# e2e_register LOGNAME USER CONTACT-PORT [sipp args...]: USER registers for
# an hour with the contact CONTACT-PORT (from the test port + 13); SIPp's status
e2e_register() {
	local log=$1 user=$2 port=$3
	shift 3
	e2e_sipp "$log" "$E2E_SIPP_DIR/register_contact.xml" -s "$user" "$@" \
		-key contact_port "$port" -key expires 3600 -m 1 -p $((E2E_SIP_PORT + 13))
}

# e2e_messages LOGNAME: the MESSAGE requests (no replies) of the SIPp
# -trace_msg log $T_DIR/LOGNAME.msg, without CRs
e2e_messages() {
	tr -d '\r' <"$T_DIR/$1.msg" | awk '/^MESSAGE /{r=1} /^SIP\/2\.0 /{r=0} r'
}

# e2e_drained WHAT SECONDS CMD...: the check that the count CMD prints gets
# to 0 within SECONDS (polled every 0.1 s)
e2e_drained() {
	local what=$1 secs=$2 left t0
	shift 2
	t0=$(e2e_ms_now)
	while :; do
		left=$("$@")
		[ "$left" = 0 ] || [ $(($(e2e_ms_now) - t0)) -ge $((secs * 1000)) ] && break
		sleep 0.1
	done
	e2e_eq "$what within $secs s (took $(($(e2e_ms_now) - t0)) ms)" 0 "$left"
}

# e2e_rows USER [CONDITION]: how many rows USER@ the test address has in
# the store (CONDITION: more SQL, "AND ...")
e2e_rows() {
	e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$1@$E2E_ADDR' ${2:-}"
}

# e2e_accepted_rows LOGNAME AOR N: in $T_DIR/accepted the Call-IDs that got
# a 202 in the SIPp log LOGNAME, in $T_DIR/rows those of AOR's queued rows
# (both sorted); the check that there are N 202s
e2e_accepted_rows() {
	e2e_sipp_log "$T_DIR/$1.msg" | awk '$1 == "in" && $8 == 202 { print $3 }' |
		sort -u >"$T_DIR/accepted"
	e2e_q "SELECT call_id FROM sfwd_message WHERE aor = '$2' AND state = 'queued'" |
		sort >"$T_DIR/rows"
	e2e_eq "202s received" "$3" "$(wc -l <"$T_DIR/accepted")"
}

# e2e_replies_within WHAT CODES BOUND-MS: the check that every reply in
# CODES (e2e_replies' output) came within BOUND-MS; E2E_MAX_MS: the slowest
e2e_replies_within() {
	local what=$1 codes=$2 bound=$3
	E2E_MAX_MS=$(awk 'BEGIN { m = -1 } $3 + 0 > m { m = $3 + 0 } END { print m }' "$codes")
	if awk -v m="$E2E_MAX_MS" -v b="$bound" 'BEGIN { exit !(m >= 0 && m <= b) }'; then
		e2e_ok "$what: every reply within $bound ms (slowest $E2E_MAX_MS ms)"
	else
		e2e_fail "$what: slowest reply $E2E_MAX_MS ms, over $bound ms"
	fi
}

# e2e_until_202 LOGPREFIX TRIES MS SCENARIO [sipp args...]: one MESSAGE
# (SCENARIO, -m 1) every ~0.5 s until one gets a 202, at most TRIES of them
# (0: no limit) and for MS milliseconds (0: no limit); SIPp logs
# LOGPREFIX_1, _2, ...; E2E_PROBES: how many were sent; status 0 on a 202
e2e_until_202() {
	local pfx=$1 tries=$2 ms=$3 scen=$4 t0
	shift 4
	t0=$(e2e_ms_now)
	E2E_PROBES=0
	while [ "$tries" = 0 ] || [ "$E2E_PROBES" -lt "$tries" ]; do
		[ "$ms" = 0 ] || [ $(($(e2e_ms_now) - t0)) -lt "$ms" ] || break
		E2E_PROBES=$((E2E_PROBES + 1))
		e2e_sipp "${pfx}_$E2E_PROBES" "$scen" -m 1 "$@"
		[ "$(e2e_replies "$T_DIR/${pfx}_$E2E_PROBES.msg" | awk '{ print $2 }')" = 202 ] &&
			return 0
		sleep 0.5
	done
	return 1
}

# e2e_reported FILE NOTE WHAT NAME...: a driver's named checks (FILE: its
# "ok|FAIL<TAB>name<TAB>detail" lines): for each NAME the check that FILE
# reports it ok (one never reported fails: "NAME: not reached NOTE"), then
# the check WHAT that FILE reports no name beyond them
e2e_reported() {
	local file=$1 note=$2 what=$3 name line
	shift 3
	for name in "$@"; do
		line=$(awk -F'\t' -v n="$name" '$2 == n' "$file" | head -n 1)
		if [ -z "$line" ]; then
			e2e_fail "$name: not reached${note:+ $note}"
		elif [ "${line%%$'\t'*}" = ok ]; then
			e2e_ok "$name"
		else
			e2e_fail "$name: $(cut -f3- <<<"$line")"
		fi
	done
	e2e_eq "$what" "" "$(comm -23 <(awk -F'\t' '{ print $2 }' "$file" | sort) \
		<(printf '%s\n' "$@" | sort) | tr '\n' ';')"
}

# e2e_capture_msrp: tshark captures the MSRP port into $T_DIR/msrp.pcapng
# until e2e_capture_stop or the end of the test; waits (bounded) until it
# writes
E2E_CAP_PID=
e2e_capture_msrp() {
	tshark -i lo -f "tcp port $E2E_MSRP_PORT" -w "$T_DIR/msrp.pcapng" -q \
		>"$T_DIR/tshark.log" 2>&1 &
	E2E_CAP_PID=$!
	e2e_on_exit "kill $E2E_CAP_PID"
	# shellcheck disable=SC2016 # expanded by eval
	e2e_until 50 eval 'grep -q "Capturing on" "$T_DIR/tshark.log" 2>/dev/null &&
		[ -s "$T_DIR/msrp.pcapng" ]'
	sleep 0.5
}

# e2e_capture_stop: tshark ends (SIGINT: the capture file complete); waits
# for it (bounded, then it is waited for anyway)
e2e_capture_stop() {
	local i
	kill -INT "$E2E_CAP_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$E2E_CAP_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$E2E_CAP_PID" 2>/dev/null
}

# e2e_capture_frames SENT RECEIVED RAN MALFORMED LEFTOVER GAPS C2S S2C: every
# frame of the capture ($T_DIR/msrp.pcapng, after e2e_capture_stop) through
# the strict RFC 4975 parser (t045's msrp_frames.py; its output in
# $T_DIR/frames.txt, e2e_frames KEY reads it). The checks named RAN (it ran),
# MALFORMED (no malformed frame), LEFTOVER (no bytes after the last frame),
# GAPS (no gap in a TCP stream), C2S and S2C (the frames client->sfwd and
# sfwd->client are the SENT and RECEIVED the client counted)
e2e_capture_frames() {
	python3 "$E2E_DIR/t045_msrp_hygiene/msrp_frames.py" "$T_DIR/msrp.pcapng" \
		--port "$E2E_MSRP_PORT" >"$T_DIR/frames.txt" 2>"$T_DIR/frames.err"
	e2e_eq "$3" 0 $?
	e2e_eq "$4" 0 "$(e2e_frames errors)"
	grep $'^error\t' "$T_DIR/frames.txt" | head -n 10 | sed 's/^/    /'
	e2e_eq "$5" 0 "$(e2e_frames leftover_bytes)"
	e2e_eq "$6" 0 "$(e2e_frames gaps)"
	e2e_eq "$7" "$1" "$(e2e_frames frames_c2s)"
	e2e_eq "$8" "$2" "$(e2e_frames frames_s2c)"
	echo "    capture: $(e2e_frames streams) TCP streams, $(e2e_frames frames_c2s) frames" \
		"client->sfwd, $(e2e_frames frames_s2c) sfwd->client ($(e2e_frames requests)" \
		"requests, $(e2e_frames responses) responses)"
}
e2e_frames() { awk -F'\t' -v k="$1" '$1 == k { print $2; exit }' "$T_DIR/frames.txt"; }

# e2e_msrp_lines: the MSRP start lines tshark decodes in the capture, into
# $T_DIR/msrp.txt
e2e_msrp_lines() {
	tshark -r "$T_DIR/msrp.pcapng" -d "tcp.port==$E2E_MSRP_PORT,msrp" -Y msrp \
		-T fields -e msrp.request.line -e msrp.response.line >"$T_DIR/msrp.txt" 2>&1
}

# e2e_msrp_bad [TSHARK-ARGS...]: how many packets of the capture tshark calls
# malformed or erroneous (decoded as MSRP)
e2e_msrp_bad() {
	tshark -r "$T_DIR/msrp.pcapng" "$@" -d "tcp.port==$E2E_MSRP_PORT,msrp" \
		-Y '_ws.malformed || _ws.expert.severity >= "Error"' 2>/dev/null | wc -l
}

# e2e_uas_start LOGNAME SCENARIO PORT: a recipient in the background, until
# e2e_uas_stop (waits, bounded, until it listens)
E2E_UAS_PID=
e2e_uas_start() { # e2e_uas_start LOGNAME SCENARIO PORT
	local i
	sipp -sf "$2" -i "$E2E_ADDR" -p "$3" -m 100000 -nostdin -timeout 80s \
		-deadcall_wait 0 -trace_msg -message_file "$T_DIR/$1.msg" \
		>"$T_DIR/$1.out" 2>&1 &
	E2E_UAS_PID=$!
	for ((i = 0; i < 50; i++)); do
		[ -n "$(ss -Hlun "sport = :$3")" ] && return 0
		sleep 0.1
	done
	return 1
}
e2e_uas_stop() {
	local i
	[ -n "$E2E_UAS_PID" ] || return 0
	kill -INT "$E2E_UAS_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$E2E_UAS_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$E2E_UAS_PID" 2>/dev/null
	wait "$E2E_UAS_PID" 2>/dev/null
	E2E_UAS_PID=
}

# e2e_recipient LOGNAME PORT N SECONDS: uas_message.xml in the background on
# PORT for N MESSAGEs, SECONDS at most (SIPp's -timeout); waits (bounded)
# until it listens; e2e_uas_wait is its exit status, e2e_uas_stop stops it
e2e_recipient() {
	local log=$1 port=$2 n=$3 secs=$4
	timeout $((secs + 10)) sipp -sf "$E2E_SIPP_DIR/uas_message.xml" -i "$E2E_ADDR" \
		-p "$port" -m "$n" -nostdin -timeout "${secs}s" -trace_msg \
		-message_file "$T_DIR/$log.msg" >"$T_DIR/$log.out" 2>&1 &
	E2E_UAS_PID=$!
	e2e_wait_port "$port"
}

# e2e_delivery USER PORT N SECONDS [sipp args...]: USER's recipient
# (e2e_recipient, log USER) on PORT, USER registers it (a check; the sipp
# args go to the REGISTER), then the check that it got N MESSAGEs and
# ended; the MESSAGEs it got in $T_DIR/USER.txt
e2e_delivery() {
	local user=$1 port=$2 n=$3 secs=$4
	shift 4
	e2e_recipient "$user" "$port" "$n" "$secs"
	e2e_check "$user registers -> 200" e2e_register reg "$user" "$port" "$@"
	e2e_uas_wait
	e2e_eq "$user's recipient got $n MESSAGEs and ended cleanly" 0 $?
	e2e_messages "$user" >"$T_DIR/$user.txt"
}

# e2e_uas_wait: wait until the recipient ends; its exit status
e2e_uas_wait() {
	local rc
	wait "$E2E_UAS_PID"
	rc=$?
	E2E_UAS_PID=
	return $rc
}

# milliseconds since the epoch
e2e_ms_now() { echo $(($(date +%s%N) / 1000000)); }

# --- cluster (etc/cluster/kamailio.cfg): two nodes sharing registrations
# over dmq_usrloc and the test database; node N listens on
# E2E_NODE_ADDRN:E2E_NODE_PORTN, both seed each other, users are
# user@E2E_ADDR on both
E2E_NODE_ADDR1=127.0.0.2
E2E_NODE_ADDR2=127.0.0.3
E2E_NODE_PORT1=$((E2E_SIP_PORT + 40))
E2E_NODE_PORT2=$((E2E_SIP_PORT + 41))

# e2e_cluster_node N [-A DEFINE ...]: start node N (1 or 2; SFWD_TEST,
# no digest auth unless E2E_AUTH=1, server_id N, node_id "nodeN", MSRP on
# the MSRP port + 1 + N) in $T_DIR/nodeN; stopped at the end of the test
e2e_cluster_node() {
	local n=$1 addr port
	shift
	[ "${E2E_AUTH:-0}" = 1 ] || set -- -A SFWD_NO_AUTH "$@"
	addr=E2E_NODE_ADDR$n
	addr=${!addr}
	port=E2E_NODE_PORT$n
	port=${!port}
	_e2e_kams+=("$T_DIR/node$n")
	sf_kam_start "$T_DIR/node$n" "$SF_TOP/etc/cluster/kamailio.cfg" -A SFWD_TEST \
		-A "SFWD_SIP_ADDR=$addr" -A "SFWD_SIP_PORT=$port" \
		-A "SFWD_DOMAIN=$E2E_ADDR" \
		-A "SFWD_MSRP_LISTEN=\"$addr:$((E2E_MSRP_PORT + 1 + n))\"" \
		-A "SFWD_SERVER_ID=$n" -A "SFWD_NODE_ID=\"node$n\"" \
		-A "SFWD_DMQ_SELF=\"sip:$addr:$port\"" \
		-A "SFWD_DMQ_SEED1=\"sip:$E2E_NODE_ADDR1:$E2E_NODE_PORT1\"" \
		-A "SFWD_DMQ_SEED2=\"sip:$E2E_NODE_ADDR2:$E2E_NODE_PORT2\"" \
		-A "SFWD_DB_URL=\"$E2E_DB_URL\"" -A "SFWD_KDB_URL=\"$E2E_KDB_URL\"" "$@"
}

# e2e_cluster_scenario NAME: test/sipp/NAME.xml made to name the users'
# domain ([domain], -key domain) instead of the node it is sent to; the
# copy's path
e2e_cluster_scenario() {
	sed 's/@\[remote_ip\]:\[remote_port\]/@[domain]/; s/sip:\[remote_ip\]:\[remote_port\]/sip:[domain]/; s/\[remote_ip\]/[domain]/g' \
		"$E2E_SIPP_DIR/$1.xml" >"$T_DIR/cluster-$1.xml" && echo "$T_DIR/cluster-$1.xml"
}

# e2e_cluster_wake: etc/cluster/sfwd-cluster.sql (the wake trigger) on the
# test database, the trigger dropped at the end of the test; its status
e2e_cluster_wake() {
	e2e_on_exit 'e2e_q "DROP TRIGGER IF EXISTS sfwd_wake ON sfwd_message"'
	sf_pg_as psql -X -q -v ON_ERROR_STOP=1 -h "$(readlink -f "$E2E_PGDIR")/run" \
		-p "$E2E_PG_PORT" -U postgres -d "$E2E_DB" \
		<"$SF_TOP/etc/cluster/sfwd-cluster.sql" >/dev/null
}

# e2e_cluster_sipp ADDR PORT LOGNAME SCENARIO [sipp args...]: one bounded
# SIPp run from the test address against the node at ADDR:PORT ([domain]:
# E2E_ADDR); logs as e2e_sipp's; SIPp's status
e2e_cluster_sipp() {
	local addr=$1 port=$2 log=$3 scen=$4
	shift 4
	timeout $((E2E_SIPP_TIMEOUT + 10)) sipp -sf "$scen" -i "$E2E_ADDR" \
		-key domain "$E2E_ADDR" -nostdin -timeout "${E2E_SIPP_TIMEOUT}s" \
		-timeout_error -trace_msg -message_file "$T_DIR/$log.msg" \
		-trace_err -error_file "$T_DIR/$log.err" \
		"$@" "$addr:$port" >"$T_DIR/$log.out" 2>&1
}

# e2e_cluster_knows N AOR: node N's usrloc has a contact of AOR
e2e_cluster_knows() {
	sf_kamcmd "$T_DIR/node$1" ul.lookup location "$2" 2>/dev/null | grep -q 'Contact'
}

# e2e_sql_script: $T_DIR/q.sh, a command a test's driver runs with one SQL
# statement as its argument (psql -tA on the test's database); its path
e2e_sql_script() {
	cat >"$T_DIR/q.sh" <<EOQ
#!/usr/bin/env bash
. "$SF_TOP/scripts/lib.sh"
sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" -tAc "\$1"
EOQ
	echo "$T_DIR/q.sh"
}

# e2e_events NAME: the JSON lines ({"sfwd":...}) the event routes or the
# KEMI event callback of Kamailio NAME ($T_DIR/NAME) logged, one a line
e2e_events() {
	tr -d '\r' <"$T_DIR/$1/kamailio.log" | grep -o '{"sfwd":.*}$'
}

# e2e_events_json NAME: Kamailio NAME logged event lines, each valid JSON
e2e_events_json() {
	[ "$(e2e_events "$1" | wc -l)" -gt 0 ] && e2e_events "$1" | jq -e . >/dev/null
}

# e2e_event_ids NAME EVENT TO-PREFIX: the ids (sorted) of the event lines of
# Kamailio NAME of one kind whose "to" starts with TO-PREFIX ("to" of
# "stored" is the Request-URI, of the others the AoR)
e2e_event_ids() {
	e2e_events "$1" | jq -r --arg e "$2" --arg t "$3" \
		'select(.sfwd == $e and ((.to // "") | startswith($t))) | .id' 2>/dev/null |
		sort -n
}

# e2e_rpc_script NAME: $T_DIR/rpc.sh, a command a test's driver runs with an
# RPC command and its arguments (kamcmd on Kamailio NAME); its path
e2e_rpc_script() {
	cat >"$T_DIR/rpc.sh" <<EOR
#!/usr/bin/env bash
. "$SF_TOP/scripts/lib.sh"
sf_kamcmd "$T_DIR/$1" "\$@" 2>&1
EOR
	chmod +x "$T_DIR/rpc.sh"
	echo "$T_DIR/rpc.sh"
}

# e2e_kemi_flow SCEN_DIR TAG: what a KEMI routing script (Lua, Python) must
# do like the native cfg, on Kamailio "kam" (started with SFWD_TEST and
# SFWD_NO_AUTH): N ($N) MESSAGEs from SCEN_DIR/alice.xml (its Call-IDs,
# tags and bodies say TAG) to offline bob stored in order, each 202 naming
# its row; bob's registration gets them in order, unchanged; a registered
# phone (SCEN_DIR/phone.xml, port $CAROL_PORT) answering 480 makes the
# failure route store it, retried; the event callback's JSON lines for all
# of it. Sets carol_id; uses $BOB_PORT.
e2e_kemi_flow() {
	local scen=$1 tag=$2 carol
	# ---- N messages, one at a time, each 202 with X-Sfwd-Message-ID
	e2e_check "$N MESSAGEs to offline bob -> $N x 202 (with X-Sfwd-Message-ID)" \
		e2e_sipp alice "$scen/alice.xml" -s bob -m $N -l 1 -r 10 -p $((E2E_SIP_PORT + 12))
	e2e_eq "$N rows stored" $N "$(e2e_rows bob)"
	e2e_q "SELECT id FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR' ORDER BY id" >"$T_DIR/bob_ids"
	e2e_q "SELECT call_id FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR' ORDER BY id" \
		>"$T_DIR/stored_order"
	# what alice sent, in order (her log also holds the replies)
	e2e_messages alice | sed -n 's/^Call-ID: //p' | awk '!seen[$0]++' >"$T_DIR/sent_order"
	e2e_check "stored in the order sent" cmp -s "$T_DIR/sent_order" "$T_DIR/stored_order"
	e2e_eq "each 202 names its row (X-Sfwd-Message-ID: sfwd-<id>)" \
		"$(sed 's/^/sfwd-/' "$T_DIR/bob_ids" | tr '\n' ' ')" \
		"$(tr -d '\r' <"$T_DIR/alice.msg" | sed -n 's/^X-Sfwd-Message-ID: //p' | tr '\n' ' ')"

	# ---- bob's recipient, then his registration: all N, in order, unchanged
	e2e_delivery bob "$BOB_PORT" $N 30
	sed -n 's/^Call-ID: //p' "$T_DIR/bob.txt" >"$T_DIR/delivered_order"
	e2e_eq "delivered $N" $N "$(wc -l <"$T_DIR/delivered_order")"
	e2e_check "delivered in the order sent, with the original Call-IDs" \
		cmp -s "$T_DIR/sent_order" "$T_DIR/delivered_order"
	e2e_eq "original From (display name, URI, tag), in order" \
		"$(seq 1 $N | sed "s/.*/From: \"Alice Liddell\" <sip:alice@$E2E_ADDR>;tag=$tag-&/")" \
		"$(grep '^From: ' "$T_DIR/bob.txt")"
	e2e_eq "original bodies byte for byte, in order" \
		"$(seq 1 $N | sed "s/.*/$tag message &: caf$(printf '\xc3\xa9')?/")" \
		"$(grep "^$tag message " "$T_DIR/bob.txt")"
	e2e_drained "table empty after delivery" 5 e2e_rows bob

	# ---- a registered phone answering 480: the failure route stores it
	echo "hello carol, are you there?" >"$T_DIR/text"
	timeout 30 sipp -sf "$scen/phone.xml" -i "$E2E_ADDR" -p "$CAROL_PORT" -m 1 \
		-nostdin -timeout 25s -trace_msg -message_file "$T_DIR/carol.msg" \
		>"$T_DIR/carol.out" 2>&1 &
	carol=$!
	e2e_wait_port "$CAROL_PORT"
	e2e_check "carol registers -> 200" e2e_register reg_carol carol "$CAROL_PORT"
	e2e_request_xml "$T_DIR/m202.xml" MESSAGE "" text/plain "$T_DIR/text" 202
	e2e_check "MESSAGE to registered carol whose phone says 480 -> 202 (failure route)" \
		e2e_sipp m202 "$T_DIR/m202.xml" -s carol -m 1 -p $((E2E_SIP_PORT + 12))
	carol_id=$(e2e_q "SELECT id FROM sfwd_message WHERE aor = 'carol@$E2E_ADDR' AND next_attempt IS NOT NULL")
	e2e_check "stored with a timed retry" test -n "$carol_id"
	e2e_eq "the failure route's 202 names the row" "X-Sfwd-Message-ID: sfwd-$carol_id" \
		"$(tr -d '\r' <"$T_DIR/m202.msg" | grep '^X-Sfwd-Message-ID: ')"
	wait "$carol"
	e2e_eq "carol's phone got it twice (480, then the retry: 200)" 0 $?
	e2e_drained "delivered by the timed retry: row deleted" 10 e2e_rows carol

	# ---- the event callback (ksr_sfwd_event) logged JSON lines
	delivered_all() { [ "$(e2e_events kam | grep -c '"delivered"')" -ge $((N + 1)) ]; }
	e2e_until 50 delivered_all
	e2e_check "every event line is valid JSON" e2e_events_json kam
	e2e_eq "a \"stored\" line for each of bob's rows (none for the instant one)" \
		"$(tr '\n' ' ' <"$T_DIR/bob_ids")" \
		"$(e2e_event_ids kam stored "sip:bob@$E2E_ADDR" | tr '\n' ' ')"
	e2e_eq "a \"delivered\" line for each of bob's rows" \
		"$(tr '\n' ' ' <"$T_DIR/bob_ids")" \
		"$(e2e_event_ids kam delivered "bob@$E2E_ADDR" | tr '\n' ' ')"
	e2e_eq "the stored lines name the sender" $((N + 1)) \
		"$(e2e_events kam | jq -r 'select(.sfwd == "stored") | .from' | grep -c "^sip:alice@$E2E_ADDR$")"
	e2e_eq "the delivered lines carry code 200" $((N + 1)) \
		"$(e2e_events kam | jq -r 'select(.sfwd == "delivered") | .code' | grep -c '^200$')"
	e2e_eq "\"stored\" from the failure route (carol)" "$carol_id" \
		"$(e2e_event_ids kam stored "sip:carol@$E2E_ADDR" | tr '\n' ' ' | sed 's/ $//')"
	e2e_eq "\"delivered\" for carol after the retry" "$carol_id" \
		"$(e2e_event_ids kam delivered "carol@$E2E_ADDR" | tr '\n' ' ' | sed 's/ $//')"
	e2e_eq "no failed events" 0 "$(e2e_events kam | jq -r 'select(.sfwd != "stored" and .sfwd != "delivered")' | grep -c .)"
}

# e2e_cfg_check CFG [-A DEFINE ...]: kamailio -c of CFG (sfwd's modules
# first), with and without SFWD_NO_AUTH, each a check
e2e_cfg_check() {
	local cfg=$1 extra
	shift
	for extra in "" "-A SFWD_NO_AUTH"; do
		# shellcheck disable=SC2086
		if kamailio -c -f "$cfg" -L "$SF_TOP/modules:$SF_KAM_MODDIR" $extra "$@" \
			-A "SFWD_SIP_PORT=$E2E_SIP_PORT" -A "SFWD_DB_URL=\"$E2E_DB_URL\"" \
			>"$T_DIR/check.log" 2>&1; then
			e2e_ok "kamailio -c ${cfg#"$SF_TOP"/} $extra"
		else
			e2e_fail "kamailio -c ${cfg#"$SF_TOP"/} $extra: $(grep -m3 -E 'ERROR|CRITICAL' "$T_DIR/check.log")"
		fi
	done
}
