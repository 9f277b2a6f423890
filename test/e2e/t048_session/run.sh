#!/usr/bin/env bash
# t048: whole MSRP sessions stored for an offline user (issue 14; see
# README). One Python client (session.py), run once per phase, drives SIP
# and MSRP and prints one line per named check; this script knows every name
# a phase must report (a check never reached fails), kills and restarts
# Kamailio between phases c1 and c2, sets the profiles of phase d, stops
# PostgreSQL in phase e, captures the MSRP port during phases a and b.
. "$(dirname "$0")/../lib.sh"
e2e_begin

E2E_AUTH=1                   # the cfg as deployed: INVITE 407, REGISTER 401
BASE=$((E2E_SIP_PORT + 31))  # +31..+37: the client's UAs, phones and MSRP paths
IDLE=5                       # msrp_idle_timeout for this test (s)
MAX_BODY=131072              # max_body_size: the module default
IDLE_SESSIONS=100
# msrp_idle_timeout comes from a define of etc/kamailio.cfg
KAM_ARGS=(-A SFWD_TEST -A "SFWD_MSRP_IDLE_TIMEOUT=$IDLE")
CFG=$SF_TOP/etc/kamailio.cfg
rpc() { sf_kamcmd "$T_DIR/kam" "$@" 2>&1; }

if [ "$E2E_MSRP_PORT" -ge "$BASE" ] && [ "$E2E_MSRP_PORT" -le $((BASE + 6)) ]; then
	e2e_fail "the MSRP port $E2E_MSRP_PORT is outside SIP+31..+37"
	e2e_end
fi
# whatever happens below, the suite's PostgreSQL runs again at the end
e2e_on_exit 'sf_pg_start "$E2E_PGDIR" "$E2E_PG_PORT"'

# without that define the idle checks would wait 60 s: they run on a copy
# that has it, and this check fails until etc/kamailio.cfg has it too
if grep -q 'msrp_idle_timeout", SFWD_MSRP_IDLE_TIMEOUT' "$CFG"; then
	e2e_ok "etc/kamailio.cfg sets msrp_idle_timeout from SFWD_MSRP_IDLE_TIMEOUT"
else
	e2e_fail "etc/kamailio.cfg sets msrp_idle_timeout from SFWD_MSRP_IDLE_TIMEOUT (a copy with it runs)"
	CFG=$T_DIR/kamailio.cfg
	awk '{ print } /^modparam\("sfwd", "msrp_listen"/ {
		print "#!ifdef SFWD_MSRP_IDLE_TIMEOUT"
		print "modparam(\"sfwd\", \"msrp_idle_timeout\", SFWD_MSRP_IDLE_TIMEOUT)"
		print "#!endif" }' "$SF_TOP/etc/kamailio.cfg" >"$CFG"
fi
e2e_kam kam "$CFG" "${KAM_ARGS[@]}" || { e2e_fail "Kamailio started"; e2e_end; }
e2e_q "DELETE FROM sfwd_message; DELETE FROM sfwd_session" >/dev/null 2>&1

# the client's helpers: SQL, kamcmd, SIGKILL of Kamailio, PostgreSQL down
cat >"$T_DIR/sql.sh" <<EOS
. "$SF_TOP/scripts/lib.sh"
sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" -tAc "\$1"
EOS
cat >"$T_DIR/rpc.sh" <<EOS
kamcmd -s "unixs:$T_DIR/kam/kamailio_ctl" "\$@"
EOS
cat >"$T_DIR/kill.sh" <<EOS
leader=\$(cat "$T_DIR/kam/kamailio.launcher" 2>/dev/null)
if [ -z "\$leader" ] || [ "\$(ps -o pgid= -p "\$leader" | tr -d ' ')" != "\$leader" ]; then
	echo "the launcher (\$leader) does not lead Kamailio's process group"
	exit 1
fi
kill -KILL -- "-\$leader"
for ((i = 0; i < 50; i++)); do
	[ -z "\$(pgrep -g "\$leader")" ] && exit 0
	sleep 0.1
done
echo "left in group \$leader: \$(pgrep -g "\$leader" | tr '\n' ' ')"
exit 1
EOS
cat >"$T_DIR/pgstop.sh" <<EOS
. "$SF_TOP/scripts/lib.sh"
sf_pg_stop "$E2E_PGDIR"
EOS

