package cda_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/testenv"
)

// mutation edits a built document and names the finding that must come:
// its rule and, for a rule of the kit, the assert it mirrors (Spec
// "StrucMin <assert id>"), or "" for a rule of the SDK.
type mutation struct {
	name   string
	edit   func(s string) string
	rule   string
	assert string
	level  finding.Level
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

// The kit's rule of the ClinicalDocument template, and others, by label.
const (
	cdTemplate = "SMDS_CDAClinicalDocument"
	cdRule     = "d152e10-false-d1610e0/"
)

var mutations = []mutation{
	{"no realmCode", cut(`<realmCode`, `/>`), cdTemplate, cdRule + "8", finding.Error},
	{"realmCode BE", replace(`<realmCode code="FR"/>`, `<realmCode code="BE"/>`), cdTemplate, cdRule + "8", finding.Error},
	// A wrong typeId takes the document out of every rule of the kit,
	// which then only warns; the CDA schema fixes it: the SDK refuses it.
	{"typeId", replace(`extension="POCD_HD000040"`, `extension="POCD_HD000041"`), "CDA-TYPEID", "", finding.Error},
	{"typeId, the kit's warning", replace(`extension="POCD_HD000040"`, `extension="POCD_HD000041"`), cdTemplate, "pattern2-rule1/1", finding.Warning},
	{"no XDS-SD template", cut(`<templateId root="1.3.6.1.4.1.19376.1.2.20"`, `/>`), cdTemplate, cdRule + "7", finding.Error},
	{"no XDS-SD template, three required", cut(`<templateId root="1.3.6.1.4.1.19376.1.2.20"`, `/>`), cdTemplate, cdRule + "6", finding.Error},
	{"no XDS-SD template, no extra", cut(`<templateId root="1.3.6.1.4.1.19376.1.2.20"`, `/>`), cdTemplate, cdRule + "16", finding.Error},
	{"four templates", replace(`<id root="1.2.250.1.999.1.1.1"`, `<templateId root="1.2.3"/><id root="1.2.250.1.999.1.1.1"`), cdTemplate, cdRule + "6", finding.Error},
	{"two CI-SIS templates", replace(`<templateId root="1.2.250.1.213.1.1.1.1"/>`, `<templateId root="1.2.250.1.213.1.1.1.1"/><templateId root="1.2.250.1.213.1.1.1.1"/>`), cdTemplate, cdRule + "15", finding.Error},
	{"two CI-SIS templates, not distinct", replace(`<templateId root="1.2.250.1.213.1.1.1.1"/>`, `<templateId root="1.2.250.1.213.1.1.1.1"/><templateId root="1.2.250.1.213.1.1.1.1"/>`), "dtr1-12-II", "II/11", finding.Error},
	{"id nullFlavor", replace(`<id root="1.2.250.1.999.1.1.1" extension="DOC-0001"/>`, `<id nullFlavor="UNK"/>`), cdTemplate, cdRule + "17", finding.Error},
	{"id bad root", replace(`<id root="1.2.250.1.999.1.1.1"`, `<id root="1.02.3"`), cdTemplate, "d152e46-false-d2240e0/4", finding.Error},
	{"id bad root, datatype", replace(`<id root="1.2.250.1.999.1.1.1"`, `<id root="1.02.3"`), "dtr1-10-II", "II/9", finding.Error},
	{"id long extension", replace(`extension="DOC-0001"`, `extension="`+strings.Repeat("X", 65)+`"`), "dtr1-9-II", "II/8", finding.Warning},
	{"no id", cut(`<id root="1.2.250.1.999.1.1.1"`, `/>`), cdTemplate, cdRule + "17", finding.Error},
	{"type code not in J07", replace(`code="11488-4"`, `code="99999-9"`), cdTemplate, "d152e75-false-d2268e0/8", finding.Error},
	{"type code wrong system", replace(`code="11488-4" codeSystem="2.16.840.1.113883.6.1"`, `code="11488-4" codeSystem="1.2.3"`), "CDA-CODE-SYSTEM", "", finding.Warning},
	{"type code no displayName", replace(` displayName="CR ou fiche de consultation ou de visite"`, ``), cdTemplate, "d152e75-false-d2268e0/3", finding.Error},
	{"type code no displayName, SDK", replace(` displayName="CR ou fiche de consultation ou de visite"`, ``), "CDA-CODE", "", finding.Warning},
	{"empty title", replace(`<title>Compte rendu de consultation</title>`, `<title></title>`), "dtr1-1-BIN", "BIN/1", finding.Error},
	{"no title", cut(`<title>`, `</title>`), cdTemplate, cdRule + "21", finding.Error},
	{"effectiveTime format", replace(`<effectiveTime value="20250314103000+0100"/>`, `<effectiveTime value="2025-03-14"/>`), "dtr1-2-TS", "TS/2", finding.Error},
	{"effectiveTime date", replace(`<effectiveTime value="20250314103000+0100"/>`, `<effectiveTime value="20251345"/>`), "dtr1-2-TS", "TS/2", finding.Error},
	{"effectiveTime offset +100", replace(`<effectiveTime value="20250314103000+0100"/>`, `<effectiveTime value="20250314103000+100"/>`), "CDA-TS-OFFSET", "", finding.Warning},
	{"confidentiality", replace(`<confidentialityCode code="N"`, `<confidentialityCode code="X"`), cdTemplate, "d152e103-false-d2363e0/7", finding.Error},
	{"language", replace(`<languageCode code="fr-FR"/>`, `<languageCode code="fr"/>`), cdTemplate, "d152e115-false-d2414e0/4", finding.Error},
	{"no setId", cut(`<setId`, `/>`), cdTemplate, cdRule + "29", finding.Error},
	{"version 0", replace(`<versionNumber value="1"/>`, `<versionNumber value="0"/>`), "CDA-VERSION", "", finding.Warning},
	{"no version", cut(`<versionNumber`, `/>`), cdTemplate, cdRule + "31", finding.Error},
	{"copyTime", replace(`<recordTarget>`, `<copyTime value="2025"/><recordTarget>`), "CDA-COPYTIME", "", finding.Warning},
	{"copyTime, closed template", replace(`<recordTarget>`, `<copyTime value="2025"/><recordTarget>`), cdTemplate, "d152e10-true-d18748e0/1", finding.Warning},
	{"no languageCode", replace(`<languageCode code="fr-FR"/>`, ``+"\n"), cdTemplate, cdRule + "27", finding.Error},
	{"out of order", func(s string) string {
		s = cut(`<title>`, `</title>`)(s)
		return replace(`<recordTarget>`, `<title>T</title><recordTarget>`)(s)
	}, "CDA-ORDER", "", finding.Error},
	{"unbound prefix", replace(`<title>Compte rendu de consultation</title>`, `<title>T</title><hl7:x/>`), "CDA-XML-PREFIX", "", finding.Error},
	{"classCode", replace(`<ClinicalDocument xmlns="urn:hl7-org:v3">`, `<ClinicalDocument xmlns="urn:hl7-org:v3" classCode="DOC">`), cdTemplate, cdRule + "1", finding.Error},
	{"schemaLocation", replace(`<ClinicalDocument xmlns="urn:hl7-org:v3">`, `<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:hl7-org:v3 CDA.xsd">`), "CDA-DOC-SCHEMALOC", "", finding.Warning},
	{"nullFlavor value", replace(`<telecom value="tel:0100000000" use="WP"/>`, `<telecom nullFlavor="NI"/>`), "CDA-NULLFLAVOR", "", finding.Warning},
	{"nullFlavor value, telecom", replace(`<telecom value="tel:0100000000" use="WP"/>`, `<telecom nullFlavor="NI"/>`), "CI-SISTelecom", "d5604e25-false-d5611e0/4", finding.Error},
	{"no given BR", cut(`<given qualifier="BR">`, `</given>`), cdTemplate, cdRule + "35", finding.Error},
	{"no family BR", replace(`<family qualifier="BR">`, `<family>`), cdTemplate, cdRule + "35", finding.Error},
	{"no birthplace", cut(`<birthplace>`, `</birthplace>`), cdTemplate, cdRule + "35", finding.Error},
	{"first given not first", replace(`<given qualifier="BR">DOMINIQUE</given>`, `<given qualifier="BR">MARIE</given>`), "CDA-INS-FIRSTGIVEN", "", finding.Warning},
	{"bad COG", replace(`<county>51215</county>`, `<county>512</county>`), "CDA-INS-COG", "", finding.Warning},
	{"INS key", replace(`extension="279035121518989"`, `extension="279035121518988"`), "CDA-INS-KEY", "", finding.Error},
	{"INS length", replace(`extension="279035121518989"`, `extension="2790351215189"`), "CDA-INS-KEY", "", finding.Error},
	{"two INS", replace(`<id root="1.2.250.1.999.1.2"`, `<id root="1.2.250.1.213.1.4.8" extension="279035121518989"/><id root="1.2.250.1.999.1.2"`), "CDA-INS-DUP", "", finding.Error},
	{"INS-C", replace(`<id root="1.2.250.1.999.1.2"`, `<id root="1.2.250.1.213.1.4.2" extension="1234"/><id root="1.2.250.1.999.1.2"`), "CDA-INS-OID", "", finding.Warning},
	{"patient id no extension", replace(`<id root="1.2.250.1.999.1.2" extension="IPP-42"/>`, `<id root="1.2.250.1.999.1.2"/>`), "CI-SISRecordTarget", "d2485e46-false-d2595e0/4", finding.Error},
	{"gender", replace(`<administrativeGenderCode code="F"`, `<administrativeGenderCode code="X"`), "CI-SISRecordTarget", "d2485e163-false-d3191e0/3", finding.Error},
	{"no birthTime", cut(`<birthTime`, `/>`), "CI-SISRecordTarget", "d2485e72-false-d2987e0/5", finding.Error},
	{"no author", cut(`<author>`, `</author>`), cdTemplate, cdRule + "36", finding.Error},
	{"author time", replace(`<time value="20250314100000+0100"/>`, `<time value="x"/>`), "CI-SISAuthor", "d4313e78-false-d4447e0/4", finding.Error},
	{"author no family", replace(`<family>MEDECIN</family>`, ``), "CI-SISAuthor", "d4313e212-false-d5010e0/1", finding.Error},
	{"author specialty", replace(`code="G15_10/SM26"`, `code="G15_99"`), "CI-SISAuthor", "d4313e144-false-d4603e0/7", finding.Error},
	{"author title in prefix", replace(`<prefix>M</prefix>`, `<prefix>DR</prefix>`), "CI-SISAuthor", "d4313e37-false-d4326e0/1", finding.Error},
	{"author civility in suffix", replace(`<suffix>DR</suffix>`, `<suffix>M</suffix>`), "CI-SISAuthor", "d4313e37-false-d4326e0/2", finding.Error},
	{"author id root", replace(`<id root="1.2.250.1.71.4.2.1" extension="810001234565"/>`, `<id root="1.2.3.4" extension="810001234565"/>`), "CDA-IDNAT-ROOT", "", finding.Warning},
	{"author id prefix", replace(`extension="810001234565"`, `extension="910001234565"`), "CDA-IDNAT-PREFIX", "", finding.Warning},
	{"RPPS length", replace(`extension="810001234565"`, `extension="8100012345"`), "CDA-IDNAT-PREFIX", "", finding.Warning},
	{"custodian root", func(s string) string {
		i := strings.Index(s, "<custodian>")
		return s[:i] + strings.Replace(s[i:], `root="1.2.250.1.71.4.2.2"`, `root="1.2.3"`, 1)
	}, "CI-SISCustodian", "d7510e32-false-d7642e0/5", finding.Error},
	{"no custodian", cut(`<custodian>`, `</custodian>`), cdTemplate, cdRule + "38", finding.Error},
	{"signatureCode", replace(`<signatureCode code="S"/>`, `<signatureCode code="X"/>`), cdTemplate, cdRule + "40", finding.Error},
	{"no legalAuthenticator", cut(`<legalAuthenticator>`, `</legalAuthenticator>`), cdTemplate, cdRule + "40", finding.Error},
	// An element the kit's contexts do not select is only an element its
	// closed template does not list: a warning.
	{"recipient", cut(`<intendedRecipient>`, `</intendedRecipient>`), cdTemplate, "d152e10-true-d18748e0/1", finding.Warning},
	{"authenticator signature", replace(`<documentationOf>`, `<authenticator><time value="20250314"/><signatureCode code="X"/><assignedEntity><id root="1.2.250.1.71.4.2.1" extension="810001234565"/></assignedEntity></authenticator><documentationOf>`), cdTemplate, "d152e10-true-d18748e0/1", finding.Warning},
	{"authenticator root", replace(`<documentationOf>`, `<authenticator><time value="20250314"/><signatureCode code="S"/><assignedEntity><id root="1.2.3" extension="1"/></assignedEntity></authenticator><documentationOf>`), "CI-SISAuthenticator", "d10257e10-false-d10270e0/7", finding.Error},
	{"authorization status", replace(`<componentOf>`, `<authorization><consent><code code="x" codeSystem="1.2.3"/><statusCode code="active"/></consent></authorization><componentOf>`), "CI-SISAuthorization", "d14809e10-false-d14816e0/2", finding.Error},
	{"no documentationOf", cut(`<documentationOf>`, `</documentationOf>`), cdTemplate, cdRule + "42", finding.Error},
	{"no service low", cut(`<low value="20250314090000+0100"/>`, `>`), "CI-SISDocumentationOf", "d13023e551-false-d13294e0/1", finding.Error},
	{"no performer", cut(`<performer typeCode="PRF">`, `</performer>`), cdTemplate, cdRule + "4", finding.Error},
	{"performer typeCode", replace(`<performer typeCode="PRF">`, `<performer typeCode="SPRF">`), "CI-SISDocumentationOf", "d24411e28-true-d24496e0/1", finding.Warning},
	{"practice setting", replace(`code="AMBULATOIRE"`, `code="NOPE"`), "CI-SISDocumentationOf", "d13023e823-false-d14551e0/3", finding.Error},
	{"no practice setting", cut(`<standardIndustryClassCode`, `/>`), "CI-SISDocumentationOf", "d13023e764-false-d14060e0/2", finding.Error},
	{"facility", replace(`code="SA07"`, `code="SA99"`), "CI-SISComponentOf", "d14937e492-false-d17844e0/3", finding.Error},
	{"no facility code", cut(`<code code="SA07"`, `/>`), "CI-SISComponentOf", "d14937e485-false-d17795e0/1", finding.Error},
	{"no componentOf", cut(`<componentOf>`, `</componentOf>`), cdTemplate, cdRule + "44", finding.Error},
	{"encounter code", replace(`<encompassingEncounter>`, `<encompassingEncounter><code code="ZZZ" codeSystem="2.16.840.1.113883.5.4"/>`), "CI-SISComponentOf", "d14937e37-false-d15120e0/6", finding.Error},
	{"relatedDocument typeCode", replace(`<componentOf>`, `<relatedDocument typeCode="APND"><parentDocument><id root="1.2.3"/></parentDocument></relatedDocument><componentOf>`), cdTemplate, "d152e10-true-d18748e0/1", finding.Warning},
	{"relatedDocument no id", replace(`<componentOf>`, `<relatedDocument typeCode="RPLC"><parentDocument></parentDocument></relatedDocument><componentOf>`), "CI-SISRelatedDocument", "d14696e19-false-d14732e0/1", finding.Error},
	{"relatedDocument self", replace(`<componentOf>`, `<relatedDocument typeCode="RPLC"><parentDocument><id root="1.2.250.1.999.1.1.1" extension="DOC-0001"/></parentDocument></relatedDocument><componentOf>`), "CDA-RPLC", "", finding.Error},
	{"mediaType png", replace(`mediaType="application/pdf"`, `mediaType="image/png"`), "CDA-BODY-MEDIATYPE", "", finding.Error},
	{"mediaType jpeg", replace(`mediaType="application/pdf"`, `mediaType="image/jpeg"`), "CDA-BODY-MEDIATYPE", "", finding.Warning},
	{"representation", replace(`representation="B64"`, `representation="TXT"`), "CDA-BODY-B64", "", finding.Error},
	{"corrupt base64", replace(`representation="B64">`, `representation="B64">!!!!`), "CDA-BODY-B64", "", finding.Error},
	{"empty body", func(s string) string {
		i := strings.Index(s, `representation="B64">`) + len(`representation="B64">`)
		j := strings.Index(s, `</text>`)
		return s[:i] + s[j:]
	}, "CDA-BODY-EMPTY", "", finding.Error},
	{"no component", cut(`<component>`, `</component>`), cdTemplate, cdRule + "46", finding.Error},
	{"two components", replace(`</component>`, `</component><component><nonXMLBody><text mediaType="text/plain" representation="B64">QQ==</text></nonXMLBody></component>`), cdTemplate, cdRule + "47", finding.Error},
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
				if f.Level == m.level && (m.assert == "" || f.Spec == "StrucMin "+m.assert) {
					if f.Location == "" || f.Spec == "" || f.Message == "" {
						t.Errorf("incomplete finding %+v", f)
					}
					return
				}
			}
			t.Errorf("no %v %s %s finding; got:\n%s", m.level, m.rule, m.assert, findingsString(fs))
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
	// The five errors of the kit (cda.md §8): the three templateIds, the
	// XDS-SD templateId, the model's templateId, versionNumber, the INS
	// traits.
	var got []string
	for _, f := range fs.Errors() {
		got = append(got, strings.TrimPrefix(f.Spec, "StrucMin "))
	}
	want := []string{cdRule + "6", cdRule + "7", cdRule + "16", cdRule + "31", cdRule + "35"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("errors %v, want %v:\n%s", got, want, findingsString(fs))
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
	if !hasSpec(fs, cdRule+"8") {
		t.Fatalf("header findings not returned:\n%s", findingsString(fs))
	}
}

// TestValidateConcurrent validates the official examples from several
// goroutines at once: the kit's tables, checks and patterns are built on
// first use, so run alone (go test -race -run TestValidateConcurrent) the
// goroutines race to build them. Every goroutine must get the findings of
// a sequential run.
func TestValidateConcurrent(t *testing.T) {
	dir := testenv.Shared(t, "cda", "examples")
	names, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no examples in %s: %v", dir, err)
	}
	var docs [][]byte
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
		// A version with findings of most kinds of assert: templateIds,
		// counts, value sets, datatypes.
		s := strings.Replace(string(b), `<templateId root="1.3.6.1.4.1.19376.1.2.20"/>`, ``, 1)
		s = strings.Replace(s, `codeSystem="2.16.840.1.113883.6.1"`, `codeSystem="2.16.840.1.113883.6.1 x"`, 1)
		s = strings.Replace(s, `<versionNumber value="1"/>`, `<versionNumber value="1.5"/>`, 1)
		docs = append(docs, []byte(s))
	}
	const workers = 4
	got := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range docs {
				d := docs[(i+w)%len(docs)] // each starts with another document
				fs, err := cda.Validate(bytes.NewReader(d), nil)
				got[w] = append(got[w], fmt.Sprintf("%d: %v\n%s", (i+w)%len(docs), err, findingsString(fs)))
			}
			slices.Sort(got[w])
		}()
	}
	wg.Wait()
	var want []string
	for i, d := range docs {
		fs, err := cda.Validate(bytes.NewReader(d), nil)
		want = append(want, fmt.Sprintf("%d: %v\n%s", i, err, findingsString(fs)))
	}
	slices.Sort(want)
	if !strings.Contains(strings.Join(want, ""), "StrucMin") {
		t.Fatal("no finding of the kit: the test exercises nothing")
	}
	for w := range workers {
		if !slices.Equal(got[w], want) {
			t.Errorf("goroutine %d got other findings than a sequential run", w)
		}
	}
}
