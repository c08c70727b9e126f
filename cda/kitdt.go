package cda

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// The asserts of the DTr1 datatype rules of the kit (include/DTr1_*.sch of
// the StrucMin rules, art-decor's HL7 V3 datatypes release 1), that the
// template rules extend: one Go test per assert, keyed by the assert id the
// SDK's tests give it ("II/9": the ninth assert of the rule II). Each test
// returns the value of the assert's XPath test: true when an assert holds,
// true when a report fires. They follow the XPath as the kit's Saxon runs
// it, including what Saxon makes of a date without a time zone (compared in
// UTC, the zone of the kit's Java in CI).

type dtCheck struct {
	test func(k *kit, n *node) bool
	msg  string
}

// Patterns of the DTr1 rules (XPath regular expressions; \d is any Unicode
// decimal digit there, as \p{Nd} here), compiled on first use.
var (
	reKitOID  = lazyRegexp(`^[0-2](\.(0|[1-9]\p{Nd}*))*$`)
	reKitUUID = lazyRegexp(`^[A-Fa-f\p{Nd}]{8}-[A-Fa-f\p{Nd}]{4}-[A-Fa-f\p{Nd}]{4}-[A-Fa-f\p{Nd}]{4}-[A-Fa-f\p{Nd}]{12}$`)
	reKitRUID = lazyRegexp(`^[A-Za-z][A-Za-z\p{Nd}\-]*$`)
	reKitTS   = lazyRegexp(`^[0-9]{4,14}`)
	// '^-?[1-9]\d*$|^+?\d*$': Saxon reads the second branch as an
	// optional plus sign and digits.
	reKitINT     = lazyRegexp(`^-?[1-9]\p{Nd}*$|^\+?\p{Nd}*$`)
	reKitUnit    = lazyRegexp(`^(us|ms|s|min|h|d|wk|mo|a|)$`)
	reKitRFC3066 = lazyRegexp(`(?i)^[a-z]{2,3}(-[a-z]{2})?|[ix](-[a-z\p{Nd}]{2,8})+$`)
	reKitTSZone  = lazyRegexp(`^-?[^+-]+([+-]\p{Nd}{1,4})?$`)
	reKitIVLZone = lazyRegexp(`-?[^+-]+([+-].*)?$`)
	reKitTSBase  = lazyRegexp(`^-?([^+-]+)([+-].*)?`)
	reKitDate    = lazyRegexp(`^(-?(?:[1-9][0-9]{3,}|0[0-9]{3}))-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(?:([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?|(24):(00):(00)(\.0+)?)(Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?$`)
)

// has reports whether n has the unqualified attribute.
func has(n *node, attr string) bool { _, ok := n.lookupAttr(attr); return ok }

// hl7Kids returns the children of n in the CDA namespace named local.
func hl7Kids(n *node, local string) []*node { return n.elems(local) }

