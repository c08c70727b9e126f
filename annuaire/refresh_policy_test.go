package annuaire_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/annuaire"
)

// fileSource is a refresher source the test rewrites between refreshes.
type fileSource struct {
	t    *testing.T
	path string
}

func newFileSource(t *testing.T) *fileSource {
	return &fileSource{t: t, path: filepath.Join(t.TempDir(), "listeblanchemssante.xml")}
}

func (f *fileSource) put(data []byte) {
	f.t.Helper()
	if err := os.WriteFile(f.path, data, 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// recipients are the addresses whose acceptance must not change when a
// candidate is refused.
var recipients = []string{"dr.x@medecin.mssante.fr", "x@patient.mssante.fr", "x@pharmacien.mssante.fr", "x@etablissement-00042.mssante.fr"}

// refuses offers a candidate and checks that it is refused for want (among
// others), that the copy in use and what the checker accepts are unchanged,
// and that the status says why.
func refuses(t *testing.T, ref *annuaire.WhitelistRefresher, src *fileSource, data []byte, want annuaire.RefreshErrorKind, reason string) {
	t.Helper()
	before := ref.Current()
	src.put(data)
	changed, err := ref.Refresh(context.Background())
	var re *annuaire.RefreshError
	if changed || !errors.As(err, &re) || !slices.Contains(re.Kinds, want) || !strings.Contains(err.Error(), reason) {
		t.Errorf("want a %s refusal (%q), got %v %v", want, reason, changed, err)
	}
	if ref.Current() != before {
		t.Fatal("the list in use was replaced")
	}
	checker := &annuaire.RecipientChecker{Whitelist: ref}
	for _, a := range recipients {
		if before.Contains(a[strings.IndexByte(a, '@')+1:]) {
			if err := checker.CheckRecipient(context.Background(), a); err != nil {
				t.Errorf("%s refused after a refused refresh: %v", a, err)
			}
		}
	}
	st := ref.Status()
	r := st.LastRefusal
	if r == nil || !slices.Contains(r.Kinds, want) || !strings.Contains(r.Reason, reason) || r.At != st.LastAttempt || st.Kind != re.Kind ||
		st.SHA256 != before.SHA256 || st.Generated != before.Generated {
		t.Errorf("status after a %s refusal: %+v", want, st)
	}
}

func TestRefresherPolicy(t *testing.T) {
	trusted, other := testSigners(t)
	src := newFileSource(t)
	var logs bytes.Buffer
	// Small lists keep the test fast: MinDomains is lowered to match
	// (TestRefresherTruncatedMirror runs the defaults).
	ref := &annuaire.WhitelistRefresher{Source: src.path, RootCAs: trusted.pki.Pool, MinDomains: 100, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)

	// The first list: signed and trusted, 210 domains.
	src.put(trusted.sign(t, genList(t0, 200)))
	if changed, err := ref.Refresh(ctx); err != nil || !changed {
		t.Fatalf("first refresh: %v", err)
	}
	st := ref.Status()
	if !st.Signature.Trusted() || st.Warning != "" || st.Domains != 210 || !st.Generated.Equal(t0) || st.Stale || st.LastRefusal != nil {
		t.Fatalf("status %+v", st)
	}

	t1 := t0.Add(time.Minute)
	unsigned := []byte(genList(t1, 200))
	refuses(t, ref, src, unsigned, annuaire.RefreshSignature, "unsigned")
	altered := trusted.sign(t, genList(t1, 200))
	altered[bytes.Index(altered, []byte("etablissement-00042"))+3] = 'X'
	refuses(t, ref, src, altered, annuaire.RefreshSignature, "bad-signature")
	refuses(t, ref, src, other.sign(t, genList(t1, 200)), annuaire.RefreshSignature, "signed-by-unknown-issuer")
	refuses(t, ref, src, trusted.sign(t, genList(t0.Add(-time.Minute), 200)), annuaire.RefreshOlder, "before the list in use")
	var drop []string
	for i := range 12 { // 12 of 210: 5.7 %
		drop = append(drop, fmt.Sprintf("etablissement-%05d.mssante.fr", i*16))
	}
	refuses(t, ref, src, trusted.sign(t, genList(t1, 200, drop...)), annuaire.RefreshShrunk, "loses 12 of the 210 domains")
	refuses(t, ref, src, trusted.sign(t, genList(t1, 200, "medecin.mssante.fr")), annuaire.RefreshEssential, "medecin.mssante.fr")
	full := trusted.sign(t, genList(t1, 200))
	refuses(t, ref, src, full[:len(full)/2], annuaire.RefreshIncomplete, "cut inside the list")
	refuses(t, ref, src, trusted.sign(t, genList(t1, 100)), annuaire.RefreshShrunk, "loses 100")
	refuses(t, ref, src, trusted.sign(t, genList(time.Now().Add(48*time.Hour), 200)), annuaire.RefreshDate, "in the future")
	refuses(t, ref, src, []byte("<html>maintenance</html>"), annuaire.RefreshParse, "root element is <html>")
	if n := strings.Count(logs.String(), "refresh failed"); n != 10 {
		t.Errorf("%d refusals logged:\n%s", n, logs.String())
	}

	// A list that loses 1.9 % is installed; the last refusal stays on record.
	src.put(trusted.sign(t, genList(t1, 200, drop[:4]...)))
	if changed, err := ref.Refresh(ctx); err != nil || !changed || ref.Current().Len() != 206 {
		t.Fatalf("a 1.9 %% loss: %v", err)
	}
	if st := ref.Status(); st.LastRefusal == nil || st.LastRefusal.Kind != annuaire.RefreshParse || st.Kind != annuaire.RefreshOK || st.Error != "" {
		t.Errorf("status after success: %+v", st)
	}
	// The same document again: unchanged, success.
	if changed, err := ref.Refresh(ctx); err != nil || changed {
		t.Errorf("same list: %v %v", changed, err)
	}

	// AllowUnsigned: an unsigned mirror is installed, loudly; a bad
	// signature is still refused.
	ref.AllowUnsigned = true
	refuses(t, ref, src, altered, annuaire.RefreshSignature, "bad-signature")
	logs.Reset()
	src.put(unsigned)
	if changed, err := ref.Refresh(ctx); err != nil || !changed {
		t.Fatalf("AllowUnsigned: %v", err)
	}
	st = ref.Status()
	if st.Signature.Status != annuaire.SignatureUnsigned || !strings.Contains(st.Warning, "unsigned") || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("unsigned install: %+v\n%s", st, logs.String())
	}
}

// TestRefresherTruncatedMirror is the incident of the issue: holding the
// full list from the ANS GitHub mirror, the refresher is offered the
// truncated commit, with the same DateDeGeneration and a checksum file that
// matches it.
func TestRefresherTruncatedMirror(t *testing.T) {
	src := newFileSource(t)
	sum := filepath.Join(t.TempDir(), "checksum")
	if err := os.WriteFile(sum, readShared(t, "checksum-37f34bb"), 0o600); err != nil {
		t.Fatal(err)
	}
	// What a mirror needs: unsigned, no closing root tag.
	ref := &annuaire.WhitelistRefresher{Source: src.path, AllowUnsigned: true, AllowUnclosed: true}
	src.put(readShared(t, "listeblanchemssante-2025-03-13.xml"))
	if _, err := ref.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	ref.Checksum = sum
	truncated := readShared(t, "listeblanchemssante-37d96c9-truncated.xml")
	refuses(t, ref, src, truncated, annuaire.RefreshEssential, "medecin.mssante.fr, pharmacien.mssante.fr")
	r := ref.Status().LastRefusal
	if !slices.Equal(r.Kinds, []annuaire.RefreshErrorKind{annuaire.RefreshTooSmall, annuaire.RefreshEssential, annuaire.RefreshShrunk}) ||
		!strings.Contains(r.Reason, "loses 4487 of the 5001 domains in use (89.7 %") || r.Domains != 516 {
		t.Errorf("refusal %+v", r)
	}
	// Even as the first list ever loaded.
	fresh := &annuaire.WhitelistRefresher{Source: src.path, Checksum: sum, AllowUnsigned: true, AllowUnclosed: true}
	if _, err := fresh.Refresh(context.Background()); err == nil || fresh.Current() != nil || !fresh.Status().Stale {
		t.Errorf("truncated list installed first: %v", err)
	}
}

// TestRefresherSignedOfficial: holding the signed official list, the
// truncated mirror (generated 13 days later) and the altered excerpt are
// refused.
func TestRefresherSignedOfficial(t *testing.T) {
	data := readShared(t, signedFile)
	src := newFileSource(t)
	ref := &annuaire.WhitelistRefresher{Source: src.path, Options: &annuaire.WhitelistOptions{Roots: ownAnchor(t)}}
	src.put(data)
	if _, err := ref.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := ref.Status(); !st.Signature.Trusted() || st.Domains != 4944 || st.Warning != "" {
		t.Fatalf("status %+v", st)
	}
	refuses(t, ref, src, readShared(t, "listeblanchemssante-37d96c9-truncated.xml"), annuaire.RefreshSignature, "unsigned")
	r := ref.Status().LastRefusal
	if !slices.Equal(r.Kinds, []annuaire.RefreshErrorKind{annuaire.RefreshSignature, annuaire.RefreshIncomplete, annuaire.RefreshTooSmall, annuaire.RefreshEssential, annuaire.RefreshShrunk}) {
		t.Errorf("refusal %+v", r)
	}
	refuses(t, ref, src, readShared(t, "listeblanchemssante-altered-unsigned.xml"), annuaire.RefreshSignature, "bad-signature")
}

func TestRefresherOffer(t *testing.T) {
	trusted, _ := testSigners(t)
	ref := &annuaire.WhitelistRefresher{RootCAs: trusted.pki.Pool}
	wl, fs := parseBytes(t, []byte(genList(time.Now(), 1000)), nil)
	if changed, err := ref.Offer(wl, fs); changed || !errors.Is(err, annuaire.ErrSignature) || ref.Current() != nil {
		t.Errorf("unsigned offer: %v", err)
	}
	wl, fs = parseBytes(t, trusted.sign(t, genList(time.Now(), 1000)), &annuaire.WhitelistOptions{Roots: trusted.pki.Pool})
	if changed, err := ref.Offer(wl, fs); !changed || err != nil || ref.Current() != wl {
		t.Errorf("signed offer: %v", err)
	}
	if changed, err := ref.Offer(nil, nil); changed || err == nil {
		t.Errorf("nil offer: %v", err)
	}
}
