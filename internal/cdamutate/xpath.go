package cdamutate

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/beevik/etree"
)

// A small XPath 1.0 subset, enough for the rule contexts of the StrucMin
// schematron and for the paths inside their asserts: location paths on the
// child, descendant-or-self, self and attribute axes, name tests with the
// schematron's prefixes, predicates with and/or/not, = and !=, unions,
// positions, and the functions count, concat, doc (value set files),
// string, exists, empty. What it cannot parse is reported, never guessed.

// Namespaces are the prefixes the StrucMin schematron declares.
var Namespaces = map[string]string{
	"hl7":    "urn:hl7-org:v3",
	"cda":    "urn:hl7-org:v3",
	"sdtc":   "urn:hl7-org:sdtc",
	"lab":    "urn:oid:1.3.6.1.4.1.19376.1.3.2",
	"ps3-20": "urn:dicom-org:ps3-20",
	"xsi":    "http://www.w3.org/2001/XMLSchema-instance",
	"xs":     "http://www.w3.org/2001/XMLSchema",
	"xml":    "http://www.w3.org/XML/1998/namespace",
}

// expr is a parsed expression.
type expr interface{}

type (
	pathExpr struct {
		abs    bool     // starts at the document root
		filter expr     // a primary expression the steps apply to (doc(...)/…), or nil
		steps  []step   // may be empty for "/"
		keys   []string // for an absolute path, the source of steps[:i+1] (memo keys)
	}
	step struct {
		axis  string // child, descendant-or-self, self, attribute, parent
		space string // namespace URI, "*" for any; "" for no namespace
		local string // "*" for any, "node()" for any node
		preds []expr
		call  *callExpr // an XPath 2.0 function step (…/concept/concat(@code, @codeSystem))
	}
	binExpr struct {
		op   string // or, and, =, !=, |, <=, >=, <, >
		l, r expr
	}
	callExpr struct {
		name string
		args []expr
	}
	literal string
	number  float64
	varRef  string
)

type token struct {
	kind string // name, lit, num, op, var
	val  string
}

func tokenize(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unterminated literal in %q", s)
			}
			out = append(out, token{"lit", s[i+1 : i+1+j]})
			i += j + 2
		case c == '/' && i+1 < len(s) && s[i+1] == '/':
			out = append(out, token{"op", "//"})
			i += 2
		case c == ':' && i+1 < len(s) && s[i+1] == ':':
			out = append(out, token{"op", "::"})
			i += 2
		case c == '!' && i+1 < len(s) && s[i+1] == '=':
			out = append(out, token{"op", "!="})
			i += 2
		case (c == '<' || c == '>') && i+1 < len(s) && s[i+1] == '=':
			out = append(out, token{"op", s[i : i+2]})
			i += 2
		case strings.IndexByte("/[]()@|=,*.<>", c) >= 0:
			if c == '.' && i+1 < len(s) && s[i+1] == '.' {
				out = append(out, token{"op", ".."})
				i += 2
				continue
			}
			if c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				j := i + 1
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				out = append(out, token{"num", s[i:j]})
				i = j
				continue
			}
			out = append(out, token{"op", string(c)})
			i++
		case c == '$':
			j := i + 1
			for j < len(s) && isNameChar(rune(s[j])) {
				j++
			}
			out = append(out, token{"var", s[i+1 : j]})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			out = append(out, token{"num", s[i:j]})
			i = j
		case isNameStart(rune(c)):
			j := i
			for j < len(s) && isNameChar(rune(s[j])) {
				j++
			}
			// A QName: prefix:local or prefix:*.
			if j+1 < len(s) && s[j] == ':' && s[j+1] != ':' {
				if s[j+1] == '*' {
					j += 2
				} else if isNameStart(rune(s[j+1])) {
					j++
					for j < len(s) && isNameChar(rune(s[j])) {
						j++
					}
				}
			}
			out = append(out, token{"name", s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q in %q", c, s)
		}
	}
	return out, nil
}

func isNameStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isNameChar(r rune) bool {
	return r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

type parser struct {
	toks []token
	pos  int
	src  string
}

// parseXPath parses an expression of the subset.
func parseXPath(s string) (expr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, src: s}
	e, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q at token %d of %q", p.toks[p.pos].val, p.pos, s)
	}
	return e, nil
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *parser) isOp(v string) bool { t := p.peek(); return t.kind == "op" && t.val == v }

