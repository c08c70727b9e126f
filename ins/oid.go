package ins

import (
	"errors"
	"fmt"
	"strings"
)

// OID is the object identifier of an INS assigning authority. Only the
// four constants below are INS authorities (ins.md §5).
type OID string

// The INS assigning authorities.
const (
	OIDNIR     OID = "1.2.250.1.213.1.4.8"  // INS-NIR, production
	OIDNIA     OID = "1.2.250.1.213.1.4.9"  // INS-NIA, production
	OIDNIRTest OID = "1.2.250.1.213.1.4.10" // INS-NIR de test (fictitious test patients)
	OIDNIRDemo OID = "1.2.250.1.213.1.4.11" // INS-NIR de démonstration
)

// OIDINSC is the legacy computed INS (INS-C). It is not an INS: it is
// refused on input with ErrINSC and never emitted.
const OIDINSC OID = "1.2.250.1.213.1.4.2"

var (
	// ErrNotINSOID: the OID is not one of the four INS authorities.
	ErrNotINSOID = errors.New("ins: not an INS assigning authority OID")
	// ErrINSC: the OID is the legacy INS-C (1.2.250.1.213.1.4.2), which is not an INS.
	// Errors wrapping ErrINSC also match ErrNotINSOID.
	ErrINSC = fmt.Errorf("%w: 1.2.250.1.213.1.4.2 is the legacy INS-C (computed INS), not an INS", ErrNotINSOID)
)

// ParseOID accepts an INS authority OID, with or without the "urn:oid:"
// prefix, and returns it. Any other OID gives an error wrapping ErrNotINSOID
// (ErrINSC for the legacy INS-C).
func ParseOID(s string) (OID, error) {
	s = strings.TrimSpace(s)
	if len(s) > 8 && strings.EqualFold(s[:8], "urn:oid:") {
		s = s[8:]
	}
	o := OID(s)
	switch o {
	case OIDNIR, OIDNIA, OIDNIRTest, OIDNIRDemo:
		return o, nil
	case OIDINSC:
		return "", ErrINSC
	}
	return "", fmt.Errorf("%w: %q", ErrNotINSOID, s)
}

// Valid reports whether o is one of the four INS authorities.
func (o OID) Valid() bool {
	switch o {
	case OIDNIR, OIDNIA, OIDNIRTest, OIDNIRDemo:
		return true
	}
	return false
}

// Name returns the label of the authority as the ANS stylesheet prints it
// ("INS-NIR", "INS-NIA", "INS-NIR de test", "INS-NIR de démonstration"),
// or "" for an OID that is not an INS authority.
func (o OID) Name() string {
	switch o {
	case OIDNIR:
		return "INS-NIR"
	case OIDNIA:
		return "INS-NIA"
	case OIDNIRTest:
		return "INS-NIR de test"
	case OIDNIRDemo:
		return "INS-NIR de démonstration"
	}
	return ""
}

// Kind is the kind of matricule an authority assigns.
type Kind string

const (
	KindNIR Kind = "NIR"
	KindNIA Kind = "NIA"
)

// Kind returns KindNIR for the NIR authorities (production, test and demo),
// KindNIA for the NIA one, and "" for an unknown OID.
func (o OID) Kind() Kind {
	switch o {
	case OIDNIR, OIDNIRTest, OIDNIRDemo:
		return KindNIR
	case OIDNIA:
		return KindNIA
	}
	return ""
}

// IsTest reports whether o is the test or the demonstration authority
// (.10 or .11): the identity is fictitious.
func (o OID) IsTest() bool { return o == OIDNIRTest || o == OIDNIRDemo }

// URN returns the OID as a URI ("urn:oid:1.2.250.1.213.1.4.8"), the form FHIR uses.
func (o OID) URN() string { return "urn:oid:" + string(o) }

func (o OID) String() string { return string(o) }

// Environment tells production identities from test ones.
type Environment int

const (
	// AnyEnvironment accepts every INS authority (the zero value).
	AnyEnvironment Environment = iota
	// Production refuses the test and demonstration authorities.
	Production
	// Test refuses the production authorities (.8 and .9).
	Test
)

// ErrWrongEnvironment: a test identity in production, or a real one in test.
var ErrWrongEnvironment = errors.New("ins: identity authority not allowed in this environment")

// Allows returns nil when an INS under authority o may be used in environment e.
func (e Environment) Allows(o OID) error {
	switch {
	case e == Production && o.IsTest():
		return fmt.Errorf("%w: %s (%s) in production", ErrWrongEnvironment, o, o.Name())
	case e == Test && (o == OIDNIR || o == OIDNIA):
		return fmt.Errorf("%w: %s (%s) in a test environment", ErrWrongEnvironment, o, o.Name())
	}
	return nil
}
