package cdamutate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/cdakit"
	"github.com/mssante-go/sdk/internal/cdamutate"
)

// A small schematron in the art-decor shapes, with its ids, and a document
// that passes it: Generate needs no Java.
const miniRules = `<schema xmlns="http://purl.oclc.org/dsdl/schematron">
 <pattern>
  <rule abstract="true" id="II"><assert id="II/1" role="error" test="@nullFlavor or (not(@nullFlavor) and @root)">dtr1-1-II: root</assert></rule>
 </pattern>
 <pattern id="t">
  <rule id="cd" context="//hl7:ClinicalDocument[hl7:typeId[@root = '2.16.840.1.113883.1.3'][@extension = 'POCD_HD000040']]">
   <assert id="cd/1" role="error" test="count(hl7:title) &gt;= 1">(SMDS): title required</assert>
   <assert id="cd/2" role="error" test="count(hl7:title) &lt;= 1">(SMDS): title once</assert>
  </rule>
  <rule id="inf" context="//hl7:ClinicalDocument[hl7:typeId[@root = '2.16.840.1.113883.1.3'][@extension = 'POCD_HD000040']]/hl7:informant">
   <assert id="inf/1" role="error" test="count(hl7:assignedEntity) &gt;= 1">(CI-SISInformant): assignedEntity</assert>
  </rule>
  <rule id="infid" context="//hl7:ClinicalDocument[hl7:typeId[@root = '2.16.840.1.113883.1.3'][@extension = 'POCD_HD000040']]/hl7:informant/hl7:assignedEntity/hl7:id">
   <extends rule="II"/>
   <assert id="infid/1" role="error" test="empty(@xsi:type) or resolve-QName(@xsi:type, .) = QName('urn:hl7-org:v3', 'II')">(CI-SISInformant): xsi:type</assert>
   <assert id="infid/2" role="error" test="@extension">(CI-SISInformant): extension</assert>
  </rule>
 </pattern>
 <pattern id="t-closed">
  <rule id="closed" context="//hl7:ClinicalDocument[hl7:typeId[@root = '2.16.840.1.113883.1.3'][@extension = 'POCD_HD000040']]/*[not(self::hl7:typeId | self::hl7:title | self::hl7:informant)]">
   <assert id="closed/1" role="warning" test="not(.)">(SMDS): not allowed</assert>
  </rule>
 </pattern>
</schema>`

const miniDoc = `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
 <title>T</title>
</ClinicalDocument>`

func TestGenerateMini(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "rules.sch")
	if err := os.WriteFile(p, []byte(miniRules), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := cdakit.LoadCatalogue(p)
	if err != nil {
		t.Fatal(err)
	}
	muts, gaps, err := cdamutate.Generate([]byte(miniDoc), &cdamutate.Options{Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 0 {
		t.Errorf("gaps: %+v", gaps)
	}
	got := map[string]string{}
	for _, m := range muts {
		got[m.Name] = string(m.Doc)
		t.Logf("%s: %s", m.Name, m.Op)
	}
	checks := map[string][]string{
		"cd/1":       {"!<title>"},
		"cd/2":       {"<title>T</title><title>T</title>"},
		"inf/1":      {"<informant/>"},
		"infid/1":    {`<informant><assignedEntity><id extension="MUTANT-1" root=`, `xsi:type="BL"`},
		"infid/2":    {"<informant><assignedEntity><id root="},
		"II/1@infid": {"<informant><assignedEntity><id extension="},
		"closed/1":   {"<mutantUnexpected"},
	}
	for name, wants := range checks {
		doc, ok := got[name]
		if !ok {
			t.Errorf("no mutant %s", name)
			continue
		}
		for _, w := range wants {
			if neg := strings.HasPrefix(w, "!"); neg && strings.Contains(doc, w[1:]) || !neg && !strings.Contains(doc, w) {
				t.Errorf("%s: want %q in\n%s", name, w, doc)
			}
		}
	}
	if len(muts) != len(checks) {
		t.Errorf("%d mutants, want %d", len(muts), len(checks))
	}
	for _, a := range cat.Asserts {
		if cdamutate.Describe(a) == "" {
			t.Errorf("no description for %s", a.ID)
		}
	}
	if d := cdamutate.Describe(cat.Assert("cd/2")); d != "count(title) <= 1" {
		t.Errorf("Describe(cd/2) = %q", d)
	}
}
