package tlsauth

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// CipherSuites returns the TLS 1.2 suites the référentiel allows (ECO.1.1.3)
// that Go implements, in preference order, as a new slice each time. 0xC027
// is in tls.InsecureCipherSuites (CBC mode) but the référentiel allows it, so
// it is listed explicitly.
func CipherSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, // 0xC030
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, // 0xC02F
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, // 0xC027
	}
}

// MissingSuite is the suite the référentiel allows that Go does not
// implement: TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384.
const MissingSuite uint16 = 0xC028

// ErrNoRootCAs is returned when no root certificates were supplied: the
// operator's certificate must be checked against the IGC Santé chain only
// (ECO.1.1.10), never against the system's roots.
var ErrNoRootCAs = errors.New("tlsauth: no root CAs given (the IGC Santé chain is required)")

// TLSOptions configure the TLS client. RootCAs is required; the zero value of
// every other field is the référentiel's default.
type TLSOptions struct {
	// RootCAs are the trust anchors: the IGC Santé chain (or a test root).
	RootCAs *x509.CertPool `validate:"required"`
	// ServerName is the name checked in the operator's certificate; default:
	// the host of the address dialled.
	ServerName string
	// Certificate is the client certificate (applicative mailboxes); see
	// LoadPEM and LoadPKCS12.
	Certificate *tls.Certificate
	// MaxVersion is the highest TLS version; default (0) tls.VersionTLS12,
	// the only version ECO.1.1.2 allows. Set tls.VersionTLS13 to also accept
	// TLS 1.3 (whose suites Go does not let one choose).
	MaxVersion uint16
	// MinVersion is the lowest TLS version; default (0) tls.VersionTLS12.
	// Lower values are refused by Config: they exist for tests only, through
	// AllowLegacyVersionsForTests.
	MinVersion uint16
	// AllowLegacyVersionsForTests lets MinVersion go below TLS 1.2, to test
	// that servers refuse TLS 1.0 and 1.1. Never set it otherwise.
	AllowLegacyVersionsForTests bool
	// Revocation, when non-nil, checks the operator's chain against CRLs.
	Revocation *Revocation
	// Now is the clock for revocation checks; default time.Now.
	Now func() time.Time
}

// Config returns the tls.Config for a connection to serverName (used when
// o.ServerName is empty).
func (o *TLSOptions) Config(serverName string) (*tls.Config, error) {
	if o == nil || o.RootCAs == nil {
		return nil, ErrNoRootCAs
	}
	cfg := &tls.Config{
		RootCAs:      o.RootCAs,
		ServerName:   o.ServerName,
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   tls.VersionTLS12,
		CipherSuites: CipherSuites(),
	}
	if cfg.ServerName == "" {
		cfg.ServerName = serverName
	}
	if cfg.ServerName == "" {
		return nil, errors.New("tlsauth: no server name to verify the operator's certificate against")
	}
	if o.MaxVersion != 0 {
		if o.MaxVersion < tls.VersionTLS12 && !o.AllowLegacyVersionsForTests {
			return nil, fmt.Errorf("tlsauth: TLS version %#x is below TLS 1.2 (ECO.1.1.2)", o.MaxVersion)
		}
		cfg.MaxVersion = o.MaxVersion
	}
	if o.MinVersion != 0 {
		if o.MinVersion < tls.VersionTLS12 && !o.AllowLegacyVersionsForTests {
			return nil, fmt.Errorf("tlsauth: TLS version %#x is below TLS 1.2 (ECO.1.1.2)", o.MinVersion)
		}
		cfg.MinVersion = o.MinVersion
	}
	if cfg.MinVersion > cfg.MaxVersion {
		return nil, fmt.Errorf("tlsauth: MinVersion %#x above MaxVersion %#x: no TLS version left", cfg.MinVersion, cfg.MaxVersion)
	}
	if o.AllowLegacyVersionsForTests && cfg.MinVersion < tls.VersionTLS12 {
		// The MSSanté suites are TLS 1.2 ones; older versions need others.
		cfg.CipherSuites = nil
	}
	if o.Certificate != nil {
		cert := *o.Certificate
		cfg.Certificates = []tls.Certificate{cert}
	}
	if o.Revocation != nil {
		rev, now := o.Revocation, o.Now
		if now == nil {
			now = time.Now
		}
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return rev.Check(cs.VerifiedChains, now())
		}
	}
	return cfg, nil
}

// LoadRoots parses PEM certificates (the IGC Santé chain) into a pool.
func LoadRoots(pemData []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for len(pemData) > 0 {
		var b *pem.Block
		b, pemData = pem.Decode(pemData)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tlsauth: root certificate %d: %w", n+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("tlsauth: %w: no PEM certificate found", ErrNoRootCAs)
	}
	return pool, nil
}
