package dn

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

const operator = "CN=medimail-asip.mipih.fr,OU=318310021300028,O=GIP MIPIH,ST=Haute-Garonne (31),C=FR"

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{operator, operator, true},
		{operator, "cn=Medimail-ASIP.mipih.fr, OU=318310021300028 , O = GIP  MIPIH,ST=Haute-Garonne (31),C=fr", true},
		{operator, "C=FR,ST=Haute-Garonne (31),O=GIP MIPIH,OU=318310021300028,CN=medimail-asip.mipih.fr", true}, // order
		{operator, "2.5.4.3=medimail-asip.mipih.fr,2.5.4.11=318310021300028,2.5.4.10=GIP MIPIH,2.5.4.8=Haute-Garonne (31),2.5.4.6=FR", true},
		{operator, operator + ",garbage", false}, // a component without '='
		{operator, operator + ",OU=extra", false},
		{operator, "CN=medimail-asip.mipih.fr,OU=318310021300028,O=GIP MIPIH,C=FR", false},
		{operator, "CN=medimail-asip.mipih.fr\\,OU=318310021300028,O=GIP MIPIH,ST=Haute-Garonne (31),C=FR", false}, // one CN
		{operator, "CN=medimail-asip.mipih.fr+OU=318310021300028,O=GIP MIPIH,ST=Haute-Garonne (31),C=FR", true},    // multi-valued RDN, same attributes
		{"O=C.H. DE  CADILLAC,C=FR", `O="C.H. DE  CADILLAC",C=FR`, true},
		{`O=CRLCC "PAUL STRAUSS",C=FR`, `O=CRLCC \"PAUL STRAUSS\",C=FR`, true},
		{`O=A\2C B,C=FR`, `O=A\, B,C=FR`, true},
		{`O=A\2C B,C=FR`, `O=A,B=x,C=FR`, false},
		{"CN=x", "CN=x,", false},
		{"CN=x", "", false},
		{"", "", false},
		{"CN=#04026869", "cn=#04026869", true},
		{"CN=x", "CN=#0", false},
		{"CN=x\\", "CN=x\\", false},
		{"CN=x\\zz", "CN=x\\zz", false},
		{"1.2.x=a", "1.2.x=a", false},
		{"CN=x\x00", "CN=x\x00", false},
	} {
		if got := Match(tt.a, tt.b); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"garbage", "CN=a,,O=b", "=a", "CN", "CN=a,garbage", `CN="a`, `CN="a"b`, "CN=a\\4", "-CN=a"} {
		if _, err := Parse(s); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
	d, err := Parse(`CN=Jean\2C Dupont + UID=42, O=Hôpital`)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 2 || len(d[0]) != 2 || d[0][0].Value != "Jean, Dupont" || d[0][1] != (Attribute{"UID", "42"}) || d.First("o") != "Hôpital" {
		t.Fatalf("%+v", d)
	}
}

// TestGoCertificateSubjects: the subject of a certificate, as Go writes it,
// matches the DN the liste blanche publishes for it.
func TestGoCertificateSubjects(t *testing.T) {
	n := pkix.Name{CommonName: "mss.strasbourg.unicancer.fr", OrganizationalUnit: []string{"1670000033"},
		Organization: []string{`CRLCC "PAUL STRAUSS"`}, Province: []string{"Bas-Rhin (67)"}, Country: []string{"FR"}}
	if !Match(n.String(), `CN=mss.strasbourg.unicancer.fr,OU=1670000033,O=CRLCC "PAUL STRAUSS",ST=Bas-Rhin (67),C=FR`) {
		t.Fatalf("%s", n.String())
	}
	// An attribute Go writes as an OID with a hex value.
	n.ExtraNames = []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{1, 2, 3}, Value: "x"}}
	if _, err := Parse(n.String()); err != nil {
		t.Fatalf("%s: %v", n.String(), err)
	}
}

// TestListeBlancheDNs: every DNCertificatOperateur of the published files parses.
func TestListeBlancheDNs(t *testing.T) {
	dir := testenv.Shared(t, "listeblanche")
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	re := regexp.MustCompile(`<DNCertificatOperateur>([^<]*)<`)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			s := string(m[1])
			d, err := Parse(s)
			if err != nil || len(d) < 2 || !Match(s, s) {
				t.Errorf("%s: %q: %v", filepath.Base(f), s, err)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d DNs read", n)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add(operator, operator+",garbage")
	f.Add(`O="C.H. DE  CADILLAC",C=FR`, `O=A\2C B+CN=#0402`)
	f.Fuzz(func(t *testing.T, a, b string) {
		m := Match(a, b)
		if m != Match(b, a) {
			t.Fatalf("Match is not symmetric for %q, %q", a, b)
		}
		if m {
			da, _ := Parse(a)
			db, _ := Parse(b)
			if da.Key() != db.Key() {
				t.Fatal("match with different keys")
			}
			// One more attribute never matches.
			if Match(a, b+",OU=fuzz-extra") && len(db) > 0 {
				t.Fatalf("%q matches %q plus an attribute", a, b)
			}
		}
	})
}
