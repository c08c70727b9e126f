package cda

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
)

// rawText streams the character data of the element the decoder stopped
// in (nonXMLBody/text) straight from the buffered input, without the XML
// decoder building the whole text in memory. It drops XML whitespace and
// whitespace character references, passes CDATA sections through, skips
// comments, and stops before the '<' of the next tag, which the decoder
// then reads as usual.
type rawText struct {
	br    *bufio.Reader
	cdata bool
	done  bool
	err   error
}

func isXMLSpace(c byte) bool { return textClass[c] == classSpace }

// Byte classes of the body text scanner.
const (
	classData  = 0
	classSpace = 1 // XML whitespace, dropped
	classStop  = 2 // '<' or '&': markup or reference
)

var textClass = [256]uint8{' ': classSpace, '\t': classSpace, '\r': classSpace, '\n': classSpace, '<': classStop, '&': classStop}

func (t *rawText) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && !t.done && t.err == nil {
		if t.cdata {
			c, err := t.br.ReadByte()
			if err != nil {
				t.fail(err)
				break
			}
			if c == ']' {
				if b, _ := t.br.Peek(2); bytes.Equal(b, []byte("]>")) {
					_, _ = t.br.Discard(2)
					t.cdata = false
					continue
				}
			}
			if !isXMLSpace(c) {
				p[n] = c
				n++
			}
			continue
		}
		// Fast path: copy a run of plain characters from the buffer.
		buf, err := t.br.Peek(1)
		if err != nil {
			t.fail(err)
			break
		}
		switch buf[0] {
		case '<':
			t.markup()
			continue
		case '&':
			t.entity()
			continue
		}
		avail := t.br.Buffered()
		if avail == 0 {
			avail = 1
		}
		chunk, _ := t.br.Peek(avail)
		i := 0
	scan:
		for i < len(chunk) && n < len(p) {
			c := chunk[i]
			switch textClass[c] {
			case classStop:
				break scan
			case classData:
				p[n] = c
				n++
			}
			i++
		}
		_, _ = t.br.Discard(i)
	}
	if n > 0 {
		return n, nil
	}
	if t.err != nil {
		return 0, t.err
	}
	return 0, io.EOF
}

func (t *rawText) fail(err error) {
	if err == io.EOF {
		err = fmt.Errorf("%w: document ends inside the body", ErrSyntax)
	}
	t.err = err
}

// markup handles '<': a CDATA section or a comment inside the text, or the
// end of the text (left unread for the decoder).
func (t *rawText) markup() {
	if b, _ := t.br.Peek(9); bytes.Equal(b, []byte("<![CDATA[")) {
		_, _ = t.br.Discard(9)
		t.cdata = true
		return
	}
	if b, _ := t.br.Peek(4); bytes.Equal(b, []byte("<!--")) {
		_, _ = t.br.Discard(4)
		// Skip to "-->".
		for {
			c, err := t.br.ReadByte()
			if err != nil {
				t.fail(err)
				return
			}
			if c == '-' {
				if b, _ := t.br.Peek(2); bytes.Equal(b, []byte("->")) {
					_, _ = t.br.Discard(2)
					return
				}
			}
		}
	}
	t.done = true
}

// entity consumes a character reference; only whitespace references are
// meaningful in base64 text and they are dropped. Anything else is an error.
func (t *rawText) entity() {
	b, _ := t.br.Peek(10)
	end := bytes.IndexByte(b, ';')
	if end < 0 {
		t.err = fmt.Errorf("%w: bad entity reference in the body", ErrSyntax)
		return
	}
	ref := string(b[1:end])
	_, _ = t.br.Discard(end + 1)
	switch ref {
	case "#10", "#13", "#9", "#32", "#xA", "#xa", "#xD", "#xd", "#x9", "#x20", "#x0A", "#x0D", "#x0a", "#x0d":
		return
	}
	t.err = fmt.Errorf("%w: unexpected entity reference &%s; in base64 content", ErrSyntax, ref)
}

// b64Stream decodes base64 text that has no whitespace left (rawText
// removed it), in chunks, without the byte-by-byte newline filter of
// base64.NewDecoder.
type b64Stream struct {
	src    io.Reader
	in     [16 << 10]byte
	nin    int
	outbuf [12 << 10]byte
	out    []byte
	err    error
}

func (s *b64Stream) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		n, err := s.src.Read(s.in[s.nin:])
		s.nin += n
		eof := err == io.EOF
		if err != nil && !eof {
			s.err = err
			return 0, err
		}
		k := s.nin / 4 * 4
		if eof {
			k = s.nin
		}
		if k > 0 {
			m, derr := base64.StdEncoding.Decode(s.outbuf[:], s.in[:k])
			s.out = s.outbuf[:m]
			if derr != nil {
				s.err = fmt.Errorf("%w: %w", ErrBase64, derr)
			}
			s.nin = copy(s.in[:], s.in[k:s.nin])
		}
		if eof && s.err == nil {
			s.err = io.EOF
		}
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// bodyReader decodes the base64 body and, at its end, checks the rest of
// the document so that a truncated or malformed document is not taken for
// a complete one.
type bodyReader struct {
	dec io.Reader
	p   *parser
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.dec.Read(p)
	if err == io.EOF {
		if ferr := b.p.finish(); ferr != nil {
			b.err = ferr
			if n > 0 {
				return n, nil
			}
			return 0, ferr
		}
		b.err = io.EOF
		return n, io.EOF
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// Body returns the decoded content of a level 1 document (the PDF), read
// and decoded from base64 as the caller reads it: memory use does not
// depend on the size of the body. It may be called once; reading it to the
// end also checks that the rest of the document is well formed.
func (d *Document) Body() (io.Reader, error) {
	if d.p == nil || d.p.bodyText == nil {
		return nil, ErrNoBody
	}
	if d.bodyUsed {
		return nil, ErrBodyRead
	}
	d.bodyUsed = true
	if rep := d.p.bodyText.attr("representation"); rep != "" && rep != "B64" {
		return nil, fmt.Errorf("%w: representation %q (only B64 is supported)", ErrNoBody, rep)
	}
	raw := &rawText{br: d.p.br}
	return &bodyReader{dec: &b64Stream{src: raw}, p: d.p}, nil
}
