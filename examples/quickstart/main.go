// Command quickstart shows the whole SDK at work, in one process, against the
// embedded test operator (package mssante/mssantetest):
//
//  1. a hospital DPI builds a CDA R2 level 1 document around a PDF for the
//     public test patient (package cda);
//  2. it sends the document, in an IHE_XDM.ZIP archive with its PDF, from its
//     applicative mailbox (client certificate) to a doctor, after linting
//     the whole message, through a durable outbox on SQLite that asks for a
//     delivery receipt (packages mssante, mssante/xdm, mssante/smtpclient,
//     mssante/delivery);
//  3. the doctor's software receives it over IMAP, verifies the archive, files
//     the document for the right patient and answers with a read receipt
//     (MDN) (mssante/imapclient, mssante);
//  4. the hospital's outbox reads the DSN and the MDN and shows the doctor's
//     timeline (submitted → delivered → processed); then the hospital
//     writes to the patient's Mon Espace Santé mailbox with "X-MSS-MES: FIN"
//     (no reply wanted), and to a second test patient whose mailbox is
//     closed, whose bounce it classifies (package msc).
//
// This file holds what a vendor copies: the CDA header and the SMTP and IMAP
// clients. scenario.go plays the steps, report.go prints them.
//
// Run it with:
//
//	go run ./examples/quickstart            # prints a short report
//	go run ./examples/quickstart -out DIR   # also writes every artifact to DIR
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

