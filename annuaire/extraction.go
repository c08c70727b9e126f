package annuaire

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/idnat"
	"github.com/mssante-go/sdk/internal/check"
	"github.com/mssante-go/sdk/limit"
)

// Canonical columns of the extraction (annuaire.md §1.3), in file order.
const (
	colType = iota
	colAddress
	colPersonIDType
	colPersonID
	colPersonNationalID
	colStructureIDType
	colStructureID
	colService
	colCivility
	colLastName
	colFirstName
	colCategoryCode
	colCategoryLabel
	colProfessionCode
	colProfessionLabel
	colSpecialtyCode
	colSpecialtyLabel
	colDematerialisation
	colStructureName
	colTradeName
	colLine2
	colLine3
	colNumber
	colNumberExt
	colStreetType
	colStreet
	colLieuDit
	colLine6
	colPostalCode
	colDepartement
	colCountry
	numCols
)

// ExtractionHeader is the header of Extraction_Correspondance_MSSante: 31
// column names, in the order ANS publishes them (annuaire.md §1.3). The
// reader maps columns by name, so another order or extra columns are fine.
var ExtractionHeader = [numCols]string{
	"Type de BAL",
	"Adresse BAL",
	"Type Identifiant PP",
	"Identifiant PP",
	"Identification nationale PP",
	"Type identifiant structure",
	"Identification Structure",
	"Service de rattachement",
	"Civilité d'exercice",
	"Nom d'exercice",
	"Prénom d'exercice",
	"Catégorie profession",
	"Libellé de catégorie profession",
	"Code Profession",
	"Libellé Profession",
	"Code savoir-faire",
	"Libellé savoir-faire",
	"Dématérialisation",
	"Raison Sociale structure BAL",
	"Enseigne commerciale structure BAL",
	"L2COMPLEMENTLOCALISATION structure BAL",
	"L3COMPLEMENTDISTRIBUTION structure BAL",
	"L4NUMEROVOIE structure BAL",
	"L4COMPLEMENTNUMEROVOIE structure BAL",
	"NL4TYPEVOIE structure BAL",
	"L4LIBELLEVOIE structure BAL",
	"L5LIEUDITMENTION structure BAL",
	"L6LIGNEACHEMINEMENT structure BAL",
	"Code postal structure BAL",
	"Département structure BAL",
	"Pays structure BAL",
}

const specExtraction = "annuaire.md §1"

// ReaderOptions configures an ExtractionReader. The zero value is usable.
type ReaderOptions struct {
	// MaxLineBytes bounds a line; longer lines are skipped as bad lines.
	// Zero, or more than 65,000, means 65,000 (the index stores offsets on
	// 16 bits).
	MaxLineBytes int
	// MaxFindings bounds the findings kept (bad lines and warnings); the
	// others are only counted in Stats. Zero means 1000; negative, none kept.
	MaxFindings int
	// OnBadLine, if set, is called for every skipped line.
	OnBadLine func(*LineError)
}

// ReadStats counts what a reader saw.
type ReadStats struct {
	Lines     int   // data lines read (header excluded)
	Mailboxes int   // lines returned
	BadLines  int   // lines skipped
	Warnings  int   // warning findings, kept or not
	Bytes     int64 // bytes consumed
}

// ExtractionReader streams an Extraction_Correspondance_MSSante text file.
// It maps the columns by header name (tolerating reordering, extra columns,
// a UTF-8 BOM, a trailing '|' and CRLF line ends) and skips bad lines,
// reporting them with their line number.
type ExtractionReader struct {
	br       *bufio.Reader
	opts     ReaderOptions
	header   []string
	colMap   []int // file column -> canonical column, -1 when unknown
	nFile    int
	lineNo   int
	stats    ReadStats
	findings finding.List
	fields   [numCols][]byte
}

