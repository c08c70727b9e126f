package msc

import (
	"strings"

	"github.com/mssante-go/sdk/internal/mestext"
)

// Kind is the cause of a returned message, as the professional is told.
type Kind string

// Kinds of bounce (msc.md §9). The msc- kinds are for patient addresses.
const (
	// KindUnknownAddress: no Mon Espace Santé for this patient (no profile,
	// or the patient opposed its creation).
	KindUnknownAddress Kind = "msc-unknown-address"
	// KindClosed: the patient's Mon Espace Santé mailbox is closed.
	KindClosed Kind = "msc-closed"
	// KindInvalidAddress: the address is not a valid matricule (length, key).
	KindInvalidAddress Kind = "msc-invalid-address"
	// KindTooLarge: the message is over the size limit (25 Mo for Mon
	// Espace Santé).
	KindTooLarge Kind = "message-too-large"
	// KindMailboxUnknown: a professional address does not exist.
	KindMailboxUnknown Kind = "mailbox-unknown"
	// KindTemporary: a transient failure (4.x.x, Action: delayed); the
	// message may still be delivered or may be sent again later.
	KindTemporary Kind = "temporary"
	// KindOther: any other failure.
	KindOther Kind = "other"
)

// Permanent reports whether sending the same message again is pointless.
func (k Kind) Permanent() bool { return k != KindTemporary }

// Patient reports whether the kind concerns a Mon Espace Santé address.
func (k Kind) Patient() bool { return strings.HasPrefix(string(k), "msc-") }

// AddressPlaceholder marks where a BounceText quotes the recipient's address.
const AddressPlaceholder = mestext.AddressPlaceholder

// BounceText is one entry of the table of texts the classifier looks for in
// a returned message: when Text is found, the recipient failed for Kind.
// Text may quote the address with AddressPlaceholder; matching ignores case,
// accents, the kind of apostrophe and quotation mark, line breaks and
// repeated spaces.
type BounceText struct {
	Kind Kind
	Text string
	// Source says where the text comes from, for documentation.
	Source string
}

// Render returns the text with the placeholder replaced by addr: the bounce
// a simulated Mon Espace Santé sends.
func (t BounceText) Render(addr string) string {
	return mestext.Render(t.Text, addr)
}

// The three Mon Espace Santé texts (msc.md §9) are quoted from a training
// deck citing the CNAM guide ENS-V1.3 §6: not confirmed in a primary
// source, hence a table a caller can change. They are those the test
// operator (mssante/mssantetest) writes in its simulated bounces.
var defaultBounceTexts = [...]BounceText{
	{KindUnknownAddress, mestext.BounceUnknownAddress, mestext.BounceSource},
	{KindClosed, mestext.BounceClosed, mestext.BounceSource},
	{KindInvalidAddress, mestext.BounceInvalidAddress, mestext.BounceSource},
	// Size: the stock Postfix and common MTA wordings.
	{KindTooLarge, "message size exceeds", "Postfix (552 5.3.4 Message size exceeds fixed limit)"},
	{KindTooLarge, "exceeds size limit", "Postfix (message size N exceeds size limit N of server)"},
	{KindTooLarge, "message too large", "Exim, Exchange"},
	{KindTooLarge, "message is too large", "Exchange"},
	{KindTooLarge, "message too big", "sendmail"},
	{KindTooLarge, "exceeds the maximum message size", "Gmail"},
	{KindTooLarge, "dépasse la taille", "French MTAs and Mon Espace Santé wording (UNCONFIRMED)"},
	// Professional mailbox unknown: common MTA wordings.
	{KindMailboxUnknown, "user unknown", "Postfix, sendmail"},
	{KindMailboxUnknown, "recipient address rejected", "Postfix"},
	{KindMailboxUnknown, "mailbox unavailable", "RFC 5321 550 text"},
	{KindMailboxUnknown, "no such user", "Exim, Dovecot"},
	{KindMailboxUnknown, "adresse inconnue", "French MTAs"},
	{KindMailboxUnknown, "destinataire inconnu", "French MTAs"},
}

// BounceTexts returns a copy of the default table: the three Mon Espace
// Santé texts first (their Render gives the bounce a patient address
// gets), then common MTA wordings for "too large" and "unknown mailbox".
// Extend it and give it to a Classifier:
//
//	c := msc.Classifier{Texts: append(msc.BounceTexts(), msc.BounceText{Kind: msc.KindClosed, Text: "compte clôturé"})}
func BounceTexts() []BounceText {
	out := make([]BounceText, len(defaultBounceTexts))
	copy(out, defaultBounceTexts[:])
	return out
}

// MESBounceText returns the default Mon Espace Santé text for one of the
// three msc- kinds, and false for any other kind.
func MESBounceText(k Kind) (BounceText, bool) {
	for _, t := range defaultBounceTexts {
		if t.Kind == k && k.Patient() {
			return t, true
		}
	}
	return BounceText{}, false
}

// StatusRule maps an RFC 3463 status code to a kind, for a patient or a
// professional recipient. Status is a full code ("5.1.1") or a prefix
// ending with a dot ("5.3.").
type StatusRule struct {
	Status  string
	Patient bool // the rule applies to patient recipients (else professionals)
	Kind    Kind
}

// DefaultStatusRules returns the status table the classifier uses when no
// text matched. Which codes Mon Espace Santé returns is UNCONFIRMED
// (msc.md §9): the mapping follows RFC 3463.
//
//	5.2.3, 5.3.4           message-too-large (both audiences)
//	5.1.1, 5.1.6           msc-unknown-address / mailbox-unknown
//	5.1.3                  msc-invalid-address / mailbox-unknown
//	5.2.1                  msc-closed (mailbox disabled)
func DefaultStatusRules() []StatusRule {
	return []StatusRule{
		{"5.2.3", true, KindTooLarge}, {"5.3.4", true, KindTooLarge},
		{"5.2.3", false, KindTooLarge}, {"5.3.4", false, KindTooLarge},
		{"5.1.1", true, KindUnknownAddress}, {"5.1.6", true, KindUnknownAddress},
		{"5.1.3", true, KindInvalidAddress},
		{"5.2.1", true, KindClosed},
		{"5.1.1", false, KindMailboxUnknown}, {"5.1.6", false, KindMailboxUnknown},
		{"5.1.3", false, KindMailboxUnknown},
	}
}

func (r *StatusRule) matches(status string, patient bool) bool {
	if r.Patient != patient || r.Status == "" {
		return false
	}
	if strings.HasSuffix(r.Status, ".") {
		return strings.HasPrefix(status, r.Status)
	}
	return status == r.Status
}
