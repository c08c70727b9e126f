package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
)

func TestIssueAndVerify(t *testing.T) {
	p, err := New("Test Root")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := p.Server()
	if err != nil {
		t.Fatal(err)
	}
	cli, err := p.Client("app@hopital.mssante.fr", "app@hopital.mssante.fr")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.TLS.Leaf.Verify(x509.VerifyOptions{Roots: p.Pool, DNSName: "localhost"}); err != nil {
		t.Fatalf("server certificate does not verify: %v", err)
	}
	if _, err := cli.TLS.Leaf.Verify(x509.VerifyOptions{Roots: p.Pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("client certificate does not verify: %v", err)
	}
	if _, err := tls.X509KeyPair(cli.CertPEM, cli.KeyPEM); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := cli.WriteFiles(dir, "client"); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteRoot(dir); err != nil {
		t.Fatal(err)
	}
}
