package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/samplepdf"
	"github.com/mssante-go/sdk/msc"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/xdm"
)

// scenario holds the actors of the quickstart.
type scenario struct {
	op     *mssantetest.Operator
	report *report
	out    string // artifact directory, "" for none

	hospital      *mssante.Sender // the DPI's applicative mailbox
	hospitalConn  *mailbox        // its SMTP and IMAP clients
	doctor        *mssante.Sender // the recipient, a personal mailbox
	doctorConn    *mailbox
	patient       ins.Identity // the public test identity
	cdaDoc, pdf   []byte
	sentMessageID string
	// outbox keeps what the hospital sends until each recipient has a
	// final status (package mssante/delivery), in a SQLite file.
	outbox    *delivery.Outbox
	outboxDir string
}

func newScenario(ctx context.Context, w io.Writer, outDir string) (*scenario, error) {
	if outDir != "" {
		if err := os.MkdirAll(outDir, 0o700); err != nil {
			return nil, err
		}
	}
	op, err := mssantetest.Start(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("starting the test operator: %w", err)
	}
	s := &scenario{op: op, report: newReport(w), out: outDir}
	s.report.step("Embedded test operator: SMTP %s, IMAP %s (TLS 1.2, test IGC Santé root)", op.SMTPAddr(), op.IMAPAddr())

	s.hospital = &mssante.Sender{Address: mssantetest.DefaultApp, Type: mssante.MailboxAPP, Entity: "Hôpital Test – DPI", NIL: productNIL}
	s.doctor = &mssante.Sender{Address: mssantetest.DefaultDoctor2, Type: mssante.MailboxPER, Title: "Dr", GivenName: "Jean", FamilyName: "DURAND", Entity: "Cabinet Test", NIL: productNIL}

	// The hospital's applicative mailbox authenticates with its IGC Santé
	// organisation certificate (issued here by the test PKI) and SASL
	// EXTERNAL; the doctor's personal mailbox with a Pro Santé Connect access
	// token (SASL XOAUTH2), issued here by the operator (main.go);
	// examples/dui-send loads a PKCS#12 certificate from files as a real
	// installation does.
	if s.hospitalConn, err = connectApplicative(op, s.hospital.Address); err == nil {
		s.doctorConn, err = connectPersonal(op, s.doctor.Address)
	}
	if err != nil {
		s.close()
		return nil, err
	}

	s.patient = testPatient() // the public ANS test identity, qualified

	// The hospital sends through a durable outbox: a message is stored
	// before anything is sent, retried if the operator is busy, and the
	// receipts that come back to its mailbox are matched to each recipient.
	if s.outboxDir, err = os.MkdirTemp("", "quickstart-outbox-"); err == nil {
		s.outbox, err = delivery.Open(ctx, "sqlite:"+filepath.Join(s.outboxDir, "outbox.db"), &delivery.Options{
			Senders: map[string]mssante.Transport{s.hospital.Address: mssante.WithReceiver(s.hospitalConn.SMTP, s.hospitalConn.IMAP)},
		})
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("opening the outbox: %w", err)
	}
	return s, nil
}

func (s *scenario) close() {
	if s.outbox != nil {
		s.outbox.Close()
	}
	if s.outboxDir != "" {
		os.RemoveAll(s.outboxDir)
	}
	for _, c := range []*mailbox{s.hospitalConn, s.doctorConn} {
		if c != nil {
			c.close()
		}
	}
	s.op.Close()
}

