-- The outbox's tables (SQLite). Times are Unix microseconds (UTC).

CREATE TABLE mss_message (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	message_id     TEXT    NOT NULL UNIQUE,  -- RFC 5322 Message-ID, no angle brackets
	idem_key       TEXT    NOT NULL UNIQUE,  -- idempotency key of Enqueue
	sender         TEXT    NOT NULL,         -- envelope sender (MAIL FROM)
	raw            BLOB    NOT NULL,         -- the message as it is sent, every time
	dsn            TEXT    NOT NULL,         -- JSON of the RFC 3461 request, '' for none
	expect_dsn     BOOLEAN NOT NULL,
	expect_mdn     BOOLEAN NOT NULL,
	hold_ambiguous BOOLEAN NOT NULL,
	created_at     BIGINT  NOT NULL,
	deadline_at    BIGINT  NOT NULL          -- retries stop then
);

CREATE TABLE mss_recipient (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	message      INTEGER NOT NULL REFERENCES mss_message (id),
	address      TEXT    NOT NULL,           -- as given (RCPT TO)
	norm         TEXT    NOT NULL,           -- lower case, for matching receipts
	status       TEXT    NOT NULL CHECK (status IN ('queued', 'sending', 'deferred', 'held', 'submitted',
	                 'delivered', 'read', 'processed', 'failed', 'refused', 'no-receipt', 'canceled')),
	expect_dsn   BOOLEAN NOT NULL,
	expect_mdn   BOOLEAN NOT NULL,
	-- settled: a submission that asked for no receipt, after the receipt
	-- timeout passed without a failure notice.
	settled      BOOLEAN NOT NULL DEFAULT FALSE,
	-- One final status per recipient: final is derived from the status and
	-- the receipts awaited, never written, and the trigger below refuses to
	-- change the status of a final row.
	final        BOOLEAN GENERATED ALWAYS AS (
	                 status IN ('read', 'processed', 'failed', 'refused', 'no-receipt', 'canceled')
	                 OR (status = 'submitted' AND NOT expect_dsn AND NOT expect_mdn AND settled)
	                 OR (status = 'delivered' AND NOT expect_mdn)) STORED,
	attempts     INTEGER NOT NULL DEFAULT 0,
	ambiguous    BOOLEAN NOT NULL DEFAULT FALSE,
	claim        TEXT    NOT NULL DEFAULT '', -- the attempt that set 'sending'
	due_at       BIGINT  NOT NULL DEFAULT 0,  -- when a deferred recipient is tried again
	submitted_at BIGINT,
	updated_at   BIGINT  NOT NULL,
	UNIQUE (message, norm)
);

CREATE INDEX mss_recipient_open ON mss_recipient (status) WHERE NOT final;

CREATE TRIGGER mss_recipient_final_once BEFORE UPDATE ON mss_recipient
WHEN OLD.final AND (NEW.status <> OLD.status OR NEW.expect_dsn <> OLD.expect_dsn OR NEW.expect_mdn <> OLD.expect_mdn OR NEW.settled <> OLD.settled)
BEGIN
	SELECT RAISE(ABORT, 'mss_delivery: final status: the status of this recipient is final');
END;

CREATE TABLE mss_event (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	message   INTEGER NOT NULL REFERENCES mss_message (id),
	recipient INTEGER NOT NULL REFERENCES mss_recipient (id),
	at        BIGINT  NOT NULL,
	type      TEXT    NOT NULL,
	status    TEXT    NOT NULL,
	final     BOOLEAN NOT NULL,
	evidence  TEXT    NOT NULL
);

CREATE INDEX mss_event_recipient ON mss_event (recipient, id);

CREATE TRIGGER mss_event_append_only BEFORE UPDATE ON mss_event
BEGIN
	SELECT RAISE(ABORT, 'mss_delivery: the event history is append-only');
END;

CREATE TABLE mss_incoming (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	source      TEXT    NOT NULL UNIQUE,     -- receiver's id (MAILBOX/UIDVALIDITY/UID) or the caller's
	mailbox     TEXT    NOT NULL,
	received_at BIGINT  NOT NULL,
	kind        TEXT    NOT NULL,            -- dsn, mdn, bounce, message, unreadable
	message     INTEGER REFERENCES mss_message (id),
	raw         BLOB    NOT NULL
);

CREATE TABLE mss_conversation (
	patient    TEXT   NOT NULL,
	mailbox    TEXT   NOT NULL,
	data       TEXT   NOT NULL,              -- JSON of msc.Conversation
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (patient, mailbox)
);
