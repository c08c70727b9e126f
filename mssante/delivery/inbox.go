package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Incoming is a message the outbox received (Receive, Fetch) and keeps:
// what a caller files in its records. Receipts matched to a sent message
// have done their work on the recipient's status; the inbox holds the
// rest (Inbox).
type Incoming struct {
	// ID numbers the message in the outbox: stable and increasing.
	ID int64 `json:"id"`
	// Source is the id given to Receive (Inbound.ID).
	Source   string    `json:"source"`
	Mailbox  string    `json:"mailbox"`
	Received time.Time `json:"received"`
	// Kind is KindMessage, KindUnreadable, or a receipt kind (KindDSN,
	// KindMDN, KindBounce).
	Kind string `json:"kind"`
	// MessageID is the sent message a receipt was matched to.
	MessageID string `json:"message_id,omitempty"`
	// Ack is set once the caller filed the message (Ack).
	Ack *Ack `json:"ack,omitempty"`
	// Raw is the message as received.
	Raw []byte `json:"-"`
}

// Ack records that the caller filed an incoming message.
type Ack struct {
	At time.Time `json:"at"`
	// Disposition is what the caller said it did (e.g. "processed", or
	// "error" with ErrorCode, the French 90x integration error).
	Disposition string `json:"disposition,omitempty"`
	ErrorCode   int    `json:"error_code,omitempty"`
	// Reply is the Message-ID of the message enqueued with the ack (the
	// MDN), "" when none.
	Reply string `json:"reply,omitempty"`
}

// DefaultInboxLimit is the number of messages Inbox returns when its
// limit is not positive.
const DefaultInboxLimit = 100

// InboxOptions select the messages Inbox returns. The zero value returns
// the first DefaultInboxLimit messages not yet acknowledged, of every
// mailbox: ordinary mail, unreadable mail, and receipts the outbox could
// not match to a message it sent.
type InboxOptions struct {
	// Mailbox keeps the messages received by one mailbox (any case).
	Mailbox string
	// After keeps the messages whose ID is greater (paging).
	After int64
	// Limit bounds the number of messages (default DefaultInboxLimit).
	Limit int
	// Acked includes the messages already acknowledged.
	Acked bool
	// Receipts includes the receipts matched to a sent message.
	Receipts bool
}

const incomingColumns = "i.id, i.source, i.mailbox, i.received_at, i.kind, COALESCE(m.message_id, ''), i.acked_at, i.ack, i.raw"

// Inbox returns the incoming messages opts selects, oldest first.
func (o *Outbox) Inbox(ctx context.Context, opts *InboxOptions) ([]*Incoming, error) {
	if o.isClosed() {
		return nil, ErrClosed
	}
	if opts == nil {
		opts = &InboxOptions{}
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultInboxLimit
	}
	q := "SELECT " + incomingColumns + " FROM mss_incoming i LEFT JOIN mss_message m ON m.id = i.message WHERE i.id > $1"
	args := []any{opts.After}
	if opts.Mailbox != "" {
		args = append(args, strings.ToLower(opts.Mailbox))
		q += fmt.Sprintf(" AND i.mailbox = $%d", len(args))
	}
	if !opts.Acked {
		q += " AND i.acked_at = 0"
	}
	if !opts.Receipts {
		q += " AND (i.message IS NULL OR i.kind IN ('message', 'unreadable'))"
	}
	args = append(args, limit)
	q += fmt.Sprintf(" ORDER BY i.id LIMIT $%d", len(args))
	var out []*Incoming
	err := o.each(ctx, q, args, func(rw row) error {
		in, err := scanIncoming(rw)
		if err == nil {
			out = append(out, in)
		}
		return err
	})
	return out, err
}

// IncomingMessage returns one incoming message by its ID (ErrNotFound when
// there is none).
func (o *Outbox) IncomingMessage(ctx context.Context, id int64) (*Incoming, error) {
	if o.isClosed() {
		return nil, ErrClosed
	}
	return incomingByID(ctx, o.db, id)
}

