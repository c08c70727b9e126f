package cda

import (
	"time"

	"github.com/mssante-go/sdk/ins"
)

// II is a CDA instance identifier: an OID or UUID root and an optional
// extension. NullFlavor is set (and Root empty) when the document says the
// identifier is unknown or masked.
type II struct {
	Root       string `json:"root,omitempty"`
	Extension  string `json:"extension,omitempty"`
	NullFlavor string `json:"null_flavor,omitempty"`
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
	TemplateIDs []II `json:"template_ids,omitempty"`

	ID                  II        `json:"id,omitzero"`                   // ClinicalDocument/id, unique per version
	Code                Code      `json:"code,omitzero"`                 // document type, JDV_J07
	Title               string    `json:"title,omitempty"`               // always emitted
	EffectiveTime       time.Time `json:"effective_time,omitzero"`       // creation time of this version
	ConfidentialityCode Code      `json:"confidentiality_code,omitzero"` // HL7 Confidentiality (N usual)
	LanguageCode        string    `json:"language_code,omitempty"`       // fr-FR when empty in Build
	SetID               II        `json:"set_id,omitzero"`               // common to every version of the document
	VersionNumber       int       `json:"version_number,omitempty"`      // 1 for the first version

	Patient Patient `json:"patient,omitzero"`

	Authors               []Author            `json:"authors,omitempty"`
	Informants            []Informant         `json:"informants,omitempty"`
	Custodian             Organization        `json:"custodian,omitzero"`
	LegalAuthenticator    *LegalAuthenticator `json:"legal_authenticator,omitempty"`
	InformationRecipients []Recipient         `json:"information_recipients,omitempty"`
	Participants          []Participant       `json:"participants,omitempty"`

	// ServiceEvent is the first documentationOf/serviceEvent (the one the
	// kit constrains and XDS reads); OtherServiceEvents are the next ones.
	ServiceEvent       ServiceEvent   `json:"service_event,omitzero"`
	OtherServiceEvents []ServiceEvent `json:"other_service_events,omitempty"`

	// RelatedDocument is set on a replacement (new version) of a document.
	RelatedDocument *RelatedDocument `json:"related_document,omitempty"`

	Encounter Encounter `json:"encounter,omitzero"`

	// BodyMediaType is the nonXMLBody/text/@mediaType of a level 1
	// document, "" for a structured body (set by the reader; Build uses
	// the media type of the Body it is given).
	BodyMediaType string `json:"body_media_type,omitempty"`

	// AutoPresentable is set by the reader when the document is an XSLT
	// stylesheet embedding the ClinicalDocument (XDS mimeType
	// application/xslt+xml). Build never writes one.
	AutoPresentable bool `json:"auto_presentable,omitempty"`
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
	Identity ins.Identity `json:"identity,omitzero"`
	// IDs are the other identifiers (IPP...), in document order.
	IDs []II `json:"ids,omitempty"`
	// BirthPlaceCity is birthplace/place/addr/city (informative).
	BirthPlaceCity string    `json:"birth_place_city,omitempty"`
	Addr           *Address  `json:"addr,omitempty"`
	Telecoms       []Telecom `json:"telecoms,omitempty"`
	// Guardians are patient/guardian: the legal representatives of a
	// minor or of a protected adult (a parent, a tutor).
	Guardians []Guardian `json:"guardians,omitempty"`
}

// Guardian is a legal representative of the patient (patient/guardian): a
// person or an organisation, with how to reach them.
type Guardian struct {
	// Exactly one of Person and Organization is set. A guardian's name
	// has a civilité, given and family names, no title (the CI-SIS
	// template lists prefix, given and family).
	Person       *PersonName   `json:"person,omitempty"`       // guardianPerson/name
	Organization *Organization `json:"organization,omitempty"` // guardianOrganization: id (idNat_Struct) and name
	Addr         *Address      `json:"addr,omitempty"`
	Telecoms     []Telecom     `json:"telecoms,omitempty"`
}

// Informant is an informant of the document: a professional
// (assignedEntity) or someone close to the patient (relatedEntity): the
// parent of a minor, a tutor, the person of trust.
type Informant struct {
	// Exactly one of Person and Relative is set.
	Person   *Person   `json:"person,omitempty"`
	Relative *Relative `json:"relative,omitempty"`
}

