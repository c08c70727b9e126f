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
	q := "SELECT id FROM mss_message"
	if opts.Open {
		q += " WHERE EXISTS (SELECT 1 FROM mss_recipient r WHERE r.message = mss_message.id AND NOT r.final)"
	}
	q += " ORDER BY id"
	if opts.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", opts.Limit)
	}
	rs, err := o.db.query(ctx, q)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			rs.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	out := make([]*Message, 0, len(ids))
	for _, id := range ids {
		m, err := o.loadStatus(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// loadStatus reads a message, its recipients and their histories.
func (o *Outbox) loadStatus(ctx context.Context, id int64) (*Message, error) {
	m := &Message{}
	var created int64
	if err := o.db.queryRow(ctx, "SELECT message_id, idem_key, sender, created_at FROM mss_message WHERE id = $1", id).
		Scan(&m.MessageID, &m.Key, &m.From, &created); err != nil {
		return nil, err
	}
	m.Created = fromMicros(created)
	rs, err := o.db.query(ctx, `SELECT id, address, status, final, ambiguous, updated_at FROM mss_recipient
		WHERE message = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	var rids []int64
	for rs.Next() {
		var r Recipient
		var rid, updated int64
		var status string
		if err := rs.Scan(&rid, &r.Address, &status, &r.Final, &r.Ambiguous, &updated); err != nil {
			rs.Close()
			return nil, err
		}
		r.Status, r.Updated, r.History = Status(status), fromMicros(updated), []Event{}
		m.Recipients = append(m.Recipients, r)
		rids = append(rids, rid)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	index := map[int64]int{}
	for i, rid := range rids {
		index[rid] = i
	}
	es, err := o.db.query(ctx, `SELECT recipient, at, type, status, final, evidence FROM mss_event
		WHERE message = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer es.Close()
	for es.Next() {
		var rid, at int64
		var typ, status, evidence string
		var ev Event
		if err := es.Scan(&rid, &at, &typ, &status, &ev.Final, &evidence); err != nil {
			return nil, err
		}
		ev.At, ev.Type, ev.Status = fromMicros(at), EventType(typ), Status(status)
		if err := json.Unmarshal([]byte(evidence), &ev.Evidence); err != nil {
			return nil, fmt.Errorf("delivery: event evidence: %w", err)
		}
		if i, ok := index[rid]; ok {
			m.Recipients[i].History = append(m.Recipients[i].History, ev)
		}
	}
	return m, es.Err()
}
