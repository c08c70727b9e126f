package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testfiles"
)

func TestModuleRoot(t *testing.T) {
	root := ModuleRoot()
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("ModuleRoot() = %q has no go.mod: %v", root, err)
	}
}

// The test data is looked up in $MSS_TESTDATA, then ../shared/testdata, then
// the cache of `make testdata`.
func TestSharedDirOrder(t *testing.T) {
	m, err := testfiles.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	root := filepath.Join(tmp, "clone")
	t.Setenv("MSS_TESTDATA", "")
	t.Setenv("MSSANTE_SHARED_TESTDATA", "")
	t.Setenv("XDG_CACHE_HOME", filepath.Join(tmp, "cache"))
	t.Setenv("HOME", tmp)
	cache, err := m.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(root, "..", "shared", "testdata")

	if dir, from := dataDirFrom(root); dir != shared || from != "" {
		t.Errorf("nothing there: got %q (%q), want %q and no origin", dir, from, shared)
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	if dir, _ := dataDirFrom(root); dir != cache {
		t.Errorf("with a cache: got %q, want %q", dir, cache)
	}
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if dir, _ := dataDirFrom(root); dir != shared {
		t.Errorf("with ../shared/testdata: got %q, want %q", dir, shared)
	}
	t.Setenv("MSSANTE_SHARED_TESTDATA", "/former")
	if dir, _ := dataDirFrom(root); dir != "/former" {
		t.Errorf("with MSSANTE_SHARED_TESTDATA: got %q", dir)
	}
	t.Setenv("MSS_TESTDATA", "/elsewhere")
	if dir, _ := dataDirFrom(root); dir != "/elsewhere" {
		t.Errorf("with MSS_TESTDATA: got %q", dir)
	}
}

// A missing file skips (or fails under CI) with the real fix in the message.
func TestSharedMissingSaysHow(t *testing.T) {
	t.Setenv("CI", "")
	cases := []struct {
		from, elem, want string
	}{
		{"", "cda/examples", "run `make testdata`"},
		{"", "cda/examples", "set MSS_TESTDATA"},
		{"the cache of `make testdata`", "cda/examples/nothing.xml", "run `make testdata`"},
		{"the cache of `make testdata`", "mail/bounces/sisimai/expected.json", "only ../shared/testdata holds it"},
	}
	for _, c := range cases {
		ft := &fakeTB{TB: t}
		func() {
			defer func() { _ = recover() }()
			shared(ft, func() (string, string) { return t.TempDir(), c.from }, c.elem)
		}()
		if !ft.skipped || !strings.Contains(ft.msg, c.want) || !strings.Contains(ft.msg, c.elem) {
			t.Errorf("%s from %q: skipped=%v %q, want a skip naming it and saying %q", c.elem, c.from, ft.skipped, ft.msg, c.want)
		}
	}
	t.Setenv("CI", "true")
	ft := &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		shared(ft, func() (string, string) { return t.TempDir(), "" }, "cda")
	}()
	if !ft.failed {
		t.Error("under CI=true a missing test file must fail the test")
	}
}

// SharedFiles gives the files that are there, and skips at the end naming
// the missing ones and why (fails at once under CI=true).
func TestSharedFilesSkipsOnlyMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "here.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	resolve := func() (string, string) { return dir, "the cache of `make testdata`" }
	t.Setenv("CI", "")
	ft := &fakeTB{TB: t}
	s := &SharedFiles{t: ft, resolve: resolve}
	if p := s.Path("here.txt"); p != filepath.Join(dir, "here.txt") {
		t.Errorf("present file: %q", p)
	}
	s.Done()
	if ft.skipped || ft.failed {
		t.Errorf("nothing missing: skipped=%v failed=%v", ft.skipped, ft.failed)
	}
	if p := s.Path("mail", "bounces/sisimai/expected.json"); p != "" || ft.skipped || ft.failed {
		t.Errorf("missing file: %q, skipped=%v failed=%v; want \"\" and the test going on", p, ft.skipped, ft.failed)
	}
	s.Path("mail", "bounces", "sisimai", "expected.json") // met twice, named once
	func() {
		defer func() { _ = recover() }()
		s.Done()
	}()
	if !ft.skipped || !strings.Contains(ft.msg, "mail/bounces/sisimai/expected.json: only ../shared/testdata holds it") ||
		strings.Count(ft.msg, "expected.json") != 1 {
		t.Errorf("Done: skipped=%v %q", ft.skipped, ft.msg)
	}
	t.Setenv("CI", "true")
	ft = &fakeTB{TB: t}
	s = &SharedFiles{t: ft, resolve: resolve}
	func() {
		defer func() { _ = recover() }()
		s.Path("nothing.txt")
	}()
	if !ft.failed || !strings.Contains(ft.msg, "CI=true, not skipping") {
		t.Errorf("under CI=true: failed=%v %q", ft.failed, ft.msg)
	}
}

func TestLookPath(t *testing.T) {
	if p := LookPath(t, "go"); p == "" {
		t.Fatal("go not found, yet this test runs under go test")
	}
}

// A missing dependency must fail the test under CI=true, not skip it.
func TestMissingFailsInCI(t *testing.T) {
	t.Setenv("CI", "true")
	ft := &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }() // Fatalf on the fake stops here
		Missing(ft, "xmllint")
	}()
	if !ft.failed || ft.skipped {
		t.Errorf("under CI=true: failed=%v skipped=%v, want a failure", ft.failed, ft.skipped)
	}
	t.Setenv("CI", "")
	ft = &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		Missing(ft, "xmllint")
	}()
	if ft.failed || !ft.skipped {
		t.Errorf("outside CI: failed=%v skipped=%v, want a skip", ft.failed, ft.skipped)
	}
}

// fakeTB records Fatalf and Skipf instead of stopping the real test.
type fakeTB struct {
	testing.TB
	failed, skipped bool
	msg             string
}

type stop struct{}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	panic(stop{})
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	panic(stop{})
}
