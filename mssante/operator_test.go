package mssante_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// TestThroughOperator sends messages built by the package through the SMTP
// client to the embedded test operator and reads back what it delivers:
// the message itself, the MDN of a simulated reader and a DSN bounce.
func TestThroughOperator(t *testing.T) {
	op := mssantetest.NewOperator(t, nil)
	cert, err := op.ClientCert(mssantetest.DefaultApp)
	if err != nil {
		t.Fatal(err)
	}
	wl, _, err := annuaire.ParseWhitelist(bytes.NewReader(op.ListeBlanche()), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtpclient.New(&smtpclient.Options{Addr: op.SMTPAddr(),
		TLS:              tlsauth.TLSOptions{RootCAs: op.RootCAs(), ServerName: "localhost", Certificate: &cert},
		RecipientChecker: &annuaire.RecipientChecker{Whitelist: wl}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	from := &mssante.Sender{Address: mssantetest.DefaultApp, Type: mssante.MailboxAPP, Entity: "Hôpital Test – DPI", NIL: "DEV000001"}
	m := &mssante.Message{
		From:               from,
		To:                 []*mail.Address{{Name: "Dr Marie Martin", Address: mssantetest.DefaultDoctor}},
		Subject:            "Compte rendu",
		Text:               "Bonjour,\nvoici le compte rendu.",
		Attachments:        []*mssante.Attachment{{Filename: "CR médical.pdf", Data: []byte("%PDF-1.4 test")}},
		RequestReadReceipt: true,
	}
	if _, err := mssante.Send(ctx, c, m, nil); err != nil {
		t.Fatal(err)
	}
	got, err := op.WaitForMessage(ctx, mssantetest.DefaultDoctor, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := mssante.Read(bytes.NewReader(got.Data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.MessageID != m.MessageID || in.NIL != "DEV000001" || in.Attachment("CR médical.pdf") == nil {
		t.Errorf("delivered message: %s", in)
	}
	// The simulated reader answers with a "displayed" MDN.
	mdn, err := op.WaitForMessage(ctx, mssantetest.DefaultApp, func(x *mssantetest.Message) bool { return x.ReportType() == "disposition-notification" })
	if err != nil {
		t.Fatal(err)
	}
	rep, err := mssante.ParseReport(bytes.NewReader(mdn.Data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != mssante.ReportMDN || rep.OriginalMessageID != m.MessageID || rep.MDN.Disposition.Type != mssante.DispositionDisplayed || rep.Failed() {
		t.Errorf("MDN: %+v %+v", rep, rep.MDN)
	}

	// A closed patient mailbox: the bounce names the recipient and the message.
	m2 := &mssante.Message{From: from, To: []*mail.Address{{Address: mssantetest.ClosedPatient}}, Subject: "Rendez-vous", Text: "Bonjour"}
	if _, err := mssante.Send(ctx, c, m2, nil); err != nil {
		t.Fatal(err)
	}
	dsn, err := op.WaitForMessage(ctx, mssantetest.DefaultApp, func(x *mssantetest.Message) bool { return x.ReportType() == "delivery-status" })
	if err != nil {
		t.Fatal(err)
	}
	rep, err = mssante.ParseReport(bytes.NewReader(dsn.Data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != mssante.ReportDSN || !rep.Failed() || len(rep.Recipients) != 1 ||
		!equalFold(rep.Recipients[0].FinalRecipient, mssantetest.ClosedPatient) || rep.OriginalMessageID != m2.MessageID {
		t.Errorf("DSN: %+v", rep)
	}
}

func equalFold(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }
