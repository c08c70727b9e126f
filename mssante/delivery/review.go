package delivery

import (
	"context"
	"fmt"
)

// Resend sends again, with the same Message-ID, the recipients of a message
// held for review after an ambiguous send (status held): all of them, or
// those named. It returns the number of recipients queued again.
func (o *Outbox) Resend(ctx context.Context, messageID string, recipients ...string) (int, error) {
	return o.review(ctx, messageID, recipients, []Status{StatusHeld}, Event{Type: EventQueued, Status: StatusQueued,
		Evidence: Evidence{Reason: "sent again after review", Resend: true}})
}

// Cancel cancels the recipients of a message that are not submitted yet
// (queued, deferred or held): all of them, or those named. It returns the
// number of recipients canceled; a recipient being sent at that moment is
// not canceled.
func (o *Outbox) Cancel(ctx context.Context, messageID string, recipients ...string) (int, error) {
	return o.review(ctx, messageID, recipients, []Status{StatusQueued, StatusDeferred, StatusHeld},
		Event{Type: EventCanceled, Status: StatusCanceled, Evidence: Evidence{Reason: "canceled by the caller"}})
}

func (o *Outbox) review(ctx context.Context, messageID string, names []string, from []Status, tmpl Event) (int, error) {
	if o.isClosed() {
		return 0, ErrClosed
	}
	id := normMessageID(messageID)
	var m *outMessage
	var err error
	var pk int64
	if err := o.db.queryRow(ctx, "SELECT id FROM mss_message WHERE message_id = $1", id).Scan(&pk); err != nil {
		if isNoRows(err) {
			return 0, fmt.Errorf("%w: <%s>", ErrNotFound, id)
		}
		return 0, err
	}
	if m, err = o.loadOut(ctx, pk); err != nil {
		return 0, err
	}
	want := map[string]bool{}
	for _, n := range names {
		want[normAddress(n)] = true
	}
	n := 0
	events, err := o.record(ctx, m, func(rc *recorder) error {
		for _, r := range m.recipients {
			if len(want) > 0 && !want[normAddress(r.address)] {
				continue
			}
			for _, s := range from {
				if r.status != s {
					continue
				}
				ev := tmpl
				ev.At = o.now()
				ev.Evidence.Worker = o.id
				moved, err := rc.move(ctx, r, s, "", ev, "due_at = 0")
				if err != nil {
					return err
				}
				if moved {
					n++
				}
			}
		}
		if n > 0 && tmpl.Status == StatusQueued {
			return rc.tx.insertJob(ctx, sendArgs{Message: m.id}, sendJobOpts())
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	o.emit(events)
	return n, nil
}
