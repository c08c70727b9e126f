package annuaire

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
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

// RefreshErrorKind classifies the failure of a refresh, or the rule of the
// refresh policy that refused a candidate list.
type RefreshErrorKind string

// Kinds of refresh failures and refusals.
const (
	RefreshOK         RefreshErrorKind = ""
	RefreshFetch      RefreshErrorKind = "fetch"      // network, HTTP status, file
	RefreshChecksum   RefreshErrorKind = "checksum"   // SHA-256 mismatch or unreadable checksum
	RefreshParse      RefreshErrorKind = "parse"      // not a usable liste blanche (ErrWhitelist, *limit.Error)
	RefreshSignature  RefreshErrorKind = "signature"  // the signature verdict is not accepted
	RefreshIncomplete RefreshErrorKind = "incomplete" // not well-formed to its closing root tag
	RefreshDate       RefreshErrorKind = "date"       // no DateDeGeneration, or one in the future
	RefreshOlder      RefreshErrorKind = "older"      // generated before the list in use
	RefreshTooSmall   RefreshErrorKind = "too-small"  // fewer than MinDomains domains
	RefreshEssential  RefreshErrorKind = "essential"  // an essential domain is missing
	RefreshShrunk     RefreshErrorKind = "shrunk"     // loses more than MaxLoss of the domains in use
)

// DefaultEssentialDomains are the domains a candidate liste blanche must
// hold, unless WhitelistRefresher.Essential says otherwise: the national
// domains of the professions (operated by the ANS's Mailiz service, "réservé
// aux PS médecins", "pharmaciens"...), its generic domain pro.mssante.fr,
// and the patients' domain of Mon Espace Santé. Each is in the signed list
// of 2025-02-28 and in every complete publication since; without one of
// them a whole profession, or every patient, would be cut off. See
// docs/annuaire.md.
var DefaultEssentialDomains = []string{
	"medecin.mssante.fr",
	"pharmacien.mssante.fr",
	"chirurgien-dentiste.mssante.fr",
	"infirmier.mssante.fr",
	"masseur-kinesitherapeute.mssante.fr",
	"orthophoniste.mssante.fr",
	"pedicure-podologue.mssante.fr",
	"sage-femme.mssante.fr",
	"pro.mssante.fr",
	"patient.mssante.fr",
}

// Defaults of WhitelistRefresher.
const (
	DefaultMinDomains = 1000
	DefaultMaxLoss    = 0.05
	DefaultStaleAfter = 72 * time.Hour
	// futureTolerance is how far in the future a DateDeGeneration may be
	// (clock skew): further, the list would block every later one as
	// "older".
	futureTolerance = 24 * time.Hour
)

// RefreshStatus tells how fresh the liste blanche is and why the last
// candidate, if any, was refused. It is what an operator monitors (see
// docs/annuaire.md).
type RefreshStatus struct {
	LastAttempt time.Time        `json:"last_attempt,omitzero"`
	LastSuccess time.Time        `json:"last_success,omitzero"` // last attempt that ended with a good copy (changed or not)
	LastChange  time.Time        `json:"last_change,omitzero"`  // last time the copy in use was replaced
	Kind        RefreshErrorKind `json:"error_kind,omitempty"`  // of the last attempt
	Err         error            `json:"-"`
	Error       string           `json:"error,omitempty"`

	// The copy in use.
	SHA256    string           `json:"sha256,omitempty"`
	Domains   int              `json:"domains"`
	Generated time.Time        `json:"generated,omitzero"` // its DateDeGeneration: the last good generation date
	Signature SignatureVerdict `json:"signature,omitzero"`
	Findings  finding.List     `json:"findings"`
	// Warning is set while the copy in use is not signed-and-trusted
	// (installed under AllowUnsigned) or not complete (AllowUnclosed).
	Warning string `json:"warning,omitempty"`

	// Age is the time since Generated, when Status was called.
	Age        time.Duration `json:"-"`
	AgeSeconds int64         `json:"age_seconds"`
	// Stale reports no copy in use, or no successful refresh for StaleAfter.
	Stale bool `json:"stale"`

	// LastRefusal is the last candidate that was fetched but not installed.
	// It stays after later successes, for the record.
	LastRefusal *Refusal `json:"last_refusal,omitempty"`
}

