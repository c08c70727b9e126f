package annuaire

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// The liste blanche as ANS serves it carries an enveloped XML signature
// (XML-DSig 1.0, https://www.w3.org/TR/xmldsig-core1/): exclusive
// canonicalisation (https://www.w3.org/TR/xml-exc-c14n/), RSA-SHA256
// (RFC 6931), the signer's certificate in KeyInfo, issued by "AC IGC-SANTE
// ELEMENTAIRE ORGANISATIONS". The cryptography (canonicalisation, digest,
// signature) is github.com/russellhaering/goxmldsig's; this file checks what
// the library leaves to its caller: which algorithms, which reference, and
// whether the signer is trusted.

const xmldsigNS = dsig.Namespace

// ErrSignature is wrapped by *SignatureError.
var ErrSignature = errors.New("annuaire: liste blanche signature not trusted")

// SignatureStatus is the verdict on the signature of a liste blanche.
type SignatureStatus string

// Signature verdicts, from the best to the worst.
const (
	// SignatureTrusted: the signature holds and the signer's certificate
	// chains to one of WhitelistOptions.Roots, was valid at the list's
	// generation time, may sign (key usage) and is not revoked
	// (WhitelistOptions.Revocation).
	SignatureTrusted SignatureStatus = "signed-and-trusted"
	// SignatureUnknownIssuer: the signature holds but the certificate does
	// not chain to any root given (or no roots were given).
	SignatureUnknownIssuer SignatureStatus = "signed-by-unknown-issuer"
	// SignatureInvalidCertificate: the signature holds and the certificate
	// chains to a root, but it was expired or not yet valid at generation
	// time, may not sign, or is revoked.
	SignatureInvalidCertificate SignatureStatus = "signed-by-invalid-certificate"
	// SignatureBad: a signature is present but does not verify (the
	// content was altered), uses a refused algorithm (SHA-1), does not
	// cover the whole document, or is malformed.
	SignatureBad SignatureStatus = "bad-signature"
	// SignatureUnsigned: no signature.
	SignatureUnsigned SignatureStatus = "unsigned"
)

// SignatureVerdict is what ParseWhitelist found of a list's signature.
type SignatureVerdict struct {
	Status SignatureStatus `json:"status"`
	// Reason explains any status but SignatureTrusted.
	Reason string `json:"reason,omitempty"`
	// Signer is the certificate found in KeyInfo (nil when unsigned or
	// when none could be read).
	Signer *Signer `json:"signer,omitempty"`
	// Method and Digest are the algorithm URIs of SignedInfo.
	Method string `json:"method,omitempty"`
	Digest string `json:"digest,omitempty"`
}

// Trusted reports whether the verdict is SignatureTrusted.
func (v SignatureVerdict) Trusted() bool { return v.Status == SignatureTrusted }

// Signer describes the certificate that signed a liste blanche.
type Signer struct {
	Subject   string    `json:"subject"` // RFC 4514 form
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"` // hexadecimal
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// Chain holds the subjects from the signer to the trusted root, when
	// the chain could be built.
	Chain       []string          `json:"chain,omitempty"`
	Certificate *x509.Certificate `json:"-"`
}

// SignatureError refuses a list because of its signature verdict (see
// WhitelistRefresher). It matches ErrSignature.
type SignatureError struct {
	Verdict SignatureVerdict
}

func (e *SignatureError) Error() string {
	s := fmt.Sprintf("annuaire: liste blanche signature: %s", e.Verdict.Status)
	if e.Verdict.Reason != "" {
		s += ": " + e.Verdict.Reason
	}
	return s
}

// Unwrap returns ErrSignature.
func (e *SignatureError) Unwrap() error { return ErrSignature }

// Algorithms accepted in SignedInfo: those of XML-DSig 1.1 and RFC 6931
// that goxmldsig implements, without SHA-1 (RFC 6931 §2.1.1 and §2.3.1:
// "SHOULD NOT" be used; collisions are practical).
var (
	acceptedSignatureMethods = map[string]bool{
		dsig.RSASHA256SignatureMethod:   true,
		dsig.RSASHA384SignatureMethod:   true,
		dsig.RSASHA512SignatureMethod:   true,
		dsig.ECDSASHA256SignatureMethod: true,
		dsig.ECDSASHA384SignatureMethod: true,
		dsig.ECDSASHA512SignatureMethod: true,
	}
	acceptedDigests = map[string]bool{
		"http://www.w3.org/2001/04/xmlenc#sha256":       true,
		"http://www.w3.org/2001/04/xmldsig-more#sha384": true,
		"http://www.w3.org/2001/04/xmlenc#sha512":       true,
	}
	acceptedC14N = map[string]bool{
		string(dsig.CanonicalXML10ExclusiveAlgorithmId):             true,
		string(dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId): true,
		string(dsig.CanonicalXML10RecAlgorithmId):                   true,
		string(dsig.CanonicalXML10WithCommentsAlgorithmId):          true,
		string(dsig.CanonicalXML11AlgorithmId):                      true,
		string(dsig.CanonicalXML11WithCommentsAlgorithmId):          true,
	}
	refusedSHA1 = map[string]bool{
		dsig.RSASHA1SignatureMethod:                  true,
		dsig.ECDSASHA1SignatureMethod:                true,
		"http://www.w3.org/2000/09/xmldsig#dsa-sha1": true,
		"http://www.w3.org/2000/09/xmldsig#sha1":     true,
	}
)

