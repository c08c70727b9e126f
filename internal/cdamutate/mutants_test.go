package cdamutate_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/cdakit"
	"github.com/mssante-go/sdk/internal/cdakit/kittest"
	"github.com/mssante-go/sdk/internal/cdamutate"
	"github.com/mssante-go/sdk/internal/samplepdf"
	"github.com/mssante-go/sdk/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/cda-kit.md")

// BaseFile is the official level 1 example the mutants start from: it
// passes the kit with no error and no warning.
const BaseFile = "DOC_NON_STRUCTURE_CDA-R2-N1.xml"

// base returns the official level 1 example with a small PDF for its body
// (the StrucMin rules do not look at the body; N1's 440 kB PDF would make
// each of the two thousand mutants slower to check).
func base(t *testing.T) []byte {
	t.Helper()
	n1, err := os.ReadFile(filepath.Join(testenv.Shared(t, "cda", "examples"), BaseFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := cdamutate.WithBody(n1, samplepdf.New("Mutant", []string{"internal/cdamutate"}, 0))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMutants makes a mutant for every assert a level 1 header can violate,
// runs the kit on all of them in one batch, and requires each to fail its
// target assert. What else each one triggers is reported, not judged.
func TestMutants(t *testing.T) {
	k := kittest.Kit(t)
	cat := k.Catalogue()
	b := base(t)
	muts, gaps, err := cdamutate.Generate(b, &cdamutate.Options{Catalogue: cat, ValueSets: filepath.Join(k.Dir(), "include")})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gaps {
		if !strings.HasPrefix(g.Reason, "cannot fail: ") {
			t.Errorf("no mutant for %s: %s", g.Target, g.Reason)
		}
	}
	docs := map[string][]byte{"base": b}
	for _, m := range muts {
		if _, dup := docs[m.Name]; dup {
			t.Fatalf("mutant name %s twice", m.Name)
		}
		docs[m.Name] = m.Doc
	}
	reps := kittest.Validate(t, docs)
	if r := reps["base"]; r.Err != nil || len(r.Results) > 0 {
		t.Fatalf("the base document does not pass the kit: %v %v", r.Err, r.Results)
	}

	outcome := map[string]string{} // target -> "ok" or "kit-failure"
	var clean, stops int
	collateral := map[string]int{}
	for _, m := range muts {
		r := reps[m.Name]
		switch {
		case r.Err != nil && errors.Is(r.Err, cdakit.ErrKitFailure):
			// The kit stops on the document with a dynamic error: it
			// rejects it, without naming an assert.
			stops++
			outcome[m.Target] = "kit-failure"
			t.Logf("kit stops on %s (%s): %v", m.Name, m.Op, r.Err)
		case r.Err != nil:
			t.Errorf("%s: %v", m.Name, r.Err)
		case !r.Has(m.Target):
			t.Errorf("mutant %s does not fail its target\n  op: %s\n  kit: %v", m.Name, m.Op, r.Results)
		default:
			outcome[m.Target] = "ok"
			if len(r.Results) == 1 || allSame(r.Results, m.Target) {
				clean++
			}
			for _, x := range r.Results {
				if x.ID != m.Target {
					collateral[x.ID]++
				}
			}
		}
	}
	t.Logf("mutants: %d asserts applicable, %d mutants, %d cannot fail; %d fail their target and nothing else, %d the kit stops on",
		len(muts)+len(gaps), len(muts), len(gaps), clean, stops)
	type kv struct {
		id string
		n  int
	}
	var top []kv
	for id, n := range collateral {
		top = append(top, kv{id, n})
	}
	slices.SortFunc(top, func(a, b kv) int { return b.n - a.n })
	for _, x := range top[:min(10, len(top))] {
		t.Logf("collateral: %s in %d mutants (%s)", x.id, x.n, cdamutate.Describe(cat.Assert(x.id)))
	}

	checkDoc(t, catalogueTable(cat, muts, gaps, outcome))
}

func allSame(rs []cdakit.Result, id string) bool {
	for _, r := range rs {
		if r.ID != id {
			return false
		}
	}
	return true
}

const (
	beginMark = "<!-- BEGIN GENERATED: go test ./internal/cdamutate -run TestMutants -update -->"
	endMark   = "<!-- END GENERATED -->"
)

// checkDoc compares the generated part of docs/cda-kit.md with the table,
// or rewrites it with -update.
func checkDoc(t *testing.T, table string) {
	t.Helper()
	path := filepath.Join(testenv.ModuleRoot(), "docs", "cda-kit.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		t.Fatalf("%s: no generated part between %q and %q", path, beginMark, endMark)
	}
	cur := s[i+len(beginMark) : j]
	if cur == table {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:i+len(beginMark)]+table+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the catalogue of %s", path)
		return
	}
	t.Errorf("%s is out of date: run go test ./internal/cdamutate -run TestMutants -update", path)
}

var (
	cdPrefix = "//hl7:ClinicalDocument[hl7:typeId[@root = '2.16.840.1.113883.1.3'][@extension = 'POCD_HD000040']]"
	closedRE = regexp.MustCompile(`/\*\[not\(self::.*\)\]$`)
)

// shortContext writes a rule context for the table: relative to
// ClinicalDocument, without the hl7: prefixes, with the predicates of the
// last step only (the rule id, in the assert id, tells the rules apart);
// a closed template's list of allowed elements is written *.
func shortContext(c string) string {
	if c == "/" {
		return c
	}
	c = strings.TrimPrefix(c, cdPrefix)
	c = closedRE.ReplaceAllString(c, "/*")
	c = strings.ReplaceAll(c, "[not(@nullFlavor)]", "")
	c = strings.ReplaceAll(c, "hl7:", "")
	steps := splitSteps(c)
	for i := range steps[:max(len(steps)-1, 0)] {
		if j := strings.IndexByte(steps[i], '['); j > 0 {
			steps[i] = steps[i][:j]
		}
	}
	if len(steps) == 0 {
		return "ClinicalDocument"
	}
	return strings.Join(steps, "/")
}

// splitSteps splits a path at the slashes outside predicates.
func splitSteps(p string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range p {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case '/':
			if depth == 0 {
				if i > start {
					out = append(out, p[start:i])
				}
				start = i + 1
			}
		}
	}
	if start < len(p) {
		out = append(out, p[start:])
	}
	return out
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > 110 {
		s = string(r[:107]) + "…"
	}
	return s
}

// catalogueTable writes the summary and the table of every applicable
// assert.
func catalogueTable(cat *cdakit.Catalogue, muts []cdamutate.Mutant, gaps []cdamutate.Gap, outcome map[string]string) string {
	gapOf := map[string]string{}
	for _, g := range gaps {
		gapOf[g.Target] = strings.TrimPrefix(g.Reason, "cannot fail: ")
	}
	var b strings.Builder
	type family struct{ asserts, level1, mutants, ok, stops int }
	fams := map[string]*family{}
	var famOrder []string
	var rows strings.Builder
	var unviolable, stopped strings.Builder
	fmt.Fprintf(&rows, "\nContexts are relative to ClinicalDocument. Level 1: whether a level 1 header can fail the assert (\"no\": see above why). Kit: ✓ when the kit fails the assert on its mutant, \"stops\" when it stops on it.\n\n| assert | role | template | context | what it checks | level 1 | kit |\n|---|---|---|---|---|---|---|\n")
	for _, a := range cat.Asserts {
		if a.Rule.Abstract && len(cat.InheritedBy(a.Rule.ID)) == 0 {
			continue
		}
		kind := cdamutate.Kind(a)
		if a.Rule.Abstract {
			kind = "datatype " + a.Rule.ID
		}
		if kind == "" {
			kind = "other"
		}
		f := fams[kind]
		if f == nil {
			f = &family{}
			fams[kind] = f
			famOrder = append(famOrder, kind)
		}
		f.asserts++
		ctx := shortContext(a.Rule.Context)
		if a.Rule.Abstract {
			ctx = fmt.Sprintf("any element of datatype %s (%d rules)", a.Rule.ID, len(cat.InheritedBy(a.Rule.ID)))
		}
		level1, kit := "yes", "✓"
		if why, ok := gapOf[a.ID]; ok {
			level1, kit = "no", "—"
			fmt.Fprintf(&unviolable, "| `%s` | %s | %s |\n", a.ID, cell(cdamutate.Describe(a)), cell(why))
		} else {
			f.level1++
			f.mutants++
			switch outcome[a.ID] {
			case "ok":
				f.ok++
			case "kit-failure":
				f.stops++
				kit = "stops"
				fmt.Fprintf(&stopped, "| `%s` | %s | %s |\n", a.ID, cell(ctx), cell(cdamutate.Describe(a)))
			default:
				kit = "✗"
			}
		}
		label := a.Label
		if a.Rule.Abstract {
			label = "DTr1 " + a.Rule.ID
		}
		fmt.Fprintf(&rows, "| `%s` | %s | %s | `%s` | %s | %s | %s |\n", a.ID, a.Role, label, cell(ctx), cell(cdamutate.Describe(a)), cell(level1), kit)
	}
	var tot family
	fmt.Fprintf(&b, "\n### Summary by shape of test\n\n| shape | asserts | a level 1 header can violate | mutants | the kit fails the target | the kit stops |\n|---|---:|---:|---:|---:|---:|\n")
	slices.SortStableFunc(famOrder, func(x, y string) int { return fams[y].asserts - fams[x].asserts })
	for _, k := range famOrder {
		f := fams[k]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d |\n", k, f.asserts, f.level1, f.mutants, f.ok, f.stops)
		tot.asserts += f.asserts
		tot.level1 += f.level1
		tot.mutants += f.mutants
		tot.ok += f.ok
		tot.stops += f.stops
	}
	fmt.Fprintf(&b, "| **all** | **%d** | **%d** | **%d** | **%d** | **%d** |\n", tot.asserts, tot.level1, tot.mutants, tot.ok, tot.stops)
	fmt.Fprintf(&b, "\n### Asserts no document can fail\n\n| assert | what it checks | why |\n|---|---|---|\n%s", unviolable.String())
	fmt.Fprintf(&b, "\n### Asserts whose mutant stops the kit\n\nThe kit rejects these mutants with a dynamic error (here XPTY0004: the inherited IVL_TS rule expects at most one `low` and one `high`) and writes no report for them: the target assert is never seen failing, the document is refused all the same.\n\n| assert | context | what it checks |\n|---|---|---|\n%s", stopped.String())
	fmt.Fprintf(&b, "\n### Catalogue\n%s\n", rows.String())
	return b.String()
}