func incomingByID(ctx context.Context, q querier, id int64) (*Incoming, error) {
	in, err := scanIncoming(q.queryRow(ctx, "SELECT "+incomingColumns+
		" FROM mss_incoming i LEFT JOIN mss_message m ON m.id = i.message WHERE i.id = $1", id))
	if isNoRows(err) {
		return nil, fmt.Errorf("%w: incoming message %d", ErrNotFound, id)
	}
	return in, err
}

func scanIncoming(rw row) (*Incoming, error) {
	in := &Incoming{}
	var received, acked int64
	var ack string
	if err := rw.Scan(&in.ID, &in.Source, &in.Mailbox, &received, &in.Kind, &in.MessageID, &acked, &ack, &in.Raw); err != nil {
		return nil, err
	}
	in.Received = fromMicros(received)
	if acked != 0 {
		in.Ack = &Ack{}
		if ack != "" {
			if err := json.Unmarshal([]byte(ack), in.Ack); err != nil {
				return nil, fmt.Errorf("delivery: ack of incoming message %d: %w", in.ID, err)
			}
		}
		in.Ack.At = fromMicros(acked)
	}
	return in, nil
}

// AckOptions configure Ack. A nil *AckOptions records a plain ack.
type AckOptions struct {
	// Disposition and ErrorCode are recorded with the ack (Ack).
	Disposition string
	ErrorCode   int
	// Reply, when not nil, is a message enqueued in the same transaction
	// as the ack (typically the MDN of mssante.WriteMDN), with
	// ReplyOptions: the ack and its answer are recorded together or not
	// at all.
	Reply        []byte
	ReplyOptions *EnqueueOptions
}

// ErrAcked: the incoming message was acknowledged before.
var ErrAcked = errors.New("delivery: incoming message already acknowledged")

// Ack records that the caller filed an incoming message, and enqueues the
// reply given with it, in one transaction. A message acknowledged before
// is returned as it is with ErrAcked, and nothing is enqueued.
func (o *Outbox) Ack(ctx context.Context, id int64, opts *AckOptions) (*Incoming, error) {
	if o.isClosed() {
		return nil, ErrClosed
	}
	if opts == nil {
		opts = &AckOptions{}
	}
	var q *queued
	if opts.Reply != nil {
		var err error
		if q, err = o.prepareEnqueue(bytes.NewReader(opts.Reply), opts.ReplyOptions); err != nil {
			return nil, err
		}
	}
	ack := Ack{Disposition: opts.Disposition, ErrorCode: opts.ErrorCode}
	if q != nil {
		ack.Reply = q.messageID
	}
	now := o.now()
	var events []Event
	in, _, err := withTx(ctx, o, func(tx dbtx) (*Incoming, struct{}, error) {
		events = nil
		in, err := incomingByID(ctx, tx, id)
		if err != nil {
			return nil, struct{}{}, err
		}
		if in.Ack != nil {
			return in, struct{}{}, ErrAcked
		}
		b, _ := json.Marshal(ack)
		if _, err := tx.exec(ctx, "UPDATE mss_incoming SET acked_at = $1, ack = $2 WHERE id = $3 AND acked_at = 0",
			micros(now), string(b), id); err != nil {
			return nil, struct{}{}, err
		}
		if q != nil {
			if _, _, events, err = o.enqueueTx(ctx, tx, q); err != nil {
				return nil, struct{}{}, err
			}
		}
		a := ack
		a.At = fromMicros(micros(now))
		in.Ack = &a
		return in, struct{}{}, nil
	})
	if errors.Is(err, ErrAcked) {
		// withTx dropped the value: read it again.
		in, rerr := incomingByID(ctx, o.db, id)
		if rerr != nil {
			return nil, rerr
		}
		return in, ErrAcked
	}
	if err != nil {
		return nil, err
	}
	o.emit(events)
	return in, nil
}
