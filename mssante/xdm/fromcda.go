package xdm

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/idnat"
	"github.com/mssante-go/sdk/ins"
)

// Value sets the mapping reads display names from.
var (
	vsTypeCode        = cda.LookupValueSet(cda.JDVTypeCode)
	vsConfidentiality = cda.LookupValueSet(cda.JDVXDSConfidential)
	vsSpecialty       = cda.LookupValueSet(cda.JDVAuthorSpecialty)
)

// formatCodes is ASS_A12: the level 1 XDS formatCode from the body media
// type (cda.md §3), code system OIDFormatCode.
var formatCodes = map[string]string{
	cda.MediaTypePDF:  "urn:ihe:iti:xds-sd:pdf:2008",
	cda.MediaTypeText: "urn:ihe:iti:xds-sd:text:2008",
	"text/rtf":        "urn:ihe:iti-fr:xds-sd:rtf:2010",
	"image/jpeg":      "urn:ihe:iti-fr:xds-sd:jpeg:2010",
	"image/tiff":      "urn:ihe:iti-fr:xds-sd:tiff:2010",
}

// OIDFormatCode is the code system of the IHE formatCodes.
const OIDFormatCode = "1.3.6.1.4.1.19376.1.2.3"

// FormatCodeFor returns the XDS formatCode of a level 1 body media type
// (ASS_A12).
func FormatCodeFor(mediaType string) (Code, bool) {
	c, ok := formatCodes[mediaType]
	if !ok {
		return Code{}, false
	}
	return Code{Code: c, CodeSystem: OIDFormatCode, DisplayName: c}, true
}

// EntryFromHeader derives the DocumentEntry of a CDA document from its
// CI-SIS header (xdm.md §8), in the French XDS formats of xdm.md §6: CX
// patient ids, XCN authors and legal authenticator, XON institutions,
// code^label^OID specialties, UTC times. It is the SDK's one mapping from a
// CDA header to XDS metadata; the caller may change any field afterwards.
//
//   - ClassCode comes from the type code through ASS_X04
//     (cda.ClassCodeFor); FormatCode, for a level 1 document, from the body
//     media type (ASS_A12, FormatCodeFor). For a structured document it is
//     left zero: the model's formatCode (ASS_A11) is not derived here.
//   - PatientID is the INS (CX ^NH) when the document carries one, otherwise
//     the first local identifier (CX ^PI); SourcePatientID is the first local
//     identifier, otherwise the INS.
//   - Action is ActionReplace when the document replaces a parent
//     (relatedDocument RPLC), with ParentDocumentID its id.
//   - EventCodes are left empty (the mapping is UNCONFIRMED, xdm.md §8).
//
// A header without ClinicalDocument/id or without any patient identifier
// gives a *FieldError wrapping ErrMissingField. Other fields are derived
// from what is there, without validation (use cda.Validate).
func EntryFromHeader(h *cda.Header) (DocumentEntry, error) {
	if h == nil || h.ID.Root == "" {
		return DocumentEntry{}, &FieldError{Object: "CDA header", Field: "ID", Err: ErrMissingField}
	}
	e := DocumentEntry{
		UniqueID:                   h.ID.String(),
		LogicalID:                  h.SetID.String(),
		Title:                      h.Title,
		TypeCode:                   h.Code,
		MimeType:                   "text/xml",
		LanguageCode:               h.LanguageCode,
		CreationTime:               utc(h.EffectiveTime),
		ServiceStartTime:           utc(h.ServiceEvent.Start),
		ServiceStopTime:            utc(h.ServiceEvent.Stop),
		HealthcareFacilityTypeCode: h.Encounter.FacilityType,
	}
	if h.AutoPresentable {
		e.MimeType = "application/xslt+xml"
	}
	if h.VersionNumber > 0 {
		e.Version = strconv.Itoa(h.VersionNumber)
	}
	if c, ok := vsTypeCode.Lookup(h.Code.CodeSystem, h.Code.Code); ok && e.TypeCode.DisplayName == "" {
		e.TypeCode.DisplayName = c.DisplayName
	}
	e.ClassCode, _ = cda.ClassCodeFor(h.Code)
	if h.BodyMediaType != "" {
		e.FormatCode, _ = FormatCodeFor(h.BodyMediaType)
	}
	if c := h.ConfidentialityCode; !c.IsZero() {
		if v, ok := vsConfidentiality.Lookup(c.CodeSystem, c.Code); ok && c.DisplayName == "" {
			c.DisplayName = v.DisplayName
		}
		e.ConfidentialityCodes = []Code{c}
	}
	if pf := h.ServiceEvent.Performer; pf != nil {
		e.PracticeSettingCode = pf.PracticeSetting
	}
	if err := patientIDs(&e, &h.Patient); err != nil {
		return DocumentEntry{}, err
	}
	for i := range h.Authors {
		e.Authors = append(e.Authors, authorOf(&h.Authors[i]))
	}
	if la := h.LegalAuthenticator; la != nil {
		e.LegalAuthenticator = XCN(la.Person.ID, la.Person.Name)
	}
	if rd := h.RelatedDocument; rd != nil && rd.ParentID.Root != "" && (rd.TypeCode == "" || rd.TypeCode == "RPLC") {
		e.ParentDocumentID = rd.ParentID.String()
		e.Action = ActionReplace
	}
	return e, nil
}

