package tlsauth

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// ErrRevoked is wrapped by a *RevocationError for a revoked certificate.
var ErrRevoked = errors.New("tlsauth: certificate revoked")

// ErrNoValidCRL is wrapped by a *RevocationError when a certificate could not
// be checked: no CRL from its issuer, or only expired ones (ECO.1.1.6–7).
var ErrNoValidCRL = errors.New("tlsauth: no valid CRL to check the certificate")

// RevocationError reports a certificate of the operator's chain that is
// revoked or could not be checked. It wraps ErrRevoked or ErrNoValidCRL.
type RevocationError struct {
	Subject string
	Serial  *big.Int
	Err     error
}

func (e *RevocationError) Error() string {
	return fmt.Sprintf("%v: %s (serial %x)", e.Err, e.Subject, e.Serial)
}

func (e *RevocationError) Unwrap() error { return e.Err }

// Revocation checks the operator's certificates against CRLs. The caller
// downloads the IGC Santé CRLs and keeps the last valid ones (ECO.1.1.7);
// this type only checks them.
type Revocation struct {
	// CRLs returns the current CRLs; it is called at every handshake.
	CRLs func() []*x509.RevocationList
	// AllowMissing accepts a certificate when no valid CRL from its issuer
	// is available (fail open). By default such a certificate is refused.
	AllowMissing bool
}

// StaticCRLs returns a Revocation with a fixed list of CRLs, fail-closed.
func StaticCRLs(crls ...*x509.RevocationList) *Revocation {
	return &Revocation{CRLs: func() []*x509.RevocationList { return crls }}
}

// ParseCRLs parses CRLs in DER or PEM ("X509 CRL" blocks).
func ParseCRLs(data []byte) ([]*x509.RevocationList, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		crl, err := x509.ParseRevocationList(data)
		if err != nil {
			return nil, fmt.Errorf("tlsauth: CRL: %w", err)
		}
		return []*x509.RevocationList{crl}, nil
	}
	var out []*x509.RevocationList
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "X509 CRL" {
			continue
		}
		crl, err := x509.ParseRevocationList(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tlsauth: CRL %d: %w", len(out)+1, err)
		}
		out = append(out, crl)
	}
	if len(out) == 0 {
		return nil, errors.New("tlsauth: no CRL found")
	}
	return out, nil
}

// Check verifies every certificate of the verified chains but the roots
// against the CRLs of their issuers, at time now. A chain passes when each of
// its non-root certificates is covered by a valid CRL and not revoked (or,
// with AllowMissing, when no valid CRL is known). Check succeeds if any chain
// passes.
func (r *Revocation) Check(chains [][]*x509.Certificate, now time.Time) error {
	if len(chains) == 0 {
		return errors.New("tlsauth: no verified chain to check for revocation")
	}
	var crls []*x509.RevocationList
	if r.CRLs != nil {
		crls = r.CRLs()
	}
	var first error
	for _, chain := range chains {
		err := r.checkChain(chain, crls, now)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

func (r *Revocation) checkChain(chain []*x509.Certificate, crls []*x509.RevocationList, now time.Time) error {
	for i := 0; i+1 < len(chain); i++ {
		cert, issuer := chain[i], chain[i+1]
		checked := false
		for _, crl := range crls {
			if !bytes.Equal(crl.RawIssuer, cert.RawIssuer) || crl.CheckSignatureFrom(issuer) != nil {
				continue
			}
			if now.Before(crl.ThisUpdate) || (!crl.NextUpdate.IsZero() && now.After(crl.NextUpdate)) {
				continue
			}
			checked = true
			for _, e := range crl.RevokedCertificateEntries {
				if e.SerialNumber != nil && e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
					return &RevocationError{Subject: cert.Subject.String(), Serial: cert.SerialNumber, Err: ErrRevoked}
				}
			}
		}
		if !checked && !r.AllowMissing {
			return &RevocationError{Subject: cert.Subject.String(), Serial: cert.SerialNumber, Err: ErrNoValidCRL}
		}
	}
	return nil
}
