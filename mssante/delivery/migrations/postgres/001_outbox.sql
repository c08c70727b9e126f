-- The outbox's tables (PostgreSQL). Times are Unix microseconds (UTC), as in
-- SQLite, so that one code path reads both.

CREATE TABLE mss_message (
	id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	message_id     TEXT    NOT NULL UNIQUE,
	idem_key       TEXT    NOT NULL UNIQUE,
	sender         TEXT    NOT NULL,
	raw            BYTEA   NOT NULL,
	dsn            TEXT    NOT NULL,
	expect_dsn     BOOLEAN NOT NULL,
	expect_mdn     BOOLEAN NOT NULL,
	hold_ambiguous BOOLEAN NOT NULL,
	created_at     BIGINT  NOT NULL,
	deadline_at    BIGINT  NOT NULL
);

CREATE TABLE mss_recipient (
	id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	message      BIGINT  NOT NULL REFERENCES mss_message (id),
	address      TEXT    NOT NULL,
	norm         TEXT    NOT NULL,
	status       TEXT    NOT NULL CHECK (status IN ('queued', 'sending', 'deferred', 'held', 'submitted',
	                 'delivered', 'read', 'processed', 'failed', 'refused', 'no-receipt', 'canceled')),
	expect_dsn   BOOLEAN NOT NULL,
	expect_mdn   BOOLEAN NOT NULL,
	settled      BOOLEAN NOT NULL DEFAULT FALSE,
	final        BOOLEAN GENERATED ALWAYS AS (
	                 status IN ('read', 'processed', 'failed', 'refused', 'no-receipt', 'canceled')
	                 OR (status = 'submitted' AND NOT expect_dsn AND NOT expect_mdn AND settled)
	                 OR (status = 'delivered' AND NOT expect_mdn)) STORED,
	attempts     INTEGER NOT NULL DEFAULT 0,
	ambiguous    BOOLEAN NOT NULL DEFAULT FALSE,
	claim        TEXT    NOT NULL DEFAULT '',
	due_at       BIGINT  NOT NULL DEFAULT 0,
	submitted_at BIGINT,
	updated_at   BIGINT  NOT NULL,
	UNIQUE (message, norm)
);

CREATE INDEX mss_recipient_open ON mss_recipient (status) WHERE NOT final;

CREATE FUNCTION mss_recipient_final_once() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
	IF OLD.final AND (NEW.status <> OLD.status OR NEW.expect_dsn <> OLD.expect_dsn OR NEW.expect_mdn <> OLD.expect_mdn OR NEW.settled <> OLD.settled) THEN
		RAISE EXCEPTION 'mss_delivery: final status: the status of recipient % is final (%)', OLD.id, OLD.status;
	END IF;
	RETURN NEW;
END
$body$;

CREATE TRIGGER mss_recipient_final_once BEFORE UPDATE ON mss_recipient
FOR EACH ROW EXECUTE FUNCTION mss_recipient_final_once();

CREATE TABLE mss_event (
	id        BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	message   BIGINT  NOT NULL REFERENCES mss_message (id),
	recipient BIGINT  NOT NULL REFERENCES mss_recipient (id),
	at        BIGINT  NOT NULL,
	type      TEXT    NOT NULL,
	status    TEXT    NOT NULL,
	final     BOOLEAN NOT NULL,
	evidence  TEXT    NOT NULL
);

CREATE INDEX mss_event_recipient ON mss_event (recipient, id);

CREATE FUNCTION mss_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
	RAISE EXCEPTION 'mss_delivery: the event history is append-only';
END
$body$;

CREATE TRIGGER mss_event_append_only BEFORE UPDATE ON mss_event
FOR EACH ROW EXECUTE FUNCTION mss_event_append_only();

CREATE TABLE mss_incoming (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source      TEXT   NOT NULL UNIQUE,
	mailbox     TEXT   NOT NULL,
	received_at BIGINT NOT NULL,
	kind        TEXT   NOT NULL,
	message     BIGINT REFERENCES mss_message (id),
	raw         BYTEA  NOT NULL
);

CREATE TABLE mss_conversation (
	patient    TEXT   NOT NULL,
	mailbox    TEXT   NOT NULL,
	data       TEXT   NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (patient, mailbox)
);
