package ins

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors of Parse, usable with errors.Is. Every error returned by
// Parse is a *ParseError wrapping one of them.
var (
	// ErrLength: the matricule does not have 15 characters once spaces are removed.
	ErrLength = errors.New("ins: matricule must have 15 characters")
	// ErrFormat: a character is not allowed (digits everywhere, 2A/2B in positions 6-7).
	ErrFormat = errors.New("ins: invalid character in matricule")
	// ErrChecksum: the control key does not match the first 13 characters.
	ErrChecksum = errors.New("ins: control key does not match")
)

// ParseError is the error returned by Parse. It says what is wrong and, for
// a key mismatch, which key was expected.
type ParseError struct {
	Input    string // the input, as given
	Err      error  // ErrLength, ErrFormat or ErrChecksum
	Length   int    // the length after removing spaces (ErrLength)
	Position int    // 1-based position of the offending character (ErrFormat)
	Got      int    // the key found in the input (ErrChecksum)
	Want     int    // the key computed from the first 13 characters (ErrChecksum)
}

func (e *ParseError) Error() string {
	switch e.Err {
	case ErrLength:
		return fmt.Sprintf("ins: matricule has %d characters, want 15", e.Length)
	case ErrFormat:
		return fmt.Sprintf("ins: invalid character at position %d of the matricule", e.Position)
	case ErrChecksum:
		return fmt.Sprintf("ins: control key %02d does not match, expected %02d", e.Got, e.Want)
	}
	return e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Matricule is a normalised INS matricule: an NIR or NIA of 15 characters,
// upper case, without spaces, whose key has been checked. The zero value is
// not a valid matricule; obtain one with Parse or MustParse.
type Matricule string

// Parse checks a matricule and returns it normalised. It removes spaces
// (and only spaces) and upper-cases 2a/2b, then checks, in this order, the
// length (ErrLength), the characters (ErrFormat) and the key (ErrChecksum).
// It never "fixes" a key. Sex digit, month and place of birth are not checked:
// see Coherence for those warnings.
//
// Parse does not allocate for an input that is already normalised.
func Parse(s string) (Matricule, error) {
	if len(s) == 15 {
		if m, ok := parseFast(s); ok {
			return m, nil
		}
	}
	return parseSlow(s)
}

// parseFast accepts a normalised, valid matricule in one pass without
// copying it; anything else goes to parseSlow, which says what is wrong.
func parseFast(s string) (Matricule, bool) {
	var n uint64
	for i := 0; i < 13; i++ {
		d := s[i] - '0'
		if d <= 9 {
			n = n*10 + uint64(d)
			continue
		}
		if i != 6 || s[5] != '2' {
			return "", false
		}
		switch s[6] {
		case 'A':
			n = (n/10)*100 + 19
		case 'B':
			n = (n/10)*100 + 18
		default:
			return "", false
		}
	}
	k1, k2 := s[13]-'0', s[14]-'0'
	if k1 > 9 || k2 > 9 || int(k1)*10+int(k2) != int(97-n%97) {
		return "", false
	}
	return Matricule(s), true
}

func parseSlow(s string) (Matricule, error) {
	var buf [15]byte
	n := 0
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			changed = true
			continue
		}
		if n == 15 {
			return "", &ParseError{Input: s, Err: ErrLength, Length: countNonSpace(s)}
		}
		if c == 'a' || c == 'b' {
			c -= 'a' - 'A'
			changed = true
		}
		buf[n] = c
		n++
	}
	if n != 15 {
		return "", &ParseError{Input: s, Err: ErrLength, Length: n}
	}
	if pos := badChar(buf[:]); pos > 0 {
		return "", &ParseError{Input: s, Err: ErrFormat, Position: pos}
	}
	want := key13(buf[:13])
	got := int(buf[13]-'0')*10 + int(buf[14]-'0')
	if got != want {
		return "", &ParseError{Input: s, Err: ErrChecksum, Got: got, Want: want}
	}
	if !changed {
		return Matricule(s), nil
	}
	return Matricule(buf[:]), nil
}

