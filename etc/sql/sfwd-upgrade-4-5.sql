-- sfwd schema upgrade 4 -> 5: MSRP sessions stored for offline users
-- (sf_session_accept()): table sfwd_session, sfwd_message.session_id and
-- the functions sfwd_session_store() and sfwd_session_end(); and table
-- sfwd_aor_owner (cluster mode: one flusher replays a user at a time). Run it once,
-- as the owner of the tables, before starting the sfwd that expects
-- version 5:
--   psql -v ON_ERROR_STOP=1 -d sfwd -f etc/sql/sfwd-upgrade-4-5.sql

BEGIN;

UPDATE sfwd_version SET version = 5 WHERE version = 4;

ALTER TABLE sfwd_message ADD COLUMN session_id bigint;

-- Cluster mode (modparam cluster): which flusher replays an AoR now. A
-- flusher claims an AoR's rows only while it owns the AoR (or the owner's
-- lease ran out), so two nodes never replay one user at once and the
-- order of the store holds (a REGISTER through another node mid-replay).
CREATE TABLE sfwd_aor_owner (
	aor text PRIMARY KEY,
	owner text NOT NULL,              -- "<node_id>/<pid>" of the flusher
	lease_until timestamptz NOT NULL
);

-- MSRP sessions stored for an offline recipient (sf_session_accept()):
-- one row per session, its messages are rows of sfwd_message with
-- session_id set and cseq their order in the session. A session row goes
-- when its last message goes (delivered, purged) once the session ended.
CREATE TABLE sfwd_session (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	aor text NOT NULL,                -- the recipient's mailbox
	from_uri text NOT NULL,           -- the sender (the INVITE's From)
	from_name text NOT NULL DEFAULT '',
	from_tag text NOT NULL,
	to_uri text NOT NULL,
	to_name text NOT NULL DEFAULT '',
	call_id text NOT NULL,            -- the INVITE's Call-ID
	sdp bytea NOT NULL,               -- the sender's SDP offer, as sent
	started timestamptz NOT NULL,     -- when sfwd answered the INVITE
	ended timestamptz,                -- BYE, close, idle; NULL: still open
	messages integer NOT NULL DEFAULT 0, -- messages stored in it
	UNIQUE (call_id, from_tag, aor)
);
CREATE INDEX sfwd_session_ended ON sfwd_session (ended);

ALTER TABLE sfwd_message ADD FOREIGN KEY (session_id)
	REFERENCES sfwd_session (id) ON DELETE CASCADE;
CREATE INDEX sfwd_message_session ON sfwd_message (session_id, id)
	WHERE session_id IS NOT NULL;

-- Store one message of an MSRP session (sf_session_accept()): the session
-- row is made by its first message (a session that stores nothing leaves
-- no row); the message is stored as sfwd_store() stores one (cseq: its
-- order in the session, quota, lifetime) and linked to the session, in
-- one transaction. Returns the message's row id (the existing one when
-- the same message - session and order - is stored already), -1 when the
-- mailbox is full.
CREATE FUNCTION sfwd_session_store(p_aor text, p_ruri text,
		p_from_uri text, p_from_name text, p_from_tag text, p_to_uri text,
		p_to_name text, p_call_id text, p_seq bigint,
		p_received double precision, p_lifetime integer, p_class smallint,
		p_notify smallint, p_content_type text, p_body bytea,
		p_headers text, p_max integer, p_imdn_id text, p_imdn_datetime text,
		p_sdp bytea, p_started double precision)
	RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	sid bigint;
	new_id bigint;
BEGIN
	INSERT INTO sfwd_session (aor, from_uri, from_name, from_tag, to_uri,
			to_name, call_id, sdp, started)
		VALUES (p_aor, p_from_uri, p_from_name, p_from_tag, p_to_uri,
			p_to_name, p_call_id, p_sdp, to_timestamp(p_started))
		ON CONFLICT (call_id, from_tag, aor) DO NOTHING
		RETURNING id INTO sid;
	IF sid IS NULL THEN
		SELECT id INTO sid FROM sfwd_session WHERE call_id = p_call_id
			AND from_tag = p_from_tag AND aor = p_aor;
	END IF;
	new_id := sfwd_store(p_aor, p_ruri, p_from_uri, p_from_name, p_from_tag,
		p_to_uri, p_to_name, p_call_id, p_seq, p_received, p_lifetime,
		p_class, p_notify, p_content_type, p_body, p_headers, p_max, 0,
		p_imdn_id, p_imdn_datetime, 0);
	IF new_id > 0 THEN
		UPDATE sfwd_message SET session_id = sid
			WHERE id = new_id AND session_id IS NULL;
		IF FOUND THEN
			UPDATE sfwd_session SET messages = messages + 1 WHERE id = sid;
		END IF;
	END IF;
	RETURN new_id;
END
$$;

-- The end of a session (BYE, connection closed, idle): its end time; a
-- session none of whose messages waits any more goes at once.
CREATE FUNCTION sfwd_session_end(p_call_id text, p_from_tag text,
		p_aor text)
	RETURNS void LANGUAGE sql AS $$
	UPDATE sfwd_session SET ended = now() WHERE call_id = p_call_id
		AND from_tag = p_from_tag AND aor = p_aor AND ended IS NULL;
	DELETE FROM sfwd_session s WHERE call_id = p_call_id
		AND from_tag = p_from_tag AND aor = p_aor
		AND NOT EXISTS (SELECT 1 FROM sfwd_message m WHERE m.session_id = s.id);
$$;

COMMIT;
