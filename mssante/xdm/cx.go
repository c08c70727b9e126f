package xdm

import (
	"errors"
	"strings"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
)

// cxAuthority returns the assigning authority OID (CX.4.2) of a CX value.
func cxAuthority(cx string) string {
	comps := strings.Split(cx, "^")
	if len(comps) < 4 {
		return ""
	}
	sub := strings.Split(comps[3], "&")
	if len(sub) < 2 {
		return ""
	}
	return strings.TrimSpace(sub[1])
}

// patientKey is what two patientIds must share to name the same patient:
// the identifier (CX.1, upper case) and its authority OID. The namespace
// text and the type code are ignored (ins.md §10.8).
func patientKey(cx string) string {
	cx = strings.TrimSpace(cx)
	id, _, _ := strings.Cut(cx, "^")
	return strings.ToUpper(strings.TrimSpace(id)) + "|" + cxAuthority(cx)
}

// checkPatientID reads a patientId: the INS when it is a valid one, and the
// finding to report otherwise (zero Finding when there is nothing to say).
func checkPatientID(cx, loc string, strictKey bool) (ins.INS, finding.Finding) {
	i, err := ins.ParseCX(cx)
	if err == nil {
		return i, finding.Finding{}
	}
	f := finding.Finding{Rule: "XDM-PATIENT-INS", Location: loc, Spec: "ins.md §7.2, §8.2"}
	oid := cxAuthority(cx)
	switch {
	case errors.Is(err, ins.ErrSyntax):
		f.Level, f.Rule = finding.Error, "XDM-PATIENT-CX"
		f.Message = "patientId " + quote(cx) + " is not a CX value: " + err.Error()
	case errors.Is(err, ins.ErrNotINS):
		f.Level = finding.Warning
		f.Message = "patientId " + quote(cx) + " is not an INS (authority " + oid + "): the receiver cannot match the patient on the INS"
	case strictKey:
		f.Level = finding.Error
		f.Message = "patientId " + quote(cx) + " is not a valid INS: " + err.Error()
	default:
		f.Level = finding.Warning
		what := "production"
		if ins.OID(oid).IsTest() {
			what = "test"
		}
		f.Message = "patientId " + quote(cx) + " under the " + what + " INS authority " + oid + " is not a valid matricule (" + err.Error() + "); the official examples carry such keys, a real INS never does"
	}
	return ins.INS{}, f
}

func quote(s string) string { return "\"" + s + "\"" }
