package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReceiptMDNAndParse(t *testing.T) {
	eml := buildTestMessage(t)
	dir := t.TempDir()
	mdn := filepath.Join(dir, "mdn.eml")
	code, _, stderr := runCmd(t, "receipt", "mdn", eml, "--error", "904", "--nil", "DEV000002", "-o", mdn)
	if code != 0 {
		t.Fatalf("mdn: %d %s", code, stderr)
	}
	code, out, _ := runCmd(t, "receipt", "parse", mdn)
	for _, want := range []string{"MDN (failure)", "processed/error", "904 L'INS transmis ne correspond pas exactement"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("parse lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(t, "receipt", "parse", mdn, "--json")
	var rep map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep["kind"] != "mdn" {
		t.Fatalf("json: %d %s", code, out)
	}
	if code, out, _ := runCmd(t, "message", "lint", mdn); code != 0 {
		t.Errorf("the MDN does not lint clean:\n%s", out)
	}
	if code, _, _ := runCmd(t, "receipt", "mdn", eml, "--error", "42"); code != 2 {
		t.Errorf("bad code: %d", code)
	}
	// A message that asks for nothing.
	plain := filepath.Join(dir, "plain.eml")
	if err := os.WriteFile(plain, []byte("From: a@x.mssante.fr\r\nTo: b@y.mssante.fr\r\nSubject: x\r\n\r\nhi\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, "receipt", "mdn", plain); code != 1 || !strings.Contains(stderr, "does not request") {
		t.Errorf("no request: %d %s", code, stderr)
	}
	if code, out, _ := runCmd(t, "receipt", "mdn", plain, "--force"); code != 0 || !strings.Contains(out, "multipart/report") {
		t.Errorf("force: %d", code)
	}
	if code, _, _ := runCmd(t, "receipt", "parse", plain); code != 1 {
		t.Errorf("parse plain: %d", code)
	}
}

func TestReceiptParseDSN(t *testing.T) {
	code, out, stderr := runCmd(t, "receipt", "parse", filepath.Join("..", "..", "mssante", "testdata", "dsn-postfix.eml"))
	if code != 0 || !strings.Contains(out, "DSN (failure)") || !strings.Contains(out, "279035121518989@patient.mssante.fr: failed 5.1.1") {
		t.Fatalf("%d %s %s", code, out, stderr)
	}
}