// Refusal describes a candidate list the refresher did not install.
type Refusal struct {
	At        time.Time          `json:"at"`
	Kind      RefreshErrorKind   `json:"kind"`  // the first rule broken
	Kinds     []RefreshErrorKind `json:"kinds"` // every rule broken
	Reason    string             `json:"reason"`
	SHA256    string             `json:"sha256,omitempty"`
	Generated time.Time          `json:"generated,omitzero"`
	Domains   int                `json:"domains,omitempty"`
	Signature SignatureStatus    `json:"signature,omitempty"`
}

// WhitelistRefresher keeps a liste blanche up to date from a URL or a file,
// and never installs a candidate that could shrink the trust space by
// accident or by forgery. Set the fields, then call Refresh (at start-up and,
// say, daily) or Run. It is safe for concurrent use and implements
// WhitelistSource.
//
// A candidate is installed only when it passes every rule of the policy:
//
//   - its signature is SignatureTrusted (AllowUnsigned also accepts unsigned
//     lists and signers not trusted, with a warning; a bad signature is
//     always refused);
//   - it is well-formed to its closing root tag (AllowUnclosed accepts a
//     missing root tag when every entry is complete; a list cut inside
//     ListeDomaines is always refused);
//   - it has a DateDeGeneration, not more than a day in the future, and not
//     before that of the list in use;
//   - it has at least MinDomains domains and every Essential domain;
//   - it loses at most MaxLoss of the domains of the list in use.
//
// Otherwise the list in use stays, and Status tells why (LastRefusal).
type WhitelistRefresher struct {
	// Source is an https:// (or http://) URL or a file path. Empty means
	// OfficialWhitelistURL.
	Source string
	// Checksum, if set, is where the expected SHA-256 is found (URL or
	// file; the first hex word of its content, as in the ANS GitHub mirror's
	// "checksum" file), or "sha256:<hex>" for a fixed value. A checksum
	// fetched beside the list proves nothing against whoever can alter
	// both: the signature does.
	Checksum string
	// Client is the HTTP client; nil means one with a 60 s timeout, TLS 1.2
	// minimum and RootCAs as its only roots.
	Client *http.Client
	// RootCAs are the IGC Santé roots (tlsauth.LoadRoots), trusted for the
	// download and, unless Options.Roots is set, for the signature. Nil
	// means the system pool for the download and no trusted signer.
	RootCAs *x509.CertPool
	// Options bounds the parser; nil means the defaults of WhitelistOptions
	// with Roots = RootCAs.
	Options *WhitelistOptions

	// AllowUnsigned installs lists that are unsigned, or signed by a
	// certificate that is not trusted (a mirror, a test list), with a
	// warning in Status and the Logger. Off in production.
	AllowUnsigned bool
	// AllowUnclosed installs a list that ends without
	// </ListeBlancheMSSante> when every entry is complete, as every copy of
	// the ANS GitHub mirror does.
	AllowUnclosed bool
	// MinDomains refuses a list with fewer domains; zero means 1,000 (the
	// list has about 5,000).
	MinDomains int
	// MaxLoss is the share of the domains in use that a new list may lose;
	// zero means 5 %, 1 or more disables the rule. Between 2025-02-28 and
	// 2025-03-13 the list lost 1 domain out of 4,944.
	MaxLoss float64
	// Essential are domains every list must hold; nil means
	// DefaultEssentialDomains, an empty non-nil slice none.
	Essential []string
	// StaleAfter is how long without a successful refresh makes
	// Status().Stale; zero means 72 hours.
	StaleAfter time.Duration
	// Logger, if set, receives a warning for every refusal and every
	// installation of a list that is not signed-and-trusted.
	Logger *slog.Logger

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

// Status returns the state of the refreshes, with Age and Stale computed
// now.
func (r *WhitelistRefresher) Status() RefreshStatus {
	r.mu.Lock()
	st := r.status
	r.mu.Unlock()
	now := time.Now()
	if !st.Generated.IsZero() {
		st.Age = now.Sub(st.Generated)
		st.AgeSeconds = int64(st.Age / time.Second)
	}
	staleAfter := r.StaleAfter
	if staleAfter <= 0 {
		staleAfter = DefaultStaleAfter
	}
	st.Stale = r.cur.Load() == nil || now.Sub(st.LastSuccess) > staleAfter
	return st
}

// RefreshError is returned by Refresh and Offer.
type RefreshError struct {
	Kind  RefreshErrorKind   // the first rule broken, or the failure
	Kinds []RefreshErrorKind // every rule broken (policy refusals)
	Err   error
}

func (e *RefreshError) Error() string {
	return fmt.Sprintf("annuaire: liste blanche refresh failed (%s): %v", e.Kind, e.Err)
}

func (e *RefreshError) Unwrap() error { return e.Err }

// Refresh downloads or reads the liste blanche, checks it and installs it.
// changed reports whether the copy in use was replaced. On error the copy in
// use stays and the error is a *RefreshError.
func (r *WhitelistRefresher) Refresh(ctx context.Context) (changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.status.LastAttempt = now
	src := r.Source
	if src == "" {
		src = OfficialWhitelistURL
	}
	opts := r.options()
	data, err := r.fetch(ctx, src, opts.MaxBytes)
	if err != nil {
		return r.fail(&RefreshError{Kind: RefreshFetch, Err: err}, nil)
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	refused := &Refusal{At: now, SHA256: hexSum}
	if r.Checksum != "" {
		want, err := r.expectedSum(ctx)
		if err != nil {
			return r.fail(&RefreshError{Kind: RefreshChecksum, Err: err}, refused)
		}
		if !strings.EqualFold(want, hexSum) {
			return r.fail(&RefreshError{Kind: RefreshChecksum, Err: fmt.Errorf("%w: got %s, want %s", ErrChecksum, hexSum, want)}, refused)
		}
	}
	if old := r.cur.Load(); old != nil && old.SHA256 == hexSum {
		r.status.LastSuccess = now
		r.status.Kind, r.status.Err, r.status.Error = RefreshOK, nil, ""
		return false, nil
	}
	wl, fs, err := ParseWhitelist(bytes.NewReader(data), opts)
	if err != nil {
		return r.fail(&RefreshError{Kind: RefreshParse, Err: err}, refused)
	}
	return r.offer(wl, fs, now)
}

// Offer applies the refresh policy to a list the caller parsed (with its
// own WhitelistOptions) and installs it when it passes, exactly as Refresh
// does with the list it fetched. The CLI uses it to report what a refresher
// would do with a file.
func (r *WhitelistRefresher) Offer(wl *Whitelist, fs finding.List) (changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.status.LastAttempt = now
	if wl == nil {
		return r.fail(&RefreshError{Kind: RefreshParse, Err: fmt.Errorf("%w: no list", ErrWhitelist)}, &Refusal{At: now})
	}
	if old := r.cur.Load(); old != nil && old.SHA256 != "" && old.SHA256 == wl.SHA256 {
		r.status.LastSuccess = now
		r.status.Kind, r.status.Err, r.status.Error = RefreshOK, nil, ""
		return false, nil
	}
	return r.offer(wl, fs, now)
}

// offer vets and installs a parsed candidate; r.mu is held.
func (r *WhitelistRefresher) offer(wl *Whitelist, fs finding.List, now time.Time) (bool, error) {
	if err := r.vet(wl, r.cur.Load(), now); err != nil {
		return r.fail(err, &Refusal{At: now, SHA256: wl.SHA256, Generated: wl.Generated, Domains: wl.Len(), Signature: wl.Signature.Status})
	}
	var warning string
	if !wl.Signature.Trusted() {
		warning = fmt.Sprintf("the liste blanche in use is %s (AllowUnsigned): %s", wl.Signature.Status, wl.Signature.Reason)
	}
	if !wl.Complete {
		warning = strings.TrimPrefix(warning+"; the liste blanche in use has no closing root tag (AllowUnclosed)", "; ")
	}
	r.cur.Store(wl)
	last := r.status.LastRefusal
	r.status = RefreshStatus{
		LastAttempt: now, LastSuccess: now, LastChange: now,
		SHA256: wl.SHA256, Domains: wl.Len(), Generated: wl.Generated, Signature: wl.Signature, Findings: fs,
		Warning: warning, LastRefusal: last,
	}
	if warning != "" && r.Logger != nil {
		r.Logger.Warn("annuaire: liste blanche installed without full guarantees", slog.String("warning", warning), slog.Time("generated", wl.Generated), slog.Int("domains", wl.Len()))
	}
	return true, nil
}

// fail records a failed attempt, and the refused candidate if there was
// one; r.mu is held.
func (r *WhitelistRefresher) fail(e *RefreshError, refused *Refusal) (bool, error) {
	if e.Kinds == nil {
		e.Kinds = []RefreshErrorKind{e.Kind}
	}
	r.status.Kind, r.status.Err, r.status.Error = e.Kind, e, e.Err.Error()
	if refused != nil {
		refused.Kind, refused.Kinds, refused.Reason = e.Kind, e.Kinds, e.Err.Error()
		r.status.LastRefusal = refused
	}
	if r.Logger != nil {
		r.Logger.Warn("annuaire: liste blanche refresh failed, the list in use is kept", slog.String("kind", string(e.Kind)), slog.String("error", e.Err.Error()))
	}
	return false, e
}

// vet applies the policy to a candidate against the list in use (old,
// possibly nil) and returns every rule it breaks.
func (r *WhitelistRefresher) vet(wl, old *Whitelist, now time.Time) *RefreshError {
	var e RefreshError
	var errs []error
	refuse := func(kind RefreshErrorKind, err error) {
		e.Kinds = append(e.Kinds, kind)
		errs = append(errs, err)
	}
	switch v := wl.Signature; {
	case v.Trusted():
	case v.Status == SignatureBad || v.Status == "" || !r.AllowUnsigned:
		refuse(RefreshSignature, &SignatureError{Verdict: v})
	}
	switch {
	case wl.Truncated:
		refuse(RefreshIncomplete, fmt.Errorf("%w: the document is cut inside the list (%d entries read)", ErrWhitelist, wl.Entries))
	case !wl.Complete && !r.AllowUnclosed:
		refuse(RefreshIncomplete, fmt.Errorf("%w: the document ends without </ListeBlancheMSSante>", ErrWhitelist))
	}
	switch {
	case wl.Generated.IsZero():
		refuse(RefreshDate, fmt.Errorf("%w: no readable DateDeGeneration", ErrWhitelist))
	case wl.Generated.After(now.Add(futureTolerance)):
		refuse(RefreshDate, fmt.Errorf("%w: generated %s, in the future", ErrWhitelist, wl.Generated.UTC().Format(time.RFC3339)))
	case old != nil && wl.Generated.Before(old.Generated):
		refuse(RefreshOlder, fmt.Errorf("%w: generated %s, before the list in use (%s)", ErrWhitelist, wl.Generated.UTC().Format(time.RFC3339), old.Generated.UTC().Format(time.RFC3339)))
	}
	minDomains := r.MinDomains
	if minDomains <= 0 {
		minDomains = DefaultMinDomains
	}
	if wl.Len() < minDomains {
		refuse(RefreshTooSmall, fmt.Errorf("%w: %d domains, fewer than %d", ErrWhitelist, wl.Len(), minDomains))
	}
	essential := r.Essential
	if essential == nil {
		essential = DefaultEssentialDomains
	}
	var missing []string
	for _, d := range essential {
		if !wl.Contains(d) {
			missing = append(missing, normDomain(d))
		}
	}
	if len(missing) > 0 {
		refuse(RefreshEssential, fmt.Errorf("%w: essential domains missing: %s", ErrWhitelist, strings.Join(missing, ", ")))
	}
	maxLoss := r.MaxLoss
	if maxLoss <= 0 {
		maxLoss = DefaultMaxLoss
	}
	if old != nil && old.Len() > 0 && maxLoss < 1 {
		var lost []string
		for d := range old.domains {
			if !wl.Contains(d) {
				lost = append(lost, d)
			}
		}
		if share := float64(len(lost)) / float64(old.Len()); share > maxLoss {
			sort.Strings(lost)
			refuse(RefreshShrunk, fmt.Errorf("%w: loses %d of the %d domains in use (%.1f %%, more than %.1f %%), e.g. %s",
				ErrWhitelist, len(lost), old.Len(), 100*share, 100*maxLoss, strings.Join(lost[:min(len(lost), 5)], ", ")))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	e.Kind = e.Kinds[0]
	e.Err = errors.Join(errs...)
	return &e
}

// options returns the parser options: Options, with RootCAs as the
// signature roots when Options.Roots is nil.
func (r *WhitelistRefresher) options() *WhitelistOptions {
	o := r.Options.withDefaults()
	if o.Roots == nil {
		o.Roots = r.RootCAs
	}
	return &o
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
