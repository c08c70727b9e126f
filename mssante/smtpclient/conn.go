package smtpclient

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// conn is one authenticated SMTP session.
type conn struct {
	sc       *smtp.Client
	raw      net.Conn
	messages int
	lastUsed time.Time
	broken   bool
}

func (cn *conn) close() {
	cn.sc.Close()
}

// quit ends the session politely, without waiting long for the server.
func (cn *conn) quit() {
	cn.sc.CommandTimeout = 2 * time.Second
	if err := cn.sc.Quit(); err != nil {
		cn.sc.Close()
	}
}

// setTimeouts bounds the next commands by the command timeout and the
// context's deadline, whichever comes first (go-smtp sets its own deadline
// before each command, so the context's deadline cannot be set on the
// connection once and for all).
func (c *Client) setTimeouts(ctx context.Context, sc *smtp.Client) {
	t := c.opt.CommandTimeout
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < t {
			t = max(left, time.Millisecond)
		}
	}
	sc.CommandTimeout = t
	sc.SubmissionTimeout = t
}

// dial opens, secures and authenticates a new session. An XOAUTH2 token the
// server refuses is replaced once by a fresh one, on a new connection: after
// a failed AUTH go-smtp sends "*", which Postfix takes for a forbidden
// command and answers by closing the session.
func (c *Client) dial(ctx context.Context) (*conn, error) {
	cn, err := c.dialOnce(ctx)
	var ce *tlsauth.ConnError
	var se *mssante.SMTPError
	if err != nil && c.ep.Auth.Mechanism() == tlsauth.XOAuth2 && errors.As(err, &ce) && ce.Op == "auth" &&
		errors.As(err, &se) && se.Code == 535 {
		c.ep.Auth.Invalidate()
		cn, err = c.dialOnce(ctx)
	}
	return cn, err
}

func (c *Client) dialOnce(ctx context.Context) (*conn, error) {
	cn, err := tlsauth.Dial(ctx, c.ep, c.open)
	if ce, ok := errors.AsType[*tlsauth.ConnError](err); ok {
		ce.Retry = retryable(ce.Op, ce.Err) // SMTP's view of a failed dial or handshake
	}
	if err == nil {
		c.dials.Add(1)
	}
	return cn, err
}

// open runs EHLO, STARTTLS unless TLS is implicit, and authentication on a
// new connection.
func (c *Client) open(ctx context.Context, nc *tlsauth.Conn) (*conn, error) {
	var sc *smtp.Client
	var err error
	if nc.TLS != nil {
		sc = smtp.NewClient(nc.TLS)
		c.setTimeouts(ctx, sc)
		if err := sc.Hello(c.opt.LocalName); err != nil {
			return nil, c.connError("ehlo", convertError(err))
		}
	} else {
		nc.Raw.SetDeadline(deadline(ctx, c.opt.CommandTimeout))
		sc, err = smtp.NewClientStartTLS(nc.Raw, nc.Config)
		if err != nil {
			return nil, c.connError("starttls", convertError(err))
		}
		nc.Raw.SetDeadline(time.Time{})
		c.setTimeouts(ctx, sc)
		// The EHLO after STARTTLS runs the TLS handshake.
		if err := sc.Hello(c.opt.LocalName); err != nil {
			op := "ehlo"
			if st, _ := sc.TLSConnectionState(); !st.HandshakeComplete {
				op = "tls"
			}
			sc.Close()
			return nil, c.connError(op, convertError(err))
		}
	}
	if err := c.authenticate(ctx, sc); err != nil {
		sc.Close()
		return nil, err
	}
	return &conn{sc: sc, raw: nc.Raw, lastUsed: time.Now()}, nil
}

// authenticate runs the SASL step, if any.
func (c *Client) authenticate(ctx context.Context, sc *smtp.Client) error {
	if c.ep.Auth.Mechanism() == tlsauth.None {
		return nil
	}
	sa, err := c.ep.Auth.Client(ctx, c.ep.Host)
	if err != nil {
		return c.connError("auth", err)
	}
	if err := sc.Auth(sa); err != nil {
		return c.connError("auth", convertError(err))
	}
	return nil
}

func deadline(ctx context.Context, d time.Duration) time.Time {
	t := time.Now().Add(d)
	if dl, ok := ctx.Deadline(); ok && dl.Before(t) {
		return dl
	}
	return t
}

// pool holds idle sessions and bounds the number of open ones.
type pool struct {
	sem  chan struct{}
	mu   sync.Mutex
	idle []*conn
}

func newPool(max int) *pool { return &pool{sem: make(chan struct{}, max)} }

func (p *pool) acquire(ctx context.Context) error {
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pool) release() { <-p.sem }

// take returns the most recently used idle session still fresh enough, or
// nil; it closes the stale ones.
func (p *pool) take(idleTimeout time.Duration) *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		cn := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if time.Since(cn.lastUsed) < idleTimeout {
			return cn
		}
		go cn.quit()
	}
	return nil
}

func (p *pool) put(cn *conn) {
	cn.lastUsed = time.Now()
	p.mu.Lock()
	p.idle = append(p.idle, cn)
	p.mu.Unlock()
}

func (p *pool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, cn := range idle {
		cn.quit()
	}
}
