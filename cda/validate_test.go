package cda_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/testenv"
)

// mutation edits a built document and names the rule that must fire.
type mutation struct {
	name  string
	edit  func(s string) string
	rule  string
	level finding.Level
}

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("mutation target not found: " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
}

// cut removes the element that starts with start and ends with end.
func cut(start, end string) func(string) string {
	return func(s string) string {
		i := strings.Index(s, start)
		if i < 0 {
			panic("mutation target not found: " + start)
		}
		j := strings.Index(s[i:], end)
		if j < 0 {
			panic("mutation end not found: " + end)
		}
		return s[:i] + s[i+j+len(end):]
	}
}

var mutations = []mutation{
	{"no realmCode", cut(`<realmCode`, `/>`), "CDA-REALM", finding.Error},
	{"realmCode BE", replace(`<realmCode code="FR"/>`, `<realmCode code="BE"/>`), "CDA-REALM", finding.Error},
	{"typeId", replace(`extension="POCD_HD000040"`, `extension="POCD_HD000041"`), "CDA-TYPEID", finding.Error},
	{"no XDS-SD template", cut(`<templateId root="1.3.6.1.4.1.19376.1.2.20"`, `/>`), "CDA-TEMPLATE-N1", finding.Error},
	{"no XDS-SD template, no extra", cut(`<templateId root="1.3.6.1.4.1.19376.1.2.20"`, `/>`), "CDA-TEMPLATE", finding.Error},
	{"four templates", replace(`<id root="1.2.250.1.999.1.1.1"`, `<templateId root="1.2.3"/><id root="1.2.250.1.999.1.1.1"`), "CDA-TEMPLATE-N1", finding.Error},
	{"two CI-SIS templates", replace(`<templateId root="1.2.250.1.213.1.1.1.1"/>`, `<templateId root="1.2.250.1.213.1.1.1.1"/><templateId root="1.2.250.1.213.1.1.1.1"/>`), "CDA-TEMPLATE", finding.Error},
	{"id nullFlavor", replace(`<id root="1.2.250.1.999.1.1.1" extension="DOC-0001"/>`, `<id nullFlavor="UNK"/>`), "CDA-NULLFLAVOR", finding.Error},
	{"id bad root", replace(`<id root="1.2.250.1.999.1.1.1"`, `<id root="1.02.3"`), "CDA-ID", finding.Error},
	{"id long extension", replace(`extension="DOC-0001"`, `extension="`+strings.Repeat("X", 65)+`"`), "CDA-ID", finding.Error},
	{"no id", cut(`<id root="1.2.250.1.999.1.1.1"`, `/>`), "CDA-ID", finding.Error},
	{"type code not in J07", replace(`code="11488-4"`, `code="99999-9"`), "CDA-CODE-VS", finding.Error},
	{"type code wrong system", replace(`code="11488-4" codeSystem="2.16.840.1.113883.6.1"`, `code="11488-4" codeSystem="1.2.3"`), "CDA-CODE-VS", finding.Warning},
	{"type code no displayName", replace(` displayName="CR ou fiche de consultation ou de visite"`, ``), "CDA-CODE", finding.Warning},
	{"empty title", replace(`<title>Compte rendu de consultation</title>`, `<title></title>`), "CDA-TITLE", finding.Error},
	{"no title", cut(`<title>`, `</title>`), "CDA-TITLE", finding.Error},
	{"effectiveTime format", replace(`<effectiveTime value="20250314103000+0100"/>`, `<effectiveTime value="2025-03-14"/>`), "CDA-EFFTIME", finding.Error},
	{"effectiveTime date", replace(`<effectiveTime value="20250314103000+0100"/>`, `<effectiveTime value="20251345"/>`), "CDA-DATE", finding.Error},
	{"confidentiality", replace(`<confidentialityCode code="N"`, `<confidentialityCode code="X"`), "CDA-CONF", finding.Error},
	{"language", replace(`<languageCode code="fr-FR"/>`, `<languageCode code="fr"/>`), "CDA-LANG", finding.Error},
	{"no setId", cut(`<setId`, `/>`), "CDA-SETID", finding.Error},
	{"version 0", replace(`<versionNumber value="1"/>`, `<versionNumber value="0"/>`), "CDA-VERSION", finding.Error},
	{"no version", cut(`<versionNumber`, `/>`), "CDA-VERSION", finding.Error},
	{"copyTime", replace(`<recordTarget>`, `<copyTime value="2025"/><recordTarget>`), "CDA-COPYTIME", finding.Warning},
	{"no languageCode", replace(`<languageCode code="fr-FR"/>`, ``+"\n"), "CDA-LANG", finding.Error},
	{"out of order", func(s string) string {
		s = cut(`<title>`, `</title>`)(s)
		return replace(`<recordTarget>`, `<title>T</title><recordTarget>`)(s)
	}, "CDA-ORDER", finding.Error},
	{"unbound prefix", replace(`<title>Compte rendu de consultation</title>`, `<title>T</title><hl7:x/>`), "CDA-XML-PREFIX", finding.Error},
	{"classCode", replace(`<ClinicalDocument xmlns="urn:hl7-org:v3">`, `<ClinicalDocument xmlns="urn:hl7-org:v3" classCode="DOC">`), "CDA-DOC-CLASS", finding.Error},
	{"schemaLocation", replace(`<ClinicalDocument xmlns="urn:hl7-org:v3">`, `<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:hl7-org:v3 CDA.xsd">`), "CDA-DOC-SCHEMALOC", finding.Warning},
	{"nullFlavor value", replace(`<telecom value="tel:0100000000" use="WP"/>`, `<telecom nullFlavor="NI"/>`), "CDA-NULLFLAVOR", finding.Warning},
	{"no given BR", cut(`<given qualifier="BR">`, `</given>`), "CDA-INS-TRAITS", finding.Error},
	{"no family BR", replace(`<family qualifier="BR">`, `<family>`), "CDA-INS-TRAITS", finding.Error},
	{"no birthplace", cut(`<birthplace>`, `</birthplace>`), "CDA-INS-TRAITS", finding.Error},
	{"first given not first", replace(`<given qualifier="BR">DOMINIQUE</given>`, `<given qualifier="BR">MARIE</given>`), "CDA-INS-FIRSTGIVEN", finding.Warning},
	{"bad COG", replace(`<county>51215</county>`, `<county>512</county>`), "CDA-INS-COG", finding.Warning},
	{"INS key", replace(`extension="279035121518989"`, `extension="279035121518988"`), "CDA-INS-KEY", finding.Error},
	{"INS length", replace(`extension="279035121518989"`, `extension="2790351215189"`), "CDA-INS-KEY", finding.Error},
	{"two INS", replace(`<id root="1.2.250.1.999.1.2"`, `<id root="1.2.250.1.213.1.4.8" extension="279035121518989"/><id root="1.2.250.1.999.1.2"`), "CDA-INS-DUP", finding.Error},
	{"INS-C", replace(`<id root="1.2.250.1.999.1.2"`, `<id root="1.2.250.1.213.1.4.2" extension="1234"/><id root="1.2.250.1.999.1.2"`), "CDA-INS-OID", finding.Warning},
	{"patient id no extension", replace(`<id root="1.2.250.1.999.1.2" extension="IPP-42"/>`, `<id root="1.2.250.1.999.1.2"/>`), "CDA-PAT-ID", finding.Error},
	{"gender", replace(`<administrativeGenderCode code="F"`, `<administrativeGenderCode code="X"`), "CDA-PAT-GENDER", finding.Error},
	{"no birthTime", cut(`<birthTime`, `/>`), "CDA-PAT-BIRTHTIME", finding.Error},
	{"no author", cut(`<author>`, `</author>`), "CDA-AUTHOR", finding.Error},
	{"author time", replace(`<time value="20250314100000+0100"/>`, `<time value="x"/>`), "CDA-AUTHOR", finding.Error},
	{"author no family", replace(`<family>MEDECIN</family>`, ``), "CDA-AUTHOR-PERSON", finding.Error},
	{"author no person", cut(`<assignedPerson>`, `</assignedPerson>`), "CDA-AUTHOR-PERSON", finding.Error},
	{"author specialty", replace(`code="G15_10/SM26"`, `code="G15_99"`), "CDA-AUTHOR-CODE", finding.Warning},
	{"author id root", replace(`<id root="1.2.250.1.71.4.2.1" extension="810001234565"/>`, `<id root="1.2.3.4" extension="810001234565"/>`), "CDA-IDNAT-ROOT", finding.Warning},
	{"author id prefix", replace(`extension="810001234565"`, `extension="910001234565"`), "CDA-IDNAT-PREFIX", finding.Warning},
	{"RPPS length", replace(`extension="810001234565"`, `extension="8100012345"`), "CDA-IDNAT-PREFIX", finding.Warning},
	{"custodian root", func(s string) string {
		i := strings.Index(s, "<custodian>")
		return s[:i] + strings.Replace(s[i:], `root="1.2.250.1.71.4.2.2"`, `root="1.2.3"`, 1)
	}, "CDA-IDNAT-ROOT", finding.Error},
	{"no custodian", cut(`<custodian>`, `</custodian>`), "CDA-CUSTODIAN", finding.Error},
	{"signatureCode", replace(`<signatureCode code="S"/>`, `<signatureCode code="X"/>`), "CDA-LEGALAUTH", finding.Error},
	{"no legalAuthenticator", cut(`<legalAuthenticator>`, `</legalAuthenticator>`), "CDA-LEGALAUTH", finding.Error},
	{"recipient", cut(`<intendedRecipient>`, `</intendedRecipient>`), "CDA-RECIPIENT", finding.Error},
	{"authenticator signature", replace(`<documentationOf>`, `<authenticator><time value="20250314"/><signatureCode code="X"/><assignedEntity><id root="1.2.250.1.71.4.2.1" extension="810001234565"/></assignedEntity></authenticator><documentationOf>`), "CDA-AUTHENTICATOR", finding.Error},
	{"authenticator root", replace(`<documentationOf>`, `<authenticator><time value="20250314"/><signatureCode code="S"/><assignedEntity><id root="1.2.3" extension="1"/></assignedEntity></authenticator><documentationOf>`), "CDA-IDNAT-ROOT", finding.Error},
	{"authorization status", replace(`<componentOf>`, `<authorization><consent><code code="x" codeSystem="1.2.3"/><statusCode code="active"/></consent></authorization><componentOf>`), "CDA-AUTHORIZATION", finding.Error},
	{"no documentationOf", cut(`<documentationOf>`, `</documentationOf>`), "CDA-DOCOF", finding.Error},
	{"no service low", cut(`<low value="20250314090000+0100"/>`, `>`), "CDA-DOCOF", finding.Error},
	{"no performer", cut(`<performer typeCode="PRF">`, `</performer>`), "CDA-PERFORMER", finding.Error},
	{"performer typeCode", replace(`<performer typeCode="PRF">`, `<performer typeCode="SPRF">`), "CDA-PERFORMER", finding.Error},
	{"practice setting", replace(`code="AMBULATOIRE"`, `code="NOPE"`), "CDA-PRACTICE-VS", finding.Error},
	{"no practice setting", cut(`<standardIndustryClassCode`, `/>`), "CDA-PRACTICE", finding.Error},
	{"facility", replace(`code="SA07"`, `code="SA99"`), "CDA-FACILITY-VS", finding.Error},
	{"no facility code", cut(`<code code="SA07"`, `/>`), "CDA-FACILITY", finding.Error},
	{"no componentOf", cut(`<componentOf>`, `</componentOf>`), "CDA-ENCOUNTER", finding.Error},
	{"encounter code", replace(`<encompassingEncounter>`, `<encompassingEncounter><code code="ZZZ" codeSystem="2.16.840.1.113883.5.4"/>`), "CDA-ENCOUNTER-VS", finding.Warning},
	{"relatedDocument typeCode", replace(`<componentOf>`, `<relatedDocument typeCode="APND"><parentDocument><id root="1.2.3"/></parentDocument></relatedDocument><componentOf>`), "CDA-RPLC", finding.Error},
	{"relatedDocument no id", replace(`<componentOf>`, `<relatedDocument typeCode="RPLC"><parentDocument></parentDocument></relatedDocument><componentOf>`), "CDA-RPLC", finding.Error},
	{"relatedDocument self", replace(`<componentOf>`, `<relatedDocument typeCode="RPLC"><parentDocument><id root="1.2.250.1.999.1.1.1" extension="DOC-0001"/></parentDocument></relatedDocument><componentOf>`), "CDA-RPLC", finding.Error},
	{"mediaType png", replace(`mediaType="application/pdf"`, `mediaType="image/png"`), "CDA-BODY-MEDIATYPE", finding.Error},
	{"mediaType jpeg", replace(`mediaType="application/pdf"`, `mediaType="image/jpeg"`), "CDA-BODY-MEDIATYPE", finding.Warning},
	{"representation", replace(`representation="B64"`, `representation="TXT"`), "CDA-BODY-B64", finding.Error},
	{"corrupt base64", replace(`representation="B64">`, `representation="B64">!!!!`), "CDA-BODY-B64", finding.Error},
	{"empty body", func(s string) string {
		i := strings.Index(s, `representation="B64">`) + len(`representation="B64">`)
		j := strings.Index(s, `</text>`)
		return s[:i] + s[j:]
	}, "CDA-BODY-EMPTY", finding.Error},
	{"no component", cut(`<component>`, `</component>`), "CDA-COMPONENT", finding.Error},
}

