package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
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

// TestReceiptParseFieldMail: the guide's MDN (header running into its
// boundary), a Direct Project MDN starting with a byte order mark, and a
// Postfix DSN: per-recipient outcome, kind, status and original id.
func TestReceiptParseFieldMail(t *testing.T) {
	files := testenv.NewSharedFiles(t)
	tests := map[string]string{
		"lps-mss/mdn-ko-902.eml":             "serviceY_auto@chb.mssante.fr failed  902 199509192301.23456",
		"receipts/direct_BadContext_MDN.eml": "Jean@opsstation.lab processed   c8a0389fd14c40c185956ff9108bab07@Direct.Surescripts.com",
		"bounces/sisimai/lhost-postfix-13.eml": "kijitora@example.jp failed mailbox-unknown 5.2.1 20150213024748.CEEDB20C16@2jo.example.jp," +
			"noraneko@example.jp failed mailbox-full 5.2.2 20150213024748.CEEDB20C16@2jo.example.jp",
	}
	for file, want := range tests {
		p := files.Path("mail", file)
		if p == "" {
			continue
		}
		code, out, errOut := runCmd(t, "receipt", "parse", p, "--json")
		var res struct {
			Outcomes []receiptOutcome `json:"outcomes"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
			t.Fatalf("%s: %d %s %s", file, code, out, errOut)
		}
		var got []string
		for _, o := range res.Outcomes {
			got = append(got, strings.Join([]string{o.Recipient, o.Outcome, o.Kind, o.Status, o.OriginalMessageID}, " "))
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s:\n got %q\nwant %q", file, strings.Join(got, ","), want)
		}
	}
	if p := files.Path("mail", "receipts", "direct_BadContext_MDN.eml"); p != "" {
		code, out, _ := runCmd(t, "receipt", "parse", p)
		if code != 0 || !strings.Contains(out, "MIME-BOM") {
			t.Errorf("BOM: %d\n%s", code, out)
		}
	}
	files.Done()
}
