package cda_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/idnat"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/limit"
)

func TestReadErrors(t *testing.T) {
	deep := `<ClinicalDocument xmlns="urn:hl7-org:v3">` + strings.Repeat("<a>", 1000) + strings.Repeat("</a>", 1000) + `</ClinicalDocument>`
	big := `<ClinicalDocument xmlns="urn:hl7-org:v3"><title>` + strings.Repeat("x", 2<<20) + `</title></ClinicalDocument>`
	tests := []struct {
		name string
		doc  string
		opts *cda.ReadOptions
		want error
	}{
		{"empty", "", nil, cda.ErrNotCDA},
		{"not XML", "hello", nil, cda.ErrSyntax},
		{"other root", `<foo xmlns="urn:hl7-org:v3"/>`, nil, cda.ErrNotCDA},
		{"no namespace", `<ClinicalDocument/>`, nil, cda.ErrNotCDA},
		{"unbound prefix", `<hl7:ClinicalDocument/>`, nil, cda.ErrNotCDA},
		{"XSLT without CDA", `<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><x/></xsl:stylesheet>`, nil, cda.ErrNotCDA},
		{"truncated", `<ClinicalDocument xmlns="urn:hl7-org:v3"><title>`, nil, cda.ErrSyntax},
		{"mismatched", `<ClinicalDocument xmlns="urn:hl7-org:v3"><title></id></ClinicalDocument>`, nil, cda.ErrSyntax},
		{"latin1", `<?xml version="1.0" encoding="ISO-8859-1"?><ClinicalDocument xmlns="urn:hl7-org:v3"/>`, nil, cda.ErrEncoding},
		{"deep", deep, nil, limit.ErrExceeded},
		{"deep, low limit", `<ClinicalDocument xmlns="urn:hl7-org:v3"><a><b><c/></b></a></ClinicalDocument>`, &cda.ReadOptions{MaxDepth: 3}, limit.ErrExceeded},
		{"header size", big, &cda.ReadOptions{MaxHeaderBytes: 1 << 20}, limit.ErrExceeded},
		{"document size", big, &cda.ReadOptions{MaxDocumentBytes: 1000}, limit.ErrExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cda.Parse(strings.NewReader(tt.doc), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if errors.Is(err, limit.ErrExceeded) {
				var le *limit.Error
				if !errors.As(err, &le) || le.Max <= 0 {
					t.Fatalf("not a *limit.Error: %#v", err)
				}
			}
		})
	}
}