// Relative is informant/relatedEntity: a person close to the patient.
type Relative struct {
	// ClassCode is relatedEntity/@classCode: NOK (next of kin, the
	// default), ECON (emergency contact), CAREGIVER, CON, PAT.
	ClassCode string     `json:"class_code,omitempty"`
	Relation  Code       `json:"relation,omitzero"` // code, JDV_J11 RelationPatient: MTH, FTH, TUTEUR...
	Name      PersonName `json:"name,omitzero"`     // relatedPerson/name, Family required
	Addr      *Address   `json:"addr,omitempty"`
	Telecoms  []Telecom  `json:"telecoms,omitempty"`
}

// Participant is a participant of the document (participant): the
// prescriber (REF), the médecin traitant (functionCode PCP), who took a
// sample (PRF, functionCode PRELV)...
type Participant struct {
	TypeCode     string    `json:"type_code,omitempty"`    // JDV_J144 ParticipationType: REF, INF, CON, PRF, REFB, RESP, VRF
	FunctionCode Code      `json:"function_code,omitzero"` // JDV_J47, optional
	Start        time.Time `json:"start,omitzero"`         // time/low, optional
	Stop         time.Time `json:"stop,omitzero"`          // time/high, optional
	ClassCode    string    `json:"class_code,omitempty"`   // associatedEntity/@classCode, JDV_J141: PROV (the default), AGNT
	Person       Person    `json:"person,omitzero"`        // associatedEntity: id, code (JDV_J01), addr, telecoms, associatedPerson/name, scopingOrganization
}

// Address is a postal address (AD), reduced to the parts French documents
// use. The CI-SIS address is either lines (StreetAddressLine alone) or
// parts (the other fields, without StreetAddressLine): Build refuses a
// mix, which the kit's templates do not allow.
type Address struct {
	Use               string `json:"use,omitempty"`
	HouseNumber       string `json:"house_number,omitempty"`
	StreetName        string `json:"street_name,omitempty"`
	StreetAddressLine string `json:"street_address_line,omitempty"`
	AdditionalLocator string `json:"additional_locator,omitempty"`
	PostalCode        string `json:"postal_code,omitempty"`
	City              string `json:"city,omitempty"`
	Country           string `json:"country,omitempty"`
}

// Telecom is a TEL: a URL such as tel:0144534551 or mailto:a@b.mssante.fr
// and its use (WP, H, MC...).
type Telecom struct {
	Value string `json:"value,omitempty"`
	Use   string `json:"use,omitempty"`
}

// PersonName is the name of a person: civilité, given and family names,
// title. CI-SIS writes the civilité in name/prefix (JDV_J245) and the title
// in name/suffix (JDV_J246), as the official N1 example does: "Dr Marie
// MARTIN" is {Civility: CivilityMrs, Given: "Marie", Family: "MARTIN",
// Title: TitleDoctor}. Build refuses a civilité or a title outside its
// value set (the kit's rules on prefix and suffix); the reader keeps what a
// document says, which Validate checks.
type PersonName struct {
	Civility Civility `json:"civility,omitempty"` // name/prefix, JDV_J245
	Given    string   `json:"given,omitempty"`
	Family   string   `json:"family,omitempty"`
	Title    Title    `json:"title,omitempty"` // name/suffix, JDV_J246
}

// Civility is a civilité of JDV_J245 Civilite (1.2.250.1.213.1.1.5.718),
// written in name/prefix.
type Civility string

// The civilités of JDV_J245.
const (
	CivilityMr  Civility = "M"   // Monsieur
	CivilityMrs Civility = "MME" // Madame
)

// Valid reports whether c is a code of JDV_J245.
func (c Civility) Valid() bool { return vsJ245.HasCode(string(c)) }

// Title is a title of JDV_J246 Titre (1.2.250.1.213.1.1.5.719), written in
// name/suffix.
type Title string

// The titles of JDV_J246.
const (
	TitleDoctor            Title = "DR" // Docteur
	TitleProfessor         Title = "PR" // Professeur
	TitleChiefPhysician    Title = "MC" // Médecin chef
	TitleGeneralPhysician  Title = "MG" // Médecin général
	TitleChiefPharmacist   Title = "PC" // Pharmacien chef
	TitleGeneralPharmacist Title = "PG" // Pharmacien général
)

// Valid reports whether t is a code of JDV_J246.
func (t Title) Valid() bool { return vsJ246.HasCode(string(t)) }

// Person is an assigned entity: a professional with a national identifier
// (NewRPPS builds one), name, telecoms and optional organization.
type Person struct {
	ID           II            `json:"id,omitzero"`
	Code         Code          `json:"code,omitzero"` // profession/specialty (JDV_J01)
	Name         PersonName    `json:"name,omitzero"`
	Addr         *Address      `json:"addr,omitempty"`
	Telecoms     []Telecom     `json:"telecoms,omitempty"`
	Organization *Organization `json:"organization,omitempty"`
}

