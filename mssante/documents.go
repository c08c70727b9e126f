package mssante

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante/xdm"
)

// XDM message conventions (mssante.md §7, xdm.md §3).
const (
	// XDMArchiveName is the name of the archive attachment we write; readers
	// match it case-insensitively (ANS examples also use IHE_XDM.zip).
	XDMArchiveName = "IHE_XDM.ZIP"
	// XDMSubjectPrefix starts the subject of a message carrying health
	// documents (ECO.2.1.3); receivers hide it (ECO.3.1.3).
	XDMSubjectPrefix = "XDM/1.0/DDM+"
	// sourceIDArc is the OID arc of the structures' national ids
	// (1.2.250.1.71.4.2.2.<idNat_Struct>), the default submission-set sourceId.
	sourceIDArc = "1.2.250.1.71.4.2.2."
)

// ErrNoPDF: a structured CDA document has no PDF rendering, and
// ECO.2.1.1 requires the PDF next to the XDM archive.
var ErrNoPDF = fmt.Errorf("%w: a PDF rendering is required next to the XDM archive (ECO.2.1.1)", ErrNoDocument)

// ErrDocumentsAttached: the message already carries an IHE_XDM archive;
// attach every document of the patient in one AttachDocuments call.
var ErrDocumentsAttached = errors.New("mssante: the message already has an " + XDMArchiveName + " archive")

// HealthDocument is a CDA R2 document to send, with its PDF rendering.
type HealthDocument struct {
	// CDA is the document (level 1 or structured).
	CDA []byte
	// PDF is the PDF/A-1 rendering of the document (ECO.2.1.5). For a level
	// 1 document with a PDF body it may be nil: the embedded PDF is decoded
	// from the same read as the header and attached.
	PDF []byte
	// FileNumber is the optional numéro de dossier that ends the PDF name.
	FileNumber string
	// TypeLabel is the "type document" part of the PDF name and the label of
	// the subject; default: the display name of the CDA code, else the title.
	TypeLabel string
	// PDFName replaces the generated PDF file name.
	PDFName string
}

// DocumentsOptions configures AttachDocuments. The zero value needs
// Sender (StructureName, StructureID, ApplicationName) for the archive's
// INDEX.HTM and README.TXT.
type DocumentsOptions struct {
	// Sender identifies the sending structure and application in the archive.
	Sender xdm.SenderInfo
	// SubmissionSet is the template of the submission set: SourceID defaults
	// to 1.2.250.1.71.4.2.2.<Sender.StructureID>, Author to the first author
	// of the first document, Title to the first document's title.
	SubmissionSet xdm.SubmissionSet
	// Subject replaces the generated "XDM/1.0/DDM+..." subject.
	Subject string
	// SubjectLabel replaces the label of the generated subject (default: the
	// TypeLabel of the first document).
	SubjectLabel string
	// OmitBirthDate leaves the optional birth date out of the subject.
	OmitBirthDate bool
	// XDM tunes the archive writer (UUIDs, clock, compression).
	XDM *xdm.WriteOptions
	// AcceptInvalidCDA attaches documents whose CDA has error-level
	// findings. By default AttachDocuments checks each CDA header with
	// cda.Validate (the official rules of the ANS kit and the SDK's own,
	// with the options CDA) and refuses a document with an error: the
	// receiver's system, the DMP or the ANS homologation would reject it.
	// Set it to forward a document from the field as it is, or one
	// validated elsewhere on purpose.
	AcceptInvalidCDA bool
	// CDA configures that validation; nil means cda.Validate's defaults
	// (HeaderOnly is always set: AttachDocuments decodes the PDF body
	// itself).
	CDA *cda.ValidateOptions
}

// patientOf identifies the patient of a CDA header for the one-patient rule.
type patientOf struct {
	ins    ins.INS
	traits ins.Traits
}

func (p patientOf) same(q patientOf) bool {
	if !p.ins.IsZero() && !q.ins.IsZero() {
		return p.ins.Matricule == q.ins.Matricule && p.ins.OID == q.ins.OID
	}
	return strings.EqualFold(p.traits.BirthName, q.traits.BirthName) &&
		strings.EqualFold(p.traits.FirstGiven(), q.traits.FirstGiven()) &&
		p.traits.BirthDate.Equal(q.traits.BirthDate)
}

