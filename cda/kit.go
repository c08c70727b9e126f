package cda

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/finding"
)

//go:generate go run ./internal/gen -kit ../../shared/testdata/cda/schematron/structurationMinimale -out kitrules_gen.go

// The kit layer of Validate: the asserts of the ANS kit's "Structuration
// minimale" schematron (StrucMin, cda.md §8), checked in Go from the table
// kitrules_gen.go that cda/internal/kitgen generates from the kit's rules.
//
// The schematron's rules each have a context (a path from ClinicalDocument)
// and asserts; a node fires the first rule of a pattern whose context
// matches it, then every assert of that rule and of the datatype rules
// (DTr1) the rule extends. The table keeps that structure: the contexts are
// a trie of steps (kitSteps) whose element tests are small predicate trees
// (kitPreds), each rule (kitRules) points to its step, and its asserts
// (kitAsserts) are rows of a recognised shape with their parameters. The
// asserts of the datatype rules and those the CI-SIS wrote by hand are
// checked by hand-written Go (kitdt.go, kitcisis.go).
//
// Each failed assert gives one finding, with the kit's level (error,
// warning, info), the rule id of its template ("CI-SISAuthor",
// "SMDS_CDAClinicalDocument", or "dtr1-10-II" for a datatype assert), the
// location of the node, and Spec "StrucMin <assert id>": the id the SDK's
// tests give the kit's assert (internal/cdakit), so that every finding names
// the official assert it mirrors.

// kns is the namespace of a name in the table.
type kns uint8

const (
	nsNone kns = iota
	nsHL7
	nsSDTC
	nsLab
	nsDICOM
	nsXSI
	nsXML
	nsAny
)

// Namespaces the table uses besides NS.
const (
	nsURISDTC  = "urn:hl7-org:sdtc"
	nsURILab   = "urn:oid:1.3.6.1.4.1.19376.1.3.2"
	nsURIDICOM = "urn:dicom-org:ps3-20"
	nsURIXSI   = "http://www.w3.org/2001/XMLSchema-instance"
	nsURIXML   = "http://www.w3.org/XML/1998/namespace"
)

var knsURI = [...]string{nsNone: "", nsHL7: NS, nsSDTC: nsURISDTC, nsLab: nsURILab, nsDICOM: nsURIDICOM, nsXSI: nsURIXSI, nsXML: nsURIXML}

// kop is the operator of a predicate.
type kop uint8

const (
	pSelf     kop = iota // the node is an element named (ns, name) that satisfies a (-1: no predicate)
	pChild               // some child element is named (ns, name) and satisfies a
	pAttr                // the attribute (ns, name) is present
	pAttrEq              // the attribute (ns, name) is present with the value val
	pNot                 // not a
	pAnd                 // a and b
	pOr                  // a or b
	pConcatVS            // concat(@code, @codeSystem) is the code and code system of a concept of the value set val
)

// kpred is a node of a predicate tree.
type kpred struct {
	op   kop
	ns   kns
	name string
	val  string
	a, b int32
}

// kstep is a step of a rule context: a child element of the parent step's
// node that passes the test self (a pSelf predicate).
type kstep struct {
	parent, self int32
	local        string // the local name of the test, for a quick check ("*" any)
}

// kpath is a path an assert reads: alternatives (a union), each a chain of
// child steps given by their pSelf tests.
type kpath [][]int32

// krule is a template rule.
type krule struct {
	id, label string
	step      int32    // its context
	pattern   int32    // its pattern: a node fires the first matching rule of each pattern
	asserts   [2]int32 // its asserts, kitAsserts[asserts[0]:asserts[1]]
	types     []string // the datatype rules it extends, each with its asserts in kitDatatypes
}

// kkind is the shape of an assert.
type kkind uint8

const (
	kXsiType      kkind = iota + 1 // @xsi:type absent or the CDA type val
	kCountMin                      // count(path) >= num
	kCountMax                      // count(path) <= num
	kClosed                        // the node is an element its template does not list (warning)
	kNoChildren                    // no child element
	kAttrRequired                  // the attribute is present
	kAttrST                        // absent or not empty
	kAttrCS                        // absent or a code: not empty, no whitespace
	kAttrUID                       // absent or an OID, a UUID or a RUID
	kAttrOID                       // absent or an OID
	kAttrTS                        // absent or 4 to 14 digits first
	kAttrINT                       // absent or an integer
	kAttrIn                        // present and one of vals
	kAttrInOpt                     // absent or one of vals
	kAttrInOrNull                  // a nullFlavor, or present and one of vals
	kValueSet                      // absent or each of its tokens a code of one of the value sets vals
	kPartsInSet                    // every node path selects has a code of the value set val as its text
	kCISIS                         // an assert the CI-SIS wrote by hand, named what (kitcisis.go)
)