# client PHASE SECONDS: one phase of session.py; its check lines in PHASE.txt
client() {
	local ph=$1 t0 rc
	t0=$(e2e_ms_now)
	timeout "$2" python3 "$T_SRC/session.py" --phase "$ph" \
		--sip-port "$E2E_SIP_PORT" --msrp-port "$E2E_MSRP_PORT" --base "$BASE" \
		--sql "$T_DIR/sql.sh" --rpc "$T_DIR/rpc.sh" --kill "$T_DIR/kill.sh" \
		--pg-stop "$T_DIR/pgstop.sh" --state "$T_DIR/state.json" \
		--log "$T_DIR/client.log" --max-body "$MAX_BODY" --idle-timeout "$IDLE" \
		--idle-sessions "$IDLE_SESSIONS" >"$T_DIR/$ph.txt" 2>"$T_DIR/$ph.err"
	rc=$?
	echo "  phase $ph: client ran $(($(e2e_ms_now) - t0)) ms (exit $rc)"
	[ -s "$T_DIR/$ph.err" ] && sed 's/^/    client: /' "$T_DIR/$ph.err" | tail -n 20
	return 0
}

# verify PHASE NAME...: every named check reported ok, and no other
verify() {
	local ph=$1
	shift
	e2e_reported "$T_DIR/$ph.txt" "" "phase $ph reported no check beyond the expected ones" "$@"
}

# the MSRP port during phases a and b (bounded wait until tshark writes)
e2e_capture_msrp

# a: alice -> offline bob, 5 SENDs, BYE; bob comes back
echo "  -- a: a session stored for offline bob, delivered as MESSAGEs"
client a 40
verify a \
	"a0 alice's phone registers (so that the report reaches her) -> 200" \
	"a1 alice INVITEs offline bob with an MSRP offer -> 200 from sfwd" \
	"a2 answer m=message <msrp port> TCP/MSRP *" \
	"a2 answer a=path:msrp://<addr>:<msrp port>/<24 base32>;tcp" \
	"a2 answer a=setup:passive" \
	"a2 answer a=recvonly" \
	"a2 answer a=accept-types covers what alice sends" \
	"a2 answer a=max-size:<max_body_size>" \
	"a3 every SEND's last chunk -> 200" \
	"a4 at each last-chunk 200 the table already holds that many rows (rows = 200s so far)" \
	"a5 a chunked message is not stored before its last chunk" \
	"a6 the empty SEND (keep-alive) -> 200 and stores nothing" \
	"a7 while open: a sfwd_session row, started set, ended not" \
	"a8 alice's BYE -> 200" \
	"a9 after the BYE sfwd_session.ended is set" \
	"a10 5 rows for bob, all pointing to the session's sfwd_session row" \
	"a11 cseq 1..5 in the order sent" \
	"a12 from_uri, from_tag: the INVITE's" \
	"a13 content types as sent" \
	"a14 bodies byte-exact (md5)" \
	"a15 the session row: aor bob, from_uri alice, Call-ID, From tag" \
	"a16 the session row keeps the INVITE's SDP byte-exact" \
	"a17 the CPIM SEND's imdn.Message-ID is kept" \
	"a18 bob's phone registers -> 200" \
	"a19 bob gets exactly 5 MESSAGEs (no duplicate)" \
	"a20 in order, bodies byte-exact" \
	"a21 From alice's URI" \
	"a22 Call-ID the session's" \
	"a23 each has a Date: the time alice sent it (not the delivery time)" \
	"a24 Content-Type as sent" \
	"a25 the delivered rows leave the table" \
	"a26 alice's phone gets the IMDN 'delivered' for the CPIM message" \
	"a27 bob unregisters (offline again) -> 200" \
	"a29 CSeq: the order in the session (1..5 MESSAGE)" \
	"a28 the SEND asking Success-Report: yes gets REPORT 000 200 1-2000/2000, not before its 200, its row there"

