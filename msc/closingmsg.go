package msc

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
)

// ClosingMessage is a dedicated message that ends the exchange with a
// patient: its subject is exactly "[FIN]" (msc.md §3.1). It also carries
// "X-MSS-MES: FIN", so that either rule closes the exchange. Prefer SetClosing
// on the last message with content; use a ClosingMessage when there is
// nothing more to say.
type ClosingMessage struct {
	// From is the sender: an address, or a mailbox with its label
	// ("Dr_Marie_MARTIN_Cabinet <marie.martin@medecin.mssante.fr>", ECO.2.2.7).
	From string
	// To is the patient's address (exactly one patient, msc.md §6).
	To string
	// NIL is the X-MSS-NIL product reference every MSSanté message carries
	// (ECO.2.4.3). Empty leaves the header out.
	NIL string
	// Body is the text shown to the patient, if any (whether Mon Espace Santé
	// shows it is UNCONFIRMED, msc.md §3.1). Empty sends an empty text part.
	Body string
	// Date and MessageID default to now and a generated identifier.
	Date      time.Time
	MessageID string
	// InReplyTo is optional: the closing applies to all previous messages,
	// threading is not needed (msc.md §3.1).
	InReplyTo string
}

// ErrNoRecipient: a closing message needs a patient recipient.
var ErrNoRecipient = errors.New("msc: closing message has no patient recipient")

// WriteTo writes the message (RFC 5322, text/plain UTF-8) to w. The Subject
// field is written as the five ASCII characters "[FIN]", never encoded or
// folded.
func (c *ClosingMessage) WriteTo(w io.Writer) (int64, error) {
	if strings.TrimSpace(c.To) == "" {
		return 0, ErrNoRecipient
	}
	if _, err := ParseAddress(c.To); err != nil {
		return 0, err
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return 0, fmt.Errorf("msc: closing message From %q: %w", c.From, err)
	}
	to, err := mail.ParseAddress(c.To)
	if err != nil {
		return 0, fmt.Errorf("msc: closing message To %q: %w", c.To, err)
	}
	var h mail.Header
	h.SetAddressList("From", []*mail.Address{from})
	h.SetAddressList("To", []*mail.Address{to})
	h.Set("Subject", SubjectFIN)
	SetClosing(&h)
	date := c.Date
	if date.IsZero() {
		date = time.Now()
	}
	h.SetDate(date)
	if c.MessageID != "" {
		h.SetMessageID(strings.Trim(c.MessageID, "<>"))
	} else if err := h.GenerateMessageID(); err != nil {
		return 0, fmt.Errorf("msc: closing message: %w", err)
	}
	if c.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{strings.Trim(c.InReplyTo, "<>")})
	}
	if c.NIL != "" {
		h.Set("X-MSS-NIL", c.NIL)
	}
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	cw := &countWriter{w: w}
	bw, err := mail.CreateSingleInlineWriter(cw, h)
	if err != nil {
		return cw.n, fmt.Errorf("msc: closing message: %w", err)
	}
	if _, err := io.WriteString(bw, c.Body); err != nil {
		return cw.n, err
	}
	err = bw.Close()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
