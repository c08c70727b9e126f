package cda_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/testenv"
	"github.com/mssante-go/sdk/xmltext"
)

func TestBuildValidatesAndRoundTrips(t *testing.T) {
	for _, bd := range builderDocs(t) {
		t.Run(bd.name, func(t *testing.T) {
			content, err := io.ReadAll(bd.body.Content)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := cda.Build(&out, bd.header, cda.Body{MediaType: bd.body.MediaType, Content: bytes.NewReader(content)}); err != nil {
				t.Fatalf("Build: %v", err)
			}
			doc := out.Bytes()
			fs, err := cda.Validate(bytes.NewReader(doc), nil)
			if err != nil {
				t.Fatal(err)
			}
			if fs.HasErrors() || fs.Count(finding.Warning) > 0 {
				t.Fatalf("findings on a built document:\n%s\n%s", findingsString(fs), doc[:min(len(doc), 6000)])
			}
			d, err := cda.Parse(bytes.NewReader(doc), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !d.IsLevel1() || d.BodyMediaType() != bd.body.MediaType {
				t.Fatalf("level1=%v mediaType=%q", d.IsLevel1(), d.BodyMediaType())
			}
			body, err := d.Body()
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, content) {
				t.Fatalf("body differs: %d bytes, want %d", len(got), len(content))
			}
			// Rebuilding from the header read back gives the same bytes.
			var again bytes.Buffer
			if err := cda.Build(&again, d.Header(), cda.Body{MediaType: bd.body.MediaType, Content: bytes.NewReader(content)}); err != nil {
				t.Fatalf("Build from the header read back: %v", err)
			}
			if !bytes.Equal(again.Bytes(), doc) {
				t.Fatalf("round trip through the reader changes the document:\n%s\n----\n%s", again.Bytes(), doc)
			}
		})
	}
}

func TestBuildDeterministic(t *testing.T) {
	a := build(t, testHeader(t), fakePDF(5000))
	b := build(t, testHeader(t), fakePDF(5000))
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same input differ")
	}
	s := string(a)
	if !strings.HasPrefix(s, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Error("no UTF-8 prolog")
	}
	if strings.Contains(s, "schemaLocation") || strings.Contains(s, "<?xml-stylesheet") {
		t.Error("schemaLocation or processing instruction written")
	}
	if n := strings.Count(s, "<templateId "); n != 3 {
		t.Errorf("%d templateIds, want 3", n)
	}
}

// TestBuildXSD checks every generated document against the CDA schema of
// the ANS kit with xmllint.
func TestBuildXSD(t *testing.T) {
	xmllint := testenv.LookPath(t, "xmllint")
	xsd := testenv.Shared(t, "cda", "xsd", "CDA_extended.xsd")
	dir := t.TempDir()
	docs := map[string][]byte{}
	for _, bd := range builderDocs(t) {
		var out bytes.Buffer
		if err := cda.Build(&out, bd.header, bd.body); err != nil {
			t.Fatalf("%s: %v", bd.name, err)
		}
		docs[bd.name+".xml"] = out.Bytes()
	}
	for name, doc := range docs {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(xmllint, "--noout", "--schema", xsd, p).CombinedOutput()
		if err != nil {
			t.Errorf("%s does not validate against CDA_extended.xsd: %v\n%s", name, err, out)
		}
		fs, err := cda.Validate(bytes.NewReader(doc), nil)
		if err != nil || fs.HasErrors() {
			t.Errorf("%s: %v\n%s", name, err, findingsString(fs))
		}
	}
}

// TestBuildRefusesBadCharacters: text XML cannot carry (control
// characters, invalid UTF-8) is refused with its location, not replaced
// silently; U+FFFD itself and newlines are written.
func TestBuildRefusesBadCharacters(t *testing.T) {
	for _, tt := range []struct {
		name, loc string
		edit      func(h *cda.Header)
	}{
		{"control in text", "/ClinicalDocument/author/assignedAuthor/assignedPerson/name/family",
			func(h *cda.Header) { h.Authors[0].Person.Family = "MED\x01ECIN" }},
		{"invalid UTF-8", "/ClinicalDocument/title", func(h *cda.Header) { h.Title = "Compte rendu \xff" }},
		{"control in attribute", "/ClinicalDocument/id/@extension", func(h *cda.Header) { h.ID.Extension = "DOC\x00" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := testHeader(t)
			tt.edit(h)
			var out bytes.Buffer
			err := cda.Build(&out, h, cda.Body{Content: bytes.NewReader(fakePDF(10))})
			var he *cda.HeaderError
			if !errors.As(err, &he) || len(he.Findings) != 1 || he.Findings[0].Rule != "CDA-XML-CHAR" || he.Findings[0].Location != tt.loc ||
				!errors.Is(err, xmltext.ErrInvalid) || !errors.Is(err, cda.ErrInvalidHeader) {
				t.Fatalf("err = %v, want CDA-XML-CHAR at %s", err, tt.loc)
			}
			if out.Len() != 0 {
				t.Fatalf("%d bytes written", out.Len())
			}
		})
	}
	h := testHeader(t)
	h.Title = "Compte rendu \uFFFD\nsuite"
	doc := build(t, h, fakePDF(10))
	back, err := cda.ReadHeader(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if back.Title != h.Title {
		t.Fatalf("title read back %q, want %q", back.Title, h.Title)
	}
}

// TestBuildGrowsBufferOnce: building into a bytes.Buffer from a
// bytes.Reader sizes the buffer once, to within a few kilobytes of the
// document (no doublings, no large slack).
func TestBuildGrowsBufferOnce(t *testing.T) {
	for _, n := range []int{0, 1, 57, 76 * 3, 1 << 20} {
		var out bytes.Buffer
		if err := cda.Build(&out, testHeader(t), cda.Body{Content: bytes.NewReader(fakePDF(n))}); err != nil {
			t.Fatal(err)
		}
		if out.Cap() < out.Len() || out.Cap() > out.Len()+16<<10 {
			t.Errorf("PDF of %d bytes: buffer of %d bytes for a document of %d", n, out.Cap(), out.Len())
		}
	}
}