// verifyWhitelistSignature checks the enveloped signature of a document
// that scanWhitelist accepted (so bounded in size, depth, tokens and
// elements) and found signed. It returns the content the signature covers,
// serialised, or nil with a SignatureBad verdict; and the signer's
// certificates, leaf first, for judgeSigner.
func verifyWhitelistSignature(data []byte, complete bool, seen sigSeen) (SignatureVerdict, []byte, []*x509.Certificate) {
	bad := func(format string, args ...any) (SignatureVerdict, []byte, []*x509.Certificate) {
		return SignatureVerdict{Status: SignatureBad, Reason: fmt.Sprintf(format, args...)}, nil, nil
	}
	switch {
	case seen.count > 1:
		return bad("%d Signature elements: exactly one, child of the root, is accepted", seen.count)
	case !seen.atRoot:
		return bad("the Signature element is not a child of the root")
	case !complete:
		return bad("the document is incomplete (no closing root tag)")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return bad("not well-formed XML: %v", err)
	}
	root := doc.Root()
	var sigEl *etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "Signature" {
			sigEl = c
		}
	}
	if sigEl == nil {
		return bad("no Signature element under the root")
	}
	if ns := sigEl.NamespaceURI(); ns != xmldsigNS {
		return bad("the Signature element is in the namespace %q, not %q: the document was altered", ns, xmldsigNS)
	}
	v := SignatureVerdict{Status: SignatureBad}
	certs, err := checkSignatureShape(sigEl, &v)
	if err != nil {
		v.Reason = err.Error()
		return v, nil, nil
	}
	v.Signer = signerOf(certs[0])

	// goxmldsig looks for the signature depth-first from the root and
	// gives up after 1,000 elements (etreeutils.NewDefaultNSContext, a
	// fixed budget: russellhaering/goxmldsig#202). The list puts its
	// Signature after about 45,500 elements, so Validate on the document as
	// served fails with "traversal limit reached" (TestGoxmldsigTraversal).
	// The enveloped-signature transform removes the Signature before the
	// digest, and SignedInfo is canonicalised with the namespaces in scope
	// at its parent, which stays the root: moving the Signature to the
	// root's first child changes neither. We checked above that it is the
	// only one and a child of the root, so the library cannot pick another.
	root.RemoveChild(sigEl)
	root.InsertChildAt(0, sigEl)

	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certs[:1]})
	// The library also requires the certificate to be valid at its clock;
	// validity is judged by judgeSigner at the list's generation time, so
	// the library's clock is set where the certificate is valid.
	ctx.Clock = dsig.NewFakeClockAt(certs[0].NotBefore)
	verified, err := ctx.Validate(root)
	if err != nil {
		v.Reason = "the signature does not verify: " + err.Error()
		return v, nil, nil
	}
	out := etree.NewDocument()
	out.SetRoot(verified)
	var b bytes.Buffer
	if _, err := out.WriteTo(&b); err != nil {
		v.Reason = err.Error()
		return v, nil, nil
	}
	v.Reason = ""
	return v, b.Bytes(), certs
}

