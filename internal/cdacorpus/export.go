package cdacorpus

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/testenv"
)

// The documents our builder makes outside package cda (the examples, the
// tests of package mssante) are checked by the official rules of the kit
// with the rest of the corpus, in the one batch of package cda's kit
// agreement test. Those packages cannot be imported (main packages, test
// files), so each has a test named ExportTest that builds its documents and
// hands them to Export; Builders runs those tests with ExportDir set and
// collects what they wrote.

// ExportTest is the name of the test, in each package of ExportPackages,
// that builds its CDA documents and gives them to Export.
const ExportTest = "TestCDACorpus"

// ExportDir names the environment variable that tells Export where to
// write.
const ExportDir = "MSS_CDA_CORPUS"

// ExportPackages are the packages, besides cda, whose code or tests build
// CDA documents with cda.Build.
var ExportPackages = []string{"./examples/quickstart", "./examples/dui-send", "./examples/receive", "./mssante"}

// Export checks a document built by the package's code with Validate (no
// error, no warning) and, when ExportDir is set, writes it there as
// <prefix>-<name>.xml for the kit agreement test.
func Export(t testing.TB, prefix, name string, doc []byte) {
	t.Helper()
	fs, err := cda.Validate(bytes.NewReader(doc), nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if fs.HasErrors() || fs.Count(finding.Warning) > 0 {
		t.Errorf("%s: findings on a built document:\n%v", name, fs)
	}
	dir := os.Getenv(ExportDir)
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, safeName(prefix+"-"+name)+".xml"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
}

var unsafeRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeRE.ReplaceAllString(s, "_") }

// ExportTimeout bounds the nested go test run of Builders (it may compile
// the packages' tests).
const ExportTimeout = 15 * time.Minute

// Builders runs the ExportTest of every package of ExportPackages in one
// `go test` and returns the documents they exported, named
// "builder/<package>-<name>.xml". Each package must export at least one.
func Builders(t testing.TB) []Doc {
	t.Helper()
	goBin := testenv.LookPath(t, "go")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), ExportTimeout)
	defer cancel()
	args := append([]string{"test", "-count=1", "-run", "^" + ExportTest + "$"}, ExportPackages...)
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = testenv.ModuleRoot()
	cmd.Env = append(os.Environ(), ExportDir+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var docs []Doc
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, Doc{Name: "builder/" + filepath.Base(f), Source: f, Data: b})
	}
	for _, p := range ExportPackages {
		prefix := safeName(filepath.Base(p)) + "-"
		if !slices.ContainsFunc(docs, func(d Doc) bool { return strings.HasPrefix(filepath.Base(d.Name), prefix) }) {
			t.Errorf("%s exported no document: does its %s call cdacorpus.Export(t, %q, ...)?", p, ExportTest, filepath.Base(p))
		}
	}
	t.Logf("cdacorpus: %d documents built by %d packages", len(docs), len(ExportPackages))
	return docs
}
