package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/mailservers"
)

// TestMain stops the Postfix and Dovecot that the tests started.
func TestMain(m *testing.M) {
	// The test binary re-executed with MSS_TEST_MAIN=1 is mss: the serve
	// tests run it as a child process.
	if os.Getenv("MSS_TEST_MAIN") == "1" {
		main()
		return
	}
	mailservers.Main(m)
}

// TestSendBccThroughPostfix: mss send delivers to the Bcc recipients of the
// file it sends, through real Postfix and Dovecot, and no recipient
// receives the Bcc field, whether the file was written by hand or by mss
// message build --bcc.
func TestSendBccThroughPostfix(t *testing.T) {
	s := mailservers.Shared(t)
	dir := t.TempDir()
	cert, err := s.Client("dpi@" + s.Domain)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.WriteFiles(dir, "dpi"); err != nil {
		t.Fatal(err)
	}
	lb := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"><ListeDomaines>`+
		`<Domaine><Nom>%s</Nom><DNCertificatOperateur>CN=localhost,O=Test</DNCertificatOperateur></Domaine></ListeDomaines></ListeBlancheMSSante>`, s.Domain)
	writeFileAt(t, filepath.Join(dir, "lb.xml"), lb)
	cfg := filepath.Join(dir, "mss.json")
	writeFileAt(t, cfg, fmt.Sprintf(`{"smtp": %q, "ca": %q, "server_name": "localhost", "cert": "dpi.pem", "key": "dpi.key", "smtp_auth": "none", "liste_blanche": "lb.xml"}`,
		s.SubmissionAddr, s.CAFile))
	from, to, bcc := "dpi@"+s.Domain, "alice@"+s.Domain, []string{"bob@" + s.Domain, "dpi@" + s.Domain}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// A file written by another program, with a folded Bcc field.
	subject := "cli-bcc-" + time.Now().Format("150405.000000")
	eml := filepath.Join(dir, "hand.eml")
	writeFileAt(t, eml, "From: "+from+"\r\nTo: "+to+"\r\nBcc: "+bcc[0]+",\r\n "+bcc[1]+"\r\nSubject: "+subject+"\r\n\r\nBonjour.\r\n")
	if code, out, errs := runCmd(t, "send", "--config", cfg, eml); code != 0 {
		t.Fatalf("send: %d\n%s%s", code, out, errs)
	}
	s.CheckBccDelivery(t, ctx, subject, to, bcc...)

	// A draft of mss message build --bcc.
	subject = "cli-build-bcc-" + time.Now().Format("150405.000000")
	eml = filepath.Join(dir, "built.eml")
	code, out, errs := runCmd(t, "message", "build", "--from", from, "--type", "APP", "--entity", "DPI", "--nil", "DEV000000",
		"--to", to, "--bcc", bcc[0], "--bcc", bcc[1], "--subject", subject, "--text", "Bonjour.", "-o", eml)
	if code != 0 {
		t.Fatalf("build: %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCmd(t, "send", "--config", cfg, eml); code != 0 {
		t.Fatalf("send: %d\n%s%s", code, out, errs)
	}
	s.CheckBccDelivery(t, ctx, subject, to, bcc...)
}

func writeFileAt(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
