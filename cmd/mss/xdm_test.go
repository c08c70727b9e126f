package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

func xdmRun(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(&cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestXDMBuildVerifyInspect(t *testing.T) {
	examples := testenv.Shared(t, "cda", "examples")
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "IHE_XDM.ZIP")
	pdf := filepath.Join(dir, "cr.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := xdmRun("xdm", "build", "--cda", filepath.Join(examples, "DOC_NON_STRUCTURE_CDA-R2-N1.xml"),
		"--attach", pdf, "--sender-name", "Centre de santé du Belvédère", "--sender-id", "1120456791",
		"--recipient", "dr.dupont@hopital.mssante.fr", "-o", zipPath)
	if code != 0 {
		t.Fatalf("build: %d %s %s", code, out, errs)
	}
	if st, err := os.Stat(zipPath); err != nil {
		t.Fatal(err)
	} else if st.Mode().Perm()&0o077 != 0 {
		t.Fatalf("archive of health documents readable by others: %v", st.Mode())
	}
	code, out, errs = xdmRun("xdm", "verify", zipPath)
	if code != 0 || !strings.Contains(out, ": ok (0 errors") {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}
	code, out, _ = xdmRun("xdm", "inspect", zipPath, "--json")
	if code != 0 {
		t.Fatalf("inspect: %d", code)
	}
	var res xdmInspectResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Documents) != 2 || res.Documents[0].HashStatus != "ok" || res.Documents[1].MimeType != "application/pdf" ||
		res.Documents[1].URI != "DOC0002.PDF" || res.SubmissionSets[0].IntendedRecipients[0] != "dr.dupont@hopital.mssante.fr" {
		t.Fatalf("%+v", res)
	}
	code, out, _ = xdmRun("xdm", "inspect", zipPath)
	if code != 0 || !strings.Contains(out, "document IHE_XDM/SUBSET01/DOC0001.XML\n") || !strings.Contains(out, "(ok)") {
		t.Fatalf("inspect text: %s", out)
	}
}

func TestXDMVerifyOfficial(t *testing.T) {
	dir := testenv.Shared(t, "xdm", "ansforge")
	files, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
	code, out, errs := xdmRun(append([]string{"xdm", "verify", "--json"}, files...)...)
	if code != 0 {
		t.Fatalf("verify: %d %s", code, errs)
	}
	var res []xdmVerifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != len(files) || !res[0].OK || res[0].Warnings == 0 {
		t.Fatalf("%+v", res[0])
	}
}

func TestXDMVerifyFailures(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.zip")
	if err := os.WriteFile(bad, []byte("not a zip"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An unreadable archive: the error on stderr, naming the command and the file.
	if code, out, errs := xdmRun("xdm", "verify", bad); code != 1 || out != "" || !strings.HasPrefix(errs, "mss xdm verify: "+bad+": ") {
		t.Fatalf("code %d: stdout %q, stderr %q", code, out, errs)
	}
	broken := filepath.Join(dir, "broken.zip")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	if w, err := zw.Create("IHE_XDM/SUBSET01/METADATA.XML"); err != nil {
		t.Fatal(err)
	} else if _, err := w.Write([]byte("<a/>")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, zb.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := xdmRun("xdm", "verify", broken); code != 1 || !strings.Contains(out, "XDM-META-ROOT") || !strings.Contains(out, ": FAILED (") {
		t.Fatalf("archive with errors: code %d: %s", code, out)
	}
	if _, out, _ := xdmRun("xdm", "verify", broken); strings.Contains(out, "XDM-ZIP-DIR") {
		t.Fatalf("info finding printed without --all: %s", out)
	}
	if _, out, _ := xdmRun("xdm", "verify", "--all", broken); !strings.Contains(out, "info XDM-ZIP-DIR") {
		t.Fatalf("--all: no info finding: %s", out)
	}
	if code, _, _ := xdmRun("xdm", "verify"); code != 2 {
		t.Fatalf("no file: code %d", code)
	}
	if code, _, _ := xdmRun("xdm", "inspect", bad); code != 1 {
		t.Fatalf("inspect bad: code %d", code)
	}
	if code, _, _ := xdmRun("xdm", "build", "--cda", "x.xml"); code != 2 {
		t.Fatalf("build without sender: code %d", code)
	}
	if code, _, _ := xdmRun("xdm", "nope"); code != 2 {
		t.Fatalf("unknown subcommand: code %d", code)
	}
}

// TestXDMVerifyStrictINS: the CSE-CS9 example carries an INS with a wrong
// key, a warning by default and an error with --strict-ins.
func TestXDMVerifyStrictINS(t *testing.T) {
	cs9 := filepath.Join(testenv.Shared(t, "xdm", "ansforge"), "CSE-CS9_2025.01.zip")
	if code, out, _ := xdmRun("xdm", "verify", cs9); code != 0 || !strings.Contains(out, "XDM-PATIENT-INS") {
		t.Fatalf("default: code %d: %s", code, out)
	}
	if code, out, _ := xdmRun("xdm", "verify", "--strict-ins", cs9); code != 1 || !strings.Contains(out, ": FAILED (2 errors" /* submission set and document */) {
		t.Fatalf("--strict-ins: code %d: %s", code, out)
	}
}

// TestXDMInspectForeign: an archive with backslash names and no IHE_XDM
// directory opens; documents are named by their subset path.
func TestXDMInspectForeign(t *testing.T) {
	files := testenv.NewSharedFiles(t)
	if p := files.Path("xdm", "foreign", "direct_java_xdmail_src_test_resources_samplexdm.zip"); p != "" {
		code, out, errOut := xdmRun("xdm", "inspect", p)
		if code != 0 || !strings.Contains(out, "document SUBSET01/? (no URI)") {
			t.Errorf("backslash names: %d %s %s", code, out, errOut)
		}
	}
	if p := files.Path("xdm", "foreign", "nist_XDM-Samples_Epic.zip"); p != "" {
		code, out, _ := xdmRun("xdm", "inspect", p, "--json")
		var res xdmInspectResult
		if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Documents) != 1 ||
			res.Documents[0].Subset != "IHE_XDM/LUCY_0" || res.Documents[0].Path != "IHE_XDM/LUCY_0/DOC0001.XML" {
			t.Errorf("subset path: %d %s", code, out)
		}
	}
	files.Done()
}
