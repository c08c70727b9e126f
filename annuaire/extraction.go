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
	// Zero, or more than 65,000, means 65,000.
	MaxLineBytes int
	// MaxFindings bounds the findings kept (bad lines and warnings); the
	// others are only counted in Stats. Zero means 1000; negative, none kept.
	MaxFindings int
	// OnBadLine, if set, is called for every skipped line, in file order.
	OnBadLine func(*LineError)
}

// withDefaults returns o with its zero values replaced by the defaults.
func (o ReaderOptions) withDefaults() ReaderOptions {
	if o.MaxLineBytes <= 0 || o.MaxLineBytes > 65000 {
		o.MaxLineBytes = 65000
	}
	if o.MaxFindings == 0 {
		o.MaxFindings = 1000
	}
	return o
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
	br     *bufio.Reader
	opts   ReaderOptions
	header []string
	p      lineParser
	lineNo int
	stats  ReadStats
	log    lineLog
	lf     lineFields
}

// NewExtractionReader reads the header line of r. It returns an error
// wrapping ErrBadHeader when there is no "Adresse BAL" column. r must be the
// text, not the ZIP: see OpenExtraction.
func NewExtractionReader(r io.Reader, opts *ReaderOptions) (*ExtractionReader, error) {
	er := &ExtractionReader{br: bufio.NewReaderSize(r, 256<<10)}
	if opts != nil {
		er.opts = *opts
	}
	er.opts = er.opts.withDefaults()
	er.log = lineLog{maxFindings: er.opts.MaxFindings, onBad: er.opts.OnBadLine}
	er.p.maxLine = er.opts.MaxLineBytes
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
	er.p.nFile = len(names)
	er.p.colMap = make([]int, len(names))
	byKey := make(map[string]int, numCols)
	for i, n := range ExtractionHeader {
		byKey[headerKey(n)] = i
	}
	seen := [numCols]bool{}
	for j, n := range names {
		er.p.colMap[j] = -1
		c, ok := byKey[headerKey(n)]
		if !ok {
			er.log.add(finding.Info, "ANN-EXT-COLUMN", 1, "unknown column %q ignored", n)
			continue
		}
		if seen[c] {
			er.log.add(finding.Warning, "ANN-EXT-COLUMN", 1, "column %q repeated: the first one is used", n)
			continue
		}
		seen[c] = true
		er.p.colMap[j] = c
	}
	if !seen[colAddress] {
		return nil, fmt.Errorf("%w: no %q column in %q", ErrBadHeader, ExtractionHeader[colAddress], string(line))
	}
	for c, ok := range seen {
		if !ok {
			er.log.add(finding.Warning, "ANN-EXT-COLUMN", 1, "column %q missing: its values are empty", ExtractionHeader[c])
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
func (r *ExtractionReader) Findings() finding.List { return r.log.findings }

// Stats returns the counters so far.
func (r *ExtractionReader) Stats() ReadStats {
	st := r.stats
	st.BadLines, st.Warnings = r.log.badLines, r.log.warnings
	return st
}

// readLine returns the next line without its line end. A line longer than
// MaxLineBytes is consumed and reported with bufio.ErrBufferFull.
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
	for {
		line, err := r.readLine()
		if err == io.EOF {
			return Mailbox{}, io.EOF
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			r.stats.Lines++
			r.log.bad(r.lineNo, "line longer than %d bytes", r.opts.MaxLineBytes)
			continue
		}
		if err != nil {
			return Mailbox{}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue // blank lines, e.g. at the end of the file
		}
		r.stats.Lines++
		if !r.p.parse(line, r.lineNo, &r.log, &r.lf) {
			continue
		}
		r.stats.Mailboxes++
		// One allocation holds every field of the mailbox.
		n := 0
		for _, v := range r.lf.f {
			n += len(v)
		}
		var b strings.Builder
		b.Grow(n)
		for _, v := range r.lf.f {
			b.Write(v)
		}
		s := b.String()
		var f [numCols]string
		n = 0
		for c, v := range r.lf.f {
			f[c] = s[n : n+len(v)]
			n += len(v)
		}
		return mailboxOf(&f, r.lineNo), nil
	}
}

// MaxZipEntry bounds the uncompressed size of the text file inside an
// extraction ZIP (the real one is about 90 MB): the reader OpenExtraction
// returns fails with a *limit.Error past it, whatever size the ZIP claims.
// LoadIndex has its own, smaller budget (LoadOptions.MaxBytes).
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
	}{&budgetReader{r: rc, max: MaxZipEntry, err: &limit.Error{What: "extraction ZIP entry " + entry.Name, Limit: limit.EntrySize, Max: MaxZipEntry}}, rc}, int64(entry.UncompressedSize64), nil
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
