package annuaire_test

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

func fhirClient(t *testing.T) (*annuaire.FHIRClient, *annuairetest.FHIRServer) {
	t.Helper()
	srv := annuairetest.NewFHIRServer()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	return &annuaire.FHIRClient{
		BaseURL:   srv.BaseURL(),
		APIKey:    annuairetest.FHIRAPIKey,
		RootCAs:   roots, // caller-supplied roots, no InsecureSkipVerify
		RateLimit: 1000,
	}, srv
}

func addresses(ms []annuaire.Mailbox) string {
	var a []string
	for _, m := range ms {
		a = append(a, m.Address)
	}
	return strings.Join(a, ",")
}

func TestFHIRByPerson(t *testing.T) {
	c, srv := fhirClient(t)
	ms, err := c.ByPerson(context.Background(), annuairetest.FHIRRPPS)
	if err != nil {
		t.Fatal(err)
	}
	want := annuairetest.FHIRPersonAddress + "," + annuairetest.FHIRRoleAddress + "," + annuairetest.FHIRCabinetAddress
	if addresses(ms) != want {
		t.Fatalf("addresses %s, want %s", addresses(ms), want)
	}
	p := ms[0]
	if p.Type != annuaire.TypePersonal || p.Person.ID != annuairetest.FHIRRPPS || p.Person.NationalID != "8"+annuairetest.FHIRRPPS ||
		p.Person.LastName != "TESTMEDECIN" || p.Person.FirstName != "Hélène" || p.Source != annuaire.SourceFHIR || p.Structure.ID != "" {
		t.Errorf("practitioner mailbox %+v", p)
	}
	r := ms[1]
	if r.Structure.ID != annuairetest.FHIRStructureID || r.Structure.Name != "CENTRE HOSPITALIER D'EXEMPLE" || r.Structure.Service != "Cardiologie" ||
		r.Person.ProfessionCode != "10" || r.Person.SpecialtyCode != "SM04" || r.Structure.Address.Departement != "75" || r.Person.LastName != "TESTMEDECIN" {
		t.Errorf("role mailbox %+v", r)
	}
	if ms[2].Structure.Address.Departement != "2A" {
		t.Errorf("cabinet %+v", ms[2].Structure)
	}
	// Two pages, then the organisations the roles point to.
	if n := srv.Requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if ms, err := c.ByPerson(context.Background(), "10000000001"); err != nil || len(ms) != 0 {
		t.Errorf("unknown person: %v %v", ms, err)
	}
	if _, err := c.ResolvePerson(context.Background(), "10000000001"); !errors.Is(err, annuaire.ErrNotFound) {
		t.Errorf("ResolvePerson unknown: %v", err)
	}
}

func TestFHIRByStructureAndAddress(t *testing.T) {
	c, _ := fhirClient(t)
	ctx := context.Background()
	ms, err := c.ByStructure(ctx, annuairetest.FHIRStructureID)
	if err != nil {
		t.Fatal(err)
	}
	// The INTERNET-typed e-mail is left out.
	if addresses(ms) != annuairetest.FHIROrgAddress+","+annuairetest.FHIRAppAddress || ms[0].Type != annuaire.TypeOrganisational || ms[1].Type != annuaire.TypeApplicative {
		t.Errorf("structure mailboxes %+v", ms)
	}
	for addr, typ := range map[string]annuaire.MailboxType{
		strings.ToUpper(annuairetest.FHIRRoleAddress): annuaire.TypePersonal,
		annuairetest.FHIRPersonAddress:                annuaire.TypePersonal,
		annuairetest.FHIROrgAddress:                   annuaire.TypeOrganisational,
	} {
		m, err := c.ResolveAddress(ctx, addr)
		if err != nil || m.Type != typ || !strings.EqualFold(m.Address, addr) {
			t.Errorf("ResolveAddress(%s) = %+v, %v", addr, m, err)
		}
	}
	if _, err := c.ResolveAddress(ctx, "inconnu@medecin.mssante.fr"); !errors.Is(err, annuaire.ErrNotFound) {
		t.Errorf("unknown address: %v", err)
	}
	if _, err := c.ResolveAddress(ctx, "pas une adresse"); !errors.Is(err, annuaire.ErrInvalidAddress) {
		t.Errorf("bad address: %v", err)
	}
}

func TestFHIRErrors(t *testing.T) {
	c, srv := fhirClient(t)
	ctx := context.Background()
	_, err := c.ByPerson(ctx, annuairetest.FHIRBadIdentifier)
	var fe *annuaire.FHIRError
	if !errors.As(err, &fe) || fe.Status != 400 || !strings.Contains(fe.Diagnostics, "invalid identifier") || !errors.Is(err, annuaire.ErrFHIR) {
		t.Errorf("400: %v", err)
	}
	bad := &annuaire.FHIRClient{BaseURL: srv.BaseURL(), APIKey: "wrong", HTTPClient: srv.Client()}
	if _, err := bad.ByPerson(ctx, annuairetest.FHIRRPPS); !errors.As(err, &fe) || fe.Status != 401 || fe.Temporary() {
		t.Errorf("401: %v", err)
	}
	// Unknown roots: the TLS handshake fails.
	untrusted := &annuaire.FHIRClient{BaseURL: srv.BaseURL(), APIKey: annuairetest.FHIRAPIKey, RootCAs: x509.NewCertPool(), MaxRetries: -1}
	if _, err := untrusted.ByPerson(ctx, annuairetest.FHIRRPPS); err == nil {
		t.Error("untrusted server accepted")
	}
	// 429 and 503 are retried.
	srv.Fail429.Store(2)
	srv.Fail503.Store(1)
	if ms, err := c.ByStructure(ctx, annuairetest.FHIRStructureID); err != nil || len(ms) != 2 {
		t.Errorf("after 429/503: %v", err)
	}
	srv.Fail503.Store(10)
	c.MaxRetries = -1
	if _, err := c.ByStructure(ctx, annuairetest.FHIRStructureID); !errors.As(err, &fe) || fe.Status != 503 || !fe.Temporary() {
		t.Errorf("503 without retries: %v", err)
	}
	srv.Fail503.Store(0)
	if _, err := (&annuaire.FHIRClient{BaseURL: "ftp://x"}).ByPerson(ctx, "1"); err == nil {
		t.Error("bad base URL accepted")
	}
}

