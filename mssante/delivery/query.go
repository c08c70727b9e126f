package delivery

import (
	"context"
	"encoding/json"
	"fmt"
)

// Status returns a message and each recipient's status and history.
// messageID may carry angle brackets. A message the outbox does not know
// gives ErrNotFound.
func (o *Outbox) Status(ctx context.Context, messageID string) (*Message, error) {
	var id int64
	err := o.db.queryRow(ctx, "SELECT id FROM mss_message WHERE message_id = $1", normMessageID(messageID)).Scan(&id)
	if isNoRows(err) {
		return nil, fmt.Errorf("%w: <%s>", ErrNotFound, normMessageID(messageID))
	}
	if err != nil {
		return nil, err
	}
	return o.loadStatus(ctx, id)
}

// StatusByKey returns the message enqueued with an idempotency key
// (EnqueueOptions.Key), as Status does; ErrNotFound when the key is unused.
func (o *Outbox) StatusByKey(ctx context.Context, key string) (*Message, error) {
	var id int64
	err := o.db.queryRow(ctx, "SELECT id FROM mss_message WHERE idem_key = $1", key).Scan(&id)
	if isNoRows(err) {
		return nil, fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	if err != nil {
		return nil, err
	}
	return o.loadStatus(ctx, id)
}

// ListOptions select the messages List returns. The zero value lists every
// message, oldest first.
type ListOptions struct {
	// Open keeps only messages with a recipient whose status is not final.
	Open bool
	// Limit bounds the number of messages (0: no limit).
	Limit int
}

// List returns the messages of the outbox with their recipients' status
// and history, oldest first.
func (o *Outbox) List(ctx context.Context, opts *ListOptions) ([]*Message, error) {
	if opts == nil {
		opts = &ListOptions{}
	}
	sel := "SELECT id FROM mss_message"
	if opts.Open {
		sel += " WHERE EXISTS (SELECT 1 FROM mss_recipient r WHERE r.message = mss_message.id AND NOT r.final)"
	}
	sel += " ORDER BY id"
	if opts.Limit > 0 {
		sel += fmt.Sprintf(" LIMIT %d", opts.Limit)
	}
	return o.load(ctx, "IN ("+sel+")")
}

// loadStatus reads a message, its recipients and their histories.
func (o *Outbox) loadStatus(ctx context.Context, id int64) (*Message, error) {
	ms, err := o.load(ctx, "= $1", id)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("%w: id %d", ErrNotFound, id)
	}
	return ms[0], nil
}

// load reads the messages whose id matches cond ("= $1", "IN (SELECT...)"),
// with their recipients and histories, in three queries.
func (o *Outbox) load(ctx context.Context, cond string, args ...any) ([]*Message, error) {
	var out []*Message
	byID := map[int64]*Message{}
	err := o.each(ctx, "SELECT id, message_id, idem_key, sender, created_at FROM mss_message WHERE id "+cond+" ORDER BY id", args,
		func(r row) error {
			m := &Message{}
			var id, created int64
			if err := r.Scan(&id, &m.MessageID, &m.Key, &m.From, &created); err != nil {
				return err
			}
			m.Created = fromMicros(created)
			out = append(out, m)
			byID[id] = m
			return nil
		})
	if err != nil || len(out) == 0 {
		return out, err
	}
	type pos struct {
		m *Message
		i int
	}
	rcpts := map[int64]pos{}
	err = o.each(ctx, `SELECT id, message, address, status, final, ambiguous, updated_at FROM mss_recipient
		WHERE message `+cond+` ORDER BY message, id`, args, func(rw row) error {
		var r Recipient
		var rid, mid, updated int64
		var status string
		if err := rw.Scan(&rid, &mid, &r.Address, &status, &r.Final, &r.Ambiguous, &updated); err != nil {
			return err
		}
		r.Status, r.Updated, r.History = Status(status), fromMicros(updated), []Event{}
		if m := byID[mid]; m != nil {
			m.Recipients = append(m.Recipients, r)
			rcpts[rid] = pos{m, len(m.Recipients) - 1}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = o.each(ctx, `SELECT id, recipient, at, type, status, final, evidence FROM mss_event
		WHERE message `+cond+` ORDER BY id`, args, func(rw row) error {
		var rid, at int64
		var typ, status, evidence string
		var ev Event
		if err := rw.Scan(&ev.ID, &rid, &at, &typ, &status, &ev.Final, &evidence); err != nil {
			return err
		}
		ev.At, ev.Type, ev.Status = fromMicros(at), EventType(typ), Status(status)
		if err := json.Unmarshal([]byte(evidence), &ev.Evidence); err != nil {
			return fmt.Errorf("delivery: event evidence: %w", err)
		}
		if p, ok := rcpts[rid]; ok {
			p.m.Recipients[p.i].History = append(p.m.Recipients[p.i].History, ev)
		}
		return nil
	})
	return out, err
}

// each runs a query and calls f for every row.
func (o *Outbox) each(ctx context.Context, q string, args []any, f func(row) error) error {
	rs, err := o.db.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := f(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

// DefaultEventsLimit is the number of events Events returns when its limit
// is not positive.
const DefaultEventsLimit = 1000

// Events returns the events of every recipient's history whose id is
// greater than after, in the order of their ids, at most limit of them
// (DefaultEventsLimit when limit ≤ 0), with MessageID and Recipient set.
// Event ids grow in the order of the commits (on PostgreSQL too: the
// outbox's write transactions are ordered), so a reader that passes the id
// of the last event it saw gets every later event exactly once, across
// restarts: the history is the durable record of what happened.
func (o *Outbox) Events(ctx context.Context, after int64, limit int) ([]Event, error) {
	if o.isClosed() {
		return nil, ErrClosed
	}
	if limit <= 0 {
		limit = DefaultEventsLimit
	}
	var out []Event
	err := o.each(ctx, `SELECT e.id, m.message_id, r.address, e.at, e.type, e.status, e.final, e.evidence
		FROM mss_event e JOIN mss_message m ON m.id = e.message JOIN mss_recipient r ON r.id = e.recipient
		WHERE e.id > $1 ORDER BY e.id LIMIT $2`, []any{after, limit}, func(rw row) error {
		var at int64
		var typ, status, evidence string
		var ev Event
		if err := rw.Scan(&ev.ID, &ev.MessageID, &ev.Recipient, &at, &typ, &status, &ev.Final, &evidence); err != nil {
			return err
		}
		ev.At, ev.Type, ev.Status = fromMicros(at), EventType(typ), Status(status)
		if err := json.Unmarshal([]byte(evidence), &ev.Evidence); err != nil {
			return fmt.Errorf("delivery: event evidence: %w", err)
		}
		out = append(out, ev)
		return nil
	})
	return out, err
}