# b: sessions fetched over MSRP retrieval
echo "  -- b: sessions fetched over MSRP retrieval"
client b 40
verify b \
	"b1 session B: INVITE, 3 SENDs, BYE -> 200 each, 3 rows" \
	"b2 bob's retrieval INVITE accepting message/sip multipart/mixed -> 200" \
	"b3 the whole session arrives as ONE MSRP message" \
	"b4 ... Content-Type multipart/mixed; boundary=..." \
	"b5 ... 5 message/sip parts (INVITE, 3 MESSAGEs, BYE), closing delimiter" \
	"b6 part 1: the INVITE alice -> bob with the session's Call-ID" \
	"b7 ... its body is the SDP offer, byte-exact (Content-Length right)" \
	"b8 parts 2..: one MESSAGE per SEND, in order, bodies byte-exact" \
	"b9 ... Content-Type as sent, From alice, the session's Call-ID" \
	"b10 the last part is the BYE (the session's Call-ID)" \
	"b11 after the 200s the session's rows leave the table" \
	"b12 the retrieval BYE -> 200" \
	"b13 session C: INVITE, 2 SENDs, BYE -> 200 each, 2 rows" \
	"b14 bob's retrieval INVITE accepting message/sip only -> 200" \
	"b15 ... one message/sip per stored SEND (2), each a MESSAGE" \
	"b16 ... in order, bodies byte-exact, Content-Type as sent" \
	"b17 ... and leave the table"

# the capture of phases a and b: every frame strictly (t045's checker) and
# tshark's own dissector
sleep 0.5
e2e_capture_stop
jv() { python3 -c "import json; d = json.load(open('$T_DIR/state.json'))['frames']; print($1)" 2>/dev/null; }
e2e_capture_frames "$(jv "d['a']['sent'] + d['b']['sent']")" \
	"$(jv "d['a']['received'] + d['b']['received']")" "f1 the frame checker ran" \
	"f2 every captured frame parses strictly (RFC 4975): no malformed frame" \
	"f3 no bytes left over after the last frame of each direction" \
	"f4 no gap in the captured TCP streams" \
	"f5 frames client->sfwd in the capture = frames the client sent" \
	"f6 frames sfwd->client in the capture = frames the client parsed"
e2e_msrp_lines
e2e_check "f7 tshark decodes MSRP SENDs and 200 responses" \
	eval "grep -q SEND '$T_DIR/msrp.txt' && grep -q '200 OK' '$T_DIR/msrp.txt'"
# (tshark 4.0 gives its PNG dissector the body of alice's image/png SEND with
# bytes after it, and then calls the packet malformed: PNG is not looked at)
e2e_eq "f8 tshark: no malformed or erroneous MSRP packet" 0 \
	"$(e2e_msrp_bad --disable-protocol png)"

# c: SIGKILL in the middle of a session, then Kamailio again
echo "  -- c: kill -9 in the middle of a session"
leader=$(cat "$T_DIR/kam/kamailio.launcher" 2>/dev/null)
disown "$leader" 2>/dev/null # no "Killed" job notice from bash
client c1 30
verify c1 \
	"c1 alice INVITEs offline frank -> 200" \
	"c2 3 SENDs -> 200 each, each row there at its 200" \
	"c3 the first chunk ('+') of a 4th sent: still 3 rows" \
	"c4 Kamailio killed (SIGKILL of its process group), nothing of it left" \
	"c5 ... the MSRP connection dropped with it" \
	"c6 after the kill: exactly the 3 acknowledged rows"
# (when the client never got to the kill, Kamailio is stopped here instead)
e2e_kam_stop kam
rm -f "$T_DIR/kam/kamailio.launcher"
cp "$T_DIR/kam/kamailio.log" "$T_DIR/kam/kamailio.killed.log"
e2e_kam kam "$CFG" "${KAM_ARGS[@]}" || { e2e_fail "Kamailio started again"; e2e_end; }
client c2 20
verify c2 \
	"c7 after the restart: exactly 3 rows for the killed session, cseq 1..3" \
	"c8 ... bodies byte-exact, none of the 4th message" \
	"c9 a new session from alice works: INVITE, SEND, BYE -> 200, stored" \
	"c10 a sender that drops the connection (no BYE) ends its session: ended set within 2 s, the message kept"

