package mssantetest

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/mestext"
	"github.com/mssante-go/sdk/mssante"
)

// exchangeKey is a patient and the professional address the patient may
// write to.
type exchangeKey struct{ patient, contact string }

// exchange is the state of a conversation as Mon Espace Santé shows it to
// the patient.
type exchange struct {
	open       bool   // false after [FIN] or X-MSS-MES: FIN
	subject    string // decoded subject of the last professional message
	messageID  string
	references string
}

// closing reports whether a message ends the exchange, with the rule of
// package msc (shared through internal/mestext).
func closing(hdr mail.Header) bool {
	byHeader, bySubject := mestext.Closing(hdr.Get(mssante.HeaderMES), hdr.Get("Subject"))
	return byHeader || bySubject
}

// recordExchangeLocked notes a professional message delivered to a patient:
// the patient may now write to the sender, or to its Reply-To address when
// it has one (msc.md §4), unless the message ends the exchange.
func (op *Operator) recordExchangeLocked(patient, from string, hdr mail.Header) {
	if from == "" || op.mailbox(from) == nil {
		return
	}
	contact := strings.ToLower(from)
	if rt, err := mail.ParseAddress(strings.Split(hdr.Get("Reply-To"), ",")[0]); err == nil {
		contact = strings.ToLower(rt.Address)
	}
	id := strings.TrimSpace(hdr.Get("Message-ID"))
	refs := strings.TrimSpace(strings.TrimSpace(hdr.Get("References")) + " " + id)
	op.exchanges[exchangeKey{strings.ToLower(patient), contact}] = &exchange{
		open:       !closing(hdr), // [FIN] or X-MSS-MES: FIN, strictly (msc.md §3)
		subject:    decodeHeader(hdr.Get("Subject")),
		messageID:  id,
		references: refs,
	}
}

// PatientReply has an active patient answer the last message the
// professional mailbox to wrote (or whose Reply-To named it), as the Mon
// Espace Santé app does: same subject with "RE: ", In-Reply-To and References
// set, a text/plain body. It fails with ErrNoExchange if that professional
// never wrote to the patient, and ErrExchangeClosed if its last message
// ended the exchange.
func (op *Operator) PatientReply(ctx context.Context, patient, to, body string) error {
	p, ex, err := op.patientContact(ctx, patient, to)
	if err != nil {
		return err
	}
	if ex == nil {
		return fmt.Errorf("%w: %s to %s", ErrNoExchange, patient, to)
	}
	subject := ex.subject
	if !strings.HasPrefix(strings.ToUpper(subject), "RE:") {
		subject = "RE: " + subject
	}
	return op.patientSend(p, to, subject, body, ex.messageID, ex.references)
}

// PatientWrite has an active patient start a new conversation with the
// mailbox to. Mon Espace Santé allows it only towards a professional who
// already wrote to the patient and did not end the exchange, and towards a
// pharmacy's organisational mailbox, the one case where the patient may
// write first (msc.md §2, §11). Errors are those of PatientReply.
func (op *Operator) PatientWrite(ctx context.Context, patient, to, subject, body string) error {
	p, ex, err := op.patientContact(ctx, patient, to)
	if err != nil {
		return err
	}
	if ex == nil {
		if !op.mailbox(to).Pharmacy {
			return fmt.Errorf("%w: %s to %s", ErrNoExchange, patient, to)
		}
		op.mu.Lock()
		op.exchanges[exchangeKey{strings.ToLower(p.Address()), strings.ToLower(to)}] = &exchange{open: true, subject: subject}
		op.mu.Unlock()
	}
	return op.patientSend(p, to, subject, body, "", "")
}

// patientContact checks that patient is active, that to is a professional
// mailbox and that the exchange, if any, is open; ex is nil when there is
// none.
func (op *Operator) patientContact(ctx context.Context, patient, to string) (*Patient, *exchange, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	p := op.patients[strings.ToLower(patient)]
	if p == nil || p.State != PatientActive {
		return nil, nil, fmt.Errorf("%w: %s", ErrUnknownPatient, patient)
	}
	if op.mailbox(to) == nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrUnknownMailbox, to)
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	ex := op.exchanges[exchangeKey{strings.ToLower(patient), strings.ToLower(to)}]
	if ex == nil {
		return p, nil, nil
	}
	if !ex.open {
		return nil, nil, fmt.Errorf("%w: %s to %s", ErrExchangeClosed, patient, to)
	}
	cp := *ex
	return p, &cp, nil
}

func (op *Operator) patientSend(p *Patient, to, subject, body, inReplyTo, refs string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", (&mail.Address{Name: p.Name, Address: p.Address()}).String())
	fmt.Fprintf(&b, "To: <%s>\r\n", to)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("UTF-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", op.newMessageID(ins.PatientDomain))
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\n", inReplyTo)
	}
	if refs != "" {
		fmt.Fprintf(&b, "References: %s\r\n", refs)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")))
	_ = qp.Close()
	b.WriteString("\r\n")
	return op.deliver(envelope{from: strings.ToLower(p.Address()), rcpts: []recipient{{addr: strings.ToLower(to)}}}, b.Bytes())
}
