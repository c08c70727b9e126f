package mssante

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
)

// LintOptions configures Lint. The zero value applies the defaults.
type LintOptions struct {
	// MaxSize is the operator's size limit on the raw message;
	// DefaultMaxMessageSize when 0, no check when negative.
	MaxSize int64
	// Read configures the reader.
	Read ReadOptions
	// CDA configures cda.Validate on the CDA documents of the IHE_XDM
	// archive; nil means its defaults.
	CDA *cda.ValidateOptions
}

// Lint reads a message and checks it against the rules of the Référentiel
// socle MSSanté #2 that can be checked on the message itself (mssante.md):
// X-MSS-* headers, Message-ID, From label, UTF-8 text parts and ASCII
// headers, body structure, patient addresses, and for health documents the
// IHE_XDM archive, the PDF next to it, one patient, the INS, the subject and
// the PDF names; X-MSS-CODECDA against the codes of the CDA documents the
// archive carries (ECO.2.4.1), and each of those documents with
// cda.Validate, whose errors (the official rules of the ANS kit, the SDK's
// own) are the message's errors, located at the document's path in the
// archive. The findings carry the requirement id (ECO.x.y.z) in Rule when
// there is one, the CDA rule for a document's error. The reader's own
// warnings are included.
//
// The error is only for an unreadable message or a reader limit.
func Lint(r io.Reader, opts *LintOptions) (finding.List, error) {
	if opts == nil {
		opts = &LintOptions{}
	}
	in, err := Read(r, &opts.Read)
	if err != nil {
		return nil, err
	}
	return in.Lint(opts), nil
}

var (
	pdfNameRE = regexp.MustCompile(`^[0-9]{8}_[^_]+(_[^_]+){2,3}\.pdf$`)
)

// Lint checks a read message (see the package function Lint).
func (in *Incoming) Lint(opts *LintOptions) finding.List {
	if opts == nil {
		opts = &LintOptions{}
	}
	l := &linter{in: in, opts: opts}
	l.fs = append(l.fs, in.Warnings...)
	l.headers()
	l.body()
	l.recipients()
	l.size()
	l.documents()
	l.mdnProfile()
	sort.SliceStable(l.fs, func(i, j int) bool { return l.fs[i].Level > l.fs[j].Level })
	return l.fs
}

type linter struct {
	in   *Incoming
	opts *LintOptions
	fs   finding.List
}

func (l *linter) add(level finding.Level, rule, loc, format string, args ...any) {
	spec := "mssante.md"
	if strings.HasPrefix(rule, "ECO.") {
		spec = "Référentiel socle MSSanté #2 " + rule
	}
	l.fs.Add(level, rule, loc, spec, format, args...)
}

func (l *linter) headers() {
	in := l.in
	auto := in.Kind == KindDSN || in.SenderKind == SenderSystem
	if in.NIL == "" && !auto {
		l.add(finding.Error, "ECO.2.4.3", "X-MSS-NIL", "X-MSS-NIL (product reference) is missing; it is required on every message")
	}
	if in.Header.Has("Message-Id") && in.MessageID != "" {
		if _, err := in.Header.MessageID(); err != nil {
			l.add(finding.Warning, "ECO.2.2.1", "Message-ID", "Message-ID %q is not an RFC 5322 msg-id", truncate(in.Header.Get("Message-Id"), 80))
		}
	} else if !auto {
		l.add(finding.Error, "ECO.2.2.1", "Message-ID", "no Message-ID")
	}
	if in.From != nil && !auto {
		switch name := strings.TrimSpace(in.From.Name); {
		case name == "":
			l.add(finding.Error, "ECO.2.2.7", "From", "the sender has no label (display name) next to %s", in.From.Address)
		case strings.EqualFold(name, in.From.Address):
			l.add(finding.Warning, "ECO.2.2.7", "From", "the sender label repeats the address")
		}
	}
	fields := in.Header.Fields()
	for fields.Next() {
		if !isASCII(fields.Value()) {
			l.add(finding.Error, "ECO.2.2.3", fields.Key(), "header %s holds raw 8-bit characters; non-ASCII text must be RFC 2047 encoded", fields.Key())
		}
	}
	if in.MES != "" && in.MES != "FIN" {
		l.add(finding.Error, "ECO.2.2.8", "X-MSS-MES", "X-MSS-MES is %q; the only value is FIN (three capitals)", in.MES)
	}
	if (strings.HasPrefix(strings.ToUpper(in.Subject), "RE:") || strings.HasPrefix(strings.ToUpper(in.Subject), "RE :")) && len(in.InReplyTo) == 0 && !auto {
		l.add(finding.Warning, "ECO.2.2.2", "In-Reply-To", "the subject marks a reply but In-Reply-To is missing")
	}
}

