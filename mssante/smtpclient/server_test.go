package smtpclient

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// testServer is a loopback go-smtp server recording what it receives.
type testServer struct {
	t      testing.TB
	pki    *testpki.PKI
	addr   string
	srv    *smtp.Server
	tlsCfg *tls.Config

	mu         sync.Mutex
	sessions   int
	conns      map[*smtp.Conn]bool
	messages   []received
	rcptReply  map[string]*smtp.SMTPError // per recipient refusal
	tokens     map[string]bool            // XOAUTH2 tokens accepted; nil: no AUTH
	plain      bool                       // PLAIN offered (alice/secret)
	dataDelay  time.Duration
	keep       bool // keep the messages received (default true)
	noStartTLS bool
	tlsStates  []tls.ConnectionState
	authTokens []string
}

type received struct {
	from     string
	mailOpts smtp.MailOptions
	rcpts    []string
	rcptOpts []smtp.RcptOptions
	body     []byte
}

var (
	pkiOnce sync.Once
	pkiVal  *testpki.PKI
	srvCert *testpki.Issued
	cliCert *testpki.Issued
)

func testPKI(t testing.TB) *testpki.PKI {
	pkiOnce.Do(func() {
		var err error
		if pkiVal, err = testpki.New("Test IGC Santé Root"); err != nil {
			t.Fatal(err)
		}
		if srvCert, err = pkiVal.Server(); err != nil {
			t.Fatal(err)
		}
		if cliCert, err = pkiVal.Client("dpi@hopital.mssante.test", "dpi@hopital.mssante.test"); err != nil {
			t.Fatal(err)
		}
	})
	if pkiVal == nil {
		t.Fatal("no test PKI")
	}
	return pkiVal
}

func newTestServer(t testing.TB, configure func(*testServer)) *testServer {
	p := testPKI(t)
	ts := &testServer{t: t, pki: p, rcptReply: map[string]*smtp.SMTPError{}, keep: true}
	ts.tlsCfg = &tls.Config{
		Certificates: []tls.Certificate{srvCert.TLS},
		ClientCAs:    p.Pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
	}
	if configure != nil {
		configure(ts)
	}
	ts.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ts.mu.Lock()
		// go-smtp makes a new session after STARTTLS: count connections.
		if ts.conns == nil {
			ts.conns = map[*smtp.Conn]bool{}
		}
		if !ts.conns[c] {
			ts.conns[c] = true
			ts.sessions++
		}
		ts.mu.Unlock()
		return &testSession{ts: ts, c: c}, nil
	}))
	if !ts.noStartTLS {
		ts.srv.TLSConfig = ts.tlsCfg
	}
	ts.srv.Domain = "localhost"
	ts.srv.EnableDSN = true
	ts.srv.AllowInsecureAuth = false
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = l.Addr().String()
	go ts.srv.Serve(l)
	t.Cleanup(func() { ts.srv.Close() })
	return ts
}

func (ts *testServer) received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.messages...)
}

func (ts *testServer) sessionCount() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.sessions
}

// options returns client options trusting the test root.
func (ts *testServer) options() Options {
	return Options{Addr: ts.addr, TLS: tlsauth.TLSOptions{RootCAs: ts.pki.Pool, ServerName: "localhost"}}
}

type testSession struct {
	ts   *testServer
	c    *smtp.Conn
	cur  received
	auth bool
}

func (s *testSession) AuthMechanisms() []string {
	var m []string
	if s.ts.tokens != nil {
		m = append(m, "XOAUTH2")
	}
	if s.ts.plain {
		m = append(m, sasl.Plain)
	}
	return m
}

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case "XOAUTH2":
		return &xoauth2Server{check: func(user, token string) error {
			s.ts.mu.Lock()
			defer s.ts.mu.Unlock()
			s.ts.authTokens = append(s.ts.authTokens, token)
			if !s.ts.tokens[token] || user == "" {
				return smtp.ErrAuthFailed
			}
			s.auth = true
			return nil
		}}, nil
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error {
			if user != "alice" || pass != "secret" {
				return smtp.ErrAuthFailed
			}
			s.auth = true
			return nil
		}), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *testSession) Mail(from string, opts *smtp.MailOptions) error {
	if (s.ts.tokens != nil || s.ts.plain) && !s.auth {
		return smtp.ErrAuthRequired
	}
	if st, ok := s.c.TLSConnectionState(); ok {
		s.ts.mu.Lock()
		s.ts.tlsStates = append(s.ts.tlsStates, st)
		s.ts.mu.Unlock()
	}
	s.cur = received{from: from}
	if opts != nil {
		s.cur.mailOpts = *opts
	}
	return nil
}

func (s *testSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	s.ts.mu.Lock()
	reply := s.ts.rcptReply[to]
	s.ts.mu.Unlock()
	if reply != nil {
		return reply
	}
	s.cur.rcpts = append(s.cur.rcpts, to)
	if opts != nil {
		s.cur.rcptOpts = append(s.cur.rcptOpts, *opts)
	}
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.ts.dataDelay > 0 {
		time.Sleep(s.ts.dataDelay)
	}
	s.cur.body = body
	s.ts.mu.Lock()
	if s.ts.keep {
		s.ts.messages = append(s.ts.messages, s.cur)
	}
	s.ts.mu.Unlock()
	return nil
}

func (s *testSession) Reset()        { s.cur = received{} }
func (s *testSession) Logout() error { return nil }

// xoauth2Server is the server side of XOAUTH2, for the tests.
type xoauth2Server struct {
	check func(user, token string) error
	done  bool
	err   error
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.done {
		// The client acknowledged the error challenge.
		return nil, true, x.err
	}
	x.done = true
	parts := bytes.Split(resp, []byte{1})
	var user, token string
	for _, p := range parts {
		if v, ok := strings.CutPrefix(string(p), "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(string(p), "auth=Bearer "); ok {
			token = v
		}
	}
	if err := x.check(user, token); err != nil {
		x.err = err
		return []byte(`{"status":"401","schemes":"bearer"}`), false, nil
	}
	return nil, true, nil
}

var errTest = errors.New("test error")

func tlsauthTestPKI() (*x509.CertPool, error) {
	p, err := testpki.New("Another root")
	if err != nil {
		return nil, err
	}
	return p.Pool, nil
}

// tlsauthOtherClient returns a client certificate from another CA that
// bears the name of the test CA ("Test IGC Santé Root", different key): a
// Go client only presents a certificate whose issuer the server lists as
// acceptable, so a CA with another name would not even be presented (the
// server would see no certificate); this one is presented, and refused
// because its signature does not verify.
func tlsauthOtherClient() (*tls.Certificate, error) {
	p, err := testpki.New("Test IGC Santé Root")
	if err != nil {
		return nil, err
	}
	c, err := p.Client("dpi@hopital.mssante.test")
	if err != nil {
		return nil, err
	}
	return &c.TLS, nil
}
