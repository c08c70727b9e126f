package msc

import (
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante"
)

// ReadByPatient reports whether a parsed report is a read receipt from a
// patient's Mon Espace Santé mailbox, and which patient. Any disposition
// type counts as read: which one Mon Espace Santé sends is UNCONFIRMED and
// the patient cannot refuse the receipt (msc.md §10). The patient is taken
// from the MDN Final-Recipient, else Original-Recipient, else the report's
// From. A DSN "delivered" is not required and not a read receipt.
func ReadByPatient(rep *mssante.Report) (ins.Matricule, bool) {
	if rep == nil || rep.Kind != mssante.ReportMDN || rep.MDN == nil {
		return "", false
	}
	for _, a := range []string{rep.MDN.FinalRecipient, rep.MDN.OriginalRecipient, rep.From} {
		if m, err := ins.ParseMSCAddress(a); err == nil {
			return m, true
		}
	}
	return "", false
}
