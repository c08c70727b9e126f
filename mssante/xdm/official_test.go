package xdm

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/testenv"
)

// officialQuirks are the warnings the official archives give (docs/xdm.md,
// "Findings"); any other warning on them is a regression of the reader.
var officialQuirks = map[string]bool{
	"XDM-REF-CLASSIFIED": true, "XDM-REF-REGISTRY": true, "XDM-EXTID-NAME": true,
	"XDM-ASSOC-OBJECTTYPE": true, "XDM-EBRIM-ORDER": true, "XDM-PATIENT-INS": true, "XDM-ID-DUP": true,
}

// officialArchives returns the paths of the official ANS archives.
func officialArchives(t testing.TB) []string {
	t.Helper()
	dir := testenv.Shared(t, "xdm", "ansforge")
	paths, err := filepath.Glob(filepath.Join(dir, "*.zip"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no archive in %s: %v", dir, err)
	}
	return paths
}

func readFile(t testing.TB, p string) *Archive {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	a, err := Read(f, st.Size(), nil)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(p), err)
	}
	return a
}

func TestOfficialArchives(t *testing.T) {
	for _, p := range officialArchives(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			a := readFile(t, p)
			fs := a.Verify()
			for _, f := range fs {
				if f.Level == finding.Warning && !officialQuirks[f.Rule] {
					t.Errorf("warning outside the known quirks of the examples: %v", f)
				}
			}
			if fs.HasErrors() {
				t.Errorf("error-level findings: %v", fs.Errors())
			}
			if len(a.Documents) != 1 || len(a.SubmissionSets) != 1 {
				t.Fatalf("got %d documents, %d submission sets", len(a.Documents), len(a.SubmissionSets))
			}
			d := a.Documents[0]
			if cx, ok := a.PatientID(); !ok || cx == "" {
				t.Errorf("no single patient")
			}
			if d.Entry.TypeCode.Code == "" || d.Entry.TypeCode.CodeSystem == "" || d.Entry.Title == "" {
				t.Errorf("typeCode %+v, title %q", d.Entry.TypeCode, d.Entry.Title)
			}
			if d.Integrity.Status() != "ok" {
				t.Errorf("integrity %s", d.Integrity.Status())
			}
			// Cross-check with the CDA header.
			rc, err := d.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			h, err := cda.ReadHeader(rc)
			if err != nil {
				t.Fatalf("CDA header: %v", err)
			}
			if h.Code.Code != d.Entry.TypeCode.Code {
				t.Errorf("typeCode %s, CDA code %s", d.Entry.TypeCode.Code, h.Code.Code)
			}
			if m := string(h.Patient.Identity.INS.Matricule); m == "" || !strings.HasPrefix(d.Entry.PatientID, m+"^") {
				t.Errorf("patientId %s, CDA INS %q", d.Entry.PatientID, m)
			}
		})
	}
}

// TestOfficialKnownDefects checks that the defects xdm.md §11 lists for
// the CSE-CS9 example are reported as warnings, and nothing else.
func TestOfficialKnownDefects(t *testing.T) {
	a := readFile(t, filepath.Join(testenv.Shared(t, "xdm", "ansforge"), "CSE-CS9_2025.01.zip"))
	fs := a.Verify()
	got := map[string]bool{}
	for _, f := range fs {
		if f.Level == finding.Error {
			t.Errorf("error: %v", f)
		}
		if f.Level == finding.Warning {
			got[f.Rule] = true
		}
	}
	want := []string{
		"XDM-REF-REGISTRY",     // sourceId/uniqueId registryObject, bare UUID for the document uniqueId
		"XDM-REF-CLASSIFIED",   // document classifications point at the package
		"XDM-ASSOC-OBJECTTYPE", // objectType="Original"
		"XDM-EBRIM-ORDER",      // Name before Slot (eventCodeList)
		"XDM-EXTID-NAME",       // XDSSumissionSet.sourceId
		"XDM-PATIENT-INS",      // 221042545611404: wrong key
	}
	for _, r := range want {
		if !got[r] {
			t.Errorf("no %s warning", r)
		}
		delete(got, r)
	}
	for r := range got {
		t.Errorf("unexpected warning %s", r)
	}
	d := a.Documents[0].Entry
	if d.TypeCode.Code != "CERT_DECL" || d.ClassCode.Code != "52" || d.FormatCode.Code != "urn:asip:ci-sis:cse-cs9:2017" ||
		len(d.Authors) != 1 || d.Authors[0].Specialties[0] != "G15_10/SM40^Médecin - Pédiatrie (SM)^1.2.250.1.213.1.1.4.5" {
		t.Errorf("%+v", d)
	}
	if cx, _ := a.PatientID(); cx != "221042545611404^^^&1.2.250.1.213.1.4.10&ISO^NH" {
		t.Errorf("patient %q", cx)
	}
}

