-- sfwd schema, version 1: creates the current schema in an empty database.
-- Upgrades live beside this file as sfwd-upgrade-<from>-<to>.sql.
-- The module refuses to start when sfwd_version differs from its own.

BEGIN;

CREATE TABLE sfwd_version (
	version integer NOT NULL
);
INSERT INTO sfwd_version (version) VALUES (1);

-- One row per stored request. A row is "queued" until a 2xx from the
-- recipient deletes it; "failed" and "expired" are terminal and kept for
-- `retention` seconds. A queued row is claimed by a flusher while
-- lease_until lies in the future.
CREATE TABLE sfwd_message (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	aor text NOT NULL,               -- normalised recipient AoR
	ruri text NOT NULL,              -- Request-URI as received
	to_hdr text NOT NULL,            -- To header body
	from_uri text NOT NULL,          -- sender URI
	from_name text NOT NULL DEFAULT '', -- sender display name
	from_hdr text NOT NULL,          -- From header body (with tag)
	call_id text NOT NULL,
	received timestamptz NOT NULL DEFAULT now(),
	expires timestamptz NOT NULL,
	class smallint NOT NULL CHECK (class IN (2, 3)),
	notify smallint NOT NULL DEFAULT 0,
	content_type text NOT NULL,      -- full value, no length cap
	body bytea NOT NULL,             -- binary-safe
	headers text NOT NULL DEFAULT '', -- kept headers, "Name: value\r\n" each
	state text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'failed', 'expired')),
	attempts integer NOT NULL DEFAULT 0,
	next_attempt timestamptz NOT NULL DEFAULT now(),
	claim_owner text,
	lease_until timestamptz,
	last_code smallint,
	done_at timestamptz              -- when the row became terminal
);

-- the flusher: queued rows of one AoR in arrival order
CREATE INDEX sfwd_message_queue ON sfwd_message (aor, id)
	WHERE state = 'queued';
-- the expiry timer
CREATE INDEX sfwd_message_expires ON sfwd_message (expires)
	WHERE state = 'queued';
-- retention of terminal rows
CREATE INDEX sfwd_message_done ON sfwd_message (done_at)
	WHERE state <> 'queued';

COMMIT;
