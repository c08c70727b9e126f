package cda

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/xmltext"
)

// Body is the content of a level 1 document: a PDF (or plain text) and its
// media type. Content is read once and base64-encoded as it is written.
type Body struct {
	MediaType string // application/pdf (the default when empty) or text/plain
	Content   io.Reader
}

// Build writes a level 1 CDA document: the header h and the non-XML body.
//
// The output is UTF-8, with exactly the three level 1 templateIds, without
// xsi:schemaLocation nor processing instructions, and the same bytes for
// the same input. The body is base64-encoded while it is copied (76
// characters per line), so memory use does not grow with its size.
//
// Build refuses a patient INS whose identity is not qualified and complete
// with the ins package error (*ins.StatusError, *ins.TraitsError...), and a
// header that breaks the CI-SIS rules with a *HeaderError: it runs the same
// checks as Validate on the header it writes, the INS key included. Missing
// display names of coded values are taken from the embedded value sets, and
// an empty LanguageCode is written fr-FR. Text or an identifier holding a
// character XML cannot carry (a control character, invalid UTF-8) is
// refused with a CDA-XML-CHAR finding, not replaced: the *HeaderError then
// also matches xmltext.ErrInvalid (the SDK's one XML text policy). Nothing is written to
// w when the header is refused; when reading Body.Content fails, w has received a
// partial document and the error says so.
func Build(w io.Writer, h *Header, body Body) error {
	mt := body.MediaType
	if mt == "" {
		mt = MediaTypePDF
	}
	if mt != MediaTypePDF && mt != MediaTypeText {
		return fmt.Errorf("%w: %q (want %s or %s)", ErrMediaType, mt, MediaTypePDF, MediaTypeText)
	}
	if h == nil {
		return fmt.Errorf("%w: no header", ErrInvalidHeader)
	}
	if body.Content == nil {
		return fmt.Errorf("%w: no body content", ErrInvalidHeader)
	}
	if !h.Patient.Identity.INS.IsZero() {
		if err := h.Patient.Identity.CheckComplete(); err != nil {
			return fmt.Errorf("cda: patient identity cannot carry the INS: %w", err)
		}
	}
	var hdr bytes.Buffer
	x := &xw{b: &hdr}
	writeHeader(x, h)
	x.open("component")
	x.open("nonXMLBody")
	x.indent()
	hdr.WriteString(`<text mediaType="` + mt + `" representation="B64">`)
	if x.bad != "" {
		var fs finding.List
		fs.Add(finding.Error, "CDA-XML-CHAR", x.bad, "XML 1.0 §2.2", "invalid UTF-8 or a character not allowed in XML (a control character)")
		return &HeaderError{Findings: fs, Err: x.badErr}
	}

	// Self-check: the written header, with an empty body, must have no
	// error-level finding.
	var check bytes.Buffer
	check.Write(hdr.Bytes())
	check.WriteString("</text></nonXMLBody></component></ClinicalDocument>")
	fs, err := validateReader(&check, &ValidateOptions{strict: true}, false)
	if err != nil {
		return fmt.Errorf("cda: internal error, the written header does not parse: %w", err)
	}
	if fs.HasErrors() {
		return &HeaderError{Findings: fs.Errors()}
	}

	growFor(w, body.Content, hdr.Len())
	out := &sinkWriter{w: w}
	bw := bufio.NewWriterSize(out, 32<<10)
	if _, err := bw.Write(hdr.Bytes()); err != nil {
		return err
	}
	bw.WriteString("\n")
	enc := base64.NewEncoder(base64.StdEncoding, &lineWriter{w: bw, width: 76})
	if _, err := io.Copy(enc, body.Content); err != nil {
		if out.err != nil {
			return fmt.Errorf("cda: writing the document: %w", err)
		}
		return fmt.Errorf("cda: reading the body: %w", err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	bw.WriteString("\n      </text>\n    </nonXMLBody>\n  </component>\n</ClinicalDocument>\n")
	return bw.Flush()
}

// growFor sizes the output once when it is an in-memory buffer (a
// *bytes.Buffer, a *strings.Builder) and the length of the content is known
// (a *bytes.Reader, a *strings.Reader): the header, the content in base64
// lines of 76 characters and the closing elements. Grown by the 32 KB
// writes of Build instead, a bytes.Buffer allocated about three times the
// document, three times the PDF (mssante.BenchmarkComposeFromPDF).
func growFor(w io.Writer, content io.Reader, header int) {
	g, ok := w.(interface{ Grow(int) })
	if !ok {
		return
	}
	l, ok := content.(interface{ Len() int })
	if !ok {
		return
	}
	enc := base64.StdEncoding.EncodedLen(l.Len())
	g.Grow(header + enc + enc/76 + 128)
}

// sinkWriter remembers a write error of the output, to tell it from a read
// error of the body content in io.Copy (which keeps the content's WriteTo).
type sinkWriter struct {
	w   io.Writer
	err error
}

func (s *sinkWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

// lineWriter breaks its output into lines of width characters.
type lineWriter struct {
	w     *bufio.Writer
	width int
	col   int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if l.col == l.width {
			if err := l.w.WriteByte('\n'); err != nil {
				return n, err
			}
			l.col = 0
		}
		k := min(l.width-l.col, len(p))
		m, err := l.w.Write(p[:k])
		n += m
		l.col += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// NewReplacement returns the header of the next version of the document
// prev (cda.md §5): a copy of prev with the new id, the same setId,
// versionNumber + 1 and a relatedDocument RPLC whose parent is prev's id and
// version. The caller then updates the times, authors and content. Slices
// are shared with prev; pointers to sub-structures too. A nil prev is read
// as an empty header (Build then refuses the result).
func NewReplacement(prev *Header, newID II) *Header {
	if prev == nil {
		prev = &Header{}
	}
	h := *prev
	h.ID = newID
	if h.SetID.IsZero() {
		h.SetID = prev.ID
	}
	v := prev.VersionNumber
	if v < 1 {
		v = 1
	}
	h.VersionNumber = v + 1
	h.RelatedDocument = &RelatedDocument{TypeCode: "RPLC", ParentID: prev.ID, ParentVersion: v}
	return &h
}

// xw writes indented XML with escaped attributes and text.
type xw struct {
	b     *bytes.Buffer
	depth int
	path  []string // open elements, for the location of bad text
	// bad is the location of the first text or attribute value holding a
	// character XML 1.0 does not allow (or invalid UTF-8), and badErr the
	// *xmltext.Error: Build refuses it.
	bad    string
	badErr error
}

// flag records the location of a value that could not be written.
func (x *xw) flag(name string, err error) {
	if x.bad == "" {
		x.bad = "/" + strings.Join(x.path, "/") + "/" + name
		x.badErr = err
	}
}

func (x *xw) indent() {
	x.b.WriteByte('\n')
	for i := 0; i < x.depth; i++ {
		x.b.WriteString("  ")
	}
}

// attrs writes name="value" pairs of the element elem, skipping empty values.
func (x *xw) attrs(elem string, kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		x.b.WriteByte(' ')
		x.b.WriteString(kv[i])
		x.b.WriteString(`="`)
		if err := xmltext.Escape(x.b, kv[i+1], true); err != nil {
			x.flag(elem+"/@"+kv[i], err)
		}
		x.b.WriteByte('"')
	}
}

// start writes a new line and "<name attrs" (the tag is left open).
func (x *xw) start(name string, kv []string) {
	x.indent()
	x.b.WriteByte('<')
	x.b.WriteString(name)
	x.attrs(name, kv)
}

func (x *xw) open(name string, kv ...string) {
	x.start(name, kv)
	x.b.WriteByte('>')
	x.depth++
	x.path = append(x.path, name)
}

func (x *xw) close(name string) {
	x.depth--
	x.path = x.path[:len(x.path)-1]
	x.indent()
	x.b.WriteString("</" + name + ">")
}

func (x *xw) empty(name string, kv ...string) {
	x.start(name, kv)
	x.b.WriteString("/>")
}

// text writes <name attrs>text</name>; nothing when text is empty.
func (x *xw) text(name, text string, kv ...string) {
	if text == "" {
		return
	}
	x.start(name, kv)
	x.b.WriteByte('>')
	if err := xmltext.Escape(x.b, text, false); err != nil {
		x.flag(name, err)
	}
	x.b.WriteString("</" + name + ">")
}

// ts formats a time as a CDA TS with its offset: YYYYMMDDhhmmss±hhmm.
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("20060102150405-0700")
}

func (x *xw) ii(name string, id II) {
	if id.NullFlavor != "" && id.Root == "" {
		x.empty(name, "nullFlavor", id.NullFlavor)
		return
	}
	x.empty(name, "root", id.Root, "extension", id.Extension)
}

// code writes a coded value, with the display name of the value set vs
// when the caller left it empty.
func (x *xw) code(name string, c Code, vs *ValueSet) {
	if c.IsZero() {
		return
	}
	if c.DisplayName == "" && vs != nil {
		if v, ok := vs.Lookup(c.CodeSystem, c.Code); ok {
			c.DisplayName = v.DisplayName
		}
	}
	x.empty(name, "code", c.Code, "codeSystem", c.CodeSystem, "displayName", c.DisplayName)
}

func (x *xw) addr(a *Address) {
	if a == nil {
		return
	}
	x.open("addr", "use", a.Use)
	x.text("houseNumber", a.HouseNumber)
	x.text("streetName", a.StreetName)
	x.text("streetAddressLine", a.StreetAddressLine)
	x.text("additionalLocator", a.AdditionalLocator)
	x.text("postalCode", a.PostalCode)
	x.text("city", a.City)
	x.text("country", a.Country)
	x.close("addr")
}

func (x *xw) telecoms(ts []Telecom) {
	for _, t := range ts {
		x.empty("telecom", "value", t.Value, "use", t.Use)
	}
}

func (x *xw) personName(n PersonName) {
	x.open("name")
	x.text("prefix", string(n.Civility))
	x.text("given", n.Given)
	x.text("family", n.Family)
	x.text("suffix", string(n.Title))
	x.close("name")
}

func (x *xw) org(name string, o *Organization, industry bool) {
	if o == nil {
		return
	}
	x.open(name)
	if !o.ID.IsZero() {
		x.ii("id", o.ID)
	}
	x.text("name", o.Name)
	x.telecoms(o.Telecoms)
	x.addr(o.Addr)
	if industry {
		x.code("standardIndustryClassCode", o.IndustryCode, &vsJ04)
	}
	x.close(name)
}

// assignedEntity writes an AssignedEntity (legal authenticator, performer,
// informant, encounter participant).
func (x *xw) assignedEntity(p *Person, practice Code) {
	org := p.Organization
	if !practice.IsZero() {
		o := Organization{}
		if org != nil {
			o = *org
		}
		o.IndustryCode = practice
		org = &o
	}
	x.entity("assignedEntity", nil, p, "assignedPerson", "representedOrganization", org, true)
}

// entity writes a role played by a person: its id, code (JDV_J01),
// address, telecoms, the person element with the name, then the
// organisation element (with its standardIndustryClassCode when industry).
func (x *xw) entity(name string, kv []string, p *Person, personElem, orgElem string, org *Organization, industry bool) {
	x.open(name, kv...)
	x.ii("id", p.ID)
	x.code("code", p.Code, &vsJ01)
	x.addr(p.Addr)
	x.telecoms(p.Telecoms)
	x.open(personElem)
	x.personName(p.Name)
	x.close(personElem)
	x.org(orgElem, org, industry)
	x.close(name)
}

func writeHeader(x *xw, h *Header) {
	x.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	x.indent()
	x.b.WriteString(`<ClinicalDocument xmlns="` + NS + `">`)
	x.depth++
	x.path = append(x.path, "ClinicalDocument")
	x.empty("realmCode", "code", "FR")
	x.empty("typeId", "root", OIDTypeID, "extension", "POCD_HD000040")
	x.empty("templateId", "root", OIDTemplateHL7France)
	x.empty("templateId", "root", OIDTemplateCISIS)
	x.empty("templateId", "root", OIDTemplateXDSSD)
	x.ii("id", h.ID)
	x.code("code", h.Code, &vsJ07)
	x.text("title", h.Title)
	x.empty("effectiveTime", "value", ts(h.EffectiveTime))
	x.code("confidentialityCode", h.ConfidentialityCode, &vsHL7)
	lang := h.LanguageCode
	if lang == "" {
		lang = "fr-FR"
	}
	x.empty("languageCode", "code", lang)
	if !h.SetID.IsZero() {
		x.ii("setId", h.SetID)
	}
	if h.VersionNumber > 0 {
		x.empty("versionNumber", "value", strconv.Itoa(h.VersionNumber))
	}
	writePatient(x, &h.Patient)
	for i := range h.Authors {
		writeAuthor(x, &h.Authors[i])
	}
	for i := range h.Informants {
		writeInformant(x, &h.Informants[i])
	}
	x.open("custodian")
	x.open("assignedCustodian")
	c := h.Custodian
	x.open("representedCustodianOrganization")
	x.ii("id", c.ID)
	x.text("name", c.Name)
	if len(c.Telecoms) > 0 { // CustodianOrganization: at most one telecom
		x.empty("telecom", "value", c.Telecoms[0].Value, "use", c.Telecoms[0].Use)
	}
	x.addr(c.Addr)
	x.close("representedCustodianOrganization")
	x.close("assignedCustodian")
	x.close("custodian")
	for i := range h.InformationRecipients {
		writeRecipient(x, &h.InformationRecipients[i])
	}
	if la := h.LegalAuthenticator; la != nil {
		x.open("legalAuthenticator")
		x.empty("time", "value", ts(la.Time))
		x.empty("signatureCode", "code", "S")
		x.assignedEntity(&la.Person, Code{})
		x.close("legalAuthenticator")
	}
	for i := range h.Participants {
		writeParticipant(x, &h.Participants[i])
	}
	writeServiceEvent(x, &h.ServiceEvent)
	for i := range h.OtherServiceEvents {
		writeServiceEvent(x, &h.OtherServiceEvents[i])
	}
	if rd := h.RelatedDocument; rd != nil {
		tc := rd.TypeCode
		if tc == "" {
			tc = "RPLC"
		}
		x.open("relatedDocument", "typeCode", tc)
		x.open("parentDocument")
		x.ii("id", rd.ParentID)
		if !rd.ParentSetID.IsZero() {
			x.ii("setId", rd.ParentSetID)
		}
		if rd.ParentVersion > 0 {
			x.empty("versionNumber", "value", strconv.Itoa(rd.ParentVersion))
		}
		x.close("parentDocument")
		x.close("relatedDocument")
	}
	e := &h.Encounter
	x.open("componentOf")
	x.open("encompassingEncounter")
	if !e.ID.IsZero() {
		x.ii("id", e.ID)
	}
	x.code("code", e.Code, &vsJ142)
	x.ivl("effectiveTime", e.Start, e.Stop)
	for i := range e.Participants {
		p := &e.Participants[i]
		x.open("encounterParticipant", "typeCode", p.TypeCode)
		x.ivl("time", p.Start, p.Stop)
		x.assignedEntity(&p.Person, Code{})
		x.close("encounterParticipant")
	}
	x.open("location")
	x.open("healthCareFacility")
	if !e.FacilityID.IsZero() {
		x.ii("id", e.FacilityID)
	}
	x.code("code", e.FacilityType, &vsJ02)
	x.close("healthCareFacility")
	x.close("location")
	x.close("encompassingEncounter")
	x.close("componentOf")
}

// ivl writes an IVL_TS with low and high.
func (x *xw) ivl(name string, low, high time.Time) {
	if low.IsZero() && high.IsZero() {
		return
	}
	x.open(name)
	if !low.IsZero() {
		x.empty("low", "value", ts(low))
	}
	if !high.IsZero() {
		x.empty("high", "value", ts(high))
	}
	x.close(name)
}

func writePatient(x *xw, p *Patient) {
	x.open("recordTarget")
	x.open("patientRole")
	id := &p.Identity
	if !id.INS.IsZero() {
		x.empty("id", "root", string(id.INS.OID), "extension", string(id.INS.Matricule))
	}
	for _, ii := range p.IDs {
		x.ii("id", ii)
	}
	x.addr(p.Addr)
	x.telecoms(p.Telecoms)
	x.open("patient")
	t := &id.Traits
	x.open("name")
	// N1 order (ins.md §7.1): family BR, given (full list), given BR, then the used names.
	x.text("family", t.BirthName, "qualifier", "BR")
	x.text("given", t.BirthGivenNames)
	if t.BirthGivenNames != "" {
		x.text("given", t.FirstGiven(), "qualifier", "BR")
	}
	x.text("family", t.UsedName, "qualifier", "CL")
	x.text("given", t.UsedGivenName, "qualifier", "CL")
	x.close("name")
	if t.Sex != "" {
		x.code("administrativeGenderCode", Code{Code: t.Sex.CDACode(), CodeSystem: OIDGender}, &vsJ143)
	}
	if !t.BirthDate.IsZero() {
		x.empty("birthTime", "value", t.BirthDate.Format("20060102"))
	}
	for i := range p.Guardians {
		writeGuardian(x, &p.Guardians[i])
	}
	if t.BirthPlace != "" || p.BirthPlaceCity != "" {
		x.open("birthplace")
		x.open("place")
		x.open("addr")
		x.text("county", t.BirthPlace)
		x.text("city", p.BirthPlaceCity)
		x.close("addr")
		x.close("place")
		x.close("birthplace")
	}
	x.close("patient")
	x.close("patientRole")
	x.close("recordTarget")
}

func writeAuthor(x *xw, a *Author) {
	x.open("author")
	x.code("functionCode", a.FunctionCode, &vsJ47)
	x.empty("time", "value", ts(a.Time))
	x.open("assignedAuthor")
	x.ii("id", a.ID)
	x.code("code", a.Code, &vsJ01)
	x.addr(a.Addr)
	x.telecoms(a.Telecoms)
	switch {
	case a.Person != nil:
		x.open("assignedPerson")
		x.personName(*a.Person)
		x.close("assignedPerson")
	case a.Device != nil:
		x.open("assignedAuthoringDevice")
		x.text("manufacturerModelName", a.Device.ManufacturerModelName)
		x.text("softwareName", a.Device.SoftwareName)
		x.close("assignedAuthoringDevice")
	}
	x.org("representedOrganization", a.Organization, true)
	x.close("assignedAuthor")
	x.close("author")
}

func writeGuardian(x *xw, g *Guardian) {
	x.open("guardian")
	x.addr(g.Addr)
	x.telecoms(g.Telecoms)
	if g.Person != nil {
		x.open("guardianPerson")
		x.personName(*g.Person)
		x.close("guardianPerson")
	}
	if o := g.Organization; o != nil {
		x.open("guardianOrganization")
		if !o.ID.IsZero() {
			x.ii("id", o.ID)
		}
		x.text("name", o.Name)
		x.close("guardianOrganization")
	}
	x.close("guardian")
}

func writeInformant(x *xw, in *Informant) {
	x.open("informant")
	if in.Person != nil {
		x.assignedEntity(in.Person, Code{})
	}
	if r := in.Relative; r != nil {
		cc := r.ClassCode
		if cc == "" {
			cc = "NOK"
		}
		x.open("relatedEntity", "classCode", cc)
		x.code("code", r.Relation, &vsJ11)
		x.addr(r.Addr)
		x.telecoms(r.Telecoms)
		x.open("relatedPerson")
		x.personName(r.Name)
		x.close("relatedPerson")
		x.close("relatedEntity")
	}
	x.close("informant")
}

func writeParticipant(x *xw, p *Participant) {
	x.open("participant", "typeCode", p.TypeCode)
	x.code("functionCode", p.FunctionCode, &vsJ47)
	x.ivl("time", p.Start, p.Stop)
	cc := p.ClassCode
	if cc == "" {
		cc = "PROV"
	}
	x.entity("associatedEntity", []string{"classCode", cc}, &p.Person, "associatedPerson", "scopingOrganization", p.Person.Organization, false)
	x.close("participant")
}

func writeRecipient(x *xw, r *Recipient) {
	tc := r.TypeCode
	if tc == "" {
		tc = "PRCP"
	}
	x.open("informationRecipient", "typeCode", tc)
	x.open("intendedRecipient")
	if p := r.Person; p != nil {
		if !p.ID.IsZero() {
			x.ii("id", p.ID)
		}
		x.addr(p.Addr)
		x.telecoms(p.Telecoms)
		if p.Name != (PersonName{}) {
			x.open("informationRecipient")
			x.personName(p.Name)
			x.close("informationRecipient")
		}
	}
	x.org("receivedOrganization", r.Organization, false)
	x.close("intendedRecipient")
	x.close("informationRecipient")
}

func writeServiceEvent(x *xw, se *ServiceEvent) {
	x.open("documentationOf")
	x.open("serviceEvent")
	if !se.ID.IsZero() {
		x.ii("id", se.ID)
	}
	x.code("code", se.Code, nil)
	x.ivl("effectiveTime", se.Start, se.Stop)
	if pf := se.Performer; pf != nil {
		x.open("performer", "typeCode", "PRF")
		x.assignedEntity(&pf.Person, pf.PracticeSetting)
		x.close("performer")
	}
	x.close("serviceEvent")
	x.close("documentationOf")
}
