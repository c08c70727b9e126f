package delivery

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/mailservers"
	"github.com/mssante-go/sdk/internal/pgtest"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

func TestMain(m *testing.M) {
	if childMain() {
		return
	}
	code := m.Run()
	pgtest.StopShared()
	mailservers.StopShared()
	os.Exit(code)
}

// databases returns the databases a test runs on: a SQLite file in a temp
// dir, and a fresh database on the private PostgreSQL of the test binary.
func databases(t *testing.T) map[string]string {
	return map[string]string{
		"sqlite":   "sqlite:" + filepath.Join(t.TempDir(), "outbox.db"),
		"postgres": pgtest.Database(t),
	}
}

// appTransport returns a transport that sends and receives as an
// applicative mailbox of the embedded operator (client certificate, SASL
// EXTERNAL on IMAP).
func appTransport(t testing.TB, op *mssantetest.Operator, addr string) mssante.Transport {
	t.Helper()
	cert, err := op.ClientCert(addr)
	if err != nil {
		t.Fatal(err)
	}
	tlsOpt := tlsauth.TLSOptions{RootCAs: op.RootCAs(), ServerName: "localhost", Certificate: &cert}
	s, err := smtpclient.New(&smtpclient.Options{Addr: op.SMTPAddr(), TLS: tlsOpt, MaxConns: 4, RecipientChecker: op.RecipientChecker()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := imapclient.New(&imapclient.Options{Addr: op.IMAPAddr(), TLS: tlsOpt, Auth: tlsauth.Auth{Mechanism: tlsauth.External}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); r.Close() })
	return mssante.WithReceiver(s, r)
}

// testMessage is a small message; extra header lines are added as given.
func testMessage(id, from string, to []string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: test %s\r\nMessage-ID: <%s>\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n",
		from, strings.Join(to, ", "), id, id, time.Now().Format(time.RFC1123Z))
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("\r\nBonjour.\r\n")
	return b.String()
}

// eventLog collects the events of OnEvent.
type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

// statuses returns address → status of a message.
func statuses(m *Message) map[string]Status {
	out := map[string]Status{}
	for _, r := range m.Recipients {
		out[r.Address] = r.Status
	}
	return out
}

// timeline returns the event types of a recipient's history.
func timeline(r Recipient) []string {
	var out []string
	for _, e := range r.History {
		out = append(out, string(e.Type))
	}
	return out
}

func mustOpen(t testing.TB, dsn string, opts *Options) *Outbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o, err := Open(ctx, dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}
