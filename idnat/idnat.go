package idnat

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/check"
)

// The OIDs of the national identifiers (cda.md §4, xdm.md §6).
const (
	OIDPerson    = "1.2.250.1.71.4.2.1" // idNat_PS, IDNPS: a health professional
	OIDStructure = "1.2.250.1.71.4.2.2" // idNat_Struct, IDNST: a structure
)

// Kind is a kind of identifier.
type Kind int

// Kinds of identifier. Lengths and keys follow annuaire.md §6.2.
const (
	Unknown  Kind = iota
	RPPS          // 11 digits, Luhn (observed)
	ADELI         // 9 digits, Luhn (observed)
	FINESS        // 9 characters, the first two the département (2A/2B allowed), Luhn on 9 digits (observed)
	SIREN         // 9 digits, Luhn (established)
	SIRET         // 14 digits, Luhn (established), La Poste exception
	RPPSRang      // an 11-digit RPPS and a 3-digit rang (structure "4"+...); Luhn on the RPPS (observed)
	Internal      // an internal identifier after a national prefix ("3<FINESS>/<id>")
)

var kindNames = [...]string{"unknown", "RPPS", "ADELI", "FINESS", "SIREN", "SIRET", "RPPS-rang", "internal"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// KeyEstablished reports whether the check digit of the kind is an
// established rule (SIREN, SIRET), rather than one only observed on real
// numbers (RPPS, ADELI, FINESS).
func (k Kind) KeyEstablished() bool { return k == SIREN || k == SIRET }

var (
	// ErrFormat: a wrong length, a character out of place, an unknown or
	// missing national prefix.
	ErrFormat = errors.New("idnat: malformed identifier")
	// ErrKey: the check digit does not match (see the package's policy).
	ErrKey = errors.New("idnat: check digit does not match")
)

// Error reports an identifier that Check or a parser refuses. It wraps
// ErrFormat or ErrKey.
type Error struct {
	Kind   Kind
	Value  string
	Reason string
	Err    error // ErrFormat or ErrKey
}

func (e *Error) Error() string {
	return fmt.Sprintf("idnat: invalid %s %q: %s", e.Kind, e.Value, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// Luhn reports whether s, a string of ASCII digits, passes the Luhn (mod 10)
// check with its key included. It is false for an empty or non-digit string.
func Luhn(s string) bool {
	if s == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// laPosteSIREN is the SIREN of La Poste, whose establishments' SIRET do not
// pass Luhn: the sum of their digits is a multiple of 5 instead.
const laPosteSIREN = "356000000"

// Check checks an identifier of the given kind, strictly: length and
// characters, then the check digit of every kind that has one (ErrKey).
// Builders call it; readers use Validate, which only warns about the keys
// that are not established. The error is an *Error.
func Check(kind Kind, s string) error {
	if err := checkFormat(kind, s); err != nil {
		return err
	}
	if !validKey(kind, s) {
		return &Error{Kind: kind, Value: s, Reason: keyReason(kind, s), Err: ErrKey}
	}
	return nil
}

const spec = "annuaire.md §6.2"

// Rules of Validate's findings.
const (
	RuleFormat = "IDNAT-FORMAT"
	RuleKey    = "IDNAT-KEY"
)

// Validate checks an identifier as a reader does (see the package's
// policy): a wrong length or charset is an error finding (RuleFormat); a
// failed check digit (RuleKey) is an error for SIREN and SIRET and a warning
// for RPPS, ADELI and FINESS. Location is the kind's name.
func Validate(kind Kind, s string) finding.List {
	var out finding.List
	if err := checkFormat(kind, s); err != nil {
		out.Add(finding.Error, RuleFormat, kind.String(), spec, "%s", err.(*Error).Reason)
		return out
	}
	if !validKey(kind, s) {
		level := finding.Warning
		if kind.KeyEstablished() {
			level = finding.Error
		}
		out.Add(level, RuleKey, kind.String(), spec, "%s", keyReason(kind, s))
	}
	return out
}

func keyReason(kind Kind, s string) string {
	switch {
	case kind == RPPSRang:
		return fmt.Sprintf("RPPS part %s fails the Luhn check (observed rule, not official)", s[:11])
	case kind.KeyEstablished():
		return fmt.Sprintf("%s %s fails the Luhn check", kind, s)
	}
	return fmt.Sprintf("%s %s fails the Luhn check (observed rule, not official)", kind, s)
}

// validKey reports whether a well-formed identifier has a good check digit
// (true for the kinds without one).
func validKey(kind Kind, s string) bool {
	switch kind {
	case RPPS, ADELI, SIREN:
		return Luhn(s)
	case FINESS:
		return !check.Digits(s) || Luhn(s) // 2A/2B: no known key
	case SIRET:
		return Luhn(s) || (strings.HasPrefix(s, laPosteSIREN) && digitSum(s)%5 == 0)
	case RPPSRang:
		return Luhn(s[:11])
	}
	return true
}

func digitSum(s string) int {
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += int(s[i] - '0')
	}
	return sum
}

// checkFormat returns an *Error (ErrFormat) for a wrong length or charset.
func checkFormat(kind Kind, s string) error {
	bad := func(format string, args ...any) error {
		return &Error{Kind: kind, Value: s, Reason: fmt.Sprintf(format, args...), Err: ErrFormat}
	}
	want := 0
	switch kind {
	case RPPS:
		want = 11
	case ADELI, SIREN:
		want = 9
	case SIRET, RPPSRang:
		want = 14
	case FINESS:
		if len(s) != 9 {
			return bad("want 9 characters, got %d", len(s))
		}
		if (s[:2] == "2A" || s[:2] == "2B") && check.Digits(s[2:]) {
			return nil
		}
		if !check.Digits(s) {
			return bad("want digits (or 2A/2B then digits)")
		}
		return nil
	case Internal:
		if s == "" {
			return bad("empty")
		}
		return nil
	default:
		return bad("unknown identifier kind")
	}
	if len(s) != want {
		return bad("want %d digits, got %d characters", want, len(s))
	}
	if !check.Digits(s) {
		return bad("want %d digits", want)
	}
	return nil
}
