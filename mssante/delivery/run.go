package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/mssante-go/sdk/mssante"
)

// fetchArgs is the periodic job that reads the receivers of the senders.
type fetchArgs struct{}

func (fetchArgs) Kind() string { return "mss_delivery_fetch" }

type fetchWorker struct {
	river.WorkerDefaults[fetchArgs]
	o *Outbox
}

func (w *fetchWorker) Work(ctx context.Context, _ *river.Job[fetchArgs]) error {
	_, err := w.o.Fetch(ctx)
	if errors.Is(err, ErrNoReceiver) {
		return nil
	}
	return err
}

// sweepArgs is the periodic job that closes the recipients whose receipt
// never came.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "mss_delivery_sweep" }

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	o *Outbox
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	_, err := w.o.Sweep(ctx)
	return err
}

// Run sends, retries and reads receipts until ctx ends, then stops: it lets
// the sends in progress finish (at most SendTimeout) and returns nil. The
// messages left are sent by the next Run, here or in another process. Run
// needs a transport (ErrNoTransport).
func (o *Outbox) Run(ctx context.Context) error {
	stop, err := o.start()
	if err != nil {
		return err
	}
	<-ctx.Done()
	return stop()
}

// RunUntilIdle is Run that returns once nothing is left to send or retry
// now: no recipient queued or being sent, none deferred to a time already
// past. Before returning it reads the receivers once and closes the
// recipients whose receipt is overdue, so that the statuses are up to date.
// A recipient left in sending by a killed worker keeps it busy until its job
// is taken up again (Options.StuckAfter).
func (o *Outbox) RunUntilIdle(ctx context.Context) error {
	stop, err := o.start()
	if err != nil {
		return err
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		idle, err := o.Idle(ctx)
		if err != nil {
			stop()
			return err
		}
		if idle {
			break
		}
		select {
		case <-ctx.Done():
			return errors.Join(stop(), ctx.Err())
		case <-tick.C:
		}
	}
	if err := stop(); err != nil {
		return err
	}
	if _, err := o.Fetch(ctx); err != nil && !errors.Is(err, ErrNoReceiver) {
		return err
	}
	_, err = o.Sweep(ctx)
	return err
}

// Pending returns the number of recipients still to be sent: queued,
// being sent, or deferred (now or later).
func (o *Outbox) Pending(ctx context.Context) (int, error) {
	var n int
	err := o.db.queryRow(ctx, `SELECT COUNT(*) FROM mss_recipient WHERE NOT final AND
		status IN ('queued', 'sending', 'deferred')`).Scan(&n)
	return n, err
}

// Idle reports whether nothing is left to send or retry now.
func (o *Outbox) Idle(ctx context.Context) (bool, error) {
	var n int
	err := o.db.queryRow(ctx, `SELECT COUNT(*) FROM mss_recipient WHERE NOT final AND
		(status IN ('queued', 'sending') OR (status = 'deferred' AND due_at <= $1))`, micros(o.now())).Scan(&n)
	return n == 0, err
}

// start starts River's client and returns the function that stops it.
func (o *Outbox) start() (func() error, error) {
	if o.isClosed() {
		return nil, ErrClosed
	}
	if o.opts.Transport == nil && len(o.opts.Senders) == 0 {
		return nil, ErrNoTransport
	}
	if o.running.Swap(true) {
		return nil, ErrRunning
	}
	c := o.db.client()
	if err := c.Start(context.Background()); err != nil {
		o.running.Store(false)
		return nil, fmt.Errorf("delivery: starting river: %w", err)
	}
	return func() error {
		defer o.running.Store(false)
		// Let the sends in progress finish, then cancel what is left.
		sctx, cancel := context.WithTimeout(context.Background(), o.jobTimeout())
		defer cancel()
		if err := c.Stop(sctx); err != nil {
			return c.StopAndCancel(context.Background())
		}
		return nil
	}, nil
}

