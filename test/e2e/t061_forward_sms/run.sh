#!/usr/bin/env bash
# SMS forwarding through a real Kannel (bearerbox, smsbox and fakesmsc, a
# private instance on loopback); its delivery reports come back to sfwd's
# HTTP port (xhttp). sms.py sends, reads the fake SMSC and checks.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/kannel.sh"
e2e_begin

KANNEL_BASE=$((E2E_SIP_PORT + 60)) # .. +64 (+64: the SMPP simulator)
HTTP_PORT=$((E2E_SIP_PORT + 65))
ALICE_PORT=$((E2E_SIP_PORT + 66))
HTTP_URL="http://$E2E_ADDR:$HTTP_PORT/sfwd"
KANNEL_DIR=$T_DIR/kannel
# the password must never reach a log
export KANNEL_PASS="k4nnel-Pw-t061"
# carol's number (+4915...) is refused by sendsms: HTTP 400
export KANNEL_DENIED_REGEX='^.4915'
# numbers +4916... go over SMPP to smpp_sim.py, which sends real delivery
# receipts by the last 4 digits (0002 undeliverable, 0016 rejected, 0004
# enroute then delivered, else delivered)
export KANNEL_SMPPSIM=1 KANNEL_SMPPSIM_PREFIX=+4916 KANNEL_SMPPSIM_MAXSECS=600
e2e_on_exit "kannel_stop '$KANNEL_DIR'"
kannel_start "$KANNEL_DIR" "$KANNEL_BASE" ||
	e2e_fatal "Kannel (bearerbox, smsbox, fakesmsc, SMPP simulator) ready on 127.0.0.1:$KANNEL_BASE..$((KANNEL_BASE + 4))"
e2e_ok "Kannel (fake SMSC and SMPP link) ready on 127.0.0.1:$KANNEL_BASE..$((KANNEL_BASE + 4))"

e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST \
	-A "SFWD_KANNEL_URL=\"$(kannel_sendsms_url "$KANNEL_DIR")\"" \
	-A 'SFWD_KANNEL_USER="sfwd"' -A "SFWD_KANNEL_PASS=\"$KANNEL_PASS\"" \
	-A "SFWD_HTTP_PORT=$HTTP_PORT" -A "SFWD_HTTP_ADDR=$E2E_ADDR" \
	-A "SFWD_HTTP_URL=\"$HTTP_URL\"" || e2e_fatal "Kamailio started"
rpc() { sf_kamcmd "$T_DIR/kam" "$@" 2>&1; }
e2e_users t061bob t061carol t061dave t061erin t061frank t061gina t061hank
e2e_check "bob's profile forwards to sms:+4917012345678" eval \
	"rpc sfwd.profile_set 't061bob@$E2E_ADDR' '{\"forward\":\"sms:+4917012345678\"}' | grep -qv error"
e2e_check "carol's to a number Kannel refuses" eval \
	"rpc sfwd.profile_set 't061carol@$E2E_ADDR' '{\"forward\":[\"sms:+4915111222333\"]}' | grep -qv error"
e2e_check "dave's forwards to sms:+4917012345679 and wants notices" eval \
	"rpc sfwd.profile_set 't061dave@$E2E_ADDR' '{\"forward\":\"sms:+4917012345679\",\"deliver\":\"notify\"}' | grep -qv error"

# over SMPP: erin's number is undeliverable, frank's rejected, gina's
# delivered, hank's delivered after an intermediate (enroute) receipt
for u in erin:0002 frank:0016 gina:0001 hank:0004; do
	e2e_check "${u%%:*}'s profile forwards to sms:+49160111${u#*:} (SMPP)" eval \
		"rpc sfwd.profile_set 't061${u%%:*}@$E2E_ADDR' '{\"forward\":\"sms:+49160111${u#*:}\"}' | grep -qv error"
done

e2e_sql_script >/dev/null
cat >"$T_DIR/kannel-ctl.sh" <<EOK
#!/usr/bin/env bash
. "$E2E_DIR/kannel.sh"
export KANNEL_PASS='$KANNEL_PASS' KANNEL_DENIED_REGEX='$KANNEL_DENIED_REGEX'
export KANNEL_SMPPSIM=1 KANNEL_SMPPSIM_PREFIX=$KANNEL_SMPPSIM_PREFIX KANNEL_SMPPSIM_MAXSECS=$KANNEL_SMPPSIM_MAXSECS
case \$1 in
stop) kannel_stop "$KANNEL_DIR" ;;
start) kannel_start "$KANNEL_DIR" "$KANNEL_BASE" ;;
smsc-stop) kannel_smsc_stop "$KANNEL_DIR" ;;
smsc-start) kannel_smsc_start "$KANNEL_DIR" ;;
esac
EOK
python3 "$T_SRC/sms.py" --kam-port "$E2E_SIP_PORT" --alice-port "$ALICE_PORT" \
	--domain "$E2E_ADDR" --http "$HTTP_URL" --kannel-dir "$KANNEL_DIR" \
	--kannel-stop "bash '$T_DIR/kannel-ctl.sh' stop" \
	--kannel-start "bash '$T_DIR/kannel-ctl.sh' start" \
	--smsc-stop "bash '$T_DIR/kannel-ctl.sh' smsc-stop" \
	--smsc-start "bash '$T_DIR/kannel-ctl.sh' smsc-start" \
	--sql bash "$T_DIR/q.sh" --log "$T_DIR/sms.log" >"$T_DIR/sms.out" 2>"$T_DIR/sms.err"
# every check sms.py makes, by name (one never reported fails)
mapfile -t names < <(grep -o 'st\.check("[^"]*"' "$T_SRC/sms.py" | sed 's/^st\.check("//; s/"$//')
e2e_reported "$T_DIR/sms.out" "(see sms.log, sms.err)" "sms.py reports no other check" "${names[@]}"
e2e_check "Kannel's password is in no log of Kamailio" \
	eval "! grep -rqF '$KANNEL_PASS' '$T_DIR/kam'"
# one refused by Kannel (400), one reported undeliverable (2), one
# rejected by the SMSC (16)
e2e_eq "sfwd:forward_failed counts the refusal and both failure reports" 3 \
	"$(rpc stats.get_statistics sfwd: | grep -o 'forward_failed = [0-9]*' | grep -o '[0-9]*$')"
echo "  info $(grep -c 'Got message' "$KANNEL_DIR/fakesmsc.out") parts at the fake SMSC," \
	"$(grep -c ' SUBMIT ' "$KANNEL_DIR/smppsim.log") at the SMPP simulator;" \
	"statistics: $(rpc stats.get_statistics sfwd: | grep -E 'forward|sms' | tr -d '"' | tr '\n' ' ' | tr -s ' ')"
e2e_end