func (l *linter) body() {
	in := l.in
	if len(in.Parts) == 0 {
		return
	}
	if in.Kind == KindMessage {
		root := in.Parts[0]
		bodyType := root.ContentType
		if root.ContentType == "multipart/mixed" && len(in.Parts) > 1 {
			bodyType = in.Parts[1].ContentType
		}
		switch bodyType {
		case "text/plain", "multipart/alternative":
		default:
			l.add(finding.Error, "ECO.2.2.4", "message", "the body is %s; it must be text/plain or multipart/alternative", bodyType)
		}
	}
	for _, p := range in.Parts {
		loc := partLocation(p.Part)
		if strings.HasPrefix(p.ContentType, "text/") && p.Disposition != "attachment" && p.Filename == "" {
			switch p.Charset {
			case "utf-8", "us-ascii", "":
			default:
				l.add(finding.Error, "ECO.2.2.3", loc, "text part in charset %s; text parts must be UTF-8", p.Charset)
			}
		}
		if p.Filename != "" {
			raw := p.RawDisposition + " " + p.RawContentType
			switch {
			case !isASCII(raw):
				l.add(finding.Error, "ECO.2.2.3", loc, "file name %q written with raw 8-bit characters; use RFC 2231", p.Filename)
			case !isASCII(p.Filename) && strings.Contains(raw, "=?"):
				l.add(finding.Warning, "ECO.2.2.3", loc, "file name %q written as RFC 2047 words; the volet asks for RFC 2231 (filename*=UTF-8''...)", p.Filename)
			}
		}
	}
}

func (l *linter) recipients() {
	in := l.in
	for _, list := range [][]*mail.Address{in.To, in.Cc} {
		for _, a := range list {
			if a == nil || !ins.IsPatientAddress(a.Address) {
				continue
			}
			if _, err := ins.ParseMSCAddress(a.Address); err != nil {
				if matriculeLike(a.Address) {
					l.add(finding.Error, "ECO.2.2.6", "To", "patient address %s is not built from a valid INS: %v", a.Address, err)
				} else {
					l.add(finding.Info, "ECO.2.2.6", "To", "patient-domain address %s is not an INS mailbox (a CNAM service mailbox?)", a.Address)
				}
			}
		}
	}
}

func (l *linter) size() {
	in := l.in
	max := l.opts.MaxSize
	if max == 0 {
		max = DefaultMaxMessageSize
	}
	if max > 0 && in.Size > max {
		l.add(finding.Error, "MSG-SIZE", "message", "message of %d bytes exceeds the %d bytes limit (per operator, mssante.md §8)", in.Size, max)
	}
	if in.Size > PatientMaxMessageSize && in.hasPatientRecipient() {
		l.add(finding.Error, "MSC-SIZE", "message", "message of %d bytes to a patient exceeds the Mon Espace Santé limit of %d bytes (25 Mo)", in.Size, PatientMaxMessageSize)
	}
}

// matriculeLike reports whether the local part of addr looks like an INS
// matricule (digits, with 2A/2B for Corsica), key and length aside: the
// usual mistakes (key dropped, wrong key) are then errors, while service
// mailboxes of the domain (reponse.automatique-test@...) are not.
func matriculeLike(addr string) bool {
	local := addr
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local = addr[:i]
	}
	if local == "" {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !(c >= '0' && c <= '9') && c != 'A' && c != 'B' && c != 'a' && c != 'b' && c != ' ' {
			return false
		}
	}
	return true
}

