package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// operatorConfig starts the embedded operator and writes a mss send/fetch
// configuration for mailbox, authenticated the way its type requires.
func operatorConfig(t *testing.T, mailbox string) (string, *mssantetest.Operator) {
	t.Helper()
	op := mssantetest.NewOperator(t, nil)
	dir := t.TempDir()
	desc, err := op.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{"smtp": desc.SMTP, "imap": desc.IMAP, "ca": desc.CA, "server_name": "localhost", "user": mailbox,
		"liste_blanche": desc.ListeBlanche}
	for _, mb := range desc.Mailboxes {
		if mb.Address != mailbox {
			continue
		}
		if mb.P12 != "" {
			cfg["p12"], cfg["p12_password"] = mb.P12, mssantetest.P12Password
			cfg["smtp_auth"], cfg["imap_auth"] = "none", "EXTERNAL"
		} else {
			cfg["auth"], cfg["token"] = "XOAUTH2", mb.Token
		}
	}
	data, _ := json.Marshal(cfg)
	path := filepath.Join(dir, "mss.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, op
}

func writeEML(t *testing.T, from, to, subject string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.eml")
	msg := "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@test>\r\n\r\nBonjour.\r\n"
	if err := os.WriteFile(p, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSendAndFetchCommands(t *testing.T) {
	cfg, _ := operatorConfig(t, mssantetest.DefaultApp)
	eml := writeEML(t, mssantetest.DefaultApp, mssantetest.DefaultApp, "cli-roundtrip")
	code, out, errs := runCmd(t, "send", "--config", cfg, eml)
	if code != 0 || !strings.Contains(out, "accepted") {
		t.Fatalf("send: code %d\n%s%s", code, out, errs)
	}
	dir := t.TempDir()
	code, out, errs = runCmd(t, "fetch", "--config", cfg, "--out", dir)
	if code != 0 {
		t.Fatalf("fetch: code %d\n%s%s", code, out, errs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	found := false
	for _, f := range files {
		if data, _ := os.ReadFile(f); bytes.Contains(data, []byte("Subject: cli-roundtrip")) {
			found = true
		}
	}
	if !found {
		t.Fatalf("fetched %v, none is the message sent\n%s", files, errs)
	}
	// Marked seen: a second fetch stores nothing new.
	code, out, _ = runCmd(t, "fetch", "--config", cfg, "--out", t.TempDir())
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("second fetch: code %d, out %q", code, out)
	}
	// With a cursor, fetching is UID-based: the message already seen is
	// fetched once more (the cursor starts empty), then never again.
	cursor := filepath.Join(t.TempDir(), "cursor.json")
	code, out, errs = runCmd(t, "fetch", "--config", cfg, "--out", t.TempDir(), "--cursor", cursor, "--json")
	var line fetchResult
	if code != 0 || strings.Count(out, ".eml") < 1 || json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &line) != nil || line.ID == "" {
		t.Fatalf("cursor fetch: code %d, out %q %s", code, out, errs)
	}
	code, out, _ = runCmd(t, "fetch", "--config", cfg, "--out", t.TempDir(), "--cursor", cursor)
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("second cursor fetch: code %d, out %q", code, out)
	}
}

func TestSendCommandWithToken(t *testing.T) {
	cfg, _ := operatorConfig(t, mssantetest.DefaultDoctor)
	eml := writeEML(t, mssantetest.DefaultDoctor, mssantetest.DefaultApp, "cli-token")
	code, out, errs := runCmd(t, "send", "--config", cfg, "--json", eml)
	if code != 0 {
		t.Fatalf("code %d\n%s%s", code, out, errs)
	}
	var res []recipientJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 || res[0].Status != "accepted" {
		t.Fatalf("json %q: %v", out, err)
	}
}

func TestSendCommandRefusedRecipient(t *testing.T) {
	cfg, _ := operatorConfig(t, mssantetest.DefaultApp)
	eml := writeEML(t, mssantetest.DefaultApp, "someone@gmail.com", "cli-refused")
	// Refused by the liste blanche, before the operator is contacted.
	code, out, errs := runCmd(t, "send", "--config", cfg, eml)
	if code != 1 || !strings.Contains(out, "permanent-failure") || !strings.Contains(out, "trust space") || strings.Contains(out, "550") {
		t.Fatalf("code %d\n%s%s", code, out, errs)
	}
	// Without the check (loudly), the operator refuses it.
	code, out, errs = runCmd(t, "send", "--config", cfg, "--liste-blanche", "", "--insecure-skip-recipient-check", eml)
	if code != 1 || !strings.Contains(out, "550") || !strings.Contains(errs, "WARNING") {
		t.Fatalf("code %d\n%s%s", code, out, errs)
	}
	// Neither: nothing is sent.
	code, _, errs = runCmd(t, "send", "--config", cfg, "--liste-blanche", "", eml)
	if code != 2 || !strings.Contains(errs, "liste blanche") {
		t.Fatalf("code %d %s", code, errs)
	}
}

func TestTransportCommandUsage(t *testing.T) {
	if code, _, _ := runCmd(t, "send"); code != 2 {
		t.Errorf("send without message: %d", code)
	}
	if code, _, _ := runCmd(t, "fetch", "--imap", "127.0.0.1:1"); code != 2 {
		t.Errorf("fetch without --out: %d", code)
	}
	eml := writeEML(t, "a@b.fr", "c@d.fr", "x")
	if code, _, errs := runCmd(t, "send", "--smtp", "127.0.0.1:1", eml); code != 2 || !strings.Contains(errs, "CA") {
		t.Errorf("send without CA: %d %s", code, errs)
	}
	if code, _, _ := runCmd(t, "send", "--config", "/nonexistent.json", eml); code != 2 {
		t.Errorf("missing config: %d", code)
	}
}

// The operator.json that mss operator --dir writes is a configuration
// file as is: each message goes out with the credentials of its From
// mailbox (a client certificate for the applicative one, an XOAUTH2 token
// for a personal one), and fetch reads the mailbox named by --user.
func TestSendAndFetchWithOperatorJSON(t *testing.T) {
	op := mssantetest.NewOperator(t, nil)
	dir := t.TempDir()
	if _, err := op.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, mssantetest.DescriptionFile)
	for _, from := range []string{mssantetest.DefaultApp, mssantetest.DefaultDoctor} {
		eml := writeEML(t, from, mssantetest.DefaultDoctor2, "opjson-"+strings.Split(from, "@")[0])
		if code, out, errs := runCmd(t, "send", "--config", cfg, eml); code != 0 || !strings.Contains(out, "accepted") {
			t.Fatalf("send from %s: code %d\n%s%s", from, code, out, errs)
		}
	}
	if n := len(op.Messages(mssantetest.DefaultDoctor2)); n != 2 {
		t.Fatalf("%d messages delivered, want 2", n)
	}
	// Several mailboxes: fetch must be told which.
	if code, _, errs := runCmd(t, "fetch", "--config", cfg, "--out", t.TempDir()); code != 2 || !strings.Contains(errs, "choose one") {
		t.Errorf("fetch without --user: code %d, %s", code, errs)
	}
	out := t.TempDir()
	if code, stdout, errs := runCmd(t, "fetch", "--config", cfg, "--user", mssantetest.DefaultDoctor2, "--out", out); code != 0 || strings.Count(stdout, ".eml") != 2 {
		t.Fatalf("fetch: code %d\n%s%s", code, stdout, errs)
	}
	// A sender without an entry is refused before any connection.
	eml := writeEML(t, "inconnu@hopital-test.mssante.fr", mssantetest.DefaultDoctor2, "opjson-unknown")
	if code, _, errs := runCmd(t, "send", "--config", cfg, eml); code != 2 || !strings.Contains(errs, "no such mailbox") {
		t.Errorf("unknown sender: code %d, %s", code, errs)
	}
}
