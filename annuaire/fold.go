package annuaire

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldLatin returns the table that maps the runes U+00C0..U+024F to their
// lower-case base letters ("É" -> "e", "Œ" -> "oe"); it is computed once
// from Unicode decompositions, on first use rather than at init (1,800
// allocations every program linking annuaire paid at start), and never
// modified.
var foldLatin = sync.OnceValue(func() *[0x250 - 0xC0]string {
	var t [0x250 - 0xC0]string
	special := map[rune]string{'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ß': "ss", 'ø': "o", 'Ø': "o", 'đ': "d", 'Đ': "d", 'ł': "l", 'Ł': "l", 'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th"}
	for r := rune(0xC0); r < 0x250; r++ {
		if s, ok := special[r]; ok {
			t[r-0xC0] = s
			continue
		}
		d := norm.NFD.String(string(unicode.ToLower(r)))
		base, _ := utf8.DecodeRuneInString(d)
		if base < utf8.RuneSelf && (unicode.IsLetter(base) || unicode.IsDigit(base)) {
			t[r-0xC0] = string(base)
		} else if unicode.IsLetter(r) {
			t[r-0xC0] = string(unicode.ToLower(r))
		} else {
			t[r-0xC0] = " "
		}
	}
	return &t
})

// foldAppend appends s lower-cased and without accents to dst; every
// character that is neither a letter nor a digit becomes a space. It is the
// key of the name search ("Hélène D'Aubigné" -> "helene d aubigne").
func foldAppend(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				dst = append(dst, c)
			case 'A' <= c && c <= 'Z':
				dst = append(dst, c+'a'-'A')
			default:
				dst = append(dst, ' ')
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r >= 0xC0 && r < 0x250:
			dst = append(dst, foldLatin()[r-0xC0]...)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		default:
			dst = append(dst, ' ')
		}
	}
	return dst
}

// Fold returns s as the name search compares it: lower case, no accents,
// punctuation turned into spaces.
func Fold(s string) string { return string(foldAppend(nil, s)) }

// words calls fn for every space-separated word of a folded string.
func words(b []byte, fn func(w []byte)) {
	for i := 0; i < len(b); {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		j := i
		for j < len(b) && b[j] != ' ' {
			j++
		}
		if j > i {
			fn(b[i:j])
		}
		i = j
	}
}
