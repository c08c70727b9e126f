package cdamutate

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/internal/cdakit"
)

// headerOrder is the order of the ClinicalDocument children in the CDA schema
// (POCD_MT000040.ClinicalDocument): grown header elements are inserted at
// their place.
var headerOrder = []string{
	"realmCode", "typeId", "templateId", "id", "code", "title", "effectiveTime", "confidentialityCode",
	"languageCode", "setId", "versionNumber", "copyTime", "recordTarget", "author", "dataEnterer",
	"informant", "custodian", "informationRecipient", "legalAuthenticator", "authenticator", "participant",
	"inFulfillmentOf", "documentationOf", "relatedDocument", "authorization", "componentOf", "component",
}

// unexpectedName is the local name of the element grown where a closed
// template allows none.
const unexpectedName = "mutantUnexpected"

// placeholder is the text of grown strings, names and addresses.
const placeholder = "MUTANT"

// maxFillDepth bounds the completion of grown elements.
const maxFillDepth = 14

// grow adds to the document the nodes that rule r's context needs and
// returns the node r then fires on.
func (g *gen) grow(ev *evaluator, r *cdakit.Rule) (*etree.Element, error) {
	pe, ok := g.ctx[r.ID].(pathExpr)
	if !ok || !pe.Abs || len(pe.Steps) < 2 || pe.Steps[0].Axis != "descendant-or-self" {
		return nil, fmt.Errorf("cannot grow context %s", r.Context)
	}
	root := ev.doc.Root()
	if !g.stepMatches(ev, pe.Steps[1], root) {
		return nil, errors.New("the base's root does not match the context")
	}
	cur := root
	var path []*etree.Element // grown along the path, completed at the end
	for i, s := range pe.Steps[2:] {
		if s.Axis != "child" || s.Call != nil {
			return nil, fmt.Errorf("cannot grow step on axis %s in %s", s.Axis, r.Context)
		}
		last := i == len(pe.Steps)-3
		var next *etree.Element
		for _, c := range cur.ChildElements() {
			// The last step must give a node no earlier rule takes; a
			// closed template's "any other element" is always grown.
			if last && s.Local == "*" {
				break
			}
			if g.stepMatches(ev, s, c) && (!last || g.claims(ev, r, c)) {
				next = c
				break
			}
		}
		if next == nil && !(last && s.Local == "*") {
			var err error
			if next, err = g.reuseBare(ev, cur, s, 0); err != nil {
				return nil, err
			}
		}
		if next == nil {
			var err error
			if next, err = g.createBare(ev, cur, s, 0); err != nil {
				return nil, err
			}
			path = append(path, next)
		}
		cur = next
	}
	// Completed top-down once the whole path is there, so that a choice
	// the path makes (relatedEntity rather than assignedEntity) is not
	// made twice.
	for _, e := range path {
		g.fill(ev, e, 1)
	}
	g.finish(ev)
	if !g.claims(ev, r, cur) {
		return nil, fmt.Errorf("grown %s, but the rule does not fire on it", locString(cur))
	}
	return cur, nil
}

// stepMatches reports whether element e passes step s (name and
// predicates; a position predicate is taken as satisfied).
func (g *gen) stepMatches(ev *evaluator, s step, e *etree.Element) bool {
	if !nameMatches(s, node{e: e}) {
		return false
	}
	for _, p := range s.Preds {
		if _, isNum := p.(number); isNum {
			continue
		}
		ok, err := ev.evalBool(p, node{e: e})
		if err != nil || !ok {
			return false
		}
	}
	return true
}

// reuseBare finds a bare child (no attribute, no content) with the name of
// step s, grown earlier for a predicate ([hl7:assignedEntity]), and makes it
// pass the step, rather than growing a second one. It returns nil when there
// is none.
func (g *gen) reuseBare(ev *evaluator, parent *etree.Element, s step, depth int) (*etree.Element, error) {
	for _, c := range parent.ChildElements() {
		if nameMatches(s, node{e: c}) && len(c.Attr) == 0 && len(c.ChildElements()) == 0 && !hasText(c) {
			for _, p := range s.Preds {
				if err := g.satisfy(ev, c, p, depth); err != nil {
					return nil, err
				}
			}
			ev.reset()
			return c, nil
		}
	}
	return nil, nil
}

