package smtpclient

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/internal/mailservers"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

func TestMain(m *testing.M) { mailservers.Main(m) }

// postfixOptions returns options for the shared Postfix, authenticated by a
// client certificate of the test CA.
func postfixOptions(t *testing.T) (*mailservers.Servers, Options) {
	s := mailservers.Shared(t)
	cert, err := s.Client("dpi@" + s.Domain)
	if err != nil {
		t.Fatal(err)
	}
	return s, Options{
		Addr: s.SubmissionAddr,
		TLS:  tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost", Certificate: &cert.TLS},
	}
}

func postfixMsg(s *mailservers.Servers, to, subject string) string {
	return "From: dpi@" + s.Domain + "\r\nTo: " + to + "\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@" + s.Domain + ">\r\n\r\nBonjour.\r\n"
}

func TestPostfixSubmitAndDeliver(t *testing.T) {
	s, opt := postfixOptions(t)
	c := newClient(t, opt)
	to := "alice@" + s.Domain
	subject := "deliver-" + time.Now().Format("150405.000000")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	env := &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{to},
		DSN: &mssante.DSNRequest{Notify: []string{"SUCCESS", "FAILURE"}, EnvelopeID: subject, OriginalRecipient: true}}
	res, err := c.Send(ctx, env, strings.NewReader(postfixMsg(s, to, subject)))
	if err != nil {
		t.Fatalf("%v%s", err, s.Logs())
	}
	if len(res.Accepted()) != 1 {
		t.Fatalf("result %+v", res)
	}
	// Postfix hands it to Dovecot over LMTP.
	for ctx.Err() == nil {
		files, _ := filepath.Glob(filepath.Join(s.Mailbox(to), "new", "*"))
		for _, f := range files {
			if data, _ := os.ReadFile(f); strings.Contains(string(data), "Subject: "+subject) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("message not delivered to the maildir%s", s.Logs())
}

func TestPostfixRecipientErrors(t *testing.T) {
	s, opt := postfixOptions(t)
	c := newClient(t, opt)
	unknown, busy, ok := "nobody@"+s.Domain, mailservers.TempFailUser+"@"+s.Domain, "bob@"+s.Domain
	res, err := c.Send(context.Background(), &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{unknown, busy, ok}},
		strings.NewReader(postfixMsg(s, ok, "errors")))
	var pe *mssante.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 2 {
		t.Fatalf("err %v%s", err, s.Logs())
	}
	var se *mssante.SMTPError
	r := res.Recipients
	if r[0].Status != mssante.StatusPermanentFailure || !errors.As(r[0].Err, &se) || se.Code != 550 || se.EnhancedCode != "5.1.1" {
		t.Errorf("unknown recipient: %v %v", r[0].Status, r[0].Err)
	}
	if r[1].Status != mssante.StatusTemporaryFailure || !errors.As(r[1].Err, &se) || se.Code != 451 || se.EnhancedCode != "4.3.2" {
		t.Errorf("busy recipient: %v %v", r[1].Status, r[1].Err)
	}
	if r[2].Status != mssante.StatusAccepted {
		t.Errorf("known recipient: %v %v", r[2].Status, r[2].Err)
	}
	// A message only for the busy one is a temporary failure as a whole.
	_, err = c.Send(context.Background(), &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{busy}},
		strings.NewReader(postfixMsg(s, busy, "busy")))
	if !mssante.IsTemporary(err) {
		t.Errorf("err %v, want temporary", err)
	}
}

func TestPostfixRefusesClientWithoutCertificate(t *testing.T) {
	s, opt := postfixOptions(t)
	opt.TLS.Certificate = nil
	c := newClient(t, opt)
	_, err := c.Send(context.Background(), &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{"bob@" + s.Domain}},
		strings.NewReader(postfixMsg(s, "bob@"+s.Domain, "nocert")))
	var ce *tlsauth.ConnError
	if !errors.As(err, &ce) || mssante.IsTemporary(err) {
		t.Fatalf("client without certificate: %v, want a permanent ConnError", err)
	}
	t.Logf("refused as expected: %v", err)
}

func TestPostfixRefusesCertificateFromAnotherCA(t *testing.T) {
	s, opt := postfixOptions(t)
	other, err := tlsauthOtherClient()
	if err != nil {
		t.Fatal(err)
	}
	opt.TLS.Certificate = other
	c := newClient(t, opt)
	_, err = c.Send(context.Background(), &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{"bob@" + s.Domain}},
		strings.NewReader(postfixMsg(s, "bob@"+s.Domain, "othercert")))
	var ce *tlsauth.ConnError
	if !errors.As(err, &ce) || mssante.IsTemporary(err) {
		t.Fatalf("certificate from an unknown CA: %v, want a permanent ConnError%s", err, s.Logs())
	}
	// The certificate was presented and refused, not left out ("No client
	// certificate presented" would re-test TestPostfixRefusesClientWithoutCertificate).
	if !strings.Contains(err.Error(), "certificate not trusted") {
		t.Fatalf("certificate from another CA: %v, want Postfix's \"Client certificate not trusted\"", err)
	}
	t.Logf("refused as expected: %v", err)
}

