// Package xpath parses the small XPath subset of the StrucMin schematron's
// rule contexts and of the paths inside its asserts: location paths on the
// child, descendant-or-self, self, parent and attribute axes, name tests with
// the schematron's prefixes, predicates with and/or/not, = and !=, unions,
// positions, function calls (count, concat, doc, string, exists, empty...).
// What it cannot parse is reported, never guessed.
//
// It only parses: internal/cdamutate evaluates the expressions on the
// documents it mutates, and cda/internal/kitgen compiles them into the Go
// rule table of package cda.
package xpath

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

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

// Expr is a parsed expression: Path, Binary, Call, Literal, Number or Var.
type Expr interface{}

type (
	// Path is a location path.
	Path struct {
		Abs    bool     // starts at the document root
		Filter Expr     // a primary expression the steps apply to (doc(...)/…), or nil
		Steps  []Step   // may be empty for "/"
		Keys   []string // for an absolute path, the source of Steps[:i+1] (memo keys)
	}
	// Step is one step of a path.
	Step struct {
		Axis  string // child, descendant-or-self, self, attribute, parent
		Space string // namespace URI, "*" for any; "" for no namespace
		Local string // "*" for any, "node()" for any node, "text()"
		Preds []Expr
		Call  *Call // an XPath 2.0 function step (…/concept/concat(@code, @codeSystem))
	}
	// Binary is an operator and its operands.
	Binary struct {
		Op   string // or, and, =, !=, |, <=, >=, <, >
		L, R Expr
	}
	// Call is a function call.
	Call struct {
		Name string
		Args []Expr
	}
	// Literal is a string literal.
	Literal string
	// Number is a numeric literal.
	Number float64
	// Var is a variable reference ($name), without the dollar.
	Var string
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

// Parse parses an expression of the subset.
func Parse(s string) (Expr, error) {
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

func (p *parser) orExpr() (Expr, error) {
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
		l = Binary{"or", l, r}
	}
	return l, nil
}

func (p *parser) andExpr() (Expr, error) {
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
		l = Binary{"and", l, r}
	}
	return l, nil
}

func (p *parser) cmpExpr() (Expr, error) {
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
			return Binary{op, l, r}, nil
		}
	}
	return l, nil
}

func (p *parser) unionExpr() (Expr, error) {
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
		l = Binary{"|", l, r}
	}
	return l, nil
}

func (p *parser) pathExpr() (Expr, error) {
	t := p.peek()
	switch {
	case t.kind == "lit":
		p.pos++
		return Literal(t.val), nil
	case t.kind == "num":
		p.pos++
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, err
		}
		return Number(f), nil
	case t.kind == "var":
		p.pos++
		return Var(t.val), nil
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
			pe := Path{Filter: call}
			if err := p.relSteps(&pe, true, 0); err != nil {
				return nil, err
			}
			return pe, nil
		}
		return call, nil
	}
	pe := Path{}
	start := p.pos
	if p.isOp("/") {
		p.pos++
		pe.Abs = true
		if !p.startsStep() {
			return pe, nil
		}
	} else if p.isOp("//") {
		p.pos++
		pe.Abs = true
		pe.Steps = append(pe.Steps, Step{Axis: "descendant-or-self", Space: "*", Local: "node()"})
		pe.Keys = append(pe.Keys, "//")
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
func (p *parser) relSteps(pe *Path, leadingSep bool, start int) error {
	first := !leadingSep
	for {
		if !first {
			if p.isOp("//") {
				pe.Steps = append(pe.Steps, Step{Axis: "descendant-or-self", Space: "*", Local: "node()"})
				if pe.Abs {
					pe.Keys = append(pe.Keys, p.text(start, p.pos+1))
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
		pe.Steps = append(pe.Steps, s)
		if pe.Abs {
			pe.Keys = append(pe.Keys, p.text(start, p.pos))
		}
	}
}

func (p *parser) step() (Step, error) {
	s := Step{Axis: "child"}
	if t := p.peek(); t.kind == "name" && !isNodeType(t.val) && p.pos+1 < len(p.toks) && p.toks[p.pos+1].val == "(" {
		c, err := p.call()
		if err != nil {
			return s, err
		}
		ce := c.(Call)
		return Step{Call: &ce}, nil
	}
	switch {
	case p.isOp("."):
		p.pos++
		return Step{Axis: "self", Space: "*", Local: "node()"}, nil
	case p.isOp(".."):
		p.pos++
		return Step{Axis: "parent", Space: "*", Local: "node()"}, nil
	case p.isOp("@"):
		p.pos++
		s.Axis = "attribute"
	case p.peek().kind == "name" && p.pos+1 < len(p.toks) && p.toks[p.pos+1].val == "::":
		s.Axis = p.peek().val
		p.pos += 2
		if s.Axis != "self" && s.Axis != "child" && s.Axis != "attribute" && s.Axis != "descendant-or-self" {
			return s, fmt.Errorf("axis %s not supported in %q", s.Axis, p.src)
		}
	}
	t := p.peek()
	switch {
	case t.kind == "op" && t.val == "*":
		p.pos++
		s.Space, s.Local = "*", "*"
	case t.kind == "name" && isNodeType(t.val):
		p.pos++
		if err := p.expect("("); err != nil {
			return s, err
		}
		if err := p.expect(")"); err != nil {
			return s, err
		}
		s.Space, s.Local = "*", t.val+"()"
	case t.kind == "name":
		p.pos++
		prefix, local, ok := strings.Cut(t.val, ":")
		if !ok {
			local, prefix = prefix, ""
		}
		switch {
		case prefix == "":
			s.Space = "" // an unprefixed name is in no namespace (XPath 1.0/2.0 default)
		case prefix == "*":
			s.Space = "*"
		default:
			uri, known := Namespaces[prefix]
			if !known {
				return s, fmt.Errorf("unknown prefix %q in %q", prefix, p.src)
			}
			s.Space = uri
		}
		s.Local = local
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
		s.Preds = append(s.Preds, e)
	}
	return s, nil
}

func (p *parser) call() (Expr, error) {
	name := p.peek().val
	p.pos += 2 // name (
	c := Call{Name: name}
	if p.isOp(")") {
		p.pos++
		return c, nil
	}
	for {
		a, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		c.Args = append(c.Args, a)
		if p.isOp(",") {
			p.pos++
			continue
		}
		return c, p.expect(")")
	}
}
