package mssantetest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mssante-go/sdk/ins"
)

// MailboxType is the type of an MSSanté mailbox (BAL), code TRE_R257-TypeBAL
// (mssante.md §4).
type MailboxType string

const (
	// Personal: a health professional's own mailbox, opened with a Pro Santé
	// Connect token (SASL XOAUTH2).
	PER MailboxType = "PER"
	// Organisational: a service or a pharmacy, opened with a Pro Santé
	// Connect token by a person acting on it.
	ORG MailboxType = "ORG"
	// Applicative: an automated flow (DPI, laboratory system), opened with an
	// IGC Santé client certificate.
	APP MailboxType = "APP"
)

// Disposition is what a simulated reader answers in the MDN it returns
// (RFC 8098 §3.2.6.2).
type Disposition string

const (
	// NoMDN: the reader never returns an MDN (the zero value).
	NoMDN Disposition = ""
	// Displayed: a person opened the message.
	Displayed Disposition = "displayed"
	// Processed: an application integrated the message (the success MDN of
	// the French profile, mssante.md §9).
	Processed Disposition = "processed"
)

// Mailbox is a professional mailbox of the operator. Each one is an IMAP user
// with an INBOX where its mail is delivered.
type Mailbox struct {
	// Address is the MSSanté address, e.g. "dpi@hopital-test.mssante.fr".
	// Its domain becomes a domain served by the operator.
	Address string
	Type    MailboxType
	// Label is the display name used in the From of messages the operator
	// writes for this mailbox (MDNs), e.g. "Hôpital Test – DPI".
	Label string
	// Password is the test password for IMAP LOGIN/PLAIN (and SMTP PLAIN
	// when Options.AllowPassword is set). Empty: the operator generates one.
	Password string
	// ReadReceipt makes the mailbox a simulated reader: every message that
	// asks for an MDN (Disposition-Notification-To) is answered with this
	// disposition. NoMDN (the zero value) never answers.
	ReadReceipt Disposition
	// Pharmacy marks the organisational mailbox of a pharmacy: patients may
	// write to it first (msc.md §11). Only valid with Type ORG.
	Pharmacy bool
}

// PatientState is the state of a patient's Mon Espace Santé mailbox; each
// non-active state bounces as msc.md §9 describes.
type PatientState int

const (
	// PatientActive: the mailbox exists and receives mail.
	PatientActive PatientState = iota
	// PatientOpposed: the patient opposed the creation of Mon Espace Santé
	// (no profile); bounces with "cette adresse Mon espace santé n'existe
	// pas", like any well-formed INS missing from the registry.
	PatientOpposed
	// PatientClosed: the mailbox was closed ("messagerie clôturée").
	PatientClosed
)

func (s PatientState) String() string {
	switch s {
	case PatientActive:
		return "active"
	case PatientOpposed:
		return "opposed"
	case PatientClosed:
		return "closed"
	}
	return "PatientState(" + strconv.Itoa(int(s)) + ")"
}

// Patient is an entry of the simulated Mon Espace Santé registry.
type Patient struct {
	// INS is the 15-character matricule with its key; the address is
	// INS@patient.mssante.fr.
	INS   string
	State PatientState
	// Name is shown in the From of the patient's messages (optional).
	Name string
	// Unread stops the patient from reading: no MDN is returned. By default
	// an active patient reads every message and, as Mon Espace Santé gives no
	// way to refuse, an MDN goes back when one is asked for (msc.md §10).
	Unread bool
}

// Address returns the patient's MSSanté address.
func (p Patient) Address() string { return strings.ToUpper(p.INS) + "@" + ins.PatientDomain }

// Addresses of the default registry, for tests.
const (
	// DefaultApp is an applicative mailbox (client certificate) that
	// returns "processed" MDNs.
	DefaultApp = "dpi@hopital-test.mssante.fr"
	// DefaultLab is a laboratory's applicative mailbox that never returns
	// MDNs.
	DefaultLab = "resultats@labo-test.mssante.fr"
	// DefaultService is an organisational mailbox of the same hospital.
	DefaultService = "cardiologie@hopital-test.mssante.fr"
	// DefaultDoctor is a personal mailbox that returns "displayed" MDNs.
	DefaultDoctor = "marie.martin@medecin-test.mssante.fr"
	// DefaultDoctor2 is a personal mailbox that never returns MDNs.
	DefaultDoctor2 = "jean.durand@medecin-test.mssante.fr"
	// DefaultPharmacy is a pharmacy's organisational mailbox.
	DefaultPharmacy = "pharmacie.centrale@pharmacie-test.mssante.fr"

	// DefaultPatient is the ANS public test identity (INS 279035121518989,
	// PAT-TROIS DOMINIQUE): active, reads and acknowledges.
	DefaultPatient = "279035121518989@" + ins.PatientDomain
	// The other patients use the public python-stdnum and CI-SIS example
	// matricules of ins.md §8 (never generated ones, which could be real).

	// UnreadPatient is active but never reads (no MDN).
	UnreadPatient = "253072A07300443@" + ins.PatientDomain
	// ClosedPatient has a closed mailbox.
	ClosedPatient = "295109912611193@" + ins.PatientDomain
	// OpposedPatient opposed Mon Espace Santé (no profile).
	OpposedPatient = "253072B07300470@" + ins.PatientDomain
	// UnknownPatient is a well-formed INS missing from the registry.
	UnknownPatient = "277076322082910@" + ins.PatientDomain
	// InvalidPatient has a wrong key (the CI-SIS example of msc.md §1).
	InvalidPatient = "288091234567823@" + ins.PatientDomain
)

