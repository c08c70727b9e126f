package delivery

import (
	"log/slog"
	"strings"
	"time"

	"github.com/mssante-go/sdk/msc"
	"github.com/mssante-go/sdk/mssante"
)

// Defaults of Options.
const (
	DefaultWorkers        = 4
	DefaultSendTimeout    = 5 * time.Minute
	DefaultRetryInitial   = 30 * time.Second
	DefaultRetryMax       = 30 * time.Minute
	DefaultRetryDeadline  = 48 * time.Hour
	DefaultReceiptTimeout = 7 * 24 * time.Hour
	DefaultFetchInterval  = time.Minute
)

// Options configure an Outbox. A nil *Options, and the zero value of each
// field, mean the documented default.
type Options struct {
	// Transport sends the messages whose sender has no entry in Senders.
	// An outbox without any transport can enqueue and answer status
	// queries, not send (Run fails with ErrNoTransport).
	Transport mssante.Transport
	// Senders maps a sender's mailbox address (case-insensitive) to the
	// transport that authenticates as that mailbox. A transport that also
	// implements mssante.Receiver (see mssante.WithReceiver) is where the
	// receipts of that mailbox are fetched from.
	Senders map[string]mssante.Transport
	// RecipientChecker vets every recipient before anything is sent
	// (typically annuaire.RecipientChecker, the liste blanche). An error
	// refuses the recipient for good (status refused), unless it is
	// temporary (mssante.IsTemporary: the check could not be made), which
	// defers it. Nil checks nothing.
	RecipientChecker mssante.RecipientChecker

	// Workers is the number of messages sent at once by this process
	// (default DefaultWorkers).
	Workers int
	// SendTimeout bounds one SMTP submission (default 5 minutes).
	SendTimeout time.Duration
	// StuckAfter is how long a job may run before it is presumed abandoned
	// (its worker killed) and run again by another worker; it must exceed
	// SendTimeout (default SendTimeout + 2 minutes). Recipients that job had
	// claimed are then ambiguous.
	StuckAfter time.Duration
	// Retry is the backoff of temporary failures.
	Retry RetryPolicy
	// HoldAmbiguous holds an ambiguous send for review (status held)
	// instead of sending it again with the same Message-ID. EnqueueOptions
	// may override it per message.
	HoldAmbiguous bool

	// ReceiptTimeout is how long after the submission the outbox waits for
	// news of a recipient (default 7 days): a requested DSN or MDN that has
	// not come by then makes it no-receipt; when none was requested, a
	// failure notice (bounce) may still come until then, after which
	// submitted is final (event settled).
	ReceiptTimeout time.Duration
	// FetchInterval is how often the receivers of the senders are read for
	// receipts (default 1 minute); negative disables fetching.
	FetchInterval time.Duration
	// Classifier classifies bounces (nil: the default msc.Classifier).
	Classifier *msc.Classifier
	// IsPharmacy is given to the Tracker (msc.Tracker.IsPharmacy).
	IsPharmacy func(mailbox string) bool

	// OnEvent, when set, is called with every event after the transaction
	// that recorded it committed, in order for one recipient. It runs on the
	// worker's goroutine: it must not block for long. Events happen in the
	// process that caused them: with several processes on one PostgreSQL
	// database, each sees its own.
	OnEvent func(Event)
	// Hooks are durable readers of the event history (see Hook): unlike
	// OnEvent, they see the events of every process on the database, at
	// least once, across crashes. They run where Run runs.
	Hooks []Hook
	// HookInterval is how often the hooks are given the new events
	// (default DefaultHookInterval).
	HookInterval time.Duration

	// Logger receives the outbox's and River's logs (nil: discard). No
	// message content and no patient address is logged.
	Logger *slog.Logger
	// ID names this process in the events (Evidence.Worker) and to River;
	// empty means one generated from the host name and process id.
	ID string
}

// RetryPolicy is a capped exponential backoff with an overall deadline. The
// zero value means the defaults.
type RetryPolicy struct {
	// Initial is the wait after the first temporary failure (default 30 s);
	// each failure doubles it, up to Max (default 30 minutes). A jitter of
	// ±10% spreads the retries of many messages.
	Initial, Max time.Duration
	// Deadline is how long after Enqueue a message may still be retried
	// (default 48 hours); then its recipients still not submitted fail.
	Deadline time.Duration
}

// AmbiguousPolicy says what to do with an ambiguous send of one message.
type AmbiguousPolicy int

const (
	// AmbiguousDefault follows Options.HoldAmbiguous.
	AmbiguousDefault AmbiguousPolicy = iota
	// AmbiguousResend sends again with the same Message-ID.
	AmbiguousResend
	// AmbiguousHold holds the recipient for review (Resend, Cancel).
	AmbiguousHold
)

// EnqueueOptions configure one Enqueue. A nil *EnqueueOptions means the
// defaults.
type EnqueueOptions struct {
	// Key makes Enqueue idempotent: a key already used returns the first
	// message and queues nothing. Default: the message's Message-ID.
	Key string
	// From is the envelope sender (MAIL FROM); default: the From header,
	// which must then hold one address.
	From string
	// To are the envelope recipients; default: the To, Cc and Bcc headers.
	To []string
	// DSN asks for delivery status notifications (RFC 3461). Nil asks for
	// none, unless the message carries Return-Receipt-To (the Ségur form
	// of the request, ECO.2.3.1): then mssante.DeliveryReceiptDSN is used.
	// The outbox sets ENVID to the Message-ID when it fits (printable ASCII,
	// at most 100 characters), to match the DSNs.
	DSN *mssante.DSNRequest
	// Ambiguous overrides Options.HoldAmbiguous for this message.
	Ambiguous AmbiguousPolicy
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Workers <= 0 {
		r.Workers = DefaultWorkers
	}
	if r.SendTimeout <= 0 {
		r.SendTimeout = DefaultSendTimeout
	}
	if r.StuckAfter <= r.SendTimeout {
		r.StuckAfter = r.SendTimeout + 2*time.Minute
	}
	if r.Retry.Initial <= 0 {
		r.Retry.Initial = DefaultRetryInitial
	}
	if r.Retry.Max <= 0 {
		r.Retry.Max = DefaultRetryMax
	}
	if r.Retry.Max < r.Retry.Initial {
		r.Retry.Max = r.Retry.Initial
	}
	if r.Retry.Deadline <= 0 {
		r.Retry.Deadline = DefaultRetryDeadline
	}
	if r.ReceiptTimeout <= 0 {
		r.ReceiptTimeout = DefaultReceiptTimeout
	}
	if r.FetchInterval == 0 {
		r.FetchInterval = DefaultFetchInterval
	}
	if r.HookInterval <= 0 {
		r.HookInterval = DefaultHookInterval
	}
	r.Hooks = append([]Hook(nil), r.Hooks...)
	if r.Classifier == nil {
		r.Classifier = &msc.Classifier{}
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	senders := map[string]mssante.Transport{}
	for k, t := range r.Senders {
		senders[strings.ToLower(k)] = t
	}
	r.Senders = senders
	return r
}

// transport returns the transport for a sender.
func (o *Options) transport(from string) mssante.Transport {
	if t, ok := o.Senders[strings.ToLower(from)]; ok {
		return t
	}
	return o.Transport
}

// backoff returns the wait after the n-th temporary failure (n ≥ 1), with
// a jitter of ±10% drawn from j in [0, 1).
func (p RetryPolicy) backoff(n int, j float64) time.Duration {
	d := p.Initial
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return time.Duration(float64(d) * (0.9 + 0.2*j))
}
