package smtpclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// DefaultPort is the message submission port (RFC 6409) with STARTTLS.
const DefaultPort = 587

// DefaultImplicitTLSPort is the submission port with implicit TLS (RFC 8314).
const DefaultImplicitTLSPort = 465

// DefaultRetries is how many times Send retries a failure of the
// connection by default (Options.Retry.Attempts).
const DefaultRetries = 3

// Options configure a Client. Addr and TLS.RootCAs are required; the zero
// value of every other field is a documented default.
type Options struct {
	// Addr is the operator's submission server, "host" or "host:port"
	// (default port 587, or 465 with ImplicitTLS).
	Addr string
	// ImplicitTLS connects with TLS from the first byte instead of STARTTLS.
	ImplicitTLS bool
	// TLS configures TLS: roots (required), client certificate, versions,
	// revocation. Its ServerName defaults to the host of Addr.
	TLS tlsauth.TLSOptions
	// Auth is the SASL step after TLS (none by default).
	Auth tlsauth.Auth
	// LocalName is the name sent with EHLO after TLS (default "localhost").
	LocalName string
	// MaxConns bounds the number of connections open at once; Send waits
	// for a free one (default 1).
	MaxConns int
	// IdleTimeout closes connections unused for that long (default 30s).
	IdleTimeout time.Duration
	// MaxMessagesPerConn closes a connection after that many messages
	// (default 0: no limit).
	MaxMessagesPerConn int
	// CommandTimeout bounds each SMTP command, and the opening of a
	// connection (TCP, TLS, EHLO, AUTH) as a whole; the context's deadline,
	// when sooner, wins (default 5 minutes, RFC 5321 §4.5.3.2).
	CommandTimeout time.Duration
	// Retry is how Send retries a failure of the connection before the
	// server has the whole message (the greeting cut, a TLS reset, EOF or
	// a timeout in the middle of a command): on a new connection, at most
	// Retry.Attempts times (default DefaultRetries; negative: never), after
	// waits from Retry.Min (default 1 s) doubled up to Retry.Max (default
	// 1 minute), within the context's deadline. A message cut in the middle
	// of DATA is sent again only when it can be read again from its start
	// (msg is an io.Seeker: *bytes.Reader, *os.File...). Refused
	// credentials and certificates are not retried.
	Retry tlsauth.RetryOptions
	// RecipientChecker vets every recipient before anything is sent, in the
	// form that goes on the wire (mailaddr.Normalize): typically an
	// annuaire.RecipientChecker on the liste blanche, which keeps messages
	// inside the MSSanté trust space. Required, unless
	// InsecureSkipRecipientCheck is set.
	RecipientChecker mssante.RecipientChecker
	// InsecureSkipRecipientCheck sends to any recipient with a valid
	// address, inside the trust space or not (x@gmail.com included). It is
	// meant for tests against a local server; New logs a warning when it is
	// set. Prefer a checker built from the liste blanche, or one listing
	// the test domains.
	InsecureSkipRecipientCheck bool
	// DialContext opens the TCP connections (default: a net.Dialer with
	// tlsauth.DefaultDialTimeout).
	DialContext tlsauth.DialFunc
	// Logger receives connection events (never tokens, passwords or
	// message contents). Default: no logging.
	Logger *slog.Logger
}

// Client submits messages to one operator. It is safe for concurrent use;
// Close it when done.
type Client struct {
	opt    Options
	ep     *tlsauth.Endpoint
	pool   *pool
	dials  atomic.Int64
	sent   atomic.Int64
	closed atomic.Bool
}

var (
	_ mssante.Transport      = (*Client)(nil)
	_ mssante.TokenRefresher = (*Client)(nil)
)

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("smtpclient: client closed")

// ErrInvalidEnvelope is wrapped by the errors about a bad envelope.
var ErrInvalidEnvelope = errors.New("smtpclient: invalid envelope")

// ErrNoRecipientChecker is returned by New when Options has neither a
// RecipientChecker nor InsecureSkipRecipientCheck: the trust space is
// checked by default.
var ErrNoRecipientChecker = errors.New("smtpclient: no RecipientChecker: set Options.RecipientChecker " +
	"(an annuaire.RecipientChecker on the liste blanche) or, for tests only, InsecureSkipRecipientCheck")

