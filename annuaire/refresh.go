package annuaire

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/limit"
)

// OfficialWhitelistURL is where ANS publishes the liste blanche. It is served
// under an IGC-Santé certificate: give WhitelistRefresher the IGC-Santé roots.
const OfficialWhitelistURL = "https://espacedeconfiance.mssante.fr/listeblanchemssante.xml"

// RefreshErrorKind classifies the failure of the last refresh.
type RefreshErrorKind string

// Kinds of refresh failures.
const (
	RefreshOK       RefreshErrorKind = ""
	RefreshFetch    RefreshErrorKind = "fetch"    // network, HTTP status, file
	RefreshChecksum RefreshErrorKind = "checksum" // SHA-256 mismatch or unreadable checksum
	RefreshParse    RefreshErrorKind = "parse"    // not a usable liste blanche
	RefreshTooSmall RefreshErrorKind = "too-small"
)

// RefreshStatus tells how fresh the liste blanche is.
type RefreshStatus struct {
	LastAttempt time.Time        `json:"lastAttempt,omitzero"`
	LastSuccess time.Time        `json:"lastSuccess,omitzero"` // last attempt that ended with a usable copy (changed or not)
	LastChange  time.Time        `json:"lastChange,omitzero"`  // last time the content changed
	Kind        RefreshErrorKind `json:"errorKind,omitempty"`
	Err         error            `json:"-"`
	Error       string           `json:"error,omitempty"`
	SHA256      string           `json:"sha256,omitempty"` // of the copy in use
	Domains     int              `json:"domains"`
	Generated   time.Time        `json:"generated,omitzero"`
	Findings    finding.List     `json:"findings"` // of the copy in use
}

// WhitelistRefresher keeps a liste blanche up to date from a URL or a file,
// and keeps the last good copy when a refresh fails. Set the fields, then
// call Refresh (at start-up and, say, daily). It is safe for concurrent use
// and implements WhitelistSource.
type WhitelistRefresher struct {
	// Source is an https:// (or http://) URL or a file path. Empty means
	// OfficialWhitelistURL.
	Source string
	// Checksum, if set, is where the expected SHA-256 is found (URL or
	// file; the first hex word of its content, as in the ANS GitHub mirror's
	// "checksum" file), or "sha256:<hex>" for a fixed value.
	Checksum string
	// Client is the HTTP client; nil means one with a 60 s timeout, TLS 1.2
	// minimum and RootCAs as its only roots.
	Client *http.Client
	// RootCAs are the roots trusted for the download (the IGC-Santé roots);
	// nil means the system pool.
	RootCAs *x509.CertPool
	// MinDomains refuses a copy with fewer domains than this (a truncated
	// publication); zero means 100.
	MinDomains int
	// Options bounds the parser.
	Options WhitelistOptions

	cur    atomic.Pointer[Whitelist]
	mu     sync.Mutex // serialises Refresh and guards status
	status RefreshStatus
	client *http.Client
}

// Current returns the last good copy, or nil before the first success (or
// for a nil refresher).
func (r *WhitelistRefresher) Current() *Whitelist {
	if r == nil {
		return nil
	}
	return r.cur.Load()
}

// Status returns the state of the refreshes.
func (r *WhitelistRefresher) Status() RefreshStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// RefreshError is returned by Refresh.
type RefreshError struct {
	Kind RefreshErrorKind
	Err  error
}

func (e *RefreshError) Error() string {
	return fmt.Sprintf("annuaire: liste blanche refresh failed (%s): %v", e.Kind, e.Err)
}

func (e *RefreshError) Unwrap() error { return e.Err }

// Refresh downloads or reads the liste blanche, checks it and installs it.
// changed reports whether the content differs from the copy in use. On error
// the copy in use stays and the error is a *RefreshError.
func (r *WhitelistRefresher) Refresh(ctx context.Context) (changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.status.LastAttempt = now
	fail := func(kind RefreshErrorKind, err error) (bool, error) {
		r.status.Kind, r.status.Err, r.status.Error = kind, err, err.Error()
		return false, &RefreshError{Kind: kind, Err: err}
	}
	src := r.Source
	if src == "" {
		src = OfficialWhitelistURL
	}
	maxBytes := r.Options.MaxBytes
	if maxBytes <= 0 {
		maxBytes = 64 << 20
	}
	data, err := r.fetch(ctx, src, maxBytes)
	if err != nil {
		return fail(RefreshFetch, err)
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	if r.Checksum != "" {
		want, err := r.expectedSum(ctx)
		if err != nil {
			return fail(RefreshChecksum, err)
		}
		if !strings.EqualFold(want, hexSum) {
			return fail(RefreshChecksum, fmt.Errorf("%w: got %s, want %s", ErrChecksum, hexSum, want))
		}
	}
	if old := r.cur.Load(); old != nil && old.SHA256 == hexSum {
		r.status.LastSuccess = now
		r.status.Kind, r.status.Err, r.status.Error = RefreshOK, nil, ""
		return false, nil
	}
	wl, fs, err := ParseWhitelist(bytes.NewReader(data), &r.Options)
	if err != nil {
		return fail(RefreshParse, err)
	}
	min := r.MinDomains
	if min == 0 {
		min = 100
	}
	if wl.Len() < min {
		return fail(RefreshTooSmall, fmt.Errorf("%w: %d domains, fewer than %d: probably truncated", ErrWhitelist, wl.Len(), min))
	}
	wl.SHA256 = hexSum
	r.cur.Store(wl)
	r.status = RefreshStatus{
		LastAttempt: now, LastSuccess: now, LastChange: now,
		SHA256: hexSum, Domains: wl.Len(), Generated: wl.Generated, Findings: fs,
	}
	return true, nil
}

func (r *WhitelistRefresher) httpClient() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	if r.client == nil {
		r.client = &http.Client{
			Timeout: 60 * time.Second,
			Transport: &http.Transport{
				Proxy:           http.ProxyFromEnvironment,
				TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: r.RootCAs},
			},
		}
	}
	return r.client
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

func (r *WhitelistRefresher) fetch(ctx context.Context, src string, maxBytes int64) ([]byte, error) {
	var body io.ReadCloser
	if isURL(src) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, err
		}
		resp, err := r.httpClient().Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s: HTTP %s", src, resp.Status)
		}
		body = resp.Body
	} else {
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		body = f
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, &limit.Error{What: src, Limit: limit.Size, Max: maxBytes}
	}
	return data, nil
}

func (r *WhitelistRefresher) expectedSum(ctx context.Context) (string, error) {
	var text string
	if v, ok := strings.CutPrefix(r.Checksum, "sha256:"); ok {
		text = v
	} else {
		data, err := r.fetch(ctx, r.Checksum, 4096)
		if err != nil {
			return "", fmt.Errorf("%w: reading %s: %v", ErrChecksum, r.Checksum, err)
		}
		text = string(data)
	}
	f := strings.Fields(text)
	if len(f) == 0 {
		return "", fmt.Errorf("%w: empty checksum", ErrChecksum)
	}
	if b, err := hex.DecodeString(f[0]); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("%w: %q is not a hex SHA-256", ErrChecksum, f[0])
	}
	return f[0], nil
}

// Run refreshes now, then every interval (zero means 24 hours) until ctx
// ends, and returns ctx's error. Failures keep the last good copy and are
// passed to onError, if set; Status tells the rest.
func (r *WhitelistRefresher) Run(ctx context.Context, interval time.Duration, onError func(error)) error {
	if interval <= 0 {
		interval = 24 * time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := r.Refresh(ctx); err != nil && onError != nil && ctx.Err() == nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
