-- sfwd cluster: apply once to the shared sfwd database, after
-- etc/sql/sfwd-create.sql (as its owner: psql -U sfwd sfwd <this file).
-- Idempotent.
--
-- Waking the node that holds a registration. A row stored with no timed
-- retry (next_attempt NULL) was stored by a node that took the recipient
-- for offline: it waits for a registration. In a cluster another node may
-- hold one (dmq_usrloc had not replicated it yet; or the storing node does
-- not share registrations at all). After the COMMIT of such a row,
-- PostgreSQL sends its AoR on channel "sfwd_wake" to every session that
-- LISTENs; each node's sfwd (modparam wake_channel "sfwd_wake") flushes
-- the AoRs it holds a registration of. NOTIFY is transactional (sent at
-- COMMIT, never for a rolled-back store) and folded: one notification per
-- AoR and transaction, however many rows the store writer's batch holds.
-- Rows stored with a timed retry (the recipient was registered, e.g. 480
-- Busy) need no wake: the node holding the registration takes them in its
-- sweep when due.
CREATE OR REPLACE FUNCTION sfwd_wake() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('sfwd_wake', d.aor)
		FROM (SELECT DISTINCT aor FROM sfwd_new
			WHERE state = 'queued' AND next_attempt IS NULL) d;
	RETURN NULL;
END;
$$;

SET client_min_messages = warning;
DROP TRIGGER IF EXISTS sfwd_wake ON sfwd_message;
CREATE TRIGGER sfwd_wake AFTER INSERT ON sfwd_message
	REFERENCING NEW TABLE AS sfwd_new
	FOR EACH STATEMENT EXECUTE FUNCTION sfwd_wake();
