package mssante

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/testenv"
	"github.com/mssante-go/sdk/mssante/xdm"
)

func TestAttachDocumentsRoundTrip(t *testing.T) {
	pdf1, pdf2 := tPDF(5000), tPDF(7000)
	h2 := tHeader(t, "DOC-2")
	h2.Code.Code = "11502-2" // CR d'examens biologiques
	h2.Title = "Compte rendu de biologie"
	docs := []*HealthDocument{
		{CDA: tCDA(t, tHeader(t, "DOC-1"), pdf1), FileNumber: "D42"},
		{CDA: tCDA(t, h2, pdf2)},
	}
	m := tMessage()
	m.Subject = ""
	m.To = append(m.To, &mail.Address{Address: "279035121518989@patient.mssante.fr"})
	if err := m.AttachDocuments(docs, tDocOptions()); err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 3 || m.Attachments[0].Filename != XDMArchiveName {
		t.Fatalf("attachments %v", m.Attachments)
	}
	wantName := "20260531_CR ou fiche de consultation ou de visite_PAT-TROIS_DOMINIQUE_D42.pdf"
	if m.Attachments[1].Filename != wantName {
		t.Errorf("pdf name %q, want %q", m.Attachments[1].Filename, wantName)
	}
	for i, want := range [][]byte{pdf1, pdf2} {
		if got, err := m.Attachments[i+1].Bytes(); err != nil || !bytes.Equal(got, want) {
			t.Errorf("embedded PDF %d not extracted: %v", i+1, err)
		}
	}
	if m.Subject != "XDM/1.0/DDM+CR ou fiche de consultation ou de visite PAT-TROIS DOMINIQUE 28/03/1979" {
		t.Errorf("subject %q", m.Subject)
	}
	if strings.Join(m.CodeCDA, ",") != "11488-4,11502-2" || m.INS != "O" {
		t.Errorf("codes %v ins %q", m.CodeCDA, m.INS)
	}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("X-MSS-CODECDA: 11488-4,11502-2\r\n")) || !bytes.Contains(raw, []byte("X-MSS-INS: O\r\n")) {
		t.Error("X-MSS headers")
	}
	in, err := Read(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.XDM == nil || in.XDM.Archive == nil {
		t.Fatalf("no XDM: %v", in.Warnings)
	}
	got, ok := in.PatientINS()
	if !ok || got.Matricule != "279035121518989" || got.OID != ins.OIDNIRTest {
		t.Errorf("patient %v %v", got, ok)
	}
	if len(in.XDM.Documents) != 2 || in.XDM.Documents[0].Integrity != "ok" || !bytes.Equal(in.XDM.Documents[0].Content, docs[0].CDA) {
		t.Errorf("documents %+v", in.XDM.Documents)
	}
	if p := in.XDM.Patient; p == nil || p.Traits.BirthName != "PAT-TROIS" || p.Traits.FirstGiven() != "DOMINIQUE" || p.INS.Matricule != "279035121518989" {
		t.Errorf("patient %+v", in.XDM.Patient)
	}
	if in.DisplaySubject != "CR ou fiche de consultation ou de visite PAT-TROIS DOMINIQUE 28/03/1979" {
		t.Errorf("display subject %q", in.DisplaySubject)
	}
	fs := in.Lint(nil)
	for _, f := range fs {
		// Generated PDFs are not PDF/A.
		if f.Level >= finding.Warning && f.Rule != "ECO.2.1.5" {
			t.Errorf("lint: %v", f)
		}
	}
}

func TestAttachDocumentsRefusals(t *testing.T) {
	other := tHeader(t, "DOC-X")
	other.Patient.Identity.INS.Matricule = ins.MustParse("253072A07300443")
	other.Patient.Identity.Traits.BirthName = "AUTRE"
	docs := []*HealthDocument{{CDA: tCDA(t, tHeader(t, "DOC-1"), tPDF(100))}, {CDA: tCDA(t, other, tPDF(100))}}
	m := tMessage()
	if err := m.AttachDocuments(docs, tDocOptions()); !errors.Is(err, ErrTwoPatients) {
		t.Errorf("two patients: %v", err)
	}
	if err := m.AttachDocuments(nil, tDocOptions()); !errors.Is(err, ErrNoDocument) {
		t.Errorf("none: %v", err)
	}
	if err := m.AttachDocuments([]*HealthDocument{{CDA: []byte("<not-cda/>")}}, tDocOptions()); !errors.Is(err, cda.ErrNotCDA) {
		t.Errorf("garbage CDA: %v", err)
	}
	if err := m.AttachDocuments([]*HealthDocument{{CDA: tCDA(t, tHeader(t, "DOC-1"), tPDF(100))}}, &DocumentsOptions{}); !errors.Is(err, xdm.ErrMissingField) {
		t.Errorf("missing sender info: %v", err)
	}
	var textCDA bytes.Buffer
	if err := cda.Build(&textCDA, tHeader(t, "DOC-T"), cda.Body{MediaType: cda.MediaTypeText, Content: strings.NewReader("texte")}); err != nil {
		t.Fatal(err)
	}
	if err := m.AttachDocuments([]*HealthDocument{{CDA: textCDA.Bytes()}}, tDocOptions()); !errors.Is(err, ErrNoPDF) || !errors.Is(err, ErrNoDocument) {
		t.Errorf("text body without PDF: %v", err)
	}
	if len(m.Attachments) != 0 || m.INS != "" {
		t.Error("a refused call modified the message")
	}
	if err := tMessage().AttachDocuments([]*HealthDocument{{CDA: textCDA.Bytes(), PDF: tPDF(100)}}, tDocOptions()); err != nil {
		t.Errorf("text body with its PDF: %v", err)
	}
}

