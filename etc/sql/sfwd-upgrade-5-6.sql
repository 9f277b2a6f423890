-- sfwd schema upgrade 5 -> 6: forwarding beyond SIP (e-mail, SMS): the
-- forward columns of sfwd_message, state 'forward' and the trigger that
-- plans a row's forward from the recipient's profile. Run it once, as the
-- owner of the tables, before starting the sfwd that expects version 6:
--   psql -v ON_ERROR_STOP=1 -d sfwd -f etc/sql/sfwd-upgrade-5-6.sql

BEGIN;

UPDATE sfwd_version SET version = 6 WHERE version = 5;

-- Forwarding beyond SIP (profile "forward" with mailto: targets,
-- doc/sfwd.md "Reach beyond SIP"): a row to forward says where
-- (forward_to, the profile's mailto: targets when it was stored,
-- space-separated), when (forward_at; NULL: nothing to forward) and how far
-- it got (forward_done: a bit per target sent; forward_attempts,
-- forward_code: the last temporary failure). State 'forward': forwarded
-- instead of stored for SIP (forward_when "offline"); forward_keep: stays
-- queued for SIP after it was forwarded (forward_when "always").
ALTER TABLE sfwd_message ADD COLUMN forward_at timestamptz;
ALTER TABLE sfwd_message ADD COLUMN forward_to text;
ALTER TABLE sfwd_message ADD COLUMN forward_done integer NOT NULL DEFAULT 0;
ALTER TABLE sfwd_message ADD COLUMN forward_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE sfwd_message ADD COLUMN forward_code integer;
ALTER TABLE sfwd_message ADD COLUMN forward_keep boolean NOT NULL DEFAULT false;
ALTER TABLE sfwd_message DROP CONSTRAINT sfwd_message_state_check;
ALTER TABLE sfwd_message ADD CONSTRAINT sfwd_message_state_check
	CHECK (state IN ('queued', 'forward', 'failed', 'expired'));
-- due forwards
CREATE INDEX sfwd_message_forward ON sfwd_message (forward_at)
	WHERE forward_at IS NOT NULL;

-- Plan the forward of a row as it is stored (every way of storing: one
-- message, a batch, a session's message), from the recipient's profile as
-- the module wrote it (validated, normalised: "mailto:addr", "sms:+digits").
CREATE FUNCTION sfwd_forward_plan() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	p jsonb;
	t jsonb;
	targets text;
	w text;
BEGIN
	SELECT profile::jsonb INTO p FROM sfwd_profile WHERE aor = NEW.aor;
	IF p IS NULL OR NOT (p ? 'forward') THEN
		RETURN NEW;
	END IF;
	t := p -> 'forward';
	IF jsonb_typeof(t) = 'string' THEN
		t := jsonb_build_array(t);
	END IF;
	SELECT string_agg(x, ' ' ORDER BY o) INTO targets
		FROM jsonb_array_elements_text(t) WITH ORDINALITY AS e(x, o)
		WHERE x LIKE 'mailto:%'; -- sms: not served yet: kept for SIP
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
CREATE TRIGGER sfwd_forward_plan BEFORE INSERT ON sfwd_message
	FOR EACH ROW EXECUTE FUNCTION sfwd_forward_plan();

COMMIT;
