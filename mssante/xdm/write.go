package xdm

import (
	"archive/zip"
	"compress/flate"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/xmltext"
)

// Fixed layout of the archives we write (xdm.md §1).
const (
	IndexName    = "INDEX.HTM"
	ReadmeName   = "README.TXT"
	RootDir      = "IHE_XDM"
	MetadataName = "METADATA.XML"
	// SubsetName is the directory of the single submission set we write.
	SubsetName = "SUBSET01"
)

// Write writes p as an IHE_XDM.ZIP archive to w (xdm.md §1, §12): INDEX.HTM,
// README.TXT, IHE_XDM/SUBSET01/METADATA.XML and the documents, with real
// directory entries. It refuses a package without documents
// (ErrNoDocument), with two patients (ErrSeveralPatients), with a bad file
// name (ErrInvalidName), without a required field (ErrMissingField), with a
// bad action (ErrInvalidAction) or with a value that is not XML text
// (an *xmltext.Error, matching xmltext.ErrInvalid), or with a CompressionLevel deflate does not know
// (ErrInvalidOption). Write does not modify p. opts nil means the defaults
// (random UUIDs, time.Now).
//
// Given the same package and fixed WriteOptions.NewUUID and Now, the output
// is byte for byte the same.
func Write(w io.Writer, p *Package, opts *WriteOptions) error {
	pr, err := prepare(p, opts)
	if err != nil {
		return err
	}
	if w == nil {
		return errors.New("xdm: Write to a nil io.Writer")
	}
	return pr.writeZip(w, opts)
}

// prepared is a package with every generated value filled in and its files
// rendered.
type prepared struct {
	ss       SubmissionSet
	entries  []*DocumentEntry
	contents [][]byte
	metadata []byte
	index    []byte
	readme   []byte
	modified time.Time
}

func prepare(p *Package, opts *WriteOptions) (*prepared, error) {
	if p == nil || len(p.Documents) == 0 {
		return nil, ErrNoDocument
	}
	if l := opts.level(); l < flate.HuffmanOnly || l > flate.BestCompression {
		return nil, &FieldError{Object: "WriteOptions", Field: "CompressionLevel",
			Err: fmt.Errorf("%w: %d (want %d to %d)", ErrInvalidOption, l, flate.HuffmanOnly, flate.BestCompression)}
	}
	newUUID := randomUUID
	if opts != nil && opts.NewUUID != nil {
		newUUID = opts.NewUUID
	}
	var idErr error
	newID := func() string {
		b, ok := parseUUID(newUUID())
		if !ok && idErr == nil {
			idErr = fmt.Errorf("%w: WriteOptions.NewUUID returned a malformed UUID", ErrMissingField)
		}
		return uuidURN(b)
	}
	now := opts.now().UTC().Truncate(time.Second)
	pr := &prepared{ss: p.SubmissionSet, modified: now}
	if err := checkSender(&p.Sender); err != nil {
		return nil, err
	}

	// Documents: copy the entries, compute what the writer owns.
	names := map[string]int{}
	for i, d := range p.Documents {
		if d == nil {
			return nil, &FieldError{Object: docObject(i), Field: "", Err: ErrMissingField}
		}
		e := d.Entry // copy; slices are only read
		if err := prepareEntry(&e, d.Content, i, newID); err != nil {
			return nil, err
		}
		if j, dup := names[e.URI]; dup {
			return nil, &FieldError{Object: docObject(i), Field: "URI", Err: fmt.Errorf("%w: %s already used by %s", ErrInvalidName, e.URI, docObject(j))}
		}
		names[e.URI] = i
		pr.entries = append(pr.entries, &e)
		pr.contents = append(pr.contents, d.Content)
	}
	if err := preparePatient(&pr.ss, pr.entries); err != nil {
		return nil, err
	}
	if err := prepareSubmissionSet(&pr.ss, now, newUUID); err != nil {
		return nil, err
	}
	if err := checkUniqueIDs(&pr.ss, pr.entries); err != nil {
		return nil, err
	}
	var err error
	if pr.metadata, err = encodeMetadata(&pr.ss, pr.entries, newID); err != nil {
		return nil, err
	}
	if idErr != nil {
		return nil, idErr
	}
	if err := selfCheck(pr.metadata); err != nil {
		return nil, err
	}
	if pr.index, err = indexHTM(&p.Sender, SubsetName, pr.entries); err != nil {
		return nil, err
	}
	pr.readme = readmeTXT(&p.Sender, SubsetName, pr.entries)
	return pr, nil
}

