// Package dn parses distinguished names written as strings (RFC 4514, the
// form of a certificate subject in the liste blanche's DNCertificatOperateur
// and in Go's pkix.Name.String) and compares them attribute by attribute.
//
// The parser is strict about structure — every component is TYPE=value,
// escapes (\, \+ \" \\ \< \> \; \= \# and \XX hex pairs) are honoured, a
// '#' value is a hex string — and tolerant about spelling, as the published
// liste blanche requires: spaces around ',', '+' and '=', attribute types in
// any case or as their OID, a value in double quotes (Java writes
// O="C.H. DE  CADILLAC" for a value with two spaces) and, in the middle of a
// value, the characters RFC 4514 wants escaped but that cannot end it
// (O=CRLCC "PAUL STRAUSS"): only an unescaped ',' or '+' ends a value. Two DNs match when they hold the same
// attributes with the same values (case-insensitive, inner runs of spaces
// counted as one), in any order: a DN with one attribute more, one less or
// a component that does not parse does not match.
package dn

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("dn: invalid distinguished name")

// Attribute is one TYPE=value of a DN, as parsed: Type upper-cased (a known
// OID replaced by its short name), Value unescaped.
type Attribute struct {
	Type  string
	Value string
}

// DN is a parsed distinguished name: its relative distinguished names in
// the order written, each with its attributes (several when joined by '+').
type DN [][]Attribute

// shortNames maps the OIDs of the usual attribute types to the names RFC
// 4514 §3 and certificates use.
var shortNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "SERIALNUMBER", "2.5.4.6": "C", "2.5.4.7": "L",
	"2.5.4.8": "ST", "2.5.4.9": "STREET", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "T",
	"2.5.4.42": "GN", "2.5.4.97": "ORGANIZATIONIDENTIFIER",
	"0.9.2342.19200300.100.1.1": "UID", "0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1": "EMAILADDRESS",
}

// Parse reads a string DN. The empty string is the empty DN.
func Parse(s string) (DN, error) {
	p := &parser{s: s}
	var out DN
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for {
		rdn, err := p.rdn()
		if err != nil {
			return nil, err
		}
		out = append(out, rdn)
		p.spaces()
		if p.eof() {
			return out, nil
		}
		if p.s[p.i] != ',' {
			return nil, p.errorf("',' expected")
		}
		p.i++
	}
}

type parser struct {
	s string
	i int
}

func (p *parser) eof() bool { return p.i >= len(p.s) }

func (p *parser) spaces() {
	for !p.eof() && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d of %q: %s", ErrSyntax, p.i, p.s, fmt.Sprintf(format, args...))
}

func (p *parser) rdn() ([]Attribute, error) {
	var rdn []Attribute
	for {
		a, err := p.attribute()
		if err != nil {
			return nil, err
		}
		rdn = append(rdn, a)
		p.spaces()
		if p.eof() || p.s[p.i] != '+' {
			return rdn, nil
		}
		p.i++
	}
}

func (p *parser) attribute() (Attribute, error) {
	p.spaces()
	start := p.i
	for !p.eof() && (isAlnum(p.s[p.i]) || p.s[p.i] == '-' || p.s[p.i] == '.') {
		p.i++
	}
	typ := strings.ToUpper(p.s[start:p.i])
	if typ == "" {
		return Attribute{}, p.errorf("attribute type expected")
	}
	if typ[0] >= '0' && typ[0] <= '9' {
		if !isOID(typ) {
			return Attribute{}, p.errorf("bad OID %q", typ)
		}
		if name, ok := shortNames[typ]; ok {
			typ = name
		}
	} else if !isAlpha(typ[0]) || strings.Contains(typ, ".") {
		return Attribute{}, p.errorf("bad attribute type %q", typ)
	}
	p.spaces()
	if p.eof() || p.s[p.i] != '=' {
		return Attribute{}, p.errorf("'=' expected after %s", typ)
	}
	p.i++
	p.spaces()
	v, err := p.value()
	if err != nil {
		return Attribute{}, err
	}
	return Attribute{Type: typ, Value: v}, nil
}

