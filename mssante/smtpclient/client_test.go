package smtpclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/mailaddr"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

const testMsg = "From: dpi@hopital.mssante.test\r\nTo: dr@cabinet.mssante.test\r\nSubject: test\r\n\r\nbonjour\r\n.leading dot\r\n"

// testTrustSpace is the liste blanche of the tests: the domains of the
// go-smtp test server and of internal/mailservers.
var testTrustSpace = listeBlanche{"hopital.mssante.test": true, "cabinet.mssante.test": true}

// newClient returns a client checking recipients against testTrustSpace
// unless opt has its own checker.
func newClient(t *testing.T, opt Options) *Client {
	t.Helper()
	if opt.RecipientChecker == nil && !opt.InsecureSkipRecipientCheck {
		opt.RecipientChecker = testTrustSpace
	}
	c, err := New(&opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c *Client, to ...string) (*mssante.SendResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.Send(ctx, &mssante.Envelope{From: "dpi@hopital.mssante.test", To: to}, strings.NewReader(testMsg))
}

func TestSendAccepted(t *testing.T) {
	ts := newTestServer(t, nil)
	opt := ts.options()
	opt.TLS.Certificate = &cliCert.TLS
	c := newClient(t, opt)
	res, err := send(t, c, "dr@cabinet.mssante.test", "sec@cabinet.mssante.test")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Accepted(); len(got) != 2 {
		t.Fatalf("accepted %v", got)
	}
	msgs := ts.received()
	if len(msgs) != 1 || string(msgs[0].body) != testMsg || len(msgs[0].rcpts) != 2 {
		t.Fatalf("server received %+v", msgs)
	}
	st := ts.tlsStates[0]
	if st.Version != tls.VersionTLS12 || !slices.Contains(tlsauth.CipherSuites(), st.CipherSuite) {
		t.Errorf("TLS version %x suite %x, want TLS 1.2 with an MSSanté suite", st.Version, st.CipherSuite)
	}
	if len(st.PeerCertificates) != 1 || st.PeerCertificates[0].Subject.CommonName != "dpi@hopital.mssante.test" {
		t.Errorf("client certificate not presented")
	}
	if s := c.Stats(); s.Dials != 1 || s.Messages != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestPerRecipientResults(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) {
		ts.rcptReply["unknown@cabinet.mssante.test"] = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
		ts.rcptReply["busy@cabinet.mssante.test"] = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Try later"}
	})
	c := newClient(t, ts.options())
	res, err := send(t, c, "dr@cabinet.mssante.test", "unknown@cabinet.mssante.test", "busy@cabinet.mssante.test")
	var pe *mssante.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 2 || pe.Total != 3 {
		t.Fatalf("err = %v, want a PartialError with 2 failures", err)
	}
	if mssante.IsTemporary(err) {
		t.Error("a permanent failure among the recipients: not temporary")
	}
	want := []struct {
		status mssante.RecipientStatus
		code   int
		ec     string
	}{{mssante.StatusAccepted, 0, ""}, {mssante.StatusPermanentFailure, 550, "5.1.1"}, {mssante.StatusTemporaryFailure, 451, "4.3.2"}}
	for i, w := range want {
		rr := res.Recipients[i]
		if rr.Status != w.status {
			t.Errorf("%s: status %v, want %v", rr.Recipient, rr.Status, w.status)
		}
		var se *mssante.SMTPError
		if w.code != 0 && (!errors.As(rr.Err, &se) || se.Code != w.code || se.EnhancedCode != w.ec) {
			t.Errorf("%s: err %v, want %d %s", rr.Recipient, rr.Err, w.code, w.ec)
		}
	}
	if len(ts.received()) != 1 {
		t.Fatal("the accepted recipient did not get the message")
	}
	// Only temporary failures: the error is temporary.
	res, err = send(t, c, "busy@cabinet.mssante.test")
	if !mssante.IsTemporary(err) || res.Recipients[0].Status != mssante.StatusTemporaryFailure {
		t.Fatalf("err %v, want temporary", err)
	}
	// The refused transaction was reset and the session reused.
	if _, err := send(t, c, "dr@cabinet.mssante.test"); err != nil {
		t.Fatal(err)
	}
	if n := ts.sessionCount(); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
}