// ErrSelfCheck: the METADATA.XML the writer produced does not read back
// cleanly (a reference that does not resolve, a missing required value). It
// signals a bug or a value the writer should have refused.
var ErrSelfCheck = errors.New("xdm: written metadata fails its self-check")

// selfCheck reads the METADATA.XML back and checks that every reference
// resolves and every required value is there (xdm.md §12 writer 3).
func selfCheck(metadata []byte) error {
	t, err := parseMetadata(metadata, DefaultMaxXMLDepth)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSelfCheck, err)
	}
	m := &metaReader{loc: MetadataName}
	m.read(t)
	for _, f := range m.fs {
		if f.Level == finding.Error || strings.HasPrefix(f.Rule, "XDM-REF") || strings.HasPrefix(f.Rule, "XDM-ID") {
			if f.Rule == "XDM-PATIENT-INS" || f.Rule == "XDM-PATIENT-CX" {
				continue // the caller's identifier, checked by the caller's ins policy
			}
			return fmt.Errorf("%w: %v", ErrSelfCheck, f)
		}
	}
	return nil
}

func docObject(i int) string { return fmt.Sprintf("Documents[%d]", i) }

func checkSender(s *SenderInfo) error {
	for _, f := range []struct{ name, v string }{
		{"StructureName", s.StructureName},
		{"StructureID", s.StructureID},
		{"ApplicationName", s.ApplicationName},
	} {
		if strings.TrimSpace(f.v) == "" {
			return &FieldError{Object: "Sender", Field: f.name, Err: ErrMissingField}
		}
	}
	// README.TXT is plain text, not escaped by the XML writer: its values
	// get the same check here.
	for _, f := range []struct{ name, v string }{
		{"PersonName", s.PersonName}, {"Address", s.Address}, {"Telephone", s.Telephone},
		{"ApplicationName", s.ApplicationName}, {"ApplicationVersion", s.ApplicationVersion},
		{"ApplicationVendor", s.ApplicationVendor}, {"Instructions", s.Instructions},
	} {
		if err := xmltext.Check(f.v); err != nil {
			return &FieldError{Object: "Sender", Field: f.name, Err: err}
		}
	}
	return nil
}

// mimeExtensions gives the extension of the generated file names.
var mimeExtensions = map[string]string{
	"text/xml":             "XML",
	"application/xml":      "XML",
	"application/xslt+xml": "XML",
	"application/pdf":      "PDF",
	"text/plain":           "TXT",
	"text/html":            "HTM",
	"image/jpeg":           "JPG",
	"image/png":            "PNG",
	"image/tiff":           "TIF",
	"application/dicom":    "DCM",
	"text/rtf":             "RTF",
}

func prepareEntry(e *DocumentEntry, content []byte, i int, newID func() string) error {
	obj := docObject(i)
	if e.EntryUUID == "" {
		e.EntryUUID = newID()
	} else if b, ok := parseUUID(e.EntryUUID); ok {
		e.EntryUUID = uuidURN(b)
	} else {
		return &FieldError{Object: obj, Field: "EntryUUID", Err: fmt.Errorf("%w: %q is not a UUID", ErrMissingField, e.EntryUUID)}
	}
	if e.UniqueID == "" {
		return &FieldError{Object: obj, Field: "UniqueID", Err: ErrMissingField}
	}
	if e.MimeType == "" {
		return &FieldError{Object: obj, Field: "MimeType", Err: ErrMissingField}
	}
	if len(content) == 0 {
		return &FieldError{Object: obj, Field: "Content", Err: fmt.Errorf("%w: empty document", ErrMissingField)}
	}
	if e.ObjectType == "" {
		e.ObjectType = ObjectTypeStable
	}
	if e.Status == "" {
		e.Status = StatusApproved
	}
	sum := sha1.Sum(content)
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))
	if e.Hash != "" && !strings.EqualFold(e.Hash, hash) {
		return &FieldError{Object: obj, Field: "Hash", Err: ErrHashMismatch}
	}
	if e.Size != 0 && e.Size != int64(len(content)) {
		return &FieldError{Object: obj, Field: "Size", Err: ErrHashMismatch}
	}
	e.Hash, e.Size = hash, int64(len(content))
	if e.URI == "" {
		ext, ok := mimeExtensions[strings.ToLower(e.MimeType)]
		if !ok {
			ext = "BIN"
		}
		e.URI = fmt.Sprintf("DOC%04d.%s", i+1, ext)
	}
	if !IsLevel1Name(e.URI) || strings.EqualFold(e.URI, MetadataName) {
		return &FieldError{Object: obj, Field: "URI", Err: fmt.Errorf("%w: %q (want an upper-case ISO 9660 level 1 name such as DOC0001.XML)", ErrInvalidName, e.URI)}
	}
	switch e.Action {
	case ActionNone, ActionDelete:
	case ActionReplace:
		if e.ParentDocumentID == "" {
			return &FieldError{Object: obj, Field: "ParentDocumentID", Err: fmt.Errorf("%w: a replacement (C) must name the document it replaces", ErrInvalidAction)}
		}
	default:
		return &FieldError{Object: obj, Field: "Action", Err: fmt.Errorf("%w: %q (want C or D)", ErrInvalidAction, e.Action)}
	}
	for _, s := range e.OtherSlots {
		if knownDocumentSlots[s.Name] || s.Name == "" {
			return &FieldError{Object: obj, Field: "OtherSlots", Err: fmt.Errorf("%w: slot %q is written from its own field", ErrMissingField, s.Name)}
		}
	}
	return nil
}

