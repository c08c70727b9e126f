package msc_test

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/msc"
)

// The public ANS test identity (ins.md §8.1).
func testIdentity() ins.Identity {
	return ins.Identity{
		INS: ins.INS{Matricule: "279035121518989", OID: ins.OIDNIRTest},
		Traits: ins.Traits{
			BirthName:       "PAT-TROIS",
			BirthGivenNames: "DOMINIQUE MARIE-LOUISE",
			BirthDate:       time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC),
			Sex:             ins.SexFemale,
			BirthPlace:      "51215",
		},
		Status: ins.StatusQualified,
	}
}

func ExampleAddress() {
	id := testIdentity()
	addr, err := msc.Address(id, ins.Test)
	fmt.Println(addr, err)

	// Only a qualified identity gets an address.
	id.Status = ins.StatusRecovered
	_, err = msc.Address(id, ins.Test)
	fmt.Println(errors.Is(err, msc.ErrNotQualified))

	// A test identity is refused in production.
	id.Status = ins.StatusQualified
	_, err = msc.Address(id, ins.Production)
	fmt.Println(errors.Is(err, msc.ErrWrongEnvironment))
	// Output:
	// 279035121518989@patient.mssante.fr <nil>
	// true
	// true
}

func ExampleParseAddress() {
	m, err := msc.ParseAddress("Dominique PAT-TROIS <279035121518989@patient.mssante.fr>")
	fmt.Println(m, err)

	// The CI-SIS example address has a wrong key (msc.md §1).
	_, err = msc.ParseAddress("288091234567823@patient.mssante.fr")
	var pe *ins.ParseError
	fmt.Println(errors.Is(err, msc.ErrChecksum), errors.As(err, &pe) && pe.Want == 94)
	// Output:
	// 279035121518989 <nil>
	// true true
}

func ExampleIsClosing() {
	for _, subject := range []string{"[FIN]", "[fin]", "RE: [FIN]", "Compte rendu"} {
		fmt.Printf("%-14q %v\n", subject, msc.IsClosing(msc.HeaderMap{"Subject": subject}))
	}
	// The preferred form: content and closing in one message.
	fmt.Println(msc.IsClosing(msc.HeaderMap{"Subject": "Compte rendu", "X-MSS-MES": "FIN"}))
	// Output:
	// "[FIN]"        true
	// "[fin]"        false
	// "RE: [FIN]"    false
	// "Compte rendu" false
	// true
}

func ExampleIsClosingMessage() {
	raw := "From: Dr_Marie_MARTIN <marie.martin@medecin.mssante.fr>\r\n" +
		"To: 279035121518989@patient.mssante.fr\r\n" +
		"Subject: Vos résultats\r\n" +
		"X-MSS-MES: FIN\r\n" +
		"\r\n" +
		"Bonjour,\r\n"
	closing, err := msc.IsClosingMessage(strings.NewReader(raw))
	fmt.Println(closing, err)

	// net/mail headers work as they are.
	m, _ := mail.ReadMessage(strings.NewReader(raw))
	fmt.Println(msc.Closing(m.Header))
	// Output:
	// true <nil>
	// X-MSS-MES: FIN
}
