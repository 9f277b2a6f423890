-- sfwd schema upgrade 7 -> 8: one expiry index for every waiting row.
-- The sweep's expiry query asks for rows in states queued, forward, fetch
-- and sms; the two partial indexes it had (queued; forward, fetch, sms)
-- did not serve it, and it read the whole table every sweep (3.5 s at
-- 10 M rows, doc/performance.md). Run it once, as the owner of the
-- tables, before starting the sfwd that expects version 8:
--   psql -v ON_ERROR_STOP=1 -d sfwd -f etc/sql/sfwd-upgrade-7-8.sql
-- The index is built while the table is locked against writes (a
-- minute at 10 M rows on a small machine); to build it without that,
-- run the CREATE INDEX CONCURRENTLY by hand first (outside a
-- transaction), then this file.

BEGIN;

UPDATE sfwd_version SET version = 8 WHERE version = 7;

CREATE INDEX IF NOT EXISTS sfwd_message_expiry ON sfwd_message (expires)
	WHERE state IN ('queued', 'forward', 'fetch', 'sms');
DROP INDEX sfwd_message_expires;
DROP INDEX sfwd_message_waiting;

COMMIT;
