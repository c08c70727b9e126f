package mssante

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/cdacorpus"
)

// TestCDACorpus builds the CDA documents of this package's tests (tHeader,
// with a PDF and with a text body): they have no error and no warning, and
// the kit agreement test of package cda checks them with the official rules
// of the ANS kit (internal/cdacorpus.Builders).
func TestCDACorpus(t *testing.T) {
	cdacorpus.Export(t, "mssante", "pdf", tCDA(t, tHeader(t, "DOC-1"), tPDF(100)))
	var text bytes.Buffer
	if err := cda.Build(&text, tHeader(t, "DOC-T"), cda.Body{MediaType: cda.MediaTypeText, Content: strings.NewReader("texte")}); err != nil {
		t.Fatal(err)
	}
	cdacorpus.Export(t, "mssante", "text", text.Bytes())
}
