package cdamutate

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/internal/cdakit"
)

// kind is how to break (and, for grown elements, satisfy) one assert.
type kind struct {
	name string
	// desc says what the assert checks, in a few words (empty: use the
	// assert's message).
	desc string
	// unviolable says why no document can fail the assert; the rest is
	// then unused.
	unviolable string
	// holds reports whether the assert holds at e (nil: not known).
	holds func(g *gen, ev *evaluator, e *etree.Element) bool
	// fix makes it hold at a grown element (nil: nothing to do).
	fix func(g *gen, ev *evaluator, e *etree.Element, depth int)
	// brk makes it fail at e and says what it did.
	brk breakFunc
	// alts are other breakings, tried in turn when brk takes the node out
	// of its rule's context.
	alts []breakFunc
	// valueFix marks fixes that set attribute values (run first).
	valueFix bool
}

func (k *kind) fixOrder() int {
	if k != nil && k.valueFix {
		return 0
	}
	return 1
}

var (
	kindsMu sync.Mutex
	kinds   = map[*cdakit.Assertion]*kind{}
)

// classify returns how to break an assert, or nil when its test has a shape
// this package does not know.
func classify(a *cdakit.Assertion) *kind {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if k, ok := kinds[a]; ok {
		return k
	}
	k := classifyTest(a)
	kinds[a] = k
	return k
}

// Kind names the breaking chosen for an assert ("" when none), for reports
// and the catalogue.
func Kind(a *cdakit.Assertion) string {
	k := classify(a)
	if k == nil {
		return ""
	}
	return k.name
}

var (
	reLabel   = regexp.MustCompile(`^(\([^)]*\)|dtr1-[\w.-]+):\s*`)
	reVSNames = regexp.MustCompile(`value set '[^']+' (\S+)`)
)

// Describe says in a few words what an assert checks: from the shape of its
// test when it is a generated one, else its message without its label.
func Describe(a *cdakit.Assertion) string {
	if k := classify(a); k != nil && k.desc != "" {
		return k.desc
	}
	msg := reLabel.ReplaceAllString(a.Message, "")
	if strings.HasPrefix(msg, "(") {
		msg = reLabel.ReplaceAllString(msg, "")
	}
	return msg
}

// short strips the hl7: prefixes of an XPath, for descriptions.
func short(xpath string) string { return strings.ReplaceAll(xpath, "hl7:", "") }