// AttachDocuments attaches CDA documents of one patient to the message
// (ECO.2.1.1): an IHE_XDM.ZIP archive built with package mssante/xdm,
// followed by the PDF of each document named
// <date de l'acte>_<type document>_<NOM>_<prénom>[_<numéro de dossier>].pdf
// (ECO.2.1.6). It sets the subject "XDM/1.0/DDM+<libellé> <NOM> <prénom>
// <date de naissance>" unless the message or opts has one (ECO.2.1.3),
// X-MSS-CODECDA from the CDA codes (ECO.2.4.1) and X-MSS-INS from the
// patient identity (ECO.2.4.2).
//
// Each CDA is parsed once: its header gives the XDS metadata
// (xdm.EntryFromHeader) and the subject, and, when PDF is nil, the PDF body
// of a level 1 document is decoded from the same read and attached.
//
// It refuses documents for two patients (ErrTwoPatients), a structured
// document without PDF (ErrNoPDF), and, unless opts.AcceptInvalidCDA, a CDA
// whose header has an error-level finding of cda.Validate: a
// *cda.HeaderError listing them (errors.Is cda.ErrInvalidHeader). CDA and
// XDM errors are returned wrapped.
func (m *Message) AttachDocuments(docs []*HealthDocument, opts *DocumentsOptions) error {
	return m.attachDocuments(docs, opts, cda.Parse)
}

// attachDocuments is AttachDocuments with the CDA parser as a parameter, so
// that a test can count the parses.
func (m *Message) attachDocuments(docs []*HealthDocument, opts *DocumentsOptions, parse func(io.Reader, *cda.ReadOptions) (*cda.Document, error)) error {
	if len(docs) == 0 {
		return ErrNoDocument
	}
	for _, a := range m.Attachments {
		if isXDMName(a.Filename) {
			return ErrDocumentsAttached
		}
	}
	if opts == nil {
		opts = &DocumentsOptions{}
	}
	pkg := xdm.Package{SubmissionSet: opts.SubmissionSet, Sender: opts.Sender}
	var (
		pdfs    []*Attachment
		codes   []string
		insFlag = "O"
		first   *preparedDocument
	)
	for i, d := range docs {
		p, err := prepareDocument(d, parse, opts)
		if err != nil {
			return fmt.Errorf("mssante: document %d: %w", i+1, err)
		}
		if first == nil {
			first = p
		} else if !first.patient.same(p.patient) {
			return fmt.Errorf("%w: document %d", ErrTwoPatients, i+1)
		}
		pkg.Documents = append(pkg.Documents, &xdm.Document{Entry: p.entry, Content: d.CDA})
		pdfs = append(pdfs, p.pdf)
		if c := strings.TrimSpace(p.header.Code.Code); c != "" && !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
		if p.header.Patient.Identity.XMSSINS() != "O" {
			insFlag = "N"
		}
	}
	ss := &pkg.SubmissionSet
	if ss.SourceID == "" && opts.Sender.StructureID != "" {
		ss.SourceID = sourceIDArc + opts.Sender.StructureID
	}
	if ss.Author.IsZero() && len(first.entry.Authors) > 0 {
		ss.Author = first.entry.Authors[0]
	}
	if ss.Title == "" {
		ss.Title = first.header.Title
	}
	var zip bytes.Buffer
	zip.Grow(zipSizeHint(docs))
	if err := xdm.Write(&zip, &pkg, opts.XDM); err != nil {
		return fmt.Errorf("mssante: building %s: %w", XDMArchiveName, err)
	}
	m.Attachments = append(m.Attachments, &Attachment{Filename: XDMArchiveName, ContentType: "application/zip", Data: zip.Bytes()})
	m.Attachments = append(m.Attachments, pdfs...)
	m.CodeCDA = codes
	m.INS = insFlag
	switch {
	case opts.Subject != "":
		m.Subject = opts.Subject
	case m.Subject == "":
		label := opts.SubjectLabel
		if label == "" {
			label = first.label
		}
		m.Subject = XDMSubject(label, &first.header.Patient.Identity.Traits, !opts.OmitBirthDate)
	}
	return nil
}

// preparedDocument is one health document read once: its header, its XDS
// metadata, its patient and its PDF attachment.
type preparedDocument struct {
	header  *cda.Header
	entry   xdm.DocumentEntry
	patient patientOf
	label   string
	pdf     *Attachment
}

// prepareDocument parses the CDA of d once: the header gives the metadata,
// the label and the PDF name; when d.PDF is nil, the PDF body of a level 1
// document is decoded from the same read.
func prepareDocument(d *HealthDocument, parse func(io.Reader, *cda.ReadOptions) (*cda.Document, error), opts *DocumentsOptions) (*preparedDocument, error) {
	if d == nil || len(d.CDA) == 0 {
		return nil, fmt.Errorf("%w: empty document", ErrNoDocument)
	}
	cd, err := parse(bytes.NewReader(d.CDA), nil)
	if err != nil {
		return nil, err
	}
	if !opts.AcceptInvalidCDA {
		if err := validateCDA(d.CDA, opts.CDA); err != nil {
			return nil, err
		}
	}
	h := cd.Header()
	p := &preparedDocument{header: h, patient: patientOf{ins: h.Patient.Identity.INS, traits: h.Patient.Identity.Traits}}
	if p.entry, err = xdm.EntryFromHeader(h); err != nil {
		return nil, fmt.Errorf("CDA header to XDS metadata: %w", err)
	}
	p.pdf = &Attachment{ContentType: "application/pdf", Data: d.PDF}
	if d.PDF == nil {
		if !cd.IsLevel1() || cd.BodyMediaType() != cda.MediaTypePDF {
			return nil, ErrNoPDF
		}
		if p.pdf.Data, err = decodeBody(cd, len(d.CDA)); err != nil {
			return nil, fmt.Errorf("PDF body: %w", err)
		}
	}
	if p.label = d.TypeLabel; p.label == "" {
		p.label = documentLabel(h)
	}
	if p.pdf.Filename = d.PDFName; p.pdf.Filename == "" {
		p.pdf.Filename = PDFName(h, p.label, d.FileNumber)
	}
	return p, nil
}

