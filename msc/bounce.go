package msc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/mssante"
)

// Errors of Classify.
var (
	// ErrNotBounce: the message is not a returned message (no failure
	// report, no known bounce text, nothing that looks like a bounce), or
	// it is a report announcing no failure or delay (a delivery or read
	// receipt), or an automatic reply (RFC 3834: "out of office").
	ErrNotBounce = errors.New("msc: not a bounce")
	// ErrMalformedMessage: the message cannot be read as MIME at all (also
	// the error of ReadHeader and IsClosingMessage on a broken header).
	ErrMalformedMessage = errors.New("msc: malformed message")
)

// DefaultMaxBounceBytes is the default limit on the size of a returned
// message: a bounce may carry the whole 25 Mo original.
const DefaultMaxBounceBytes = 64 << 20

// Bounce is a classified returned message: one RecipientBounce per recipient
// that failed or is delayed. There is no message-wide kind: two recipients
// of one message may fail for different reasons, and each result comes from
// that recipient's own evidence.
type Bounce struct {
	// Recipients lists every failed or delayed recipient, in the order of
	// the report (or of the text).
	Recipients []RecipientBounce `json:"recipients"`
	// OriginalMessageID is the Message-ID of the returned message,
	// normalised (mssante.NormalizeMessageID); OriginalIDSource says
	// where it was found. Each RecipientBounce repeats it.
	OriginalMessageID string                   `json:"original_message_id"`
	OriginalIDSource  mssante.OriginalIDSource `json:"original_id_source,omitempty"`
	// Source is "dsn" when the recipients come from an RFC 3464 report
	// (a delivery-status part, or its fields found in the text), "text"
	// when they come from the text of a plain bounce.
	Source  string `json:"source"`
	Subject string `json:"subject,omitempty"`
	// Warnings are what the readers had to tolerate (a byte order mark
	// before the header, a status part read from the text...).
	Warnings finding.List `json:"warnings,omitempty"`
	// Text is the human-readable text of the bounce (returned messages
	// excluded), HTML reduced to text.
	Text string `json:"-"`
	// Raw is the returned message as read.
	Raw []byte `json:"-"`
}

// RecipientBounce is the outcome for one recipient.
type RecipientBounce struct {
	// Recipient is the bare address (mssante.NormalizeAddress; a valid
	// patient address in its canonical form), "" when a plain bounce names
	// no recipient.
	Recipient string `json:"recipient"`
	Kind      Kind   `json:"kind"`
	// Action is "failed" or "delayed": the report's Action (failed
	// whatever the status class), else what the status or the text says.
	Action string `json:"action"`
	// Status is the most specific RFC 3463 code known for the recipient
	// (mssante.DSNRecipient.DetailedStatus: "5.0.0" made "5.6.0" by its
	// Diagnostic-Code); ReportedStatus is the Status field as written when
	// it differs.
	Status         string `json:"status"`
	ReportedStatus string `json:"reported_status,omitempty"`
	DiagnosticCode string `json:"diagnostic_code,omitempty"`
	// Evidence says what decided the kind: "action" (delayed), "mes-text"
	// (a Mon Espace Santé text), "diagnostic" (a text of the table in the
	// recipient's Diagnostic-Code or Status comment), "recipient-text" (in
	// a paragraph of the human-readable text naming this recipient alone),
	// "message-text" (in the whole text: one recipient only), "status" (a
	// status rule), "matricule" (an invalid patient address), "none".
	Evidence string `json:"evidence"`
	// Matched is the BounceText that decided the kind, if one did.
	Matched string `json:"matched,omitempty"`
	// OriginalMessageID repeats Bounce.OriginalMessageID.
	OriginalMessageID string `json:"original_message_id"`
}

// Permanent reports whether the message failed for good for this
// recipient (Kind.Permanent).
func (r RecipientBounce) Permanent() bool { return r.Kind.Permanent() }

// Patient returns the matricule of the recipient when it is a valid patient
// address.
func (r RecipientBounce) Patient() (ins.Matricule, bool) {
	m, err := ins.ParseMSCAddress(r.Recipient)
	return m, err == nil
}

