package cda

import (
	"time"

	"github.com/mssante-go/sdk/ins"
)

// II is a CDA instance identifier: an OID or UUID root and an optional
// extension. NullFlavor is set (and Root empty) when the document says the
// identifier is unknown or masked.
type II struct {
	Root       string
	Extension  string
	NullFlavor string
}

// IsZero reports whether the identifier is empty.
func (i II) IsZero() bool { return i.Root == "" && i.Extension == "" && i.NullFlavor == "" }

// String returns root, or root^extension when there is an extension: the
// form of the XDS uniqueId (xdm.md §5.2).
func (i II) String() string {
	if i.Extension == "" {
		return i.Root
	}
	return i.Root + "^" + i.Extension
}

// Header is the CI-SIS "Structuration minimale" header of a CDA R2 document
// (cda.md §2). The same model is read from any document (ReadHeader, Parse)
// and written by Build.
//
// Times keep their offset: Build writes them as YYYYMMDDhhmmss±hhmm in the
// time's location; XDS metadata converts them to UTC.
type Header struct {
	// TemplateIDs are the ClinicalDocument/templateId. Build ignores them and
	// writes the three templateIds of a level 1 document (cda.md §3).
	TemplateIDs []II

	ID                  II        // ClinicalDocument/id, unique per version
	Code                Code      // document type, JDV_J07
	Title               string    // always emitted
	EffectiveTime       time.Time // creation time of this version
	ConfidentialityCode Code      // HL7 Confidentiality (N usual)
	LanguageCode        string    // fr-FR when empty in Build
	SetID               II        // common to every version of the document
	VersionNumber       int       // 1 for the first version

	Patient Patient

	Authors               []Author
	Custodian             Organization
	LegalAuthenticator    *LegalAuthenticator
	InformationRecipients []Recipient

	// ServiceEvent is the first documentationOf/serviceEvent (the one the
	// kit constrains and XDS reads); OtherServiceEvents are the next ones.
	ServiceEvent       ServiceEvent
	OtherServiceEvents []ServiceEvent

	// RelatedDocument is set on a replacement (new version) of a document.
	RelatedDocument *RelatedDocument

	Encounter Encounter

	// BodyMediaType is the nonXMLBody/text/@mediaType of a level 1
	// document, "" for a structured body (set by the reader; Build uses
	// the media type of the Body it is given).
	BodyMediaType string

	// AutoPresentable is set by the reader when the document is an XSLT
	// stylesheet embedding the ClinicalDocument (XDS mimeType
	// application/xslt+xml). Build never writes one.
	AutoPresentable bool
}

// Patient is recordTarget/patientRole.
//
// Identity.INS is the INS when the document carries one (an id whose root
// is an INS authority and that has an extension, ins.md §5); Identity.Traits are the patient's
// traits (birth names, given names, birth date, sex, birthplace COG, used
// names). A reader sets Identity.Status to QUAL when the document carries
// an INS, since only a qualified identity may carry one; it does not check
// the matricule (Validate does). Build refuses an INS whose identity is not
// complete (ins.Identity.CheckComplete).
type Patient struct {
	Identity ins.Identity
	// IDs are the other identifiers (IPP...), in document order.
	IDs []II
	// BirthPlaceCity is birthplace/place/addr/city (informative).
	BirthPlaceCity string
	Addr           *Address
	Telecoms       []Telecom
}

// Address is a postal address (AD), reduced to the parts French documents use.
type Address struct {
	Use               string
	HouseNumber       string
	StreetName        string
	StreetAddressLine string
	AdditionalLocator string
	PostalCode        string
	City              string
	Country           string
}

// Telecom is a TEL: a URL such as tel:0144534551 or mailto:a@b.mssante.fr
// and its use (WP, H, MC...).
type Telecom struct {
	Value string
	Use   string
}

// PersonName is the name of a professional (prefix, given, family, suffix).
type PersonName struct {
	Prefix string
	Given  string
	Family string
	Suffix string
}

// Person is an assigned entity: a professional with a national identifier
// (NewRPPS builds one), name, telecoms and optional organization.
type Person struct {
	ID           II
	Code         Code // profession/specialty (JDV_J01)
	Name         PersonName
	Addr         *Address
	Telecoms     []Telecom
	Organization *Organization
}

// Device is an authoring device (assignedAuthoringDevice).
type Device struct {
	ManufacturerModelName string
	SoftwareName          string
}

// Author is one author of the document: a person or a device.
type Author struct {
	Time         time.Time
	FunctionCode Code // JDV_J47, optional
	ID           II   // assignedAuthor/id: RPPS-based national id for a person
	Code         Code // assignedAuthor/code: specialty (JDV_J01)
	Addr         *Address
	Telecoms     []Telecom
	// Exactly one of Person and Device is set.
	Person       *PersonName
	Device       *Device
	Organization *Organization // representedOrganization, optional
}

// Organization is an organization (custodian, represented organization).
type Organization struct {
	ID       II
	Name     string
	Telecoms []Telecom
	Addr     *Address
	// IndustryCode is standardIndustryClassCode: the practice setting
	// (JDV_J04) for a performer's or author's organization.
	IndustryCode Code
}

// LegalAuthenticator is the person legally responsible for the document
// (signatureCode S).
type LegalAuthenticator struct {
	Time   time.Time
	Person Person
}

// Recipient is an informationRecipient: a person and/or an organization.
type Recipient struct {
	TypeCode     string // PRCP (primary, the default) or TRC
	Person       *Person
	Organization *Organization // receivedOrganization
}

// ServiceEvent is documentationOf/serviceEvent: the act documented.
type ServiceEvent struct {
	ID        II
	Code      Code
	Start     time.Time // effectiveTime/low, required on the first one
	Stop      time.Time // effectiveTime/high, optional
	Performer *Performer
}

// Performer is the performer of the service event. PracticeSetting is
// assignedEntity/representedOrganization/standardIndustryClassCode (JDV_J04),
// the XDS practiceSettingCode.
type Performer struct {
	Person
	PracticeSetting Code
}

// Encounter is componentOf/encompassingEncounter.
type Encounter struct {
	ID           II
	Code         Code // JDV_J142, optional
	Start        time.Time
	Stop         time.Time
	FacilityID   II   // location/healthCareFacility/id
	FacilityType Code // location/healthCareFacility/code: JDV_J02, the XDS healthcareFacilityTypeCode
}

// RelatedDocument is relatedDocument/parentDocument: the version this
// document replaces (TypeCode RPLC).
type RelatedDocument struct {
	TypeCode      string // RPLC
	ParentID      II
	ParentSetID   II
	ParentVersion int // 0 when absent
}

// Common OIDs of the CI-SIS header.
const (
	NS = "urn:hl7-org:v3" // CDA R2 namespace

	OIDTemplateHL7France = "2.16.840.1.113883.2.8.2.1"
	OIDTemplateCISIS     = "1.2.250.1.213.1.1.1.1"
	OIDTemplateXDSSD     = "1.3.6.1.4.1.19376.1.2.20"

	OIDTypeID          = "2.16.840.1.113883.1.3"
	OIDPatientHost     = "1.2.250.1.213.4.1" // custodian hosting patient-produced documents
	OIDConfidentiality = "2.16.840.1.113883.5.25"
	OIDGender          = "2.16.840.1.113883.5.1"
	OIDLOINC           = "2.16.840.1.113883.6.1"
)

// Media types of a level 1 body.
const (
	MediaTypePDF  = "application/pdf"
	MediaTypeText = "text/plain"
)
