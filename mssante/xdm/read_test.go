package xdm

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/limit"
)

func hasRule(fs finding.List, rule string, level finding.Level) bool {
	for _, f := range fs {
		if f.Rule == rule && f.Level == level {
			return true
		}
	}
	return false
}

func replaceEntry(name string, change func([]byte) []byte) func([]zipEntry) []zipEntry {
	return func(es []zipEntry) []zipEntry {
		for i := range es {
			if es[i].name == name {
				es[i].data = change(es[i].data)
			}
		}
		return es
	}
}

const (
	docPath  = "IHE_XDM/SUBSET01/DOC0001.XML"
	metaPath = "IHE_XDM/SUBSET01/METADATA.XML"
)

func TestVerifyTampered(t *testing.T) {
	good := writeBytes(t, testPackage(), fixedOptions())
	tests := []struct {
		name  string
		zip   func([]zipEntry) []zipEntry
		rule  string
		level finding.Level
	}{
		{"changed byte", replaceEntry(docPath, func(b []byte) []byte {
			b = bytes.Clone(b)
			b[10] ^= 1
			return b
		}), "XDM-HASH", finding.Error},
		{"wrong size", replaceEntry(metaPath, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `<rim:Slot name="size"><rim:ValueList><rim:Value>`, `<rim:Slot name="size"><rim:ValueList><rim:Value>1`, 1))
		}), "XDM-SIZE", finding.Error},
		{"lower-case hash is fine", replaceEntry(metaPath, func(b []byte) []byte {
			s := string(b)
			i := strings.Index(s, `name="hash"`) + len(`name="hash"><rim:ValueList><rim:Value>`)
			return []byte(s[:i] + strings.ToLower(s[i:i+40]) + s[i+40:])
		}), "", 0},
		{"missing document", func(es []zipEntry) []zipEntry { return es[:len(es)-1] }, "XDM-DOC-NOT-FOUND", finding.Error},
		{"missing index", func(es []zipEntry) []zipEntry { return es[1:] }, "XDM-ZIP-ROOT", finding.Warning},
		{"missing slot", replaceEntry(metaPath, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `name="URI"`, `name="uri"`, 1))
		}), "XDM-REQUIRED", finding.Error},
		{"second patient", replaceEntry(metaPath, func(b []byte) []byte {
			i := strings.LastIndex(string(b), "279035121518989")
			return []byte(string(b[:i]) + "295109912611193" + string(b[i+15:]))
		}), "XDM-PATIENT-MULTI", finding.Error},
		{"broken association", replaceEntry(metaPath, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `targetObject="urn:uuid:`, `targetObject="urn:uuid:f`, 1))
		}), "XDM-REF-ASSOC", finding.Error},
		{"unbound prefix", replaceEntry(metaPath, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), ` xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"`, ``, 1))
		}), "XDM-META-NS", finding.Error},
		{"not XML", replaceEntry(metaPath, func(b []byte) []byte { return b[:len(b)/2] }), "XDM-META-XML", finding.Error},
		{"lower-case name", func(es []zipEntry) []zipEntry {
			es[0].name = "index.htm"
			return es
		}, "XDM-NAME", finding.Warning},
		{"bad action", replaceEntry(metaPath, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `<rim:Slot name="URI">`, `<rim:Slot name="urn:action:extraMetadataSlot"><rim:ValueList><rim:Value>X</rim:Value></rim:ValueList></rim:Slot><rim:Slot name="URI">`, 1))
		}), "XDM-ACTION", finding.Error},
		{"empty document", func(es []zipEntry) []zipEntry {
			es[len(es)-1].data = nil
			return es
		}, "XDM-EMPTY", finding.Error},
		{"bad time", replaceEntry(metaPath, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `20250110083000`, `2025-01-10`, 1))
		}), "XDM-TIME", finding.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := readBytes(t, rewrite(t, good, tt.zip), nil)
			fs := a.Verify()
			if tt.rule == "" {
				if fs.HasErrors() {
					t.Fatal(fs)
				}
				return
			}
			if !hasRule(fs, tt.rule, tt.level) {
				t.Fatalf("no %v %s in %v", tt.level, tt.rule, fs)
			}
		})
	}
}

