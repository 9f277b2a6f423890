#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

ALICE_PORT=$((E2E_SIP_PORT + 16))
BOB_PORT=$((E2E_SIP_PORT + 11))
count() { e2e_q "SELECT count(*) FROM sfwd_message WHERE aor = '$1@$E2E_ADDR' ${2:-}"; }

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST -A SFWD_STORED_NOTICE ||
	e2e_fatal "Kamailio started"
e2e_q "DELETE FROM sfwd_message" >/dev/null

phone() { # phone NAME PORT COUNT LOG: a registered recipient for COUNT MESSAGEs
	timeout 40 sipp -sf "$E2E_SIPP_DIR/uas_message.xml" -i "$E2E_ADDR" -p "$2" \
		-m "$3" -nostdin -timeout 30s -trace_msg -message_file "$T_DIR/$4.msg" \
		>"$T_DIR/$4.out" 2>&1 &
	phone_pid=$!
	e2e_wait_port "$2"
	e2e_sipp "reg_$4" "$E2E_SIPP_DIR/register_contact.xml" -s "$1" \
		-key contact_port "$2" -key expires 3600 -m 1 -p $((E2E_SIP_PORT + 13))
}
received() { { tr -d '\r' <"$T_DIR/$1.msg"; } 2>/dev/null |
	awk '/^MESSAGE /{r=1} /^SIP\/2\.0 /{r=0} r'; }

# alice is online: her phone takes the stored notice and the report
phone alice "$ALICE_PORT" 2 alice
alice_phone=$!
e2e_check "alice sends bob (offline) a CPIM message asking for reports -> 202" \
	e2e_sipp cpim "$T_SRC/alice.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
mid=$(tr -d '\r' <"$T_DIR/cpim.msg" | sed -n 's/^imdn.Message-ID: //p' | head -n 1)
# a second message from alice at once: no second notice (rate limit), and
# it asks for no report, so alice's phone gets exactly notice + report
echo "and one more" >"$T_DIR/more"
e2e_request_xml "$T_DIR/more.xml" MESSAGE "" text/plain "$T_DIR/more" 202
sed -i 's|From: <sip:alice@\[local_ip\]>|From: <sip:alice@[remote_ip]>|' "$T_DIR/more.xml"
e2e_check "a second MESSAGE from alice to bob -> 202" \
	e2e_sipp more "$T_DIR/more.xml" -s bob -m 1 -p $((E2E_SIP_PORT + 12))
e2e_eq "stored as class 3 with its imdn.Message-ID" "3 $mid" \
	"$(e2e_q "SELECT class || ' ' || imdn_id FROM sfwd_message WHERE aor = 'bob@$E2E_ADDR' AND class = 3")"

phone bob "$BOB_PORT" 2 bob
wait "$phone_pid"
wait "$alice_phone"
e2e_eq "alice's phone got two MESSAGEs (notice, report)" 0 $?
received alice >"$T_DIR/alice.txt"
e2e_eq "one stored notice for two messages (rate limit), in text" 1 \
	"$(grep -c '^Your message to bob@127.0.0.1 is stored and will be delivered' "$T_DIR/alice.txt")"
# as if bob's device sent it: SIP From and CPIM From are the To alice used
# (clients match a report to its conversation by them: issue 12 item 19)
e2e_eq "one report, from the recipient (SIP and CPIM From), as message/cpim" 1 \
	"$(awk '/^MESSAGE /{f=0; c=0; k=0} /^From: <sip:bob@127\.0\.0\.1>;tag=/{f=1} /^From: <sip:bob@127\.0\.0\.1>$/{k=1} /^Content-Type: message\/cpim$/{c=1} /<\/imdn>/{if (f && c && k) n++} END{print n+0}' "$T_DIR/alice.txt")"
# RFC 5438 7.1.1: <datetime> is the original's CPIM DateTime (item 12)
e2e_check "... its <datetime> is the original's CPIM DateTime" \
	grep -q '<datetime>2026-11-22T10:00:00Z</datetime>' "$T_DIR/alice.txt"
e2e_check "the report says delivered" grep -q '<delivered/>' "$T_DIR/alice.txt"
e2e_check "... for the original's imdn.Message-ID" grep -q "<message-id>$mid</message-id>" "$T_DIR/alice.txt"
e2e_check "... with the recipient" grep -q "<recipient-uri>sip:bob@$E2E_ADDR</recipient-uri>" "$T_DIR/alice.txt"
e2e_check "... its MIME part is message/imdn+xml, a notification" \
	grep -q '^Content-Type: message/imdn+xml$' "$T_DIR/alice.txt"
e2e_check "the report asks for no report" grep -q '^Request-Disposition: store$' "$T_DIR/alice.txt"

# expiry: a notify-class message to dave, who never comes; alice is
# offline now, so the negative report is stored for her
sipp_unreg() {
	e2e_sipp unreg "$E2E_SIPP_DIR/register_contact.xml" -s alice \
		-key contact_port "$ALICE_PORT" -key expires 0 -m 1 -p $((E2E_SIP_PORT + 13))
}
sipp_unreg
echo "short-lived" >"$T_DIR/text"
e2e_request_xml "$T_DIR/short.xml" MESSAGE "Request-Disposition: notify|Expires: 2" \
	text/plain "$T_DIR/text" 202
sed -i 's|From: <sip:alice@\[local_ip\]>|From: <sip:alice@[remote_ip]>|' "$T_DIR/short.xml"
e2e_check "a notify MESSAGE to dave with Expires: 2 -> 202" \
	e2e_sipp short "$T_DIR/short.xml" -s dave -m 1 -p $((E2E_SIP_PORT + 12))
sid=$(tr -d '\r' <"$T_DIR/short.msg" | sed -n 's/^X-Sfwd-Message-ID: //p' | head -n 1)
e2e_check "the 202 names sfwd's id ($sid)" test -n "$sid"
for ((i = 0; i < 100; i++)); do
	[ "$(count alice "AND content_type = 'message/cpim'")" = 1 ] && break
	sleep 0.1
done
e2e_eq "dave's message expired" 1 "$(count dave "AND state = 'expired'")"
e2e_eq "a negative report is stored for alice (offline)" 1 \
	"$(count alice "AND content_type = 'message/cpim'")"
body=$(e2e_q "SELECT convert_from(body, 'UTF8') FROM sfwd_message WHERE aor = 'alice@$E2E_ADDR' AND content_type = 'message/cpim'")
e2e_check "it says failed" grep -q '<failed/>' <<<"$body"
# no CPIM DateTime: when it was received, to the microsecond (item 21)
got=$(sed -n 's|.*<datetime>\(.*\)</datetime>.*|\1|p' <<<"$body" | tr -d '\r')
want=$(e2e_q "SELECT to_char(received AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM sfwd_message WHERE aor = 'dave@$E2E_ADDR'")
e2e_eq "... its <datetime> is when dave's message was received, in microseconds" \
	"$want" "$got"
e2e_check "it names sfwd's id" grep -q "<message-id>$sid</message-id>" <<<"$body"
e2e_eq "the stored report asks for no report (class 2, no report bits)" "2 0" \
	"$(e2e_q "SELECT class || ' ' || notify FROM sfwd_message WHERE aor = 'alice@$E2E_ADDR' AND content_type = 'message/cpim'")"
e2e_eq "one stored notice per sender within the interval (none for the 2nd)" 0 \
	"$(count alice "AND content_type = 'text/plain'")"
e2e_end
