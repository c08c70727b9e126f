package msc_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/msc"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// The classifier and the tracker against the simulated Mon Espace Santé of
// the embedded test operator: both sides must agree on the bounce texts
// (the operator renders the texts msc.MESBounceText gives; the classifier must match them by
// text, not fall back on the status codes).
func TestAgainstSimulatedMES(t *testing.T) {
	op := mssantetest.NewOperator(t, &mssantetest.Options{PatientMaxBytes: 4000})
	cert, err := op.ClientCert(mssantetest.DefaultApp)
	if err != nil {
		t.Fatal(err)
	}
	send := func(to, subject, extra, body string) {
		t.Helper()
		c, err := smtp.DialStartTLS(op.SMTPAddr(), op.TLSConfig(cert))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		msg := "From: <" + mssantetest.DefaultApp + ">\r\nTo: <" + to + ">\r\nSubject: " + subject + "\r\n" +
			"Message-ID: <" + strings.ReplaceAll(subject, " ", "-") + "@hopital-test.mssante.fr>\r\n" + extra + "\r\n" + body + "\r\n"
		if err := c.SendMail(mssantetest.DefaultApp, []string{to}, strings.NewReader(msg)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tracker := &msc.Tracker{Store: &msc.MemoryStore{}, IsPharmacy: func(mb string) bool { return mb == mssantetest.DefaultPharmacy }}
	var classifier msc.Classifier

	tests := []struct {
		name, to, body string
		kind           msc.Kind
	}{
		{"no profile", mssantetest.UnknownPatient, "", msc.KindUnknownAddress},
		{"opposition", mssantetest.OpposedPatient, "", msc.KindUnknownAddress},
		{"closed", mssantetest.ClosedPatient, "", msc.KindClosed},
		{"bad key", mssantetest.InvalidPatient, "", msc.KindInvalidAddress},
		{"too large", mssantetest.DefaultPatient, strings.Repeat("0123456789abcdef\r\n", 400), msc.KindTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(op.Messages(mssantetest.DefaultApp))
			send(tt.to, tt.name, "", tt.body+"Bonjour.")
			got := op.Messages(mssantetest.DefaultApp)
			if len(got) != before+1 {
				t.Fatalf("%d new messages, want one bounce", len(got)-before)
			}
			b, err := classifier.Classify(ctx, bytes.NewReader(got[before].Data))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Recipients) != 1 {
				t.Fatalf("%d recipients, want 1", len(b.Recipients))
			}
			r := b.Recipients[0]
			if r.Kind != tt.kind || !strings.EqualFold(r.Recipient, tt.to) || r.OriginalMessageID != strings.ReplaceAll(tt.name, " ", "-")+"@hopital-test.mssante.fr" {
				t.Errorf("got %s %q %s %q, want %s %q", r.Kind, r.Recipient, r.Status, r.OriginalMessageID, tt.kind, tt.to)
			}
			// The French text itself must decide, not the status code that
			// comes with it: this is what ties the simulator's texts to the
			// classifier's table.
			if want, ok := msc.MESBounceText(tt.kind); ok && (b.Source != "dsn" || r.Matched != want.Text || r.Evidence != "mes-text") {
				t.Errorf("source %s, matched %q (%s); want the DSN decided by %q", b.Source, r.Matched, r.Evidence, want.Text)
			}
			if err := tracker.Bounced(ctx, mssantetest.DefaultApp, b); err != nil {
				t.Fatal(err)
			}
		})
	}
	c, _ := tracker.Conversation(ctx, mssantetest.ClosedPatient, mssantetest.DefaultApp)
	if c.State != msc.StateUndeliverable || c.Bounce != msc.KindClosed {
		t.Errorf("closed patient: %+v", c)
	}

	// A patient first writes to a pharmacy.
	if err := op.PatientWrite(ctx, mssantetest.DefaultPatient, mssantetest.DefaultPharmacy, "Ordonnance", "Bonjour"); err != nil {
		t.Fatal(err)
	}
	m, err := op.WaitForMessage(ctx, mssantetest.DefaultPharmacy, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := msc.ReadHeader(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	in, err := tracker.Received(ctx, mssantetest.DefaultPharmacy, h)
	if err != nil || in.Status != msc.InboundPatientInitiated {
		t.Fatalf("pharmacy: %+v, %v", in, err)
	}
}
