package testfiles

import (
	"strings"
	"testing"
)

func TestMDCodeBlockCRLF(t *testing.T) {
	for md, want := range map[string]string{
		"text\n```\nA: 1\n\nbody\n```\n```\nsecond\n```\n": "A: 1\r\n\r\nbody\r\n", // the first block, a final CRLF added
		"```text\nA: 1\n\n\n```\n":                         "A: 1\r\n\r\n",         // trailing blank lines kept, less one
		"```\r\nA: 1\r\n```\r\n":                           "A: 1\r\n",             // a CRLF page
		"```\nA: 1\n--b--\n\n```":                          "A: 1\r\n--b--\r\n",    // no newline after the fence
	} {
		got, err := mdCodeBlockCRLF([]byte(md))
		if err != nil || string(got) != want {
			t.Errorf("mdCodeBlockCRLF(%q) = %q, %v; want %q", md, got, err, want)
		}
	}
	for _, md := range []string{"no block", "```\nunclosed\n"} {
		if _, err := mdCodeBlockCRLF([]byte(md)); err == nil {
			t.Errorf("mdCodeBlockCRLF(%q) accepted", md)
		}
	}
}

const conceptMapFSH = `Instance: ASS-X04-CorrespondanceType-Classe-CISIS
InstanceOf: ConceptMap
* url = "https://mos.esante.gouv.fr/NOS/ASS_X04-CorrespondanceType-Classe-CISIS/FHIR/ASS-X04-CorrespondanceType-Classe-CISIS"
* identifier.value = "urn:oid:1.2.250.1.213.1.1.4.249"
* version = "20240426120000"
* group[0].source = "http://loinc.org"
* group[=].target = "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument"
* group[=].element[0].code = #10213-7
* group[=].element[=].target.code = #10
* group[=].element[=].target.equivalence = #equivalent
* group[=].element[+].code = #11369-6
* group[=].element[=].target.code = #52
* group[+].source = "https://mos.esante.gouv.fr/NOS/TRE_A12-NomenclatureASTM/FHIR/TRE-A12-NomenclatureASTM"
* group[=].element.code = #E1762
* group[=].element.target.code = #urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1
`

func TestFSHConceptMapCSV(t *testing.T) {
	src := Source{Kind: KindDerive, Transform: "fsh-conceptmap-csv", Repo: "ansforge/IG-terminologie-de-sante", Commit: "208c554f", Path: "DM/input/fsh/ASS-X04-CorrespondanceType-Classe-CISIS.fsh"}
	got, err := Derive(src, []byte(conceptMapFSH))
	if err != nil {
		t.Fatal(err)
	}
	want := `# ASS_X04-CorrespondanceType-Classe-CISIS (ConceptMap version 20240426120000), urn:oid:1.2.250.1.213.1.1.4.249
# Source: ansforge/IG-terminologie-de-sante DM/input/fsh/ASS-X04-CorrespondanceType-Classe-CISIS.fsh (commit 208c554f)
# typeCode (JDV_J07) -> classCode (JDV_J06 / TRE_A03-ClasseDocument, codeSystem 1.2.250.1.213.1.1.4.1)
# columns: typeCodeSystem,typeCode,classCode
2.16.840.1.113883.6.1,10213-7,10
2.16.840.1.113883.6.1,11369-6,52
ASTM-E1762,E1762,urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	unknown := strings.Replace(conceptMapFSH, "http://loinc.org", "http://example.org", 1)
	if _, err := Derive(src, []byte(unknown)); err == nil || !strings.Contains(err.Error(), "example.org") {
		t.Errorf("unknown group source: %v", err)
	}
	if _, err := Derive(src, []byte("Instance: x\n")); err == nil {
		t.Error("an empty ConceptMap was accepted")
	}
}

func TestRuleMatch(t *testing.T) {
	for _, c := range []struct {
		local, source, path, want string
		ok                        bool
	}{
		{"xdm/*.zip", "github:o/r@c:*/IHE_XDM.ZIP", "xdm/A_2022.01.zip", "github:o/r@c:A_2022.01/IHE_XDM.ZIP", true},
		{"xdm/*.zip", "github:o/r@c:*/IHE_XDM.ZIP", "xdm/sub/A.zip", "", false},
		{"cda/xsd/**", "github:o/r@c:infra/**", "cda/xsd/general/voc.xsd", "github:o/r@c:infra/general/voc.xsd", true},
		{"cda/x.csv", "shared:why", "cda/x.csv", "shared:why", true},
		{"mail/direct_*", "shared:why", "mail/direct_a.txt", "shared:why", true},
		{"cda/x.csv", "shared:why", "cda/y.csv", "", false},
	} {
		got, ok := rule{local: c.local, source: c.source}.match(c.path)
		if ok != c.ok || got != c.want {
			t.Errorf("%s on %s = %q, %v; want %q, %v", c.local, c.path, got, ok, c.want, c.ok)
		}
	}
}