func TestValidateRules(t *testing.T) {
	base := string(build(t, testHeader(t), fakePDF(300)))
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			doc := m.edit(base)
			fs, err := cda.Validate(strings.NewReader(doc), nil)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			for _, f := range fs.ByRule(m.rule) {
				if f.Level == m.level {
					if f.Location == "" || f.Spec == "" || f.Message == "" {
						t.Errorf("incomplete finding %+v", f)
					}
					return
				}
			}
			t.Errorf("no %v %s finding; got:\n%s", m.level, m.rule, findingsString(fs))
		})
	}
}

func TestValidateEnvironment(t *testing.T) {
	doc := build(t, testHeader(t), fakePDF(30))
	fs, err := cda.Validate(bytes.NewReader(doc), &cda.ValidateOptions{Environment: ins.Production})
	if err != nil || len(fs.ByRule("CDA-INS-ENV").Errors()) != 1 {
		t.Fatalf("test INS in production: %v\n%s", err, findingsString(fs))
	}
	fs, _ = cda.Validate(bytes.NewReader(doc), &cda.ValidateOptions{Environment: ins.Test})
	if fs.HasErrors() {
		t.Fatalf("test INS in test:\n%s", findingsString(fs))
	}
}

func TestValidateTestINSKeyWarning(t *testing.T) {
	doc := strings.Replace(string(build(t, testHeader(t), fakePDF(300))), `extension="279035121518989"`, `extension="279035121518988"`, 1)
	fs, err := cda.Validate(strings.NewReader(doc), &cda.ValidateOptions{TestINSKeyWarning: true})
	if err != nil {
		t.Fatal(err)
	}
	if fs.HasErrors() || len(fs.ByRule("CDA-INS-KEY").Warnings()) != 1 {
		t.Fatalf("want the INS key as a warning only:\n%s", findingsString(fs))
	}
	// The production authority is never downgraded.
	doc = strings.Replace(doc, `root="1.2.250.1.213.1.4.10"`, `root="1.2.250.1.213.1.4.8"`, 1)
	fs, _ = cda.Validate(strings.NewReader(doc), &cda.ValidateOptions{TestINSKeyWarning: true})
	if len(fs.ByRule("CDA-INS-KEY").Errors()) != 1 {
		t.Fatalf("want an INS key error under .8:\n%s", findingsString(fs))
	}
}

