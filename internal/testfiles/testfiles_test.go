package testfiles_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
	"github.com/mssante-go/sdk/internal/testfiles"
)

func TestEmbeddedManifest(t *testing.T) {
	m, err := testfiles.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) < 300 || len(m.Hash()) != 16 {
		t.Fatalf("%d entries, hash %q", len(m.Entries), m.Hash())
	}
	kinds := map[string]int{}
	for _, e := range m.Entries {
		kinds[e.Source.Kind]++
		if e.Source.Kind == testfiles.KindDerive {
			if _, err := testfiles.Derive(e.Source, nil); err != nil && strings.Contains(err.Error(), "unknown transform") {
				t.Errorf("%s: %v", e.Path, err)
			}
		}
	}
	if kinds[testfiles.KindGitHub] < 300 {
		t.Errorf("sources by kind: %v", kinds)
	}
}

// ../shared/testdata is what the manifest describes: any change there must
// be followed by `make testdata-manifest` (and sources.txt for a new file).
func TestSharedAgreesWithManifest(t *testing.T) {
	m, err := testfiles.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	dir := testenv.Shared(t)
	isShared := dir == filepath.Join(testenv.ModuleRoot(), "..", "shared", "testdata")
	probs, err := testfiles.Verify(m, dir, isShared)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("%s: %s (run `make testdata-manifest` if ../shared/testdata changed)", dir, p)
	}
	if !isShared {
		return
	}
	gen, err := testfiles.Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(gen.Format()) != string(m.Format()) {
		t.Errorf("manifest.txt is not what sources.txt and %s give: run `make testdata-manifest`", dir)
	}
}