// checkSignatureShape checks what goxmldsig leaves to its caller: one
// SignedInfo with accepted algorithms, one Reference to the whole document
// (URI="") with the enveloped-signature transform, and the certificates of
// KeyInfo. It fills the algorithms of v and returns the certificates, the
// signer's first.
func checkSignatureShape(sigEl *etree.Element, v *SignatureVerdict) ([]*x509.Certificate, error) {
	var signedInfo, keyInfo *etree.Element
	for _, c := range sigEl.ChildElements() {
		if c.NamespaceURI() != xmldsigNS {
			return nil, fmt.Errorf("unexpected <%s> in Signature", c.Tag)
		}
		switch c.Tag {
		case "SignedInfo":
			if signedInfo != nil {
				return nil, errors.New("two SignedInfo")
			}
			signedInfo = c
		case "KeyInfo":
			if keyInfo != nil {
				return nil, errors.New("two KeyInfo")
			}
			keyInfo = c
		case "SignatureValue":
		default:
			return nil, fmt.Errorf("unexpected <%s> in Signature", c.Tag)
		}
	}
	if signedInfo == nil || keyInfo == nil {
		return nil, errors.New("Signature without SignedInfo or KeyInfo")
	}
	alg := func(parent *etree.Element, tag string) string {
		if e := parent.SelectElement(tag); e != nil {
			return e.SelectAttrValue("Algorithm", "")
		}
		return ""
	}
	if c := alg(signedInfo, "CanonicalizationMethod"); !acceptedC14N[c] {
		return nil, fmt.Errorf("canonicalisation %q not accepted", c)
	}
	v.Method = alg(signedInfo, "SignatureMethod")
	if refusedSHA1[v.Method] {
		return nil, fmt.Errorf("signature method %s refused: SHA-1", v.Method)
	}
	if !acceptedSignatureMethods[v.Method] {
		return nil, fmt.Errorf("signature method %q not accepted", v.Method)
	}
	refs := signedInfo.SelectElements("Reference")
	if len(refs) != 1 {
		return nil, fmt.Errorf("%d References: exactly one, to the whole document, is accepted", len(refs))
	}
	ref := refs[0]
	if uri := ref.SelectAttr("URI"); uri == nil || uri.Value != "" {
		return nil, errors.New(`the Reference does not cover the whole document (URI must be "")`)
	}
	v.Digest = alg(ref, "DigestMethod")
	if refusedSHA1[v.Digest] {
		return nil, fmt.Errorf("digest %s refused: SHA-1", v.Digest)
	}
	if !acceptedDigests[v.Digest] {
		return nil, fmt.Errorf("digest %q not accepted", v.Digest)
	}
	enveloped := false
	if ts := ref.SelectElement("Transforms"); ts != nil {
		for _, t := range ts.SelectElements("Transform") {
			a := t.SelectAttrValue("Algorithm", "")
			switch {
			case a == string(dsig.EnvelopedSignatureAltorithmId):
				enveloped = true
			case !acceptedC14N[a]:
				return nil, fmt.Errorf("transform %q not accepted", a)
			}
		}
	}
	if !enveloped {
		return nil, errors.New("the Reference lacks the enveloped-signature transform")
	}
	var certs []*x509.Certificate
	for _, xd := range keyInfo.SelectElements("X509Data") {
		for _, xc := range xd.SelectElements("X509Certificate") {
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(xc.Text()), ""))
			if err != nil {
				return nil, fmt.Errorf("X509Certificate %d: %v", len(certs)+1, err)
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("X509Certificate %d: %v", len(certs)+1, err)
			}
			certs = append(certs, c)
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("no X509Certificate in KeyInfo")
	}
	return certs, nil
}

func signerOf(c *x509.Certificate) *Signer {
	return &Signer{
		Subject:     c.Subject.String(),
		Issuer:      c.Issuer.String(),
		Serial:      c.SerialNumber.Text(16),
		NotBefore:   c.NotBefore,
		NotAfter:    c.NotAfter,
		Certificate: c,
	}
}

// judgeSigner decides whether the signer of a list whose signature holds is
// trusted: a chain to opts.Roots at the generation time, a key usage that
// allows signing, no revocation by opts.Revocation. certs are from KeyInfo, the
// signer first; the others serve as intermediates.
func judgeSigner(v SignatureVerdict, certs []*x509.Certificate, generated time.Time, o *WhitelistOptions) SignatureVerdict {
	leaf := certs[0]
	v.Signer = signerOf(leaf)
	if o.Roots == nil {
		v.Status, v.Reason = SignatureUnknownIssuer, "no trusted roots were given (WhitelistOptions.Roots): issuer "+leaf.Issuer.String()+" cannot be checked"
		return v
	}
	if generated.IsZero() {
		v.Status, v.Reason = SignatureInvalidCertificate, "the list has no DateDeGeneration to check the certificate's validity against"
		return v
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         o.Roots,
		Intermediates: inter,
		CurrentTime:   generated,
		// The extended key usage is not constrained: the signer of
		// 2025-02-28 has emailProtection only, and XML-DSig defines none.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	var ua x509.UnknownAuthorityError
	switch {
	case errors.As(err, &ua):
		v.Status, v.Reason = SignatureUnknownIssuer, fmt.Sprintf("issuer %s does not chain to a trusted root", leaf.Issuer)
		return v
	case err != nil:
		v.Status, v.Reason = SignatureInvalidCertificate, fmt.Sprintf("at the generation time %s: %v", generated.UTC().Format(time.RFC3339), err)
		return v
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		v.Status, v.Reason = SignatureInvalidCertificate, "the certificate's key usage allows neither digitalSignature nor nonRepudiation"
		return v
	}
	if o.Revocation != nil {
		// Now, not at the generation time: a certificate revoked since
		// (a key that leaked) no longer vouches for what it signed.
		if err := o.Revocation.Check(chains, time.Now()); err != nil {
			v.Status, v.Reason = SignatureInvalidCertificate, err.Error()
			return v
		}
	}
	chain := chains[0]
	for _, c := range chain {
		v.Signer.Chain = append(v.Signer.Chain, c.Subject.String())
	}
	v.Status, v.Reason = SignatureTrusted, ""
	return v
}
