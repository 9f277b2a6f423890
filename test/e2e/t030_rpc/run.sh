#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

BOB_PORT=$((E2E_SIP_PORT + 11))
rpc() { sf_kamcmd "$T_DIR/kam" "$@" 2>&1; }
stat() { rpc stats.get_statistics all | sed -n "s/^sfwd:$1 = //p"; }
# the fault code of an RPC: kamcmd prints "error: <code> - <text>"
fault() { rpc "$@" | sed -n 's/^error: \([0-9]*\) - .*/\1/p'; }

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST || e2e_fatal "Kamailio started"
e2e_q "DELETE FROM sfwd_message; DELETE FROM sfwd_profile" >/dev/null

echo "hello from the rpc test" >"$T_DIR/text"
e2e_request_xml "$T_DIR/m.xml" MESSAGE "Subject: rpc" text/plain "$T_DIR/text" 202
e2e_check "3 for bob, 2 for carol" e2e_sipp m1 "$T_DIR/m.xml" -s bob -m 3 -p $((E2E_SIP_PORT + 12))
e2e_sipp m2 "$T_DIR/m.xml" -s carol -m 2 -p $((E2E_SIP_PORT + 12))
e2e_eq "sfwd:stored counts them" 5 "$(stat stored)"

rpc sfwd.stats >"$T_DIR/stats"
e2e_check "sfwd.stats: 5 queued" grep -q 'queued: 5' "$T_DIR/stats"
e2e_check "sfwd.stats: database up" grep -q 'database: up' "$T_DIR/stats"
e2e_check "sfwd.stats: the oldest queued age" grep -qE 'oldest_queued_age: [0-9]+' "$T_DIR/stats"
e2e_check "sfwd.stats: per flusher" grep -q 'aors_waiting' "$T_DIR/stats"

rpc sfwd.list >"$T_DIR/list"
e2e_eq "sfwd.list: all 5" 5 "$(grep -c 'id:' "$T_DIR/list")"
e2e_eq "sfwd.list bob: 3" 3 "$(rpc sfwd.list "bob@$E2E_ADDR" | grep -c 'id:')"
e2e_eq "sfwd.list sip:bob@...: the same AoR" 3 "$(rpc sfwd.list "sip:bob@$E2E_ADDR" | grep -c 'aor: bob@')"
e2e_eq "sfwd.list bob 2 1: limit and offset" 2 "$(rpc sfwd.list "bob@$E2E_ADDR" 2 1 | grep -c 'id:')"
e2e_eq "sfwd.list bob 0: 400" 400 "$(fault sfwd.list "bob@$E2E_ADDR" 0)"
e2e_eq "sfwd.list '@': bad AoR 400" 400 "$(fault sfwd.list '@')"

id=$(e2e_q "SELECT min(id) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'")
rpc sfwd.show "$id" >"$T_DIR/show"
e2e_check "sfwd.show: from, state, size" grep -q 'state: queued' "$T_DIR/show"
e2e_check "sfwd.show: the kept headers" grep -q 'Subject: rpc' "$T_DIR/show"
e2e_check "sfwd.show: a text preview" grep -q 'preview: hello from the rpc test' "$T_DIR/show"
e2e_eq "sfwd.show 999999: 404" 404 "$(fault sfwd.show 999999)"
e2e_eq "sfwd.show abc: 400" 400 "$(fault sfwd.show abc)"

e2e_check "sfwd.delete <id>" grep -q "deleted $id" <(rpc sfwd.delete "$id")
e2e_eq "... gone" 0 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE id = $id")"
e2e_eq "sfwd.delete again: 404" 404 "$(fault sfwd.delete "$id")"
e2e_check "sfwd.purge carol" grep -q 'deleted 2' <(rpc sfwd.purge "carol@$E2E_ADDR")
e2e_eq "carol's are gone" 0 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'carol@$E2E_ADDR'")"

# profiles
e2e_eq "sfwd.profile_get without one: 404" 404 "$(fault sfwd.profile_get "bob@$E2E_ADDR")"
e2e_eq "sfwd.profile_set with bad JSON: 400" 400 "$(fault sfwd.profile_set "bob@$E2E_ADDR" '{"store": maybe}')"
e2e_check "... naming the problem" grep -qi 'invalid profile' <(rpc sfwd.profile_set "bob@$E2E_ADDR" '{"store":"sometimes"}')
e2e_eq "sfwd.profile_set forward http: 400" 400 \
	"$(fault sfwd.profile_set "bob@$E2E_ADDR" '{"forward":"http://example.com/"}')"
