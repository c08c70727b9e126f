package cda_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/cdacorpus"
	"github.com/mssante-go/sdk/internal/cdakit"
	"github.com/mssante-go/sdk/internal/cdakit/kittest"
	"github.com/mssante-go/sdk/internal/cdamutate"
	"github.com/mssante-go/sdk/internal/samplepdf"
	"github.com/mssante-go/sdk/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/cda-kit.md and docs/cda.md")

// stricter are the rules of the SDK that may find an error in a document
// the kit accepts, and why (docs/cda.md lists them). No other rule may.
var stricter = map[string]string{
	"CDA-INS-KEY":        "a wrong INS key, which the kit never checks (under .10/.11 a warning with TestINSKeyWarning, as this test runs)",
	"CDA-INS-DUP":        "two INS for one patient, which the kit does not see",
	"CDA-INS-ENV":        "an INS authority of the wrong environment, only with ValidateOptions.Environment",
	"CDA-TYPEID":         "no CDA R2 typeId: the kit's rules then do not apply at all (one warning); the CDA schema fixes it",
	"CDA-ORDER":          "ClinicalDocument's children out of the CDA schema's order, or unknown: the kit's schematron does not check the schema",
	"CDA-XML-PREFIX":     "an undeclared namespace prefix: the kit cannot read the document at all",
	"CDA-RPLC":           "a document that replaces itself (relatedDocument/parentDocument/id is its own id)",
	"CDA-BODY-MEDIATYPE": "a level 1 body that is neither PDF nor text: the kit does not read the body",
	"CDA-BODY-B64":       "a level 1 body that is not base64: the kit does not read the body",
	"CDA-BODY-EMPTY":     "an empty level 1 body: the kit does not read the body",
}

// verdict is what a validator says of a document: the asserts of the kit
// that fail (errors; warnings and infos), whether it rejects the document
// without naming an assert (the kit cannot read it or stops), and, for
// cda.Validate, the errors of the SDK's own rules.
type verdict struct {
	errs, warns []string
	rejected    string
	sdkErrors   []string
}

func (v verdict) rejects() bool { return v.rejected != "" || len(v.errs) > 0 || len(v.sdkErrors) > 0 }

func kitVerdict(r *cdakit.Report) verdict {
	var v verdict
	if r == nil {
		return verdict{rejected: "no report"}
	}
	if r.Err != nil {
		v.rejected = r.Err.Error()
		return v
	}
	for _, x := range r.Results {
		if x.Role == cdakit.RoleError {
			v.errs = append(v.errs, x.ID)
		} else {
			v.warns = append(v.warns, x.ID)
		}
	}
	slices.Sort(v.errs)
	slices.Sort(v.warns)
	return v
}

func goVerdict(doc []byte) (verdict, finding.List) {
	var v verdict
	fs, err := cda.Validate(bytes.NewReader(doc), &cda.ValidateOptions{TestINSKeyWarning: true})
	if err != nil {
		v.rejected = err.Error()
	}
	for _, f := range fs {
		id, kit := strings.CutPrefix(f.Spec, "StrucMin ")
		switch {
		case kit && f.Level == finding.Error:
			v.errs = append(v.errs, id)
		case kit:
			v.warns = append(v.warns, id)
		case f.Level == finding.Error:
			v.sdkErrors = append(v.sdkErrors, f.Rule)
		}
	}
	slices.Sort(v.errs)
	slices.Sort(v.warns)
	v.sdkErrors = slices.Compact(slices.Sorted(slices.Values(v.sdkErrors)))
	return v, fs
}