// TestValidateN1Mutated replays cda.md §8: N1 without the XDS-SD
// templateId, given BR and versionNumber.
func TestValidateN1Mutated(t *testing.T) {
	n1, err := os.ReadFile(filepath.Join(testenv.Shared(t, "cda", "examples"), "DOC_NON_STRUCTURE_CDA-R2-N1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(n1)
	s = strings.Replace(s, `<templateId root="1.3.6.1.4.1.19376.1.2.20"/>`, ``, 1)
	s = strings.Replace(s, `<given qualifier="BR">DOMINIQUE</given>`, ``, 1)
	s = strings.Replace(s, `<versionNumber value="1"/>`, ``, 1)
	fs, err := cda.Validate(strings.NewReader(s), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{"CDA-TEMPLATE", "CDA-TEMPLATE-N1", "CDA-VERSION", "CDA-INS-TRAITS"} {
		if len(fs.ByRule(rule).Errors()) == 0 {
			t.Errorf("no %s error:\n%s", rule, findingsString(fs))
		}
	}
}

// TestValidateTrailingJunk: a document without a body is read to its end
// too, so what follows the root element is not ignored.
func TestValidateTrailingJunk(t *testing.T) {
	doc := cut(`<component>`, `</component>`)(string(build(t, testHeader(t), fakePDF(30))))
	if _, err := cda.Validate(strings.NewReader(doc), nil); err != nil {
		t.Fatalf("no body: %v", err)
	}
	if _, err := cda.Validate(strings.NewReader(doc+"<x/>"), nil); !errors.Is(err, cda.ErrSyntax) {
		t.Fatalf("second root element: %v", err)
	}
}

func TestValidateHeaderOnly(t *testing.T) {
	doc := strings.Replace(string(build(t, testHeader(t), fakePDF(300))), `representation="B64">`, `representation="B64">!!!!`, 1)
	fs, err := cda.Validate(strings.NewReader(doc), &cda.ValidateOptions{HeaderOnly: true})
	if err != nil || fs.HasErrors() {
		t.Fatalf("HeaderOnly read the body: %v\n%s", err, findingsString(fs))
	}
}

// TestValidateTruncated: a document cut in its body is an error, and the
// header findings come with it.
func TestValidateTruncated(t *testing.T) {
	doc := string(build(t, testHeader(t), fakePDF(3000)))
	doc = strings.Replace(doc, `<realmCode code="FR"/>`, `<realmCode code="BE"/>`, 1)
	fs, err := cda.Validate(strings.NewReader(doc[:len(doc)-40]), nil)
	if !errors.Is(err, cda.ErrSyntax) {
		t.Fatalf("err = %v, want ErrSyntax", err)
	}
	if len(fs.ByRule("CDA-REALM")) != 1 {
		t.Fatalf("header findings not returned:\n%s", findingsString(fs))
	}
}
