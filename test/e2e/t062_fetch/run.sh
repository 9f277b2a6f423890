#!/usr/bin/env bash
# Notify-then-fetch over HTTP: Kamailio's xhttp on the test's HTTP port,
# curl as the phone's browser; fetch.py sends, fetches and checks; once
# with etc/kamailio.cfg, once with etc/kamailio-lua.cfg (KEMI).
. "$(dirname "$0")/../lib.sh"
e2e_begin

HTTP_PORT=$((E2E_SIP_PORT + 70)) # +30: the MSRP port by default
BASE_PORT=$((E2E_SIP_PORT + 71)) # .. +77
HTTP_URL="http://$E2E_ADDR:$HTTP_PORT/sfwd"
rpc() { sf_kamcmd "$T_DIR/$KAM" "$@" 2>&1; }
e2e_sql_script >/dev/null
mkdir -p "$T_DIR/tmp"
mapfile -t names < <(grep -o 'st\.check("[^"]*"' "$T_SRC/fetch.py" | sed 's/^st\.check("//; s/"$//')

for mode in native lua; do
	echo "  -- $mode cfg"
	KAM=kam-$mode
	if [ $mode = native ]; then
		CFG=("$SF_TOP/etc/kamailio.cfg")
		U=t062
	else
		CFG=("$SF_TOP/etc/kamailio-lua.cfg" -A "SFWD_LUA=\"$SF_TOP/etc/kamailio.lua\"")
		U=t062l
	fi
	# a 2 MB fetch goes through pkg memory twice (xhttp's reply)
	SF_KAM_PKG=32 e2e_kam $KAM "${CFG[@]}" -A SFWD_TEST \
		-A "SFWD_HTTP_PORT=$HTTP_PORT" -A "SFWD_HTTP_ADDR=$E2E_ADDR" \
		-A "SFWD_HTTP_URL=\"$HTTP_URL\"" -A SFWD_FETCH_THRESHOLD=4096 \
		-A SFWD_MAX_BODY_SIZE=4194304 || e2e_fatal "Kamailio started ($mode)"
	e2e_users ${U}bob ${U}carol ${U}dave ${U}erin ${U}frank ${U}gus
	for u in carol erin frank; do
		e2e_check "$mode: $u's profile: deliver notify" eval \
			"rpc sfwd.profile_set '$U$u@$E2E_ADDR' '{\"deliver\":\"notify\"}' | grep -qv error"
	done
	e2e_check "$mode: gus's profile forwards to mailto:" eval \
		"rpc sfwd.profile_set '${U}gus@$E2E_ADDR' '{\"forward\":\"mailto:gus@sfwd.test\"}' | grep -qv error"
	e2e_check "$mode: GET / on the HTTP port -> 404 from the cfg" eval \
		"[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://$E2E_ADDR:$HTTP_PORT/)\" = 404 ]"
	e2e_check "$mode: a link on the SIP port -> 404 (only the HTTP listener serves)" eval \
		"[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://$E2E_ADDR:$E2E_SIP_PORT/sfwd/m/0123456789abcdef0123456789abcdef)\" = 404 ]"
	python3 "$T_SRC/fetch.py" --kam-port "$E2E_SIP_PORT" --base-port "$BASE_PORT" \
		--http "$HTTP_URL" --domain "$E2E_ADDR" --tmp "$T_DIR/tmp" --users $U \
		--sql bash "$T_DIR/q.sh" --log "$T_DIR/fetch-$mode.log" \
		>"$T_DIR/fetch-$mode.out" 2>"$T_DIR/fetch-$mode.err"
	grep "^info " "$T_DIR/fetch-$mode.err" | sed "s/^/  /"
	e2e_reported "$T_DIR/fetch-$mode.out" "(see fetch-$mode.log, fetch-$mode.err)" \
		"fetch.py reports no other check" "${names[@]}"
	echo "  info statistics: $(rpc stats.get_statistics sfwd: | grep -E 'notified|fetch' | tr -d '"' | tr '\n' ' ' | tr -s ' ')"
	e2e_kam_stop $KAM
done
e2e_end
