package cda_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/ins"
)

// Build a level 1 document carrying a PDF for the public test patient and
// read it back (package mssante/xdm derives its XDS metadata).
func Example() {
	loc := time.FixedZone("", 3600)
	author, _ := cda.NewRPPS("10001234565") // generated, fictitious RPPS
	cabinet, _ := cda.NewFINESS("750000002")
	org := &cda.Organization{ID: cabinet, Name: "Cabinet du Dr Test"}
	doctor := cda.Person{ID: author, Name: cda.PersonName{Given: "Jean", Family: "MEDECIN"}}
	h := &cda.Header{
		ID:                  cda.II{Root: "1.2.250.1.999.1.1.1", Extension: "DOC-0001"},
		SetID:               cda.II{Root: "1.2.250.1.999.1.1.2", Extension: "SET-0001"},
		VersionNumber:       1,
		Code:                cda.Code{Code: "11488-4", CodeSystem: cda.OIDLOINC},
		Title:               "Compte rendu de consultation",
		EffectiveTime:       time.Date(2025, 3, 14, 10, 30, 0, 0, loc),
		ConfidentialityCode: cda.Code{Code: "N", CodeSystem: cda.OIDConfidentiality},
		Patient: cda.Patient{Identity: ins.Identity{
			INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest},
			Status: ins.StatusQualified,
			Traits: ins.Traits{BirthName: "PAT-TROIS", BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
				BirthDate: time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC), Sex: ins.SexFemale, BirthPlace: "51215"},
		}},
		Authors: []cda.Author{{Time: time.Date(2025, 3, 14, 10, 0, 0, 0, loc), ID: author,
			Code:   cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"},
			Person: &doctor.Name, Organization: org}},
		Custodian:          *org,
		LegalAuthenticator: &cda.LegalAuthenticator{Time: time.Date(2025, 3, 14, 10, 30, 0, 0, loc), Person: doctor},
		ServiceEvent: cda.ServiceEvent{Start: time.Date(2025, 3, 14, 9, 0, 0, 0, loc),
			Performer: &cda.Performer{Person: doctor, PracticeSetting: cda.Code{Code: "AMBULATOIRE", CodeSystem: "1.2.250.1.213.1.1.4.9"}}},
		Encounter: cda.Encounter{Start: time.Date(2025, 3, 14, 9, 0, 0, 0, loc),
			FacilityType: cda.Code{Code: "SA07", CodeSystem: "1.2.250.1.71.4.2.4"}},
	}

	var doc bytes.Buffer
	if err := cda.Build(&doc, h, cda.Body{MediaType: cda.MediaTypePDF, Content: strings.NewReader("%PDF-1.4 ...")}); err != nil {
		fmt.Println(err)
		return
	}

	d, err := cda.Parse(bytes.NewReader(doc.Bytes()), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := d.Body()
	pdf, _ := io.ReadAll(body)
	r := d.Header()
	fmt.Println(d.BodyMediaType(), string(pdf))
	fmt.Println(r.Code.DisplayName)
	fmt.Println(r.Patient.Identity.INS, r.Patient.Identity.Status)
	fmt.Println(r.EffectiveTime.Format("20060102150405 -0700"))
	fmt.Println(r.Authors[0].ID.Extension, r.Authors[0].Person.Family)
	// Output:
	// application/pdf %PDF-1.4 ...
	// CR ou fiche de consultation ou de visite
	// 279035121518989 (1.2.250.1.213.1.4.10) QUAL
	// 20250314103000 +0100
	// 810001234565 MEDECIN
}

// Validate a document and print its findings: the official rules of the
// ANS kit (Spec "StrucMin <assert>") and the SDK's own.
func ExampleValidate() {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <realmCode code="BE"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
</ClinicalDocument>`
	fs, err := cda.Validate(strings.NewReader(doc), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fs.HasErrors(), len(fs.Errors()))
	for _, f := range fs[:3] {
		fmt.Println(f)
	}
	// Output:
	// true 23
	// error SMDS_CDAClinicalDocument at /ClinicalDocument: the first documentationOf/serviceEvent has 0 performer, exactly one required [StrucMin d152e10-false-d1610e0/4]
	// error SMDS_CDAClinicalDocument at /ClinicalDocument: the first documentationOf/serviceEvent has 0 effectiveTime, exactly one required [StrucMin d152e10-false-d1610e0/5]
	// error SMDS_CDAClinicalDocument at /ClinicalDocument: component has neither structuredBody nor nonXMLBody [StrucMin d152e10-false-d1610e0/6]
}
