// Package samplepdf writes small, valid one-page PDF files (PDF 1.4, one
// Helvetica text block) for examples, tests and benchmarks, so that no binary
// fixture has to be kept in the repository. It is not a PDF library.
//
// Each file carries the PDF/A-1b identification that MSSanté asks of the PDF
// sent beside a CDA document (ECO.2.1.5) and that mssante.Lint looks for: an
// XMP metadata stream referenced from the catalog with pdfaid:part 1 and
// pdfaid:conformance B, its title and producer matching the document
// information dictionary, and a file identifier. The file does not meet the
// rest of PDF/A-1b (ISO 19005-1): the Helvetica font is not embedded and
// there is no output intent. A product sends the PDF/A rendering its own
// PDF library produces; these files only stand in for one in examples and
// tests.
package samplepdf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf16"
)

// producer names this package in the files it writes.
const producer = "mssante-go internal/samplepdf"

// New returns a one-page A4 PDF showing the title and the lines. Characters
// outside Latin-1 are replaced by '?'. padTo, when larger than the natural
// size, pads the file with a comment stream so that benchmarks can ask for a
// PDF of a given size (e.g. 1 MB). The padding repeats a 16-byte pattern, so
// it deflates about 40:1; for a PDF that compresses like a real one (whose
// streams are already deflated, and its images JPEG), use NewRandom.
func New(title string, lines []string, padTo int) []byte {
	return build(title, lines, padTo, func(n int) []byte {
		return bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
	})
}

// NewRandom is New with a padding stream of pseudo-random bytes drawn from
// seed (the same seed gives the same file): a PDF of padTo bytes that does
// not deflate, as real PDFs with compressed streams and images do not, for
// benchmarks whose figures depend on compression (archive and message sizes,
// deflate time, memory).
func NewRandom(title string, lines []string, padTo int, seed uint64) []byte {
	return build(title, lines, padTo, func(n int) []byte {
		b := make([]byte, n)
		r := rand.NewChaCha8([32]byte{0: byte(seed), 1: byte(seed >> 8), 2: byte(seed >> 16), 3: byte(seed >> 24),
			4: byte(seed >> 32), 5: byte(seed >> 40), 6: byte(seed >> 48), 7: byte(seed >> 56)})
		_, _ = r.Read(b)
		return b
	})
}

// build writes the PDF, padded with a stream of filler(n) bytes.
func build(title string, lines []string, padTo int, filler func(n int) []byte) []byte {
	var content bytes.Buffer
	content.WriteString("BT /F1 16 Tf 56 780 Td (")
	content.WriteString(escape(title))
	content.WriteString(") Tj ET\n")
	y := 750
	for _, l := range lines {
		fmt.Fprintf(&content, "BT /F1 11 Tf 56 %d Td (%s) Tj ET\n", y, escape(l))
		y -= 16
		if y < 40 {
			break
		}
	}

	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()))
	meta := xmp(title)
	obj(fmt.Sprintf("<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n%s\nendstream", len(meta)+1, meta))
	obj(fmt.Sprintf("<< /Title <%s> /Producer (%s) >>", utf16Hex(title), producer))
	if pad := padTo - b.Len() - 200; pad > 0 {
		// An unreferenced stream: readers ignore it, the size grows.
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d >>\nstream\n", len(offsets), pad+1)
		b.Write(filler(pad))
		b.WriteString("\nendstream\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	// The file identifier PDF/A requires: a digest of the content, so that
	// the same input gives the same file.
	sum := sha256.Sum256(b.Bytes())
	id := hex.EncodeToString(sum[:16])
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, id, id, xref)
	return b.Bytes()
}

// xmp returns the XMP packet of the file: the PDF/A-1b identification, the
// title and the producer (ISO 19005-1 §6.7).
func xmp(title string) string {
	var t strings.Builder
	_ = xml.EscapeText(&t, []byte(title))
	return "<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n" + `<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>1</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + t.String() + `</rdf:li></rdf:Alt></dc:title>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>` + producer + `</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`
}

// utf16Hex writes s as a PDF text string in UTF-16BE with its byte order
// mark, in hexadecimal: any title, accents included, is exact.
func utf16Hex(s string) string {
	var b strings.Builder
	b.WriteString("FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	return b.String()
}

// escape writes s as the inside of a PDF literal string in WinAnsi encoding.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r >= 0xa0 && r <= 0xff:
			fmt.Fprintf(&b, "\\%03o", r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}