// preparePatient checks that every document and the submission set name
// the same patient, and fills the empty patientIds from it.
func preparePatient(ss *SubmissionSet, entries []*DocumentEntry) error {
	var cx, from string
	consider := func(obj, v string, i ins.INS) error {
		if v == "" && !i.IsZero() {
			v = i.CX()
		}
		if v == "" {
			return nil
		}
		if cx == "" {
			cx, from = v, obj
			return nil
		}
		if patientKey(v) != patientKey(cx) {
			return fmt.Errorf("%w: %s names %s, %s names %s", ErrSeveralPatients, from, cx, obj, v)
		}
		return nil
	}
	if err := consider("SubmissionSet", ss.PatientID, ss.PatientINS); err != nil {
		return err
	}
	for i, e := range entries {
		if err := consider(docObject(i), e.PatientID, e.PatientINS); err != nil {
			return err
		}
	}
	if cx == "" {
		return &FieldError{Object: "SubmissionSet", Field: "PatientID", Err: fmt.Errorf("%w: no document names the patient", ErrMissingField)}
	}
	if ss.PatientID == "" {
		ss.PatientID = cx
	}
	parsed, err := ins.ParseCX(cx)
	if err == nil && ss.PatientINS.IsZero() {
		ss.PatientINS = parsed
	}
	for _, e := range entries {
		if e.PatientID == "" {
			e.PatientID = cx
		}
		if err == nil && e.PatientINS.IsZero() {
			e.PatientINS = parsed
		}
	}
	return nil
}

func prepareSubmissionSet(ss *SubmissionSet, now time.Time, newUUID func() string) error {
	if ss.EntryUUID == "" {
		b, ok := parseUUID(newUUID())
		if !ok {
			return fmt.Errorf("%w: WriteOptions.NewUUID returned a malformed UUID", ErrMissingField)
		}
		ss.EntryUUID = uuidURN(b)
	} else if b, ok := parseUUID(ss.EntryUUID); ok {
		ss.EntryUUID = uuidURN(b)
	} else {
		return &FieldError{Object: "SubmissionSet", Field: "EntryUUID", Err: fmt.Errorf("%w: %q is not a UUID", ErrMissingField, ss.EntryUUID)}
	}
	if ss.UniqueID == "" {
		b, ok := parseUUID(newUUID())
		if !ok {
			return fmt.Errorf("%w: WriteOptions.NewUUID returned a malformed UUID", ErrMissingField)
		}
		ss.UniqueID = uuidOID(b)
	}
	if ss.SourceID == "" {
		return &FieldError{Object: "SubmissionSet", Field: "SourceID", Err: ErrMissingField}
	}
	if ss.SubmissionTime.IsZero() {
		ss.SubmissionTime = now
	}
	if ss.Status == "" {
		ss.Status = StatusApproved
	}
	for _, s := range ss.OtherSlots {
		if s.Name == "submissionTime" || s.Name == "intendedRecipient" || s.Name == "" {
			return &FieldError{Object: "SubmissionSet", Field: "OtherSlots", Err: fmt.Errorf("%w: slot %q is written from its own field", ErrMissingField, s.Name)}
		}
	}
	return nil
}

