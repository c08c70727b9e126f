package xdm

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mssante-go/sdk/cda"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/limit"
)

// Archive is an IHE_XDM.ZIP read by Read: the submission sets and documents
// its METADATA.XML files describe, and what the reader found on the way.
// Verify and Content record their results in the archive and its
// documents: do not call them from several goroutines at once.
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
	// budget counts the bytes inflated (ReadOptions.MaxTotalSize); states
	// holds what reading each zip entry gave, so that an entry listed
	// several times is inflated and hashed once; exceeded is the budget
	// error that stopped Verify or Content.
	budget     *limit.Budget
	states     map[*zip.File]*entryState
	cdaEntries map[*zip.File]bool // entries a listing declares a CDA document
	exceeded   error
	progress   *progressReader // set while Verify runs with ReadOptions.Progress
}

// Exceeded returns the *limit.Error of the budget that ran out while Verify
// or Content read the documents (Verify then reports XDM-BUDGET and stops),
// nil otherwise.
func (a *Archive) Exceeded() error { return a.exceeded }

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

	file    *zip.File
	archive *Archive
	charged bool // this listing was counted in the archive budget
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
// and checks the CRC at the end. Open inflates the entry anew at each call
// and is not counted in the archive budget: the caller decides what to
// read.
func (d *ArchiveDocument) Open() (io.ReadCloser, error) {
	if d.file == nil {
		return nil, fmt.Errorf("%w: %q", ErrDocumentNotFound, d.Entry.URI)
	}
	return d.file.Open()
}

// Content returns the bytes of the document, counted in the archive budget
// (a *limit.Error when it runs out), or ErrDocumentNotFound. The bytes are
// kept by the archive and shared by every listing of the same entry: do not
// modify them. With ReadOptions.KeepContent, Verify keeps them as it hashes
// them and Content reads nothing more; otherwise Content inflates the entry
// on its first call.
func (d *ArchiveDocument) Content() ([]byte, error) {
	if d.file == nil || d.archive == nil {
		return nil, fmt.Errorf("%w: %q", ErrDocumentNotFound, d.Entry.URI)
	}
	e, err := d.archive.read(d, true)
	if err != nil {
		return nil, err
	}
	if e.err != nil {
		return nil, e.err
	}
	return e.data, nil
}

// entryState is what reading one zip entry gave, shared by the listings
// that resolve to it.
type entryState struct {
	kept      bool // data holds the content
	size      int64
	sha1      string // upper-case hex
	err       error  // the entry could not be read (format, CRC)
	header    *cda.Header
	headerErr error
	data      []byte
}

// read returns the state of d's entry, inflating it when it was never read
// (or, keep being set, when its content was not kept), and charges d's
// listing to the budget once: the bytes inflated for the listing that reads
// the entry, the entry's size for the others. The error is the budget's.
func (a *Archive) read(d *ArchiveDocument, keep bool) (*entryState, error) {
	if a.exceeded != nil {
		return nil, a.exceeded
	}
	e := a.states[d.file]
	if e == nil || (keep && !e.kept && e.err == nil) {
		var err error
		if e, err = a.inflate(d.file, keep || a.opts.KeepContent); err != nil {
			a.exceeded = err
			return nil, err
		}
		d.charged = true
	}
	if !d.charged {
		if err := a.budget.Spend(e.size); err != nil {
			a.exceeded = err
			return nil, err
		}
		d.charged = true
	}
	return e, nil
}

// inflate reads an entry once: its size and SHA-1, the CDA header when a
// listing of the entry is a CDA document, and its bytes when keep is set.
func (a *Archive) inflate(f *zip.File, keep bool) (*entryState, error) {
	if err := a.budget.Check(int64(f.UncompressedSize64)); err != nil {
		return nil, err // the zip reader stops at the declared size
	}
	e := &entryState{}
	if a.states == nil {
		a.states = map[*zip.File]*entryState{}
	}
	rc, err := f.Open()
	if err != nil {
		e.err = err
		a.states[f] = e
		return e, nil
	}
	defer rc.Close()
	h := sha1.New()
	var w io.Writer = h
	var buf *bytes.Buffer
	if keep {
		buf = bytes.NewBuffer(make([]byte, 0, int(f.UncompressedSize64)))
		w = io.MultiWriter(h, buf)
	}
	cr := &countingReader{r: io.TeeReader(a.budget.Reader(a.progress.wrap(rc)), w)}
	if a.cdaEntries[f] {
		e.header, e.headerErr = cda.ReadHeader(cr)
	}
	_, err = io.Copy(io.Discard, cr)
	a.progress.flush()
	if le, ok := errors.AsType[*limit.Error](err); ok {
		return nil, le // only the budget reader gives a *limit.Error here
	}
	e.size, e.err = cr.n, err
	e.sha1 = strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
	if keep && err == nil {
		e.data, e.kept = buf.Bytes(), true
	}
	a.states[f] = e
	return e, nil
}
