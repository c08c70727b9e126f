-- Hooks: the position of each durable reader of the event history (Options.Hooks).
CREATE TABLE mss_hook (
	name       TEXT   PRIMARY KEY,
	position   BIGINT NOT NULL,      -- id of the last event delivered
	updated_at BIGINT NOT NULL
);

-- The inbox: when the caller filed an incoming message (Ack), and how.
ALTER TABLE mss_incoming ADD COLUMN acked_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mss_incoming ADD COLUMN ack TEXT NOT NULL DEFAULT '';  -- JSON of the Ack

CREATE INDEX mss_incoming_open ON mss_incoming (id) WHERE acked_at = 0;
