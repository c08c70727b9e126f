package mssante

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/mssante/xdm"
)

// SenderKind tells who sent a message.
type SenderKind string

const (
	// SenderProfessional: a professional, organisational or applicative BAL.
	SenderProfessional SenderKind = "professional"
	// SenderPatient: a patient's Mon Espace Santé mailbox.
	SenderPatient SenderKind = "patient"
	// SenderSystem: a mail system (MAILER-DAEMON, postmaster) or an empty
	// sender: a bounce or notification.
	SenderSystem SenderKind = "system"
)

// MessageKind tells a regular message from a report.
type MessageKind string

const (
	KindMessage MessageKind = "message"
	KindDSN     MessageKind = "dsn" // delivery status notification: use ParseReport
	KindMDN     MessageKind = "mdn" // disposition notification: use ParseReport
)

// Incoming is a message read by Read.
type Incoming struct {
	// Header is the top-level header, for fields the struct does not map
	// (X-MSS-MES, Received...).
	Header mail.Header `json:"-"`

	Kind       MessageKind   `json:"kind"`
	From       *mail.Address `json:"from,omitempty"`
	SenderKind SenderKind    `json:"sender_kind"`
	// SenderINS is the matricule of a patient sender (local part of a valid
	// <INS>@patient.mssante.fr address, key checked).
	SenderINS ins.Matricule   `json:"sender_ins,omitempty"`
	To        []*mail.Address `json:"to,omitempty"`
	Cc        []*mail.Address `json:"cc,omitempty"`
	ReplyTo   []*mail.Address `json:"reply_to,omitempty"`

	Subject string `json:"subject"`
	// DisplaySubject is Subject without the XDM/1.0/DDM+ prefix (ECO.3.1.3).
	DisplaySubject string `json:"display_subject"`
	// MessageID, InReplyTo and References are normalised
	// (NormalizeMessageID, MessageIDs): no angle brackets, no white space.
	MessageID  string    `json:"message_id,omitempty"`
	InReplyTo  []string  `json:"in_reply_to,omitempty"`
	References []string  `json:"references,omitempty"`
	Date       time.Time `json:"date,omitzero"`

	// Text and HTML are the body, decoded to UTF-8.
	Text string `json:"text,omitempty"`
	HTML string `json:"html,omitempty"`
	// MoreTexts are the inline text/plain and text/html parts that follow
	// the first of their type (several texts in a multipart/mixed, text
	// after a report...), decoded to UTF-8, cut like Text, without a
	// Filename.
	MoreTexts []*IncomingAttachment `json:"more_texts,omitempty"`

	Attachments []*IncomingAttachment `json:"attachments,omitempty"`
	// Parts describes every MIME entity, in order.
	Parts []PartInfo `json:"parts"`

	// X-MSS-* values. CodeCDA is split on commas and semicolons.
	NIL     string   `json:"nil,omitempty"`
	CodeCDA []string `json:"code_cda,omitempty"`
	INS     string   `json:"ins,omitempty"`
	MES     string   `json:"mes,omitempty"`

	// MDNRequestedTo is the Disposition-Notification-To address, if any.
	MDNRequestedTo string `json:"mdn_requested_to,omitempty"`

	// XDM is the health-document content, nil when the message has no
	// IHE_XDM archive.
	XDM *XDMContent `json:"xdm,omitempty"`

	// Size is the raw size of the message in bytes.
	Size int64 `json:"size"`

	// Warnings lists what the reader had to tolerate, with the archive
	// findings of XDM.
	Warnings finding.List `json:"warnings"`
}

// PartInfo describes one MIME entity of a read message.
type PartInfo struct {
	Part        string `json:"part"` // "" for the root, then "1", "1.2"...
	ContentType string `json:"content_type"`
	Charset     string `json:"charset,omitempty"`
	Encoding    string `json:"encoding,omitempty"` // Content-Transfer-Encoding, lower case
	Disposition string `json:"disposition,omitempty"`
	Filename    string `json:"filename,omitempty"`
	// RawDisposition and RawContentType are the header values as written,
	// for the checks of the file-name encoding (RFC 2231).
	RawDisposition string `json:"-"`
	RawContentType string `json:"-"`
}

