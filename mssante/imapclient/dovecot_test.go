package imapclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/mailservers"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

func TestMain(m *testing.M) { mailservers.Main(m) }

// domainChecker is the trust space of the tests: one domain.
type domainChecker string

func (d domainChecker) CheckRecipient(_ context.Context, address string) error {
	if !strings.HasSuffix(address, "@"+string(d)) {
		return fmt.Errorf("%s is outside the test trust space", address)
	}
	return nil
}

// sendViaPostfix submits a short message for to through the shared Postfix.
func sendViaPostfix(t *testing.T, s *mailservers.Servers, to, subject string) {
	t.Helper()
	sendSized(t, s, to, subject, 0)
}

// receiveUntil runs Receive until a message with subject arrives.
func receiveUntil(t *testing.T, s *mailservers.Servers, c *Client, subject string) *collector {
	t.Helper()
	col := &collector{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if err := c.Receive(ctx, col.handle); err != nil {
			t.Fatalf("%v%s", err, s.Logs())
		}
		for _, b := range col.bodies {
			if strings.Contains(b, "Subject: "+subject) {
				return col
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("message %q never arrived%s", subject, s.Logs())
	return nil
}

func TestDovecotSendAndReceiveBack(t *testing.T) {
	s := mailservers.Shared(t)
	to := "alice@" + s.Domain
	subject := "roundtrip-" + time.Now().Format("150405.000000")
	sendViaPostfix(t, s, to, subject)
	c := newClient(t, Options{
		Addr: s.IMAPAddr,
		TLS:  tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost"},
		Auth: tlsauth.Auth{Mechanism: tlsauth.Plain, Username: to, Password: s.Password},
	})
	receiveUntil(t, s, c, subject)
	// Marked seen: a new client finds nothing more.
	c2 := newClient(t, Options{
		Addr: s.IMAPAddr,
		TLS:  tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost"},
		Auth: tlsauth.Auth{Mechanism: tlsauth.Plain, Username: to, Password: s.Password},
	})
	col := &collector{}
	if n, err := c2.ReceiveCount(context.Background(), col.handle); n != 0 || err != nil {
		t.Fatalf("after marking seen: n=%d err=%v", n, err)
	}
}

func TestDovecotExternalWithClientCertificate(t *testing.T) {
	s := mailservers.Shared(t)
	to := "bob@" + s.Domain
	subject := "external-" + time.Now().Format("150405.000000")
	sendViaPostfix(t, s, to, subject)
	cert, err := s.Client(to)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{
		Addr:        s.IMAPSAddr,
		ImplicitTLS: true,
		TLS:         tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost", Certificate: &cert.TLS},
		Auth:        tlsauth.Auth{Mechanism: tlsauth.External},
	})
	receiveUntil(t, s, c, subject)
}

func TestDovecotRefusesWrongPasswordAndOldTLS(t *testing.T) {
	s := mailservers.Shared(t)
	base := Options{
		Addr: s.IMAPAddr,
		TLS:  tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost"},
		Auth: tlsauth.Auth{Mechanism: tlsauth.Plain, Username: "alice@" + s.Domain, Password: "wrong"},
	}
	c := newClient(t, base)
	err := c.Receive(context.Background(), (&collector{}).handle)
	var ce *tlsauth.ConnError
	if !errors.As(err, &ce) || ce.Op != "auth" {
		t.Fatalf("wrong password: %v", err)
	}
	noCert := base
	noCert.Auth = tlsauth.Auth{Mechanism: tlsauth.External}
	c = newClient(t, noCert)
	if err := c.Receive(context.Background(), (&collector{}).handle); !errors.As(err, &ce) || ce.Op != "auth" {
		t.Fatalf("EXTERNAL without certificate: %v", err)
	}
	old := base
	old.Auth.Password = s.Password
	old.TLS.MinVersion, old.TLS.MaxVersion, old.TLS.AllowLegacyVersionsForTests = 0x0302, 0x0302, true
	c = newClient(t, old)
	if err := c.Receive(context.Background(), (&collector{}).handle); !errors.As(err, &ce) || ce.Op != "tls" {
		t.Fatalf("TLS 1.1: %v", err)
	}
}

func TestDovecotXOAuth2(t *testing.T) {
	s := mailservers.Shared(t)
	to := "alice@" + s.Domain
	subject := "xoauth2-" + time.Now().Format("150405.000000")
	sendViaPostfix(t, s, to, subject)
	// The first token is revoked before use (as when PSC ends a session):
	// the client asks for a new one and logs in with it.
	var issued []string
	src := tlsauth.TokenSourceFunc(func(context.Context) (string, time.Time, error) {
		tok := s.IssueToken(to, 5*time.Minute)
		issued = append(issued, tok)
		if len(issued) == 1 {
			s.RevokeToken(tok)
		}
		return tok, time.Now().Add(5 * time.Minute), nil
	})
	c := newClient(t, Options{
		Addr: s.IMAPAddr,
		TLS:  tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost"},
		Auth: tlsauth.Auth{Mechanism: tlsauth.XOAuth2, Username: to, Tokens: src},
	})
	receiveUntil(t, s, c, subject)
	if len(issued) != 2 {
		t.Fatalf("%d tokens asked for, want 2 (one refused, one fresh)", len(issued))
	}
}

// Against Dovecot too, a message is flagged \Seen only once the handler
// stored it: the fetch itself (BODY.PEEK) leaves it new, so a handler that
// fails gets it again on the next run.
func TestDovecotHandlerFailureLeavesMessageNew(t *testing.T) {
	s := mailservers.Shared(t)
	to := "dpi@" + s.Domain
	subject := "keepnew-" + time.Now().Format("150405.000000")
	sendViaPostfix(t, s, to, subject)
	opt := Options{
		Addr: s.IMAPAddr,
		TLS:  tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost"},
		Auth: tlsauth.Auth{Mechanism: tlsauth.Plain, Username: to, Password: s.Password},
	}
	failing := newClient(t, opt)
	errFull := errors.New("disk full")
	var failedID string
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for failedID == "" && ctx.Err() == nil {
		err := failing.Receive(ctx, func(_ context.Context, m *mssante.Received) error {
			data, err := io.ReadAll(m.Body)
			if err != nil {
				return err
			}
			if strings.Contains(string(data), "Subject: "+subject) {
				return errFull // read in full, then refused
			}
			return nil
		})
		var he *HandlerError
		switch {
		case errors.As(err, &he) && errors.Is(err, errFull):
			failedID = he.ID
		case err != nil:
			t.Fatalf("%v%s", err, s.Logs())
		default:
			time.Sleep(100 * time.Millisecond) // not delivered yet
		}
	}
	if failedID == "" {
		t.Fatalf("message %q never arrived%s", subject, s.Logs())
	}
	// A new session (another process) is handed the same message.
	col := receiveUntil(t, s, newClient(t, opt), subject)
	if !slices.Contains(col.ids, failedID) {
		t.Fatalf("handed %v after the failure, want %s again", col.ids, failedID)
	}
}
