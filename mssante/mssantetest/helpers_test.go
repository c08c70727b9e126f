package mssantetest

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	goimapclient "github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// xoauth2 is a minimal SASL XOAUTH2 client for the tests.
type xoauth2 struct{ user, token string }

func (x xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the server's JSON error challenge with an empty response.
func (x xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }

// dial opens an SMTP session with STARTTLS, presenting certs, and
// authenticating with auth when not nil.
func dial(t *testing.T, op *Operator, auth sasl.Client, certs ...tls.Certificate) *smtp.Client {
	t.Helper()
	c, err := smtp.DialStartTLS(op.SMTPAddr(), op.TLSConfig(certs...))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			t.Fatalf("auth: %v", err)
		}
	}
	return c
}

// sendVia submits msg on c; mo and ro may be nil.
func sendVia(c *smtp.Client, from string, to []string, msg string, mo *smtp.MailOptions, ro *smtp.RcptOptions) error {
	if err := c.Mail(from, mo); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, ro); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	return w.Close()
}

// appClient is an SMTP session of the default applicative mailbox.
func appClient(t *testing.T, op *Operator) *smtp.Client {
	t.Helper()
	cert, err := op.ClientCert(DefaultApp)
	if err != nil {
		t.Fatal(err)
	}
	return dial(t, op, nil, cert)
}

// doctorClient is an SMTP session of the default doctor, with XOAUTH2.
func doctorClient(t *testing.T, op *Operator) *smtp.Client {
	t.Helper()
	return dial(t, op, xoauth2{DefaultDoctor, op.Token(DefaultDoctor)})
}

// message builds a small RFC 5322 message.
func message(from, to, subject string, extra ...string) string {
	var b strings.Builder
	b.WriteString("From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: " + subject + "\r\n")
	b.WriteString("Date: " + time.Now().Format(time.RFC1123Z) + "\r\n")
	b.WriteString("Message-ID: <" + randomHex(6) + "@test>\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nBonjour.\r\n")
	return b.String()
}

func mustSend(t *testing.T, c *smtp.Client, from string, to []string, msg string) {
	t.Helper()
	if err := sendVia(c, from, to, msg, nil, nil); err != nil {
		t.Fatalf("send from %s to %v: %v", from, to, err)
	}
}

// reportParts splits a multipart/report into its parts (content type, body).
type part struct {
	ctype string
	body  string
}

func reportOf(t *testing.T, m *Message) []part {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts []part
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		body := string(b)
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			r, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
			body = string(r)
		}
		parts = append(parts, part{p.Header.Get("Content-Type"), body})
	}
	return parts
}

func waitFor(t *testing.T, op *Operator, addr string, match func(*Message) bool) *Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := op.WaitForMessage(ctx, addr, match)
	if err != nil {
		t.Fatalf("wait for a message to %s: %v", addr, err)
	}
	return m
}

func reportType(kind string) func(*Message) bool {
	return func(m *Message) bool { return m.ReportType() == kind }
}

// fetchInbox logs in to IMAP and returns the INBOX messages.
func fetchInbox(t *testing.T, op *Operator, login func(*goimapclient.Client) error, certs ...tls.Certificate) [][]byte {
	t.Helper()
	c, err := goimapclient.DialStartTLS(op.IMAPAddr(), &goimapclient.Options{TLSConfig: op.TLSConfig(certs...)})
	if err != nil {
		t.Fatalf("imap dial: %v", err)
	}
	defer c.Close()
	if err := login(c); err != nil {
		t.Fatalf("imap login: %v", err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	section := &imap.FetchItemBodySection{}
	bufs, err := c.Fetch(imap.SeqSetNum(1, sel.NumMessages), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, b := range bufs {
		out = append(out, b.FindBodySection(section))
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatal(err)
	}
	return out
}
