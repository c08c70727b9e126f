// Package apitest is test plumbing for the HTTP service of package
// mssante/serve: an HTTP client whose every request and answer is validated
// against the service's OpenAPI document with a real validator
// (github.com/getkin/kin-openapi: openapi3 loads and validates the
// document, openapi3filter checks requests and answers, multipart bodies
// and problem details included), and the requests the tests share.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/mssante-go/sdk/mssante/serve"
)

var registerOnce sync.Once

// register teaches the validator the media types of the service that it
// does not know: they are checked as opaque bytes against their schema.
func register() {
	registerOnce.Do(func() {
		for _, ct := range []string{"application/pdf", "message/rfc822", "text/xml", "application/xml", "application/hl7-cda+xml", "text/event-stream"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
		}
	})
}

// Validator checks requests and answers against the OpenAPI document.
type Validator struct {
	Doc    *openapi3.T
	router routers.Router
}

// NewValidator loads the service's document, validates it (OpenAPI 3.0
// rules, references, schemas, examples) and prepares the router.
func NewValidator(t testing.TB) *Validator {
	t.Helper()
	register()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(serve.OpenAPI())
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	// The test servers listen on random ports: routes match on paths.
	doc.Servers = nil
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("openapi.json router: %v", err)
	}
	return &Validator{Doc: doc, router: r}
}

// Client is an HTTP client of the service that validates each request and
// answer, failing the test on the first mismatch, and counts them.
type Client struct {
	T    testing.TB
	Base string // e.g. http://127.0.0.1:8480
	Key  string // the API key; "" sends none
	HTTP *http.Client

	mu        sync.Mutex
	validated int
}

// Client returns a client of the service at base.
func (v *Validator) Client(t testing.TB, base, key string) *Client {
	c := &Client{T: t, Base: strings.TrimSuffix(base, "/"), Key: key}
	c.HTTP = &http.Client{Transport: &validating{v: v, c: c, next: http.DefaultTransport}}
	return c
}

// Validated returns the number of answers validated.
func (c *Client) Validated() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.validated
}

type validating struct {
	v    *Validator
	c    *Client
	next http.RoundTripper
}

func (tr *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	t := tr.c.T
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	route, params, err := tr.v.router.FindRoute(req)
	if err != nil {
		t.Errorf("OpenAPI: %s %s: no route in openapi.json: %v", req.Method, req.URL.Path, err)
		return tr.next.RoundTrip(req)
	}
	opts := &openapi3filter.Options{
		// The API key is the server's business (401 is tested); the
		// document declares it, the validator only checks shapes here.
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if !strings.HasPrefix(req.Header.Get("X-Apitest"), "invalid") {
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			t.Errorf("OpenAPI: request %s %s does not match openapi.json: %v", req.Method, req.URL.Path, err)
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := tr.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		// A stream is read by the test as it comes: its status and
		// headers are checked here, its events by the test.
		o2 := *opts
		o2.ExcludeResponseBody = true
		out.Options = &o2
		out.Body = io.NopCloser(strings.NewReader(""))
	} else {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		out.SetBodyBytes(b)
	}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		t.Errorf("OpenAPI: answer %d to %s %s does not match openapi.json: %v", resp.StatusCode, req.Method, req.URL.Path, err)
	}
	tr.c.mu.Lock()
	tr.c.validated++
	tr.c.mu.Unlock()
	return resp, nil
}

// Do sends a request; body may be nil. It returns the status, the headers
// and the body.
func (c *Client) Do(method, path, contentType string, body []byte, headers ...string) (int, http.Header, []byte) {
	c.T.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.Base+path, r)
	if err != nil {
		c.T.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatalf("%s %s: reading: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// JSON sends a request and decodes a JSON answer into out (when not nil);
// it fails the test unless the status is want.
func (c *Client) JSON(method, path string, in any, want int, out any, headers ...string) []byte {
	c.T.Helper()
	var body []byte
	ct := ""
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			c.T.Fatal(err)
		}
		ct = "application/json"
	}
	status, _, b := c.Do(method, path, ct, body, headers...)
	if status != want {
		c.T.Fatalf("%s %s: %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.T.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
	return b
}

// Multipart returns the body and content type of POST /v1/messages.
func Multipart(t testing.TB, meta any, pdf []byte, filename string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	ct, err := serve.WriteSendRequest(&b, meta, pdf, filename)
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), ct
}

// Problem decodes an RFC 9457 problem.
func Problem(t testing.TB, b []byte) serve.Problem {
	t.Helper()
	var p serve.Problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("not a problem: %s", b)
	}
	return p
}

// HasRule reports whether a problem carries a finding of the rule.
func HasRule(p serve.Problem, rule string) bool {
	for _, f := range p.Findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// Proxy returns a reverse proxy to target that validates every request
// and answer going through it, for clients the test does not write (the
// Python example).
func (v *Validator) Proxy(t testing.TB, target string) *httptest.Server {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{T: t, Base: target}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &validating{v: v, c: c, next: http.DefaultTransport}
	rp.FlushInterval = -1 // event streams pass as they come
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv
}