func TestReadSafety(t *testing.T) {
	good := writeBytes(t, testPackage(), fixedOptions())
	bomb := makeZip(t, []zipEntry{{name: "IHE_XDM/SUBSET01/DOC0001.XML", data: make([]byte, 8<<20), method: 8}})
	tests := []struct {
		name string
		zip  []byte
		opts *ReadOptions
		want error
		lim  string // the limit named by the *limit.Error
	}{
		{"traversal", makeZip(t, []zipEntry{{name: "IHE_XDM/../../etc/passwd", data: []byte("x")}}), nil, ErrUnsafePath, ""},
		{"absolute", makeZip(t, []zipEntry{{name: "/etc/passwd", data: []byte("x")}}), nil, ErrUnsafePath, ""},
		{"backslash", makeZip(t, []zipEntry{{name: "IHE_XDM\\..\\X", data: []byte("x")}}), nil, ErrUnsafePath, ""},
		{"drive", makeZip(t, []zipEntry{{name: "C:/X", data: []byte("x")}}), nil, ErrUnsafePath, ""},
		{"bomb", bomb, nil, limit.ErrExceeded, limit.CompressionRatio},
		{"too large", good, &ReadOptions{MaxTotalSize: 100}, limit.ErrExceeded, limit.ArchiveBudget},
		{"too many entries", good, &ReadOptions{MaxEntries: 3}, limit.ErrExceeded, limit.Entries},
		{"metadata too large", good, &ReadOptions{MaxMetadataSize: 100}, limit.ErrExceeded, limit.EntrySize},
		{"not a zip", []byte("PK\x03\x04 not really"), nil, ErrNotZip, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.zip), int64(len(tt.zip)), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if le, ok := errors.AsType[*limit.Error](err); ok && le.Limit != tt.lim {
				t.Fatalf("limit %q, want %q", le.Limit, tt.lim)
			}
		})
	}
	if _, err := Read(nil, 0, nil); !errors.Is(err, ErrNotZip) {
		t.Fatalf("nil reader: %v", err)
	}
	var pe *UnsafePathError
	z := makeZip(t, []zipEntry{{name: "../x", data: []byte("x")}})
	if _, err := Read(bytes.NewReader(z), int64(len(z)), nil); !errors.As(err, &pe) || pe.Name != "../x" {
		t.Fatalf("err = %v, want an UnsafePathError naming the entry", err)
	}
	// Limits off: the bomb reads.
	if _, err := Read(bytes.NewReader(bomb), int64(len(bomb)), &ReadOptions{MaxCompressionRatio: -1}); err != nil {
		t.Fatalf("limit disabled: %v", err)
	}
}

func TestReadDepthLimit(t *testing.T) {
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	z := makeZip(t, []zipEntry{{name: metaPath, data: []byte(deep)}})
	a := readBytes(t, z, nil)
	if !hasRule(a.Findings, "XDM-META-XML", finding.Error) || !strings.Contains(a.Findings.Errors()[0].Message, "exceeds the depth limit") {
		t.Fatal(a.Findings)
	}
}

