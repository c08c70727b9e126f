package annuaire_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/testenv"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

const signedFile = "listeblanchemssante-2025-02-28-signed.xml"

func readShared(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Shared(t, "listeblanche", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseBytes(t testing.TB, data []byte, opts *annuaire.WhitelistOptions) (*annuaire.Whitelist, finding.List) {
	t.Helper()
	wl, fs, err := annuaire.ParseWhitelist(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatal(err)
	}
	return wl, fs
}

var (
	officialOnce sync.Once
	officialWL   *annuaire.Whitelist
	officialFS   finding.List
)

// official parses the signed official list once, without roots.
func official(t testing.TB) (*annuaire.Whitelist, finding.List) {
	t.Helper()
	data := readShared(t, signedFile)
	officialOnce.Do(func() {
		officialWL, officialFS, _ = annuaire.ParseWhitelist(bytes.NewReader(data), nil)
	})
	if officialWL == nil || officialWL.Signature.Signer == nil {
		t.Fatal("the signed official list does not parse, or has no signer")
	}
	return officialWL, officialFS
}

// ownAnchor returns a pool holding the certificate that signed the
// official file, found in its KeyInfo: the IGC Santé roots are not in the
// shared test data, so the tests trust the signer itself.
func ownAnchor(t testing.TB) *x509.CertPool {
	t.Helper()
	wl, _ := official(t)
	pool := x509.NewCertPool()
	pool.AddCert(wl.Signature.Signer.Certificate)
	return pool
}

// TestWhitelistSignedOfficial checks the signature of the list as ANS served
// it on 2025-02-28, cryptographically, with its own certificate as the trust
// anchor.
func TestWhitelistSignedOfficial(t *testing.T) {
	wl, fs := official(t)
	v := wl.Signature
	if v.Status != annuaire.SignatureUnknownIssuer || len(fs.ByRule("ANN-LB-SIGNER")) != 1 || !strings.Contains(v.Reason, "no trusted roots") {
		t.Fatalf("without roots: %+v %v", v, fs)
	}
	if !strings.HasPrefix(v.Signer.Subject, "CN=alb.mssante.fr,") || !strings.Contains(v.Signer.Issuer, "AC IGC-SANTE ELEMENTAIRE ORGANISATIONS") ||
		v.Method != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" || v.Digest != "http://www.w3.org/2001/04/xmlenc#sha256" {
		t.Errorf("signer %+v", v)
	}
	if !wl.Complete || wl.Truncated || wl.Entries != 6494 || wl.Generated.Format(time.RFC3339) != "2025-02-28T15:42:07Z" {
		t.Errorf("complete %v truncated %v entries %d generated %v", wl.Complete, wl.Truncated, wl.Entries, wl.Generated)
	}
	if wl.Len() != 4944 || !wl.Contains("medecin.mssante.fr") || !wl.Contains("patient.mssante.fr") {
		t.Errorf("%d domains", wl.Len())
	}
	wl, fs = parseBytes(t, readShared(t, signedFile), &annuaire.WhitelistOptions{Roots: ownAnchor(t)})
	if !wl.Signature.Trusted() || len(fs.ByRule("ANN-LB-SIGNED")) != 1 || len(wl.Signature.Signer.Chain) != 1 || wl.Len() != 4944 {
		t.Fatalf("own anchor: %+v", wl.Signature)
	}
}

// TestGoxmldsigTraversal records why verifyWhitelistSignature moves the
// Signature before calling goxmldsig: on the document as served, the
// library's search for the signature stops after 1,000 elements
// (russellhaering/goxmldsig#202). When this test fails, the library was
// fixed and the move can go.
func TestGoxmldsigTraversal(t *testing.T) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(readShared(t, signedFile)); err != nil {
		t.Fatal(err)
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{})
	if _, err := ctx.Validate(doc.Root()); err == nil || !strings.Contains(err.Error(), "traversal limit") {
		t.Errorf("goxmldsig on the signed list: %v", err)
	}
}

