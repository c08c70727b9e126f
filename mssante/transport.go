package mssante

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Transport submits a message to an MSSanté operator.
//
// Send transmits msg (a complete RFC 5322 message) to every recipient of env
// and reports a result per recipient. It returns a non-nil error when the
// message was not accepted for any recipient, or when some recipients were
// refused: in that case the error is a *PartialError and the result lists who
// accepted it. A transport must not modify msg.
//
// Optional behaviour is found by type assertion on the transport: Receiver
// (fetching incoming mail) and TokenRefresher (forcing an OAuth token refresh).
type Transport interface {
	Send(ctx context.Context, env *Envelope, msg io.Reader) (*SendResult, error)
}

// Envelope is the SMTP envelope of one submission (RFC 5321), with the
// optional delivery status notification parameters of RFC 3461.
type Envelope struct {
	From string   // MAIL FROM: the sender's MSSanté address
	To   []string // RCPT TO: every recipient (To, Cc and Bcc)
	DSN  *DSNRequest
}

// DSNRequest holds the RFC 3461 parameters of a submission. The zero value
// asks for nothing (the server's default behaviour).
type DSNRequest struct {
	// Notify is NOTIFY= for every recipient: any of "SUCCESS", "FAILURE",
	// "DELAY", or "NEVER" alone. Empty leaves it to the server.
	Notify []string
	// Return is RET=: "FULL" or "HDRS". Empty leaves it to the server.
	Return string
	// EnvelopeID is ENVID=, echoed in the DSN to correlate it with the message.
	EnvelopeID string
	// OriginalRecipient sends ORCPT=rfc822;ADDRESS with every recipient, so
	// that the DSN names the address as the sender wrote it.
	OriginalRecipient bool
}

// RecipientStatus is the outcome of a submission for one recipient. A
// submission ends in one of four ways, which say what is known:
//
//   - StatusAccepted: the operator replied 250 to the final dot.
//   - StatusTemporaryFailure or StatusPermanentFailure: the operator refused
//     this recipient (4xx or 5xx at MAIL, RCPT or after DATA), or the
//     connection failed before the message was complete (Err is then a
//     transport connection error and Status temporary). Nothing was
//     delivered to this recipient: sending again is safe.
//   - StatusUnknown: the whole message, final dot included, was handed to
//     the network and the connection was lost (or the context ended) before
//     the operator's reply. The operator may have accepted it: sending again
//     may deliver it twice. Send again with the same Message-ID, so that the
//     receiver can recognise the copy, and record that the send was
//     ambiguous. Err wraps ErrOutcomeUnknown.
type RecipientStatus int

const (
	// StatusAccepted: the operator accepted the message for this recipient.
	StatusAccepted RecipientStatus = iota
	// StatusTemporaryFailure: a 4xx reply, or a connection failure before
	// the message was complete; sending again later may succeed.
	StatusTemporaryFailure
	// StatusPermanentFailure: a 5xx reply, or a refusal by a recipient check
	// (outside the liste blanche) before anything was sent.
	StatusPermanentFailure
	// StatusUnknown: the connection was lost after the final dot, before
	// the reply: the message may have been delivered (see RecipientStatus).
	StatusUnknown
)

func (s RecipientStatus) String() string {
	switch s {
	case StatusAccepted:
		return "accepted"
	case StatusTemporaryFailure:
		return "temporary-failure"
	case StatusPermanentFailure:
		return "permanent-failure"
	case StatusUnknown:
		return "unknown"
	}
	return fmt.Sprintf("RecipientStatus(%d)", int(s))
}

// RecipientResult is the outcome for one recipient.
type RecipientResult struct {
	Recipient string
	Status    RecipientStatus
	// Err is nil when Status is StatusAccepted; otherwise an *SMTPError,
	// the error of the recipient check, a transport connection error, or
	// (StatusUnknown) an *UnknownOutcomeError.
	Err error
}

// SendResult reports a submission.
type SendResult struct {
	Recipients []RecipientResult
}

// Accepted returns the recipients that accepted the message.
func (r *SendResult) Accepted() []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, rr := range r.Recipients {
		if rr.Status == StatusAccepted {
			out = append(out, rr.Recipient)
		}
	}
	return out
}

