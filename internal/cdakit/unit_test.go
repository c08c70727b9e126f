package cdakit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/internal/testenv"
)

// The generated J07 file has the shape of the kit's other voc files: the
// rules read doc(…)/*/valueSet/conceptList/concept/@code in no namespace.
func TestWriteJ07(t *testing.T) {
	src := filepath.Join(testenv.Shared(t, "cda", "valuesets"), "JDV_J07_XdsTypeCode_CISIS.xml")
	out := filepath.Join(t.TempDir(), J07VocFile)
	if err := writeJ07(src, out); err != nil {
		t.Fatal(err)
	}
	d := etree.NewDocument()
	if err := d.ReadFromFile(out); err != nil {
		t.Fatal(err)
	}
	if r := d.Root(); r.Tag != "valueSets" || r.NamespaceURI() != "urn:hl7-org:v3" {
		t.Errorf("root %s in %q", r.Tag, r.NamespaceURI())
	}
	var codes []string
	for _, c := range d.FindElements("/valueSets/valueSet/conceptList/concept") {
		if c.NamespaceURI() != "" {
			t.Fatalf("concept in namespace %q, want none", c.NamespaceURI())
		}
		codes = append(codes, c.SelectAttrValue("code", ""))
	}
	if len(codes) != 114 {
		t.Errorf("%d codes, want the 114 of JDV_J07", len(codes))
	}
	for _, want := range []string{"11488-4", "11502-2", "CERT_DECL"} {
		if !strings.Contains(" "+strings.Join(codes, " ")+" ", " "+want+" ") {
			t.Errorf("code %s missing", want)
		}
	}
	// Its neighbours, for comparison: same root, same path.
	n, err := os.ReadFile(filepath.Join(testenv.Shared(t, "cda", "schematron", "structurationMinimale", "include"), "voc-1.2.250.1.213.1.1.5.718-DYNAMIC.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(n), `<valueSet xmlns=""`) {
		t.Fatal("the kit's J245 file no longer has the shape this generator copies")
	}
	if err := writeJ07(filepath.Join(testenv.Shared(t, "cda", "valuesets"), "JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.xml"), out); err == nil {
		t.Error("writeJ07 accepted another value set")
	}
}

func TestInjectIDs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.sch")
	os.WriteFile(in, []byte(`<schema xmlns="http://purl.oclc.org/dsdl/schematron">
 <pattern>
  <rule abstract="true" id="II"><assert test="@root">r</assert><report test="x">x</report></rule>
 </pattern>
 <pattern id="p">
  <rule context="/"><assert test="a">a</assert></rule>
  <rule context="b" id="r2"><extends rule="II"/><let name="v" value="1"/><assert test="b">b</assert><assert id="kept" test="c">c</assert></rule>
 </pattern>
</schema>`), 0o644)
	out := filepath.Join(dir, "out.sch")
	if err := injectIDs(in, out); err != nil {
		t.Fatal(err)
	}
	c, err := loadCatalogue(out)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range c.Asserts {
		ids = append(ids, a.ID)
	}
	if got, want := strings.Join(ids, " "), "II/1 II/2 pattern2-rule1/1 r2/1 kept"; got != want {
		t.Errorf("ids %q, want %q", got, want)
	}
	if u := c.InheritedBy("II"); len(u) != 1 || u[0].ID != "r2" {
		t.Errorf("InheritedBy(II) = %v", u)
	}
	if got := c.Inherited(c.Rule("r2")); len(got) != 2 || !got[1].Report {
		t.Errorf("Inherited(r2) = %v", got)
	}
}

func TestParseSVRL(t *testing.T) {
	const svrl = `<?xml version="1.0"?>
<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
 <svrl:active-pattern/>
 <svrl:fired-rule context="/" id="pattern2-rule1"/>
 <svrl:fired-rule context="//x" id="r2"/>
 <svrl:failed-assert id="II/1" role="error" location="/ClinicalDocument/id">
  <svrl:text>dtr1-1-II:   @root is
   required</svrl:text>
 </svrl:failed-assert>
 <svrl:fired-rule context="//x" id="r2"/>
 <svrl:successful-report id="r2/3" role="warning" location="/a"><svrl:text>w</svrl:text></svrl:successful-report>
</svrl:schematron-output>`
	r, err := ParseSVRL(strings.NewReader(svrl))
	if err != nil {
		t.Fatal(err)
	}
	if r.Fired["r2"] != 2 || r.Fired["pattern2-rule1"] != 1 {
		t.Errorf("fired %v", r.Fired)
	}
	if len(r.Results) != 2 || len(r.Errors()) != 1 || len(r.Warnings()) != 1 {
		t.Fatalf("results %v", r.Results)
	}
	e := r.Errors()[0]
	if e.ID != "II/1" || e.Rule != "r2" || e.Location != "/ClinicalDocument/id" || e.Text != "dtr1-1-II: @root is required" || e.Report {
		t.Errorf("error %+v", e)
	}
	if w := r.Warnings()[0]; !w.Report || w.ID != "r2/3" || !r.Has("r2/3") || r.Has("r2/1") {
		t.Errorf("warning %+v", w)
	}
	if _, err := ParseSVRL(strings.NewReader("<other/>")); err == nil {
		t.Error("ParseSVRL accepted a document that is not SVRL")
	}
	if _, err := ParseSVRL(strings.NewReader(svrl[:200])); err == nil {
		t.Error("ParseSVRL accepted a cut report")
	}
}
