package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

// buildTestMessage builds a message around an official level 1 CDA example
// and returns the path of the .eml file.
func buildTestMessage(t *testing.T, extra ...string) string {
	t.Helper()
	cdaFile := filepath.Join(testenv.Shared(t, "cda", "examples"), "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml")
	out := filepath.Join(t.TempDir(), "m.eml")
	args := append([]string{"message", "build",
		"--from", "paul.testeur@clinique-test.mssante.fr", "--type", "PER", "--title", "Dr",
		"--given", "Paul", "--family", "Testeur", "--entity", "Biologie", "--nil", "DEV000001",
		"--to", "Dr Anne Confrère <anne.confrere@hopital-test.mssante.fr>",
		"--cda", cdaFile, "--struct-name", "Clinique de Test", "--struct-id", "1750000002",
		"--text", "Bonjour,\nci-joint le compte rendu.", "--read-receipt", "-o", out}, extra...)
	code, _, stderr := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("build: %d %s", code, stderr)
	}
	return out
}

func TestMessageBuildInspectLint(t *testing.T) {
	eml := buildTestMessage(t)
	// The PDF of the level 1 CDA is not PDF/A: a warning only, exit 0.
	code, out, stderr := runCmd(t, "message", "lint", eml)
	if code != 0 || !strings.Contains(out, "0 error(s)") {
		t.Fatalf("lint: %d %s %s", code, out, stderr)
	}
	code, out, _ = runCmd(t, "message", "lint", eml, "--json")
	var lr lintResult
	if code != 0 || json.Unmarshal([]byte(out), &lr) != nil || !lr.Valid {
		t.Fatalf("lint json: %d %s", code, out)
	}
	code, out, _ = runCmd(t, "message", "inspect", eml)
	for _, want := range []string{"Subject:     CR d'examens biologiques PAT-TROIS DOMINIQUE 28/03/1979",
		"X-MSS-INS:   O", "X-MSS-CODECDA: 11502-2", "XDM patient: 279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH", "(ok)",
		"Patient:     PAT-TROIS DOMINIQUE, 28/03/1979, F, INS 279035121518989 (1.2.250.1.213.1.4.10)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(t, "message", "inspect", eml, "--json")
	var in map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &in) != nil || in["ins"] != "O" || in["xdm"] == nil {
		t.Fatalf("inspect json: %d %s", code, out)
	}
	// The message is larger than a 1000-byte operator limit: an error.
	if code, _, _ := runCmd(t, "message", "lint", eml, "--max-size", "1000"); code != 1 {
		t.Errorf("size limit: exit %d", code)
	}
}

func TestMessageBuildJSON(t *testing.T) {
	dir := t.TempDir()
	spec := `{"from": {"address": "secretariat@clinique-test.mssante.fr", "type": "ORG", "entity": "Secrétariat cardiologie", "nil": "DEV000001"},
	  "to": ["279035121518989@patient.mssante.fr"], "subject": "Rendez-vous", "text": "Votre rendez-vous est confirmé.",
	  "headers": {"X-MSS-MES": "FIN"}}`
	specFile := filepath.Join(dir, "spec.json")
	if err := os.WriteFile(specFile, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, "message", "build", "--json", specFile)
	if code != 0 || !strings.Contains(out, "X-MSS-MES: FIN\r\n") || !strings.Contains(out, "X-MSS-NIL: DEV000001") {
		t.Fatalf("build json: %d %s %s", code, out, stderr)
	}
	// Missing NIL: refused.
	code, _, stderr = runCmd(t, "message", "build", "--from", "a@x.mssante.fr", "--type", "ORG", "--entity", "X", "--to", "b@y.mssante.fr")
	if code != 1 || !strings.Contains(stderr, "X-MSS-NIL") {
		t.Errorf("no NIL: %d %s", code, stderr)
	}
	if code, _, _ := runCmd(t, "message", "build", "--json", filepath.Join(dir, "missing.json")); code != 2 {
		t.Errorf("missing spec: %d", code)
	}
	// A PDF without its CDA is refused rather than dropped.
	if code, _, stderr := runCmd(t, "message", "build", "--json", specFile, "--pdf", specFile); code != 2 || !strings.Contains(stderr, "--pdf") {
		t.Errorf("pdf without cda: %d %s", code, stderr)
	}
}

