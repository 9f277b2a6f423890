-- sfwd schema upgrade 6 -> 7: SMS forwards and notify-then-fetch: the
-- columns deliver_notify and fetch_token of sfwd_message, states 'fetch'
-- and 'sms', and the trigger that now plans sms: targets and marks rows whose
-- recipient's profile says "deliver": "notify". Run it once, as the owner
-- of the tables, before starting the sfwd that expects version 7:
--   psql -v ON_ERROR_STOP=1 -d sfwd -f etc/sql/sfwd-upgrade-6-7.sql

BEGIN;

UPDATE sfwd_version SET version = 7 WHERE version = 6;

ALTER TABLE sfwd_message ADD COLUMN deliver_notify boolean NOT NULL DEFAULT false;
ALTER TABLE sfwd_message ADD COLUMN fetch_token text;
ALTER TABLE sfwd_message DROP CONSTRAINT sfwd_message_state_check;
ALTER TABLE sfwd_message ADD CONSTRAINT sfwd_message_state_check
	CHECK (state IN ('queued', 'forward', 'fetch', 'sms', 'failed',
		'expired'));
CREATE UNIQUE INDEX sfwd_message_fetch_token ON sfwd_message (fetch_token)
	WHERE fetch_token IS NOT NULL;
CREATE INDEX sfwd_message_waiting ON sfwd_message (expires)
	WHERE state IN ('forward', 'fetch', 'sms');

CREATE OR REPLACE FUNCTION sfwd_forward_plan() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	p jsonb;
	t jsonb;
	targets text;
	w text;
BEGIN
	SELECT profile::jsonb INTO p FROM sfwd_profile WHERE aor = NEW.aor;
	IF p IS NULL THEN
		RETURN NEW;
	END IF;
	NEW.deliver_notify := coalesce(p ->> 'deliver', 'inline') = 'notify';
	IF NOT (p ? 'forward') THEN
		RETURN NEW;
	END IF;
	t := p -> 'forward';
	IF jsonb_typeof(t) = 'string' THEN
		t := jsonb_build_array(t);
	END IF;
	SELECT string_agg(x, ' ' ORDER BY o) INTO targets
		FROM jsonb_array_elements_text(t) WITH ORDINALITY AS e(x, o)
		WHERE x LIKE 'mailto:%' OR x LIKE 'sms:%';
	IF targets IS NULL THEN
		RETURN NEW;
	END IF;
	w := coalesce(p ->> 'forward_when', 'offline');
	NEW.forward_to := targets;
	IF w = 'after' THEN
		NEW.forward_at := now() + make_interval(secs => (p ->> 'forward_after')::int);
	ELSE
		NEW.forward_at := now();
	END IF;
	IF w = 'offline' THEN
		NEW.state := 'forward';
	ELSIF w = 'always' THEN
		NEW.forward_keep := true;
	END IF;
	RETURN NEW;
END
$$;
COMMIT;
