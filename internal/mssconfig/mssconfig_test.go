package mssconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mss.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMailboxesAndInference(t *testing.T) {
	p := write(t, `{"smtp": "127.0.0.1:2525", "imap": "127.0.0.1:1143", "ca": "ca.pem",
		"mailboxes": [
			{"address": "dpi@h.mssante.fr", "type": "APP", "password": "x", "cert": "dpi.pem", "key": "dpi.key", "p12": "dpi.p12"},
			{"address": "dr@m.mssante.fr", "type": "PER", "password": "y", "token": "tok", "token_expires": "2030-01-01T00:00:00Z"}
		],
		"patients": [{"address": "279035121518989@patient.mssante.fr", "state": "active"}]}`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Addresses(), " "); got != "dpi@h.mssante.fr dr@m.mssante.fr" {
		t.Errorf("addresses %s", got)
	}
	cr, user, err := c.credentials("DPI@h.mssante.fr", Credentials{})
	if err != nil || user != "dpi@h.mssante.fr" || cr.SMTPAuth != "none" || cr.IMAPAuth != "EXTERNAL" {
		t.Errorf("APP: %+v %s %v", cr, user, err)
	}
	cr, _, _ = c.credentials("dr@m.mssante.fr", Credentials{})
	if cr.Auth != "XOAUTH2" || cr.Token != "tok" {
		t.Errorf("PER: %+v", cr)
	}
	cr, _, _ = c.credentials("dr@m.mssante.fr", Credentials{Auth: "PLAIN"})
	if cr.Auth != "PLAIN" {
		t.Errorf("a flag must win: %+v", cr)
	}
	cr, _, _ = c.credentials("dpi@h.mssante.fr", Credentials{P12: "other.p12"})
	if cr.P12 != "other.p12" || cr.Cert != "" {
		t.Errorf("a certificate flag replaces the entry's certificate: %+v", cr)
	}
	if _, _, err := c.credentials("", Credentials{}); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("no address with two mailboxes: %v", err)
	}
	if _, _, err := c.credentials("x@y.fr", Credentials{}); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("unknown mailbox: %v", err)
	}
}

func TestOneMailboxFormAndEnvironment(t *testing.T) {
	c, err := Load(write(t, `{"smtp": "s:587", "ca": "ca.pem", "user": "dr@m.mssante.fr", "auth": "XOAUTH2", "token": "file"}`))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MSS_ACCESS_TOKEN", "env")
	cr, user, err := c.credentials("", Credentials{})
	if err != nil || user != "dr@m.mssante.fr" || cr.Token != "env" {
		t.Errorf("%+v %s %v: the environment wins over a top-level token", cr, user, err)
	}
	if _, err := Load(write(t, `{"smtp": "s", "ca": "c", "typo": 1}`)); err == nil || !strings.Contains(err.Error(), "typo") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := Load(write(t, `{"smtp": "s", "ca": "c", "mailboxes": [{"type": "APP"}]}`)); err == nil {
		t.Error("a mailbox without address")
	}
}