func TestXDMSubjectAndPDFName(t *testing.T) {
	h := tHeader(t, "D")
	tr := h.Patient.Identity.Traits
	if s := XDMSubject("ECHOGRAPHIE", &tr, false); s != "XDM/1.0/DDM+ECHOGRAPHIE PAT-TROIS DOMINIQUE" {
		t.Error(s)
	}
	if n := PDFName(h, `CR d'imagerie: "médicale"/x`, ""); n != `20260531_CR d'imagerie- -médicale--x_PAT-TROIS_DOMINIQUE.pdf` {
		t.Error(n)
	}
	for in, want := range map[string]string{
		"XDM/1.0/DDM+CR X":     "CR X",
		"RE: XDM/1.0/DDM+CR X": "RE: CR X",
		"xdm/1.0/ddm+ CR":      "CR",
		"Bonjour":              "Bonjour",
	} {
		if got := DisplaySubject(in); got != want {
			t.Errorf("%q: %q", in, got)
		}
	}
}

// TestOfficialArchives sends each official ANS archive in a message and
// reads it back: same patient, same documents.
func TestOfficialArchives(t *testing.T) {
	dir := testenv.Shared(t, "xdm", "ansforge")
	files, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
	if len(files) == 0 {
		t.Fatal("no archive")
	}
	for _, f := range files {
		zipBytes, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := xdm.Read(bytes.NewReader(zipBytes), int64(len(zipBytes)), nil)
		if err != nil {
			t.Errorf("%s: xdm.Read: %v", filepath.Base(f), err)
			continue
		}
		wantID, _ := want.PatientID()
		name := XDMArchiveName
		if strings.Contains(f, "CSE") {
			name = "IHE_XDM.zip" // the other spelling
		}
		m := tMessage()
		m.Subject = "XDM/1.0/DDM+" + strings.TrimSuffix(filepath.Base(f), ".zip")
		m.Attachments = []*Attachment{{Filename: name, Data: zipBytes}}
		// The headers and PDFs the sender of the archive would add: one
		// PDF per CDA document, X-MSS-CODECDA from their type codes.
		m.INS = "N"
		for i, d := range want.Documents {
			if !isCDAMime(d.Entry.MimeType) {
				continue
			}
			if c := d.Entry.TypeCode.Code; c != "" && !slices.Contains(m.CodeCDA, c) {
				m.CodeCDA = append(m.CodeCDA, c)
			}
			m.Attachments = append(m.Attachments, &Attachment{Filename: fmt.Sprintf("20250101_CR_PAT-TROIS_DOMINIQUE_%d.pdf", i+1), Data: tPDF(500)})
		}
		raw, err := m.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		in, err := Read(bytes.NewReader(raw), nil)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		if in.XDM == nil || in.XDM.Archive == nil {
			t.Errorf("%s: archive not found: %v", filepath.Base(f), in.Warnings)
			continue
		}
		if in.XDM.PatientID != wantID || len(in.XDM.Documents) != len(want.Documents) {
			t.Errorf("%s: patient %q (want %q), %d documents (want %d)", filepath.Base(f), in.XDM.PatientID, wantID, len(in.XDM.Documents), len(want.Documents))
		}
		for i, d := range in.XDM.Documents {
			if d.Entry.UniqueID != want.Documents[i].Entry.UniqueID || (d.Path != "" && len(d.Content) == 0) {
				t.Errorf("%s: document %d", filepath.Base(f), i)
			}
		}
		// The archives' known defects are warnings; with the right headers
		// the message has no error but those of its CDA documents
		// (cda.Validate, replayed with TestINSKeyWarning).
		fs, err := Lint(bytes.NewReader(raw), &LintOptions{CDA: &cda.ValidateOptions{TestINSKeyWarning: true}})
		if err != nil {
			t.Fatal(err)
		}
		var rules []string
		for _, e := range fs.Errors() {
			if !slices.Contains(rules, e.Rule) {
				rules = append(rules, e.Rule)
			}
			if !strings.HasPrefix(e.Location, "IHE_XDM/") {
				t.Errorf("%s: a CDA error not located in the archive: %v", filepath.Base(f), e)
			}
		}
		if want := officialArchiveErrors[filepath.Base(f)]; !slices.Equal(rules, want) {
			t.Errorf("%s: lint errors %v, want %v: %v", filepath.Base(f), rules, want, fs.Errors())
		}
		// X-MSS-CODECDA names what the documents carry: another code is an
		// error both ways (ECO.2.4.1).
		if len(m.CodeCDA) > 0 {
			m.CodeCDA = []string{"99999-9"}
			raw, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			fs, _ := Lint(bytes.NewReader(raw), nil)
			if n := len(fs.ByRule("ECO.2.4.1").Errors()); n != 2 {
				t.Errorf("%s: X-MSS-CODECDA 99999-9: %d ECO.2.4.1 errors, want 2: %v", filepath.Base(f), n, fs.ByRule("ECO.2.4.1"))
			}
		}
	}
}

