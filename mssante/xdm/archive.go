package xdm

import (
	"archive/zip"
	"errors"
	"io"

	"github.com/mssante-go/sdk/ins"
)

// Archive is an IHE_XDM.ZIP read by Read: the submission sets and documents
// its METADATA.XML files describe, and what the reader found on the way.
type Archive struct {
	SubmissionSets []*SubmissionSet
	Documents      []*ArchiveDocument
	// Files lists the entry names of the zip, in archive order.
	Files []string
	// Findings are the problems met while reading (malformed XML, misplaced
	// references, unexpected layout...). Verify adds the integrity checks.
	Findings Findings

	zr   *zip.Reader
	opts ReadOptions
}

// ArchiveDocument is a document described by a METADATA.XML.
type ArchiveDocument struct {
	Entry DocumentEntry
	// SubmissionSet is the submission set whose METADATA.XML describes the
	// document (nil when the METADATA.XML has no RegistryPackage).
	SubmissionSet *SubmissionSet
	// Metadata is the zip path of that METADATA.XML.
	Metadata string
	// Path is the zip path the URI resolves to, "" when no entry matches.
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

// Read opens an IHE XDM archive. It fails only when the archive cannot be
// used safely: not a zip (ErrNotZip), or beyond a limit of opts
// (ErrTooManyEntries, ErrTooLarge, ErrCompressionRatio) or with an unsafe
// entry name (ErrUnsafePath). Everything else — malformed METADATA.XML,
// missing files, defects of the official examples — is reported in
// Archive.Findings. opts nil means the default limits.
func Read(r io.ReaderAt, size int64, opts *ReadOptions) (*Archive, error) {
	return nil, errors.New("xdm: Read not implemented yet")
}

// Verify checks the archive as a receiver must (ITI-32 §3.32.4.1.2, xdm.md
// §9): it returns the reading findings plus the integrity checks (size and
// SHA-1 of each document, documents not found, broken references, several
// patients, names). Integrity problems are errors; quirks the official
// examples have are warnings. Verify reads every document once and records
// the result in ArchiveDocument.Integrity.
func (a *Archive) Verify() Findings {
	return a.Findings
}

// Open returns the bytes of the document (ErrDocumentNotFound when its URI
// matches no entry). The reader enforces the size recorded in the zip.
func (d *ArchiveDocument) Open() (io.ReadCloser, error) {
	if d.file == nil {
		return nil, ErrDocumentNotFound
	}
	return d.file.Open()
}

// PatientID returns the patientId (CX) shared by every submission set and
// document of the archive; ok is false when there is none or several.
func (a *Archive) PatientID() (cx string, ok bool) {
	return "", false
}

// PatientINS returns the INS of the archive's single patient; ok is false
// when there are several patients or the patientId is not a valid INS.
func (a *Archive) PatientINS() (ins.INS, bool) {
	return ins.INS{}, false
}
