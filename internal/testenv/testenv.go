// Package testenv holds what the SDK's own tests share: locating the public
// test data in ../shared/testdata and requiring external programs
// (xmllint, postfix, dovecot...). With CI=true a missing dependency fails the
// test instead of skipping it, so that CI never passes by silently testing less.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test, or fails it under CI, with the reason given.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("missing test dependency (CI=true, not skipping): "+format, args...)
	}
	t.Skipf("missing test dependency: "+format+" (run `make deps`)", args...)
}

// LookPath returns the path of an external program the test needs; when it is
// not installed the test is skipped, or fails under CI.
func LookPath(t testing.TB, name string, extraDirs ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range append(extraDirs, "/usr/sbin", "/usr/lib/postfix/sbin", "/usr/lib/dovecot") {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	Missing(t, "program %q not found", name)
	return ""
}

var (
	rootOnce sync.Once
	rootDir  string
)

// ModuleRoot returns the directory holding go.mod.
func ModuleRoot() string {
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return
			}
			dir = parent
		}
	})
	return rootDir
}

// SharedDir returns ../shared/testdata seen from the module root, or the
// directory named by MSSANTE_SHARED_TESTDATA. It does not check that it exists.
func SharedDir() string {
	if d := os.Getenv("MSSANTE_SHARED_TESTDATA"); d != "" {
		return d
	}
	return filepath.Join(ModuleRoot(), "..", "shared", "testdata")
}

// Shared returns the path of a file or folder under ../shared/testdata
// (e.g. Shared(t, "xdm", "ansforge")). A missing test data folder skips the
// test, or fails it under CI.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{SharedDir()}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		Missing(t, "shared test data %s: %v", p, err)
	}
	return p
}
