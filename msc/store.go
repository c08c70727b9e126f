package msc

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mssante-go/sdk/ins"
)

// State is the state of an exchange between a professional mailbox and a
// patient.
type State int

const (
	// StateNone: nothing is known of an exchange.
	StateNone State = iota
	// StateOpen: the professional wrote without closing (or the patient
	// wrote first to a pharmacy): the patient may answer.
	StateOpen
	// StateClosed: the professional's last message closed the exchange
	// (X-MSS-MES: FIN or [FIN]); writing again reopens it.
	StateClosed
	// StateUndeliverable: the patient's address bounced permanently (no
	// Mon Espace Santé, mailbox closed, invalid address). Writing again
	// makes it open until the next bounce.
	StateUndeliverable
)

func (s State) String() string {
	switch s {
	case StateNone:
		return "none"
	case StateOpen:
		return "open"
	case StateClosed:
		return "closed"
	case StateUndeliverable:
		return "undeliverable"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// MarshalText writes the state name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Key identifies an exchange: one patient, one professional mailbox. Whether
// Mon Espace Santé applies a closing per mailbox or per professional is
// UNCONFIRMED (msc.md §3.3); the mailbox is the safer grain.
type Key struct {
	Patient ins.Matricule `json:"patient"`
	Mailbox string        `json:"mailbox"` // lower case bare address
}

// NewKey builds a key from a matricule and any form of the mailbox address.
func NewKey(patient ins.Matricule, mailbox string) Key {
	return Key{Patient: patient, Mailbox: lowerAddress(mailbox)}
}

// Conversation is the recorded state of an exchange.
type Conversation struct {
	Key
	State State `json:"state"`
	// PatientInitiated: the patient wrote first (a pharmacy, msc.md §11).
	PatientInitiated bool `json:"patient_initiated,omitempty"`
	// ClosedBy is how the exchange was closed (StateClosed).
	ClosedBy ClosingForm `json:"closed_by,omitempty"`
	// Bounce is the kind of the last permanent bounce (StateUndeliverable).
	Bounce Kind `json:"bounce,omitempty"`
	// LastSent and LastReceived date the last message each way; Updated
	// the last change.
	LastSent     time.Time `json:"last_sent,omitzero"`
	LastReceived time.Time `json:"last_received,omitzero"`
	Updated      time.Time `json:"updated,omitzero"`
}

// Store records conversations. Implementations must be safe for concurrent
// use; Update must be atomic for one key.
type Store interface {
	// Get returns the conversation of k, and false when none is recorded.
	Get(ctx context.Context, k Key) (Conversation, bool, error)
	// Update calls fn with the conversation of k (a zero Conversation with
	// its Key set when none is recorded) and saves it when fn returns nil.
	Update(ctx context.Context, k Key, fn func(c *Conversation) error) error
}

// MemoryStore is an in-memory Store. The zero value is ready to use.
type MemoryStore struct {
	mu sync.Mutex
	m  map[Key]Conversation
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, k Key) (Conversation, bool, error) {
	if err := ctx.Err(); err != nil {
		return Conversation{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[k]
	return c, ok, nil
}

// Update implements Store.
func (s *MemoryStore) Update(ctx context.Context, k Key, fn func(c *Conversation) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[k]
	if !ok {
		c = Conversation{Key: k}
	}
	if err := fn(&c); err != nil {
		return err
	}
	c.Key = k
	if s.m == nil {
		s.m = map[Key]Conversation{}
	}
	s.m[k] = c
	return nil
}

// List returns every conversation of a mailbox (all mailboxes when mailbox
// is empty), in no particular order.
func (s *MemoryStore) List(mailbox string) []Conversation {
	mb := ""
	if mailbox != "" {
		mb = lowerAddress(mailbox)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Conversation
	for k, c := range s.m {
		if mb == "" || strings.EqualFold(k.Mailbox, mb) {
			out = append(out, c)
		}
	}
	return out
}
