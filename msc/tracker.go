package msc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mssante-go/sdk/ins"
)

// Errors of Tracker.
var (
	// ErrNotFromPatient: Tracker.Received was given a message whose sender
	// is not a patient's mailbox.
	ErrNotFromPatient = errors.New("msc: the sender is not a Mon Espace Santé patient")
	// ErrNoStore: the Tracker has no Store.
	ErrNoStore = errors.New("msc: Tracker.Store is not set")
)

// Tracker keeps the state of exchanges with patients up to date from what
// a professional mailbox sends, receives and gets back. Store must be set:
// without one, every method returns ErrNoStore.
type Tracker struct {
	// Store records the conversations (e.g. &MemoryStore{}).
	Store Store
	// IsPharmacy reports whether a mailbox is the organisational mailbox of
	// a pharmacy, the only kind a patient may write to first (msc.md §11).
	// nil means none is.
	IsPharmacy func(mailbox string) bool
	// Now dates the records; nil means time.Now.
	Now func() time.Time
}

func (t *Tracker) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Sent records a message sent by mailbox: for each patient among its
// recipients, the exchange becomes closed when the message closes it
// (IsClosing) and open otherwise (writing again reopens, msc.md §3.3).
// Recipients that are not valid patient addresses are ignored.
func (t *Tracker) Sent(ctx context.Context, mailbox string, h Header) error {
	o, err := NewOutgoing(h)
	if err != nil {
		return err
	}
	var rcpts []string
	for _, l := range [][]string{o.To, o.Cc, o.Bcc} {
		rcpts = append(rcpts, l...)
	}
	return t.sent(ctx, mailbox, rcpts, Closing(h))
}

func (t *Tracker) sent(ctx context.Context, mailbox string, rcpts []string, form ClosingForm) error {
	if t.Store == nil {
		return ErrNoStore
	}
	now := t.now()
	for _, r := range rcpts {
		m, err := ins.ParseMSCAddress(r)
		if err != nil {
			continue
		}
		err = t.Store.Update(ctx, NewKey(m, mailbox), func(c *Conversation) error {
			c.LastSent, c.Updated, c.Bounce = now, now, ""
			if form != NotClosing {
				c.State, c.ClosedBy = StateClosed, form
			} else {
				c.State, c.ClosedBy = StateOpen, NotClosing
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// InboundStatus says how a patient's message fits the recorded exchange.
type InboundStatus int

const (
	// InboundReply: the exchange was open; the normal case.
	InboundReply InboundStatus = iota
	// InboundPatientInitiated: the patient wrote first to a pharmacy's
	// organisational mailbox (msc.md §11). Accepted; the exchange is open.
	InboundPatientInitiated
	// InboundUnsolicited: no exchange was recorded and the mailbox is not a
	// pharmacy's. Mon Espace Santé should not allow it (another mailbox of
	// the same professional may have written, msc.md §3.3); the message is
	// accepted, the exchange opened, and the case flagged.
	InboundUnsolicited
	// InboundAfterClose: the exchange was closed (or the address had
	// bounced). Accepted and flagged; the recorded state is unchanged.
	InboundAfterClose
)

func (s InboundStatus) String() string {
	switch s {
	case InboundReply:
		return "reply"
	case InboundPatientInitiated:
		return "patient-initiated"
	case InboundUnsolicited:
		return "unsolicited"
	case InboundAfterClose:
		return "after-close"
	}
	return fmt.Sprintf("InboundStatus(%d)", int(s))
}

// MarshalText writes the status name.
func (s InboundStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Inbound describes a patient's message received by a mailbox.
type Inbound struct {
	Key
	Status InboundStatus `json:"status"`
	// Threaded: the message has In-Reply-To or References. Patients may
	// start a new conversation without them (msc.md §12.2).
	Threaded bool `json:"threaded"`
	// Conversation is the state after the message was recorded.
	Conversation Conversation `json:"conversation"`
}

// Received records a message received by mailbox. The sender must be a
// patient's mailbox (a valid matricule in the patient domain, not the
// domain alone, ECO.3.1.1), else ErrNotFromPatient. The message is never
// refused: Inbound.Status says whether it was expected.
func (t *Tracker) Received(ctx context.Context, mailbox string, h Header) (*Inbound, error) {
	if t.Store == nil {
		return nil, ErrNoStore
	}
	m, ok := PatientSender(h)
	if !ok {
		return nil, fmt.Errorf("%w: From %q", ErrNotFromPatient, h.Get("From"))
	}
	in := &Inbound{Key: NewKey(m, mailbox), Threaded: h.Get("In-Reply-To") != "" || h.Get("References") != ""}
	now := t.now()
	err := t.Store.Update(ctx, in.Key, func(c *Conversation) error {
		c.LastReceived, c.Updated = now, now
		switch c.State {
		case StateOpen:
			in.Status = InboundReply
		case StateClosed, StateUndeliverable:
			in.Status = InboundAfterClose
		default:
			if t.IsPharmacy != nil && t.IsPharmacy(in.Mailbox) {
				in.Status = InboundPatientInitiated
			} else {
				in.Status = InboundUnsolicited
			}
			c.State, c.PatientInitiated = StateOpen, true
		}
		in.Conversation = *c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return in, nil
}

// Bounced records a bounce of a message sent by mailbox: a patient address
// that bounced as msc-unknown-address, msc-closed or msc-invalid-address
// becomes StateUndeliverable. Other kinds (temporary, too large, other)
// leave the state as it is, and a nil b records nothing.
func (t *Tracker) Bounced(ctx context.Context, mailbox string, b *Bounce) error {
	if t.Store == nil {
		return ErrNoStore
	}
	if b == nil {
		return nil
	}
	now := t.now()
	for _, rb := range b.Recipients {
		if !rb.Kind.Patient() {
			continue
		}
		m, err := ins.ParseMSCAddress(rb.Recipient)
		if err != nil {
			continue // an invalid matricule has no conversation to update
		}
		kind := rb.Kind
		err = t.Store.Update(ctx, NewKey(m, mailbox), func(c *Conversation) error {
			c.State, c.Bounce, c.Updated = StateUndeliverable, kind, now
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Conversation returns the recorded state of the exchange between a patient
// (a patient address or a bare matricule) and a mailbox; State is StateNone
// when nothing is recorded.
func (t *Tracker) Conversation(ctx context.Context, patient, mailbox string) (Conversation, error) {
	if t.Store == nil {
		return Conversation{}, ErrNoStore
	}
	var m ins.Matricule
	var err error
	if strings.ContainsRune(patient, '@') {
		m, err = ins.ParseMSCAddress(patient)
	} else if m, err = ins.Parse(patient); err != nil {
		err = &ins.AddressError{Input: patient, Err: err}
	}
	if err != nil {
		return Conversation{}, err
	}
	k := NewKey(m, mailbox)
	c, ok, err := t.Store.Get(ctx, k)
	if err != nil || !ok {
		return Conversation{Key: k}, err
	}
	return c, nil
}
