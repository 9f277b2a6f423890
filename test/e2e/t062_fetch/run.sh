#!/usr/bin/env bash
# Notify-then-fetch over HTTP: Kamailio's xhttp on the test's HTTP port,
# curl as the phone's browser; fetch.py sends, fetches and checks.
. "$(dirname "$0")/../lib.sh"
e2e_begin

HTTP_PORT=$((E2E_SIP_PORT + 30))
BASE_PORT=$((E2E_SIP_PORT + 31))
HTTP_URL="http://$E2E_ADDR:$HTTP_PORT/sfwd"
# a 2 MB fetch goes through pkg memory twice (xhttp's reply)
SF_KAM_PKG=32 e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST \
	-A "SFWD_HTTP_PORT=$HTTP_PORT" -A "SFWD_HTTP_ADDR=$E2E_ADDR" \
	-A "SFWD_HTTP_URL=\"$HTTP_URL\"" -A SFWD_FETCH_THRESHOLD=4096 \
	-A SFWD_MAX_BODY_SIZE=4194304 || e2e_fatal "Kamailio started"
rpc() { sf_kamcmd "$T_DIR/kam" "$@" 2>&1; }
e2e_users t062bob t062carol t062dave t062erin t062frank
e2e_check "carol's profile: deliver notify" eval \
	"rpc sfwd.profile_set 't062carol@$E2E_ADDR' '{\"deliver\":\"notify\"}' | grep -qv error"
e2e_check "erin's profile: deliver notify" eval \
	"rpc sfwd.profile_set 't062erin@$E2E_ADDR' '{\"deliver\":\"notify\"}' | grep -qv error"
e2e_check "frank's profile: deliver notify" eval \
	"rpc sfwd.profile_set 't062frank@$E2E_ADDR' '{\"deliver\":\"notify\"}' | grep -qv error"
e2e_check "GET / on the HTTP port -> 404 from the cfg" eval \
	"[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://$E2E_ADDR:$HTTP_PORT/)\" = 404 ]"

cat >"$T_DIR/q.sh" <<EOQ
#!/usr/bin/env bash
. "$SF_TOP/scripts/lib.sh"
sf_psql "$E2E_PGDIR" "$E2E_PG_PORT" "$E2E_DB" -tAc "\$1"
EOQ
mkdir -p "$T_DIR/tmp"
python3 "$T_SRC/fetch.py" --kam-port "$E2E_SIP_PORT" --base-port "$BASE_PORT" \
	--http "$HTTP_URL" --domain "$E2E_ADDR" --tmp "$T_DIR/tmp" \
	--sql bash "$T_DIR/q.sh" --log "$T_DIR/fetch.log" >"$T_DIR/fetch.out" 2>"$T_DIR/fetch.err"
grep "^info " "$T_DIR/fetch.err" | sed "s/^/  /"
mapfile -t names < <(grep -o 'st\.check("[^"]*"' "$T_SRC/fetch.py" | sed 's/^st\.check("//; s/"$//')
e2e_reported "$T_DIR/fetch.out" "(see fetch.log, fetch.err)" "fetch.py reports no other check" "${names[@]}"
echo "  info statistics: $(rpc stats.get_statistics sfwd: | grep -E 'notified|fetch' | tr -d '"' | tr '\n' ' ' | tr -s ' ')"
e2e_end
