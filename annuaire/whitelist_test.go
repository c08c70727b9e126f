package annuaire_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/testenv"
)

func sharedWhitelist(t *testing.T, name string) (*annuaire.Whitelist, finding.List) {
	t.Helper()
	f, err := os.Open(testenv.Shared(t, "listeblanche", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wl, fs, err := annuaire.ParseWhitelist(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return wl, fs
}

func TestWhitelistFull(t *testing.T) {
	wl, fs := sharedWhitelist(t, "listeblanchemssante-2025-03-13.xml")
	// 6,554 entries, 5,002 unique names (case-insensitive), one of which is
	// not a domain (counted independently with grep on the file).
	if wl.Entries != 6553 || wl.Len() != 5001 {
		t.Errorf("entries %d, domains %d", wl.Entries, wl.Len())
	}
	if wl.Generated.Format("2006-01-02") != "2025-03-13" {
		t.Errorf("generated %v", wl.Generated)
	}
	if len(fs.ByRule("ANN-LB-UNCLOSED")) != 1 || wl.Complete || wl.Truncated {
		t.Errorf("missing closing tag not reported: %v", fs.Warnings())
	}
	if wl.Signature.Status != annuaire.SignatureUnsigned || len(fs.ByRule("ANN-LB-UNSIGNED")) != 1 {
		t.Errorf("signature %+v", wl.Signature)
	}
	if len(fs.ByRule("ANN-LB-ENTRY")) == 0 {
		t.Error("the entry whose Nom is an address is not reported")
	}
	if len(fs.ByRule("ANN-LB-CASE")) == 0 {
		t.Error("mixed case not reported")
	}
	if d := fs.ByRule("ANN-LB-DATE"); len(d) != 0 { // every DateMAJ of the file is RFC 3339
		t.Errorf("dates reported unreadable: %v", d)
	}
	for _, d := range []string{"medecin.mssante.fr", "MEDECIN.MSSANTE.FR.", "patient.mssante.fr", "interop-mssante.apicrypt.org", "uc-cmp.mssante.fr"} {
		if !wl.Contains(d) {
			t.Errorf("%s not listed", d)
		}
	}
	if wl.Contains("gmail.com") {
		t.Error("gmail.com listed")
	}
	// One domain, two operators.
	dns := wl.OperatorDNs("interop-mssante.apicrypt.org")
	if len(dns) < 2 {
		t.Errorf("apicrypt operators %v", dns)
	}
	d, _ := wl.Lookup("adsea29.mssante.fr")
	if len(d.Operators) == 0 || d.Operators[0].Organization() != "GIP MIPIH" || d.Operators[0].Updated.IsZero() {
		t.Errorf("adsea29 = %+v", d)
	}
	if err := wl.CheckAddress("reponse.automatique-test@patient.mssante.fr"); err != nil {
		t.Error(err)
	}
	err := wl.CheckAddress("someone@gmail.com")
	var te *annuaire.TrustError
	if !errors.Is(err, annuaire.ErrOutsideTrustSpace) || !errors.As(err, &te) || te.Domain != "gmail.com" || !strings.Contains(te.Reason, "2025-03-13") {
		t.Errorf("gmail: %v", err)
	}
}

func TestWhitelistPartial(t *testing.T) {
	wl, _ := sharedWhitelist(t, "listeblanchemssante-2025-05-21-partial.xml")
	// 619 entries, 516 distinct domains.
	if wl.Entries != 619 || wl.Len() != 516 || !wl.Contains("nddtestasmae.mssante.fr") {
		t.Errorf("partial: %d entries, %d domains", wl.Entries, wl.Len())
	}
}

const miniWL = `<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">
<DateDeGeneration>2025-03-13T14:54:10Z</DateDeGeneration><ListeDomaines>
<Domaine><Nom>Exemple.mssante.fr</Nom><DNCertificatOperateur>CN=a, O=OP A</DNCertificatOperateur></Domaine>
<Domaine><Nom>exemple.mssante.fr</Nom><DNCertificatOperateur>CN=b,O=OP B</DNCertificatOperateur></Domaine>
<Domaine><Nom>exemple.mssante.fr</Nom><DNCertificatOperateur>CN=b,O=OP B</DNCertificatOperateur></Domaine>
<Domaine><Nom>x@bad.mssante.fr</Nom></Domaine>
<Domaine><Nom>nodn.mssante.fr</Nom><DateMAJ>13/03/2025</DateMAJ></Domaine>
<Domaine><Nom>medecin.mssante.fr</Nom><DNCertificatOperateur>CN=c,O=OP C</DNCertificatOperateur></Domaine>
</ListeDomaines>`

func TestWhitelistQuirks(t *testing.T) {
	wl, fs, err := annuaire.ParseWhitelist(strings.NewReader(miniWL), nil)
	if err != nil {
		t.Fatal(err)
	}
	if wl.Len() != 3 || len(wl.OperatorDNs("EXEMPLE.mssante.fr")) != 2 {
		t.Errorf("domains %v", wl.Domains())
	}
	if !wl.MatchOperatorDN("Exemple.mssante.fr", "o=OP B, CN=b") || wl.MatchOperatorDN("exemple.mssante.fr", "CN=c,O=OP C") || wl.MatchOperatorDN("gmail.com", "CN=a,O=OP A") {
		t.Error("MatchOperatorDN")
	}
	if d, _ := wl.Lookup("exemple.mssante.fr"); d.Operators[0].Organization() != "OP A" {
		t.Errorf("DN with spaces: %+v", d)
	}
	for _, rule := range []string{"ANN-LB-UNCLOSED", "ANN-LB-ENTRY", "ANN-LB-DUPLICATE", "ANN-LB-CASE", "ANN-LB-DN", "ANN-LB-DATE"} {
		if len(fs.ByRule(rule)) == 0 {
			t.Errorf("no %s in %v", rule, fs)
		}
	}
	// Truncated inside an entry: the complete ones are kept.
	wl, fs, err = annuaire.ParseWhitelist(strings.NewReader(miniWL[:strings.Index(miniWL, "<Domaine><Nom>medecin")+20]), nil)
	if err != nil || wl.Len() != 2 || !wl.Truncated || wl.Complete || len(fs.ByRule("ANN-LB-TRUNCATED")) != 1 {
		t.Errorf("truncated: %v %v", err, fs)
	}
	wl, _, err = annuaire.ParseWhitelist(strings.NewReader(miniWL+"</ListeBlancheMSSante>\n"), nil)
	if err != nil || !wl.Complete || wl.Truncated {
		t.Errorf("complete: %v", err)
	}
	for name, doc := range map[string]string{
		"empty":                "",
		"not xml":              "hello",
		"wrong":                "<html><body/></html>",
		"no domain":            `<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"><ListeDomaines/></ListeBlancheMSSante>`,
		"deep":                 "<ListeBlancheMSSante>" + strings.Repeat("<a>", 100),
		"no root":              `<?xml version="1.0"?>`,
		"cut root":             "<ListeBlancheMSSante xmlns=",
		"DTD":                  `<!DOCTYPE ListeBlancheMSSante [<!ENTITY a "b">]>` + miniWL,
		"two dates":            strings.Replace(miniWL, "<ListeDomaines>", "<DateDeGeneration>2026-01-01T00:00:00Z</DateDeGeneration><ListeDomaines>", 1),
		"Domaine out of place": strings.Replace(miniWL, "<ListeDomaines>", "<Domaine><Nom>evil.example</Nom></Domaine><ListeDomaines>", 1),
		"Domaine in Domaine":   strings.Replace(miniWL, "<Nom>medecin.mssante.fr</Nom>", "<Domaine><Nom>evil.example</Nom></Domaine>", 1),
	} {
		if _, _, err := annuaire.ParseWhitelist(strings.NewReader(doc), nil); !errors.Is(err, annuaire.ErrWhitelist) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := annuaire.ParseWhitelist(strings.NewReader(miniWL), &annuaire.WhitelistOptions{MaxBytes: 100}); !errors.Is(err, annuaire.ErrWhitelist) {
		t.Errorf("size limit: %v", err)
	}
}

// FuzzParseWhitelist: whatever the input, ParseWhitelist returns a list or
// an error wrapping ErrWhitelist, never panics, and never calls a list
// trusted without roots. The seeds cover the lexical states of the reader's
// guard and a signed list, so that mutations reach the signature check.
func FuzzParseWhitelist(f *testing.F) {
	f.Add(miniWL)
	f.Add(miniWL + "<!-- a > b --></ListeBlancheMSSante>")
	f.Add(strings.Replace(miniWL, "<Nom>medecin.mssante.fr</Nom>", "<Nom><![CDATA[medecin.mssante.fr]]></Nom>", 1))
	f.Add(`<?xml version="1.0"?><?pi a?b?>` + miniWL)
	f.Add(`<!DOCTYPE x>` + miniWL)
	trusted, _ := testSigners(f)
	f.Add(string(trusted.sign(f, genList(fixedTime, 2))))
	f.Fuzz(func(t *testing.T, s string) {
		wl, _, err := annuaire.ParseWhitelist(strings.NewReader(s), nil)
		if err != nil {
			if !errors.Is(err, annuaire.ErrWhitelist) {
				t.Errorf("error not wrapping ErrWhitelist: %v", err)
			}
			return
		}
		if wl.Len() == 0 || wl.Complete && wl.Truncated || wl.Signature.Trusted() || wl.Signature.Status == "" {
			t.Errorf("len %d complete %v truncated %v signature %+v", wl.Len(), wl.Complete, wl.Truncated, wl.Signature)
		}
		for _, d := range wl.Domains() {
			if !wl.Contains(strings.ToUpper(d)) && strings.ToUpper(d) == strings.ToLower(strings.ToUpper(d)) {
				t.Errorf("%q not found", d)
			}
		}
	})
}

func TestRefresher(t *testing.T) {
	full, err := os.ReadFile(testenv.Shared(t, "listeblanche", "listeblanchemssante-2025-05-21-partial.xml"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(full)
	var (
		body     atomic.Value
		checksum atomic.Value
		status   atomic.Int32
	)
	body.Store(full)
	checksum.Store(hex.EncodeToString(sum[:]) + "  listeblanchemssante.xml\n")
	status.Store(200)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := int(status.Load()); s != 200 {
			http.Error(w, "down", s)
			return
		}
		if r.URL.Path == "/checksum" {
			fmt.Fprint(w, checksum.Load())
			return
		}
		w.Write(body.Load().([]byte))
	}))
	defer srv.Close()
	// The GitHub mirror is unsigned and never closes its root.
	ref := &annuaire.WhitelistRefresher{Source: srv.URL + "/listeblanchemssante.xml", Checksum: srv.URL + "/checksum", Client: srv.Client(),
		AllowUnsigned: true, AllowUnclosed: true, MinDomains: 100, Essential: []string{"nddtestasmae.mssante.fr"}}
	ctx := context.Background()
	if ref.Current() != nil {
		t.Fatal("current before refresh")
	}
	changed, err := ref.Refresh(ctx)
	if err != nil || !changed || ref.Current().Len() < 500 {
		t.Fatalf("first refresh: %v %v", changed, err)
	}
	st := ref.Status()
	if st.LastSuccess.IsZero() || st.Kind != annuaire.RefreshOK || st.Domains != ref.Current().Len() || st.SHA256 == "" ||
		st.Stale || st.Warning == "" || st.Signature.Status != annuaire.SignatureUnsigned || st.Age <= 0 || st.LastRefusal != nil {
		t.Errorf("status %+v", st)
	}
	if changed, err := ref.Refresh(ctx); err != nil || changed {
		t.Errorf("same content: %v %v", changed, err)
	}
	good := ref.Current()
	check := func(kind annuaire.RefreshErrorKind) {
		t.Helper()
		_, err := ref.Refresh(ctx)
		var re *annuaire.RefreshError
		if !errors.As(err, &re) || re.Kind != kind {
			t.Errorf("want %s failure, got %v", kind, err)
		}
		if ref.Current() != good {
			t.Error("last good copy lost")
		}
		if st := ref.Status(); st.Kind != kind || st.LastAttempt.Before(st.LastSuccess) || st.Error == "" ||
			kind != annuaire.RefreshFetch && (st.LastRefusal == nil || st.LastRefusal.Kind != kind || st.LastRefusal.At != st.LastAttempt) {
			t.Errorf("status after %s: %+v", kind, st)
		}
	}
	status.Store(503)
	check(annuaire.RefreshFetch)
	status.Store(200)
	body.Store([]byte("<html>maintenance</html>"))
	check(annuaire.RefreshChecksum)
	s2 := sha256.Sum256([]byte("<html>maintenance</html>"))
	checksum.Store(hex.EncodeToString(s2[:]))
	check(annuaire.RefreshParse)
	small := []byte(miniWL)
	s3 := sha256.Sum256(small)
	body.Store(small)
	checksum.Store(hex.EncodeToString(s3[:]))
	check(annuaire.RefreshTooSmall)

	// From a file, with a fixed checksum.
	p := filepath.Join(t.TempDir(), "lb.xml")
	os.WriteFile(p, small, 0o600)
	fref := &annuaire.WhitelistRefresher{Source: p, Checksum: "sha256:" + hex.EncodeToString(s3[:]), MinDomains: 1,
		AllowUnsigned: true, AllowUnclosed: true, Essential: []string{}}
	if _, err := fref.Refresh(ctx); err != nil || !fref.Current().Contains("exemple.mssante.fr") {
		t.Errorf("file refresh: %v", err)
	}
	fref.Checksum = "sha256:zz"
	if _, err := fref.Refresh(ctx); !errors.Is(err, annuaire.ErrChecksum) {
		t.Errorf("bad fixed checksum: %v", err)
	}
}

func TestRecipientChecker(t *testing.T) {
	wl, _, err := annuaire.ParseWhitelist(strings.NewReader(miniWL), nil)
	if err != nil {
		t.Fatal(err)
	}
	idx := loadString(t, header()+"\n"+row(map[int]string{0: "PER", 1: "connu@medecin.mssante.fr"})+"\n")
	var unknown []string
	var logs strings.Builder
	c := &annuaire.RecipientChecker{
		Whitelist: wl,
		Directory: idx,
		OnUnknown: func(_ context.Context, a string, err error) {
			if errors.Is(err, annuaire.ErrNotFound) {
				unknown = append(unknown, a)
			}
		},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	ctx := context.Background()
	if err := c.CheckRecipient(ctx, "Connu@MEDECIN.mssante.fr"); err != nil {
		t.Errorf("known: %v", err)
	}
	if err := c.CheckRecipient(ctx, "liste.rouge@medecin.mssante.fr"); err != nil {
		t.Errorf("unknown to the directory must pass: %v", err)
	}
	if len(unknown) != 1 || !strings.Contains(logs.String(), "domain=medecin.mssante.fr") || strings.Contains(logs.String(), "liste.rouge") {
		t.Errorf("unknown %v, logs %q", unknown, logs.String())
	}
	err = c.CheckRecipient(ctx, "someone@gmail.com")
	if !errors.Is(err, annuaire.ErrOutsideTrustSpace) || !strings.Contains(err.Error(), "gmail.com") {
		t.Errorf("gmail: %v", err)
	}
	if err := c.CheckRecipient(ctx, "not an address"); !errors.Is(err, annuaire.ErrInvalidAddress) || !errors.Is(err, annuaire.ErrOutsideTrustSpace) {
		t.Errorf("invalid: %v", err)
	}
	var zero annuaire.RecipientChecker
	if err := zero.CheckRecipient(ctx, "a@medecin.mssante.fr"); !errors.Is(err, annuaire.ErrOutsideTrustSpace) {
		t.Errorf("zero checker: %v", err)
	}
	var nilWL *annuaire.Whitelist
	if nilWL.Len() != 0 || nilWL.Domains() != nil || nilWL.Contains("medecin.mssante.fr") || nilWL.MatchOperatorDN("medecin.mssante.fr", "CN=c") {
		t.Error("nil liste blanche is not empty")
	}
	var nilRef *annuaire.WhitelistRefresher
	if err := (&annuaire.RecipientChecker{Whitelist: nilRef}).CheckRecipient(ctx, "a@medecin.mssante.fr"); !errors.Is(err, annuaire.ErrOutsideTrustSpace) {
		t.Errorf("nil refresher: %v", err)
	}
	// A refresher before its first success refuses too.
	c2 := &annuaire.RecipientChecker{Whitelist: &annuaire.WhitelistRefresher{Source: "/nonexistent"}}
	if err := c2.CheckRecipient(ctx, "a@medecin.mssante.fr"); !errors.Is(err, annuaire.ErrOutsideTrustSpace) {
		t.Errorf("no copy yet: %v", err)
	}
}

func TestRefresherRun(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lb.xml")
	ref := &annuaire.WhitelistRefresher{Source: p, MinDomains: 1, AllowUnsigned: true, AllowUnclosed: true, Essential: []string{}}
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 100)
	done := make(chan error, 1)
	go func() { done <- ref.Run(ctx, 10*time.Millisecond, func(err error) { errs <- err }) }()
	// The file is missing at first: errors, no copy.
	if err := <-errs; !strings.Contains(err.Error(), "fetch") {
		t.Errorf("first error: %v", err)
	}
	os.WriteFile(p, []byte(miniWL), 0o600)
	deadline := time.Now().Add(5 * time.Second)
	for ref.Current() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	if ref.Current() == nil || !ref.Current().Contains("medecin.mssante.fr") {
		t.Error("Run did not install the file once it appeared")
	}
}
