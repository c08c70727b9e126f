package main

import (
	"testing"

	"github.com/mssante-go/sdk/examples/internal/demo"
)

func TestPatient(t *testing.T) {
	demo.Check(t, run,
		"RECUP identity refused",
		"conversation open",
		`Patient replied "RE: Votre rendez-vous du 12"`,
		`Sent "[FIN]": conversation closed; the patient's attempt to reply again was refused (exchange closed)`,
		"msc-closed",
		"msc-unknown-address",
		"message-too-large",
	)
}
