// Package kitgen turns the official StrucMin schematron of the ANS test kit
// (the "Structuration minimale" rules, ../shared/testdata/cda/schematron)
// into the Go rule table of package cda (kitrules_gen.go), so that
// cda.Validate checks what the kit checks without Java.
//
// The art-decor generator writes the kit's asserts in a few dozen shapes
// (internal/cdakit.ShapeOf); each recognised shape becomes a row of the
// table, with its parameters: the attribute, the path counted and its
// bounds, the allowed values, the value set. The rule contexts, always a
// chain of child steps from ClinicalDocument with predicates, become a trie
// of steps whose predicates are compiled into a small tree (kpred). The
// asserts the CI-SIS wrote by hand are named by their shape (cdakit.CISISKinds)
// and checked by hand-written Go; the asserts of the DTr1 datatype rules
// (abstract rules a template rule extends) are listed with their labels and
// roles and checked by hand-written Go too. An assert of a template rule
// whose shape is not recognised stops the generation: the table never
// misses an assert silently.
package kitgen

import (
	"bytes"
	"fmt"
	"go/format"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mssante-go/sdk/internal/cdakit"
	"github.com/mssante-go/sdk/internal/cdakit/xpath"
)

// Namespace indices of the generated table (cda's kns constants).
var nsIndex = map[string]string{
	"":                                "nsNone",
	"urn:hl7-org:v3":                  "nsHL7",
	"urn:hl7-org:sdtc":                "nsSDTC",
	"urn:oid:1.3.6.1.4.1.19376.1.3.2": "nsLab",
	"urn:dicom-org:ps3-20":            "nsDICOM",
	"http://www.w3.org/2001/XMLSchema-instance": "nsXSI",
	"http://www.w3.org/XML/1998/namespace":      "nsXML",
	"*":                                         "nsAny",
}

// pred is a compiled predicate (cda's kpred).
type pred struct {
	op       string // pSelf, pChild, pAttr, pAttrEq, pNot, pAnd, pOr, pConcatVS, pTrue
	ns, name string
	val      string
	a, b     int
}

type gen struct {
	preds    []pred
	predIdx  map[pred]int
	steps    []step
	stepIdx  map[[2]int]int // (parent, self pred) -> step
	paths    []string       // Go literals of kpath values
	pathIdx  map[string]int
	rules    []string
	asserts  []string
	labels   map[string]bool
	dtypes   map[string]bool
	counts   map[string]int // shape kind -> asserts
	skipped  []string       // asserts not in the table, and why
	root     string         // the root-element assert
	rulesDir string
}

type step struct {
	parent int
	self   int // pred index of the self test
	local  string
	ns     string
}

// Generate reads the rules of the folder (the kit's structurationMinimale)
// and returns the gofmt-ed source of kitrules_gen.go.
func Generate(rulesDir string) ([]byte, error) {
	cat, err := cdakit.LoadSource(rulesDir)
	if err != nil {
		return nil, err
	}
	g := &gen{predIdx: map[pred]int{}, stepIdx: map[[2]int]int{}, pathIdx: map[string]int{},
		labels: map[string]bool{}, dtypes: map[string]bool{}, counts: map[string]int{}, rulesDir: rulesDir}
	patterns := map[string]int{}
	for _, r := range cat.Rules {
		if r.Abstract {
			continue
		}
		if r.Context == "/" {
			// The root-element warning: the document is a
			// ClinicalDocument with the CDA R2 typeId.
			if len(r.Asserts) != 1 || !strings.HasPrefix(a0(r).CollapsedTest(), "descendant-or-self::hl7:ClinicalDocument[hl7:typeId[@root = '2.16.840.1.113883.1.3'][@extension = 'POCD_HD000040']]") {
				return nil, fmt.Errorf("kitgen: root rule %s: unexpected asserts", r.ID)
			}
			g.root = fmt.Sprintf("{id: %q, level: %s}", a0(r).ID, roles[a0(r).Role])
			continue
		}
		st, err := g.context(r.Context)
		if err != nil {
			return nil, fmt.Errorf("kitgen: rule %s: %w", r.ID, err)
		}
		if _, ok := patterns[r.Pattern]; !ok {
			patterns[r.Pattern] = len(patterns)
		}
		first := len(g.asserts)
		for i, a := range r.Asserts {
			row, err := g.assert(a, i+1)
			if err != nil {
				return nil, fmt.Errorf("kitgen: assert %s: %w", a.ID, err)
			}
			if row != "" {
				g.asserts = append(g.asserts, row)
			}
		}
		var types []string
		for _, id := range cat.Extends(r) {
			types = append(types, id)
			g.dtypes[id] = true
		}
		label := ""
		if len(r.Asserts) > 0 {
			label = r.Asserts[0].Label
		}
		g.rules = append(g.rules, fmt.Sprintf("{id: %q, label: %q, step: %d, pattern: %d, asserts: [2]int32{%d, %d}, types: %s},",
			r.ID, label, st, patterns[r.Pattern], first, len(g.asserts), goStrings(types)))
	}
	return g.source(cat)
}