e2e_check "sfwd.profile_set a good one" grep -q '"store":"notify"' \
	<(rpc sfwd.profile_set "bob@$E2E_ADDR" '{"store":"notify","accept":["text/*"]}')
e2e_check "sfwd.profile_get returns it" grep -q '"accept":\["text/\*"\]' <(rpc sfwd.profile_get "bob@$E2E_ADDR")
e2e_check "sfwd.profile_delete" grep -q 'deleted profile' <(rpc sfwd.profile_delete "bob@$E2E_ADDR")
e2e_eq "sfwd.profile_delete again: 404" 404 "$(fault sfwd.profile_delete "bob@$E2E_ADDR")"
e2e_eq "the old name sfwd.policy_get still answers (one more release)" 404 \
	"$(fault sfwd.policy_get "bob@$E2E_ADDR")"

# flush: bob's phone registers WITHOUT triggering (flush_on_register is on,
# so the registration alone delivers); then sfwd.flush for a fresh one
timeout 30 sipp -sf "$E2E_SIPP_DIR/uas_message.xml" -i "$E2E_ADDR" -p "$BOB_PORT" \
	-m 2 -nostdin -timeout 25s -trace_msg -message_file "$T_DIR/bob.msg" >"$T_DIR/bob.out" 2>&1 &
bob=$!
e2e_wait_port "$BOB_PORT"
e2e_check "bob registers" e2e_sipp reg "$E2E_SIPP_DIR/register_contact.xml" -s bob \
	-key contact_port "$BOB_PORT" -key expires 3600 -m 1 -p $((E2E_SIP_PORT + 13))
for ((i = 0; i < 50; i++)); do
	[ "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR'")" = 0 ] && break
	sleep 0.1
done
e2e_sipp m3 "$T_DIR/m.xml" -s dave -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "dave's row is there" 1 "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = 'dave@$E2E_ADDR'")"
e2e_check "sfwd.flush dave@...: queued" grep -q "queued dave@$E2E_ADDR" <(rpc sfwd.flush "dave@$E2E_ADDR")
e2e_eq "sfwd.flush without an AoR: 400" 400 "$(fault sfwd.flush)"
e2e_eq "sfwd:delivered counts bob's 2" 2 "$(stat delivered)"

# rejected: quota is 1000 by default; a too-large body is one
head -c 140000 /dev/urandom >"$T_DIR/big"
e2e_eq "a 140 KB body over TCP -> 513" 513 "$(timeout 20 python3 \
	"$SF_TOP/test/e2e/t012_limits/tcp_peer.py" send "$E2E_ADDR" "$E2E_SIP_PORT" erin \
	"$T_DIR/big" application/octet-stream)"
e2e_eq "sfwd:rejected_size counts it" 1 "$(stat rejected_size)"
for ((i = 0; i < 30; i++)); do
	[ "$(stat queue_depth)" = 1 ] && break
	sleep 0.2
done
e2e_eq "sfwd:queue_depth (dave's)" 1 "$(stat queue_depth)"

# the example cfg's event routes log one JSON line per event
e2e_check "event_route[sfwd:stored] logged" \
	grep -q '{"sfwd":"stored","id":[0-9]*,"to":"sip:bob@' "$T_DIR/kam/kamailio.log"
e2e_check "event_route[sfwd:delivered] logged" \
	grep -q '{"sfwd":"delivered","id":[0-9]*,"to":"bob@' "$T_DIR/kam/kamailio.log"

# JSON-RPC through jsonrpcs' FIFO gives the same commands
fifo=$T_DIR/kam/jsonrpc_fifo
if [ -p "$fifo" ]; then
	reply=$T_DIR/kam/jsonrpc_reply
	rm -f "$reply"
	mkfifo -m 0666 "$reply"
	printf '{"jsonrpc":"2.0","method":"sfwd.stats","reply_name":"%s","id":1}\n' \
		"$(basename "$reply")" >"$fifo" &
	timeout 5 cat "$reply" >"$T_DIR/jsonrpc.out"
	e2e_check "JSON-RPC sfwd.stats" grep -q '"queued"' "$T_DIR/jsonrpc.out"
	e2e_eq "JSON-RPC sfwd.show 999999: code 404" 404 "$(
		printf '{"jsonrpc":"2.0","method":"sfwd.show","params":["999999"],"reply_name":"%s","id":2}\n' \
			"$(basename "$reply")" >"$fifo" &
		timeout 5 cat "$reply" | sed -n 's/.*"code":[[:space:]]*\([0-9]*\).*/\1/p')"
else
	e2e_fail "jsonrpcs FIFO $fifo missing"
fi
e2e_end
