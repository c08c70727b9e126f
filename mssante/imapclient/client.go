package imapclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	goimapclient "github.com/emersion/go-imap/v2/imapclient"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// DefaultPort is the IMAP port, used with STARTTLS.
const DefaultPort = 143

// DefaultImplicitTLSPort is the IMAP port with implicit TLS.
const DefaultImplicitTLSPort = 993

// DefaultIdleRestart is how long Watch stays in one IDLE before ending it and
// checking the mailbox again: RFC 2177 asks clients to re-issue IDLE at least
// every 29 minutes, and the check notices a connection that a firewall
// dropped silently.
const DefaultIdleRestart = 25 * time.Minute

// Options configure a Client. Addr, TLS.RootCAs and Auth are required; the
// zero value of every other field is a documented default.
type Options struct {
	// Addr is the operator's IMAP server, "host" or "host:port" (default
	// port 143, or 993 with ImplicitTLS).
	Addr string
	// ImplicitTLS connects with TLS from the first byte instead of STARTTLS.
	ImplicitTLS bool
	// TLS configures TLS (see package tlsauth); ServerName defaults to the
	// host of Addr.
	TLS tlsauth.TLSOptions
	// Auth is the SASL mechanism: XOAUTH2, EXTERNAL or (loopback) PLAIN.
	Auth tlsauth.Auth
	// Mailbox is the folder to read (default "INBOX").
	Mailbox string
	// MoveTo, when set, moves each handled message to that folder instead
	// of flagging it \Seen; every message of Mailbox is then new.
	MoveTo string
	// Cursor, when set, makes reception UID-based: every message above the
	// saved UID is handed over, \Seen or not, and the cursor is saved after
	// each one (see Cursor). Messages are still flagged or moved.
	Cursor Cursor
	// PollInterval is how often Watch checks for mail when the server has
	// no IDLE (default 1 minute).
	PollInterval time.Duration
	// Retry is how Watch retries after a failure of the connection (the
	// greeting cut, a TLS reset, EOF or a timeout in the middle of a
	// command): waits from Retry.Min (default 1 s), doubled up to Retry.Max
	// (default 1 minute), reset after a session that worked. Retry.Attempts,
	// when positive, makes Watch give up after that many failures in a
	// row; by default it retries until its context ends. Refused
	// credentials and certificates are not retried.
	Retry tlsauth.RetryOptions
	// CommandTimeout bounds each command but the handler's work and IDLE,
	// the opening of a session as a whole, and every wait for the server's
	// next bytes outside IDLE (a server that stalls in the middle of a
	// FETCH): a session left unused for longer is closed, and reopened by
	// the next call (default 2 minutes).
	CommandTimeout time.Duration
	// DialContext opens the TCP connections (default: a net.Dialer with
	// tlsauth.DefaultDialTimeout).
	DialContext tlsauth.DialFunc
	// Logger receives connection events (never tokens or message contents).
	Logger *slog.Logger
}

// Client reads one mailbox. Its methods must not be called concurrently
// (they serialise on a mutex); Close it when done.
type Client struct {
	opt Options
	ep  *tlsauth.Endpoint

	mu       sync.Mutex
	ic       *goimapclient.Client
	conn     *tlsauth.Conn // ic's connection, for its read timeout
	validity uint32
	newMail  chan struct{}
	// idleRestart ends each IDLE after that long (DefaultIdleRestart).
	idleRestart time.Duration

	closeOnce sync.Once
	closed    chan struct{} // closed by Close, ends Watch
}

// ErrClosed is returned by Receive and Watch after Close.
var ErrClosed = errors.New("imapclient: client closed")

var (
	_ mssante.Receiver       = (*Client)(nil)
	_ mssante.TokenRefresher = (*Client)(nil)
)

// connError is the *tlsauth.ConnError of a failed step, classified: network
// failures and a busy server may go away (Retry); TLS, authentication and
// protocol refusals will not.
func (c *Client) connError(op string, err error) *tlsauth.ConnError {
	return &tlsauth.ConnError{Op: op, Addr: c.ep.Addr, Err: err, Retry: retryable(op, err)}
}

// retryable classifies a failure: a server's NO or BAD is final unless it
// says UNAVAILABLE or INUSE; while the connection is set up (dial, TLS and
// greeting, authentication) tlsauth.Retryable tells the network's failures
// from refusals; once a session is open, anything but a server's answer
// and the end of the caller's context is the session breaking.
func retryable(op string, err error) bool {
	var ie *imap.Error
	if errors.As(err, &ie) {
		return ie.Code == imap.ResponseCodeUnavailable || ie.Code == imap.ResponseCodeInUse
	}
	switch op {
	case "dial", "tls", "auth":
		return tlsauth.Retryable(op, err)
	}
	return !errors.Is(err, context.Canceled)
}

// HandlerError wraps the error of the caller's handler, returned by Receive:
// the message it was handling stays new on the server.
type HandlerError struct {
	ID  string
	Err error
}

func (e *HandlerError) Error() string { return fmt.Sprintf("imapclient: handling %s: %v", e.ID, e.Err) }

func (e *HandlerError) Unwrap() error { return e.Err }

