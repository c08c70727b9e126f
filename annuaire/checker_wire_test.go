package annuaire_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/mailaddr"
)

// wireTestList is a liste blanche of two domains, one of them Unicode.
const wireTestList = `<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"><ListeDomaines>` +
	`<Domaine><Nom>hopital.mssante.fr</Nom><DNCertificatOperateur>CN=a,O=b</DNCertificatOperateur></Domaine>` +
	`<Domaine><Nom>médecin.mssante.fr</Nom><DNCertificatOperateur>CN=a,O=b</DNCertificatOperateur></Domaine>` +
	`</ListeDomaines></ListeBlancheMSSante>`

// TestCheckerChecksTheWireForm: the address is checked as it goes on the
// wire; nothing is trimmed or folded into an address of the liste blanche.
func TestCheckerChecksTheWireForm(t *testing.T) {
	wl, _, err := annuaire.ParseWhitelist(strings.NewReader(wireTestList), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &annuaire.RecipientChecker{Whitelist: wl}
	ctx := context.Background()
	for _, ok := range []string{"paul@hopital.mssante.fr", "Paul@HOPITAL.mssante.fr", "x@médecin.mssante.fr", "x@xn--mdecin-bva.mssante.fr"} {
		if err := c.CheckRecipient(ctx, ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"paul@hopital.mssante.fr\u00a0", " paul@hopital.mssante.fr", "paul@hopital.mssante.fr\n",
		"x%gmail.com@hopital.mssante.fr", "gmail.com!x@hopital.mssante.fr",
		"\u212a@hopital.mssante.fr", "x@hopital.mssante.fr\u212a", "x@gmail.com",
	} {
		err := c.CheckRecipient(ctx, bad)
		if !errors.Is(err, annuaire.ErrOutsideTrustSpace) {
			t.Errorf("%q accepted: %v", bad, err)
		}
		if bad != "x@gmail.com" && (!errors.Is(err, mailaddr.ErrInvalid) || !errors.Is(err, annuaire.ErrInvalidAddress)) {
			t.Errorf("%q: %v, want an invalid address", bad, err)
		}
	}
}

// FuzzCheckRecipient: whatever the address, the checker accepts it only in
// its wire form's domain of the liste blanche, and refuses it with the
// trust-space error otherwise.
func FuzzCheckRecipient(f *testing.F) {
	wl, _, err := annuaire.ParseWhitelist(strings.NewReader(wireTestList), nil)
	if err != nil {
		f.Fatal(err)
	}
	c := &annuaire.RecipientChecker{Whitelist: wl}
	for _, s := range []string{"paul@hopital.mssante.fr", "x%gmail.com@hopital.mssante.fr", "\u212a@hopital.mssante.fr",
		"paul@hopital.mssante.fr\u00a0", "x@médecin.mssante.fr", "x@gmail.com", "x@hopital.mssante.fr."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		err := c.CheckRecipient(context.Background(), addr)
		if err != nil {
			if !errors.Is(err, annuaire.ErrOutsideTrustSpace) {
				t.Fatalf("%q refused without the trust-space error: %v", addr, err)
			}
			return
		}
		wire, nerr := mailaddr.Normalize(addr)
		if nerr != nil {
			t.Fatalf("%q accepted but not a wire address: %v", addr, nerr)
		}
		_, domain, _ := strings.Cut(wire, "@")
		if !wl.Contains(domain) {
			t.Fatalf("%q accepted, domain %q not listed", addr, domain)
		}
	})
}