// IncomingAttachment is an attachment of a read message.
type IncomingAttachment struct {
	// Filename is safe to use as a file name and to display: SafeFilename
	// of the name the sender gave. When they differ, RawFilename keeps the
	// sender's name (decoded from RFC 2231/2047, possibly with path
	// elements, control characters or bytes that are not UTF-8) and Read
	// adds a MSG-FILENAME-UNSAFE warning.
	Filename    string `json:"filename"`
	RawFilename string `json:"raw_filename,omitempty"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	Part        string `json:"part"` // MIME part number, e.g. "2" or "1.3"
	Data        []byte `json:"-"`
}

// XDMContent is the IHE_XDM archive of a message, opened and verified.
type XDMContent struct {
	// Attachment is the archive attachment.
	Attachment *IncomingAttachment `json:"attachment"`
	// Archive is the archive as package mssante/xdm reads it; nil when it
	// could not be read (see Err).
	Archive *xdm.Archive `json:"-"`
	// Err is the error that prevented reading the archive.
	Err error `json:"-"`
	// Findings are the archive findings (reading and Verify).
	Findings finding.List `json:"findings"`
	// Documents are the documents the archive describes, with their bytes.
	Documents []*IncomingDocument `json:"documents,omitempty"`
	// PatientID is the CX of the archive's single patient; PatientINS its
	// INS when valid (ECO.2.1.2).
	PatientID  string  `json:"patient_id,omitempty"`
	PatientINS ins.INS `json:"patient_ins,omitzero"`
	// Patient is the identity in the recordTarget of the first CDA
	// document (INS, birth and used names, birth date, sex), for the display
	// that ECO.3.1.2 asks for; nil when no CDA header could be read.
	Patient *ins.Identity `json:"patient,omitempty"`
	// BySubject is set when the archive was found through the XDM subject
	// prefix rather than its name.
	BySubject bool `json:"by_subject,omitempty"`
}

// IncomingDocument is one document of the XDM archive.
type IncomingDocument struct {
	Entry     xdm.DocumentEntry `json:"-"`
	Title     string            `json:"title,omitempty"`
	TypeCode  string            `json:"type_code,omitempty"`
	MimeType  string            `json:"mime_type,omitempty"`
	Path      string            `json:"path,omitempty"`
	Integrity string            `json:"integrity"`
	Content   []byte            `json:"-"`
}

// ReadOptions configures the readers of the package (Read, ParseReport,
// Lint). The zero value (or nil) applies the defaults.
type ReadOptions struct {
	Limits ReadLimits
	// XDM sets the limits of the archive reader (Read).
	XDM *xdm.ReadOptions
	// SkipXDM leaves Incoming.XDM nil: the archive stays a plain attachment.
	SkipXDM bool
}

func (o *ReadOptions) limits() ReadLimits {
	if o == nil {
		return ReadLimits{}.withDefaults()
	}
	return o.Limits.withDefaults()
}

// maxBodyText bounds the text and HTML bodies kept by Read.
const maxBodyText = 8 << 20

// Read reads any incoming message: from a professional, an application or
// a patient, a report or a regular message. It is tolerant: odd charsets,
// missing parts, wrong content types and malformed headers give warnings,
// not errors. The errors are an unreadable header block (ErrMalformed) and
// the limits (*limit.Error).
//
// When the message carries an IHE_XDM archive (attachment name, any case,
// or a zip attachment with an XDM/1.0/DDM subject), Read opens it with
// package mssante/xdm, verifies sizes and hashes, and returns the documents
// and the patient INS in Incoming.XDM.
func Read(r io.Reader, opts *ReadOptions) (*Incoming, error) {
	if opts == nil {
		opts = &ReadOptions{}
	}
	in := &Incoming{Kind: KindMessage}
	limits := opts.limits()
	w := &walker{limits: limits, budget: limits.budget(), warn: &in.Warnings}
	err := w.walkMessage(r, func(p *mimePart) error {
		if p.Path == "" {
			in.readHeader(p)
		}
		disp, name := p.dispositionAndFilename()
		in.Parts = append(in.Parts, PartInfo{
			Part: p.Path, ContentType: p.MediaType, Charset: strings.ToLower(p.Params["charset"]),
			Encoding:    strings.ToLower(strings.TrimSpace(p.Entity.Header.Get("Content-Transfer-Encoding"))),
			Disposition: disp, Filename: name,
			RawDisposition: p.Entity.Header.Get("Content-Disposition"), RawContentType: p.Entity.Header.Get("Content-Type"),
		})
		return in.readPart(p, disp, name)
	})
	in.Size = w.size
	if err != nil {
		return nil, err
	}
	if in.Text == "" && in.HTML == "" && len(in.Attachments) == 0 {
		in.Warnings.Add(finding.Info, "MSG-EMPTY", "message", "", "the message has no body and no attachment")
	}
	if !opts.SkipXDM {
		if err := in.findXDM(opts.XDM, w.budget); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func (in *Incoming) readHeader(p *mimePart) {
	h := mail.Header{Header: p.Entity.Header}
	in.Header = h
	if l, err := h.AddressList("From"); err == nil && len(l) > 0 {
		in.From = l[0]
	} else if v := h.Get("From"); v != "" {
		in.From = &mail.Address{Address: firstAddress(h, "From")}
		in.Warnings.Add(finding.Warning, "HDR-FROM", "From", "RFC 5322 §3.6.2", "unparsable From %q", truncate(v, 80))
	} else {
		in.Warnings.Add(finding.Warning, "HDR-FROM", "From", "RFC 5322 §3.6.2", "no From field")
	}
	in.SenderKind, in.SenderINS = classifySender(in.From)
	in.To = addressList(in, h, "To")
	in.Cc = addressList(in, h, "Cc")
	in.ReplyTo = addressList(in, h, "Reply-To")
	subj, err := h.Subject()
	if err != nil {
		in.Warnings.Add(finding.Warning, "HDR-SUBJECT", "Subject", "RFC 2047", "subject not fully decoded: %v", err)
	}
	in.Subject = subj
	in.DisplaySubject = DisplaySubject(subj)
	in.MessageID = headerMessageID(p.Entity.Header)
	if in.MessageID == "" {
		in.Warnings.Add(finding.Warning, "HDR-MESSAGE-ID", "Message-ID", "ECO.2.2.1", "no Message-ID")
	}
	in.InReplyTo = MessageIDs(h.Get("In-Reply-To"))
	in.References = MessageIDs(h.Get("References"))
	if d, err := h.Date(); err == nil {
		in.Date = d
	} else if h.Has("Date") {
		in.Warnings.Add(finding.Warning, "HDR-DATE", "Date", "RFC 5322 §3.3", "unparsable Date %q", truncate(h.Get("Date"), 60))
	}
	in.NIL = strings.TrimSpace(h.Get(HeaderNIL))
	in.CodeCDA = splitCodes(h.Get(HeaderCodeCDA))
	in.INS = strings.TrimSpace(h.Get(HeaderINS))
	in.MES = strings.TrimSpace(h.Get(HeaderMES))
	if to, ok, _ := MDNRequest(h); ok {
		in.MDNRequestedTo = to
	}
	if p.MediaType == "multipart/report" {
		switch strings.ToLower(p.Params["report-type"]) {
		case "delivery-status", "global-delivery-status":
			in.Kind = KindDSN
		case "disposition-notification", "global-disposition-notification":
			in.Kind = KindMDN
		}
	}
	if in.SenderKind == "" {
		in.SenderKind = SenderProfessional
	}
	if in.Kind != KindMessage && in.SenderKind == SenderProfessional && in.From != nil && isSystemAddress(in.From.Address) {
		in.SenderKind = SenderSystem
	}
}

func addressList(in *Incoming, h mail.Header, key string) []*mail.Address {
	if !h.Has(key) {
		return nil
	}
	l, err := h.AddressList(key)
	if err != nil {
		in.Warnings.Add(finding.Warning, "HDR-ADDRESS", key, "RFC 5322 §3.4", "unparsable %s: %v", key, err)
	}
	return l
}

// classifySender tells a patient sender from the others. ECO.3.1.1 asks not
// to rely on the domain name alone: a patient sender is in the
// patient.mssante.fr domain AND its local part is a valid INS matricule (key
// checked).
func classifySender(from *mail.Address) (SenderKind, ins.Matricule) {
	if from == nil || from.Address == "" {
		return SenderSystem, ""
	}
	if isSystemAddress(from.Address) {
		return SenderSystem, ""
	}
	if ins.IsPatientAddress(from.Address) {
		if m, err := ins.ParseMSCAddress(from.Address); err == nil {
			return SenderPatient, m
		}
	}
	return SenderProfessional, ""
}

// DisplaySubject returns the subject without the XDM/1.0/DDM+ prefix
// (ECO.3.1.3), wherever it stands ("RE: XDM/1.0/DDM+CR ..." gives "RE: CR
// ..."); the prefix is matched case-insensitively.
func DisplaySubject(s string) string {
	i := indexFold(s, XDMSubjectPrefix)
	if i < 0 {
		return s
	}
	return s[:i] + strings.TrimLeft(s[i+len(XDMSubjectPrefix):], " ")
}

func splitCodes(v string) []string {
	out := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' })
	if len(out) == 0 {
		return nil
	}
	return out
}

// readPart keeps the body of a leaf entity whose lower-case disposition and
// file name are disp and name.
func (in *Incoming) readPart(p *mimePart, disp, name string) error {
	if strings.HasPrefix(p.MediaType, "multipart/") {
		return nil
	}
	isText := p.MediaType == "text/plain" || p.MediaType == "text/html"
	if isText && name == "" && disp != "attachment" {
		target := &in.Text
		if p.MediaType == "text/html" {
			target = &in.HTML
		}
		b, truncated, err := readBody(p, maxBodyText)
		if isLimit(err) {
			return err
		}
		if err != nil {
			in.Warnings.Add(finding.Warning, "MIME-ENCODING", partLocation(p.Path), "RFC 2045 §6", "%v", err)
		}
		if truncated {
			in.Warnings.Add(finding.Warning, "MSG-TEXT-TRUNCATED", partLocation(p.Path), "", "text body cut at %d bytes", maxBodyText)
		}
		if *target != "" { // an alternative already read, or a second inline text
			in.MoreTexts = append(in.MoreTexts, &IncomingAttachment{ContentType: p.MediaType, Size: len(b), Part: p.Path, Data: b})
			return nil
		}
		*target = string(b)
		return nil
	}
	if p.Path == "" && !isText && name == "" {
		in.Warnings.Add(finding.Warning, "MSG-BODY-TYPE", "message", "ECO.2.2.4", "single-part body of type %s", p.MediaType)
	}
	b, _, err := readBody(p, -1)
	if isLimit(err) {
		return err
	}
	if err != nil {
		in.Warnings.Add(finding.Warning, "MIME-ENCODING", partLocation(p.Path), "RFC 2045 §6", "%v", err)
	}
	if name == "" && !strings.HasPrefix(p.MediaType, "message/") && p.MediaType != "text/rfc822-headers" {
		in.Warnings.Add(finding.Info, "MSG-ATTACHMENT-NAME", partLocation(p.Path), "", "attachment of type %s without a file name", p.MediaType)
	}
	att := &IncomingAttachment{Filename: SafeFilename(name), ContentType: p.MediaType, Size: len(b), Part: p.Path, Data: b}
	if att.Filename != name {
		att.RawFilename = name
		in.Warnings.Add(finding.Warning, "MSG-FILENAME-UNSAFE", partLocation(p.Path), "RFC 2183 §2.3",
			"attachment name %q is not a safe file name; given as %q", name, att.Filename)
	}
	in.Attachments = append(in.Attachments, att)
	return nil
}

// isXDMName reports whether a file name is the XDM archive name (any case).
func isXDMName(name string) bool { return strings.EqualFold(path.Base(name), XDMArchiveName) }

// findXDM opens and verifies the archive of the message, if any, within
// the message budget; running out of that budget is the only error.
func (in *Incoming) findXDM(opts *xdm.ReadOptions, budget *limit.Budget) error {
	var att *IncomingAttachment
	bySubject := false
	for _, a := range in.Attachments {
		if isXDMName(a.Filename) {
			att = a
			break
		}
	}
	if att == nil && strings.Contains(strings.ToUpper(in.Subject), "XDM/1.0/DDM") {
		for _, a := range in.Attachments {
			if strings.EqualFold(path.Ext(a.Filename), ".zip") || a.ContentType == "application/zip" || a.ContentType == "application/x-zip-compressed" {
				att, bySubject = a, true
				break
			}
		}
	}
	if att == nil {
		return nil
	}
	x := &XDMContent{Attachment: att, BySubject: bySubject}
	in.XDM = x
	loc := partLocation(att.Part)
	if bySubject {
		in.Warnings.Add(finding.Warning, "XDM-NAME", loc, "ECO.2.1.1", "XDM archive found by the subject; its name is %q, not %s", att.Filename, XDMArchiveName)
	}
	if att.ContentType != "application/zip" {
		in.Warnings.Add(finding.Warning, "XDM-CONTENT-TYPE", loc, "xdm.md §3", "archive sent as %s, not application/zip", att.ContentType)
	}
	var xo xdm.ReadOptions
	if opts != nil {
		xo = *opts
	}
	xo.Within, xo.KeepContent = budget, true // each entry inflated once, for Verify and the content
	a, err := xdm.Read(bytes.NewReader(att.Data), int64(len(att.Data)), &xo)
	if isMessageBudget(err) {
		return err
	}
	if err != nil {
		x.Err = err
		in.Warnings.Add(finding.Error, "XDM-UNREADABLE", loc, "ECO.2.1.1", "archive %q unreadable: %v", att.Filename, err)
		return nil
	}
	x.Archive = a
	x.Findings = a.Verify() // the reading findings plus the integrity checks
	if err := a.Exceeded(); isMessageBudget(err) {
		return err
	}
	for _, f := range x.Findings {
		f.Location = strings.TrimSpace(att.Filename + " " + f.Location)
		in.Warnings = append(in.Warnings, f)
	}
	x.PatientID, _ = a.PatientID()
	x.PatientINS, _ = a.PatientINS()
	for _, d := range a.Documents {
		rd := &IncomingDocument{
			Entry: d.Entry, Title: d.Entry.Title, TypeCode: d.Entry.TypeCode.Code,
			MimeType: d.Entry.MimeType, Path: d.Path, Integrity: d.Integrity.Status(),
		}
		if d.Path != "" && d.Integrity.Checked {
			b, err := d.Content() // kept by Verify, shared by the listings of one entry
			if isMessageBudget(err) {
				return err
			}
			if err == nil {
				rd.Content = b
			} else {
				in.Warnings.Add(finding.Error, "XDM-DOCUMENT", loc, "ITI-32 §3.32.4.1.2", "document %s unreadable: %v", d.Entry.URI, err)
			}
		}
		x.Documents = append(x.Documents, rd)
		if x.Patient == nil && rd.Content != nil && isCDAMime(rd.MimeType) {
			if h, err := cda.ReadHeader(bytes.NewReader(rd.Content)); err == nil {
				id := h.Patient.Identity
				x.Patient = &id
			}
		}
	}
	return nil
}

// isMessageBudget reports whether err is the message budget running out.
func isMessageBudget(err error) bool {
	le, ok := errors.AsType[*limit.Error](err)
	return ok && le.Limit == limit.MessageBudget
}

// PatientINS returns the INS of the XDM patient, when the message has an
// archive with one valid INS.
func (in *Incoming) PatientINS() (ins.INS, bool) {
	if in.XDM == nil || in.XDM.PatientINS.IsZero() {
		return ins.INS{}, false
	}
	return in.XDM.PatientINS, true
}

// Attachment returns the first attachment with that name (any case).
func (in *Incoming) Attachment(name string) *IncomingAttachment {
	for _, a := range in.Attachments {
		if strings.EqualFold(a.Filename, name) {
			return a
		}
	}
	return nil
}

func (in *Incoming) String() string {
	from := ""
	if in.From != nil {
		from = in.From.Address
	}
	return fmt.Sprintf("%s from %s (%s): %q, %d attachment(s)", in.Kind, from, in.SenderKind, in.DisplaySubject, len(in.Attachments))
}

// jsonAddress is how Incoming writes an address in JSON.
type jsonAddress struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

func jsonAddresses(l []*mail.Address) []jsonAddress {
	var out []jsonAddress
	for _, a := range l {
		if a != nil {
			out = append(out, jsonAddress{Name: a.Name, Address: a.Address})
		}
	}
	return out
}

// MarshalJSON writes the message with its addresses as {"name", "address"}
// objects (mail.Address has no JSON tags), every key in snake_case.
func (in *Incoming) MarshalJSON() ([]byte, error) {
	type plain Incoming // without this method
	v := struct {
		*plain
		From    *jsonAddress  `json:"from,omitempty"`
		To      []jsonAddress `json:"to,omitempty"`
		Cc      []jsonAddress `json:"cc,omitempty"`
		ReplyTo []jsonAddress `json:"reply_to,omitempty"`
	}{plain: (*plain)(in), To: jsonAddresses(in.To), Cc: jsonAddresses(in.Cc), ReplyTo: jsonAddresses(in.ReplyTo)}
	if in.From != nil {
		v.From = &jsonAddress{Name: in.From.Name, Address: in.From.Address}
	}
	return json.Marshal(v)
}