func (p *parser) isKeyword(v string) bool { t := p.peek(); return t.kind == "name" && t.val == v }

func (p *parser) expect(v string) error {
	if !p.isOp(v) {
		return fmt.Errorf("expected %q at token %d of %q", v, p.pos, p.src)
	}
	p.pos++
	return nil
}

func (p *parser) orExpr() (expr, error) {
	l, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		p.pos++
		r, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		l = binExpr{"or", l, r}
	}
	return l, nil
}

func (p *parser) andExpr() (expr, error) {
	l, err := p.cmpExpr()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		p.pos++
		r, err := p.cmpExpr()
		if err != nil {
			return nil, err
		}
		l = binExpr{"and", l, r}
	}
	return l, nil
}

func (p *parser) cmpExpr() (expr, error) {
	l, err := p.unionExpr()
	if err != nil {
		return nil, err
	}
	for _, op := range []string{"=", "!=", "<=", ">=", "<", ">"} {
		if p.isOp(op) {
			p.pos++
			r, err := p.unionExpr()
			if err != nil {
				return nil, err
			}
			return binExpr{op, l, r}, nil
		}
	}
	return l, nil
}

func (p *parser) unionExpr() (expr, error) {
	l, err := p.pathExpr()
	if err != nil {
		return nil, err
	}
	for p.isOp("|") {
		p.pos++
		r, err := p.pathExpr()
		if err != nil {
			return nil, err
		}
		l = binExpr{"|", l, r}
	}
	return l, nil
}

func (p *parser) pathExpr() (expr, error) {
	t := p.peek()
	switch {
	case t.kind == "lit":
		p.pos++
		return literal(t.val), nil
	case t.kind == "num":
		p.pos++
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, err
		}
		return number(f), nil
	case t.kind == "var":
		p.pos++
		return varRef(t.val), nil
	case t.kind == "op" && t.val == "(":
		p.pos++
		e, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	case t.kind == "name" && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == "op" && p.toks[p.pos+1].val == "(" && !isNodeType(t.val):
		call, err := p.call()
		if err != nil {
			return nil, err
		}
		if p.isOp("/") || p.isOp("//") {
			pe := pathExpr{filter: call}
			if err := p.relSteps(&pe, true, 0); err != nil {
				return nil, err
			}
			return pe, nil
		}
		return call, nil
	}
	pe := pathExpr{}
	start := p.pos
	if p.isOp("/") {
		p.pos++
		pe.abs = true
		if !p.startsStep() {
			return pe, nil
		}
	} else if p.isOp("//") {
		p.pos++
		pe.abs = true
		pe.steps = append(pe.steps, step{axis: "descendant-or-self", space: "*", local: "node()"})
		pe.keys = append(pe.keys, "//")
	}
	if err := p.relSteps(&pe, false, start); err != nil {
		return nil, err
	}
	return pe, nil
}

func (p *parser) text(from, to int) string {
	var b strings.Builder
	for _, t := range p.toks[from:to] {
		if t.kind == "lit" {
			b.WriteString("'" + t.val + "'")
		} else {
			b.WriteString(t.val)
		}
		b.WriteByte(' ')
	}
	return b.String()
}

func isNodeType(n string) bool { return n == "node" || n == "text" }

func (p *parser) startsStep() bool {
	t := p.peek()
	return t.kind == "name" || (t.kind == "op" && (t.val == "@" || t.val == "*" || t.val == "." || t.val == ".."))
}

// relSteps parses steps; leadingSep says a separator comes first. For an
// absolute path it records the memo key of each step: the source text from
// start to the end of the step.
func (p *parser) relSteps(pe *pathExpr, leadingSep bool, start int) error {
	first := !leadingSep
	for {
		if !first {
			if p.isOp("//") {
				pe.steps = append(pe.steps, step{axis: "descendant-or-self", space: "*", local: "node()"})
				if pe.abs {
					pe.keys = append(pe.keys, p.text(start, p.pos+1))
				}
			} else if !p.isOp("/") {
				return nil
			}
			p.pos++
		}
		first = false
		s, err := p.step()
		if err != nil {
			return err
		}
		pe.steps = append(pe.steps, s)
		if pe.abs {
			pe.keys = append(pe.keys, p.text(start, p.pos))
		}
	}
}