// directText is the concatenation of the text children of n.
func directText(n *node) string {
	var b strings.Builder
	for _, c := range n.Child {
		if cd, ok := c.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// hasText reports whether n has a text child that is not only whitespace.
func hasText(n *node) bool { return strings.TrimFunc(directText(n), xmlSpace) != "" }

func normalizeSpace(s string) string { return strings.Join(tokens(s), " ") }

// siblings are the other children of n's parent with n's local name, in
// any namespace ($set_other).
func siblings(n *node) []*node {
	p := n.parent()
	if p == nil {
		return nil
	}
	var out []*node
	for _, c := range p.children() {
		if c != n && c.Tag == n.Tag {
			out = append(out, c)
		}
	}
	return out
}

// descendantsOrSelf lists n and the elements under it, in document order.
func descendantsOrSelf(n *node) []*node {
	out := []*node{n}
	for _, c := range n.children() {
		out = append(out, descendantsOrSelf(c)...)
	}
	return out
}

// useAndText is string-join((.//@use|.//text()),”): the @use attributes
// and the text of n and its descendants, in document order.
func useAndText(n *node) string {
	var b strings.Builder
	var walk func(n *node)
	walk = func(n *node) {
		if u, ok := n.lookupAttr("use"); ok {
			b.WriteString(u)
		}
		for _, t := range n.el().Child {
			switch t := t.(type) {
			case *etree.CharData:
				b.WriteString(t.Data)
			case *etree.Element:
				walk((*node)(t))
			}
		}
	}
	walk(n)
	return b.String()
}

// values are the values of the attribute of the nodes a CDA path selects
// from n (hl7:useablePeriod/hl7:width/@unit).
func values(n *node, attr string, path ...string) []string {
	var out []string
	for _, x := range hl7Path(n, path...) {
		if v, ok := x.lookupAttr(attr); ok {
			out = append(out, v)
		}
	}
	return out
}

// lazyRegexp compiles expr on first use rather than at init, so that a
// program that links cda but never validates does not compile the kit's
// patterns. Safe for concurrent use.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// matchesOne is matches(X, re) on a sequence of at most one value (the
// empty sequence is the empty string); more than one value stops the kit.
func matchesOne(vals []string, re *regexp.Regexp) bool {
	switch len(vals) {
	case 0:
		return re.MatchString("")
	case 1:
		return re.MatchString(vals[0])
	}
	return false
}

// substr is XPath substring(s, start, length) for integer arguments
// (1-based, in characters); length < 0 means to the end.
func substr(s string, start, length int) string {
	r := []rune(s)
	from := start - 1
	if from < 0 {
		if length >= 0 {
			length += from
		}
		from = 0
	}
	if from >= len(r) || length == 0 {
		return ""
	}
	to := len(r)
	if length >= 0 && from+length < to {
		to = from + length
	}
	if to <= from {
		return ""
	}
	return string(r[from:to])
}

// castableInt is "castable as xs:integer": optional sign, ASCII digits,
// surrounding whitespace allowed.
func castableInt(s string) bool {
	s = strings.TrimFunc(s, xmlSpace)
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// kitDateTime parses a value "castable as xs:dateTime" (XSD 1.1 lexical
// space, surrounding whitespace allowed); a value without a time zone is
// taken in UTC.
func kitDateTime(s string) (time.Time, bool) {
	m := reKitDate().FindStringSubmatch(strings.TrimFunc(s, xmlSpace))
	if m == nil {
		return time.Time{}, false
	}
	year, err := strconv.Atoi(m[1])
	if err != nil {
		return time.Time{}, false
	}
	month, _ := strconv.Atoi(m[2])
	day, _ := strconv.Atoi(m[3])
	leap := year%4 == 0 && (year%100 != 0 || year%400 == 0)
	dim := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && leap {
		dim = 29
	}
	if day > dim {
		return time.Time{}, false
	}
	var hh, mm, ss int
	var frac string
	if m[7] == "24" {
		hh = 24
	} else {
		hh, _ = strconv.Atoi(m[4])
		mm, _ = strconv.Atoi(m[5])
		ss, _ = strconv.Atoi(m[6])
		frac = m[8]
	}
	loc := time.UTC
	if z := m[11]; z != "" && z != "Z" {
		zh, _ := strconv.Atoi(z[1:3])
		zm, _ := strconv.Atoi(z[4:6])
		off := zh*3600 + zm*60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone(z, off)
	}
	ns := 0
	if len(frac) > 1 {
		f, _ := strconv.ParseFloat("0"+frac, 64)
		ns = int(f * 1e9)
	}
	return time.Date(year, time.Month(month), day, hh, mm, ss, ns, loc), true
}

// tsParts rebuilds a TS value as the DTr1 rules do: ivl selects the time
// zone reading of IVL_TS (low, center, high), else that of TS. It returns
// whether the value is the string its parts make again, and the xs:dateTime
// lexical form the rules cast.
func tsParts(ts string, ivl bool) (same bool, dateTime string) {
	bc := ""
	if strings.HasPrefix(ts, "-") {
		bc = "-"
	}
	var tz, cTZ string
	if ivl {
		tz = reKitIVLZone().ReplaceAllString(ts, "${1}")
		if utf8.RuneCountInString(tz) > 0 {
			cTZ = substr(tz, 1, 3)
			if utf8.RuneCountInString(tz) > 3 {
				cTZ += ":" + substr(tz, 4, -1)
			}
		}
	} else {
		tz = reKitTSZone().ReplaceAllString(ts, "${1}")
		if utf8.RuneCountInString(tz) > 0 {
			p := tz + "0000"
			cTZ = substr(p, 1, 3) + ":" + substr(p, 4, 2)
		}
	}
	base := reKitTSBase().ReplaceAllString(ts, "${1}")
	var rebuilt strings.Builder
	rebuilt.WriteString(bc)
	part := func(start int, def string) string {
		s := substr(base, start, 2)
		if castableInt(s) {
			rebuilt.WriteString(s)
			return s
		}
		return def
	}
	century, year := part(1, "00"), part(3, "00")
	month, day := part(5, "01"), part(7, "01")
	hour, minute, second := part(9, "00"), part(11, "00"), part(13, "00")
	sub := ""
	if castableInt(substr(base, 16, -1)) {
		sub = substr(base, 15, -1)
		rebuilt.WriteString(sub)
	}
	rebuilt.WriteString(tz)
	dateTime = bc + century + year + "-" + month + "-" + day + "T" + hour + ":" + minute + ":" + second + sub + cTZ
	return ts == rebuilt.String(), dateTime
}

// tsValid is the TS/2 test on a value.
func tsValid(v string) bool {
	same, dt := tsParts(v, false)
	_, ok := kitDateTime(dt)
	return same && ok
}

// ivlBound reads the @value of the single child named bound (low, center,
// high) of an IVL_TS: absent is fine (ok), more than one stops the kit.
func ivlBound(n *node, bound string) (v string, present, ok bool) {
	vs := values(n, "value", bound)
	switch len(vs) {
	case 0:
		return "", false, true
	case 1:
		return vs[0], true, true
	}
	return "", true, false
}

func ivlValid(n *node, bound string) bool {
	v, present, ok := ivlBound(n, bound)
	if !ok {
		return false
	}
	if !present {
		return true
	}
	same, dt := tsParts(v, true)
	_, cast := kitDateTime(dt)
	return same && cast
}

var nullAllowed1 = map[string]string{"classCode": "", "typeCode": "", "determinerCode": "", "moodCode": "", "nullFlavor": "", "partType": "",
	"codeSystem": "2.16.840.1.113883.5.139", "codeSystemName": "TimingEvent", "integrityCheckAlgorithm": "SHA-1", "inverted": "false",
	"mediaType": "text/plain", "operator": "I", "representation": "TXT", "inclusive": "true", "unit": "1"}

var nullAllowed2 = map[string]string{"codeSystem": "", "codeSystemName": "", "codeSystemVersion": "", "extension": "", "nullFlavor": "", "partType": "",
	"integrityCheckAlgorithm": "SHA-1", "mediaType": "text/plain", "operator": "I", "representation": "TXT", "inclusive": "true", "unit": "1"}

// onlyAttrs reports whether every attribute of n is one of allowed (a
// required value when not empty), xsi:type, xsi:nil, or in nsAnyOK any
// attribute named valueSet or valueSetVersion in any namespace.
func onlyAttrs(n *node, allowed map[string]string, anyVS bool) bool {
	for _, a := range n.Attr {
		if isXMLNS(a) {
			continue
		}
		if a.Space == nsURIXSI && (a.Key == "type" || a.Key == "nil") {
			continue
		}
		if anyVS && (a.Key == "valueSet" || a.Key == "valueSetVersion") {
			continue
		}
		if a.Space != "" {
			return false
		}
		want, ok := allowed[a.Key]
		if !ok || want != "" && a.Value != want {
			return false
		}
	}
	return true
}

// anyNull is the ANY/1 test on one element.
func anyNull(x *node) bool {
	nf, null := x.lookupAttr("nullFlavor")
	if !null {
		return true
	}
	if onlyAttrs(x, nullAllowed1, false) && len(x.children()) == 0 && !hasText(x) {
		return true
	}
	if nf == "OTH" || nf == "NA" || nf == "UNC" {
		if onlyAttrs(x, nullAllowed2, true) && (has(x, "extension") || has(x, "codeSystem") ||
			slices.ContainsFunc(x.children(), func(c *node) bool { return c.Tag == "originalText" || c.Tag == "translation" })) {
			return true
		}
	}
	return false
}

// distinctTokens reports whether tokenize(v, '\s') has no repeated token.
func distinctTokens(v string) bool {
	seen := map[string]bool{}
	for _, t := range splitSpace(v) {
		if seen[t] {
			return false
		}
		seen[t] = true
	}
	return true
}

// splitSpace is tokenize(v, '\s'): every whitespace character separates,
// so two in a row, or one at either end, give an empty token; "" gives
// none.
func splitSpace(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	start := 0
	for i, r := range v {
		if xmlSpace(r) {
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}
