package mssantetest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	goimapclient "github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

func TestSubmitWithClientCertThenIMAPFetch(t *testing.T) {
	op := NewOperator(t, nil)
	c := appClient(t, op)
	mustSend(t, c, DefaultApp, []string{DefaultService}, message(DefaultApp, DefaultService, "Compte rendu"))

	got := op.Messages(DefaultService)
	if len(got) != 1 || got[0].Subject() != "Compte rendu" || got[0].MailFrom != DefaultApp {
		t.Fatalf("Messages = %+v", got)
	}
	if !strings.HasPrefix(string(got[0].Data), "Return-Path: <"+DefaultApp+">\r\n") {
		t.Errorf("no Return-Path: %q", got[0].Data[:60])
	}

	pass := op.mailbox(DefaultService).Password
	inbox := fetchInbox(t, op, func(c *goimapclient.Client) error { return c.Login(DefaultService, pass).Wait() })
	if len(inbox) != 1 || !strings.Contains(string(inbox[0]), "Subject: Compte rendu") {
		t.Fatalf("INBOX = %q", inbox)
	}
}

func TestSubmitWithExternal(t *testing.T) {
	op := NewOperator(t, nil)
	cert, _ := op.ClientCert(DefaultApp)
	c := dial(t, op, sasl.NewExternalClient(""), cert)
	mustSend(t, c, DefaultApp, []string{DefaultDoctor2}, message(DefaultApp, DefaultDoctor2, "x"))
	if len(op.Messages(DefaultDoctor2)) != 1 {
		t.Fatal("not delivered")
	}
}

func TestSubmitWithXOAUTH2(t *testing.T) {
	op := NewOperator(t, nil)
	c := doctorClient(t, op)
	mustSend(t, c, DefaultDoctor, []string{DefaultService, DefaultPharmacy}, message(DefaultDoctor, DefaultService, "Avis"))
	if len(op.Messages(DefaultService)) != 1 || len(op.Messages(DefaultPharmacy)) != 1 {
		t.Fatal("not delivered to both")
	}

	// A mailbox may only send as itself.
	err := sendVia(c, DefaultService, []string{DefaultPharmacy}, message(DefaultService, DefaultPharmacy, "x"), nil, nil)
	if se := new(smtp.SMTPError); !errors.As(err, &se) || se.Code != 553 {
		t.Errorf("MAIL FROM another mailbox: %v, want 553", err)
	}
}

func TestXOAUTH2Refused(t *testing.T) {
	op := NewOperator(t, nil)
	expired, err := op.IssueToken(DefaultDoctor, -time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for name, auth := range map[string]xoauth2{
		"expired":     {DefaultDoctor, expired},
		"other user":  {DefaultService, op.Token(DefaultDoctor)},
		"made up":     {DefaultDoctor, "nope"},
		"empty token": {DefaultDoctor, ""},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := smtp.DialStartTLS(op.SMTPAddr(), op.TLSConfig())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.Auth(auth)
			if se := new(smtp.SMTPError); !errors.As(err, &se) || se.Code != 535 {
				t.Fatalf("Auth: %v, want 535", err)
			}
		})
	}
	if _, err := op.IssueToken(DefaultApp, time.Minute); !errors.Is(err, ErrUnknownMailbox) {
		t.Errorf("token for an APP mailbox: %v", err)
	}
	if op.Token("nobody@hopital-test.mssante.fr") != "" {
		t.Error("token for an unknown mailbox")
	}
}