type listeBlanche map[string]bool

// errOutside is the refusal of listeBlanche.
var errOutside = errors.New("outside the trust space")

func (l listeBlanche) CheckRecipient(_ context.Context, addr string) error {
	_, domain, _ := strings.Cut(addr, "@")
	if !l[domain] {
		return fmt.Errorf("%w: %s", errOutside, domain)
	}
	return nil
}

func TestRecipientCheckerBeforeAnyByte(t *testing.T) {
	ts := newTestServer(t, nil)
	opt := ts.options()
	opt.RecipientChecker = listeBlanche{"cabinet.mssante.test": true}
	c := newClient(t, opt)
	res, err := send(t, c, "someone@gmail.com")
	if !errors.Is(err, errOutside) || res.Recipients[0].Status != mssante.StatusPermanentFailure {
		t.Fatalf("err %v, res %+v", err, res)
	}
	if n := ts.sessionCount(); n != 0 {
		t.Fatalf("the server was contacted (%d sessions) for a refused recipient", n)
	}
	res, err = send(t, c, "someone@gmail.com", "dr@cabinet.mssante.test")
	if err == nil || len(res.Accepted()) != 1 {
		t.Fatalf("err %v, accepted %v", err, res.Accepted())
	}
	if m := ts.received(); len(m) != 1 || len(m[0].rcpts) != 1 || m[0].rcpts[0] != "dr@cabinet.mssante.test" {
		t.Fatalf("server got %+v", m)
	}
}

func TestDSNParameters(t *testing.T) {
	ts := newTestServer(t, nil)
	c := newClient(t, ts.options())
	env := &mssante.Envelope{
		From: "dpi@hopital.mssante.test", To: []string{"dr@cabinet.mssante.test"},
		DSN: &mssante.DSNRequest{Notify: []string{"SUCCESS", "FAILURE"}, Return: "HDRS", EnvelopeID: "msg-42+x", OriginalRecipient: true},
	}
	if _, err := c.Send(context.Background(), env, strings.NewReader(testMsg)); err != nil {
		t.Fatal(err)
	}
	m := ts.received()[0]
	if m.mailOpts.Return != smtp.DSNReturnHeaders || m.mailOpts.EnvelopeID != "msg-42+x" || m.mailOpts.Size != int64(len(testMsg)) {
		t.Errorf("MAIL options %+v", m.mailOpts)
	}
	ro := m.rcptOpts[0]
	if len(ro.Notify) != 2 || ro.Notify[0] != smtp.DSNNotifySuccess || ro.OriginalRecipient != "dr@cabinet.mssante.test" || ro.OriginalRecipientType != smtp.DSNAddressTypeRFC822 {
		t.Errorf("RCPT options %+v", ro)
	}
}

func TestInvalidEnvelope(t *testing.T) {
	ts := newTestServer(t, nil)
	c := newClient(t, ts.options())
	for _, env := range []*mssante.Envelope{
		nil,
		{From: "", To: []string{"a@b.fr"}},
		{From: "a@b.fr"},
		{From: "a@b.fr>\r\nRSET", To: []string{"x@y.fr"}},
		{From: "a\u00a0@b.fr", To: []string{"x@y.fr"}},
		{From: "a@b.fr", To: []string{"x@y.fr"}, DSN: &mssante.DSNRequest{Return: "ALL"}},
		{From: "a@b.fr", To: []string{"x@y.fr"}, DSN: &mssante.DSNRequest{Notify: []string{"NEVER", "SUCCESS"}}},
		{From: "a@b.fr", To: []string{"x@y.fr"}, DSN: &mssante.DSNRequest{EnvelopeID: "a b"}},
	} {
		if _, err := c.Send(context.Background(), env, strings.NewReader(testMsg)); !errors.Is(err, ErrInvalidEnvelope) {
			t.Errorf("%+v: err %v, want ErrInvalidEnvelope", env, err)
		}
	}
	// An invalid recipient is refused alone, before any byte is sent, as
	// the recipient check does.
	for _, to := range []string{"x@cabinet.mssante.test>\r\nDATA", "nobody", "x%gmail.com@cabinet.mssante.test", "x@cabinet.mssante.test\u00a0"} {
		res, err := c.Send(context.Background(), &mssante.Envelope{From: "a@b.fr", To: []string{to}}, strings.NewReader(testMsg))
		if !errors.Is(err, mailaddr.ErrInvalid) || res.Recipients[0].Status != mssante.StatusPermanentFailure || res.Recipients[0].Recipient != to {
			t.Errorf("%q: err %v", to, err)
		}
	}
	if ts.sessionCount() != 0 {
		t.Error("the server was contacted for invalid envelopes")
	}
}