// mirrorFixture lays out a small mirror and the manifest of the files made
// from it: a plain file, one under a path to escape, a derived one, and one
// that only ../shared/testdata holds.
func mirrorFixture(t *testing.T) (*testfiles.Manifest, string, map[string]string) {
	t.Helper()
	mirror := t.TempDir()
	upstream := map[string]string{
		"o/r/c1/x/plain.txt":                 "plain\n",
		"o/r/c1/Dossier é #1/IHE_XDM.ZIP":    "PK not really a zip",
		"o/doc/c2/input/pagecontent/page.md": "Intro\n\n```\nSubject: test\n\nbody\n```\nafter\n",
	}
	for p, body := range upstream {
		name := filepath.Join(mirror, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		"a/plain.txt":       "plain\n",
		"xdm/Dossier-1.zip": "PK not really a zip",
		"mail/page.eml":     "Subject: test\r\n\r\nbody\r\n",
		"only/shared.json":  "{}",
	}
	sources := map[string]string{
		"a/plain.txt":       "github:o/r@c1:x/plain.txt",
		"xdm/Dossier-1.zip": "github:o/r@c1:Dossier é #1/IHE_XDM.ZIP",
		"mail/page.eml":     "derive:md-codeblock-crlf:github:o/doc@c2:input/pagecontent/page.md",
		"only/shared.json":  "shared:made by hand",
	}
	var text strings.Builder
	for _, p := range []string{"a/plain.txt", "mail/page.eml", "only/shared.json", "xdm/Dossier-1.zip"} {
		sum := sha256.Sum256([]byte(want[p]))
		fmt.Fprintf(&text, "%s\t%d\t%s\t%s\n", p, len(want[p]), hex.EncodeToString(sum[:]), sources[p])
	}
	m, err := testfiles.ParseManifest([]byte(text.String()))
	if err != nil {
		t.Fatal(err)
	}
	delete(want, "only/shared.json")
	return m, mirror, want
}

func checkFiles(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	for p, body := range want {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || string(got) != body {
			t.Errorf("%s = %q, %v; want %q", p, got, err, body)
		}
	}
}

func TestFetchFromFileMirror(t *testing.T) {
	m, mirror, want := mirrorFixture(t)
	dir := filepath.Join(t.TempDir(), "cache")
	opts := &testfiles.Options{Dir: dir, URLTemplate: "file://" + filepath.ToSlash(mirror)}
	ctx := context.Background()

	rep, err := testfiles.Fetch(ctx, m, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fetched != 3 || rep.Kept != 0 || len(rep.SharedOnly) != 1 || rep.SharedOnly[0] != "only/shared.json" {
		t.Errorf("first run: %+v", rep)
	}
	checkFiles(t, dir, want)
	if probs, err := testfiles.Verify(m, dir, false); err != nil || len(probs) != 0 {
		t.Errorf("Verify after Fetch: %v %v", probs, err)
	}

	// A second run keeps what is verified.
	if rep, err = testfiles.Fetch(ctx, m, opts); err != nil || rep.Fetched != 0 || rep.Kept != 3 {
		t.Errorf("second run: %+v, %v", rep, err)
	}

	// A local file changed since is fetched again.
	if err := os.WriteFile(filepath.Join(dir, "a", "plain.txt"), []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if probs, _ := testfiles.Verify(m, dir, false); len(probs) != 1 || probs[0].Path != "a/plain.txt" {
		t.Errorf("Verify of an edited file: %v", probs)
	}
	if rep, err = testfiles.Fetch(ctx, m, opts); err != nil || rep.Fetched != 1 || rep.Kept != 2 {
		t.Errorf("after a local edit: %+v, %v", rep, err)
	}
	checkFiles(t, dir, want)

	// A corrupted upstream file is refused, named, and not installed.
	if err := os.WriteFile(filepath.Join(mirror, "o", "r", "c1", "x", "plain.txt"), []byte("plain!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "a", "plain.txt")); err != nil {
		t.Fatal(err)
	}
	_, err = testfiles.Fetch(ctx, m, opts)
	var mm *testfiles.MismatchError
	if !errors.As(err, &mm) || mm.Path != "a/plain.txt" || !strings.Contains(err.Error(), "a/plain.txt") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("corrupted upstream: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "plain.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused file was installed: %v", err)
	}
	if parts, _ := filepath.Glob(filepath.Join(dir, "a", ".*part")); len(parts) != 0 {
		t.Errorf("temporary files left: %v", parts)
	}

	// A missing upstream file is a FetchError naming it; the others stay.
	if err := os.Remove(filepath.Join(mirror, "o", "r", "c1", "x", "plain.txt")); err != nil {
		t.Fatal(err)
	}
	rep, err = testfiles.Fetch(ctx, m, opts)
	var fe *testfiles.FetchError
	if !errors.As(err, &fe) || fe.Path != "a/plain.txt" || rep.Kept != 2 {
		t.Errorf("missing upstream: %+v, %v", rep, err)
	}
}

// Over HTTP, path elements with spaces, accents and '#' are escaped.
func TestFetchOverHTTP(t *testing.T) {
	m, mirror, want := mirrorFixture(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(mirror)))
	defer srv.Close()
	dir := t.TempDir()
	rep, err := testfiles.Fetch(context.Background(), m, &testfiles.Options{
		Dir: dir, URLTemplate: srv.URL + "/{repo}/{commit}/{path}", Client: srv.Client(), Parallel: 2,
	})
	if err != nil || rep.Fetched != 3 {
		t.Fatalf("%+v, %v", rep, err)
	}
	checkFiles(t, dir, want)
}

// Mirror lays out a test data folder for Fetch, and names the derived inputs
// it cannot supply.
func TestMirror(t *testing.T) {
	m, _, want := mirrorFixture(t)
	from := t.TempDir()
	for p, body := range want {
		name := filepath.Join(from, filepath.FromSlash(p))
		_ = os.MkdirAll(filepath.Dir(name), 0o755)
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	to := t.TempDir()
	missing, err := testfiles.Mirror(m, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || !strings.HasSuffix(filepath.ToSlash(missing[0]), "o/doc/c2/input/pagecontent/page.md") {
		t.Fatalf("missing = %v", missing)
	}
	if err := os.WriteFile(missing[0], []byte("```\nSubject: test\n\nbody\n```\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := testfiles.Fetch(context.Background(), m, &testfiles.Options{Dir: dir, URLTemplate: "file://" + filepath.ToSlash(to)}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, want)
}

func TestURL(t *testing.T) {
	src := testfiles.Source{Kind: testfiles.KindGitHub, Repo: "ansforge/interop-exemples-xdm", Commit: "5c47e8d131cd", Path: "BIO-CR-BIO_2024.01_Glycémie_g_par_Litre_2/IHE_XDM.ZIP"}
	for tmpl, want := range map[string]string{
		"":                  "https://github.com/ansforge/interop-exemples-xdm/raw/5c47e8d131cd/BIO-CR-BIO_2024.01_Glyc%C3%A9mie_g_par_Litre_2/IHE_XDM.ZIP",
		"file:///srv/m/":    "file:///srv/m/ansforge/interop-exemples-xdm/5c47e8d131cd/BIO-CR-BIO_2024.01_Glyc%C3%A9mie_g_par_Litre_2/IHE_XDM.ZIP",
		"http://h/{commit}": "http://h/5c47e8d131cd",
	} {
		if got := testfiles.URL(tmpl, src); got != want {
			t.Errorf("URL(%q) = %q, want %q", tmpl, got, want)
		}
	}
}

func TestParseManifestRejects(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, line := range []string{
		"a\t1\t" + sum,                                           // 3 fields
		"a\tx\t" + sum + "\tshared:",                             // size
		"a\t1\tABCD\tshared:",                                    // hash
		"../a\t1\t" + sum + "\tshared:",                          // leaves the folder
		"/a\t1\t" + sum + "\tshared:",                            // absolute
		"a\t1\t" + sum + "\tgithub:o/r:p",                        // no commit
		"a\t1\t" + sum + "\tgithub:o/r@c:../p",                   // upstream path
		"a\t1\t" + sum + "\tderive:x:shared:y",                   // derive from nothing
		"a\t1\t" + sum + "\tftp:o/r@c:p",                         // kind
		"a\t1\t" + sum + "\tshared:\na\t1\t" + sum + "\tshared:", // twice
	} {
		if _, err := testfiles.ParseManifest([]byte(line + "\n")); err == nil {
			t.Errorf("ParseManifest(%q) accepted", line)
		}
	}
}
