package cda

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mssante-go/sdk/idnat"
	"github.com/mssante-go/sdk/ins"
)

// ErrNoPatientID: the header has no patient identifier to put in the XDS
// patientId.
var ErrNoPatientID = errors.New("cda: no patient identifier for the XDS patientId")

// ErrNoDocumentID: the header has no ClinicalDocument/id.
var ErrNoDocumentID = errors.New("cda: no document id for the XDS uniqueId")

// formatCodes is ASS_A12: the level 1 XDS formatCode from the body media
// type (cda.md §3), code system 1.3.6.1.4.1.19376.1.2.3.
var formatCodes = map[string]string{
	MediaTypePDF:  "urn:ihe:iti:xds-sd:pdf:2008",
	MediaTypeText: "urn:ihe:iti:xds-sd:text:2008",
	"text/rtf":    "urn:ihe:iti-fr:xds-sd:rtf:2010",
	"image/jpeg":  "urn:ihe:iti-fr:xds-sd:jpeg:2010",
	"image/tiff":  "urn:ihe:iti-fr:xds-sd:tiff:2010",
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

// XDSMetadata derives the XDS DocumentEntry metadata from the header
// (xdm.md §8), in the French formats of xdm.md §6.
//
//   - FormatCode is set for a level 1 document (from BodyMediaType); for a
//     structured document it is left zero: the model's formatCode (ASS_A11)
//     is not derived here, the caller sets it.
//   - PatientID is the INS (CX ^NH) when the document carries one, otherwise
//     the first local identifier (CX ^PI); SourcePatientID is the first local
//     identifier, otherwise the INS.
//   - EventCodes are left empty (the mapping is UNCONFIRMED, xdm.md §8).
//
// The error wraps ErrNoDocumentID or ErrNoPatientID when the header lacks
// what every DocumentEntry needs. Other fields are derived from what is
// there, without validation (use Validate).
func (h *Header) XDSMetadata() (*XDSMetadata, error) {
	if h == nil || h.ID.Root == "" {
		return nil, ErrNoDocumentID
	}
	m := &XDSMetadata{
		UniqueID:     h.ID.String(),
		LogicalID:    h.SetID.String(),
		Title:        h.Title,
		TypeCode:     h.Code,
		MimeType:     "text/xml",
		LanguageCode: h.LanguageCode,
		CreationTime: utc(h.EffectiveTime),
	}
	if h.AutoPresentable {
		m.MimeType = "application/xslt+xml"
	}
	if h.VersionNumber > 0 {
		m.Version = fmt.Sprint(h.VersionNumber)
	}
	if c, ok := vsJ07.Lookup(h.Code.CodeSystem, h.Code.Code); ok && m.TypeCode.DisplayName == "" {
		m.TypeCode.DisplayName = c.DisplayName
	}
	m.ClassCode, _ = ClassCodeFor(h.Code)
	if h.BodyMediaType != "" {
		m.FormatCode, _ = FormatCodeFor(h.BodyMediaType)
	}
	if !h.ConfidentialityCode.IsZero() {
		c := h.ConfidentialityCode
		if v, ok := vsJ08.Lookup(c.CodeSystem, c.Code); ok && c.DisplayName == "" {
			c.DisplayName = v.DisplayName
		}
		m.ConfidentialityCodes = []Code{c}
	}
	m.ServiceStartTime = utc(h.ServiceEvent.Start)
	m.ServiceStopTime = utc(h.ServiceEvent.Stop)
	m.HealthcareFacilityTypeCode = h.Encounter.FacilityType
	if pf := h.ServiceEvent.Performer; pf != nil {
		m.PracticeSettingCode = pf.PracticeSetting
	}

	// Patient.
	p := &h.Patient
	var local string
	for _, id := range p.IDs {
		if id.Root != "" && id.Extension != "" {
			local = id.Extension + "^^^&" + id.Root + "&ISO^PI"
			break
		}
	}
	if !p.Identity.INS.IsZero() {
		m.PatientINS = p.Identity.INS
		m.PatientID = p.Identity.INS.CX()
	} else {
		m.PatientID = local
	}
	m.SourcePatientID = local
	if local == "" {
		m.SourcePatientID = m.PatientID
	}
	if m.PatientID == "" {
		return nil, ErrNoPatientID
	}
	m.SourcePatientInfo = sourcePatientInfo(&p.Identity.Traits)

	for i := range h.Authors {
		m.Authors = append(m.Authors, xdsAuthor(&h.Authors[i]))
	}
	if la := h.LegalAuthenticator; la != nil {
		m.LegalAuthenticator = XCN(la.Person.ID, la.Person.Name)
	}
	if rd := h.RelatedDocument; rd != nil && rd.ParentID.Root != "" {
		m.ParentDocumentID = rd.ParentID.String()
		m.ParentRelation = "RPLC"
	}
	return m, nil
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
func XCN(id II, n PersonName) string {
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
func XON(o *Organization) string {
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
func xtn(t Telecom) string {
	switch {
	case strings.HasPrefix(t.Value, "mailto:"):
		return "^^Internet^" + strings.TrimPrefix(t.Value, "mailto:")
	case strings.HasPrefix(t.Value, "tel:"):
		return "^^PH^^^^^^^^^" + strings.TrimPrefix(t.Value, "tel:")
	}
	return ""
}

func xdsAuthor(a *Author) XDSAuthor {
	var x XDSAuthor
	switch {
	case a.Person != nil:
		x.Person = XCN(a.ID, *a.Person)
	case a.Device != nil:
		// A device: the software as the "name" (UNCONFIRMED form).
		x.Person = XCN(a.ID, PersonName{Family: a.Device.SoftwareName, Given: a.Device.ManufacturerModelName})
	default:
		x.Person = XCN(a.ID, PersonName{})
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
			if v, ok := vsJ01.Lookup(c.CodeSystem, c.Code); ok {
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
