package mssante

import (
	"strings"
)

// The functions of this file are the one home of the forms receipts are
// matched on: a receipt (DSN, MDN, bounce) names the message it is about and
// its recipient in fields that real agents write loosely ("<id >", an id
// broken by a space, "Name" <addr> in Final-Recipient). Every reader of the
// SDK (ParseReport, Read, msc.Classify) gives these fields in the forms
// below, so that a caller compares them with what it sent as plain strings.

// NormalizeMessageID returns a message id (RFC 5322 §3.6.4) in the form the
// SDK reports and matches: the text between the first "<" and the next ">"
// (the whole value when it has no "<"), without white space, angle brackets
// or comments. "<199509192301.23456 >" gives "199509192301.23456";
// "<9501051053.aa04167@IETF.CNR I.Reston.VA.US>" gives
// "9501051053.aa04167@IETF.CNRI.Reston.VA.US". Case is kept. An empty
// result means the value holds no id.
func NormalizeMessageID(s string) string {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[i+1:]
		if j := strings.IndexByte(s, '>'); j >= 0 {
			s = s[:j]
		}
	} else {
		s = stripComments(s)
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n', '<', '>':
			return -1
		}
		return r
	}, s)
}

// MessageIDs reads the ids of an In-Reply-To or References field
// tolerantly: each "<...>" is one id (normalised by NormalizeMessageID);
// a value without angle brackets is split on white space, and only words
// with an "@" are kept. The result is nil when the field names no id.
func MessageIDs(v string) []string {
	var out []string
	rest := v
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			j = len(rest) - i - 1
		}
		if id := NormalizeMessageID(rest[i : i+j+1]); id != "" {
			out = append(out, id)
		}
		rest = rest[i+j+1:]
	}
	if out == nil {
		for _, w := range strings.Fields(stripComments(v)) {
			if id := NormalizeMessageID(w); strings.Contains(id, "@") {
				out = append(out, id)
			}
		}
	}
	return out
}

// NormalizeAddress returns the bare address (addr-spec) of a report field or
// header: without the address type ("rfc822;"), display name, comments,
// angle brackets or "mailto:", with the domain in lower case (the local
// part is kept as written: compare addresses with strings.EqualFold).
// `rfc822; "Name" <User@Example.ORG>` gives "User@example.org". A value
// that is no address is returned trimmed.
func NormalizeAddress(s string) string {
	s = strings.TrimSpace(s)
	if t, v, ok := strings.Cut(s, ";"); ok && !strings.ContainsAny(t, "@<\"") {
		s = strings.TrimSpace(v) // an address type: rfc822, x400, utf-8...
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.IndexByte(s[i:], '>') > 0 {
		s = s[i+1 : i+strings.IndexByte(s[i:], '>')] // "Name" <addr>
	} else {
		s = stripComments(s) // an addr-spec, quoted local part kept
	}
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "<>"))
	if len(s) > 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		s = s[:at] + strings.ToLower(s[at:])
	}
	return s
}

// hasDisplayName reports whether a raw address field carries more than the
// address (a display name), which NormalizeAddress drops.
func hasDisplayName(raw string) bool {
	_, v, ok := strings.Cut(raw, ";")
	if !ok {
		v = raw
	}
	v = strings.TrimSpace(stripComments(v))
	i := strings.IndexByte(v, '<')
	return i > 0 && strings.TrimSpace(v[:i]) != ""
}

// OriginalIDSource says where a report's OriginalMessageID comes from.
type OriginalIDSource string

// Sources of Report.OriginalMessageID, from the most direct to the least.
const (
	// IDFromField: the Original-Message-ID field of an MDN (RFC 8098
	// §3.2.5), or of a DSN's per-message block (not RFC 3464; Exchange).
	IDFromField OriginalIDSource = "original-message-id"
	// IDFromReturned: the Message-ID of the returned message or headers.
	IDFromReturned OriginalIDSource = "returned-message"
	// IDFromInReplyTo: the first id of the report's In-Reply-To field.
	IDFromInReplyTo OriginalIDSource = "in-reply-to"
	// IDFromReferences: the last id of the report's References field.
	IDFromReferences OriginalIDSource = "references"
)
