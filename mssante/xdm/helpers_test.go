package xdm

import (
	"archive/zip"
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/mssante-go/sdk/ins"
)

// Public test identity (ins.md §8.1).
const testCX = "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"

// seqUUIDs returns a deterministic UUID source.
func seqUUIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
}

func fixedOptions() *WriteOptions {
	return &WriteOptions{
		NewUUID: seqUUIDs(),
		Now:     func() time.Time { return time.Date(2025, 1, 10, 8, 30, 0, 0, time.UTC) },
	}
}

const testCDA = `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
 <id root="1.2.250.1.213.1.1.1.5.2.12345.2"/>
 <code code="CERT_DECL" codeSystem="1.2.250.1.213.1.1.4.12" displayName="Certificat, déclaration"/>
 <title>Certificat de santé du 9ème mois</title>
 <effectiveTime value="20250109144745+0100"/>
 <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
 <languageCode code="fr-FR"/>
 <recordTarget><patientRole>
  <id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>
  <patient>
   <name><family qualifier="BR">PAT-TROIS</family><given>DOMINIQUE MARIE-LOUISE</given><given qualifier="BR">DOMINIQUE</given></name>
   <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
   <birthTime value="19790328"/>
  </patient>
 </patientRole></recordTarget>
 <component><nonXMLBody><text mediaType="text/plain" representation="B64">dGVzdA==</text></nonXMLBody></component>
</ClinicalDocument>
`

func testEntry() DocumentEntry {
	insv, err := ins.New("279035121518989", "1.2.250.1.213.1.4.10")
	if err != nil {
		panic(err)
	}
	return DocumentEntry{
		UniqueID:                   "1.2.250.1.213.1.1.1.5.2.12345.2",
		Title:                      "Certificat de santé du 9ème mois",
		MimeType:                   "text/xml",
		TypeCode:                   Code{Code: "CERT_DECL", CodeSystem: "1.2.250.1.213.1.1.4.12", DisplayName: "Certificat, déclaration"},
		ClassCode:                  Code{Code: "52", CodeSystem: "1.2.250.1.213.1.1.4.1", DisplayName: "Certificat, déclaration"},
		FormatCode:                 Code{Code: "urn:asip:ci-sis:cse-cs9:2017", CodeSystem: "1.2.250.1.213.1.1.4.2.282", DisplayName: "CS9"},
		HealthcareFacilityTypeCode: Code{Code: "SA05", CodeSystem: "1.2.250.1.71.4.2.4", DisplayName: "Centre de santé"},
		PracticeSettingCode:        Code{Code: "AMBULATOIRE", CodeSystem: "1.2.250.1.213.1.1.4.9", DisplayName: "Ambulatoire"},
		ConfidentialityCodes:       []Code{{Code: "N", CodeSystem: "2.16.840.1.113883.5.25", DisplayName: "Normal"}},
		EventCodes:                 []Code{{Code: "11429006", CodeSystem: "2.16.840.1.113883.6.96", DisplayName: "Consultation"}},
		LanguageCode:               "fr-FR",
		CreationTime:               time.Date(2025, 1, 9, 13, 47, 45, 0, time.UTC),
		ServiceStartTime:           time.Date(2025, 1, 9, 13, 0, 0, 0, time.UTC),
		ServiceStopTime:            time.Date(2025, 1, 9, 13, 30, 0, 0, time.UTC),
		PatientINS:                 insv,
		SourcePatientID:            "IPP123^^^&1.2.250.1.999.1&ISO^PI",
		SourcePatientInfo: []string{
			"PID-5|PAT-TROIS^DOMINIQUE^DOMINIQUE MARIE-LOUISE^^^^L",
			"PID-7|19790328", "PID-8|F", "PID-11|^^^^^^BDL^^51215",
		},
		Authors: []Author{{
			Person:       "801234567897^MULLER^Charles^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS",
			Institutions: []string{"Centre de santé du Belvédère^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1120456791"},
			Specialties:  []string{"G15_10/SM40^Médecin - Pédiatrie (SM)^1.2.250.1.213.1.1.4.5"},
		}},
		LegalAuthenticator: "801234567897^MULLER^Charles^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS",
	}
}

func testPackage() *Package {
	return &Package{
		SubmissionSet: SubmissionSet{
			SourceID:        "1.2.250.1.71.4.2.2.1120456791",
			Title:           "Certificat de santé",
			ContentTypeCode: Code{Code: "SA05", CodeSystem: "1.2.250.1.71.4.2.4", DisplayName: "Centre de santé"},
			Author: Author{
				Person:       "801234567897^MULLER^Charles^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS",
				Institutions: []string{"Centre de santé du Belvédère^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1120456791"},
				Telecoms:     []string{"^^Internet^charles.muller@belvedere.mssante.fr"},
			},
			IntendedRecipients: []string{"secretariat@hopital.mssante.fr"},
		},
		Documents: []*Document{{Entry: testEntry(), Content: []byte(testCDA)}},
		Sender: SenderInfo{
			StructureName:      "Centre de santé du Belvédère",
			StructureID:        "1120456791",
			PersonName:         "DR MULLER Charles",
			ApplicationName:    "Exemple DPI",
			ApplicationVersion: "1.0",
			ApplicationVendor:  "Éditeur Exemple",
		},
	}
}

func writeBytes(t testing.TB, p *Package, opts *WriteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, p, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readBytes(t testing.TB, b []byte, opts *ReadOptions) *Archive {
	t.Helper()
	a, err := Read(bytes.NewReader(b), int64(len(b)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type zipEntry struct {
	name   string
	data   []byte
	method uint16
}

func makeZip(t testing.TB, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: e.method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// unzipAll returns the entries of an archive in order.
func unzipAll(t testing.TB, b []byte) []zipEntry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out []zipEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var data bytes.Buffer
		if _, err := data.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		out = append(out, zipEntry{name: f.Name, data: data.Bytes(), method: f.Method})
	}
	return out
}

// rewrite rebuilds an archive after changing its entries.
func rewrite(t testing.TB, b []byte, change func([]zipEntry) []zipEntry) []byte {
	t.Helper()
	return makeZip(t, change(unzipAll(t, b)))
}