// kassert is an assert of a template rule.
type kassert struct {
	n     int16 // its position in its rule: its id is the rule's id, "/" and n
	level finding.Level
	kind  kkind
	ans   kns
	attr  string
	path  int32
	num   int32
	val   string
	what  string
	vals  []string
}

// kitRootCheck is the assert of the kit on the root element.
type kitRootCheck struct {
	id    string
	level finding.Level
}

// kitDTAssert is an assert of a datatype rule: its position, level, label,
// and whether it is a report (a finding when its test holds).
type kitDTAssert struct {
	n      int
	level  finding.Level
	label  string
	report bool
}

// kitTables are the trie of contexts, the rules of each step and the value
// set lookups of the kit layer, derived from the generated table.
type kitTables struct {
	roots     []int32     // steps without parent
	children  [][]int32   // steps under each step
	stepRules [][]int32   // rules whose context is each step
	ruleDT    [][]dtEntry // the datatype asserts of each rule, with their checks
	// codes are the codes of the value sets the asserts read, by OID, and
	// pairs their code+codeSystem concatenations.
	codes, pairs map[string]map[string]bool
	// concepts are the (code, code system) pairs, joined by a NUL.
	concepts map[string]map[string]bool
}

// kitTab returns the kit's tables, built on first use rather than at init:
// they are 2.7 MB and 18,000 allocations, about 5 ms of CPU that every
// program linking cda paid at start, validating or not. Safe for
// concurrent use; the tables are read-only once built.
var kitTab = sync.OnceValue(buildKitTables)

func buildKitTables() *kitTables {
	t := &kitTables{
		children:  make([][]int32, len(kitSteps)),
		stepRules: make([][]int32, len(kitSteps)),
		ruleDT:    make([][]dtEntry, len(kitRules)),
		codes:     make(map[string]map[string]bool, len(valueSets)),
		pairs:     make(map[string]map[string]bool, len(valueSets)),
		concepts:  make(map[string]map[string]bool, len(valueSets)),
	}
	for i, s := range kitSteps {
		if s.parent < 0 {
			t.roots = append(t.roots, int32(i))
		} else {
			t.children[s.parent] = append(t.children[s.parent], int32(i))
		}
	}
	checks := dtChecks()
	for i := range kitRules {
		r := &kitRules[i]
		t.stepRules[r.step] = append(t.stepRules[r.step], int32(i))
		for _, typ := range r.types {
			for _, a := range kitDatatypes[typ] {
				if c, ok := checks[typ+"/"+strconv.Itoa(a.n)]; ok { // else not mirrored: TestKitTableComplete lists them
					t.ruleDT[i] = append(t.ruleDT[i], dtEntry{a, typ, &c})
				}
			}
		}
	}
	for _, vs := range valueSets {
		n := len(vs.Concepts)
		codes, pairs, concepts := make(map[string]bool, n), make(map[string]bool, n), make(map[string]bool, n)
		for _, c := range vs.Concepts {
			codes[c.Code] = true
			pairs[c.Code+c.CodeSystem] = true
			concepts[c.Code+"\x00"+c.CodeSystem] = true
		}
		t.codes[vs.ID], t.pairs[vs.ID], t.concepts[vs.ID] = codes, pairs, concepts
	}
	return t
}

// kit checks the asserts of the kit on the header tree.
type kit struct {
	v     *validator
	tab   *kitTables
	root  *node
	fired map[*node][]int32 // rules whose context matches each node
	order []*node           // the nodes of fired, in document order
}

