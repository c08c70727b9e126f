// Command patient shows a professional mailbox writing to patients in Mon
// Espace Santé: the address built from a qualified INS only, the rules
// checked before sending, a patient's reply, the "[FIN]" message that closes
// the exchange, and the bounces of mailboxes that cannot receive, classified
// and recorded in the conversation state (package msc).
//
// Everything a vendor copies is in this file: the clients of the
// organisational mailbox, the patient's address, the rules, the tracker.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/mssante-go/sdk/examples/internal/demo"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/msc"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// productNIL is the X-MSS-NIL header of every message: the reference the
// ANS gives a product when it is registered (ECO.2.4.3). DEV000000 is a
// placeholder: put your product's reference.
const productNIL = "DEV000000"

func main() { demo.Main("patient", run) }

func run(ctx context.Context, w io.Writer) error {
	// A small Mon Espace Santé size limit makes the "too large" bounce cheap.
	op, err := mssantetest.Start(ctx, &mssantetest.Options{PatientMaxBytes: 64 << 10})
	if err != nil {
		return err
	}
	defer op.Close()
	// The cardiology department's organisational mailbox (BAL ORG), used by
	// its staff: SASL XOAUTH2 with the Pro Santé Connect access token of the
	// professional at work, here issued by the test operator.
	tlsOpts := tlsauth.TLSOptions{RootCAs: op.RootCAs()} // a real operator: the IGC Santé chain (tlsauth.LoadRoots)
	auth := tlsauth.Auth{Mechanism: tlsauth.XOAuth2, Username: mssantetest.DefaultService,
		Tokens: tlsauth.TokenSourceFunc(func(context.Context) (string, time.Time, error) {
			const ttl = 5 * time.Minute // Pro Santé Connect tokens live about 5 minutes
			tok, err := op.IssueToken(mssantetest.DefaultService, ttl)
			return tok, time.Now().Add(ttl), err
		})}
	smtp, err := smtpclient.New(&smtpclient.Options{
		Addr: op.SMTPAddr(), // a real operator: "smtp.<operator>:587" (STARTTLS)
		TLS:  tlsOpts,
		Auth: auth,
		// Required: every recipient is checked against the liste blanche of
		// the MSSanté trust space before anything is sent (patient.mssante.fr
		// is on it). In production an annuaire.RecipientChecker on the
		// national list (see examples/directory); here the test operator's.
		RecipientChecker: op.RecipientChecker(),
	})
	if err != nil {
		return err
	}
	defer smtp.Close()
	imap, err := imapclient.New(&imapclient.Options{
		Addr: op.IMAPAddr(), // a real operator: "imap.<operator>:143" (STARTTLS)
		TLS:  tlsOpts,
		Auth: auth,
	})
	if err != nil {
		return err
	}
	defer imap.Close()
	from := &mssante.Sender{Address: mssantetest.DefaultService, Type: mssante.MailboxORG, Entity: "Hôpital Test – Cardiologie", NIL: productNIL}
	tracker := &msc.Tracker{Store: &msc.MemoryStore{}}

	// 1. Only a qualified identity has an address. The patient: the public
	// test identity of the ANS (ins.md §8.1), qualified (checked against
	// INSi in a real DPI).
	patient := ins.Identity{
		INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
		Traits: ins.Traits{BirthName: "PAT-TROIS", BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate: time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC), Sex: ins.SexFemale, BirthPlace: "51215"},
	}
	recovered := patient
	recovered.Status = ins.StatusRecovered
	if _, err := recovered.MSCAddress(ins.Test); err != nil {
		fmt.Fprintf(w, "RECUP identity refused: %v\n", err)
	}
	addr, err := patient.MSCAddress(ins.Test)
	if err != nil {
		return err
	}

	send := func(m *mssante.Message) error {
		o, err := msc.NewOutgoingMessage(m)
		if err != nil {
			return err
		}
		if _, err := new(msc.Policy).Validate(o); err != nil {
			return err
		}
		if _, err := mssante.Send(ctx, smtp, m, nil); err != nil {
			return err
		}
		return tracker.SentMessage(ctx, m)
	}
	conversation := func() msc.State {
		c, _ := tracker.Conversation(ctx, addr, from.Address)
		return c.State
	}

	// 2. A message the patient may answer.
	if err := send(&mssante.Message{From: from, To: []*mail.Address{{Address: addr}}, Subject: "Votre rendez-vous du 12", Text: "Bonjour, merci de confirmer votre présence."}); err != nil {
		return err
	}
	fmt.Fprintf(w, "Wrote to %s: conversation %s\n", addr, conversation())
	if err := op.PatientReply(ctx, addr, from.Address, "Je confirme, merci."); err != nil {
		return err
	}
	if err := imap.Receive(ctx, func(ctx context.Context, r *mssante.Received) error {
		in, err := mssante.Read(r.Body, nil)
		if err != nil {
			return err
		}
		if in.SenderKind != mssante.SenderPatient {
			return nil
		}
		ib, err := tracker.Received(ctx, from.Address, msc.HeaderMap{"From": in.From.Address, "In-Reply-To": first(in.InReplyTo), "Subject": in.Subject})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "Patient replied %q: %q, conversation %s\n", in.Subject, strings.TrimSpace(in.Text), ib.Conversation.State)
		return nil
	}); err != nil {
		return err
	}

	// 3. The professional closes the exchange with a [FIN] message.
	fin, err := msc.NewClosingMessage(from, addr, "Nous avons bien noté votre confirmation.")
	if err != nil {
		return err
	}
	if err := send(fin); err != nil {
		return err
	}
	// Mon Espace Santé no longer lets the patient answer a closed exchange.
	err = op.PatientReply(ctx, addr, from.Address, "Encore une question")
	if !errors.Is(err, mssantetest.ErrExchangeClosed) {
		return fmt.Errorf("the patient could still reply after [FIN] (err = %v)", err)
	}
	fmt.Fprintf(w, "Sent %q: conversation %s; the patient's attempt to reply again was refused (exchange closed)\n", fin.Subject, conversation())

	// 4. Mailboxes that cannot receive: each bounce is classified.
	var targets []string
	for _, p := range op.Patients() {
		if p.State != mssantetest.PatientActive {
			targets = append(targets, p.Address())
		}
	}
	for _, to := range targets {
		if err := send(&mssante.Message{From: from, To: []*mail.Address{{Address: to}}, Subject: "Information", Text: "Bonjour."}); err != nil {
			return err
		}
	}
	big := &mssante.Message{From: from, To: []*mail.Address{{Address: addr}}, Subject: "Imagerie", Text: "Images jointes.",
		Attachments: []*mssante.Attachment{{Filename: "images.zip", Data: bytes.Repeat([]byte("0123456789"), 10<<10)}}}
	if err := send(big); err != nil {
		return err
	}
	if err := waitReports(ctx, op, from.Address, len(targets)+1); err != nil {
		return err
	}
	return imap.Receive(ctx, func(ctx context.Context, r *mssante.Received) error {
		b, err := msc.Classify(ctx, r.Body)
		if errors.Is(err, msc.ErrNotBounce) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tracker.Bounced(ctx, from.Address, b); err != nil {
			return err
		}
		for _, rb := range b.Recipients {
			fmt.Fprintf(w, "Bounce %-20s %s (status %s)\n", rb.Kind, rb.Recipient, rb.Status)
		}
		return nil
	})
}

// waitReports waits until the operator has delivered n delivery status
// notifications to mailbox.
func waitReports(ctx context.Context, op *mssantetest.Operator, mailbox string, n int) error {
	for {
		got := 0
		for _, m := range op.Messages(mailbox) {
			if m.ReportType() == "delivery-status" {
				got++
			}
		}
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d bounces, got %d: %w", n, got, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return "<" + s[0] + ">"
}