func a0(r *cdakit.Rule) *cdakit.Assertion { return r.Asserts[0] }

func goStrings(ss []string) string {
	if len(ss) == 0 {
		return "nil"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

func (g *gen) addPred(p pred) int {
	if i, ok := g.predIdx[p]; ok {
		return i
	}
	g.preds = append(g.preds, p)
	g.predIdx[p] = len(g.preds) - 1
	return len(g.preds) - 1
}

// context compiles a rule context into a step of the trie.
func (g *gen) context(ctx string) (int, error) {
	e, err := xpath.Parse(ctx)
	if err != nil {
		return 0, err
	}
	p, ok := e.(xpath.Path)
	if !ok || !p.Abs || p.Filter != nil || len(p.Steps) < 2 || p.Steps[0].Axis != "descendant-or-self" || p.Steps[0].Local != "node()" {
		return 0, fmt.Errorf("context %q is not //ClinicalDocument/...", ctx)
	}
	parent := -1
	for i, s := range p.Steps[1:] {
		if i == 0 && (s.Local != "ClinicalDocument" || s.Space != "urn:hl7-org:v3") {
			return 0, fmt.Errorf("context %q does not start at ClinicalDocument", ctx)
		}
		self, err := g.selfTest(s)
		if err != nil {
			return 0, fmt.Errorf("context %q: %w", ctx, err)
		}
		key := [2]int{parent, self}
		idx, ok := g.stepIdx[key]
		if !ok {
			g.steps = append(g.steps, step{parent: parent, self: self, local: s.Local, ns: s.Space})
			idx = len(g.steps) - 1
			g.stepIdx[key] = idx
		}
		parent = idx
	}
	return parent, nil
}

// selfTest compiles a child step into the test of an element: its name and
// its predicates.
func (g *gen) selfTest(s xpath.Step) (int, error) {
	if s.Axis != "child" && s.Axis != "self" || s.Call != nil {
		return 0, fmt.Errorf("step on axis %s not supported", s.Axis)
	}
	if s.Local == "node()" || s.Local == "text()" {
		return 0, fmt.Errorf("node test %s not supported", s.Local)
	}
	ns, ok := nsIndex[s.Space]
	if !ok {
		return 0, fmt.Errorf("namespace %q not supported", s.Space)
	}
	a, err := g.preds1(s.Preds)
	if err != nil {
		return 0, err
	}
	return g.addPred(pred{op: "pSelf", ns: ns, name: s.Local, a: a}), nil
}

// preds1 compiles the predicates of a step into one (and), -1 for none.
func (g *gen) preds1(ps []xpath.Expr) (int, error) {
	out := -1
	for _, p := range ps {
		i, err := g.pred(p)
		if err != nil {
			return 0, err
		}
		if out < 0 {
			out = i
		} else {
			out = g.addPred(pred{op: "pAnd", a: out, b: i})
		}
	}
	return out, nil
}

// pred compiles a boolean expression.
func (g *gen) pred(e xpath.Expr) (int, error) {
	switch e := e.(type) {
	case xpath.Binary:
		switch e.Op {
		case "and", "or", "|": // a union in a boolean context: either is not empty
			l, err := g.pred(e.L)
			if err != nil {
				return 0, err
			}
			r, err := g.pred(e.R)
			if err != nil {
				return 0, err
			}
			op := "pAnd"
			if e.Op != "and" {
				op = "pOr"
			}
			return g.addPred(pred{op: op, a: l, b: r}), nil
		case "=":
			if attr, ok := attrStep(e.L); ok {
				if lit, ok := e.R.(xpath.Literal); ok {
					ns, err := attrNS(attr)
					if err != nil {
						return 0, err
					}
					return g.addPred(pred{op: "pAttrEq", ns: ns, name: attr.Local, val: string(lit)}), nil
				}
			}
			if oid, ok := concatInValueSet(e); ok {
				return g.addPred(pred{op: "pConcatVS", val: oid}), nil
			}
		}
		return 0, fmt.Errorf("predicate %v not supported", e)
	case xpath.Call:
		if e.Name == "not" && len(e.Args) == 1 {
			a, err := g.pred(e.Args[0])
			if err != nil {
				return 0, err
			}
			return g.addPred(pred{op: "pNot", a: a}), nil
		}
		return 0, fmt.Errorf("function %s in a predicate not supported", e.Name)
	case xpath.Path:
		return g.exists(e)
	}
	return 0, fmt.Errorf("predicate %T not supported", e)
}

// exists compiles a relative path in a boolean context: some node it
// selects exists.
func (g *gen) exists(p xpath.Path) (int, error) {
	if p.Abs || p.Filter != nil || len(p.Steps) == 0 {
		return 0, fmt.Errorf("path in a predicate must be relative")
	}
	s := p.Steps[0]
	switch {
	case s.Axis == "attribute" && len(p.Steps) == 1 && len(s.Preds) == 0:
		ns, err := attrNS(s)
		if err != nil {
			return 0, err
		}
		return g.addPred(pred{op: "pAttr", ns: ns, name: s.Local}), nil
	case s.Axis == "self" && len(p.Steps) == 1:
		return g.selfTest(s)
	case s.Axis == "child":
		ns, ok := nsIndex[s.Space]
		if !ok || s.Call != nil || s.Local == "node()" || s.Local == "text()" {
			return 0, fmt.Errorf("step %s:%s not supported", s.Space, s.Local)
		}
		a, err := g.preds1(s.Preds)
		if err != nil {
			return 0, err
		}
		if len(p.Steps) > 1 {
			rest, err := g.exists(xpath.Path{Steps: p.Steps[1:]})
			if err != nil {
				return 0, err
			}
			if a < 0 {
				a = rest
			} else {
				a = g.addPred(pred{op: "pAnd", a: a, b: rest})
			}
		}
		return g.addPred(pred{op: "pChild", ns: ns, name: s.Local, a: a}), nil
	}
	return 0, fmt.Errorf("step on axis %s not supported in a predicate", s.Axis)
}

func attrStep(e xpath.Expr) (xpath.Step, bool) {
	p, ok := e.(xpath.Path)
	if !ok || p.Abs || p.Filter != nil || len(p.Steps) != 1 || p.Steps[0].Axis != "attribute" || len(p.Steps[0].Preds) != 0 {
		return xpath.Step{}, false
	}
	return p.Steps[0], true
}

func attrNS(s xpath.Step) (string, error) {
	ns, ok := nsIndex[s.Space]
	if !ok || s.Local == "*" {
		return "", fmt.Errorf("attribute %s:%s not supported", s.Space, s.Local)
	}
	return ns, nil
}

// concatInValueSet recognises concat(@code, @codeSystem) =
// doc('include/voc-<OID>-DYNAMIC.xml')//valueSet[1]/conceptList/concept/concat(@code, @codeSystem).
func concatInValueSet(e xpath.Binary) (string, bool) {
	c, ok := e.L.(xpath.Call)
	if !ok || c.Name != "concat" || len(c.Args) != 2 {
		return "", false
	}
	p, ok := e.R.(xpath.Path)
	if !ok || p.Filter == nil {
		return "", false
	}
	d, ok := p.Filter.(xpath.Call)
	if !ok || d.Name != "doc" || len(d.Args) != 1 {
		return "", false
	}
	href, ok := d.Args[0].(xpath.Literal)
	if !ok {
		return "", false
	}
	last := p.Steps[len(p.Steps)-1]
	if last.Call == nil || last.Call.Name != "concat" {
		return "", false
	}
	return vocOID(string(href))
}

// vocOID returns the OID of a value set file include/voc-<OID>-DYNAMIC.xml.
func vocOID(href string) (string, bool) {
	s, ok := strings.CutPrefix(href, "include/voc-")
	if !ok {
		return "", false
	}
	s, ok = strings.CutSuffix(s, "-DYNAMIC.xml")
	return s, ok
}

// path compiles a relative path (or a union of them) into a kpath literal
// and returns its index.
func (g *gen) path(src string) (int, error) {
	e, err := xpath.Parse(src)
	if err != nil {
		return 0, err
	}
	var alts []xpath.Expr
	var flatten func(e xpath.Expr)
	flatten = func(e xpath.Expr) {
		if b, ok := e.(xpath.Binary); ok && b.Op == "|" {
			flatten(b.L)
			flatten(b.R)
			return
		}
		alts = append(alts, e)
	}
	flatten(e)
	var lit strings.Builder
	lit.WriteString("{")
	for i, a := range alts {
		p, ok := a.(xpath.Path)
		if !ok || p.Abs || p.Filter != nil {
			return 0, fmt.Errorf("path %q: not a relative path", src)
		}
		if i > 0 {
			lit.WriteString(", ")
		}
		lit.WriteString("{")
		for j, s := range p.Steps {
			if s.Axis != "child" {
				return 0, fmt.Errorf("path %q: axis %s", src, s.Axis)
			}
			t, err := g.selfTest(s)
			if err != nil {
				return 0, fmt.Errorf("path %q: %w", src, err)
			}
			if j > 0 {
				lit.WriteString(", ")
			}
			lit.WriteString(strconv.Itoa(t))
		}
		lit.WriteString("}")
	}
	lit.WriteString("}")
	key := lit.String()
	if i, ok := g.pathIdx[key]; ok {
		return i, nil
	}
	g.paths = append(g.paths, key)
	g.pathIdx[key] = len(g.paths) - 1
	return len(g.paths) - 1, nil
}

// short strips the hl7: prefixes of an XPath, for messages.
func short(xp string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(xp, "hl7:", "")), " ")
}

