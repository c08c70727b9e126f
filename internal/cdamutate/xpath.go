package cdamutate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/internal/cdakit/xpath"
)

// The expressions are parsed by internal/cdakit/xpath; this file evaluates
// them on etree documents: location paths on the child, descendant-or-self,
// self, parent and attribute axes, predicates, unions, comparisons, and the
// functions count, concat, doc (value set files), string, exists, empty.

// Namespaces are the prefixes the StrucMin schematron declares.
var Namespaces = xpath.Namespaces

// The parsed expressions, under this package's names.
type (
	expr     = xpath.Expr
	pathExpr = xpath.Path
	step     = xpath.Step
	binExpr  = xpath.Binary
	callExpr = xpath.Call
	literal  = xpath.Literal
	number   = xpath.Number
	varRef   = xpath.Var
)

func parseXPath(s string) (expr, error) { return xpath.Parse(s) }

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
		switch e.Op {
		case "or", "and":
			l, err := ev.evalBool(e.L, ctx)
			if err != nil {
				return nil, err
			}
			if e.Op == "or" && l || e.Op == "and" && !l {
				return l, nil
			}
			return ev.evalBool(e.R, ctx)
		case "|":
			l, err := ev.evalNodes(e.L, ctx)
			if err != nil {
				return nil, err
			}
			r, err := ev.evalNodes(e.R, ctx)
			if err != nil {
				return nil, err
			}
			return union(l, r), nil
		default:
			l, err := ev.eval(e.L, ctx)
			if err != nil {
				return nil, err
			}
			r, err := ev.eval(e.R, ctx)
			if err != nil {
				return nil, err
			}
			return compare(e.Op, l, r), nil
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
	case pe.Filter != nil:
		v, err := ev.eval(pe.Filter, ctx)
		if err != nil {
			return nil, err
		}
		ns, ok := v.([]node)
		if !ok {
			return nil, fmt.Errorf("path on a non-node-set")
		}
		cur = ns
	case pe.Abs:
		cur = []node{{root: ev.doc}}
	default:
		cur = []node{ctx}
	}
	for i, s := range pe.Steps {
		if s.Call != nil {
			if i != len(pe.Steps)-1 {
				return nil, fmt.Errorf("a function step must be the last")
			}
			var vals []string
			for _, n := range cur {
				v, err := ev.call(*s.Call, n)
				if err != nil {
					return nil, err
				}
				vals = append(vals, toString(v))
			}
			return vals, nil
		}
		memoKey := ""
		if pe.Abs && pe.Filter == nil && i < len(pe.Keys) {
			memoKey = pe.Keys[i]
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
			for _, pr := range s.Preds {
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
	switch s.Axis {
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
	if s.Local == "node()" {
		return true
	}
	if s.Local == "text()" {
		return false
	}
	if s.Axis == "attribute" {
		if n.attr == nil {
			return false
		}
		if s.Local != "*" && n.attr.Key != s.Local {
			return false
		}
		return s.Space == "*" || attrNS(n.attr) == s.Space
	}
	if n.attr != nil || n.root != nil || n.e == nil {
		return false
	}
	if s.Local != "*" && n.e.Tag != s.Local {
		return false
	}
	return s.Space == "*" || n.e.NamespaceURI() == s.Space
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
	args := make([]any, len(c.Args))
	for i, a := range c.Args {
		v, err := ev.eval(a, ctx)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	switch c.Name {
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
	return nil, fmt.Errorf("function %s/%d not supported", c.Name, len(c.Args))
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