// validateCDA checks the header of a CDA with cda.Validate and returns its
// error-level findings as a *cda.HeaderError.
func validateCDA(doc []byte, opts *cda.ValidateOptions) error {
	var o cda.ValidateOptions
	if opts != nil {
		o = *opts
	}
	o.HeaderOnly = true
	fs, err := cda.Validate(bytes.NewReader(doc), &o)
	if err != nil {
		return err
	}
	if fs.HasErrors() {
		return &cda.HeaderError{Findings: fs.Errors()}
	}
	return nil
}

// decodeBody decodes the body of a level 1 document, read on from where
// the header ended. A level 1 CDA of cdaSize bytes is mostly base64, which
// decodes to about 3/4 of it: the buffer is sized for that.
func decodeBody(cd *cda.Document, cdaSize int) ([]byte, error) {
	body, err := cd.Body()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(cdaSize * 3 / 4)
	if _, err := b.ReadFrom(body); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// zipSizeHint estimates the archive size so that it is built in one
// allocation: a level 1 CDA is mostly base64, which deflate brings to about
// 3/4 of its size even when the PDF inside is already compressed; INDEX.HTM,
// README.TXT and METADATA.XML take a few kilobytes.
func zipSizeHint(docs []*HealthDocument) int {
	n := 64 << 10
	for _, d := range docs {
		n += len(d.CDA)*4/5 + 4<<10
	}
	return n
}

// XDMSubject returns "XDM/1.0/DDM+<label> <NOM> <prénom> [<dd/mm/yyyy>]"
// (ECO.2.1.3) for a patient's traits: birth name in upper case, first given
// name, birth date when withBirthDate and known.
func XDMSubject(label string, t *ins.Traits, withBirthDate bool) string {
	if t == nil {
		t = &ins.Traits{}
	}
	parts := []string{strings.TrimSpace(label)}
	if n := patientName(t); n != "" {
		parts = append(parts, strings.ToUpper(n))
	}
	if g := t.FirstGiven(); g != "" {
		parts = append(parts, g)
	}
	if withBirthDate && !t.BirthDate.IsZero() {
		parts = append(parts, t.BirthDate.Format("02/01/2006"))
	}
	return XDMSubjectPrefix + strings.Join(nonEmpty(parts), " ")
}

// PDFName returns the PDF file name of a document (ECO.2.1.6):
// <date de l'acte>_<type document>_<NOM>_<prénom>[_<numéro de dossier>].pdf,
// the date being the service event start (else the document time) as
// YYYYMMDD. Characters that file systems refuse (/ \ : * ? " < > |) become
// "-"; spaces and accents are kept, as in the ANS example
// "20220531_CR d'imagerie médicale_CORSE_FIGATELLIX.pdf".
func PDFName(h *cda.Header, typeLabel, fileNumber string) string {
	if h == nil {
		h = &cda.Header{}
	}
	t := h.ServiceEvent.Start
	if t.IsZero() {
		t = h.EffectiveTime
	}
	var date string
	if !t.IsZero() {
		date = t.Format("20060102")
	}
	tr := &h.Patient.Identity.Traits
	parts := nonEmpty([]string{date, typeLabel, strings.ToUpper(patientName(tr)), tr.FirstGiven(), fileNumber})
	for i, p := range parts {
		parts[i] = safeFileChars(p)
	}
	return strings.Join(parts, "_") + ".pdf"
}

// documentLabel is the type label of a document: the display name of its
// code, else its title.
func documentLabel(h *cda.Header) string {
	if l := strings.TrimSpace(h.Code.DisplayName); l != "" {
		return l
	}
	if l := strings.TrimSpace(h.Title); l != "" {
		return l
	}
	return "Document"
}

func patientName(t *ins.Traits) string {
	if t.BirthName != "" {
		return t.BirthName
	}
	return t.UsedName
}

func safeFileChars(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return -1
		case strings.ContainsRune(`/\:*?"<>|`, r):
			return '-'
		}
		return r
	}, strings.TrimSpace(s))
}

func nonEmpty(l []string) []string {
	out := l[:0]
	for _, s := range l {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
