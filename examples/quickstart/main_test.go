package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/xdm"
)

// The quickstart is the README's main job: it must run end to end and leave
// artifacts that the SDK's own readers accept.
func TestQuickstart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(ctx, &out, dir); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{"linted all of it (headers, IHE_XDM.ZIP, CDA, PDF): 0 error, 0 warning", "X-MSS-INS O", "archive verified", "MDN (processed)", "through the outbox", "Outbox timeline of", "→ delivered", "→ processed", "(final: true)", "X-MSS-MES: FIN", "exchange is closed",
		"second test patient, 295109912611193@patient.mssante.fr, whose Mon Espace Santé mailbox the test operator simulates as closed", "msc-closed", "every step passed"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}

	// Every artifact is there and readable by the SDK.
	for _, name := range []string{"document.xml", "IHE_XDM.ZIP", "message.eml", "mdn.eml", "bounce.eml"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("artifact %s: %v", name, err)
		}
	}
	pdfs, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if len(pdfs) != 1 {
		t.Errorf("want one PDF artifact, got %v", pdfs)
	}
	doc, err := os.ReadFile(filepath.Join(dir, "document.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if fs, err := cda.Validate(bytes.NewReader(doc), nil); err != nil || fs.HasErrors() {
		t.Errorf("document.xml: %v %v", err, fs)
	}
	zipData, err := os.ReadFile(filepath.Join(dir, "IHE_XDM.ZIP"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := xdm.Read(bytes.NewReader(zipData), int64(len(zipData)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if fs := a.Verify(); fs.HasErrors() {
		t.Errorf("IHE_XDM.ZIP: %v", fs)
	}
	msg, err := os.ReadFile(filepath.Join(dir, "message.eml"))
	if err != nil {
		t.Fatal(err)
	}
	// The whole message lints clean: no error, no warning (the sample PDF
	// carries its PDF/A-1b identification, the submission set its
	// contentTypeCode); and `mss message lint`, built from this module,
	// says so too.
	if fs, err := mssante.Lint(bytes.NewReader(msg), nil); err != nil || fs.HasErrors() || fs.Count(finding.Warning) > 0 {
		t.Errorf("message.eml: %v %v", err, fs)
	}
	mss := filepath.Join(t.TempDir(), "mss")
	if out, err := exec.Command("go", "build", "-o", mss, "github.com/mssante-go/sdk/cmd/mss").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/mss: %v\n%s", err, out)
	}
	lintOut, err := exec.Command(mss, "message", "lint", filepath.Join(dir, "message.eml")).Output()
	if err != nil || !strings.HasSuffix(string(lintOut), ": 0 error(s), 0 warning(s)\n") {
		t.Errorf("mss message lint message.eml: %v\n%s", err, lintOut)
	}
	mdn, err := os.ReadFile(filepath.Join(dir, "mdn.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := mssante.ParseReport(bytes.NewReader(mdn), nil); err != nil || rep.MDN == nil || rep.Failed() {
		t.Errorf("mdn.eml: %v %+v", err, rep)
	}
}
