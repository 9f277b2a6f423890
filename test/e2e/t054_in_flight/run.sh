#!/usr/bin/env bash
# More replays in flight than a flusher's result ring holds: no outcome
# lost, no message sent twice; the expiry sweep uses an index. See README.
. "$(dirname "$0")/../lib.sh"
e2e_begin

USERS=200
PER=50
N=$((USERS * PER))
RCPT_PORT=$((E2E_SIP_PORT + 11))
REG_PORT=$((E2E_SIP_PORT + 13))

# the expiry sweep's condition (SF_SQL_EXPIRE): an index scan, never the
# whole table
plan=$(e2e_q "SET enable_seqscan = off; EXPLAIN SELECT id FROM sfwd_message
	WHERE state IN ('queued', 'forward', 'fetch', 'sms')
	AND NOT (state = 'forward' AND forward_keep) AND expires <= now()
	AND (lease_until IS NULL OR lease_until < now()) ORDER BY expires LIMIT 1000")
e2e_eq "expiry sweep: no Seq Scan on sfwd_message" 0 "$(echo "$plan" | grep -c 'Seq Scan')"

# a slow database: every DELETE waits 2 s (the flusher deletes what was
# delivered in one statement per round), so outcomes pile up meanwhile
slow="SET client_min_messages = warning; DROP TRIGGER IF EXISTS t054_slow ON sfwd_message; DROP FUNCTION IF EXISTS t054_slow()"
e2e_q "$slow" >/dev/null
e2e_on_exit "e2e_q '$slow'"
e2e_q "CREATE FUNCTION t054_slow() RETURNS trigger LANGUAGE plpgsql AS
	\$\$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END \$\$;
	CREATE TRIGGER t054_slow BEFORE DELETE ON sfwd_message
	FOR EACH STATEMENT EXECUTE FUNCTION t054_slow()" >/dev/null
SF_KAM_SHM=256 e2e_kam_example -A SFWD_FLUSH_WINDOW=64 -A SFWD_LEASE_TIME=10
e2e_q "INSERT INTO sfwd_message (aor, ruri, from_uri, from_tag, to_uri, call_id,
	cseq, received, expires, class, content_type, body)
	SELECT 'f' || u || '@$E2E_ADDR', 'sip:f' || u || '@$E2E_ADDR',
	'sip:alice@$E2E_ADDR', 't054-' || u || '-' || k, 'sip:f' || u || '@$E2E_ADDR',
	't054-' || u || '-' || k, 1, now(), now() + interval '1 hour', 2, 'text/plain',
	convert_to('t054 message ' || k || ' for f' || u, 'UTF8')
	FROM generate_series(1, $USERS) u, generate_series(1, $PER) k ORDER BY u, k" >/dev/null
e2e_eq "queued" "$N" "$(e2e_q "SELECT count(*) FROM sfwd_message WHERE state = 'queued'")"

e2e_uas_start rcpt "$E2E_SIPP_DIR/uas_message.xml" "$RCPT_PORT" ||
	e2e_fatal "the recipient listens on $RCPT_PORT"
{
	echo SEQUENTIAL
	seq 1 "$USERS" | sed 's/^/f/'
} >"$T_DIR/users.csv"
e2e_check "$USERS users register at once -> 200 each" \
	e2e_sipp reg "$SF_TOP/test/bench/register_users.xml" -inf "$T_DIR/users.csv" \
	-key contact_port "$RCPT_PORT" -r 1000 -m "$USERS" -l "$USERS" -p "$REG_PORT"
e2e_drained "every row left the queue" 90 e2e_q "SELECT count(*) FROM sfwd_message"
e2e_q "$slow" >/dev/null
# a lost outcome is taken as a timeout after half the lease (5 s), and the
# row sent again: wait past that before counting
sleep 6
e2e_uas_stop
e2e_sipp_log "$T_DIR/rcpt.msg" | awk '$1 == "in" && $7 == "MESSAGE" { print $3, $4 }' |
	sort -u >"$T_DIR/transactions"
e2e_eq "distinct messages received" "$N" "$(cut -d' ' -f1 "$T_DIR/transactions" | sort -u | wc -l)"
e2e_eq "transactions (a message in two: sent twice)" "$N" "$(wc -l <"$T_DIR/transactions")"
e2e_eq "no replay outcome lost (log)" 0 "$(grep -c 'result ring .* full' "$T_DIR/kam/kamailio.log")"
e2e_eq "nothing taken as a timeout (log)" 0 "$(grep -c 'taken as a timeout' "$T_DIR/kam/kamailio.log")"
e2e_end
