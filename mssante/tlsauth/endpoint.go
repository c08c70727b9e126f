package tlsauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mssante-go/sdk/internal/check"
)

// DialFunc opens a network connection, as net.Dialer.DialContext does.
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// ErrNoAddress: the options name no server.
var ErrNoAddress = errors.New("tlsauth: no server address")

// DefaultDialTimeout bounds the TCP connection when EndpointOptions has no
// DialContext.
const DefaultDialTimeout = 30 * time.Second

// EndpointOptions describe an operator's server and how to connect to it,
// as the options of the SMTP and IMAP clients do. Addr, TLS.RootCAs and the
// protocol's ports are required; the zero value of the other fields is a
// documented default.
type EndpointOptions struct {
	// Addr is the server, "host" or "host:port".
	Addr string `validate:"required"`
	// DefaultPort is the port when Addr has none, with STARTTLS;
	// DefaultImplicitTLSPort the port with ImplicitTLS.
	DefaultPort, DefaultImplicitTLSPort int
	// ImplicitTLS makes Dial run the TLS handshake as soon as connected;
	// otherwise the protocol's STARTTLS does it.
	ImplicitTLS bool
	// TLS configures TLS; its ServerName defaults to the host of Addr.
	TLS *TLSOptions `validate:"required"`
	// Auth is the SASL mechanism (PLAIN only towards a loopback host).
	Auth Auth
	// DialContext opens the TCP connections (default: a net.Dialer with
	// DefaultDialTimeout).
	DialContext DialFunc
	// SetupTimeout, when positive, bounds each connection's set-up: TCP
	// connection, TLS, greeting and authentication (default: ctx alone).
	SetupTimeout time.Duration
	// ReadTimeout, when positive, bounds each read on the connections: a
	// server that sends nothing for that long while a read waits (a reply
	// stalled in the middle) fails the read with a timeout, which the
	// transports retry. Conn.SetReadTimeout changes it for one connection
	// (0 while waiting for unsolicited data, as IMAP IDLE does). Default:
	// none (the protocol sets its own deadlines, as go-smtp does).
	ReadTimeout time.Duration
	// Logger receives connection events, never tokens, passwords or
	// message contents (default: no logging).
	Logger *slog.Logger
}

// Endpoint is an operator's server with what it takes to connect to it,
// checked once by NewEndpoint for both transports. Its fields are read-only.
type Endpoint struct {
	Host string         // host name or IP address, as given
	Addr string         // host:port to dial
	Auth *Authenticator // SASL clients for each new connection
	// Logger is EndpointOptions.Logger, or a logger that discards: never nil.
	Logger *slog.Logger

	opt EndpointOptions
	tls *tls.Config
}

// NewEndpoint checks opts: the address, the TLS options (roots present,
// versions allowed) and the authentication. It keeps a copy of opts.
func NewEndpoint(opts *EndpointOptions) (*Endpoint, error) {
	if opts == nil {
		return nil, ErrNoAddress
	}
	for _, fe := range check.Struct(opts) {
		if fe.Field == "Addr" {
			return nil, ErrNoAddress
		}
		return nil, ErrNoRootCAs // TLS or TLS.RootCAs
	}
	opt := *opts
	host, port, err := net.SplitHostPort(opt.Addr)
	if err != nil {
		host, port = strings.Trim(opt.Addr, "[]"), ""
	}
	if port == "" {
		p := opt.DefaultPort
		if opt.ImplicitTLS {
			p = opt.DefaultImplicitTLSPort
		}
		port = strconv.Itoa(p)
	}
	cfg, err := opt.TLS.Config(host)
	if err != nil {
		return nil, err
	}
	if opt.Auth.Mechanism == Plain && !IsLoopback(host) {
		return nil, fmt.Errorf("%w: %q", ErrPlainNotLoopback, host)
	}
	au, err := NewAuthenticator(opt.Auth)
	if err != nil {
		return nil, err
	}
	if opt.DialContext == nil {
		opt.DialContext = (&net.Dialer{Timeout: DefaultDialTimeout}).DialContext
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opt.Auth = Auth{} // au holds it; a printed Endpoint must not show the password
	return &Endpoint{Host: host, Addr: net.JoinHostPort(host, port), Auth: au, Logger: log, opt: opt, tls: cfg}, nil
}

// Conn is a new connection to an Endpoint, handed by Dial to the protocol's
// set-up.
type Conn struct {
	// Raw is the TCP connection (with EndpointOptions.ReadTimeout, wrapped
	// to apply it). Closing it aborts whatever runs over it.
	Raw net.Conn
	// TLS is, with ImplicitTLS, the TLS connection over Raw, handshake
	// done; nil otherwise.
	TLS *tls.Conn
	// Config is the TLS configuration, for STARTTLS.
	Config *tls.Config
}

// ConnError reports a failure to reach, secure or authenticate with an
// operator's server, or a session that broke: the one connection error of
// both transports (smtpclient, imapclient). Op says at which step:
//
//   - "dial": the TCP connection failed, or the context or the set-up
//     timeout ended during set-up (Err then wraps ctx.Err());
//   - "tls", "starttls": the TLS handshake or the STARTTLS command failed;
//   - "ehlo", "auth": the SMTP greeting or the SASL authentication failed;
//   - "select", "search", "fetch", "store" (IMAP), "send" (SMTP): the
//     session broke during that command.
//
// Retry is set by the transport that met the failure: true for network
// trouble and busy servers (4xx replies), false for what only a change of
// configuration fixes (a refused certificate, a TLS version or suite the
// server does not offer, refused credentials).
type ConnError struct {
	Op    string
	Addr  string // host:port
	Err   error
	Retry bool
}

func (e *ConnError) Error() string {
	return fmt.Sprintf("connection to %s failed at %s: %v", e.Addr, e.Op, e.Err)
}

func (e *ConnError) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed (Retry), for
// mssante.IsTemporary.
func (e *ConnError) Temporary() bool { return e.Retry }

// Retryable is the classification shared by the transports for failures
// that are not protocol replies (those are classified by their codes). A
// failure of the connection itself may go away by itself and is retryable,
// at any step: a timeout, a connection refused, reset or closed (EOF) while
// dialling, during the greeting, the TLS handshake or a command. What only a
// change of configuration fixes is not: the server's certificate refused
// (unknown authority, wrong name, expired, revoked), a TLS alert from the
// server (no common version or suite, our certificate refused), a server
// that does not speak TLS, and the end of the caller's context
// (context.Canceled). op is the step, for transports that tell them apart.
func Retryable(op string, err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || isTLSRefusal(err) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ETIMEDOUT),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) // another failure of the network (a name not resolved while dialling...)
}

