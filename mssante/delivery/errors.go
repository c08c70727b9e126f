package delivery

import "errors"

// Errors of the package; test them with errors.Is.
var (
	// ErrDatabase: the database could not be opened or migrated.
	ErrDatabase = errors.New("delivery: database")
	// ErrClosed: the Outbox was closed.
	ErrClosed = errors.New("delivery: outbox closed")
	// ErrNoTransport: no transport can send as the message's sender.
	ErrNoTransport = errors.New("delivery: no transport for this sender")
	// ErrInvalidMessage: Enqueue cannot read the message, its sender or its
	// recipients.
	ErrInvalidMessage = errors.New("delivery: invalid message")
	// ErrMessageIDInUse: another message of the outbox, enqueued with
	// another key, has the same Message-ID; receipts could not tell them
	// apart.
	ErrMessageIDInUse = errors.New("delivery: Message-ID already used by another message")
	// ErrNotFound: no message with this Message-ID.
	ErrNotFound = errors.New("delivery: no such message")
	// ErrRunning: Run was called while the outbox runs already.
	ErrRunning = errors.New("delivery: already running")
)
