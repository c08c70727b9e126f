package smtpclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/faultproxy"
	"github.com/mssante-go/sdk/internal/mailservers"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// The recovery tests put internal/faultproxy between the client and the
// real Postfix, break the first connection at one point (Once), and check
// that Send retries on a new connection and that the message is delivered
// exactly once; and that what a retry cannot fix is not retried.

// recoveryMessage is a message of size bytes with a unique subject.
func recoveryMessage(s *mailservers.Servers, to, subject string, size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: dpi@" + s.Domain + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@" + s.Domain + ">\r\n\r\n")
	line := strings.Repeat("0123456789", 7) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.Bytes()
}

// proxied returns a client of the shared Postfix through a fault proxy; its
// retries are logged to the test.
func proxied(t *testing.T, rule faultproxy.Rule) (*mailservers.Servers, *Client, *faultproxy.Proxy) {
	t.Helper()
	s, opt := postfixOptions(t)
	p, err := faultproxy.Start(s.SubmissionAddr, rule)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	opt.Addr = p.Addr()
	opt.CommandTimeout = 3 * time.Second // a stalled server is given up on quickly
	opt.Retry = tlsauth.RetryOptions{Min: 100 * time.Millisecond, Max: time.Second}
	opt.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return s, newClient(t, opt), p
}

// testWriter writes to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// deliveredOnce waits for the message and checks that no second copy
// arrives.
func deliveredOnce(t *testing.T, s *mailservers.Servers, to, subject string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Delivered(ctx, to, "Subject: "+subject); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got, _ := s.Delivered(ctx, to, "Subject: "+subject); len(got) != 1 {
		t.Fatalf("%d copies delivered", len(got))
	}
}

func TestPostfixRecovers(t *testing.T) {
	for _, tt := range []struct {
		name string
		rule faultproxy.Rule
		size int
	}{
		{"connection cut after the greeting", faultproxy.Rule{Fault: faultproxy.CutAfterGreeting, Once: true}, 4 << 10},
		{"TLS handshake reset", faultproxy.Rule{Fault: faultproxy.CutAtTLSHandshake, Action: faultproxy.Reset, Once: true}, 4 << 10},
		{"server stalled after the greeting (timeout)", faultproxy.Rule{Fault: faultproxy.CutAfterGreeting, Action: faultproxy.Stall, Once: true}, 4 << 10},
		// Larger than what the sockets buffer, so that the client sees the
		// cut while it writes, before the final dot.
		{"connection cut in the middle of DATA", faultproxy.Rule{Fault: faultproxy.CutMidUpload, Threshold: 16 << 10, Once: true}, 8 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, c, p := proxied(t, tt.rule)
			to := "alice@" + s.Domain
			subject := "recover-" + time.Now().Format("150405.000000")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := c.Send(ctx, &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{to}},
				bytes.NewReader(recoveryMessage(s, to, subject, tt.size)))
			if err != nil || len(res.Accepted()) != 1 {
				t.Fatalf("err %v, result %+v%s", err, res, s.Logs())
			}
			if p.Cuts() != 1 || p.Conns() < 2 {
				t.Fatalf("%d cuts, %d connections: the fault did not happen, or was not retried", p.Cuts(), p.Conns())
			}
			deliveredOnce(t, s, to, subject)
		})
	}
}

// TestPostfixMidDataNotRetriedWhenUnreadable: a message cut in the middle of
// DATA is sent again only if it can be read again; otherwise it is a
// temporary failure, and the server discarded the incomplete copy.
func TestPostfixMidDataNotRetriedWhenUnreadable(t *testing.T) {
	s, c, p := proxied(t, faultproxy.Rule{Fault: faultproxy.CutMidUpload, Threshold: 16 << 10, Once: true})
	to := "alice@" + s.Domain
	subject := "cut-stream-" + time.Now().Format("150405.000000")
	msg := io.MultiReader(bytes.NewReader(recoveryMessage(s, to, subject, 8<<20))) // not an io.Seeker
	res, err := c.Send(context.Background(), &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{to}}, msg)
	if res == nil || res.Recipients[0].Status != mssante.StatusTemporaryFailure || !mssante.IsTemporary(err) {
		t.Fatalf("err %v, result %+v", err, res)
	}
	if p.Conns() != 1 {
		t.Fatalf("%d connections: retried a message it could not read again", p.Conns())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if got, _ := s.Delivered(ctx, to, "Subject: "+subject); len(got) != 0 {
		t.Fatal("the incomplete message was delivered")
	}
}

// TestPostfixRefusalsNotRetried: a certificate the server refuses, and no
// certificate at all, fail at once, on one connection.
func TestPostfixRefusalsNotRetried(t *testing.T) {
	other, err := tlsauthOtherClient()
	if err != nil {
		t.Fatal(err)
	}
	for name, cert := range map[string]*tls.Certificate{"no certificate": nil, "certificate from another CA": other} {
		t.Run(name, func(t *testing.T) {
			s, opt := postfixOptions(t)
			p, err := faultproxy.Start(s.SubmissionAddr, faultproxy.Rule{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			opt.Addr, opt.TLS.Certificate = p.Addr(), cert
			opt.Retry = tlsauth.RetryOptions{Min: 10 * time.Millisecond}
			c := newClient(t, opt)
			_, err = c.Send(context.Background(), &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{"alice@" + s.Domain}},
				strings.NewReader(postfixMsg(s, "alice@"+s.Domain, "refused")))
			var ce *tlsauth.ConnError
			if !errors.As(err, &ce) || ce.Retry || mssante.IsTemporary(err) {
				t.Fatalf("err %v, want a permanent ConnError", err)
			}
			if p.Conns() != 1 {
				t.Fatalf("%d connections: a refusal was retried", p.Conns())
			}
		})
	}
}
