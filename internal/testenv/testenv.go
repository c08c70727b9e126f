// Package testenv holds what the SDK's own tests share: locating the public
// test data ($MSS_TESTDATA, ../shared/testdata or the cache of `make testdata`)
// and requiring external programs
// (xmllint, postfix, dovecot...). With CI=true a missing dependency fails the
// test instead of skipping it, so that CI never passes by silently testing less.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/internal/testfiles"
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

// SharedDir returns the folder of the public test data, the layout of
// ../shared/testdata (see internal/testfiles), looked up in this order:
// $MSS_TESTDATA when set, else ../shared/testdata seen from the module root
// when it exists, else the cache folder that `make testdata` fills when it
// exists. When none exists it returns ../shared/testdata. It is the only place
// that decides where tests read the test data.
func SharedDir() string {
	dir, _ := dataDir()
	return dir
}

// dataDir returns SharedDir and where it comes from (for messages).
func dataDir() (dir, from string) { return dataDirFrom(ModuleRoot()) }

func dataDirFrom(root string) (dir, from string) {
	for _, env := range []string{"MSS_TESTDATA", "MSSANTE_SHARED_TESTDATA"} { // the second: its former name
		if d := os.Getenv(env); d != "" {
			return d, "$" + env
		}
	}
	shared := filepath.Join(root, "..", "shared", "testdata")
	if isDir(shared) {
		return shared, "../shared/testdata"
	}
	if m, err := testfiles.Embedded(); err == nil {
		if d, err := m.CacheDir(); err == nil && isDir(d) {
			return d, "the cache of `make testdata`"
		}
	}
	return shared, ""
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Shared returns the path of a file or folder of the public test data
// (e.g. Shared(t, "xdm", "ansforge")), under SharedDir. A missing one skips
// the test, or fails it under CI, with the way to get it.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	return shared(t, dataDir, elem...)
}

func shared(t testing.TB, resolve func() (string, string), elem ...string) string {
	t.Helper()
	p, rel, why := lookup(resolve, elem...)
	if why == "" {
		return p
	}
	if InCI() {
		t.Fatalf("missing test data (CI=true, not skipping): %s: %s", rel, why)
	}
	t.Skipf("missing test data: %s: %s", rel, why)
	return p
}

// lookup returns the path of elem under the test data folder, its name
// relative to it, and why it is missing ("" when it is there).
func lookup(resolve func() (string, string), elem ...string) (p, rel, why string) {
	dir, from := resolve()
	p = filepath.Join(append([]string{dir}, elem...)...)
	rel = filepath.ToSlash(filepath.Join(elem...))
	if _, err := os.Stat(p); err == nil {
		return p, rel, ""
	}
	switch {
	case from == "":
		why = "no test data: run `make testdata` (downloads the public files, verified, into a cache folder) or set MSS_TESTDATA to a copy of ../shared/testdata"
	case from == "../shared/testdata":
		why = "not in ../shared/testdata"
	default:
		why = "not in " + dir + " (" + from + "): run `make testdata`"
		if m, err := testfiles.Embedded(); err == nil {
			if e := m.Lookup(rel); e != nil && e.Source.Kind == testfiles.KindShared {
				why = "only ../shared/testdata holds it (" + e.Source.Note + ")"
			}
		}
	}
	return p, rel, why
}

// SharedFiles serves a test that checks several files of the public test
// data one after the other without subtests, so that a missing file costs
// only its own checks:
//
//	files := testenv.NewSharedFiles(t)
//	for name, want := range tests {
//		p := files.Path("mail", name)
//		if p == "" {
//			continue // missing: Done skips, naming it
//		}
//		...
//	}
//	files.Done()
//
// Under CI=true a missing file fails the test at once, as Shared does.
type SharedFiles struct {
	t       testing.TB
	resolve func() (string, string)
	missing map[string][]string // why -> the files missing for that reason
	whys    []string            // the keys of missing, in the order met
}

// NewSharedFiles returns a SharedFiles for t, reading SharedDir.
func NewSharedFiles(t testing.TB) *SharedFiles { return &SharedFiles{t: t, resolve: dataDir} }

// Path returns the path of a file of the public test data, or "" when it is
// missing (recorded for Done), and fails the test under CI=true.
func (s *SharedFiles) Path(elem ...string) string {
	s.t.Helper()
	p, rel, why := lookup(s.resolve, elem...)
	if why == "" {
		return p
	}
	if InCI() {
		s.t.Fatalf("missing test data (CI=true, not skipping): %s: %s", rel, why)
	}
	if s.missing == nil {
		s.missing = map[string][]string{}
	}
	if _, ok := s.missing[why]; !ok {
		s.whys = append(s.whys, why)
	}
	if !slices.Contains(s.missing[why], rel) {
		s.missing[why] = append(s.missing[why], rel)
	}
	return ""
}

// Done skips the test, after the checks of the files that were there, when
// Path found some missing, naming them and why; it does nothing otherwise.
// A test that failed stays failed.
func (s *SharedFiles) Done() {
	s.t.Helper()
	if len(s.whys) == 0 {
		return
	}
	var parts []string
	for _, why := range s.whys {
		rels := slices.Sorted(slices.Values(s.missing[why]))
		parts = append(parts, strings.Join(rels, ", ")+": "+why)
	}
	s.t.Skipf("missing test data, the other files were checked: %s", strings.Join(parts, "; "))
}

// SeedShared adds the files of a folder of the shared test data (walked
// recursively; .json and LICENSE files and files over 64 KiB left out) to
// a fuzz target's seed corpus, when the folder is there: the target does
// not need it, so nothing is skipped or failed without it.
func SeedShared(f *testing.F, elem ...string) {
	root := filepath.Join(append([]string{SharedDir()}, elem...)...)
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) == ".json" || d.Name() == "LICENSE" {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil && len(b) <= 64<<10 {
			f.Add(b)
		}
		return nil
	})
}
