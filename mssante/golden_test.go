package mssante

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"testing"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

var (
	// boundaryRE matches the random boundaries of the writer.
	boundaryRE = regexp.MustCompile(`=_mss_[0-9a-f]{32}`)
	// base64BodyRE matches the body of a base64 part: its content comes
	// from packages cda and xdm and is checked by reading it back, not here.
	base64BodyRE = regexp.MustCompile(`(Content-Transfer-Encoding: base64\r\n\r\n)[A-Za-z0-9+/=\r\n]+\r\n--`)
)

// TestGoldenDocumentsMessage compares a message with health documents with
// testdata/golden-documents.eml (go test -update rewrites it): header,
// structure and text; boundaries are numbered and base64 bodies elided.
func TestGoldenDocumentsMessage(t *testing.T) {
	m := tMessage()
	m.Subject = ""
	m.MessageID = "golden-1@clinique-test.mssante.fr"
	m.Cc = []*mail.Address{{Address: "279035121518989@patient.mssante.fr"}}
	m.RequestReadReceipt = true
	if err := m.AttachDocuments([]*HealthDocument{{CDA: tCDA(t, tHeader(t, "GOLDEN-1"), tPDF(2000)), FileNumber: "D42"}}, tDocOptions()); err != nil {
		t.Fatal(err)
	}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	seen := map[string]string{}
	got := boundaryRE.ReplaceAllFunc(raw, func(b []byte) []byte {
		if r, ok := seen[string(b)]; ok {
			return []byte(r)
		}
		n++
		seen[string(b)] = "=_mss_BOUNDARY" + string(rune('0'+n))
		return []byte(seen[string(b)])
	})
	got = base64BodyRE.ReplaceAll(got, []byte("${1}[base64]\r\n--"))
	const file = "testdata/golden-documents.eml"
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -run Golden -update to accept)", file)
	}
	// The message reads back and lints clean.
	fs, err := Lint(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Level >= finding.Warning && f.Rule != "ECO.2.1.5" {
			t.Errorf("golden lint: %v", f)
		}
	}
}
