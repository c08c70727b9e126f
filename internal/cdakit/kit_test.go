package cdakit_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/cdakit"
	"github.com/mssante-go/sdk/internal/cdakit/kittest"
	"github.com/mssante-go/sdk/internal/testenv"
)

// The catalogue lists every assert of the compiled rules with an id, and
// names the asserts the CI-SIS header rules are known by.
func TestCatalogue(t *testing.T) {
	cat := kittest.Kit(t).Catalogue()
	var concrete, inherited, abstractUsed int
	roles := map[cdakit.Role]int{}
	for _, a := range cat.Asserts {
		if a.ID == "" || cat.Assert(a.ID) != a {
			t.Fatalf("assert %q not indexed", a.ID)
		}
		if a.Rule.Abstract {
			if len(cat.InheritedBy(a.Rule.ID)) > 0 {
				abstractUsed++
				roles[a.Role]++
			}
			continue
		}
		concrete++
		roles[a.Role]++
	}
	for _, r := range cat.Rules {
		if !r.Abstract {
			inherited += len(cat.Inherited(r))
		}
	}
	t.Logf("catalogue: %d rules, %d asserts of concrete rules, %d datatype asserts in use (applied %d times), roles %v",
		len(cat.Rules), concrete, abstractUsed, inherited, roles)
	if concrete < 1800 || abstractUsed < 100 {
		t.Errorf("catalogue too small: %d concrete asserts, %d datatype asserts", concrete, abstractUsed)
	}
	// The J245 civilité asserts of issue 13.
	for _, id := range []string{"d4313e37-false-d4326e0/1", "d9067e14-false-d9080e0/1", "d13023e18-false-d13036e0/3"} {
		a := cat.Assert(id)
		if a == nil || !strings.Contains(a.Message, "JDV_J245") || a.Role != cdakit.RoleError {
			t.Errorf("assert %s: %+v", id, a)
		}
	}
	if a := cat.Assert("II/9"); a == nil || a.Label != "dtr1-10-II" {
		t.Errorf("II/9: %+v", a)
	}
	if a := cat.Assert("d4313e37-false-d4326e0/1"); a.Label != "CI-SISAuthor" {
		t.Errorf("label %q", a.Label)
	}

	// The catalogue read from the source files, without Java, is the
	// compiled one.
	src, err := cdakit.LoadSource(cdakit.SharedOptions(testenv.SharedDir()).Rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Rules) != len(cat.Rules) || len(src.Asserts) != len(cat.Asserts) {
		t.Fatalf("LoadSource: %d rules, %d asserts; compiled: %d, %d", len(src.Rules), len(src.Asserts), len(cat.Rules), len(cat.Asserts))
	}
	for i, r := range cat.Rules {
		s := src.Rules[i]
		if s.ID != r.ID || s.Context != r.Context || s.Pattern != r.Pattern || s.Abstract != r.Abstract || !slices.Equal(s.Extends, r.Extends) || !slices.Equal(s.Lets, r.Lets) {
			t.Errorf("rule %d: source %+v, compiled %+v", i, s, r)
		}
	}
	for i, a := range cat.Asserts {
		s := src.Asserts[i]
		if s.ID != a.ID || s.CollapsedTest() != a.CollapsedTest() || s.Role != a.Role || s.Message != a.Message || s.Label != a.Label || s.Report != a.Report {
			t.Errorf("assert %d: source %+v, compiled %+v", i, s, a)
		}
	}
}

// Cancelling the context stops Java.
func TestValidateCancel(t *testing.T) {
	k := kittest.Kit(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	docs := map[string][]byte{}
	for i := range 3 {
		docs[fmt.Sprint(i)] = []byte("<a/>")
	}
	_, err := k.Validate(ctx, docs)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Validate after the deadline: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Validate took %v to give up", d)
	}
}