// Recipient returns the result for an address (compared case-insensitively).
func (b *Bounce) Recipient(addr string) (RecipientBounce, bool) {
	addr = mssante.NormalizeAddress(addr)
	for _, r := range b.Recipients {
		if strings.EqualFold(r.Recipient, addr) {
			return r, true
		}
	}
	return RecipientBounce{}, false
}

// Failed returns the recipients whose delivery failed for good (all but
// the delayed ones).
func (b *Bounce) Failed() []RecipientBounce {
	var out []RecipientBounce
	for _, r := range b.Recipients {
		if r.Permanent() {
			out = append(out, r)
		}
	}
	return out
}

// Classifier classifies returned messages. The zero value uses the default
// tables; it is safe for concurrent use once configured.
type Classifier struct {
	// Texts is the table of texts looked for, first match wins; nil means
	// BounceTexts(). To extend it, append to BounceTexts().
	Texts []BounceText
	// StatusRules map status codes to kinds when no text decided; nil means
	// DefaultStatusRules().
	StatusRules []StatusRule
	// MaxBytes is the largest message read; 0 means DefaultMaxBounceBytes.
	MaxBytes int64
}

// Classify reads a returned message from r and tells, for each recipient,
// why it came back.
//
// Each recipient is classified from the most specific evidence first. With
// an RFC 3464 report: its block's Action ("delayed" is KindTemporary, the
// only temporary outcome; "failed" is a failure whatever the status class),
// then, for a patient address, the Mon Espace Santé texts wherever they
// quote that address (they keep priority over any status), then the texts
// of the table in the block's Diagnostic-Code and Status comment, then in
// the paragraphs of the human-readable text that name this recipient and no
// other, then in the whole text when there is a single recipient; then the
// status rules on the block's most specific status; a patient address whose
// matricule is invalid is KindInvalidAddress; else KindOther. A plain bounce
// (no report) is read the same way, its recipients taken from the text
// (Postfix "<address>:" paragraphs, Exim's indented list, a Mon Espace
// Santé text...), its status from the SMTP reply of each recipient's
// paragraph.
//
// A message that is no bounce, a report without failure or delay (a
// delivery or read receipt) or an automatic reply gives an error wrapping
// ErrNotBounce. A message larger than MaxBytes, nested more than 16 levels
// deep or with more than 256 MIME parts gives a *limit.Error (limit.Size,
// limit.Depth, limit.Parts), and an unreadable header block an error
// wrapping ErrMalformedMessage. A byte order mark or blank lines before the
// header are tolerated, with a warning in Bounce.Warnings.
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
	b := &Bounce{Raw: raw, Subject: bm.subject, Text: bm.text, Warnings: bm.warnings,
		OriginalMessageID: bm.originalMessageID, OriginalIDSource: bm.originalIDSource}
	m := c.matchers()
	norm := normMemo{}
	var rcpts []evidence
	switch bm.report.kind {
	case "mdn":
		return nil, fmt.Errorf("%w: a disposition notification (read receipt)", ErrNotBounce)
	case "dsn":
		if len(bm.report.recipients) == 0 {
			// A report without a per-recipient block (some Postfix
			// relays): the notice names the recipients.
			if rcpts = textEvidence(m, bm, norm); len(rcpts) == 0 {
				return nil, fmt.Errorf("%w: delivery status notification without a recipient", ErrNotBounce)
			}
			b.Source = "text"
			break
		}
		b.Source = "dsn"
		for _, rr := range bm.report.recipients {
			if rr.outcome == mssante.ActionFailed || rr.outcome == mssante.ActionDelayed {
				rcpts = append(rcpts, rr)
			}
		}
		if len(rcpts) == 0 {
			return nil, fmt.Errorf("%w: delivery status notification without a failed or delayed recipient", ErrNotBounce)
		}
	default:
		if bm.autoReply {
			return nil, fmt.Errorf("%w: an automatic reply (RFC 3834)", ErrNotBounce)
		}
		b.Source = "text"
		rcpts = textEvidence(m, bm, norm)
		if len(rcpts) == 0 {
			return nil, ErrNotBounce
		}
	}
	paras := paragraphs(b.Text)
	all := make([]string, len(rcpts))
	for i, rr := range rcpts {
		all[i] = rr.recipient
	}
	for _, rr := range rcpts {
		var tied, wide string
		if len(rcpts) == 1 {
			wide = b.Text
		}
		if rr.recipient != "" {
			tied = tiedText(paras, rr.recipient, all)
		}
		rb := c.classify(m, norm, rr, tied, wide, b.Text, len(rcpts) == 1)
		rb.OriginalMessageID = b.OriginalMessageID
		b.Recipients = append(b.Recipients, rb)
	}
	return b, nil
}