// checkUniqueIDs refuses two objects with the same entryUUID (the
// references of METADATA.XML would be ambiguous).
func checkUniqueIDs(ss *SubmissionSet, entries []*DocumentEntry) error {
	seen := map[string]string{ss.EntryUUID: "SubmissionSet"}
	for i, e := range entries {
		if prev, dup := seen[e.EntryUUID]; dup {
			return &FieldError{Object: docObject(i), Field: "EntryUUID", Err: fmt.Errorf("%w: same id as %s", ErrMissingField, prev)}
		}
		seen[e.EntryUUID] = docObject(i)
	}
	return nil
}

func (pr *prepared) writeZip(w io.Writer, opts *WriteOptions) error {
	zw := zip.NewWriter(w)
	level := opts.level()
	// One deflate compressor (about 1 MB of state) serves every entry of
	// this archive in turn: zip.Writer closes (flushes) an entry before it
	// asks for the next entry's compressor, which Reset then points at the
	// new output. It comes from a pool per level and goes back to it once
	// the archive is complete, so that writing archives one after another
	// does not allocate that state each time (1.1 times a 1 MiB PDF per
	// message, BenchmarkChain). A compressor is in one Write at a time,
	// never shared by concurrent Writes (TestWriteConcurrent), and is not
	// given back after an error (TestWriteErrorMidArchive).
	var comp *flate.Writer
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		if comp == nil {
			if pool := compressorPool(level); pool != nil {
				comp, _ = pool.Get().(*flate.Writer)
			}
			if comp == nil {
				var err error
				if comp, err = flate.NewWriter(out, level); err != nil {
					return nil, err
				}
				return comp, nil
			}
		}
		comp.Reset(out)
		return comp, nil
	})
	put := func(name string, data []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: pr.modified})
		if err != nil {
			return err
		}
		_, err = fw.Write(data)
		return err
	}
	dir := func(name string) error {
		h := &zip.FileHeader{Name: name, Method: zip.Store, Modified: pr.modified}
		h.SetMode(0o755 | fs.ModeDir)
		_, err := zw.CreateHeader(h)
		return err
	}
	subset := RootDir + "/" + SubsetName + "/"
	steps := []func() error{
		func() error { return put(IndexName, pr.index) },
		func() error { return put(ReadmeName, pr.readme) },
		func() error { return dir(RootDir + "/") },
		func() error { return dir(subset) },
		func() error { return put(subset+MetadataName, pr.metadata) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	for i, e := range pr.entries {
		if err := put(path.Join(subset, e.URI), pr.contents[i]); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if pool := compressorPool(level); comp != nil && pool != nil {
		comp.Reset(io.Discard) // let go of this archive's output
		pool.Put(comp)
	}
	return nil
}

// compressors holds idle deflate compressors, one pool per level
// (flate.HuffmanOnly, -2, to flate.BestCompression, 9).
var compressors [flate.BestCompression - flate.HuffmanOnly + 1]sync.Pool

// compressorPool returns the pool of the compressors of level, nil for a
// level deflate does not know (Write refuses it beforehand).
func compressorPool(level int) *sync.Pool {
	if level < flate.HuffmanOnly || level > flate.BestCompression {
		return nil
	}
	return &compressors[level-flate.HuffmanOnly]
}

// IsLevel1Name reports whether name is an upper-case ISO 9660 level 1 file
// name: 1 to 8 characters, a dot, 0 to 3 characters, from A-Z 0-9 _.
func IsLevel1Name(name string) bool {
	base, ext, found := strings.Cut(name, ".")
	if !found {
		ext = ""
	}
	if len(base) < 1 || len(base) > 8 || len(ext) > 3 || strings.Contains(ext, ".") {
		return false
	}
	return isDChars(base) && isDChars(ext)
}

// IsLevel1Dir reports whether name is an upper-case ISO 9660 level 1
// directory name: 1 to 8 characters from A-Z 0-9 _.
func IsLevel1Dir(name string) bool {
	return len(name) >= 1 && len(name) <= 8 && isDChars(name)
}

func isDChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
