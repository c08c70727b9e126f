package xdm

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/testenv"
)

func TestDocumentFromCDA(t *testing.T) {
	d, err := DocumentFromCDA([]byte(testCDA))
	if err != nil {
		t.Fatal(err)
	}
	e := d.Entry
	if e.UniqueID != "1.2.250.1.213.1.1.1.5.2.12345.2" || e.TypeCode.Code != "CERT_DECL" || e.MimeType != "text/xml" ||
		e.PatientID != testCX || e.Title != "Certificat de santé du 9ème mois" {
		t.Fatalf("entry %+v", e)
	}
	if got := e.CreationTime.Format(timeLayout); got != "20250109134745" {
		t.Errorf("creation time %s, want UTC", got)
	}
	p := testPackage()
	p.Documents = []*Document{d}
	a := readBytes(t, writeBytes(t, p, fixedOptions()), nil)
	if fs := a.Verify(); fs.HasErrors() || fs.Count(LevelWarning) > 0 {
		t.Fatal(fs)
	}
}

func TestDocumentFromCDAErrors(t *testing.T) {
	if _, err := DocumentFromCDA([]byte("<notcda/>")); err == nil {
		t.Fatal("no error for a non-CDA document")
	}
}

func TestEntryFromCDAReplace(t *testing.T) {
	e := EntryFromCDA(&cda.XDSMetadata{UniqueID: "1.2.3", ParentDocumentID: "1.2.2", ParentRelation: "RPLC"})
	if e.Action != ActionReplace || e.ParentDocumentID != "1.2.2" || e.MimeType != "text/xml" {
		t.Fatalf("%+v", e)
	}
}

// TestDocumentFromCDAExamples builds an archive from each official CDA
// example and checks that it verifies.
func TestDocumentFromCDAExamples(t *testing.T) {
	dir := testenv.Shared(t, "cda", "examples")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			d, err := DocumentFromCDA(b)
			if err != nil {
				t.Fatal(err)
			}
			p := testPackage()
			p.Documents = []*Document{d}
			var buf bytes.Buffer
			if err := Write(&buf, p, nil); err != nil {
				t.Fatal(err)
			}
			a := readBytes(t, buf.Bytes(), nil)
			if fs := a.Verify(); fs.HasErrors() {
				t.Fatal(fs.Errors())
			}
		})
	}
}

func TestVerifyCDAPatientMismatch(t *testing.T) {
	p := testPackage()
	other := strings.Replace(testCDA, "279035121518989", "295109912611193", 1)
	p.Documents[0].Content = []byte(other)
	a := readBytes(t, writeBytes(t, p, fixedOptions()), nil)
	if fs := a.Verify(); !hasRule(fs, "XDM-CDA-PATIENT", LevelError) {
		t.Fatal(fs)
	}
}