// kitRules checks the asserts of the kit on the header tree (the body
// element the reader stopped at is in it, with no content: the kit's rules
// only look at which it is).
func (v *validator) kitRules(root *node) {
	k := &kit{v: v, tab: kitTab(), root: root, fired: map[*node][]int32{}}
	matched := false
	for _, s := range k.tab.roots {
		if k.test(kitSteps[s].self, root) {
			matched = true
			k.walk(root, s)
		}
	}
	if !matched {
		v.fs = append(v.fs, finding.Finding{Level: kitRootAssert.level, Rule: "SMDS_CDAClinicalDocument", Location: root.loc(),
			Message: "the document is not a CDA R2 ClinicalDocument: no typeId root 2.16.840.1.113883.1.3 extension POCD_HD000040; the kit checks nothing else",
			Spec:    "StrucMin " + kitRootAssert.id})
	}
	for _, n := range k.order {
		rules := k.fired[n]
		// A node fires the first matching rule of each pattern.
		slices.Sort(rules)
		var patterns []int32
		for _, ri := range rules {
			r := &kitRules[ri]
			if slices.Contains(patterns, r.pattern) {
				continue
			}
			patterns = append(patterns, r.pattern)
			k.rule(ri, n)
		}
	}
}

func (k *kit) walk(n *node, step int32) {
	if rs := k.tab.stepRules[step]; len(rs) > 0 {
		if _, seen := k.fired[n]; !seen {
			k.order = append(k.order, n)
		}
		k.fired[n] = append(k.fired[n], rs...)
	}
	under := k.tab.children[step]
	if len(under) == 0 {
		return
	}
	for _, t := range n.Child {
		e, ok := t.(*etree.Element)
		if !ok {
			continue
		}
		c := (*node)(e)
		for _, s := range under {
			st := &kitSteps[s]
			if st.local != "*" && st.local != c.Tag {
				continue
			}
			if k.test(st.self, c) {
				k.walk(c, s)
			}
		}
	}
}

// rule runs the asserts of the rule kitRules[ri] and of the datatype rules
// it extends on the node n.
func (k *kit) rule(ri int32, n *node) {
	r := &kitRules[ri]
	for i := r.asserts[0]; i < r.asserts[1]; i++ {
		a := &kitAsserts[i]
		if msg, ok := k.check(a, n); !ok {
			k.add(a.level, r.label, r.id, int(a.n), n, msg)
		} else if a.kind == kValueSet && a.attr == "code" && a.ans == nsNone {
			k.codeSystem(a, n)
		}
	}
	for _, d := range k.tab.ruleDT[ri] {
		if holds := d.check.test(k, n); holds == d.report {
			k.add(d.level, d.label, d.typ, d.n, n, d.check.msg)
		}
	}
}

// dtEntry is a datatype assert a rule inherits, with its Go check.
type dtEntry struct {
	kitDTAssert
	typ   string
	check *dtCheck
}

func (k *kit) add(level finding.Level, label, rule string, n int, at *node, msg string) {
	if k.v.opts.strict && level == finding.Warning {
		level = finding.Error // Build writes nothing the kit warns about
	}
	k.v.fs = append(k.v.fs, finding.Finding{Level: level, Rule: label, Location: at.loc(), Message: msg,
		Spec: "StrucMin " + rule + "/" + strconv.Itoa(n)})
}

// codeSystem checks the code system of a code the kit found in its value
// set: the kit compares the code only, the SDK the pair (cda.md §9). A code
// of the set under another code system is a CDA-CODE-SYSTEM warning, an
// error for Build.
func (k *kit) codeSystem(a *kassert, n *node) {
	code, sys := n.attr("code"), n.attr("codeSystem")
	if code == "" || has(n, "nullFlavor") {
		return
	}
	for _, oid := range a.vals {
		if k.tab.concepts[oid][code+"\x00"+sys] {
			return
		}
	}
	level := finding.Warning
	if k.v.opts.strict {
		level = finding.Error
	}
	k.v.add(level, "CDA-CODE-SYSTEM", n, specVS, "%s is in %s, but not with code system %q", code, valueSetNames(a.vals), sys)
}

// test evaluates a predicate on an element.
func (k *kit) test(p int32, n *node) bool {
	if p < 0 {
		return true
	}
	pr := &kitPreds[p]
	switch pr.op {
	case pSelf:
		return nameIs(n, pr.ns, pr.name) && k.test(pr.a, n)
	case pChild:
		for _, t := range n.Child {
			if e, ok := t.(*etree.Element); ok && nameIs((*node)(e), pr.ns, pr.name) && k.test(pr.a, (*node)(e)) {
				return true
			}
		}
		return false
	case pAttr:
		_, ok := attrNS(n, pr.ns, pr.name)
		return ok
	case pAttrEq:
		v, ok := attrNS(n, pr.ns, pr.name)
		return ok && v == pr.val
	case pNot:
		return !k.test(pr.a, n)
	case pAnd:
		return k.test(pr.a, n) && k.test(pr.b, n)
	case pOr:
		return k.test(pr.a, n) || k.test(pr.b, n)
	case pConcatVS:
		return k.tab.pairs[pr.val][n.attr("code")+n.attr("codeSystem")]
	}
	return false
}