// TestForeignArchives reads the XDM archives of other vendors (NIST and
// Direct Project samples: other layouts, namespaces and defects) and pins
// what the tolerant reader makes of them: every archive opens (backslash
// names included), its documents are found, the operating system and tool
// entries (__MACOSX/, .DS_Store, .svn/...) give one info finding and no
// other, and the error-level findings are exactly the known defects.
func TestForeignArchives(t *testing.T) {
	dir := testenv.Shared(t, "xdm", "foreign")
	want := map[string]struct {
		docs    int
		errors  []string // error-level rules of Read and Verify
		ignored int      // operating system and tool entries skipped
		path    string   // the first document's path, "" when not found
	}{
		"direct_java_xd-common_src_test_resources_samplexdm.zip": {1, []string{"XDM-PATIENT-CX", "XDM-PATIENT-MULTI", "XDM-REQUIRED"}, 0, ""},
		// Backslash names and no IHE_XDM directory: read, the document has
		// no URI (a defect of the sample).
		"direct_java_xdmail_src_test_resources_samplexdm.zip": {1, []string{"XDM-PATIENT-CX", "XDM-PATIENT-MULTI", "XDM-REQUIRED"}, 0, ""},
		"nist_XDM-Samples_Allscripts.zip":                     {1, nil, 22, "IHE_XDM/SUBSET01/DOC00001.XML"},
		"nist_XDM-Samples_Epic.zip":                           {1, nil, 24, "IHE_XDM/LUCY_0/DOC0001.XML"},
		"nist_XDM-Samples_MIE.zip":                            {1, nil, 9, "IHE_XDM/SUBSET01/DOC00001.XML"},
		"nist_direct-messages_C32_Sample1_in_XDM.zip":         {1, nil, 1, "IHE_XDM/SUBSET01/C32_SAMPLE1.XML"},
		"nist_direct-messages_C32_Sample2_in_XDM.zip":         {1, nil, 1, "IHE_XDM/SUBSET01/C32_SAMPLE2.XML"},
		"nist_direct-messages_CCDA_Ambulatory_in_XDM.zip":     {1, nil, 8, "IHE_XDM/SUBSET01/CCDA_Ambulatory.xml"},
		"nist_direct-messages_CCR_Sample1_in_XDM.zip":         {1, nil, 2, "IHE_XDM/SUBSET01/CCR_SAMPLE1.XML"},
		"nist_direct_IHE_XDM.zip":                             {0, []string{"XDM-META-ROOT"}, 0, ""}, // ebRS 2.1 metadata
		"nist_xdm_xdm.zip":                                    {1, nil, 30, "IHE_XDM/SUBSET/doc.txt"},
	}
	// Every archive there and every archive expected: an unexpected one
	// fails, a missing one skips (fails under CI=true) with the reason.
	var names []string
	paths, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	for name := range want {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("unexpected archive in %s", dir)
			}
			b, err := os.ReadFile(testenv.Shared(t, "xdm", "foreign", name))
			if err != nil {
				t.Fatal(err)
			}
			a, err := Read(bytes.NewReader(b), int64(len(b)), nil)
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			fs := a.Verify()
			for _, f := range fs {
				if f.Level == finding.Error && !slices.Contains(rules, f.Rule) {
					rules = append(rules, f.Rule)
				}
				for _, junk := range []string{"__MACOSX", ".DS_Store", ".svn", "._", ".swp"} {
					if f.Rule != "XDM-OS-FILES" && strings.Contains(f.Location+f.Message, junk) {
						t.Errorf("a finding about an ignored entry: %v", f)
					}
				}
			}
			slices.Sort(rules)
			if len(a.Documents) != w.docs || !slices.Equal(rules, w.errors) {
				t.Errorf("%d documents, error rules %v; want %d, %v", len(a.Documents), rules, w.docs, w.errors)
			}
			if len(a.Ignored) != w.ignored || (w.ignored > 0) != (len(fs.ByRule("XDM-OS-FILES")) == 1) {
				t.Errorf("ignored %d %q, want %d", len(a.Ignored), a.Ignored, w.ignored)
			}
			if w.docs > 0 && a.Documents[0].Path != w.path {
				t.Errorf("path %q, want %q", a.Documents[0].Path, w.path)
			}
		})
	}
}
