package main

import (
	"testing"

	"github.com/mssante-go/sdk/examples/internal/demo"
)

func TestDUISend(t *testing.T) {
	demo.Check(t, run,
		"from PKCS#12", "cardiologie@", ": accepted", "with 2 attachments, patient 279035121518989",
	)
}
