package mssante_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/internal/testenv"
	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// chainPDFSize is the size of the PDF the chain starts from: 1 MiB of
// pseudo-random content in a valid PDF (samplepdf.NewRandom, through the package's tRandomPDF), which does not
// deflate, as a real PDF's compressed streams and images do not.
const chainPDFSize = 1 << 20

// BenchmarkChain is what a vendor's product does to send one report, timed
// and allocation-counted as one chain: from the bytes of a 1 MiB PDF, the
// level 1 CDA document is built (cda.Build into a bytes.Buffer, as the
// quickstart does), attached with its PDF (AttachDocuments: header read
// and validated, IHE_XDM.ZIP written), the message encoded (2.9 MB) and
// sent by mssante.Send through the SMTP client (STARTTLS with a client
// certificate, recipient checked against a liste blanche, connection
// reused) to a go-smtp server on loopback that reads the DATA and discards
// it. The server runs in the same process: its CPU and allocations are
// counted, as in BenchmarkChainPrebuilt, the baseline.
//
// Metrics: cpu-ns/op (user + system CPU of the process per message) and
// alloc-x-pdf, the bytes allocated per message divided by the PDF size
// (testenv.ReportAllocRatio).
func BenchmarkChain(b *testing.B) {
	pdf := mssante.TRandomPDF(chainPDFSize)
	h := mssante.THeader(b, "CHAIN-1")
	opts := mssante.TDocOptions()
	c := chainClient(b)
	ctx := context.Background()
	mssante.TWarmUp(b)
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	defer testenv.ReportAllocRatio(b, len(pdf), "alloc-x-pdf")()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		m := mssante.TComposeFromPDF(b, h, pdf, opts)
		if _, err := mssante.Send(ctx, c, m, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChainPrebuilt is the baseline of BenchmarkChain: the same
// server, client and connection, sending the already-encoded bytes of the
// same message (what the wire alone costs: TLS, SMTP, the server reading
// the DATA). BenchmarkChain minus this is the cost of the SDK's chain.
func BenchmarkChainPrebuilt(b *testing.B) {
	pdf := mssante.TRandomPDF(chainPDFSize)
	m := mssante.TComposeFromPDF(b, mssante.THeader(b, "CHAIN-1"), pdf, mssante.TDocOptions())
	raw, err := m.Bytes()
	if err != nil {
		b.Fatal(err)
	}
	env := m.Envelope()
	c := chainClient(b)
	ctx := context.Background()
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	defer testenv.ReportAllocRatio(b, len(pdf), "alloc-x-pdf")()
	defer testenv.ReportCPU(b)()
	for b.Loop() {
		if _, err := c.Send(ctx, env, bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
}

// chainClient starts a go-smtp server on loopback (STARTTLS, client
// certificates verified when given) whose sessions read the DATA and discard
// it, and returns an SMTP client for it, closed with the benchmark.
func chainClient(b *testing.B) *smtpclient.Client {
	b.Helper()
	pki, err := testpki.New("Bench IGC Santé Root")
	if err != nil {
		b.Fatal(err)
	}
	srvCert, err := pki.Server()
	if err != nil {
		b.Fatal(err)
	}
	cliCert, err := pki.Client("paul.testeur@clinique-test.mssante.fr", "paul.testeur@clinique-test.mssante.fr")
	if err != nil {
		b.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return discardSession{}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{
		Certificates: []tls.Certificate{srvCert.TLS}, ClientCAs: pki.Pool,
		ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12,
	}
	srv.MaxMessageBytes = 64 << 20
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })

	wl, _, err := annuaire.ParseWhitelist(bytes.NewReader([]byte(`<?xml version="1.0" encoding="UTF-8"?>
<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">
  <DateDeGeneration>2026-06-01T08:00:00Z</DateDeGeneration>
  <ListeDomaines>
    <Domaine><Nom>hopital-test.mssante.fr</Nom><Description>Bench</Description><DNCertificatOperateur>CN=localhost</DNCertificatOperateur></Domaine>
  </ListeDomaines>
</ListeBlancheMSSante>
`)), nil)
	if err != nil {
		b.Fatal(err)
	}
	c, err := smtpclient.New(&smtpclient.Options{
		Addr:             l.Addr().String(),
		TLS:              tlsauth.TLSOptions{RootCAs: pki.Pool, ServerName: "localhost", Certificate: &cliCert.TLS},
		RecipientChecker: &annuaire.RecipientChecker{Whitelist: wl},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// discardSession accepts every envelope and reads the DATA into nothing.
type discardSession struct{}

func (discardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (discardSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset()        {}
func (discardSession) Logout() error { return nil }
