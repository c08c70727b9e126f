package xdm

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/testenv"
	"github.com/mssante-go/sdk/xmltext"
)

func TestWriteLayout(t *testing.T) {
	b := writeBytes(t, testPackage(), fixedOptions())
	var names []string
	for _, e := range unzipAll(t, b) {
		names = append(names, e.name)
	}
	want := []string{"INDEX.HTM", "README.TXT", "IHE_XDM/", "IHE_XDM/SUBSET01/", "IHE_XDM/SUBSET01/METADATA.XML", "IHE_XDM/SUBSET01/DOC0001.XML"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("entries %q, want %q", names, want)
	}
}

func TestWriteDeterministic(t *testing.T) {
	a := writeBytes(t, testPackage(), fixedOptions())
	b := writeBytes(t, testPackage(), fixedOptions())
	if !bytes.Equal(a, b) {
		t.Fatal("same input, fixed UUIDs and clock: different archives")
	}
	c := writeBytes(t, testPackage(), nil)
	if bytes.Equal(a, c) {
		t.Fatal("random UUIDs gave the same archive")
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	p := testPackage()
	att := &Document{
		Entry:   DocumentEntry{UniqueID: "1.2.250.1.999.2.1", MimeType: "application/pdf", Title: "Version PDF"},
		Content: []byte("%PDF-1.4 test\n"),
	}
	p.Documents = append(p.Documents, att)
	b := writeBytes(t, p, fixedOptions())
	pr, err := prepare(p, fixedOptions())
	if err != nil {
		t.Fatal(err)
	}
	a := readBytes(t, b, nil)
	fs := a.Verify()
	for _, f := range fs {
		if f.Level >= finding.Warning {
			t.Errorf("our archive: %v", f)
		}
	}
	if len(a.SubmissionSets) != 1 || len(a.Documents) != 2 {
		t.Fatalf("%d submission sets, %d documents", len(a.SubmissionSets), len(a.Documents))
	}
	if got := *a.SubmissionSets[0]; !reflect.DeepEqual(got, pr.ss) {
		t.Errorf("submission set:\n got %+v\nwant %+v", got, pr.ss)
	}
	for i, d := range a.Documents {
		if !reflect.DeepEqual(d.Entry, *pr.entries[i]) {
			t.Errorf("document %d:\n got %+v\nwant %+v", i, d.Entry, *pr.entries[i])
		}
		if d.SubmissionSet != a.SubmissionSets[0] {
			t.Errorf("document %d not attached to the submission set", i)
		}
		if d.Integrity.Status() != "ok" {
			t.Errorf("document %d: %s", i, d.Integrity.Status())
		}
	}
	if a.Documents[1].Entry.URI != "DOC0002.PDF" {
		t.Errorf("attachment URI %q", a.Documents[1].Entry.URI)
	}
	if a.Documents[1].Entry.PatientID != testCX {
		t.Errorf("attachment patient %q, want the package's", a.Documents[1].Entry.PatientID)
	}
	i, ok := a.PatientINS()
	if !ok || i.CX() != testCX {
		t.Errorf("PatientINS = %v, %v", i, ok)
	}
	if got := a.SubmissionSets[0].IntendedRecipients; len(got) != 1 || got[0] != "secretariat@hopital.mssante.fr" {
		t.Errorf("intended recipients %q", got)
	}
	rc, err := a.Documents[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(rc)
	rc.Close()
	if got.String() != testCDA {
		t.Error("document bytes changed")
	}
}

func TestWriteTexts(t *testing.T) {
	b := writeBytes(t, testPackage(), fixedOptions())
	es := unzipAll(t, b)
	index, readme := string(es[0].data), string(es[1].data)
	for _, s := range []string{`xmlns="http://www.w3.org/1999/xhtml"`, "<title>", "Emetteur : Centre de santé du Belvédère (1120456791)", `<a href="README.TXT">`} {
		if !strings.Contains(index, s) {
			t.Errorf("INDEX.HTM lacks %q", s)
		}
	}
	for _, s := range []string{"Emetteur :", "Organisme : Centre de santé du Belvédère (1120456791)", "Application de l'émetteur :", "Nom : Exemple DPI", "Version : 1.0", "Editeur : Éditeur Exemple", "Instructions :", "Arborescence :", "DOC0001.XML"} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.TXT lacks %q", s)
		}
	}
	for _, e := range es {
		if strings.HasSuffix(e.name, ".HTM") || strings.HasSuffix(e.name, ".XML") {
			d := xml.NewDecoder(bytes.NewReader(e.data))
			d.Strict = true
			for {
				_, err := d.Token()
				if err != nil {
					if err.Error() != "EOF" {
						t.Errorf("%s: %v", e.name, err)
					}
					break
				}
			}
		}
	}
}

