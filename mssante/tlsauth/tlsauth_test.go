package tlsauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/mssante-go/sdk/internal/testpki"
)

// newPKI returns a test root named like the others: two of them share an
// issuer name but not a key.
func newPKI(t *testing.T) *testpki.PKI {
	t.Helper()
	p, err := testpki.New("Test IGC Santé")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func serverCert(t *testing.T, p *testpki.PKI) tls.Certificate {
	t.Helper()
	is, err := p.Server("localhost")
	if err != nil {
		t.Fatal(err)
	}
	return is.TLS
}

// crl returns a CRL of p valid until next that lists revoked.
func crl(t *testing.T, p *testpki.PKI, next time.Time, revoked ...*x509.Certificate) *x509.RevocationList {
	t.Helper()
	der, err := p.CRL(revoked, next)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ParseCRLs(der)
	if err != nil {
		t.Fatal(err)
	}
	return l[0]
}

func TestRevocationCheck(t *testing.T) {
	ca, other := newPKI(t), newPKI(t)
	good, bad := serverCert(t, ca).Leaf, serverCert(t, ca).Leaf
	now := time.Now()
	valid := crl(t, ca, now.Add(time.Hour), bad)
	chain := func(c *x509.Certificate) [][]*x509.Certificate { return [][]*x509.Certificate{{c, ca.Root}} }

	if err := StaticCRLs(valid).Check(chain(good), now); err != nil {
		t.Errorf("good certificate: %v", err)
	}
	var re *RevocationError
	if err := StaticCRLs(valid).Check(chain(bad), now); !errors.Is(err, ErrRevoked) || !errors.As(err, &re) || re.Serial.Cmp(bad.SerialNumber) != 0 {
		t.Errorf("revoked certificate: %v", err)
	}
	// Fail-closed: no CRL from the issuer, an expired CRL, a CRL signed by
	// someone else under the same name.
	for name, crls := range map[string][]*x509.RevocationList{
		"none":    nil,
		"expired": {crl(t, ca, now.Add(-time.Second))},
		"forged":  {crl(t, other, now.Add(time.Hour))},
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
	pemCRL := pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: valid.Raw})
	for _, data := range [][]byte{valid.Raw, pemCRL} {
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
	ca := newPKI(t)
	srvCert := serverCert(t, ca)
	handshake := func(rev *Revocation) error {
		c1, c2 := net.Pipe()
		defer c1.Close()
		defer c2.Close()
		go tls.Server(c2, &tls.Config{Certificates: []tls.Certificate{srvCert}}).Handshake()
		o := &TLSOptions{RootCAs: ca.Pool, Revocation: rev}
		cfg, err := o.Config("localhost")
		if err != nil {
			return err
		}
		return tls.Client(c1, cfg).Handshake()
	}
	if err := handshake(StaticCRLs(crl(t, ca, time.Now().Add(time.Hour)))); err != nil {
		t.Fatalf("valid certificate: %v", err)
	}
	if err := handshake(StaticCRLs(crl(t, ca, time.Now().Add(time.Hour), srvCert.Leaf))); !errors.Is(err, ErrRevoked) {
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

// The client negotiates only the référentiel's suites over TLS 1.2: a server
// offering only another suite, or only TLS 1.3, is refused; one offering
// only 0xC027 (CBC, outside Go's defaults) is reached with it.
func TestHandshakeSuitesAndVersions(t *testing.T) {
	ca := newPKI(t)
	srvCert := serverCert(t, ca)
	cfg, err := (&TLSOptions{RootCAs: ca.Pool}).Config("localhost")
	if err != nil {
		t.Fatal(err)
	}
	handshake := func(srv *tls.Config) (tls.ConnectionState, error) {
		srv.Certificates = []tls.Certificate{srvCert}
		c1, c2 := net.Pipe()
		defer c1.Close()
		defer c2.Close()
		go func() {
			s := tls.Server(c2, srv)
			s.Handshake()
			s.Close()
		}()
		c := tls.Client(c1, cfg)
		err := c.Handshake()
		return c.ConnectionState(), err
	}
	for _, id := range CipherSuites() {
		st, err := handshake(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{id}})
		if err != nil || st.Version != tls.VersionTLS12 || st.CipherSuite != id {
			t.Errorf("server with only %s: version %#x suite %#x, %v", tls.CipherSuiteName(id), st.Version, st.CipherSuite, err)
		}
	}
	for _, id := range []uint16{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256} {
		if _, err := handshake(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{id}}); err == nil {
			t.Errorf("server with only %s accepted", tls.CipherSuiteName(id))
		}
	}
	if _, err := handshake(&tls.Config{MinVersion: tls.VersionTLS13}); err == nil {
		t.Error("TLS 1.3-only server accepted")
	}
}

func TestConfigRefusesEmptyVersionRange(t *testing.T) {
	o := &TLSOptions{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS13}
	if _, err := o.Config("h"); err == nil {
		t.Error("MinVersion TLS 1.3 with MaxVersion TLS 1.2 accepted")
	}
	o.MaxVersion = tls.VersionTLS13
	if cfg, err := o.Config("h"); err != nil || cfg.MinVersion != tls.VersionTLS13 {
		t.Errorf("TLS 1.3 only: %v", err)
	}
}

func TestNoSecretInStrings(t *testing.T) {
	tok := TokenSourceFunc(func(context.Context) (string, time.Time, error) { return "tkn-secret", time.Now().Add(time.Hour), nil })
	au, err := NewAuthenticator(Auth{Mechanism: XOAuth2, Username: "dr@cabinet.mssante.fr", Tokens: tok})
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := au.Client(context.Background(), "smtp.operateur.fr")
	cache := NewTokenCache(tok, 0)
	cache.Token(context.Background())
	pl, _ := NewAuthenticator(Auth{Mechanism: Plain, Username: "u", Password: "pw-secret"})
	for _, v := range []any{au, sc, cache, pl} {
		for _, f := range []string{"%v", "%+v", "%s"} {
			if s := fmt.Sprintf(f, v); strings.Contains(s, "secret") {
				t.Errorf("%T printed with %s shows a secret: %s", v, f, s)
			}
		}
	}
	if _, err := NewAuthenticator(Auth{Mechanism: XOAuth2, Username: "dr@x.fr\x01auth=Bearer forged", Tokens: tok}); err == nil {
		t.Error("XOAUTH2 user name with ^A accepted")
	}
}
