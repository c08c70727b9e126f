package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

func cdaExample(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testenv.Shared(t, "cda", "examples"), name)
}

// cdaBroken writes a copy of N1 without its title and XDS-SD templateId.
func cdaBroken(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(cdaExample(t, "DOC_NON_STRUCTURE_CDA-R2-N1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), `<title>Compte rendu d'examens biologiques</title>`, "", 1)
	s = strings.Replace(s, `<templateId root="1.3.6.1.4.1.19376.1.2.20"/>`, "", 1)
	p := filepath.Join(t.TempDir(), "broken.xml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCDAValidate(t *testing.T) {
	n1 := cdaExample(t, "DOC_NON_STRUCTURE_CDA-R2-N1.xml")
	code, out, _ := runCmd(t, "cda", "validate", n1)
	if code != 0 || !strings.Contains(out, "warning CDA-DOC-SCHEMALOC") {
		t.Fatalf("N1: code %d\n%s", code, out)
	}

	code, out, _ = runCmd(t, "cda", "validate", cdaBroken(t), "--json")
	if code != 1 {
		t.Fatalf("broken: code %d\n%s", code, out)
	}
	var fs []map[string]string
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rules := map[string]bool{}
	for _, f := range fs {
		for _, k := range []string{"level", "rule", "location", "message", "spec"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding without %s: %v", k, f)
			}
		}
		if len(f) != 5 {
			t.Errorf("finding with extra keys: %v", f)
		}
		rules[f["rule"]+" "+f["spec"]] = true
	}
	// The official rules: title required, and a level 1 document's XDS-SD templateId.
	if !rules["SMDS_CDAClinicalDocument StrucMin d152e10-false-d1610e0/21"] || !rules["SMDS_CDAClinicalDocument StrucMin d152e10-false-d1610e0/7"] {
		t.Errorf("rules = %v", rules)
	}

	// Several files: one line per finding prefixed with the file, a summary each.
	code, out, _ = runCmd(t, "cda", "validate", "--errors-only", n1, cdaBroken(t))
	if code != 1 || strings.Contains(out, "warning ") || !strings.Contains(out, "broken.xml: error SMDS_CDAClinicalDocument at /ClinicalDocument: title[not(@nullFlavor)] is required [StrucMin d152e10-false-d1610e0/21]") {
		t.Fatalf("two files: code %d\n%s", code, out)
	}

	// An unreadable file is an error finding, not a crash.
	code, out, _ = runCmd(t, "cda", "validate", "--json", filepath.Join(t.TempDir(), "missing.xml"))
	if code != 1 || !strings.Contains(out, "CDA-READ") {
		t.Fatalf("missing file: code %d\n%s", code, out)
	}
	if code, _, _ := runCmd(t, "cda", "validate"); code != 2 {
		t.Fatalf("no file: code %d", code)
	}
}

func TestCDAValidateStdin(t *testing.T) {
	var out, errb bytes.Buffer
	doc := `<ClinicalDocument xmlns="urn:hl7-org:v3"><typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/></ClinicalDocument>`
	code := run(&cmdEnv{stdin: strings.NewReader(doc), stdout: &out, stderr: &errb}, []string{"cda", "validate", "-"})
	if code != 1 || !strings.Contains(out.String(), "StrucMin d152e10-false-d1610e0/21") {
		t.Fatalf("code %d\n%s", code, out.String())
	}
}

func TestCDAInspect(t *testing.T) {
	n1 := cdaExample(t, "DOC_NON_STRUCTURE_CDA-R2-N1.xml")
	code, out, _ := runCmd(t, "cda", "inspect", n1)
	for _, want := range []string{"level 1, application/pdf", "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH", "urn:ihe:iti:xds-sd:pdf:2008", "classCode:"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Fatalf("code %d", code)
	}
	code, out, _ = runCmd(t, "cda", "inspect", "--json", cdaExample(t, "IPS-FR_2024.01.xml"))
	var res struct {
		Level1 bool `json:"level1"`
		XDS    struct {
			UniqueID  string `json:"unique_id"`
			PatientID string `json:"patient_id"`
		} `json:"xds"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Level1 || res.XDS.PatientID == "" || res.XDS.UniqueID == "" {
		t.Fatalf("IPS: code %d %+v\n%s", code, res, out)
	}
	if code, _, errs := runCmd(t, "cda", "inspect", cdaExample(t, "nope.xml")); code != 1 || errs == "" {
		t.Fatalf("missing file: %d %q", code, errs)
	}
}

func TestCDAPDF(t *testing.T) {
	n1 := cdaExample(t, "DOC_NON_STRUCTURE_CDA-R2-N1.xml")
	outPath := filepath.Join(t.TempDir(), "out.pdf")
	if code, _, errs := runCmd(t, "cda", "pdf", n1, "-o", outPath); code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	b, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(b)
	// SHA-1 of the base64 content of N1, decoded independently.
	if len(b) != 326650 || hex.EncodeToString(sum[:]) != "d77ba67711ba1c8f76adb66d837f476c439f0490" {
		t.Fatalf("extracted %d bytes, sha1 %x", len(b), sum)
	}
	code, _, errs := runCmd(t, "cda", "pdf", cdaExample(t, "IPS-FR_2024.01.xml"), "-o", filepath.Join(t.TempDir(), "x.pdf"))
	if code != 1 || !strings.Contains(errs, "no non-XML body") {
		t.Fatalf("structured: %d %q", code, errs)
	}
	if code, _, _ := runCmd(t, "cda", "pdf", n1); code != 2 {
		t.Fatalf("no -o: %d", code)
	}
}
