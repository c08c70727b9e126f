package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
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
	for _, want := range []string{"X-MSS-INS O", "archive verified", "MDN (processed)", "X-MSS-MES: FIN", "exchange is closed", "msc-closed", "every step passed"} {
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
	if fs, err := mssante.Lint(bytes.NewReader(msg), nil); err != nil || fs.HasErrors() {
		t.Errorf("message.eml: %v %v", err, fs)
	}
	mdn, err := os.ReadFile(filepath.Join(dir, "mdn.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := mssante.ParseReport(bytes.NewReader(mdn), nil); err != nil || rep.MDN == nil || rep.Failed() {
		t.Errorf("mdn.eml: %v %+v", err, rep)
	}
}
