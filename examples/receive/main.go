// Command receive shows a hospital DPI receiving health documents: it fetches
// its applicative mailbox over IMAP, verifies each IHE_XDM.ZIP archive, files
// the documents of known patients and answers every message that asks for it
// with a French-profile MDN: "processed" when the documents were integrated,
// error 902 when the patient is unknown to the DPI. A message is marked as
// received on the server only after it was stored, so none is lost.
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
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/xdm"
)

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

	hospital, err := demo.Connect(op, mssantetest.DefaultApp)
	if err != nil {
		return err
	}
	defer hospital.Close()
	me := &mail.Address{Name: "Hôpital Test – DPI", Address: mssantetest.DefaultApp}
	d := &dpi{patients: map[ins.Matricule]string{"279035121518989": "IPP-000042"}, filed: map[string][]string{}}

	// Receive hands each new message once; it is marked seen only when the
	// handler returns nil.
	return hospital.IMAP.Receive(ctx, func(ctx context.Context, r *mssante.Received) error {
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
		if err := mssante.WriteMDN(&mdn, bytes.NewReader(raw), &mssante.MDNOptions{From: me, Error: code, NIL: demo.NIL}); err != nil {
			return err
		}
		res, err := hospital.SMTP.Send(ctx, &mssante.Envelope{From: me.Address, To: []string{in.MDNRequestedTo}}, &mdn)
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
// patient the DPI knows, one for a patient it does not.
func sendSamples(ctx context.Context, op *mssantetest.Operator) error {
	doctor, err := demo.Connect(op, mssantetest.DefaultDoctor)
	if err != nil {
		return err
	}
	defer doctor.Close()
	unknown := ins.Identity{
		INS:    ins.INS{Matricule: ins.MustParse("295109912611193"), OID: ins.OIDNIRTest},
		Status: ins.StatusQualified,
		Traits: ins.Traits{BirthName: "EXEMPLE", BirthGivenNames: "CLAIRE", BirthDate: time.Date(1995, 10, 1, 0, 0, 0, 0, time.UTC), Sex: ins.SexFemale, BirthPlace: "99126"},
	}
	for _, p := range []ins.Identity{demo.Patient(), unknown} {
		doc, pdf, err := demo.Document(demo.Doc{
			Patient: p, Type: cda.Code{Code: "11488-4", CodeSystem: cda.OIDLOINC}, Title: "Compte rendu de consultation",
			Structure: "Cabinet Test", FacilityType: cda.Code{Code: "SA07", CodeSystem: "1.2.250.1.71.4.2.4"},
			PracticeSetting: cda.Code{Code: "AMBULATOIRE", CodeSystem: "1.2.250.1.213.1.1.4.9"},
			Lines:           []string{"Consultation de suivi."},
		})
		if err != nil {
			return err
		}
		m := &mssante.Message{
			From:               &mssante.Sender{Address: mssantetest.DefaultDoctor, Type: mssante.MailboxPER, Title: "Dr", GivenName: "Marie", FamilyName: "MARTIN", Entity: "Cabinet Test", NIL: demo.NIL},
			To:                 []*mail.Address{{Address: mssantetest.DefaultApp}},
			Text:               "Compte rendu ci-joint.",
			RequestReadReceipt: true,
		}
		if err := m.AttachDocuments([]*mssante.HealthDocument{{CDA: doc, PDF: pdf}}, &mssante.DocumentsOptions{
			Sender: xdm.SenderInfo{StructureName: "Cabinet Test", StructureID: "1750000002", ApplicationName: "LPS exemple"},
		}); err != nil {
			return err
		}
		if _, err := mssante.Send(ctx, doctor.SMTP, m, nil); err != nil {
			return err
		}
	}
	plain := &mssante.Message{
		From: &mssante.Sender{Address: mssantetest.DefaultDoctor, Type: mssante.MailboxPER, GivenName: "Marie", FamilyName: "MARTIN", NIL: demo.NIL},
		To:   []*mail.Address{{Address: mssantetest.DefaultApp}}, Subject: "Question", Text: "Pouvez-vous me rappeler ?",
	}
	if _, err := mssante.Send(ctx, doctor.SMTP, plain, nil); err != nil {
		return err
	}
	if n := len(op.Messages(mssantetest.DefaultApp)); n != 3 {
		return errors.New("the samples were not all delivered")
	}
	return nil
}
