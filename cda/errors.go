package cda

import (
	"errors"
	"fmt"

	"github.com/mssante-go/sdk/finding"
)

var (
	// ErrNotCDA: the root element is not urn:hl7-org:v3 ClinicalDocument.
	ErrNotCDA = errors.New("cda: not a CDA R2 document (want ClinicalDocument in urn:hl7-org:v3)")
	// ErrSyntax: the input is not well-formed XML. Errors wrapping it also
	// carry the *xml.SyntaxError when there is one.
	ErrSyntax = errors.New("cda: malformed XML")
	// ErrEncoding: the XML declaration names an encoding other than UTF-8.
	ErrEncoding = errors.New("cda: unsupported character encoding (CDA documents are UTF-8)")
	// ErrNoBody: the document has no component/nonXMLBody to extract
	// (a structured document, or no component).
	ErrNoBody = errors.New("cda: document has no non-XML body")
	// ErrBodyRead: Body was already called on this Document.
	ErrBodyRead = errors.New("cda: body already read")
	// ErrBase64: the base64 content of the body is corrupt.
	ErrBase64 = errors.New("cda: corrupt base64 body")
	// ErrInvalidHeader: Build refused a header. When the header breaks a
	// rule, the error is a *HeaderError with the error-level findings; a
	// nil header or body content is a plain wrapped error.
	ErrInvalidHeader = errors.New("cda: invalid header")
	// ErrMediaType: the body media type is not one Build writes
	// (application/pdf, text/plain).
	ErrMediaType = errors.New("cda: unsupported body media type")
)

// HeaderError is returned by Build when the header breaks the rules (and by
// mssante.AttachDocuments for a CDA it refuses): it carries the error-level
// findings, and Err, the cause when there is one besides the findings (an
// *xmltext.Error for text XML cannot carry).
type HeaderError struct {
	Findings finding.List
	Err      error
}

func (e *HeaderError) Error() string {
	errs := e.Findings.Errors()
	switch len(errs) {
	case 0:
		return "cda: invalid header"
	case 1:
		return "cda: invalid header: " + errs[0].String()
	}
	return fmt.Sprintf("cda: invalid header: %s (and %d more)", errs[0].String(), len(errs)-1)
}

// Unwrap returns ErrInvalidHeader, and Err when set.
func (e *HeaderError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidHeader, e.Err}
	}
	return []error{ErrInvalidHeader}
}
