package delivery

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/mssante"
)

// MaxMessageSize bounds what Enqueue reads: the largest message an MSSanté
// operator takes is about 25 Mo (Mon Espace Santé), encoded.
const MaxMessageSize = 64 << 20

// queueName is the River queue of the outbox's jobs, apart from the caller's.
const queueName = "mss_delivery"

// sendArgs is the River job that sends one message to its recipients that
// still need it.
type sendArgs struct {
	Message int64 `json:"message" river:"unique"`
}

func (sendArgs) Kind() string { return "mss_delivery_send" }

// liveStates are the River states of a job that will still run: at most one
// send job per message is in one of them (UniqueOpts).
var liveStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}

func sendJobOpts() *river.InsertOpts {
	return &river.InsertOpts{
		Queue: queueName,
		// The retry deadline decides when to stop, not a number of attempts.
		MaxAttempts: 100_000,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: liveStates},
	}
}

// Enqueue stores the message read from r (a complete RFC 5322 message) and
// queues it for every recipient. It returns once the message is durable.
//
// The envelope comes from opts or from the header: From, and To, Cc and
// Bcc. The message is stored as it will be sent, every time: a Bcc header
// is removed (each Bcc recipient is in the envelope only), and a message
// without Message-ID gets one. With a key already used (default key: the
// Message-ID), Enqueue returns the first message with Existing set and
// queues nothing; another message with the same Message-ID under another key
// is refused with ErrMessageIDInUse.
func (o *Outbox) Enqueue(ctx context.Context, r io.Reader, opts *EnqueueOptions) (*Message, error) {
	if o.isClosed() {
		return nil, ErrClosed
	}
	q, err := o.prepareEnqueue(r, opts)
	if err != nil {
		return nil, err
	}
	var events []Event
	id, existing, err := withTx(ctx, o, func(tx dbtx) (int64, bool, error) {
		var err error
		var id int64
		var existing bool
		id, existing, events, err = o.enqueueTx(ctx, tx, q)
		return id, existing, err
	})
	if err != nil {
		return nil, err
	}
	o.emit(events)
	m, err := o.loadStatus(ctx, id)
	if err != nil {
		return nil, err
	}
	m.Existing = existing
	return m, nil
}

// queued is a message ready to be stored, with its key and policy.
type queued struct {
	*prepared
	key  string
	hold bool
}

// prepareEnqueue reads and checks a message before the transaction.
func (o *Outbox) prepareEnqueue(r io.Reader, opts *EnqueueOptions) (*queued, error) {
	if opts == nil {
		opts = &EnqueueOptions{}
	}
	raw, err := io.ReadAll(io.LimitReader(r, MaxMessageSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading: %v", ErrInvalidMessage, err)
	}
	if len(raw) > MaxMessageSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidMessage, MaxMessageSize)
	}
	p, err := prepare(raw, opts)
	if err != nil {
		return nil, err
	}
	if o.opts.Transport != nil || len(o.opts.Senders) > 0 {
		if o.opts.transport(p.from) == nil {
			return nil, fmt.Errorf("%w: %s", ErrNoTransport, p.from)
		}
	}
	q := &queued{prepared: p, key: opts.Key, hold: o.opts.HoldAmbiguous}
	switch opts.Ambiguous {
	case AmbiguousHold:
		q.hold = true
	case AmbiguousResend:
		q.hold = false
	}
	if q.key == "" {
		q.key = p.messageID
	}
	return q, nil
}

// enqueueTx stores a message, its recipients and its send job in tx. It
// returns the message's row id, whether the key was already used (then
// nothing is stored), and the events to emit after the commit.
func (o *Outbox) enqueueTx(ctx context.Context, tx dbtx, q *queued) (int64, bool, []Event, error) {
	now := o.now()
	var dsnJSON string
	if q.dsn != nil {
		b, _ := json.Marshal(q.dsn)
		dsnJSON = string(b)
	}
	var events []Event
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO mss_message (message_id, idem_key, sender, raw, dsn, expect_dsn, expect_mdn,
		hold_ambiguous, created_at, deadline_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT DO NOTHING RETURNING id`,
		q.messageID, q.key, q.from, q.raw, dsnJSON, q.expectDSN, q.expectMDN, q.hold,
		micros(now), micros(now.Add(o.opts.Retry.Deadline))).Scan(&id)
	if isNoRows(err) {
		// A conflict: the same key (idempotent), or the same Message-ID
		// under another key (refused).
		err := tx.queryRow(ctx, "SELECT id FROM mss_message WHERE idem_key = $1", q.key).Scan(&id)
		if err == nil {
			return id, true, nil, nil
		}
		if !isNoRows(err) {
			return 0, false, nil, err
		}
		return 0, false, nil, fmt.Errorf("%w: <%s>", ErrMessageIDInUse, q.messageID)
	}
	if err != nil {
		return 0, false, nil, err
	}
	for _, to := range q.to {
		var rid int64
		if err := tx.queryRow(ctx, `INSERT INTO mss_recipient (message, address, norm, status, expect_dsn, expect_mdn, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			id, to, normAddress(to), string(StatusQueued), q.expectDSN, q.expectMDN, micros(now)).Scan(&rid); err != nil {
			return 0, false, nil, err
		}
		ev := Event{MessageID: q.messageID, Recipient: to, At: now, Type: EventQueued, Status: StatusQueued}
		if ev.ID, err = addEvent(ctx, tx, id, rid, ev); err != nil {
			return 0, false, nil, err
		}
		events = append(events, ev)
	}
	if err := tx.insertJob(ctx, sendArgs{Message: id}, sendJobOpts()); err != nil {
		return 0, false, nil, err
	}
	return id, false, events, nil
}

