package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// The three delivery commands against the embedded operator, with the
// operator.json of mss operator as the configuration: a message from the
// applicative mailbox asking for a DSN and an MDN, one from a personal
// mailbox (XOAUTH2), one to an address the operator refuses.
func TestDeliveryCommands(t *testing.T) {
	op := mssantetest.NewOperator(t, nil)
	dir := t.TempDir()
	if _, err := op.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, mssantetest.DescriptionFile)
	db := "sqlite:" + filepath.Join(t.TempDir(), "outbox.db")
	write := func(name, msg string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(msg), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.eml", "From: "+mssantetest.DefaultApp+"\r\nTo: "+mssantetest.DefaultApp+"\r\nSubject: a\r\nMessage-ID: <cli-a@test>\r\n"+
		"Disposition-Notification-To: "+mssantetest.DefaultApp+"\r\nReturn-Receipt-To: "+mssantetest.DefaultApp+"\r\n\r\nBonjour.\r\n")
	b := write("b.eml", "From: "+mssantetest.DefaultDoctor+"\r\nTo: "+mssantetest.DefaultLab+"\r\nSubject: b\r\nMessage-ID: <cli-b@test>\r\n\r\nBonjour.\r\n")
	c := write("c.eml", "From: "+mssantetest.DefaultApp+"\r\nTo: x@ailleurs.example\r\nSubject: c\r\nMessage-ID: <cli-c@test>\r\n\r\nBonjour.\r\n")
	code, out, errs := runCmd(t, "delivery", "enqueue", "--db", db, a, b, c)
	if code != 0 || out != "cli-a@test\ncli-b@test\ncli-c@test\n" {
		t.Fatalf("enqueue: code %d\n%s%s", code, out, errs)
	}
	if code, out, errs = runCmd(t, "delivery", "enqueue", "--db", db, a); code != 0 || out != "cli-a@test\n" || !strings.Contains(errs, "already queued") {
		t.Fatalf("enqueue again: code %d\n%s%s", code, out, errs)
	}
	if code, out, errs = runCmd(t, "delivery", "run", "--db", db, "--config", cfg, "--until-idle"); code != 0 || !strings.Contains(out, "submitted") {
		t.Fatalf("run: code %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCmd(t, "delivery", "status", "--db", db, "--json", "cli-a@test", "<cli-b@test>", "cli-c@test")
	if code != 0 {
		t.Fatalf("status: code %d\n%s%s", code, out, errs)
	}
	var msgs []struct {
		MessageID  string `json:"message_id"`
		Recipients []struct {
			Address string `json:"address"`
			Status  string `json:"status"`
			Final   bool   `json:"final"`
			History []struct {
				Event  string `json:"event"`
				Status string `json:"status"`
			} `json:"history"`
		} `json:"recipients"`
	}
	if err := json.Unmarshal([]byte(out), &msgs); err != nil || len(msgs) != 3 {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	want := map[string]string{"cli-a@test": "processed", "cli-b@test": "submitted", "cli-c@test": "refused"}
	for _, m := range msgs {
		r := m.Recipients[0]
		if r.Status != want[m.MessageID] {
			t.Errorf("%s: %s, want %s (%+v)", m.MessageID, r.Status, want[m.MessageID], r.History)
		}
		// cli-c is refused by the liste blanche before anything is sent:
		// queued, then refused.
		if (r.Status != "submitted") != r.Final || len(r.History) < 2 {
			t.Errorf("%s: final %v, history %+v", m.MessageID, r.Final, r.History)
		}
	}
	code, out, _ = runCmd(t, "delivery", "status", "--db", db, "cli-a@test", "nope@test")
	if code != 1 || !strings.Contains(out, "processed (final)") || !strings.Contains(out, "MDN automatic-action/MDN-sent-automatically; processed") {
		t.Errorf("status text: code %d\n%s", code, out)
	}
	if code, _, _ := runCmd(t, "delivery", "run", "--db", db); code != 2 {
		t.Errorf("run without --config: code %d", code)
	}
}
