package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
	"github.com/mssante-go/sdk/finding"
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
	code, out, errs := runAnn(t, "whitelist", "--file", lb, "Reponse.Automatique-Test@PATIENT.mssante.fr")
	if code != 0 || !strings.Contains(out, "patient.mssante.fr is on the liste blanche") || !strings.Contains(out, "operator") ||
		!strings.Contains(errs, "generated 2025-03-13T14:54:10Z, 5001 domains; signature: unsigned") || !strings.Contains(errs, "ANN-LB-UNCLOSED") ||
		!strings.Contains(errs, "would refuse this list (signature)") {
		t.Errorf("listed: %d %q %q", code, out, errs)
	}
	code, _, errs = runAnn(t, "whitelist", "--file", lb, "someone@gmail.com")
	if code != 1 || !strings.Contains(errs, "gmail.com") || !strings.Contains(errs, "not in the liste blanche") {
		t.Errorf("not listed: %d %q", code, errs)
	}
	code, out, _ = runAnn(t, "whitelist", "--json", "--file", lb, "--allow-unsigned", "--allow-unclosed", "x@medecin.mssante.fr")
	var res struct {
		Listed    bool
		Operators []annuaire.Operator
		Generated time.Time
		Complete  bool
		Signature annuaire.SignatureVerdict
		Findings  finding.List
		Status    annuaire.RefreshStatus
		Refused   *annuaire.Refusal
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.Listed || len(res.Operators) == 0 || res.Generated.IsZero() || res.Complete ||
		res.Signature.Status != annuaire.SignatureUnsigned || len(res.Findings.ByRule("ANN-LB-UNCLOSED")) != 1 || res.Refused != nil ||
		res.Status.Domains != 5001 || !strings.Contains(res.Status.Warning, "unsigned") {
		t.Errorf("json: %d %s", code, out)
	}
	if code, _, _ = runAnn(t, "whitelist", "--file", lb, "pas-une-adresse"); code != 1 {
		t.Errorf("invalid address: %d", code)
	}
	if code, _, _ = runAnn(t, "whitelist", "x@y.fr"); code != 2 {
		t.Errorf("usage: %d", code)
	}

	// The truncated commit of the GitHub mirror: the refusal and its
	// reasons are on stderr and in the JSON.
	tr := testenv.Shared(t, "listeblanche", "listeblanchemssante-37d96c9-truncated.xml")
	code, out, errs = runAnn(t, "whitelist", "--json", "--file", tr, "--allow-unsigned", "--allow-unclosed", "x@medecin.mssante.fr")
	res.Refused = nil
	if code != 1 || json.Unmarshal([]byte(out), &res) != nil || res.Listed || res.Refused == nil || res.Refused.Kind != annuaire.RefreshTooSmall ||
		!strings.Contains(res.Refused.Reason, "essential domains missing: medecin.mssante.fr") || !strings.Contains(errs, "would refuse this list (too-small)") {
		t.Errorf("truncated: %d %s %s", code, out, errs)
	}
}

func TestAnnuaireWhitelistVerify(t *testing.T) {
	signed := testenv.Shared(t, "listeblanche", "listeblanchemssante-2025-02-28-signed.xml")
	// The IGC Santé roots are not in the shared test data: trust the
	// signer's own certificate, taken from KeyInfo.
	data, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	_, b64, _ := strings.Cut(string(data), "<X509Certificate>")
	b64, _, _ = strings.Cut(b64, "</X509Certificate>")
	der, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(strings.ReplaceAll(b64, "&#13;", ""), "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	roots := filepath.Join(t.TempDir(), "roots.pem")
	os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)

	code, out, _ := runAnn(t, "whitelist", "verify", "--file", signed, "--roots", roots)
	if code != 0 || !strings.HasPrefix(out, "signed-and-trusted\n") || !strings.Contains(out, "signer:    CN=alb.mssante.fr,") ||
		!strings.Contains(out, "generated: 2025-02-28T15:42:07Z") || !strings.Contains(out, "valid:     2023-08-23T13:54:23Z to 2026-08-23T13:54:23Z") {
		t.Errorf("trusted: %d %s", code, out)
	}
	code, out, _ = runAnn(t, "whitelist", "verify", "--json", "--file", signed)
	var rep struct {
		Signature annuaire.SignatureVerdict
		Domains   int
		Status    annuaire.RefreshStatus
		Refused   *annuaire.Refusal
	}
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil || rep.Signature.Status != annuaire.SignatureUnknownIssuer ||
		rep.Signature.Signer == nil || !strings.Contains(rep.Signature.Signer.Issuer, "CN=AC IGC-SANTE ELEMENTAIRE ORGANISATIONS") ||
		rep.Domains != 4944 || rep.Refused == nil || rep.Refused.Kind != annuaire.RefreshSignature || rep.Status.AgeSeconds != 0 {
		t.Errorf("no roots, json: %d %s", code, out)
	}
	for name, want := range map[string]string{
		"listeblanchemssante-altered-unsigned.xml":  "bad-signature",
		"listeblanchemssante-37d96c9-truncated.xml": "unsigned",
	} {
		code, out, _ = runAnn(t, "whitelist", "verify", "--file", testenv.Shared(t, "listeblanche", name), "--roots", roots)
		if code != 1 || !strings.HasPrefix(out, want+"\n") {
			t.Errorf("%s: %d %s", name, code, out)
		}
	}
	// The address check sees the same verdict, and a refresher would take
	// the list.
	code, out, errs := runAnn(t, "whitelist", "--json", "--file", signed, "--roots", roots, "x@medecin.mssante.fr")
	var res struct {
		Listed    bool
		Signature annuaire.SignatureVerdict
		Status    annuaire.RefreshStatus
		Refused   *annuaire.Refusal
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.Listed || !res.Signature.Trusted() || res.Refused != nil ||
		!res.Status.Signature.Trusted() || res.Status.AgeSeconds <= 0 || res.Status.Warning != "" ||
		!strings.Contains(errs, "signature: signed-and-trusted (signer CN=alb.mssante.fr,") || strings.Contains(errs, "would refuse") {
		t.Errorf("address with roots: %d %s %s", code, out, errs)
	}
	if code, _, _ = runAnn(t, "whitelist", "verify", "--file", signed, "--crl", roots); code != 1 {
		t.Errorf("a CRL file that holds none: %d", code)
	}
	if code, _, _ = runAnn(t, "whitelist", "verify", "--file", signed, "extra"); code != 2 {
		t.Errorf("usage: %d", code)
	}
	if code, _, _ = runAnn(t, "whitelist", "verify"); code != 2 {
		t.Errorf("no file: %d", code)
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
