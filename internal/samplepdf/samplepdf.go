// Package samplepdf writes small, valid one-page PDF files (PDF 1.4, one
// Helvetica text block) for examples, tests and benchmarks, so that no binary
// fixture has to be kept in the repository. It is not a PDF library.
package samplepdf

import (
	"bytes"
	"fmt"
	"strings"
)

// New returns a one-page A4 PDF showing the title and the lines. Characters
// outside Latin-1 are replaced by '?'. padTo, when larger than the natural
// size, pads the file with a comment stream so that benchmarks can ask for a
// PDF of a given size (e.g. 1 MB).
func New(title string, lines []string, padTo int) []byte {
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
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()))
	if pad := padTo - b.Len() - 200; pad > 0 {
		// An unreferenced stream: readers ignore it, the size grows.
		filler := bytes.Repeat([]byte("0123456789abcdef"), pad/16+1)[:pad]
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(filler)+1, filler))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
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
