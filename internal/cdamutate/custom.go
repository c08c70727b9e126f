package cdamutate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/internal/cdakit"
)

// breakFunc makes an assert fail at e and says how.
type breakFunc func(g *gen, ev *evaluator, e *etree.Element) (string, error)

// custom returns the hand-written breaking of an assert whose test is not
// one of the generated shapes, or nil: the DTr1 datatype rules by assert id,
// the CI-SIS specific asserts by test.
func custom(a *cdakit.Assertion, test string) *kind {
	if a.Rule.Abstract {
		if b, ok := datatypeBreaks[a.ID]; ok {
			return &kind{name: "datatype", brk: b}
		}
		return nil
	}
	name := cdakit.ShapeOf(a).Kind
	if brk, ok := ciSISBreaks[name]; ok {
		k := &kind{name: name, brk: brk}
		if f, ok := ciSISFixes[name]; ok {
			k.holds, k.fix = f.holds, f.fix
		}
		return k
	}
	return nil
}

// hl7 helpers for the breakings.

func hl7Children(e *etree.Element, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == Namespaces["hl7"] {
			out = append(out, c)
		}
	}
	return out
}

func hl7Child(e *etree.Element, local string) *etree.Element {
	if cs := hl7Children(e, local); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// add creates an hl7 child with attributes given as name, value pairs.
func (g *gen) add(e *etree.Element, local string, attrs ...string) *etree.Element {
	c := g.newElement(e, Namespaces["hl7"], local)
	for i := 0; i+1 < len(attrs); i += 2 {
		g.setAttr(c, attrs[i], attrs[i+1])
	}
	return c
}

// dupAfter inserts a copy of e right after it and returns the copy.
func dupAfter(e *etree.Element) *etree.Element {
	c := e.Copy()
	e.Parent().InsertChildAt(e.Index()+1, c)
	return c
}

// set sets attributes (name, value pairs), replacing them.
func (g *gen) set(e *etree.Element, attrs ...string) {
	for i := 0; i+1 < len(attrs); i += 2 {
		removeAttr(e, attrs[i])
		g.setAttr(e, attrs[i], attrs[i+1])
	}
}

func hasText(e *etree.Element) bool { return strings.TrimSpace(directText(e)) != "" }

func directText(e *etree.Element) string {
	var b strings.Builder
	for _, t := range e.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// empty removes the content of e: children, text and the given attributes.
func empty(e *etree.Element, attrs ...string) {
	for _, t := range append([]etree.Token(nil), e.Child...) {
		switch t.(type) {
		case *etree.Element, *etree.CharData:
			e.RemoveChild(t)
		}
	}
	for _, a := range attrs {
		removeAttr(e, a)
	}
}

var errNotHere = errors.New("not applicable to this node")

// withNullFlavor sets nullFlavor on e and the given attributes.
func (g *gen) withNullFlavor(e *etree.Element, attrs ...string) string {
	g.set(e, append([]string{"nullFlavor", "UNK"}, attrs...)...)
	return "nullFlavor=\"UNK\" with " + strings.Join(attrs, "=")
}

// nullSibling: e gets a nullFlavor and a copy of it without one beside it.
func (g *gen) nullSibling(e *etree.Element) string {
	dupAfter(e)
	g.set(e, "nullFlavor", "UNK")
	return "nullFlavor on a " + e.Tag + " beside a non-null one"
}

// ivl makes sure e has low and high children with values.
func (g *gen) ivl(e *etree.Element, low, high string) (*etree.Element, *etree.Element) {
	removeAttr(e, "value")
	l, h := hl7Child(e, "low"), hl7Child(e, "high")
	if l == nil {
		l = g.add(e, "low")
	}
	if h == nil {
		h = g.add(e, "high")
	}
	g.set(l, "value", low)
	g.set(h, "value", high)
	return l, h
}

// datatypeBreaks breaks the asserts of the DTr1 datatype rules (see the kit's
// include/DTr1_*.sch), by assert id. Each gets the node of a rule that
// inherits the datatype; when it does not apply there, the next such rule is
// tried.
var datatypeBreaks = map[string]breakFunc{
	// AD: addresses.
	"AD/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if len(e.ChildElements()) == 0 {
			return "", errNotHere
		}
		e.CreateText("mixed")
		return "text beside the address parts", nil
	},
	"AD/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "thumbnail")
		return g.withNullFlavor(e) + " and a thumbnail", nil
	},
	"AD/3": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "useablePeriod", "updateMode", "A")
		return "useablePeriod with updateMode", nil
	},
	"AD/4": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		p := g.add(e, "useablePeriod")
		g.add(p, "low", "value", "2020")
		g.add(p, "high", "value", "20210101")
		return "useablePeriod low and high of different precision", nil
	},
	"AD/5": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		p := g.add(e, "useablePeriod")
		g.add(p, "low", "value", "20210101")
		g.add(p, "high", "value", "20200101")
		return "useablePeriod low after high", nil
	},
	"AD/6": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		p := g.add(e, "useablePeriod")
		g.add(p, "width", "value", "1", "unit", "xx")
		return "useablePeriod width in unit xx", nil
	},
	"AD/7": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "additionalLocator")
		return "an empty address part", nil
	},
	"AD/8": func(g *gen, ev *evaluator, e *etree.Element) (string, error) { return g.nullSibling(e), nil },
	"AD/9": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		dupAfter(e)
		return "the same address twice", nil
	},
	// ANY: a nullFlavor with content.
	"ANY/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if !hasText(e) && len(e.ChildElements()) == 0 {
			e.SetText("x")
		}
		return g.withNullFlavor(e) + " and content", nil
	},
	// BIN (ED, ST): empty.
	"BIN/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		empty(e, "nullFlavor")
		return "empty, without nullFlavor", nil
	},
	// CD, CE, CV: coded values.
	"CD/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		empty(e, "code", "nullFlavor")
		return "no code, no originalText, no nullFlavor", nil
	},
	"CD/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "code", "X")
		removeAttr(e, "codeSystem")
		return "code without codeSystem", nil
	},
	"CD/3": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "codeSystem")
		g.set(e, "codeSystemName", "X")
		return "codeSystemName without codeSystem", nil
	},
	"CD/4": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "codeSystem")
		g.set(e, "codeSystemVersion", "1")
		return "codeSystemVersion without codeSystem", nil
	},
	"CD/5": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "code")
		g.set(e, "displayName", "X")
		return "displayName without code", nil
	},
	"CD/6": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "code", "X"), nil
	},
	"CD/7": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "displayName", "X"), nil
	},
	"CD/8": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "translation", "nullFlavor", "UNK")
		return "a null translation", nil
	},
	"CD/9": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "translation", "codeSystem", "1.2.250.1.213.1.1.9")
		return "translation with codeSystem and no code", nil
	},
	"CD/10": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "translation", "code", "X", "codeSystemName", "X")
		return "translation with codeSystemName and no codeSystem", nil
	},
	"CD/11": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "translation", "code", "X", "codeSystemVersion", "1")
		return "translation with codeSystemVersion and no codeSystem", nil
	},
	"CD/12": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "translation", "codeSystem", "1.2.250.1.213.1.1.9", "displayName", "X")
		return "translation with displayName and no code", nil
	},
	"CD/13": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if findAttr(e, "code") == nil {
			return "", errNotHere
		}
		g.set(e, "displayName", "Tab\there")
		return "a tab in displayName", nil
	},
	"CD/14": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if findAttr(e, "code") == nil {
			return "", errNotHere
		}
		dupAfter(e)
		return "the same code twice", nil
	},
	"CD/15": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "translation", "code", "X", "codeSystem", "1.2.250.1.213.1.1.9")
		g.add(e, "translation", "code", "X", "codeSystem", "1.2.250.1.213.1.1.9")
		return "the same translation twice", nil
	},
	"CD/16": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "originalText", "language", "12")
		return "originalText language 12", nil
	},
	"CE/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "qualifier")
		return "a qualifier", nil
	},
	"CR/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		empty(e, "nullFlavor")
		return "no content, no nullFlavor", nil
	},
	// CS: simple codes.
	"CS/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "code")
		removeAttr(e, "typeCode")
		removeAttr(e, "nullFlavor")
		return "no code, no nullFlavor", nil
	},
	"CS/4": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "codeSystemVersion", "1")
		return "codeSystemVersion on a CS", nil
	},
	"CS/5": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "displayName", "X")
		return "displayName on a CS", nil
	},
	"CS/6": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "originalText")
		return "originalText on a CS", nil
	},
	"CS/7": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "qualifier")
		return "qualifier on a CS", nil
	},
	"CS/8": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "translation")
		return "translation on a CS", nil
	},
	// ED (BIN), and ST which restricts it.
	"ED/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "integrityCheckAlgorithm")
		g.set(e, "integrityCheck", "AAAA")
		return "integrityCheck without algorithm", nil
	},
	"ED/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		t := g.add(e, "thumbnail", "nullFlavor", "UNK")
		g.add(t, "reference", "value", "x")
		return "a null thumbnail with a reference", nil
	},
	"ED/3": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		t := g.add(e, "thumbnail")
		g.add(t, "thumbnail")
		return "a thumbnail in a thumbnail", nil
	},
	"ED/4": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "compression", "DF")
		return "compression on text", nil
	},
	"ED/5": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "value", "x", "mediaType", "text/html")
		return "value with mediaType text/html", nil
	},
	"ED/6": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "reference", "value", "x", "updateMode", "A")
		return "reference with updateMode", nil
	},
	"ED/7": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "value", "x", "charset", "UTF-8")
		return "value with charset", nil
	},
	"ED/8": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "translation")
		return "a translation", nil
	},
	"ED/9": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "mediaType", "text/html"), nil
	},
	"ED/10": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "charset", "UTF-8"), nil
	},
	"ED/11": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "language", "fr"), nil
	},
	"ED/12": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "compression", "DF"), nil
	},
	"ED/13": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "integrityCheck", "AAAA"), nil
	},
	"ED/14": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "integrityCheckAlgorithm", "SHA-256"), nil
	},
	"ED/15": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "thumbnail")
		return g.withNullFlavor(e) + " and a thumbnail", nil
	},
	"ED/16": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "translation")
		return g.withNullFlavor(e) + " and a translation", nil
	},
	"ED/17": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "language", "12")
		return "language 12", nil
	},
	// EN, PN, ON: names.
	"EN/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if len(e.ChildElements()) == 0 && !hasText(e) {
			return "", errNotHere
		}
		return g.withNullFlavor(e) + " and parts", nil
	},
	"EN/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if len(e.ChildElements()) == 0 {
			return "", errNotHere
		}
		e.CreateText("mixed")
		return "text beside the name parts", nil
	},
	"EN/3": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		empty(e, "nullFlavor")
		return "an empty name", nil
	},
	"EN/4": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if len(e.ChildElements()) == 0 {
			return "", errNotHere
		}
		g.add(e, "delimiter")
		return "an empty name part", nil
	},
	"EN/5": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		for _, c := range e.ChildElements() {
			if hasText(c) {
				c.SetText(`"` + strings.TrimSpace(directText(c)))
				return "a name starting with a quote", nil
			}
		}
		if hasText(e) {
			e.SetText(`"` + strings.TrimSpace(directText(e)))
			return "a name starting with a quote", nil
		}
		return "", errNotHere
	},
	"EN/6": func(g *gen, ev *evaluator, e *etree.Element) (string, error) { return g.nullSibling(e), nil },
	"EN/7": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		dupAfter(e)
		return "the same name twice", nil
	},
	"EN/8": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		// The test holds when any part has distinct qualifiers: every part
		// gets a repeated one.
		cs := e.ChildElements()
		if len(cs) == 0 {
			return "", errNotHere
		}
		for _, c := range cs {
			g.set(c, "qualifier", "SP SP")
		}
		return "every name part qualified \"SP SP\"", nil
	},
	"ON/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "family").SetText("X")
		return "a family part in an organization name", nil
	},
	"PN/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		cs := e.ChildElements()
		if len(cs) == 0 {
			return "", errNotHere
		}
		g.set(cs[0], "qualifier", "LS")
		return "a person name part qualified LS", nil
	},
	// II: identifiers.
	"II/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "nullFlavor")
		if !removeAttr(e, "root") {
			return "", errNotHere
		}
		return "no root, no nullFlavor", nil
	},
	"II/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if findAttr(e, "root") == nil {
			return "", errNotHere
		}
		return g.withNullFlavor(e) + " and root", nil
	},
	"II/3": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "identifierName", "X"), nil
	},
	"II/4": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "displayable", "true"), nil
	},
	"II/5": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "reliability", "ISS"), nil
	},
	"II/6": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "assigningAuthorityName", "X"), nil
	},
	"II/7": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "root", "1.2.250"+strings.Repeat(".1", 63))
		return "a 131-character root", nil
	},
	"II/8": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "extension", strings.Repeat("9", 65))
		return "a 65-character extension", nil
	},
	"II/9": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "root", "1.02")
		return "root 1.02, not an OID", nil
	},
	"II/10": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "root", "MUTANT")
		return "root MUTANT, a RUID", nil
	},
	"II/11": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if findAttr(e, "root") == nil {
			return "", errNotHere
		}
		dupAfter(e)
		return "the same identifier twice", nil
	},
	"II/12": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "root", "a1b2c3d4-0000-1111-2222-333344445555")
		return "a lower-case UUID root", nil
	},
	// INT, INT.POS, QTY.
	"INT/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		empty(e, "value", "nullFlavor")
		return "no value, no nullFlavor", nil
	},
	"INT/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "uncertainty")
		return "an uncertainty", nil
	},
	"INT.POS/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "value", "0")
		return "value 0", nil
	},
	"QTY/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "uncertainty", "expression", "x")
		return "an uncertainty with expression", nil
	},
	"QTY/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "originalText", "updateMode", "A")
		return "an originalText with updateMode", nil
	},
	"QTY/3": func(g *gen, ev *evaluator, e *etree.Element) (string, error) { return g.nullSibling(e), nil },
	"QTY/4": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		// @unit=$unit is false when both are absent: give one.
		if findAttr(e, "value") == nil {
			return "", errNotHere
		}
		g.set(e, "unit", "s")
		dupAfter(e)
		return "the same quantity (value and unit) twice", nil
	},
	// IVL_TS, IVXB_TS, SXCM_TS, TS: times.
	"IVL_TS/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		l, _ := g.ivl(e, "20200101", "20210101")
		g.set(l, "nullFlavor", "UNK")
		return "low with both value and nullFlavor", nil
	},
	"IVL_TS/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.ivl(e, "20200101", "20210101")
		g.set(e, "value", "20200101")
		return "value beside low and high", nil
	},
	"IVL_TS/3": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.ivl(e, "20200101", "20210101")
		g.set(e, "value", "20200101")
		return "value beside low and high", nil
	},
	"IVL_TS/4": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.ivl(e, "20200101", "20210101")
		g.add(e, "center", "value", "20200601")
		return "center beside low and high", nil
	},
	"IVL_TS/5": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.ivl(e, "20200101", "20210101")
		g.add(e, "width", "value", "1", "unit", "d")
		return "width beside low and high", nil
	},
	"IVL_TS/6": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		l, _ := g.ivl(e, "20200101", "20210101")
		g.set(l, "updateMode", "A")
		return "low with updateMode", nil
	},
	"IVL_TS/7": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.ivl(e, "20200101", "20200101")
		return "low equal to high", nil
	},
	"IVL_TS/8": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "value")
		g.add(e, "width", "unit", "d")
		return "width with a unit and no value", nil
	},
	"IVL_TS/9": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "value")
		w := g.add(e, "width", "value", "1", "unit", "d")
		g.add(w, "translation")
		return "width with a translation", nil
	},
	"IVL_TS/10": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "value")
		l := hl7Child(e, "low")
		if l == nil {
			l = g.add(e, "low")
		}
		empty(l, "value")
		g.set(l, "nullFlavor", "PINF")
		return "low PINF", nil
	},
	"IVL_TS/11": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "value")
		h := hl7Child(e, "high")
		if h == nil {
			h = g.add(e, "high")
		}
		empty(h, "value")
		g.set(h, "nullFlavor", "NINF")
		return "high NINF", nil
	},
	"IVL_TS/12": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "value")
		g.add(e, "width", "value", "1", "unit", "xx")
		return "width in unit xx", nil
	},
	"IVL_TS/13": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "value")
		l := hl7Child(e, "low")
		if l == nil {
			l = g.add(e, "low")
		}
		g.set(l, "value", "20201340")
		return "low 20201340, not a date", nil
	},
	"IVL_TS/14": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "value")
		g.add(e, "center", "value", "20201340")
		return "center 20201340, not a date", nil
	},
	"IVL_TS/15": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "value")
		h := hl7Child(e, "high")
		if h == nil {
			h = g.add(e, "high")
		}
		g.set(h, "value", "20201340")
		return "high 20201340, not a date", nil
	},
	"IVL_TS/16": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.ivl(e, "20250101", "20200101")
		return "low after high", nil
	},
	"IVXB_TS/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "inclusive", "false"), nil
	},
	"SXCM_TS/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "operator", "A"), nil
	},
	"TS/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		empty(e, "value", "nullFlavor")
		return "no value, no nullFlavor", nil
	},
	"TS/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if len(e.ChildElements()) > 0 {
			return "", errNotHere
		}
		g.set(e, "value", "20201340")
		return "value 20201340, not a date", nil
	},
	// ST.
	"ST/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "reference", "value", "x")
		return "a reference in a string", nil
	},
	"ST/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "thumbnail")
		return "a thumbnail in a string", nil
	},
	"ST/5": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "compression", "DF")
		return "compression on a string", nil
	},
	"ST/6": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "integrityCheck", "AAAA")
		return "integrityCheck on a string", nil
	},
	// SC.
	"SC/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "code", "X")
		removeAttr(e, "codeSystem")
		return "code without codeSystem", nil
	},
	"SC/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "codeSystem")
		g.set(e, "codeSystemName", "X")
		return "codeSystemName without codeSystem", nil
	},
	"SC/3": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "codeSystem")
		g.set(e, "codeSystemVersion", "1")
		return "codeSystemVersion without codeSystem", nil
	},
	"SC/4": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "code")
		g.set(e, "displayName", "X")
		return "displayName without code", nil
	},
	"SC/5": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "code", "X", "codeSystem", "1.2.250.1.213.1.1.9"), nil
	},
	"SC/6": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.withNullFlavor(e, "displayName", "X"), nil
	},
	// TEL, URL: telecom addresses.
	"TEL/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.add(e, "useablePeriod", "value", "20200101")
		return g.withNullFlavor(e) + " and a useablePeriod", nil
	},
	"URL/1": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "nullFlavor")
		removeAttr(e, "value")
		return "no value, no nullFlavor", nil
	},
	"URL/2": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "nullFlavor")
		g.set(e, "value", "tel:01 02 03 04 05")
		return "value with spaces", nil
	},
	"URL/3": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if findAttr(e, "nullFlavor") != nil {
			return "", errNotHere
		}
		return g.nullSibling(e), nil
	},
	"URL/4": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if findAttr(e, "value") == nil {
			return "", errNotHere
		}
		dupAfter(e)
		return "the same telecom twice", nil
	},
}

