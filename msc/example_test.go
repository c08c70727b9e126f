package msc_test

import (
	"context"
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

func ExampleClassifier_Classify() {
	bounce := "From: MAILER-DAEMON@patient.mssante.fr\r\n" +
		"Subject: =?utf-8?q?Message_non_distribu=C3=A9?=\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		"Le message que vous avez envoyé à l'adresse \"279035121518989@patient.mssante.fr\"\r\n" +
		"n'a pas pu être distribué, car la messagerie Mon espace santé de votre\r\n" +
		"destinataire est clôturée.\r\n"
	var c msc.Classifier
	b, err := c.Classify(context.Background(), strings.NewReader(bounce))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range b.Recipients {
		fmt.Println(r.Kind, r.Recipient, r.Permanent(), r.Evidence)
	}
	// Output:
	// msc-closed 279035121518989@patient.mssante.fr true mes-text
}

// A caller who learns another wording extends the table; the default one
// is never modified.
func ExampleBounceTexts() {
	c := msc.Classifier{Texts: append(msc.BounceTexts(), msc.BounceText{
		Kind: msc.KindUnknownAddress,
		Text: "le patient est décédé",
	})}
	b, _ := c.ClassifyBytes([]byte("From: postmaster@patient.mssante.fr\r\n\r\n" +
		"<279035121518989@patient.mssante.fr>: Le patient est DÉCÉDÉ.\r\n"))
	fmt.Println(b.Recipients[0].Kind, b.Recipients[0].Recipient)

	t, _ := msc.MESBounceText(msc.KindInvalidAddress)
	fmt.Println(t.Render("2790351215189@patient.mssante.fr"))
	// Output:
	// msc-unknown-address 279035121518989@patient.mssante.fr
	// Le message que vous avez envoyé à l'adresse "2790351215189@patient.mssante.fr" n'a pas pu être distribué, car cette adresse Mon espace santé est invalide.
}

func ExamplePolicy_Check() {
	id := testIdentity()
	o := &msc.Outgoing{
		To:       []string{"279035121518989@patient.mssante.fr"},
		Cc:       []string{"secretariat@chu-exemple.mssante.fr"},
		Size:     30_000_000,
		Patient:  &id,
		Document: &msc.Confidentiality{MasquePS: true},
	}
	var p msc.Policy
	for _, f := range p.Check(o) {
		fmt.Println(f.Level, f.Rule)
	}
	// Output:
	// error MSC-CONF-MATRIX
	// error MSC-SIZE
}

func ExampleTracker() {
	ctx := context.Background()
	tr := &msc.Tracker{
		Store:      &msc.MemoryStore{},
		IsPharmacy: func(mailbox string) bool { return mailbox == "officine@pharmacie-exemple.mssante.fr" },
	}
	const doctor = "marie.martin@medecin-exemple.mssante.fr"
	const patient = "279035121518989@patient.mssante.fr"

	tr.Sent(ctx, doctor, msc.HeaderMap{"To": patient, "Subject": "Vos résultats", "X-MSS-MES": "FIN"})
	c, _ := tr.Conversation(ctx, patient, doctor)
	fmt.Println(c.State, c.ClosedBy)

	tr.Sent(ctx, doctor, msc.HeaderMap{"To": patient, "Subject": "Rendez-vous"})
	c, _ = tr.Conversation(ctx, patient, doctor)
	fmt.Println(c.State)

	// A patient may write first to a pharmacy only.
	in, _ := tr.Received(ctx, "officine@pharmacie-exemple.mssante.fr", msc.HeaderMap{"From": patient, "Subject": "Ordonnance"})
	fmt.Println(in.Status, in.Conversation.PatientInitiated)
	// Output:
	// closed X-MSS-MES: FIN
	// open
	// patient-initiated true
}