// evidence is what a report or a text says of one recipient.
type evidence struct {
	recipient      string
	outcome        mssante.DSNAction // failed or delayed
	status         string            // most specific code
	reportedStatus string
	diagnostic     string
	ownText        string // Diagnostic-Code and Status comment
}

// classify decides the kind of one recipient from its evidence, the
// paragraphs tied to it, the whole text when it is the only recipient
// (wide), and the whole text for the Mon Espace Santé texts (which quote
// the address they are about).
func (c *Classifier) classify(m []textMatcher, norm normMemo, ev evidence, tied, wide, all string, single bool) RecipientBounce {
	rb := RecipientBounce{
		Recipient: canonicalRecipient(ev.recipient), Action: string(ev.outcome), Status: ev.status,
		DiagnosticCode: ev.diagnostic,
	}
	if ev.reportedStatus != ev.status {
		rb.ReportedStatus = ev.reportedStatus
	}
	if ev.outcome == mssante.ActionDelayed {
		rb.Kind, rb.Evidence = KindTemporary, "action"
		return rb
	}
	patient := ins.IsPatientAddress(ev.recipient)
	rcpt := strings.ToLower(ev.recipient)
	if patient || ev.recipient == "" { // a plain bounce naming no one may be Mon Espace Santé's
		// The Mon Espace Santé texts decide for a patient address whatever
		// the status: wherever they quote it, or anywhere when they quote
		// no address the reader could take and the recipient is alone.
		for _, text := range []string{ev.ownText, tied, all} {
			body := norm.get(text)
			for i := range m {
				if !m[i].kind.Patient() {
					continue
				}
				addr, ok := m[i].match(body)
				if ok && (strings.EqualFold(addr, rcpt) || addr == "" && single) {
					rb.Kind, rb.Matched, rb.Evidence = m[i].kind, m[i].source, "mes-text"
					return rb
				}
			}
		}
	}
	for _, src := range []struct{ text, name string }{{ev.ownText, "diagnostic"}, {tied, "recipient-text"}, {wide, "message-text"}} {
		if src.text == "" {
			continue
		}
		body := norm.get(src.text)
		for i := range m {
			if m[i].kind.Patient() {
				continue
			}
			if addr, ok := m[i].match(body); ok && (addr == "" || strings.EqualFold(addr, rcpt)) {
				rb.Kind, rb.Matched, rb.Evidence = m[i].kind, m[i].source, src.name
				if patient {
					rb.Kind = rb.Kind.forPatient()
				}
				return rb
			}
		}
	}
	rb.Kind, rb.Evidence = c.statusKind(ev.recipient, ev.status)
	return rb
}

// canonicalRecipient writes a valid patient address in its canonical form
// (upper-case 2A/2B, lower-case domain); other addresses are kept as found.
func canonicalRecipient(addr string) string {
	if m, err := ins.ParseMSCAddress(addr); err == nil {
		return m.MSCAddress()
	}
	return addr
}

// statusKind applies the status rules, then the matricule check.
func (c *Classifier) statusKind(rcpt, status string) (Kind, string) {
	patient := ins.IsPatientAddress(rcpt)
	rules := c.StatusRules
	if rules == nil {
		rules = DefaultStatusRules()
	}
	for i := range rules {
		if rules[i].matches(status, patient) {
			return rules[i].Kind, "status"
		}
	}
	if patient && !strings.EqualFold(rcpt, ins.TestAutoReplyAddress) && !isPatient(rcpt) {
		return KindInvalidAddress, "matricule"
	}
	return KindOther, "none"
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
