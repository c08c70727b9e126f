package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// issueAll returns a root, a server certificate for the default hosts and a
// client certificate for an applicative mailbox.
func issueAll(t *testing.T) (p *PKI, srv, cli *Issued) {
	t.Helper()
	p, err := New("Test Root")
	if err != nil {
		t.Fatal(err)
	}
	if srv, err = p.Server(); err != nil {
		t.Fatal(err)
	}
	if cli, err = p.Client("app@hopital.mssante.fr", "app@hopital.mssante.fr"); err != nil {
		t.Fatal(err)
	}
	return p, srv, cli
}

func TestIssueAndVerify(t *testing.T) {
	p, srv, cli := issueAll(t)
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

func TestCRL(t *testing.T) {
	p, good, bad := issueAll(t)
	next := time.Now().Add(time.Hour)
	der, err := p.CRL([]*x509.Certificate{bad.TLS.Leaf}, next)
	if err != nil {
		t.Fatal(err)
	}
	crls, err := tlsauth.ParseCRLs(der)
	if err != nil || len(crls) != 1 {
		t.Fatalf("ParseCRLs: %d CRLs, %v", len(crls), err)
	}
	crl := crls[0]
	if err := crl.CheckSignatureFrom(p.Root); err != nil {
		t.Errorf("CRL not signed by the root: %v", err)
	}
	if !crl.NextUpdate.Equal(next.UTC().Truncate(time.Second)) || !crl.ThisUpdate.Before(time.Now()) {
		t.Errorf("CRL valid from %v to %v, want until %v", crl.ThisUpdate, crl.NextUpdate, next)
	}
	if n := len(crl.RevokedCertificateEntries); n != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(bad.TLS.Leaf.SerialNumber) != 0 {
		t.Errorf("revoked entries %+v, want the serial of %s", crl.RevokedCertificateEntries, bad.TLS.Leaf.Subject)
	}
	chain := [][]*x509.Certificate{{good.TLS.Leaf, p.Root}}
	if err := tlsauth.StaticCRLs(crl).Check(chain, time.Now()); err != nil {
		t.Errorf("unrevoked certificate: %v", err)
	}

	// An expired CRL: its validity ends before now and starts before that.
	der, err = p.CRL(nil, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if crl, err := x509.ParseRevocationList(der); err != nil || !crl.ThisUpdate.Before(crl.NextUpdate) || len(crl.RevokedCertificateEntries) != 0 {
		t.Errorf("expired CRL: %v", err)
	}

	// Certificates of another root, or none, cannot be listed.
	other, err := New("Other Root")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*x509.Certificate{"foreign": other.Root, "nil": nil} {
		if _, err := p.CRL([]*x509.Certificate{c}, next); err == nil {
			t.Errorf("%s certificate listed", name)
		}
	}
}
