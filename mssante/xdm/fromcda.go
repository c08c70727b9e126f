package xdm

import (
	"bytes"
	"fmt"

	"github.com/mssante-go/sdk/cda"
)

// EntryFromCDA builds the DocumentEntry of a CDA document from the metadata
// package cda derives from its header (xdm.md §8). The caller may change any
// field afterwards. The action is set to ActionReplace when the CDA replaces
// a parent document (relatedDocument RPLC). A nil m gives the zero
// DocumentEntry, which Write refuses (ErrMissingField).
func EntryFromCDA(m *cda.XDSMetadata) DocumentEntry {
	if m == nil {
		return DocumentEntry{}
	}
	e := DocumentEntry{
		UniqueID:                   m.UniqueID,
		LogicalID:                  m.LogicalID,
		Version:                    m.Version,
		Title:                      m.Title,
		MimeType:                   m.MimeType,
		TypeCode:                   m.TypeCode,
		ClassCode:                  m.ClassCode,
		FormatCode:                 m.FormatCode,
		HealthcareFacilityTypeCode: m.HealthcareFacilityTypeCode,
		PracticeSettingCode:        m.PracticeSettingCode,
		ConfidentialityCodes:       append([]Code(nil), m.ConfidentialityCodes...),
		EventCodes:                 append([]Code(nil), m.EventCodes...),
		LanguageCode:               m.LanguageCode,
		CreationTime:               m.CreationTime,
		ServiceStartTime:           m.ServiceStartTime,
		ServiceStopTime:            m.ServiceStopTime,
		PatientID:                  m.PatientID,
		PatientINS:                 m.PatientINS,
		SourcePatientID:            m.SourcePatientID,
		SourcePatientInfo:          append([]string(nil), m.SourcePatientInfo...),
		LegalAuthenticator:         m.LegalAuthenticator,
		ParentDocumentID:           m.ParentDocumentID,
	}
	if e.MimeType == "" {
		e.MimeType = "text/xml"
	}
	for _, a := range m.Authors {
		e.Authors = append(e.Authors, Author{
			Person:       a.Person,
			Institutions: append([]string(nil), a.Institutions...),
			Roles:        append([]string(nil), a.Roles...),
			Specialties:  append([]string(nil), a.Specialties...),
			Telecoms:     append([]string(nil), a.Telecoms...),
		})
	}
	if m.ParentDocumentID != "" && (m.ParentRelation == "" || m.ParentRelation == "RPLC") {
		e.Action = ActionReplace
	}
	return e
}

// DocumentFromCDA reads the header of a CDA R2 document with package cda
// and returns the document with its metadata (EntryFromCDA). The content is
// cdaXML itself, not copied.
func DocumentFromCDA(cdaXML []byte) (*Document, error) {
	h, err := cda.ReadHeader(bytes.NewReader(cdaXML))
	if err != nil {
		return nil, fmt.Errorf("xdm: reading the CDA header: %w", err)
	}
	m, err := h.XDSMetadata()
	if err != nil {
		return nil, fmt.Errorf("xdm: CDA header to XDS metadata: %w", err)
	}
	return &Document{Entry: EntryFromCDA(m), Content: cdaXML}, nil
}
