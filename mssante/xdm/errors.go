package xdm

import (
	"errors"
	"fmt"
)

// Errors of the reader, usable with errors.Is. Read returns them wrapped in
// an error that names the entry; the size, entry and depth limits give a
// *limit.Error.
var (
	// ErrNotZip: the input is not a readable zip archive.
	ErrNotZip = errors.New("xdm: not a zip archive")
	// ErrUnsafePath: an entry name, once in canonical form (backslashes
	// read as slashes, see Read), is absolute, climbs out with "..", has
	// an element made only of dots and spaces or a drive letter, or holds
	// a control character.
	ErrUnsafePath = errors.New("xdm: unsafe entry name")
)

// Errors of the writer, usable with errors.Is.
var (
	// ErrNoDocument: the package has no document.
	ErrNoDocument = errors.New("xdm: package has no document")
	// ErrSeveralPatients: the documents or the submission set carry
	// different patient identifiers; an archive holds one patient.
	ErrSeveralPatients = errors.New("xdm: one patient per archive")
	// ErrInvalidName: a document URI is not an upper-case ISO 9660 level 1
	// name (8.3, A-Z 0-9 _), or two documents share one.
	ErrInvalidName = errors.New("xdm: invalid file name")
	// ErrMissingField: a field the writer must emit is empty.
	ErrMissingField = errors.New("xdm: required metadata missing")
	// ErrInvalidAction: Action is not "", "C" or "D", or a replacement does
	// not name the document it replaces.
	ErrInvalidAction = errors.New("xdm: invalid action")
	// ErrHashMismatch: a hash or size given by the caller does not match the
	// content.
	ErrHashMismatch = errors.New("xdm: hash or size does not match the content")
	// ErrDocumentNotFound: ArchiveDocument.Open on a document whose URI
	// points at no entry of the archive.
	ErrDocumentNotFound = errors.New("xdm: document not found in archive")
	// ErrInvalidOption: a WriteOptions value is out of range (a
	// CompressionLevel deflate does not know).
	ErrInvalidOption = errors.New("xdm: invalid option")
)

// FieldError reports which field of which object a writer error is about.
// It wraps one of the Err* sentinels.
type FieldError struct {
	Object string // e.g. "SubmissionSet", "Documents[0]"
	Field  string // e.g. "SourceID"
	Err    error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%v: %s.%s", e.Err, e.Object, e.Field)
}

func (e *FieldError) Unwrap() error { return e.Err }
