package tlsauth

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
	"time"
)

// tlsGreeter accepts implicit-TLS connections on a loopback port and greets
// each client with "hello\n", or says nothing when silent. It returns its
// address and the roots that verify its certificate.
func tlsGreeter(t *testing.T, silent bool) (string, *x509.CertPool) {
	t.Helper()
	ca := newPKI(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{serverCert(t, ca)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if !silent {
					c.Write([]byte("hello\n"))
				}
				c.Read(make([]byte, 1)) // until the client closes
			}()
		}
	}()
	return ln.Addr().String(), ca.Pool
}

func readGreeting(ctx context.Context, c *Conn) (string, error) {
	return bufio.NewReader(c.TLS).ReadString('\n')
}

func TestDial(t *testing.T) {
	addr, roots := tlsGreeter(t, false)
	ctx := context.Background()
	opt := EndpointOptions{Addr: addr, ImplicitTLS: true, TLS: &TLSOptions{RootCAs: roots, ServerName: "localhost"}}
	ep, err := NewEndpoint(&opt)
	if err != nil {
		t.Fatal(err)
	}
	if ep.Host != "127.0.0.1" || ep.Addr != addr {
		t.Errorf("endpoint %s %s, want %s", ep.Host, ep.Addr, addr)
	}
	if got, err := Dial(ctx, ep, readGreeting); err != nil || got != "hello\n" {
		t.Fatalf("Dial: %q %v", got, err)
	}

	// A failed set-up closes the connection and its error is returned.
	var raw net.Conn
	boom := errors.New("boom")
	_, err = Dial(ctx, ep, func(ctx context.Context, c *Conn) (int, error) { raw = c.Raw; return 0, boom })
	if err != boom {
		t.Errorf("setup error: %v", err)
	}
	if _, err := raw.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("connection left open after a failed set-up: %v", err)
	}

	// The wrong server name fails the implicit handshake.
	bad := *ep
	bad.tls = bad.tls.Clone()
	bad.tls.ServerName = "smtp.operateur.example"
	var de *ConnError
	if _, err := Dial(ctx, &bad, readGreeting); !errors.As(err, &de) || de.Op != "tls" {
		t.Errorf("bad certificate: %v", err)
	}

	// Nothing listens: a dial error.
	opt.Addr = "127.0.0.1:1"
	if ep, err = NewEndpoint(&opt); err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(ctx, ep, readGreeting); !errors.As(err, &de) || de.Op != "dial" {
		t.Errorf("closed port: %v", err)
	}
}

// A server that never greets is cut off at SetupTimeout, and the error says
// so whatever the set-up returned.
func TestDialSetupTimeout(t *testing.T) {
	addr, roots := tlsGreeter(t, true)
	ep, err := NewEndpoint(&EndpointOptions{Addr: addr, ImplicitTLS: true, SetupTimeout: 300 * time.Millisecond,
		TLS: &TLSOptions{RootCAs: roots, ServerName: "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Dial(context.Background(), ep, readGreeting)
	var de *ConnError
	if !errors.As(err, &de) || de.Op != "dial" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("silent server: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("set-up took %v", d)
	}
}

func TestNewEndpoint(t *testing.T) {
	tlsOpt := &TLSOptions{RootCAs: x509.NewCertPool()}
	for _, tc := range []struct {
		addr     string
		implicit bool
		auth     Mechanism
		want     string // Addr, or "" for an error
	}{
		{"smtp.operateur.example", false, None, "smtp.operateur.example:587"},
		{"smtp.operateur.example", true, None, "smtp.operateur.example:465"},
		{"smtp.operateur.example:2525", true, None, "smtp.operateur.example:2525"},
		{"[::1]", false, Plain, "[::1]:587"},
		{"::1", false, Plain, "[::1]:587"},
		{"", false, None, ""},
		{"smtp.operateur.example", false, Plain, ""}, // PLAIN off loopback
	} {
		ep, err := NewEndpoint(&EndpointOptions{Addr: tc.addr, DefaultPort: 587, DefaultImplicitTLSPort: 465,
			ImplicitTLS: tc.implicit, TLS: tlsOpt, Auth: Auth{Mechanism: tc.auth, Username: "u", Password: "p"}})
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%q: accepted", tc.addr)
		case tc.want != "" && (err != nil || ep.Addr != tc.want):
			t.Errorf("%q implicit=%v: %v %v, want %s", tc.addr, tc.implicit, ep, err, tc.want)
		}
	}
	if _, err := NewEndpoint(&EndpointOptions{Addr: "h"}); !errors.Is(err, ErrNoRootCAs) {
		t.Errorf("no TLS options: %v", err)
	}
}
