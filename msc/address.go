package msc

import (
	"net/mail"
	"strings"

	"github.com/mssante-go/sdk/ins"
)

// PatientSender returns the matricule of the sender of a message when the
// From field is a patient's mailbox (msc.md §12.1), and false otherwise.
// Patient addresses are built and read by package ins
// (ins.Identity.MSCAddress, ins.ParseMSCAddress, ins.IsPatientAddress).
func PatientSender(h Header) (ins.Matricule, bool) {
	m, err := ins.ParseMSCAddress(h.Get("From"))
	return m, err == nil
}

// isPatient reports whether addr is a patient's own mailbox: the patient
// domain and a local part that is a valid matricule (not the CNAM test
// mailbox, not a mistyped address).
func isPatient(addr string) bool {
	_, err := ins.ParseMSCAddress(addr)
	return err == nil
}

// bareAddress returns the addr-spec of a bare address, an address in angle
// brackets, or a mailbox with a display name.
func bareAddress(addr string) (string, error) {
	s := strings.TrimSpace(addr)
	if s == "" {
		return "", ins.ErrMalformedAddress
	}
	if !strings.ContainsAny(s, "<\" ") {
		if strings.IndexByte(s, '@') <= 0 {
			return "", ins.ErrMalformedAddress
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
	return "", ins.ErrMalformedAddress
}

// lowerAddress normalises a mailbox address for comparisons: bare, lower case.
func lowerAddress(addr string) string {
	a, err := bareAddress(addr)
	if err != nil {
		a = strings.TrimSpace(addr)
	}
	return strings.ToLower(a)
}
