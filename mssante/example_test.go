package mssante_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/mssante"
)

func ExampleSender_DisplayName() {
	per := &mssante.Sender{Type: mssante.MailboxPER, Title: "Dr", GivenName: "Marie", FamilyName: "Martin", Entity: "Cabinet Medical"}
	org := &mssante.Sender{Type: mssante.MailboxORG, Entity: "Hopital C - Biologie"}
	fmt.Println(per.DisplayName())
	fmt.Println(org.DisplayName())
	// Output:
	// Dr_Marie_MARTIN_Cabinet Medical
	// Hopital C - Biologie
}

func ExampleMessage_WriteTo() {
	m := &mssante.Message{
		From: &mssante.Sender{
			Address: "marie.martin@medecin.mssante.fr", Type: mssante.MailboxPER,
			Title: "Dr", GivenName: "Marie", FamilyName: "Martin", NIL: "DEV000001",
		},
		To:                 []*mail.Address{{Name: "Dr Paul Durand", Address: "paul.durand@hopital.mssante.fr"}},
		Subject:            "Résultats",
		Text:               "Bonjour,\nvoici les résultats.",
		Date:               time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC),
		MessageID:          "example-1@medecin.mssante.fr",
		RequestReadReceipt: true,
	}
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(strings.ReplaceAll(b.String(), "\r\n", "\n"))
	// Output:
	// From: "Dr_Marie_MARTIN" <marie.martin@medecin.mssante.fr>
	// To: "Dr Paul Durand" <paul.durand@hopital.mssante.fr>
	// Subject: =?utf-8?q?R=C3=A9sultats?=
	// Date: Thu, 15 Jan 2026 09:30:00 +0000
	// Message-ID: <example-1@medecin.mssante.fr>
	// Disposition-Notification-To: <marie.martin@medecin.mssante.fr>
	// X-MSS-NIL: DEV000001
	// MIME-Version: 1.0
	// Content-Type: text/plain; charset=utf-8
	// Content-Transfer-Encoding: quoted-printable
	//
	// Bonjour,
	// voici les r=C3=A9sultats.
}

func ExampleParseReport() {
	f, err := os.Open("testdata/dsn-postfix.eml")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	rep, err := mssante.ParseReport(f, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Kind, rep.OriginalMessageID)
	for _, r := range rep.Recipients {
		fmt.Println(r.FinalRecipient, r.Action, r.Status)
	}
	// Output:
	// dsn c0ffee01@hopital-test.mssante.fr
	// 279035121518989@patient.mssante.fr failed 5.1.1
	// dr.martin@cabinet-test.mssante.fr delayed 4.4.1
}

func ExampleParseDisposition() {
	// The pre-1.1.3 French form keeps the error inside the Disposition field.
	d, legacy, err := mssante.ParseDisposition("automatic-action/MDN-sent-automatically; processed/Error: 902^Identifiant de patient inconnu^messageErrorCondition| E^Error^errorSeverity")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Type, d.Failed())
	fmt.Println(legacy)
	// Output:
	// processed true
	// 902^Identifiant de patient inconnu^messageErrorCondition| E^Error^errorSeverity
}

func ExampleErrorCode_Label() {
	fmt.Println(mssante.CodeUnknownPatient, mssante.CodeUnknownPatient.Label())
	// Output: 902 Identifiant patient inconnu
}

func ExampleDisplaySubject() {
	fmt.Println(mssante.DisplaySubject("XDM/1.0/DDM+ECHOGRAPHIE ABDOMINOPELVIENNE PAT-TROIS DOMINIQUE 28/03/1979"))
	// Output: ECHOGRAPHIE ABDOMINOPELVIENNE PAT-TROIS DOMINIQUE 28/03/1979
}

// A DPI answers a message it could not integrate with a French-profile MDN.
func ExampleWriteMDN() {
	original := "From: Labo <labo@labo.mssante.fr>\r\n" +
		"To: DPI <dpi@hopital.mssante.fr>\r\n" +
		"Subject: XDM/1.0/DDM+CR de biologie PAT-TROIS DOMINIQUE 28/03/1979\r\n" +
		"Message-ID: <cr-42@labo.mssante.fr>\r\n" +
		"Disposition-Notification-To: <labo@labo.mssante.fr>\r\n" +
		"\r\n" +
		"Compte rendu ci-joint.\r\n"
	var mdn bytes.Buffer
	err := mssante.WriteMDN(&mdn, strings.NewReader(original), &mssante.MDNOptions{
		From:  &mail.Address{Name: "Hôpital – DPI", Address: "dpi@hopital.mssante.fr"},
		Error: mssante.CodeUnknownPatient,
		NIL:   "DEV000001",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := mssante.ParseReport(&mdn, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Subject)
	fmt.Println(rep.MDN.Disposition)
	fmt.Println(rep.MDN.Errors[0])
	fmt.Println(rep.OriginalMessageID)
	// Output:
	// [KO Intégration système !][902] XDM/1.0/DDM+CR de biologie PAT-TROIS DOMINIQUE 28/03/1979
	// automatic-action/MDN-sent-automatically; processed/error
	// 902^Identifiant patient inconnu^applicationErrorCondition| E^Error^errorSeverity
	// cr-42@labo.mssante.fr
}

// Read tells a patient sender by a valid INS in the patient domain.
func ExampleRead() {
	raw := "From: Dominique PAT-TROIS <279035121518989@patient.mssante.fr>\r\n" +
		"To: Pharmacie <pharmacie@pharma.mssante.fr>\r\n" +
		"Subject: =?utf-8?q?Ordonnance_=C3=A0_pr=C3=A9parer?=\r\n" +
		"Message-ID: <p1@patient.mssante.fr>\r\n" +
		"Content-Type: text/plain; charset=iso-8859-1\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n" +
		"\r\n" +
		"Bonjour, je passerai apr=E8s-midi.\r\n"
	in, err := mssante.Read(strings.NewReader(raw), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(in.SenderKind, in.SenderINS)
	fmt.Println(in.Subject)
	fmt.Print(in.Text)
	// Output:
	// patient 279035121518989
	// Ordonnance à préparer
	// Bonjour, je passerai après-midi.
}
