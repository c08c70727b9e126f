package annuaire

import (
	"bytes"
	"crypto"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/mssante-go/sdk/internal/testpki"
)

// TestVerifiedContentOnly: the entries come from the content the signature
// covers, never from the document as received. Content in KeyInfo is not
// covered by the signature: a ListeDomaines put there must not reach the
// list, even past the structural checks of scanWhitelist (bypassed here).
func TestVerifiedContentOnly(t *testing.T) {
	pki, err := testpki.New("Test AC IGC-SANTE")
	if err != nil {
		t.Fatal(err)
	}
	is, err := pki.Client("alb.mssante.test")
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<ListeBlancheMSSante xmlns="` + WhitelistNamespace + `"><DateDeGeneration>2025-02-28T15:42:07Z</DateDeGeneration>` +
		`<ListeDomaines><Domaine><Nom>medecin.mssante.fr</Nom></Domaine></ListeDomaines></ListeBlancheMSSante>`); err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(is.TLS.PrivateKey.(crypto.Signer), is.TLS.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	evil := signed.FindElement("./Signature/KeyInfo").CreateElement("ListeDomaines")
	evil.CreateElement("Domaine").CreateElement("Nom").SetText("evil.example")
	doc.SetRoot(signed)
	data, _ := doc.WriteToBytes()

	v, verified, certs := verifyWhitelistSignature(data, true, sigSeen{count: 1, atRoot: true})
	if verified == nil || len(certs) != 1 {
		t.Fatalf("the signature should hold (KeyInfo is not signed): %+v", v)
	}
	if bytes.Contains(verified, []byte("evil.example")) || bytes.Contains(verified, []byte("Signature")) || !bytes.Contains(verified, []byte("medecin.mssante.fr")) {
		t.Errorf("verified content: %s", verified)
	}
	o := (*WhitelistOptions)(nil).withDefaults()
	wl, _, _, err := scanWhitelist(strings.NewReader(string(verified)), &o)
	if err != nil || wl.Contains("evil.example") || !wl.Contains("medecin.mssante.fr") {
		t.Errorf("%v %v", err, wl.Domains())
	}
	// And ParseWhitelist refuses the document outright.
	if _, _, err := ParseWhitelist(bytes.NewReader(data), nil); err == nil || !strings.Contains(err.Error(), "out of its place") {
		t.Errorf("ParseWhitelist: %v", err)
	}
}
