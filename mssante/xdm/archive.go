package xdm

import (
	"archive/zip"
	"fmt"
	"io"

	"github.com/mssante-go/sdk/finding"
)

// Archive is an IHE_XDM.ZIP read by Read: the submission sets and documents
// its METADATA.XML files describe, and what the reader found on the way.
// Verify records its results in the documents: do not call it from several
// goroutines at once.
type Archive struct {
	SubmissionSets []*SubmissionSet
	Documents      []*ArchiveDocument
	// Files lists the entries of the zip in archive order, under their
	// canonical names ("/" separators, no "./" or "//", no trailing dots
	// or spaces; a directory ends with "/"), the ones Path and findings
	// use. Ignored lists, as written, the operating system and tool
	// entries the reader skipped (__MACOSX/, .DS_Store, .svn/...).
	Files   []string
	Ignored []string
	// Findings are the problems met while reading (malformed XML, misplaced
	// references, unexpected layout...). Verify adds the integrity checks.
	Findings finding.List

	zr      *zip.Reader
	entries []*entry // the entries read, canonical names
	opts    ReadOptions
}

// ArchiveDocument is a document described by a METADATA.XML.
type ArchiveDocument struct {
	Entry DocumentEntry
	// SubmissionSet is the submission set whose METADATA.XML describes the
	// document (nil when the METADATA.XML has no RegistryPackage).
	SubmissionSet *SubmissionSet
	// Metadata is the zip path of that METADATA.XML.
	Metadata string
	// Path is the (canonical) zip path the URI resolves to, subset
	// directory included ("IHE_XDM/SUBSET01/DOC0001.XML"), "" when no
	// entry matches.
	Path string

	// Integrity is filled by Archive.Verify.
	Integrity Integrity

	file *zip.File
}

// Integrity is the result of comparing a document with its hash and size.
type Integrity struct {
	Checked    bool
	Found      bool
	ActualSize int64
	ActualHash string // upper-case hex SHA-1
	SizeOK     bool
	HashOK     bool
}

// Status sums up the integrity check: "unchecked", "missing", "ok",
// "size mismatch", "hash mismatch" or "size and hash mismatch".
func (i Integrity) Status() string {
	switch {
	case !i.Checked:
		return "unchecked"
	case !i.Found:
		return "missing"
	case i.SizeOK && i.HashOK:
		return "ok"
	case !i.SizeOK && !i.HashOK:
		return "size and hash mismatch"
	case !i.SizeOK:
		return "size mismatch"
	}
	return "hash mismatch"
}

// Open returns the bytes of the document, or ErrDocumentNotFound when its
// URI matches no entry. The zip reader stops at the size the zip records
// and checks the CRC at the end.
func (d *ArchiveDocument) Open() (io.ReadCloser, error) {
	if d.file == nil {
		return nil, fmt.Errorf("%w: %q", ErrDocumentNotFound, d.Entry.URI)
	}
	return d.file.Open()
}
