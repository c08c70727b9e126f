// Command genpdf writes a one-page PDF of the size asked for, most of
// it random bytes in a stream object, for the comparison scripts of bench/:
// random content does not deflate, as the images and fonts of a real PDF
// barely do, where a repeated filler would shrink 40-fold in a zip or a
// compressed transfer and flatter whoever compresses it.
//
// usage: go run ./bench/message/genpdf -size BYTES -o FILE.pdf
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
)

func main() {
	size := flag.Int("size", 1<<20, "size of the PDF in `BYTES`")
	out := flag.String("o", "", "output `FILE`")
	flag.Parse()
	if *out == "" || *size < 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: genpdf -size BYTES -o FILE.pdf")
		os.Exit(2)
	}
	if err := os.WriteFile(*out, pdf(*size), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genpdf:", err)
		os.Exit(1)
	}
}

// pdf returns a PDF 1.4 file of size bytes (or its smallest size if larger):
// catalog, one A4 page with a line of text, and a stream of random bytes.
func pdf(size int) []byte {
	noise := make([]byte, size)
	if _, err := rand.Read(noise); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	n := size
	for range 4 { // the lengths of the numbers settle in two rounds
		b := build(noise[:max(n, 0)])
		if len(b) == size || n < 0 {
			return b
		}
		n += size - len(b)
	}
	return build(noise[:max(n, 0)])
}

// build writes the file around noise.
func build(noise []byte) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	text := "BT /F1 16 Tf 56 780 Td (Document de test, contenu aleatoire) Tj ET\n"
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(text), text))
	n := len(noise)
	offsets = append(offsets, b.Len())
	fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d >>\nstream\n", len(offsets), n)
	b.Write(noise)
	b.WriteString("\nendstream\nendobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