func (p *parser) step() (step, error) {
	s := step{axis: "child"}
	if t := p.peek(); t.kind == "name" && !isNodeType(t.val) && p.pos+1 < len(p.toks) && p.toks[p.pos+1].val == "(" {
		c, err := p.call()
		if err != nil {
			return s, err
		}
		ce := c.(callExpr)
		return step{call: &ce}, nil
	}
	switch {
	case p.isOp("."):
		p.pos++
		return step{axis: "self", space: "*", local: "node()"}, nil
	case p.isOp(".."):
		p.pos++
		return step{axis: "parent", space: "*", local: "node()"}, nil
	case p.isOp("@"):
		p.pos++
		s.axis = "attribute"
	case p.peek().kind == "name" && p.pos+1 < len(p.toks) && p.toks[p.pos+1].val == "::":
		s.axis = p.peek().val
		p.pos += 2
		if s.axis != "self" && s.axis != "child" && s.axis != "attribute" && s.axis != "descendant-or-self" {
			return s, fmt.Errorf("axis %s not supported in %q", s.axis, p.src)
		}
	}
	t := p.peek()
	switch {
	case t.kind == "op" && t.val == "*":
		p.pos++
		s.space, s.local = "*", "*"
	case t.kind == "name" && isNodeType(t.val):
		p.pos++
		if err := p.expect("("); err != nil {
			return s, err
		}
		if err := p.expect(")"); err != nil {
			return s, err
		}
		s.space, s.local = "*", t.val+"()"
	case t.kind == "name":
		p.pos++
		prefix, local, ok := strings.Cut(t.val, ":")
		if !ok {
			local, prefix = prefix, ""
		}
		switch {
		case prefix == "":
			s.space = "" // an unprefixed name is in no namespace (XPath 1.0/2.0 default)
		case prefix == "*":
			s.space = "*"
		default:
			uri, known := Namespaces[prefix]
			if !known {
				return s, fmt.Errorf("unknown prefix %q in %q", prefix, p.src)
			}
			s.space = uri
		}
		s.local = local
	default:
		return s, fmt.Errorf("expected a name test at token %d of %q", p.pos, p.src)
	}
	for p.isOp("[") {
		p.pos++
		e, err := p.orExpr()
		if err != nil {
			return s, err
		}
		if err := p.expect("]"); err != nil {
			return s, err
		}
		s.preds = append(s.preds, e)
	}
	return s, nil
}

func (p *parser) call() (expr, error) {
	name := p.peek().val
	p.pos += 2 // name (
	c := callExpr{name: name}
	if p.isOp(")") {
		p.pos++
		return c, nil
	}
	for {
		a, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, a)
		if p.isOp(",") {
			p.pos++
			continue
		}
		return c, p.expect(")")
	}
}

// node is an element, an attribute or a document root.
type node struct {
	e    *etree.Element
	attr *etree.Attr     // with e its owner
	root *etree.Document // set for a document root only
}

// evaluator evaluates expressions over one document.
type evaluator struct {
	doc  *etree.Document
	docs func(href string) (*etree.Document, error) // value set files
	vars map[string]any
	memo map[string][]node // absolute path prefixes already evaluated on doc
}

// reset forgets the memo: call it after changing the document.
func (ev *evaluator) reset() { ev.memo = nil }

func (ev *evaluator) eval(e expr, ctx node) (any, error) {
	switch e := e.(type) {
	case literal:
		return string(e), nil
	case number:
		return float64(e), nil
	case varRef:
		v, ok := ev.vars[string(e)]
		if !ok {
			return nil, fmt.Errorf("unbound variable $%s", string(e))
		}
		return v, nil
	case pathExpr:
		return ev.path(e, ctx)
	case callExpr:
		return ev.call(e, ctx)
	case binExpr:
		switch e.op {
		case "or", "and":
			l, err := ev.evalBool(e.l, ctx)
			if err != nil {
				return nil, err
			}
			if e.op == "or" && l || e.op == "and" && !l {
				return l, nil
			}
			return ev.evalBool(e.r, ctx)
		case "|":
			l, err := ev.evalNodes(e.l, ctx)
			if err != nil {
				return nil, err
			}
			r, err := ev.evalNodes(e.r, ctx)
			if err != nil {
				return nil, err
			}
			return union(l, r), nil
		default:
			l, err := ev.eval(e.l, ctx)
			if err != nil {
				return nil, err
			}
			r, err := ev.eval(e.r, ctx)
			if err != nil {
				return nil, err
			}
			return compare(e.op, l, r), nil
		}
	}
	return nil, fmt.Errorf("cannot evaluate %T", e)
}

