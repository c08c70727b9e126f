package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// termSafe returns s with what could drive a terminal escaped, so that a
// hostile message, file name or header printed by mss cannot move the
// cursor, rewrite the screen, set the window title or ring the bell:
//
//   - C0 control characters but newline and tab, and DEL: \a \b \f \r \v,
//     else \xNN (ESC is \x1b, NUL \x00);
//   - C1 control characters (U+0080 to U+009F, among them the 8-bit CSI)
//     and the bidirectional overrides and isolates (U+202A to U+202E,
//     U+2066 to U+2069, which reorder what is shown): \uNNNN;
//   - bytes that are not UTF-8: \xNN.
//
// Backslashes are left as they are: the result is for reading, not for
// parsing back (use --json for that). It is the one escaping function of
// mss: every text printed goes through it (safeWriter).
func termSafe(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf && c >= 0x20 && c != 0x7f || c == '\n' || c == '\t' {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !(r == utf8.RuneError && n == 1) && !unsafeRune(r) {
				i += n
				continue
			}
		}
		break
	}
	if i == len(s) {
		return s // the common case: nothing to escape
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 0x20 && c != 0x7f || c == '\n' || c == '\t':
				b.WriteByte(c)
			case c == '\a':
				b.WriteString(`\a`)
			case c == '\b':
				b.WriteString(`\b`)
			case c == '\f':
				b.WriteString(`\f`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\v':
				b.WriteString(`\v`)
			default:
				fmt.Fprintf(&b, `\x%02x`, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, c)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports the non-ASCII runes termSafe escapes.
func unsafeRune(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// safeWriter writes text through termSafe. Each Write is escaped on its
// own: mss prints with fmt and encoding/json, which write whole lines or
// documents at once, so a character is never split between two writes.
type safeWriter struct{ w io.Writer }

func (s *safeWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, termSafe(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
