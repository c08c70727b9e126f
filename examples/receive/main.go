// Command receive shows a hospital DPI receiving health documents: it fetches
// its applicative mailbox over IMAP, verifies each IHE_XDM.ZIP archive, files
// the documents of known patients and answers every message that asks for it
// with a French-profile MDN: "processed" when the documents were integrated,
// error 902 when the patient is unknown to the DPI. A message is marked as
// received on the server only after it was stored, so none is lost.
//
// Everything a vendor copies is in this file: the IMAP and SMTP clients of
// the applicative mailbox, the receiving loop, the MDN. The second half
// (sendSamples) only sets the scene: a doctor sends two reports.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/examples/internal/demo"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/samplepdf"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
	"github.com/mssante-go/sdk/mssante/xdm"
)

// productNIL is the X-MSS-NIL header of every message: the reference the
// ANS gives a product when it is registered (ECO.2.4.3). DEV000000 is a
// placeholder: put your product's reference.
const productNIL = "DEV000000"

func main() { demo.Main("receive", run) }

// dpi is a toy patient record system: the patients it knows, by INS, and the
// documents filed for them.
type dpi struct {
	patients map[ins.Matricule]string // INS → local IPP
	filed    map[string][]string      // IPP → document titles
}

func run(ctx context.Context, w io.Writer) error {
	// The hospital's applicative mailbox answers its MDNs itself here.
	mbs := mssantetest.DefaultMailboxes()
	for i := range mbs {
		if mbs[i].Address == mssantetest.DefaultApp {
			mbs[i].ReadReceipt = mssantetest.NoMDN
		}
	}
	op, err := mssantetest.Start(ctx, &mssantetest.Options{Mailboxes: mbs})
	if err != nil {
		return err
	}
	defer op.Close()
	if err := sendSamples(ctx, op); err != nil {
		return err
	}

	// The hospital's applicative mailbox: TLS 1.2 with its IGC Santé
	// organisation certificate (issued here by the test PKI; a real
	// installation loads its own with tlsauth.LoadPKCS12, see
	// examples/dui-send) and SASL EXTERNAL.
	cert, err := op.ClientCert(mssantetest.DefaultApp)
	if err != nil {
		return err
	}
	tlsOpts := tlsauth.TLSOptions{
		RootCAs:     op.RootCAs(), // a real operator: the IGC Santé chain (tlsauth.LoadRoots)
		Certificate: &cert,
	}
	auth := tlsauth.Auth{Mechanism: tlsauth.External}
	inbox, err := imapclient.New(&imapclient.Options{
		Addr: op.IMAPAddr(), // a real operator: "imap.<operator>:143" (STARTTLS)
		TLS:  tlsOpts,
		Auth: auth,
		// Mailbox "INBOX" and marking received messages \Seen are the
		// defaults; MoveTo files them in another folder instead, Cursor
		// makes the fetch follow UIDs rather than the \Seen flag.
	})
	if err != nil {
		return err
	}
	defer inbox.Close()
	outbox, err := smtpclient.New(&smtpclient.Options{
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
		return err
	}
	defer outbox.Close()
	me := &mail.Address{Name: "Hôpital Test – DPI", Address: mssantetest.DefaultApp}
	d := &dpi{patients: map[ins.Matricule]string{"279035121518989": "IPP-000042"}, filed: map[string][]string{}}

	// Receive hands each new message once; it is marked seen only when the
	// handler returns nil.
	return inbox.Receive(ctx, func(ctx context.Context, r *mssante.Received) error {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		in, err := mssante.Read(bytes.NewReader(raw), nil)
		if err != nil {
			return err
		}
		code := d.integrate(w, in)
		if in.MDNRequestedTo == "" {
			return nil
		}
		var mdn bytes.Buffer
		if err := mssante.WriteMDN(&mdn, bytes.NewReader(raw), &mssante.MDNOptions{From: me, Error: code, NIL: productNIL}); err != nil {
			return err
		}
		res, err := outbox.Send(ctx, &mssante.Envelope{From: me.Address, To: []string{in.MDNRequestedTo}}, &mdn)
		if err != nil {
			return err
		}
		status := "processed"
		if code != 0 {
			status = fmt.Sprintf("error %d (%s)", int(code), code.Label())
		}
		fmt.Fprintf(w, "   MDN %s sent to %s: %s\n", status, in.MDNRequestedTo, res.Recipients[0].Status)
		return nil
	})
}

// integrate files the documents of a message and returns the MDN error code
// (0 when everything was integrated).
func (d *dpi) integrate(w io.Writer, in *mssante.Incoming) mssante.ErrorCode {
	fmt.Fprintf(w, "From %s: %q\n", in.From.Address, in.DisplaySubject)
	if in.XDM == nil {
		fmt.Fprintln(w, "   no health document: shown to the user")
		return 0
	}
	if in.XDM.Archive == nil || in.XDM.Findings.HasErrors() {
		fmt.Fprintf(w, "   archive rejected: %v\n", in.XDM.Findings.Errors())
		return mssante.CodeOther
	}
	patient, ok := in.PatientINS()
	if !ok {
		return mssante.CodeINSMissing
	}
	ipp, known := d.patients[patient.Matricule]
	if !known {
		fmt.Fprintf(w, "   patient %s unknown to this DPI\n", patient.Matricule)
		return mssante.CodeUnknownPatient
	}
	for _, doc := range in.XDM.Documents {
		d.filed[ipp] = append(d.filed[ipp], doc.Title)
		fmt.Fprintf(w, "   filed %q (%s) for %s, integrity %s\n", doc.Title, doc.TypeCode, ipp, doc.Integrity)
	}
	return 0
}

// sendSamples has a doctor send two reports to the hospital: one for a
// patient the DPI knows, one for a patient it does not; then a plain
// question. The doctor's personal mailbox authenticates with SASL XOAUTH2
// and a Pro Santé Connect access token, issued here by the test operator.
func sendSamples(ctx context.Context, op *mssantetest.Operator) error {
	doctor, err := smtpclient.New(&smtpclient.Options{
		Addr: op.SMTPAddr(),
		TLS:  tlsauth.TLSOptions{RootCAs: op.RootCAs()},
		Auth: tlsauth.Auth{Mechanism: tlsauth.XOAuth2, Username: mssantetest.DefaultDoctor,
			Tokens: tlsauth.TokenSourceFunc(func(context.Context) (string, time.Time, error) {
				tok, err := op.IssueToken(mssantetest.DefaultDoctor, 5*time.Minute)
				return tok, time.Now().Add(5 * time.Minute), err
			})},
		RecipientChecker: op.RecipientChecker(), // see the hospital's client above
	})
	if err != nil {
		return err
	}
	defer doctor.Close()
	known := ins.Identity{ // the public test identity of the ANS (ins.md §8.1)
		INS:    ins.INS{Matricule: ins.MustParse("279035121518989"), OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
		Traits: ins.Traits{BirthName: "PAT-TROIS", BirthGivenNames: "DOMINIQUE MARIE-LOUISE", BirthDate: time.Date(1979, 3, 28, 0, 0, 0, 0, time.UTC), Sex: ins.SexFemale, BirthPlace: "51215"},
	}
	unknown := ins.Identity{ // a public example matricule (ins.md §8), unknown to the DPI
		INS:    ins.INS{Matricule: ins.MustParse("295109912611193"), OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
		Traits: ins.Traits{BirthName: "EXEMPLE", BirthGivenNames: "CLAIRE", BirthDate: time.Date(1995, 10, 1, 0, 0, 0, 0, time.UTC), Sex: ins.SexFemale, BirthPlace: "99126"},
	}
	from := &mssante.Sender{Address: mssantetest.DefaultDoctor, Type: mssante.MailboxPER, Title: "Dr", GivenName: "Marie", FamilyName: "MARTIN", Entity: "Cabinet Test", NIL: productNIL}
	for _, p := range []ins.Identity{known, unknown} {
		pdf := samplepdf.New("Compte rendu de consultation", []string{"Consultation de suivi."}, 0)
		doc, err := consultationReport(p, pdf, time.Now().Truncate(time.Second))
		if err != nil {
			return err
		}
		m := &mssante.Message{
			From:               from,
			To:                 []*mail.Address{{Address: mssantetest.DefaultApp}},
			Text:               "Compte rendu ci-joint.",
			RequestReadReceipt: true,
		}
		if err := m.AttachDocuments([]*mssante.HealthDocument{{CDA: doc, PDF: pdf}}, &mssante.DocumentsOptions{
			Sender: xdm.SenderInfo{StructureName: "Cabinet Test", StructureID: "1750000002", ApplicationName: "LPS exemple"},
		}); err != nil {
			return err
		}
		if _, err := mssante.Send(ctx, doctor, m, nil); err != nil {
			return err
		}
	}
	plain := &mssante.Message{
		From: from, To: []*mail.Address{{Address: mssantetest.DefaultApp}}, Subject: "Question", Text: "Pouvez-vous me rappeler ?",
	}
	if _, err := mssante.Send(ctx, doctor, plain, nil); err != nil {
		return err
	}
	if n := len(op.Messages(mssantetest.DefaultApp)); n != 3 {
		return errors.New("the samples were not all delivered")
	}
	return nil
}

// consultationReport writes the doctor's consultation report as a CDA R2
// level 1 document around the PDF (package cda; the header is spelled out,
// with comments, in examples/quickstart). The identifiers are fictitious;
// 1.2.250.1.999 is a placeholder OID arc, not registered.
func consultationReport(patient ins.Identity, pdf []byte, now time.Time) ([]byte, error) {
	rpps, err := cda.NewRPPS("10001234565")
	if err != nil {
		return nil, err
	}
	finess, err := cda.NewFINESS("750000002")
	if err != nil {
		return nil, err
	}
	office := &cda.Organization{ID: finess, Name: "Cabinet Test"}
	// Dr Marie MARTIN: the civilité (JDV_J245: M, MME) and the title (JDV_J246: DR, PR...) are typed.
	doctor := cda.Person{ID: rpps, Name: cda.PersonName{Civility: cda.CivilityMrs, Given: "Marie", Family: "MARTIN", Title: cda.TitleDoctor}, Organization: office}
	id := fmt.Sprintf("%d", now.UnixNano())
	h := &cda.Header{
		ID:            cda.II{Root: "1.2.250.1.999.3.1.1", Extension: id}, // placeholder OID
		SetID:         cda.II{Root: "1.2.250.1.999.3.1.2", Extension: id}, // placeholder OID
		VersionNumber: 1, Code: cda.Code{Code: "11488-4", CodeSystem: cda.OIDLOINC}, Title: "Compte rendu de consultation",
		EffectiveTime: now, ConfidentialityCode: cda.Code{Code: "N", CodeSystem: cda.OIDConfidentiality}, LanguageCode: "fr-FR",
		Patient: cda.Patient{Identity: patient},
		Authors: []cda.Author{{Time: now, ID: rpps, Person: &doctor.Name, Organization: office,
			Code: cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"}}},
		Custodian: *office, LegalAuthenticator: &cda.LegalAuthenticator{Time: now, Person: doctor},
		ServiceEvent: cda.ServiceEvent{Start: now.Add(-time.Hour), Stop: now,
			Performer: &cda.Performer{Person: doctor, PracticeSetting: cda.Code{Code: "AMBULATOIRE", CodeSystem: "1.2.250.1.213.1.1.4.9"}}},
		Encounter: cda.Encounter{Start: now.Add(-time.Hour), FacilityType: cda.Code{Code: "SA07", CodeSystem: "1.2.250.1.71.4.2.4"}},
	}
	var out bytes.Buffer
	if err := cda.Build(&out, h, cda.Body{Content: bytes.NewReader(pdf)}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
