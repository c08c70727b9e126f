package main

import (
	"testing"
	"time"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/cdacorpus"
	"github.com/mssante-go/sdk/internal/samplepdf"
)

// TestCDACorpus builds the example's consultation report at a fixed time:
// it has no error and no warning, and the kit agreement test of package cda
// checks it with the official rules of the ANS kit
// (internal/cdacorpus.Builders).
func TestCDACorpus(t *testing.T) {
	patient := ins.Identity{
		INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
		Traits: ins.Traits{BirthName: "PAT-TROIS", BirthGivenNames: "DOMINIQUE MARIE-LOUISE", BirthDate: time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC), Sex: ins.SexFemale, BirthPlace: "51215"},
	}
	pdf := samplepdf.New("Compte rendu de consultation", []string{"Consultation de suivi."}, 0)
	doc, err := consultationReport(patient, pdf, time.Date(2025, 3, 14, 10, 30, 0, 0, time.FixedZone("", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	cdacorpus.Export(t, "receive", "consultation-report", doc)
}
