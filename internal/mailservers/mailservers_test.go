package mailservers

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mssante-go/sdk/internal/testenv"
)

func TestStartSendDeliver(t *testing.T) {
	for _, p := range Programs {
		testenv.LookPath(t, p)
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root privileges to run Postfix and Dovecot")
	}
	ctx := context.Background()
	s, err := Start(ctx, "", &Options{TempFail: []string{"busy@hopital.mssante.test"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	cert, err := s.Client(s.Users[0])
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.DialStartTLS(s.SubmissionAddr, &tls.Config{
		ServerName: "localhost", RootCAs: s.PKI.Pool,
		Certificates: []tls.Certificate{cert.TLS},
		MinVersion:   tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
	})
	if err != nil {
		t.Fatalf("%v%s", err, s.Logs())
	}
	defer c.Close()
	msg := "From: " + s.Users[0] + "\r\nTo: " + s.Users[1] + "\r\nSubject: hi\r\n\r\nhello\r\n"
	if err := c.SendMail(s.Users[0], []string{s.Users[1]}, strings.NewReader(msg)); err != nil {
		t.Fatalf("%v%s", err, s.Logs())
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		m, _ := filepath.Glob(filepath.Join(s.Mailbox(s.Users[1]), "new", "*"))
		if len(m) == 1 {
			data, _ := os.ReadFile(m[0])
			if !strings.Contains(string(data), "hello") {
				t.Fatalf("delivered message: %s", data)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("not delivered%s", s.Logs())
}
