package annuaire_test

import (
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
)

// TestMatchOperatorDNIsStrict: the DN is parsed (RFC 4514), not split on
// commas: a component without '=' or an escaped comma changes the DN.
func TestMatchOperatorDNIsStrict(t *testing.T) {
	const dn = "CN=medimail-asip.mipih.fr,OU=318310021300028,O=GIP MIPIH,ST=Haute-Garonne (31),C=FR"
	doc := `<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"><ListeDomaines>` +
		`<Domaine><Nom>medimail.mssante.fr</Nom><DNCertificatOperateur>` + dn + `</DNCertificatOperateur></Domaine>` +
		`<Domaine><Nom>cadillac.mssante.fr</Nom><DNCertificatOperateur>CN=mss.ch-cadillac.fr,OU=1330781295,O="C.H. DE  CADILLAC",ST=Gironde (33),C=FR</DNCertificatOperateur></Domaine>` +
		`<Domaine><Nom>broken.mssante.fr</Nom><DNCertificatOperateur>CN=x,garbage</DNCertificatOperateur></Domaine>` +
		`</ListeDomaines></ListeBlancheMSSante>`
	wl, fs, err := annuaire.ParseWhitelist(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		domain, subject string
		want            bool
	}{
		{"medimail.mssante.fr", dn, true},
		{"medimail.mssante.fr", "C=FR, ST=Haute-Garonne (31), O=GIP MIPIH, OU=318310021300028, CN=medimail-asip.mipih.fr", true},
		{"medimail.mssante.fr", dn + ",garbage", false},
		{"medimail.mssante.fr", dn + ",OU=extra", false},
		{"medimail.mssante.fr", `CN=medimail-asip.mipih.fr\,OU=318310021300028,O=GIP MIPIH,ST=Haute-Garonne (31),C=FR`, false},
		{"cadillac.mssante.fr", "CN=mss.ch-cadillac.fr,OU=1330781295,O=C.H. DE  CADILLAC,ST=Gironde (33),C=FR", true},
		{"broken.mssante.fr", "CN=x,garbage", false},
	} {
		if got := wl.MatchOperatorDN(tt.domain, tt.subject); got != tt.want {
			t.Errorf("MatchOperatorDN(%s, %q) = %v", tt.domain, tt.subject, got)
		}
	}
	if len(fs.ByRule("ANN-LB-DN")) != 1 {
		t.Errorf("ANN-LB-DN: %v", fs)
	}
	if d, _ := wl.Lookup("cadillac.mssante.fr"); d.Operators[0].Organization() != "C.H. DE  CADILLAC" {
		t.Errorf("Organization %q", d.Operators[0].Organization())
	}
}