func (ev *evaluator) evalBool(e expr, ctx node) (bool, error) {
	v, err := ev.eval(e, ctx)
	if err != nil {
		return false, err
	}
	return boolean(v), nil
}

// elements keeps the elements of a node-set value.
func elements(v any) []*etree.Element {
	ns, _ := v.([]node)
	var out []*etree.Element
	for _, n := range ns {
		if n.e != nil && n.attr == nil && n.root == nil {
			out = append(out, n.e)
		}
	}
	return out
}

func (ev *evaluator) evalNodes(e expr, ctx node) ([]node, error) {
	v, err := ev.eval(e, ctx)
	if err != nil {
		return nil, err
	}
	ns, ok := v.([]node)
	if !ok {
		return nil, fmt.Errorf("not a node-set: %v", v)
	}
	return ns, nil
}

func (ev *evaluator) path(pe pathExpr, ctx node) (any, error) {
	var cur []node
	switch {
	case pe.filter != nil:
		v, err := ev.eval(pe.filter, ctx)
		if err != nil {
			return nil, err
		}
		ns, ok := v.([]node)
		if !ok {
			return nil, fmt.Errorf("path on a non-node-set")
		}
		cur = ns
	case pe.abs:
		cur = []node{{root: ev.doc}}
	default:
		cur = []node{ctx}
	}
	for i, s := range pe.steps {
		if s.call != nil {
			if i != len(pe.steps)-1 {
				return nil, fmt.Errorf("a function step must be the last")
			}
			var vals []string
			for _, n := range cur {
				v, err := ev.call(*s.call, n)
				if err != nil {
					return nil, err
				}
				vals = append(vals, toString(v))
			}
			return vals, nil
		}
		memoKey := ""
		if pe.abs && pe.filter == nil && i < len(pe.keys) {
			memoKey = pe.keys[i]
			if m, ok := ev.memo[memoKey]; ok {
				cur = m
				continue
			}
		}
		var next []node
		for _, n := range cur {
			cands := ev.axis(s, n)
			matched := cands[:0:0]
			for _, c := range cands {
				if nameMatches(s, c) {
					matched = append(matched, c)
				}
			}
			for _, pr := range s.preds {
				var kept []node
				for i, c := range matched {
					v, err := ev.eval(pr, c)
					if err != nil {
						return nil, err
					}
					if f, ok := v.(float64); ok {
						if int(f) == i+1 {
							kept = append(kept, c)
						}
					} else if boolean(v) {
						kept = append(kept, c)
					}
				}
				matched = kept
			}
			next = union(next, matched)
		}
		cur = next
		if memoKey != "" {
			if ev.memo == nil {
				ev.memo = map[string][]node{}
			}
			ev.memo[memoKey] = cur
		}
	}
	return cur, nil
}

func (ev *evaluator) axis(s step, n node) []node {
	var out []node
	children := func(n node) []*etree.Element {
		if n.root != nil {
			if r := n.root.Root(); r != nil {
				return []*etree.Element{r}
			}
			return nil
		}
		if n.attr != nil || n.e == nil {
			return nil
		}
		return n.e.ChildElements()
	}
	switch s.axis {
	case "child":
		for _, c := range children(n) {
			out = append(out, node{e: c})
		}
	case "self":
		out = append(out, n)
	case "parent":
		switch {
		case n.attr != nil:
			out = append(out, node{e: n.e})
		case n.e != nil && n.e.Parent() != nil && n.e.Parent().Parent() != nil:
			out = append(out, node{e: n.e.Parent()})
		case n.e != nil:
			out = append(out, node{root: ev.doc})
		}
	case "attribute":
		if n.e != nil && n.attr == nil {
			for i := range n.e.Attr {
				a := &n.e.Attr[i]
				if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
					continue
				}
				out = append(out, node{e: n.e, attr: a})
			}
		}
	case "descendant-or-self":
		var walk func(n node)
		walk = func(n node) {
			out = append(out, n)
			for _, c := range children(n) {
				walk(node{e: c})
			}
		}
		walk(n)
	}
	return out
}

