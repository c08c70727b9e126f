package msc

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/mssante-go/sdk/ins"
)

// Domain is the domain of the Mon Espace Santé patient mailboxes, operated by
// the CNAM and listed in the liste blanche (msc.md §1).
const Domain = ins.PatientDomain

// TestAutoReplyAddress is the CNAM test mailbox of the patient domain, which
// answers every message automatically (msc.md §1). It is the only address of
// the domain whose local part is not a matricule.
const TestAutoReplyAddress = "reponse.automatique-test@patient.mssante.fr"

// Sentinel errors of this package, usable with errors.Is. The errors of the
// matricule and of the identity status are those of package ins, re-exported
// here so that callers need only one import.
var (
	// ErrNotQualified: the identity is not QUAL (ECO.2.2.6). Errors carry an
	// *ins.StatusError naming the status.
	ErrNotQualified = ins.ErrNotQualified
	// ErrLength, ErrFormat, ErrChecksum: the matricule is not 15 characters,
	// has a character out of place, or has a wrong key. Errors carry an
	// *ins.ParseError with the details (e.g. the expected key).
	ErrLength   = ins.ErrLength
	ErrFormat   = ins.ErrFormat
	ErrChecksum = ins.ErrChecksum
	// ErrNotINSOID: the identity's authority is not one of the four INS OIDs.
	ErrNotINSOID = ins.ErrNotINSOID
	// ErrWrongEnvironment: a test identity (.10, .11) in production, or a
	// real one in a test environment.
	ErrWrongEnvironment = ins.ErrWrongEnvironment
	// ErrNotPatientAddress: the address is not in the patient.mssante.fr domain.
	ErrNotPatientAddress = ins.ErrNotPatientAddress
	// ErrMalformedAddress: the text is not an e-mail address at all.
	ErrMalformedAddress = errors.New("msc: malformed address")
)

// AddressError is the error of Address and ParseAddress: the input and the
// reason, which wraps one of the sentinel errors above (and, for a bad
// matricule or status, the *ins.ParseError or *ins.StatusError).
type AddressError struct {
	Input string // the address or matricule as given ("" for an identity)
	Err   error
}

func (e *AddressError) Error() string {
	if e.Input == "" {
		return "msc: cannot build the patient address: " + e.Err.Error()
	}
	return fmt.Sprintf("msc: %q: %v", e.Input, e.Err)
}

func (e *AddressError) Unwrap() error { return e.Err }

// Address returns the Mon Espace Santé address of a patient,
// "<matricule>@patient.mssante.fr" (msc.md §1, ins.md §7.5). Only a
// qualified identity (status QUAL) with a valid matricule and an INS
// authority gets an address (ECO.2.2.6); anything else is refused with an
// *AddressError, so that the "adresse invalide" bounce never happens.
//
// env is checked against the identity's authority: ins.Production refuses
// the test and demonstration OIDs (.10, .11), ins.Test refuses the real
// ones, ins.AnyEnvironment accepts all four.
func Address(id ins.Identity, env ins.Environment) (string, error) {
	if err := id.CheckQualified(); err != nil {
		return "", &AddressError{Err: err}
	}
	if err := env.Allows(id.INS.OID); err != nil {
		return "", &AddressError{Err: err}
	}
	return id.INS.MSCAddress(), nil
}

// MatriculeAddress returns the address for a bare matricule, after checking
// its length, characters and key. It does not know the identity status: use
// it only where the qualification was checked elsewhere (a command line
// tool, a test), and Address everywhere else.
func MatriculeAddress(matricule string) (string, error) {
	m, err := ins.Parse(matricule)
	if err != nil {
		return "", &AddressError{Input: matricule, Err: err}
	}
	return string(m) + "@" + Domain, nil
}

// ParseAddress reads the matricule out of a patient address. It accepts a
// bare address, an address in angle brackets or a full RFC 5322 mailbox
// ("Dominique PAT-TROIS <279035121518989@patient.mssante.fr>"); the domain
// is compared case-insensitively and the matricule is checked (length,
// characters, key). Errors are *AddressError wrapping ErrMalformedAddress,
// ErrNotPatientAddress, or an ins parse error.
func ParseAddress(addr string) (ins.Matricule, error) {
	a, err := bareAddress(addr)
	if err != nil {
		return "", &AddressError{Input: addr, Err: err}
	}
	m, err := ins.ParseMSCAddress(a)
	if err != nil {
		return "", &AddressError{Input: addr, Err: err}
	}
	return m, nil
}

// IsPatientAddress reports whether addr (bare or as a mailbox with a display
// name) is in the patient.mssante.fr domain, whatever its local part. Use it
// to route recipients; use IsPatient to trust a sender.
func IsPatientAddress(addr string) bool {
	a, err := bareAddress(addr)
	return err == nil && ins.IsPatientAddress(a)
}

// IsPatient reports whether addr is a patient's own mailbox: the patient
// domain and a local part that is a valid matricule. It does not rely on the
// domain alone (ECO.3.1.1): the CNAM test auto-reply mailbox and mistyped
// addresses are not patients.
func IsPatient(addr string) bool {
	_, err := ParseAddress(addr)
	return err == nil
}

// PatientSender returns the matricule of the sender of a message when the
// From field is a patient's mailbox (msc.md §12.1), and false otherwise.
func PatientSender(h Header) (ins.Matricule, bool) {
	m, err := ParseAddress(h.Get("From"))
	return m, err == nil
}

// bareAddress returns the addr-spec of a bare address, an address in angle
// brackets, or a mailbox with a display name.
func bareAddress(addr string) (string, error) {
	s := strings.TrimSpace(addr)
	if s == "" {
		return "", ErrMalformedAddress
	}
	if !strings.ContainsAny(s, "<\" ") {
		if strings.IndexByte(s, '@') <= 0 {
			return "", ErrMalformedAddress
		}
		return s, nil
	}
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address, nil
	}
	// Tolerant: "<x@y>" with stray spaces, or a display name net/mail refuses.
	if i, j := strings.LastIndexByte(s, '<'), strings.LastIndexByte(s, '>'); i >= 0 && j > i+1 {
		if inner := strings.TrimSpace(s[i+1 : j]); strings.IndexByte(inner, '@') > 0 {
			return inner, nil
		}
	}
	return "", ErrMalformedAddress
}

// lowerAddress normalises a mailbox address for comparisons: bare, lower case.
func lowerAddress(addr string) string {
	a, err := bareAddress(addr)
	if err != nil {
		a = strings.TrimSpace(addr)
	}
	return strings.ToLower(a)
}
