package mssantetest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// An applicative mailbox writes to a patient of Mon Espace Santé whose
// mailbox is closed: the operator bounces the message with the French text
// of msc.md §9, in a DSN delivered to the sender.
func Example() {
	op, err := mssantetest.Start(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer op.Close()

	// The applicative mailbox authenticates with its client certificate.
	cert, err := op.ClientCert(mssantetest.DefaultApp)
	if err != nil {
		log.Fatal(err)
	}
	c, err := smtp.DialStartTLS(op.SMTPAddr(), op.TLSConfig(cert))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	msg := "From: <" + mssantetest.DefaultApp + ">\r\n" +
		"To: <" + mssantetest.ClosedPatient + ">\r\n" +
		"Subject: Compte rendu\r\n" +
		"Message-ID: <1@hopital-test.mssante.fr>\r\n" +
		"\r\n" +
		"Bonjour.\r\n"
	err = c.SendMail(mssantetest.DefaultApp, []string{mssantetest.ClosedPatient}, strings.NewReader(msg))
	if err != nil {
		log.Fatal(err)
	}

	for _, m := range op.Messages(mssantetest.DefaultApp) {
		fmt.Println(m.ReportType(), "|", m.Subject())
	}
	// Output:
	// delivery-status | Message non distribué
}

// A patient replies to a professional who wrote first, but not after a
// message that ends the exchange with X-MSS-MES: FIN (msc.md §3).
func ExampleOperator_PatientReply() {
	ctx := context.Background()
	op, err := mssantetest.Start(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer op.Close()

	cert, _ := op.ClientCert(mssantetest.DefaultApp)
	send := func(subject, extra string) {
		c, err := smtp.DialStartTLS(op.SMTPAddr(), op.TLSConfig(cert))
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close()
		msg := "From: <" + mssantetest.DefaultApp + ">\r\nTo: <" + mssantetest.DefaultPatient + ">\r\n" +
			"Subject: " + subject + "\r\n" + extra + "\r\nBonjour.\r\n"
		if err := c.SendMail(mssantetest.DefaultApp, []string{mssantetest.DefaultPatient}, strings.NewReader(msg)); err != nil {
			log.Fatal(err)
		}
	}

	send("Vos résultats", "")
	fmt.Println(op.PatientReply(ctx, mssantetest.DefaultPatient, mssantetest.DefaultApp, "Merci"))

	send("Compte rendu", "X-MSS-MES: FIN\r\n")
	err = op.PatientReply(ctx, mssantetest.DefaultPatient, mssantetest.DefaultApp, "Une question")
	fmt.Println(errors.Is(err, mssantetest.ErrExchangeClosed))

	reply := op.Messages(mssantetest.DefaultApp)[0]
	fmt.Println(reply.MailFrom, "|", reply.Subject())
	// Output:
	// <nil>
	// true
	// 279035121518989@patient.mssante.fr | RE: Vos résultats
}