// New checks opts and returns a Client. It does not connect. opts is
// required (Addr, TLS.RootCAs and RecipientChecker have no default, see
// ErrNoRecipientChecker); New keeps a copy.
func New(opts *Options) (*Client, error) {
	if opts == nil {
		return nil, errors.New("smtpclient: no options (Addr and TLS.RootCAs are required)")
	}
	opt := *opts
	if opt.LocalName == "" {
		opt.LocalName = "localhost"
	}
	if opt.MaxConns <= 0 {
		opt.MaxConns = 1
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = 30 * time.Second
	}
	if opt.CommandTimeout <= 0 {
		opt.CommandTimeout = 5 * time.Minute
	}
	switch {
	case opt.Retry.Attempts == 0:
		opt.Retry.Attempts = DefaultRetries
	case opt.Retry.Attempts < 0:
		opt.Retry.Attempts = 0
	}
	ep, err := tlsauth.NewEndpoint(&tlsauth.EndpointOptions{
		Addr: opt.Addr, DefaultPort: DefaultPort, DefaultImplicitTLSPort: DefaultImplicitTLSPort,
		ImplicitTLS: opt.ImplicitTLS, TLS: &opt.TLS, Auth: opt.Auth,
		DialContext: opt.DialContext, SetupTimeout: opt.CommandTimeout, Logger: opt.Logger,
	})
	if err != nil {
		return nil, err
	}
	if opt.RecipientChecker == nil && !opt.InsecureSkipRecipientCheck {
		return nil, ErrNoRecipientChecker
	}
	if opt.RecipientChecker == nil {
		log := opt.Logger
		if log == nil {
			log = slog.Default() // loud by default: the trust space is off
		}
		log.Warn("smtpclient: InsecureSkipRecipientCheck: recipients are not checked against the MSSanté trust space", slog.String("addr", ep.Addr))
	}
	// The endpoint's authenticator holds the password: a printed Client
	// must not show it.
	opt.Auth.Password = ""
	c := &Client{opt: opt, ep: ep}
	c.pool = newPool(opt.MaxConns)
	return c, nil
}

// Stats counts what a Client did, for monitoring and benchmarks.
type Stats struct {
	Dials    int64 // connections opened (TLS and authentication done)
	Messages int64 // messages accepted by the server for at least one recipient
}

// Stats returns the counters since New.
func (c *Client) Stats() Stats {
	return Stats{Dials: c.dials.Load(), Messages: c.sent.Load()}
}

// RefreshToken discards the cached XOAUTH2 token and the idle connections
// authenticated with it, so that the next Send authenticates anew.
func (c *Client) RefreshToken(ctx context.Context) error {
	c.ep.Auth.Invalidate()
	c.pool.closeIdle()
	return nil
}

// Close closes the idle connections; connections in use are closed when
// their Send returns. Send fails with ErrClosed afterwards.
func (c *Client) Close() error {
	c.closed.Store(true)
	c.pool.closeIdle()
	return nil
}

// connError is the *tlsauth.ConnError of a failed step, classified: a 4xx
// reply and network trouble may go away (Retry), a refused certificate, a
// TLS failure or refused credentials will not.
func (c *Client) connError(op string, err error) *tlsauth.ConnError {
	return &tlsauth.ConnError{Op: op, Addr: c.ep.Addr, Err: err, Retry: retryable(op, err)}
}

func retryable(op string, err error) bool {
	var se *mssante.SMTPError
	if errors.As(err, &se) {
		// A 4.7.x security or policy reply before authentication (Postfix:
		// "421 4.7.1 No client certificate presented") will not go away by
		// itself: the configuration must change.
		if op != "auth" && strings.HasPrefix(se.EnhancedCode, "4.7.") {
			return false
		}
		return se.Temporary()
	}
	return tlsauth.Retryable(op, err)
}

// convertError maps go-smtp's reply errors to *mssante.SMTPError and leaves
// other errors alone.
func convertError(err error) error {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return err
	}
	out := &mssante.SMTPError{Code: se.Code, Message: se.Message}
	if ec := se.EnhancedCode; ec != (smtp.EnhancedCode{}) && ec != smtp.NoEnhancedCode && ec[0] > 0 {
		out.EnhancedCode = fmt.Sprintf("%d.%d.%d", ec[0], ec[1], ec[2])
	}
	return out
}

func isReply(err error) bool {
	var se *mssante.SMTPError
	return errors.As(err, &se)
}
