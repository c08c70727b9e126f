package main

import (
	"testing"

	"github.com/mssante-go/sdk/examples/internal/demo"
)

func TestDirectory(t *testing.T) {
	demo.Check(t, run,
		"DR Marie MARTIN <marie.martin@medecin-test.mssante.fr>",
		"RPPS 10001234565 has 1 mailbox(es)",
		"marie.martin@medecin-test.mssante.fr: accepted",
		"Warning: jean.durand@medecin-test.mssante.fr is not in the directory",
		"jean.durand@medecin-test.mssante.fr: accepted",
		"someone@gmail.example: refused before sending",
	)
}