// value reads a string, a "quoted" string (RFC 2253's predecessors) or a
// #hex string, up to the next unescaped ',' or '+'.
func (p *parser) value() (string, error) {
	if !p.eof() && p.s[p.i] == '#' {
		start := p.i
		p.i++
		for !p.eof() && isHex(p.s[p.i]) {
			p.i++
		}
		if n := p.i - start - 1; n == 0 || n%2 != 0 {
			return "", p.errorf("bad hex string")
		}
		return strings.ToLower(p.s[start:p.i]), nil
	}
	if !p.eof() && p.s[p.i] == '"' {
		p.i++
		var b strings.Builder
		for {
			if p.eof() {
				return "", p.errorf("unterminated quoted value")
			}
			c := p.s[p.i]
			if c == '"' {
				p.i++
				p.spaces()
				if !p.eof() && p.s[p.i] != ',' && p.s[p.i] != '+' {
					return "", p.errorf("',' expected after a quoted value")
				}
				return b.String(), nil
			}
			if c == '\\' {
				if err := p.escape(&b); err != nil {
					return "", err
				}
				continue
			}
			b.WriteByte(c)
			p.i++
		}
	}
	var b strings.Builder
	trailing := 0 // unescaped spaces at the end, dropped
	for !p.eof() {
		c := p.s[p.i]
		switch c {
		case ',', '+':
			goto done
		case '\\':
			if err := p.escape(&b); err != nil {
				return "", err
			}
			trailing = 0
			continue
		case 0:
			return "", p.errorf("NUL in a value")
		}
		if c == ' ' {
			trailing++
		} else {
			trailing = 0
		}
		b.WriteByte(c)
		p.i++
	}
done:
	v := b.String()
	v = v[:len(v)-trailing]
	if !utf8.ValidString(v) {
		return "", p.errorf("value not UTF-8")
	}
	return v, nil
}

// escape reads a backslash escape at p.i into b.
func (p *parser) escape(b *strings.Builder) error {
	p.i++ // the backslash
	if p.eof() {
		return p.errorf("escape at the end")
	}
	c := p.s[p.i]
	if isHex(c) {
		if p.i+1 >= len(p.s) || !isHex(p.s[p.i+1]) {
			return p.errorf("incomplete hex escape")
		}
		b.WriteByte(unhex(c)<<4 | unhex(p.s[p.i+1]))
		p.i += 2
		return nil
	}
	if !strings.ContainsRune(` "#+,;<=>\`, rune(c)) {
		return p.errorf("bad escape \\%c", c)
	}
	b.WriteByte(c)
	p.i++
	return nil
}

// Key returns a canonical form of d for comparison: every attribute as
// TYPE=value (value case-folded, normalised NFC, inner runs of spaces
// reduced to one), sorted. Two DNs with the same key match.
func (d DN) Key() string {
	var parts []string
	for _, rdn := range d {
		for _, a := range rdn {
			parts = append(parts, a.Type+"="+canonValue(a.Value))
		}
	}
	slices.Sort(parts)
	var b strings.Builder
	for i, s := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		// Escape the separator so that one value cannot stand for two
		// attributes.
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), ",", `\,`))
	}
	return b.String()
}

func canonValue(v string) string {
	v = strings.ToLower(norm.NFC.String(v))
	return strings.Join(strings.Fields(v), " ")
}

// First returns the value of the first attribute of type typ ("O", "CN"...).
func (d DN) First(typ string) string {
	typ = strings.ToUpper(typ)
	for _, rdn := range d {
		for _, a := range rdn {
			if a.Type == typ {
				return a.Value
			}
		}
	}
	return ""
}

// Match reports whether two string DNs parse and hold the same attributes
// (see Key). A DN that does not parse matches nothing, not even itself.
func Match(a, b string) bool {
	da, err := Parse(a)
	if err != nil || len(da) == 0 {
		return false
	}
	db, err := Parse(b)
	if err != nil {
		return false
	}
	return da.Key() == db.Key()
}

func isAlpha(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }
func isHex(c byte) bool   { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// isOID reports whether s is a dotted OID (digits and single dots).
func isOID(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}