func TestMessageLintBad(t *testing.T) {
	dir := t.TempDir()
	bad := "From: dr@x.mssante.fr\r\nTo: 279035121518988@patient.mssante.fr\r\nSubject: XDM/1.0/DDM+CR\r\nX-MSS-INS: O\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n<p>x</p>\r\n"
	f := filepath.Join(dir, "bad.eml")
	if err := os.WriteFile(f, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCmd(t, "message", "lint", f, "--json")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var lr lintResult
	if err := json.Unmarshal([]byte(out), &lr); err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, f := range lr.Findings {
		rules[f.Rule] = true
	}
	for _, r := range []string{"ECO.2.4.3", "ECO.2.2.1", "ECO.2.2.7", "ECO.2.2.4", "ECO.2.2.6", "ECO.2.1.1", "ECO.2.4.2"} {
		if !rules[r] {
			t.Errorf("no %s finding: %v", r, lr.Findings)
		}
	}
	if code, _, _ := runCmd(t, "message", "lint"); code != 2 {
		t.Errorf("usage: %d", code)
	}
	if code, _, _ := runCmd(t, "message", "inspect", filepath.Join(dir, "nope.eml")); code != 1 {
		t.Errorf("missing file: %d", code)
	}
}

// TestMessageLintCDA: X-MSS-CODECDA must name the codes of the archive's CDA
// documents (ECO.2.4.1), and their errors are the message's.
func TestMessageLintCDA(t *testing.T) {
	eml := buildTestMessage(t)
	b, err := os.ReadFile(eml)
	if err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(t.TempDir(), "wrong.eml")
	if err := os.WriteFile(wrong, []byte(strings.Replace(string(b), "X-MSS-CODECDA: 11502-2", "X-MSS-CODECDA: 11488-4", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCmd(t, "message", "lint", wrong)
	if code != 1 || !strings.Contains(out, "error ECO.2.4.1 at X-MSS-CODECDA: X-MSS-CODECDA names the code 11488-4, which no CDA document of the archive has") ||
		!strings.Contains(out, "X-MSS-CODECDA lacks the code 11502-2") {
		t.Fatalf("wrong X-MSS-CODECDA: %d\n%s", code, out)
	}
	// A CDA with errors is refused by message build, unless accepted; lint
	// then reports them with their path in the archive.
	cdaFile := filepath.Join(testenv.Shared(t, "cda", "examples"), "eDISP-MED_2024.01.xml")
	pdf := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"message", "build", "--from", "paul.testeur@clinique-test.mssante.fr", "--type", "PER", "--title", "Dr",
		"--given", "Paul", "--family", "Testeur", "--entity", "Pharmacie", "--nil", "DEV000001", "--to", "anne.confrere@hopital-test.mssante.fr",
		"--cda", cdaFile, "--pdf", pdf, "--struct-name", "Clinique de Test", "--struct-id", "1750000002", "--text", "Bonjour."}
	if code, _, stderr := runCmd(t, append(args, "-o", filepath.Join(t.TempDir(), "refused.eml"))...); code != 1 || !strings.Contains(stderr, "d2485e87-false-d3093e0/3") {
		t.Fatalf("build with an invalid CDA: %d %s", code, stderr)
	}
	accepted := filepath.Join(t.TempDir(), "accepted.eml")
	if code, _, stderr := runCmd(t, append(args, "--accept-invalid-cda", "-o", accepted)...); code != 0 {
		t.Fatalf("build --accept-invalid-cda: %d %s", code, stderr)
	}
	code, out, _ = runCmd(t, "message", "lint", accepted)
	if code != 1 || !strings.Contains(out, "error CI-SISRecordTarget at IHE_XDM/SUBSET01/DOC0001.XML:/ClinicalDocument/recordTarget/patientRole/patient/name") {
		t.Fatalf("lint of an invalid CDA: %d\n%s", code, out)
	}
}