func (in *Incoming) hasPatientRecipient() bool {
	for _, list := range [][]*mail.Address{in.To, in.Cc} {
		for _, a := range list {
			if a != nil && ins.IsPatientAddress(a.Address) {
				return true
			}
		}
	}
	return false
}

func (l *linter) documents() {
	x := l.in.XDM
	if x == nil {
		l.noDocuments()
		return
	}
	loc := partLocation(x.Attachment.Part)
	if x.Attachment.Filename != XDMArchiveName && isXDMName(x.Attachment.Filename) {
		l.add(finding.Info, "ECO.2.1.1", loc, "archive named %q; %s is the usual spelling", x.Attachment.Filename, XDMArchiveName)
	}
	if x.Archive == nil {
		return // XDM-UNREADABLE already reported
	}
	// One patient, a valid INS (ECO.2.1.1, ECO.2.1.2).
	if len(x.Documents) > 0 && x.PatientID == "" {
		l.add(finding.Error, "ECO.2.1.1", loc, "the archive does not concern exactly one patient")
	} else if x.PatientID != "" && x.PatientINS.IsZero() {
		l.add(finding.Warning, "ECO.2.1.2", loc, "the archive patientId %q is not a valid INS", x.PatientID)
	}
	l.documentPDFs(x)
	l.documentsSubject()
	l.codeCDA(x)
	l.cdaDocuments(x)
	l.xmssINS(x)
	l.patientRecipients(x)
}

// noDocuments checks a message without IHE_XDM archive: no subject
// announcing documents, no X-MSS-CODECDA, no X-MSS-INS.
func (l *linter) noDocuments() {
	in := l.in
	if in.Kind == KindMessage && strings.Contains(strings.ToUpper(in.Subject), "XDM/1.0/DDM") && !in.answersAnother() {
		l.add(finding.Error, "ECO.2.1.1", "message", "the subject announces health documents but there is no IHE_XDM.ZIP attachment")
	}
	if len(in.CodeCDA) > 0 {
		l.add(finding.Error, "ECO.2.4.1", HeaderCodeCDA, "X-MSS-CODECDA is set but the message has no CDA in an IHE_XDM archive")
	}
	if in.INS != "" {
		l.add(finding.Error, "ECO.2.4.2", HeaderINS, "X-MSS-INS is set but the message has no CDA in an IHE_XDM archive")
	}
}

// documentPDFs checks the PDF next to the archive (ECO.2.1.1), their names
// (ECO.2.1.6) and their PDF/A-1 identification (ECO.2.1.5).
func (l *linter) documentPDFs(x *XDMContent) {
	var pdfs []*IncomingAttachment
	for _, a := range l.in.Attachments {
		if a.ContentType == "application/pdf" || strings.EqualFold(path.Ext(a.Filename), ".pdf") {
			pdfs = append(pdfs, a)
		}
	}
	if cdaDocs := x.cdaCount(); len(pdfs) < cdaDocs {
		l.add(finding.Error, "ECO.2.1.1", "message", "%d CDA document(s) in the archive but %d PDF attachment(s); each document must also be attached as PDF/A-1", cdaDocs, len(pdfs))
	}
	for _, a := range pdfs {
		ploc := partLocation(a.Part)
		if !pdfNameRE.MatchString(a.Filename) {
			l.add(finding.Warning, "ECO.2.1.6", ploc, "PDF name %q does not follow <date de l'acte>_<type document>_<NOM>_<prénom>[_<numéro de dossier>].pdf", a.Filename)
		}
		if !isPDFA1(a.Data) {
			l.add(finding.Warning, "ECO.2.1.5", ploc, "PDF %q has no PDF/A-1 identification (pdfaid:part 1)", a.Filename)
		}
		if a.ContentType != "application/pdf" {
			l.add(finding.Warning, "MSG-CONTENT-TYPE", ploc, "PDF %q sent as %s", a.Filename, a.ContentType)
		}
	}
}