func TestSubmitRefusedWithoutAuth(t *testing.T) {
	op := NewOperator(t, nil)
	c := dial(t, op, nil) // TLS, no certificate, no AUTH
	err := sendVia(c, DefaultDoctor, []string{DefaultService}, message(DefaultDoctor, DefaultService, "x"), nil, nil)
	if se := new(smtp.SMTPError); !errors.As(err, &se) || se.Code != 530 {
		t.Fatalf("MAIL without auth: %v, want 530", err)
	}

	// PLAIN is off by default, and never offered before STARTTLS.
	if err := c.Auth(sasl.NewPlainClient("", DefaultDoctor, op.mailbox(DefaultDoctor).Password)); err == nil {
		t.Error("PLAIN accepted without Options.AllowPassword")
	}
	plain, err := smtp.Dial(op.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := plain.Hello("localhost"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := plain.Extension("AUTH"); ok {
		t.Error("AUTH offered without TLS")
	}
}

func TestPlainWhenAllowed(t *testing.T) {
	op := NewOperator(t, &Options{AllowPassword: true})
	c := dial(t, op, sasl.NewPlainClient("", DefaultDoctor, op.mailbox(DefaultDoctor).Password))
	mustSend(t, c, DefaultDoctor, []string{DefaultDoctor2}, message(DefaultDoctor, DefaultDoctor2, "x"))
}

func TestTLSPolicy(t *testing.T) {
	op := NewOperator(t, nil)
	cfg := op.TLSConfig()
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
	if err := handshake(op, cfg); err == nil {
		t.Error("TLS 1.3 accepted")
	}
	cfg = op.TLSConfig()
	cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256}
	if err := handshake(op, cfg); err == nil {
		t.Error("a suite outside the MSSanté list accepted")
	}
	for _, suite := range tlsauth.CipherSuites() {
		cfg = op.TLSConfig()
		cfg.CipherSuites = []uint16{suite}
		if err := handshake(op, cfg); err != nil {
			t.Errorf("suite %s: %v", tls.CipherSuiteName(suite), err)
		}
	}
}

// handshake runs STARTTLS then EHLO (the go-smtp client shakes hands lazily).
func handshake(op *Operator, cfg *tls.Config) error {
	c, err := smtp.DialStartTLS(op.SMTPAddr(), cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Noop()
}

func TestRecipientRouting(t *testing.T) {
	op := NewOperator(t, nil)
	c := doctorClient(t, op)
	if err := c.Mail(DefaultDoctor, nil); err != nil {
		t.Fatal(err)
	}
	err := c.Rcpt("someone@gmail.com", nil)
	if se := new(smtp.SMTPError); !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Errorf("foreign domain: %v, want 550 5.7.1", err)
	}

	op2 := NewOperator(t, &Options{RejectUnknownAtRCPT: true})
	c2 := doctorClient(t, op2)
	if err := c2.Mail(DefaultDoctor, nil); err != nil {
		t.Fatal(err)
	}
	err = c2.Rcpt("nobody@hopital-test.mssante.fr", nil)
	if se := new(smtp.SMTPError); !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) {
		t.Errorf("unknown local with RejectUnknownAtRCPT: %v, want 550 5.1.1", err)
	}
}

func TestDSNUnknownRecipient(t *testing.T) {
	op := NewOperator(t, nil)
	c := doctorClient(t, op)
	const nobody = "nobody@hopital-test.mssante.fr"
	orig := message(DefaultDoctor, nobody, "Perdu")
	err := sendVia(c, DefaultDoctor, []string{nobody, DefaultService}, orig,
		&smtp.MailOptions{EnvelopeID: "env-42"},
		&smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure}, OriginalRecipientType: smtp.DSNAddressTypeRFC822, OriginalRecipient: nobody})
	if err != nil {
		t.Fatal(err)
	}
	dsn := waitFor(t, op, DefaultDoctor, reportType("delivery-status"))
	if dsn.MailFrom != "" || dsn.Subject() != "Undelivered Mail Returned to Sender" {
		t.Errorf("DSN envelope/subject: %q %q", dsn.MailFrom, dsn.Subject())
	}
	parts := reportOf(t, dsn)
	if len(parts) != 3 || !strings.HasPrefix(parts[0].ctype, "text/plain") ||
		parts[1].ctype != "message/delivery-status" || parts[2].ctype != "message/rfc822" {
		t.Fatalf("parts = %+v", parts)
	}
	for _, want := range []string{"Original-Envelope-Id: env-42", "Final-Recipient: rfc822;" + nobody,
		"Original-Recipient: rfc822;" + nobody, "Action: failed", "Status: 5.1.1", "Diagnostic-Code: smtp; 550 5.1.1"} {
		if !strings.Contains(parts[1].body, want) {
			t.Errorf("delivery-status lacks %q:\n%s", want, parts[1].body)
		}
	}
	if !strings.Contains(parts[2].body, "Subject: Perdu") {
		t.Error("original not returned")
	}
	if n := len(op.Messages(DefaultDoctor)); n != 1 {
		t.Errorf("%d messages to the sender, want the one DSN (the service got its copy)", n)
	}
}

