package annuaire

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mssante-go/sdk/limit"
)

// DefaultFHIRBaseURL is the Annuaire Santé FHIR API v2 (annuaire.md §3.1).
const DefaultFHIRBaseURL = "https://gateway.api.esante.gouv.fr/fhir/v2"

// FHIR defaults (annuaire.md §3.1): 17 calls per second per application, 30 s
// before the gateway gives up.
const (
	DefaultFHIRRateLimit = 17
	DefaultFHIRTimeout   = 30 * time.Second
)

// maxFHIRResponse bounds one response body: a page of Bundle entries is a
// few hundred kilobytes; a larger body gives a *limit.Error.
const maxFHIRResponse = 32 << 20

// FHIR extension and code values used to recognise MSSanté mailboxes
// (annuaire.md §3.2). They are matched on the end of the URL, since the
// IG and the documentation use different hosts.
const (
	extEmailType       = "fr-core-contact-point-email-type"
	extMailboxMetadata = "as-ext-mailbox-mss-metadata"
	emailTypeMSSante   = "MSSANTE"
)

// FHIRClient queries the Annuaire Santé FHIR API v2. Set the fields, then
// use it from any number of goroutines; the zero value (plus an APIKey)
// talks to DefaultFHIRBaseURL with the defaults below. It implements
// Resolver.
type FHIRClient struct {
	// BaseURL is the FHIR base; empty means DefaultFHIRBaseURL.
	BaseURL string
	// APIKey is sent as the ESANTE-API-KEY header.
	APIKey string
	// RootCAs are the roots trusted for the gateway; nil means the system
	// pool. Ignored when HTTPClient is set.
	RootCAs *x509.CertPool
	// HTTPClient, if set, sends the requests (tests, proxies).
	HTTPClient *http.Client
	// RateLimit is the maximum requests per second, shared by all the
	// goroutines using the client; zero means 17, negative means none.
	RateLimit float64
	// Timeout bounds each request; zero means 30 s.
	Timeout time.Duration
	// MaxRetries is how often a request answered 429 or 5xx is sent again
	// (after Retry-After, or an exponential back-off); zero means 3,
	// negative means never.
	MaxRetries int
	// MaxPages bounds the pages followed for one search; zero means 50.
	MaxPages int
	// PageSize sets _count; zero leaves the server default (50).
	PageSize int

	once   sync.Once
	lim    *limiter
	client *http.Client
	base   *url.URL
	err    error
}

// FHIRError is an error answer of the FHIR server.
type FHIRError struct {
	Status      int    // HTTP status
	URL         string // request URL (without the API key, which is a header)
	Diagnostics string // from the OperationOutcome, if any
}

func (e *FHIRError) Error() string {
	s := fmt.Sprintf("annuaire: FHIR server answered %d %s for %s", e.Status, http.StatusText(e.Status), e.URL)
	if e.Diagnostics != "" {
		s += ": " + e.Diagnostics
	}
	return s
}

// Unwrap returns ErrFHIR.
func (e *FHIRError) Unwrap() error { return ErrFHIR }

// Temporary reports whether the request may succeed later (429, 5xx).
func (e *FHIRError) Temporary() bool { return e.Status == 429 || e.Status >= 500 }

func (c *FHIRClient) init() error {
	c.once.Do(func() {
		base := c.BaseURL
		if base == "" {
			base = DefaultFHIRBaseURL
		}
		u, err := url.Parse(strings.TrimSuffix(base, "/"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			c.err = fmt.Errorf("annuaire: bad FHIR base URL %q", base)
			return
		}
		c.base = u
		rate := c.RateLimit
		if rate == 0 {
			rate = DefaultFHIRRateLimit
		}
		c.lim = newLimiter(rate)
		c.client = c.HTTPClient
		if c.client == nil {
			c.client = &http.Client{Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.RootCAs},
				MaxIdleConnsPerHost: 4,
				IdleConnTimeout:     90 * time.Second,
			}}
		}
	})
	return c.err
}

func (c *FHIRClient) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultFHIRTimeout
}

func (c *FHIRClient) retries() int {
	switch {
	case c.MaxRetries < 0:
		return 0
	case c.MaxRetries == 0:
		return 3
	}
	return c.MaxRetries
}