func classifyTest(a *cdakit.Assertion) *kind {
	test := a.CollapsedTest()
	if k := custom(a, test); k != nil {
		return k
	}
	sh := cdakit.ShapeOf(a)
	switch sh.Kind {
	case "xsi:type":
		return xsiTypeKind(sh.Type)
	case "count":
		return countKind(sh.Path, sh.Op, strconv.Itoa(sh.N))
	case "closed":
		return &kind{name: "closed", desc: "no element the closed template does not list", brk: func(*gen, *evaluator, *etree.Element) (string, error) {
			return "an element the closed template does not allow", nil
		}}
	case "required-attribute":
		return attrRequiredKind(sh.Attr)
	case "st":
		return withDesc(attrValueKind("st", sh.Attr, "", func(v string) bool { return v != "" }), "@"+sh.Attr+" not empty (st)")
	case "cs":
		return withDesc(attrValueKind("cs", sh.Attr, "A B", func(v string) bool { return v != "" && !strings.ContainsAny(v, " \t\r\n") }), "@"+sh.Attr+" a code, no space (cs)")
	case "uid":
		return withDesc(attrValueKind("uid", "root", "1.02", func(v string) bool { return oidRE.MatchString(v) || uuidRE.MatchString(v) || ruidRE.MatchString(v) }), "@root an OID, UUID or RUID (uid)")
	case "oid":
		k := withDesc(attrValueKind("oid", "codeSystem", "1.02", func(v string) bool { return oidRE.MatchString(v) }), "@codeSystem an OID")
		k.alts = []breakFunc{concatShift("shift")}
		return k
	case "fixed":
		attr, want := sh.Attr, sh.Values[0]
		k := withDesc(attrValueKind("fixed", attr, "MUTANT", func(v string) bool { return v == want }), fmt.Sprintf("@%s = '%s'", attr, want))
		k.fix = func(g *gen, ev *evaluator, e *etree.Element, depth int) {
			removeAttr(e, attr)
			g.setAttr(e, attr, want)
		}
		k.valueFix = true
		if !sh.Optional {
			k.holds = func(g *gen, ev *evaluator, e *etree.Element) bool {
				x := findAttr(e, attr)
				return x != nil && x.Value == want
			}
		}
		return k
	case "value-set":
		k := valueSetKind(sh.Attr, sh.Hrefs)
		var names []string
		for _, n := range reVSNames.FindAllStringSubmatch(a.Message, -1) {
			names = append(names, n[1])
		}
		if len(names) > 0 {
			k.desc = "@" + sh.Attr + " in " + strings.Join(names, " or ")
		}
		return k
	case "no-children":
		return &kind{name: "no-children", desc: "no child element",
			holds: func(g *gen, ev *evaluator, e *etree.Element) bool { return len(e.ChildElements()) == 0 },
			brk: func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
				g.newElement(e, Namespaces["hl7"], unexpectedName)
				return "add a child element", nil
			}}
	case "ts":
		return withDesc(attrValueKind("ts", "value", "X2024", func(v string) bool { return tsRE.MatchString(v) }), "@value starts with 4 to 14 digits (ts)")
	case "anyURI":
		return &kind{name: "anyURI", desc: "@value castable as xs:anyURI", unviolable: "Saxon-HE 9.9 (XSD 1.1 rules) casts any string to xs:anyURI"}
	case "int":
		return withDesc(attrValueKind("int", "value", "1.5", func(v string) bool { return intRE.MatchString(v) }), "@value an integer")
	case "fixed-or-null":
		want := sh.Values[0]
		return withDesc(attrValueKind("fixed-or-null", "code", "MUTANT", func(v string) bool { return v == want }), fmt.Sprintf("@code = '%s' or a nullFlavor", want))
	case "enum":
		attr, vals := sh.Attr, sh.Values
		k := withDesc(attrValueKind("enum", attr, "MUTANT", func(v string) bool { return slices.Contains(vals, v) }), fmt.Sprintf("@%s in {%s}", attr, strings.Join(vals, ", ")))
		k.valueFix = true
		k.fix = func(g *gen, ev *evaluator, e *etree.Element, depth int) {
			removeAttr(e, attr)
			g.setAttr(e, attr, vals[0])
		}
		if sh.Optional {
			k.fix = nil
		}
		return k
	case "civility-value-set":
		return civilityKind(sh.Path, sh.Hrefs)
	}
	return nil
}

var (
	oidRE  = regexp.MustCompile(`^[0-2](\.(0|[1-9]\d*))*$`)
	uuidRE = regexp.MustCompile(`^[A-Fa-f\d]{8}-[A-Fa-f\d]{4}-[A-Fa-f\d]{4}-[A-Fa-f\d]{4}-[A-Fa-f\d]{12}$`)
	ruidRE = regexp.MustCompile(`^[A-Za-z][A-Za-z\d\-]*$`)
	tsRE   = regexp.MustCompile(`^[0-9]{4,14}`)
	intRE  = regexp.MustCompile(`^-?[1-9]\d*$|^\+?\d*$`)
)

func withDesc(k *kind, d string) *kind {
	k.desc = d
	return k
}

func xsiTypeKind(typ string) *kind {
	other := "BL"
	if typ == "BL" {
		other = "ST"
	}
	return &kind{name: "xsi:type", desc: "xsi:type absent or " + typ,
		holds: func(g *gen, ev *evaluator, e *etree.Element) bool {
			a := findAttr(e, "xsi:type")
			return a == nil || a.Value == typ || strings.HasSuffix(a.Value, ":"+typ)
		},
		fix: func(g *gen, ev *evaluator, e *etree.Element, depth int) { removeAttr(e, "xsi:type") },
		brk: func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
			removeAttr(e, "xsi:type")
			// An unprefixed QName resolves to the default namespace: it
			// must be urn:hl7-org:v3 for resolve-QName to name a CDA type.
			v := other
			if nsOf(e, "") != Namespaces["hl7"] {
				v = g.prefixFor(e, Namespaces["hl7"]) + ":" + other
			}
			g.setAttr(e, "xsi:type", v)
			return fmt.Sprintf("xsi:type=%q where %s is expected", v, typ), nil
		}}
}

