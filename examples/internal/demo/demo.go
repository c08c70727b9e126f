// Package demo holds what the runnable examples share: the public test
// patient, a CDA level 1 document builder with fictitious authors, and the
// connection of a mailbox of the embedded test operator. The quickstart
// (examples/quickstart) spells the connection out step by step.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/samplepdf"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// NIL is the X-MSS-NIL product reference of the examples (a real product
// gets its own from the ANS, ECO.2.4.3).
const NIL = "DEV000000"

// Patient returns the public ANS test identity (ins.md §8.1), qualified.
func Patient() ins.Identity {
	return ins.Identity{
		INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
		Traits: ins.Traits{
			BirthName:       "PAT-TROIS",
			BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate:       time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC),
			Sex:             ins.SexFemale,
			BirthPlace:      "51215",
		},
	}
}

// Doc describes a level 1 document to build.
type Doc struct {
	Patient         ins.Identity
	Type            cda.Code // JDV_J07, e.g. LOINC 11488-4
	Title           string
	Structure       string   // name of the author's structure
	FacilityType    cda.Code // JDV_J02
	PracticeSetting cda.Code // JDV_J04
	Lines           []string // text of the PDF
	Time            time.Time
}

// Document builds a CDA R2 level 1 document around a generated PDF and
// returns both. Author identifiers are generated, fictitious ones.
func Document(d Doc) (cdaXML, pdf []byte, err error) {
	if d.Time.IsZero() {
		d.Time = time.Now().Truncate(time.Second)
	}
	pdf = samplepdf.New(d.Title, d.Lines, 0)
	rpps, err := cda.NewRPPS("10001234565")
	if err != nil {
		return nil, nil, err
	}
	finess, err := cda.NewFINESS("750000002")
	if err != nil {
		return nil, nil, err
	}
	org := &cda.Organization{ID: finess, Name: d.Structure}
	author := cda.Person{ID: rpps, Name: cda.PersonName{Prefix: "DR", Given: "Marie", Family: "MARTIN"}, Organization: org}
	id := fmt.Sprintf("%d", d.Time.UnixNano())
	h := &cda.Header{
		ID:                  cda.II{Root: "1.2.250.1.999.1.1.1", Extension: id},
		SetID:               cda.II{Root: "1.2.250.1.999.1.1.2", Extension: id},
		VersionNumber:       1,
		Code:                d.Type,
		Title:               d.Title,
		EffectiveTime:       d.Time,
		ConfidentialityCode: cda.Code{Code: "N", CodeSystem: cda.OIDConfidentiality},
		LanguageCode:        "fr-FR",
		Patient:             cda.Patient{Identity: d.Patient},
		Authors: []cda.Author{{
			Time: d.Time, ID: rpps, Person: &author.Name, Organization: org,
			Code: cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"},
		}},
		Custodian:          *org,
		LegalAuthenticator: &cda.LegalAuthenticator{Time: d.Time, Person: author},
		ServiceEvent: cda.ServiceEvent{
			Start: d.Time.Add(-time.Hour), Stop: d.Time,
			Performer: &cda.Performer{Person: author, PracticeSetting: d.PracticeSetting},
		},
		Encounter: cda.Encounter{Start: d.Time.Add(-time.Hour), FacilityType: d.FacilityType},
	}
	var out bytes.Buffer
	if err := cda.Build(&out, h, cda.Body{Content: bytes.NewReader(pdf)}); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), pdf, nil
}

// Conn is a mailbox connected to the test operator.
type Conn struct {
	Address string
	SMTP    *smtpclient.Client
	IMAP    *imapclient.Client
}

// Close closes both clients.
func (c *Conn) Close() {
	if c.SMTP != nil {
		_ = c.SMTP.Close()
	}
	if c.IMAP != nil {
		_ = c.IMAP.Close()
	}
}

// Connect opens the SMTP and IMAP clients of a mailbox of the operator:
// an applicative (APP) mailbox with its client certificate and SASL
// EXTERNAL, a personal or organisational one with XOAUTH2 tokens that stand
// in for Pro Santé Connect.
func Connect(op *mssantetest.Operator, address string) (*Conn, error) {
	var typ mssantetest.MailboxType
	for _, mb := range op.Mailboxes() {
		if mb.Address == address {
			typ = mb.Type
		}
	}
	if typ == "" {
		return nil, fmt.Errorf("demo: %s is not a mailbox of the operator", address)
	}
	tlsOpts := tlsauth.TLSOptions{RootCAs: op.RootCAs()}
	var auth tlsauth.Auth
	if typ == mssantetest.APP {
		cert, err := op.ClientCert(address)
		if err != nil {
			return nil, err
		}
		tlsOpts.Certificate = &cert
		auth = tlsauth.Auth{Mechanism: tlsauth.External}
	} else {
		auth = tlsauth.Auth{Mechanism: tlsauth.XOAuth2, Username: address, Tokens: Tokens(op, address)}
	}
	c := &Conn{Address: address}
	var err error
	if c.SMTP, err = smtpclient.New(&smtpclient.Options{Addr: op.SMTPAddr(), TLS: tlsOpts, Auth: auth}); err != nil {
		return nil, err
	}
	if c.IMAP, err = imapclient.New(&imapclient.Options{Addr: op.IMAPAddr(), TLS: tlsOpts, Auth: auth}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Tokens stands in for Pro Santé Connect: it asks the test operator for a
// 5-minute access token whenever the client needs a new one.
func Tokens(op *mssantetest.Operator, address string) tlsauth.TokenSource {
	return tlsauth.TokenSourceFunc(func(ctx context.Context) (string, time.Time, error) {
		const ttl = 5 * time.Minute
		tok, err := op.IssueToken(address, ttl)
		return tok, time.Now().Add(ttl), err
	})
}