// NewExtractionReader reads the header line of r. It returns an error
// wrapping ErrBadHeader when there is no "Adresse BAL" column. r must be the
// text, not the ZIP: see OpenExtraction.
func NewExtractionReader(r io.Reader, opts *ReaderOptions) (*ExtractionReader, error) {
	er := &ExtractionReader{br: bufio.NewReaderSize(r, 256<<10)}
	if opts != nil {
		er.opts = *opts
	}
	if er.opts.MaxLineBytes <= 0 || er.opts.MaxLineBytes > 65000 {
		er.opts.MaxLineBytes = 65000
	}
	if er.opts.MaxFindings == 0 {
		er.opts.MaxFindings = 1000
	}
	line, err := er.readLine()
	if err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%w: empty file", ErrBadHeader)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: header line too long", ErrBadHeader)
		}
		return nil, err
	}
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(line) {
		return nil, fmt.Errorf("%w: header is not UTF-8", ErrBadHeader)
	}
	names := strings.Split(string(line), "|")
	if len(names) > 1 && strings.TrimSpace(names[len(names)-1]) == "" {
		names = names[:len(names)-1]
	}
	er.header = names
	er.nFile = len(names)
	er.colMap = make([]int, len(names))
	byKey := make(map[string]int, numCols)
	for i, n := range ExtractionHeader {
		byKey[headerKey(n)] = i
	}
	seen := [numCols]bool{}
	for j, n := range names {
		er.colMap[j] = -1
		c, ok := byKey[headerKey(n)]
		if !ok {
			er.addFinding(finding.Info, "ANN-EXT-COLUMN", "line 1", "unknown column %q ignored", n)
			continue
		}
		if seen[c] {
			er.addFinding(finding.Warning, "ANN-EXT-COLUMN", "line 1", "column %q repeated: the first one is used", n)
			continue
		}
		seen[c] = true
		er.colMap[j] = c
	}
	if !seen[colAddress] {
		return nil, fmt.Errorf("%w: no %q column in %q", ErrBadHeader, ExtractionHeader[colAddress], string(line))
	}
	for c, ok := range seen {
		if !ok {
			er.addFinding(finding.Warning, "ANN-EXT-COLUMN", "line 1", "column %q missing: its values are empty", ExtractionHeader[c])
		}
	}
	return er, nil
}

// headerKey folds a column name for matching: case, accents, spaces and
// apostrophe variants do not matter.
func headerKey(s string) string {
	s = strings.ReplaceAll(s, "’", "'")
	return strings.Join(strings.Fields(string(foldAppend(nil, s))), " ")
}

// Header returns the column names of the file, as written.
func (r *ExtractionReader) Header() []string { return r.header }

// Findings returns the findings so far: skipped lines (errors), suspicious
// values (warnings) and header remarks.
func (r *ExtractionReader) Findings() finding.List { return r.findings }

// Stats returns the counters so far.
func (r *ExtractionReader) Stats() ReadStats { return r.stats }

func (r *ExtractionReader) addFinding(level finding.Level, rule, loc, format string, args ...any) {
	if level == finding.Warning {
		r.stats.Warnings++
	}
	if r.opts.MaxFindings < 0 || len(r.findings) >= r.opts.MaxFindings {
		return
	}
	r.findings.Add(level, rule, loc, specExtraction, format, args...)
}

