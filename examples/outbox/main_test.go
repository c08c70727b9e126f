package main

import (
	"testing"

	"github.com/mssante-go/sdk/examples/internal/demo"
)

func TestOutbox(t *testing.T) {
	demo.Check(t, run,
		"enqueue demande-labo-17: already queued, nothing added",
		"marie.martin@medecin-test.mssante.fr: read (final)",
		"delivered (DSN delivered 2.0.0)",
		"295109912611193@patient.mssante.fr: failed (final)",
		"failed (msc-closed, 5.2.1)",
		"resultats@labo-test.mssante.fr: delivered (final)",
		"conversation with the patient: open",
	)
}
