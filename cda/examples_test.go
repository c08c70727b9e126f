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
		if d, err := cda.Parse(bytes.NewReader(doc)); err == nil {
			if d.IsLevel1() {
				level1++
			}
			if d.Header().AutoPresentable {
				auto++
			}
		}
		t.Run(name, func(t *testing.T) {
			d, err := cda.Parse(bytes.NewReader(doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			h := d.Header()
			if h.ID.Root == "" || h.Code.Code == "" || len(h.Authors) == 0 {
				t.Errorf("header not read: id=%v code=%v authors=%d", h.ID, h.Code, len(h.Authors))
			}
			if _, err := h.XDSMetadata(); err != nil {
				t.Errorf("XDSMetadata: %v", err)
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

// TestOfficialN1 pins what is read from the reference level 1 example.
func TestOfficialN1(t *testing.T) {
	f, err := os.Open(filepath.Join(testenv.Shared(t, "cda", "examples"), "DOC_NON_STRUCTURE_CDA-R2-N1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := cda.ReadHeader(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := h.XDSMetadata()
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"uniqueId", m.UniqueID, "1.3.6.1.4.1.19376.1.2.20.12345.1.1"},
		{"typeCode", m.TypeCode.Code, "11502-2"},
		{"classCode", m.ClassCode.Code, "10"},
		{"formatCode", m.FormatCode.Code, "urn:ihe:iti:xds-sd:pdf:2008"},
		{"creationTime", m.CreationTime.Format("20060102150405"), "20210401124745"},
		{"serviceStart", m.ServiceStartTime.Format("20060102150405"), "20210104124700"},
		{"patientId", m.PatientID, "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"},
		{"sourcePatientId", m.SourcePatientID, "1234567890121^^^&1.2.3.4.567.8.9.10&ISO^PI"},
		{"sourcePatientInfo", strings.Join(m.SourcePatientInfo, "~"), "PID-5|PAT-TROIS^DOMINIQUE^DOMINIQUE MARIE-LOUISE^^^^L~PID-5|PAT-TROIS^DOMINIQUE^^^^^D~PID-7|19790328~PID-8|F~PID-11|^^^^^^BDL^^51215"},
		{"author", m.Authors[0].Person, "801234534765^CAMPARINI^Marcel^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"},
		{"institution", m.Authors[0].Institutions[0], "Laboratoire des charmes^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1120459876"},
		{"specialty", m.Authors[0].Specialties[0], "G15_10/SM03^Médecin - Biologie médicale (SM)^1.2.250.1.213.1.1.4.5"},
		{"legalAuthenticator", m.LegalAuthenticator, "807505123456^Camparini^Marcel^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"},
		{"facility", m.HealthcareFacilityTypeCode.Code, "SA07"},
		{"practice", m.PracticeSettingCode.Code, "AMBULATOIRE"},
		{"confidentiality", m.ConfidentialityCodes[0].Code, "N"},
		{"language", m.LanguageCode, "fr-FR"},
		{"logicalId", m.LogicalID, "1.3.6.1.4.1.19376.1.2.20.12345.1"},
		{"version", m.Version, "1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}
