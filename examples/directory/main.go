// Command directory shows a vendor looking up a correspondent in the national
// MSSanté directory before sending (package annuaire): a name search in the
// open-data extraction, the recipient's mailboxes by RPPS, and a transport
// that refuses, before any byte is sent, a recipient whose domain is not on
// the liste blanche of the MSSanté trust space.
//
// The extraction and the liste blanche are small generated files; in
// production they are the daily files of the ANS (annuaire.OpenExtraction,
// annuaire.WhitelistRefresher with annuaire.OfficialWhitelistURL).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/examples/internal/demo"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// productNIL is the X-MSS-NIL header of every message: the reference the
// ANS gives a product when it is registered (ECO.2.4.3). DEV000000 is a
// placeholder: put your product's reference.
const productNIL = "DEV000000"

func main() { demo.Main("directory", run) }

// extraction is a tiny extraction file in the ANS format ('|'-separated,
// header by name): a fictitious doctor and a hospital service. The
// operator's second doctor is left out, as if red-listed.
func extraction() string {
	row := func(fields map[string]string) string {
		cols := make([]string, len(annuaire.ExtractionHeader))
		for i, name := range annuaire.ExtractionHeader {
			cols[i] = fields[name]
		}
		return strings.Join(cols, "|") + "|\n"
	}
	var b strings.Builder
	b.WriteString(strings.Join(annuaire.ExtractionHeader[:], "|") + "|\n")
	doctor := func(addr, rpps, last, first string) string {
		return row(map[string]string{"Type de BAL": "PER", "Adresse BAL": addr, "Type Identifiant PP": "8", "Identifiant PP": rpps,
			"Identification nationale PP": "8" + rpps, "Civilité d'exercice": "DR", "Nom d'exercice": last, "Prénom d'exercice": first,
			"Code Profession": "10", "Libellé Profession": "Médecin", "Raison Sociale structure BAL": "Cabinet Test",
			"Code postal structure BAL": "51100", "Département structure BAL": "51"})
	}
	b.WriteString(doctor(mssantetest.DefaultDoctor, "10001234565", "MARTIN", "Marie"))
	b.WriteString(row(map[string]string{"Type de BAL": "ORG", "Adresse BAL": mssantetest.DefaultService,
		"Type identifiant structure": "1", "Identification Structure": "1750000002", "Service de rattachement": "Cardiologie",
		"Raison Sociale structure BAL": "Hôpital Test", "Code postal structure BAL": "75010", "Département structure BAL": "75"}))
	return b.String()
}

// whitelist is a liste blanche listing the test operator's domains.
func whitelist(domains ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="` + annuaire.WhitelistNamespace + `">`)
	b.WriteString(`<DateDeGeneration>` + time.Now().UTC().Format(time.RFC3339) + `</DateDeGeneration><ListeDomaines>`)
	for _, d := range domains {
		b.WriteString(`<Domaine><Nom>` + d + `</Nom><DNCertificatOperateur>CN=operateur-test.localhost,O=Operateur Test</DNCertificatOperateur></Domaine>`)
	}
	b.WriteString(`</ListeDomaines></ListeBlancheMSSante>`)
	return b.String()
}

func run(ctx context.Context, w io.Writer) error {
	op, err := mssantetest.Start(ctx, nil)
	if err != nil {
		return err
	}
	defer op.Close()

	// 1. Load the directory and find the correspondent.
	idx, err := annuaire.LoadIndex(ctx, strings.NewReader(extraction()), nil)
	if err != nil {
		return err
	}
	hits := idx.Search("martin", &annuaire.SearchOptions{Departement: "51"})
	if len(hits) == 0 {
		return errors.New("no MARTIN in the directory")
	}
	doc := hits[0]
	fmt.Fprintf(w, "Search \"martin\" in 51: %s %s %s <%s> (%s, %s)\n", doc.Person.Civility, doc.Person.FirstName, doc.Person.LastName, doc.Address, doc.Type, doc.Structure.Name)
	boxes, err := idx.ResolvePerson(ctx, doc.Person.NationalID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "RPPS %s has %d mailbox(es)\n", doc.Person.ID, len(boxes))

	// 2. The liste blanche, and a transport that checks every recipient.
	wl, findings, err := annuaire.ParseWhitelist(strings.NewReader(whitelist("hopital-test.mssante.fr", "medecin-test.mssante.fr", "patient.mssante.fr")), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Liste blanche: %d domains, %d findings\n", wl.Len(), len(findings))
	checker := &annuaire.RecipientChecker{
		Whitelist: wl,
		Directory: idx,
		OnUnknown: func(_ context.Context, addr string, _ error) {
			fmt.Fprintf(w, "Warning: %s is not in the directory (it may be red-listed)\n", addr)
		},
	}
	// The hospital's applicative mailbox: its IGC Santé organisation
	// certificate (issued here by the test PKI; tlsauth.LoadPKCS12 in a real
	// installation, see examples/dui-send) and SASL EXTERNAL.
	cert, err := op.ClientCert(mssantetest.DefaultApp)
	if err != nil {
		return err
	}
	client, err := smtpclient.New(&smtpclient.Options{
		Addr: op.SMTPAddr(), // a real operator: "smtp.<operator>:587" (STARTTLS)
		TLS:  tlsauth.TLSOptions{RootCAs: op.RootCAs(), Certificate: &cert},
		Auth: tlsauth.Auth{Mechanism: tlsauth.External},
		// Every recipient is checked before anything is sent: its domain
		// must be on the liste blanche (annuaire.ErrOutsideTrustSpace
		// otherwise), and one absent from the directory is reported.
		RecipientChecker: checker,
	})
	if err != nil {
		return err
	}
	defer client.Close()

	from := &mssante.Sender{Address: mssantetest.DefaultApp, Type: mssante.MailboxAPP, Entity: "Hôpital Test – DPI", NIL: productNIL}
	for _, to := range []string{doc.Address, "jean.durand@medecin-test.mssante.fr", "someone@gmail.example"} {
		m := &mssante.Message{From: from, To: []*mail.Address{{Address: to}}, Subject: "Courrier", Text: "Bonjour."}
		res, err := mssante.Send(ctx, client, m, nil)
		switch {
		case errors.Is(err, annuaire.ErrOutsideTrustSpace):
			fmt.Fprintf(w, "%s: refused before sending: %v\n", to, res.Recipients[0].Err)
		case err != nil:
			return err
		default:
			fmt.Fprintf(w, "%s: %s\n", to, res.Recipients[0].Status)
		}
	}
	return nil
}
