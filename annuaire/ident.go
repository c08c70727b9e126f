package annuaire

import (
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/finding"
)

// IDKind is a kind of French health or business identifier.
type IDKind int

// Identifier kinds. Lengths and keys follow annuaire.md §6.2.
const (
	IDUnknown  IDKind = iota
	IDRPPS            // 11 digits, Luhn key (observed, not official: failure is a warning)
	IDADELI           // 9 digits, Luhn key (observed: warning)
	IDFINESS          // 9 characters, first two = département (2A/2B allowed), Luhn key (observed: warning)
	IDSIREN           // 9 digits, Luhn key (error)
	IDSIRET           // 14 digits, Luhn key, La Poste exception (error)
	IDRPPSRang        // 11-digit RPPS + 3-digit rang (structure id "4"+...)
	IDInternal        // an internal identifier after a national prefix ("3<FINESS>/<id>")
)

var idKindNames = [...]string{"unknown", "RPPS", "ADELI", "FINESS", "SIREN", "SIRET", "RPPS-rang", "internal"}

func (k IDKind) String() string {
	if k >= 0 && int(k) < len(idKindNames) {
		return idKindNames[k]
	}
	return fmt.Sprintf("IDKind(%d)", int(k))
}

// MarshalText writes the kind's name.
func (k IDKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// laPosteSIREN is the SIREN of La Poste, whose establishments' SIRET do not
// pass Luhn: the sum of their digits is a multiple of 5 instead.
const laPosteSIREN = "356000000"

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

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

const specIdent = "annuaire.md §6.2"

// ValidateIdentifier checks an identifier of the given kind. A wrong length
// or charset is an error finding; a failed check digit is an error for SIREN
// and SIRET (established rule) and a warning for RPPS, ADELI and FINESS (the
// rule is observed on real identifiers, not published by ANS).
func ValidateIdentifier(kind IDKind, s string) finding.List {
	var out finding.List
	if err := checkIdentifierSyntax(kind, s); err != nil {
		out.Add(finding.Error, "ANN-ID-FORMAT", kind.String(), specIdent, "%s", err.(*IdentifierError).Reason)
		return out
	}
	switch kind {
	case IDRPPS, IDADELI:
		if !Luhn(s) {
			out.Add(finding.Warning, "ANN-ID-KEY", kind.String(), specIdent, "%s %s fails the Luhn check (observed rule, not official)", kind, s)
		}
	case IDFINESS:
		if allDigits(s) && !Luhn(s) {
			out.Add(finding.Warning, "ANN-ID-KEY", kind.String(), specIdent, "FINESS %s fails the Luhn check (observed rule, not official)", s)
		}
	case IDSIREN:
		if !Luhn(s) {
			out.Add(finding.Error, "ANN-ID-KEY", kind.String(), specIdent, "SIREN %s fails the Luhn check", s)
		}
	case IDSIRET:
		if !validSIRETKey(s) {
			out.Add(finding.Error, "ANN-ID-KEY", kind.String(), specIdent, "SIRET %s fails the Luhn check", s)
		}
	case IDRPPSRang:
		if !Luhn(s[:11]) {
			out.Add(finding.Warning, "ANN-ID-KEY", kind.String(), specIdent, "RPPS part %s fails the Luhn check (observed rule, not official)", s[:11])
		}
	}
	return out
}

func validSIRETKey(s string) bool {
	if Luhn(s) {
		return true
	}
	if strings.HasPrefix(s, laPosteSIREN) {
		sum := 0
		for i := 0; i < len(s); i++ {
			sum += int(s[i] - '0')
		}
		return sum%5 == 0
	}
	return false
}

// checkIdentifierSyntax returns an *IdentifierError for a wrong length or charset.
func checkIdentifierSyntax(kind IDKind, s string) error {
	bad := func(format string, args ...any) error {
		return &IdentifierError{Kind: kind, Value: s, Reason: fmt.Sprintf(format, args...)}
	}
	want := 0
	switch kind {
	case IDRPPS:
		want = 11
	case IDADELI, IDSIREN:
		want = 9
	case IDSIRET:
		want = 14
	case IDRPPSRang:
		want = 14
	case IDFINESS:
		if len(s) != 9 {
			return bad("want 9 characters, got %d", len(s))
		}
		if (s[:2] == "2A" || s[:2] == "2B") && allDigits(s[2:]) {
			return nil
		}
		if !allDigits(s) {
			return bad("want digits (or 2A/2B then digits)")
		}
		return nil
	case IDInternal:
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
	if !allDigits(s) {
		return bad("want %d digits", want)
	}
	return nil
}

// NationalID is a national identifier of a person (IDNPS, OID
// 1.2.250.1.71.4.2.1) or of a structure (IDNST, OID 1.2.250.1.71.4.2.2): a
// one-digit prefix naming the kind of the identifier that follows, and for
// some prefixes an internal identifier after a '/'.
type NationalID struct {
	Structure bool   // false: person (IDNPS); true: structure (IDNST)
	Prefix    string // the prefix digit ("8")
	Kind      IDKind // kind of ID
	ID        string // the identifier after the prefix (without the internal part)
	Internal  string // the internal identifier after '/', if any
}

// String formats the national identifier.
func (n NationalID) String() string {
	s := n.Prefix + n.ID
	if n.Internal != "" {
		s += "/" + n.Internal
	}
	return s
}

// Person and structure prefixes, annuaire.md §6.1. Beware: "0" is ADELI for a
// person and a cabinet ADELI number for a structure.
var (
	personPrefixes = map[byte]IDKind{
		'8': IDRPPS,
		'0': IDADELI,
		'1': IDADELI,  // cabinet ADELI id / internal id
		'3': IDFINESS, // FINESS / internal id
		'4': IDSIREN,  // SIREN / internal id
		'5': IDSIRET,  // SIRET / internal id
		'6': IDRPPS,   // cabinet RPPS id / internal id
	}
	structurePrefixes = map[byte]IDKind{
		'0': IDADELI, // cabinet ADELI id
		'1': IDFINESS,
		'2': IDSIREN,
		'3': IDSIRET,
		'4': IDRPPSRang,
	}
)

// ParsePersonID parses a person's national identifier (IDNPS): "8"+RPPS,
// "0"+ADELI, or one of the other prefixes of annuaire.md §6.1 followed by an
// identifier and optionally "/"+internal id. Only length and charset are
// errors; use ValidateIdentifier for the check digits.
func ParsePersonID(s string) (NationalID, error) {
	return parseNational(s, false, personPrefixes)
}

// ParseStructureID parses a structure's national identifier (IDNST): "1"+FINESS,
// "2"+SIREN, "3"+SIRET, "4"+RPPS-rang, "0"+cabinet ADELI. An IDNST that is a
// bare technical number (no prefix, annuaire.md §6.1) cannot be told apart
// from a prefixed one and is not recognised.
func ParseStructureID(s string) (NationalID, error) {
	return parseNational(s, true, structurePrefixes)
}

func parseNational(s string, structure bool, prefixes map[byte]IDKind) (NationalID, error) {
	if s == "" {
		return NationalID{}, &IdentifierError{Kind: IDUnknown, Value: s, Reason: "empty national identifier"}
	}
	kind, ok := prefixes[s[0]]
	if !ok {
		return NationalID{}, &IdentifierError{Kind: IDUnknown, Value: s, Reason: fmt.Sprintf("unknown national prefix %q", s[:1])}
	}
	n := NationalID{Structure: structure, Prefix: s[:1], Kind: kind, ID: s[1:]}
	if i := strings.IndexByte(n.ID, '/'); i >= 0 {
		n.ID, n.Internal = n.ID[:i], n.ID[i+1:]
		if n.Internal == "" {
			return NationalID{}, &IdentifierError{Kind: kind, Value: s, Reason: "empty internal identifier after '/'"}
		}
	}
	if err := checkIdentifierSyntax(kind, n.ID); err != nil {
		return NationalID{}, err
	}
	return n, nil
}

// PersonNationalID formats the national identifier of a person from an RPPS
// ("8"+RPPS) or an ADELI number ("0"+ADELI).
func PersonNationalID(kind IDKind, id string) (string, error) {
	if err := checkIdentifierSyntax(kind, id); err != nil {
		return "", err
	}
	switch kind {
	case IDRPPS:
		return "8" + id, nil
	case IDADELI:
		return "0" + id, nil
	}
	return "", &IdentifierError{Kind: kind, Value: id, Reason: "no person national prefix for this kind"}
}

// StructureNationalID formats the national identifier of a structure:
// "1"+FINESS, "2"+SIREN, "3"+SIRET, "4"+RPPS-rang, "0"+cabinet ADELI.
func StructureNationalID(kind IDKind, id string) (string, error) {
	if err := checkIdentifierSyntax(kind, id); err != nil {
		return "", err
	}
	for p, k := range structurePrefixes {
		if k == kind {
			return string(p) + id, nil
		}
	}
	return "", &IdentifierError{Kind: kind, Value: id, Reason: "no structure national prefix for this kind"}
}