// countKind handles count(PATH) <= n and >= n.
func countKind(path, op, n string) *kind {
	limit, _ := strconv.Atoi(n)
	pe, err := parseXPath(path)
	if err != nil {
		return nil
	}
	count := func(ev *evaluator, e *etree.Element) ([]*etree.Element, error) {
		v, err := ev.eval(pe, node{e: e})
		if err != nil {
			return nil, err
		}
		return elements(v), nil
	}
	// The step to grow a missing child: the first branch of a union.
	first := pe
	for {
		b, ok := first.(binExpr)
		if !ok || b.Op != "|" {
			break
		}
		first = b.L
	}
	growOne := func(g *gen, ev *evaluator, e *etree.Element, depth int) (*etree.Element, error) {
		fp, ok := first.(pathExpr)
		if !ok || fp.Abs || len(fp.Steps) != 1 {
			return nil, fmt.Errorf("cannot grow %s", path)
		}
		if c, err := g.reuseBare(ev, e, fp.Steps[0], depth); c != nil || err != nil {
			if c != nil {
				g.fill(ev, c, depth+1)
			}
			return c, err
		}
		return g.create(ev, e, fp.Steps[0], depth)
	}
	k := &kind{name: "count" + op + n, desc: fmt.Sprintf("count(%s) %s %s", short(path), op, n)}
	switch op {
	case "<=":
		k.holds = func(g *gen, ev *evaluator, e *etree.Element) bool {
			els, err := count(ev, e)
			return err == nil && len(els) <= limit
		}
		k.brk = func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
			els, err := count(ev, e)
			if err != nil {
				return "", err
			}
			if len(els) == 0 {
				c, err := growOne(g, ev, e, 0)
				if err != nil {
					return "", err
				}
				g.finish(ev)
				els = []*etree.Element{c}
			}
			for n := len(els); n <= limit; n++ {
				c := els[0].Copy()
				e.InsertChildAt(els[len(els)-1].Index()+1, c)
			}
			return fmt.Sprintf("%d× %s", limit+1, path), nil
		}
	case ">=":
		if limit == 0 {
			return &kind{name: k.name, desc: k.desc, unviolable: "a count is never negative"}
		}
		k.holds = func(g *gen, ev *evaluator, e *etree.Element) bool {
			els, err := count(ev, e)
			return err == nil && len(els) >= limit
		}
		k.fix = func(g *gen, ev *evaluator, e *etree.Element, depth int) {
			for i := 0; i < limit; i++ {
				if els, err := count(ev, e); err != nil || len(els) >= limit {
					return
				}
				if _, err := growOne(g, ev, e, depth); err != nil {
					return
				}
				ev.reset()
			}
		}
		k.brk = func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
			els, err := count(ev, e)
			if err != nil {
				return "", err
			}
			for _, c := range els {
				e.RemoveChild(c)
			}
			return fmt.Sprintf("remove %s (%d)", path, len(els)), nil
		}
		// When the context needs such a child ([hl7:assignedEntity]),
		// keep a child that does not pass the step's predicates.
		hollow := func(null bool) breakFunc {
			return func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
				els, err := count(ev, e)
				if err != nil || len(els) == 0 {
					return "", errNotHere
				}
				for _, c := range els {
					empty(c)
					c.Attr = nil
					if null {
						g.setAttr(c, "nullFlavor", "UNK")
					}
				}
				what := "empty"
				if null {
					what = "null"
				}
				return fmt.Sprintf("%s %s (%d)", what, path, len(els)), nil
			}
		}
		k.alts = []breakFunc{hollow(false), hollow(true)}
	}
	return k
}

// concatShift breaks an assert on @code or @codeSystem of a node whose rule
// context only takes codes whose concat(@code, @codeSystem) is in a value set
// (standardIndustryClassCode): the concatenation is kept, the attributes
// are not. mode: "no-code", "no-codeSystem" or "shift" (one character of
// the code system moves to the code).
func concatShift(mode string) breakFunc {
	return func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		code, cs := e.SelectAttrValue("code", ""), e.SelectAttrValue("codeSystem", "")
		if code == "" || len(cs) < 2 {
			return "", errNotHere
		}
		switch mode {
		case "no-code":
			removeAttr(e, "code")
			g.set(e, "codeSystem", code+cs)
		case "no-codeSystem":
			removeAttr(e, "codeSystem")
			g.set(e, "code", code+cs)
		default:
			g.set(e, "code", code+cs[:1], "codeSystem", cs[1:])
		}
		return fmt.Sprintf("code %q, codeSystem %q: concat(@code, @codeSystem) unchanged", e.SelectAttrValue("code", ""), e.SelectAttrValue("codeSystem", "")), nil
	}
}