func main() {
	out := flag.String("out", "", "directory where every artifact is written (message, IHE_XDM.ZIP, CDA, PDF, MDN, bounce)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, *out); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run plays the scenario and prints the report to w.
func run(ctx context.Context, w io.Writer, outDir string) error {
	s, err := newScenario(ctx, w, outDir)
	if err != nil {
		return err
	}
	defer s.close()
	for _, step := range []func(context.Context) error{
		s.buildDocument,
		s.sendToDoctor,
		s.doctorReceives,
		s.hospitalReadsMDN,
		s.writeToPatient,
		s.bounceFromClosedMailbox,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	s.report.done()
	return nil
}

// productNIL is the X-MSS-NIL header of every message: the reference the
// ANS gives a product when it is registered (ECO.2.4.3). DEV000000 is a
// placeholder: put your product's reference.
const productNIL = "DEV000000"

// testPatient is the public test identity of the ANS (INS 279035121518989,
// ins.md §8.1), qualified. In your software the identity comes from your
// patient record, and only a qualified identity (ins.StatusQualified,
// checked against INSi) may carry the INS.
func testPatient() ins.Identity {
	return ins.Identity{
		INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest}, // test NIR authority
		Status: ins.StatusQualified,
		Traits: ins.Traits{
			BirthName:       "PAT-TROIS",
			BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate:       time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC),
			Sex:             ins.SexFemale,
			BirthPlace:      "51215", // INSEE code of the birth commune
		},
	}
}

// Placeholder OIDs. A document's id and setId are OIDs under an arc that
// belongs to your product or to the structure that produces the document
// (obtained from the ANS or HL7 France). 1.2.250.1.999 is NOT registered:
// it only stands for yours here. Replace both before producing real
// documents.
const (
	documentIDRoot = "1.2.250.1.999.1.1.1" // placeholder: root of ClinicalDocument/id
	documentSetID  = "1.2.250.1.999.1.1.2" // placeholder: root of ClinicalDocument/setId
)

// buildConsultationReport writes a CDA R2 level 1 document: the PDF of a
// consultation report wrapped in the CI-SIS header (package cda). Every value
// of the header comes from the hospital's records in a real DPI; the codes
// are those of the CI-SIS value sets (JDV_*).
func buildConsultationReport(patient ins.Identity, pdf []byte, now time.Time) ([]byte, error) {
	// The author, a doctor known by the RPPS number of the national
	// directory, and the hospital, known by its FINESS number. NewRPPS and
	// NewFINESS check the key and give the national ids (8+RPPS, 1+FINESS).
	// Both numbers are fictitious test values.
	rpps, err := cda.NewRPPS("10001234565")
	if err != nil {
		return nil, err
	}
	finess, err := cda.NewFINESS("750000002")
	if err != nil {
		return nil, err
	}
	hospital := &cda.Organization{ID: finess, Name: "Hôpital Test"}
	// Dr Marie MARTIN: the civilité (JDV_J245: M, MME) and the title (JDV_J246: DR, PR...) are typed.
	doctor := cda.Person{ID: rpps, Name: cda.PersonName{Civility: cda.CivilityMrs, Given: "Marie", Family: "MARTIN", Title: cda.TitleDoctor}, Organization: hospital}

	id := fmt.Sprintf("%d", now.UnixNano()) // unique within documentIDRoot
	h := &cda.Header{
		ID:                  cda.II{Root: documentIDRoot, Extension: id},
		SetID:               cda.II{Root: documentSetID, Extension: id}, // the same for every version of the document
		VersionNumber:       1,
		Code:                cda.Code{Code: "11488-4", CodeSystem: cda.OIDLOINC}, // JDV_J07: consultation report
		Title:               "Compte rendu de consultation",
		EffectiveTime:       now,
		ConfidentialityCode: cda.Code{Code: "N", CodeSystem: cda.OIDConfidentiality}, // normal
		LanguageCode:        "fr-FR",
		Patient:             cda.Patient{Identity: patient},
		Authors: []cda.Author{{
			Time: now, ID: rpps, Person: &doctor.Name, Organization: hospital,
			Code: cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"}, // JDV_J01: the author's specialty
		}},
		Custodian:          *hospital, // the structure that keeps the document
		LegalAuthenticator: &cda.LegalAuthenticator{Time: now, Person: doctor},
		ServiceEvent: cda.ServiceEvent{ // the consultation
			Start: now.Add(-time.Hour), Stop: now,
			Performer: &cda.Performer{Person: doctor, PracticeSetting: cda.Code{Code: "ETABLISSEMENT", CodeSystem: "1.2.250.1.213.1.1.4.9"}}, // JDV_J04
		},
		Encounter: cda.Encounter{
			Start:        now.Add(-time.Hour),
			FacilityType: cda.Code{Code: "SA01", CodeSystem: "1.2.250.1.71.4.2.4"}, // JDV_J02: établissement public de santé
		},
	}
	var out bytes.Buffer
	if err := cda.Build(&out, h, cda.Body{Content: bytes.NewReader(pdf)}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// mailbox is one MSSanté mailbox of the scenario and its two clients.
type mailbox struct {
	Address string
	SMTP    *smtpclient.Client // to send
	IMAP    *imapclient.Client // to receive
}

func (m *mailbox) close() {
	if m.SMTP != nil {
		_ = m.SMTP.Close()
	}
	if m.IMAP != nil {
		_ = m.IMAP.Close()
	}
}

// connectApplicative opens the clients of an applicative mailbox (BAL APP,
// software that sends and receives on its own): TLS 1.2 with the structure's
// IGC Santé organisation certificate, and SASL EXTERNAL (the server takes the
// identity from the certificate).
func connectApplicative(op *mssantetest.Operator, address string) (*mailbox, error) {
	// The test operator issues the certificate; a real installation loads
	// its own, e.g. tlsauth.LoadPKCS12(data, password) (see examples/dui-send).
	cert, err := op.ClientCert(address)
	if err != nil {
		return nil, err
	}
	tlsOpts := tlsauth.TLSOptions{
		RootCAs:     op.RootCAs(), // a real operator: the IGC Santé chain, tlsauth.LoadRoots
		Certificate: &cert,
	}
	auth := tlsauth.Auth{Mechanism: tlsauth.External}
	return connect(op, address, tlsOpts, auth)
}

// connectPersonal opens the clients of a personal mailbox (BAL PER, a
// professional): TLS 1.2 and SASL XOAUTH2 with the access token of the
// professional's Pro Santé Connect session.
func connectPersonal(op *mssantetest.Operator, address string) (*mailbox, error) {
	tokens := tlsauth.TokenSourceFunc(func(ctx context.Context) (string, time.Time, error) {
		// Pro Santé Connect gives short-lived access tokens (about 5
		// minutes); the client asks for a new one before this one expires.
		// Here the test operator issues them.
		const ttl = 5 * time.Minute
		tok, err := op.IssueToken(address, ttl)
		return tok, time.Now().Add(ttl), err
	})
	tlsOpts := tlsauth.TLSOptions{RootCAs: op.RootCAs()}
	auth := tlsauth.Auth{Mechanism: tlsauth.XOAuth2, Username: address, Tokens: tokens}
	return connect(op, address, tlsOpts, auth)
}

// connect opens the SMTP submission and IMAP clients of a mailbox.
func connect(op *mssantetest.Operator, address string, tlsOpts tlsauth.TLSOptions, auth tlsauth.Auth) (*mailbox, error) {
	m := &mailbox{Address: address}
	var err error
	m.SMTP, err = smtpclient.New(&smtpclient.Options{
		Addr: op.SMTPAddr(), // a real operator: "smtp.<operator>:587" (STARTTLS)
		TLS:  tlsOpts,
		Auth: auth,
		// Required: every recipient is checked against the liste blanche of
		// the MSSanté trust space before anything is sent. In production an
		// annuaire.RecipientChecker on the national list (see
		// examples/directory); here the test operator's own list.
		RecipientChecker: op.RecipientChecker(),
	})
	if err != nil {
		return nil, err
	}
	m.IMAP, err = imapclient.New(&imapclient.Options{
		Addr: op.IMAPAddr(), // a real operator: "imap.<operator>:143" (STARTTLS)
		TLS:  tlsOpts,
		Auth: auth,
	})
	if err != nil {
		m.close()
		return nil, err
	}
	return m, nil
}