// isTLSRefusal reports whether err is TLS refusing the connection for a
// reason of configuration: a certificate that does not verify (or is
// revoked), an alert sent by the server ("remote error: tls: ..."), a peer
// that does not speak TLS.
func isTLSRefusal(err error) bool {
	var (
		cve *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		ci  x509.CertificateInvalidError
		he  x509.HostnameError
		rhe tls.RecordHeaderError
		ae  tls.AlertError
		re  *RevocationError
		oe  *net.OpError
	)
	switch {
	case errors.As(err, &cve), errors.As(err, &ua), errors.As(err, &ci), errors.As(err, &he),
		errors.As(err, &rhe), errors.As(err, &ae), errors.As(err, &re), errors.Is(err, ErrNoValidCRL), errors.Is(err, ErrRevoked):
		return true
	case errors.As(err, &oe) && oe.Op == "remote error": // crypto/tls: an alert the server sent
		return true
	}
	return false
}

// connError is a *ConnError of Dial, classified with Retryable.
func (e *Endpoint) connError(op string, err error) *ConnError {
	return &ConnError{Op: op, Addr: e.Addr, Err: err, Retry: Retryable(op, err)}
}

// SetReadTimeout sets the read timeout of the connection (see
// EndpointOptions.ReadTimeout), also for a read in progress; 0 removes it.
// It does nothing on a connection dialled without ReadTimeout.
func (c *Conn) SetReadTimeout(d time.Duration) {
	if c == nil {
		return
	}
	if rc, ok := c.Raw.(*readTimeoutConn); ok {
		rc.timeout.Store(int64(max(d, 0)))
		if d > 0 {
			rc.Conn.SetReadDeadline(time.Now().Add(d))
		} else {
			rc.Conn.SetReadDeadline(time.Time{})
		}
	}
}

// readTimeoutConn gives every read a deadline of now plus timeout.
type readTimeoutConn struct {
	net.Conn
	timeout atomic.Int64 // nanoseconds; 0: none
}

func (c *readTimeoutConn) Read(p []byte) (int, error) {
	if t := c.timeout.Load(); t > 0 {
		c.Conn.SetReadDeadline(time.Now().Add(time.Duration(t)))
	}
	return c.Conn.Read(p)
}

// Dial connects to e and runs setup (greeting, STARTTLS, authentication) on
// the new connection. While setup runs, the end of ctx or of the set-up timeout
// closes the connection, which interrupts protocol libraries that take no
// context (go-smtp, go-imap); afterwards the connection is the caller's.
// A session opened is logged at debug level. When setup fails, or ctx ended
// meanwhile, the connection is closed and the error returned: setup's own errors as they are, the others (the end of ctx
// included, whatever setup then returned) as *ConnError.
func Dial[T any](ctx context.Context, e *Endpoint, setup func(ctx context.Context, c *Conn) (T, error)) (v T, err error) {
	if e.opt.SetupTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.opt.SetupTimeout)
		defer cancel()
	}
	raw, err := e.opt.DialContext(ctx, "tcp", e.Addr)
	if err != nil {
		return v, e.connError("dial", err)
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
			v, err = zero, e.connError("dial", cause)
		}
		if err != nil {
			raw.Close()
		}
	}()
	if e.opt.ReadTimeout > 0 {
		rc := &readTimeoutConn{Conn: raw}
		rc.timeout.Store(int64(e.opt.ReadTimeout))
		raw = rc
	}
	c := &Conn{Raw: raw, Config: e.tls}
	if e.opt.ImplicitTLS {
		c.TLS = tls.Client(raw, e.tls)
		if err := c.TLS.HandshakeContext(ctx); err != nil {
			return v, e.connError("tls", err)
		}
	}
	if v, err = setup(ctx, c); err == nil {
		e.Logger.LogAttrs(ctx, slog.LevelDebug, "session opened", slog.String("addr", e.Addr))
	}
	return v, err
}
