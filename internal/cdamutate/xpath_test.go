package cdamutate

import (
	"testing"

	"github.com/beevik/etree"
)

const sampleDoc = `<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:sdtc="urn:hl7-org:sdtc">
 <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
 <author><assignedAuthor><id root="1.2.250.1.71.4.2.1" extension="801"/><id root="1.2.3"/></assignedAuthor></author>
 <author nullFlavor="UNK"/>
 <recordTarget><patientRole><patient><sdtc:deceasedInd value="false"/></patient></patientRole></recordTarget>
</ClinicalDocument>`

func TestXPathSubset(t *testing.T) {
	d := etree.NewDocument()
	if err := d.ReadFromString(sampleDoc); err != nil {
		t.Fatal(err)
	}
	ev := &evaluator{doc: d}
	cd := "//hl7:ClinicalDocument[hl7:typeId[@root = '2.16.840.1.113883.1.3'][@extension = 'POCD_HD000040']]"
	for _, c := range []struct {
		path string
		n    int
	}{
		{cd, 1},
		{cd + "/hl7:author", 2},
		{cd + "/hl7:author[not(@nullFlavor)]", 1},
		{cd + "/hl7:author[hl7:assignedAuthor]/hl7:assignedAuthor/hl7:id[@root = '1.2.250.1.71.4.2.1']", 1},
		{cd + "/hl7:author/hl7:assignedAuthor/hl7:id[1]", 1},
		{cd + "/hl7:author/hl7:assignedAuthor/*[not(self::hl7:id[@root = '1.2.3'] | self::hl7:code)]", 1},
		{cd + "/hl7:recordTarget/hl7:patientRole[hl7:patient]/hl7:patient/sdtc:deceasedInd", 1},
		{cd + "/hl7:author[@nullFlavor = 'UNK' or @typeCode]", 1},
		{cd + "/hl7:author[@nullFlavor != 'UNK']", 0},
		{"//hl7:id", 2},
	} {
		e, err := parseXPath(c.path)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		v, err := ev.eval(e, node{root: d})
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if ns, _ := v.([]node); len(ns) != c.n {
			t.Errorf("%s: %d nodes, want %d", c.path, len(ns), c.n)
		}
	}
	for _, bad := range []string{"following::hl7:a", "unknown:a", "hl7:a[", "'unterminated"} {
		if _, err := parseXPath(bad); err == nil {
			t.Errorf("parseXPath(%q) accepted", bad)
		}
	}
	// count() on a relative path, and a memo that forgets a changed document.
	e, _ := parseXPath("count(hl7:id) >= 2")
	aa := d.FindElement("//assignedAuthor")
	if ok, err := ev.evalBool(e, node{e: aa}); err != nil || !ok {
		t.Errorf("count(hl7:id) >= 2: %v %v", ok, err)
	}
	p, _ := parseXPath(cd + "/hl7:author")
	ev.eval(p, node{root: d})
	d.Root().RemoveChild(d.FindElement("//author[@nullFlavor]"))
	ev.reset()
	if v, _ := ev.eval(p, node{root: d}); len(v.([]node)) != 1 {
		t.Error("the memo kept a removed node")
	}
}