// get fetches one URL as FHIR JSON, with the rate limit, the timeout and
// the retries, and decodes it into v.
func (c *FHIRClient) get(ctx context.Context, u string, v any) error {
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := c.getOnce(ctx, u, v)
		var fe *FHIRError
		if err == nil || !errors.As(err, &fe) || !fe.Temporary() || attempt >= c.retries() {
			return err
		}
		wait := backoff
		if ra, ok := err.(*retryAfter); ok && ra.d >= 0 {
			wait = ra.d
		}
		backoff *= 2
		t := time.NewTimer(min(wait, 30*time.Second))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// retryAfter carries the Retry-After delay of a temporary failure.
type retryAfter struct {
	*FHIRError
	d time.Duration
}

func (e *retryAfter) Unwrap() error { return e.FHIRError }

func (c *FHIRClient) getOnce(ctx context.Context, u string, v any) error {
	if err := c.lim.wait(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/fhir+json")
	if c.APIKey != "" {
		req.Header.Set("ESANTE-API-KEY", c.APIKey)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("annuaire: FHIR request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFHIRResponse+1))
	if ctx.Err() != nil {
		// The timeout or the caller's cancellation may race with a
		// truncated answer: report the real cause.
		return fmt.Errorf("annuaire: FHIR request %s: %w", u, ctx.Err())
	}
	if err == nil && len(body) > maxFHIRResponse {
		err = &limit.Error{What: "FHIR response", Limit: limit.Size, Max: maxFHIRResponse}
	}
	if err != nil {
		return fmt.Errorf("annuaire: FHIR response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		fe := &FHIRError{Status: resp.StatusCode, URL: u, Diagnostics: outcomeText(body)}
		if fe.Temporary() {
			d := time.Duration(-1)
			if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
				d = time.Duration(s) * time.Second
			}
			return &retryAfter{fe, d}
		}
		return fe
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: undecodable answer from %s: %v", ErrFHIR, u, err)
	}
	return nil
}

// outcomeText extracts the diagnostics of an OperationOutcome.
func outcomeText(body []byte) string {
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Severity    string `json:"severity"`
			Code        string `json:"code"`
			Diagnostics string `json:"diagnostics"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" {
		return ""
	}
	var parts []string
	for _, i := range oo.Issue {
		parts = append(parts, strings.TrimSpace(i.Code+" "+i.Diagnostics))
	}
	return strings.Join(parts, "; ")
}

// search runs a search and follows the next links, returning every entry.
func (c *FHIRClient) search(ctx context.Context, resource string, params url.Values) ([]fhirResource, error) {
	if err := c.init(); err != nil {
		return nil, err
	}
	if c.PageSize > 0 {
		params.Set("_count", strconv.Itoa(c.PageSize))
	}
	u := *c.base
	u.Path += "/" + resource
	u.RawQuery = params.Encode()
	next := u.String()
	maxPages := c.MaxPages
	if maxPages <= 0 {
		maxPages = 50
	}
	var out []fhirResource
	for page := 0; next != ""; page++ {
		if page == maxPages {
			return out, fmt.Errorf("%w: more than %d pages for %s", ErrFHIR, maxPages, resource)
		}
		var b fhirBundle
		if err := c.get(ctx, next, &b); err != nil {
			return nil, err
		}
		if b.ResourceType != "Bundle" {
			return nil, fmt.Errorf("%w: %s answered a %q, want a Bundle", ErrFHIR, resource, b.ResourceType)
		}
		for _, e := range b.Entry {
			out = append(out, e.Resource)
		}
		next = ""
		for _, l := range b.Link {
			if l.Relation == "next" && l.URL != "" {
				n, err := c.sameOrigin(l.URL)
				if err != nil {
					return nil, err
				}
				next = n
			}
		}
	}
	return out, nil
}

// sameOrigin refuses a next link to another host: the API key must not
// leave the gateway.
func (c *FHIRClient) sameOrigin(link string) (string, error) {
	u, err := c.base.Parse(link)
	if err != nil {
		return "", fmt.Errorf("%w: bad next link %q", ErrFHIR, link)
	}
	if u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return "", fmt.Errorf("%w: next link %q leaves %s", ErrFHIR, link, c.base.Host)
	}
	return u.String(), nil
}

// ByPerson returns the MSSanté mailboxes of a person: those on the
// Practitioner (PER without structure, CAB) and on each of their
// PractitionerRoles (PER attached to a structure, labelled with it). id is
// an RPPS or a national identifier (IDNPS).
func (c *FHIRClient) ByPerson(ctx context.Context, id string) ([]Mailbox, error) {
	res, err := c.search(ctx, "Practitioner", url.Values{
		"identifier":  {strings.TrimSpace(id)},
		"_revinclude": {"PractitionerRole:practitioner"},
	})
	if err != nil {
		return nil, err
	}
	b := newBundleSet(res)
	if err := c.fetchOrganizations(ctx, b); err != nil {
		return nil, err
	}
	// The organisations only label the roles' mailboxes: their own
	// mailboxes are not the person's.
	return b.mailboxes(false), nil
}

// fetchOrganizations gets the organisations the roles point to and that
// the bundle did not include.
func (c *FHIRClient) fetchOrganizations(ctx context.Context, b *bundleSet) error {
	var ids []string
	seen := map[string]bool{}
	for _, r := range b.roles {
		ref := r.Organization.Reference
		id := strings.TrimPrefix(ref, "Organization/")
		if ref == "" || b.lookup(ref) != nil || seen[id] || len(r.Telecom.mss()) == 0 {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil
	}
	res, err := c.search(ctx, "Organization", url.Values{"_id": {strings.Join(ids, ",")}})
	if err != nil {
		return err
	}
	b.add(res)
	return nil
}

// ByStructure returns the MSSanté mailboxes of an organisation (ORG and APP
// mailboxes on Organization.telecom; ordinary e-mail addresses are left
// out). id is a FINESS, SIRET or national structure identifier.
func (c *FHIRClient) ByStructure(ctx context.Context, id string) ([]Mailbox, error) {
	res, err := c.search(ctx, "Organization", url.Values{"identifier": {strings.TrimSpace(id)}})
	if err != nil {
		return nil, err
	}
	b := newBundleSet(res)
	var out []Mailbox
	for _, o := range b.orgs {
		out = append(out, o.Telecom.mailboxes(nil, nil, o)...)
	}
	return out, nil
}

// ByAddress finds a mailbox by its exact address (mailbox-mss:exact),
// looking at PractitionerRole, then Practitioner, then Organization.
func (c *FHIRClient) ByAddress(ctx context.Context, address string) (Mailbox, error) {
	address = strings.TrimSpace(address)
	if err := CheckAddress(address); err != nil {
		return Mailbox{}, err
	}
	steps := []struct {
		resource string
		params   url.Values
	}{
		{"PractitionerRole", url.Values{"_include": {"PractitionerRole:practitioner", "PractitionerRole:organization"}}},
		{"Practitioner", url.Values{}},
		{"Organization", url.Values{}},
	}
	for _, s := range steps {
		s.params.Set("mailbox-mss:exact", address)
		res, err := c.search(ctx, s.resource, s.params)
		if err != nil {
			return Mailbox{}, err
		}
		for _, m := range newBundleSet(res).mailboxes(true) {
			if strings.EqualFold(m.Address, address) {
				return m, nil
			}
		}
	}
	return Mailbox{}, ErrNotFound
}

// ResolveAddress implements Resolver.
func (c *FHIRClient) ResolveAddress(ctx context.Context, address string) (Mailbox, error) {
	return c.ByAddress(ctx, address)
}

// ResolvePerson implements Resolver.
func (c *FHIRClient) ResolvePerson(ctx context.Context, id string) ([]Mailbox, error) {
	m, err := c.ByPerson(ctx, id)
	if err != nil {
		return nil, err
	}
	return notFoundIfEmpty(m)
}

// ResolveStructure implements Resolver.
func (c *FHIRClient) ResolveStructure(ctx context.Context, id string) ([]Mailbox, error) {
	m, err := c.ByStructure(ctx, id)
	if err != nil {
		return nil, err
	}
	return notFoundIfEmpty(m)
}