// officialArchiveErrors are the errors of the CDA documents of the official
// archives (cda.Validate with TestINSKeyWarning): the kit's (no setId,
// participant functionCodes outside JDV_J47) and wrong INS keys under the
// production OID (cda/examples_test.go).
var officialArchiveErrors = map[string][]string{
	"AVC-AUNV_2022.01.zip":   {"SMDS_CDAClinicalDocument"},
	"CANCER-PPS_2025.01.zip": {"CI-SISParticipant"},
	"CSE-CS24_2024.01.zip":   {"CDA-INS-KEY"},
	"CSE-CS8_2024.01.zip":    {"CDA-INS-KEY"},
	"CSE-CS9_2024.01.zip":    {"CDA-INS-KEY"},
	"CSE-MDE_2023.01.zip":    {"CDA-INS-KEY"},
}

func TestAttachDocumentsTwice(t *testing.T) {
	m := tMessage()
	doc := []*HealthDocument{{CDA: tCDA(t, tHeader(t, "DOC-1"), tPDF(100))}}
	if err := m.AttachDocuments(doc, tDocOptions()); err != nil {
		t.Fatal(err)
	}
	if err := m.AttachDocuments(doc, tDocOptions()); !errors.Is(err, ErrDocumentsAttached) {
		t.Errorf("second call: %v", err)
	}
}

// TestAttachDocumentsParsesOnce: each CDA is parsed exactly once, header and
// PDF body from the same read, and nothing reads the CDA again when the
// message is written (it once parsed it a second time for the PDF).
func TestAttachDocumentsParsesOnce(t *testing.T) {
	pdf1, pdf2 := tPDF(5000), tPDF(7000)
	docs := []*HealthDocument{
		{CDA: tCDA(t, tHeader(t, "DOC-1"), pdf1)},
		{CDA: tCDA(t, tHeader(t, "DOC-2"), pdf2)},
	}
	parses := 0
	countingParse := func(r io.Reader, opts *cda.ReadOptions) (*cda.Document, error) {
		parses++
		return cda.Parse(r, opts)
	}
	m := tMessage()
	if err := m.attachDocuments(docs, tDocOptions(), countingParse); err != nil {
		t.Fatal(err)
	}
	if parses != len(docs) {
		t.Fatalf("%d parses for %d documents", parses, len(docs))
	}
	// The PDFs are held, not re-read from the CDA: spoil the CDA bytes and
	// the message still carries the right PDFs.
	for _, d := range docs {
		clear(d.CDA)
	}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	in, err := Read(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	var pdfs [][]byte
	for _, a := range in.Attachments {
		if a.ContentType == "application/pdf" {
			pdfs = append(pdfs, a.Data)
		}
	}
	if len(pdfs) != 2 || !bytes.Equal(pdfs[0], pdf1) || !bytes.Equal(pdfs[1], pdf2) {
		t.Fatalf("%d PDFs in the message, or not the documents' ones", len(pdfs))
	}
}

// TestAttachDocumentsValidatesCDA: a CDA with an error-level finding of
// cda.Validate (here no setId, an error of the ANS kit) is refused unless
// the caller opts out.
func TestAttachDocumentsValidatesCDA(t *testing.T) {
	doc := tCDA(t, tHeader(t, "DOC-1"), tPDF(100))
	broken := bytes.Replace(doc, []byte(`<setId root="1.2.250.1.999.7.2" extension="SET-DOC-1"/>`), nil, 1)
	if bytes.Equal(broken, doc) {
		t.Fatal("setId not found")
	}
	m := tMessage()
	err := m.AttachDocuments([]*HealthDocument{{CDA: broken}}, tDocOptions())
	var he *cda.HeaderError
	if !errors.As(err, &he) || !errors.Is(err, cda.ErrInvalidHeader) || len(he.Findings) != 1 || he.Findings[0].Spec != "StrucMin d152e10-false-d1610e0/29" {
		t.Fatalf("CDA without setId: %v", err)
	}
	if len(m.Attachments) != 0 {
		t.Fatal("a refused call attached something")
	}
	opts := tDocOptions()
	opts.AcceptInvalidCDA = true
	if err := m.AttachDocuments([]*HealthDocument{{CDA: broken}}, opts); err != nil {
		t.Fatalf("AcceptInvalidCDA: %v", err)
	}
	// The validation options are the caller's: a test INS refused in production.
	opts = tDocOptions()
	opts.CDA = &cda.ValidateOptions{Environment: ins.Production}
	if err := tMessage().AttachDocuments([]*HealthDocument{{CDA: doc}}, opts); !errors.Is(err, cda.ErrInvalidHeader) {
		t.Fatalf("test INS in production: %v", err)
	}
}