// buildDocument writes a CDA R2 level 1 document around a PDF.
func (s *scenario) buildDocument(context.Context) error {
	// The PDF/A rendering of the report, which the DPI's own PDF library
	// produces; a small generated one stands in for it here.
	s.pdf = samplepdf.New("Compte rendu de consultation", []string{
		"Patient : PAT-TROIS Dominique, née le 28/03/1979",
		"Examen clinique normal. (Document de démonstration, patient fictif.)",
	}, 0)
	var err error
	s.cdaDoc, err = buildConsultationReport(s.patient, s.pdf, time.Now().Truncate(time.Second))
	if err != nil {
		return fmt.Errorf("building the CDA: %w", err)
	}
	fs, err := cda.Validate(bytes.NewReader(s.cdaDoc), nil)
	if err != nil {
		return err
	}
	if fs.HasErrors() {
		return fmt.Errorf("the CDA does not validate: %v", fs.Errors())
	}
	s.report.step("Built a CDA R2 level 1 document (%d bytes, PDF of %d bytes) for INS %s: %d error, %d warning",
		len(s.cdaDoc), len(s.pdf), s.patient.INS.Matricule, fs.Count(finding.Error), fs.Count(finding.Warning))
	return s.save("document.xml", s.cdaDoc)
}

// sendToDoctor composes the message with IHE_XDM.ZIP and the PDF and sends it.
func (s *scenario) sendToDoctor(ctx context.Context) error {
	m := &mssante.Message{
		From:               s.hospital,
		To:                 []*mail.Address{s.doctor.Mailbox()},
		Text:               "Bonjour,\n\nVeuillez trouver ci-joint le compte rendu de consultation.\n\nHôpital Test",
		RequestReadReceipt: true,
	}
	err := m.AttachDocuments([]*mssante.HealthDocument{{CDA: s.cdaDoc, PDF: s.pdf}}, &mssante.DocumentsOptions{
		Sender: xdm.SenderInfo{StructureName: "Hôpital Test", StructureID: "1750000002", ApplicationName: "quickstart", ApplicationVersion: "1.0", ApplicationVendor: "mssante-go"},
		// The submission set's contentTypeCode: the official ANS archives
		// put the healthcare facility type there (JDV_J02), the same code as
		// the document's encompassingEncounter (spec/xdm.md §5.1 notes that
		// the value set expected is not confirmed).
		SubmissionSet: xdm.SubmissionSet{
			ContentTypeCode: xdm.Code{Code: "SA01", CodeSystem: "1.2.250.1.71.4.2.4", DisplayName: "Etablissement public de santé"},
		},
	})
	if err != nil {
		return fmt.Errorf("attaching the document: %w", err)
	}
	raw, err := m.Bytes()
	if err != nil {
		return err
	}
	// The whole message is linted, as `mss message lint` does: headers,
	// archive, CDA, PDF.
	lint, err := mssante.Lint(bytes.NewReader(raw), nil)
	if err != nil {
		return err
	}
	if lint.HasErrors() {
		return fmt.Errorf("the message does not lint clean: %v", lint.Errors())
	}
	s.report.step("Composed the message and linted all of it (headers, IHE_XDM.ZIP, CDA, PDF): %d error, %d warning",
		lint.Count(finding.Error), lint.Count(finding.Warning))
	// Durable once Enqueue returns; a delivery receipt (DSN) is asked for.
	queued, err := s.outbox.EnqueueMessage(ctx, m, &delivery.EnqueueOptions{DSN: mssante.DeliveryReceiptDSN("")})
	if err != nil {
		return fmt.Errorf("queueing: %w", err)
	}
	if err := s.outbox.RunUntilIdle(ctx); err != nil {
		return fmt.Errorf("sending: %w", err)
	}
	st, err := s.outbox.Status(ctx, queued.MessageID)
	if err != nil {
		return err
	}
	s.sentMessageID = m.MessageID
	s.report.step("Sent %q (%d bytes, X-MSS-CODECDA %s, X-MSS-INS %s) through the outbox to %s: %s",
		m.Subject, len(raw), strings.Join(m.CodeCDA, ","), m.INS, st.Recipients[0].Address, st.Recipients[0].Status)
	for _, a := range m.Attachments {
		if strings.EqualFold(a.Filename, mssante.XDMArchiveName) {
			if err := s.save("IHE_XDM.ZIP", a.Data); err != nil {
				return err
			}
		} else if strings.HasSuffix(strings.ToLower(a.Filename), ".pdf") {
			if err := s.save(a.Filename, a.Data); err != nil {
				return err
			}
		}
	}
	return s.save("message.eml", raw)
}

