package smtpclient

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/mailservers"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// benchMessage is a 50 KB message: headers and a base64-looking body.
func benchMessage(from, to string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: bench\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n", from, to)
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76] + "\r\n"
	for b.Len() < 50*1024 {
		b.WriteString(line)
	}
	return b.Bytes()
}

// benchSend sends b.N messages of 50 KB, reusing connections or opening one
// per message, and reports messages per second and the connections dialled.
// bench/transport/compare.sh runs each sub-benchmark in its own invocation
// of the test binary, interleaved round by round, with -benchtime=1000x.
func benchSend(b *testing.B, opt Options, from, to string) {
	for _, mode := range []struct {
		name    string
		perConn int
	}{{"reuse", 0}, {"conn-per-message", 1}} {
		b.Run(mode.name, func(b *testing.B) {
			o := opt
			o.MaxMessagesPerConn = mode.perConn
			c, err := New(&o)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			msg := benchMessage(from, to)
			env := &mssante.Envelope{From: from, To: []string{to}}
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for range b.N {
				if _, err := c.Send(context.Background(), env, bytes.NewReader(msg)); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(c.Stats().Dials), "dials")
		})
	}
}

func BenchmarkSendLoopback(b *testing.B) {
	ts := newTestServer(b, func(ts *testServer) { ts.keep = false })
	opt := ts.options()
	opt.TLS.Certificate = &cliCert.TLS
	opt.InsecureSkipRecipientCheck = true // a test server: no liste blanche
	benchSend(b, opt, "dpi@hopital.mssante.test", "dr@cabinet.mssante.test")
}

func BenchmarkSendOperator(b *testing.B) {
	op := mssantetest.NewOperator(b, nil)
	cert, err := op.ClientCert(mssantetest.DefaultApp)
	if err != nil {
		b.Fatal(err)
	}
	opt := Options{Addr: op.SMTPAddr(), RecipientChecker: op.RecipientChecker(),
		TLS: tlsauth.TLSOptions{RootCAs: op.RootCAs(), ServerName: "localhost", Certificate: &cert}}
	benchSend(b, opt, mssantetest.DefaultApp, mssantetest.DefaultLab)
}

func BenchmarkSendPostfix(b *testing.B) {
	s := mailservers.Shared(b)
	cert, err := s.Client("dpi@" + s.Domain)
	if err != nil {
		b.Fatal(err)
	}
	opt := Options{Addr: s.SubmissionAddr, InsecureSkipRecipientCheck: true, // a local Postfix: no liste blanche
		TLS: tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost", Certificate: &cert.TLS}}
	benchSend(b, opt, "dpi@"+s.Domain, "bob@"+s.Domain)
}
