package msc

import (
	"strings"

	"github.com/mssante-go/sdk/internal/mestext"
)

// Kind is the cause of a returned message for one recipient, as the
// professional is told. Each kind calls for a different action from the
// sending software; see the constants.
type Kind string

// Kinds of bounce (msc.md §9, docs/msc.md). The msc- kinds are for patient
// addresses; the others apply to any address. Every kind but
// KindTemporary is a failure: the message was not delivered to that
// recipient and the mail system will not try again (Kind.Permanent).
const (
	// KindUnknownAddress: no Mon Espace Santé for this patient (no profile,
	// or the patient opposed its creation). Do not write to this address.
	KindUnknownAddress Kind = "msc-unknown-address"
	// KindClosed: the patient's Mon Espace Santé mailbox is closed. Do not
	// write to this address.
	KindClosed Kind = "msc-closed"
	// KindInvalidAddress: the address is not a valid matricule (length,
	// key). Check the patient's INS.
	KindInvalidAddress Kind = "msc-invalid-address"
	// KindTooLarge: the message is over a size limit (25 Mo for Mon Espace
	// Santé). Send the documents in smaller messages.
	KindTooLarge Kind = "message-too-large"
	// KindMailboxUnknown: the professional address does not exist (user
	// unknown, no longer on the server). Check it in the Annuaire Santé.
	KindMailboxUnknown Kind = "mailbox-unknown"
	// KindMailboxFull: the mailbox exists but is full. The address is
	// right: send again later, or reach the person another way.
	KindMailboxFull Kind = "mailbox-full"
	// KindMailboxDisabled: the professional mailbox exists but is disabled
	// or suspended. Check the Annuaire Santé for the person's current
	// mailbox.
	KindMailboxDisabled Kind = "mailbox-disabled"
	// KindHostUnknown: the address's domain does not exist or takes no mail
	// (no MX, null MX, DNS failure). Check the domain (a typo, a domain
	// outside the liste blanche).
	KindHostUnknown Kind = "host-unknown"
	// KindExpired: the sending mail system tried for its whole retry period
	// and gave up (4.4.x with Action: failed, "delivery time expired"). The
	// address may be right: send again later or ask the operator.
	KindExpired Kind = "expired"
	// KindPolicy: the receiving system refused the message by policy: spam
	// or virus filter, sender authentication (SPF/DKIM/DMARC), sender
	// address or reputation, rate limit, content rules. Sending again as is
	// will fail the same way: ask the operator.
	KindPolicy Kind = "policy"
	// KindTemporary: Action: delayed, the only temporary outcome: the mail
	// system is still trying and the message may still be delivered.
	KindTemporary Kind = "temporary"
	// KindOther: any other failure.
	KindOther Kind = "other"
)

// Kinds returns every kind, the patient ones first.
func Kinds() []Kind {
	return []Kind{KindUnknownAddress, KindClosed, KindInvalidAddress, KindTooLarge, KindMailboxUnknown,
		KindMailboxFull, KindMailboxDisabled, KindHostUnknown, KindExpired, KindPolicy, KindTemporary, KindOther}
}

// Permanent reports whether the message failed for good for that recipient:
// not delivered, and not retried by the mail system. It is true for every
// kind but KindTemporary, exactly as mssante.Report.Failed counts a DSN
// recipient with Action: failed (whatever its status class) as a failure.
func (k Kind) Permanent() bool { return k != KindTemporary }

// Patient reports whether the kind concerns a Mon Espace Santé address.
func (k Kind) Patient() bool { return strings.HasPrefix(string(k), "msc-") }