// nameIs reports whether n is the element (ns, local); "*" is any name.
func nameIs(n *node, ns kns, local string) bool {
	if local != "*" && n.Tag != local {
		return false
	}
	return ns == nsAny || n.Space == knsURI[ns]
}

// isXMLNS reports whether an attribute of the tree is a namespace
// declaration (not an attribute for XPath).
func isXMLNS(a etree.Attr) bool { return a.Space == "xmlns" || a.Space == "" && a.Key == "xmlns" }

// attrNS returns the attribute (ns, local) of n.
func attrNS(n *node, ns kns, local string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Key == local && !isXMLNS(a) && (ns == nsAny || a.Space == knsURI[ns]) {
			return a.Value, true
		}
	}
	return "", false
}

// selectPath returns the nodes a path selects from n, each once, in
// document order within each alternative.
func (k *kit) selectPath(p int32, n *node) []*node {
	var out []*node
	for _, alt := range kitPaths[p] {
		cur := []*node{n}
		for _, s := range alt {
			var next []*node
			for _, c := range cur {
				for _, t := range c.Child {
					if e, ok := t.(*etree.Element); ok && k.test(s, (*node)(e)) {
						next = append(next, (*node)(e))
					}
				}
			}
			cur = next
		}
		for _, c := range cur {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// xmlSpace reports whether r is XML (and XPath \s) whitespace.
func xmlSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// tokens splits a value as tokenize(normalize-space(v), '\s') does.
func tokens(v string) []string { return strings.FieldsFunc(v, xmlSpace) }

// check runs one assert of a template rule on n; the message says what is
// wrong when it fails.
func (k *kit) check(a *kassert, n *node) (string, bool) {
	switch a.kind {
	case kXsiType:
		return checkXsiType(n, a.val)
	case kCountMin, kCountMax:
		c := len(k.selectPath(a.path, n))
		if a.kind == kCountMin && c < int(a.num) {
			if c == 0 {
				return fmt.Sprintf("%s is required", a.what), false
			}
			return fmt.Sprintf("%s occurs %d times, at least %d required", a.what, c, a.num), false
		}
		if a.kind == kCountMax && c > int(a.num) {
			return fmt.Sprintf("%s occurs %d times, at most %d allowed", a.what, c, a.num), false
		}
		return "", true
	case kClosed:
		return fmt.Sprintf("element %s is not part of the template of %s", displayName(n), displayName(n.parent())), false
	case kNoChildren:
		if len(n.children()) > 0 {
			return fmt.Sprintf("%s must have no child element", n.Tag), false
		}
		return "", true
	}
	v, present := attrNS(n, a.ans, a.attr)
	name := "@" + a.attr
	switch a.kind {
	case kAttrRequired:
		if !present {
			return name + " is required", false
		}
	case kAttrST:
		if present && v == "" {
			return name + " must not be empty", false
		}
	case kAttrCS:
		if present && (v == "" || strings.IndexFunc(v, xmlSpace) >= 0) {
			return fmt.Sprintf("%s %q is not a code (empty or with whitespace)", name, v), false
		}
	case kAttrUID:
		if present && !reKitOID().MatchString(v) && !reKitUUID().MatchString(v) && !reKitRUID().MatchString(v) {
			return fmt.Sprintf("%s %q is not an OID, a UUID or a RUID", name, v), false
		}
	case kAttrOID:
		if present && !reKitOID().MatchString(v) {
			return fmt.Sprintf("%s %q is not an OID", name, v), false
		}
	case kAttrTS:
		if present && !reKitTS().MatchString(v) {
			return fmt.Sprintf("%s %q does not start with 4 to 14 digits (YYYYMMDDhhmmss)", name, v), false
		}
	case kAttrINT:
		if present && !reKitINT().MatchString(v) {
			return fmt.Sprintf("%s %q is not an integer", name, v), false
		}
	case kAttrIn, kAttrInOpt, kAttrInOrNull:
		if a.kind == kAttrInOrNull {
			if _, null := n.lookupAttr("nullFlavor"); null {
				return "", true
			}
		}
		if !present && a.kind == kAttrInOpt {
			return "", true
		}
		if !present || !slices.Contains(a.vals, v) {
			want := strings.Join(a.vals, ", ")
			if !present {
				return fmt.Sprintf("%s is required (%s)", name, want), false
			}
			return fmt.Sprintf("%s is %q, want %s", name, v, want), false
		}
	case kValueSet:
		if !present {
			return "", true
		}
		for _, t := range tokens(v) {
			in := false
			for _, oid := range a.vals {
				if k.tab.codes[oid][t] {
					in = true
					break
				}
			}
			if !in {
				return fmt.Sprintf("%s %q is not in %s", name, t, valueSetNames(a.vals)), false
			}
		}
	case kPartsInSet:
		for _, p := range k.selectPath(a.path, n) {
			if t := textOf(p); !k.tab.codes[a.val][t] {
				return k.partMessage(p, t, a.val), false
			}
		}
	case kCISIS:
		return k.cisis(a, n)
	default:
		return fmt.Sprintf("internal error: assert kind %d", a.kind), false
	}
	return "", true
}

// displayName is a node's name with the prefix of a namespace other than
// CDA's, for messages.
func displayName(n *node) string {
	if n == nil {
		return ""
	}
	switch n.Space {
	case NS:
		return n.Tag
	case nsURISDTC:
		return "sdtc:" + n.Tag
	}
	return "{" + n.Space + "}" + n.Tag
}

// valueSetNames names value sets by their OIDs, for messages.
func valueSetNames(oids []string) string {
	names := make([]string, len(oids))
	for i, oid := range oids {
		names[i] = oid
		if vs := LookupValueSet(oid); vs != nil {
			names[i] = vs.Name
		}
	}
	return strings.Join(names, " or ")
}

// partMessage says that a name part (prefix, suffix) is not in its value
// set, and where it belongs when it is in the other one.
func (k *kit) partMessage(p *node, text, oid string) string {
	msg := fmt.Sprintf("%s %q is not in %s", p.Tag, text, valueSetNames([]string{oid}))
	switch {
	case oid == vsJ245.ID && k.tab.codes[vsJ246.ID][text]:
		msg += fmt.Sprintf(" (the civilité: M, MME); %q is a title (JDV_J246), written in <suffix>", text)
	case oid == vsJ246.ID && k.tab.codes[vsJ245.ID][text]:
		msg += fmt.Sprintf(" (the title: DR, PR...); %q is a civilité (JDV_J245), written in <prefix>", text)
	}
	return msg
}

// textOf is the string value of an element: its text and that of its
// descendants, in document order.
func textOf(n *node) string {
	var b strings.Builder
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, t := range e.Child {
			switch t := t.(type) {
			case *etree.CharData:
				b.WriteString(t.Data)
			case *etree.Element:
				walk(t)
			}
		}
	}
	walk(n.el())
	return b.String()
}

// checkXsiType: @xsi:type absent or resolving to the CDA type want. A
// prefix that is not declared, or a value that is not a QName, stops the
// kit (a dynamic error): the document is rejected all the same.
func checkXsiType(n *node, want string) (string, bool) {
	v, ok := attrNS(n, nsXSI, "type")
	if !ok {
		return "", true
	}
	prefix, local, hasPrefix := strings.Cut(v, ":")
	if !hasPrefix {
		prefix, local = "", v
	}
	uri, declared := n.namespaceOf(prefix)
	if !declared && prefix != "" {
		return fmt.Sprintf("xsi:type %q: prefix %q is not declared", v, prefix), false
	}
	if uri != NS || local != want {
		return fmt.Sprintf("xsi:type is %q, want %s", v, want), false
	}
	return "", true
}

// elemsNS returns the child elements of n in the namespace space.
func (n *node) elemsNS(space string) []*node {
	var out []*node
	for _, c := range n.children() {
		if c.Space == space {
			out = append(out, c)
		}
	}
	return out
}

// namespaceOf resolves a prefix ("" for the default namespace) with the
// declarations of n and its ancestors in the header tree.
func (n *node) namespaceOf(prefix string) (string, bool) {
	for c := n; c != nil; c = c.parent() {
		for _, a := range c.Attr {
			if prefix == "" && a.Space == "" && a.Key == "xmlns" || prefix != "" && a.Space == "xmlns" && a.Key == prefix {
				return a.Value, true
			}
		}
	}
	if prefix == "xml" {
		return nsURIXML, true
	}
	return "", false
}