func TestDSNNotifyNeverAndSuccess(t *testing.T) {
	op := NewOperator(t, nil)
	c := doctorClient(t, op)
	err := sendVia(c, DefaultDoctor, []string{"nobody@hopital-test.mssante.fr"}, message(DefaultDoctor, "x@y", "x"),
		nil, &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyNever}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(op.Messages(DefaultDoctor)); n != 0 {
		t.Errorf("NOTIFY=NEVER still gave %d DSNs", n)
	}

	err = sendVia(c, DefaultDoctor, []string{DefaultService}, message(DefaultDoctor, DefaultService, "Reçu ?"),
		&smtp.MailOptions{EnvelopeID: "ok-1"}, &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifySuccess, smtp.DSNNotifyFailure}})
	if err != nil {
		t.Fatal(err)
	}
	dsn := waitFor(t, op, DefaultDoctor, reportType("delivery-status"))
	parts := reportOf(t, dsn)
	if len(parts) != 3 || parts[2].ctype != "text/rfc822-headers" {
		t.Fatalf("success DSN parts: %+v", parts)
	}
	for _, want := range []string{"Action: delivered", "Status: 2.0.0", "Original-Envelope-Id: ok-1"} {
		if !strings.Contains(parts[1].body, want) {
			t.Errorf("success DSN lacks %q", want)
		}
	}
}

func TestMDNFromSimulatedReader(t *testing.T) {
	op := NewOperator(t, nil)
	c := appClient(t, op)
	orig := message(DefaultApp, DefaultDoctor, "Résultats", "Disposition-Notification-To: <"+DefaultApp+">")
	mustSend(t, c, DefaultApp, []string{DefaultDoctor, DefaultDoctor2}, orig)

	mdn := waitFor(t, op, DefaultApp, reportType("disposition-notification"))
	origID := parseHeader([]byte(orig)).Get("Message-ID")
	if mdn.Header.Get("In-Reply-To") != origID || !strings.Contains(mdn.Header.Get("From"), DefaultDoctor) {
		t.Errorf("MDN header: %v", mdn.Header)
	}
	parts := reportOf(t, mdn)
	if len(parts) != 3 || parts[1].ctype != "message/disposition-notification" || parts[2].ctype != "message/rfc822" {
		t.Fatalf("parts: %+v", parts)
	}
	for _, want := range []string{
		"Disposition: automatic-action/MDN-sent-automatically; displayed",
		"Final-Recipient: rfc822;" + DefaultDoctor,
		"Original-Recipient: rfc822;" + DefaultDoctor,
		"Original-Message-ID: " + origID,
	} {
		if !strings.Contains(parts[1].body, want) {
			t.Errorf("MDN lacks %q:\n%s", want, parts[1].body)
		}
	}
	if !strings.Contains(parts[2].body, "Disposition-Notification-To") {
		t.Error("original not attached")
	}
	// DefaultDoctor2 does not read: one MDN only.
	if n := len(op.Messages(DefaultApp)); n != 1 {
		t.Errorf("%d MDNs, want 1", n)
	}

	// An APP reader answers "processed"; no MDN when DNT is not the sender.
	d := doctorClient(t, op)
	mustSend(t, d, DefaultDoctor, []string{DefaultApp}, message(DefaultDoctor, DefaultApp, "x", "Disposition-Notification-To: <"+DefaultDoctor+">"))
	mdn = waitFor(t, op, DefaultDoctor, reportType("disposition-notification"))
	if parts := reportOf(t, mdn); !strings.Contains(parts[1].body, "MDN-sent-automatically; processed") {
		t.Errorf("APP MDN: %s", parts[1].body)
	}
	mustSend(t, d, DefaultDoctor, []string{DefaultApp}, message(DefaultDoctor, DefaultApp, "x", "Disposition-Notification-To: <"+DefaultService+">"))
	if n := len(op.Messages(DefaultService)); n != 0 {
		t.Errorf("MDN sent to a DNT that is not the envelope sender")
	}
}

