package cdakit

import (
	"regexp"
	"strconv"
	"strings"
)

// Shape is the recognised form of an assert's test. The art-decor generator
// writes the asserts of the StrucMin templates in a few dozen shapes
// (cardinalities, required attributes, datatypes of attributes, value sets,
// fixed values and enumerations, closed templates); the CI-SIS added some
// asserts by hand, each recognised by its test and named after what it
// checks; the asserts of the DTr1 datatype rules are known by their ids.
//
// Both users of the catalogue read it: internal/cdamutate to break each
// assert, cda/internal/kitgen to turn each into a row of the Go rule table
// of package cda.
type Shape struct {
	// Kind names the shape: "xsi:type", "count", "closed",
	// "required-attribute", "st", "cs", "uid", "oid", "fixed", "value-set",
	// "no-children", "ts", "anyURI", "int", "fixed-or-null", "enum",
	// "civility-value-set", one of CISISKinds (never for the asserts of
	// the abstract DTr1 datatype rules), or "" when the test has no known
	// shape.
	Kind string
	// Attr is the attribute the assert is about (without "@").
	Attr string
	// Path is the XPath of count (relative to the rule's context; for the
	// $elmcount choices, the union of the let), or the path of the name
	// parts a civility assert checks.
	Path string
	// Op and N: count(Path) Op N, Op "<=" or ">=".
	Op string
	N  int
	// TypeNS and Type: the xsi:type an element may carry.
	TypeNS, Type string
	// Values are the allowed values of Attr (fixed, enum, fixed-or-null).
	Values []string
	// Optional is set when a missing attribute passes (the test starts or
	// ends with "not(@attr) or").
	Optional bool
	// Hrefs are the value set files the assert reads
	// ("include/voc-<OID>-DYNAMIC.xml").
	Hrefs []string
}

// CISISKinds names the asserts the CI-SIS wrote by hand, each recognised by
// the start of its test (whitespace collapsed).
var CISISKinds = []struct {
	Kind string
	Test *regexp.Regexp
}{
	{"root-element", regexp.MustCompile(`^descendant-or-self::hl7:ClinicalDocument\[hl7:typeId`)},
	{"first-documentationOf-performer", regexp.MustCompile(`^count\(//hl7:ClinicalDocument/hl7:documentationOf\[1\]/hl7:serviceEvent/hl7:performer\)=1$`)},
	{"first-documentationOf-effectiveTime", regexp.MustCompile(`^count\(//hl7:ClinicalDocument/hl7:documentationOf\[1\]/hl7:serviceEvent/hl7:effectiveTime\)=1$`)},
	{"level1-templateIds", regexp.MustCompile(`^hl7:component/hl7:structuredBody or \(hl7:component/hl7:nonXMLBody and`)},
	{"level1-xds-sd-templateId", regexp.MustCompile(`^not\(hl7:component/hl7:nonXMLBody\) or hl7:templateId/@root='1\.3\.6\.1\.4\.1\.19376\.1\.2\.20'$`)},
	{"ins-traits", regexp.MustCompile(`^\(not\(//hl7:recordTarget/hl7:patientRole/hl7:id/@root='1\.2\.250\.1\.213\.1\.4\.8'\)`)},
	{"language-code", regexp.MustCompile(`^not\(@code\) or matches\(@code, 'fr-FR'\) or matches\(@code, '\[a-z\]\{2\}-\[A-Z\]\{2\}'\)$`)},
	{"telecom-url", regexp.MustCompile(`^\( \(count\(@\*\) = 1 and name\(@\*\) = 'nullFlavor'`)},
	{"telecom-value-xor-null", regexp.MustCompile(`^\(@nullFlavor and not\(@value\)\) or \(@value and not\(@nullFlavor\)\)$`)},
	{"patient-given-qualifier", regexp.MustCompile(`^not\(//hl7:recordTarget/hl7:patientRole/hl7:patient/hl7:name/hl7:given\[@qualifier and`)},
	{"patient-family-qualifier", regexp.MustCompile(`^not\(//hl7:recordTarget/hl7:patientRole/hl7:patient/hl7:name/hl7:family\[@qualifier !=`)},
	{"patient-family-qualifier-any", regexp.MustCompile(`^//hl7:recordTarget/hl7:patientRole/hl7:patient/hl7:name/hl7:family/@qualifier='BR' or`)},
	{"root-and-extension", regexp.MustCompile(`^\(@root and @extension\) or @nullFlavor$`)},
	{"code-and-codeSystem", regexp.MustCompile(`^\(@code and @codeSystem and not\(@nullFlavor\)\) or`)},
	{"any-performer", regexp.MustCompile(`^count\(//\*:ClinicalDocument/\*:documentationOf/\*:serviceEvent/\*:performer\)>=1$`)},
	{"any-performer-time", regexp.MustCompile(`^count\(//\*:ClinicalDocument/\*:documentationOf/\*:serviceEvent\[\*:performer\]/\*:effectiveTime\)>=1$`)},
	{"value-set-code-and-system", regexp.MustCompile(`^@nullFlavor or exists\(doc\('[^']+'\)//valueSet\[1\]\[conceptList/concept\[@code = \$theCode\]\[@codeSystem = \$theCodeSystem\]\]\)$`)},
}