// readLine returns the next line without its line end. A line longer than
// the buffer is returned with bufio.ErrBufferFull after being consumed.
func (r *ExtractionReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	r.stats.Bytes += int64(len(line))
	if err == bufio.ErrBufferFull || ((err == nil || err == io.EOF) && len(line) > r.opts.MaxLineBytes+2) {
		for err == bufio.ErrBufferFull {
			var more []byte
			more, err = r.br.ReadSlice('\n')
			r.stats.Bytes += int64(len(more))
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		r.lineNo++
		return nil, bufio.ErrBufferFull
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if err == io.EOF && len(line) == 0 {
		return nil, io.EOF
	}
	r.lineNo++
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, nil
}

// errNoReader is returned by the Read of an ExtractionReader that
// NewExtractionReader did not make.
var errNoReader = errors.New("annuaire: ExtractionReader not made by NewExtractionReader")

// Read returns the next mailbox, skipping bad lines, and io.EOF at the end.
func (r *ExtractionReader) Read() (Mailbox, error) {
	if r == nil || r.br == nil {
		return Mailbox{}, errNoReader
	}
	rec, err := r.next(nil)
	if err != nil {
		return Mailbox{}, err
	}
	return rec.mailbox(), nil
}

// next returns the next good line as a record, its strings in ar (or in
// their own allocation when ar is nil).
func (r *ExtractionReader) next(ar *arena) (record, error) {
	for {
		line, err := r.readLine()
		if err == io.EOF {
			return record{}, io.EOF
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			r.stats.Lines++
			r.bad("line longer than %d bytes", r.opts.MaxLineBytes)
			continue
		}
		if err != nil {
			return record{}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue // blank lines, e.g. at the end of the file
		}
		r.stats.Lines++
		rec, ok := r.parse(line, ar)
		if ok {
			r.stats.Mailboxes++
			return rec, nil
		}
	}
}

func (r *ExtractionReader) bad(format string, args ...any) {
	r.stats.BadLines++
	e := &LineError{Line: r.lineNo, Reason: fmt.Sprintf(format, args...)}
	r.addFinding(finding.Error, "ANN-EXT-LINE", fmt.Sprintf("line %d", r.lineNo), "skipped: %s", e.Reason)
	if r.opts.OnBadLine != nil {
		r.opts.OnBadLine(e)
	}
}

func (r *ExtractionReader) parse(line []byte, ar *arena) (record, bool) {
	if !utf8.Valid(line) {
		r.addFinding(finding.Warning, "ANN-EXT-UTF8", fmt.Sprintf("line %d", r.lineNo), "invalid UTF-8 replaced by U+FFFD")
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	r.fields = [numCols][]byte{}
	j := 0
	for start := 0; ; j++ {
		end := bytes.IndexByte(line[start:], '|')
		var f []byte
		if end < 0 {
			f = line[start:]
		} else {
			f = line[start : start+end]
		}
		if j < r.nFile {
			if c := r.colMap[j]; c >= 0 {
				r.fields[c] = f
			}
		} else if len(bytes.TrimSpace(f)) != 0 || end >= 0 || j > r.nFile {
			r.bad("%d fields, the header has %d", countFields(line), r.nFile)
			return record{}, false
		}
		if end < 0 {
			break
		}
		start += end + 1
	}
	if j+1 < r.nFile {
		r.addFinding(finding.Warning, "ANN-EXT-SHORT", fmt.Sprintf("line %d", r.lineNo), "%d fields, the header has %d: the missing ones are empty", j+1, r.nFile)
	}
	for c, f := range r.fields {
		if n := len(f); n > 0 && (f[0] <= ' ' || f[n-1] <= ' ') {
			r.fields[c] = bytes.TrimSpace(f)
		}
	}
	if len(r.fields[colAddress]) == 0 {
		r.bad("empty address")
		return record{}, false
	}
	total := 0
	for _, f := range r.fields {
		total += len(f)
	}
	if total > maxRecordBytes {
		// Replacing invalid UTF-8 can double a line below MaxLineBytes.
		r.bad("%d bytes of fields once invalid UTF-8 is replaced, more than %d", total, maxRecordBytes)
		return record{}, false
	}
	rec := r.pack(ar)
	if err := CheckAddress(rec.field(colAddress)); err != nil {
		r.bad("%v", err)
		return record{}, false
	}
	r.checkValues(&rec)
	return rec, true
}

func countFields(line []byte) int { return bytes.Count(line, []byte("|")) + 1 }

// checkValues adds warnings for suspicious values of a good line.
func (r *ExtractionReader) checkValues(rec *record) {
	if t := MailboxType(rec.field(colType)); !t.Known() {
		r.addFinding(finding.Warning, "ANN-EXT-TYPE", r.loc(), "unknown mailbox type %q", t)
	}
	if v := rec.field(colDematerialisation); v != "" {
		if _, ok := parseTristate(v); !ok {
			r.addFinding(finding.Warning, "ANN-EXT-DEMAT", r.loc(), "unrecognised Dématérialisation value %q", v)
		}
	}
	if id := rec.field(colPersonID); id != "" {
		kind := idnat.RPPS
		if len(id) == 9 || rec.field(colPersonIDType) == "0" {
			kind = idnat.ADELI
		}
		if idnat.Check(kind, id) != nil {
			for _, fd := range idnat.Validate(kind, id) {
				r.addFinding(finding.Warning, fd.Rule, r.loc(), "Identifiant PP: %s", fd.Message)
			}
		}
	}
}

func (r *ExtractionReader) loc() string { return "line " + itoa(r.lineNo) }

// pack copies the canonical fields into one string with their offsets.
func (r *ExtractionReader) pack(ar *arena) record {
	var rec record
	n := 0
	for c := range r.fields {
		rec.off[c] = uint16(n)
		n += len(r.fields[c])
	}
	rec.off[numCols] = uint16(n)
	rec.s = ar.strings(r.fields[:], n)
	rec.line = uint32(r.lineNo)
	a := rec.field(colAddress)
	if hasUpper(a) {
		rec.key = strings.ToLower(a)
	} else {
		rec.key = a
	}
	return rec
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// maxRecordBytes bounds the fields of a record: their offsets are uint16.
const maxRecordBytes = 1<<16 - 1

// record is a compact mailbox: the canonical fields concatenated in one
// string, with their offsets. It keeps the index small (one allocation per
// line) and makes a Mailbox out of substrings, without allocating.
type record struct {
	s    string
	key  string // lower-cased address
	line uint32
	off  [numCols + 1]uint16
}

func (r *record) field(c int) string { return r.s[r.off[c]:r.off[c+1]] }

func (r *record) mailbox() Mailbox {
	var f [numCols]string
	s, o := r.s, &r.off
	if int(o[numCols]) <= len(s) {
		for c := range f {
			f[c] = s[o[c]:o[c+1]]
		}
	}
	demat, _ := parseTristate(f[colDematerialisation])
	return Mailbox{
		Type:              MailboxType(f[colType]),
		Address:           f[colAddress],
		Dematerialisation: demat,
		Source:            SourceExtraction,
		Line:              int(r.line),
		Person: Person{
			IDType: f[colPersonIDType], ID: f[colPersonID], NationalID: f[colPersonNationalID],
			Civility: f[colCivility], LastName: f[colLastName], FirstName: f[colFirstName],
			CategoryCode: f[colCategoryCode], CategoryLabel: f[colCategoryLabel],
			ProfessionCode: f[colProfessionCode], ProfessionLabel: f[colProfessionLabel],
			SpecialtyCode: f[colSpecialtyCode], SpecialtyLabel: f[colSpecialtyLabel],
		},
		Structure: Structure{
			IDType: f[colStructureIDType], ID: f[colStructureID], Service: f[colService],
			Name: f[colStructureName], TradeName: f[colTradeName],
			Address: PostalAddress{
				Line2: f[colLine2], Line3: f[colLine3], Number: f[colNumber], NumberExt: f[colNumberExt],
				StreetType: f[colStreetType], Street: f[colStreet], LieuDit: f[colLieuDit], Line6: f[colLine6],
				PostalCode: f[colPostalCode], Departement: f[colDepartement], Country: f[colCountry],
			},
		},
	}
}

// MaxZipEntry bounds the uncompressed size of the text file inside an
// extraction ZIP (the real one is about 90 MB).
const MaxZipEntry = 1 << 30

// OpenExtraction opens an extraction file: the text itself, or the ZIP that
// ANS serves around it (detected by its signature). The returned reader
// yields the text; Close releases the file.
func OpenExtraction(path string) (io.ReadCloser, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, err
	}
	if n < 4 || string(magic[:]) != "PK\x03\x04" {
		return f, st.Size(), nil
	}
	rc, size, err := openZipText(f, st.Size())
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return &zipText{ReadCloser: rc, f: f}, size, nil
}

type zipText struct {
	io.ReadCloser
	f *os.File
}

func (z *zipText) Close() error {
	err := z.ReadCloser.Close()
	if e := z.f.Close(); err == nil {
		err = e
	}
	return err
}

// openZipText opens the single text entry of an extraction ZIP.
func openZipText(ra io.ReaderAt, size int64) (io.ReadCloser, int64, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, 0, fmt.Errorf("annuaire: extraction ZIP: %w", err)
	}
	var entry *zip.File
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if entry == nil || strings.HasSuffix(strings.ToLower(f.Name), ".txt") && !strings.HasSuffix(strings.ToLower(entry.Name), ".txt") {
			entry = f
		}
	}
	if entry == nil {
		return nil, 0, fmt.Errorf("annuaire: extraction ZIP holds no file")
	}
	if entry.UncompressedSize64 > MaxZipEntry {
		return nil, 0, &limit.Error{What: "extraction ZIP entry " + entry.Name, Limit: limit.EntrySize, Max: MaxZipEntry, Value: int64(entry.UncompressedSize64)}
	}
	rc, err := entry.Open()
	if err != nil {
		return nil, 0, fmt.Errorf("annuaire: extraction ZIP entry %s: %w", entry.Name, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, MaxZipEntry), rc}, int64(entry.UncompressedSize64), nil
}

// ExtractionTime returns the generation time encoded in an extraction file
// name, Extraction_Correspondance_MSSante_AAAAMMJJhhmm.zip or .txt
// (annuaire.md §1.1), read as Europe/Paris time when the zone database is
// available and UTC otherwise. ok is false when the name carries no time.
func ExtractionTime(name string) (t time.Time, ok bool) {
	base := filepath.Base(name)
	ext := strings.ToLower(filepath.Ext(base))
	if ext != ".zip" && ext != ".txt" {
		return time.Time{}, false
	}
	base = strings.TrimSuffix(base, filepath.Ext(base))
	i := strings.LastIndexByte(base, '_')
	if i < 0 || len(base)-i-1 != 12 || !check.Digits(base[i+1:]) {
		return time.Time{}, false
	}
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		loc = time.UTC
	}
	t, err = time.ParseInLocation("200601021504", base[i+1:], loc)
	return t, err == nil
}
