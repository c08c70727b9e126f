package mssantetest

import (
	"bytes"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/mssante"
)

// The SDK's own report reader must read every DSN and MDN the operator
// writes without a warning: strict writer, and the two agree.
func TestReportsReadBySDK(t *testing.T) {
	op := NewOperator(t, &Options{PatientMaxBytes: 1500})
	c := doctorClient(t, op)
	dnt := "Disposition-Notification-To: <" + DefaultDoctor + ">"
	notify := &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifySuccess, smtp.DSNNotifyFailure}}
	if err := sendVia(c, DefaultDoctor, []string{DefaultApp, DefaultPatient, ClosedPatient, "nobody@hopital-test.mssante.fr"},
		message(DefaultDoctor, DefaultApp, "Résultats é", dnt), &smtp.MailOptions{EnvelopeID: "E1", Return: smtp.DSNReturnFull}, notify); err != nil {
		t.Fatal(err)
	}
	got := op.Messages(DefaultDoctor)
	// success DSN (APP), MDN processed (APP), success DSN (patient), MDN
	// displayed (patient), MES bounce (closed), unknown user.
	if len(got) != 6 {
		t.Fatalf("%d reports, want 6", len(got))
	}
	var dsns, mdns int
	for _, m := range got {
		rep, err := mssante.ParseReport(bytes.NewReader(m.Data), nil)
		if err != nil {
			t.Fatalf("%s: %v", m.Subject(), err)
		}
		if len(rep.Warnings) != 0 {
			t.Errorf("%s: warnings %v", m.Subject(), rep.Warnings)
		}
		if rep.OriginalContent != "full" || rep.OriginalSubject != "Résultats é" {
			t.Errorf("%s: original %q %q", m.Subject(), rep.OriginalContent, rep.OriginalSubject)
		}
		switch rep.Kind {
		case mssante.ReportDSN:
			dsns++
			if rep.OriginalEnvelopeID != "E1" || len(rep.Recipients) != 1 || rep.Recipients[0].Status == "" {
				t.Errorf("DSN %+v", rep)
			}
		case mssante.ReportMDN:
			mdns++
			if rep.MDN.OriginalMessageID == "" || rep.MDN.FinalRecipient == "" || rep.MDN.Failed() ||
				rep.MDN.Disposition.ActionMode != "automatic-action" || rep.MDN.Disposition.SendingMode != "MDN-sent-automatically" {
				t.Errorf("MDN %+v", rep.MDN)
			}
		}
	}
	if dsns != 4 || mdns != 2 {
		t.Errorf("%d DSNs and %d MDNs, want 4 and 2", dsns, mdns)
	}
}
