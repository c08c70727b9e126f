package msc

import (
	"html"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalizeText prepares a text for matching: lower case, accents removed,
// every apostrophe made "'", quotation marks and angle brackets dropped,
// runs of white space (line breaks, no-break spaces) made one space.
func normalizeText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // drop leading spaces
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '\u2019' || r == '\u2018' || r == '`' || r == '\u00b4' || r == '\u02bc' || r == '\u2032':
			r = '\''
		case r == '"' || r == '\u00ab' || r == '\u00bb' || r == '\u201c' || r == '\u201d' || r == '\u201e' || r == '<' || r == '>':
			r = ' '
		}
		if unicode.IsSpace(r) || r == '\u00a0' || r == '\u202f' {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimRight(b.String(), " ")
}

// normMemo normalises each distinct text once (normalizeText is the costly
// step of matching: one message's texts are looked at several times).
type normMemo map[string]string

func (n normMemo) get(s string) string {
	if s == "" {
		return ""
	}
	v, ok := n[s]
	if !ok {
		v = normalizeText(s)
		n[s] = v
	}
	return v
}

// htmlToText reduces an HTML body to its text: tags become spaces, entities
// are decoded. Good enough to find a sentence; not a renderer.
func htmlToText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '<':
			in = true
			b.WriteByte(' ')
		case c == '>' && in:
			in = false
		case !in:
			b.WriteByte(c)
		}
	}
	return html.UnescapeString(b.String())
}

// textMatcher is a BounceText prepared for matching.
type textMatcher struct {
	kind    Kind
	source  string // the BounceText as given, for Bounce.Matched
	before  string // normalised text before the placeholder (the whole text when none)
	after   string // normalised text after the placeholder
	hasAddr bool
}

func newTextMatcher(t BounceText) (textMatcher, bool) {
	n := normalizeText(t.Text)
	if n == "" {
		return textMatcher{}, false
	}
	ph := normalizeText(AddressPlaceholder)
	i := strings.Index(n, ph)
	if i < 0 {
		return textMatcher{kind: t.Kind, source: t.Text, before: strings.TrimRight(n, " .!;")}, true
	}
	return textMatcher{
		kind:    t.Kind,
		source:  t.Text,
		before:  strings.TrimSpace(n[:i]),
		after:   strings.TrimRight(n[i+len(ph):], " .!;"),
		hasAddr: true,
	}, true
}

// match looks for the text in a normalised body and returns the quoted
// address when the text has one and the body quotes it.
func (m *textMatcher) match(body string) (addr string, ok bool) {
	if !m.hasAddr {
		return "", strings.Contains(body, m.before)
	}
	// The part after the address says what happened: it alone decides.
	j := strings.Index(body, m.after)
	if m.after == "" || j < 0 {
		if m.after == "" && m.before != "" && strings.Contains(body, m.before) {
			return "", true
		}
		return "", false
	}
	if m.before == "" {
		return "", true
	}
	if i := strings.LastIndex(body[:j], m.before); i >= 0 {
		addr = strings.TrimSpace(body[i+len(m.before) : j])
		if strings.Count(addr, " ") > 0 || strings.IndexByte(addr, '@') <= 0 {
			addr = ""
		}
	}
	return strings.TrimPrefix(addr, "mailto:"), true
}