// TestWhitelistSignatureAltered: the excerpt whose signature was mangled, and
// one-byte changes in domain names of the signed file.
func TestWhitelistSignatureAltered(t *testing.T) {
	wl, fs := parseBytes(t, readShared(t, "listeblanchemssante-altered-unsigned.xml"), nil)
	if wl.Signature.Status != annuaire.SignatureBad || len(fs.ByRule("ANN-LB-SIGNATURE")) != 1 {
		t.Errorf("altered excerpt: %+v", wl.Signature)
	}

	// In the official file: one byte of three domain names, at the start,
	// the middle and the end of the name.
	data := readShared(t, signedFile)
	roots := ownAnchor(t)
	for k, name := range []string{"1001-services.mssante.fr", "medecin.mssante.fr", "patient.mssante.fr"} {
		i := bytes.Index(data, []byte("<Nom>"+name+"</Nom>"))
		if i < 0 {
			t.Fatalf("%s not found", name)
		}
		pos := []int{0, len(name) / 2, len(name) - 1}[k]
		altered := bytes.Clone(data)
		altered[i+len("<Nom>")+pos] ^= 0x01 // 'm' becomes 'l', '1' becomes '0'...
		wl, _ := parseBytes(t, altered, &annuaire.WhitelistOptions{Roots: roots})
		if wl.Signature.Status != annuaire.SignatureBad || !strings.Contains(wl.Signature.Reason, "does not verify") {
			t.Errorf("%s, byte %d changed: %+v", name, pos, wl.Signature)
		}
	}

	// In a generated signed list: every byte of three domain names.
	trusted, _ := testSigners(t)
	signed := trusted.sign(t, genList(time.Now(), 3))
	for _, name := range []string{"medecin.mssante.fr", "patient.mssante.fr", "etablissement-00002.mssante.fr"} {
		i := bytes.Index(signed, []byte("<Nom>"+name+"</Nom>")) + len("<Nom>")
		for pos := range len(name) {
			altered := bytes.Clone(signed)
			altered[i+pos] ^= 0x01
			wl, _, err := annuaire.ParseWhitelist(bytes.NewReader(altered), &annuaire.WhitelistOptions{Roots: trusted.pki.Pool})
			if err != nil || wl.Signature.Status != annuaire.SignatureBad {
				t.Errorf("%s, byte %d changed: %v %+v", name, pos, err, wl)
			}
		}
	}
}

