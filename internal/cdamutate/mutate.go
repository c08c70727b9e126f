package cdamutate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/internal/cdakit"
)

// Mutant is a copy of the base document that should fail one kit assert.
type Mutant struct {
	// Name is unique: the target assert id, and for an assert inherited from
	// a datatype rule, "@" and the rule whose node was changed.
	Name string
	// Target is the id of the assert the mutant breaks (cdakit ids:
	// "d4313e37-false-d4326e0/1", "II/9").
	Target string
	// Rule is the concrete rule whose context node was changed.
	Rule string
	// Op says what was done, for humans: how the context node was found or
	// grown, then the breaking.
	Op  string
	Doc []byte
}

// Gap is an applicable assert for which no mutant was made, and why.
type Gap struct {
	Target string
	Reason string
}

// Options configures Generate.
type Options struct {
	// Catalogue is the kit's catalogue (cdakit.Kit.Catalogue).
	Catalogue *cdakit.Catalogue
	// ValueSets is the folder of the kit's voc-*.xml value set files
	// (filepath.Join(kit.Dir(), "include")).
	ValueSets string
}

// Generate makes at least one mutant per applicable assert of the catalogue:
// every assert of a concrete rule, and every assert of a datatype rule that a
// concrete rule inherits. The asserts it cannot break are returned as gaps
// with the reason. base must be a document the kit accepts with no error.
func Generate(base []byte, opts *Options) ([]Mutant, []Gap, error) {
	g, err := newGen(base, opts)
	if err != nil {
		return nil, nil, err
	}
	var muts []Mutant
	var gaps []Gap
	add := func(m *Mutant, gap string, target string) {
		if m != nil {
			muts = append(muts, *m)
		} else {
			gaps = append(gaps, Gap{Target: target, Reason: gap})
		}
	}
	for _, r := range g.cat.Rules {
		if r.Abstract {
			continue
		}
		for _, a := range r.Asserts {
			m, gap := g.mutate(a, r)
			add(m, gap, a.ID)
		}
	}
	// Datatype asserts: on the first inheriting rule whose node exists in the
	// base, else on the first one that can be grown.
	for _, r := range g.cat.Rules {
		if !r.Abstract {
			continue
		}
		users := g.cat.InheritedBy(r.ID)
		if len(users) == 0 {
			continue // not used by the StrucMin templates
		}
		ordered := slices.Clone(users)
		slices.SortStableFunc(ordered, func(x, y *cdakit.Rule) int {
			return boolInt(g.locateBase(y) != nil) - boolInt(g.locateBase(x) != nil)
		})
		for _, a := range r.Asserts {
			var m *Mutant
			var reasons []string
			for _, u := range ordered {
				mm, gap := g.mutate(a, u)
				if mm != nil {
					mm.Name = a.ID + "@" + u.ID
					m = mm
					break
				}
				if !slices.Contains(reasons, gap) && len(reasons) < 3 {
					reasons = append(reasons, gap)
				}
			}
			add(m, strings.Join(reasons, "; "), a.ID)
		}
	}
	return muts, gaps, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// gen holds what Generate needs across mutants.
type gen struct {
	cat      *cdakit.Catalogue
	vsDir    string
	vocs     map[string]*etree.Document
	base     *etree.Document
	baseEv   *evaluator
	ctx      map[string]expr           // rule id -> parsed context
	ctxErr   map[string]error          // rule id -> why its context cannot be parsed
	byLast   map[string][]*cdakit.Rule // local name of the context's last step ("*" for any) -> rules
	order    map[string]int            // rule id -> position in its pattern
	sites    map[string]*site          // rule id -> prepared site
	lastStep map[string]step
	grown    []*etree.Element // elements created since the last finish
}

func newGen(base []byte, opts *Options) (*gen, error) {
	if opts == nil || opts.Catalogue == nil {
		return nil, errors.New("cdamutate: Options.Catalogue is required")
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(base); err != nil {
		return nil, fmt.Errorf("cdamutate: base document: %w", err)
	}
	if d.Root() == nil {
		return nil, errors.New("cdamutate: base document has no root element")
	}
	g := &gen{
		cat: opts.Catalogue, vsDir: opts.ValueSets, vocs: map[string]*etree.Document{}, base: d,
		ctx: map[string]expr{}, ctxErr: map[string]error{}, byLast: map[string][]*cdakit.Rule{},
		order: map[string]int{}, sites: map[string]*site{}, lastStep: map[string]step{},
	}
	g.baseEv = g.evaluator(d)
	pos := map[string]int{}
	for _, r := range g.cat.Rules {
		if r.Abstract {
			continue
		}
		g.order[r.ID] = pos[r.Pattern]
		pos[r.Pattern]++
		e, err := parseXPath(r.Context)
		if err != nil {
			g.ctxErr[r.ID] = err
			continue
		}
		g.ctx[r.ID] = e
		last := "/"
		if pe, ok := e.(pathExpr); ok && len(pe.Steps) > 0 {
			s := pe.Steps[len(pe.Steps)-1]
			last = s.Local
			g.lastStep[r.ID] = s
		}
		g.byLast[last] = append(g.byLast[last], r)
	}
	return g, nil
}

func (g *gen) evaluator(d *etree.Document) *evaluator {
	return &evaluator{doc: d, docs: g.voc}
}

// voc loads a value set file of the kit, as doc('include/voc-….xml').
func (g *gen) voc(href string) (*etree.Document, error) {
	if d, ok := g.vocs[href]; ok {
		return d, nil
	}
	if g.vsDir == "" {
		return nil, fmt.Errorf("value set %s: Options.ValueSets not set", href)
	}
	name := filepath.Base(href)
	b, err := os.ReadFile(filepath.Join(g.vsDir, name))
	if err != nil {
		return nil, err
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("value set %s: %w", href, err)
	}
	g.vocs[href] = d
	return d, nil
}

// concepts returns the concepts (code, codeSystem, displayName) of a value set
// file.
func (g *gen) concepts(href string) ([]*etree.Element, error) {
	d, err := g.voc(href)
	if err != nil {
		return nil, err
	}
	var out []*etree.Element
	for _, c := range d.FindElements("//concept") {
		if c.SelectAttrValue("code", "") != "" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("value set %s: no concept", href)
	}
	return out, nil
}

// claims reports whether rule r fires on element e of the document ev
// evaluates: e is in r's context and no earlier rule of r's pattern takes
// it.
func (g *gen) claims(ev *evaluator, r *cdakit.Rule, e *etree.Element) bool {
	if !g.inContext(ev, r, e) {
		return false
	}
	for _, cand := range append(slices.Clone(g.byLast[e.Tag]), g.byLast["*"]...) {
		if cand.Pattern == r.Pattern && g.order[cand.ID] < g.order[r.ID] && g.inContext(ev, cand, e) {
			return false
		}
	}
	return true
}

func (g *gen) inContext(ev *evaluator, r *cdakit.Rule, e *etree.Element) bool {
	return slices.Contains(g.contextNodes(ev, r), e)
}

// contextNodes returns the elements rule r's context selects.
func (g *gen) contextNodes(ev *evaluator, r *cdakit.Rule) []*etree.Element {
	c, ok := g.ctx[r.ID]
	if !ok {
		return nil
	}
	v, err := ev.eval(c, node{root: ev.doc})
	if err != nil {
		return nil
	}
	return elements(v)
}

// firstClaimed returns the first element of the document that rule r fires
// on, or nil.
func (g *gen) firstClaimed(ev *evaluator, r *cdakit.Rule) *etree.Element {
	for _, e := range g.contextNodes(ev, r) {
		if g.claims(ev, r, e) {
			return e
		}
	}
	return nil
}

// locateBase returns the node of the base document rule r fires on, if any.
func (g *gen) locateBase(r *cdakit.Rule) *etree.Element {
	if r.Context == "/" {
		return g.base.Root()
	}
	return g.firstClaimed(g.baseEv, r)
}

// site is a document prepared for the mutants of one rule: the base, or the
// base with the rule's context node grown, and the path to that node.
type site struct {
	doc  *etree.Document
	path []int // child element positions from the root element
	op   string
	err  error
}

func (s *site) node(d *etree.Document) *etree.Element {
	e := d.Root()
	for _, i := range s.path {
		cs := e.ChildElements()
		if i >= len(cs) {
			return nil
		}
		e = cs[i]
	}
	return e
}

func pathTo(e *etree.Element) []int {
	var p []int
	for e.Parent() != nil && e.Parent().Parent() != nil {
		idx := 0
		for _, c := range e.Parent().ChildElements() {
			if c == e {
				break
			}
			idx++
		}
		p = append(p, idx)
		e = e.Parent()
	}
	slices.Reverse(p)
	return p
}

// site prepares (once) the document and node of rule r.
func (g *gen) site(r *cdakit.Rule) *site {
	if s, ok := g.sites[r.ID]; ok {
		return s
	}
	s := &site{}
	g.sites[r.ID] = s
	if err := g.ctxErr[r.ID]; err != nil {
		s.err = fmt.Errorf("context not understood: %v", err)
		return s
	}
	if e := g.locateBase(r); e != nil {
		s.doc, s.path, s.op = g.base, pathTo(e), "at "+locString(e)
		return s
	}
	d := g.base.Copy()
	ev := g.evaluator(d)
	g.grown = nil
	e, err := g.grow(ev, r)
	if err != nil {
		s.err = err
		return s
	}
	s.doc, s.path, s.op = d, pathTo(e), "grown "+locString(e)
	return s
}

// mutate makes the mutant of assert a on the node of rule r.
func (g *gen) mutate(a *cdakit.Assertion, r *cdakit.Rule) (*Mutant, string) {
	k := classify(a)
	if k == nil {
		return nil, "test shape not handled: " + a.Test
	}
	if k.unviolable != "" {
		return nil, "cannot fail: " + k.unviolable
	}
	s := g.site(r)
	if s.err != nil {
		return nil, s.err.Error()
	}
	var first string
	for _, brk := range append([]breakFunc{k.brk}, k.alts...) {
		d := s.doc.Copy()
		e := s.node(d)
		if e == nil {
			return nil, "internal: lost the context node"
		}
		ev := g.evaluator(d)
		g.grown = nil
		op, err := brk(g, ev, e)
		g.grown = nil // what a breaking adds stays as it is
		if err != nil {
			if first == "" {
				first = err.Error()
			}
			continue
		}
		ev.reset()
		if r.Context != "/" && !g.claims(ev, r, e) {
			if first == "" {
				first = "cannot fail: the rule's context requires what it checks (breaking it: " + op + ")"
			}
			continue
		}
		if k.holds != nil && k.holds(g, ev, e) {
			continue // this breaking does not break it here
		}
		// Tabs and new lines in attribute values are written as character
		// references, so that they survive attribute-value normalization.
		d.WriteSettings.CanonicalAttrVal = true
		b, err := d.WriteToBytes()
		if err != nil {
			return nil, err.Error()
		}
		return &Mutant{Name: a.ID, Target: a.ID, Rule: r.ID, Op: s.op + "; " + op, Doc: b}, ""
	}
	return nil, first
}

// locString is an XPath-like location of an element, for Op.
func locString(e *etree.Element) string {
	var parts []string
	for e != nil && e.Parent() != nil {
		n := 1
		for _, c := range e.Parent().ChildElements() {
			if c == e {
				break
			}
			if c.Tag == e.Tag {
				n++
			}
		}
		parts = append(parts, fmt.Sprintf("%s[%d]", e.Tag, n))
		e = e.Parent()
		if e.Parent() == nil {
			break
		}
	}
	slices.Reverse(parts)
	return "/" + strings.Join(parts, "/")
}