# d: bad input (bob refuses storing; carol takes text only, 2 at most)
echo "  -- d: bad input, idle sessions, refusals"
r1=$(rpc sfwd.profile_set "bob@$E2E_ADDR" '{"store":"no"}')
r2=$(rpc sfwd.profile_set "carol@$E2E_ADDR" '{"accept":["text/*"],"max_messages":2}')
profiles_ok() { ! grep -qiE 'error|fault' <<<"$r1 $r2"; }
e2e_check "d0 profiles set: bob store no; carol accept text/*, max_messages 2" profiles_ok
client d 60
crossing=$((MAX_BODY / 8192 + 1))
verify d \
	"d1 alice INVITEs offline dave -> 200" \
	"d2 a first SEND to a wrong To-Path -> 481 and the connection closed" \
	"d3 ... the real sender, on the right path, still gets 200" \
	"d4 ... BYE -> 200; exactly 1 row for that session" \
	"d5 a chunk whose Byte-Range total exceeds max_body_size -> 413" \
	"d6 chunks with total '*' accumulating past max_body_size -> 413" \
	"d7 ... refused no later than the chunk that crossed the limit (chunk $crossing)" \
	"d8 ... the session goes on: a small SEND -> 200, only it is stored" \
	"d9 a chunk that does not start where the last ended (gap) -> 400" \
	"d10 ... the session goes on: a good SEND -> 200, only it is stored" \
	"d11 a chunk with Byte-Range end < start -> 400" \
	"d11b a last chunk with fewer bytes than its Byte-Range names -> 400" \
	"d12 $IDLE_SESSIONS INVITEs to offline erin (alice 16, 6 others 14 at most), never connected -> 200 each" \
	"d13 the active-session gauge counts them while they are open" \
	"d14 INVITE with Request-Disposition: do-not-store (class instant) -> 480" \
	"d15 INVITE whose SDP says IMTP/instant -> 480" \
	"d16 INVITE to mallory (no such subscriber) -> 404" \
	"d17 INVITE to bob, whose profile says store: no -> 4xx (not 200)" \
	"d18 carol accepts text/* only: an image/png SEND -> 415" \
	"d19 carol's mailbox holds 2: the 3rd text SEND -> 403, 2 rows" \
	"d20 msrp_idle_timeout + 2 s after the last: the active-session gauge is 0" \
	"d21 a SEND to the last idle session's path -> 481, connection closed" \
	"d22 a new session to erin still works: INVITE, SEND, BYE -> 200, 1 row"
# (a session that stored nothing leaves no sfwd_session row: the log says)
e2e_eq "d23 Kamailio's log: every idle session to erin ended (idle)" "$IDLE_SESSIONS" \
	"$(grep -c "for erin@$E2E_ADDR ended (idle)" "$T_DIR/kam/kamailio.log")"
rpc sfwd.profile_delete "bob@$E2E_ADDR" >/dev/null
rpc sfwd.profile_delete "carol@$E2E_ADDR" >/dev/null

# statistics since the restart (phases c2 and d)
{ rpc stats.get_statistics all; rpc sfwd.stats; } >"$T_DIR/stats.txt"
stat() { grep -oE "(sfwd:)?$1\"?[[:space:]]*[:=][[:space:]]*[0-9]+" "$T_DIR/stats.txt" | head -n 1 | grep -oE '[0-9]+$'; }
sv() { python3 -c "import json; print(json.load(open('$T_DIR/state.json')).get('$1', 0))" 2>/dev/null; }
e2e_eq "s1 statistic sessions_accepted = sessions answered 200 since the restart" \
	"$(sv accepted_after_restart)" "$(stat sessions_accepted)"
e2e_eq "s2 statistic session_messages = SENDs stored since the restart" \
	"$(sv stored_after_restart)" "$(stat session_messages)"

# e: PostgreSQL away in the middle of a session
echo "  -- e: PostgreSQL down in the middle of a session"
client e 30
verify e \
	"e1 alice INVITEs offline dave -> 200, a SEND -> 200" \
	"e2 PostgreSQL down: the SEND gets an MSRP error (>= 400), never 200" \
	"e3 ... and sfwd ends the session with a BYE to alice (within 3 s)"
sf_pg_start "$E2E_PGDIR" "$E2E_PG_PORT" >/dev/null 2>&1 || e2e_fail "PostgreSQL started again"

# Kamailio survived it all
e2e_check "Kamailio's main process still runs" kill -0 "$(cat "$T_DIR/kam/kamailio.pid")"
e2e_eq "Kamailio logged no crash, corruption or child killed by a signal" 0 \
	"$(cat "$T_DIR/kam/kamailio.killed.log" "$T_DIR/kam/kamailio.log" |
		grep -ciE 'BUG|corrupt|segfault|core dumped|core was generated|by a signal')"
e2e_end