// New checks opts and returns a Client. It does not connect. opts is
// required (Addr, TLS.RootCAs and Auth have no default); New keeps a copy.
func New(opts *Options) (*Client, error) {
	if opts == nil {
		return nil, errors.New("imapclient: no options (Addr, TLS.RootCAs and Auth are required)")
	}
	opt := *opts
	if opt.Auth.Mechanism == tlsauth.None {
		return nil, errors.New("imapclient: IMAP needs a SASL mechanism (XOAUTH2, EXTERNAL or PLAIN)")
	}
	if opt.Mailbox == "" {
		opt.Mailbox = "INBOX"
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = time.Minute
	}
	if opt.CommandTimeout <= 0 {
		opt.CommandTimeout = 2 * time.Minute
	}
	ep, err := tlsauth.NewEndpoint(&tlsauth.EndpointOptions{
		Addr: opt.Addr, DefaultPort: DefaultPort, DefaultImplicitTLSPort: DefaultImplicitTLSPort,
		ImplicitTLS: opt.ImplicitTLS, TLS: &opt.TLS, Auth: opt.Auth,
		DialContext: opt.DialContext, SetupTimeout: opt.CommandTimeout, ReadTimeout: opt.CommandTimeout, Logger: opt.Logger,
	})
	if err != nil {
		return nil, err
	}
	// The endpoint's authenticator holds the password: a printed Client
	// must not show it.
	opt.Auth.Password = ""
	return &Client{opt: opt, ep: ep,
		newMail: make(chan struct{}, 1), closed: make(chan struct{}), idleRestart: DefaultIdleRestart}, nil
}

// Close logs out and closes the session, if any; a Watch in progress
// returns ErrClosed.
func (c *Client) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop(true)
	return nil
}

// RefreshToken discards the cached XOAUTH2 token and the session
// authenticated with it.
func (c *Client) RefreshToken(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ep.Auth.Invalidate()
	c.drop(true)
	return nil
}

func (c *Client) drop(logout bool) {
	if c.ic == nil {
		return
	}
	if logout {
		done := make(chan struct{})
		go func() {
			c.ic.Logout().Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	}
	c.ic.Close()
	c.ic = nil
}

// session returns the open session, connecting and selecting the mailbox
// when needed. Called with c.mu held.
func (c *Client) session(ctx context.Context) (*goimapclient.Client, error) {
	if c.ic != nil {
		select {
		case <-c.ic.Closed():
			c.ic = nil
		default:
			return c.ic, nil
		}
	}
	ic, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	sel, err := command(c, ctx, ic, func() (*imap.SelectData, error) { return ic.Select(c.opt.Mailbox, nil).Wait() })
	if err != nil {
		ic.Close()
		return nil, c.connError("select", err)
	}
	c.ic, c.validity = ic, sel.UIDValidity
	return ic, nil
}

func (c *Client) dial(ctx context.Context) (*goimapclient.Client, error) {
	ic, err := tlsauth.Dial(ctx, c.ep, c.open)
	if ce, ok := errors.AsType[*tlsauth.ConnError](err); ok {
		ce.Retry = retryable(ce.Op, ce.Err) // IMAP's view of a failed dial or handshake
	}
	return ic, err
}

// open waits for the greeting, after STARTTLS unless TLS is implicit, and
// authenticates on a new connection.
func (c *Client) open(ctx context.Context, nc *tlsauth.Conn) (ic *goimapclient.Client, err error) {
	opts := &goimapclient.Options{
		TLSConfig: nc.Config,
		UnilateralDataHandler: &goimapclient.UnilateralDataHandler{
			Mailbox: func(d *goimapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case c.newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	if nc.TLS != nil {
		ic = goimapclient.New(nc.TLS, opts)
	} else if ic, err = goimapclient.NewStartTLS(nc.Raw, opts); err != nil {
		// go-imap runs the handshake inside NewStartTLS.
		return nil, c.connError("tls", err)
	}
	if err := ic.WaitGreeting(); err != nil {
		ic.Close()
		return nil, c.connError("tls", err)
	}
	if err := c.authenticate(ctx, ic); err != nil {
		ic.Close()
		return nil, err
	}
	c.conn = nc
	return ic, nil
}

// authenticate runs the SASL step; a refused XOAUTH2 token is replaced once.
func (c *Client) authenticate(ctx context.Context, ic *goimapclient.Client) error {
	for attempt := 0; ; attempt++ {
		sa, err := c.ep.Auth.Client(ctx, c.ep.Host)
		if err != nil {
			return c.connError("auth", err)
		}
		err = ic.Authenticate(sa)
		if err == nil {
			return nil
		}
		var ie *imap.Error
		if c.ep.Auth.Mechanism() == tlsauth.XOAuth2 && attempt == 0 && errors.As(err, &ie) {
			c.ep.Auth.Invalidate()
			continue
		}
		return c.connError("auth", err)
	}
}

// wait runs a go-imap command, closing the session if ctx ends first.
func wait[T any](ctx context.Context, ic *goimapclient.Client, f func() (T, error)) (T, error) {
	stop := context.AfterFunc(ctx, func() { ic.Close() })
	v, err := f()
	if !stop() {
		var zero T
		return zero, fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return v, err
}
