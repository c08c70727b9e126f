package cda_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/testenv"
)

// officialExamples returns the official example documents: the files of
// cda/examples and the CDA documents inside the XDM archives.
func officialExamples(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join(testenv.Shared(t, "cda", "examples"), "*.xml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out["examples/"+filepath.Base(f)] = b
	}
	zips, _ := filepath.Glob(filepath.Join(testenv.Shared(t, "xdm", "ansforge"), "*.zip"))
	for _, z := range zips {
		zr, err := zip.OpenReader(z)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			name := strings.ToUpper(f.Name)
			if !strings.HasPrefix(name, "IHE_XDM/") || !strings.HasSuffix(name, ".XML") || strings.HasSuffix(name, "METADATA.XML") {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			out["xdm/"+filepath.Base(z)+"/"+f.Name] = b
		}
		zr.Close()
	}
	if len(out) < 5 {
		t.Fatalf("only %d official examples found", len(out))
	}
	return out
}

// knownDefects are the error-level rules the official examples break (the
// examples are read with TestINSKeyWarning, as for a replay), keyed by the
// XDM archive name. Every other official example must have no error.
var knownDefects = map[string][]string{
	// No setId.
	"AVC-AUNV_2022.01.zip": {"CDA-SETID"},
	// legalAuthenticator/time "20240106113623+100": a 3-digit offset.
	"BIO-TROD_2024.01_Angine.zip":                     {"CDA-LEGALAUTH"},
	"BIO-TROD_2024.01_COVID-19.zip":                   {"CDA-LEGALAUTH"},
	"BIO-TROD_2024.01_COVID-19_Grippe-A_Grippe-B.zip": {"CDA-LEGALAUTH"},
	"BIO-TROD_2024.01_Cystite.zip":                    {"CDA-LEGALAUTH"},
	// Fictitious matricules with wrong keys under the production OID .8
	// (cda.md §6), never downgraded to a warning.
	"CSE-CS24_2024.01.zip": {"CDA-INS-KEY"},
	"CSE-CS8_2024.01.zip":  {"CDA-INS-KEY"},
	"CSE-CS9_2024.01.zip":  {"CDA-INS-KEY"},
	"CSE-MDE_2023.01.zip":  {"CDA-INS-KEY"},
}

func TestOfficialExamples(t *testing.T) {
	var level1, auto int
	seen := map[string]bool{}
	for name, doc := range officialExamples(t) {
		archive := strings.SplitN(strings.TrimPrefix(name, "xdm/"), "/", 2)[0]
		seen[archive] = true
		if d, err := cda.Parse(bytes.NewReader(doc), nil); err == nil {
			if d.IsLevel1() {
				level1++
			}
			if d.Header().AutoPresentable {
				auto++
			}
		}
		t.Run(name, func(t *testing.T) {
			d, err := cda.Parse(bytes.NewReader(doc), nil)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			h := d.Header()
			if h.ID.Root == "" || h.Code.Code == "" || len(h.Authors) == 0 {
				t.Errorf("header not read: id=%v code=%v authors=%d", h.ID, h.Code, len(h.Authors))
			}
			// Structured bodies are not checked here: the header is.
			fs, err := cda.Validate(bytes.NewReader(doc), &cda.ValidateOptions{TestINSKeyWarning: true, HeaderOnly: !d.IsLevel1()})
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			var rules []string
			for _, f := range fs.Errors() {
				if !slices.Contains(rules, f.Rule) {
					rules = append(rules, f.Rule)
				}
			}
			slices.Sort(rules)
			if want := knownDefects[archive]; !slices.Equal(rules, want) {
				t.Errorf("error rules %v, want %v:\n%s", rules, want, findingsString(fs.Errors()))
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
	for archive := range knownDefects {
		if !seen[archive] {
			t.Errorf("known defective example %s not found", archive)
		}
	}
}
