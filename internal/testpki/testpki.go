// Package testpki generates a throw-away public key infrastructure for tests:
// a root CA standing in for IGC Santé, server certificates for loopback hosts,
// client certificates for applicative mailboxes and certificate revocation
// lists (RFC 5280 §5). Keys are RSA because the cipher suites MSSanté allows
// are all ECDHE_RSA (mssante.md §2).
//
// It is for tests and the embedded test operator only: certificates are valid
// for a few days and keys are never protected.
package testpki

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// KeyBits is the RSA key size of every generated key.
const KeyBits = 2048

// PKI is a root CA able to issue server and client certificates and CRLs.
type PKI struct {
	Root    *x509.Certificate
	RootPEM []byte
	Pool    *x509.CertPool // a pool holding only Root
	rootKey *rsa.PrivateKey
}

// Issued is a certificate issued by the PKI, with its key.
type Issued struct {
	TLS     tls.Certificate // leaf and key, ready for tls.Config
	CertPEM []byte          // the leaf certificate
	KeyPEM  []byte          // PKCS#8 private key
}

// New creates a root CA named name (e.g. "Test IGC Santé Root").
func New(name string) (*PKI, error) {
	key, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("testpki: root key: %w", err)
	}
	now := time.Now()
	tpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"MSSante SDK tests"}, Country: []string{"FR"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("testpki: root certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &PKI{Root: cert, RootPEM: pemBlock("CERTIFICATE", der), Pool: pool, rootKey: key}, nil
}

// Server issues a server certificate for the given host names and IP
// addresses (default: localhost, 127.0.0.1 and ::1).
func (p *PKI) Server(hosts ...string) (*Issued, error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	tpl := p.leaf(hosts[0])
	tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else {
			tpl.DNSNames = append(tpl.DNSNames, h)
		}
	}
	return p.issue(tpl)
}

// Client issues a client certificate with the given common name (for an
// applicative mailbox, its address or its structure name) and e-mail
// addresses as subject alternative names.
func (p *PKI) Client(commonName string, emails ...string) (*Issued, error) {
	tpl := p.leaf(commonName)
	tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	tpl.EmailAddresses = emails
	return p.issue(tpl)
}

func (p *PKI) leaf(cn string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"MSSante SDK tests"}, Country: []string{"FR"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
}

func (p *PKI) issue(tpl *x509.Certificate) (*Issued, error) {
	key, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("testpki: key: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, p.Root, &key.PublicKey, p.rootKey)
	if err != nil {
		return nil, fmt.Errorf("testpki: certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pemBlock("CERTIFICATE", der)
	keyPEM := pemBlock("PRIVATE KEY", keyDER)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &Issued{TLS: pair, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// CRL returns a certificate revocation list signed by the root, in DER (as
// CRL distribution points serve it; tlsauth.ParseCRLs and
// x509.ParseRevocationList read it), listing the revoked certificates —
// none for an empty list — and valid until next. Its thisUpdate is an hour
// ago, or an hour before next when next is sooner: a next in the past gives
// an expired CRL. Every revoked certificate must have been issued by the
// root.
func (p *PKI) CRL(revoked []*x509.Certificate, next time.Time) ([]byte, error) {
	now := time.Now()
	tpl := &x509.RevocationList{Number: big.NewInt(now.UnixNano()), ThisUpdate: now.Add(-time.Hour), NextUpdate: next}
	if !next.After(tpl.ThisUpdate) {
		tpl.ThisUpdate = next.Add(-time.Hour)
	}
	for i, c := range revoked {
		if c == nil || !bytes.Equal(c.RawIssuer, p.Root.RawSubject) {
			return nil, fmt.Errorf("testpki: CRL: revoked certificate %d was not issued by %s", i+1, p.Root.Subject.CommonName)
		}
		tpl.RevokedCertificateEntries = append(tpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: tpl.ThisUpdate})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tpl, p.Root, p.rootKey)
	if err != nil {
		return nil, fmt.Errorf("testpki: CRL: %w", err)
	}
	return der, nil
}

// WriteFiles writes the certificate and key of is as DIR/NAME.pem and
// DIR/NAME.key (the key with mode 0600).
func (is *Issued) WriteFiles(dir, name string) error {
	if err := os.WriteFile(filepath.Join(dir, name+".pem"), is.CertPEM, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".key"), is.KeyPEM, 0o600)
}

// WriteRoot writes the root certificate as DIR/ca.pem.
func (p *PKI) WriteRoot(dir string) error {
	return os.WriteFile(filepath.Join(dir, "ca.pem"), p.RootPEM, 0o644)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