// create adds under parent an element that passes step s, completes it, and
// returns it.
func (g *gen) create(ev *evaluator, parent *etree.Element, s step, depth int) (*etree.Element, error) {
	e, err := g.createBare(ev, parent, s, depth)
	if err != nil {
		return nil, err
	}
	g.fill(ev, e, depth+1)
	return e, nil
}

// createBare adds under parent an element that passes step s.
func (g *gen) createBare(ev *evaluator, parent *etree.Element, s step, depth int) (*etree.Element, error) {
	if depth > maxFillDepth {
		return nil, errors.New("growing too deep")
	}
	space, local := s.Space, s.Local
	if space == "*" || space == "" {
		space = Namespaces["hl7"]
	}
	if local == "*" {
		local = unexpectedName
	}
	if strings.HasSuffix(local, "()") {
		return nil, fmt.Errorf("cannot grow a %s step", local)
	}
	e := g.newElement(parent, space, local)
	for _, p := range s.Preds {
		if err := g.satisfy(ev, e, p, depth); err != nil {
			return nil, err
		}
	}
	ev.reset()
	return e, nil
}

// newElement creates {space}local under parent, at its schema place under
// ClinicalDocument, at the end elsewhere.
func (g *gen) newElement(parent *etree.Element, space, local string) *etree.Element {
	tag := g.qname(parent, space, local)
	e := etree.NewElement(tag)
	// Children replace the placeholder text a grown leaf was given.
	if strings.TrimSpace(directText(parent)) == placeholder {
		for _, t := range append([]etree.Token(nil), parent.Child...) {
			if _, ok := t.(*etree.CharData); ok {
				parent.RemoveChild(t)
			}
		}
	}
	var before *etree.Element
	if parent.Parent() != nil && parent.Parent().Parent() == nil { // the root element
		if pos := slices.Index(headerOrder, local); pos >= 0 {
			for _, c := range parent.ChildElements() {
				if cp := slices.Index(headerOrder, c.Tag); cp > pos {
					before = c
					break
				}
			}
		}
	}
	if before != nil {
		parent.InsertChildAt(before.Index(), e)
	} else {
		parent.AddChild(e)
	}
	g.grown = append(g.grown, e)
	return e
}

// qname returns the tag to write for {space}local in parent: unprefixed in
// the default namespace, else with a prefix bound in scope, declaring one on
// the root element when needed.
func (g *gen) qname(parent *etree.Element, space, local string) string {
	if nsOf(parent, "") == space {
		return local
	}
	return g.prefixFor(parent, space) + ":" + local
}

// nsOf resolves a prefix ("" for the default namespace) in scope at e.
func nsOf(e *etree.Element, prefix string) string {
	for x := e; x != nil; x = x.Parent() {
		for _, a := range x.Attr {
			if prefix == "" && a.Space == "" && a.Key == "xmlns" || prefix != "" && a.Space == "xmlns" && a.Key == prefix {
				return a.Value
			}
		}
	}
	return ""
}

func (g *gen) prefixFor(e *etree.Element, space string) string {
	for x := e; x != nil; x = x.Parent() {
		for _, a := range x.Attr {
			if a.Space == "xmlns" && a.Value == space {
				return a.Key
			}
		}
	}
	prefix := ""
	for _, p := range []string{"hl7", "sdtc", "lab", "ps3-20", "xsi", "xs"} {
		if Namespaces[p] == space {
			prefix = p
			break
		}
	}
	if prefix == "" {
		prefix = "ns" + fmt.Sprint(len(space))
	}
	root := e
	for root.Parent() != nil && root.Parent().Parent() != nil {
		root = root.Parent()
	}
	root.CreateAttr("xmlns:"+prefix, space)
	return prefix
}

// setAttr sets an attribute given as in the rules ("code", "xsi:type",
// "hl7:use").
func (g *gen) setAttr(e *etree.Element, name, value string) {
	if prefix, local, ok := strings.Cut(name, ":"); ok {
		if a := findAttr(e, name); a != nil {
			a.Value = value
			return
		}
		e.CreateAttr(g.prefixFor(e, Namespaces[prefix])+":"+local, value)
		return
	}
	e.CreateAttr(name, value)
}