func TestWhitelistSignatureChain(t *testing.T) {
	trusted, other := testSigners(t)
	now := time.Now()
	doc := genList(now, 20)
	for _, tc := range []struct {
		name   string
		data   []byte
		opts   *annuaire.WhitelistOptions
		status annuaire.SignatureStatus
		reason string
	}{
		{"trusted", trusted.sign(t, doc), &annuaire.WhitelistOptions{Roots: trusted.pki.Pool}, annuaire.SignatureTrusted, ""},
		{"no roots", trusted.sign(t, doc), nil, annuaire.SignatureUnknownIssuer, "no trusted roots"},
		{"untrusted", other.sign(t, doc), &annuaire.WhitelistOptions{Roots: trusted.pki.Pool}, annuaire.SignatureUnknownIssuer, "does not chain"},
		{"expired at generation", trusted.sign(t, genList(now.AddDate(0, 1, 0), 20)), &annuaire.WhitelistOptions{Roots: trusted.pki.Pool}, annuaire.SignatureInvalidCertificate, "expired"},
		{"not yet valid at generation", trusted.sign(t, genList(now.AddDate(-1, 0, 0), 20)), &annuaire.WhitelistOptions{Roots: trusted.pki.Pool}, annuaire.SignatureInvalidCertificate, "not yet valid"},
		{"c14n 1.1, ds: prefix", trusted.sign(t, doc, func(c *dsig.SigningContext) { c.Canonicalizer = dsig.MakeC14N11Canonicalizer() }), &annuaire.WhitelistOptions{Roots: trusted.pki.Pool}, annuaire.SignatureTrusted, ""},
		{"RSA-SHA512", trusted.sign(t, doc, func(c *dsig.SigningContext) { c.SetSignatureMethod(dsig.RSASHA512SignatureMethod) }), &annuaire.WhitelistOptions{Roots: trusted.pki.Pool}, annuaire.SignatureTrusted, ""},
		{"RSA-SHA1", trusted.sign(t, doc, func(c *dsig.SigningContext) { c.SetSignatureMethod(dsig.RSASHA1SignatureMethod) }), &annuaire.WhitelistOptions{Roots: trusted.pki.Pool}, annuaire.SignatureBad, "SHA-1"},
		{"SHA-1 digest", bytes.Replace(trusted.sign(t, doc), []byte("http://www.w3.org/2001/04/xmlenc#sha256"), []byte("http://www.w3.org/2000/09/xmldsig#sha1"), 1),
			&annuaire.WhitelistOptions{Roots: trusted.pki.Pool}, annuaire.SignatureBad, "digest http://www.w3.org/2000/09/xmldsig#sha1 refused: SHA-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wl, _ := parseBytes(t, tc.data, tc.opts)
			if v := wl.Signature; v.Status != tc.status || !strings.Contains(v.Reason, tc.reason) {
				t.Errorf("%+v", v)
			}
			if !wl.Contains("medecin.mssante.fr") || wl.Len() != 30 {
				t.Errorf("%d domains", wl.Len())
			}
		})
	}

	// A CRL of the root that revokes the signer.
	leaf := trusted.issued.TLS.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(trusted.issued.TLS.Certificate[0]); err != nil {
			t.Fatal(err)
		}
	}
	crl := func(revoked ...*x509.Certificate) *x509.RevocationList {
		der, err := trusted.pki.CRL(revoked, now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		l, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	signed := trusted.sign(t, doc)
	wl, _ := parseBytes(t, signed, &annuaire.WhitelistOptions{Roots: trusted.pki.Pool, Revocation: tlsauth.StaticCRLs(crl())})
	if !wl.Signature.Trusted() {
		t.Errorf("empty CRL: %+v", wl.Signature)
	}
	wl, _ = parseBytes(t, signed, &annuaire.WhitelistOptions{Roots: trusted.pki.Pool, Revocation: tlsauth.StaticCRLs(crl(leaf))})
	if wl.Signature.Status != annuaire.SignatureInvalidCertificate || !strings.Contains(wl.Signature.Reason, "revoked") {
		t.Errorf("revoked: %+v", wl.Signature)
	}
	// Fail-closed: no CRL of the signer's issuer.
	otherDER, _ := other.pki.CRL(nil, now.Add(24*time.Hour))
	otherCRL, _ := x509.ParseRevocationList(otherDER)
	wl, _ = parseBytes(t, signed, &annuaire.WhitelistOptions{Roots: trusted.pki.Pool, Revocation: tlsauth.StaticCRLs(otherCRL)})
	if wl.Signature.Status != annuaire.SignatureInvalidCertificate || !strings.Contains(wl.Signature.Reason, "no valid CRL") {
		t.Errorf("no CRL of the issuer: %+v", wl.Signature)
	}

	// A certificate whose key usage does not allow signing (self-signed,
	// ECDSA: the ECDSA-SHA256 path is checked on the way).
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "key-usage.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageKeyAgreement, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ctx, err := dsig.NewSigningContext(crypto.Signer(key), [][]byte{der})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	d := etree.NewDocument()
	d.ReadFromString(doc)
	el, err := ctx.SignEnveloped(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	d.SetRoot(el)
	out, _ := d.WriteToBytes()
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	wl, _ = parseBytes(t, out, &annuaire.WhitelistOptions{Roots: pool})
	if wl.Signature.Status != annuaire.SignatureInvalidCertificate || !strings.Contains(wl.Signature.Reason, "key usage") ||
		wl.Signature.Method != dsig.ECDSASHA256SignatureMethod {
		t.Errorf("key usage: %+v", wl.Signature)
	}
}

// TestWhitelistSignatureWrapping: XML-DSig wrapping attacks, where the
// signature stays valid over some content while the parser is shown other
// content.
func TestWhitelistSignatureWrapping(t *testing.T) {
	trusted, _ := testSigners(t)
	opts := &annuaire.WhitelistOptions{Roots: trusted.pki.Pool}
	now := time.Now()
	signed := string(trusted.sign(t, genList(now, 5)))
	evil := `<ListeDomaines><Domaine><Nom>evil.example</Nom><DNCertificatOperateur>CN=evil,O=EVIL</DNCertificatOperateur></Domaine></ListeDomaines>`
	insert := func(before, what string) []byte {
		i := strings.Index(signed, before)
		if i < 0 {
			t.Fatalf("%q not in the signed list", before)
		}
		return []byte(signed[:i] + what + signed[i:])
	}
	root := `<ListeBlancheMSSante xmlns="` + annuaire.WhitelistNamespace + `">`
	refused := map[string][]byte{
		"second ListeDomaines after the signed one":  insert("<ds:Signature", evil),
		"second ListeDomaines before the signed one": insert("<ListeDomaines>", evil),
		"ListeDomaines in KeyInfo (not signed)":      insert("<ds:X509Data>", evil),
		"ListeDomaines in an Object":                 insert("</ds:Signature>", `<ds:Object>`+evil+`</ds:Object>`),
		"signed root wrapped in an evil root": []byte(root + `<DateDeGeneration>` + now.Format(time.RFC3339) + `</DateDeGeneration>` + evil +
			strings.TrimPrefix(signed, `<?xml version="1.0" encoding="UTF-8"?>`) + `</ListeBlancheMSSante>`),
		"a second root after the signed one": []byte(signed + root + evil + `</ListeBlancheMSSante>`),
	}
	for name, doc := range refused {
		wl, _, err := annuaire.ParseWhitelist(bytes.NewReader(doc), opts)
		if !errors.Is(err, annuaire.ErrWhitelist) {
			t.Errorf("%s: %v, %v", name, err, wl.Domains())
		}
	}

	bad := map[string][]byte{}
	// A signature computed over the ListeDomaines element only, with an
	// Id, and placed as a child of the root: it verifies, but covers one
	// element, not the list that the parser reads.
	d := etree.NewDocument()
	d.ReadFromString(genList(now, 5))
	ld := d.Root().SelectElement("ListeDomaines")
	ld.CreateAttr("ID", "ld")
	ctx, _ := dsig.NewSigningContext(trusted.issued.TLS.PrivateKey.(crypto.Signer), trusted.issued.TLS.Certificate)
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	sig, err := ctx.ConstructSignature(ld, true)
	if err != nil {
		t.Fatal(err)
	}
	d.Root().AddChild(sig)
	bad["reference to another element"], _ = d.WriteToBytes()
	// Two signatures.
	i := strings.Index(signed, "<ds:Signature")
	bad["two signatures"] = []byte(signed[:i] + signed[i:len(signed)-len("</ListeBlancheMSSante>")] + signed[i:])
	// A signature that is not a child of the root.
	j := strings.Index(signed, "</ListeDomaines>")
	k := strings.LastIndex(signed, "</ListeBlancheMSSante>")
	bad["signature inside ListeDomaines"] = []byte(signed[:j] + signed[i:k] + signed[j:i] + signed[k:])
	// The signature of one list moved to another.
	other := string(trusted.sign(t, genList(now, 6)))
	bad["signature of another list"] = []byte(signed[:i] + other[strings.Index(other, "<ds:Signature"):])
	for name, doc := range bad {
		wl, _, err := annuaire.ParseWhitelist(bytes.NewReader(doc), opts)
		if err != nil || wl.Signature.Status != annuaire.SignatureBad {
			t.Errorf("%s: %v %+v", name, err, wl)
		} else {
			t.Logf("%s: %s", name, wl.Signature.Reason)
		}
	}
}