// TestWireForm: the server receives the address the checker saw, in its
// normalised form.
func TestWireForm(t *testing.T) {
	ts := newTestServer(t, nil)
	var seen []string
	opt := ts.options()
	opt.RecipientChecker = checkerFunc(func(_ context.Context, a string) error { seen = append(seen, a); return nil })
	c := newClient(t, opt)
	res, err := c.Send(context.Background(), &mssante.Envelope{From: "DPI@Hopital.MSSante.test", To: []string{"Dr@CABINET.mssante.test"}}, strings.NewReader(testMsg))
	if err != nil || res.Recipients[0].Recipient != "Dr@CABINET.mssante.test" {
		t.Fatalf("%v %+v", err, res)
	}
	m := ts.received()
	if len(seen) != 1 || seen[0] != "Dr@cabinet.mssante.test" || len(m) != 1 || m[0].rcpts[0] != seen[0] || m[0].from != "DPI@hopital.mssante.test" {
		t.Fatalf("checked %v, server got %+v", seen, m)
	}
}

type checkerFunc func(context.Context, string) error

func (f checkerFunc) CheckRecipient(ctx context.Context, a string) error { return f(ctx, a) }

func TestRecipientCheckerRequired(t *testing.T) {
	ts := newTestServer(t, nil)
	opt := ts.options()
	if _, err := New(&opt); !errors.Is(err, ErrNoRecipientChecker) {
		t.Fatalf("err %v, want ErrNoRecipientChecker", err)
	}
	var logged strings.Builder
	opt.InsecureSkipRecipientCheck = true
	opt.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	c := newClient(t, opt)
	if !strings.Contains(logged.String(), "InsecureSkipRecipientCheck") {
		t.Errorf("no warning: %q", logged.String())
	}
	if _, err := send(t, c, "someone@gmail.com"); err != nil {
		t.Fatalf("opted out: %v", err)
	}
}