func TestMESBounces(t *testing.T) {
	op := NewOperator(t, &Options{PatientMaxBytes: 2000})
	c := doctorClient(t, op)
	big := message(DefaultDoctor, DefaultPatient, "Gros") + strings.Repeat("0123456789abcdef\r\n", 200)
	for _, tc := range []struct {
		name, to, msg, subject, status, text string
	}{
		{"no profile", UnknownPatient, "", "Message non distribué", "5.1.1", "car cette adresse Mon espace santé n'existe pas."},
		{"opposition", OpposedPatient, "", "Message non distribué", "5.1.1", "car cette adresse Mon espace santé n'existe pas."},
		{"closed", ClosedPatient, "", "Message non distribué", "5.2.1", "car la messagerie Mon espace santé de votre destinataire est clôturée."},
		{"bad key", InvalidPatient, "", "Message non distribué", "5.1.3", "car cette adresse Mon espace santé est invalide."},
		{"bad length", "27903512151898@" + ins.PatientDomain, "", "Message non distribué", "5.1.3", "est invalide."},
		{"too large", DefaultPatient, big, "Undelivered Mail Returned to Sender", "5.3.4", "exceeds fixed maximum message size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(op.Messages(DefaultDoctor))
			msg := tc.msg
			if msg == "" {
				msg = message(DefaultDoctor, tc.to, "Bilan")
			}
			mustSend(t, c, DefaultDoctor, []string{tc.to}, msg)
			got := op.Messages(DefaultDoctor)
			if len(got) != before+1 {
				t.Fatalf("%d new messages, want one DSN", len(got)-before)
			}
			dsn := got[before]
			if dsn.Subject() != tc.subject || dsn.ReportType() != "delivery-status" {
				t.Errorf("subject %q, report %q", dsn.Subject(), dsn.ReportType())
			}
			if !strings.Contains(dsn.Header.Get("From"), "MAILER-DAEMON@patient.mssante.fr") {
				t.Errorf("From %q", dsn.Header.Get("From"))
			}
			parts := reportOf(t, dsn)
			if !strings.Contains(parts[0].body, tc.text) {
				t.Errorf("text %q lacks %q", parts[0].body, tc.text)
			}
			if tc.subject == subjectMESBounce && !strings.Contains(parts[0].body, `l'adresse "`+tc.to+`"`) {
				t.Errorf("text does not quote the address: %q", parts[0].body)
			}
			if !strings.Contains(parts[1].body, "Status: "+tc.status) || !strings.Contains(parts[1].body, "Final-Recipient: rfc822;"+tc.to) {
				t.Errorf("delivery-status:\n%s", parts[1].body)
			}
			if n := len(op.Messages(tc.to)); n != 0 {
				t.Errorf("bounced message still delivered")
			}
		})
	}
}

func TestPatientReadsAndReplies(t *testing.T) {
	op := NewOperator(t, nil)
	ctx := context.Background()
	c := doctorClient(t, op)

	// Before the doctor writes, the patient cannot.
	if err := op.PatientReply(ctx, DefaultPatient, DefaultDoctor, "Bonjour"); !errors.Is(err, ErrNoExchange) {
		t.Fatalf("reply before any message: %v", err)
	}
	first := message(DefaultDoctor, DefaultPatient, "Vos résultats", "Disposition-Notification-To: <"+DefaultDoctor+">")
	mustSend(t, c, DefaultDoctor, []string{DefaultPatient, UnreadPatient}, first)

	// The patient reads: one MDN (the unread patient sends none).
	mdns := 0
	for _, m := range op.Messages(DefaultDoctor) {
		if m.ReportType() == "disposition-notification" {
			mdns++
			if !strings.Contains(m.Header.Get("From"), DefaultPatient) {
				t.Errorf("MDN from %q", m.Header.Get("From"))
			}
		}
	}
	if mdns != 1 {
		t.Fatalf("%d MDNs, want 1", mdns)
	}

	if err := op.PatientReply(ctx, DefaultPatient, DefaultDoctor, "Merci docteur"); err != nil {
		t.Fatal(err)
	}
	reply := waitFor(t, op, DefaultDoctor, func(m *Message) bool { return m.MailFrom == DefaultPatient })
	if reply.Subject() != "RE: Vos résultats" || reply.Header.Get("In-Reply-To") != parseHeader([]byte(first)).Get("Message-ID") {
		t.Errorf("reply header: %v", reply.Header)
	}
	if !strings.Contains(string(reply.Data), "Merci docteur") {
		t.Error("reply body lost")
	}
	// Writing again, as a new conversation, is allowed too.
	if err := op.PatientWrite(ctx, DefaultPatient, DefaultDoctor, "Question", "Une question"); err != nil {
		t.Errorf("new conversation with a professional who wrote: %v", err)
	}
	// Other professionals have not written.
	if err := op.PatientReply(ctx, DefaultPatient, DefaultDoctor2, "x"); !errors.Is(err, ErrNoExchange) {
		t.Errorf("reply to another professional: %v", err)
	}
	if err := op.PatientReply(ctx, ClosedPatient, DefaultDoctor, "x"); !errors.Is(err, ErrUnknownPatient) {
		t.Errorf("closed patient: %v", err)
	}
	if err := op.PatientReply(ctx, DefaultPatient, "nobody@x.fr", "x"); !errors.Is(err, ErrUnknownMailbox) {
		t.Errorf("unknown mailbox: %v", err)
	}
}

