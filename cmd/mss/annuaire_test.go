package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
	"github.com/mssante-go/sdk/internal/testenv"
)

func runAnn(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(&cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}, append([]string{"annuaire"}, args...))
	return code, out.String(), errb.String()
}

func writeExtraction(t *testing.T, name string, rows int, seed uint64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := annuairetest.Generate(f, &annuairetest.Options{Rows: rows, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestAnnuaireLookup(t *testing.T) {
	p := writeExtraction(t, "ext.txt", 2000, 11)
	idx, err := annuaire.LoadIndexFile(t.Context(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var per annuaire.Mailbox
	idx.All(func(m annuaire.Mailbox) bool {
		per = m
		return m.Person.ID == "" || m.Structure.Name == ""
	})

	code, out, _ := runAnn(t, "lookup", "--extraction", p, strings.ToUpper(per.Address))
	if code != 0 || !strings.HasPrefix(out, per.Address+"\t") || !strings.Contains(out, per.Person.LastName) {
		t.Errorf("address: %d %q", code, out)
	}
	code, out, _ = runAnn(t, "lookup", "--extraction", p, "--json", per.Person.ID)
	var ms []annuaire.Mailbox
	if code != 0 || json.Unmarshal([]byte(out), &ms) != nil || len(ms) == 0 || ms[0].Person.ID != per.Person.ID {
		t.Errorf("rpps: %d %q", code, out)
	}
	if code, _, _ = runAnn(t, "lookup", "--extraction", p, per.Person.NationalID); code != 0 {
		t.Errorf("national id: %d", code)
	}
	code, out, _ = runAnn(t, "lookup", "--extraction", p, "name:"+strings.ToLower(per.Person.LastName), "--departement", per.Structure.Address.Departement)
	if code != 0 || !strings.Contains(out, per.Address) {
		t.Errorf("name: %d %q", code, out)
	}
	if code, _, _ = runAnn(t, "lookup", "--extraction", p, "structure:"+per.Structure.ID); code != 0 {
		t.Errorf("structure: %d", code)
	}
	code, out, errs := runAnn(t, "lookup", "--extraction", p, "--json", "inconnu@medecin.mssante.fr")
	if code != 1 || strings.TrimSpace(out) != "[]" || !strings.Contains(errs, "red-listed") {
		t.Errorf("not found: %d %q %q", code, out, errs)
	}
	if code, _, _ = runAnn(t, "lookup", "inconnu@medecin.mssante.fr"); code != 2 {
		t.Errorf("no --extraction: %d", code)
	}
	if code, _, _ = runAnn(t, "lookup", "--extraction", filepath.Join(t.TempDir(), "none"), "x@y.fr"); code != 1 {
		t.Errorf("missing file: %d", code)
	}
}

func TestAnnuaireWhitelist(t *testing.T) {
	lb := testenv.Shared(t, "listeblanche", "listeblanchemssante-2025-03-13.xml")
	code, out, _ := runAnn(t, "whitelist", "--file", lb, "Reponse.Automatique-Test@PATIENT.mssante.fr")
	if code != 0 || !strings.Contains(out, "patient.mssante.fr is on the liste blanche") || !strings.Contains(out, "operator") {
		t.Errorf("listed: %d %q", code, out)
	}
	code, _, errs := runAnn(t, "whitelist", "--file", lb, "someone@gmail.com")
	if code != 1 || !strings.Contains(errs, "gmail.com") || !strings.Contains(errs, "not in the liste blanche") {
		t.Errorf("not listed: %d %q", code, errs)
	}
	code, out, _ = runAnn(t, "whitelist", "--json", "--file", lb, "x@medecin.mssante.fr")
	var res struct {
		Listed    bool
		Operators []annuaire.Operator
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.Listed || len(res.Operators) == 0 {
		t.Errorf("json: %d %q", code, out)
	}
	if code, _, _ = runAnn(t, "whitelist", "--file", lb, "pas-une-adresse"); code != 1 {
		t.Errorf("invalid address: %d", code)
	}
	if code, _, _ = runAnn(t, "whitelist", "x@y.fr"); code != 2 {
		t.Errorf("usage: %d", code)
	}
}

func TestAnnuaireDiff(t *testing.T) {
	a := writeExtraction(t, "a.txt", 1000, 1)
	b := writeExtraction(t, "b.txt", 1000, 2)
	if code, out, _ := runAnn(t, "diff", a, a); code != 0 || !strings.Contains(out, "0 added, 0 removed, 0 modified") {
		t.Errorf("same: %d %q", code, out)
	}
	code, out, _ := runAnn(t, "diff", a, b)
	if code != 1 || !strings.Contains(out, "\n+ ") || !strings.Contains(out, "\n- ") {
		t.Errorf("different: %d %.200q", code, out)
	}
	code, out, _ = runAnn(t, "diff", "--json", a, b)
	var d annuaire.Diff
	if code != 1 || json.Unmarshal([]byte(out), &d) != nil || len(d.Added) == 0 {
		t.Errorf("json: %d", code)
	}
	if code, _, _ = runAnn(t, "diff", a); code != 2 {
		t.Errorf("usage: %d", code)
	}
	if code, _, _ = runAnn(t, "diff", a, filepath.Join(t.TempDir(), "none")); code != 2 {
		t.Errorf("missing: %d", code)
	}
	if code, _, _ = runAnn(t, "nope"); code != 2 {
		t.Errorf("unknown subcommand: %d", code)
	}
}
