package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestReceive(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		`filed "Compte rendu de consultation" (11488-4) for IPP-000042, integrity ok`,
		"MDN processed sent to",
		"patient 295109912611193 unknown to this DPI",
		"MDN error 902",
		"no health document",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
