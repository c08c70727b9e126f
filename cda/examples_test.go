package cda_test

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/cdacorpus"
)

// officialErrors are the errors Validate finds in the official documents
// (read with TestINSKeyWarning, as for a replay), by document: the rule and,
// for the kit's rules, the assert. The kit finds the same (kit_test.go
// checks it on the whole corpus); CDA-INS-KEY is the SDK's deliberate
// addition: fictitious matricules with wrong keys under the production OID
// .8 (cda.md §6). Every other official document has no error.
var officialErrors = map[string][]string{
	// patient/name/family qualifier="SP": BR and CL only.
	"examples/eDISP-MED_2024.01.xml": {"CI-SISRecordTarget d2485e87-false-d3093e0/3"},
	// No setId.
	"xdm/AVC-AUNV_2022.01.zip/IHE_XDM/SUBSET01/DOC0001.XML": {"SMDS_CDAClinicalDocument d152e10-false-d1610e0/29"},
	// Eight participant/functionCode outside JDV_J47.
	"xdm/CANCER-PPS_2025.01.zip/IHE_XDM/SUBSET01/DOC0001.XML": slices.Repeat([]string{"CI-SISParticipant d11509e42-false-d11627e0/2"}, 8),
	// Wrong INS keys under the production OID .8.
	"xdm/CSE-CS24_2024.01.zip/IHE_XDM/SUBSET01/DOC0001.XML": {"CDA-INS-KEY"},
	"xdm/CSE-CS8_2024.01.zip/IHE_XDM/SUBSET01/DOC0001.XML":  {"CDA-INS-KEY"},
	"xdm/CSE-CS9_2024.01.zip/IHE_XDM/SUBSET01/DOC0001.XML":  {"CDA-INS-KEY"},
	"xdm/CSE-MDE_2023.01.zip/IHE_XDM/SUBSET01/DOC0001.XML":  {"CDA-INS-KEY"},
}

// errorNames are the errors of a list: the rule, and the assert of a kit rule.
func errorNames(fs finding.List) []string {
	var out []string
	for _, f := range fs {
		n := f.Rule
		if a, ok := strings.CutPrefix(f.Spec, "StrucMin "); ok {
			n += " " + a
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func TestOfficialExamples(t *testing.T) {
	var level1, auto int
	seen := map[string]bool{}
	for _, doc := range cdacorpus.Official(t) {
		t.Run(doc.Name, func(t *testing.T) {
			seen[doc.Name] = true
			d, err := cda.Parse(bytes.NewReader(doc.Data), nil)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			h := d.Header()
			if h.ID.Root == "" || h.Code.Code == "" || len(h.Authors) == 0 {
				t.Errorf("header not read: id=%v code=%v authors=%d", h.ID, h.Code, len(h.Authors))
			}
			if d.IsLevel1() {
				level1++
			}
			if h.AutoPresentable {
				auto++
			}
			fs, err := cda.Validate(bytes.NewReader(doc.Data), &cda.ValidateOptions{TestINSKeyWarning: true})
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got, want := errorNames(fs.Errors()), officialErrors[doc.Name]; !slices.Equal(got, want) {
				t.Errorf("errors %v, want %v:\n%s", got, want, findingsString(fs.Errors()))
			}
			if !d.IsLevel1() {
				return // structured: the header is checked, not the body
			}
			body, err := d.Body()
			if err != nil {
				t.Fatal(err)
			}
			pdf, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if d.BodyMediaType() == cda.MediaTypePDF && !bytes.HasPrefix(pdf, []byte("%PDF")) {
				t.Errorf("body does not start with %%PDF: %q", pdf[:min(8, len(pdf))])
			}
		})
	}
	// The shared test data holds four level 1 documents (N1 and BIO-CR-BIO
	// Niveau 1, as files and in their archives) and three auto-presentable
	// ones: the checks above must have seen them.
	if level1 < 4 || auto < 3 {
		t.Errorf("%d level 1 and %d auto-presentable examples, want at least 4 and 3", level1, auto)
	}
	for name := range officialErrors {
		if !seen[name] {
			t.Errorf("official document %s not found", name)
		}
	}
}

// TestThreeDigitOffset: the BIO-TROD examples write a time offset with
// three digits ("20240106113623+100"). The kit accepts it (reading +10:00):
// no error, a warning (the IG writes ±hhmm); the reader takes it as +01:00,
// what its author meant.
func TestThreeDigitOffset(t *testing.T) {
	for _, doc := range cdacorpus.Official(t) {
		if !strings.Contains(doc.Name, "BIO-TROD_2024.01_Angine") {
			continue
		}
		fs, err := cda.Validate(bytes.NewReader(doc.Data), nil)
		if err != nil || fs.HasErrors() || len(fs.ByRule("CDA-TS-OFFSET").Warnings()) == 0 {
			t.Fatalf("%v:\n%s", err, findingsString(fs))
		}
		h, err := cda.ReadHeader(bytes.NewReader(doc.Data))
		if err != nil {
			t.Fatal(err)
		}
		if got := h.LegalAuthenticator.Time.Format("20060102150405-0700"); got != "20240106113623+0100" {
			t.Errorf("legalAuthenticator/time read as %s", got)
		}
		return
	}
	t.Fatal("BIO-TROD_2024.01_Angine not in the corpus")
}
