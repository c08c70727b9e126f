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

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

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
		for i < len(chunk) && n < len(p) {
			c := chunk[i]
			if c == '<' || c == '&' {
				break
			}
			if !isXMLSpace(c) {
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

// bodyReader decodes the base64 body and, at its end, checks the rest of
// the document so that a truncated or malformed document is not taken for
// a complete one.
type bodyReader struct {
	dec  io.Reader
	p    *parser
	err  error
	done bool
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
		if _, ok := err.(base64.CorruptInputError); ok {
			err = fmt.Errorf("%w: %w", ErrBase64, err)
		}
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
	return &bodyReader{dec: base64.NewDecoder(base64.StdEncoding, raw), p: d.p}, nil
}
