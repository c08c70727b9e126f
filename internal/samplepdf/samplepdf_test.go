package samplepdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

func TestStructure(t *testing.T) {
	for _, pad := range []int{0, 1 << 20} {
		pdf := New("Compte rendu (test)", []string{"Patient : PAT-TROIS Dominique", "Résultat normal"}, pad)
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
