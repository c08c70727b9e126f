package tlsauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
)

// Mechanism names a SASL mechanism.
type Mechanism string

const (
	// None: no SASL step (a client certificate alone authenticates).
	None Mechanism = ""
	// XOAuth2: an OAuth 2.0 bearer token (Pro Santé Connect), for personal
	// and organisational mailboxes.
	XOAuth2 Mechanism = "XOAUTH2"
	// External: the identity of the TLS client certificate (RFC 4422).
	External Mechanism = "EXTERNAL"
	// Plain: user name and password (RFC 4616), loopback hosts only.
	Plain Mechanism = "PLAIN"
)

// ErrPlainNotLoopback is returned when PLAIN is asked for a host that is not
// a loopback address: MSSanté operators authenticate with certificates or
// Pro Santé Connect tokens, never with passwords.
var ErrPlainNotLoopback = errors.New("tlsauth: PLAIN authentication is only allowed with a loopback host (tests)")

// ErrNoTokenSource is returned for XOAUTH2 without a TokenSource.
var ErrNoTokenSource = errors.New("tlsauth: XOAUTH2 needs a token source")

// TokenSource gives an OAuth 2.0 access token (for MSSanté, a Pro Santé
// Connect one) and the time it expires. Implementations talk to the identity
// provider; the transports cache the token in memory only.
type TokenSource interface {
	Token(ctx context.Context) (token string, expiry time.Time, err error)
}

// TokenSourceFunc adapts a function to TokenSource.
type TokenSourceFunc func(ctx context.Context) (string, time.Time, error)

// Token calls f.
func (f TokenSourceFunc) Token(ctx context.Context) (string, time.Time, error) { return f(ctx) }

// Auth says how to authenticate after TLS. The zero value does no SASL step.
type Auth struct {
	Mechanism Mechanism
	// Username is the mailbox address for XOAUTH2 and PLAIN, and the
	// optional authorisation identity for EXTERNAL (empty: the one of the
	// certificate).
	Username string
	// Password is for PLAIN only.
	Password string
	// Tokens gives the access tokens for XOAUTH2.
	Tokens TokenSource
	// RefreshBefore is how long before its expiry a cached token is
	// replaced; default 30s (PSC tokens last 4–5 minutes).
	RefreshBefore time.Duration
}

// String never shows the password or any token.
func (a Auth) String() string {
	return fmt.Sprintf("tlsauth.Auth{Mechanism: %q, Username: %q}", a.Mechanism, a.Username)
}

// Authenticator makes the SASL client of each new connection. It caches the
// XOAUTH2 token in memory. It is safe for concurrent use.
type Authenticator struct {
	auth  Auth
	cache *TokenCache
}

// NewAuthenticator checks a and returns its Authenticator.
func NewAuthenticator(a Auth) (*Authenticator, error) {
	switch a.Mechanism {
	case None, External:
	case Plain:
		if a.Username == "" {
			return nil, errors.New("tlsauth: PLAIN needs a user name")
		}
	case XOAuth2:
		if a.Tokens == nil {
			return nil, ErrNoTokenSource
		}
		if a.Username == "" {
			return nil, errors.New("tlsauth: XOAUTH2 needs the mailbox address as user name")
		}
		// ^A separates the fields of the XOAUTH2 initial response: a user
		// name holding one could forge them.
		if strings.ContainsAny(a.Username, "\x00\x01\r\n") {
			return nil, fmt.Errorf("tlsauth: XOAUTH2 user name %q holds a control character", a.Username)
		}
	default:
		return nil, fmt.Errorf("tlsauth: unsupported SASL mechanism %q", a.Mechanism)
	}
	au := &Authenticator{auth: a}
	if a.Mechanism == XOAuth2 {
		au.cache = NewTokenCache(a.Tokens, a.RefreshBefore)
	}
	return au, nil
}

// String shows the mechanism and user name, never the password or a token.
func (au *Authenticator) String() string { return au.auth.String() }

// Mechanism returns the configured mechanism.
func (au *Authenticator) Mechanism() Mechanism { return au.auth.Mechanism }

// Client returns the SASL client for a connection to host, or nil when no
// SASL step is configured.
func (au *Authenticator) Client(ctx context.Context, host string) (sasl.Client, error) {
	switch au.auth.Mechanism {
	case External:
		return sasl.NewExternalClient(au.auth.Username), nil
	case Plain:
		if !IsLoopback(host) {
			return nil, fmt.Errorf("%w: %q", ErrPlainNotLoopback, host)
		}
		return sasl.NewPlainClient("", au.auth.Username, au.auth.Password), nil
	case XOAuth2:
		tok, _, err := au.cache.Token(ctx)
		if err != nil {
			return nil, err
		}
		return NewXOAuth2Client(au.auth.Username, tok), nil
	}
	return nil, nil
}

// Invalidate drops the cached token, so that the next connection gets a new
// one (after the server refused it, or when the caller asks).
func (au *Authenticator) Invalidate() {
	if au.cache != nil {
		au.cache.Invalidate()
	}
}

// IsLoopback reports whether host (a name or an IP address, without port) is
// "localhost" or a loopback address.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// TokenCache keeps the last token of a TokenSource in memory and asks for a
// new one shortly before it expires. It is safe for concurrent use.
type TokenCache struct {
	src    TokenSource
	margin time.Duration
	now    func() time.Time

	mu     sync.Mutex
	token  string
	expiry time.Time
}

// NewTokenCache caches the tokens of src, replacing each one margin before it
// expires (default 30s when margin is 0).
func NewTokenCache(src TokenSource, margin time.Duration) *TokenCache {
	if margin <= 0 {
		margin = 30 * time.Second
	}
	return &TokenCache{src: src, margin: margin, now: time.Now}
}

// String never shows the cached token.
func (c *TokenCache) String() string { return "tlsauth.TokenCache" }

// Token returns the cached token, or a new one when it is missing or about
// to expire.
func (c *TokenCache) Token(ctx context.Context) (string, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && (c.expiry.IsZero() || c.now().Add(c.margin).Before(c.expiry)) {
		return c.token, c.expiry, nil
	}
	tok, exp, err := c.src.Token(ctx)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("tlsauth: getting an access token: %w", err)
	}
	if tok == "" {
		return "", time.Time{}, errors.New("tlsauth: the token source gave an empty token")
	}
	c.token, c.expiry = tok, exp
	return tok, exp, nil
}

// Invalidate forgets the cached token.
func (c *TokenCache) Invalidate() {
	c.mu.Lock()
	c.token, c.expiry = "", time.Time{}
	c.mu.Unlock()
}

// NewXOAuth2Client returns a SASL XOAUTH2 client (the Google/Microsoft
// mechanism operators use with Pro Santé Connect tokens): the initial
// response is "user=ADDRESS^Aauth=Bearer TOKEN^A^A". When the server answers
// with an error challenge, the client sends the empty response the mechanism
// requires and the server then fails the exchange.
func NewXOAuth2Client(username, token string) sasl.Client {
	return &xoauth2Client{username: username, token: token}
}

type xoauth2Client struct {
	username, token string
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	return string(XOAuth2), []byte("user=" + c.username + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	// The challenge is a JSON error report; answering empty ends the exchange.
	return []byte{}, nil
}

// String never shows the token.
func (c *xoauth2Client) String() string { return "XOAUTH2(" + c.username + ")" }
