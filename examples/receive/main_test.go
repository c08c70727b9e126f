package main

import (
	"testing"

	"github.com/mssante-go/sdk/examples/internal/demo"
)

func TestReceive(t *testing.T) {
	demo.Check(t, run,
		`filed "Compte rendu de consultation" (11488-4) for IPP-000042, integrity ok`,
		"MDN processed sent to",
		"patient 295109912611193 unknown to this DPI",
		"MDN error 902",
		"no health document",
	)
}