// documentsSubject checks the XDM/1.0/DDM+ subject (ECO.2.1.3).
func (l *linter) documentsSubject() {
	subj := l.in.Subject
	if i := indexFold(subj, XDMSubjectPrefix); i < 0 {
		l.add(finding.Error, "ECO.2.1.3", "Subject", "the subject of a message with health documents must start with %s", XDMSubjectPrefix)
	} else if i > 0 && !strings.HasPrefix(subj, "[KO") && !strings.HasPrefix(strings.ToUpper(subj), "RE") && !strings.HasPrefix(strings.ToUpper(subj), "TR") {
		l.add(finding.Warning, "ECO.2.1.3", "Subject", "the subject does not start with %s", XDMSubjectPrefix)
	}
}

// codeCDA checks X-MSS-CODECDA against the codes of the archive's CDA
// documents (ECO.2.4.1: receivers route on it): each code of the header is
// the ClinicalDocument/code of a document, and each document's code is in
// the header. The code is read from the document itself (its metadata
// typeCode when the document cannot be read).
func (l *linter) codeCDA(x *XDMContent) {
	in := l.in
	want := map[string]bool{}
	var order []string
	for _, d := range x.Documents {
		if !isCDAMime(d.MimeType) {
			continue
		}
		code := d.TypeCode
		if d.Content != nil {
			if h, err := cda.ReadHeader(bytes.NewReader(d.Content)); err == nil && h.Code.Code != "" {
				code = strings.TrimSpace(h.Code.Code)
			}
		}
		if code != "" && !want[code] {
			want[code] = true
			order = append(order, code)
		}
	}
	if len(in.CodeCDA) == 0 {
		if len(want) > 0 {
			l.add(finding.Error, "ECO.2.4.1", HeaderCodeCDA, "X-MSS-CODECDA is missing; it carries the code of each CDA document (%s)", strings.Join(order, ", "))
		}
		return
	}
	got := map[string]bool{}
	for _, c := range in.CodeCDA {
		got[c] = true
		if !want[c] {
			l.add(finding.Error, "ECO.2.4.1", HeaderCodeCDA, "X-MSS-CODECDA names the code %s, which no CDA document of the archive has", c)
		}
	}
	for _, c := range order {
		if !got[c] {
			l.add(finding.Error, "ECO.2.4.1", HeaderCodeCDA, "X-MSS-CODECDA lacks the code %s of a CDA document of the archive", c)
		}
	}
}

// cdaDocuments checks each CDA document of the archive with cda.Validate:
// its errors are the message's, located at "<path in the archive>:<XPath>".
// Its warnings are not repeated (mss cda validate prints them).
func (l *linter) cdaDocuments(x *XDMContent) {
	for _, d := range x.Documents {
		if d.Content == nil || !isCDAMime(d.MimeType) {
			continue
		}
		fs, err := cda.Validate(bytes.NewReader(d.Content), l.opts.CDA)
		if err != nil {
			l.fs.Add(finding.Error, "CDA-READ", d.Path, "cda.md", "CDA document %s cannot be read: %v", d.Path, err)
			continue
		}
		for _, f := range fs.Errors() {
			l.fs = append(l.fs, finding.Finding{Level: finding.Error, Rule: f.Rule, Location: d.Path + ":" + f.Location,
				Message: "CDA document " + d.Path + ": " + f.Message, Spec: f.Spec})
		}
	}
}

// xmssINS checks X-MSS-INS (ECO.2.4.2).
func (l *linter) xmssINS(x *XDMContent) {
	switch l.in.INS {
	case "":
		l.add(finding.Error, "ECO.2.4.2", HeaderINS, "X-MSS-INS is missing; it must be O or N with a CDA document")
	case "O":
		if x.PatientINS.IsZero() {
			l.add(finding.Warning, "ECO.2.4.2", HeaderINS, "X-MSS-INS is O but the archive carries no valid INS")
		}
	case "N":
	default:
		l.add(finding.Error, "ECO.2.4.2", HeaderINS, "X-MSS-INS is %q; it must be O or N", l.in.INS)
	}
}

