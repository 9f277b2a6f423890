#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

# check NAME METHOD HEADERS CTYPE BODYFILE EXPECTED [SIPP ARGS...]
# EXPECTED is "<rc>" or "<rc>;notify=<n>;source=<s>"
n=0
check() {
	local name=$1 method=$2 hdrs=$3 ctype=$4 bodyf=$5 want=$6 got
	shift 6
	n=$((n + 1))
	e2e_request_xml "$T_DIR/case.xml" "$method" "$hdrs" "$ctype" "$bodyf" \
		"$([ "$method" = INVITE ] && echo 488 || echo 200)"
	rm -f "$T_DIR/case.msg"
	if ! e2e_sipp case "$T_DIR/case.xml" -m 1 -s bob -p $((E2E_SIP_PORT + 20)) "$@"; then
		e2e_fail "$name: SIPp failed ($(tail -n 2 "$T_DIR/case.err" 2>/dev/null | tr '\n' ' '))"
		return
	fi
	got=$(tr -d '\r' <"$T_DIR/case.msg" | sed -n \
		-e 's/^X-SF-Class: \(.*\)$/\1/p' -e 's/^X-SF-Detail: \(.*\)$/;\1/p' |
		tr -d '\n')
	e2e_eq "$name" "$want" "$got"
}

body() { # body NAME: the text on stdin becomes $T_DIR/NAME
	cat >"$T_DIR/$1"
	echo "$T_DIR/$1"
}

SDP_HEAD="v=0
o=alice 2890844526 2890844526 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0"
sdp_instant=$(body sdp_instant <<<"$SDP_HEAD
m=messaging 3456 IMTP/instant MESSAGE/instant html")
sdp_sf=$(body sdp_sf <<<"$SDP_HEAD
m=messaging 3456 IMTP/store&fwd MESSAGE/store&fwd html")
sdp_msrp=$(body sdp_msrp <<<"$SDP_HEAD
m=message 7654 TCP/MSRP *
a=accept-types:text/plain
a=path:msrp://127.0.0.1:7654/jshA7we;tcp")
sdp_bad=$(body sdp_bad <<<"$SDP_HEAD
m=messaging 3456 IMTP/sometimes MESSAGE/instant html")
mp=$(body mp <<<"--sf-boundary-1
Content-Type: text/plain

see the session below
--sf-boundary-1
Content-Type: application/sdp

$SDP_HEAD
m=messaging 3456 IMTP/S&F MESSAGE/S&F html
--sf-boundary-1--")
cpim=$(body cpim <<<"From: <sip:alice@127.0.0.1>
To: <sip:bob@127.0.0.1>
NS: imdn <urn:ietf:params:imdn>
imdn.Message-ID: 34jk324j
DateTime: 2026-11-22T10:00:00Z
imdn.Disposition-Notification: positive-delivery, negative-delivery

Content-Type: text/plain

hello")
cpim_nons=$(body cpim_nons <<<"From: <sip:alice@127.0.0.1>
imdn.Disposition-Notification: positive-delivery

Content-Type: text/plain

hello")
text=$(body text <<<"hello bob")

e2e_kam kam "$T_SRC/kamailio.cfg" || e2e_fatal "Kamailio started"

check "no flag -> default store" MESSAGE "" text/plain "$text" "2;notify=0;source=default"
check "Request-Disposition: do-not-store" MESSAGE "Request-Disposition: do-not-store" text/plain "$text" "1;notify=0;source=request-disposition"
check "Request-Disposition: store-and-forward-if-not-reached" MESSAGE "Request-Disposition: store-and-forward-if-not-reached" text/plain "$text" "2;notify=0;source=request-disposition"
check "Request-Disposition: Notify (case)" MESSAGE "Request-Disposition: Notify" text/plain "$text" "3;notify=3;source=request-disposition"
check "two Request-Disposition headers with RFC 3841 tokens" MESSAGE "Request-Disposition: proxy, no-fork|Request-Disposition: sequential,STORE" text/plain "$text" "2;notify=0;source=request-disposition"
check "compact list: store, notify" MESSAGE "Request-Disposition: store, notify" text/plain "$text" "3;notify=3;source=request-disposition"
check "Content-Disposition: instant" MESSAGE "Content-Disposition: instant" text/plain "$text" "1;notify=0;source=content-disposition"
check "Content-Disposition: store&fwd;handling=optional" MESSAGE "Content-Disposition: store&fwd;handling=optional" text/plain "$text" "2;notify=0;source=content-disposition"
check "Content-Disposition: S&F" MESSAGE "Content-Disposition: S&F" text/plain "$text" "2;notify=0;source=content-disposition"
check "instant beats notify" MESSAGE "Request-Disposition: notify|Content-Disposition: instant" text/plain "$text" "1;notify=0;source=content-disposition"
check "CPIM positive+negative delivery" MESSAGE "" message/cpim "$cpim" "3;notify=3;source=cpim"
check "CPIM without NS line -> default" MESSAGE "" message/cpim "$cpim_nons" "2;notify=0;source=default"
check "INVITE SDP IMTP/instant" INVITE "" application/sdp "$sdp_instant" "1;notify=0;source=sdp"
check "INVITE SDP IMTP/store&fwd" INVITE "" application/sdp "$sdp_sf" "2;notify=0;source=sdp"
check "INVITE multipart/mixed SDP IMTP/S&F" INVITE "" "multipart/mixed;boundary=sf-boundary-1" "$mp" "2;notify=0;source=sdp"
check "INVITE plain MSRP -> default" INVITE "" application/sdp "$sdp_msrp" "2;notify=0;source=default"
check "unknown IMTP flag -> -2" INVITE "" application/sdp "$sdp_bad" "-2"
check "quoted Request-Disposition -> -2" MESSAGE 'Request-Disposition: "store"' text/plain "$text" "-2"
check "Content-Disposition foo&bar -> -2" MESSAGE "Content-Disposition: foo&bar" text/plain "$text" "-2"
check "OPTIONS -> -1" OPTIONS "Request-Disposition: store" "" "" "-1"
e2e_kam_stop kam

# the module default applies only when the sender says nothing
e2e_kam kam2 "$T_SRC/kamailio.cfg" -A 'SFWD_DEFAULT_CLASS="instant"' ||
	e2e_fatal "Kamailio (default_class instant) started"
check "default_class instant, no flag" MESSAGE "" text/plain "$text" "1;notify=0;source=default"
check "default_class instant, explicit store" MESSAGE "Request-Disposition: store" text/plain "$text" "2;notify=0;source=request-disposition"
e2e_kam_stop kam2

e2e_kam kam3 "$T_SRC/kamailio.cfg" -A 'SFWD_DEFAULT_CLASS="notify"' ||
	e2e_fatal "Kamailio (default_class notify) started"
check "default_class notify, no flag" MESSAGE "" text/plain "$text" "3;notify=3;source=default"
check "TCP: Content-Disposition: instant" MESSAGE "Content-Disposition: instant" text/plain "$text" "1;notify=0;source=content-disposition" -t t1
check "TCP: INVITE SDP IMTP/instant" INVITE "" application/sdp "$sdp_instant" "1;notify=0;source=sdp" -t t1
e2e_kam_stop kam3
e2e_end
