package tlsauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/testpki"
	"software.sslmate.com/src/go-pkcs12"
)

// miniCA is a CA whose key the test holds, to sign CRLs.
type miniCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newMiniCA(t *testing.T) *miniCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Mini IGC Santé"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &miniCA{cert: cert, key: key}
}

func (ca *miniCA) leaf(t *testing.T, serial int64, pub any) *x509.Certificate {
	t.Helper()
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func (ca *miniCA) crl(t *testing.T, next time.Time, revoked ...int64) *x509.RevocationList {
	t.Helper()
	tpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: next}
	for _, s := range revoked {
		tpl.RevokedCertificateEntries = append(tpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: time.Now()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tpl, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

func TestRevocationCheck(t *testing.T) {
	ca := newMiniCA(t)
	other := newMiniCA(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good, bad := ca.leaf(t, 10, &key.PublicKey), ca.leaf(t, 11, &key.PublicKey)
	crl := ca.crl(t, time.Now().Add(time.Hour), 11)
	now := time.Now()
	chain := func(c *x509.Certificate) [][]*x509.Certificate { return [][]*x509.Certificate{{c, ca.cert}} }

	if err := StaticCRLs(crl).Check(chain(good), now); err != nil {
		t.Errorf("good certificate: %v", err)
	}
	var re *RevocationError
	if err := StaticCRLs(crl).Check(chain(bad), now); !errors.Is(err, ErrRevoked) || !errors.As(err, &re) || re.Serial.Int64() != 11 {
		t.Errorf("revoked certificate: %v", err)
	}
	// Fail-closed: no CRL from the issuer, an expired CRL, a CRL signed by
	// someone else.
	for name, crls := range map[string][]*x509.RevocationList{
		"none":    nil,
		"expired": {ca.crl(t, now.Add(-time.Second))},
		"forged":  {other.crl(t, now.Add(time.Hour))},
	} {
		if err := StaticCRLs(crls...).Check(chain(good), now); !errors.Is(err, ErrNoValidCRL) {
			t.Errorf("%s: %v, want ErrNoValidCRL", name, err)
		}
		open := &Revocation{CRLs: func() []*x509.RevocationList { return crls }, AllowMissing: true}
		if err := open.Check(chain(good), now); err != nil {
			t.Errorf("%s with AllowMissing: %v", name, err)
		}
	}
	// ParseCRLs reads DER and PEM.
	pemCRL := pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl.Raw})
	for _, data := range [][]byte{crl.Raw, pemCRL} {
		if l, err := ParseCRLs(data); err != nil || len(l) != 1 {
			t.Errorf("ParseCRLs: %v", err)
		}
	}
	if _, err := ParseCRLs([]byte("garbage")); err == nil {
		t.Error("ParseCRLs accepted garbage")
	}
}

// A revoked operator certificate fails the TLS handshake.
func TestRevokedServerFailsHandshake(t *testing.T) {
	ca := newMiniCA(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leaf := ca.leaf(t, 42, &key.PublicKey)
	srvCert := tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	handshake := func(rev *Revocation) error {
		c1, c2 := net.Pipe()
		defer c1.Close()
		defer c2.Close()
		go tls.Server(c2, &tls.Config{Certificates: []tls.Certificate{srvCert}}).Handshake()
		o := &TLSOptions{RootCAs: roots, Revocation: rev}
		cfg, err := o.Config("localhost")
		if err != nil {
			return err
		}
		return tls.Client(c1, cfg).Handshake()
	}
	if err := handshake(StaticCRLs(ca.crl(t, time.Now().Add(time.Hour)))); err != nil {
		t.Fatalf("valid certificate: %v", err)
	}
	if err := handshake(StaticCRLs(ca.crl(t, time.Now().Add(time.Hour), 42))); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked certificate: %v", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	if _, err := (&TLSOptions{}).Config("h"); !errors.Is(err, ErrNoRootCAs) {
		t.Errorf("no roots: %v", err)
	}
	pool := x509.NewCertPool()
	cfg, err := (&TLSOptions{RootCAs: pool}).Config("smtp.operateur.fr")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.MaxVersion != tls.VersionTLS12 || cfg.ServerName != "smtp.operateur.fr" ||
		cfg.InsecureSkipVerify || cfg.RootCAs != pool || len(cfg.CipherSuites) != 3 {
		t.Errorf("config %+v", cfg)
	}
	for _, id := range cfg.CipherSuites {
		if id == MissingSuite {
			t.Error("0xC028 listed although Go lacks it")
		}
	}
	// 0xC028 is indeed absent from Go.
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if s.ID == MissingSuite {
			t.Errorf("Go now implements %s: add it to CipherSuites", s.Name)
		}
	}
	if _, err := (&TLSOptions{RootCAs: pool, MinVersion: tls.VersionTLS10}).Config("h"); err == nil {
		t.Error("TLS 1.0 accepted without the test switch")
	}
	cfg, _ = (&TLSOptions{RootCAs: pool, MaxVersion: tls.VersionTLS13}).Config("h")
	if cfg.MaxVersion != tls.VersionTLS13 {
		t.Error("MaxVersion TLS 1.3 not honoured")
	}
}

func TestLoadCertificates(t *testing.T) {
	p, err := testpki.New("Test root")
	if err != nil {
		t.Fatal(err)
	}
	is, err := p.Client("dpi@hopital.mssante.test")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := LoadPEM(is.CertPEM, is.KeyPEM); err != nil || len(c.Certificate) != 1 {
		t.Errorf("LoadPEM: %v", err)
	}
	if _, err := LoadPEM(is.CertPEM, []byte("nope")); !errors.Is(err, ErrBadCertificate) {
		t.Errorf("LoadPEM bad key: %v", err)
	}
	p12, err := pkcs12.Modern.Encode(is.TLS.PrivateKey, is.TLS.Leaf, []*x509.Certificate{p.Root}, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadPKCS12(p12, "s3cret")
	if err != nil || len(c.Certificate) != 2 || c.Leaf.Subject.CommonName != "dpi@hopital.mssante.test" {
		t.Errorf("LoadPKCS12: %v", err)
	}
	if _, err := LoadPKCS12(p12, "wrong"); !errors.Is(err, ErrBadCertificate) {
		t.Errorf("LoadPKCS12 wrong password: %v", err)
	}
	if pool, err := LoadRoots(p.RootPEM); err != nil || pool == nil {
		t.Errorf("LoadRoots: %v", err)
	}
	if _, err := LoadRoots([]byte("no pem")); !errors.Is(err, ErrNoRootCAs) {
		t.Errorf("LoadRoots garbage: %v", err)
	}
}

func TestSASLClients(t *testing.T) {
	tok := TokenSourceFunc(func(context.Context) (string, time.Time, error) { return "tkn", time.Now().Add(time.Hour), nil })
	au, err := NewAuthenticator(Auth{Mechanism: XOAuth2, Username: "dr@cabinet.mssante.fr", Tokens: tok})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := au.Client(context.Background(), "smtp.operateur.fr")
	if err != nil {
		t.Fatal(err)
	}
	mech, ir, _ := sc.Start()
	if mech != "XOAUTH2" || string(ir) != "user=dr@cabinet.mssante.fr\x01auth=Bearer tkn\x01\x01" {
		t.Errorf("XOAUTH2 %s %q", mech, ir)
	}
	if resp, err := sc.Next([]byte(`{"status":"401"}`)); err != nil || resp == nil || len(resp) != 0 {
		t.Errorf("XOAUTH2 error challenge: %q %v", resp, err)
	}
	a := Auth{Mechanism: XOAuth2, Username: "u", Tokens: tok, Password: "pw"}
	if s := a.String(); strings.Contains(s, "pw") {
		t.Errorf("Auth.String leaks the password: %s", s)
	}
	if _, err := NewAuthenticator(Auth{Mechanism: XOAuth2, Username: "u"}); !errors.Is(err, ErrNoTokenSource) {
		t.Errorf("XOAUTH2 without tokens: %v", err)
	}
	pl, _ := NewAuthenticator(Auth{Mechanism: Plain, Username: "u", Password: "p"})
	if _, err := pl.Client(context.Background(), "smtp.operateur.fr"); !errors.Is(err, ErrPlainNotLoopback) {
		t.Errorf("PLAIN remote: %v", err)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "[::1]", "127.0.0.2"} {
		if !IsLoopback(h) {
			t.Errorf("%s not loopback", h)
		}
		if _, err := pl.Client(context.Background(), h); err != nil {
			t.Errorf("PLAIN %s: %v", h, err)
		}
	}
	for _, h := range []string{"localhost.evil.fr", "10.0.0.1", "", "example.org"} {
		if IsLoopback(h) {
			t.Errorf("%s taken as loopback", h)
		}
	}
	if _, err := NewAuthenticator(Auth{Mechanism: "CRAM-MD5"}); err == nil {
		t.Error("unknown mechanism accepted")
	}
}
