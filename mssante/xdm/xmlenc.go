package xdm

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrInvalidText: a metadata value is not valid UTF-8 or holds a character
// XML 1.0 forbids (control characters other than tab, CR and LF).
var ErrInvalidText = errors.New("xdm: value is not valid XML text")

// xmlWriter appends escaped XML to a buffer and remembers the first invalid
// value it was given.
type xmlWriter struct {
	b   bytes.Buffer
	err error
}

func (w *xmlWriter) raw(s string) { w.b.WriteString(s) }

// esc writes s escaped for an attribute value or character data.
func (w *xmlWriter) esc(s string) {
	if !utf8.ValidString(s) {
		w.fail(s)
		return
	}
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var rep string
		switch c {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\t':
			rep = "&#9;"
		case '\n':
			rep = "&#10;"
		case '\r':
			rep = "&#13;"
		default:
			if c < 0x20 {
				w.fail(s)
				return
			}
			if c == 0xEF && i+2 < len(s) && s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF) {
				w.fail(s) // U+FFFE, U+FFFF
				return
			}
			continue
		}
		w.b.WriteString(s[last:i])
		w.b.WriteString(rep)
		last = i + 1
	}
	w.b.WriteString(s[last:])
}

func (w *xmlWriter) fail(s string) {
	if w.err == nil {
		w.err = fmt.Errorf("%w: %q", ErrInvalidText, s)
	}
}

// attr writes ` name="value"`.
func (w *xmlWriter) attr(name, value string) {
	w.b.WriteByte(' ')
	w.b.WriteString(name)
	w.b.WriteString(`="`)
	w.esc(value)
	w.b.WriteByte('"')
}
