package mssante

import (
	"strings"
)

// field is one "Name: value" line of a delivery-status or
// disposition-notification body (RFC 3464 §2.1, RFC 8098 §3.1), unfolded.
type field struct {
	Name  string // as written
	Value string // trimmed, continuation lines joined with a space
}

// fieldBlock is a group of fields separated from the next one by a blank line.
type fieldBlock []field

// get returns the first value of a field, case-insensitively.
func (b fieldBlock) get(name string) string {
	for _, f := range b {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// has reports whether a field is present.
func (b fieldBlock) has(name string) bool {
	for _, f := range b {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// all returns every value of a field, in order.
func (b fieldBlock) all(name string) []string {
	var out []string
	for _, f := range b {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// parseFieldBlocks splits a report body into blocks of fields. It is
// tolerant: CRLF or LF line ends, lines without a colon are reported in bad
// (and skipped), a leading continuation line is joined to nothing.
func parseFieldBlocks(body string) (blocks []fieldBlock, bad []string) {
	var cur fieldBlock
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, cur)
			cur = nil
		}
	}
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(cur) > 0 {
				last := &cur[len(cur)-1]
				last.Value = strings.TrimSpace(last.Value + " " + strings.TrimSpace(line))
			} else {
				bad = append(bad, line)
			}
			continue
		}
		i := strings.IndexByte(line, ':')
		if i <= 0 {
			bad = append(bad, line)
			continue
		}
		name := strings.TrimSpace(line[:i])
		if strings.ContainsAny(name, " \t") {
			bad = append(bad, line)
			continue
		}
		cur = append(cur, field{Name: name, Value: strings.TrimSpace(line[i+1:])})
	}
	flush()
	return blocks, bad
}

// splitTyped splits "rfc822; user@example.org" into its type ("rfc822",
// lower case) and value; a value without a type gets type "".
func splitTyped(v string) (typ, value string) {
	i := strings.IndexByte(v, ';')
	if i < 0 {
		return "", strings.TrimSpace(stripAngles(v))
	}
	return strings.ToLower(strings.TrimSpace(v[:i])), strings.TrimSpace(stripAngles(strings.TrimSpace(v[i+1:])))
}

func stripAngles(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}

// stripComments removes RFC 5322 comments "(...)" from a structured value,
// honouring nesting and quoted strings.
func stripComments(s string) string {
	if !strings.ContainsRune(s, '(') {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	depth, quoted, esc := 0, false, false
	for _, r := range s {
		switch {
		case esc:
			esc = false
			if depth == 0 {
				b.WriteRune(r)
			}
			continue
		case r == '\\':
			esc = true
			if depth == 0 {
				b.WriteRune(r)
			}
			continue
		case quoted:
			if r == '"' {
				quoted = false
			}
			b.WriteRune(r)
			continue
		case r == '"' && depth == 0:
			quoted = true
		case r == '(':
			depth++
			continue
		case r == ')' && depth > 0:
			depth--
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}
