// Command dui-send shows a DUI (the resident record of an EHPAD) sending a
// discharge letter from its applicative mailbox (BAL APP), authenticated by
// an IGC Santé organisation certificate in PKCS#12 form, as a real
// installation would configure it from files.
//
// It runs against the embedded test operator, which writes its test PKI
// (root certificate, PKCS#12 of each applicative mailbox) to a directory.
// Everything a DUI vendor copies is in this file: the transport
// configuration, the CDA header of the letter, the message.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/examples/internal/demo"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/samplepdf"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
	"github.com/mssante-go/sdk/mssante/xdm"
)

const ehpad = "dui@ehpad-test.mssante.fr"

// productNIL is the X-MSS-NIL header of every message: the reference the
// ANS gives a product when it is registered (ECO.2.4.3). DEV000000 is a
// placeholder: put your product's reference.
const productNIL = "DEV000000"

func main() { demo.Main("dui-send", run) }

func run(ctx context.Context, w io.Writer) error {
	mailboxes := append(mssantetest.DefaultMailboxes(), mssantetest.Mailbox{Address: ehpad, Type: mssantetest.APP, Label: "EHPAD Test – DUI"})
	op, err := mssantetest.Start(ctx, &mssantetest.Options{Mailboxes: mailboxes})
	if err != nil {
		return err
	}
	defer op.Close()

	// What an installation has on disk: the IGC Santé chain and the
	// structure's certificate as PKCS#12 with its password.
	dir, err := os.MkdirTemp("", "dui-send")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	desc, err := op.WriteFiles(dir)
	if err != nil {
		return err
	}
	var p12Path string
	for _, mb := range desc.Mailboxes {
		if mb.Address == ehpad {
			p12Path = filepath.Join(dir, mb.P12)
		}
	}

	// The transport configuration a DUI keeps: roots, certificate, operator.
	rootPEM, err := os.ReadFile(filepath.Join(dir, desc.CA))
	if err != nil {
		return err
	}
	roots, err := tlsauth.LoadRoots(rootPEM)
	if err != nil {
		return err
	}
	p12, err := os.ReadFile(p12Path)
	if err != nil {
		return err
	}
	cert, err := tlsauth.LoadPKCS12(p12, mssantetest.P12Password)
	if err != nil {
		return err
	}
	// The trust space: the liste blanche of the MSSanté domains. In
	// production it is the national file, downloaded and kept fresh by
	// annuaire.WhitelistRefresher; the test operator writes its own.
	lb, err := os.Open(filepath.Join(dir, desc.ListeBlanche))
	if err != nil {
		return err
	}
	wl, _, err := annuaire.ParseWhitelist(lb, nil)
	lb.Close()
	if err != nil {
		return err
	}
	checker := &annuaire.RecipientChecker{Whitelist: wl}
	client, err := smtpclient.New(&smtpclient.Options{
		Addr: op.SMTPAddr(), // a real operator: "smtp.<operator>:587" (STARTTLS)
		// TLS 1.2 with the MSSanté suites; the operator's certificate is
		// checked against the IGC Santé chain only, never the system's roots.
		TLS: tlsauth.TLSOptions{RootCAs: roots, Certificate: &cert},
		// SASL EXTERNAL: the operator takes the mailbox from the certificate.
		Auth: tlsauth.Auth{Mechanism: tlsauth.External},
		// Required: every recipient is checked against the liste blanche
		// before anything is sent (annuaire.ErrOutsideTrustSpace).
		RecipientChecker: checker,
	})
	if err != nil {
		return err
	}
	defer client.Close()
	fmt.Fprintf(w, "Loaded the EHPAD certificate %q from PKCS#12\n", cert.Leaf.Subject.CommonName)

	// The discharge letter of a resident transferred to hospital: the PDF
	// the DUI renders (a small generated PDF stands in for it), wrapped in
	// a CDA R2 level 1 header.
	pdf := samplepdf.New("Lettre de liaison - sortie d'EHPAD", []string{
		"Résidente : PAT-TROIS Dominique", "Transfert aux urgences, traitement en cours joint.",
	}, 0)
	doc, err := dischargeLetter(resident(), pdf, time.Now().Truncate(time.Second))
	if err != nil {
		return err
	}
	m := &mssante.Message{
		From:                   &mssante.Sender{Address: ehpad, Type: mssante.MailboxAPP, Entity: "EHPAD Test – DUI", NIL: productNIL},
		To:                     []*mail.Address{{Name: "Hôpital Test – Cardiologie", Address: mssantetest.DefaultService}},
		Text:                   "Bonjour,\n\nCi-joint la lettre de liaison de notre résidente.\n\nL'infirmière coordinatrice",
		RequestReadReceipt:     true,
		RequestDeliveryReceipt: true, // RFC 3461 NOTIFY=SUCCESS,FAILURE and Return-Receipt-To
	}
	// AttachDocuments builds IHE_XDM.ZIP from the CDA header, attaches the
	// PDF beside it, and sets the subject, X-MSS-CODECDA and X-MSS-INS.
	err = m.AttachDocuments([]*mssante.HealthDocument{{CDA: doc, PDF: pdf}}, &mssante.DocumentsOptions{
		Sender: xdm.SenderInfo{StructureName: "EHPAD Test", StructureID: "1750000002", ApplicationName: "DUI exemple", ApplicationVersion: "1.0", ApplicationVendor: "mssante-go"},
		SubmissionSet: xdm.SubmissionSet{ // contentTypeCode: the structure's type (JDV_J02), as in the ANS archives
			ContentTypeCode: xdm.Code{Code: "SA17", CodeSystem: "1.2.250.1.71.4.2.4", DisplayName: "Etablissement pour personnes âgées"},
		},
	})
	if err != nil {
		return err
	}
	res, err := mssante.Send(ctx, client, m, nil)
	if err != nil {
		return err
	}
	for _, r := range res.Recipients {
		fmt.Fprintf(w, "%s: %s\n", r.Recipient, r.Status)
	}

	// The hospital's mailbox has it, with the archive and the PDF.
	got, err := op.WaitForMessage(ctx, mssantetest.DefaultService, nil)
	if err != nil {
		return err
	}
	in, err := mssante.Read(bytes.NewReader(got.Data), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Delivered %q with %d attachments, patient %s\n", in.DisplaySubject, len(in.Attachments), in.XDM.PatientINS.Matricule)
	return nil
}

// resident is the resident's identity in the DUI: here the public test
// identity of the ANS (INS 279035121518989, ins.md §8.1). Only a qualified
// identity (ins.StatusQualified, checked against INSi) carries the INS.
func resident() ins.Identity {
	return ins.Identity{
		INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest}, // test NIR authority
		Status: ins.StatusQualified,
		Traits: ins.Traits{
			BirthName: "PAT-TROIS", BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate: time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC), Sex: ins.SexFemale,
			BirthPlace: "51215", // INSEE code of the birth commune
		},
	}
}

