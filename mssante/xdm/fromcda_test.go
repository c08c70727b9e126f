package xdm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/idnat"
	"github.com/mssante-go/sdk/ins"
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
	var fe *FieldError
	if e, err := EntryFromHeader(nil); !errors.As(err, &fe) || !errors.Is(err, ErrMissingField) || !reflect.DeepEqual(e, DocumentEntry{}) {
		t.Errorf("EntryFromHeader(nil) = %+v, %v", e, err)
	}
	if _, err := EntryFromHeader(&cda.Header{ID: cda.II{Root: "1.2.3"}}); !errors.As(err, &fe) || fe.Object != "CDA header" {
		t.Errorf("header without patient: %v", err)
	}
	if XON(nil) != "" {
		t.Error("XON(nil) is not empty")
	}
}

// fromCDAHeader is a small header as cda.ReadHeader gives it.
func fromCDAHeader() *cda.Header {
	paris := time.FixedZone("", 3600)
	return &cda.Header{
		ID:            cda.II{Root: "1.2.250.1.999.1.1.1", Extension: "DOC-0001"},
		SetID:         cda.II{Root: "1.2.250.1.999.1.1.2", Extension: "SET-0001"},
		VersionNumber: 1,
		Code:          cda.Code{Code: "11488-4", CodeSystem: cda.OIDLOINC},
		Title:         "Compte rendu de consultation",
		EffectiveTime: time.Date(2025, 3, 14, 10, 30, 0, 0, paris),
		Patient: cda.Patient{
			Identity: ins.Identity{INS: ins.INS{Matricule: "279035121518989", OID: ins.OIDNIRTest}, Status: ins.StatusQualified,
				Traits: ins.Traits{BirthName: "PAT-TROIS", BirthGivenNames: "DOMINIQUE MARIE-LOUISE", Sex: ins.SexFemale}},
			IDs: []cda.II{{Root: "1.2.250.1.999.1.2", Extension: "IPP-42"}},
		},
		Authors: []cda.Author{{
			ID:           cda.II{Root: idnat.OIDPerson, Extension: "810001234565"},
			Code:         cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"},
			Telecoms:     []cda.Telecom{{Value: "mailto:jean.medecin@test.mssante.fr"}, {Value: "tel:0100000000"}},
			Person:       &cda.PersonName{Given: "Jean", Family: "MEDECIN"},
			Organization: &cda.Organization{ID: cda.II{Root: idnat.OIDStructure, Extension: "1750000002"}, Name: "Cabinet"},
		}},
		ServiceEvent:  cda.ServiceEvent{Start: time.Date(2025, 3, 14, 9, 0, 0, 0, paris)},
		BodyMediaType: cda.MediaTypePDF,
	}
}

func TestEntryFromHeader(t *testing.T) {
	e, err := EntryFromHeader(fromCDAHeader())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"uniqueId", e.UniqueID, "1.2.250.1.999.1.1.1^DOC-0001"},
		{"creationTime", e.CreationTime.Format(timeLayout), "20250314093000"},
		{"classCode", e.ClassCode.Code, "10"},
		{"typeCode label", e.TypeCode.DisplayName, "CR ou fiche de consultation ou de visite"},
		{"formatCode", e.FormatCode.Code, "urn:ihe:iti:xds-sd:pdf:2008"},
		{"patientId", e.PatientID, testCX},
		{"sourcePatientId", e.SourcePatientID, "IPP-42^^^&1.2.250.1.999.1.2&ISO^PI"},
		{"mimeType", e.MimeType, "text/xml"},
		{"author", e.Authors[0].Person, "810001234565^MEDECIN^Jean^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"},
		{"institution", e.Authors[0].Institutions[0], "Cabinet^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750000002"},
		{"telecoms", strings.Join(e.Authors[0].Telecoms, "~"), "^^Internet^jean.medecin@test.mssante.fr~^^PH^^^^^^^^^0100000000"},
		{"specialty", e.Authors[0].Specialties[0], "G15_10/SM26^Médecin - Qualifié en Médecine Générale (SM)^1.2.250.1.213.1.1.4.5"},
		{"version", e.Version, "1"},
		{"action", string(e.Action), ""},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if e.PatientINS.Matricule != "279035121518989" {
		t.Errorf("patient INS %v", e.PatientINS)
	}
}

// TestEntryFromHeaderReplace: a replacement (cda.NewReplacement) gives the
// action C and the parent's id.
func TestEntryFromHeaderReplace(t *testing.T) {
	next := cda.NewReplacement(fromCDAHeader(), cda.II{Root: "1.2.250.1.999.1.1.1", Extension: "DOC-0002"})
	e, err := EntryFromHeader(next)
	if err != nil {
		t.Fatal(err)
	}
	if e.Action != ActionReplace || e.ParentDocumentID != "1.2.250.1.999.1.1.1^DOC-0001" || e.Version != "2" {
		t.Fatalf("%+v", e)
	}
}

// TestEntryFromHeaderNoINS: without an INS the patientId is the local id.
func TestEntryFromHeaderNoINS(t *testing.T) {
	h := fromCDAHeader()
	h.Patient.Identity.INS = ins.INS{}
	e, err := EntryFromHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if e.PatientID != "IPP-42^^^&1.2.250.1.999.1.2&ISO^PI" || e.SourcePatientID != e.PatientID || !e.PatientINS.IsZero() {
		t.Fatalf("patientId %q, source %q", e.PatientID, e.SourcePatientID)
	}
}

func TestFormatCodeFor(t *testing.T) {
	if c, ok := FormatCodeFor("text/plain"); !ok || c.Code != "urn:ihe:iti:xds-sd:text:2008" || c.CodeSystem != OIDFormatCode {
		t.Errorf("FormatCodeFor = %v", c)
	}
	if _, ok := FormatCodeFor("image/png"); ok {
		t.Error("a formatCode for image/png")
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

// TestEntryFromHeaderN1 pins the metadata derived from the reference level 1
// example of the ANS kit.
func TestEntryFromHeaderN1(t *testing.T) {
	f, err := os.Open(filepath.Join(testenv.Shared(t, "cda", "examples"), "DOC_NON_STRUCTURE_CDA-R2-N1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := cda.ReadHeader(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := EntryFromHeader(h)
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