var roles = map[cdakit.Role]string{
	cdakit.RoleError:   "finding.Error",
	cdakit.RoleWarning: "finding.Warning",
	cdakit.RoleInfo:    "finding.Info",
}

// assert returns the row of an assert of a template rule, "" when it has
// no row (it cannot fail).
func (g *gen) assert(a *cdakit.Assertion, n int) (string, error) {
	role, ok := roles[a.Role]
	if !ok {
		return "", fmt.Errorf("role %q", a.Role)
	}
	if a.Report {
		return "", fmt.Errorf("a report in a template rule is not supported")
	}
	g.labels[a.Label] = true
	sh := cdakit.ShapeOf(a)
	g.counts[sh.Kind]++
	if a.Label != a.Rule.Asserts[0].Label {
		return "", fmt.Errorf("label %q, its rule's first assert has %q", a.Label, a.Rule.Asserts[0].Label)
	}
	head := fmt.Sprintf("{n: %d, level: %s", n, role)
	attr := func() (string, error) {
		ns, local := "nsNone", sh.Attr
		if p, l, ok := strings.Cut(sh.Attr, ":"); ok {
			uri, known := xpath.Namespaces[p]
			if !known {
				return "", fmt.Errorf("attribute prefix %q", p)
			}
			ns, local = nsIndex[uri], l
		}
		return fmt.Sprintf(", ans: %s, attr: %q", ns, local), nil
	}
	switch sh.Kind {
	case "":
		return "", fmt.Errorf("test shape not recognised: %s", a.CollapsedTest())
	case "anyURI":
		g.skipped = append(g.skipped, fmt.Sprintf("%s (%s): @value castable as xs:anyURI, which Saxon-HE 9.9 grants to any string", a.ID, a.Role))
		return "", nil
	case "xsi:type":
		if sh.TypeNS != "urn:hl7-org:v3" {
			return "", fmt.Errorf("xsi:type in namespace %q", sh.TypeNS)
		}
		return head + fmt.Sprintf(", kind: kXsiType, val: %q},", sh.Type), nil
	case "count":
		p, err := g.path(sh.Path)
		if err != nil {
			return "", err
		}
		k := "kCountMax"
		if sh.Op == ">=" {
			k = "kCountMin"
			if sh.N == 0 {
				g.skipped = append(g.skipped, fmt.Sprintf("%s (%s): count(...) >= 0", a.ID, a.Role))
				return "", nil
			}
		}
		return head + fmt.Sprintf(", kind: %s, path: %d, num: %d, what: %q},", k, p, sh.N, short(sh.Path)), nil
	case "closed":
		return head + ", kind: kClosed},", nil
	case "no-children":
		return head + ", kind: kNoChildren},", nil
	case "required-attribute", "st", "cs", "uid", "oid", "ts", "int":
		at, err := attr()
		if err != nil {
			return "", err
		}
		k := map[string]string{"required-attribute": "kAttrRequired", "st": "kAttrST", "cs": "kAttrCS", "uid": "kAttrUID", "oid": "kAttrOID", "ts": "kAttrTS", "int": "kAttrINT"}[sh.Kind]
		return head + ", kind: " + k + at + "},", nil
	case "fixed", "enum", "fixed-or-null":
		at, err := attr()
		if err != nil {
			return "", err
		}
		k := "kAttrIn"
		switch {
		case sh.Kind == "fixed-or-null":
			k = "kAttrInOrNull"
		case sh.Optional:
			k = "kAttrInOpt"
		}
		return head + ", kind: " + k + at + ", vals: " + goStrings(sh.Values) + "},", nil
	case "value-set":
		at, err := attr()
		if err != nil {
			return "", err
		}
		var oids []string
		for _, h := range sh.Hrefs {
			oid, ok := vocOID(h)
			if !ok {
				return "", fmt.Errorf("value set file %q", h)
			}
			oids = append(oids, oid)
		}
		if len(oids) == 0 {
			return "", fmt.Errorf("value set assert reads no file")
		}
		return head + ", kind: kValueSet" + at + ", vals: " + goStrings(oids) + "},", nil
	case "civility-value-set":
		p, err := g.path(sh.Path)
		if err != nil {
			return "", err
		}
		oid, ok := vocOID(sh.Hrefs[0])
		if !ok || len(sh.Hrefs) != 1 {
			return "", fmt.Errorf("civility value set %v", sh.Hrefs)
		}
		return head + fmt.Sprintf(", kind: kPartsInSet, path: %d, val: %q, what: %q},", p, oid, short(sh.Path)), nil
	}
	for _, c := range cdakit.CISISKinds {
		if c.Kind == sh.Kind {
			val := ""
			if len(sh.Hrefs) == 1 {
				if oid, ok := vocOID(sh.Hrefs[0]); ok {
					val = oid
				}
			}
			return head + fmt.Sprintf(", kind: kCISIS, what: %q, val: %q},", sh.Kind, val), nil
		}
	}
	return "", fmt.Errorf("shape %s not supported", sh.Kind)
}

