package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// lockedBuffer is written by the command while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startOperatorCmd runs "mss operator args..." until the returned cancel is
// called; wait returns its exit code.
func startOperatorCmd(t *testing.T, ready string, args ...string) (stdout, stderr *lockedBuffer, stop func() int) {
	t.Helper()
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() {
		code <- operatorMain(ctx, &cmdEnv{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr}, args)
	}()
	stop = func() int {
		cancel()
		select {
		case c := <-code:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("mss operator did not stop")
			return -1
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), ready) {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("mss operator not ready; stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return stdout, stderr, stop
}

func TestOperatorCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "op")
	stdout, stderr, stop := startOperatorCmd(t, "running;", "--dir", dir)
	out := stdout.String()
	for _, want := range []string{"SMTP submission", mssantetest.DefaultApp, mssantetest.DefaultPatient, "XOAUTH2 token", filepath.Join(dir, "ca.pem")} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Another program uses the files: root, APP certificate, description.
	js, err := os.ReadFile(filepath.Join(dir, mssantetest.DescriptionFile))
	if err != nil {
		t.Fatal(err)
	}
	var d mssantetest.Description
	if err := json.Unmarshal(js, &d); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(dir, d.CA))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	var app mssantetest.MailboxDescription
	for _, mb := range d.Mailboxes {
		if mb.Type == mssantetest.APP {
			app = mb
			break
		}
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, app.Cert), filepath.Join(dir, app.Key))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, RootCAs: roots, ServerName: "localhost", Certificates: []tls.Certificate{cert}}
	c, err := smtp.DialStartTLS(d.SMTP, cfg)
	if err != nil {
		t.Fatal(err)
	}
	msg := "From: <" + app.Address + ">\r\nTo: <" + mssantetest.DefaultDoctor + ">\r\nSubject: hello\r\n\r\nhi\r\n"
	if err := c.SendMail(app.Address, []string{mssantetest.DefaultDoctor}, strings.NewReader(msg)); err != nil {
		t.Fatalf("send through the standalone operator: %v", err)
	}
	c.Close()

	if code := stop(); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.pem")); err != nil {
		t.Errorf("--dir files removed: %v", err)
	}
}

func TestOperatorCommandJSON(t *testing.T) {
	stdout, stderr, stop := startOperatorCmd(t, "\n}\n", "--json", "--token-ttl", "1h")
	var d mssantetest.Description
	if err := json.Unmarshal([]byte(stdout.String()), &d); err != nil {
		t.Fatalf("stdout is not the description: %v\n%s", err, stdout)
	}
	if d.SMTP == "" || d.IMAP == "" || len(d.Mailboxes) == 0 {
		t.Errorf("description: %+v", d)
	}
	for _, mb := range d.Mailboxes {
		if mb.TokenExpires != nil && time.Until(*mb.TokenExpires) > time.Hour+time.Minute {
			t.Errorf("token of %s expires %v, want in 1h", mb.Address, mb.TokenExpires)
		}
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestOperatorCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"--nope"}} {
		var out, errb bytes.Buffer
		if code := run(&cmdEnv{stdout: &out, stderr: &errb}, append([]string{"operator"}, args...)); code != 2 {
			t.Errorf("mss operator %v: exit %d, want 2", args, code)
		}
	}
	var out, errb bytes.Buffer
	if code := operatorMain(context.Background(), &cmdEnv{stdout: &out, stderr: &errb}, []string{"--smtp", "256.0.0.1:1"}); code != 1 {
		t.Errorf("bad listen address: exit %d, want 1 (%s)", code, errb.String())
	}
}
