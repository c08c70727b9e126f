package serve

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/xdm"
	"github.com/mssante-go/sdk/xmltext"
)

// SendRequest is the JSON metadata of POST /v1/messages (the "metadata"
// part, beside the PDF in the "document" part).
type SendRequest struct {
	Sender SenderInfo `json:"sender"`
	To     []string   `json:"to"`
	Cc     []string   `json:"cc,omitempty"`
	// Subject replaces the generated XDM/1.0/DDM+ subject.
	Subject string `json:"subject,omitempty"`
	// Text is the body of the message (ECO.2.2.3).
	Text string `json:"text"`
	// ReadReceipt asks for an MDN (Disposition-Notification-To, ECO.2.3.2);
	// DeliveryReceipt for a DSN (Return-Receipt-To and RFC 3461 NOTIFY,
	// ECO.2.3.1; default true).
	ReadReceipt     bool  `json:"read_receipt,omitempty"`
	DeliveryReceipt *bool `json:"delivery_receipt,omitempty"`

	Patient  PatientInfo  `json:"patient"`
	Document DocumentInfo `json:"document"`
}

// SenderInfo is the sending mailbox (one of the configuration's).
type SenderInfo struct {
	Address string `json:"address"`
	// Type is PER, ORG, APP or CAB; the label of the From is built from
	// Title, GivenName, FamilyName and Entity (ECO.2.2.7), or is Label.
	Type       string `json:"type,omitempty"`
	Title      string `json:"title,omitempty"`
	GivenName  string `json:"given_name,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
	Entity     string `json:"entity,omitempty"`
	Label      string `json:"label,omitempty"`
	// NIL is the X-MSS-NIL product reference (default: the configuration's).
	NIL string `json:"nil,omitempty"`
}

// PatientInfo is the patient: INS, traits and identity status.
type PatientInfo struct {
	// INS is the matricule (15 characters, key included); OID its
	// authority (default 1.2.250.1.213.1.4.8, the NIR; .9 NIA, .10 test).
	INS    string `json:"ins"`
	OID    string `json:"oid,omitempty"`
	Status string `json:"status"` // identity status: QUAL to carry the INS
	// The traits as INSi returns them.
	BirthName       string `json:"birth_name"`
	BirthGivenNames string `json:"birth_given_names"`
	FirstGivenName  string `json:"first_given_name,omitempty"`
	BirthDate       string `json:"birth_date"` // YYYY-MM-DD
	Sex             string `json:"sex"`        // F, M, U
	BirthPlace      string `json:"birth_place"`
	UsedName        string `json:"used_name,omitempty"`
	UsedGivenName   string `json:"used_given_name,omitempty"`
}

// DocumentInfo describes the CDA R2 level 1 document built around the PDF.
type DocumentInfo struct {
	// ID is ClinicalDocument/id (default: Documents.IDRoot with a random
	// extension); SetID is common to the versions (default ID).
	ID      *cda.II `json:"id,omitempty"`
	SetID   *cda.II `json:"set_id,omitempty"`
	Version int     `json:"version,omitempty"`
	// Type is the document type (JDV_J07, LOINC), Title its title.
	Type  cda.Code `json:"type"`
	Title string   `json:"title"`
	// EffectiveTime is the creation time (default now).
	EffectiveTime *time.Time `json:"effective_time,omitempty"`
	// Confidentiality is N (default), R or V.
	Confidentiality string `json:"confidentiality,omitempty"`
	// ServiceStart and ServiceStop date the act documented.
	ServiceStart time.Time  `json:"service_start"`
	ServiceStop  *time.Time `json:"service_stop,omitempty"`
	// PracticeSetting (JDV_J04) and FacilityType (JDV_J02, also the
	// submission set's contentTypeCode).
	PracticeSetting cda.Code `json:"practice_setting"`
	FacilityType    cda.Code `json:"facility_type"`
	Author          Author   `json:"author"`
	Organization    Org      `json:"organization"`
	// FileNumber ends the PDF name (numéro de dossier).
	FileNumber string `json:"file_number,omitempty"`
}

// Author is the professional author, also the legal authenticator.
type Author struct {
	RPPS      string   `json:"rpps"`
	Civility  string   `json:"civility,omitempty"` // JDV_J245: M, MME
	Title     string   `json:"title,omitempty"`    // JDV_J246: DR, PR...
	Given     string   `json:"given"`
	Family    string   `json:"family"`
	Specialty cda.Code `json:"specialty"` // JDV_J01
}

// Org is the structure: custodian, the author's organization, the sender
// of the archive. One of FINESS and SIRET.
type Org struct {
	FINESS string `json:"finess,omitempty"`
	SIRET  string `json:"siret,omitempty"`
	Name   string `json:"name"`
}

// built is what POST /v1/messages made.
type built struct {
	msg      *mssante.Message
	findings finding.List
}

const locMeta = "metadata"

// buildMessage builds the CDA document, the IHE_XDM.ZIP archive and the
// message. Everything wrong is a finding; the message is nil when any is
// an error.
func (s *Server) buildMessage(req *SendRequest, pdf []byte, pdfName string) *built {
	b := &built{}
	add := func(rule, loc, format string, args ...any) {
		b.findings.Add(finding.Error, rule, loc, "docs/serve.md", format, args...)
	}
	checkPDF(pdf, pdfName, &b.findings)
	now := s.opts.Now()

	// The patient: a qualified INS identity.
	id, ok := patientIdentity(&req.Patient, s.opts.Environment, &b.findings)
	// The professional and the structure.
	d := &req.Document
	rpps, err := cda.NewRPPS(strings.TrimSpace(d.Author.RPPS))
	if err != nil {
		add("SERVE-AUTHOR-RPPS", locMeta+".document.author.rpps", "%v", err)
	}
	var orgID cda.II
	switch {
	case d.Organization.FINESS != "" && d.Organization.SIRET != "":
		add("SERVE-ORG-ID", locMeta+".document.organization", "give one of finess and siret, not both")
	case d.Organization.FINESS != "":
		if orgID, err = cda.NewFINESS(d.Organization.FINESS); err != nil {
			add("SERVE-ORG-ID", locMeta+".document.organization.finess", "%v", err)
		}
	case d.Organization.SIRET != "":
		if orgID, err = cda.NewSIRET(d.Organization.SIRET); err != nil {
			add("SERVE-ORG-ID", locMeta+".document.organization.siret", "%v", err)
		}
	default:
		add("SERVE-ORG-ID", locMeta+".document.organization", "no finess or siret")
	}
	if d.Organization.Name == "" {
		add("SERVE-REQUIRED", locMeta+".document.organization.name", "no organization name")
	}
	docID := d.ID
	if docID == nil {
		if s.opts.Documents.IDRoot == "" {
			add("SERVE-DOC-ID", locMeta+".document.id", "no document id, and the service has no document id root (document_id_root) to make one")
		} else {
			docID = &cda.II{Root: s.opts.Documents.IDRoot, Extension: randomID()}
		}
	}
	if d.ServiceStart.IsZero() {
		add("SERVE-REQUIRED", locMeta+".document.service_start", "no service_start (the date of the act)")
	}
	for loc, c := range map[string]cda.Code{"type": d.Type, "practice_setting": d.PracticeSetting, "facility_type": d.FacilityType, "author.specialty": d.Author.Specialty} {
		if c.Code == "" || c.CodeSystem == "" {
			add("SERVE-REQUIRED", locMeta+".document."+loc, "no %s code and code_system", loc)
		}
	}
	if b.findings.HasErrors() || !ok {
		return b
	}

	// The CDA R2 level 1 header (cda.md §2–3).
	org := &cda.Organization{ID: orgID, Name: d.Organization.Name}
	name := personName(&d.Author)
	person := cda.Person{ID: rpps, Code: d.Author.Specialty, Name: name, Organization: org}
	created := now
	if d.EffectiveTime != nil {
		created = *d.EffectiveTime
	}
	setID := *docID
	if d.SetID != nil {
		setID = *d.SetID
	}
	version := d.Version
	if version <= 0 {
		version = 1
	}
	conf := d.Confidentiality
	if conf == "" {
		conf = "N"
	}
	h := &cda.Header{
		ID: *docID, SetID: setID, VersionNumber: version,
		Code: d.Type, Title: d.Title, EffectiveTime: created,
		ConfidentialityCode: cda.Code{Code: conf, CodeSystem: cda.OIDConfidentiality},
		LanguageCode:        "fr-FR",
		Patient:             cda.Patient{Identity: id},
		Authors:             []cda.Author{{Time: created, ID: rpps, Code: d.Author.Specialty, Person: &name, Organization: org}},
		Custodian:           *org,
		LegalAuthenticator:  &cda.LegalAuthenticator{Time: created, Person: person},
		ServiceEvent: cda.ServiceEvent{Start: d.ServiceStart,
			Performer: &cda.Performer{Person: person, PracticeSetting: d.PracticeSetting}},
		Encounter: cda.Encounter{Start: d.ServiceStart, FacilityType: d.FacilityType},
	}
	if d.ServiceStop != nil {
		h.ServiceEvent.Stop = *d.ServiceStop
		h.Encounter.Stop = *d.ServiceStop
	}
	var doc bytes.Buffer
	if err := cda.Build(&doc, h, cda.Body{MediaType: cda.MediaTypePDF, Content: bytes.NewReader(pdf)}); err != nil {
		b.findings = append(b.findings, errorFindings(err, "document")...)
		return b
	}
	vf, err := cda.Validate(bytes.NewReader(doc.Bytes()), &cda.ValidateOptions{Environment: s.opts.Environment})
	if err != nil {
		add("SERVE-CDA", "document", "the CDA built does not read back: %v", err)
		return b
	}
	b.findings = append(b.findings, vf...)
	if vf.HasErrors() {
		return b
	}

	// The message, with IHE_XDM.ZIP and the PDF (ECO.2.1).
	sender, sf := s.sender(&req.Sender)
	b.findings = append(b.findings, sf...)
	m := &mssante.Message{From: sender, Subject: req.Subject, Text: req.Text, RequestReadReceipt: req.ReadReceipt,
		RequestDeliveryReceipt: req.DeliveryReceipt == nil || *req.DeliveryReceipt}
	m.To, b.findings = addressList(req.To, "to", b.findings)
	m.Cc, b.findings = addressList(req.Cc, "cc", b.findings)
	if len(m.To) == 0 {
		add("SERVE-REQUIRED", locMeta+".to", "no recipient")
	}
	if b.findings.HasErrors() {
		return b
	}
	structID := orgID.Extension
	err = m.AttachDocuments([]*mssante.HealthDocument{{CDA: doc.Bytes(), PDF: pdf, FileNumber: d.FileNumber}}, &mssante.DocumentsOptions{
		Sender: xdm.SenderInfo{StructureName: d.Organization.Name, StructureID: structID,
			ApplicationName: s.opts.Documents.ApplicationName, ApplicationVersion: s.opts.Documents.ApplicationVersion,
			ApplicationVendor: s.opts.Documents.ApplicationVendor},
		SubmissionSet: xdm.SubmissionSet{ContentTypeCode: xdm.Code{Code: d.FacilityType.Code, CodeSystem: d.FacilityType.CodeSystem, DisplayName: d.FacilityType.DisplayName}},
		Subject:       req.Subject,
	})
	if err != nil {
		b.findings = append(b.findings, errorFindings(err, "message")...)
		return b
	}
	b.msg = m
	return b
}

// personName is the author's name in the CDA: the civilité in prefix, the
// title in suffix (JDV_J245, JDV_J246).
func personName(a *Author) cda.PersonName {
	return cda.PersonName{Civility: cda.Civility(a.Civility), Given: a.Given, Family: a.Family, Title: cda.Title(a.Title)}
}

// patientIdentity checks the patient part and returns the identity.
func patientIdentity(p *PatientInfo, env ins.Environment, fs *finding.List) (ins.Identity, bool) {
	const loc = locMeta + ".patient"
	var id ins.Identity
	ok := true
	fail := func(rule, where, format string, args ...any) {
		fs.Add(finding.Error, rule, loc+where, "ins.md", format, args...)
		ok = false
	}
	m, err := ins.Parse(p.INS)
	if err != nil {
		fail(insRule(err), ".ins", "%v", err)
	}
	oid := ins.OIDNIR
	if p.OID != "" {
		if oid, err = ins.ParseOID(p.OID); err != nil {
			fail("INS-OID", ".oid", "%v", err)
		}
	}
	id.INS = ins.INS{Matricule: m, OID: oid}
	if id.Status, err = ins.ParseStatus(p.Status); err != nil {
		fail("INS-STATUS", ".status", "%v", err)
	}
	bd, err := time.Parse(time.DateOnly, p.BirthDate)
	if err != nil {
		fail("INS-TRAITS", ".birth_date", "birth_date %q: want YYYY-MM-DD", p.BirthDate)
	}
	id.Traits = ins.Traits{BirthName: p.BirthName, BirthGivenNames: p.BirthGivenNames, FirstGivenName: p.FirstGivenName,
		BirthDate: bd, Sex: ins.Sex(p.Sex), BirthPlace: p.BirthPlace, UsedName: p.UsedName, UsedGivenName: p.UsedGivenName}
	if !ok {
		return id, false
	}
	if err := id.Traits.Validate(); err != nil {
		fail("INS-TRAITS", "", "%v", err)
	}
	if err := id.CheckQualified(); err != nil {
		fail("INS-QUALIFIED", ".status", "%v", err)
	}
	if err := env.Allows(oid); err != nil {
		fail("INS-ENV", ".oid", "%v", err)
	}
	if ok {
		for _, f := range ins.Coherence(m, &id.Traits) {
			f.Location = loc + " " + f.Location
			*fs = append(*fs, f)
		}
	}
	return id, ok
}

// insRule names the rule a matricule breaks.
func insRule(err error) string {
	switch {
	case errors.Is(err, ins.ErrLength):
		return "INS-LENGTH"
	case errors.Is(err, ins.ErrChecksum):
		return "INS-KEY"
	}
	return "INS-FORMAT"
}

// sender builds the mssante.Sender.
func (s *Server) sender(in *SenderInfo) (*mssante.Sender, finding.List) {
	var fs finding.List
	snd := &mssante.Sender{Address: strings.TrimSpace(in.Address), Type: mssante.MailboxType(in.Type), Title: in.Title,
		GivenName: in.GivenName, FamilyName: in.FamilyName, Entity: in.Entity, Label: in.Label, NIL: in.NIL}
	if snd.NIL == "" {
		snd.NIL = s.opts.Documents.NIL
	}
	if err := snd.Validate(); err != nil {
		fs.Add(finding.Error, "SERVE-SENDER", locMeta+".sender", "mssante.md §4", "%v", err)
	}
	return snd, fs
}

// addressList parses recipient addresses.
func addressList(in []string, field string, fs finding.List) ([]*mail.Address, finding.List) {
	var out []*mail.Address
	for i, a := range in {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			fs.Add(finding.Error, "SERVE-ADDRESS", fmt.Sprintf("%s.%s[%d]", locMeta, field, i), "RFC 5322", "%q: %v", a, err)
			continue
		}
		out = append(out, addr)
	}
	return out, fs
}

// checkPDF refuses what is not a PDF: the "%PDF-" header in the first
// 1024 bytes and the "%%EOF" marker in the last 1024 (ISO 32000-1 §7.5.2,
// §7.5.5, as the readers tolerate them).
func checkPDF(pdf []byte, name string, fs *finding.List) {
	const loc = "document"
	switch {
	case len(pdf) == 0:
		fs.Add(finding.Error, "SERVE-PDF", loc, "ISO 32000-1 §7.5", "the document part is empty")
		return
	case !bytes.Contains(pdf[:min(len(pdf), 1024)], []byte("%PDF-")):
		fs.Add(finding.Error, "SERVE-PDF", loc, "ISO 32000-1 §7.5.2", "%q is not a PDF: no %%PDF- header", name)
		return
	case !bytes.Contains(pdf[max(0, len(pdf)-1024):], []byte("%%EOF")):
		fs.Add(finding.Error, "SERVE-PDF", loc, "ISO 32000-1 §7.5.5", "%q is truncated or malformed: no %%%%EOF at its end", name)
	}
}

// errorFindings turns an error of the builders into findings: the
// findings of a *cda.HeaderError, else one finding.
func errorFindings(err error, loc string) finding.List {
	var he *cda.HeaderError
	if errors.As(err, &he) && len(he.Findings) > 0 {
		return he.Findings
	}
	var xe *xmltext.Error
	rule := "SERVE-BUILD"
	if errors.As(err, &xe) {
		rule = "XML-TEXT"
	}
	var fs finding.List
	fs.Add(finding.Error, rule, loc, "", "%v", err)
	return fs
}

func randomID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
