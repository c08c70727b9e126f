package tlsauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// DialFunc opens a network connection, as net.Dialer.DialContext does.
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// DefaultDialTimeout bounds the TCP connection when no DialFunc is given.
const DefaultDialTimeout = 30 * time.Second

// Endpoint is an operator's server with what it takes to connect to it,
// checked once by NewEndpoint for both transports. Set the optional fields
// before the first Dial and leave them alone afterwards.
type Endpoint struct {
	Host string         // host name or IP address, as given
	Addr string         // host:port to dial
	Auth *Authenticator // SASL clients for each new connection

	// ImplicitTLS makes Dial run the TLS handshake as soon as connected;
	// otherwise the protocol's STARTTLS does it.
	ImplicitTLS bool
	// DialContext opens the TCP connections (default: a net.Dialer with
	// DefaultDialTimeout).
	DialContext DialFunc
	// SetupTimeout, when positive, bounds each connection's set-up: TCP
	// connection, TLS, greeting and authentication (default: ctx alone).
	SetupTimeout time.Duration

	tls *tls.Config
}

// NewEndpoint checks addr ("host" or "host:port"; defaultPort when no port
// is given), the TLS options (roots present, versions allowed) and the
// authentication (PLAIN only towards a loopback host).
func NewEndpoint(addr string, defaultPort int, tlsOpt *TLSOptions, a Auth) (*Endpoint, error) {
	if addr == "" {
		return nil, errors.New("tlsauth: no server address")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = strings.Trim(addr, "[]"), ""
	}
	if port == "" {
		port = strconv.Itoa(defaultPort)
	}
	cfg, err := tlsOpt.Config(host)
	if err != nil {
		return nil, err
	}
	if a.Mechanism == Plain && !IsLoopback(host) {
		return nil, fmt.Errorf("%w: %q", ErrPlainNotLoopback, host)
	}
	au, err := NewAuthenticator(a)
	if err != nil {
		return nil, err
	}
	return &Endpoint{Host: host, Addr: net.JoinHostPort(host, port), Auth: au, tls: cfg}, nil
}

// Conn is a new connection to an Endpoint, handed by Dial to the protocol's
// set-up.
type Conn struct {
	// Raw is the TCP connection. Closing it aborts whatever runs over it.
	Raw net.Conn
	// TLS is, with ImplicitTLS, the TLS connection over Raw, handshake
	// done; nil otherwise.
	TLS *tls.Conn
	// Config is the TLS configuration, for STARTTLS.
	Config *tls.Config
}

// DialError reports a failure of Dial itself, before or around the
// protocol's set-up: Op "dial" when the TCP connection failed or the context
// ended during set-up (Err then wraps ctx.Err()), "tls" when the implicit
// TLS handshake failed.
type DialError struct {
	Op  string
	Err error
}

func (e *DialError) Error() string { return fmt.Sprintf("tlsauth: %s: %v", e.Op, e.Err) }

func (e *DialError) Unwrap() error { return e.Err }

// Dial connects to e and runs setup (greeting, STARTTLS, authentication) on
// the new connection. While setup runs, the end of ctx or of e.SetupTimeout
// closes the connection, which interrupts protocol libraries that take no
// context (go-smtp, go-imap); afterwards the connection is the caller's.
// When setup fails, or ctx ended meanwhile, the connection is closed and the
// error returned: setup's own errors as they are, the others (the end of ctx
// included, whatever setup then returned) as *DialError.
func Dial[T any](ctx context.Context, e *Endpoint, setup func(ctx context.Context, c *Conn) (T, error)) (v T, err error) {
	if e.SetupTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.SetupTimeout)
		defer cancel()
	}
	dial := e.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: DefaultDialTimeout}).DialContext
	}
	raw, err := dial(ctx, "tcp", e.Addr)
	if err != nil {
		return v, &DialError{Op: "dial", Err: err}
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer func() {
		if !stop() {
			// setup's error, if any, comes from the connection closed under it.
			cause := ctx.Err()
			if err != nil {
				cause = fmt.Errorf("%w (%v)", cause, err)
			}
			var zero T
			v, err = zero, &DialError{Op: "dial", Err: cause}
		}
		if err != nil {
			raw.Close()
		}
	}()
	c := &Conn{Raw: raw, Config: e.tls}
	if e.ImplicitTLS {
		c.TLS = tls.Client(raw, e.tls)
		if err := c.TLS.HandshakeContext(ctx); err != nil {
			return v, &DialError{Op: "tls", Err: err}
		}
	}
	return setup(ctx, c)
}
