package mssante

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/internal/check"
)

// DefaultCodeCDASeparator separates the values of a multi-valued
// X-MSS-CODECDA header. The separator is UNCONFIRMED (mssante.md §6).
const DefaultCodeCDASeparator = ","

// Message is an MSSanté message to compose. Build it, attach health
// documents with AttachDocuments, then write it with WriteTo or hand it to a
// Transport with Send.
//
// The zero value is not usable: From (with its NIL) and at least one
// recipient are required.
type Message struct {
	From *Sender         `validate:"-"` // checked first, by Sender.Validate
	To   []*mail.Address `validate:"dive,required,mailaddr"`
	Cc   []*mail.Address `validate:"dive,required,mailaddr"`
	Bcc  []*mail.Address `validate:"dive,required,mailaddr"` // envelope only, never written in the header
	// ReplyTo routes replies elsewhere (ECO.2.2.5; for a patient recipient
	// the Reply-To address becomes the patient's contact, msc.md §4).
	ReplyTo []*mail.Address `validate:"dive,required,mailaddr"`

	Subject string `validate:"nocrlf"`
	// Text is the UTF-8 text/plain body (ECO.2.2.3). With HTML as well the
	// body is multipart/alternative (ECO.2.2.4).
	Text string
	HTML string

	Attachments []*Attachment `validate:"dive,required"`

	// MessageID (without angle brackets) is generated in the sender's
	// domain when empty, by WriteTo or Envelope, and kept here so that
	// receipts can be matched to the message (ECO.2.2.1).
	MessageID string `validate:"omitempty,nocrlf,msgid"`
	// InReplyTo and References thread a reply (ECO.2.2.2); Reply fills them.
	InReplyTo  []string `validate:"dive,nocrlf,msgid"`
	References []string `validate:"dive,nocrlf,msgid"`
	// Date defaults to the time of writing.
	Date time.Time

	// RequestReadReceipt sets Disposition-Notification-To to the sender's
	// address (ECO.2.3.2).
	RequestReadReceipt bool
	// RequestDeliveryReceipt sets Return-Receipt-To to the sender's address
	// and, unless DSN is set, asks the transport for RFC 3461 DSNs
	// (DeliveryReceiptDSN, ECO.2.3.1).
	RequestDeliveryReceipt bool
	// DSN is the RFC 3461 request passed to the transport by Envelope.
	DSN *DSNRequest

	// CodeCDA and INS are the X-MSS-CODECDA and X-MSS-INS values. They are
	// set by AttachDocuments from the CDA documents and must stay empty on a
	// message without CDA in an XDM archive (ECO.2.4.1, ECO.2.4.2).
	CodeCDA []string `validate:"dive,nocrlf"`
	INS     string   `validate:"omitempty,oneof=O N"`
	// CodeCDASeparator joins CodeCDA; DefaultCodeCDASeparator when empty.
	CodeCDASeparator string `validate:"nocrlf"`

	// Header holds extra header fields written as they are (RFC 2047
	// encoded when not ASCII), e.g. X-MSS-MES: FIN set by package msc.
	// Fields that the Message owns (From, To, Subject, Content-*, X-MSS-NIL,
	// X-MSS-CODECDA, X-MSS-INS...) are refused there.
	Header mail.Header
}

// Attachment is a file attached to a message.
type Attachment struct {
	// Filename may hold any Unicode character; it is written with RFC 2231
	// encoding when not ASCII.
	Filename string `validate:"nocrlf"`
	// ContentType defaults to a type derived from the file extension
	// (application/pdf, application/zip...), else application/octet-stream.
	ContentType string `validate:"omitempty,mediatype"`
	Data        []byte
	// Open, used when Data is nil, returns the content when the message is
	// written; the content is streamed, never held in memory (except a
	// message/rfc822 attachment, read whole to choose 7bit or 8bit). It is
	// called once per WriteTo; a returned io.Closer is closed.
	Open func() (io.Reader, error)
}

// Bytes returns the content of the attachment (Data, else what Open reads).
func (a *Attachment) Bytes() ([]byte, error) {
	if a.Data != nil || a.Open == nil {
		return a.Data, nil
	}
	r, err := a.Open()
	if err != nil {
		return nil, err
	}
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	return io.ReadAll(r)
}

// ownedHeaders are the fields Message writes itself.
var ownedHeaders = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "bcc": true, "reply-to": true,
	"subject": true, "date": true, "message-id": true, "in-reply-to": true, "references": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"content-disposition": true, "content-id": true, "content-description": true,
	"x-mss-nil": true, "x-mss-codecda": true, "x-mss-ins": true,
	"disposition-notification-to": true, "return-receipt-to": true,
}

// Recipients returns every recipient (To, Cc, Bcc) once, in order.
func (m *Message) Recipients() []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range [][]*mail.Address{m.To, m.Cc, m.Bcc} {
		for _, a := range l {
			if a == nil {
				continue
			}
			k := strings.ToLower(a.Address)
			if !seen[k] {
				seen[k] = true
				out = append(out, a.Address)
			}
		}
	}
	return out
}

