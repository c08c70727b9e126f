package cda_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/testenv"
)

// FuzzRead feeds arbitrary input to the reader, the body decoder, the XDS
// mapping and the validator: none may panic, and a limit keeps memory bounded.
func FuzzRead(f *testing.F) {
	f.Add(build(f, testHeader(f), fakePDF(200)))
	f.Add([]byte(`<ClinicalDocument xmlns="urn:hl7-org:v3"><component><nonXMLBody><text representation="B64"><![CDATA[QUJD]]>&#13;</text></nonXMLBody></component></ClinicalDocument>`))
	f.Add([]byte(`<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><c:ClinicalDocument xmlns:c="urn:hl7-org:v3"/></xsl:stylesheet>`))
	if dir := testenv.SharedDir(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "cda", "examples", "*N1*.xml"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b[:min(len(b), 20000)])
			}
		}
	}
	opts := &cda.ReadOptions{MaxDepth: 64, MaxHeaderBytes: 1 << 20, MaxDocumentBytes: 4 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := cda.Parse(bytes.NewReader(data), opts)
		if err == nil {
			_ = d.Header()
			if d.IsLevel1() {
				if r, err := d.Body(); err == nil {
					_, _ = io.Copy(io.Discard, r)
				}
			}
		}
		_, _ = cda.Validate(bytes.NewReader(data), &cda.ValidateOptions{Read: opts})
	})
}
