package xdm

import (
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/ins"
)

// Code is a coded value (code, code system OID, display name); it is the
// type of package cda so that metadata moves from a CDA header unchanged.
type Code = cda.Code

// Action is the French extra metadata that asks the receiver to replace or
// delete a document it already holds (xdm.md §7.2).
type Action string

const (
	// ActionNone: a new document (no action slot is written).
	ActionNone Action = ""
	// ActionReplace ("C", change): the document replaces the one named by
	// ParentDocumentID (CDA relatedDocument[@typeCode='RPLC']/parentDocument/id).
	ActionReplace Action = "C"
	// ActionDelete ("D"): the receiver deletes the document whose uniqueId
	// (CDA ClinicalDocument/id) is the entry's UniqueID.
	ActionDelete Action = "D"
)

// Author is an XDS author: a person (XCN) or device with institutions (XON),
// roles, specialties (code^label^OID) and telecoms (XTN). EntryFromHeader
// fills it from a CDA author.
type Author struct {
	Person       string   `json:"person,omitempty"`
	Institutions []string `json:"institutions,omitempty"`
	Roles        []string `json:"roles,omitempty"`
	Specialties  []string `json:"specialties,omitempty"`
	Telecoms     []string `json:"telecoms,omitempty"`
}

// IsZero reports whether the author has no value at all.
func (a Author) IsZero() bool {
	return a.Person == "" && len(a.Institutions) == 0 && len(a.Roles) == 0 &&
		len(a.Specialties) == 0 && len(a.Telecoms) == 0
}

// DocumentEntry is the XDS metadata of one document (ebRIM ExtrinsicObject,
// xdm.md §5.2). Values are in the French XDS formats (xdm.md §6): CX for
// patient identifiers, XCN for persons, XON for organisations.
//
// For writing, EntryUUID, Hash, Size and URI may be left empty: Write
// generates the id, computes hash and size from the content and names the
// files DOC0001.XML, DOC0002.PDF... A non-empty Hash or Size must match the
// content. For reading, every field holds what METADATA.XML says.
type DocumentEntry struct {
	EntryUUID  string `json:"entry_uuid,omitempty"` // ebRIM id, "urn:uuid:..."; generated when empty
	UniqueID   string `json:"unique_id,omitempty"`  // R: CDA ClinicalDocument/id (root or root^extension)
	LogicalID  string `json:"logical_id,omitempty"` // CDA setId (not written: not an XDM attribute)
	Version    string `json:"version,omitempty"`    // CDA versionNumber (not written)
	Title      string `json:"title,omitempty"`
	Comments   string `json:"comments,omitempty"`
	MimeType   string `json:"mime_type,omitempty"`   // R: text/xml for a CDA
	ObjectType string `json:"object_type,omitempty"` // stable entry (ObjectTypeStable) when empty
	Status     string `json:"status,omitempty"`      // availabilityStatus; StatusApproved when empty

	TypeCode                   Code   `json:"type_code,omitzero"`                     // R2, JDV_J07
	ClassCode                  Code   `json:"class_code,omitzero"`                    // R2, JDV_J06
	FormatCode                 Code   `json:"format_code,omitzero"`                   // R2, JDV_J10
	HealthcareFacilityTypeCode Code   `json:"healthcare_facility_type_code,omitzero"` // R2, JDV_J02
	PracticeSettingCode        Code   `json:"practice_setting_code,omitzero"`         // R2, JDV_J04
	ConfidentialityCodes       []Code `json:"confidentiality_codes,omitempty"`
	EventCodes                 []Code `json:"event_codes,omitempty"`

	LanguageCode     string    `json:"language_code,omitempty"`
	CreationTime     time.Time `json:"creation_time,omitzero"` // written in UTC, YYYYMMDDhhmmss
	ServiceStartTime time.Time `json:"service_start_time,omitzero"`
	ServiceStopTime  time.Time `json:"service_stop_time,omitzero"`

	PatientID         string   `json:"patient_id,omitempty"`        // CX, matricule^^^&OID&ISO^NH
	PatientINS        ins.INS  `json:"patient_ins,omitzero"`        // the INS when PatientID is a valid one (reader); Write fills PatientID from it when empty
	SourcePatientID   string   `json:"source_patient_id,omitempty"` // CX of the IPP (…^PI), else the INS
	SourcePatientInfo []string `json:"source_patient_info,omitempty"`

	Authors            []Author `json:"authors,omitempty"`
	LegalAuthenticator string   `json:"legal_authenticator,omitempty"` // XCN

	Hash string `json:"hash,omitempty"` // SHA-1, 40 hex digits (upper case when written)
	Size int64  `json:"size,omitempty"` // bytes; -1 on read when the slot is absent
	URI  string `json:"uri,omitempty"`  // file name relative to the subset directory, e.g. DOC0001.XML

	RepositoryUniqueID string   `json:"repository_unique_id,omitempty"`
	ReferenceIDs       []string `json:"reference_ids,omitempty"`

	Action           Action `json:"action,omitempty"`
	ParentDocumentID string `json:"parent_document_id,omitempty"` // for ActionReplace: the replaced document's id

	// OtherSlots are slots the SDK does not interpret: the reader keeps them
	// and the writer writes them after the known ones.
	OtherSlots []Slot `json:"other_slots,omitempty"`
}