// TestReadTolerant reads metadata in the shapes of the official examples
// and of the DRIMbox example: rim as default namespace, no declaration,
// BOM, leading spaces, subset layout under another directory, URI that
// repeats the subset directory, top-level classification.
func TestReadTolerant(t *testing.T) {
	meta := "\xEF\xBB\xBF   <ns5:SubmitObjectsRequest xmlns:ns5=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\">" +
		`<RegistryObjectList xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
<RegistryPackage id="SubmissionSet01">
<Slot name="submissionTime"><ValueList><Value>20240101120000+0100</Value></ValueList></Slot>
<ExternalIdentifier id="e1" registryObject="SubmissionSet01" identificationScheme="` + SchemeSubmissionSetSourceID + `" value="1.2.3"/>
<ExternalIdentifier id="e2" registryObject="SubmissionSet01" identificationScheme="` + SchemeSubmissionSetUniqueID + `" value="1.2.3.4"/>
<ExternalIdentifier id="e3" registryObject="SubmissionSet01" identificationScheme="` + SchemeSubmissionSetPatientID + `" value="` + strings.ReplaceAll(testCX, "&", "&amp;") + `"/>
</RegistryPackage>
<Classification id="c0" classifiedObject="SubmissionSet01" classificationNode="` + NodeSubmissionSet + `"/>
<ns2:ExtrinsicObject xmlns:ns2="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" id="Document01" mimeType="application/dicom" objectType="` + ObjectTypeStable + `">
<ns2:Slot name="hash"><ns2:ValueList><ns2:Value>` + "0000000000000000000000000000000000000000" + `</ns2:Value></ns2:ValueList></ns2:Slot>
<ns2:Slot name="size"><ns2:ValueList><ns2:Value>3</ns2:Value></ns2:ValueList></ns2:Slot>
<ns2:Slot name="URI"><ns2:ValueList><ns2:Value>SS000001/KOS.DCM</ns2:Value></ns2:ValueList></ns2:Slot>
<ns2:Classification id="c1" classifiedObject="SubmissionSet01" classificationScheme="` + SchemeTypeCode + `" nodeRepresentation="IMG-KOS">
<ns2:Name><ns2:LocalizedString value="Images"/></ns2:Name>
<ns2:Slot name="codingScheme"><ns2:ValueList><ns2:Value>1.2.250.1.213.1.1.4.12</ns2:Value></ns2:ValueList></ns2:Slot>
</ns2:Classification>
<ns2:ExternalIdentifier id="e4" registryObject="x" identificationScheme="` + SchemeDocumentEntryUniqueID + `" value="1.2.3.5"/>
</ns2:ExtrinsicObject>
<Association id="a1" associationType="` + AssociationHasMember + `" sourceObject="SubmissionSet01" targetObject="Document01"/>
</RegistryObjectList></ns5:SubmitObjectsRequest>`
	z := makeZip(t, []zipEntry{
		{name: "KA202401/IHE_XDM/SS000001/METADATA.XML", data: []byte(meta)},
		{name: "KA202401/IHE_XDM/SS000001/KOS.DCM", data: []byte("abc")},
	})
	a := readBytes(t, z, nil)
	if len(a.SubmissionSets) != 1 || len(a.Documents) != 1 {
		t.Fatalf("%d sets, %d docs: %v", len(a.SubmissionSets), len(a.Documents), a.Findings)
	}
	d := a.Documents[0]
	if d.Path != "KA202401/IHE_XDM/SS000001/KOS.DCM" || d.Entry.TypeCode.Code != "IMG-KOS" || d.Entry.TypeCode.CodeSystem == "" {
		t.Errorf("document %+v at %q", d.Entry, d.Path)
	}
	if got := a.SubmissionSets[0].SubmissionTime.Format(timeLayout); got != "20240101110000" {
		t.Errorf("submission time %s, want UTC", got)
	}
	fs := a.Verify()
	for _, rule := range []string{"XDM-URI-SUBSET", "XDM-ZIP-ROOT", "XDM-REF-CLASSIFIED", "XDM-REF-REGISTRY", "XDM-EBRIM-ORDER", "XDM-TIME"} {
		if !hasRule(fs, rule, finding.Warning) {
			t.Errorf("no warning %s", rule)
		}
	}
	if !hasRule(fs, "XDM-HASH", finding.Error) {
		t.Error("hash mismatch not reported")
	}
	if d.Integrity.Status() != "hash mismatch" {
		t.Errorf("integrity %s", d.Integrity.Status())
	}
}

