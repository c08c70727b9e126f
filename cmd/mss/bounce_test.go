package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
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
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: %v\n%s", tt.file, err, out)
		}
		for _, k := range []string{"kind", "recipient", "status", "original_message_id"} {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: JSON lacks %q", tt.file, k)
			}
		}
		if got["kind"] != tt.kind || got["recipient"] != tt.recipient || got["status"] != tt.status {
			t.Errorf("%s: %v", tt.file, got)
		}
	}
}

func TestBounceClassifyText(t *testing.T) {
	code, out, _ := runCmd(t, "bounce", "classify", mscFixture("text-unknown-address.eml"))
	want := "kind: msc-unknown-address\nrecipient: 279035121518989@patient.mssante.fr\nstatus: -\n" +
		"original message-id: 20260102-0001.cr@medecin-fictif.mssante.fr\nsource: text\n"
	if code != 0 || out != want {
		t.Errorf("code %d, out:\n%s", code, out)
	}
	for _, f := range []string{"mdn-displayed.eml", "not-a-bounce.eml", "missing.eml"} {
		if code, _, errOut := runCmd(t, "bounce", "classify", mscFixture(f)); code != 1 || errOut == "" {
			t.Errorf("%s: code %d, err %q", f, code, errOut)
		}
	}
	if code, out, _ := runCmd(t, "bounce", "classify", mscFixture("not-a-bounce.eml"), "--json"); code != 1 || !strings.Contains(out, `"kind": ""`) {
		t.Errorf("not a bounce, JSON: %d %s", code, out)
	}
	if code, _, _ := runCmd(t, "bounce", "classify"); code != 2 {
		t.Errorf("usage: %d", code)
	}
	if code, _, _ := runCmd(t, "bounce", "nope"); code != 2 {
		t.Errorf("unknown subcommand: %d", code)
	}
}

// A delayed recipient listed before the failed one: the summary is the
// failure, and "also" lists the delayed recipient (and not the failure again).
func TestBounceClassifySeveralRecipients(t *testing.T) {
	raw := "From: MAILER-DAEMON@relay.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example\r\n\r\n" +
		"Final-Recipient: rfc822;jean.dupont@hopital-fictif.mssante.fr\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n" +
		"Final-Recipient: rfc822;279035121518989@patient.mssante.fr\r\nAction: failed\r\nStatus: 5.2.1\r\n\r\n--b--\r\n"
	env := &cmdEnv{stdin: strings.NewReader(raw), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	code := run(env, []string{"bounce", "classify", "-"})
	out := env.stdout.(*bytes.Buffer).String()
	want := "kind: msc-closed\nrecipient: 279035121518989@patient.mssante.fr\nstatus: 5.2.1\noriginal message-id: -\nsource: dsn\n" +
		"also: temporary jean.dupont@hopital-fictif.mssante.fr 4.4.1\n"
	if code != 0 || out != want {
		t.Errorf("code %d, out:\n%s\nwant:\n%s", code, out, want)
	}
}
