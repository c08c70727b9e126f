package tlsauth

import (
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"

	"software.sslmate.com/src/go-pkcs12"
)

// ErrBadCertificate is wrapped by the errors of LoadPEM and LoadPKCS12.
var ErrBadCertificate = errors.New("tlsauth: unusable client certificate")

// LoadPEM returns the client certificate of a PEM certificate chain (leaf
// first) and its PEM private key.
func LoadPEM(certPEM, keyPEM []byte) (tls.Certificate, error) {
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: %v", ErrBadCertificate, err)
	}
	return c, nil
}

// LoadPKCS12 returns the client certificate stored in a PKCS#12 (.p12, .pfx)
// file with its password, as IGC Santé delivers certificates for applicative
// mailboxes. The intermediate certificates it holds are sent with the leaf.
func LoadPKCS12(data []byte, password string) (tls.Certificate, error) {
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: PKCS#12: %v", ErrBadCertificate, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return tls.Certificate{}, fmt.Errorf("%w: PKCS#12 key of type %T cannot sign", ErrBadCertificate, key)
	}
	c := tls.Certificate{PrivateKey: signer, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
	for _, ca := range chain {
		c.Certificate = append(c.Certificate, ca.Raw)
	}
	return c, nil
}