// twoSubsets merges two of our archives into one with SUBSET01 and SUBSET02.
func twoSubsets(t *testing.T, p1, p2 *Package) []byte {
	a := unzipAll(t, writeBytes(t, p1, fixedOptions()))
	for _, e := range unzipAll(t, writeBytes(t, p2, nil)) {
		if strings.HasPrefix(e.name, "IHE_XDM/SUBSET01/") {
			e.name = strings.Replace(e.name, "SUBSET01", "SUBSET02", 1)
			a = append(a, e)
		}
	}
	return makeZip(t, a)
}

func TestReadSeveralSubsets(t *testing.T) {
	a := readBytes(t, twoSubsets(t, testPackage(), testPackage()), nil)
	if len(a.SubmissionSets) != 2 || len(a.Documents) != 2 {
		t.Fatalf("%d sets, %d documents", len(a.SubmissionSets), len(a.Documents))
	}
	if fs := a.Verify(); fs.HasErrors() {
		t.Fatal(fs)
	}
	if a.Documents[1].Path != "IHE_XDM/SUBSET02/DOC0001.XML" || a.Documents[1].SubmissionSet != a.SubmissionSets[1] {
		t.Errorf("second document at %s", a.Documents[1].Path)
	}

	other := testPackage()
	other.Documents[0].Entry.PatientINS = other.SubmissionSet.PatientINS
	other.Documents[0].Entry.PatientID = "295109912611193^^^&1.2.250.1.213.1.4.10&ISO^NH"
	other.Documents[0].Content = []byte(strings.Replace(testCDA, "279035121518989", "295109912611193", 1))
	a = readBytes(t, twoSubsets(t, testPackage(), other), nil)
	if fs := a.Verify(); !hasRule(fs, "XDM-PATIENT-MULTI", finding.Error) {
		t.Fatal(fs)
	}
	if _, ok := a.PatientID(); ok {
		t.Error("PatientID ok with two patients")
	}
	if _, ok := a.PatientINS(); ok {
		t.Error("PatientINS ok with two patients")
	}
}

func TestRoundTripExtras(t *testing.T) {
	p := testPackage()
	p.SubmissionSet.OtherAuthors = []Author{{Person: "^DUPONT^Jean"}}
	p.SubmissionSet.OtherSlots = []Slot{{Name: "x-ss", Values: []string{"1"}}}
	p.Documents[0].Entry.OtherSlots = []Slot{{Name: "x-doc", Values: []string{"a", "b"}}}
	p.Documents[0].Entry.ReferenceIDs = []string{"123^^^&1.2.3&ISO^urn:ihe:iti:xds:2013:accession"}
	p.Documents[0].Entry.Comments = "commentaire <&>"
	a := readBytes(t, writeBytes(t, p, fixedOptions()), nil)
	ss, d := a.SubmissionSets[0], a.Documents[0].Entry
	if len(ss.OtherAuthors) != 1 || ss.OtherAuthors[0].Person != "^DUPONT^Jean" || len(ss.OtherSlots) != 1 ||
		len(d.OtherSlots) != 1 || len(d.OtherSlots[0].Values) != 2 || len(d.ReferenceIDs) != 1 || d.Comments != "commentaire <&>" {
		t.Fatalf("%+v\n%+v", ss, d)
	}
}

func TestReadUnreferenced(t *testing.T) {
	z := rewrite(t, writeBytes(t, testPackage(), fixedOptions()), func(es []zipEntry) []zipEntry {
		return append(es, zipEntry{name: "IHE_XDM/SUBSET01/EXTRA.TXT", data: []byte("x")})
	})
	if a := readBytes(t, z, nil); !hasRule(a.Findings, "XDM-UNREFERENCED", finding.Info) {
		t.Fatal(a.Findings)
	}
}
