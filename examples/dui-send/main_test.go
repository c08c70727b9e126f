package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestDUISend(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"from PKCS#12", "cardiologie@", ": accepted", "with 2 attachments, patient 279035121518989"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
