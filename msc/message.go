package msc

import (
	"context"
	"fmt"
	"io"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante"
)

// NewClosingMessage returns a dedicated message that ends the exchange with
// a patient (msc.md §3.1): subject exactly "[FIN]" (written as the five
// ASCII characters, never encoded) and "X-MSS-MES: FIN", so that either rule
// closes it. text may be empty (whether Mon Espace Santé shows the body of
// a [FIN] message is UNCONFIRMED). patient is the patient's address; its
// matricule is checked. Prefer SetClosing on the last message with content.
func NewClosingMessage(from *mssante.Sender, patient, text string) (*mssante.Message, error) {
	if _, err := ins.ParseMSCAddress(patient); err != nil {
		return nil, err
	}
	to, err := mail.ParseAddress(patient)
	if err != nil {
		a, _ := bareAddress(patient)
		to = &mail.Address{Address: a}
	}
	m := &mssante.Message{From: from, To: []*mail.Address{to}, Subject: SubjectFIN, Text: text}
	SetClosing(&m.Header)
	return m, nil
}

// SetClosingMessage adds "X-MSS-MES: FIN" to a message being composed (see
// SetClosing).
func SetClosingMessage(m *mssante.Message) { SetClosing(&m.Header) }

// MessageClosing returns the closing forms of a composed message: its
// Subject and its extra header X-MSS-MES.
func MessageClosing(m *mssante.Message) ClosingForm {
	if m == nil {
		return NotClosing
	}
	return Closing(HeaderMap{"Subject": m.Subject, mssante.HeaderMES: m.Header.Get(mssante.HeaderMES)})
}

// NewOutgoingMessage describes a composed message for Policy.Check: its
// recipients (Bcc included), Reply-To, Subject, X-MSS-MES and encoded size,
// measured by writing it (which also fixes its Message-ID, as sending
// would). The caller adds Patient, Minor, Document and Opposition.
func NewOutgoingMessage(m *mssante.Message) (*Outgoing, error) {
	if m == nil {
		return nil, fmt.Errorf("msc: measuring the message: %w", mssante.ErrNoSender)
	}
	o := &Outgoing{
		To: addrs(m.To), Cc: addrs(m.Cc), Bcc: addrs(m.Bcc), ReplyTo: addrs(m.ReplyTo),
		Subject: m.Subject, MES: m.Header.Get(mssante.HeaderMES),
	}
	n, err := m.WriteTo(io.Discard)
	if err != nil {
		return nil, fmt.Errorf("msc: measuring the message: %w", err)
	}
	o.Size = n
	return o, nil
}

// SentMessage records a composed message as sent by its sender's mailbox
// (see Tracker.Sent); Bcc recipients count.
func (t *Tracker) SentMessage(ctx context.Context, m *mssante.Message) error {
	if m == nil || m.From == nil {
		return mssante.ErrNoSender
	}
	return t.sent(ctx, m.From.Address, m.Recipients(), MessageClosing(m))
}

func addrs(l []*mail.Address) []string {
	var out []string
	for _, a := range l {
		if a != nil {
			out = append(out, a.Address)
		}
	}
	return out
}
