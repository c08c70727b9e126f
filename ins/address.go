package ins

import (
	"errors"
	"fmt"
	"strings"
)

// PatientDomain is the domain of the Mon Espace Santé patient mailboxes,
// operated by the CNAM and listed in the liste blanche (msc.md §1).
const PatientDomain = "patient.mssante.fr"

// TestAutoReplyAddress is the CNAM test mailbox of the patient domain, which
// answers every message automatically (msc.md §1). It is the only address of
// the domain whose local part is not a matricule.
const TestAutoReplyAddress = "reponse.automatique-test@" + PatientDomain

var (
	// ErrNotPatientAddress: the address is not in the patient.mssante.fr domain.
	ErrNotPatientAddress = errors.New("ins: not a Mon Espace Santé patient address")
	// ErrMalformedAddress: the text is not an e-mail address at all.
	ErrMalformedAddress = errors.New("ins: malformed address")
)

// AddressError is the error of the patient address functions: the input and
// the reason, which wraps ErrMalformedAddress, ErrNotPatientAddress, a
// matricule error (*ParseError: ErrLength, ErrFormat, ErrChecksum), an
// identity status error (*StatusError, ErrNotQualified), ErrNotINSOID or
// ErrWrongEnvironment.
type AddressError struct {
	Input string // the address as given ("" when built from an identity)
	Err   error
}

func (e *AddressError) Error() string {
	if e.Input == "" {
		return "ins: cannot build the patient address: " + e.Err.Error()
	}
	return fmt.Sprintf("ins: %q: %v", e.Input, e.Err)
}

func (e *AddressError) Unwrap() error { return e.Err }

// MSCAddress returns the Mon Espace Santé mailbox address of the INS:
// <matricule>@patient.mssante.fr (ins.md §7.5), the 15 characters with the
// key, upper case. It formats what it is given: use Identity.MSCAddress to
// refuse an identity that may not carry the INS.
func (i INS) MSCAddress() string { return i.Matricule.MSCAddress() }

// MSCAddress returns the Mon Espace Santé mailbox address of a matricule
// obtained from Parse. It does not know the identity status: use it only
// where the qualification was checked elsewhere (a command line tool, a
// test), and Identity.MSCAddress everywhere else.
func (m Matricule) MSCAddress() string { return string(m) + "@" + PatientDomain }

// MSCAddress returns the Mon Espace Santé address of a patient (msc.md §1,
// ins.md §7.5). Only a qualified identity (status QUAL) with a valid
// matricule and an INS authority gets an address (ECO.2.2.6); anything else
// is refused with an *AddressError, so that the "adresse invalide" bounce
// never happens. env is checked against the identity's authority:
// Production refuses the test and demonstration OIDs (.10, .11), Test the
// real ones, AnyEnvironment accepts all four.
func (id *Identity) MSCAddress(env Environment) (string, error) {
	if err := id.CheckQualified(); err != nil {
		return "", &AddressError{Err: err}
	}
	if err := env.Allows(id.INS.OID); err != nil {
		return "", &AddressError{Err: err}
	}
	return id.INS.MSCAddress(), nil
}

// ParseMSCAddress reads the matricule out of a Mon Espace Santé address. It
// accepts a bare address, an address in angle brackets or a mailbox with a
// display name ("Dominique PAT-TROIS <279035121518989@patient.mssante.fr>");
// the domain is compared case-insensitively and the matricule is checked
// like Parse does. Its authority is not in the address: the caller supplies
// it when an INS is needed. Errors are *AddressError.
func ParseMSCAddress(addr string) (Matricule, error) {
	local, domain, ok := splitMailbox(addr)
	if !ok {
		return "", &AddressError{Input: addr, Err: ErrMalformedAddress}
	}
	if !strings.EqualFold(domain, PatientDomain) {
		return "", &AddressError{Input: addr, Err: ErrNotPatientAddress}
	}
	m, err := Parse(local)
	if err != nil {
		return "", &AddressError{Input: addr, Err: err}
	}
	return m, nil
}

// IsPatientAddress reports whether addr (bare, in angle brackets or with a
// display name) is in the patient.mssante.fr domain, whatever its local
// part. Use it to route recipients; to trust a sender, require a valid
// matricule too (ParseMSCAddress): ECO.3.1.1 asks receivers not to rely on
// the domain alone, and the CNAM test mailbox is in the domain.
func IsPatientAddress(addr string) bool {
	_, domain, ok := splitMailbox(addr)
	return ok && strings.EqualFold(domain, PatientDomain)
}

// splitMailbox returns the local part and the domain of a bare address, an
// address in angle brackets or a mailbox "Display Name <address>".
func splitMailbox(s string) (local, domain string, ok bool) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return "", "", false
		}
		s = strings.TrimSpace(s[i+1 : i+j])
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t<>\"") {
		return "", "", false
	}
	return s[:at], s[at+1:], true
}