// DefaultMailboxes returns the mailboxes used when Options.Mailboxes is nil.
func DefaultMailboxes() []Mailbox {
	return []Mailbox{
		{Address: DefaultApp, Type: APP, Label: "Hôpital Test – DPI", ReadReceipt: Processed},
		{Address: DefaultLab, Type: APP, Label: "Laboratoire Test – Résultats"},
		{Address: DefaultService, Type: ORG, Label: "Hôpital Test – Cardiologie"},
		{Address: DefaultDoctor, Type: PER, Label: "Dr_Marie_MARTIN_Cabinet Test", ReadReceipt: Displayed},
		{Address: DefaultDoctor2, Type: PER, Label: "Dr_Jean_DURAND_Cabinet Test"},
		{Address: DefaultPharmacy, Type: ORG, Label: "Pharmacie Centrale Test", Pharmacy: true},
	}
}

// DefaultPatients returns the registry used when Options.Patients is nil.
func DefaultPatients() []Patient {
	return []Patient{
		{INS: "279035121518989", Name: "Dominique PAT-TROIS"},
		{INS: "253072A07300443", Name: "Patient NON-LECTEUR", Unread: true},
		{INS: "295109912611193", State: PatientClosed},
		{INS: "253072B07300470", State: PatientOpposed},
	}
}

// validMatricule reports whether s is a 15-character INS matricule (NIR or
// NIA) with a correct key, Corsican 2A/2B included (msc.md §1, package ins).
// Spaces, which ins.Parse tolerates in printed matricules, are refused in
// an address.
func validMatricule(s string) bool {
	if len(s) != 15 || strings.ContainsRune(s, ' ') {
		return false
	}
	_, err := ins.Parse(s)
	return err == nil
}

// checkMailboxes validates the configured registry.
func checkMailboxes(mbs []Mailbox, patients []Patient) error {
	seen := map[string]bool{}
	for _, mb := range mbs {
		addr := strings.ToLower(mb.Address)
		local, domain, ok := strings.Cut(addr, "@")
		// No path separator either: WriteFiles names files after addresses.
		if !ok || local == "" || domain == "" || strings.ContainsAny(addr, " <>\r\n/\\") {
			return fmt.Errorf("%w: %q is not an address", ErrBadOptions, mb.Address)
		}
		if domain == ins.PatientDomain {
			return fmt.Errorf("%w: %s: patients go in Options.Patients", ErrBadOptions, mb.Address)
		}
		switch mb.Type {
		case PER, ORG, APP:
		default:
			return fmt.Errorf("%w: %s: mailbox type %q (want PER, ORG or APP)", ErrBadOptions, mb.Address, mb.Type)
		}
		if mb.Pharmacy && mb.Type != ORG {
			return fmt.Errorf("%w: %s: a pharmacy mailbox must be ORG", ErrBadOptions, mb.Address)
		}
		switch mb.ReadReceipt {
		case NoMDN, Displayed, Processed:
		default:
			return fmt.Errorf("%w: %s: read receipt %q", ErrBadOptions, mb.Address, mb.ReadReceipt)
		}
		if seen[addr] {
			return fmt.Errorf("%w: mailbox %s listed twice", ErrBadOptions, mb.Address)
		}
		seen[addr] = true
	}
	for _, p := range patients {
		if !validMatricule(p.INS) {
			return fmt.Errorf("%w: patient %q: not a 15-character INS with a valid key", ErrBadOptions, p.INS)
		}
		addr := strings.ToLower(p.Address())
		if seen[addr] {
			return fmt.Errorf("%w: patient %s listed twice", ErrBadOptions, p.INS)
		}
		seen[addr] = true
	}
	return nil
}
