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
	Person       string
	Institutions []string
	Roles        []string
	Specialties  []string
	Telecoms     []string
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
	EntryUUID  string // ebRIM id, "urn:uuid:..."; generated when empty
	UniqueID   string // R: CDA ClinicalDocument/id (root or root^extension)
	LogicalID  string // CDA setId (not written: not an XDM attribute)
	Version    string // CDA versionNumber (not written)
	Title      string
	Comments   string
	MimeType   string // R: text/xml for a CDA
	ObjectType string // stable entry (ObjectTypeStable) when empty
	Status     string // availabilityStatus; StatusApproved when empty

	TypeCode                   Code // R2, JDV_J07
	ClassCode                  Code // R2, JDV_J06
	FormatCode                 Code // R2, JDV_J10
	HealthcareFacilityTypeCode Code // R2, JDV_J02
	PracticeSettingCode        Code // R2, JDV_J04
	ConfidentialityCodes       []Code
	EventCodes                 []Code

	LanguageCode     string
	CreationTime     time.Time // written in UTC, YYYYMMDDhhmmss
	ServiceStartTime time.Time
	ServiceStopTime  time.Time

	PatientID         string  // CX, matricule^^^&OID&ISO^NH
	PatientINS        ins.INS // the INS when PatientID is a valid one (reader); Write fills PatientID from it when empty
	SourcePatientID   string  // CX of the IPP (…^PI), else the INS
	SourcePatientInfo []string

	Authors            []Author
	LegalAuthenticator string // XCN

	Hash string // SHA-1, 40 hex digits (upper case when written)
	Size int64  // bytes; -1 on read when the slot is absent
	URI  string // file name relative to the subset directory, e.g. DOC0001.XML

	RepositoryUniqueID string
	ReferenceIDs       []string

	Action           Action
	ParentDocumentID string // for ActionReplace: the replaced document's id

	// OtherSlots are slots the SDK does not interpret: the reader keeps them
	// and the writer writes them after the known ones.
	OtherSlots []Slot
}

// Slot is an ebRIM slot: a name and its values.
type Slot struct {
	Name   string
	Values []string
}

// SubmissionSet is the XDS metadata of a submission (ebRIM RegistryPackage,
// xdm.md §5.1): who sends, when, for whom.
type SubmissionSet struct {
	EntryUUID       string // "urn:uuid:..."; generated when empty
	UniqueID        string // R, OID; generated as 2.25.<UUID> when empty
	SourceID        string // R, the sender's OID, e.g. 1.2.250.1.71.4.2.2.<idNat_Struct>
	Title           string
	Comments        string
	ContentTypeCode Code      // R2
	SubmissionTime  time.Time // R; now when zero
	Status          string    // StatusApproved when empty

	// Author is the sender (person, institution, specialty, telecom).
	Author Author
	// OtherAuthors are further authors (XDS allows several; some official
	// examples repeat the sender). Written after Author.
	OtherAuthors []Author
	// IntendedRecipients are MSSanté addresses, written "^^Internet^<address>".
	// A value holding '^' or '|' is written as is (a full XON|XCN|XTN value);
	// the reader gives back the bare address when the value is only an
	// e-mail XTN, the raw value otherwise.
	IntendedRecipients []string

	PatientID  string  // CX; the documents' patient when empty
	PatientINS ins.INS // the INS when PatientID is a valid one (reader)

	// OtherSlots are slots the SDK does not interpret (see DocumentEntry).
	OtherSlots []Slot
}

// Document is one file to put in the archive: its metadata and its bytes.
type Document struct {
	Entry   DocumentEntry
	Content []byte
}

// SenderInfo identifies the sending structure and application in INDEX.HTM
// and README.TXT (xdm.md §2).
type SenderInfo struct {
	StructureName string // StructNom
	StructureID   string // StructIdNat, e.g. 1120456791
	PersonName    string // optional, e.g. "DR MULLER Charles"
	Address       string // optional postal address
	Telephone     string // optional

	ApplicationName    string
	ApplicationVersion string
	ApplicationVendor  string

	// Warning is an optional confidentiality warning shown in INDEX.HTM.
	Warning string
	// Instructions replaces the default instructions of README.TXT.
	Instructions string
}

// Package is what Write puts in one archive: one submission set, its
// documents (one patient) and the sender's identification.
type Package struct {
	SubmissionSet SubmissionSet
	Documents     []*Document
	Sender        SenderInfo
}