func nameMatches(s step, n node) bool {
	if s.local == "node()" {
		return true
	}
	if s.local == "text()" {
		return false
	}
	if s.axis == "attribute" {
		if n.attr == nil {
			return false
		}
		if s.local != "*" && n.attr.Key != s.local {
			return false
		}
		return s.space == "*" || attrNS(n.attr) == s.space
	}
	if n.attr != nil || n.root != nil || n.e == nil {
		return false
	}
	if s.local != "*" && n.e.Tag != s.local {
		return false
	}
	return s.space == "*" || n.e.NamespaceURI() == s.space
}

func attrNS(a *etree.Attr) string {
	if a.Space == "" {
		return ""
	}
	return a.NamespaceURI()
}

func union(a, b []node) []node {
	if len(a) == 0 {
		return b
	}
	out := a
	for _, x := range b {
		dup := false
		for _, y := range a {
			if x == y {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

func (ev *evaluator) call(c callExpr, ctx node) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		v, err := ev.eval(a, ctx)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	switch c.name {
	case "not":
		if len(args) == 1 {
			return !boolean(args[0]), nil
		}
	case "exists", "boolean":
		if len(args) == 1 {
			return boolean(args[0]), nil
		}
	case "empty":
		if len(args) == 1 {
			return !boolean(args[0]), nil
		}
	case "count":
		if ns, ok := args[0].([]node); ok && len(args) == 1 {
			return float64(len(ns)), nil
		}
	case "string":
		if len(args) == 0 {
			return stringValue(ctx), nil
		}
		return toString(args[0]), nil
	case "concat":
		var b strings.Builder
		for _, a := range args {
			b.WriteString(toString(a))
		}
		return b.String(), nil
	case "doc":
		if len(args) == 1 && ev.docs != nil {
			d, err := ev.docs(toString(args[0]))
			if err != nil {
				return nil, err
			}
			return []node{{root: d}}, nil
		}
	}
	return nil, fmt.Errorf("function %s/%d not supported", c.name, len(c.args))
}

func stringValue(n node) string {
	switch {
	case n.attr != nil:
		return n.attr.Value
	case n.e != nil:
		return textOf(n.e)
	}
	return ""
}

func textOf(e *etree.Element) string {
	var b strings.Builder
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Element:
			b.WriteString(textOf(t))
		}
	}
	return b.String()
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []node:
		if len(v) == 0 {
			return ""
		}
		return stringValue(v[0])
	case []string:
		if len(v) == 0 {
			return ""
		}
		return v[0]
	}
	return ""
}

func boolean(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0
	case []node:
		return len(v) > 0
	case []string:
		return len(v) > 0
	}
	return false
}

// compare implements the XPath 1.0 general comparisons this subset needs:
// existential over node-sets, on strings for = and !=, on numbers otherwise.
func compare(op string, l, r any) bool {
	ls, rs := values(l), values(r)
	for _, a := range ls {
		for _, b := range rs {
			if cmp1(op, a, b) {
				return true
			}
		}
	}
	return false
}

func values(v any) []any {
	if ss, ok := v.([]string); ok {
		out := make([]any, len(ss))
		for i, s := range ss {
			out[i] = s
		}
		return out
	}
	if ns, ok := v.([]node); ok {
		out := make([]any, len(ns))
		for i, n := range ns {
			out[i] = stringValue(n)
		}
		return out
	}
	return []any{v}
}

func cmp1(op string, a, b any) bool {
	if op == "=" || op == "!=" {
		if ab, ok := a.(bool); ok {
			return (ab == boolean(b)) == (op == "=")
		}
		if bb, ok := b.(bool); ok {
			return (bb == boolean(a)) == (op == "=")
		}
		_, an := a.(float64)
		_, bn := b.(float64)
		if an || bn {
			x, y := toNumber(a), toNumber(b)
			return (x == y) == (op == "=")
		}
		return (toString(a) == toString(b)) == (op == "=")
	}
	x, y := toNumber(a), toNumber(b)
	switch op {
	case "<":
		return x < y
	case ">":
		return x > y
	case "<=":
		return x <= y
	case ">=":
		return x >= y
	}
	return false
}

func toNumber(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case bool:
		if v {
			return 1
		}
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(toString(v)), 64)
	if err != nil {
		return -1 << 62 // NaN stand-in: compares false with everything sensible
	}
	return f
}
