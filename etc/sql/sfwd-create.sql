-- sfwd schema, version 9: creates the current schema in an empty database.
-- Upgrades live beside this file as sfwd-upgrade-<from>-<to>.sql.
-- The module refuses to start when sfwd_version differs from its own.

BEGIN;

CREATE TABLE sfwd_version (
	version integer NOT NULL
);
INSERT INTO sfwd_version (version) VALUES (9);

-- One row per stored request. A row is 'queued' until a 2xx from the
-- recipient deletes it; 'failed' and 'expired' are terminal and kept for
-- the module's `retention` seconds. A queued row is claimed by a flusher
-- (claim_owner = "<node_id>/<pid>") while lease_until lies in the future.
CREATE TABLE sfwd_message (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	aor text NOT NULL,                -- normalised recipient AoR (as usrloc)
	ruri text NOT NULL,               -- Request-URI as received
	from_uri text NOT NULL,           -- sender
	from_name text NOT NULL DEFAULT '', -- sender display name (as sent)
	from_tag text NOT NULL DEFAULT '',
	to_uri text NOT NULL,
	to_name text NOT NULL DEFAULT '',
	call_id text NOT NULL,
	cseq bigint NOT NULL,             -- the full 32-bit unsigned value
	received timestamptz NOT NULL,    -- when Kamailio received the request
	expires timestamptz NOT NULL,     -- undelivered after this: 'expired'
	class smallint NOT NULL CHECK (class IN (2, 3)),
	notify smallint NOT NULL DEFAULT 0, -- report bits: 1 delivery, 2 failure
	imdn_id text,                     -- imdn.Message-ID of a CPIM original
	imdn_datetime text,               -- its CPIM DateTime, as sent (RFC 3339)
	content_type text NOT NULL,       -- full value, no length cap
	body bytea NOT NULL,              -- byte for byte
	headers text NOT NULL DEFAULT '', -- kept headers, "Name: value\r\n" each
	state text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'forward', 'fetch', 'sms', 'failed',
			'expired')),
	attempts integer NOT NULL DEFAULT 0,
	next_attempt timestamptz,         -- timed retry; NULL: next registration
	claim_owner text,
	lease_until timestamptz,
	last_code smallint,               -- last final SIP status of a replay
	done_at timestamptz,              -- when the row became terminal
	session_id bigint,                -- an MSRP session's message (sfwd_session)
	forward_at timestamptz,           -- forward beyond SIP then (sfwd_forward_plan)
	forward_to text,                  -- to these targets, space-separated
	forward_done integer NOT NULL DEFAULT 0, -- a bit per target sent
	forward_attempts integer NOT NULL DEFAULT 0,
	forward_code integer,             -- last temporary failure of a forward
	forward_keep boolean NOT NULL DEFAULT false, -- queued for SIP after it
	deliver_notify boolean NOT NULL DEFAULT false, -- profile "deliver": "notify"
	fetch_token text                  -- the content's HTTP link (sf_fetch)
);

-- a recipient's queue in arrival order (flush, quota)
CREATE INDEX sfwd_message_queue ON sfwd_message (aor, id)
	WHERE state = 'queued';
-- timed retries
CREATE INDEX sfwd_message_retry ON sfwd_message (next_attempt)
	WHERE state = 'queued' AND next_attempt IS NOT NULL;
-- the expiry timer: every row still waiting (queued for SIP, for a
-- forward, a fetch, a delivery report), in one index whose predicate is
-- the sweep's, so that the sweep reads only the expired rows (two partial
-- indexes made it scan the whole table: 3.5 s at 10 M rows)
CREATE INDEX sfwd_message_expiry ON sfwd_message (expires)
	WHERE state IN ('queued', 'forward', 'fetch', 'sms');
-- retention of terminal rows
CREATE INDEX sfwd_message_done ON sfwd_message (done_at)
	WHERE state <> 'queued';
-- one row per request and recipient: a retransmission (or a re-send after
-- a lost 202) finds the row it already has; the same request forked to
-- two recipients is two rows
CREATE UNIQUE INDEX sfwd_message_request ON sfwd_message
	(call_id, from_tag, cseq, aor);
