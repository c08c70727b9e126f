package annuaire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/idnat"
)

// lineParser splits and checks the data lines of an extraction. It keeps no
// state between lines, so the goroutines of a parallel load share one.
type lineParser struct {
	colMap  []int // file column -> canonical column, -1 when unknown
	nFile   int   // columns of the header
	maxLine int   // MaxLineBytes with its default
}

// lineLog receives what the parser finds: the ExtractionReader's own when
// streaming, one per chunk when loading in parallel (the chunks' logs are
// then joined in file order, so that the result does not depend on which
// goroutine parsed what).
type lineLog struct {
	maxFindings int // ReaderOptions.MaxFindings with its default
	findings    finding.List
	warnings    int
	badLines    int
	onBad       func(*LineError)
}

func (l *lineLog) add(level finding.Level, rule string, line int, format string, args ...any) {
	if level == finding.Warning {
		l.warnings++
	}
	if l.maxFindings < 0 || len(l.findings) >= l.maxFindings {
		return
	}
	l.findings.Add(level, rule, "line "+itoa(line), specExtraction, format, args...)
}

func (l *lineLog) bad(line int, format string, args ...any) {
	l.badLines++
	e := &LineError{Line: line, Reason: fmt.Sprintf(format, args...)}
	l.add(finding.Error, "ANN-EXT-LINE", line, "skipped: %s", e.Reason)
	if l.onBad != nil {
		l.onBad(e)
	}
}

// bstr views b as a string without copying. The string must not outlive
// the next change of b: it is only used for checks and lookups.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// lineFields is the scratch of a parse: the fields of the last line and
// the positions of its separators.
type lineFields struct {
	f    [numCols][]byte
	seps []int
}

// parse splits a data line (without its line end) into the canonical
// fields and checks it. On success lf.f holds the fields, as slices of line
// or of a repaired copy of it; a skipped line is reported to log.
func (p *lineParser) parse(line []byte, lineNo int, log *lineLog, lf *lineFields) bool {
	seps, ascii := splitSeps(line, lf.seps[:0], p.nFile+1)
	if !ascii && !utf8.Valid(line) {
		log.add(finding.Warning, "ANN-EXT-UTF8", lineNo, "invalid UTF-8 replaced by U+FFFD")
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
		seps, _ = splitSeps(line, seps[:0], p.nFile+1)
	}
	lf.seps = seps
	// n fields; one more than the header is allowed when it is blank (a
	// trailing '|').
	n := len(seps) + 1
	if n > p.nFile && (n > p.nFile+1 || len(bytes.TrimSpace(line[seps[p.nFile-1]+1:])) != 0) {
		log.bad(lineNo, "%d fields, the header has %d", countFields(line), p.nFile)
		return false
	}
	if n < p.nFile {
		log.add(finding.Warning, "ANN-EXT-SHORT", lineNo, "%d fields, the header has %d: the missing ones are empty", n, p.nFile)
	}
	f := &lf.f
	*f = [numCols][]byte{}
	start := 0
	for j := 0; j < n && j < p.nFile; j++ {
		end := len(line)
		if j < len(seps) {
			end = seps[j]
		}
		if c := p.colMap[j]; c >= 0 {
			v := line[start:end]
			if k := len(v); k > 0 && (v[0] <= ' ' || v[k-1] <= ' ') {
				v = bytes.TrimSpace(v)
			}
			f[c] = v
		}
		start = end + 1
	}
	total := 0
	for _, v := range f {
		total += len(v)
	}
	if len(f[colAddress]) == 0 {
		log.bad(lineNo, "empty address")
		return false
	}
	if total > maxRecordBytes {
		// Replacing invalid UTF-8 can double a line below MaxLineBytes.
		log.bad(lineNo, "%d bytes of fields once invalid UTF-8 is replaced, more than %d", total, maxRecordBytes)
		return false
	}
	if err := CheckAddress(bstr(f[colAddress])); err != nil {
		log.bad(lineNo, "%v", err)
		return false
	}
	checkValues(f, lineNo, log)
	return true
}

// splitSeps appends to seps the positions of the first max '|' of line,
// and tells whether line is ASCII. It reads eight bytes at a time.
func splitSeps(line []byte, seps []int, max int) ([]int, bool) {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
		low7  = 0x7f7f7f7f7f7f7f7f
		pipes = '|' * ones
	)
	var or uint64
	i := 0
	for ; i+8 <= len(line); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:])
		or |= x
		// The high bit of each byte of m is set where x has a '|'
		// (exactly: no borrow between bytes).
		y := x ^ pipes
		m := ^((y&low7 + low7) | y | low7)
		for m != 0 {
			if len(seps) == max {
				return seps, or&highs == 0 && isASCII(line[i:])
			}
			seps = append(seps, i+bits.TrailingZeros64(m)/8)
			m &= m - 1
		}
	}
	for ; i < len(line); i++ {
		c := line[i]
		or |= uint64(c)
		if c == '|' {
			if len(seps) == max {
				return seps, or&highs == 0 && isASCII(line[i:])
			}
			seps = append(seps, i)
		}
	}
	return seps, or&highs == 0
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// maxRecordBytes bounds the fields of a line. The index does not need it
// any more, but it keeps the reader's documented behaviour.
const maxRecordBytes = 1<<16 - 1

func countFields(line []byte) int { return bytes.Count(line, []byte("|")) + 1 }

// checkValues adds warnings for suspicious values of a good line.
func checkValues(f *[numCols][]byte, lineNo int, log *lineLog) {
	if t := MailboxType(bstr(f[colType])); !t.Known() {
		log.add(finding.Warning, "ANN-EXT-TYPE", lineNo, "unknown mailbox type %q", string(t))
	}
	if v := bstr(f[colDematerialisation]); v != "" {
		if _, ok := parseTristate(v); !ok {
			log.add(finding.Warning, "ANN-EXT-DEMAT", lineNo, "unrecognised Dématérialisation value %q", v)
		}
	}
	if id := bstr(f[colPersonID]); id != "" {
		kind := idnat.RPPS
		if len(id) == 9 || bstr(f[colPersonIDType]) == "0" {
			kind = idnat.ADELI
		}
		if idnat.Check(kind, id) != nil {
			for _, fd := range idnat.Validate(kind, strings.Clone(id)) {
				log.add(finding.Warning, fd.Rule, lineNo, "Identifiant PP: %s", fd.Message)
			}
		}
	}
}

// hasUpper reports whether s may change when lower-cased: an ASCII upper
// case letter or any non-ASCII byte.
func hasUpper[S string | []byte](s S) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// lowerKey appends the lookup key of an address (lower case) to dst.
func lowerKey(dst []byte, addr []byte) []byte {
	for _, c := range addr {
		if c >= utf8.RuneSelf {
			return append(dst[:0], strings.ToLower(string(addr))...)
		}
	}
	dst = dst[:0]
	for _, c := range addr {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// mailboxOf makes a Mailbox of the canonical fields of a line.
func mailboxOf(f *[numCols]string, line int) Mailbox {
	demat, _ := parseTristate(f[colDematerialisation])
	return Mailbox{
		Type:              MailboxType(f[colType]),
		Address:           f[colAddress],
		Dematerialisation: demat,
		Source:            SourceExtraction,
		Line:              line,
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
