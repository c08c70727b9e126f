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
	return l
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
	parts  int
	warn   *finding.List
	size   int64 // raw bytes read by walkMessage
}

// walkMessage reads a message from r and calls visit for every entity, in
// order. visit may read the entity body; multipart bodies are walked after
// visit returns.
func (w *walker) walkMessage(r io.Reader, visit func(*mimePart) error) error {
	sr := &sizeReader{r: r, max: w.limits.MaxSize}
	br := bufio.NewReader(sr)
	if skipMboxFromLine(br) {
		w.warn.Add(finding.Info, "MIME-MBOX", "message", "RFC 4155", "leading mbox \"From \" line ignored")
	}
	e, err := message.Read(br)
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
	p := &mimePart{Path: path, Entity: e, MediaType: mt, Params: params, Parent: parent, Index: index}
	if err := visit(p); err != nil {
		return err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return nil
	}
	mr := e.MultipartReader()
	if mr == nil {
		return nil
	}
	if w.limits.MaxDepth >= 0 && depth+1 > w.limits.MaxDepth {
		return limitErr(limit.Depth, int64(w.limits.MaxDepth))
	}
	for i := 0; ; i++ {
		child, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if le, ok := errors.AsType[*limit.Error](err); ok {
				return le
			}
			if child == nil {
				w.warn.Add(finding.Warning, "MIME-STRUCTURE", partLocation(path), "RFC 2046 §5.1", "multipart body cut short: %v", err)
				return nil
			}
			w.warn.Add(finding.Warning, entityErrorRule(err), partLocation(childPath(path, i)), "RFC 2045", "%v", err)
		}
		if err := w.walk(child, childPath(path, i), depth+1, mt, i, visit); err != nil {
			return err
		}
	}
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
// reports whether it was cut. The error is a *limit.Error when the message
// exceeds its size limit, and wraps ErrMalformed (with what could be read)
// when the transfer encoding is broken.
func readBody(p *mimePart, max int64) (b []byte, truncated bool, err error) {
	r := io.Reader(p.Entity.Body)
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
