package xdm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
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
	if fs := a.Verify(); fs.HasErrors() || fs.Count(finding.Warning) > 0 {
		t.Fatal(fs)
	}
}

func TestDocumentFromCDAErrors(t *testing.T) {
	for in, want := range map[string]error{
		"<notcda/>": cda.ErrNotCDA,
		"":          cda.ErrNotCDA,
		"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><id": cda.ErrSyntax,
	} {
		d, err := DocumentFromCDA([]byte(in))
		if d != nil || !errors.Is(err, want) {
			t.Errorf("%q: %v, %v; want %v", in, d, err, want)
		}
	}
	if e := EntryFromCDA(nil); !reflect.DeepEqual(e, DocumentEntry{}) {
		t.Errorf("EntryFromCDA(nil) = %+v", e)
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
	if fs := a.Verify(); !hasRule(fs, "XDM-CDA-PATIENT", finding.Error) {
		t.Fatal(fs)
	}
}

func TestVerifyCDAWithoutINS(t *testing.T) {
	p := testPackage()
	p.Documents[0].Content = []byte(strings.Replace(testCDA, `root="1.2.250.1.213.1.4.10"`, `root="1.2.250.1.999.1"`, 1))
	a := readBytes(t, writeBytes(t, p, fixedOptions()), nil)
	fs := a.Verify()
	if !hasRule(fs, "XDM-CDA-PATIENT", finding.Warning) || fs.HasErrors() {
		t.Fatal(fs)
	}
}

func TestCheckPatientIDAuthority(t *testing.T) {
	for _, tt := range []struct {
		cx, want string
	}{
		{"279035121518988^^^&1.2.250.1.213.1.4.10&ISO^NH", "under the test INS authority"},
		{"279035121518988^^^&1.2.250.1.213.1.4.11&ISO^NH", "under the test INS authority"},
		{"279035121518988^^^&1.2.250.1.213.1.4.8&ISO^NH", "under the production INS authority"},
		{"IPP123^^^&1.2.250.1.999.1&ISO^PI", "is not an INS"},
	} {
		i, f := checkPatientID(tt.cx, "here", false)
		if !i.IsZero() || f.Level != finding.Warning || f.Rule != "XDM-PATIENT-INS" || !strings.Contains(f.Message, tt.want) {
			t.Errorf("%s: %v %+v, want a warning saying %q", tt.cx, i, f, tt.want)
		}
		if _, f := checkPatientID(tt.cx, "here", true); strings.Contains(tt.want, "authority") && f.Level != finding.Error {
			t.Errorf("%s strict: %+v, want an error", tt.cx, f)
		}
	}
}