var (
	reXsiType    = regexp.MustCompile(`^empty\(@xsi:type\) or resolve-QName\(@xsi:type, \.\) = QName\('([^']*)', '([^']*)'\)$`)
	reCount      = regexp.MustCompile(`^count\((.+)\) ?(<=|>=) ?(\d+)$`)
	reAttr       = regexp.MustCompile(`^@([\w]+(?::[\w]+)?)$`)
	reNonEmpty   = regexp.MustCompile(`^not\(@([\w:]+)\) or string-length\(@([\w:]+)\)>0$`)
	reCS         = regexp.MustCompile(`^not\(@([\w:]+)\) or \(string-length\(@[\w:]+\) > 0 and not\(matches\(@[\w:]+,'\\s'\)\)\)$`)
	reUID        = regexp.MustCompile(`^not\(@root\) or matches\(@root,'\^\[0-2\]`)
	reOID        = regexp.MustCompile(`^not\(@codeSystem\) or matches\(@codeSystem,'\^\[0-2\][^']*'\)$`)
	reFixed      = regexp.MustCompile(`^string\(@(\w+)\) = \('([^']*)'\)( or not\(@\w+\))?$`)
	reValueSet   = regexp.MustCompile(`^not\(@(\w+)\) or empty\(\$theAttValue\[not\(\. = \((.*)\)\)\]\)$`)
	reVocHref    = regexp.MustCompile(`doc\('([^']+)'\)`)
	reTS         = regexp.MustCompile(`^not\(@value\) or matches\(string\(@value\), '\^\[0-9\]\{4,14\}'\)$`)
	reURI        = regexp.MustCompile(`^not\(@value\) or string\(@value castable as xs:anyURI\)$`)
	reINT        = regexp.MustCompile(`^not\(@value\) or matches\((?:string\()?@value\)?, '\^-\?\[1-9\]`)
	reEnum       = regexp.MustCompile(`^(?:not\(@(\w+)\) or )?((?:@\w+ ?= ?["'][^"']*["'](?: or )?)+)(?: or not\(@\w+\))?$`)
	reEnumItem   = regexp.MustCompile(`@(\w+) ?= ?["']([^"']*)["']`)
	reCivility   = regexp.MustCompile(`^//hl7:(\w+)\[not\(\$(p\d)\) or \(every \$p in \$p\d satisfies \$p = \$(t\d)\)\]$`)
	reElmcount   = regexp.MustCompile(`^\$elmcount (<=|>=) (\d+)$`)
	reNullOrCode = regexp.MustCompile(`^@nullFlavor or \(@code='([^']*)'\)$`)
)

// CollapsedTest returns the assert's test with its whitespace collapsed.
func (a *Assertion) CollapsedTest() string { return strings.Join(strings.Fields(a.Test), " ") }

