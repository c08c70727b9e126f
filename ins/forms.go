package ins

import (
	"errors"
	"fmt"
	"strings"
)

// II is the CDA R2 instance identifier of the INS in
// recordTarget/patientRole/id: root = the authority OID, extension = the matricule.
type II struct {
	Root      string
	Extension string
}

// CX returns the XDS patientId form of the INS (ins.md §7.2):
// <matricule>^^^&<OID>&ISO^NH. It formats what it is given: use
// Identity.CX to refuse an identity that is not qualified.
func (i INS) CX() string {
	return string(i.Matricule) + "^^^&" + string(i.OID) + "&ISO^NH"
}

// PID3 returns the HL7 v2 PID-3 repetition of the INS (ins.md §7.3):
// <matricule>^^^<namespace>&<OID>&ISO^INS. namespace may be empty
// (receivers match on the OID, never on the namespace).
func (i INS) PID3(namespace string) string {
	return string(i.Matricule) + "^^^" + namespace + "&" + string(i.OID) + "&ISO^INS"
}

// II returns the CDA patientRole/id of the INS.
func (i INS) II() II { return II{Root: string(i.OID), Extension: string(i.Matricule)} }

// ErrNotINS: a CX, PID-3 or CDA identifier is well formed but does not carry
// an INS (another assigning authority, e.g. a local IPP).
var ErrNotINS = errors.New("ins: identifier is not an INS")

// ErrSyntax: a CX or PID-3 value is not well formed.
var ErrSyntax = errors.New("ins: malformed identifier")

// ParseCX reads an XDS CX value such as
// "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH". It is lenient: the
// assigning-authority namespace (CX.4.1) and the identifier type code (CX.5)
// are ignored, and the authority is matched on its OID. A CX whose authority
// is not an INS one gives an error wrapping ErrNotINS (and ErrNotINSOID).
func ParseCX(s string) (INS, error) {
	comps := strings.Split(strings.TrimSpace(s), "^")
	if len(comps) < 4 || comps[0] == "" {
		return INS{}, fmt.Errorf("%w: %q is not a CX value (want matricule^^^&OID&ISO)", ErrSyntax, s)
	}
	sub := strings.Split(comps[3], "&")
	if len(sub) < 2 || sub[1] == "" {
		return INS{}, fmt.Errorf("%w: %q has no assigning authority OID (CX.4.2)", ErrSyntax, s)
	}
	oid, err := ParseOID(sub[1])
	if err != nil {
		return INS{}, fmt.Errorf("%w: %w", ErrNotINS, err)
	}
	m, err := Parse(comps[0])
	if err != nil {
		return INS{}, err
	}
	return INS{Matricule: m, OID: oid}, nil
}

// ParsePID3 finds the INS in an HL7 v2 PID-3 field, which may hold several
// repetitions separated by "~" (e.g. an IPP and the INS). It returns the first
// repetition whose authority OID is an INS authority, or an error wrapping
// ErrNotINS when there is none.
func ParsePID3(field string) (INS, error) {
	var firstErr error
	for _, rep := range strings.Split(field, "~") {
		i, err := ParseCX(rep)
		if err == nil {
			return i, nil
		}
		if !errors.Is(err, ErrNotINS) && !errors.Is(err, ErrSyntax) && firstErr == nil {
			firstErr = err // an INS authority with a bad matricule
		}
	}
	if firstErr != nil {
		return INS{}, firstErr
	}
	return INS{}, fmt.Errorf("%w: no repetition of PID-3 carries an INS authority OID", ErrNotINS)
}

// FromII reads the INS from a CDA patientRole/id. An id whose root is not an
// INS authority gives an error wrapping ErrNotINS.
func FromII(id II) (INS, error) {
	oid, err := ParseOID(id.Root)
	if err != nil {
		return INS{}, fmt.Errorf("%w: %w", ErrNotINS, err)
	}
	m, err := Parse(id.Extension)
	if err != nil {
		return INS{}, err
	}
	return INS{Matricule: m, OID: oid}, nil
}