func attrRequiredKind(attr string) *kind {
	var alts []breakFunc
	switch attr {
	case "code":
		alts = []breakFunc{concatShift("no-code")}
	case "codeSystem":
		alts = []breakFunc{concatShift("no-codeSystem")}
	}
	return &kind{name: "required-attribute", desc: "@" + attr + " present", alts: alts,
		holds: func(g *gen, ev *evaluator, e *etree.Element) bool { return findAttr(e, attr) != nil },
		fix: func(g *gen, ev *evaluator, e *etree.Element, depth int) {
			g.setAttr(e, attr, g.defaultValue(e, attr))
		},
		brk: func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
			if !removeAttr(e, attr) {
				return "", fmt.Errorf("no @%s to remove", attr)
			}
			return "remove @" + attr, nil
		}}
}

// attrValueKind breaks an assert on an attribute's value by setting bad;
// ok says whether a value is right. A missing attribute satisfies these
// asserts (their tests start with not(@attr) or).
func attrValueKind(name, attr, bad string, ok func(string) bool) *kind {
	return &kind{name: name,
		holds: func(g *gen, ev *evaluator, e *etree.Element) bool {
			a := findAttr(e, attr)
			return a == nil || ok(a.Value)
		},
		brk: func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
			removeAttr(e, attr)
			g.setAttr(e, attr, bad)
			return fmt.Sprintf("@%s=%q", attr, bad), nil
		}}
}

func valueSetKind(attr string, hrefs []string) *kind {
	codes := func(g *gen) map[string]bool {
		m := map[string]bool{}
		for _, h := range hrefs {
			cs, err := g.concepts(h)
			if err != nil {
				continue
			}
			for _, c := range cs {
				m[c.SelectAttrValue("code", "")] = true
			}
		}
		return m
	}
	var alts []breakFunc
	if attr == "code" {
		alts = []breakFunc{concatShift("shift")}
	}
	return &kind{name: "value-set", desc: "@" + attr + " in a value set", valueFix: true, alts: alts,
		holds: func(g *gen, ev *evaluator, e *etree.Element) bool {
			a := findAttr(e, attr)
			if a == nil {
				return true
			}
			in := codes(g)
			for _, v := range strings.Fields(a.Value) {
				if !in[v] {
					return false
				}
			}
			return true
		},
		fix: func(g *gen, ev *evaluator, e *etree.Element, depth int) {
			if attr == "code" {
				_ = g.setFromValueSet(e, hrefs[0])
				return
			}
			cs, err := g.concepts(hrefs[0])
			if err == nil {
				removeAttr(e, attr)
				g.setAttr(e, attr, cs[0].SelectAttrValue("code", ""))
			}
		},
		brk: func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
			removeAttr(e, attr)
			g.setAttr(e, attr, "MUTANT")
			return fmt.Sprintf("@%s=\"MUTANT\", in no value set", attr), nil
		}}
}

// civilityKind breaks the J245 (prefix, civilité) and J246 (suffix, titre)
// asserts: every prefix (suffix) the rule's variable path selects gets a
// value outside the value set, growing one if there is none.
func civilityKind(path string, hrefs []string) *kind {
	pe, err := parseXPath(path)
	if err != nil || path == "" || len(hrefs) != 1 {
		return nil
	}
	set := "JDV_J245 (civilité)"
	if strings.Contains(hrefs[0], "1.2.250.1.213.1.1.5.719") {
		set = "JDV_J246 (titre)"
	}
	return &kind{name: "civility-value-set", desc: short(path) + " in " + set,
		brk: func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
			if err := g.satisfy(ev, e, pe, 0); err != nil {
				return "", err
			}
			ev.reset()
			v, err := ev.eval(pe, node{e: e})
			if err != nil {
				return "", err
			}
			for _, x := range elements(v) {
				x.SetText(placeholder)
			}
			return fmt.Sprintf("%s = \"MUTANT\" (%s)", path, tvarOf(hrefs[0])), nil
		}}
}

// tvarOf names the variable of the value set a civility assert reads, as the
// kit's rules do: t1 for JDV_J245, t2 for JDV_J246.
func tvarOf(href string) string {
	if strings.Contains(href, "1.2.250.1.213.1.1.5.719") {
		return "t2"
	}
	return "t1"
}