// patientRecipients checks that a patient recipient is the archive's
// patient (msc.md §14.5).
func (l *linter) patientRecipients(x *XDMContent) {
	if x.PatientINS.IsZero() {
		return
	}
	for _, list := range [][]*mail.Address{l.in.To, l.in.Cc} {
		for _, a := range list {
			if a == nil || !ins.IsPatientAddress(a.Address) {
				continue
			}
			if m, err := ins.ParseMSCAddress(a.Address); err == nil && m != x.PatientINS.Matricule {
				l.add(finding.Error, "MSC-PATIENT", "To", "patient recipient %s is not the patient of the documents", a.Address)
			}
		}
	}
}

// mdnProfile checks the French MDN profile (volet PFI struct-msg-mdn.md):
// multipart/report with text/plain, message/disposition-notification and
// the whole original as message/rfc822, in that order.
func (l *linter) mdnProfile() {
	in := l.in
	if in.Kind != KindMDN {
		return
	}
	var kids []string
	for _, p := range in.Parts {
		if p.Part != "" && !strings.Contains(p.Part, ".") {
			kids = append(kids, p.ContentType)
		}
	}
	const spec = "volet PFI v1.1.3 struct-msg-mdn"
	want := []string{"text/plain", "message/disposition-notification", "message/rfc822"}
	for i, w := range want {
		if i >= len(kids) {
			if w == "message/rfc822" {
				l.fs.Add(finding.Warning, "MDN-FR-ORIGINAL", "message", spec, "the MDN does not return the original message (message/rfc822 required by the French profile)")
			} else {
				l.fs.Add(finding.Warning, "MDN-FR-PARTS", "message", spec, "the MDN lacks its %s part", w)
			}
			continue
		}
		if kids[i] != w {
			l.fs.Add(finding.Warning, "MDN-FR-PARTS", partLocation(fmt.Sprint(i+1)), spec, "part %d is %s, the French profile expects %s", i+1, kids[i], w)
		}
	}
}

// answersAnother reports whether the message answers one carrying health
// documents (an integration report, a reply, a forward with the original
// attached), whose subject may keep the XDM prefix without an archive.
func (in *Incoming) answersAnother() bool {
	if strings.HasPrefix(in.Subject, MDNErrorSubjectPrefix) || len(in.InReplyTo) > 0 {
		return true
	}
	for _, a := range in.Attachments {
		if a.ContentType == "message/rfc822" {
			return true
		}
	}
	return false
}

func (x *XDMContent) cdaCount() int {
	n := 0
	for _, d := range x.Documents {
		if isCDAMime(d.MimeType) {
			n++
		}
	}
	return n
}

func isCDAMime(mt string) bool {
	switch strings.ToLower(mt) {
	case "text/xml", "application/xml", "application/xslt+xml", "application/hl7-cda+xml":
		return true
	}
	return false
}

// isPDFA1 looks for the XMP PDF/A identification of part 1.
func isPDFA1(b []byte) bool {
	for _, pat := range [][]byte{[]byte("pdfaid:part>1<"), []byte(`pdfaid:part="1"`), []byte("pdfaid:part='1'")} {
		if bytes.Contains(b, pat) {
			return true
		}
	}
	return false
}

// Lint writes the message and checks it like the package function Lint,
// adding what needs the sender configuration: an applicative (APP) mailbox
// should give a Reply-To where people can answer (ECO.2.2.5; the text of the
// rule is UNCONFIRMED, so the finding is informational). A message that
// cannot be written gives the writer's error.
func (m *Message) Lint(opts *LintOptions) (finding.List, error) {
	raw, err := m.Bytes()
	if err != nil {
		return nil, err
	}
	fs, err := Lint(bytes.NewReader(raw), opts)
	if err != nil {
		return nil, err
	}
	if m.From.Type == MailboxAPP && len(m.ReplyTo) == 0 {
		fs.Add(finding.Info, "ECO.2.2.5", "Reply-To", "Référentiel socle MSSanté #2 ECO.2.2.5", "an applicative mailbox sends without Reply-To: answers go to the APP mailbox")
	}
	return fs, nil
}