// Placeholder OIDs: a document's id and setId are OIDs under an arc of your
// product or of the EHPAD (obtained from the ANS or HL7 France).
// 1.2.250.1.999 is NOT registered; replace both.
const (
	letterIDRoot = "1.2.250.1.999.2.1.1" // placeholder: root of ClinicalDocument/id
	letterSetID  = "1.2.250.1.999.2.1.2" // placeholder: root of ClinicalDocument/setId
)

// dischargeLetter writes the lettre de liaison (LOINC 83981-1) of the
// resident, signed by the EHPAD's coordinating doctor, as a CDA R2 level 1
// document around the PDF. The values come from the DUI's records; the
// codes from the CI-SIS value sets (JDV_*).
func dischargeLetter(patient ins.Identity, pdf []byte, now time.Time) ([]byte, error) {
	// The coordinating doctor (RPPS) and the EHPAD (FINESS): fictitious
	// test numbers, their keys checked by NewRPPS and NewFINESS.
	rpps, err := cda.NewRPPS("10001234565")
	if err != nil {
		return nil, err
	}
	finess, err := cda.NewFINESS("750000002")
	if err != nil {
		return nil, err
	}
	ehpadOrg := &cda.Organization{ID: finess, Name: "EHPAD Test"}
	// Dr Marie MARTIN: the civilité (JDV_J245: M, MME) and the title (JDV_J246: DR, PR...) are typed.
	doctor := cda.Person{ID: rpps, Name: cda.PersonName{Civility: cda.CivilityMrs, Given: "Marie", Family: "MARTIN", Title: cda.TitleDoctor}, Organization: ehpadOrg}
	id := fmt.Sprintf("%d", now.UnixNano())
	h := &cda.Header{
		ID:                  cda.II{Root: letterIDRoot, Extension: id},
		SetID:               cda.II{Root: letterSetID, Extension: id},
		VersionNumber:       1,
		Code:                cda.Code{Code: "83981-1", CodeSystem: cda.OIDLOINC}, // JDV_J07: lettre de liaison, sortie de structure médico-sociale
		Title:               "Lettre de liaison - sortie d'EHPAD",
		EffectiveTime:       now,
		ConfidentialityCode: cda.Code{Code: "N", CodeSystem: cda.OIDConfidentiality},
		LanguageCode:        "fr-FR",
		Patient:             cda.Patient{Identity: patient},
		Authors: []cda.Author{{
			Time: now, ID: rpps, Person: &doctor.Name, Organization: ehpadOrg,
			Code: cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"}, // JDV_J01: specialty
		}},
		Custodian:          *ehpadOrg,
		LegalAuthenticator: &cda.LegalAuthenticator{Time: now, Person: doctor},
		ServiceEvent: cda.ServiceEvent{
			Start: now.Add(-time.Hour), Stop: now,
			Performer: &cda.Performer{Person: doctor, PracticeSetting: cda.Code{Code: "ESSMS", CodeSystem: "1.2.250.1.213.1.1.4.9"}}, // JDV_J04: social ou médico-social
		},
		Encounter: cda.Encounter{
			Start:        now.Add(-time.Hour),
			FacilityType: cda.Code{Code: "SA17", CodeSystem: "1.2.250.1.71.4.2.4"}, // JDV_J02: établissement pour personnes âgées
		},
	}
	var out bytes.Buffer
	if err := cda.Build(&out, h, cda.Body{Content: bytes.NewReader(pdf)}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
