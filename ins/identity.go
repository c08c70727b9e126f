package ins

import (
	"errors"
	"fmt"
)

// INS is a matricule with its assigning authority. The zero value is not a
// valid INS.
type INS struct {
	Matricule Matricule `json:"matricule,omitempty"`
	OID       OID       `json:"oid,omitempty"`
}

// New parses a matricule and an authority OID into an INS.
func New(matricule string, oid string) (INS, error) {
	m, err := Parse(matricule)
	if err != nil {
		return INS{}, err
	}
	o, err := ParseOID(oid)
	if err != nil {
		return INS{}, err
	}
	return INS{Matricule: m, OID: o}, nil
}

// Validate checks the matricule (length, characters, key) and the authority.
// It is useful on an INS built by hand rather than by New.
func (i INS) Validate() error {
	if _, err := Parse(string(i.Matricule)); err != nil {
		return err
	}
	if !i.OID.Valid() {
		if _, err := ParseOID(string(i.OID)); err != nil {
			return err
		}
	}
	return nil
}

// IsZero reports whether i is the zero INS.
func (i INS) IsZero() bool { return i.Matricule == "" && i.OID == "" }

// IsTest reports whether the INS is under the test or demonstration authority.
func (i INS) IsTest() bool { return i.OID.IsTest() }

// Kind returns NIR or NIA, from the authority.
func (i INS) Kind() Kind { return i.OID.Kind() }

func (i INS) String() string { return string(i.Matricule) + " (" + string(i.OID) + ")" }

// Status is the identity status of the RNIV (exigence EXI SI 07), from the
// FR Core code system fr-core-cs-identity-status. It is not the HL7 table 0445.
type Status string

// The four identity statuses. Only StatusQualified may carry the INS.
const (
	StatusProvisional Status = "PROV"  // Identité provisoire
	StatusValidated   Status = "VALI"  // Identité validée (checked against an ID document, not retrieved from INSi)
	StatusRecovered   Status = "RECUP" // Identité récupérée (retrieved from INSi, not checked against an ID document)
	StatusQualified   Status = "QUAL"  // Identité qualifiée: the only one that may carry the INS
)

// ErrUnknownStatus: the status is not one of PROV, VALI, RECUP, QUAL.
var ErrUnknownStatus = errors.New("ins: unknown identity status")

// ParseStatus accepts PROV, VALI, RECUP or QUAL.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case StatusProvisional, StatusValidated, StatusRecovered, StatusQualified:
		return st, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownStatus, s)
}

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	_, err := ParseStatus(string(s))
	return err == nil
}

// Label returns the French label of the status.
func (s Status) Label() string {
	switch s {
	case StatusProvisional:
		return "Identité provisoire"
	case StatusValidated:
		return "Identité validée"
	case StatusRecovered:
		return "Identité récupérée"
	case StatusQualified:
		return "Identité qualifiée"
	}
	return ""
}

// MayCarryINS reports whether an identity of this status may carry the INS:
// only a qualified identity may (ins.md §6.2).
func (s Status) MayCarryINS() bool { return s == StatusQualified }

// ErrNotQualified: an INS is about to be emitted for an identity whose status
// is not QUAL. Errors returned by the Identity emitters wrap it in a
// *StatusError that names the status.
var ErrNotQualified = errors.New("ins: only a qualified identity (QUAL) may carry the INS")

// StatusError is returned when an identity of the wrong status would carry the INS.
type StatusError struct {
	Status Status
}

func (e *StatusError) Error() string {
	if e.Status == "" {
		return "ins: identity has no status; only a qualified identity (QUAL) may carry the INS"
	}
	return fmt.Sprintf("ins: identity status is %s (%s); only a qualified identity (QUAL) may carry the INS", e.Status, e.Status.Label())
}

func (e *StatusError) Unwrap() error { return ErrNotQualified }

// Identity is a patient identity as a record system holds it: the INS, the
// traits that go with it and the identity status.
type Identity struct {
	INS    INS    `json:"ins,omitzero"`
	Traits Traits `json:"traits,omitzero"`
	Status Status `json:"status,omitempty"`
}

// CheckQualified returns nil when the identity may carry its INS: status QUAL
// and a valid INS. Every emitter of the SDK (CDA recordTarget, XDS patientId,
// HL7 v2 PID-3, patient mailbox address) calls it first.
func (id *Identity) CheckQualified() error {
	if id.Status != StatusQualified {
		return &StatusError{Status: id.Status}
	}
	return id.INS.Validate()
}

// CheckComplete returns nil when the identity may carry its INS and has the
// six traits a CDA document with an INS root needs (ins.md §9).
func (id *Identity) CheckComplete() error {
	if err := id.CheckQualified(); err != nil {
		return err
	}
	return id.Traits.Validate()
}

// XMSSINS returns the value of the X-MSS-INS header for a message carrying
// a CDA document for this patient: "O" for a qualified identity with a valid
// INS and the traits the header requires (birth name, first given name, birth
// date, sex), "N" otherwise (ins.md §7.6).
func (id *Identity) XMSSINS() string {
	if id.CheckQualified() != nil {
		return "N"
	}
	t := id.Traits
	if t.BirthName == "" || t.FirstGiven() == "" || t.BirthDate.IsZero() || !t.Sex.Valid() {
		return "N"
	}
	return "O"
}

// CX returns the XDS patientId of a qualified identity (see INS.CX).
func (id *Identity) CX() (string, error) {
	if err := id.CheckQualified(); err != nil {
		return "", err
	}
	return id.INS.CX(), nil
}

// PID3 returns the HL7 v2 PID-3 repetition of a qualified identity (see INS.PID3).
func (id *Identity) PID3(namespace string) (string, error) {
	if err := id.CheckQualified(); err != nil {
		return "", err
	}
	return id.INS.PID3(namespace), nil
}

// II returns the CDA patientRole/id of a qualified identity (see INS.II).
func (id *Identity) II() (II, error) {
	if err := id.CheckQualified(); err != nil {
		return II{}, err
	}
	return id.INS.II(), nil
}
