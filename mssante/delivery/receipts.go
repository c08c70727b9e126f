package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/mssante-go/sdk/msc"
	"github.com/mssante-go/sdk/mssante"
)

// Kinds of incoming mail (Inbound.Kind).
const (
	KindDSN        = "dsn"        // an RFC 3464 delivery status notification
	KindMDN        = "mdn"        // an RFC 8098 disposition notification
	KindBounce     = "bounce"     // a returned message without a report (msc classified it)
	KindMessage    = "message"    // anything else: stored, not matched
	KindUnreadable = "unreadable" // no header could be read: stored only
)

// Inbound says what Receive did with a message.
type Inbound struct {
	// ID identifies the stored message: the id given to Receive, or the
	// SHA-256 of its content.
	ID string `json:"id"`
	// Duplicate: a message with this ID was received before; nothing was
	// done again.
	Duplicate bool   `json:"duplicate,omitempty"`
	Kind      string `json:"kind"`
	// MessageID is the sent message the receipt was matched to ("" when
	// none); MatchedBy says which id matched it: "original-envelope-id"
	// (the DSN ENVID the outbox sets), or an mssante.OriginalIDSource
	// ("original-message-id", "returned-message", "in-reply-to",
	// "references").
	MessageID string `json:"message_id,omitempty"`
	MatchedBy string `json:"matched_by,omitempty"`
	// Events are the events recorded for the sent message's recipients.
	Events []Event `json:"events,omitempty"`
}

// MaxIncomingSize bounds what Receive reads: a bounce may carry the whole
// 25 Mo original.
const MaxIncomingSize = msc.DefaultMaxBounceBytes

