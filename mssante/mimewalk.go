package mssante

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/limit"

	// Decode the legacy charsets (ISO-8859-x, Windows-125x...) that real
	// messages carry; the import registers message.CharsetReader.
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
)

// Default reader limits (ReadLimits zero values).
const (
	DefaultMaxReadSize  = 64 << 20 // 64 MiB of raw message
	DefaultMaxMIMEDepth = 16
	DefaultMaxParts     = 512
)

// ReadLimits bounds what the readers (Read, ParseReport, Lint) accept. The
// zero value of each field selects its default; a negative value disables
// the limit.
type ReadLimits struct {
	MaxSize  int64 // raw bytes of the message; default DefaultMaxReadSize
	MaxDepth int   // nesting of multipart entities; default DefaultMaxMIMEDepth
	MaxParts int   // MIME entities in the message; default DefaultMaxParts
	// Budget is the message budget (limit.MessageBudget): the bytes the
	// reader decodes and inflates for the whole message, counted as they
	// are produced: every part body decoded, every archive entry inflated
	// and every listing of a document in an archive. Default
	// limit.DefaultMessageBudget (256 MiB).
	Budget int64
}

func (l ReadLimits) withDefaults() ReadLimits {
	if l.MaxSize == 0 {
		l.MaxSize = DefaultMaxReadSize
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = DefaultMaxMIMEDepth
	}
	if l.MaxParts == 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.Budget == 0 {
		l.Budget = limit.DefaultMessageBudget
	}
	return l
}

// budget returns the message budget of these limits.
func (l ReadLimits) budget() *limit.Budget {
	return limit.NewBudget("message", limit.MessageBudget, l.Budget, nil)
}

