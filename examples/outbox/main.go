// Command outbox runs the whole loop of the durable outbox (package
// mssante/delivery) against the embedded test operator, on SQLite:
//
//  1. a DPI enqueues three messages from its applicative mailbox: a letter
//     to a doctor asking for a delivery receipt (DSN) and a read receipt
//     (MDN), a message to two patients of Mon Espace Santé (one of them with a
//     closed mailbox), and a laboratory request enqueued twice with the same
//     idempotency key (queued once);
//  2. the outbox sends them (SMTP, client certificate), reads what comes back
//     (IMAP, SASL EXTERNAL), matches the DSNs, MDNs and the bounce to the
//     message and recipient they are about;
//  3. it prints each recipient's timeline, read back from the database, and
//     the patient's conversation state kept in the same database.
//
// Every step is durable: kill the program between Enqueue and the end, run it
// again on the same file, and nothing is lost or sent twice without being
// recorded as such (see docs/delivery.md).
//
// Run it with:
//
//	go run ./examples/outbox
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mssante-go/sdk/examples/internal/demo"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

func main() { demo.Main("outbox", run) }

func run(ctx context.Context, w io.Writer) error {
	op, err := mssantetest.Start(ctx, nil)
	if err != nil {
		return err
	}
	defer op.Close()

	// The DPI's applicative mailbox: an IGC Santé organisation certificate
	// (here the test operator's) on SMTP and, with SASL EXTERNAL, on IMAP,
	// where its receipts arrive.
	cert, err := op.ClientCert(mssantetest.DefaultApp)
	if err != nil {
		return err
	}
	tlsOpt := tlsauth.TLSOptions{RootCAs: op.RootCAs(), Certificate: &cert}
	// The trust space: every recipient is checked against the liste
	// blanche before anything is sent. In production an
	// annuaire.RecipientChecker on the national list (see
	// examples/directory); here the test operator's own list.
	trust := op.RecipientChecker()
	smtp, err := smtpclient.New(&smtpclient.Options{Addr: op.SMTPAddr(), TLS: tlsOpt, MaxConns: 2, RecipientChecker: trust})
	if err != nil {
		return err
	}
	defer smtp.Close()
	imap, err := imapclient.New(&imapclient.Options{Addr: op.IMAPAddr(), TLS: tlsOpt, Auth: tlsauth.Auth{Mechanism: tlsauth.External}})
	if err != nil {
		return err
	}
	defer imap.Close()

	// The outbox: a SQLite file (use a postgres:// URL to run several
	// instances). Events reach the caller's UI through OnEvent.
	dir, err := os.MkdirTemp("", "outbox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	events := 0
	o, err := delivery.Open(ctx, "sqlite:"+filepath.Join(dir, "outbox.db"), &delivery.Options{
		Senders: map[string]mssante.Transport{mssantetest.DefaultApp: mssante.WithReceiver(smtp, imap)},
		// The same check in the outbox: a recipient outside the trust
		// space is refused before it is sent, and that is final (status
		// refused).
		RecipientChecker: trust,
		OnEvent:          func(delivery.Event) { events++ },
	})
	if err != nil {
		return err
	}
	defer o.Close()

	// Return-Receipt-To asks for a DSN (ECO.2.3.1), Disposition-Notification-To
	// for an MDN (ECO.2.3.2).
	receipts := []string{"Return-Receipt-To: " + mssantetest.DefaultApp, "Disposition-Notification-To: " + mssantetest.DefaultApp}
	msgs := []struct {
		key, id string
		to      []string
		extra   []string
	}{
		{"lettre-4711", "lettre-4711@hopital-test.mssante.fr", []string{mssantetest.DefaultDoctor}, receipts},
		{"cr-patients", "cr-patients@hopital-test.mssante.fr", []string{mssantetest.DefaultPatient, mssantetest.ClosedPatient}, receipts[1:]},
		{"demande-labo-17", "demande-labo-17@hopital-test.mssante.fr", []string{mssantetest.DefaultLab}, receipts[:1]},
		{"demande-labo-17", "demande-labo-17@hopital-test.mssante.fr", []string{mssantetest.DefaultLab}, receipts[:1]},
	}
	for _, m := range msgs {
		got, err := o.Enqueue(ctx, strings.NewReader(message(m.id, m.to, m.extra)), &delivery.EnqueueOptions{Key: m.key})
		if err != nil {
			return err
		}
		if got.Existing {
			fmt.Fprintf(w, "enqueue %s: already queued, nothing added\n", m.key)
		} else {
			fmt.Fprintf(w, "enqueue %s: <%s>, %d recipient(s), durable\n", m.key, got.MessageID, len(got.Recipients))
		}
	}

	// Send, read the receipts, stop when nothing is left to do now.
	if err := o.RunUntilIdle(ctx); err != nil {
		return err
	}

	list, err := o.List(ctx, nil)
	if err != nil {
		return err
	}
	for _, m := range list {
		fmt.Fprintf(w, "<%s>\n", m.MessageID)
		for _, r := range m.Recipients {
			fmt.Fprintf(w, "  %s: %s%s\n", r.Address, r.Status, map[bool]string{true: " (final)"}[r.Final])
			for _, e := range r.History {
				fmt.Fprintf(w, "    %s %s%s\n", e.At.Format(time.TimeOnly), e.Type, detail(e))
			}
		}
	}
	c, err := o.Tracker().Conversation(ctx, mssantetest.DefaultPatient, mssantetest.DefaultApp)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "conversation with the patient: %s; %d events reached OnEvent\n", c.State, events)
	return nil
}

// detail prints the evidence that matters for the timeline.
func detail(e delivery.Event) string {
	ev := e.Evidence
	switch {
	case ev.BounceKind != "":
		return " (" + ev.BounceKind + ", " + ev.DSNStatus + ")"
	case ev.Disposition != "":
		return " (MDN " + ev.Disposition + ")"
	case ev.DSNAction != "":
		return " (DSN " + ev.DSNAction + " " + ev.DSNStatus + ")"
	case ev.Reason != "":
		return " (" + ev.Reason + ")"
	}
	return ""
}

// message is a minimal message; an application would compose it with
// mssante.Message (documents, X-MSS-* headers) and call EnqueueMessage.
func message(id string, to, extra []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Hopital Test - DPI <%s>\r\nTo: %s\r\nSubject: Compte rendu\r\nMessage-ID: <%s>\r\n", mssantetest.DefaultApp, strings.Join(to, ", "), id)
	fmt.Fprintf(&b, "Date: %s\r\nX-MSS-NIL: DEV000000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n", time.Now().Format(time.RFC1123Z))
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("\r\nVeuillez trouver le compte rendu.\r\n")
	return b.String()
}
