// Command dui-send shows a DUI (the resident record of an EHPAD) sending a
// discharge letter from its applicative mailbox (BAL APP), authenticated by
// an IGC Santé organisation certificate in PKCS#12 form, as a real
// installation would configure it from files.
//
// It runs against the embedded test operator, which writes its test PKI
// (root certificate, PKCS#12 of each applicative mailbox) to a directory.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/examples/internal/demo"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
	"github.com/mssante-go/sdk/mssante/xdm"
)

const ehpad = "dui@ehpad-test.mssante.fr"

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
	client, err := smtpclient.New(&smtpclient.Options{
		Addr: op.SMTPAddr(), // a real operator: "smtp.<operator>:587"
		TLS:  tlsauth.TLSOptions{RootCAs: roots, Certificate: &cert},
		Auth: tlsauth.Auth{Mechanism: tlsauth.External},
	})
	if err != nil {
		return err
	}
	defer client.Close()
	fmt.Fprintf(w, "Loaded the EHPAD certificate %q from PKCS#12\n", cert.Leaf.Subject.CommonName)

	// The discharge letter of a resident transferred to hospital.
	doc, pdf, err := demo.Document(demo.Doc{
		Patient:         demo.Patient(),
		Type:            cda.Code{Code: "83981-1", CodeSystem: cda.OIDLOINC}, // lettre de liaison, sortie de structure médico-sociale
		Title:           "Lettre de liaison - sortie d'EHPAD",
		Structure:       "EHPAD Test",
		FacilityType:    cda.Code{Code: "SA17", CodeSystem: "1.2.250.1.71.4.2.4"},     // établissement pour personnes âgées
		PracticeSetting: cda.Code{Code: "ESSMS", CodeSystem: "1.2.250.1.213.1.1.4.9"}, // social ou médico-social
		Lines:           []string{"Résidente : PAT-TROIS Dominique", "Transfert aux urgences, traitement en cours joint."},
	})
	if err != nil {
		return err
	}
	m := &mssante.Message{
		From:                   &mssante.Sender{Address: ehpad, Type: mssante.MailboxAPP, Entity: "EHPAD Test – DUI", NIL: demo.NIL},
		To:                     []*mail.Address{{Name: "Hôpital Test – Cardiologie", Address: mssantetest.DefaultService}},
		Text:                   "Bonjour,\n\nCi-joint la lettre de liaison de notre résidente.\n\nL'infirmière coordinatrice",
		RequestReadReceipt:     true,
		RequestDeliveryReceipt: true, // RFC 3461 NOTIFY=SUCCESS,FAILURE and Return-Receipt-To
	}
	err = m.AttachDocuments([]*mssante.HealthDocument{{CDA: doc, PDF: pdf}}, &mssante.DocumentsOptions{
		Sender: xdm.SenderInfo{StructureName: "EHPAD Test", StructureID: "1750000002", ApplicationName: "DUI exemple", ApplicationVersion: "1.0", ApplicationVendor: "mssante-go"},
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