// sizeReader fails with a *limit.Error once more than max bytes were read.
type sizeReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (s *sizeReader) Read(p []byte) (int, error) {
	if s.max >= 0 && s.n > s.max {
		return 0, limitErr(limit.Size, s.max)
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.max >= 0 && s.n > s.max {
		return n, limitErr(limit.Size, s.max)
	}
	return n, err
}

// mimePart is one entity met while walking a message.
type mimePart struct {
	Path      string // "1.2" (IMAP-style numbering), "" for the root
	Entity    *message.Entity
	MediaType string // lower case; "text/plain" when absent
	Params    map[string]string
	Parent    string // media type of the enclosing multipart, "" for the root
	Index     int    // position in the parent, from 0

	budget *limit.Budget // the message budget, charged by readBody
}

// dispositionAndFilename returns the lower-case Content-Disposition value
// and the attachment name: Content-Disposition filename, then Content-Type
// name (RFC 2231 and RFC 2047 forms decoded).
func (p *mimePart) dispositionAndFilename() (disp, name string) {
	d, dp, err := p.Entity.Header.ContentDisposition()
	disp = strings.ToLower(d)
	switch {
	case err == nil && dp["filename"] != "":
		name = decodeWords(dp["filename"])
	case p.Params["name"] != "":
		name = decodeWords(p.Params["name"])
	}
	return disp, name
}

// walker walks the MIME tree of a message within limits, collecting warnings.
type walker struct {
	limits ReadLimits
	budget *limit.Budget // the message budget; walkMessage sets it when nil
	parts  int
	warn   *finding.List
	size   int64 // raw bytes read by walkMessage
}

// walkMessage reads a message from r and calls visit for every entity, in
// order. visit may read the entity body; multipart bodies are walked after
// visit returns.
func (w *walker) walkMessage(r io.Reader, visit func(*mimePart) error) error {
	if w.budget == nil {
		w.budget = w.limits.budget()
	}
	sr := &sizeReader{r: r, max: w.limits.MaxSize}
	br := bufio.NewReaderSize(sr, repairBufSize)
	skipLeadingNoise(br, w.warn)
	rr := newHeaderRepair(br, w.warn)
	e, err := message.Read(rr)
	if err != nil && e == nil {
		if le, ok := errors.AsType[*limit.Error](err); ok {
			return le
		}
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err != nil {
		w.warn.Add(finding.Warning, entityErrorRule(err), "message", "RFC 2045", "%v", err)
	}
	err = w.walk(e, "", 0, "", 0, visit)
	if err == nil {
		// Drain so that the size limit also covers trailing bytes.
		_, err = io.Copy(io.Discard, sr)
	}
	w.size = sr.n
	return err
}

func (w *walker) walk(e *message.Entity, path string, depth int, parent string, index int, visit func(*mimePart) error) error {
	w.parts++
	if w.limits.MaxParts >= 0 && w.parts > w.limits.MaxParts {
		return limitErr(limit.Parts, int64(w.limits.MaxParts))
	}
	mt, params, err := e.Header.ContentType()
	if err != nil {
		w.warn.Add(finding.Warning, "MIME-CONTENT-TYPE", partLocation(path), "RFC 2045 §5", "unparsable Content-Type %q: %v", e.Header.Get("Content-Type"), err)
	}
	mt = strings.ToLower(mt)
	if mt == "" {
		mt = "text/plain"
	}
	if params == nil {
		params = map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] == "" {
		// Nothing delimits the parts: keep the body as text rather than lose it.
		w.warn.Add(finding.Warning, "MIME-BOUNDARY", partLocation(path), "RFC 2046 §5.1.1", "%s without a boundary parameter, read as text/plain", mt)
		mt = "text/plain"
	}
	p := &mimePart{Path: path, Entity: e, MediaType: mt, Params: params, Parent: parent, Index: index, budget: w.budget}
	if err := visit(p); err != nil {
		return err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return nil
	}
	if w.limits.MaxDepth >= 0 && depth+1 > w.limits.MaxDepth {
		return limitErr(limit.Depth, int64(w.limits.MaxDepth))
	}
	// Keep what comes before the first part: when no part is delimited
	// (a boundary that the body never uses), it is the whole body, read as
	// text rather than lost.
	pre := &prefixCapture{max: maxTextPart}
	e.Body = io.TeeReader(e.Body, pre)
	mr := e.MultipartReader()
	if mr == nil {
		return nil
	}
	for i := 0; ; i++ {
		child, err := mr.NextPart()
		pre.stop = true
		if err == io.EOF && i > 0 {
			return nil
		}
		if err != nil && child == nil {
			if le, ok := errors.AsType[*limit.Error](err); ok {
				return le
			}
			if i > 0 {
				w.warn.Add(finding.Warning, "MIME-STRUCTURE", partLocation(path), "RFC 2046 §5.1", "multipart body cut short: %v", err)
				return nil
			}
			return w.walkUndelimited(e, pre, path, depth, mt, visit)
		}
		if err != nil {
			if le, ok := errors.AsType[*limit.Error](err); ok {
				return le
			}
			w.warn.Add(finding.Warning, entityErrorRule(err), partLocation(childPath(path, i)), "RFC 2045", "%v", err)
		}
		if err := w.walk(child, childPath(path, i), depth+1, mt, i, visit); err != nil {
			return err
		}
	}
}

// walkUndelimited visits the body of a multipart entity in which no part
// was found (its boundary never appears, or appears indented) as a single
// text/plain part "1", with a warning: its text (a bounce notice, a status
// report) stays readable.
func (w *walker) walkUndelimited(e *message.Entity, pre *prefixCapture, path string, depth int, mt string, visit func(*mimePart) error) error {
	if _, err := io.Copy(pre, e.Body); err != nil { // the rest, up to the cap
		if le, ok := errors.AsType[*limit.Error](err); ok {
			return le
		}
	}
	_, params, _ := e.Header.ContentType()
	if delim := "--" + params["boundary"]; bytes.HasPrefix(pre.b, []byte(delim)) || bytes.Contains(pre.b, []byte("\n"+delim)) {
		return nil // delimited, and empty: nothing to read
	}
	body := bytes.TrimSpace(pre.b)
	w.warn.Add(finding.Warning, "MIME-STRUCTURE", partLocation(path), "RFC 2046 §5.1",
		"%s body delimits no part with its boundary: read as one text part", mt)
	if len(body) == 0 {
		return nil
	}
	var h message.Header
	h.Set("Content-Type", "text/plain; charset=utf-8")
	child, _ := message.New(h, bytes.NewReader(body))
	return w.walk(child, childPath(path, 0), depth+1, mt, 0, visit)
}

// prefixCapture keeps the first max bytes written to it until stop is set.
type prefixCapture struct {
	b    []byte
	max  int
	stop bool
}

func (c *prefixCapture) Write(p []byte) (int, error) {
	if !c.stop && len(c.b) < c.max {
		c.b = append(c.b, p[:min(len(p), c.max-len(c.b))]...)
	}
	return len(p), nil
}

// entityErrorRule names the finding of a readable entity with an unknown
// charset or transfer encoding.
func entityErrorRule(err error) string {
	if message.IsUnknownEncoding(err) {
		return "MIME-ENCODING"
	}
	return "MIME-CHARSET"
}

func childPath(parent string, i int) string {
	if parent == "" {
		return fmt.Sprint(i + 1)
	}
	return fmt.Sprintf("%s.%d", parent, i+1)
}

func partLocation(path string) string {
	if path == "" {
		return "message"
	}
	return "part " + path
}

// readBody reads at most max bytes of a part body (max < 0: no cap) and
// reports whether it was cut. The bytes decoded are charged to the message
// budget. The error is a *limit.Error when the message exceeds its size
// limit or its budget, and wraps ErrMalformed (with what could be read)
// when the transfer encoding is broken.
func readBody(p *mimePart, max int64) (b []byte, truncated bool, err error) {
	r := p.budget.Reader(p.Entity.Body)
	if max >= 0 {
		r = io.LimitReader(r, max+1)
	}
	b, err = io.ReadAll(r)
	if err != nil {
		if le, ok := errors.AsType[*limit.Error](err); ok {
			return b, false, le
		}
		return b, false, fmt.Errorf("%w: %s: %v", ErrMalformed, partLocation(p.Path), err)
	}
	if max >= 0 && int64(len(b)) > max {
		return b[:max], true, nil
	}
	return b, false, nil
}

// isLimit reports whether err is a reader limit error (to be propagated).
func isLimit(err error) bool { return errors.Is(err, limit.ErrExceeded) }

// limitErr is the error of a reader limit.
func limitErr(name string, max int64) error {
	return &limit.Error{What: "message", Limit: name, Max: max}
}

// readHeaderOnly parses the header block at the start of an embedded message
// (message/rfc822) or a text/rfc822-headers part.
func readHeaderOnly(b []byte) (message.Header, error) {
	h, err := textproto.ReadHeader(newBufReader(b))
	if err != nil && h.Len() == 0 {
		return message.Header{}, fmt.Errorf("%w: embedded header: %v", ErrMalformed, err)
	}
	return message.Header{Header: h}, nil
}

// skipLeadingNoise drops what some agents and exports put before the header:
// a UTF-8 byte order mark, blank lines, and the "From sender date" line of
// mbox files, each with a finding.
func skipLeadingNoise(br *bufio.Reader, warn *finding.List) {
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
		warn.Add(finding.Warning, "MIME-BOM", "message", "RFC 5322 §2.1", "UTF-8 byte order mark before the header ignored")
	}
	blank := 0
	for {
		b, _ := br.Peek(br.Buffered())
		if len(b) == 0 {
			if _, err := br.Peek(1); err != nil {
				break
			}
			continue
		}
		i := 0
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
			i++
		}
		if i == len(b) && i < br.Size() {
			if _, err := br.Peek(i + 1); err != nil {
				break
			}
			continue
		}
		if i == len(b) || b[i] != '\n' {
			break
		}
		br.Discard(i + 1)
		blank++
	}
	if blank > 0 {
		warn.Add(finding.Warning, "MIME-LEADING-BLANK", "message", "RFC 5322 §2.1", "%d blank line(s) before the header ignored", blank)
	}
	if skipMboxFromLine(br) {
		warn.Add(finding.Info, "MIME-MBOX", "message", "RFC 4155", "leading mbox \"From \" line ignored")
	}
}

// skipMboxFromLine drops the "From sender date" line that mbox files and some
// .eml exports put before the header.
func skipMboxFromLine(br *bufio.Reader) bool {
	b, err := br.Peek(5)
	if err != nil || string(b) != "From " {
		return false
	}
	for {
		if _, err := br.ReadSlice('\n'); err != bufio.ErrBufferFull {
			return true
		}
	}
}

func newBufReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