// TestReadPrefixed reads a document whose CDA namespace has a prefix,
// after a byte order mark.
func TestReadPrefixed(t *testing.T) {
	doc := "\ufeff" + `<?xml version="1.0" encoding="utf-8"?><?xml-stylesheet href="x.xsl"?><!-- c -->
<v3:ClinicalDocument xmlns:v3="urn:hl7-org:v3" xmlns:x="urn:other"><v3:id root="1.2.3" extension="A"/>
<x:title>not this one</x:title><v3:title>Titre &amp; co</v3:title>
<v3:recordTarget><v3:patientRole><v3:id root="1.2.250.1.213.1.4.10" extension="279035121518989"/></v3:patientRole></v3:recordTarget>
<v3:component><v3:structuredBody><v3:component/></v3:structuredBody></v3:component></v3:ClinicalDocument>`
	d, err := cda.Parse(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := d.Header()
	if h.ID.String() != "1.2.3^A" || h.Title != "Titre & co" || d.IsLevel1() {
		t.Fatalf("header = %+v", h)
	}
	if h.Patient.Identity.INS.Matricule != "279035121518989" || h.Patient.Identity.Status != ins.StatusQualified {
		t.Fatalf("INS = %+v", h.Patient.Identity)
	}
	if _, err := d.Body(); !errors.Is(err, cda.ErrNoBody) {
		t.Fatalf("Body on a structured document: %v", err)
	}
}

func TestBodyStreaming(t *testing.T) {
	pdf := fakePDF(4000)
	doc := string(build(t, testHeader(t), pdf))
	i := strings.Index(doc, `representation="B64">`) + len(`representation="B64">`)
	j := strings.Index(doc, `</text>`)
	b64 := doc[i:j]
	variants := map[string]string{
		"plain":      b64,
		"CDATA":      "<![CDATA[" + b64 + "]]>",
		"split":      b64[:100] + "<!-- comment -->" + b64[100:300] + "&#13;&#10;&#x20;" + b64[300:],
		"tabs":       strings.ReplaceAll(b64, "\n", "\t \r\n"),
		"cdata part": b64[:50] + "<![CDATA[" + b64[50:400] + "]]>" + b64[400:],
	}
	for name, body := range variants {
		t.Run(name, func(t *testing.T) {
			d, err := cda.Parse(strings.NewReader(doc[:i]+body+doc[j:]), nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := d.Body()
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, pdf) {
				t.Fatalf("body differs (%d bytes)", len(got))
			}
			if _, err := d.Body(); !errors.Is(err, cda.ErrBodyRead) {
				t.Fatalf("second Body: %v", err)
			}
		})
	}
	bad := map[string]struct {
		doc  string
		want error
	}{
		"truncated":     {doc[:j-10], cda.ErrSyntax},
		"bad entity":    {doc[:i] + "&amp;" + doc[i:], cda.ErrSyntax},
		"corrupt":       {doc[:i] + "*" + doc[i:], cda.ErrBase64},
		"trailing junk": {doc + "<x/>", cda.ErrSyntax},
		"bad end":       {strings.Replace(doc, "</nonXMLBody>", "</nonXML>", 1), cda.ErrSyntax},
	}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			d, err := cda.Parse(strings.NewReader(tt.doc), nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := d.Body()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadAll(r); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	pdf := func() cda.Body { return cda.Body{Content: bytes.NewReader(fakePDF(10))} }
	var out bytes.Buffer

	h := testHeader(t)
	h.Patient.Identity.Status = ins.StatusRecovered
	if err := cda.Build(&out, h, pdf()); !errors.Is(err, ins.ErrNotQualified) {
		t.Errorf("RECUP identity: %v", err)
	}
	h = testHeader(t)
	h.Patient.Identity.Traits.BirthPlace = ""
	if err := cda.Build(&out, h, pdf()); !errors.Is(err, ins.ErrMissingTrait) {
		t.Errorf("missing birthplace: %v", err)
	}
	h = testHeader(t)
	h.Title = ""
	h.Encounter.FacilityType = cda.Code{Code: "SA99", CodeSystem: "1.2.250.1.71.4.2.4"}
	h.Authors[0].ID.Extension = "810001234566" // a wrong RPPS key: a warning, not in the HeaderError
	err := cda.Build(&out, h, pdf())
	var he *cda.HeaderError
	if !errors.As(err, &he) || !errors.Is(err, cda.ErrInvalidHeader) {
		t.Fatalf("invalid header: %v", err)
	}
	if len(he.Findings.Errors()) != len(he.Findings) {
		t.Errorf("HeaderError carries non-error findings:\n%s", findingsString(he.Findings))
	}
	if !hasSpec(he.Findings, "d152e10-false-d1610e0/21") || !hasSpec(he.Findings, "d14937e492-false-d17844e0/3") {
		t.Errorf("findings: %s", findingsString(he.Findings))
	}
	if err := cda.Build(&out, testHeader(t), cda.Body{MediaType: "image/png", Content: strings.NewReader("x")}); !errors.Is(err, cda.ErrMediaType) {
		t.Errorf("png: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("refused builds wrote %d bytes", out.Len())
	}
	// The error says which side failed: the body content or the output.
	errRead, errWrite := errors.New("disk gone"), errors.New("connection reset")
	if err := cda.Build(io.Discard, testHeader(t), cda.Body{Content: io.MultiReader(bytes.NewReader(fakePDF(100)), iotest.ErrReader(errRead))}); !errors.Is(err, errRead) || !strings.Contains(err.Error(), "reading the body") {
		t.Errorf("body read error: %v", err)
	}
	if err := cda.Build(&failWriter{errWrite, 40 << 10}, testHeader(t), cda.Body{Content: bytes.NewReader(fakePDF(100 << 10))}); !errors.Is(err, errWrite) || !strings.Contains(err.Error(), "writing the document") {
		t.Errorf("output write error: %v", err)
	}
	// A patient without INS needs no qualified identity.
	h = testHeader(t)
	h.Patient.Identity.INS = ins.INS{}
	h.Patient.Identity.Status = ins.StatusProvisional
	if err := cda.Build(&out, h, pdf()); err != nil {
		t.Errorf("patient without INS: %v", err)
	}
}

// failWriter accepts writes until n bytes, then fails with err.
type failWriter struct {
	err error
	n   int
}

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

func TestNationalIDs(t *testing.T) {
	if id, err := cda.NewRPPS(testRPPS); err != nil || id.Extension != "8"+testRPPS || id.Root != idnat.OIDPerson {
		t.Errorf("NewRPPS = %v, %v", id, err)
	}
	for _, bad := range []string{"", "1000123456", "810001234565", "1000123456a"} {
		if _, err := cda.NewRPPS(bad); !errors.Is(err, idnat.ErrFormat) {
			t.Errorf("NewRPPS(%q) = %v", bad, err)
		}
	}
	if _, err := cda.NewRPPS("10001234566"); !errors.Is(err, idnat.ErrKey) {
		t.Errorf("NewRPPS with a wrong key: %v", err)
	}
	if _, err := cda.NewFINESS("754567860"); !errors.Is(err, idnat.ErrKey) {
		t.Errorf("NewFINESS with a wrong key: %v", err)
	}
	if id, err := cda.NewFINESS("2A0000001"); err != nil || id.Extension != "12A0000001" {
		t.Errorf("NewFINESS Corsica = %v, %v", id, err)
	}
	if _, err := cda.NewFINESS("12345678"); !errors.Is(err, idnat.ErrFormat) {
		t.Errorf("short FINESS: %v", err)
	}
	if id, err := cda.NewSIRET("73282932000074"); err != nil || id.Extension != "373282932000074" || id.Root != idnat.OIDStructure {
		t.Errorf("NewSIRET = %v, %v", id, err)
	}
}

func TestReplacement(t *testing.T) {
	prev := testHeader(t)
	next := cda.NewReplacement(prev, cda.II{Root: "1.2.250.1.999.1.1.1", Extension: "DOC-0002"})
	if next.SetID != prev.SetID || next.VersionNumber != 2 || next.RelatedDocument == nil ||
		next.RelatedDocument.ParentID != prev.ID || next.RelatedDocument.TypeCode != "RPLC" {
		t.Fatalf("replacement = %+v", next)
	}
	doc := build(t, next, fakePDF(10))
	h, err := cda.ReadHeader(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if rd := h.RelatedDocument; rd == nil || rd.ParentID.String() != "1.2.250.1.999.1.1.1^DOC-0001" || rd.TypeCode != "RPLC" || h.VersionNumber != 2 {
		t.Fatalf("replacement read back: %+v, version %d", h.RelatedDocument, h.VersionNumber)
	}
	if prev.RelatedDocument != nil || prev.VersionNumber != 1 {
		t.Fatal("NewReplacement changed prev")
	}
}

// TestForeignBody: a component or body element in another namespace is not
// the CDA body.
func TestForeignBody(t *testing.T) {
	doc := `<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:x="urn:other"><typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/><x:component><nonXMLBody><text>QUJD</text></nonXMLBody></x:component>` +
		`<component><x:structuredBody/></component></ClinicalDocument>`
	d, err := cda.Parse(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.IsLevel1() {
		t.Fatal("a nonXMLBody under x:component taken for the body")
	}
	fs, err := cda.Validate(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !hasSpec(fs, "d152e10-false-d1610e0/6") {
		t.Fatalf("x:structuredBody taken for the body:\n%s", findingsString(fs))
	}
}

// TestMaskedINS: an INS root without a matricule is no INS, so the
// identity is not marked qualified and the id stays a local one.
func TestMaskedINS(t *testing.T) {
	doc := strings.Replace(string(build(t, testHeader(t), fakePDF(10))),
		`<id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>`, `<id root="1.2.250.1.213.1.4.10" nullFlavor="MSK"/>`, 1)
	h, err := cda.ReadHeader(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !h.Patient.Identity.INS.IsZero() || h.Patient.Identity.Status == ins.StatusQualified {
		t.Fatalf("identity = %+v", h.Patient.Identity)
	}
	if len(h.Patient.IDs) != 2 || h.Patient.IDs[0].NullFlavor != "MSK" || h.Patient.IDs[1].Extension != "IPP-42" {
		t.Fatalf("patient ids = %+v", h.Patient.IDs)
	}
}

// TestZeroValues calls the public API on nil and zero values: clear errors
// or empty answers, never a panic.
func TestZeroValues(t *testing.T) {
	var d cda.Document
	if d.IsLevel1() || d.BodyMediaType() != "" || d.Header() != nil {
		t.Error("zero Document is not empty")
	}
	if _, err := d.Body(); !errors.Is(err, cda.ErrNoBody) {
		t.Errorf("zero Document Body: %v", err)
	}
	if _, ok := cda.LookupValueSet("nope").Lookup(cda.OIDLOINC, "11488-4"); ok || cda.LookupValueSet("nope").HasCode("N") {
		t.Error("nil ValueSet has a concept")
	}
	body := func() cda.Body { return cda.Body{Content: strings.NewReader("%PDF")} }
	if err := cda.Build(io.Discard, nil, body()); !errors.Is(err, cda.ErrInvalidHeader) {
		t.Errorf("Build(nil header): %v", err)
	}
	var he *cda.HeaderError
	if err := cda.Build(io.Discard, &cda.Header{}, body()); !errors.As(err, &he) || !hasSpec(he.Findings, "II/1") {
		t.Errorf("Build(zero header): %v", err)
	}
	next := cda.NewReplacement(nil, cda.II{Root: "1.2.3"})
	if next.ID.Root != "1.2.3" || next.VersionNumber != 2 || next.RelatedDocument == nil {
		t.Errorf("NewReplacement(nil) = %+v", next)
	}
}

// countReader counts the bytes read from it.
type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestHeaderLimitBoundsReading checks that MaxHeaderBytes stops the reader
// inside a single oversized token (a 4 MiB attribute value or text), not
// after the XML decoder has taken it whole into memory.
func TestHeaderLimitBoundsReading(t *testing.T) {
	const max = 64 << 10
	for name, doc := range map[string]string{
		"attribute": `<ClinicalDocument xmlns="urn:hl7-org:v3"><title a="` + strings.Repeat("x", 4<<20) + `"/></ClinicalDocument>`,
		"text":      `<ClinicalDocument xmlns="urn:hl7-org:v3"><title>` + strings.Repeat("x", 4<<20) + `</title></ClinicalDocument>`,
		"XSLT":      `<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:x a="` + strings.Repeat("x", 4<<20) + `"/></xsl:stylesheet>`,
	} {
		t.Run(name, func(t *testing.T) {
			cr := &countReader{r: strings.NewReader(doc)}
			_, err := cda.Parse(cr, &cda.ReadOptions{MaxHeaderBytes: max})
			var le *limit.Error
			if !errors.As(err, &le) || le.Limit != limit.HeaderSize || le.Max != max {
				t.Fatalf("err = %v, want the header size limit", err)
			}
			if cr.n > 2*max {
				t.Fatalf("read %d bytes before stopping at a %d-byte header limit", cr.n, max)
			}
		})
	}
}

// TestLongTextKept reads a header element whose text is longer than 64 KiB:
// it is kept whole, not cut.
func TestLongTextKept(t *testing.T) {
	title := strings.Repeat("Compte rendu ", 10000)
	doc := `<ClinicalDocument xmlns="urn:hl7-org:v3"><title>` + title + `</title></ClinicalDocument>`
	h, err := cda.ReadHeader(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if h.Title != strings.TrimSpace(title) {
		t.Fatalf("title cut to %d bytes (want %d)", len(h.Title), len(strings.TrimSpace(title)))
	}
}

// TestHugeLimits: limits near the int64 maximum do not overflow into a
// refusal of every document.
func TestHugeLimits(t *testing.T) {
	opts := &cda.ReadOptions{MaxHeaderBytes: 1<<63 - 1, MaxDocumentBytes: 1<<63 - 1}
	if _, err := cda.Parse(bytes.NewReader(build(t, testHeader(t), fakePDF(10))), opts); err != nil {
		t.Fatal(err)
	}
}
