#!/usr/bin/env bash
# A phone for trying sfwd by hand: USER comes online (registers a contact on
# PORT, where a SIPp recipient answers every MESSAGE 200), prints each
# MESSAGE it receives (sender, date, body) as it arrives, and goes offline
# again (unregisters) after COUNT messages or WAIT seconds.
#
#   scripts/sfwd-phone.sh USER PASSWORD [COUNT=1] [PORT=SIP port + 10] [WAIT=30]
#
# Environment: SFWD_SIP_ADDR [127.0.0.1], SFWD_SIP_PORT [5060] (as make run).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || { echo "usage: $0 USER PASSWORD [COUNT] [PORT] [WAIT]" >&2; exit 2; }
user=$1 pass=$2
count=${3:-1}
addr=${SFWD_SIP_ADDR:-127.0.0.1}
sip_port=${SFWD_SIP_PORT:-5060}
port=${4:-$((sip_port + 10))}
wait_s=${5:-30}
tmp=$(mktemp -d /tmp/sfwd-phone.XXXXXX)
uas=
cleanup() {
	[ -n "$uas" ] && kill "$uas" 2>/dev/null
	# offline again
	sipp -sf "$SF_TOP/test/sipp/register_contact.xml" -i "$addr" -s "$user" \
		-au "$user" -ap "$pass" -key contact_port "$port" -key expires 0 -m 1 \
		-p $((port + 2)) -nostdin -timeout 10s "$addr:$sip_port" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the recipient: answers each MESSAGE 200, logs it
sipp -sf "$SF_TOP/test/sipp/uas_message.xml" -i "$addr" -p "$port" -m "$count" \
	-nostdin -timeout "${wait_s}s" -trace_msg -message_file "$tmp/msg" \
	"$addr:$sip_port" >"$tmp/uas.out" 2>&1 &
uas=$!
for ((i = 0; i < 50; i++)); do
	[ -n "$(ss -Hlun "sport = :$port")" ] && break
	sleep 0.1
done
if ! sipp -sf "$SF_TOP/test/sipp/register_contact.xml" -i "$addr" -s "$user" \
	-au "$user" -ap "$pass" -key contact_port "$port" -key expires 3600 -m 1 \
	-p $((port + 1)) -nostdin -timeout 10s "$addr:$sip_port" >"$tmp/reg.out" 2>&1; then
	echo "$user could not register (wrong password? see scripts/sfwd-user.sh)" >&2
	exit 1
fi
echo "$user@$addr is online on port $port; waiting for $count message(s), at most $wait_s s"

# print each MESSAGE as it arrives: From, Date, body
shown=0
show_new() {
	local n
	n=$(tr -d '\r' <"$tmp/msg" 2>/dev/null | grep -c '^MESSAGE ')
	[ "${n:-0}" -gt "$shown" ] || return 0
	tr -d '\r' <"$tmp/msg" | awk -v skip="$shown" '
		/^MESSAGE / { m++; inmsg = (m > skip); body = 0; next }
		/^SIP\/2\.0 / { inmsg = 0; next }
		/^-+ / && body { inmsg = 0; next }
		!inmsg { next }
		body { print "  | " $0; next }
		/^From:/ { sub(/;tag=.*/, ""); print "message " m " " $0 }
		/^Date:/ { print "  " $0 }
		/^Subject:/ { print "  " $0 }
		/^$/ { body = 1 }'
	shown=$n
}
deadline=$((SECONDS + wait_s))
while [ "$shown" -lt "$count" ] && [ $SECONDS -lt $deadline ]; do
	show_new
	kill -0 "$uas" 2>/dev/null || break
	sleep 0.2
done
# the recipient may have ended with the last message: what is left
wait "$uas" 2>/dev/null
uas=
show_new
tr -d '\r' <"$tmp/msg" 2>/dev/null | grep -c '^MESSAGE ' >"$tmp/n"
echo "$user received $(cat "$tmp/n") message(s)"
[ "$(cat "$tmp/n")" -ge "$count" ]
