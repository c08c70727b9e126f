package mssantetest

import (
	"context"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// BenchmarkStart measures starting and closing an operator once the shared
// test PKI exists (what each test after the first pays).
func BenchmarkStart(b *testing.B) {
	warm, err := Start(context.Background(), nil) // generates the keys
	if err != nil {
		b.Fatal(err)
	}
	warm.Close()
	for b.Loop() {
		op, err := Start(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		op.Close()
	}
}

// BenchmarkSubmit measures one SMTP transaction on an open session, with
// delivery to an INBOX, for a 10 kB message.
func BenchmarkSubmit(b *testing.B) {
	op, err := Start(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer op.Close()
	cert, err := op.ClientCert(DefaultApp)
	if err != nil {
		b.Fatal(err)
	}
	c, err := smtp.DialStartTLS(op.SMTPAddr(), op.TLSConfig(cert))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := message(DefaultApp, DefaultDoctor2, "bench") + strings.Repeat("0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n", 150)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := sendVia(c, DefaultApp, []string{DefaultDoctor2}, msg, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
