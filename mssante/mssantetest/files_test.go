package mssantetest

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

func TestWriteFiles(t *testing.T) {
	op := NewOperator(t, nil)
	dir := filepath.Join(t.TempDir(), "op")
	d, err := op.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(ca)
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !root.IsCA {
		t.Fatalf("ca.pem: %v", err)
	}
	for _, name := range []string{"server.pem", "server.key", DefaultApp + ".pem", DefaultApp + ".key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, DescriptionFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v", DescriptionFile, err, fi)
	}
	p12, err := os.ReadFile(filepath.Join(dir, DefaultApp+".p12"))
	if err != nil {
		t.Fatal(err)
	}
	_, cert, err := pkcs12.Decode(p12, P12Password)
	if err != nil || cert.Subject.CommonName != DefaultApp {
		t.Fatalf("p12: %v", err)
	}

	js, err := os.ReadFile(filepath.Join(dir, DescriptionFile))
	if err != nil {
		t.Fatal(err)
	}
	var back Description
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.SMTP != op.SMTPAddr() || len(back.Mailboxes) != len(DefaultMailboxes()) || len(back.Patients) != len(DefaultPatients()) || len(d.Mailboxes) != len(back.Mailboxes) {
		t.Fatalf("description: %+v", back)
	}
	for _, mb := range back.Mailboxes {
		if mb.Type == APP && mb.P12 == "" || mb.Type != APP && mb.Token == "" {
			t.Errorf("credentials missing for %s", mb.Address)
		}
		if mb.Type != APP {
			if _, ok := op.checkToken(mb.Address, mb.Token); !ok {
				t.Errorf("written token of %s does not open it", mb.Address)
			}
		}
	}
}