// MustParse is like Parse but panics on error. Use it only for constants in
// tests and examples.
func MustParse(s string) Matricule {
	m, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return m
}

// Key returns the control key (1 to 97) of the first 13 characters of a
// matricule: 97 − (N mod 97), N being the 13 characters read as a number
// after replacing 2A by 19 and 2B by 18 in positions 6-7. The input must be
// 13 characters, upper case, without spaces.
func Key(first13 string) (int, error) {
	if len(first13) != 13 {
		return 0, &ParseError{Input: first13, Err: ErrLength, Length: len(first13)}
	}
	var b [15]byte
	copy(b[:], first13)
	b[13], b[14] = '0', '0'
	if pos := badChar(b[:]); pos > 0 {
		return 0, &ParseError{Input: first13, Err: ErrFormat, Position: pos}
	}
	return key13(b[:13]), nil
}

// FormatKey writes a key on two digits, as it appears in a matricule ("03").
func FormatKey(k int) string {
	if k < 10 {
		return "0" + strconv.Itoa(k)
	}
	return strconv.Itoa(k)
}

// badChar returns the 1-based position of the first character not allowed
// in a 15-character matricule, or 0.
func badChar(b []byte) int {
	for i, c := range b {
		if c >= '0' && c <= '9' {
			continue
		}
		if i == 6 && b[5] == '2' && (c == 'A' || c == 'B') {
			continue
		}
		return i + 1
	}
	return 0
}

// key13 computes the key of 13 well-formed characters.
func key13(b []byte) int {
	var n uint64
	for i := 0; i < 13; i++ {
		c := b[i]
		switch {
		case i == 6 && c == 'A': // 2A → 19: position 6 holds '2', replace by 1 then 9
			n = (n/10)*100 + 19
		case i == 6 && c == 'B': // 2B → 18
			n = (n/10)*100 + 18
		default:
			n = n*10 + uint64(c-'0')
		}
	}
	return int(97 - n%97)
}

func countNonSpace(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			n++
		}
	}
	return n
}

// String returns the matricule.
func (m Matricule) String() string { return string(m) }

// Key returns the two-digit control key of the matricule.
func (m Matricule) Key() string {
	if len(m) != 15 {
		return ""
	}
	return string(m[13:])
}

// SexDigit returns the first character (1 male, 2 female per INSEE; other
// values occur for special numbers).
func (m Matricule) SexDigit() byte {
	if len(m) != 15 {
		return 0
	}
	return m[0]
}

// BirthYear returns the two-digit year of birth (positions 2-3).
func (m Matricule) BirthYear() string {
	if len(m) != 15 {
		return ""
	}
	return string(m[1:3])
}

// BirthMonth returns the two-character month of birth (positions 4-5),
// which may hold values other than 01-12 for special numbers.
func (m Matricule) BirthMonth() string {
	if len(m) != 15 {
		return ""
	}
	return string(m[3:5])
}

// Departement returns the département of birth (positions 6-7): 01-95, 2A,
// 2B, 97 or 98 (overseas), 99 (abroad).
func (m Matricule) Departement() string {
	if len(m) != 15 {
		return ""
	}
	return string(m[5:7])
}

// Place returns the five characters of the place of birth (positions 6-10).
func (m Matricule) Place() string {
	if len(m) != 15 {
		return ""
	}
	return string(m[5:10])
}

// Grouped returns the matricule in the usual printed grouping
// "2 79 03 51 215 189 89".
func (m Matricule) Grouped() string {
	if len(m) != 15 {
		return string(m)
	}
	s := string(m)
	return s[0:1] + " " + s[1:3] + " " + s[3:5] + " " + s[5:7] + " " + s[7:10] + " " + s[10:13] + " " + s[13:15]
}