// ShapeOf recognises the shape of an assert's test.
func ShapeOf(a *Assertion) Shape {
	test := a.CollapsedTest()
	if a.Rule == nil || !a.Rule.Abstract {
		for _, c := range CISISKinds {
			if c.Test.MatchString(test) {
				return Shape{Kind: c.Kind, Hrefs: hrefs(test)}
			}
		}
	}
	if m := reXsiType.FindStringSubmatch(test); m != nil {
		return Shape{Kind: "xsi:type", TypeNS: m[1], Type: m[2]}
	}
	if m := reElmcount.FindStringSubmatch(test); m != nil {
		if v, ok := a.let("elmcount"); ok && strings.HasPrefix(v, "count(") && strings.HasSuffix(v, ")") {
			return countShape(v[len("count("):len(v)-1], m[1], m[2])
		}
		return Shape{}
	}
	if m := reCount.FindStringSubmatch(test); m != nil && !strings.HasPrefix(m[1], "/") && !strings.Contains(m[1], "$") {
		return countShape(m[1], m[2], m[3])
	}
	if test == "not(.)" {
		return Shape{Kind: "closed"}
	}
	if m := reAttr.FindStringSubmatch(test); m != nil {
		return Shape{Kind: "required-attribute", Attr: m[1]}
	}
	if m := reNonEmpty.FindStringSubmatch(test); m != nil && m[1] == m[2] {
		return Shape{Kind: "st", Attr: m[1], Optional: true}
	}
	if m := reCS.FindStringSubmatch(test); m != nil {
		return Shape{Kind: "cs", Attr: m[1], Optional: true}
	}
	if reUID.MatchString(test) {
		return Shape{Kind: "uid", Attr: "root", Optional: true}
	}
	if reOID.MatchString(test) {
		return Shape{Kind: "oid", Attr: "codeSystem", Optional: true}
	}
	if m := reFixed.FindStringSubmatch(test); m != nil {
		return Shape{Kind: "fixed", Attr: m[1], Values: []string{m[2]}, Optional: m[3] != ""}
	}
	if m := reValueSet.FindStringSubmatch(test); m != nil {
		return Shape{Kind: "value-set", Attr: m[1], Hrefs: hrefs(m[2]), Optional: true}
	}
	if test == "not(*)" {
		return Shape{Kind: "no-children"}
	}
	if reTS.MatchString(test) {
		return Shape{Kind: "ts", Attr: "value", Optional: true}
	}
	if reURI.MatchString(test) {
		return Shape{Kind: "anyURI", Attr: "value", Optional: true}
	}
	if reINT.MatchString(test) {
		return Shape{Kind: "int", Attr: "value", Optional: true}
	}
	if m := reNullOrCode.FindStringSubmatch(test); m != nil {
		return Shape{Kind: "fixed-or-null", Attr: "code", Values: []string{m[1]}}
	}
	if m := reEnum.FindStringSubmatch(test); m != nil {
		items := reEnumItem.FindAllStringSubmatch(m[2], -1)
		s := Shape{Kind: "enum", Attr: items[0][1]}
		for _, it := range items {
			if it[1] != s.Attr {
				return Shape{}
			}
			s.Values = append(s.Values, it[2])
		}
		s.Optional = m[1] != "" || strings.HasSuffix(test, "or not(@"+s.Attr+")")
		return s
	}
	if m := reCivility.FindStringSubmatch(test); m != nil {
		path, ok := a.let(m[2])
		set, ok2 := a.let(m[3])
		if !ok || !ok2 {
			return Shape{}
		}
		return Shape{Kind: "civility-value-set", Path: path, Hrefs: hrefs(set)}
	}
	return Shape{}
}

func countShape(path, op, n string) Shape {
	k, _ := strconv.Atoi(n)
	return Shape{Kind: "count", Path: path, Op: op, N: k}
}

func hrefs(s string) []string {
	var out []string
	for _, h := range reVocHref.FindAllStringSubmatch(s, -1) {
		out = append(out, h[1])
	}
	return out
}

// let returns the value of a variable the assert's rule defines.
func (a *Assertion) let(name string) (string, bool) {
	if a.Rule == nil {
		return "", false
	}
	for _, l := range a.Rule.Lets {
		if l.Name == name {
			return l.Value, true
		}
	}
	return "", false
}
