package mssante

import (
	"bytes"
	"io"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/samplepdf"
	"github.com/mssante-go/sdk/internal/testenv"
)

// benchPDFSize is the size of the PDF of the benchmarks: 1 MiB.
const benchPDFSize = 1 << 20

// tRandomPDF returns a valid PDF of n bytes whose content is pseudo-random
// (samplepdf.NewRandom): it does not deflate, as a real PDF's compressed
// streams and images do not, so that archive and message sizes, deflate
// time and memory are those of real documents. (tPDF's repeating bytes
// deflate about 40:1.)
func tRandomPDF(n int) []byte {
	return samplepdf.NewRandom("Compte rendu de consultation", []string{"Patient fictif PAT-TROIS Dominique"}, n, 1)
}

// tWarmUp validates one small document before a benchmark's timed loop:
// package cda builds its validation tables on first use (about 5 ms and
// 2.7 MB, once per process), which b.Loop would otherwise count in its
// first iteration.
func tWarmUp(b *testing.B) {
	b.Helper()
	if _, err := cda.Validate(bytes.NewReader(tCDA(b, tHeader(b, "WARM-UP"), tPDF(1000))), nil); err != nil {
		b.Fatal(err)
	}
}

// tComposeFromPDF is what a product does with the bytes of a PDF before
// sending: the level 1 CDA built around it (cda.Build into a bytes.Buffer,
// as the quickstart does), then attached with the PDF to a new message
// (AttachDocuments: header read and validated, IHE_XDM.ZIP built).
func tComposeFromPDF(t testing.TB, h *cda.Header, pdf []byte, opts *DocumentsOptions) *Message {
	var doc bytes.Buffer
	if err := cda.Build(&doc, h, cda.Body{MediaType: cda.MediaTypePDF, Content: bytes.NewReader(pdf)}); err != nil {
		t.Fatal(err)
	}
	m := tMessage()
	if err := m.AttachDocuments([]*HealthDocument{{CDA: doc.Bytes(), PDF: pdf}}, opts); err != nil {
		t.Fatal(err)
	}
	return m
}

// BenchmarkComposeWithXDM composes a message around one level 1 CDA that
// is already built (once, before the loop: a product that receives its
// CDA from a document system), carrying a 1 MiB PDF of random content: in
// the loop, the CDA header is read and validated, the PDF decoded from it,
// the IHE_XDM.ZIP built, and the whole message (archive and PDF in base64,
// 2.9 MB) written to io.Discard. BenchmarkComposeFromPDF adds the building
// of the CDA; BenchmarkChain (chain_bench_test.go) the sending. Bytes per op
// are the PDF size; alloc-x-pdf the bytes allocated per op over it.
func BenchmarkComposeWithXDM(b *testing.B) {
	pdf := tRandomPDF(benchPDFSize)
	cdaXML := tCDA(b, tHeader(b, "BENCH-1"), pdf)
	opts := tDocOptions()
	tWarmUp(b)
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	defer testenv.ReportAllocRatio(b, len(pdf), "alloc-x-pdf")()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		m := tMessage()
		if err := m.AttachDocuments([]*HealthDocument{{CDA: cdaXML}}, opts); err != nil {
			b.Fatal(err)
		}
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeFromPDF starts from the bytes of the 1 MiB PDF (random
// content): in the loop, the level 1 CDA is built around it (cda.Build into
// a bytes.Buffer, as the quickstart does), attached with the PDF
// (AttachDocuments: header read and validated, IHE_XDM.ZIP built) and the
// message written to io.Discard. It is BenchmarkChain without the SMTP
// transport, and BenchmarkComposeWithXDM with the CDA built in the loop.
func BenchmarkComposeFromPDF(b *testing.B) {
	pdf := tRandomPDF(benchPDFSize)
	h := tHeader(b, "BENCH-4")
	opts := tDocOptions()
	tWarmUp(b)
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	defer testenv.ReportAllocRatio(b, len(pdf), "alloc-x-pdf")()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		m := tComposeFromPDF(b, h, pdf, opts)
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead reads back the message of BenchmarkComposeWithXDM: MIME
// decoding, archive opening and verification. The message is 2.91 MB (a
// 1 MiB PDF of random content, attached in base64 and, inside the level 1
// CDA, in the archive, where deflate cannot shrink it); the test checks
// that size. Bytes per op are the message's.
func BenchmarkRead(b *testing.B) {
	m := tMessage()
	if err := m.AttachDocuments([]*HealthDocument{{CDA: tCDA(b, tHeader(b, "BENCH-2"), tRandomPDF(benchPDFSize))}}, tDocOptions()); err != nil {
		b.Fatal(err)
	}
	raw, err := m.Bytes()
	if err != nil {
		b.Fatal(err)
	}
	if len(raw) < 2_800_000 || len(raw) > 3_000_000 {
		b.Fatalf("the message is %d bytes, not about 2.9 MB", len(raw))
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		if _, err := Read(bytesReader(raw), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteTo writes a message whose archive and PDF (1 MiB, random
// content) are already attached (Data): the cost of the MIME writer alone.
func BenchmarkWriteTo(b *testing.B) {
	pdf := tRandomPDF(benchPDFSize)
	m := tMessage()
	if err := m.AttachDocuments([]*HealthDocument{{CDA: tCDA(b, tHeader(b, "BENCH-3"), pdf), PDF: pdf}}, tDocOptions()); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
