// Command patient shows a professional mailbox writing to patients in Mon
// Espace Santé: the address built from a qualified INS only, the rules
// checked before sending, a patient's reply, the "[FIN]" message that closes
// the exchange, and the bounces of mailboxes that cannot receive, classified
// and recorded in the conversation state (package msc).
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
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

func main() { demo.Main("patient", run) }

func run(ctx context.Context, w io.Writer) error {
	// A small Mon Espace Santé size limit makes the "too large" bounce cheap.
	op, err := mssantetest.Start(ctx, &mssantetest.Options{PatientMaxBytes: 64 << 10})
	if err != nil {
		return err
	}
	defer op.Close()
	service, err := demo.Connect(op, mssantetest.DefaultService)
	if err != nil {
		return err
	}
	defer service.Close()
	from := &mssante.Sender{Address: mssantetest.DefaultService, Type: mssante.MailboxORG, Entity: "Hôpital Test – Cardiologie", NIL: demo.NIL}
	tracker := &msc.Tracker{Store: &msc.MemoryStore{}}

	// 1. Only a qualified identity has an address.
	patient := demo.Patient()
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
		if _, err := mssante.Send(ctx, service.SMTP, m, nil); err != nil {
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
	if err := service.IMAP.Receive(ctx, func(ctx context.Context, r *mssante.Received) error {
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
	err = op.PatientReply(ctx, addr, from.Address, "Encore une question")
	fmt.Fprintf(w, "Sent %q: conversation %s; the patient's new reply: %v\n", fin.Subject, conversation(), errors.Is(err, mssantetest.ErrExchangeClosed))

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
	return service.IMAP.Receive(ctx, func(ctx context.Context, r *mssante.Received) error {
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
		fmt.Fprintf(w, "Bounce %-20s %s (status %s)\n", b.Kind, b.Recipient, b.Status)
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
