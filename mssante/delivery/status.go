package delivery

import (
	"time"
)

// Status is the state of one recipient of a message (see the package
// documentation for the state machine).
type Status string

// The statuses, in the vendor-facing names the CLI and JSON use.
const (
	StatusQueued    Status = "queued"
	StatusSending   Status = "sending"
	StatusDeferred  Status = "deferred"
	StatusHeld      Status = "held"
	StatusSubmitted Status = "submitted"
	StatusDelivered Status = "delivered"
	StatusRead      Status = "read"
	StatusProcessed Status = "processed"
	StatusFailed    Status = "failed"
	StatusRefused   Status = "refused"
	StatusNoReceipt Status = "no-receipt"
	StatusCanceled  Status = "canceled"
)

// AlwaysFinal reports whether s is final whatever receipts were asked for:
// read, processed, failed, refused, no-receipt and canceled. Delivered is
// final when no MDN is awaited; submitted when no receipt was asked for and
// the receipt timeout passed without a failure notice (Recipient.Final).
func (s Status) AlwaysFinal() bool {
	switch s {
	case StatusRead, StatusProcessed, StatusFailed, StatusRefused, StatusNoReceipt, StatusCanceled:
		return true
	}
	return false
}

// rank orders the statuses a receipt may move a recipient through: a
// receipt never moves it back.
func (s Status) rank() int {
	switch s {
	case StatusSubmitted:
		return 1
	case StatusDelivered:
		return 2
	}
	if s.AlwaysFinal() {
		return 3
	}
	return 0
}

// EventType names what happened to a recipient.
type EventType string

// The events of a recipient's history.
const (
	EventQueued    EventType = "queued"    // enqueued
	EventSending   EventType = "sending"   // claimed by a worker; Evidence.Resend for a re-send with the same Message-ID
	EventSubmitted EventType = "submitted" // accepted by the operator
	EventDeferred  EventType = "deferred"  // temporary failure; Evidence.NextAttempt
	EventRefused   EventType = "refused"   // refused before acceptance (trust space, 5xx)
	EventAmbiguous EventType = "ambiguous" // the outcome of a send is unknown; Evidence.Reason
	EventHeld      EventType = "held"      // an ambiguous send held for review
	EventDelivered EventType = "delivered" // a DSN said delivered
	EventDelayed   EventType = "delayed"   // a DSN said delayed (status unchanged)
	EventRead      EventType = "read"      // an MDN displayed
	EventProcessed EventType = "processed" // an MDN processed or dispatched
	EventFailed    EventType = "failed"    // bounce, failure MDN, retry deadline
	EventNoReceipt EventType = "no-receipt"
	EventSettled   EventType = "settled" // submitted, no receipt asked, no failure notice within the timeout: final
	EventCanceled  EventType = "canceled"
	EventLate      EventType = "late" // a receipt after a final status: recorded, status unchanged
	EventLateSend  EventType = "late-send"
)

// Reasons of an EventAmbiguous.
const (
	// ReasonUnknownOutcome: the connection was lost after the final dot,
	// before the reply (mssante.StatusUnknown).
	ReasonUnknownOutcome = "unknown-outcome"
	// ReasonInterrupted: the recipient was found in sending when its job
	// ran again: the worker stopped (killed, lost its database) between the
	// claim and the record of the outcome.
	ReasonInterrupted = "interrupted"
)

// Event is one entry of a recipient's history, also what Options.OnEvent
// receives.
type Event struct {
	// ID numbers the event in the outbox's history: unique, increasing in
	// the order of the commits on SQLite, and durable, so that a reader may
	// resume after the last event it saw (Events). On PostgreSQL ids are
	// increasing per transaction but a transaction that commits later may
	// hold a smaller id; Events allows for it (see there).
	ID        int64     `json:"id,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	Recipient string    `json:"recipient,omitempty"`
	At        time.Time `json:"at"`
	Type      EventType `json:"event"`
	// Status is the recipient's status after the event; Final whether it
	// is final.
	Status   Status   `json:"status"`
	Final    bool     `json:"final"`
	Evidence Evidence `json:"evidence,omitzero"`
}

// Evidence is what an event is based on. Only the fields that apply are set.
type Evidence struct {
	Attempt     int       `json:"attempt,omitempty"`
	Worker      string    `json:"worker,omitempty"`
	Resend      bool      `json:"resend,omitempty"` // a re-send of an ambiguous send, same Message-ID
	Reason      string    `json:"reason,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`

	// The SMTP reply, or the transport error.
	SMTPCode     int    `json:"smtp_code,omitempty"`
	EnhancedCode string `json:"enhanced_code,omitempty"`
	Error        string `json:"error,omitempty"`

	// A DSN (RFC 3464) or a bounce.
	DSNAction  string `json:"dsn_action,omitempty"`
	DSNStatus  string `json:"dsn_status,omitempty"`
	Diagnostic string `json:"diagnostic,omitempty"`
	BounceKind string `json:"bounce_kind,omitempty"` // msc.Kind

	// An MDN (RFC 8098), with the French application error.
	Disposition string `json:"disposition,omitempty"`
	ErrorCode   int    `json:"error_code,omitempty"`
	ErrorLabel  string `json:"error_label,omitempty"`

	// Report is the Message-ID of the receipt; Incoming the id under which
	// it was stored (Receive).
	Report   string `json:"report,omitempty"`
	Incoming string `json:"incoming,omitempty"`
}

// Recipient is the current state of one recipient.
type Recipient struct {
	Address string    `json:"address"`
	Status  Status    `json:"status"`
	Final   bool      `json:"final"`
	Updated time.Time `json:"updated"`
	// Ambiguous is set once a send to this recipient was ambiguous.
	Ambiguous bool    `json:"ambiguous,omitempty"`
	History   []Event `json:"history"`
}

// Message is a message of the outbox and the state of its recipients.
type Message struct {
	// MessageID is the RFC 5322 Message-ID, without angle brackets: the
	// message's identifier in the outbox, and what receipts refer to.
	MessageID  string      `json:"message_id"`
	Key        string      `json:"key,omitempty"`
	From       string      `json:"from,omitempty"`
	Created    time.Time   `json:"created,omitzero"`
	Recipients []Recipient `json:"recipients"`
	// Existing is set by Enqueue when the key was already known: the
	// message returned is the first one, and nothing was queued.
	Existing bool `json:"-"`
}

// Final reports whether every recipient has a final status.
func (m *Message) Final() bool {
	for _, r := range m.Recipients {
		if !r.Final {
			return false
		}
	}
	return true
}
