package cdamutate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/mssante-go/sdk/internal/cdakit"
)

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

// CatalogueTable writes the generated part of docs/cda-kit.md: the summary
// by shape of test, the asserts no document can fail, those whose mutant
// stops the kit, and the catalogue of every applicable assert with what the
// kit does on its mutant (outcome: "ok" when it fails the target,
// "kit-failure" when it stops) and how package cda mirrors it (mirror, by
// assert id; "" when not given).
func CatalogueTable(cat *cdakit.Catalogue, muts []Mutant, gaps []Gap, outcome, mirror map[string]string) string {
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
	fmt.Fprintf(&rows, "\nContexts are relative to ClinicalDocument. Level 1: whether a level 1 header can fail the assert (\"no\": see above why). Kit: ✓ when the kit fails the assert on its mutant, \"stops\" when it stops on it. Go: the rule of cda.Validate's findings for the assert and how it is checked (a generated row of kitrules_gen.go, or hand-written Go); the kit agreement test of package cda (TestKitAgreement) requires that Validate reports exactly the kit's asserts on every document of the corpus, the mutant of each assert included.\n\n| assert | role | template | context | what it checks | level 1 | kit | Go |\n|---|---|---|---|---|---|---|---|\n")
	for _, a := range cat.Asserts {
		if a.Rule.Abstract && len(cat.InheritedBy(a.Rule.ID)) == 0 {
			continue
		}
		kind := Kind(a)
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
			fmt.Fprintf(&unviolable, "| `%s` | %s | %s |\n", a.ID, cell(Describe(a)), cell(why))
		} else {
			f.level1++
			f.mutants++
			switch outcome[a.ID] {
			case "ok":
				f.ok++
			case "kit-failure":
				f.stops++
				kit = "stops"
				fmt.Fprintf(&stopped, "| `%s` | %s | %s |\n", a.ID, cell(ctx), cell(Describe(a)))
			default:
				kit = "✗"
			}
		}
		label := a.Label
		if a.Rule.Abstract {
			label = "DTr1 " + a.Rule.ID
		}
		fmt.Fprintf(&rows, "| `%s` | %s | %s | `%s` | %s | %s | %s | %s |\n", a.ID, a.Role, label, cell(ctx), cell(Describe(a)), cell(level1), kit, cell(mirror[a.ID]))
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
