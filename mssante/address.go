package mssante

import (
	"fmt"
	"strings"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/internal/check"
)

// MailboxType is the type of an MSSanté mailbox (BAL), TRE_R257-TypeBAL.
type MailboxType string

// Mailbox types (mssante.md §4).
const (
	MailboxPER MailboxType = "PER" // personal: a professional
	MailboxORG MailboxType = "ORG" // organisational: a service, a secretariat
	MailboxAPP MailboxType = "APP" // applicative: a software flow (no human login)
	MailboxCAB MailboxType = "CAB" // practice ("en cours de travaux" at the ANS)
)

// Valid reports whether t is one of the known types.
func (t MailboxType) Valid() bool {
	switch t {
	case MailboxPER, MailboxORG, MailboxAPP, MailboxCAB:
		return true
	}
	return false
}

// Sender is the configuration of the sending mailbox: its address, its
// type, what its From label is made of (ECO.2.2.7) and the X-MSS-NIL product
// reference of the software (ECO.2.4.3).
type Sender struct {
	Address string      `validate:"required,addrspec"`
	Type    MailboxType `validate:"omitempty,oneof=PER ORG APP CAB"`

	// Label parts. A PER label is <Title>_<GivenName>_<FAMILYNAME>_<Entity>
	// (given and family names mandatory, family name upper-cased); an ORG
	// or APP label is <Entity>.
	Title      string `validate:"nocrlf"` // "Dr", "Pr"...
	GivenName  string `validate:"nocrlf"`
	FamilyName string `validate:"nocrlf"`
	Entity     string `validate:"nocrlf"` // entité fonctionnelle

	// Label, when set, is used as the From display name as is.
	Label string `validate:"nocrlf"`

	// NIL is the product reference from convergence.esante.gouv.fr (e.g.
	// "DEV935997"), written as X-MSS-NIL on every message. Required.
	NIL string `validate:"required,nocrlf"`
}

// DisplayName returns the From label of the sender (ECO.2.2.7): Label when
// set, else the label the mailbox type calls for.
func (s *Sender) DisplayName() string {
	if s.Label != "" {
		return s.Label
	}
	switch s.Type {
	case MailboxPER, MailboxCAB, "":
		if s.GivenName == "" && s.FamilyName == "" {
			return s.Entity
		}
		var parts []string
		for _, p := range []string{s.Title, s.GivenName, strings.ToUpper(s.FamilyName), s.Entity} {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		return strings.Join(parts, "_")
	default:
		return s.Entity
	}
}

// Mailbox returns the From mailbox: the label and the address.
func (s *Sender) Mailbox() *mail.Address {
	return &mail.Address{Name: s.DisplayName(), Address: s.Address}
}

// Validate checks the sender configuration: a valid address, a known type,
// the label parts the type requires, and the NIL. The field rules are the
// struct tags of Sender (the SDK's shared validator); the errors are
// ErrNoSender, ErrAddress, ErrNoNIL and ErrHeader.
func (s *Sender) Validate() error {
	if s == nil {
		return ErrNoSender
	}
	if err := fieldErrors(check.Struct(s), s); err != nil {
		return err
	}
	if s.Label != "" {
		return nil
	}
	switch s.Type {
	case MailboxORG, MailboxAPP:
		if strings.TrimSpace(s.Entity) == "" {
			return fmt.Errorf("%w: an %s mailbox needs its entité fonctionnelle as label (ECO.2.2.7)", ErrNoSender, s.Type)
		}
	default:
		if strings.TrimSpace(s.GivenName) == "" || strings.TrimSpace(s.FamilyName) == "" {
			return fmt.Errorf("%w: a PER mailbox label needs the given and family names (ECO.2.2.7)", ErrNoSender)
		}
	}
	return nil
}

// Addresses parses a comma-separated address list ("A <a@x.fr>, b@y.fr").
func Addresses(list string) ([]*mail.Address, error) {
	l, err := mail.ParseAddressList(list)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrAddress, list, err)
	}
	return l, nil
}