// mutantBase is the official level 1 example the mutants start from, its
// 440 kB PDF replaced by a small one (the rules do not read the body).
func mutantBase(t *testing.T) []byte {
	t.Helper()
	n1, err := os.ReadFile(filepath.Join(testenv.Shared(t, "cda", "examples"), "DOC_NON_STRUCTURE_CDA-R2-N1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := cdamutate.WithBody(n1, samplepdf.New("Mutant", []string{"internal/cdamutate"}, 0))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKitAgreement is the differential test of issue 13: the official
// StrucMin rules of the ANS kit, run with Saxon, and cda.Validate must say
// the same of every document of the corpus, checked in one batch (one run
// of the kit over every document):
//
//   - the official documents (cda/examples and the CDAs of the official
//     IHE_XDM archives);
//   - every document the builder makes in tests and examples: this
//     package's header variants (builderDocs) and the documents of the
//     examples and of package mssante (cdacorpus.Builders);
//   - the negative tests of this package (the mutations of a built document
//     of validate_test.go);
//   - a mutant of the official level 1 example per assert of the kit that a
//     level 1 header can violate (internal/cdamutate).
//
// For each document: Validate reports exactly the asserts the kit fails
// (errors, and warnings), by assert id; when the kit cannot read a
// document or stops on it, Validate has an error. A document has an error
// for Validate if and only if the kit rejects it, except through the SDK's
// deliberately stricter rules (stricter). Every builder document passes the
// kit with no error and no warning; each mutant fails its target assert.
func TestKitAgreement(t *testing.T) {
	k := kittest.Kit(t)
	cat := k.Catalogue()

	docs := map[string][]byte{}
	var officialNames []string
	for _, d := range cdacorpus.Official(t) {
		docs["official/"+d.Name] = d.Data
		officialNames = append(officialNames, d.Name)
	}
	for _, bd := range builderDocs(t) {
		var out bytes.Buffer
		if err := cda.Build(&out, bd.header, bd.body); err != nil {
			t.Fatalf("builder %s: %v", bd.name, err)
		}
		docs["builder/cda-"+bd.name] = out.Bytes()
	}
	for _, d := range cdacorpus.Builders(t) {
		docs[d.Name] = d.Data
	}
	built := string(build(t, testHeader(t), fakePDF(300)))
	for _, m := range mutations {
		docs["edit/"+m.name] = []byte(m.edit(built))
	}
	base := mutantBase(t)
	docs["mutant/base"] = base
	muts, gaps, err := cdamutate.Generate(base, &cdamutate.Options{Catalogue: cat, ValueSets: filepath.Join(k.Dir(), "include")})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gaps {
		if !strings.HasPrefix(g.Reason, "cannot fail: ") {
			t.Errorf("no mutant for %s: %s", g.Target, g.Reason)
		}
	}
	for _, m := range muts {
		if _, dup := docs["mutant/"+m.Name]; dup {
			t.Fatalf("mutant name %s twice", m.Name)
		}
		docs["mutant/"+m.Name] = m.Doc
	}
	const notXML = "broken/not-xml"
	docs[notXML] = []byte("<ClinicalDocument xmlns='urn:hl7-org:v3'>")

	reps := kittest.Validate(t, docs)

	type tally struct{ docs, rejectedByBoth, acceptedByBoth, stricter int }
	tallies := map[string]*tally{}
	deliberate := map[string]int{} // SDK rule -> documents it alone rejects
	disagreements := 0
	outcome := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		group, _, _ := strings.Cut(name, "/")
		if tallies[group] == nil {
			tallies[group] = &tally{}
		}
		ta := tallies[group]
		ta.docs++
		kv := kitVerdict(reps[name])
		gv, fs := goVerdict(docs[name])
		fail := func(format string, args ...any) {
			disagreements++
			t.Errorf("%s: "+format+"\n  kit: %+v\n  Go:  %s", append([]any{name}, append(args, kv, findingsString(fs))...)...)
		}
		// The same asserts, when the kit gives a report.
		if kv.rejected == "" {
			if !slices.Equal(gv.errs, kv.errs) {
				fail("error asserts differ: Go %v, kit %v", gv.errs, kv.errs)
				continue
			}
			if !slices.Equal(gv.warns, kv.warns) {
				fail("warning asserts differ: Go %v, kit %v", gv.warns, kv.warns)
				continue
			}
		}
		// Error if and only if the kit rejects, but for the SDK's stricter rules.
		switch {
		case kv.rejects() && !gv.rejects():
			fail("the kit rejects it, Validate has no error")
		case !kv.rejects() && gv.rejects():
			for _, r := range gv.sdkErrors {
				if _, ok := stricter[r]; !ok {
					fail("Validate finds %s, the kit accepts it", r)
				}
				deliberate[r]++
			}
			ta.stricter++
		case kv.rejects():
			ta.rejectedByBoth++
		default:
			ta.acceptedByBoth++
		}
		// What each part of the corpus must be.
		switch {
		case group == "builder" && (kv.rejects() || len(kv.warns) > 0):
			t.Errorf("%s: a document our builder makes fails the official rules: %+v", name, kv)
		case group == "official":
			var want []string
			for _, e := range officialErrors[strings.TrimPrefix(name, "official/")] {
				if _, id, ok := strings.Cut(e, " "); ok {
					want = append(want, id)
				}
			}
			slices.Sort(want)
			if !slices.Equal(kv.errs, want) || len(kv.warns) > 0 || kv.rejected != "" {
				t.Errorf("%s: the kit says %+v, want the errors %v (officialErrors)", name, kv, want)
			}
		case name == notXML:
			if r := reps[name]; r == nil || !errors.Is(r.Err, cdakit.ErrNotXML) || gv.rejected == "" {
				t.Errorf("%s: kit %v, Validate %q", name, r, gv.rejected)
			}
		case name == "mutant/base" && (kv.rejects() || len(kv.warns) > 0):
			t.Fatalf("the mutants' base fails the kit: %+v", kv)
		}
	}
	for _, m := range muts {
		r := reps["mutant/"+m.Name]
		switch {
		case r.Err != nil && errors.Is(r.Err, cdakit.ErrKitFailure):
			outcome[m.Target] = "kit-failure"
		case r.Err != nil:
			t.Errorf("mutant %s: %v", m.Name, r.Err)
		case !r.Has(m.Target):
			t.Errorf("mutant %s does not fail its target\n  op: %s\n  kit: %v", m.Name, m.Op, r.Results)
		default:
			outcome[m.Target] = "ok"
		}
	}

	var summary strings.Builder
	var total tally
	fmt.Fprintf(&summary, "\n| documents | count | rejected by both | accepted by both | rejected by a stricter SDK rule only |\n|---|---:|---:|---:|---:|\n")
	for _, g := range []string{"official", "builder", "edit", "mutant", "broken"} {
		ta := tallies[g]
		if ta == nil {
			continue
		}
		fmt.Fprintf(&summary, "| %s | %d | %d | %d | %d |\n", corpusLabels[g], ta.docs, ta.rejectedByBoth, ta.acceptedByBoth, ta.stricter)
		total.docs += ta.docs
		total.rejectedByBoth += ta.rejectedByBoth
		total.acceptedByBoth += ta.acceptedByBoth
		total.stricter += ta.stricter
	}
	fmt.Fprintf(&summary, "| **all** | **%d** | **%d** | **%d** | **%d** |\n", total.docs, total.rejectedByBoth, total.acceptedByBoth, total.stricter)
	fmt.Fprintf(&summary, "\nDisagreements: **%d**. The SDK's stricter rules, and the documents each alone rejects:\n\n| rule | documents | why |\n|---|---:|---|\n", disagreements)
	for _, r := range slices.Sorted(maps.Keys(stricter)) {
		fmt.Fprintf(&summary, "| `%s` | %d | %s |\n", r, deliberate[r], stricter[r])
	}
	t.Logf("kit agreement: %d documents (%d official), %d disagreements%s", total.docs, len(officialNames), disagreements, summary.String())

	checkGenerated(t, "cda-kit.md", kitDocMark, cdamutate.CatalogueTable(cat, muts, gaps, outcome, cda.KitMirror()))
	checkGenerated(t, "cda.md", agreementDocMark, summary.String())
}

var corpusLabels = map[string]string{
	"official": "official documents (cda/examples, official IHE_XDM archives)",
	"builder":  "built by cda.Build in tests and examples",
	"edit":     "negative tests (validate_test.go mutations of a built document)",
	"mutant":   "mutants of N1, one per assert (internal/cdamutate), and N1",
	"broken":   "not XML",
}

const (
	kitDocMark       = "kit catalogue"
	agreementDocMark = "kit agreement"
)

// checkGenerated compares the generated part of a document of docs/ with
// content, or rewrites it with -update.
func checkGenerated(t *testing.T, file, mark, content string) {
	t.Helper()
	begin := "<!-- BEGIN GENERATED " + mark + ": go test ./cda -run TestKitAgreement -update -->"
	end := "<!-- END GENERATED " + mark + " -->"
	path := filepath.Join(testenv.ModuleRoot(), "docs", file)
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s: no generated part between %q and %q", path, begin, end)
	}
	if s[i+len(begin):j] == content {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:i+len(begin)]+content+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the generated part of %s", path)
		return
	}
	t.Errorf("%s is out of date: run go test ./cda -run TestKitAgreement -update", path)
}
