package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestDirectory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"DR Marie MARTIN <marie.martin@medecin-test.mssante.fr>",
		"RPPS 10001234565 has 1 mailbox(es)",
		"marie.martin@medecin-test.mssante.fr: accepted",
		"Warning: jean.durand@medecin-test.mssante.fr is not in the directory",
		"jean.durand@medecin-test.mssante.fr: accepted",
		"someone@gmail.example: refused before sending",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