// ciSISBreaks break the asserts the CI-SIS added by hand to the generated
// rules, by their kind (cdakit.CISISKinds).
var ciSISBreaks = map[string]breakFunc{
	"root-element": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		t := hl7Child(e, "typeId")
		if t == nil {
			return "", errNotHere
		}
		e.RemoveChild(t)
		return "remove ClinicalDocument/typeId", nil
	},
	"first-documentationOf-performer": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.dupFirst(ev, "//hl7:ClinicalDocument/hl7:documentationOf[1]/hl7:serviceEvent/hl7:performer")
	},
	"first-documentationOf-effectiveTime": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.dupFirst(ev, "//hl7:ClinicalDocument/hl7:documentationOf[1]/hl7:serviceEvent/hl7:effectiveTime")
	},
	"level1-templateIds": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		ts := hl7Children(e, "templateId")
		if len(ts) == 0 {
			return "", errNotHere
		}
		c := ts[len(ts)-1].Copy()
		ts[len(ts)-1].Parent().InsertChildAt(ts[len(ts)-1].Index()+1, c)
		g.set(c, "root", "1.2.250.1.213.1.1.1.99")
		removeAttr(c, "extension")
		return "a fourth templateId", nil
	},
	"level1-xds-sd-templateId": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		for _, t := range hl7Children(e, "templateId") {
			if t.SelectAttrValue("root", "") == "1.3.6.1.4.1.19376.1.2.20" {
				e.RemoveChild(t)
				return "remove the XDS-SD templateId", nil
			}
		}
		return "", errNotHere
	},
	"ins-traits": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.removeAll(ev, "//hl7:recordTarget/hl7:patientRole/hl7:patient/hl7:name/hl7:given[@qualifier='BR']", "the first birth given name (given BR) of an INS patient")
	},
	"language-code": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		g.set(e, "code", "french")
		return "languageCode french", nil
	},
	"telecom-url": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "nullFlavor")
		g.set(e, "value", "0100000000")
		return "telecom value without a scheme", nil
	},
	"telecom-value-xor-null": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		if findAttr(e, "value") == nil {
			g.set(e, "value", "tel:0100000000")
		}
		g.set(e, "nullFlavor", "UNK")
		return "telecom with value and nullFlavor", nil
	},
	"patient-given-qualifier": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.setAll(ev, "//hl7:recordTarget/hl7:patientRole/hl7:patient/hl7:name/hl7:given", "qualifier", "XX", 1)
	},
	"patient-family-qualifier": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.setAll(ev, "//hl7:recordTarget/hl7:patientRole/hl7:patient/hl7:name/hl7:family", "qualifier", "XX", 1)
	},
	"patient-family-qualifier-any": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.setAll(ev, "//hl7:recordTarget/hl7:patientRole/hl7:patient/hl7:name/hl7:family", "qualifier", "XX", 0)
	},
	"root-and-extension": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "nullFlavor")
		removeAttr(e, "extension")
		if findAttr(e, "root") == nil {
			g.setAttr(e, "root", "1.2.250.1.71.4.2.1")
		}
		return "root without extension", nil
	},
	"code-and-codeSystem": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		removeAttr(e, "nullFlavor")
		if !removeAttr(e, "codeSystem") {
			return "", errNotHere
		}
		return "remove @codeSystem", nil
	},
	"any-performer": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.removeAll(ev, "//hl7:ClinicalDocument/hl7:documentationOf/hl7:serviceEvent/hl7:performer", "every serviceEvent/performer")
	},
	"any-performer-time": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		return g.removeAll(ev, "//hl7:ClinicalDocument/hl7:documentationOf/hl7:serviceEvent[hl7:performer]/hl7:effectiveTime", "the effectiveTime of every serviceEvent with a performer")
	},
	"value-set-code-and-system": func(g *gen, ev *evaluator, e *etree.Element) (string, error) {
		// The rule's context only takes codes whose concat(@code,
		// @codeSystem) is in the value set; moving one character from
		// the code system to the code keeps that string and breaks the
		// pair.
		code, cs := e.SelectAttrValue("code", ""), e.SelectAttrValue("codeSystem", "")
		if code == "" || len(cs) < 2 {
			return "", errNotHere
		}
		g.set(e, "code", code+cs[:1], "codeSystem", cs[1:])
		removeAttr(e, "nullFlavor")
		return fmt.Sprintf("code %q and codeSystem %q: same concatenation, not a pair of the value set", code+cs[:1], cs[1:]), nil
	},
}

