// Package delivery is a durable outbox for MSSanté messages: it keeps each
// message until every recipient has one final status, sends through any
// mssante.Transport, retries what may be retried, matches the delivery and
// disposition notifications (RFC 3464 DSN, RFC 8098 MDN) that come back hours
// later to the message and recipient they are about, and notices when the
// receipt asked for never comes.
//
// Jobs run on River (github.com/riverqueue/river): retries, uniqueness,
// periodic jobs and many workers come from it, not from a home-made queue.
// The same code runs on two databases:
//
//   - SQLite, one file, through River's riversqlite driver and the pure-Go
//     modernc.org/sqlite (no cgo): the default ("sqlite:mss-delivery.db"),
//     for one process that sends (others may enqueue and read);
//   - PostgreSQL, through riverpgxv5 and pgx/v5 ("postgres://..."), for
//     vendors that run several instances: many workers on many machines
//     share the tables, and no message is sent by two of them.
//
// The outbox's own tables (messages, recipients, events, incoming mail, and
// the msc.Tracker conversations) live in the same database as River's, and
// the status of a recipient changes in the same transaction as the River job
// that caused it.
//
// # Using it
//
//	o, err := delivery.Open(ctx, "sqlite:outbox.db", &delivery.Options{Transport: smtp})
//	msg, err := o.Enqueue(ctx, bytes.NewReader(eml), &delivery.EnqueueOptions{Key: "lettre-4711"})
//	// durable now: the process may die, the message will be sent
//	err = o.Run(ctx) // send, retry, read receipts, until ctx ends
//	st, err := o.Status(ctx, msg.MessageID) // each recipient's status and history
//
// # States of a recipient
//
// Each recipient of a message moves through these states (vendor-facing
// names; Final tells the last ones):
//
//	queued ──▶ sending ──▶ submitted ──▶ delivered ──▶ read | processed
//	  │  ▲        │  │          │             │
//	  │  └ deferred ◀┘ │        └──────┬──────┘
//	  │   (4xx, network│               ▼
//	  │   before dot)  │        failed (bounce, failure MDN) | no-receipt
//	  ▼                ▼
//	refused      ambiguous send: sent again with the same Message-ID
//	(trust space,    (default), or held for review
//	 5xx)
//
//	queued     durable, waiting for a worker
//	sending    claimed by a worker, SMTP submission in progress
//	deferred   a temporary failure (4xx reply, network failure before the
//	           final dot); sent again after a capped exponential backoff,
//	           until the retry deadline, then failed
//	held       an ambiguous send held for review (Options.HoldAmbiguous,
//	           EnqueueOptions.Ambiguous); Resend or Cancel decides
//	submitted  accepted by the operator (250 to the final dot); final when
//	           no receipt was asked for and no failure notice came within
//	           Options.ReceiptTimeout (event settled)
//	delivered  a DSN said "delivered" (or "relayed", "expanded"); final
//	           when no read receipt was asked for
//	read       final: an MDN "displayed" (a person opened it)
//	processed  final: an MDN "processed" or "dispatched" (software took it,
//	           e.g. the French integration receipt of a DPI)
//	failed     final: a failure DSN or bounce (msc classifies why), a
//	           failure MDN (French error 902...), an MDN "deleted", or the
//	           retry deadline passed
//	refused    final: refused before acceptance, by the RecipientChecker
//	           (outside the trust space) or by a 5xx reply of the operator
//	no-receipt final: the DSN or MDN asked for did not come within
//	           Options.ReceiptTimeout of the submission
//	canceled   final: canceled by the caller before it was submitted
//
// A receipt may skip states (an MDN before the DSN); a status never goes
// back, and a receipt that arrives after a final status is recorded in the
// history as "late" without changing it.
//
// # Guarantees
//
//   - Durable before returning: Enqueue returns once the message, its
//     recipients and its River job are committed (SQLite in WAL mode with
//     synchronous=FULL; PostgreSQL's commit).
//   - Idempotent: Enqueue with a key already used returns the first
//     message (Message.Existing) and queues nothing; the default key is the
//     message's Message-ID. Two messages may not share a Message-ID.
//   - One final status per recipient, enforced by the database: "final" is a
//     column generated from the status (and the receipts asked for), a
//     trigger refuses any change of a final row's status, and every
//     transition is one conditional UPDATE ... WHERE NOT final. The history
//     of each recipient is an append-only list of events with their time
//     and evidence (SMTP reply, DSN action and status, MDN disposition and
//     French error, bounce kind).
//   - Exactly once where possible, honest where not: a worker claims the
//     recipients it is about to send to (status sending) in a committed
//     transaction before the first byte goes out, and records the outcome in
//     the transaction that completes the job. A recipient found in sending
//     when its job runs again (the worker was killed, or lost its database,
//     between the send and the commit), or whose SMTP outcome is unknown
//     (connection lost after the final dot: mssante.StatusUnknown), is
//     recorded as ambiguous, and by default sent again with the same
//     Message-ID, so that receivers can de-duplicate; the history says so.
//     Options.HoldAmbiguous holds it for review instead. A DSN or MDN that
//     arrives for an ambiguous recipient settles it.
//   - Nothing sent outside the trust space: the RecipientChecker runs before
//     anything is sent; a refusal is final.
//   - Retries: 4xx replies and connection failures before the final dot are
//     retried with a capped exponential backoff until the retry deadline;
//     5xx replies, trust-space refusals and permanent bounces are final.
//   - Receipts close the loop: incoming mail (fetched from each sender's
//     mssante.Receiver, or handed to Receive) is stored first, then parsed
//     and matched: the message by Original-Envelope-ID (the DSN ENVID the
//     outbox sets), Original-Message-ID, else In-Reply-To, else the last
//     References id; the recipient by Original-Recipient, else
//     Final-Recipient, without display name or angle brackets. Bounces are
//     classified with msc.Classifier; the msc.Tracker conversations are kept
//     in the same database (Tracker).
//   - Status events go to Options.OnEvent after each commit.
//
// What is not guaranteed: a message handed to the operator may still be
// delivered twice after an ambiguous send (that is the choice made: rather
// twice with the same Message-ID than never); a receipt never asked for
// never comes; MDNs are not guaranteed by MSSanté clients (mssante.md §9).
//
// See docs/delivery.md for the design, the tests and the figures.
package delivery