// forPatient returns the patient form of a kind: an unknown mailbox is an
// unknown Mon Espace Santé address, a disabled one a closed one.
func (k Kind) forPatient() Kind {
	switch k {
	case KindMailboxUnknown:
		return KindUnknownAddress
	case KindMailboxDisabled:
		return KindClosed
	}
	return k
}

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
// operator (mssante/mssantetest) writes in its simulated bounces. The other
// entries are wordings of common mail systems, seen in the bounces of the
// shared corpus (sisimai's set of emails) or documented by their vendors;
// within a text, the first entry found wins, so specific wordings come
// before generic ones ("account is blocked" before "blocked").
var defaultBounceTexts = [...]BounceText{
	{KindUnknownAddress, mestext.BounceUnknownAddress, mestext.BounceSource},
	{KindClosed, mestext.BounceClosed, mestext.BounceSource},
	{KindInvalidAddress, mestext.BounceInvalidAddress, mestext.BounceSource},
	// Size.
	{KindTooLarge, "message size exceeds", "Postfix (552 5.3.4 Message size exceeds fixed limit)"},
	{KindTooLarge, "exceeds size limit", "Postfix (message size N exceeds size limit N of server)"},
	{KindTooLarge, "message too large", "Exim, Exchange"},
	{KindTooLarge, "message is too large", "Exchange"},
	{KindTooLarge, "message too big", "sendmail"},
	{KindTooLarge, "exceeds the maximum message size", "Gmail"},
	{KindTooLarge, "recipsizelimit", "Exchange (RESOLVER.RST.RecipSizeLimit)"},
	{KindTooLarge, "dépasse la taille", "French MTAs and Mon Espace Santé wording (UNCONFIRMED)"},
	// The sender's side: checked before the recipient wordings, which
	// they resemble ("sender address rejected").
	{KindPolicy, "sender address rejected", "Postfix"},
	{KindPolicy, "domain of sender address", "sendmail (553 5.1.8)"},
	// Full mailboxes.
	{KindMailboxFull, "mailbox full", "sendmail"},
	{KindMailboxFull, "mailbox is full", "common"},
	{KindMailboxFull, "quota exceeded", "Dovecot, Postfix"},
	{KindMailboxFull, "over quota", "common"},
	{KindMailboxFull, "disk quota", "Sun Internet Mail Server"},
	{KindMailboxFull, "boîte pleine", "French MTAs"},
	{KindMailboxFull, "boîte aux lettres pleine", "French MTAs"},
	// Disabled mailboxes.
	{KindMailboxDisabled, "account has been disabled", "common"},
	{KindMailboxDisabled, "account is disabled", "common"},
	{KindMailboxDisabled, "disabled or discontinued", "common"},
	{KindMailboxDisabled, "account is blocked", "La Poste (LPN007)"},
	{KindMailboxDisabled, "compte du destinataire est bloqué", "La Poste (LPN007)"},
	{KindMailboxDisabled, "account has been suspended", "common"},
	{KindMailboxDisabled, "mailbox disabled", "RFC 3463 X.2.1 text"},
	{KindMailboxDisabled, "compte désactivé", "French MTAs"},
	// Unknown mailboxes.
	{KindMailboxUnknown, "user unknown", "Postfix, sendmail"},
	{KindMailboxUnknown, "unknown user", "common"},
	{KindMailboxUnknown, "no such user", "Exim, Dovecot"},
	{KindMailboxUnknown, "no such recipient", "common"},
	{KindMailboxUnknown, "user not found", "common"},
	{KindMailboxUnknown, "recipient not found", "common"},
	{KindMailboxUnknown, "recipnotfound", "Exchange (RESOLVER.ADR.RecipNotFound)"},
	{KindMailboxUnknown, "unknown recipient", "Exchange, Office 365"},
	{KindMailboxUnknown, "recipient address rejected", "Postfix"},
	{KindMailboxUnknown, "address rejected", "Gmail relays (550 5.1.0 Address rejected)"},
	{KindMailboxUnknown, "account that you tried to reach does not exist", "Gmail"},
	{KindMailboxUnknown, "address couldn't be found", "Gmail"},
	{KindMailboxUnknown, "address not found", "Gmail"},
	{KindMailboxUnknown, "no longer on server", "common (5.1.6)"},
	{KindMailboxUnknown, "invalid recipient", "Orange (OFR_416)"},
	{KindMailboxUnknown, "destinataire invalide", "Orange (OFR_416)"},
	{KindMailboxUnknown, "mailbox unavailable", "RFC 5321 550 text"},
	{KindMailboxUnknown, "adresse inconnue", "French MTAs"},
	{KindMailboxUnknown, "destinataire inconnu", "French MTAs"},
	// Unknown domains.
	{KindHostUnknown, "host unknown", "sendmail"},
	{KindHostUnknown, "unknown host", "common"},
	{KindHostUnknown, "host or domain name not found", "Postfix"},
	{KindHostUnknown, "domain name not found", "Gmail (NXDOMAIN)"},
	{KindHostUnknown, "nxdomain", "DNS"},
	{KindHostUnknown, "name service error", "Postfix"},
	{KindHostUnknown, "null mx", "RFC 7505"},
	{KindHostUnknown, "doesn't receive email", "Gmail (null MX)"},
	{KindHostUnknown, "unrouteable address", "Exim"},
	{KindHostUnknown, "domaine inconnu", "French MTAs"},
	// Gave up after retrying.
	{KindExpired, "delivery time expired", "common"},
	{KindExpired, "message expired", "Exchange (QUEUE.Expired)"},
	{KindExpired, "retry timeout exceeded", "Exim"},
	// Refused by policy.
	{KindPolicy, "spam", "common"},
	{KindPolicy, "virus", "common"},
	{KindPolicy, "banned", "amavis"},
	{KindPolicy, "dmarc", "common"},
	{KindPolicy, "policy", "common (denied by policy, policy violation, policy reasons)"},
	{KindPolicy, "reputation", "Gmail"},
	{KindPolicy, "unauthenticated", "common"},
	{KindPolicy, "access denied", "common"},
	{KindPolicy, "relay access denied", "Postfix"},
	{KindPolicy, "receiving mail at a rate", "Gmail (ReceivingRatePerm)"},
	{KindPolicy, "blocked", "common (blocklists)"},
	{KindPolicy, "bloquée", "Orange (OFR006)"},
	{KindPolicy, "refused to talk to me", "Postfix (the remote server refused the session)"},
	{KindPolicy, "mail rejected", "Orange (OFR_506)"},
	{KindPolicy, "content rejected", "common"},
}