func TestPatientFINAndReopen(t *testing.T) {
	ctx := context.Background()
	for name, fin := range map[string]string{
		"subject": message(DefaultDoctor, DefaultPatient, "[FIN]"),
		"header":  message(DefaultDoctor, DefaultPatient, "Compte rendu final", "X-MSS-MES: FIN"),
	} {
		t.Run(name, func(t *testing.T) {
			op := NewOperator(t, nil)
			c := doctorClient(t, op)
			mustSend(t, c, DefaultDoctor, []string{DefaultPatient}, message(DefaultDoctor, DefaultPatient, "Bonjour"))
			mustSend(t, c, DefaultDoctor, []string{DefaultPatient}, fin)
			if err := op.PatientReply(ctx, DefaultPatient, DefaultDoctor, "x"); !errors.Is(err, ErrExchangeClosed) {
				t.Fatalf("reply after FIN: %v", err)
			}
			if err := op.PatientWrite(ctx, DefaultPatient, DefaultDoctor, "x", "x"); !errors.Is(err, ErrExchangeClosed) {
				t.Fatalf("write after FIN: %v", err)
			}
			mustSend(t, c, DefaultDoctor, []string{DefaultPatient}, message(DefaultDoctor, DefaultPatient, "Nouveau message"))
			if err := op.PatientReply(ctx, DefaultPatient, DefaultDoctor, "x"); err != nil {
				t.Fatalf("reply after reopening: %v", err)
			}
		})
	}
	// Near misses of [FIN] do not close (strict matching).
	op := NewOperator(t, nil)
	c := doctorClient(t, op)
	for _, s := range []string{"RE: [FIN]", "[fin]", "[FIN] merci"} {
		mustSend(t, c, DefaultDoctor, []string{DefaultPatient}, message(DefaultDoctor, DefaultPatient, s))
		if err := op.PatientReply(ctx, DefaultPatient, DefaultDoctor, "x"); err != nil {
			t.Errorf("subject %q closed the exchange: %v", s, err)
		}
	}
}

func TestPatientReplyTo(t *testing.T) {
	op := NewOperator(t, nil)
	c := appClient(t, op)
	mustSend(t, c, DefaultApp, []string{DefaultPatient}, message(DefaultApp, DefaultPatient, "Résultats", "Reply-To: <"+DefaultService+">"))
	if err := op.PatientReply(context.Background(), DefaultPatient, DefaultApp, "x"); !errors.Is(err, ErrNoExchange) {
		t.Errorf("reply to the no-reply sender: %v", err)
	}
	if err := op.PatientReply(context.Background(), DefaultPatient, DefaultService, "x"); err != nil {
		t.Errorf("reply to the Reply-To mailbox: %v", err)
	}
}

