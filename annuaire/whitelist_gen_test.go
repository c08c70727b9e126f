package annuaire_test

import (
	"crypto"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/internal/testpki"
)

// fixedTime is the generation time of the signed official list.
var fixedTime = time.Date(2025, 2, 28, 15, 42, 7, 0, time.UTC)

// genList writes a liste blanche generated at gen: the essential domains,
// then n synthetic ones, minus drop, with its closing root tag.
func genList(gen time.Time, n int, drop ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="%s">
    <DateDeGeneration>%s</DateDeGeneration>
    <ListeDomaines>
`, annuaire.WhitelistNamespace, gen.UTC().Format(time.RFC3339))
	dropped := map[string]bool{}
	for _, d := range drop {
		dropped[d] = true
	}
	entry := func(name, op string) {
		if dropped[name] {
			return
		}
		fmt.Fprintf(&b, `        <Domaine>
            <Nom>%s</Nom>
            <Description>Domaine de test %s</Description>
            <DNCertificatOperateur>CN=smtp.%s.test,OU=00000000000000,O=%s,C=FR</DNCertificatOperateur>
            <ResponsableContact>00 00 00 00 00, contact@%s.test</ResponsableContact>
            <SupportContact>00 00 00 00 00, support@%s.test</SupportContact>
            <DateMAJ>2024-06-07T10:24:42Z</DateMAJ>
        </Domaine>
`, name, name, op, strings.ToUpper(op), op, op)
	}
	for _, d := range annuaire.DefaultEssentialDomains {
		entry(d, "national")
	}
	for i := range n {
		entry(fmt.Sprintf("etablissement-%05d.mssante.fr", i), fmt.Sprintf("operateur%d", i%40))
	}
	b.WriteString("    </ListeDomaines>\n</ListeBlancheMSSante>")
	return b.String()
}

// signer is a certificate and key that sign test lists.
type signer struct {
	pki    *testpki.PKI
	issued *testpki.Issued
}

var (
	pkiOnce sync.Once
	pkiA    signer // the trusted test chain
	pkiB    signer // another chain, unknown to the tests' roots
	pkiErr  error
)

// testSigners returns two signers issued by two distinct test roots.
func testSigners(t testing.TB) (trusted, other signer) {
	t.Helper()
	pkiOnce.Do(func() {
		for _, s := range []*signer{&pkiA, &pkiB} {
			if s.pki, pkiErr = testpki.New("Test AC IGC-SANTE"); pkiErr != nil {
				return
			}
			if s.issued, pkiErr = s.pki.Client("alb.mssante.test"); pkiErr != nil {
				return
			}
		}
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiA, pkiB
}

// sign returns doc with an enveloped signature by s: exclusive
// canonicalisation and RSA-SHA256 as in the official file, unless tune
// changes the context.
func (s signer) sign(t testing.TB, doc string, tune ...func(*dsig.SigningContext)) []byte {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(s.issued.TLS.PrivateKey.(crypto.Signer), s.issued.TLS.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	for _, f := range tune {
		f(ctx)
	}
	signed, err := ctx.SignEnveloped(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	d.SetRoot(signed)
	out, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