// Validate checks what the writer needs: a valid sender with its NIL,
// recipients with valid addresses, header values without line breaks, and
// extra header fields that do not clash with the ones Message owns.
func (m *Message) Validate() error {
	if m == nil {
		return fmt.Errorf("%w: nil message", ErrNoSender)
	}
	if err := m.From.Validate(); err != nil {
		return err
	}
	if len(m.Recipients()) == 0 {
		return ErrNoRecipient
	}
	if err := fieldErrors(check.Struct(m), m); err != nil {
		return err
	}
	fields := m.Header.Fields()
	for fields.Next() {
		k := fields.Key()
		if err := checkHeaderName(k); err != nil {
			return err
		}
		if ownedHeaders[strings.ToLower(k)] {
			return fmt.Errorf("%w: %s is set by the Message fields, not Message.Header", ErrHeader, k)
		}
		if err := checkHeaderValue(k, fields.Value()); err != nil {
			return err
		}
	}
	return nil
}

// ensureMessageID generates the Message-ID when it is empty.
func (m *Message) ensureMessageID() {
	if m.MessageID == "" && m.From != nil {
		m.MessageID = newMessageID(domainOf(m.From.Address))
	}
	m.MessageID = stripAngles(m.MessageID)
}

// BuildHeader validates the message and returns its top-level header
// without the MIME structure fields (Content-Type...), as it will be written.
// It generates the Message-ID when empty.
func (m *Message) BuildHeader() (mail.Header, error) {
	f, err := m.headerFields()
	if err != nil {
		return mail.Header{}, err
	}
	return mail.Header{Header: newHeader(f...)}, nil
}

// headerFields returns the top-level fields in the order they are written.
func (m *Message) headerFields() ([][2]string, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	m.ensureMessageID()
	f := make([][2]string, 0, 16)
	add := func(k, v string) { f = append(f, [2]string{k, v}) }
	add("From", formatAddresses([]*mail.Address{m.From.Mailbox()}))
	if len(m.To) > 0 {
		add("To", formatAddresses(m.To))
	}
	if len(m.Cc) > 0 {
		add("Cc", formatAddresses(m.Cc))
	}
	if len(m.ReplyTo) > 0 {
		add("Reply-To", formatAddresses(m.ReplyTo))
	}
	add("Subject", mimeQ(m.Subject))
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	add("Date", date.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	add("Message-ID", "<"+m.MessageID+">")
	if len(m.InReplyTo) > 0 {
		add("In-Reply-To", formatIDs(m.InReplyTo))
	}
	if len(m.References) > 0 {
		add("References", formatIDs(m.References))
	}
	if m.RequestReadReceipt {
		add(HeaderDispositionNotificationTo, "<"+m.From.Address+">")
	}
	if m.RequestDeliveryReceipt {
		add(HeaderReturnReceiptTo, "<"+m.From.Address+">")
	}
	add(HeaderNIL, m.From.NIL)
	if len(m.CodeCDA) > 0 {
		sep := m.CodeCDASeparator
		if sep == "" {
			sep = DefaultCodeCDASeparator
		}
		add(HeaderCodeCDA, strings.Join(m.CodeCDA, sep))
	}
	if m.INS != "" {
		add(HeaderINS, m.INS)
	}
	fields := m.Header.Fields()
	for fields.Next() {
		add(headerSpelling(fields.Key()), mimeQ(fields.Value()))
	}
	return f, nil
}

func formatAddresses(l []*mail.Address) string {
	s := make([]string, len(l))
	for i, a := range l {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func formatIDs(ids []string) string {
	ids = trimIDs(ids)
	for i, id := range ids {
		ids[i] = "<" + id + ">"
	}
	return strings.Join(ids, " ")
}

// Envelope returns the SMTP envelope of the message: the sender's address,
// every recipient (To, Cc, Bcc) and the DSN request. It generates the
// Message-ID when empty (used as ENVID of a delivery receipt request).
func (m *Message) Envelope() *Envelope {
	m.ensureMessageID()
	env := &Envelope{To: m.Recipients(), DSN: m.DSN}
	if m.From != nil {
		env.From = m.From.Address
	}
	if env.DSN == nil && m.RequestDeliveryReceipt {
		env.DSN = DeliveryReceiptDSN(m.MessageID)
	}
	return env
}

// Reply returns a message answering the message whose header is parent: To
// is the parent's Reply-To, else its From; the subject gets "RE: " unless
// it already has it; In-Reply-To and References thread it (ECO.2.2.2).
func Reply(parent mail.Header, from *Sender) *Message {
	m := &Message{From: from}
	if l, err := parent.AddressList("Reply-To"); err == nil && len(l) > 0 {
		m.To = l
	} else if l, err := parent.AddressList("From"); err == nil {
		m.To = l
	}
	subj, _ := parent.Subject()
	// A decoded subject may hold line breaks (=?utf-8?q?a=0D=0A...?=): they
	// become spaces, so that the reply can be written.
	subj = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, subj)
	if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(subj)), "RE:") {
		subj = "RE: " + subj
	}
	m.Subject = strings.TrimSpace(subj)
	// Only well-formed ids thread the reply: a malformed one would make it
	// impossible to write.
	if id, ok := threadID(headerMessageID(parent.Header)); ok {
		m.InReplyTo = []string{id}
		refs, err := parent.MsgIDList("References")
		if err != nil || len(refs) == 0 {
			refs, _ = parent.MsgIDList("In-Reply-To")
		}
		for _, r := range refs {
			if r, ok := threadID(r); ok {
				m.References = append(m.References, r)
			}
		}
		m.References = append(m.References, id)
	}
	return m
}

// threadID returns a message id of a received header without its angle
// brackets, and whether it is a well-formed msg-id the writer accepts.
func threadID(id string) (string, bool) {
	id = stripAngles(id)
	return id, check.MsgID(id) && !strings.ContainsAny(id, "<>")
}

func trimIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = stripAngles(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}