// Receive stores an incoming message (read from r) received by mailbox,
// then, in the same transaction, reads it as a DSN, an MDN or a bounce,
// matches it to the sent message and recipient it is about, and moves that
// recipient's status. Mail that is none of these is stored, and recorded in
// the Tracker when it comes from a patient.
//
// id identifies the message durably, so that a message handed twice (after
// a crash) is recognised: the mssante.Received.ID of a Receiver, or empty
// for the SHA-256 of the content. mailbox is the professional mailbox that
// received it (for the Tracker); empty means the first To address.
func (o *Outbox) Receive(ctx context.Context, mailbox string, r io.Reader, id string) (*Inbound, error) {
	if o.isClosed() {
		return nil, ErrClosed
	}
	raw, err := io.ReadAll(io.LimitReader(r, MaxIncomingSize+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxIncomingSize {
		return nil, fmt.Errorf("%w: incoming message larger than %d bytes", ErrInvalidMessage, MaxIncomingSize)
	}
	if id == "" {
		sum := sha256.Sum256(raw)
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	in := &Inbound{ID: id}
	a := o.analyse(raw)
	in.Kind = a.kind
	events, _, err := withTx(ctx, o, func(tx dbtx) ([]Event, struct{}, error) {
		var rowID int64
		err := tx.queryRow(ctx, `INSERT INTO mss_incoming (source, mailbox, received_at, kind, raw)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
			id, strings.ToLower(mailbox), micros(o.now()), a.kind, raw).Scan(&rowID)
		if isNoRows(err) {
			in.Duplicate = true
			return nil, struct{}{}, nil
		}
		if err != nil {
			return nil, struct{}{}, err
		}
		events, err := o.apply(ctx, tx, mailbox, a, in)
		if err != nil {
			return nil, struct{}{}, err
		}
		if in.MessageID != "" {
			if _, err := tx.exec(ctx, `UPDATE mss_incoming SET message = (SELECT id FROM mss_message WHERE message_id = $1)
				WHERE id = $2`, in.MessageID, rowID); err != nil {
				return nil, struct{}{}, err
			}
		}
		return events, struct{}{}, nil
	})
	if err != nil {
		return nil, err
	}
	in.Events = events
	o.emit(events)
	return in, nil
}

// analysis is what an incoming message says, before matching.
type analysis struct {
	kind   string
	header mail.Header
	report *mssante.Report
	bounce *msc.Bounce
	// ids are the candidates for the original message, in order, with the
	// field they come from.
	ids []candidate
}

type candidate struct{ id, field string }

// analyse parses an incoming message. It tolerates a UTF-8 byte order mark
// and blank lines before the header (seen in the field: Direct Project
// receipts), which the report parser would refuse.
func (o *Outbox) analyse(raw []byte) *analysis {
	a := &analysis{kind: KindMessage}
	clean := bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	clean = bytes.TrimLeft(clean, "\r\n")
	if m, err := mail.ReadMessage(bytes.NewReader(clean)); err == nil {
		a.header = m.Header
	}
	// The report parser repairs what the field sends (a header that runs
	// into the MIME boundary without a blank line, as the LPS-MSS guide's
	// own MDN example): it is asked even when net/mail gave up.
	rep, err := mssante.ParseReport(bytes.NewReader(clean), nil)
	if err == nil {
		a.report = rep
		if rep.Kind == mssante.ReportDSN {
			a.kind = KindDSN
			if rep.Failed() || hasDelayed(rep) {
				a.bounce, _ = o.opts.Classifier.ClassifyBytes(clean)
			}
			if v := decodeXtext(rep.OriginalEnvelopeID); v != "" {
				a.ids = append(a.ids, candidate{v, "original-envelope-id"})
			}
		} else {
			a.kind = KindMDN
		}
		// Original-Message-ID, else the returned message, else
		// In-Reply-To, else the last References id (mssante's one order).
		if rep.OriginalMessageID != "" {
			a.ids = append(a.ids, candidate{rep.OriginalMessageID, string(rep.OriginalIDSource)})
		}
	} else if b, err := o.opts.Classifier.ClassifyBytes(clean); err == nil {
		a.kind, a.bounce = KindBounce, b
	}
	// The classifier may find the original where the report did not (an
	// id quoted in the notice).
	if b := a.bounce; b != nil && b.OriginalMessageID != "" {
		src := string(b.OriginalIDSource)
		if src == "" {
			src = "bounce-text"
		}
		a.ids = append(a.ids, candidate{b.OriginalMessageID, src})
	}
	if a.kind == KindMessage && a.header == nil {
		a.kind = KindUnreadable
	}
	if a.kind == KindMessage || a.header == nil {
		return a
	}
	// The threading fields too, when the first choice names a message the
	// outbox did not send.
	if ids := mssante.MessageIDs(a.header.Get("In-Reply-To")); len(ids) > 0 {
		a.ids = append(a.ids, candidate{ids[0], string(mssante.IDFromInReplyTo)})
	}
	if ids := mssante.MessageIDs(a.header.Get("References")); len(ids) > 0 {
		a.ids = append(a.ids, candidate{ids[len(ids)-1], string(mssante.IDFromReferences)})
	}
	return a
}

func hasDelayed(rep *mssante.Report) bool {
	for _, r := range rep.Recipients {
		if r.Action == mssante.ActionDelayed {
			return true
		}
	}
	return false
}

// decodeXtext decodes RFC 3461 xtext ("+2B" for "+").
func decodeXtext(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '+' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// verdict is what a receipt says of one recipient.
type verdict struct {
	recipients []string // candidate addresses, in order
	typ        EventType
	status     Status // new status; "" records the event without a change
	ev         Evidence
}

// apply matches an analysed message and records what it says.
func (o *Outbox) apply(ctx context.Context, tx dbtx, mailbox string, a *analysis, in *Inbound) ([]Event, error) {
	tctx := withTxContext(ctx, tx)
	if mailbox == "" && a.header != nil {
		// Received by the default transport: the mailbox it was sent to.
		if to, err := a.header.AddressList("To"); err == nil && len(to) > 0 {
			mailbox = to[0].Address
		}
	}
	if a.kind == KindMessage {
		if mailbox != "" && a.header != nil {
			if _, ok := msc.PatientSender(a.header); ok {
				if _, err := o.tracker.Received(tctx, mailbox, a.header); err != nil {
					return nil, err
				}
			}
		}
		return nil, nil
	}
	if a.kind == KindUnreadable {
		return nil, nil
	}
	var msgID int64
	for _, c := range a.ids {
		err := tx.queryRow(ctx, "SELECT id FROM mss_message WHERE message_id = $1", normMessageID(c.id)).Scan(&msgID)
		if err == nil {
			in.MessageID, in.MatchedBy = normMessageID(c.id), c.field
			break
		}
		if !isNoRows(err) {
			return nil, err
		}
	}
	if a.bounce != nil && mailbox != "" {
		if err := o.tracker.Bounced(tctx, mailbox, a.bounce); err != nil {
			return nil, err
		}
	}
	if in.MessageID == "" {
		return nil, nil
	}
	report := ""
	switch {
	case a.report != nil:
		report = normMessageID(a.report.MessageID)
	case a.header != nil:
		report = normMessageID(a.header.Get("Message-Id"))
	}
	var verdicts []verdict
	switch {
	case a.report != nil && a.report.Kind == mssante.ReportDSN:
		verdicts = dsnVerdicts(a.report, a.bounce)
	case a.report != nil && a.report.Kind == mssante.ReportMDN:
		verdicts = []verdict{mdnVerdict(a.report)}
	case a.bounce != nil:
		verdicts = bounceVerdicts(a.bounce)
	}
	rc := &recorder{tx: tx, m: &outMessage{id: msgID, messageID: in.MessageID}}
	now := o.now()
	for _, v := range verdicts {
		r, err := o.matchRecipient(ctx, tx, msgID, v.recipients)
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue
		}
		v.ev.Report, v.ev.Incoming = report, in.ID
		if err := o.settle(ctx, rc, r, v, now); err != nil {
			return nil, err
		}
	}
	return rc.events, nil
}

// matchRecipient finds the recipient of message a receipt is about: the
// first candidate address that is one of its recipients, else the only
// recipient of a message sent to one.
func (o *Outbox) matchRecipient(ctx context.Context, tx dbtx, message int64, cands []string) (*outRcpt, error) {
	load := func(where string, args ...any) (*outRcpt, error) {
		r := &outRcpt{}
		var status string
		err := tx.queryRow(ctx, `SELECT id, address, status, claim, attempts, ambiguous, expect_dsn, expect_mdn, settled
			FROM mss_recipient WHERE message = $1`+where, append([]any{message}, args...)...).
			Scan(&r.id, &r.address, &status, &r.claim, &r.attempts, &r.ambiguous, &r.expectDSN, &r.expectMDN, &r.settled)
		if isNoRows(err) {
			return nil, nil
		}
		r.status = Status(status)
		return r, err
	}
	for _, c := range cands {
		if n := normAddress(c); n != "" {
			r, err := load(" AND norm = $2", n)
			if r != nil || err != nil {
				return r, err
			}
		}
	}
	var n int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM mss_recipient WHERE message = $1", message).Scan(&n); err != nil {
		return nil, err
	}
	if n == 1 {
		return load("")
	}
	return nil, nil
}

// settle moves a recipient as a receipt says: forward only, never out of a
// final status; otherwise the receipt is recorded as an event.
func (o *Outbox) settle(ctx context.Context, rc *recorder, r *outRcpt, v verdict, now time.Time) error {
	ev := Event{At: now, Type: v.typ, Status: r.status, Evidence: v.ev}
	if r.final(r.status) {
		ev.Type = EventLate
		if ev.Evidence.Reason == "" {
			ev.Evidence.Reason = string(v.typ) + " after the final status"
		}
		return rc.add(ctx, r, ev)
	}
	if v.status == "" || v.status.rank() <= r.status.rank() {
		return rc.add(ctx, r, ev)
	}
	ev.Status = v.status
	// A receipt for a recipient still waiting for a send (an ambiguous one)
	// settles it: the message did arrive.
	moved, err := rc.move(ctx, r, r.status, "", ev, "claim = '', submitted_at = COALESCE(submitted_at, $3)", micros(now))
	if err != nil || moved {
		return err
	}
	// The row changed under us (a worker recorded its outcome): record the
	// receipt without moving it.
	ev.Status = rc.currentStatus(ctx, r)
	return rc.add(ctx, r, ev)
}

func dsnVerdicts(rep *mssante.Report, b *msc.Bounce) []verdict {
	kinds := map[string]msc.Kind{}
	if b != nil {
		for _, rb := range b.Recipients {
			kinds[normAddress(rb.Recipient)] = rb.Kind
		}
	}
	var out []verdict
	for _, rr := range rep.Recipients {
		v := verdict{recipients: []string{rr.OriginalRecipient, rr.FinalRecipient},
			ev: Evidence{DSNAction: string(rr.Action), DSNStatus: rr.Status, Diagnostic: rr.DiagnosticCode}}
		if k, ok := kinds[normAddress(rr.FinalRecipient)]; ok {
			v.ev.BounceKind = string(k)
		} else if k, ok := kinds[normAddress(rr.OriginalRecipient)]; ok {
			v.ev.BounceKind = string(k)
		}
		switch rr.Action {
		case mssante.ActionDelivered, mssante.ActionRelayed, mssante.ActionExpanded:
			v.typ, v.status = EventDelivered, StatusDelivered
		case mssante.ActionFailed:
			// Failed is final whatever the status class (4.4.7 "expired"
			// included): the reporting MTA gave up.
			v.typ, v.status = EventFailed, StatusFailed
		case mssante.ActionDelayed:
			v.typ = EventDelayed
		default:
			// No (known) Action: the status class decides, else the SMTP
			// reply of Diagnostic-Code (a Direct Project test DSN has only
			// "smtp; 550 ...").
			switch statusClass(rr) {
			case 2:
				v.typ, v.status = EventDelivered, StatusDelivered
			case 5:
				v.typ, v.status = EventFailed, StatusFailed
			default:
				v.typ = EventDelayed
			}
		}
		out = append(out, v)
	}
	return out
}

// statusClass is the class of a DSN recipient's Status, else of the SMTP
// reply in its Diagnostic-Code.
func statusClass(rr mssante.DSNRecipient) int {
	if c := rr.StatusClass(); c != 0 {
		return c
	}
	d := strings.TrimSpace(rr.DiagnosticCode)
	if len(d) >= 3 && d[0] >= '2' && d[0] <= '5' && d[1] >= '0' && d[1] <= '9' && d[2] >= '0' && d[2] <= '9' {
		return int(d[0] - '0')
	}
	return 0
}

func mdnVerdict(rep *mssante.Report) verdict {
	m := rep.MDN
	v := verdict{recipients: []string{m.OriginalRecipient, m.FinalRecipient, rep.From},
		ev: Evidence{Disposition: m.Disposition.String(), ErrorCode: int(m.ErrorCode), ErrorLabel: m.ErrorLabel}}
	switch {
	case m.Failed():
		v.typ, v.status = EventFailed, StatusFailed
		if len(m.Errors) > 0 {
			v.ev.Error = m.Errors[0]
		}
	case m.Disposition.Type == mssante.DispositionDeleted:
		v.typ, v.status = EventFailed, StatusFailed
		v.ev.Reason = "deleted without being displayed"
	case m.Disposition.Type == mssante.DispositionProcessed, m.Disposition.Type == mssante.DispositionDispatched:
		v.typ, v.status = EventProcessed, StatusProcessed
	default: // displayed, or an unknown type: the message was opened
		v.typ, v.status = EventRead, StatusRead
	}
	return v
}

func bounceVerdicts(b *msc.Bounce) []verdict {
	var out []verdict
	for _, rb := range b.Recipients {
		v := verdict{recipients: []string{rb.Recipient},
			ev: Evidence{DSNAction: rb.Action, DSNStatus: rb.Status, Diagnostic: rb.DiagnosticCode, BounceKind: string(rb.Kind)}}
		if rb.Kind == msc.KindTemporary {
			v.typ = EventDelayed
		} else {
			v.typ, v.status = EventFailed, StatusFailed
		}
		out = append(out, v)
	}
	return out
}

// ErrNoReceiver is reported by Fetch when no transport of the outbox can
// receive.
var ErrNoReceiver = errors.New("delivery: no transport implements mssante.Receiver")
