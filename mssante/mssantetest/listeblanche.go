package mssantetest

import (
	"bytes"
	"crypto/x509"
	"encoding/xml"
	"slices"
	"strings"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/ins"
)

// ListeBlancheFile is the name of the liste blanche WriteFiles writes.
const ListeBlancheFile = "listeblanche.xml"

// ListeBlanche returns the liste blanche of the operator's trust space, in
// the format of the national file (listeblanchemssante.xml, spec/mssante.md
// §10): the operator's domains and Mon Espace Santé's, each with the DN of
// the operator's server certificate. It is what a client of this operator
// checks its recipients against, as it would the national list:
//
//	wl, _, err := annuaire.ParseWhitelist(bytes.NewReader(op.ListeBlanche()), nil)
//	checker := &annuaire.RecipientChecker{Whitelist: wl}
//	client, err := smtpclient.New(&smtpclient.Options{..., RecipientChecker: checker})
func (op *Operator) ListeBlanche() []byte {
	op.mu.Lock()
	domains := make([]string, 0, len(op.domains)+1)
	for d := range op.domains {
		domains = append(domains, d)
	}
	op.mu.Unlock()
	if !slices.Contains(domains, ins.PatientDomain) {
		domains = append(domains, ins.PatientDomain)
	}
	slices.Sort(domains)
	dn := ""
	if leaf, err := x509.ParseCertificate(op.serverCert.TLS.Certificate[0]); err == nil {
		dn = leaf.Subject.String()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">` + "\n" +
		`  <DateDeGeneration>` + time.Now().UTC().Format(time.RFC3339) + "</DateDeGeneration>\n  <ListeDomaines>\n")
	for _, d := range domains {
		b.WriteString("    <Domaine><Nom>")
		xml.EscapeText(&b, []byte(d))
		b.WriteString("</Nom><Description>Opérateur de test (mssantetest)</Description><DNCertificatOperateur>")
		xml.EscapeText(&b, []byte(dn))
		b.WriteString("</DNCertificatOperateur></Domaine>\n")
	}
	b.WriteString("  </ListeDomaines>\n</ListeBlancheMSSante>\n")
	return []byte(b.String())
}

// RecipientChecker returns the recipient check of the operator's trust
// space: an annuaire.RecipientChecker on ListeBlanche, which the SMTP
// client requires (smtpclient.Options.RecipientChecker). A client of a real
// operator checks against the national liste blanche instead, kept fresh
// by annuaire.WhitelistRefresher.
func (op *Operator) RecipientChecker() *annuaire.RecipientChecker {
	wl, _, err := annuaire.ParseWhitelist(bytes.NewReader(op.ListeBlanche()), nil)
	if err != nil {
		panic("mssantetest: the operator's liste blanche does not parse: " + err.Error()) // a bug of ListeBlanche
	}
	return &annuaire.RecipientChecker{Whitelist: wl}
}
