package serve_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/apitest"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/serve"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

const testKey = "test-api-key-0123456789"

// transport sends and receives as an applicative mailbox of the operator.
func transport(t testing.TB, op *mssantetest.Operator, addr string) mssante.Transport {
	t.Helper()
	cert, err := op.ClientCert(addr)
	if err != nil {
		t.Fatal(err)
	}
	tlsOpt := tlsauth.TLSOptions{RootCAs: op.RootCAs(), ServerName: "localhost", Certificate: &cert}
	s, err := smtpclient.New(&smtpclient.Options{Addr: op.SMTPAddr(), TLS: tlsOpt, MaxConns: 2, RecipientChecker: op.RecipientChecker()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := imapclient.New(&imapclient.Options{Addr: op.IMAPAddr(), TLS: tlsOpt, Auth: tlsauth.Auth{Mechanism: tlsauth.External}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); r.Close() })
	return mssante.WithReceiver(s, r)
}

// fixture is a service on the embedded operator: the laboratory and the
// hospital DPI are its mailboxes.
type fixture struct {
	op     *mssantetest.Operator
	outbox *delivery.Outbox
	srv    *serve.Server
	http   *httptest.Server
	client *apitest.Client
	val    *apitest.Validator
}

func newFixture(t *testing.T, run bool, opts serve.Options, hooks ...delivery.Hook) *fixture {
	t.Helper()
	f := &fixture{op: mssantetest.NewOperator(t, nil)}
	checker := f.op.RecipientChecker() // the operator's liste blanche
	var srv *serve.Server
	var mu sync.Mutex
	o, err := delivery.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "outbox.db"), &delivery.Options{
		Senders: map[string]mssante.Transport{
			mssantetest.DefaultLab: transport(t, f.op, mssantetest.DefaultLab),
			mssantetest.DefaultApp: transport(t, f.op, mssantetest.DefaultApp),
		},
		RecipientChecker: checker,
		FetchInterval:    200 * time.Millisecond,
		Hooks:            hooks, HookInterval: 100 * time.Millisecond,
		OnEvent: func(e delivery.Event) {
			mu.Lock()
			defer mu.Unlock()
			if srv != nil {
				srv.Notify(e)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.outbox = o
	opts.APIKey = testKey
	opts.RecipientChecker = checker
	opts.Documents.IDRoot = apitest.DocumentIDRoot
	mu.Lock()
	srv, err = serve.New(o, &opts)
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.http = httptest.NewServer(srv)
	f.val = apitest.NewValidator(t)
	f.client = f.val.Client(t, f.http.URL, testKey)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	if run {
		go func() { done <- o.Run(ctx) }()
	} else {
		done <- nil
	}
	t.Cleanup(func() {
		srv.Close()
		f.http.Close()
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		o.Close()
	})
	return f
}

// The whole loop in process, with a webhook: the events reach it signed,
// each once or more, with the ids of the stream.
func TestLoopInProcess(t *testing.T) {
	var mu sync.Mutex
	got := map[string]delivery.Event{}
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123"))
	fails := 1
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
		want := serve.SignWebhook([]byte("0123456789abcdef0123"), id, ts, body)
		sig := strings.TrimPrefix(r.Header.Get("webhook-signature"), "v1,")
		if !hmac.Equal([]byte(sig), []byte(want)) {
			t.Errorf("webhook %s: bad signature", id)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 { // the receiver is down once: River retries
			fails--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var ev delivery.Event
		if err := json.Unmarshal(body, &ev); err != nil || fmt.Sprint(ev.ID) != id {
			t.Errorf("webhook %s: %s (%v)", id, body, err)
		}
		got[id] = ev
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	hook, err := serve.Webhook(&serve.WebhookOptions{URL: recv.URL + "/hook", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, true, serve.Options{}, hook)
	id := f.client.Loop(mssantetest.DefaultLab, mssantetest.DefaultApp)
	f.client.Refusals(mssantetest.DefaultLab, mssantetest.DefaultApp)

	// Every event of the message reached the webhook.
	evs := f.client.Events("message=" + id)
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		missing := 0
		for _, e := range evs {
			if _, ok := got[fmt.Sprint(e.ID)]; !ok {
				missing++
			}
		}
		mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events never reached the webhook", missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := f.client.Validated(); n < 20 {
		t.Errorf("only %d answers validated against openapi.json", n)
	}
}

// What the API refuses, each with a problem: the key, the routes, the
// limits, malformed requests.
func TestRefusals(t *testing.T) {
	f := newFixture(t, false, serve.Options{Limits: serve.Limits{MaxBodyBytes: 1 << 20, MaxRecipients: 2, MaxStreams: 1}})
	c := f.client
	anon := f.val.Client(t, f.http.URL, "")
	wrong := f.val.Client(t, f.http.URL, "wrong-key")

	// The document is public; everything else needs the key.
	status, h, b := anon.Do(http.MethodGet, "/openapi.json", "", nil)
	if status != http.StatusOK || !bytes.Equal(b, serve.OpenAPI()) || h.Get("Content-Type") != "application/json" {
		t.Errorf("GET /openapi.json: %d %s", status, h.Get("Content-Type"))
	}
	for _, cl := range []*apitest.Client{anon, wrong} {
		status, h, b = cl.Do(http.MethodGet, "/v1/messages", "", nil)
		if p := apitest.Problem(t, b); status != 401 || p.Status != 401 || h.Get("WWW-Authenticate") == "" || !strings.HasSuffix(p.Type, serve.ProblemUnauthorized) {
			t.Errorf("key %q: %d %s", cl.Key, status, b)
		}
	}

	// Unknown routes and methods, with problems.
	for _, tc := range []struct {
		method, path string
		status       int
	}{{"GET", "/v1/nothing", 404}, {"DELETE", "/v1/messages", 405}, {"GET", "/v1/messages/unknown@x", 404},
		{"GET", "/v1/inbox/12345", 404}, {"GET", "/v1/inbox/abc", 404}} {
		req, _ := http.NewRequest(tc.method, f.http.URL+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d %s %s", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}

	req := apitest.Request(mssantetest.DefaultLab, mssantetest.DefaultApp)
	// Too many recipients: 422.
	many := apitest.Request(mssantetest.DefaultLab, mssantetest.DefaultApp, mssantetest.DefaultDoctor, mssantetest.DefaultService)
	if status, _, b := c.Send(many, apitest.PDF()); status != 422 || !apitest.HasRule(apitest.Problem(t, b), "SERVE-RECIPIENTS-MAX") {
		t.Errorf("3 recipients: %d %s", status, b)
	}
	// Too large: 413.
	if status, _, b := c.Send(req, append(apitest.PDF(), make([]byte, 2<<20)...)); status != 413 {
		t.Errorf("3 MB body: %d %s", status, b)
	}
	// Not multipart: 415; no document part: 400; unknown key: 400.
	if status, _, _ := c.Do(http.MethodPost, "/v1/messages", "application/json", []byte("{}"), "X-Apitest", "invalid"); status != 415 {
		t.Errorf("JSON body: %d", status)
	}
	body, ct := apitest.Multipart(t, map[string]any{"sender": map[string]any{"address": "x"}, "unknown": 1, "to": []string{"a@b"},
		"patient": map[string]any{}, "document": map[string]any{}}, apitest.PDF(), "a.pdf")
	if status, _, b := c.Do(http.MethodPost, "/v1/messages", ct, body, "X-Apitest", "invalid"); status != 400 {
		t.Errorf("unknown metadata key: %d %s", status, b)
	}
	// A sender the service has no transport for: 422.
	other := apitest.Request(mssantetest.DefaultDoctor2, mssantetest.DefaultApp)
	other.Sender.Type, other.Sender.Title, other.Sender.GivenName, other.Sender.FamilyName = "PER", "Dr", "Jean", "DURAND"
	if status, _, b := c.Send(other, apitest.PDF()); status != 422 || !apitest.HasRule(apitest.Problem(t, b), "SERVE-SENDER-UNKNOWN") {
		t.Errorf("unknown sender: %d %s", status, b)
	}
	// Bad and missing identity fields.
	bad := apitest.Request(mssantetest.DefaultLab, mssantetest.DefaultApp)
	bad.Patient.Status, bad.Document.Author.RPPS = "PROV", "10001234566"
	if status, _, b := c.Send(bad, apitest.PDF()); status != 422 || !apitest.HasRule(apitest.Problem(t, b), "SERVE-AUTHOR-RPPS") {
		t.Errorf("bad RPPS: %d %s", status, b)
	}
	// A stream at most: the second is refused with 429.
	sreq, _ := http.NewRequest(http.MethodGet, f.http.URL+"/v1/events", nil)
	sreq.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(sreq)
	if err != nil {
		t.Fatal(err)
	}
	status, h, b = c.Do(http.MethodGet, "/v1/events", "", nil)
	if status != 429 || h.Get("Retry-After") == "" {
		t.Errorf("second stream: %d %s", status, b)
	}
	f.srv.Close() // ends the streams, as a shutdown does
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// A bad event id.
	if status, _, _ = c.Do(http.MethodGet, "/v1/events", "", nil, "Last-Event-ID", "x"); status != 400 {
		t.Errorf("Last-Event-ID x: %d", status)
	}
	if n := c.Count(); n != 0 {
		t.Errorf("%d messages enqueued by refused requests", n)
	}

	// The raw form: a message that does not lint is refused.
	raw := "From: Laboratoire Test <" + mssantetest.DefaultLab + ">\r\nTo: " + mssantetest.DefaultApp + "\r\nSubject: x\r\nMessage-ID: <raw-1@labo-test.mssante.fr>\r\n\r\nBonjour\r\n"
	if status, _, b := c.Do(http.MethodPost, "/v1/messages/raw", "message/rfc822", []byte(raw)); status != 422 {
		t.Errorf("raw without X-MSS-NIL: %d %s", status, b)
	}
	good := strings.Replace(raw, "Subject: x\r\n", "Subject: x\r\nX-MSS-NIL: DEV000000\r\nDate: Mon, 02 Mar 2026 08:30:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n", 1)
	var a serve.Accepted
	if status, _, b := c.Do(http.MethodPost, "/v1/messages/raw", "message/rfc822", []byte(good)); status != 202 || json.Unmarshal(b, &a) != nil || a.ID != "raw-1@labo-test.mssante.fr" {
		t.Errorf("raw: %d %s", status, b)
	}
	outside := strings.Replace(good, "To: "+mssantetest.DefaultApp, "To: x@gmail.com", 1)
	outside = strings.Replace(outside, "raw-1@", "raw-2@", 1)
	if status, _, b := c.Do(http.MethodPost, "/v1/messages/raw", "message/rfc822", []byte(outside)); status != 422 || !apitest.HasRule(apitest.Problem(t, b), "MSS-TRUST-SPACE") {
		t.Errorf("raw outside the trust space: %d %s", status, b)
	}
}

// The helper endpoints: INS check, CDA validation, trust space, directory.
func TestHelpers(t *testing.T) {
	f := newFixture(t, false, serve.Options{})
	c := f.client
	var res serve.INSCheckResult
	c.JSON(http.MethodPost, "/v1/ins/check", serve.INSCheckRequest{Matricule: "2 79 03 51 215 189 89", OID: apitest.TestINSOID, BirthDate: "1979-03-28", Sex: "F"}, 200, &res)
	if !res.Valid || res.Matricule != apitest.TestINS || !res.Test || res.Kind != "NIR" || res.PatientAddress != apitest.TestINS+"@patient.mssante.fr" {
		t.Errorf("INS check %+v", res)
	}
	c.JSON(http.MethodPost, "/v1/ins/check", serve.INSCheckRequest{Matricule: "279035121518988"}, 200, &res)
	if res.Valid || res.Reason != "key" || res.ExpectedKey != "89" || len(res.Findings) == 0 {
		t.Errorf("bad key %+v", res)
	}
	var tr serve.TrustResults
	c.JSON(http.MethodPost, "/v1/trust-space/check", serve.TrustRequest{Addresses: []string{mssantetest.DefaultApp, "x@gmail.com"}}, 200, &tr)
	if len(tr.Results) != 2 || !tr.Results[0].Trusted || tr.Results[1].Trusted || tr.Results[1].Reason == "" {
		t.Errorf("trust %+v", tr)
	}
	c.JSON(http.MethodGet, "/v1/directory?address=x@y.fr", nil, 501, nil)
	// CDA validation: a document the service built, then a broken one.
	ts, _, b := c.Do(http.MethodPost, "/v1/cda/validate", "text/xml", []byte("<ClinicalDocument xmlns='urn:hl7-org:v3'/>"))
	var vr serve.ValidationResult
	if ts != 200 || json.Unmarshal(b, &vr) != nil || vr.Valid || vr.Errors == 0 {
		t.Errorf("empty CDA: %d %s", ts, b)
	}
	if st, _, _ := c.Do(http.MethodPost, "/v1/cda/validate", "application/json", []byte("{}"), "X-Apitest", "invalid"); st != 415 {
		t.Errorf("JSON to cda/validate: %d", st)
	}
}
