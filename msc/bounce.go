package msc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/limit"
)

// Errors of Classify.
var (
	// ErrNotBounce: the message is not a returned message (no failure
	// report, no known bounce text, nothing that looks like a bounce), or
	// it is a report announcing no failure (a delivery or read receipt).
	ErrNotBounce = errors.New("msc: not a bounce")
	// ErrMalformedMessage: the message cannot be read as MIME at all (also
	// the error of ReadHeader and IsClosingMessage on a broken header).
	ErrMalformedMessage = errors.New("msc: malformed message")
)

// DefaultMaxBounceBytes is the default limit on the size of a returned
// message: a bounce may carry the whole 25 Mo original.
const DefaultMaxBounceBytes = 64 << 20

// Bounce is a classified returned message.
type Bounce struct {
	// Kind, Recipient, Status and DiagnosticCode describe the first failed
	// recipient (the first delayed one when none failed).
	Kind           Kind   `json:"kind"`
	Recipient      string `json:"recipient"`
	Status         string `json:"status"`
	DiagnosticCode string `json:"diagnostic_code,omitempty"`
	// OriginalMessageID is the Message-ID of the returned message, without
	// angle brackets, when the bounce carries it.
	OriginalMessageID string `json:"original_message_id"`
	// Source is "dsn" when the recipients come from an RFC 3464 report,
	// "text" when they come from the text of a plain bounce.
	Source string `json:"source"`
	// Matched is the BounceText that decided the kind, if one did.
	Matched string `json:"matched,omitempty"`
	// Recipients lists every failed or delayed recipient.
	Recipients []RecipientBounce `json:"recipients,omitempty"`
	Subject    string            `json:"subject,omitempty"`
	// Text is the human-readable text of the bounce (returned messages
	// excluded), HTML reduced to text.
	Text string `json:"-"`
	// Raw is the returned message as read.
	Raw []byte `json:"-"`
}

// RecipientBounce is the outcome for one recipient.
type RecipientBounce struct {
	Kind           Kind   `json:"kind"`
	Recipient      string `json:"recipient"`
	Action         string `json:"action,omitempty"` // DSN Action: failed or delayed
	Status         string `json:"status,omitempty"`
	DiagnosticCode string `json:"diagnostic_code,omitempty"`
	Matched        string `json:"matched,omitempty"`
}

// Patient returns the matricule of the failed recipient when it is a valid
// patient address.
func (b *Bounce) Patient() (ins.Matricule, bool) {
	m, err := ins.ParseMSCAddress(b.Recipient)
	return m, err == nil
}

// Classifier classifies returned messages. The zero value uses the default
// tables; it is safe for concurrent use once configured.
type Classifier struct {
	// Texts is the table of texts looked for, first match wins; nil means
	// BounceTexts(). To extend it, append to BounceTexts().
	Texts []BounceText
	// StatusRules map status codes to kinds when no text matched; nil means
	// DefaultStatusRules().
	StatusRules []StatusRule
	// MaxBytes is the largest message read; 0 means DefaultMaxBounceBytes.
	MaxBytes int64
}

