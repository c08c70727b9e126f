package mssante

import (
	"io"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

// BenchmarkComposeWithXDM composes a message around one level 1 CDA
// carrying a 1 MB PDF: the CDA header is read, the PDF extracted, the
// IHE_XDM.ZIP built, and the whole message (archive and PDF in base64)
// written. Bytes per op are the PDF size.
func BenchmarkComposeWithXDM(b *testing.B) {
	const pdfSize = 1 << 20
	cdaXML := tCDA(b, tHeader(b, "BENCH-1"), tPDF(pdfSize))
	opts := tDocOptions()
	b.SetBytes(pdfSize)
	b.ReportAllocs()
	defer testenv.ReportCPU(b)()
	b.ResetTimer()
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

// BenchmarkRead reads back the message of BenchmarkComposeWithXDM: MIME
// decoding, archive opening and verification.
func BenchmarkRead(b *testing.B) {
	const pdfSize = 1 << 20
	m := tMessage()
	if err := m.AttachDocuments([]*HealthDocument{{CDA: tCDA(b, tHeader(b, "BENCH-2"), tPDF(pdfSize))}}, tDocOptions()); err != nil {
		b.Fatal(err)
	}
	raw, err := m.Bytes()
	if err != nil {
		b.Fatal(err)
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

// BenchmarkWriteTo writes a message whose archive and PDF are already
// attached (Data): the cost of the MIME writer alone.
func BenchmarkWriteTo(b *testing.B) {
	const pdfSize = 1 << 20
	m := tMessage()
	if err := m.AttachDocuments([]*HealthDocument{{CDA: tCDA(b, tHeader(b, "BENCH-3"), tPDF(pdfSize)), PDF: tPDF(pdfSize)}}, tDocOptions()); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(pdfSize)
	b.ReportAllocs()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