// Fetch reads every receiver of the outbox once (the transports that
// implement mssante.Receiver), and hands each new message to Receive. It
// returns the number of messages received, and ErrNoReceiver when no
// transport can receive. Run calls it every Options.FetchInterval.
func (o *Outbox) Fetch(ctx context.Context) (int, error) {
	type source struct {
		mailbox string
		r       mssante.Receiver
	}
	var sources []source
	seen := map[mssante.Receiver]bool{}
	add := func(mailbox string, t mssante.Transport) {
		if r, ok := t.(mssante.Receiver); ok && !seen[r] {
			seen[r] = true
			sources = append(sources, source{mailbox, r})
		}
	}
	for mb, t := range o.opts.Senders {
		add(mb, t)
	}
	if o.opts.Transport != nil {
		add("", o.opts.Transport)
	}
	if len(sources) == 0 {
		return 0, ErrNoReceiver
	}
	n := 0
	var errs []error
	for _, s := range sources {
		err := s.r.Receive(ctx, func(ctx context.Context, m *mssante.Received) error {
			// A receiver's ids are unique in its own account only (IMAP:
			// folder, UIDVALIDITY and UID): qualified by the mailbox, so
			// that the first message of two mailboxes is not taken for a
			// duplicate.
			id := m.ID
			if s.mailbox != "" && id != "" {
				id = strings.ToLower(s.mailbox) + ":" + id
			}
			_, err := o.Receive(ctx, s.mailbox, m.Body, id)
			if err == nil {
				n++
			}
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("receiving for %q: %w", s.mailbox, err))
		}
	}
	return n, errors.Join(errs...)
}

// Sweep closes the recipients whose wait is over, and returns how many:
// those whose requested DSN or MDN did not come within
// Options.ReceiptTimeout of their submission become no-receipt; those that
// asked for no receipt and got no failure notice in that time stay
// submitted, now final (event settled). Run calls it periodically.
func (o *Outbox) Sweep(ctx context.Context) (int, error) {
	now := o.now()
	horizon := micros(now.Add(-o.opts.ReceiptTimeout))
	n := 0
	for after := int64(0); ; {
		var lates []late
		err := o.each(ctx, `SELECT r.id, r.message, m.message_id, r.address, r.status, r.expect_dsn, r.expect_mdn
			FROM mss_recipient r JOIN mss_message m ON m.id = r.message
			WHERE NOT r.final AND r.status IN ('submitted', 'delivered') AND r.submitted_at <= $1 AND r.id > $2
			ORDER BY r.id LIMIT 500`, []any{horizon, after}, func(rw row) error {
			var l late
			var status string
			if err := rw.Scan(&l.r.id, &l.msg.id, &l.msg.messageID, &l.r.address, &status, &l.r.expectDSN, &l.r.expectMDN); err != nil {
				return err
			}
			l.r.status = Status(status)
			lates = append(lates, l)
			return nil
		})
		if err != nil || len(lates) == 0 {
			return n, err
		}
		after = lates[len(lates)-1].r.id
		m, err := o.closeLate(ctx, lates, now)
		n += m
		if err != nil {
			return n, err
		}
	}
}

// late is a recipient whose wait is over.
type late struct {
	r   outRcpt
	msg outMessage
}

// closeLate closes a batch of late recipients in one transaction.
func (o *Outbox) closeLate(ctx context.Context, lates []late, now time.Time) (int, error) {
	n := 0
	events, _, err := withTx(ctx, o, func(tx dbtx) ([]Event, struct{}, error) {
		n = 0
		var events []Event
		for _, l := range lates {
			rc := &recorder{tx: tx, m: &l.msg}
			if !l.r.expectDSN && !l.r.expectMDN {
				moved, err := tx.exec(ctx, `UPDATE mss_recipient SET settled = TRUE, updated_at = $1
					WHERE id = $2 AND status = 'submitted' AND NOT final`, micros(now), l.r.id)
				if err != nil {
					return nil, struct{}{}, err
				}
				if moved == 0 {
					continue
				}
				n++
				l.r.settled = true
				ev := Event{At: now, Type: EventSettled, Status: StatusSubmitted}
				ev.Evidence.Reason = fmt.Sprintf("no receipt asked for, no failure notice within %v", o.opts.ReceiptTimeout)
				if err := rc.add(ctx, &l.r, ev); err != nil {
					return nil, struct{}{}, err
				}
			} else {
				var wanted []string
				if l.r.expectDSN && l.r.status == StatusSubmitted {
					wanted = append(wanted, "DSN")
				}
				if l.r.expectMDN {
					wanted = append(wanted, "MDN")
				}
				ev := Event{At: now, Type: EventNoReceipt, Status: StatusNoReceipt}
				ev.Evidence.Reason = fmt.Sprintf("no %s within %v of the submission", strings.Join(wanted, " or "), o.opts.ReceiptTimeout)
				moved, err := rc.move(ctx, &l.r, l.r.status, "", ev, "")
				if err != nil {
					return nil, struct{}{}, err
				}
				if moved {
					n++
				}
			}
			events = append(events, rc.events...)
		}
		return events, struct{}{}, nil
	})
	if err != nil {
		return 0, err
	}
	o.emit(events)
	return n, nil
}
