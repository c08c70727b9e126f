package annuaire_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

func ExampleLoadIndex() {
	// A two-line extraction (in real life: LoadIndexFile on the daily ZIP).
	text := strings.Join(annuaire.ExtractionHeader[:], "|") + "|\n" +
		"PER|helene.exemple@medecin.mssante.fr|8|10001234565|810001234565|||||EXEMPLE|Hélène|||10|Médecin|||||||||||||||75|FR|\n" +
		"ORG|accueil@ch-exemple.mssante.fr|||||1754567860|Accueil|||||||||||CENTRE HOSPITALIER D'EXEMPLE|||||||||||75|FR|\n"
	idx, err := annuaire.LoadIndex(context.Background(), strings.NewReader(text), nil)
	if err != nil {
		panic(err)
	}
	m, ok := idx.Lookup("Helene.Exemple@MEDECIN.mssante.fr")
	fmt.Println(ok, m.Type, m.Person.FirstName, m.Person.ProfessionLabel)
	for _, m := range idx.ByPerson("810001234565") {
		fmt.Println("person:", m.Address)
	}
	for _, m := range idx.Search("helene exem", &annuaire.SearchOptions{Departement: "75"}) {
		fmt.Println("search:", m.Address)
	}
	for _, m := range idx.Search("centre hosp", nil) {
		fmt.Println("structure:", m.Address, m.Structure.Service)
	}
	// Output:
	// true PER Hélène Médecin
	// person: helene.exemple@medecin.mssante.fr
	// search: helene.exemple@medecin.mssante.fr
	// structure: accueil@ch-exemple.mssante.fr Accueil
}

func ExampleRecipientChecker() {
	const lb = `<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"><ListeDomaines>
<Domaine><Nom>medecin.mssante.fr</Nom><DNCertificatOperateur>CN=smtp.example,O=OPERATEUR</DNCertificatOperateur></Domaine>
</ListeDomaines></ListeBlancheMSSante>`
	wl, _, err := annuaire.ParseWhitelist(strings.NewReader(lb), nil)
	if err != nil {
		panic(err)
	}
	checker := &annuaire.RecipientChecker{
		Whitelist: wl, // or a *WhitelistRefresher
		OnUnknown: func(_ context.Context, addr string, err error) {
			fmt.Println("warning: not in the directory (may be red-listed):", addr)
		},
		Directory: &annuaire.Directory{}, // empty: knows nobody
	}
	ctx := context.Background()
	fmt.Println(checker.CheckRecipient(ctx, "dr.exemple@medecin.mssante.fr"))
	err = checker.CheckRecipient(ctx, "someone@gmail.com")
	var te *annuaire.TrustError
	fmt.Println(errors.Is(err, annuaire.ErrOutsideTrustSpace), errors.As(err, &te) && te.Domain == "gmail.com")
	// Output:
	// warning: not in the directory (may be red-listed): dr.exemple@medecin.mssante.fr
	// <nil>
	// true true
}

func ExampleFHIRClient() {
	// A local server standing for https://gateway.api.esante.gouv.fr/fhir/v2.
	srv := annuairetest.NewFHIRServer()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate()) // in production: the IGC-Santé roots

	c := &annuaire.FHIRClient{BaseURL: srv.BaseURL(), APIKey: annuairetest.FHIRAPIKey, RootCAs: roots}
	ms, err := c.ByPerson(context.Background(), annuairetest.FHIRRPPS)
	if err != nil {
		panic(err)
	}
	for _, m := range ms {
		fmt.Println(strings.TrimSpace(fmt.Sprint(m.Type, " ", m.Address, " ", m.Structure.Name)))
	}
	// Output:
	// PER helene.testmedecin@medecin.mssante.fr
	// PER h.testmedecin@ch-exemple.mssante.fr CENTRE HOSPITALIER D'EXEMPLE
	// PER helene.testmedecin@cabinet-exemple.mssante.fr CABINET DU DR TESTMEDECIN
}

func ExampleChain() {
	idx, _ := annuaire.LoadIndex(context.Background(), strings.NewReader(
		strings.Join(annuaire.ExtractionHeader[:], "|")+"\n"+"ORG|accueil@ch-exemple.mssante.fr"+strings.Repeat("|", 29)+"\n"), nil)
	srv := annuairetest.NewFHIRServer()
	defer srv.Close()
	api := &annuaire.FHIRClient{BaseURL: srv.BaseURL(), APIKey: annuairetest.FHIRAPIKey, HTTPClient: srv.Client()}

	// The daily extraction first, the API for what it does not know.
	r := annuaire.Chain{idx, api}
	for _, a := range []string{"accueil@ch-exemple.mssante.fr", annuairetest.FHIROrgAddress, "inconnu@ch-exemple.mssante.fr"} {
		m, err := r.ResolveAddress(context.Background(), a)
		fmt.Println(a, m.Source, errors.Is(err, annuaire.ErrNotFound))
	}
	// Output:
	// accueil@ch-exemple.mssante.fr extraction false
	// secretariat.cardio@ch-exemple.mssante.fr fhir false
	// inconnu@ch-exemple.mssante.fr  true
}
