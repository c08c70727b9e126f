package mssante

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"strings"

	"github.com/mssante-go/sdk/finding"
)

// repairBufSize is the buffer of the reader under headerRepair: the longest
// line it looks at whole.
const repairBufSize = 4 << 10

// maxBoundaries bounds the boundaries headerRepair remembers.
const maxBoundaries = 256

// headerRepair passes a message through unchanged, except for one defect of
// the field: a header block that runs into a MIME boundary or into its body
// without the blank line that ends it. The LPS-MSS guide's own MDN example
// (spec/mssante.md §9) is written that way, and software that copied it
// sends exactly that. headerRepair inserts the missing blank line, with a
// warning, when
//
//   - a header (the message's or a part's) runs into a delimiter line of a
//     boundary declared so far (including by that very header), or
//   - a part's header (after a delimiter) runs into a line that is no
//     header field ("Le document n'a pas pu être intégré."): the line
//     starts the part's body, as the sender meant.
//
// The message header running into a line that is neither is left alone:
// the reader refuses it (ErrMalformed). Lines of bodies are copied in
// bulk; only lines that start with "--" are looked at.
type headerRepair struct {
	br          *bufio.Reader
	warn        *finding.List
	inHeader    bool
	top         bool // the header is the message's
	atLineStart bool
	out         []byte // bytes to give before reading more
	err         error
	ct          strings.Builder // Content-Type of the current header, unfolded
	inCT        bool
	boundaries  map[string]bool
}

func newHeaderRepair(br *bufio.Reader, warn *finding.List) *headerRepair {
	return &headerRepair{br: br, warn: warn, inHeader: true, top: true, atLineStart: true}
}

func (r *headerRepair) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.out) > 0 {
			c := copy(p[n:], r.out)
			r.out = r.out[c:]
			n += c
			continue
		}
		if r.err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, r.err
		}
		if n > 0 && r.br.Buffered() == 0 {
			return n, nil // do not wait for more input with data in hand
		}
		r.step()
	}
	return n, nil
}

// step reads the next piece of input into r.out (or sets r.err).
func (r *headerRepair) step() {
	switch {
	case !r.atLineStart:
		r.readRestOfLine()
	case r.inHeader:
		r.headerLine()
	default:
		r.bodyChunk()
	}
}

// readRestOfLine passes on the rest of a line longer than the buffer.
func (r *headerRepair) readRestOfLine() {
	line, err := r.br.ReadSlice('\n')
	r.out = line
	r.atLineStart = err == nil
	if err != nil && err != bufio.ErrBufferFull {
		r.err = err
	}
}

// bodyChunk passes on body bytes up to the next line that starts with "--",
// and looks at that line whole.
func (r *headerRepair) bodyChunk() {
	if b, _ := r.br.Peek(2); len(b) == 2 && b[0] == '-' && b[1] == '-' {
		line, err := r.br.ReadSlice('\n')
		r.out = line
		r.atLineStart = err == nil
		if err != nil && err != bufio.ErrBufferFull {
			r.err = err
		}
		if open, ok := r.delimiter(line); ok && open {
			r.inHeader, r.top = true, false
		}
		return
	}
	if r.br.Buffered() == 0 {
		if _, err := r.br.Peek(1); err != nil {
			r.err = err
			return
		}
	}
	buf, _ := r.br.Peek(r.br.Buffered())
	end := len(buf)
	r.atLineStart = false
	if i := bytes.Index(buf, []byte("\n--")); i >= 0 {
		end, r.atLineStart = i+1, true
	} else if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		end, r.atLineStart = i+1, true
	}
	r.out = buf[:end]
	r.br.Discard(end)
}

// headerLine reads one line of a header block.
func (r *headerRepair) headerLine() {
	line, err := r.br.ReadSlice('\n')
	if err != nil && err != bufio.ErrBufferFull {
		r.err = err
	}
	if err == bufio.ErrBufferFull {
		// A field longer than the buffer: pass it on, it stays a field.
		r.out, r.atLineStart, r.inCT = line, false, false
		return
	}
	content := bytes.TrimRight(line, "\r\n")
	switch {
	case len(bytes.TrimSpace(content)) == 0:
		r.endHeader()
	case content[0] == ' ' || content[0] == '\t':
		if r.inCT {
			r.ct.WriteByte(' ')
			r.ct.Write(bytes.TrimSpace(content))
		}
	case !r.delimiterAfterHeader(line) && isHeaderField(content):
		name, value, _ := bytes.Cut(content, []byte(":"))
		r.inCT = strings.EqualFold(string(bytes.TrimSpace(name)), "Content-Type")
		if r.inCT {
			r.ct.Reset()
			r.ct.Write(bytes.TrimSpace(value))
		}
	default:
		// Neither a field nor a continuation: the header ended one line
		// too early. A boundary after any header, or any line in a
		// part's header, starts what follows the header.
		open, isDelim := r.delimiter(line)
		if !isDelim && r.top {
			r.out = line // the reader refuses the message, as it should
			return
		}
		where := "message"
		if !r.top {
			where = "part header"
		}
		r.warn.Add(finding.Warning, "MIME-HEADER-END", where, "RFC 5322 §2.1, RFC 2046 §5.1.1",
			"header ends without a blank line before %q (blank line assumed)", truncate(string(content), 60))
		r.endHeader()
		eol := "\n"
		if bytes.HasSuffix(line, []byte("\r\n")) {
			eol = "\r\n"
		}
		r.out = append([]byte(eol), line...)
		if isDelim && open {
			r.inHeader, r.top = true, false
		}
		return
	}
	r.out = line
}

// delimiterAfterHeader reports whether a header line is a delimiter of a
// boundary known once the current header's Content-Type is counted.
func (r *headerRepair) delimiterAfterHeader(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("--")) {
		return false
	}
	r.noteBoundary()
	_, ok := r.delimiter(line)
	return ok
}

// endHeader closes the current header block.
func (r *headerRepair) endHeader() {
	r.noteBoundary()
	r.inHeader, r.inCT = false, false
	r.ct.Reset()
}

// noteBoundary remembers the boundary of the current header's
// Content-Type, if it declares one.
func (r *headerRepair) noteBoundary() {
	if r.ct.Len() == 0 {
		return
	}
	_, params, err := mime.ParseMediaType(r.ct.String())
	if err != nil || params["boundary"] == "" {
		return
	}
	if r.boundaries == nil {
		r.boundaries = map[string]bool{}
	}
	if len(r.boundaries) < maxBoundaries {
		r.boundaries[params["boundary"]] = true
	}
}

// delimiter reports whether line is a delimiter of a known boundary, and
// whether it opens a part (false for a close delimiter "--b--").
func (r *headerRepair) delimiter(line []byte) (open, ok bool) {
	if len(r.boundaries) == 0 || !bytes.HasPrefix(line, []byte("--")) {
		return false, false
	}
	b := string(bytes.TrimRight(line[2:], " \t\r\n"))
	if r.boundaries[b] {
		return true, true
	}
	if c, found := strings.CutSuffix(b, "--"); found && r.boundaries[c] {
		return false, true
	}
	return false, false
}

// isHeaderField reports whether a line is "name: value" with a name that
// go-message accepts (printable US-ASCII but ":", spaces around it
// tolerated).
func isHeaderField(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return false
	}
	for _, c := range bytes.Trim(line[:i], " \t") {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

var _ io.Reader = (*headerRepair)(nil)
