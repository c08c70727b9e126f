package main

import (
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/cdacorpus"
	"github.com/mssante-go/sdk/internal/samplepdf"
)

// TestCDACorpus builds the quickstart's document at a fixed time: it has no
// error and no warning, and the kit agreement test of package cda checks it
// with the official rules of the ANS kit (internal/cdacorpus.Builders).
func TestCDACorpus(t *testing.T) {
	pdf := samplepdf.New("Compte rendu de consultation", []string{"Document de démonstration, patient fictif."}, 0)
	doc, err := buildConsultationReport(testPatient(), pdf, time.Date(2025, 3, 14, 10, 30, 0, 0, time.FixedZone("", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	cdacorpus.Export(t, "quickstart", "consultation-report", doc)
}