// Device is an authoring device (assignedAuthoringDevice).
type Device struct {
	ManufacturerModelName string `json:"manufacturer_model_name,omitempty"`
	SoftwareName          string `json:"software_name,omitempty"`
}

// Author is one author of the document: a person or a device.
type Author struct {
	Time         time.Time `json:"time,omitzero"`
	FunctionCode Code      `json:"function_code,omitzero"` // JDV_J47, optional
	ID           II        `json:"id,omitzero"`            // assignedAuthor/id: RPPS-based national id for a person
	Code         Code      `json:"code,omitzero"`          // assignedAuthor/code: specialty (JDV_J01)
	Addr         *Address  `json:"addr,omitempty"`
	Telecoms     []Telecom `json:"telecoms,omitempty"`
	// Exactly one of Person and Device is set.
	Person       *PersonName   `json:"person,omitempty"`
	Device       *Device       `json:"device,omitempty"`
	Organization *Organization `json:"organization,omitempty"` // representedOrganization, optional
}

// Organization is an organization (custodian, represented organization).
type Organization struct {
	ID       II        `json:"id,omitzero"`
	Name     string    `json:"name,omitempty"`
	Telecoms []Telecom `json:"telecoms,omitempty"`
	Addr     *Address  `json:"addr,omitempty"`
	// IndustryCode is standardIndustryClassCode: the practice setting
	// (JDV_J04) for a performer's or author's organization.
	IndustryCode Code `json:"industry_code,omitzero"`
}

// LegalAuthenticator is the person legally responsible for the document
// (signatureCode S).
type LegalAuthenticator struct {
	Time   time.Time `json:"time,omitzero"`
	Person Person    `json:"person,omitzero"`
}

// Recipient is an informationRecipient: a person and/or an organization.
type Recipient struct {
	TypeCode     string        `json:"type_code,omitempty"` // PRCP (primary, the default) or TRC
	Person       *Person       `json:"person,omitempty"`
	Organization *Organization `json:"organization,omitempty"` // receivedOrganization
}

// ServiceEvent is documentationOf/serviceEvent: the act documented.
type ServiceEvent struct {
	ID        II         `json:"id,omitzero"`
	Code      Code       `json:"code,omitzero"`
	Start     time.Time  `json:"start,omitzero"` // effectiveTime/low, required on the first one
	Stop      time.Time  `json:"stop,omitzero"`  // effectiveTime/high, optional
	Performer *Performer `json:"performer,omitempty"`
}

// Performer is the performer of the service event. PracticeSetting is
// assignedEntity/representedOrganization/standardIndustryClassCode (JDV_J04),
// the XDS practiceSettingCode.
type Performer struct {
	Person
	PracticeSetting Code `json:"practice_setting,omitzero"`
}

// Encounter is componentOf/encompassingEncounter.
type Encounter struct {
	ID           II        `json:"id,omitzero"`
	Code         Code      `json:"code,omitzero"` // JDV_J142, optional
	Start        time.Time `json:"start,omitzero"`
	Stop         time.Time `json:"stop,omitzero"`
	FacilityID   II        `json:"facility_id,omitzero"`   // location/healthCareFacility/id
	FacilityType Code      `json:"facility_type,omitzero"` // location/healthCareFacility/code: JDV_J02, the XDS healthcareFacilityTypeCode
	// Participants are the encounterParticipants: who admitted,
	// attended, discharged the patient.
	Participants []EncounterParticipant `json:"participants,omitempty"`
}

// EncounterParticipant is encompassingEncounter/encounterParticipant.
type EncounterParticipant struct {
	TypeCode string    `json:"type_code,omitempty"` // JDV_J140: ADM, ATND, CON, DIS, REF, RESP
	Start    time.Time `json:"start,omitzero"`      // time/low, optional
	Stop     time.Time `json:"stop,omitzero"`       // time/high, optional
	Person   Person    `json:"person,omitzero"`     // assignedEntity: id (idNat_PS), code, addr, telecoms, assignedPerson/name, representedOrganization
}

// RelatedDocument is relatedDocument/parentDocument: the version this
// document replaces (TypeCode RPLC).
type RelatedDocument struct {
	TypeCode string `json:"type_code,omitempty"` // RPLC
	ParentID II     `json:"parent_id,omitzero"`
	// ParentSetID is parentDocument/setId, read from the documents that
	// write it; the CI-SIS template of parentDocument has id and
	// versionNumber only, so Build refuses it (the kit warns about it).
	ParentSetID   II  `json:"parent_set_id,omitzero"`
	ParentVersion int `json:"parent_version,omitempty"` // 0 when absent
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