// Slot is an ebRIM slot: a name and its values.
type Slot struct {
	Name   string   `json:"name,omitempty"`
	Values []string `json:"values,omitempty"`
}

// SubmissionSet is the XDS metadata of a submission (ebRIM RegistryPackage,
// xdm.md §5.1): who sends, when, for whom.
type SubmissionSet struct {
	EntryUUID       string    `json:"entry_uuid,omitempty"` // "urn:uuid:..."; generated when empty
	UniqueID        string    `json:"unique_id,omitempty"`  // R, OID; generated as 2.25.<UUID> when empty
	SourceID        string    `json:"source_id,omitempty"`  // R, the sender's OID, e.g. 1.2.250.1.71.4.2.2.<idNat_Struct>
	Title           string    `json:"title,omitempty"`
	Comments        string    `json:"comments,omitempty"`
	ContentTypeCode Code      `json:"content_type_code,omitzero"` // R2
	SubmissionTime  time.Time `json:"submission_time,omitzero"`   // R; now when zero
	Status          string    `json:"status,omitempty"`           // StatusApproved when empty

	// Author is the sender (person, institution, specialty, telecom).
	Author Author `json:"author,omitzero"`
	// OtherAuthors are further authors (XDS allows several; some official
	// examples repeat the sender). Written after Author.
	OtherAuthors []Author `json:"other_authors,omitempty"`
	// IntendedRecipients are MSSanté addresses, written "^^Internet^<address>".
	// A value holding '^' or '|' is written as is (a full XON|XCN|XTN value);
	// the reader gives back the bare address when the value is only an
	// e-mail XTN, the raw value otherwise.
	IntendedRecipients []string `json:"intended_recipients,omitempty"`

	PatientID  string  `json:"patient_id,omitempty"` // CX; the documents' patient when empty
	PatientINS ins.INS `json:"patient_ins,omitzero"` // the INS when PatientID is a valid one (reader)

	// OtherSlots are slots the SDK does not interpret (see DocumentEntry).
	OtherSlots []Slot `json:"other_slots,omitempty"`
}

// Document is one file to put in the archive: its metadata and its bytes.
type Document struct {
	Entry   DocumentEntry `json:"entry,omitzero"`
	Content []byte        `json:"content,omitempty"`
}

// SenderInfo identifies the sending structure and application in INDEX.HTM
// and README.TXT (xdm.md §2).
type SenderInfo struct {
	StructureName string `json:"structure_name,omitempty"` // StructNom
	StructureID   string `json:"structure_id,omitempty"`   // StructIdNat, e.g. 1120456791
	PersonName    string `json:"person_name,omitempty"`    // optional, e.g. "DR MULLER Charles"
	Address       string `json:"address,omitempty"`        // optional postal address
	Telephone     string `json:"telephone,omitempty"`      // optional

	ApplicationName    string `json:"application_name,omitempty"`
	ApplicationVersion string `json:"application_version,omitempty"`
	ApplicationVendor  string `json:"application_vendor,omitempty"`

	// Warning is an optional confidentiality warning shown in INDEX.HTM.
	Warning string `json:"warning,omitempty"`
	// Instructions replaces the default instructions of README.TXT.
	Instructions string `json:"instructions,omitempty"`
}

// Package is what Write puts in one archive: one submission set, its
// documents (one patient) and the sender's identification.
type Package struct {
	SubmissionSet SubmissionSet `json:"submission_set,omitzero"`
	Documents     []*Document   `json:"documents,omitempty"`
	Sender        SenderInfo    `json:"sender,omitzero"`
}
