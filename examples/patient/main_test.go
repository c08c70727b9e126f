package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestPatient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"RECUP identity refused",
		"conversation open",
		`Patient replied "RE: Votre rendez-vous du 12"`,
		`Sent "[FIN]": conversation closed; the patient's new reply: true`,
		"msc-closed",
		"msc-unknown-address",
		"message-too-large",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
