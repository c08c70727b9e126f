package cdakit_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/samplepdf"
)

// quickstartDocument builds the level 1 document the quickstart builds
// (examples/internal/demo.Document, which this package cannot import), with
// a fixed time. It is the only place of this package that calls package cda:
// its API is being reshaped (issue 12); phase 2 of issue 13 moves the builder
// documents into cda's own differential test.
func quickstartDocument(t testing.TB) []byte {
	t.Helper()
	at := time.Date(2025, 3, 14, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	patient := ins.Identity{
		INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
		Traits: ins.Traits{
			BirthName: "PAT-TROIS", BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate: time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC), Sex: ins.SexFemale, BirthPlace: "51215",
		},
	}
	rpps, err := cda.NewRPPS("10001234565")
	if err != nil {
		t.Fatal(err)
	}
	finess, err := cda.NewFINESS("750000002")
	if err != nil {
		t.Fatal(err)
	}
	org := &cda.Organization{ID: finess, Name: "Hôpital Test"}
	author := cda.Person{ID: rpps, Name: cda.PersonName{Civility: cda.CivilityMrs, Given: "Marie", Family: "MARTIN", Title: cda.TitleDoctor}, Organization: org}
	h := &cda.Header{
		ID:                  cda.II{Root: "1.2.250.1.999.1.1.1", Extension: "1"},
		SetID:               cda.II{Root: "1.2.250.1.999.1.1.2", Extension: "1"},
		VersionNumber:       1,
		Code:                cda.Code{Code: "11488-4", CodeSystem: cda.OIDLOINC},
		Title:               "Compte rendu de consultation",
		EffectiveTime:       at,
		ConfidentialityCode: cda.Code{Code: "N", CodeSystem: cda.OIDConfidentiality},
		LanguageCode:        "fr-FR",
		Patient:             cda.Patient{Identity: patient},
		Authors: []cda.Author{{
			Time: at, ID: rpps, Person: &author.Name, Organization: org,
			Code: cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"},
		}},
		Custodian:          *org,
		LegalAuthenticator: &cda.LegalAuthenticator{Time: at, Person: author},
		ServiceEvent: cda.ServiceEvent{
			Start: at.Add(-time.Hour), Stop: at,
			Performer: &cda.Performer{Person: author, PracticeSetting: cda.Code{Code: "ETABLISSEMENT", CodeSystem: "1.2.250.1.213.1.1.4.9"}},
		},
		Encounter: cda.Encounter{Start: at.Add(-time.Hour), FacilityType: cda.Code{Code: "SA01", CodeSystem: "1.2.250.1.71.4.2.4"}},
	}
	var out bytes.Buffer
	pdf := samplepdf.New("Compte rendu de consultation", []string{"Document de démonstration, patient fictif."}, 0)
	if err := cda.Build(&out, h, cda.Body{Content: bytes.NewReader(pdf)}); err != nil {
		t.Fatalf("cda.Build: %v", err)
	}
	return out.Bytes()
}