// patientIDs sets PatientID, PatientINS, SourcePatientID and
// SourcePatientInfo from the CDA patient.
func patientIDs(e *DocumentEntry, p *cda.Patient) error {
	var local string
	for _, id := range p.IDs {
		if id.Root != "" && id.Extension != "" {
			local = id.Extension + "^^^&" + id.Root + "&ISO^PI"
			break
		}
	}
	e.PatientID = local
	if !p.Identity.INS.IsZero() {
		e.PatientINS = p.Identity.INS
		e.PatientID = p.Identity.INS.CX()
	}
	e.SourcePatientID = local
	if local == "" {
		e.SourcePatientID = e.PatientID
	}
	if e.PatientID == "" {
		return &FieldError{Object: "CDA header", Field: "Patient (no INS, no other identifier)", Err: ErrMissingField}
	}
	e.SourcePatientInfo = sourcePatientInfo(&p.Identity.Traits)
	return nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// sourcePatientInfo writes the PID-5/7/8/11 values (xdm.md §6).
func sourcePatientInfo(t *ins.Traits) []string {
	var out []string
	if t.BirthName != "" {
		out = append(out, "PID-5|"+t.BirthName+"^"+t.FirstGiven()+"^"+t.BirthGivenNames+"^^^^L")
	}
	if t.UsedName != "" {
		out = append(out, "PID-5|"+t.UsedName+"^"+t.UsedGivenName+"^^^^^D")
	}
	if !t.BirthDate.IsZero() {
		out = append(out, "PID-7|"+t.BirthDate.Format("20060102"))
	}
	if t.Sex != "" {
		out = append(out, "PID-8|"+string(t.Sex))
	}
	if t.BirthPlace != "" {
		out = append(out, "PID-11|^^^^^^BDL^^"+t.BirthPlace)
	}
	return out
}

// XCN formats a professional as an XDS XCN (xdm.md §6):
// id^FAMILY^Given^^^^^^&root&ISO^D^^^IDNPS. The identifier type IDNPS is
// written for the idNat_PS root only.
func XCN(id cda.II, n cda.PersonName) string {
	typ := ""
	if id.Root == idnat.OIDPerson {
		typ = "IDNPS"
	}
	aa := ""
	if id.Root != "" {
		aa = "&" + id.Root + "&ISO"
	}
	return id.Extension + "^" + n.Family + "^" + n.Given + "^^^^^^" + aa + "^D^^^" + typ
}

// XON formats an organisation as an XDS XON (xdm.md §6):
// Name^^^^^&root&ISO^IDNST^^^extension; "" for nil.
func XON(o *cda.Organization) string {
	if o == nil {
		return ""
	}
	if o.ID.Root == "" || o.ID.NullFlavor != "" {
		return o.Name
	}
	return o.Name + "^^^^^&" + o.ID.Root + "&ISO^IDNST^^^" + o.ID.Extension
}

// xtn formats a telecom as an XTN: ^^Internet^address for an e-mail,
// ^^PH^^^^^^^^^number for a telephone (UNCONFIRMED French usage).
func xtn(t cda.Telecom) string {
	switch {
	case strings.HasPrefix(t.Value, "mailto:"):
		return "^^Internet^" + strings.TrimPrefix(t.Value, "mailto:")
	case strings.HasPrefix(t.Value, "tel:"):
		return "^^PH^^^^^^^^^" + strings.TrimPrefix(t.Value, "tel:")
	}
	return ""
}

// authorOf maps a CDA author: a person, or a device whose software stands
// for the name (UNCONFIRMED form).
func authorOf(a *cda.Author) Author {
	var x Author
	switch {
	case a.Person != nil:
		x.Person = XCN(a.ID, *a.Person)
	case a.Device != nil:
		x.Person = XCN(a.ID, cda.PersonName{Family: a.Device.SoftwareName, Given: a.Device.ManufacturerModelName})
	default:
		x.Person = XCN(a.ID, cda.PersonName{})
	}
	if a.Organization != nil {
		x.Institutions = []string{XON(a.Organization)}
	}
	if d := a.FunctionCode.DisplayName; d != "" {
		x.Roles = []string{d}
	} else if a.FunctionCode.Code != "" {
		x.Roles = []string{a.FunctionCode.Code}
	}
	if c := a.Code; c.Code != "" {
		if c.DisplayName == "" {
			if v, ok := vsSpecialty.Lookup(c.CodeSystem, c.Code); ok {
				c.DisplayName = v.DisplayName
			}
		}
		x.Specialties = []string{c.Code + "^" + c.DisplayName + "^" + c.CodeSystem}
	}
	for _, t := range a.Telecoms {
		if s := xtn(t); s != "" {
			x.Telecoms = append(x.Telecoms, s)
		}
	}
	return x
}

// DocumentFromCDA reads the header of a CDA R2 document with package cda
// and returns the document with its metadata (EntryFromHeader). The content
// is cdaXML itself, not copied.
func DocumentFromCDA(cdaXML []byte) (*Document, error) {
	h, err := cda.ReadHeader(bytes.NewReader(cdaXML))
	if err != nil {
		return nil, fmt.Errorf("xdm: reading the CDA header: %w", err)
	}
	e, err := EntryFromHeader(h)
	if err != nil {
		return nil, fmt.Errorf("xdm: CDA header to XDS metadata: %w", err)
	}
	return &Document{Entry: e, Content: cdaXML}, nil
}
