package cdakit

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/beevik/etree"
)

// Role is the role of an assert: how the kit grades its failure.
type Role string

// The roles the StrucMin rules use.
const (
	RoleError   Role = "error"
	RoleWarning Role = "warning"
	RoleInfo    Role = "info"
)

// Catalogue lists the rules and asserts of the compiled schematron, with the
// ids Compile gave them.
//
// Ids: a rule keeps its art-decor id ("d4313e37-false-d4326e0", or the
// datatype name "II" for an abstract rule); an assert is its rule's id, a
// slash and its position in the rule ("d4313e37-false-d4326e0/1", "II/10").
// The asserts of an abstract (datatype) rule apply to every concrete rule that
// extends it, directly or not: a failed "II/10" names the rule it fired in.
type Catalogue struct {
	Rules   []*Rule
	Asserts []*Assertion // document order
	rules   map[string]*Rule
	asserts map[string]*Assertion
	users   map[string][]*Rule // abstract rule id -> concrete rules inheriting it
}

// Rule is a schematron rule.
type Rule struct {
	ID       string
	Pattern  string // the id of its pattern ("template-…-closed" for the closed-template warnings)
	Context  string // XPath of the nodes it fires on; empty for an abstract rule
	Abstract bool
	Extends  []string // abstract rules whose asserts it inherits
	Lets     []Let
	Asserts  []*Assertion // its own, in order
}

// Let is a variable a rule defines for its asserts.
type Let struct{ Name, Value string }

// Assertion is one assert (or report) of the rules.
type Assertion struct {
	ID     string
	Rule   *Rule
	Report bool // a report fires when its test is true, an assert when false
	Role   Role
	Test   string
	// Message is the assert's text with each <value-of select="X"/> written
	// {X}, whitespace collapsed.
	Message string
	// Label is the tag its message starts with: the art-decor template
	// name "(CI-SISAuthor)" → "CI-SISAuthor", or the datatype rule id
	// "dtr1-10-II".
	Label string
	See   string
}

// Rule returns the rule with that id, or nil.
func (c *Catalogue) Rule(id string) *Rule { return c.rules[id] }

// Assert returns the assert with that id, or nil.
func (c *Catalogue) Assert(id string) *Assertion { return c.asserts[id] }

// InheritedBy returns the concrete rules that inherit the asserts of an
// abstract rule, directly or through other abstract rules.
func (c *Catalogue) InheritedBy(abstract string) []*Rule { return c.users[abstract] }

// Inherited returns the asserts a concrete rule inherits from the abstract
// rules it extends, directly or not, in the order the compiled stylesheet
// checks them.
func (c *Catalogue) Inherited(r *Rule) []*Assertion {
	var out []*Assertion
	for _, id := range c.Extends(r) {
		out = append(out, c.rules[id].Asserts...)
	}
	return out
}

// Extends returns the ids of the abstract rules r extends, directly or
// through other abstract rules (II, then ANY), each once.
func (c *Catalogue) Extends(r *Rule) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(ids []string)
	walk = func(ids []string) {
		for _, id := range ids {
			if seen[id] || c.rules[id] == nil {
				continue
			}
			seen[id] = true
			out = append(out, id)
			walk(c.rules[id].Extends)
		}
	}
	walk(r.Extends)
	return out
}

// LoadCatalogue reads the catalogue of a schematron whose rules and asserts
// all have ids: the rules.sch of a compiled kit (Kit.Dir), or a test's own.
func LoadCatalogue(path string) (*Catalogue, error) { return loadCatalogue(path) }

// labelRE finds the template name in an assert's message: "(CI-SISAuthor):",
// "(CI-SISAddr)/<rule id>:" for the closed templates, or the DTr1 rule id.
var labelRE = regexp.MustCompile(`^\(([^)\s]+)\)(?:/[\w-]+)?\s*:|^(dtr1-[A-Za-z0-9._-]+):`)

func loadCatalogue(path string) (*Catalogue, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromFile(path); err != nil {
		return nil, fmt.Errorf("cdakit: reading %s: %w", path, err)
	}
	return catalogueOf(doc, path)
}

// catalogueOf reads the catalogue of a schematron document whose rules and
// asserts all have ids.
func catalogueOf(doc *etree.Document, path string) (*Catalogue, error) {
	root := doc.Root()
	if root == nil {
		return nil, fmt.Errorf("cdakit: %s: no root element", path)
	}
	c := &Catalogue{rules: map[string]*Rule{}, asserts: map[string]*Assertion{}, users: map[string][]*Rule{}}
	for _, p := range schChildren(root, "pattern") {
		for _, re := range schChildren(p, "rule") {
			r := &Rule{
				ID:       re.SelectAttrValue("id", ""),
				Pattern:  p.SelectAttrValue("id", ""),
				Context:  re.SelectAttrValue("context", ""),
				Abstract: re.SelectAttrValue("abstract", "") == "true",
			}
			for _, e := range re.ChildElements() {
				switch {
				case isSch(e, "extends"):
					r.Extends = append(r.Extends, e.SelectAttrValue("rule", ""))
				case isSch(e, "let"):
					r.Lets = append(r.Lets, Let{Name: e.SelectAttrValue("name", ""), Value: e.SelectAttrValue("value", "")})
				case isSch(e, "assert"), isSch(e, "report"):
					a := &Assertion{
						ID:      e.SelectAttrValue("id", ""),
						Rule:    r,
						Report:  e.Tag == "report",
						Role:    Role(e.SelectAttrValue("role", "")),
						Test:    e.SelectAttrValue("test", ""),
						Message: messageText(e),
						See:     e.SelectAttrValue("see", ""),
					}
					if m := labelRE.FindStringSubmatch(a.Message); m != nil {
						a.Label = m[1] + m[2]
					}
					r.Asserts = append(r.Asserts, a)
					c.Asserts = append(c.Asserts, a)
					if c.asserts[a.ID] != nil {
						return nil, fmt.Errorf("cdakit: %s: assert id %q twice", path, a.ID)
					}
					c.asserts[a.ID] = a
				}
			}
			if r.ID == "" || c.rules[r.ID] != nil {
				return nil, fmt.Errorf("cdakit: %s: rule id %q missing or repeated", path, r.ID)
			}
			c.rules[r.ID] = r
			c.Rules = append(c.Rules, r)
		}
	}
	for _, r := range c.Rules {
		if r.Abstract {
			continue
		}
		for _, id := range c.Extends(r) {
			c.users[id] = append(c.users[id], r)
		}
	}
	return c, nil
}

// messageText renders an assert's mixed content.
func messageText(e *etree.Element) string {
	var b strings.Builder
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, t := range e.Child {
			switch t := t.(type) {
			case *etree.CharData:
				b.WriteString(t.Data)
			case *etree.Element:
				if t.Tag == "value-of" || t.Tag == "name" {
					b.WriteString("{" + t.SelectAttrValue("select", "name()") + "}")
				} else {
					walk(t)
				}
			}
		}
	}
	walk(e)
	return strings.Join(strings.Fields(b.String()), " ")
}
