package samplepdf

import (
	"bytes"
	"compress/flate"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

func TestStructure(t *testing.T) {
	for _, c := range []struct {
		pad    int
		random bool
	}{{0, false}, {1 << 20, false}, {1 << 20, true}} {
		pad := c.pad
		pdf := New("Compte rendu (test)", []string{"Patient : PAT-TROIS Dominique", "Résultat normal"}, pad)
		if c.random {
			pdf = NewRandom("Compte rendu (test)", []string{"Patient : PAT-TROIS Dominique", "Résultat normal"}, pad, 7)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-1.4")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
			t.Fatal("not a PDF")
		}
		if pad > 0 && (len(pdf) < pad-1024 || len(pdf) > pad+1024) {
			t.Fatalf("size %d, want about %d", len(pdf), pad)
		}
		// startxref points at the xref table, and every xref offset at its object.
		m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(pdf)
		if m == nil {
			t.Fatal("no startxref")
		}
		off, _ := strconv.Atoi(string(m[1]))
		if !bytes.HasPrefix(pdf[off:], []byte("xref\n")) {
			t.Fatal("startxref does not point at xref")
		}
		for i, e := range regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(pdf, -1) {
			o, _ := strconv.Atoi(string(e[1]))
			if !bytes.HasPrefix(pdf[o:], []byte(strconv.Itoa(i+1)+" 0 obj")) {
				t.Fatalf("xref entry %d does not point at its object", i+1)
			}
		}
		// The PDF/A-1b identification: an XMP stream referenced from the
		// catalog, whose title matches the information dictionary's.
		cat := regexp.MustCompile(`1 0 obj\n<< /Type /Catalog [^>]*/Metadata (\d+) 0 R`).FindSubmatch(pdf)
		if cat == nil {
			t.Fatal("no /Metadata in the catalog")
		}
		meta := regexp.MustCompile(`(?s)\n` + string(cat[1]) + ` 0 obj\n<< /Type /Metadata /Subtype /XML /Length (\d+) >>\nstream\n(.*?)endstream`).FindSubmatch(pdf)
		if meta == nil {
			t.Fatal("no metadata stream")
		}
		if n, _ := strconv.Atoi(string(meta[1])); n != len(meta[2]) {
			t.Fatalf("metadata /Length %d, stream of %d bytes", n, len(meta[2]))
		}
		for _, want := range []string{"<pdfaid:part>1</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>",
			`<rdf:li xml:lang="x-default">Compte rendu (test)</rdf:li>`, "<?xpacket begin=\"\ufeff\""} {
			if !bytes.Contains(meta[2], []byte(want)) {
				t.Fatalf("XMP lacks %s:\n%s", want, meta[2])
			}
		}
		if !regexp.MustCompile(`/Info 7 0 R /ID \[<[0-9a-f]{32}> <[0-9a-f]{32}>\]`).Match(pdf) {
			t.Fatal("no /Info and /ID in the trailer")
		}
		if p, err := exec.LookPath("pdftotext"); err == nil {
			f := filepath.Join(t.TempDir(), "a.pdf")
			if err := os.WriteFile(f, pdf, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(p, f, "-").Output()
			if err != nil || !bytes.Contains(out, []byte("PAT-TROIS")) {
				t.Fatalf("pdftotext: %v %q", err, out)
			}
		}
	}
}

// TestNewRandomDoesNotDeflate: the padding of NewRandom is incompressible
// (what benchmarks of archives and messages need), that of New is not, and
// the same seed gives the same file.
func TestNewRandomDoesNotDeflate(t *testing.T) {
	deflated := func(b []byte) int {
		var out bytes.Buffer
		w, _ := flate.NewWriter(&out, flate.BestSpeed)
		w.Write(b)
		w.Close()
		return out.Len()
	}
	r := NewRandom("T", nil, 1<<20, 1)
	if n := deflated(r); n < len(r)*99/100 {
		t.Errorf("NewRandom: %d bytes deflate to %d", len(r), n)
	}
	if p := New("T", nil, 1<<20); deflated(p) > len(p)/10 {
		t.Errorf("New: %d bytes deflate to %d", len(p), deflated(p))
	}
	if !bytes.Equal(r, NewRandom("T", nil, 1<<20, 1)) || bytes.Equal(r, NewRandom("T", nil, 1<<20, 2)) {
		t.Error("NewRandom is not a function of its seed")
	}
}