// findAttr finds an attribute given as in the rules.
func findAttr(e *etree.Element, name string) *etree.Attr {
	prefix, local, ok := strings.Cut(name, ":")
	for i := range e.Attr {
		a := &e.Attr[i]
		if !ok && a.Space == "" && a.Key == name {
			return a
		}
		if ok && a.Space != "" && a.Space != "xmlns" && a.Key == local && a.NamespaceURI() == Namespaces[prefix] {
			return a
		}
	}
	return nil
}

func removeAttr(e *etree.Element, name string) bool {
	a := findAttr(e, name)
	if a == nil {
		return false
	}
	e.RemoveAttr(a.FullKey())
	return true
}

var valueSetMatch = regexp.MustCompile(`^concat\(@code, ?@codeSystem\) ?= ?doc\('([^']+)'\)`)

// satisfy makes predicate p true of the fresh element e, as far as it can.
func (g *gen) satisfy(ev *evaluator, e *etree.Element, p expr, depth int) error {
	switch p := p.(type) {
	case number, callExpr: // positions, not(…) on a fresh element
		if c, ok := p.(callExpr); ok && c.Name != "not" {
			return fmt.Errorf("cannot satisfy %s(…)", c.Name)
		}
		return nil
	case binExpr:
		switch p.Op {
		case "and":
			if err := g.satisfy(ev, e, p.L, depth); err != nil {
				return err
			}
			return g.satisfy(ev, e, p.R, depth)
		case "or":
			return g.satisfy(ev, e, p.L, depth)
		case "=":
			if c, ok := p.L.(callExpr); ok && c.Name == "concat" {
				if pe, ok := p.R.(pathExpr); ok {
					if dc, ok := pe.Filter.(callExpr); ok && dc.Name == "doc" && len(dc.Args) == 1 {
						return g.setFromValueSet(e, string(dc.Args[0].(literal)))
					}
				}
			}
			lp, ok := p.L.(pathExpr)
			lit, ok2 := p.R.(literal)
			if ok && ok2 && !lp.Abs && len(lp.Steps) == 1 && lp.Steps[0].Axis == "attribute" {
				g.setAttr(e, attrName(lp.Steps[0]), string(lit))
				return nil
			}
		case "|":
			return g.satisfy(ev, e, p.L, depth)
		}
		return fmt.Errorf("cannot satisfy predicate %v", p)
	case pathExpr:
		if p.Abs || p.Filter != nil {
			return errors.New("cannot satisfy an absolute path predicate")
		}
		cur := e
		for i, s := range p.Steps {
			if s.Axis == "attribute" && i == len(p.Steps)-1 {
				if findAttr(cur, attrName(s)) == nil {
					g.setAttr(cur, attrName(s), g.defaultValue(cur, attrName(s)))
				}
				return nil
			}
			if s.Axis != "child" {
				return fmt.Errorf("cannot satisfy a %s step", s.Axis)
			}
			var next *etree.Element
			for _, c := range cur.ChildElements() {
				if g.stepMatches(ev, s, c) {
					next = c
					break
				}
			}
			if next == nil {
				var err error
				if next, err = g.create(ev, cur, s, depth+1); err != nil {
					return err
				}
			}
			cur = next
		}
		return nil
	}
	return fmt.Errorf("cannot satisfy %T", p)
}

// attrName writes an attribute step's name as the rules do.
func attrName(s step) string {
	for p, uri := range Namespaces {
		if uri == s.Space && s.Space != "" && p != "cda" {
			return p + ":" + s.Local
		}
	}
	return s.Local
}

// setFromValueSet gives e the code, code system and display name of the
// first concept of a value set file.
func (g *gen) setFromValueSet(e *etree.Element, href string) error {
	cs, err := g.concepts(href)
	if err != nil {
		return err
	}
	c := cs[0]
	for _, a := range []string{"code", "codeSystem", "displayName"} {
		if v := c.SelectAttrValue(a, ""); v != "" {
			removeAttr(e, a)
			g.setAttr(e, a, v)
		}
	}
	return nil
}