func TestFHIRSlowPageAndTimeout(t *testing.T) {
	c, srv := fhirClient(t)
	srv.SlowPage = 300 * time.Millisecond
	c.Timeout = 10 * time.Second
	if ms, err := c.ByPerson(context.Background(), annuairetest.FHIRRPPS); err != nil || len(ms) != 3 {
		t.Fatalf("slow page within the timeout: %v", err)
	}
	c2 := &annuaire.FHIRClient{BaseURL: srv.BaseURL(), APIKey: annuairetest.FHIRAPIKey, HTTPClient: srv.Client(), Timeout: 50 * time.Millisecond}
	_, err := c2.ByPerson(context.Background(), annuairetest.FHIRRPPS)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow page past the timeout: %v", err)
	}
}

func TestFHIRRateLimit(t *testing.T) {
	c, srv := fhirClient(t)
	c.RateLimit = 20 // one request every 50 ms
	start := time.Now()
	for range 5 {
		if _, err := c.ByStructure(context.Background(), annuairetest.FHIRStructureID); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("5 requests at 20/s took %v", d)
	}
	if srv.Requests.Load() != 5 {
		t.Errorf("%d requests", srv.Requests.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ByStructure(ctx, annuairetest.FHIRStructureID); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestChain(t *testing.T) {
	c, _ := fhirClient(t)
	idx := loadString(t, handFile())
	chain := annuaire.Chain{idx, c}
	ctx := context.Background()
	// From the index...
	if m, err := chain.ResolveAddress(ctx, "helene.dupont@medecin.mssante.fr"); err != nil || m.Source != annuaire.SourceExtraction {
		t.Errorf("index: %+v %v", m, err)
	}
	// ...then from the API.
	if m, err := chain.ResolveAddress(ctx, annuairetest.FHIRPersonAddress); err != nil || m.Source != annuaire.SourceFHIR {
		t.Errorf("fhir: %+v %v", m, err)
	}
	if ms, err := (annuaire.Chain{annuaire.Chain{}, c}).ResolvePerson(ctx, annuairetest.FHIRRPPS); err != nil || len(ms) != 3 {
		t.Errorf("person: %v", err)
	}
	if ms, err := chain.ResolveStructure(ctx, "1750712184"); err != nil || ms[0].Source != annuaire.SourceExtraction {
		t.Errorf("structure: %v", err)
	}
	if _, err := chain.ResolveAddress(ctx, "nobody@medecin.mssante.fr"); !errors.Is(err, annuaire.ErrNotFound) {
		t.Errorf("nobody: %v", err)
	}
	// An API error does not hide an answer, and is reported when no one answers.
	broken := &annuaire.FHIRClient{BaseURL: "http://127.0.0.1:1/fhir/v2", MaxRetries: -1}
	if _, err := (annuaire.Chain{broken, idx}).ResolvePerson(ctx, "10001234565"); err != nil {
		t.Errorf("broken first: %v", err)
	}
	if _, err := (annuaire.Chain{idx, broken}).ResolvePerson(ctx, "10000000019"); err == nil || errors.Is(err, annuaire.ErrNotFound) {
		t.Errorf("broken last: %v", err)
	}
}

// TestRecipientCheckerDirectoryDown checks that the errors of an
// unavailable FHIR directory, whose texts hold the request URL and so the
// address, do not put the address in the log.
func TestRecipientCheckerDirectoryDown(t *testing.T) {
	c, srv := fhirClient(t)
	c.MaxRetries = -1
	wl, _, err := annuaire.ParseWhitelist(strings.NewReader(miniWL), nil)
	if err != nil {
		t.Fatal(err)
	}
	broken := &annuaire.FHIRClient{BaseURL: "http://127.0.0.1:1/fhir/v2", MaxRetries: -1}
	for _, tc := range []struct {
		name string
		dir  annuaire.Resolver
		want string
	}{
		{"503", c, "FHIR server answered 503"},
		{"connection refused", broken, "directory unavailable"},
	} {
		srv.Fail503.Store(10)
		var logs strings.Builder
		var got error
		chk := &annuaire.RecipientChecker{
			Whitelist: wl,
			Directory: tc.dir,
			OnUnknown: func(_ context.Context, _ string, err error) { got = err },
			Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
		}
		if err := chk.CheckRecipient(context.Background(), "secret.patient@medecin.mssante.fr"); err != nil {
			t.Errorf("%s: refused: %v", tc.name, err)
		}
		if got == nil || !strings.Contains(got.Error(), "secret.patient") {
			t.Errorf("%s: OnUnknown got %v, want the full error", tc.name, got)
		}
		if l := logs.String(); strings.Contains(l, "secret.patient") || !strings.Contains(l, tc.want) || !strings.Contains(l, "domain=medecin.mssante.fr") {
			t.Errorf("%s: log %q", tc.name, l)
		}
	}
	srv.Fail503.Store(0)
}
