package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
	"github.com/mssante-go/sdk/msc"
)

func mscFixture(name string) string { return filepath.Join("..", "..", "msc", "testdata", name) }

func TestBounceClassifyJSON(t *testing.T) {
	tests := []struct {
		file, kind, recipient, status string
	}{
		{"dsn-unknown-address.eml", "msc-unknown-address", "279035121518989@patient.mssante.fr", "5.1.1"},
		{"dsn-closed.eml", "msc-closed", "279035121518989@patient.mssante.fr", "5.0.0"},
		{"text-invalid-address.eml", "msc-invalid-address", "2790351215189@patient.mssante.fr", ""},
		{"dsn-size-postfix.eml", "message-too-large", "279035121518989@patient.mssante.fr", "5.3.4"},
		{"dsn-professional-unknown.eml", "mailbox-unknown", "jean.dupont@hopital-fictif.mssante.fr", "5.1.1"},
		{"dsn-delayed.eml", "temporary", "279035121518989@patient.mssante.fr", "4.4.1"},
	}
	for _, tt := range tests {
		code, out, errOut := runCmd(t, "bounce", "classify", mscFixture(tt.file), "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tt.file, code, errOut)
		}
		var got struct {
			Recipients []map[string]any `json:"recipients"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Recipients) != 1 {
			t.Fatalf("%s: %v\n%s", tt.file, err, out)
		}
		r := got.Recipients[0]
		for _, k := range []string{"kind", "recipient", "status", "action", "original_message_id", "evidence"} {
			if _, ok := r[k]; !ok {
				t.Errorf("%s: JSON recipient lacks %q", tt.file, k)
			}
		}
		if r["kind"] != tt.kind || r["recipient"] != tt.recipient || r["status"] != tt.status {
			t.Errorf("%s: %v", tt.file, r)
		}
	}
}

func TestBounceClassifyText(t *testing.T) {
	code, out, _ := runCmd(t, "bounce", "classify", mscFixture("text-unknown-address.eml"))
	want := "original message-id: 20260102-0001.cr@medecin-fictif.mssante.fr (returned-message)\nsource: text\n" +
		"RECIPIENT                           KIND                 ACTION  STATUS  EVIDENCE\n" +
		"279035121518989@patient.mssante.fr  msc-unknown-address  failed  -       mes-text\n"
	if code != 0 || out != want {
		t.Errorf("code %d, out:\n%s\nwant:\n%s", code, out, want)
	}
	for _, f := range []string{"mdn-displayed.eml", "not-a-bounce.eml", "missing.eml"} {
		if code, _, errOut := runCmd(t, "bounce", "classify", mscFixture(f)); code != 1 || errOut == "" {
			t.Errorf("%s: code %d, err %q", f, code, errOut)
		}
	}
	if code, out, _ := runCmd(t, "bounce", "classify", mscFixture("not-a-bounce.eml"), "--json"); code != 1 || !strings.Contains(out, `"recipients": []`) {
		t.Errorf("not a bounce, JSON: %d %s", code, out)
	}
	if code, _, _ := runCmd(t, "bounce", "classify"); code != 2 {
		t.Errorf("usage: %d", code)
	}
	if code, _, _ := runCmd(t, "bounce", "nope"); code != 2 {
		t.Errorf("unknown subcommand: %d", code)
	}
}

// Each recipient with its own kind, the delayed one included.
func TestBounceClassifySeveralRecipients(t *testing.T) {
	raw := "From: MAILER-DAEMON@relay.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example\r\n\r\n" +
		"Final-Recipient: rfc822;jean.dupont@hopital-fictif.mssante.fr\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n" +
		"Final-Recipient: rfc822;279035121518989@patient.mssante.fr\r\nAction: failed\r\nStatus: 5.2.1\r\n\r\n--b--\r\n"
	env := &cmdEnv{stdin: strings.NewReader(raw), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	code := run(env, []string{"bounce", "classify", "-"})
	out := env.stdout.(*bytes.Buffer).String()
	want := "original message-id: -\nsource: dsn\n" +
		"RECIPIENT                              KIND        ACTION   STATUS  EVIDENCE\n" +
		"jean.dupont@hopital-fictif.mssante.fr  temporary   delayed  4.4.1   action\n" +
		"279035121518989@patient.mssante.fr     msc-closed  failed   5.2.1   status\n"
	if code != 0 || out != want {
		t.Errorf("code %d, out:\n%s\nwant:\n%s", code, out, want)
	}
}

// TestBounceClassifyFieldMail: the two-recipient Postfix bounce and
// a 4.x.x "failed" one, from the shared corpus.
func TestBounceClassifyFieldMail(t *testing.T) {
	dir := testenv.Shared(t, "mail", "bounces", "sisimai")
	for file, want := range map[string][]string{
		"lhost-postfix-13.eml": {"kijitora@example.jp mailbox-unknown 5.2.1", "noraneko@example.jp mailbox-full 5.2.2"},
		"lhost-postfix-08.eml": {"kijitora@example.com expired 4.4.1"},
	} {
		code, out, errOut := runCmd(t, "bounce", "classify", filepath.Join(dir, file), "--json")
		var b msc.Bounce
		if code != 0 || json.Unmarshal([]byte(out), &b) != nil {
			t.Fatalf("%s: %d %s %s", file, code, out, errOut)
		}
		var got []string
		for _, r := range b.Recipients {
			got = append(got, fmt.Sprintf("%s %s %s", r.Recipient, r.Kind, r.Status))
			if r.OriginalMessageID == "" || r.OriginalMessageID != b.OriginalMessageID {
				t.Errorf("%s: original id %q on %s", file, r.OriginalMessageID, r.Recipient)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %q, want %q", file, got, want)
		}
	}
}