// doctorReceives fetches the doctor's INBOX, verifies and files the document
// and answers with an MDN.
func (s *scenario) doctorReceives(ctx context.Context) error {
	if _, err := s.op.WaitForMessage(ctx, s.doctor.Address, nil); err != nil {
		return err
	}
	filed := 0
	err := s.doctorConn.IMAP.Receive(ctx, func(ctx context.Context, r *mssante.Received) error {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		in, err := mssante.Read(bytes.NewReader(raw), nil)
		if err != nil {
			return err
		}
		if in.XDM == nil || in.XDM.Archive == nil {
			return nil // not a health-document message: leave it to the user
		}
		if in.XDM.Findings.HasErrors() {
			return fmt.Errorf("archive does not verify: %v", in.XDM.Findings.Errors())
		}
		patient, ok := in.PatientINS()
		if !ok {
			return errors.New("no patient INS in the archive")
		}
		for _, d := range in.XDM.Documents {
			name := filepath.Join("filed", string(patient.Matricule), filepath.Base(d.Path))
			if err := s.save(name, d.Content); err != nil {
				return err
			}
			s.report.step("Doctor received %q from %s: archive verified (%d warnings), filed %q (%s, hash %s) for INS %s (%s)",
				in.DisplaySubject, in.From.Address, in.XDM.Findings.Count(finding.Warning), d.Title, d.TypeCode, d.Integrity, patient.Matricule, patient.OID.Name())
			filed++
		}
		// Read receipt in the French profile: "processed", the document was integrated.
		var mdn bytes.Buffer
		if err := mssante.WriteMDN(&mdn, bytes.NewReader(raw), &mssante.MDNOptions{From: s.doctor.Mailbox(), NIL: productNIL}); err != nil {
			return err
		}
		env := &mssante.Envelope{From: s.doctor.Address, To: []string{in.MDNRequestedTo}}
		if _, err := s.doctorConn.SMTP.Send(ctx, env, bytes.NewReader(mdn.Bytes())); err != nil {
			return fmt.Errorf("sending the MDN: %w", err)
		}
		s.report.step("Doctor answered with an MDN (processed) to %s", in.MDNRequestedTo)
		return s.save("mdn.eml", mdn.Bytes())
	})
	if err != nil {
		return err
	}
	if filed == 0 {
		return errors.New("the doctor received no document")
	}
	return nil
}

// hospitalReadsMDN has the outbox read the hospital INBOX and prints the
// doctor's timeline from the delivery store.
func (s *scenario) hospitalReadsMDN(ctx context.Context) error {
	if _, err := s.op.WaitForMessage(ctx, s.hospital.Address, func(m *mssantetest.Message) bool {
		return m.ReportType() == "disposition-notification"
	}); err != nil {
		return err
	}
	// The outbox reads the hospital's mailbox and matches the DSN and the
	// MDN to the message and recipient they are about.
	if _, err := s.outbox.Fetch(ctx); err != nil {
		return err
	}
	st, err := s.outbox.Status(ctx, s.sentMessageID)
	if err != nil {
		return err
	}
	r := st.Recipients[0]
	if r.Status != delivery.StatusProcessed {
		return fmt.Errorf("the doctor's status is %s, want processed", r.Status)
	}
	var steps []string
	for _, e := range r.History {
		if e.Type == delivery.EventSubmitted || e.Type == delivery.EventDelivered || e.Type == delivery.EventProcessed {
			steps = append(steps, fmt.Sprintf("%s %s", e.Type, e.At.Local().Format("15:04:05.000")))
		}
	}
	s.report.step("Outbox timeline of %s: %s (final: %v)", r.Address, strings.Join(steps, " → "), r.Final)
	return nil
}