// Classify reads a returned message from r and tells why it came back.
//
// The RFC 3464 report is read first: each recipient with Action failed or
// delayed gives a RecipientBounce with its status, diagnostic and kind. A
// 4.x.x status or a delayed action is KindTemporary. Otherwise the texts of
// the table are looked for, in the recipient's Diagnostic-Code and then in
// the human-readable text (a text quoting an address applies only to that
// recipient; a Mon Espace Santé text only to a patient address); failing
// that, the status rules decide, and a patient address whose matricule is
// invalid is KindInvalidAddress. Without a report, the text alone is used:
// the recipient is the address the text quotes (or the first "<address>:"
// line of a Postfix bounce) and the status the X.Y.Z code that follows an
// SMTP reply code ("552 5.3.4"), else the first X.Y.Z code of the text.
//
// A message that is no bounce, or a report without failure (a delivery or
// read receipt), gives an error wrapping ErrNotBounce. A message larger than
// MaxBytes, nested more than 16 levels deep or with more than 256 MIME parts
// gives a *limit.Error (limit.Size, limit.Depth, limit.Parts), and an
// unreadable header block an error wrapping ErrMalformedMessage.
func (c *Classifier) Classify(ctx context.Context, r io.Reader) (*Bounce, error) {
	max := c.MaxBytes
	if max <= 0 {
		max = DefaultMaxBounceBytes
	}
	raw, err := io.ReadAll(io.LimitReader(&ctxReader{ctx: ctx, r: r}, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > max {
		return nil, &limit.Error{What: "returned message", Limit: limit.Size, Max: max}
	}
	return c.ClassifyBytes(raw)
}

// ClassifyBytes is Classify on a message in memory. The Bounce keeps raw.
// MaxBytes, a limit on reading, does not apply; the MIME limits do.
func (c *Classifier) ClassifyBytes(raw []byte) (*Bounce, error) {
	bm, err := readBounce(raw)
	if err != nil {
		return nil, err
	}
	b := &Bounce{Raw: raw, Subject: bm.subject, Text: bm.text, OriginalMessageID: bm.originalMessageID}
	if b.OriginalMessageID == "" {
		b.OriginalMessageID = quotedMessageID(b.Text)
	}
	m := c.matchers()
	body := normalizeText(b.Text)
	switch bm.report.kind {
	case "mdn":
		return nil, fmt.Errorf("%w: a disposition notification (read receipt)", ErrNotBounce)
	case "dsn":
		b.Source = "dsn"
		for _, rr := range bm.report.recipients {
			if rr.action != "failed" && rr.action != "delayed" && !(rr.action == "" && (strings.HasPrefix(rr.status, "4") || strings.HasPrefix(rr.status, "5"))) {
				continue
			}
			b.Recipients = append(b.Recipients, c.classifyRecipient(m, rr, body))
		}
		if len(b.Recipients) == 0 {
			return nil, fmt.Errorf("%w: delivery status notification without a failed recipient", ErrNotBounce)
		}
	default:
		b.Source = "text"
		rb, ok := c.classifyText(m, b.Text, body)
		if !ok && !looksLikeBounce(bm) {
			return nil, ErrNotBounce
		}
		b.Recipients = []RecipientBounce{rb}
	}
	for i := range b.Recipients {
		b.Recipients[i].Recipient = canonicalRecipient(b.Recipients[i].Recipient)
	}
	first := b.Recipients[0]
	for _, rb := range b.Recipients {
		if rb.Kind != KindTemporary {
			first = rb
			break
		}
	}
	b.Kind, b.Recipient, b.Status, b.DiagnosticCode, b.Matched = first.Kind, first.Recipient, first.Status, first.DiagnosticCode, first.Matched
	return b, nil
}

// canonicalRecipient writes a valid patient address in its canonical form
// (upper-case 2A/2B, lower-case domain); other addresses are kept as found.
func canonicalRecipient(addr string) string {
	if m, err := ins.ParseMSCAddress(addr); err == nil {
		return m.MSCAddress()
	}
	return addr
}

// classifyRecipient classifies one DSN recipient.
func (c *Classifier) classifyRecipient(m []textMatcher, rr reportRecipient, body string) RecipientBounce {
	rb := RecipientBounce{Recipient: rr.recipient, Action: rr.action, Status: rr.status, DiagnosticCode: rr.diagnostic}
	if rr.action == "delayed" || strings.HasPrefix(rr.status, "4") {
		rb.Kind = KindTemporary
		return rb
	}
	patient := ins.IsPatientAddress(rr.recipient)
	diag := normalizeText(rr.diagnostic)
	rcpt := lowerAddress(rr.recipient)
	// Table order decides (the Mon Espace Santé texts come first); for each
	// text, the recipient's own diagnostic, then the shared human text.
	for i := range m {
		if m[i].kind.Patient() && !patient {
			continue
		}
		for _, text := range [2]string{diag, body} {
			addr, ok := m[i].match(text)
			if !ok || (addr != "" && !strings.EqualFold(addr, rcpt)) {
				continue
			}
			rb.Kind, rb.Matched = m[i].kind, m[i].source
			if rb.Kind == KindMailboxUnknown && patient {
				rb.Kind = KindUnknownAddress
			}
			return rb
		}
	}
	rb.Kind = c.statusKind(rr.recipient, rr.status)
	return rb
}

// statusKind applies the status rules, then the matricule check.
func (c *Classifier) statusKind(rcpt, status string) Kind {
	patient := ins.IsPatientAddress(rcpt)
	rules := c.StatusRules
	if rules == nil {
		rules = DefaultStatusRules()
	}
	for i := range rules {
		if rules[i].matches(status, patient) {
			return rules[i].Kind
		}
	}
	if patient && !strings.EqualFold(lowerAddress(rcpt), ins.TestAutoReplyAddress) && !isPatient(rcpt) && strings.HasPrefix(status, "5") {
		return KindInvalidAddress
	}
	if strings.HasPrefix(status, "4") {
		return KindTemporary
	}
	return KindOther
}

var (
	smtpStatus     = regexp.MustCompile(`\b[245]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})\b`)
	enhancedStatus = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	postfixRcpt    = regexp.MustCompile(`<([^<>\s@]+@[^<>\s@]+)>\s*:`)
	patientRcpt    = regexp.MustCompile(`(?i)[a-z0-9._+-]+@patient\.mssante\.fr\b`)
	quotedMsgID    = regexp.MustCompile(`(?im)^\s*Message-ID:\s*<([^<>\s]+)>`)
)

// classifyText classifies a bounce that has no report.
func (c *Classifier) classifyText(m []textMatcher, text, body string) (RecipientBounce, bool) {
	var rb RecipientBounce
	if sm := smtpStatus.FindStringSubmatch(text); sm != nil {
		rb.Status = sm[1] // "552 5.3.4": the code after an SMTP reply code
	} else {
		rb.Status = enhancedStatus.FindString(text)
	}
	if sm := postfixRcpt.FindStringSubmatch(text); sm != nil {
		rb.Recipient = sm[1]
	} else if sm := patientRcpt.FindStringSubmatch(text); sm != nil {
		rb.Recipient = sm[0]
	}
	for i := range m {
		addr, ok := m[i].match(body)
		if !ok {
			continue
		}
		if addr != "" {
			rb.Recipient = addr
		}
		if m[i].kind.Patient() && rb.Recipient != "" && !ins.IsPatientAddress(rb.Recipient) {
			continue
		}
		rb.Kind, rb.Matched = m[i].kind, m[i].source
		if rb.Kind == KindMailboxUnknown && ins.IsPatientAddress(rb.Recipient) {
			rb.Kind = KindUnknownAddress
		}
		return rb, true
	}
	rb.Kind = c.statusKind(rb.Recipient, rb.Status)
	return rb, rb.Status != "" && rb.Recipient != ""
}

func (c *Classifier) matchers() []textMatcher {
	if c.Texts == nil {
		return defaultMatchers()
	}
	return newMatchers(c.Texts)
}

// defaultMatchers prepares the default table once; the result is never
// modified.
var defaultMatchers = sync.OnceValue(func() []textMatcher { return newMatchers(defaultBounceTexts[:]) })

func newMatchers(texts []BounceText) []textMatcher {
	out := make([]textMatcher, 0, len(texts))
	for _, t := range texts {
		if tm, ok := newTextMatcher(t); ok {
			out = append(out, tm)
		}
	}
	return out
}

// bounceSubjects are (normalised) subjects of returned messages.
var bounceSubjects = []string{
	"undelivered mail", "undeliverable", "delivery status notification", "delivery failure",
	"mail delivery failed", "returned mail", "failure notice", "non distribue", "non remis",
	"echec de la remise", "message non delivre",
}

// looksLikeBounce reports whether a message without a recognised reason is
// still a bounce: sent by a mailer daemon, or with a bounce subject.
func looksLikeBounce(bm *bounceMail) bool {
	if strings.EqualFold(bm.contentType, "multipart/report") {
		return true
	}
	from := strings.ToLower(bm.from)
	if strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster") {
		return true
	}
	s := normalizeText(bm.subject)
	for _, p := range bounceSubjects {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func quotedMessageID(text string) string {
	if sm := quotedMsgID.FindStringSubmatch(text); sm != nil {
		return sm[1]
	}
	return ""
}

// ctxReader stops reading once the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Classify classifies a returned message with the default tables.
func Classify(ctx context.Context, r io.Reader) (*Bounce, error) {
	var c Classifier
	return c.Classify(ctx, r)
}