-- claims of one node (released when it starts again)
CREATE INDEX sfwd_message_claim ON sfwd_message (claim_owner)
	WHERE claim_owner IS NOT NULL;

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

-- Forwarding beyond SIP (profile "forward" with mailto: targets,
-- doc/sfwd.md "Reach beyond SIP"): a row to forward says where
-- (forward_to, the profile's mailto: targets when it was stored,
-- space-separated), when (forward_at; NULL: nothing to forward) and how far
-- it got (forward_done: a bit per target sent; forward_attempts,
-- forward_code: the last temporary failure). State 'forward': forwarded
-- instead of stored for SIP (forward_when "offline"); forward_keep: stays
-- queued for SIP after it was forwarded (forward_when "always").
-- due forwards
CREATE INDEX sfwd_message_forward ON sfwd_message (forward_at)
	WHERE forward_at IS NOT NULL;
-- Notify-then-fetch (doc/sfwd.md "Reach beyond SIP: notify, then fetch"):
-- a row whose content is fetched over HTTP has a token (128 bits from
-- getrandom(), hex), set when its notification is sent; state 'fetch': the
-- notification went out, the content waits for its GET; state 'sms': sent
-- to the SMS gateway, waiting for its delivery report (the token names the
-- row in the report's URL).
CREATE UNIQUE INDEX sfwd_message_fetch_token ON sfwd_message (fetch_token)
	WHERE fetch_token IS NOT NULL;

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
CREATE TRIGGER sfwd_forward_plan BEFORE INSERT ON sfwd_message
	FOR EACH ROW EXECUTE FUNCTION sfwd_forward_plan();

-- Per-user profiles (doc/sfwd.md, "Profiles"): one JSON object per AoR,
-- validated by the module before it is written.
CREATE TABLE sfwd_profile (
	aor text PRIMARY KEY,
	profile text NOT NULL,
	updated timestamptz NOT NULL DEFAULT now()
);

-- Store one message; the mailbox quota is checked under a per-AoR lock so
-- that concurrent stores cannot exceed it. Returns the row id (the existing
-- one when the same request - Call-ID, From tag, CSeq - is stored already
-- for this recipient), or -1 when the mailbox already holds p_max queued
-- messages (p_max 0: no limit). p_deadline (epoch seconds) is when the SIP
-- worker stops waiting and answers 503: a store that would commit later (a
-- server that hung, then went on) is rolled back instead, so that a 503
-- never becomes a stored message.
CREATE FUNCTION sfwd_store(p_aor text, p_ruri text, p_from_uri text,
		p_from_name text, p_from_tag text, p_to_uri text, p_to_name text,
		p_call_id text, p_cseq bigint, p_received double precision,
		p_lifetime integer, p_class smallint, p_notify smallint,
		p_content_type text, p_body bytea, p_headers text, p_max integer,
		p_retry integer, p_imdn_id text, p_imdn_datetime text,
		p_deadline double precision)
	RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n integer;
	new_id bigint;
BEGIN
	SELECT id INTO new_id FROM sfwd_message WHERE call_id = p_call_id
		AND from_tag = p_from_tag AND cseq = p_cseq AND aor = p_aor;
	IF FOUND THEN
		RETURN new_id;
	END IF;
	IF p_max > 0 THEN
		PERFORM pg_advisory_xact_lock(hashtextextended(p_aor, 0));
		SELECT count(*) INTO n FROM (SELECT 1 FROM sfwd_message
			WHERE aor = p_aor AND state = 'queued' LIMIT p_max) q;
		IF n >= p_max THEN
			RETURN -1;
		END IF;
	END IF;
	INSERT INTO sfwd_message (aor, ruri, from_uri, from_name, from_tag,
			to_uri, to_name, call_id, cseq, received, expires, class, notify,
			content_type, body, headers, next_attempt, imdn_id, imdn_datetime)
		VALUES (p_aor, p_ruri, p_from_uri, p_from_name, p_from_tag, p_to_uri,
			p_to_name, p_call_id, p_cseq, to_timestamp(p_received),
			to_timestamp(p_received) + make_interval(secs => p_lifetime),
			p_class, p_notify, p_content_type, p_body, p_headers,
			CASE WHEN p_retry > 0
				THEN now() + make_interval(secs => p_retry) END,
			nullif(p_imdn_id, ''), nullif(p_imdn_datetime, ''))
		ON CONFLICT (call_id, from_tag, cseq, aor) DO NOTHING
		RETURNING id INTO new_id;
	IF new_id IS NULL THEN
		SELECT id INTO new_id FROM sfwd_message WHERE call_id = p_call_id
			AND from_tag = p_from_tag AND cseq = p_cseq AND aor = p_aor;
	END IF;
	IF p_deadline > 0 AND clock_timestamp() > to_timestamp(p_deadline) THEN
		RAISE EXCEPTION 'sfwd: store finished after the caller''s deadline';
	END IF;
	RETURN new_id;
END
$$;

-- Store many messages in one statement (sf_store_async(): the writer
-- process batches the stores of every SIP worker into one commit). The
-- same rules as sfwd_store(), set-based: a request already stored for its
-- recipient returns its row; a mailbox with a quota (p_max > 0) is locked,
-- in AoR order, and counted once, and its messages of this batch are
-- admitted in arrival order until the quota is reached (-1 for the rest).
-- Returns one row per input element: its position (1-based) and the row
-- id (the existing one for a retransmission, also when a concurrent
-- transaction stored the same request first; -1 mailbox full). The whole
-- batch rolls back when it would commit after p_deadline (epoch seconds).
CREATE FUNCTION sfwd_store_batch(p_aor text[], p_ruri text[],
		p_from_uri text[], p_from_name text[], p_from_tag text[],
		p_to_uri text[], p_to_name text[], p_call_id text[], p_cseq bigint[],
		p_received double precision[], p_lifetime integer[],
		p_class smallint[], p_notify smallint[], p_content_type text[],
		p_body bytea[], p_headers text[], p_max integer[], p_retry integer[],
		p_imdn_id text[], p_imdn_datetime text[],
		p_deadline double precision)
	RETURNS TABLE (ord integer, id bigint) LANGUAGE plpgsql
	-- planned once per connection, not per call (planning this query
	-- costs more than running it for a batch), and with index lookups
	-- only: right after a TRUNCATE the statistics say the table is empty,
	-- and a plan kept for the connection's life must not scan it whole
	SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
	a text;
	v_ord integer[];
	v_id bigint[];
	i integer;
BEGIN
	FOR a IN SELECT DISTINCT u.aor FROM unnest(p_aor, p_max) AS u(aor, mx)
			WHERE u.mx > 0 ORDER BY 1 LOOP
		PERFORM pg_advisory_xact_lock(hashtextextended(a, 0));
	END LOOP;
	WITH r AS (
		-- each looked up by the unique index: a retransmission
		SELECT u.*, (SELECT m.id FROM sfwd_message m
				WHERE m.call_id = u.call_id AND m.from_tag = u.from_tag
				AND m.cseq = u.cseq AND m.aor = u.aor) AS dup_id
			FROM unnest(p_aor, p_ruri, p_from_uri, p_from_name, p_from_tag,
				p_to_uri, p_to_name, p_call_id, p_cseq, p_received,
				p_lifetime, p_class, p_notify, p_content_type, p_body,
				p_headers, p_max, p_retry, p_imdn_id, p_imdn_datetime)
				WITH ORDINALITY
			AS u(aor, ruri, from_uri, from_name, from_tag, to_uri, to_name,
				call_id, cseq, received, lifetime, class, notify,
				content_type, body, headers, mx, retry, imdn_id,
				imdn_datetime, ord)
	), queued AS (
		-- mailboxes with a quota: queued now, counted up to the quota
		SELECT a.aor, (SELECT count(*) FROM (SELECT 1 FROM sfwd_message m
				WHERE m.aor = a.aor AND m.state = 'queued'
				LIMIT a.mx) x) AS n
			FROM (SELECT r.aor, max(r.mx) AS mx FROM r
				WHERE r.mx > 0 AND r.dup_id IS NULL GROUP BY r.aor) a
	), cand AS (
		SELECT r.*, row_number() OVER (PARTITION BY r.aor ORDER BY r.ord) AS k
			FROM r WHERE r.dup_id IS NULL
	), ok AS (
		SELECT cand.* FROM cand LEFT JOIN queued q ON q.aor = cand.aor
			WHERE cand.mx <= 0 OR coalesce(q.n, 0) + cand.k <= cand.mx
	), ins AS (
		INSERT INTO sfwd_message (aor, ruri, from_uri, from_name, from_tag,
				to_uri, to_name, call_id, cseq, received, expires, class,
				notify, content_type, body, headers, next_attempt, imdn_id,
				imdn_datetime)
			SELECT ok.aor, ok.ruri, ok.from_uri, ok.from_name, ok.from_tag,
				ok.to_uri, ok.to_name, ok.call_id, ok.cseq,
				to_timestamp(ok.received),
				to_timestamp(ok.received) + make_interval(secs => ok.lifetime),
				ok.class, ok.notify, ok.content_type, ok.body, ok.headers,
				CASE WHEN ok.retry > 0
					THEN now() + make_interval(secs => ok.retry) END,
				nullif(ok.imdn_id, ''), nullif(ok.imdn_datetime, '')
			FROM ok ORDER BY ok.ord
			ON CONFLICT (call_id, from_tag, cseq, aor) DO NOTHING
			RETURNING sfwd_message.id, sfwd_message.call_id,
				sfwd_message.from_tag, sfwd_message.cseq, sfwd_message.aor
	)
	SELECT array_agg(r.ord::integer ORDER BY r.ord),
			array_agg(coalesce(r.dup_id, ins.id,
				CASE WHEN ok.ord IS NULL THEN -1 ELSE 0 END) ORDER BY r.ord)
		INTO v_ord, v_id
		FROM r LEFT JOIN ins ON ins.call_id = r.call_id
			AND ins.from_tag = r.from_tag AND ins.cseq = r.cseq
			AND ins.aor = r.aor
		LEFT JOIN ok ON ok.ord = r.ord;
	-- 0: a concurrent transaction stored the same request first; this
	-- statement's snapshot did not see it, the next one does
	FOR i IN 1 .. coalesce(array_length(v_id, 1), 0) LOOP
		IF v_id[i] = 0 THEN
			SELECT m.id INTO v_id[i] FROM sfwd_message m
				WHERE m.call_id = p_call_id[v_ord[i]]
				AND m.from_tag = p_from_tag[v_ord[i]]
				AND m.cseq = p_cseq[v_ord[i]] AND m.aor = p_aor[v_ord[i]];
			v_id[i] := coalesce(v_id[i], 0);
		END IF;
	END LOOP;
	IF p_deadline > 0 AND clock_timestamp() > to_timestamp(p_deadline) THEN
		RAISE EXCEPTION 'sfwd: store finished after the caller''s deadline';
	END IF;
	RETURN QUERY SELECT u.o, u.i FROM unnest(v_ord, v_id) AS u(o, i);
END
$$;

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


-- Server-side groups (doc/sfwd.md, "Groups"): a MESSAGE to the group's
-- AoR is exploded into one copy per member (sf_explode()). Members are
-- AoRs (user@host); senders: 'members' (only members may send) or
-- 'anyone' (whoever the script lets through).
CREATE TABLE sfwd_group (
	name text PRIMARY KEY,
	members text[] NOT NULL,
	senders text NOT NULL DEFAULT 'members'
		CHECK (senders IN ('members', 'anyone')),
	updated timestamptz NOT NULL DEFAULT now()
);

-- The recipients each exploded request (Call-ID, From tag, CSeq) was sent
-- to: a retransmission of a list or group MESSAGE explodes nothing twice.
-- done: the copy had its outcome (a claim without one for longer than
-- group_timeout is taken again: the node crashed). Rows older than a day
-- go in the sweep.
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
