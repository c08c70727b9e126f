package cda

import (
	"errors"
	"io"
)

// Body is the content of a level 1 document: a PDF (or plain text) and its
// media type. Content is read once and base64-encoded as it is written.
type Body struct {
	MediaType string // application/pdf (the default when empty) or text/plain
	Content   io.Reader
}

// Build writes a level 1 CDA document: the header h and the non-XML body.
// The output is UTF-8, with exactly the three level 1 templateIds, without
// xsi:schemaLocation, and the same bytes for the same input. Build refuses a
// header that breaks the CI-SIS rules with a *HeaderError, and a patient INS
// whose identity is not qualified and complete with the ins package error.
func Build(w io.Writer, h *Header, body Body) error {
	return errors.New("cda: not implemented")
}

// NewReplacement returns the header of the next version of the document
// prev: a copy of prev with the new id, the same setId, versionNumber + 1
// and a relatedDocument RPLC pointing at prev's id. The caller then updates
// the times, authors and content.
func NewReplacement(prev *Header, newID II) *Header {
	h := *prev
	h.ID = newID
	h.VersionNumber = prev.VersionNumber + 1
	h.RelatedDocument = &RelatedDocument{TypeCode: "RPLC", ParentID: prev.ID, ParentSetID: prev.SetID, ParentVersion: prev.VersionNumber}
	return &h
}