func TestConnectionReuseAndPoolBound(t *testing.T) {
	ts := newTestServer(t, nil)
	opt := ts.options()
	opt.MaxConns = 2
	c := newClient(t, opt)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 20 {
		wg.Go(func() {
			if _, err := c.Send(context.Background(), &mssante.Envelope{From: "dpi@hopital.mssante.test", To: []string{"dr@cabinet.mssante.test"}}, strings.NewReader(testMsg)); err != nil {
				t.Error(err)
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := ts.sessionCount(); n < 1 || n > 2 {
		t.Errorf("%d sessions for 20 messages with MaxConns=2", n)
	}
	if s := c.Stats(); s.Messages != 20 || s.Dials != int64(ts.sessionCount()) {
		t.Errorf("stats %+v", s)
	}
}

func TestMaxMessagesPerConn(t *testing.T) {
	ts := newTestServer(t, nil)
	opt := ts.options()
	opt.MaxMessagesPerConn = 2
	c := newClient(t, opt)
	for range 5 {
		if _, err := send(t, c, "dr@cabinet.mssante.test"); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.Stats().Dials; n != 3 {
		t.Errorf("%d dials for 5 messages at 2 per connection", n)
	}
}

func TestStalePooledConnectionIsReplaced(t *testing.T) {
	ts := newTestServer(t, nil)
	c := newClient(t, ts.options())
	if _, err := send(t, c, "dr@cabinet.mssante.test"); err != nil {
		t.Fatal(err)
	}
	// The server drops the idle session (restart, idle timeout).
	c.pool.mu.Lock()
	c.pool.idle[0].raw.Close()
	c.pool.mu.Unlock()
	if _, err := send(t, c, "dr@cabinet.mssante.test"); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Dials; n != 2 {
		t.Errorf("%d dials, want 2", n)
	}
}

func TestContextDeadline(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) { ts.dataDelay = 3 * time.Second })
	c := newClient(t, ts.options())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := c.Send(ctx, &mssante.Envelope{From: "dpi@hopital.mssante.test", To: []string{"dr@cabinet.mssante.test"}}, strings.NewReader(testMsg))
	if time.Since(start) > 2*time.Second {
		t.Fatalf("Send took %v despite a 300ms deadline", time.Since(start))
	}
	// The deadline fired after the final dot, while the server was
	// processing the message: it may deliver it, so the outcome is unknown,
	// not a temporary failure that a caller would retry blindly.
	if !errors.Is(err, context.DeadlineExceeded) || !mssante.IsOutcomeUnknown(err) || mssante.IsTemporary(err) ||
		res.Recipients[0].Status != mssante.StatusUnknown {
		t.Fatalf("err %v, status %v", err, res.Recipients[0].Status)
	}
	var ce *tlsauth.ConnError
	if !errors.As(err, &ce) {
		t.Fatalf("no *ConnError under %v", err)
	}
}

func TestXOAuth2TokenRefresh(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) { ts.tokens = map[string]bool{"token-2": true, "token-3": true} })
	var calls atomic.Int32
	src := tlsauth.TokenSourceFunc(func(context.Context) (string, time.Time, error) {
		n := calls.Add(1)
		return fmt.Sprintf("token-%d", n), time.Now().Add(5 * time.Minute), nil
	})
	opt := ts.options()
	opt.Auth = tlsauth.Auth{Mechanism: tlsauth.XOAuth2, Username: "dr@cabinet.mssante.test", Tokens: src}
	c := newClient(t, opt)
	// token-1 is refused (revoked): the client gets token-2 and retries.
	if _, err := send(t, c, "x@cabinet.mssante.test"); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d token requests, want 2", calls.Load())
	}
	if err := c.RefreshToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := send(t, c, "x@cabinet.mssante.test"); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || ts.authTokens[len(ts.authTokens)-1] != "token-3" {
		t.Fatalf("after RefreshToken: %d calls, tokens %v", calls.Load(), ts.authTokens)
	}
	// A token that the server keeps refusing: a permanent auth error.
	ts.mu.Lock()
	ts.tokens = map[string]bool{}
	ts.mu.Unlock()
	c.RefreshToken(context.Background())
	_, err := send(t, c, "x@cabinet.mssante.test")
	var ce *tlsauth.ConnError
	if !errors.As(err, &ce) || ce.Op != "auth" || mssante.IsTemporary(err) {
		t.Fatalf("err %v, want a permanent auth ConnError", err)
	}
}

func TestTokenCacheRefreshesBeforeExpiry(t *testing.T) {
	var calls int
	src := tlsauth.TokenSourceFunc(func(context.Context) (string, time.Time, error) {
		calls++
		return fmt.Sprint("t", calls), time.Now().Add(40 * time.Second), nil
	})
	tc := tlsauth.NewTokenCache(src, 30*time.Second)
	a, _, _ := tc.Token(context.Background())
	b, _, _ := tc.Token(context.Background())
	if a != b || calls != 1 {
		t.Fatalf("cached token not reused: %s %s %d", a, b, calls)
	}
	tc2 := tlsauth.NewTokenCache(src, time.Minute) // always within the margin
	tc2.Token(context.Background())
	tc2.Token(context.Background())
	if calls != 3 {
		t.Fatalf("token within margin of expiry reused (%d calls)", calls)
	}
}

