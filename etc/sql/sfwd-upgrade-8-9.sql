-- sfwd schema upgrade 8 -> 9: group messages (sf_explode()): server-side
-- groups and the recipients each exploded request was sent to. Run it
-- once, as the owner of the tables, before starting the sfwd that expects
-- version 9:
--   psql -v ON_ERROR_STOP=1 -d sfwd -f etc/sql/sfwd-upgrade-8-9.sql

BEGIN;

UPDATE sfwd_version SET version = 9 WHERE version = 8;

CREATE TABLE sfwd_group (
	name text PRIMARY KEY,
	members text[] NOT NULL,
	senders text NOT NULL DEFAULT 'members'
		CHECK (senders IN ('members', 'anyone')),
	updated timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sfwd_group_sent (
	call_id text NOT NULL,
	from_tag text NOT NULL,
	cseq bigint NOT NULL,
	recipient text NOT NULL,
	done boolean NOT NULL DEFAULT false,
	created timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (call_id, from_tag, cseq, recipient)
);
CREATE INDEX sfwd_group_sent_created ON sfwd_group_sent (created);

COMMIT;