// ciSISFixes make some CI-SIS asserts hold on grown elements.
var ciSISFixes = map[string]struct {
	holds func(g *gen, ev *evaluator, e *etree.Element) bool
	fix   func(g *gen, ev *evaluator, e *etree.Element, depth int)
}{
	"root-and-extension": {
		holds: func(g *gen, ev *evaluator, e *etree.Element) bool {
			return findAttr(e, "nullFlavor") != nil || findAttr(e, "root") != nil && findAttr(e, "extension") != nil
		},
		fix: func(g *gen, ev *evaluator, e *etree.Element, depth int) {
			if findAttr(e, "root") == nil {
				g.setAttr(e, "root", "1.2.250.1.71.4.2.1")
			}
			if findAttr(e, "extension") == nil {
				g.setAttr(e, "extension", "801234567890")
			}
		},
	},
}

// dupFirst repeats the first element an absolute path selects.
func (g *gen) dupFirst(ev *evaluator, path string) (string, error) {
	els, err := g.select1(ev, path)
	if err != nil {
		return "", err
	}
	if len(els) == 0 {
		return "", errNotHere
	}
	dupAfter(els[0])
	return "twice " + path, nil
}

// removeAll removes every element an absolute path selects.
func (g *gen) removeAll(ev *evaluator, path, what string) (string, error) {
	els, err := g.select1(ev, path)
	if err != nil {
		return "", err
	}
	if len(els) == 0 {
		return "", errNotHere
	}
	for _, x := range els {
		x.Parent().RemoveChild(x)
	}
	return "remove " + what, nil
}

// setAll sets an attribute on the elements an absolute path selects, or on
// the first n of them when n > 0.
func (g *gen) setAll(ev *evaluator, path, attr, value string, n int) (string, error) {
	els, err := g.select1(ev, path)
	if err != nil {
		return "", err
	}
	if len(els) == 0 {
		return "", errNotHere
	}
	if n > 0 && n < len(els) {
		els = els[:n]
	}
	for _, x := range els {
		g.set(x, attr, value)
	}
	return fmt.Sprintf("%s/@%s=%q (%d)", path, attr, value, len(els)), nil
}

func (g *gen) select1(ev *evaluator, path string) ([]*etree.Element, error) {
	pe, err := parseXPath(path)
	if err != nil {
		return nil, err
	}
	v, err := ev.eval(pe, node{root: ev.doc})
	if err != nil {
		return nil, err
	}
	return elements(v), nil
}
