package cda_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
)

// Generated, fictitious national identifiers (valid Luhn keys).
const (
	testRPPS   = "10001234565"
	testRPPS2  = "10007654329"
	testFINESS = "750000002"
)

var paris = time.FixedZone("", 3600)

// testIdentity is the public ANS test identity (ins.md §8.1).
func testIdentity() ins.Identity {
	return ins.Identity{
		INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
		Traits: ins.Traits{
			BirthName:       "PAT-TROIS",
			BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate:       time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC),
			Sex:             ins.SexFemale,
			BirthPlace:      "51215",
			UsedName:        "PAT-TROIS",
			UsedGivenName:   "DOMINIQUE",
		},
	}
}

func mustID(id cda.II, err error) cda.II {
	if err != nil {
		panic(err)
	}
	return id
}

// testHeader returns a complete level 1 header for the test identity.
func testHeader(t testing.TB) *cda.Header {
	ps := mustID(cda.NewRPPS(testRPPS))
	ps2 := mustID(cda.NewRPPS(testRPPS2))
	st := mustID(cda.NewFINESS(testFINESS))
	org := &cda.Organization{ID: st, Name: "Cabinet du Dr Test", Telecoms: []cda.Telecom{{Value: "tel:0100000000", Use: "WP"}}}
	return &cda.Header{
		ID:                  cda.II{Root: "1.2.250.1.999.1.1.1", Extension: "DOC-0001"},
		SetID:               cda.II{Root: "1.2.250.1.999.1.1.2", Extension: "SET-0001"},
		VersionNumber:       1,
		Code:                cda.Code{Code: "11488-4", CodeSystem: cda.OIDLOINC},
		Title:               "Compte rendu de consultation",
		EffectiveTime:       time.Date(2025, 3, 14, 10, 30, 0, 0, paris),
		ConfidentialityCode: cda.Code{Code: "N", CodeSystem: cda.OIDConfidentiality},
		LanguageCode:        "fr-FR",
		Patient: cda.Patient{
			Identity:       testIdentity(),
			IDs:            []cda.II{{Root: "1.2.250.1.999.1.2", Extension: "IPP-42"}},
			BirthPlaceCity: "DOMPREMY",
		},
		Authors: []cda.Author{{
			Time:         time.Date(2025, 3, 14, 10, 0, 0, 0, paris),
			ID:           ps,
			Code:         cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"},
			Telecoms:     []cda.Telecom{{Value: "mailto:jean.medecin@test.mssante.fr", Use: "WP"}},
			Person:       &cda.PersonName{Prefix: "DR", Given: "Jean", Family: "MEDECIN"},
			Organization: org,
		}},
		Custodian: *org,
		LegalAuthenticator: &cda.LegalAuthenticator{
			Time:   time.Date(2025, 3, 14, 10, 30, 0, 0, paris),
			Person: cda.Person{ID: ps, Name: cda.PersonName{Given: "Jean", Family: "MEDECIN"}},
		},
		InformationRecipients: []cda.Recipient{{
			Person: &cda.Person{ID: ps2, Name: cda.PersonName{Given: "Anne", Family: "CONFRERE"},
				Telecoms: []cda.Telecom{{Value: "mailto:anne.confrere@test.mssante.fr"}}},
		}},
		ServiceEvent: cda.ServiceEvent{
			Code:  cda.Code{Code: "GLQP012", CodeSystem: "1.2.250.1.213.2.5", DisplayName: "Consultation"},
			Start: time.Date(2025, 3, 14, 9, 0, 0, 0, paris),
			Stop:  time.Date(2025, 3, 14, 9, 30, 0, 0, paris),
			Performer: &cda.Performer{
				Person:          cda.Person{ID: ps, Name: cda.PersonName{Given: "Jean", Family: "MEDECIN"}, Organization: org},
				PracticeSetting: cda.Code{Code: "AMBULATOIRE", CodeSystem: "1.2.250.1.213.1.1.4.9"},
			},
		},
		Encounter: cda.Encounter{
			Start:        time.Date(2025, 3, 14, 9, 0, 0, 0, paris),
			FacilityType: cda.Code{Code: "SA07", CodeSystem: "1.2.250.1.71.4.2.4"},
		},
	}
}

// fakePDF returns n bytes that start like a PDF.
func fakePDF(n int) []byte {
	b := make([]byte, n)
	copy(b, "%PDF-1.4\n")
	for i := 9; i < n; i++ {
		b[i] = byte(i*31 + i/7)
	}
	return b
}

func build(t testing.TB, h *cda.Header, pdf []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := cda.Build(&out, h, cda.Body{MediaType: cda.MediaTypePDF, Content: bytes.NewReader(pdf)}); err != nil {
		t.Fatalf("Build: %v", err)
	}
	return out.Bytes()
}

func findingsString(fs finding.List) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String())
		b.WriteString("\n")
	}
	return b.String()
}