func TestPostfixRefusesOldTLS(t *testing.T) {
	s, opt := postfixOptions(t)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		o := opt
		o.TLS.MinVersion, o.TLS.MaxVersion, o.TLS.AllowLegacyVersionsForTests = v, v, true
		c := newClient(t, o)
		_, err := c.Send(context.Background(), &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{"bob@" + s.Domain}},
			strings.NewReader(postfixMsg(s, "bob@"+s.Domain, "oldtls")))
		var ce *tlsauth.ConnError
		if !errors.As(err, &ce) || ce.Op != "tls" {
			t.Errorf("TLS %#x: err %v, want a refused handshake", v, err)
		}
	}
	// Without the test switch, the client refuses to go below TLS 1.2.
	opt.TLS.MinVersion = tls.VersionTLS10
	if _, err := New(&opt); err == nil {
		t.Error("New accepted TLS 1.0 without AllowLegacyVersionsForTests")
	}
}

func TestPostfixBatchReusesOneConnection(t *testing.T) {
	s, opt := postfixOptions(t)
	c := newClient(t, opt)
	for i := range 20 {
		to := "bob@" + s.Domain
		if _, err := c.Send(context.Background(), &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{to}},
			strings.NewReader(postfixMsg(s, to, "batch-"+string(rune('a'+i))))); err != nil {
			t.Fatalf("message %d: %v%s", i, err, s.Logs())
		}
	}
	if st := c.Stats(); st.Dials != 1 || st.Messages != 20 {
		t.Fatalf("stats %+v, want 20 messages on 1 connection", st)
	}
}

// Personal and organisational mailboxes submit with a PSC token: Postfix
// hands SASL XOAUTH2 to Dovecot, which checks the token with the
// introspection endpoint.
func TestPostfixXOAuth2(t *testing.T) {
	s := mailservers.Shared(t)
	user := "alice@" + s.Domain
	src := tlsauth.TokenSourceFunc(func(context.Context) (string, time.Time, error) {
		return s.IssueToken(user, 5*time.Minute), time.Now().Add(5 * time.Minute), nil
	})
	opt := Options{
		Addr: s.PSCSubmissionAddr,
		TLS:  tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost"},
		Auth: tlsauth.Auth{Mechanism: tlsauth.XOAuth2, Username: user, Tokens: src},
	}
	c := newClient(t, opt)
	to := "bob@" + s.Domain
	if _, err := c.Send(context.Background(), &mssante.Envelope{From: user, To: []string{to}},
		strings.NewReader(postfixMsg(s, to, "xoauth2"))); err != nil {
		t.Fatalf("%v%s", err, s.Logs())
	}
	// A token nobody issued is refused: a permanent authentication error.
	opt.Auth.Tokens = tlsauth.TokenSourceFunc(func(context.Context) (string, time.Time, error) {
		return "forged", time.Now().Add(time.Minute), nil
	})
	bad := newClient(t, opt)
	_, err := bad.Send(context.Background(), &mssante.Envelope{From: user, To: []string{to}},
		strings.NewReader(postfixMsg(s, to, "forged")))
	var ce *tlsauth.ConnError
	if !errors.As(err, &ce) || ce.Op != "auth" || mssante.IsTemporary(err) {
		t.Fatalf("forged token: %v%s", err, s.Logs())
	}
}

// TestPostfixBccNeverLeaves: a message composed with Bcc recipients reaches
// each of them through real Postfix and Dovecot, and no copy names them.
func TestPostfixBccNeverLeaves(t *testing.T) {
	s, opt := postfixOptions(t)
	c := newClient(t, opt)
	to, bcc := "alice@"+s.Domain, []string{"bob@" + s.Domain, "dpi@" + s.Domain}
	subject := "bcc-" + time.Now().Format("150405.000000")
	m := &mssante.Message{
		From:    &mssante.Sender{Address: "dpi@" + s.Domain, Type: mssante.MailboxAPP, Entity: "DPI", NIL: "DEV000000"},
		To:      []*mail.Address{{Address: to}},
		Bcc:     []*mail.Address{{Address: bcc[0]}, {Address: bcc[1]}},
		Subject: subject, Text: "Bonjour.",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := mssante.Send(ctx, c, m, nil)
	if err != nil || len(res.Accepted()) != 3 {
		t.Fatalf("%v %+v%s", err, res, s.Logs())
	}
	s.CheckBccDelivery(t, ctx, subject, to, bcc...)
}
