#!/usr/bin/env bash
# t071: Prometheus metrics through xhttp_prom (issue 19; see README)
. "$(dirname "$0")/../lib.sh"
e2e_begin

PROM_PORT=$((E2E_SIP_PORT + 51))
command -v curl >/dev/null || e2e_fatal "curl is installed"
e2e_kam kam "$SF_TOP/etc/kamailio.cfg" -A SFWD_TEST -A "SFWD_PROM_PORT=$PROM_PORT" ||
	e2e_fatal "Kamailio started"
e2e_q "DELETE FROM sfwd_message" >/dev/null
metrics() { curl -s --max-time 5 "http://$E2E_ADDR:$PROM_PORT/metrics"; }
metric() { metrics | awk -v m="$1" '$1 == m { print $2; exit }'; }

e2e_check "GET /metrics answers 200 before any message" \
	test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$E2E_ADDR:$PROM_PORT/metrics")" = 200
e2e_eq "kamailio_sfwd_stored starts at 0" 0 "$(metric kamailio_sfwd_stored)"

echo "three, for the gauge" >"$T_DIR/text"
e2e_request_xml "$T_DIR/msg.xml" MESSAGE "" text/plain "$T_DIR/text" 202
e2e_check "3 MESSAGEs to offline bob -> 202" \
	e2e_sipp msg "$T_DIR/msg.xml" -s bob -m 3 -p $((E2E_SIP_PORT + 12))
e2e_eq "kamailio_sfwd_stored 3" 3 "$(metric kamailio_sfwd_stored)"
# the gauges are counted by the sweep (sweep_interval 1 in the cfg)
e2e_until 50 eval '[ "$(metric kamailio_sfwd_queue_depth)" = 3 ]'
e2e_eq "kamailio_sfwd_queue_depth 3 (within 5 s)" 3 "$(metric kamailio_sfwd_queue_depth)"
sleep 2.2
age=$(metric kamailio_sfwd_oldest_queued_age)
e2e_check "kamailio_sfwd_oldest_queued_age grows with the wait ($age s after 2 s and more)" \
	test "${age:-0}" -ge 2
metrics >"$T_DIR/metrics.txt"
e2e_check "... next to the core's and tm's statistics (kamailio_core_rcv_requests, kamailio_tmx_)" \
	bash -c "grep -q '^kamailio_core_rcv_requests ' '$T_DIR/metrics.txt' && grep -q '^kamailio_tmx_' '$T_DIR/metrics.txt'"
e2e_check "... and the group gauge (kamailio_sfwd_groups)" grep -q '^kamailio_sfwd_groups ' "$T_DIR/metrics.txt"
e2e_eq "another path on the metrics port -> 404" 404 \
	"$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$E2E_ADDR:$PROM_PORT/other")"
e2e_check "the metrics are not on the SIP port (TCP)" \
	bash -c "! curl -s --max-time 5 http://$E2E_ADDR:$E2E_SIP_PORT/metrics | grep -q kamailio_sfwd_stored"
e2e_end