// EnqueueMessage composes m (mssante.Message.Bytes) and enqueues it with
// its envelope (mssante.Message.Envelope) unless opts gives one. Like
// mssante.Send, it refuses a message larger than mssante.DefaultMaxMessageSize,
// or than the 25 Mo of Mon Espace Santé when a recipient is a patient, with a
// *limit.Error.
func (o *Outbox) EnqueueMessage(ctx context.Context, m *mssante.Message, opts *EnqueueOptions) (*Message, error) {
	b, err := m.Bytes()
	if err != nil {
		return nil, err
	}
	env := m.Envelope()
	max, what := int64(mssante.DefaultMaxMessageSize), "message"
	for _, r := range env.To {
		if ins.IsPatientAddress(r) && mssante.PatientMaxMessageSize < max {
			max, what = mssante.PatientMaxMessageSize, "message to a Mon Espace Santé mailbox"
		}
	}
	if int64(len(b)) > max {
		return nil, &limit.Error{What: what, Limit: limit.Size, Max: max, Value: int64(len(b))}
	}
	var o2 EnqueueOptions
	if opts != nil {
		o2 = *opts
	}
	if o2.From == "" {
		o2.From = env.From
	}
	if len(o2.To) == 0 {
		o2.To = env.To
	}
	if o2.DSN == nil {
		o2.DSN = env.DSN
	}
	return o.Enqueue(ctx, bytes.NewReader(b), &o2)
}

// prepared is a message ready to be stored.
type prepared struct {
	raw                  []byte
	messageID            string
	from                 string
	to                   []string
	dsn                  *mssante.DSNRequest
	expectDSN, expectMDN bool
}

func prepare(raw []byte, opts *EnqueueOptions) (*prepared, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrInvalidMessage, err)
	}
	h := m.Header
	p := &prepared{raw: raw, from: strings.TrimSpace(opts.From)}
	if p.from == "" {
		addrs, err := h.AddressList("From")
		if err != nil || len(addrs) != 1 {
			return nil, fmt.Errorf("%w: no sender: set EnqueueOptions.From or a single From address", ErrInvalidMessage)
		}
		p.from = addrs[0].Address
	}
	if err := checkAddress(p.from); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	add := func(a string) error {
		a = strings.TrimSpace(a)
		if err := checkAddress(a); err != nil {
			return err
		}
		if n := normAddress(a); !seen[n] {
			seen[n] = true
			p.to = append(p.to, a)
		}
		return nil
	}
	if len(opts.To) > 0 {
		for _, a := range opts.To {
			if err := add(a); err != nil {
				return nil, err
			}
		}
	} else {
		for _, f := range []string{"To", "Cc", "Bcc"} {
			addrs, err := h.AddressList(f)
			if err != nil && !errors.Is(err, mail.ErrHeaderNotPresent) {
				return nil, fmt.Errorf("%w: %s: %v", ErrInvalidMessage, f, err)
			}
			for _, a := range addrs {
				if err := add(a.Address); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(p.to) == 0 {
		return nil, fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	}
	if h.Get("Bcc") != "" || len(h["Bcc"]) > 0 {
		p.raw = removeField(p.raw, "Bcc")
	}
	p.messageID = normMessageID(h.Get("Message-Id"))
	if p.messageID == "" {
		_, domain, _ := strings.Cut(p.from, "@")
		var b [12]byte
		rand.Read(b[:])
		p.messageID = hex.EncodeToString(b[:]) + "@" + domain
		p.raw = append([]byte("Message-ID: <"+p.messageID+">\r\n"), p.raw...)
	}
	p.dsn = opts.DSN
	if p.dsn == nil && h.Get("Return-Receipt-To") != "" {
		p.dsn = mssante.DeliveryReceiptDSN("")
	}
	if p.dsn != nil {
		d := *p.dsn
		if d.EnvelopeID == "" && envelopeIDFits(p.messageID) {
			d.EnvelopeID = p.messageID
		}
		p.dsn = &d
		for _, n := range d.Notify {
			if strings.EqualFold(n, "SUCCESS") {
				p.expectDSN = true
			}
		}
	}
	p.expectMDN = h.Get("Disposition-Notification-To") != ""
	return p, nil
}

// envelopeIDFits reports whether s can be an RFC 3461 ENVID as is.
func envelopeIDFits(s string) bool {
	if len(s) == 0 || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// checkAddress refuses what cannot go on the wire as an SMTP path.
func checkAddress(a string) error {
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || len(a) > 254 || strings.ContainsAny(a, "<>\r\n\t \x00,") {
		return fmt.Errorf("%w: address %q", ErrInvalidMessage, a)
	}
	return nil
}

// removeField removes every occurrence of a header field (with its folded
// lines) from the header block of raw.
func removeField(raw []byte, name string) []byte {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if e2 := bytes.Index(raw, []byte("\n\n")); end < 0 || (e2 >= 0 && e2 < end) {
		end = e2
	}
	if end < 0 {
		end = len(raw)
	}
	var out bytes.Buffer
	out.Grow(len(raw))
	skipping := false
	rest := raw[:end]
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if !skipping {
				out.Write(line)
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		skipping = colon > 0 && strings.EqualFold(strings.TrimSpace(string(line[:colon])), name)
		if !skipping {
			out.Write(line)
		}
	}
	out.Write(raw[end:])
	return out.Bytes()
}

// normMessageID is the form of a Message-ID the outbox stores and matches
// (mssante.NormalizeMessageID: no angle brackets, comments or white space).
func normMessageID(s string) string { return mssante.NormalizeMessageID(s) }

// normAddress is the form of an address that receipts are matched on:
// mssante.NormalizeAddress (no display name, angle brackets or "rfc822;"
// type), in lower case.
func normAddress(s string) string { return strings.ToLower(mssante.NormalizeAddress(s)) }
