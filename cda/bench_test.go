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

// BenchmarkBuildLevel1 builds a level 1 document around a 1 MB PDF.
func BenchmarkBuildLevel1(b *testing.B) {
	pdf := fakePDF(1 << 20)
	h := testHeader(b)
	warmUp(b)
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		if err := cda.Build(io.Discard, h, cda.Body{MediaType: cda.MediaTypePDF, Content: bytes.NewReader(pdf)}); err != nil {
			b.Fatal(err)
		}
	}
}

// warmUp validates a document once before a benchmark's clocks start. The
// kit's tables and patterns are built on the first validation of the
// process (about 5 ms, 2.7 MB, once), not at init: b.Loop times its first
// iteration, so without this that one-time cost would be spread over the
// iterations of a short run (-benchtime 20x) and the figures would no
// longer be those of a validation.
func warmUp(b *testing.B) {
	b.Helper()
	if _, err := cda.Validate(bytes.NewReader(build(b, testHeader(b), fakePDF(30))), nil); err != nil {
		b.Fatal(err)
	}
}

// largestExample returns the largest official example document.
func largestExample(b *testing.B) []byte {
	files, _ := filepath.Glob(filepath.Join(testenv.Shared(b, "cda", "examples"), "*.xml"))
	var best []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if len(data) > len(best) {
			best = data
		}
	}
	return best
}

// BenchmarkReadHeader reads the header of the largest official example
// (IPS-FR, 1.5 MB, structured): the reader stops at the body.
func BenchmarkReadHeader(b *testing.B) {
	doc := largestExample(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		if _, err := cda.ReadHeader(bytes.NewReader(doc)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateLargest validates the whole largest example (header
// rules, then the rest of the document read for well-formedness).
func BenchmarkValidateLargest(b *testing.B) { benchValidate(b, largestExample(b), nil) }

// benchValidate validates doc with opts, reporting bytes, allocations and
// CPU time per operation.
func benchValidate(b *testing.B, doc []byte, opts *cda.ValidateOptions) {
	warmUp(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		if _, err := cda.Validate(bytes.NewReader(doc), opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBodyLevel1 extracts the 1 MB PDF of a built level 1 document.
func BenchmarkBodyLevel1(b *testing.B) {
	pdf := fakePDF(1 << 20)
	doc := build(b, testHeader(b), pdf)
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		d, err := cda.Parse(bytes.NewReader(doc), nil)
		if err != nil {
			b.Fatal(err)
		}
		r, _ := d.Body()
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateLargestHeader validates the header of the largest
// example, as the kit checks it (every rule of the kit and of the SDK),
// without reading the structured body (ValidateOptions.HeaderOnly).
func BenchmarkValidateLargestHeader(b *testing.B) {
	benchValidate(b, largestExample(b), &cda.ValidateOptions{HeaderOnly: true})
}

// BenchmarkValidateLevel1 validates a built level 1 document (header and
// a 300-byte body): the kind of document a vendor sends.
func BenchmarkValidateLevel1(b *testing.B) {
	benchValidate(b, build(b, testHeader(b), fakePDF(300)), nil)
}

// BenchmarkValidateN1 validates the official level 1 example (N1, a 440 kB
// PDF in base64): header, body decoded to its end.
func BenchmarkValidateN1(b *testing.B) {
	doc, err := os.ReadFile(filepath.Join(testenv.Shared(b, "cda", "examples"), "DOC_NON_STRUCTURE_CDA-R2-N1.xml"))
	if err != nil {
		b.Fatal(err)
	}
	benchValidate(b, doc, nil)
}
