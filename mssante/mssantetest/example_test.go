package mssantetest_test

import (
	"context"
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
	op, err := mssantetest.Start(context.Background(), mssantetest.Options{})
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