// Err returns nil when every recipient accepted the message and a
// *PartialError otherwise.
func (r *SendResult) Err() error {
	var failed []RecipientResult
	for _, rr := range r.Recipients {
		if rr.Status != StatusAccepted {
			failed = append(failed, rr)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &PartialError{Failed: failed, Total: len(r.Recipients)}
}

// SMTPError is an SMTP reply that refused a command: the basic code (RFC 5321)
// and the enhanced status code (RFC 3463) when the server sent one.
type SMTPError struct {
	Code         int    // e.g. 550
	EnhancedCode string // e.g. "5.1.1", empty when absent
	Message      string
}

func (e *SMTPError) Error() string {
	if e.EnhancedCode != "" {
		return fmt.Sprintf("smtp %d %s: %s", e.Code, e.EnhancedCode, e.Message)
	}
	return fmt.Sprintf("smtp %d: %s", e.Code, e.Message)
}

// Temporary reports whether the reply is a 4xx one (sending again later may succeed).
func (e *SMTPError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// PartialError reports the recipients that did not accept a message. When
// Total is larger than len(Failed), the other recipients did accept it.
type PartialError struct {
	Failed []RecipientResult
	Total  int
}

func (e *PartialError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mssante: %d of %d recipients refused the message", len(e.Failed), e.Total)
	for i, f := range e.Failed {
		if i == 3 {
			fmt.Fprintf(&b, "; ...")
			break
		}
		fmt.Fprintf(&b, "; %s: %v", f.Recipient, f.Err)
	}
	return b.String()
}

// Temporary reports whether every failure is temporary. An unknown outcome
// is not temporary: sending again may deliver twice.
func (e *PartialError) Temporary() bool {
	for _, f := range e.Failed {
		if f.Status != StatusTemporaryFailure {
			return false
		}
	}
	return len(e.Failed) > 0
}

// Unwrap gives errors.Is/As access to each recipient's error.
func (e *PartialError) Unwrap() []error {
	out := make([]error, 0, len(e.Failed))
	for _, f := range e.Failed {
		if f.Err != nil {
			out = append(out, f.Err)
		}
	}
	return out
}

// ErrOutcomeUnknown is wrapped by the error of a recipient whose submission
// outcome is unknown (StatusUnknown): the connection was lost after the final
// dot of DATA, before the operator's reply, so the message may have been
// delivered.
var ErrOutcomeUnknown = errors.New("mssante: outcome unknown: the connection was lost after the message was sent, before the reply; it may have been delivered")

// UnknownOutcomeError is the error of a recipient whose outcome is unknown
// (StatusUnknown). Err is the connection failure; errors.Is(err,
// ErrOutcomeUnknown) holds, and IsTemporary is false even when Err alone
// would be temporary, because sending again may deliver the message twice.
type UnknownOutcomeError struct {
	Err error
}

func (e *UnknownOutcomeError) Error() string {
	return fmt.Sprintf("%v: %v", ErrOutcomeUnknown, e.Err)
}

// Unwrap returns the connection failure.
func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// Is reports whether target is ErrOutcomeUnknown.
func (e *UnknownOutcomeError) Is(target error) bool { return target == ErrOutcomeUnknown }

// Temporary is false: sending again is not known to be safe.
func (e *UnknownOutcomeError) Temporary() bool { return false }

// IsOutcomeUnknown reports whether err, returned by a Transport, means that
// the message may have been delivered although no reply came back.
func IsOutcomeUnknown(err error) bool { return errors.Is(err, ErrOutcomeUnknown) }

// IsTemporary reports whether err, returned by a Transport, is a temporary
// failure (a 4xx reply, a network failure before the message was complete):
// sending again later may succeed and cannot deliver twice. It looks in
// err's chain for the first error with a Temporary() bool method
// (*SMTPError, *PartialError, *UnknownOutcomeError, the transports'
// connection errors). An unknown outcome (IsOutcomeUnknown) is not
// temporary.
func IsTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// RecipientChecker vets a recipient before any byte is sent, typically
// against the liste blanche. It returns nil to accept the address, and an
// error to refuse it: the transport reports the recipient as
// StatusPermanentFailure with that error. annuaire.RecipientChecker is
// one; its refusals match annuaire.ErrOutsideTrustSpace.
type RecipientChecker interface {
	CheckRecipient(ctx context.Context, address string) error
}

// TokenRefresher is implemented by transports that authenticate with an
// OAuth 2.0 access token (SASL XOAUTH2 with Pro Santé Connect).
type TokenRefresher interface {
	// RefreshToken discards the cached access token so that the next
	// connection obtains a new one.
	RefreshToken(ctx context.Context) error
}

// Receiver is implemented by transports that fetch incoming messages (the
// IMAP receiver of package imapclient).
type Receiver interface {
	// Receive hands every new message to h, one at a time, and marks it as
	// received on the server (seen, or moved) only after h returned nil: a
	// message is never lost if the process dies in between, at worst it is
	// handed again (use Received.ID to recognise it). Receive returns when
	// every message that was new when it started has been handled, or at the
	// first error of h, which it returns.
	Receive(ctx context.Context, h func(ctx context.Context, m *Received) error) error
}

// Received is an incoming message handed to a Receiver's handler.
type Received struct {
	// ID identifies the message in its mailbox durably (for IMAP,
	// "MAILBOX/UIDVALIDITY/UID"), to recognise a message handed twice.
	ID string
	// Size is the size of the message in bytes, when the server told it.
	Size int64
	// Date is when the server received the message (IMAP INTERNALDATE).
	Date time.Time
	// Body is the whole RFC 5322 message; it is valid only until the
	// handler returns.
	Body io.Reader
}

// WithReceiver joins a sending Transport and a Receiver (for instance an
// SMTP and an IMAP client of the same mailbox) into one Transport that also
// implements Receiver and TokenRefresher, so that code given a Transport
// finds both add-ons by type assertion.
func WithReceiver(t Transport, r Receiver) Transport {
	return &joined{Transport: t, r: r}
}

type joined struct {
	Transport
	r Receiver
}

func (j *joined) Receive(ctx context.Context, h func(ctx context.Context, m *Received) error) error {
	return j.r.Receive(ctx, h)
}

// RefreshToken refreshes the token of both sides that use one.
func (j *joined) RefreshToken(ctx context.Context) error {
	var errs []error
	if tr, ok := j.Transport.(TokenRefresher); ok {
		errs = append(errs, tr.RefreshToken(ctx))
	}
	if tr, ok := j.r.(TokenRefresher); ok {
		errs = append(errs, tr.RefreshToken(ctx))
	}
	return errors.Join(errs...)
}
