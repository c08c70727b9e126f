package cda

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda/internal/kitgen"
	"github.com/mssante-go/sdk/internal/cdakit"
	"github.com/mssante-go/sdk/internal/testenv"
)

func kitRulesDir(t *testing.T) string {
	return testenv.Shared(t, "cda", "schematron", "structurationMinimale")
}

// TestKitRulesUpToDate regenerates the rule table from the kit's rules and
// compares it with the committed kitrules_gen.go.
func TestKitRulesUpToDate(t *testing.T) {
	src, err := kitgen.Generate(kitRulesDir(t))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("kitrules_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, committed) {
		t.Fatal("kitrules_gen.go is stale: run go generate ./cda")
	}
}

// TestKitTableComplete: every assert of the kit that a document can meet is
// checked by Validate (a row of the table, a datatype check, a CI-SIS
// check), or listed as not mirrored with the reason; nothing is left out
// silently, and every hand-written check has its assert.
func TestKitTableComplete(t *testing.T) {
	cat, err := cdakit.LoadSource(kitRulesDir(t))
	if err != nil {
		t.Fatal(err)
	}
	mirror := KitMirror()
	var generated, datatype, cisis, not int
	for _, a := range cat.Asserts {
		if a.Rule.Abstract && len(cat.InheritedBy(a.Rule.ID)) == 0 {
			continue // a datatype no template uses
		}
		m, ok := mirror[a.ID]
		if _, how, found := strings.Cut(m, ": "); found && !strings.HasPrefix(m, "not mirrored") {
			m = how
		}
		switch {
		case !ok:
			t.Errorf("assert %s (%s) is neither checked nor listed as not mirrored", a.ID, a.CollapsedTest())
		case strings.HasPrefix(m, "generated"):
			generated++
		case strings.HasPrefix(m, "hand-written, DTr1"):
			datatype++
		case strings.HasPrefix(m, "hand-written"):
			cisis++
		default:
			not++
		}
	}
	for id := range dtChecks() {
		typ, n, _ := strings.Cut(id, "/")
		k, _ := strconv.Atoi(n)
		if !slices.ContainsFunc(kitDatatypes[typ], func(a kitDTAssert) bool { return a.n == k }) {
			t.Errorf("datatype check %s has no assert in the table", id)
		}
	}
	empty := &kit{v: &validator{opts: &ValidateOptions{}}, tab: kitTab(), root: &node{}}
	for _, r := range kitRules {
		for i := r.asserts[0]; i < r.asserts[1]; i++ {
			if a := &kitAsserts[i]; a.kind == kCISIS {
				if msg, _ := empty.cisis(a, &node{}); strings.HasPrefix(msg, "internal error") {
					t.Errorf("CI-SIS assert %s/%d (%s) has no check", r.id, a.n, a.what)
				}
			}
		}
	}
	t.Logf("kit asserts: %d generated rows, %d DTr1 checks, %d CI-SIS checks, %d not mirrored", generated, datatype, cisis, not)
}