// TestWriteXmllint checks INDEX.HTM and METADATA.XML with xmllint.
func TestWriteXmllint(t *testing.T) {
	xmllint := testenv.LookPath(t, "xmllint")
	dir := t.TempDir()
	for _, e := range unzipAll(t, writeBytes(t, testPackage(), fixedOptions())) {
		if e.name == "INDEX.HTM" || strings.HasSuffix(e.name, "METADATA.XML") {
			p := filepath.Join(dir, filepath.Base(e.name))
			if err := os.WriteFile(p, e.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(xmllint, "--noout", "--nonet", p).CombinedOutput(); err != nil {
				t.Errorf("xmllint %s: %v\n%s", e.name, err, out)
			}
		}
	}
}

func TestWriteMetadataContent(t *testing.T) {
	p := testPackage()
	p.Documents[0].Entry.Action = ActionDelete
	var meta string
	for _, e := range unzipAll(t, writeBytes(t, p, fixedOptions())) {
		if strings.HasSuffix(e.name, "METADATA.XML") {
			meta = string(e.data)
		}
	}
	for _, s := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">`,
		`<rim:Slot name="submissionTime"><rim:ValueList><rim:Value>20250110083000</rim:Value></rim:ValueList></rim:Slot>`,
		`<rim:Value>^^Internet^secretariat@hopital.mssante.fr</rim:Value>`,
		`<rim:Slot name="urn:action:extraMetadataSlot"><rim:ValueList><rim:Value>D</rim:Value></rim:ValueList></rim:Slot>`,
		`value="279035121518989^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH"`,
		`classificationScheme="` + SchemeTypeCode + `"`,
		`nodeRepresentation="CERT_DECL"`,
		`associationType="` + AssociationHasMember + `"`,
		`<rim:Slot name="creationTime"><rim:ValueList><rim:Value>20250109134745</rim:Value></rim:ValueList></rim:Slot>`,
	} {
		if !strings.Contains(meta, s) {
			t.Errorf("METADATA.XML lacks %s", s)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Package)
		want   error
	}{
		{"no document", func(p *Package) { p.Documents = nil }, ErrNoDocument},
		{"two patients", func(p *Package) {
			d := &Document{Entry: testEntry(), Content: []byte("x")}
			d.Entry.URI = "DOC0002.XML"
			d.Entry.PatientID = "295109912611193^^^&1.2.250.1.213.1.4.10&ISO^NH"
			p.Documents = append(p.Documents, d)
		}, ErrSeveralPatients},
		{"submission set patient", func(p *Package) {
			p.SubmissionSet.PatientID = "295109912611193^^^&1.2.250.1.213.1.4.10&ISO^NH"
		}, ErrSeveralPatients},
		{"lower-case name", func(p *Package) { p.Documents[0].Entry.URI = "doc0001.xml" }, ErrInvalidName},
		{"long name", func(p *Package) { p.Documents[0].Entry.URI = "DOCUMENT01.XML" }, ErrInvalidName},
		{"path", func(p *Package) { p.Documents[0].Entry.URI = "../DOC0001.XML" }, ErrInvalidName},
		{"metadata name", func(p *Package) { p.Documents[0].Entry.URI = "METADATA.XML" }, ErrInvalidName},
		{"duplicate name", func(p *Package) {
			d := &Document{Entry: testEntry(), Content: []byte("x")}
			d.Entry.URI = "DOC0001.XML"
			p.Documents = append(p.Documents, d)
		}, ErrInvalidName},
		{"no source id", func(p *Package) { p.SubmissionSet.SourceID = "" }, ErrMissingField},
		{"no unique id", func(p *Package) { p.Documents[0].Entry.UniqueID = "" }, ErrMissingField},
		{"no patient", func(p *Package) {
			p.Documents[0].Entry.PatientINS = p.SubmissionSet.PatientINS
			p.Documents[0].Entry.PatientID = ""
		}, ErrMissingField},
		{"empty content", func(p *Package) { p.Documents[0].Content = nil }, ErrMissingField},
		{"no structure", func(p *Package) { p.Sender.StructureID = "" }, ErrMissingField},
		{"bad entry uuid", func(p *Package) { p.Documents[0].Entry.EntryUUID = "Document01" }, ErrMissingField},
		{"replace without parent", func(p *Package) { p.Documents[0].Entry.Action = ActionReplace }, ErrInvalidAction},
		{"bad action", func(p *Package) { p.Documents[0].Entry.Action = "X" }, ErrInvalidAction},
		{"control character", func(p *Package) { p.Documents[0].Entry.Title = "a\x01b" }, xmltext.ErrInvalid},
		{"control character in README.TXT", func(p *Package) { p.Sender.ApplicationVendor = "a\x01b" }, xmltext.ErrInvalid},
		{"invalid UTF-8 in README.TXT", func(p *Package) { p.Sender.Instructions = "\xff" }, xmltext.ErrInvalid},
		{"wrong hash", func(p *Package) { p.Documents[0].Entry.Hash = strings.Repeat("0", 40) }, ErrHashMismatch},
		{"wrong size", func(p *Package) { p.Documents[0].Entry.Size = 3 }, ErrHashMismatch},
		{"known slot", func(p *Package) { p.Documents[0].Entry.OtherSlots = []Slot{{Name: "hash", Values: []string{"x"}}} }, ErrMissingField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPackage()
			tt.change(p)
			err := Write(&bytes.Buffer{}, p, fixedOptions())
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWriteCompressionLevel(t *testing.T) {
	for _, level := range []int{-3, 10, 42} {
		var buf bytes.Buffer
		err := Write(&buf, testPackage(), &WriteOptions{CompressionLevel: level})
		var fe *FieldError
		if !errors.Is(err, ErrInvalidOption) || !errors.As(err, &fe) || fe.Field != "CompressionLevel" {
			t.Errorf("level %d: err = %v, want ErrInvalidOption on CompressionLevel", level, err)
		}
		if buf.Len() != 0 {
			t.Errorf("level %d: %d bytes written before the error", level, buf.Len())
		}
	}
	for _, level := range []int{-2, -1, 1, 9} {
		b := writeBytes(t, testPackage(), &WriteOptions{CompressionLevel: level})
		if a := readBytes(t, b, nil); a.Verify().HasErrors() {
			t.Errorf("level %d: %v", level, a.Verify())
		}
	}
}

func TestWriteDoesNotModifyPackage(t *testing.T) {
	p := testPackage()
	before := *p.Documents[0]
	writeBytes(t, p, nil)
	if !reflect.DeepEqual(before, *p.Documents[0]) || p.SubmissionSet.EntryUUID != "" {
		t.Fatal("Write changed its input")
	}
}

func TestWriteReplace(t *testing.T) {
	p := testPackage()
	p.Documents[0].Entry.Action = ActionReplace
	p.Documents[0].Entry.ParentDocumentID = "1.2.250.1.213.1.1.1.5.2.12345.1"
	a := readBytes(t, writeBytes(t, p, fixedOptions()), nil)
	if fs := a.Verify(); fs.HasErrors() {
		t.Fatal(fs)
	}
	if a.Documents[0].Entry.Action != ActionReplace {
		t.Fatalf("action %q", a.Documents[0].Entry.Action)
	}
}

func TestIsLevel1Name(t *testing.T) {
	for name, want := range map[string]bool{
		"DOC0001.XML": true, "A": true, "DOC_1.X": true, "README.TXT": true, "DOC00001.PDF": true,
		"doc0001.xml": false, "DOC000001.XML": false, "DOC.XMLX": false, "DOC-1.XML": false,
		".XML": false, "": false, "A.B.C": false, "É.XML": false,
	} {
		if got := IsLevel1Name(name); got != want {
			t.Errorf("IsLevel1Name(%q) = %v", name, got)
		}
	}
}