func TestPatientWritesToPharmacy(t *testing.T) {
	op := NewOperator(t, nil)
	ctx := context.Background()
	if err := op.PatientWrite(ctx, DefaultPatient, DefaultPharmacy, "Ordonnance", "Bonjour, voici mon ordonnance."); err != nil {
		t.Fatal(err)
	}
	m := waitFor(t, op, DefaultPharmacy, nil)
	if m.Subject() != "Ordonnance" || m.Header.Get("In-Reply-To") != "" || m.MailFrom != DefaultPatient {
		t.Errorf("pharmacy got %v", m.Header)
	}
	if !strings.Contains(m.Header.Get("From"), "Dominique PAT-TROIS") {
		t.Errorf("From %q", m.Header.Get("From"))
	}
	// Any other organisational mailbox refuses a first message.
	if err := op.PatientWrite(ctx, DefaultPatient, DefaultService, "x", "x"); !errors.Is(err, ErrNoExchange) {
		t.Errorf("first message to a service: %v", err)
	}
	// The pharmacy ends the exchange, then nothing more.
	p, err := op.IssueToken(DefaultPharmacy, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	pc := dial(t, op, xoauth2{DefaultPharmacy, p})
	mustSend(t, pc, DefaultPharmacy, []string{DefaultPatient}, message(DefaultPharmacy, DefaultPatient, "[FIN]"))
	if err := op.PatientWrite(ctx, DefaultPatient, DefaultPharmacy, "x", "x"); !errors.Is(err, ErrExchangeClosed) {
		t.Errorf("after the pharmacy's [FIN]: %v", err)
	}
}

func TestIMAPAuth(t *testing.T) {
	op := NewOperator(t, nil)
	c := appClient(t, op)
	for _, to := range []string{DefaultDoctor, DefaultApp} {
		mustSend(t, c, DefaultApp, []string{to}, message(DefaultApp, to, "Pour IMAP"))
	}
	tok := op.Token(DefaultDoctor)
	if got := fetchInbox(t, op, func(c *goimapclient.Client) error { return c.Authenticate(xoauth2{DefaultDoctor, tok}) }); len(got) != 1 {
		t.Errorf("XOAUTH2: %d messages", len(got))
	}
	cert, _ := op.ClientCert(DefaultApp)
	if got := fetchInbox(t, op, func(c *goimapclient.Client) error { return c.Authenticate(sasl.NewExternalClient("")) }, cert); len(got) != 1 {
		t.Errorf("EXTERNAL: %d messages", len(got))
	}

	ic, err := goimapclient.DialStartTLS(op.IMAPAddr(), &goimapclient.Options{TLSConfig: op.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	if err := ic.Login(DefaultDoctor, "wrong").Wait(); err == nil {
		t.Error("wrong password accepted")
	}
	if err := ic.Authenticate(xoauth2{DefaultDoctor, "bad"}); err == nil {
		t.Error("bad token accepted")
	}
	if err := ic.Authenticate(sasl.NewExternalClient("")); err == nil {
		t.Error("EXTERNAL accepted without a certificate")
	}
}

func TestWaitForMessage(t *testing.T) {
	op := NewOperator(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := op.WaitForMessage(ctx, DefaultDoctor, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := op.WaitForMessage(context.Background(), DefaultDoctor, nil)
		done <- err
	}()
	op.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	op, err := Start(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Leave connections open in both servers.
	sc, err := smtp.DialStartTLS(op.SMTPAddr(), op.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	ic, err := goimapclient.DialStartTLS(op.IMAPAddr(), &goimapclient.Options{TLSConfig: op.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	if err := ic.Noop().Wait(); err != nil {
		t.Fatal(err)
	}

	cancel() // the context stops the operator
	op.Close()
	op.Close() // idempotent
	sc.Close()
	ic.Close()
	if _, err := smtp.Dial(op.SMTPAddr()); err == nil {
		t.Error("SMTP still listening")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines left (was %d):\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// TestStartWithDoneContext: with ctx already done, Start's context watch
// closes the operator from another goroutine while Start is still setting
// it up; run with -race, this caught an unsynchronised field.
func TestStartWithDoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 3 {
		op, err := Start(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = op.WaitForMessage(wctx, DefaultDoctor, nil)
		wcancel()
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("operator started with a done context: %v, want ErrClosed", err)
		}
		op.Close()
	}
}

// The debug log names professional mailboxes but never a patient's
// matricule nor a message body.
func TestLogsNoPatientData(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	op := NewOperator(t, &Options{Logger: logger})
	c := doctorClient(t, op)
	const body = "Bonjour."
	mustSend(t, c, DefaultDoctor, []string{DefaultPatient, ClosedPatient}, message(DefaultDoctor, DefaultPatient, "Résultats",
		"Disposition-Notification-To: <"+DefaultService+">"))
	op.Close()
	mu.Lock()
	defer mu.Unlock()
	logs := buf.String()
	if !strings.Contains(logs, "delivered") || !strings.Contains(logs, DefaultDoctor) {
		t.Fatalf("expected delivery logs naming the doctor's mailbox:\n%s", logs)
	}
	for _, secret := range []string{"279035121518989", "295109912611193", body} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds %q:\n%s", secret, logs)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Operators started in parallel share the process's test PKI (run with
// -race): one root, and one client certificate per applicative address.
func TestSharedPKIConcurrent(t *testing.T) {
	const n = 4
	ops := make([]*Operator, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			mbs := []Mailbox{
				{Address: DefaultApp, Type: APP},
				{Address: fmt.Sprintf("app%d@parallele-test.mssante.fr", i), Type: APP},
			}
			ops[i], errs[i] = Start(context.Background(), &Options{Mailboxes: mbs, Hostname: fmt.Sprintf("op%d.localhost", i%2)})
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		defer ops[i].Close()
	}
	first, err := ops[0].ClientCert(DefaultApp)
	if err != nil {
		t.Fatal(err)
	}
	for i, op := range ops {
		if !bytes.Equal(op.RootPEM(), ops[0].RootPEM()) {
			t.Errorf("operator %d has its own root", i)
		}
		c, err := op.ClientCert(DefaultApp)
		if err != nil || !bytes.Equal(c.Certificate[0], first.Certificate[0]) {
			t.Errorf("operator %d: client certificate of %s not shared (%v)", i, DefaultApp, err)
		}
		own, err := op.ClientCert(fmt.Sprintf("app%d@parallele-test.mssante.fr", i))
		if err != nil || bytes.Equal(own.Certificate[0], first.Certificate[0]) {
			t.Errorf("operator %d: own client certificate %v", i, err)
		}
		// Each one serves with a certificate the shared root verifies.
		if err := handshake(op, op.TLSConfig()); err != nil {
			t.Errorf("operator %d: %v", i, err)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"bad type":        {Mailboxes: []Mailbox{{Address: "a@b.fr", Type: "CAB"}}},
		"not an address":  {Mailboxes: []Mailbox{{Address: "a", Type: PER}}},
		"path in address": {Mailboxes: []Mailbox{{Address: "../../etc/x@b.fr", Type: APP}}},
		"patient domain":  {Mailboxes: []Mailbox{{Address: "x@patient.mssante.fr", Type: PER}}},
		"pharmacy PER":    {Mailboxes: []Mailbox{{Address: "a@b.fr", Type: PER, Pharmacy: true}}},
		"duplicate":       {Mailboxes: []Mailbox{{Address: "a@b.fr", Type: PER}, {Address: "A@b.fr", Type: ORG}}},
		"bad receipt":     {Mailboxes: []Mailbox{{Address: "a@b.fr", Type: PER, ReadReceipt: "deleted"}}},
		"bad INS":         {Patients: []Patient{{INS: "288091234567823"}}},
	} {
		if _, err := Start(context.Background(), &o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := (&Operator{}).ClientCert("x"); !errors.Is(err, ErrUnknownMailbox) {
		t.Error("ClientCert of an unknown mailbox")
	}
}

func TestValidMatricule(t *testing.T) {
	for s, want := range map[string]bool{
		"279035121518989": true,
		"253072A07300443": true,
		"253072B07300470": true,
		"253072a07300443": true,
		"288091234567823": false, // key 94
		"2790351215189":   false, // key dropped
		"27903512151898X": false,
		"2790351215189 9": false,
		"":                false,
		"2530721A7300443": false,
	} {
		if got := validMatricule(s); got != want {
			t.Errorf("validMatricule(%q) = %v", s, got)
		}
	}
	for _, p := range DefaultPatients() {
		if !validMatricule(p.INS) {
			t.Errorf("default patient %s has a bad key", p.INS)
		}
	}
	if validMatricule(strings.SplitN(InvalidPatient, "@", 2)[0]) || !validMatricule(strings.SplitN(UnknownPatient, "@", 2)[0]) {
		t.Error("InvalidPatient/UnknownPatient constants")
	}
}