// writeToPatient writes to the patient's Mon Espace Santé mailbox and closes
// the exchange with X-MSS-MES: FIN.
func (s *scenario) writeToPatient(ctx context.Context) error {
	addr, err := s.patient.MSCAddress(ins.Test)
	if err != nil {
		return err
	}
	m := &mssante.Message{
		From:    s.hospital,
		To:      []*mail.Address{{Address: addr}},
		Subject: "Votre compte rendu de consultation",
		Text:    "Bonjour,\n\nVotre compte rendu est disponible. Ce message n'appelle pas de réponse.\n\nHôpital Test",
	}
	msc.SetClosingMessage(m) // X-MSS-MES: FIN: the patient cannot reply
	// The Mon Espace Santé rules, checked before sending: one patient, the
	// patient's own address, 25 Mo, Reply-To...
	o, err := msc.NewOutgoingMessage(m)
	if err != nil {
		return err
	}
	o.Patient = &s.patient
	if fs, err := new(msc.Policy).Validate(o); err != nil {
		return fmt.Errorf("refused by the Mon Espace Santé rules: %w (%v)", err, fs)
	}
	if _, err := mssante.Send(ctx, s.hospitalConn.SMTP, m, nil); err != nil {
		return fmt.Errorf("writing to the patient: %w", err)
	}
	s.report.step("Wrote to the patient at %s with X-MSS-MES: FIN (closing form: %s)", addr, msc.MessageClosing(m))

	err = s.op.PatientReply(ctx, addr, s.hospital.Address, "Merci docteur")
	if !errors.Is(err, mssantetest.ErrExchangeClosed) {
		return fmt.Errorf("the patient could reply after X-MSS-MES: FIN (err = %v)", err)
	}
	s.report.step("The patient tried to reply: refused, the exchange is closed")
	return nil
}

// bounceFromClosedMailbox writes to another patient, whose Mon Espace Santé
// mailbox is closed, and classifies the bounce that comes back: a DPI must
// recognise it to stop writing to that address and reach the patient
// another way.
func (s *scenario) bounceFromClosedMailbox(ctx context.Context) error {
	var closed string
	for _, p := range s.op.Patients() {
		if p.State == mssantetest.PatientClosed {
			closed = string(p.INS) + "@" + ins.PatientDomain
			break
		}
	}
	if closed == "" {
		return errors.New("the operator has no closed patient mailbox")
	}
	m := &mssante.Message{
		From:    s.hospital,
		To:      []*mail.Address{{Address: closed}},
		Subject: "Rappel de rendez-vous",
		Text:    "Bonjour,\n\nNous vous rappelons votre rendez-vous.\n\nHôpital Test",
	}
	if _, err := mssante.Send(ctx, s.hospitalConn.SMTP, m, nil); err != nil {
		return err
	}
	if _, err := s.op.WaitForMessage(ctx, s.hospital.Address, func(m *mssantetest.Message) bool {
		return m.ReportType() == "delivery-status"
	}); err != nil {
		return err
	}
	var bounce *msc.Bounce
	err := s.hospitalConn.IMAP.Receive(ctx, func(ctx context.Context, r *mssante.Received) error {
		b, err := msc.Classify(ctx, r.Body)
		if errors.Is(err, msc.ErrNotBounce) {
			return nil
		}
		if err != nil {
			return err
		}
		if b.OriginalMessageID == m.MessageID {
			bounce = b
		}
		return nil
	})
	if err != nil {
		return err
	}
	if bounce == nil {
		return errors.New("no bounce for the closed mailbox")
	}
	from := "its text"
	if bounce.Source == "dsn" {
		from = "its delivery status notification"
	}
	for _, rb := range bounce.Recipients {
		s.report.step("Wrote to a second test patient, %s, whose Mon Espace Santé mailbox the test operator simulates as closed: "+
			"the message bounced, and msc classified the bounce as %s (status %s, from %s): "+
			"this patient can no longer be reached by MSSanté, the hospital must use another way",
			rb.Recipient, rb.Kind, rb.Status, from)
	}
	return s.save("bounce.eml", bounce.Raw)
}

// save writes an artifact when an output directory was given.
func (s *scenario) save(name string, data []byte) error {
	if s.out == "" {
		return nil
	}
	p := filepath.Join(s.out, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	s.report.artifacts = append(s.report.artifacts, p)
	return os.WriteFile(p, data, 0o600) // health documents: owner only
}
