package idnat

import (
	"fmt"
	"strings"
)

// NationalID is a national identifier of a person (IDNPS, OIDPerson) or of
// a structure (IDNST, OIDStructure): a one-digit prefix naming the kind of
// the identifier that follows, and for some prefixes an internal identifier
// after a '/' (annuaire.md §6.1).
type NationalID struct {
	Structure bool   // false: person (IDNPS); true: structure (IDNST)
	Prefix    string // the prefix digit ("8")
	Kind      Kind   // kind of the identifier after the prefix
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

// OID returns OIDPerson or OIDStructure.
func (n NationalID) OID() string {
	if n.Structure {
		return OIDStructure
	}
	return OIDPerson
}

// The national prefixes, annuaire.md §6.1 and cda.md §4. Beware: "0" is
// ADELI for a person and a cabinet ADELI number for a structure.
var (
	personPrefixes = map[byte]Kind{
		'8': RPPS,
		'0': ADELI,
		'1': ADELI,  // cabinet ADELI id / internal id
		'3': FINESS, // FINESS / internal id
		'4': SIREN,  // SIREN / internal id
		'5': SIRET,  // SIRET / internal id
		'6': RPPS,   // cabinet RPPS id / internal id
	}
	structurePrefixes = map[byte]Kind{
		'0': ADELI, // cabinet ADELI id
		'1': FINESS,
		'2': SIREN,
		'3': SIRET,
		'4': RPPSRang,
	}
)

// PersonPrefixes and StructurePrefixes are the allowed first characters of
// an IDNPS and of an IDNST.
const (
	PersonPrefixes    = "0134568"
	StructurePrefixes = "01234"
)

// ParsePerson parses a person's national identifier (IDNPS): "8"+RPPS,
// "0"+ADELI, or one of the other prefixes of annuaire.md §6.1 followed by an
// identifier and optionally "/"+internal id. Only length and charset are
// checked (ErrFormat): a reader reports the check digits with Validate.
func ParsePerson(s string) (NationalID, error) {
	return parseNational(s, false, personPrefixes)
}

// ParseStructure parses a structure's national identifier (IDNST):
// "1"+FINESS, "2"+SIREN, "3"+SIRET, "4"+RPPS-rang, "0"+cabinet ADELI. An
// IDNST that is a bare technical number (no prefix, annuaire.md §6.1) cannot
// be told apart from a prefixed one and is not recognised.
func ParseStructure(s string) (NationalID, error) {
	return parseNational(s, true, structurePrefixes)
}

func parseNational(s string, structure bool, prefixes map[byte]Kind) (NationalID, error) {
	if s == "" {
		return NationalID{}, &Error{Kind: Unknown, Value: s, Reason: "empty national identifier", Err: ErrFormat}
	}
	kind, ok := prefixes[s[0]]
	if !ok {
		return NationalID{}, &Error{Kind: Unknown, Value: s, Reason: fmt.Sprintf("unknown national prefix %q", s[:1]), Err: ErrFormat}
	}
	n := NationalID{Structure: structure, Prefix: s[:1], Kind: kind, ID: s[1:]}
	if i := strings.IndexByte(n.ID, '/'); i >= 0 {
		n.ID, n.Internal = n.ID[:i], n.ID[i+1:]
		if n.Internal == "" {
			return NationalID{}, &Error{Kind: kind, Value: s, Reason: "empty internal identifier after '/'", Err: ErrFormat}
		}
	}
	if err := checkFormat(kind, n.ID); err != nil {
		return NationalID{}, err
	}
	return n, nil
}

// Person returns the national identifier of a person from an RPPS
// ("8"+RPPS) or an ADELI number ("0"+ADELI), after Check: a number whose
// check digit fails is refused (ErrKey).
func Person(kind Kind, id string) (NationalID, error) {
	if err := Check(kind, id); err != nil {
		return NationalID{}, err
	}
	switch kind {
	case RPPS:
		return NationalID{Prefix: "8", Kind: kind, ID: id}, nil
	case ADELI:
		return NationalID{Prefix: "0", Kind: kind, ID: id}, nil
	}
	return NationalID{}, &Error{Kind: kind, Value: id, Reason: "no person national prefix for this kind", Err: ErrFormat}
}

// Structure returns the national identifier of a structure: "1"+FINESS,
// "2"+SIREN, "3"+SIRET, "4"+RPPS-rang, "0"+cabinet ADELI, after Check.
func Structure(kind Kind, id string) (NationalID, error) {
	if err := Check(kind, id); err != nil {
		return NationalID{}, err
	}
	for _, p := range []byte(StructurePrefixes) {
		if structurePrefixes[p] == kind {
			return NationalID{Structure: true, Prefix: string(p), Kind: kind, ID: id}, nil
		}
	}
	return NationalID{}, &Error{Kind: kind, Value: id, Reason: "no structure national prefix for this kind", Err: ErrFormat}
}