func TestPlainOnlyOnLoopback(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) { ts.plain = true })
	opt := ts.options()
	opt.Auth = tlsauth.Auth{Mechanism: tlsauth.Plain, Username: "alice", Password: "secret"}
	c := newClient(t, opt)
	if _, err := send(t, c, "x@cabinet.mssante.test"); err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%+v %+v", c, c.ep); strings.Contains(s, "secret") {
		t.Errorf("a printed Client shows the password: %s", s)
	}
	opt.Addr = "smtp.operateur.example:587"
	if _, err := New(&opt); !errors.Is(err, tlsauth.ErrPlainNotLoopback) {
		t.Fatalf("err %v, want ErrPlainNotLoopback", err)
	}
}

func TestTLSRequirements(t *testing.T) {
	if _, err := New(&Options{Addr: "127.0.0.1:1"}); !errors.Is(err, tlsauth.ErrNoRootCAs) {
		t.Errorf("no roots: err %v", err)
	}
	// A server that only speaks TLS 1.3 is refused (TLS 1.2 only).
	ts := newTestServer(t, func(ts *testServer) { ts.tlsCfg.MinVersion = tls.VersionTLS13 })
	c := newClient(t, ts.options())
	_, err := send(t, c, "x@cabinet.mssante.test")
	var ce *tlsauth.ConnError
	if !errors.As(err, &ce) || ce.Op != "tls" {
		t.Errorf("TLS 1.3-only server: err %v, want a tls ConnError", err)
	}
	// A server certificate from another CA is refused.
	other := newTestServer(t, nil)
	opt := other.options()
	otherPKI, _ := tlsauthTestPKI()
	opt.TLS.RootCAs = otherPKI
	c = newClient(t, opt)
	if _, err := send(t, c, "x@cabinet.mssante.test"); !errors.As(err, &ce) || ce.Op != "tls" || mssante.IsTemporary(err) {
		t.Errorf("unknown CA: err %v", err)
	}
}

func TestCloseRefusesSend(t *testing.T) {
	ts := newTestServer(t, nil)
	c := newClient(t, ts.options())
	c.Close()
	if _, err := send(t, c, "x@cabinet.mssante.test"); !errors.Is(err, ErrClosed) {
		t.Fatalf("err %v", err)
	}
}

func TestNoPlaintextFallback(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) { ts.noStartTLS = true })
	c := newClient(t, ts.options())
	_, err := send(t, c, "dr@cabinet.mssante.test")
	var ce *tlsauth.ConnError
	if !errors.As(err, &ce) || ce.Op != "starttls" || mssante.IsTemporary(err) {
		t.Fatalf("err %v, want a permanent starttls ConnError", err)
	}
	if len(ts.received()) != 0 {
		t.Fatal("a message went out in plaintext")
	}
}

func TestImplicitTLS(t *testing.T) {
	ts := newTestServer(t, nil)
	l, err := tls.Listen("tcp", "127.0.0.1:0", ts.tlsCfg)
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.Serve(l)
	opt := ts.options()
	opt.Addr, opt.ImplicitTLS = l.Addr().String(), true
	c := newClient(t, opt)
	if _, err := send(t, c, "dr@cabinet.mssante.test"); err != nil {
		t.Fatal(err)
	}
	if len(ts.received()) != 1 {
		t.Fatal("not received")
	}
}

func TestServerClosingDuringRecipients(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) {
		ts.rcptReply["second@cabinet.mssante.test"] = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down"}
	})
	c := newClient(t, ts.options())
	res, err := send(t, c, "first@cabinet.mssante.test", "second@cabinet.mssante.test", "third@cabinet.mssante.test")
	if !mssante.IsTemporary(err) || len(res.Accepted()) != 0 {
		t.Fatalf("err %v, accepted %v: a 421 aborts the whole transaction", err, res.Accepted())
	}
	if len(ts.received()) != 0 {
		t.Fatal("message delivered despite 421")
	}
	// The session is not reused after 421.
	ts.mu.Lock()
	delete(ts.rcptReply, "second@cabinet.mssante.test")
	ts.mu.Unlock()
	if _, err := send(t, c, "first@cabinet.mssante.test"); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Dials; n != 2 {
		t.Errorf("%d dials, want 2", n)
	}
}
