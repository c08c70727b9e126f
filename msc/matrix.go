package msc

import (
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/finding"
)

// Audience is who receives a document: the patient, professionals, or both.
type Audience int

const (
	AudienceMixed         Audience = iota // the patient and professional(s)
	AudienceProfessionals                 // professional(s) only
	AudiencePatient                       // the patient only
)

func (a Audience) String() string {
	switch a {
	case AudienceMixed:
		return "patient and professionals"
	case AudienceProfessionals:
		return "professionals only"
	case AudiencePatient:
		return "patient only"
	}
	return fmt.Sprintf("Audience(%d)", int(a))
}

// Allowed is the value a flag may take in a row of the matrix.
type Allowed int8

const (
	OnlyN Allowed = iota // N only
	OnlyY                // Y only
	AnyYN                // N or Y
)

func (a Allowed) allows(v bool) bool {
	return a == AnyYN || (a == OnlyY) == v
}

// MatrixRow is one allowed combination of confidentiality flags for an
// audience (msc.md §7, CI-SIS "règles de gestion MSSanté").
// MODIF_CONF_CODE, ACK_RECEPTION and ACK_LECTURE_MSS are free in every row
// and not represented.
type MatrixRow struct {
	Audience                                      Audience
	MasquePS, InvisiblePatient                    Allowed
	InvisibleRepLegaux, ConnexionSecrete, DestDMP Allowed
	// Warning, when not empty, makes the row tolerated rather than allowed:
	// a matching combination gives a warning with this text.
	Warning string
}

func (r *MatrixRow) matches(a Audience, c *Confidentiality) bool {
	return r.Audience == a && r.MasquePS.allows(c.MasquePS) && r.InvisiblePatient.allows(c.InvisiblePatient) &&
		r.InvisibleRepLegaux.allows(c.InvisibleRepLegaux) && r.ConnexionSecrete.allows(c.ConnexionSecrete) &&
		r.DestDMP.allows(c.DestDMP)
}

// DefaultMatrix returns the matrix of the CI-SIS volet (msc.md §7), where
// "les cas non représentés génèrent un message d'erreur":
//
//	Audience            MASQUE_PS INVISIBLE_PATIENT INVISIBLE_REP_LEGAUX CONNEXION_SECRETE DESTDMP
//	patient + pros      N         N                 N                    N                 N/Y
//	professionals only  Y/N       Y                 N                    N                 N/Y
//	patient only        Y/N       N                 N/Y                  N                 N
//
// Read literally, a professional-only send is listed only with
// INVISIBLE_PATIENT = Y; the specification asks to confirm that before
// enforcing it, so a fourth row tolerates INVISIBLE_PATIENT = N there with a
// warning. Drop it (or turn it into an allowed row) in Policy.Matrix.
func DefaultMatrix() []MatrixRow {
	return []MatrixRow{
		{Audience: AudienceMixed, MasquePS: OnlyN, InvisiblePatient: OnlyN, InvisibleRepLegaux: OnlyN, ConnexionSecrete: OnlyN, DestDMP: AnyYN},
		{Audience: AudienceProfessionals, MasquePS: AnyYN, InvisiblePatient: OnlyY, InvisibleRepLegaux: OnlyN, ConnexionSecrete: OnlyN, DestDMP: AnyYN},
		{Audience: AudiencePatient, MasquePS: AnyYN, InvisiblePatient: OnlyN, InvisibleRepLegaux: AnyYN, ConnexionSecrete: OnlyN, DestDMP: OnlyN},
		{Audience: AudienceProfessionals, MasquePS: AnyYN, InvisiblePatient: OnlyN, InvisibleRepLegaux: OnlyN, ConnexionSecrete: OnlyN, DestDMP: AnyYN,
			Warning: "the CI-SIS matrix lists a professional-only send only with INVISIBLE_PATIENT=Y (UNCONFIRMED, msc.md §7)"},
	}
}

// checkMatrix reports RuleMatrix.
func (p *Policy) checkMatrix(c *Confidentiality, toPatient, toPros bool, out *finding.List) {
	a := AudienceMixed
	switch {
	case !toPatient:
		a = AudienceProfessionals
	case !toPros:
		a = AudiencePatient
	}
	rows := p.Matrix
	if rows == nil {
		rows = DefaultMatrix()
	}
	warn := ""
	for i := range rows {
		if rows[i].matches(a, c) {
			if rows[i].Warning == "" {
				return
			}
			warn = rows[i].Warning
		}
	}
	if warn != "" {
		out.Add(finding.Warning, RuleMatrix, "", "msc.md §7", "%s (%s): %s", a, c, warn)
		return
	}
	out.Add(finding.Error, RuleMatrix, "", "msc.md §7", "%s with %s is not an allowed combination: %s", a, c, matrixReason(a, c))
}

// matrixReason explains the usual refusals in words.
func matrixReason(a Audience, c *Confidentiality) string {
	switch {
	case c.ConnexionSecrete:
		return "CONNEXION_SECRETE=Y forbids any MSSanté exchange"
	case c.InvisiblePatient && a != AudienceProfessionals:
		return "INVISIBLE_PATIENT=Y: the document must never be sent to the patient"
	case a == AudiencePatient && c.DestDMP:
		return "a document sent to the patient only must have DESTDMP=N"
	case a == AudienceMixed && c.MasquePS:
		return "MASQUE_PS=Y: send to the patient and to professionals in separate messages"
	case a == AudienceMixed && c.InvisibleRepLegaux:
		return "INVISIBLE_REP_LEGAUX=Y: send to the patient and to professionals in separate messages"
	case a == AudienceProfessionals && c.InvisibleRepLegaux:
		return "INVISIBLE_REP_LEGAUX=Y is not listed for professional-only sends"
	}
	return "not listed in the matrix"
}

// String lists the flags set to Y, e.g. "MASQUE_PS=Y, DESTDMP=Y", or "no flag".
func (c *Confidentiality) String() string {
	var s []string
	for _, f := range []struct {
		name string
		v    bool
	}{{"MASQUE_PS", c.MasquePS}, {"INVISIBLE_PATIENT", c.InvisiblePatient}, {"INVISIBLE_REP_LEGAUX", c.InvisibleRepLegaux},
		{"CONNEXION_SECRETE", c.ConnexionSecrete}, {"DESTDMP", c.DestDMP}} {
		if f.v {
			s = append(s, f.name+"=Y")
		}
	}
	if len(s) == 0 {
		return "no flag set"
	}
	return strings.Join(s, ", ")
}
