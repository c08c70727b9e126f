package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestModuleRootAndShared(t *testing.T) {
	root := ModuleRoot()
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("ModuleRoot() = %q has no go.mod: %v", root, err)
	}
	t.Setenv("MSSANTE_SHARED_TESTDATA", "")
	if got, want := SharedDir(), filepath.Join(root, "..", "shared", "testdata"); got != want {
		t.Errorf("SharedDir() = %q, want %q", got, want)
	}
	t.Setenv("MSSANTE_SHARED_TESTDATA", "/elsewhere")
	if got := SharedDir(); got != "/elsewhere" {
		t.Errorf("SharedDir() with MSSANTE_SHARED_TESTDATA = %q", got)
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
}

type stop struct{}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(string, ...any) {
	f.failed = true
	panic(stop{})
}
func (f *fakeTB) Skipf(string, ...any) {
	f.skipped = true
	panic(stop{})
}
