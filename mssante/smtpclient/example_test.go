package smtpclient_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// An applicative mailbox submits a message with its IGC Santé certificate.
func Example() {
	chain, err := os.ReadFile("igc-sante.pem")
	if err != nil {
		log.Fatal(err)
	}
	roots, err := tlsauth.LoadRoots(chain)
	if err != nil {
		log.Fatal(err)
	}
	p12, err := os.ReadFile("dpi.p12")
	if err != nil {
		log.Fatal(err)
	}
	cert, err := tlsauth.LoadPKCS12(p12, os.Getenv("P12_PASSWORD"))
	if err != nil {
		log.Fatal(err)
	}
	// The trust space: the national liste blanche, kept fresh (run
	// listeBlanche.Run in the background).
	listeBlanche := &annuaire.WhitelistRefresher{RootCAs: roots}
	if _, err := listeBlanche.Refresh(context.Background()); err != nil {
		log.Fatal(err)
	}
	c, err := smtpclient.New(&smtpclient.Options{
		Addr:             "smtp.operateur.example", // port 587, STARTTLS
		TLS:              tlsauth.TLSOptions{RootCAs: roots, Certificate: &cert},
		RecipientChecker: &annuaire.RecipientChecker{Whitelist: listeBlanche},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := c.Send(ctx, &mssante.Envelope{
		From: "dpi@hopital.example.mssante.fr",
		To:   []string{"dr.martin@cabinet.example.mssante.fr"},
		DSN:  &mssante.DSNRequest{Notify: []string{"SUCCESS", "FAILURE"}},
	}, strings.NewReader("From: ...\r\n\r\n..."))
	var partial *mssante.PartialError
	switch {
	case errors.As(err, &partial):
		for _, f := range partial.Failed {
			fmt.Println(f.Recipient, f.Status, f.Err)
		}
		if mssante.IsTemporary(err) {
			fmt.Println("retry later")
		}
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println("accepted by", res.Accepted())
	}
}