// defaultValue is the value given to a required attribute of a grown
// element when no assert of its rule says more.
func (g *gen) defaultValue(e *etree.Element, attr string) string {
	switch attr {
	case "root":
		return "1.2.250.1.213.1.1.9"
	case "extension":
		return "MUTANT-1"
	case "codeSystem":
		return "1.2.250.1.213.1.1.9"
	case "value":
		switch e.Tag {
		case "telecom":
			return "tel:0100000000"
		case "versionNumber":
			return "1"
		}
		return "20240101120000+0100"
	case "use":
		return "WP"
	case "qualifier":
		return "BR"
	}
	return "X"
}

// fill completes a grown element: for each rule that fires on it, each
// assert that does not hold and knows how to be made to hold is fixed
// (required children and attributes, codes from value sets, fixed values).
func (g *gen) fill(ev *evaluator, e *etree.Element, depth int) {
	if depth > maxFillDepth {
		return
	}
	ev.reset()
	for _, r := range g.byLast[e.Tag] {
		if !g.claims(ev, r, e) {
			continue
		}
		asserts := slices.Clone(r.Asserts)
		// Value fixes first: they set the attributes the presence fixes
		// would otherwise fill with placeholders.
		slices.SortStableFunc(asserts, func(x, y *cdakit.Assertion) int {
			return classify(x).fixOrder() - classify(y).fixOrder()
		})
		for _, a := range asserts {
			k := classify(a)
			if k == nil || k.fix == nil {
				continue
			}
			if k.holds != nil && k.holds(g, ev, e) {
				continue
			}
			k.fix(g, ev, e, depth)
			ev.reset()
		}
	}
}

// finish gives the elements grown since g.grown was reset, once the growing
// is over and they have all their children, the content their datatype
// needs: leaves first.
func (g *gen) finish(ev *evaluator) {
	grown := g.grown
	g.grown = nil
	ev.reset()
	for i := len(grown) - 1; i >= 0; i-- {
		e := grown[i]
		if e.Parent() == nil {
			continue
		}
		dt := map[string]bool{}
		for _, r := range g.byLast[e.Tag] {
			if g.claims(ev, r, e) {
				maps.Copy(dt, g.datatypes(r))
			}
		}
		g.fillDatatype(e, dt)
	}
}

// datatypes returns the datatype rules a concrete rule inherits.
func (g *gen) datatypes(r *cdakit.Rule) map[string]bool {
	m := map[string]bool{}
	for _, id := range g.cat.Extends(r) {
		m[id] = true
	}
	return m
}

// fillDatatype gives a grown element still without content the least its
// datatype needs (DTr1 rules: a string is not empty, an identifier has a
// root, a time a value...).
func (g *gen) fillDatatype(e *etree.Element, dt map[string]bool) {
	if findAttr(e, "nullFlavor") != nil {
		return
	}
	noContent := len(e.ChildElements()) == 0 && !hasText(e)
	if len(dt) == 0 {
		// No rule checks it (a name part, say): no empty element.
		if noContent && len(e.Attr) == 0 {
			e.SetText(placeholder)
		}
		return
	}
	switch {
	case dt["II"]:
		if findAttr(e, "root") == nil {
			g.setAttr(e, "root", g.defaultValue(e, "root"))
		}
	case dt["IVL_TS"]:
		if findAttr(e, "value") == nil && len(e.ChildElements()) == 0 {
			g.add(e, "low", "value", "20240101120000+0100")
		}
	case dt["TS"]:
		if findAttr(e, "value") == nil && len(e.ChildElements()) == 0 {
			g.setAttr(e, "value", "20240101120000+0100")
		}
	case dt["CD"]:
		if findAttr(e, "code") == nil && noContent {
			g.setAttr(e, "code", "MUTANT")
			if findAttr(e, "codeSystem") == nil {
				g.setAttr(e, "codeSystem", g.defaultValue(e, "codeSystem"))
			}
		}
	case dt["CS"]:
		if findAttr(e, "code") == nil {
			g.setAttr(e, "code", "MUTANT")
		}
	case dt["URL"]:
		if findAttr(e, "value") == nil {
			g.setAttr(e, "value", "tel:0100000000")
		}
	case dt["INT"], dt["QTY"]:
		if findAttr(e, "value") == nil && noContent {
			g.setAttr(e, "value", "1")
		}
	case dt["ANY"] && !dt["BL"]:
		// Strings (ST, ED), names (EN, PN, ON), addresses (AD): text
		// only, when they have no parts.
		if noContent {
			e.SetText(placeholder)
		}
	}
}
