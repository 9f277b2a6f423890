#!/usr/bin/env bash
# t070: group messages (issue 18; see README). One Python client
# (group.py), run once per phase, plays the sender, the members' phones and
# the bad senders, and prints one line per named check; this script knows
# every name a phase must report (a check never reached fails).
. "$(dirname "$0")/../lib.sh"
e2e_begin

BASE=$((E2E_SIP_PORT + 100)) # +100..+142: the client's UAs
e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST || e2e_fatal "Kamailio started"
e2e_q "DELETE FROM sfwd_message; DELETE FROM sfwd_group; DELETE FROM sfwd_group_sent" >/dev/null
users=(alice bob carol dave erin frank)
for i in $(seq -w 1 50); do users+=("m$i"); done
e2e_users "${users[@]}"

cat >"$T_DIR/sql.sh" <<EOS
#!/usr/bin/env bash
. "$SF_TOP/scripts/lib.sh"
sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" -qAt -c "\$1"
EOS
cat >"$T_DIR/rpc.sh" <<EOS
#!/usr/bin/env bash
. "$SF_TOP/scripts/lib.sh"
sf_kamcmd "$T_DIR/kam" "\$@" 2>&1
EOS
chmod +x "$T_DIR/sql.sh" "$T_DIR/rpc.sh"

# client PHASE SECONDS: one phase of group.py; its check lines in PHASE.txt
client() {
	timeout "$2" python3 "$T_SRC/group.py" --phase "$1" --sip-port "$E2E_SIP_PORT" \
		--base "$BASE" --sql "$T_DIR/sql.sh" --rpc "$T_DIR/rpc.sh" \
		--log "$T_DIR/client.log" >"$T_DIR/$1.txt" 2>"$T_DIR/$1.err"
	[ -s "$T_DIR/$1.err" ] && sed 's/^/    client: /' "$T_DIR/$1.err" | tail -n 20
	return 0
}
verify() {
	local ph=$1
	shift
	e2e_reported "$T_DIR/$ph.txt" "" "phase $ph reported no check beyond the expected ones" "$@"
}

client list 120
verify list \
	"l0 alice, bob and carol register -> 200" \
	"l1 a list of 5 (2 registered, 3 not, 1 bcc) -> 202" \
	"l2 ... its X-Sfwd-Group says 5 copies: 2 delivered, 3 stored" \
	"l3 bob and carol got it once each" \
	"l4 ... from alice, to bob, a Call-ID of its own" \
	"l5 ... with the to and cc recipients listed (recipient-list-history)" \
	"l6 dave, erin and frank's copies are stored" \
	"l7 dave, erin and frank got it once each after registering" \
	"l8 nobody else's copy names the bcc recipient (frank)" \
	"l9 alice got 5 reports, one naming each recipient" \
	"l10 the same request again later -> 202, nobody gets a second copy"

client group 120
verify group \
	"g0 sfwd.group_set team with 50 members" \
	"g1 sfwd.group_get lists them, senders members" \
	"g2 24 members register -> 200" \
	"g3 m01 sends to the group -> 202" \
	"g4 ... 49 copies: 24 delivered, 25 stored" \
	"g5 each registered member got it once" \
	"g6 25 copies stored, one per offline member, none for the sender" \
	"g7 a retransmission of the original changes nothing" \
	"g8 a non-member to a members-only group -> 403" \
	"g9 a message to an unknown group -> 404" \
	"g10 a group whose only member is the sender -> 400" \
	"g11 sfwd:groups counts the 2 groups"

client bad 60
verify bad \
	"b1 malformed XML -> 400 with a Warning" \
	"b2 a list naming bob 3 times -> 202, one copy" \
	"b3 10,000 recipients -> 413" \
	"h1 a 2 KB display name, 60 Request-Disposition headers -> 202, bob's copy keeps the name" \
	"h2 a recipient that is not UTF-8 -> 400" \
	"h3 a gzip-encoded list body -> 400" \
	"h4 a DOCTYPE with entities (billion laughs) -> 400" \
	"h5 a tel: recipient -> 400" \
	"h7 a recipient with %0D%0A in its user -> 400" \
	"h8 a list sent over TCP -> 202, bob gets his copy" \
	"h9 a request whose copies another node is sending -> 500, nothing sent" \
	"h10 ... claimed long ago without an outcome (a crash) -> sent now, 202" \
	"h6 ... and the next good list still goes -> 202, bob gets it"

stat() { sf_kamcmd "$T_DIR/kam" stats.get_statistics all 2>&1 | sed -n "s/^sfwd:$1 = //p"; }
e2e_eq "sfwd:group_messages counts the 10 exploded requests" 10 "$(stat group_messages)"
e2e_eq "sfwd:group_copies counts their 59 outcomes" 59 "$(stat group_copies)"
e2e_eq "sfwd:group_copies_lost: none" 0 "$(stat group_copies_lost)"
e2e_eq "event_route[sfwd:group] logged the 7 requests that sent copies (202)" 7 \
	"$(grep -c '"sfwd":"group","state":"sent",.*"code":202' "$T_DIR/kam/kamailio.log")"
e2e_check "... the list of 5: 2 delivered, 3 stored" grep -q \
	'"copies":5,"delivered":2,"stored":3,"refused":0,"lost":0' "$T_DIR/kam/kamailio.log"

# the same under the Lua cfg and the minimal cfg (no subscribers there)
small=("s0 bob registers -> 200"
	"s1 a list of bob (registered) and dave (not) -> 202, 1 delivered, 1 stored"
	"s2 bob got it once, dave's copy is stored"
	"s3 m01 to group trio -> 202: bob delivered, dave stored")
for cfg in lua minimal; do
	e2e_kam_stop kam
	e2e_q "DELETE FROM sfwd_message; DELETE FROM sfwd_group; DELETE FROM sfwd_group_sent" >/dev/null
	if [ $cfg = lua ]; then
		e2e_kam kam "$SF_TOP/etc/kamailio-lua.cfg" -A SFWD_TEST \
			-A "SFWD_LUA=\"$SF_TOP/etc/kamailio.lua\"" || e2e_fatal "Kamailio (Lua) started"
	else
		e2e_kam kam "$SF_TOP/etc/kamailio-minimal.cfg" || e2e_fatal "Kamailio (minimal) started"
	fi
	client small 60
	mv "$T_DIR/small.txt" "$T_DIR/small-$cfg.txt"
	e2e_reported "$T_DIR/small-$cfg.txt" "($cfg)" "$cfg: no check beyond the expected ones" \
		"${small[@]}"
done
e2e_end