func (g *gen) source(cat *cdakit.Catalogue) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by cda/internal/gen from the ANS kit's StrucMin schematron; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package cda\n\nimport \"github.com/mssante-go/sdk/finding\"\n\n")
	fmt.Fprintf(&b, "// kitSource is the scenario the table comes from.\nconst kitSource = %q\n\n", titleOf(cat))
	fmt.Fprintf(&b, "// kitPreds are the predicates of the rule contexts and of the paths of the asserts.\nvar kitPreds = [...]kpred{\n")
	for i, p := range g.preds {
		fmt.Fprintf(&b, "\t%s, // %d\n", predLit(p), i)
	}
	b.WriteString("}\n\n// kitSteps are the steps of the rule contexts, a trie rooted at ClinicalDocument.\nvar kitSteps = [...]kstep{\n")
	for i, s := range g.steps {
		fmt.Fprintf(&b, "\t{parent: %d, self: %d, local: %q}, // %d\n", s.parent, s.self, s.local, i)
	}
	b.WriteString("}\n\n// kitPaths are the paths the asserts count or check: alternatives of chains of steps.\nvar kitPaths = [...]kpath{\n")
	for i, p := range g.paths {
		fmt.Fprintf(&b, "\t%s, // %d\n", p, i)
	}
	b.WriteString("}\n\n// kitRules are the template rules: their context, their pattern (a node fires the first\n// matching rule of a pattern), their asserts and the datatype rules they extend.\nvar kitRules = [...]krule{\n")
	for _, r := range g.rules {
		b.WriteString("\t" + r + "\n")
	}
	b.WriteString("}\n\n// kitAsserts are the asserts of the template rules.\nvar kitAsserts = [...]kassert{\n")
	for _, a := range g.asserts {
		b.WriteString("\t" + a + "\n")
	}
	b.WriteString("}\n\n")
	// The datatype asserts the template rules inherit.
	types := make([]string, 0, len(g.dtypes))
	for t := range g.dtypes {
		types = append(types, t)
	}
	sort.Strings(types)
	b.WriteString("// kitDatatypes are the asserts of the DTr1 datatype rules the template rules extend,\n// checked by hand-written Go (kitdt.go).\nvar kitDatatypes = map[string][]kitDTAssert{\n")
	for _, t := range types {
		r := cat.Rule(t)
		fmt.Fprintf(&b, "\t%q: {", t)
		for i, a := range r.Asserts {
			role, ok := roles[a.Role]
			if !ok {
				return nil, fmt.Errorf("kitgen: %s: role %q", a.ID, a.Role)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "{%d, %s, %q, %v}", i+1, role, a.Label, a.Report)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")
	if g.root == "" {
		return nil, fmt.Errorf("kitgen: no root-element rule")
	}
	fmt.Fprintf(&b, "// kitRootAssert is the assert on the root element: a ClinicalDocument with the CDA R2 typeId.\nvar kitRootAssert = kitRootCheck%s\n\n", g.root)
	b.WriteString("// kitSkipped are the asserts that have no row, and why.\nvar kitSkipped = []string{\n")
	for _, s := range g.skipped {
		fmt.Fprintf(&b, "\t%q,\n", s)
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("kitgen: gofmt: %w\n%s", err, b.String())
	}
	return src, nil
}

func titleOf(cat *cdakit.Catalogue) string {
	return fmt.Sprintf("%s: %d rules, %d asserts", cdakit.MainSchematron, len(cat.Rules), len(cat.Asserts))
}

func predLit(p pred) string {
	var parts []string
	parts = append(parts, "op: "+p.op)
	if p.ns != "" {
		parts = append(parts, "ns: "+p.ns)
	}
	if p.name != "" {
		parts = append(parts, "name: "+strconv.Quote(p.name))
	}
	if p.val != "" {
		parts = append(parts, "val: "+strconv.Quote(p.val))
	}
	if slices.Contains([]string{"pSelf", "pChild", "pNot", "pAnd", "pOr"}, p.op) {
		parts = append(parts, "a: "+strconv.Itoa(p.a))
	}
	if p.op == "pAnd" || p.op == "pOr" {
		parts = append(parts, "b: "+strconv.Itoa(p.b))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
