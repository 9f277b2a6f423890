#!/usr/bin/env bash
# t045: MSRP retrieval hygiene (see README). One Python client (hygiene.py)
# drives SIP and MSRP and prints one line per named check; tshark captures
# the MSRP port and msrp_frames.py checks every frame of the capture.
. "$(dirname "$0")/../lib.sh"
e2e_begin

UA_PORT=$((E2E_SIP_PORT + 21)) # +21 bob/alice, +23 carol, +25 SUBSCRIBE (MSRP paths: +1)

e2e_kam_example
e2e_user bob bobs-secret
e2e_user carol carols-secret

# capture the MSRP port (bounded wait until tshark writes)
e2e_capture_msrp

# every named check the client must report (a check it never reached fails)
expected=(
	"1a MESSAGE with a 1,100-byte From display name stored (202)"
	"1b MESSAGE with a 1,100-byte To display name stored (202)"
	"A bob's retrieval INVITE -> 200"
	"A the empty SEND binding session A -> 200"
	"1c long From: payload From header byte-exact"
	"1c long From: payload has no NUL byte"
	"1c long From: payload Content-Length matches its body"
	"1c long From: payload is valid UTF-8"
	"1d long To: payload To header byte-exact"
	"1d long To: payload has no NUL byte"
	"1d long To: payload Content-Length matches its body"
	"1d long To: payload is valid UTF-8"
	"1e long From: payload body byte-exact"
	"1f long To: payload body byte-exact"
	"2a every session id in a=path is >= 16 characters of [a-z2-7]"
	"2b session ids differ between sessions"
	"2c a=path has the form msrp://<msrp_listen>/<id>;tcp"
	"3a silent connection closed within msrp_bind_timeout+2 s"
	"3b SEND naming a made-up session -> MSRP 481"
	"3c ... and sfwd closes that connection (within 2 s)"
	"3d the idle-connection checks finished"
	"3e ... but not before msrp_bind_timeout (no early close)"
	"4a bob's first and second concurrent retrieval INVITEs -> 200"
	"4b bob's third concurrent retrieval INVITE -> 486"
	"4c carol is not affected: her INVITE meanwhile -> 200"
	"4d the three sessions end with BYE -> 200"
	"4e after the BYEs bob may open a session again -> 200"
	"5a BYE with the right Call-ID but a wrong To tag -> 481"
	"5b BYE with the right Call-ID but a wrong From tag -> 481"
	"5c ... the session stays usable: SEND -> 200, connection open"
	"5d the right BYE -> 200"
	"5e ... and sfwd closes the MSRP connection (within 2 s)"
	"5f the same BYE again (new CSeq) -> 481"
	"5g carol's unconnected session: BYE -> 200"
	"6a bound: SEND to a made-up session id -> MSRP 481"
	"6b bound: SEND to carol's live session path -> MSRP 481"
	"6c ... the connection stays open and session A delivers both messages"
	"7a SEND with Failure-Report: no -> no MSRP response within 1 s"
	"7b ... the connection still works: a normal SEND -> 200"
	"7c good SEND with Failure-Report: partial -> no 200 within 1 s"
	"7d SEND to another session with Failure-Report: partial -> 481"
	"7e SEND to another session with Failure-Report: no -> no response"
	"7f ... a normal SEND afterwards -> 200"
	"8a 3 text MESSAGEs stored for bob"
	"8b bob's SUBSCRIBE message-summary (digest) -> 200"
	"8c NOTIFY Messages-Waiting: yes, Text-Message: 3/0"
	"8d bob fetches the 3 over MSRP"
	"8e NOTIFY Messages-Waiting: no, Text-Message: 0/0 within 3 s of the last 200"
)

# how many rows bob's mailbox holds (the client asks while it runs)
cat >"$T_DIR/queued.sh" <<EOS
. "$SF_TOP/scripts/lib.sh"
sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" -tAc "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'"
EOS
t0=$(e2e_ms_now)
timeout 45 python3 "$T_SRC/hygiene.py" --sip-port "$E2E_SIP_PORT" \
	--msrp-port "$E2E_MSRP_PORT" --ua-port "$UA_PORT" --bind-timeout 5 \
	--log "$T_DIR/client.log" --out "$T_DIR/client.json" \
	--rows "bash $T_DIR/queued.sh" >"$T_DIR/checks.txt" 2>"$T_DIR/client.err"
rc=$?
echo "  client ran $(($(e2e_ms_now) - t0)) ms"
[ -s "$T_DIR/client.err" ] && sed 's/^/    client: /' "$T_DIR/client.err" | tail -n 20
e2e_reported "$T_DIR/checks.txt" "(client exit $rc)" \
	"the client reported exactly the expected checks" "${expected[@]}"

# 9: the capture
sleep 0.5
e2e_capture_stop
sent=$(python3 -c "import json; print(json.load(open('$T_DIR/client.json'))['frames']['sent'])" 2>/dev/null)
recv=$(python3 -c "import json; print(json.load(open('$T_DIR/client.json'))['frames']['received'])" 2>/dev/null)
e2e_capture_frames "${sent:-?}" "${recv:-?}" "9a the frame checker ran" \
	"9b every frame parses strictly (RFC 4975): no malformed frame" \
	"9c no bytes left over after the last frame of each direction" \
	"9d no gap in the captured TCP streams" \
	"9e frames client->sfwd in the capture = frames the client sent" \
	"9f frames sfwd->client in the capture = frames the client parsed"
python3 "$T_SRC/msrp_frames.py" --self-test >"$T_DIR/selftest.txt" 2>&1
e2e_eq "9i the frame checker itself accepts good and refuses each known-bad stream" \
	"0 of 17" "$(awk -F'\t' '$1 == "selftest_failures" { f = $2 } $1 == "selftest_cases" { c = $2 } END { print f " of " c }' "$T_DIR/selftest.txt")"
grep $'^selftest_error\t' "$T_DIR/selftest.txt" | sed 's/^/    /'
e2e_msrp_lines
e2e_check "9g tshark decodes MSRP SENDs, 200 and 481 responses" \
	eval "grep -q SEND '$T_DIR/msrp.txt' && grep -q '200 OK' '$T_DIR/msrp.txt' && grep -q ' 481 ' '$T_DIR/msrp.txt'"
e2e_eq "9h tshark: no malformed or erroneous MSRP" 0 "$(e2e_msrp_bad)"

# Kamailio survived it all (as t042 counts it)
e2e_check "Kamailio's main process still runs" kill -0 "$(cat "$T_DIR/kam/kamailio.pid")"
e2e_eq "Kamailio logged no crash, corruption or child killed by a signal" 0 \
	"$(grep -ciE 'BUG|corrupt|segfault|core dumped|core was generated|by a signal' "$T_DIR/kam/kamailio.log")"
e2e_end