// BounceTexts returns a copy of the default table: the three Mon Espace
// Santé texts first (their Render gives the bounce a patient address
// gets), then common mail system wordings for each kind. Extend it and
// give it to a Classifier:
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
// ending with a dot ("5.7.").
type StatusRule struct {
	Status  string
	Patient bool // the rule applies to patient recipients (else professionals)
	Kind    Kind
}

// DefaultStatusRules returns the status table the classifier uses when no
// text decided. Which codes Mon Espace Santé returns is UNCONFIRMED
// (msc.md §9): the mapping follows RFC 3463.
//
//	5.2.3, 5.3.4            message-too-large
//	5.2.2, 4.2.2            mailbox-full
//	5.1.0, 5.1.1, 5.1.6     msc-unknown-address / mailbox-unknown
//	5.1.3                   msc-invalid-address / mailbox-unknown
//	5.2.1                   msc-closed / mailbox-disabled
//	5.1.2, 5.4.4            host-unknown
//	5.1.7, 5.1.8, 5.7.*     policy
//	4.4.*, 5.4.7            expired (a 4.4.x code reaches the rules only
//	                        with Action: failed: the MTA gave up)
func DefaultStatusRules() []StatusRule {
	both := []StatusRule{
		{Status: "5.2.3", Kind: KindTooLarge}, {Status: "5.3.4", Kind: KindTooLarge},
		{Status: "5.2.2", Kind: KindMailboxFull}, {Status: "4.2.2", Kind: KindMailboxFull},
		{Status: "5.1.0", Kind: KindMailboxUnknown}, {Status: "5.1.1", Kind: KindMailboxUnknown},
		{Status: "5.1.6", Kind: KindMailboxUnknown}, {Status: "5.1.3", Kind: KindMailboxUnknown},
		{Status: "5.2.1", Kind: KindMailboxDisabled},
		{Status: "5.1.2", Kind: KindHostUnknown}, {Status: "5.4.4", Kind: KindHostUnknown},
		{Status: "5.1.7", Kind: KindPolicy}, {Status: "5.1.8", Kind: KindPolicy}, {Status: "5.7.", Kind: KindPolicy},
		{Status: "4.4.", Kind: KindExpired}, {Status: "5.4.7", Kind: KindExpired},
	}
	var out []StatusRule
	for _, patient := range []bool{true, false} {
		for _, r := range both {
			r.Patient = patient
			if patient {
				r.Kind = r.Kind.forPatient()
				if r.Status == "5.1.3" {
					r.Kind = KindInvalidAddress
				}
			}
			out = append(out, r)
		}
	}
	return out
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
