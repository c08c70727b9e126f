package xmltext

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// ErrInvalid is matched by every *Error.
var ErrInvalid = errors.New("text XML cannot carry")

// Error reports a value XML 1.0 cannot carry.
type Error struct {
	Value  string // the value given
	Offset int    // byte offset of the first offending byte
}

func (e *Error) Error() string {
	return fmt.Sprintf("%v: %q at byte %d (invalid UTF-8 or a character XML 1.0 forbids)", ErrInvalid, e.Value, e.Offset)
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Check returns nil when s can be written in XML as it is (escaped), and an
// *Error otherwise.
func Check(s string) error {
	if i := invalidAt(s); i >= 0 {
		return &Error{Value: s, Offset: i}
	}
	return nil
}

// invalidAt returns the offset of the first byte of s that XML 1.0 cannot
// carry, or -1.
func invalidAt(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || r == 0xFFFE || r == 0xFFFF {
			return i
		}
		i += n
	}
	return -1
}

// Escape writes s to w escaped for character data (attr false) or for an
// attribute value between double quotes (attr true): & < > and, in an
// attribute, " tab LF CR as references; CR in text as a reference too, so
// that it survives the end-of-line normalisation of XML readers. It writes
// nothing and returns an *Error when s holds what XML cannot carry.
func Escape(w io.StringWriter, s string, attr bool) error {
	if err := Check(s); err != nil {
		return err
	}
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch c := s[i]; {
		case c == '&':
			rep = "&amp;"
		case c == '<':
			rep = "&lt;"
		case c == '>':
			rep = "&gt;"
		case c == '"' && attr:
			rep = "&quot;"
		case c == '\r' || (attr && (c == '\n' || c == '\t')):
			rep = "&#" + strconv.Itoa(int(c)) + ";"
		default:
			continue
		}
		if _, err := w.WriteString(s[last:i]); err != nil {
			return err
		}
		if _, err := w.WriteString(rep); err != nil {
			return err
		}
		last = i + 1
	}
	_, err := w.WriteString(s[last:])
	return err
}
