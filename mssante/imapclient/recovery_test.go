package imapclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	goimapclient "github.com/emersion/go-imap/v2/imapclient"

	"github.com/mssante-go/sdk/internal/faultproxy"
	"github.com/mssante-go/sdk/internal/mailservers"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// The recovery tests put internal/faultproxy between Watch and the real
// Dovecot, break the first connection at one point (Once), and check that
// Watch reconnects and stores the message, and that a refusal ends it.

// sendSized submits a message of about size bytes (at least its header and
// one line) to to through the shared Postfix.
func sendSized(t *testing.T, s *mailservers.Servers, to, subject string, size int) {
	t.Helper()
	cert, err := s.Client("dpi@" + s.Domain)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := smtpclient.New(&smtpclient.Options{Addr: s.SubmissionAddr, RecipientChecker: domainChecker(s.Domain),
		TLS: tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost", Certificate: &cert.TLS}})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var b strings.Builder
	b.WriteString("From: dpi@" + s.Domain + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\nCompte rendu.\r\n")
	for b.Len() < size {
		b.WriteString(strings.Repeat("abcdefghij", 7) + "\r\n")
	}
	if _, err := sc.Send(context.Background(), &mssante.Envelope{From: "dpi@" + s.Domain, To: []string{to}}, strings.NewReader(b.String())); err != nil {
		t.Fatalf("%v%s", err, s.Logs())
	}
}

// store is a handler that keeps every message it could read whole and
// reports when the one with subject is stored.
type store struct {
	subject string
	done    chan struct{}
	mu      sync.Mutex
	calls   map[string]int // handler calls per message ID, failed reads included
	stored  map[string]bool
}

func newStore(subject string) *store {
	return &store{subject: subject, done: make(chan struct{}), calls: map[string]int{}, stored: map[string]bool{}}
}

func (st *store) handle(_ context.Context, m *mssante.Received) error {
	data, err := io.ReadAll(m.Body)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.calls[m.ID]++
	if err != nil {
		return err // the session broke under us: not stored
	}
	if int64(len(data)) != m.Size {
		return fmt.Errorf("%d bytes of %d", len(data), m.Size)
	}
	if !st.stored[m.ID] && strings.Contains(string(data), "Subject: "+st.subject) {
		close(st.done)
	}
	st.stored[m.ID] = true
	return nil
}

// target returns how many times the handler was called for the message
// handed most often (the target: the others are handed once).
func (st *store) target() (calls int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, n := range st.calls {
		calls = max(calls, n)
	}
	return calls
}

func TestDovecotWatchRecovers(t *testing.T) {
	s := mailservers.Shared(t)
	to := "dpi@" + s.Domain // a mailbox the other tests of this package leave alone
	const size = 256 << 10  // a FETCH much larger than the TLS handshake and the commands
	for _, tt := range []struct {
		name  string
		rule  faultproxy.Rule
		calls int // handler calls of the message: 2 when it was handed again
	}{
		{"connection cut after the greeting", faultproxy.Rule{Fault: faultproxy.CutAfterGreeting, Once: true}, 1},
		{"TLS handshake reset", faultproxy.Rule{Fault: faultproxy.CutAtTLSHandshake, Action: faultproxy.Reset, Once: true}, 1},
		{"connection cut in the middle of FETCH", faultproxy.Rule{Fault: faultproxy.CutMidDownload, Threshold: 64 << 10, Once: true}, 2},
		{"server stalled in the middle of FETCH (timeout)", faultproxy.Rule{Fault: faultproxy.CutMidDownload, Threshold: 64 << 10, Action: faultproxy.Stall, Once: true}, 2},
		{"connection cut before \\Seen is set", faultproxy.Rule{Fault: faultproxy.CutUploadAfterDownload, Threshold: 64 << 10, Once: true}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			subject := "watch-" + time.Now().Format("150405.000000")
			sendSized(t, s, to, subject, size)
			p, err := faultproxy.Start(s.IMAPAddr, tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			var logs strings.Builder
			var logMu sync.Mutex
			c := newClient(t, Options{
				Addr:           p.Addr(),
				TLS:            tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost"},
				Auth:           tlsauth.Auth{Mechanism: tlsauth.Plain, Username: to, Password: s.Password},
				CommandTimeout: 2 * time.Second,
				PollInterval:   200 * time.Millisecond,
				Retry:          tlsauth.RetryOptions{Min: 100 * time.Millisecond, Max: time.Second},
				Logger:         slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil)),
			})
			st := newStore(subject)
			ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- c.Watch(ctx, st.handle) }()
			select {
			case <-st.done:
			case err := <-done:
				t.Fatalf("Watch returned %v before the message was stored%s", err, s.Logs())
			case <-ctx.Done():
				t.Fatalf("message never stored%s", s.Logs())
			}
			// Stored: Watch then flags it \Seen (after the cut, on a new
			// session, where the message is handed again first).
			for dovecotUnseen(t, s, to) != 0 {
				if ctx.Err() != nil {
					t.Fatalf("the message was never flagged \\Seen%s", s.Logs())
				}
				time.Sleep(50 * time.Millisecond)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Watch returned %v", err)
			}
			logMu.Lock()
			t.Logf("%s", strings.TrimSpace(logs.String()))
			logMu.Unlock()
			if p.Cuts() != 1 || p.Conns() < 2 {
				t.Fatalf("%d cuts, %d connections: the fault did not happen, or Watch did not reconnect", p.Cuts(), p.Conns())
			}
			if got := st.target(); got != tt.calls {
				t.Fatalf("the message was handed %d times, want %d", got, tt.calls)
			}
		})
	}
}

// dovecotUnseen returns the number of messages of the address's INBOX not flagged
// \Seen, asked on a session of its own (STATUS, which changes nothing).
func dovecotUnseen(t *testing.T, s *mailservers.Servers, address string) int {
	t.Helper()
	ic, err := goimapclient.DialStartTLS(s.IMAPAddr, &goimapclient.Options{
		TLSConfig: &tls.Config{RootCAs: s.PKI.Pool, ServerName: "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	if err := ic.Login(address, s.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	st, err := ic.Status("INBOX", &imap.StatusOptions{NumUnseen: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return int(*st.NumUnseen)
}

// TestDovecotWatchRefusalIsFinal: refused credentials end Watch at once.
func TestDovecotWatchRefusalIsFinal(t *testing.T) {
	s := mailservers.Shared(t)
	p, err := faultproxy.Start(s.IMAPAddr, faultproxy.Rule{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := newClient(t, Options{Addr: p.Addr(), TLS: tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost"},
		Auth:  tlsauth.Auth{Mechanism: tlsauth.Plain, Username: "dpi@" + s.Domain, Password: "wrong"},
		Retry: tlsauth.RetryOptions{Min: 10 * time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = c.Watch(ctx, newStore("-").handle)
	var ce *tlsauth.ConnError
	if !errors.As(err, &ce) || ce.Op != "auth" || ce.Retry {
		t.Fatalf("Watch returned %v, want a permanent auth ConnError", err)
	}
	if p.Conns() != 1 {
		t.Fatalf("%d connections: refused credentials were retried", p.Conns())
	}
}
