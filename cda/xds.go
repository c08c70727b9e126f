package cda

import (
	"time"

	"github.com/mssante-go/sdk/ins"
)

// Code is a coded value: a code, the OID of its code system and its display name.
type Code struct {
	Code        string
	CodeSystem  string
	DisplayName string
}

// IsZero reports whether the code is empty.
func (c Code) IsZero() bool { return c.Code == "" && c.CodeSystem == "" }

// XDSMetadata is the XDS DocumentEntry metadata derived from a CI-SIS CDA
// header (xdm.md §8, cda.md). Values are in the French XDS formats of
// xdm.md §6: CX for patient identifiers, XCN for persons, XON for
// organisations, `code^label^OID` for specialties.
//
// Package mssante/xdm turns it into METADATA.XML; a caller may change any
// field before that.
type XDSMetadata struct {
	UniqueID     string // ClinicalDocument/id: root, or root^extension when there is one
	LogicalID    string // setId (same form as UniqueID)
	Version      string // versionNumber
	Title        string
	TypeCode     Code // JDV_J07, from ClinicalDocument/code
	ClassCode    Code // JDV_J06, from the type code via ASS_X04
	FormatCode   Code // JDV_J10: level 1 from the body media type, structured from the templates
	MimeType     string
	LanguageCode string    // e.g. fr-FR
	CreationTime time.Time // effectiveTime, in UTC

	ServiceStartTime time.Time // serviceEvent/effectiveTime/low, UTC; zero when absent
	ServiceStopTime  time.Time // serviceEvent/effectiveTime/high, UTC; zero when absent

	ConfidentialityCodes       []Code // first = the CDA confidentialityCode
	HealthcareFacilityTypeCode Code   // JDV_J02
	PracticeSettingCode        Code   // JDV_J04
	EventCodes                 []Code

	PatientID         string  // CX of the INS: matricule^^^&OID&ISO^NH
	PatientINS        ins.INS // the INS when patientId is one; zero otherwise
	SourcePatientID   string  // CX of the local identifier (IPP, ^PI), else the INS
	SourcePatientInfo []string

	Authors            []XDSAuthor
	LegalAuthenticator string // XCN

	// ParentDocumentID is relatedDocument[@typeCode='RPLC']/parentDocument/id,
	// set for a replacement (action C).
	ParentDocumentID string
	ParentRelation   string // "RPLC" when ParentDocumentID is set
}

// XDSAuthor is an XDS author: a person (or a device) with its institutions,
// roles and specialties.
type XDSAuthor struct {
	Person       string   // XCN
	Institutions []string // XON
	Roles        []string
	Specialties  []string // code^label^OID
	Telecoms     []string // XTN
}
