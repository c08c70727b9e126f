package delivery

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/msc"
	"github.com/mssante-go/sdk/mssante"
)

// reasonChecker is the reason of a refusal by a RecipientChecker (the trust
// space, typically the liste blanche of package annuaire).
const reasonChecker = "refused by the recipient check (trust space)"

type sendWorker struct {
	river.WorkerDefaults[sendArgs]
	o *Outbox
}

func (w *sendWorker) Work(ctx context.Context, job *river.Job[sendArgs]) error {
	return w.o.work(ctx, job)
}

// outMessage is a message as a send job sees it.
type outMessage struct {
	id         int64
	messageID  string
	sender     string
	raw        []byte
	dsn        *mssante.DSNRequest
	hold       bool
	deadline   time.Time
	recipients []*outRcpt
}

type outRcpt struct {
	id                   int64
	address              string
	status               Status
	claim                string
	attempts             int
	ambiguous            bool
	expectDSN, expectMDN bool
	settled              bool
}

// finalFor mirrors the generated column "final" of mss_recipient.
func finalFor(s Status, expectDSN, expectMDN, settled bool) bool {
	return s.AlwaysFinal() || s == StatusSubmitted && !expectDSN && !expectMDN && settled || s == StatusDelivered && !expectMDN
}

func (r *outRcpt) final(s Status) bool { return finalFor(s, r.expectDSN, r.expectMDN, r.settled) }

func (o *Outbox) loadOut(ctx context.Context, id int64) (*outMessage, error) {
	m := &outMessage{id: id}
	var dsn string
	var deadline int64
	if err := o.db.queryRow(ctx, `SELECT message_id, sender, raw, dsn, hold_ambiguous, deadline_at FROM mss_message WHERE id = $1`, id).
		Scan(&m.messageID, &m.sender, &m.raw, &dsn, &m.hold, &deadline); err != nil {
		return nil, err
	}
	m.deadline = fromMicros(deadline)
	if dsn != "" {
		m.dsn = &mssante.DSNRequest{}
		if err := json.Unmarshal([]byte(dsn), m.dsn); err != nil {
			return nil, err
		}
	}
	rs, err := o.db.query(ctx, `SELECT id, address, status, claim, attempts, ambiguous, expect_dsn, expect_mdn, settled
		FROM mss_recipient WHERE message = $1 AND NOT final ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		r := &outRcpt{}
		var status string
		if err := rs.Scan(&r.id, &r.address, &status, &r.claim, &r.attempts, &r.ambiguous, &r.expectDSN, &r.expectMDN, &r.settled); err != nil {
			return nil, err
		}
		r.status = Status(status)
		m.recipients = append(m.recipients, r)
	}
	return m, rs.Err()
}

// recorder collects the events of one transaction, emitted after commit.
type recorder struct {
	tx     dbtx
	m      *outMessage
	events []Event
}

func (rc *recorder) add(ctx context.Context, r *outRcpt, ev Event) error {
	ev.MessageID, ev.Recipient = rc.m.messageID, r.address
	ev.Final = r.final(ev.Status)
	id, err := addEvent(ctx, rc.tx, rc.m.id, r.id, ev)
	if err != nil {
		return err
	}
	ev.ID = id
	rc.events = append(rc.events, ev)
	return nil
}

// move changes a recipient's status if it still is from (and, when claim
// is not empty, still claimed by it), and records ev. It reports whether
// the row moved.
func (rc *recorder) move(ctx context.Context, r *outRcpt, from Status, claim string, ev Event, set string, args ...any) (bool, error) {
	q := "UPDATE mss_recipient SET status = $1, updated_at = $2"
	if set != "" {
		q += ", " + set
	}
	n := len(args)
	q += fmt.Sprintf(" WHERE id = $%d AND status = $%d AND NOT final", n+3, n+4)
	all := append([]any{string(ev.Status), micros(ev.At)}, args...)
	all = append(all, r.id, string(from))
	if claim != "" {
		q += fmt.Sprintf(" AND claim = $%d", n+5)
		all = append(all, claim)
	}
	moved, err := rc.tx.exec(ctx, q, all...)
	if err != nil || moved == 0 {
		return false, err
	}
	r.status = ev.Status
	return true, rc.add(ctx, r, ev)
}

// work runs one attempt of a send job: settle what a previous attempt left
// ambiguous, check and claim the recipients, send, record the outcome.
func (o *Outbox) work(ctx context.Context, job *river.Job[sendArgs]) error {
	m, err := o.loadOut(ctx, job.Args.Message)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return err
	}
	now := o.now()
	// The claim names this run: the attempt number alone repeats after a
	// snooze.
	var nonce [4]byte
	crand.Read(nonce[:])
	claim := fmt.Sprintf("%s#%d.%d.%x", o.id, job.ID, job.Attempt, nonce)
	base := Evidence{Attempt: job.Attempt, Worker: o.id}

	// The trust space is checked before anything is sent, outside any
	// transaction (the checker may ask a directory).
	checks := map[int64]error{}
	if rc := o.opts.RecipientChecker; rc != nil && now.Before(m.deadline) {
		for _, r := range m.recipients {
			if r.status == StatusQueued || r.status == StatusDeferred || r.status == StatusSending {
				if err := rc.CheckRecipient(ctx, r.address); err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					checks[r.id] = err
				}
			}
		}
	}

	var claimed []*outRcpt
	events, err := o.record(ctx, m, func(rc *recorder) error {
		for _, r := range m.recipients {
			if r.status != StatusSending {
				continue
			}
			// Claimed by an attempt that never recorded its outcome: it
			// may or may not have sent.
			ev := Event{At: now, Type: EventAmbiguous, Status: StatusDeferred, Evidence: base}
			ev.Evidence.Reason = ReasonInterrupted
			ev.Evidence.Error = "claimed by " + r.claim + ", outcome never recorded"
			if m.hold {
				ev.Status = StatusHeld
			}
			old := r.claim
			moved, err := rc.move(ctx, r, StatusSending, old, ev, "ambiguous = TRUE, claim = '', due_at = $3", micros(now))
			if err != nil {
				return err
			}
			if moved {
				r.ambiguous = true
				if m.hold {
					if err := rc.add(ctx, r, Event{At: now, Type: EventHeld, Status: StatusHeld, Evidence: base}); err != nil {
						return err
					}
				}
			}
		}
		for _, r := range m.recipients {
			if r.status != StatusQueued && r.status != StatusDeferred {
				continue
			}
			if !now.Before(m.deadline) {
				ev := Event{At: now, Type: EventFailed, Status: StatusFailed, Evidence: base}
				ev.Evidence.Reason = "retry deadline passed"
				if _, err := rc.move(ctx, r, r.status, "", ev, ""); err != nil {
					return err
				}
				continue
			}
			if cerr := checks[r.id]; cerr != nil {
				ev := Event{At: now, Evidence: base}
				ev.Evidence.Error = cerr.Error()
				set, args := "", []any(nil)
				if !mssante.IsTemporary(cerr) {
					ev.Type, ev.Status = EventRefused, StatusRefused
					ev.Evidence.Reason = reasonChecker
				} else {
					ev.Type, ev.Status = EventDeferred, StatusDeferred
					ev.Evidence.NextAttempt = now.Add(o.opts.Retry.backoff(r.attempts+1, rand.Float64()))
					set, args = "due_at = $3", []any{micros(ev.Evidence.NextAttempt)}
				}
				if _, err := rc.move(ctx, r, r.status, "", ev, set, args...); err != nil {
					return err
				}
				continue
			}
			ev := Event{At: now, Type: EventSending, Status: StatusSending, Evidence: base}
			ev.Evidence.Resend = r.ambiguous
			moved, err := rc.move(ctx, r, r.status, "", ev, "claim = $3, attempts = attempts + 1", claim)
			if err != nil {
				return err
			}
			if moved {
				r.attempts++
				claimed = append(claimed, r)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	o.emit(events)

	outcomes := o.send(ctx, m, claimed)

	var remaining int
	var due int64
	events, err = o.record(ctx, m, func(rc *recorder) error {
		now := o.now()
		var toPatients []string
		for i, r := range claimed {
			out := outcomes[i]
			ev := Event{At: now, Evidence: base}
			ev.Evidence.Error = out.errText
			ev.Evidence.SMTPCode, ev.Evidence.EnhancedCode = out.code, out.enhanced
			set, args := "claim = ''", []any(nil)
			switch out.status {
			case mssante.StatusAccepted:
				ev.Type, ev.Status = EventSubmitted, StatusSubmitted
				set, args = "claim = '', submitted_at = $3", []any{micros(now)}
			case mssante.StatusPermanentFailure:
				ev.Type, ev.Status = EventRefused, StatusRefused
				var se *mssante.SMTPError
				if out.err != nil && !errors.As(out.err, &se) {
					ev.Evidence.Reason = reasonChecker // the transport's own check
				}
			case mssante.StatusUnknown:
				ev.Type, ev.Status = EventAmbiguous, StatusDeferred
				ev.Evidence.Reason = ReasonUnknownOutcome
				if m.hold {
					ev.Status = StatusHeld
				} else {
					ev.Evidence.NextAttempt = now.Add(o.opts.Retry.backoff(r.attempts, rand.Float64()))
				}
				set, args = "claim = '', ambiguous = TRUE, due_at = $3", []any{micros(ev.Evidence.NextAttempt)}
			default:
				ev.Type, ev.Status = EventDeferred, StatusDeferred
				ev.Evidence.NextAttempt = now.Add(o.opts.Retry.backoff(r.attempts, rand.Float64()))
				set, args = "claim = '', due_at = $3", []any{micros(ev.Evidence.NextAttempt)}
			}
			moved, err := rc.move(ctx, r, StatusSending, claim, ev, set, args...)
			if err != nil {
				return err
			}
			if !moved {
				// Another attempt took the recipient over (this one was
				// presumed dead): keep what this one learnt in the history.
				late := ev
				late.Type, late.Status = EventLateSend, rc.currentStatus(ctx, r)
				late.Evidence.Reason = "outcome " + out.status.String() + " recorded after the claim was taken over"
				if err := rc.add(ctx, r, late); err != nil {
					return err
				}
				continue
			}
			if out.status == mssante.StatusUnknown {
				r.ambiguous = true
				if m.hold {
					if err := rc.add(ctx, r, Event{At: now, Type: EventHeld, Status: StatusHeld, Evidence: base}); err != nil {
						return err
					}
				}
			}
			if out.status == mssante.StatusAccepted && ins.IsPatientAddress(r.address) {
				toPatients = append(toPatients, r.address)
			}
		}
		if len(toPatients) > 0 {
			if err := o.trackSent(withTxContext(ctx, rc.tx), m, toPatients); err != nil {
				return err
			}
		}
		if err := rc.tx.queryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(due_at), 0) FROM mss_recipient
			WHERE message = $1 AND status IN ('queued', 'deferred', 'sending')`, m.id).Scan(&remaining, &due); err != nil {
			return err
		}
		if remaining == 0 {
			return rc.tx.completeJob(ctx, job)
		}
		return nil
	})
	if err != nil {
		return err
	}
	o.emit(events)
	if remaining == 0 {
		return nil
	}
	wait := max(fromMicros(due).Sub(o.now()), 0)
	if until := m.deadline.Sub(o.now()); wait > until {
		wait = max(until, 0)
	}
	return river.JobSnooze(wait)
}

// record runs f in a transaction with a recorder, and returns the events
// to emit once committed.
func (o *Outbox) record(ctx context.Context, m *outMessage, f func(rc *recorder) error) ([]Event, error) {
	events, _, err := withTx(ctx, o, func(tx dbtx) ([]Event, struct{}, error) {
		rc := &recorder{tx: tx, m: m}
		if err := f(rc); err != nil {
			return nil, struct{}{}, err
		}
		return rc.events, struct{}{}, nil
	})
	return events, err
}

func (rc *recorder) currentStatus(ctx context.Context, r *outRcpt) Status {
	var s string
	if err := rc.tx.queryRow(ctx, "SELECT status FROM mss_recipient WHERE id = $1", r.id).Scan(&s); err != nil {
		return r.status
	}
	return Status(s)
}

// outcome is what one submission said of one recipient.
type outcome struct {
	status   mssante.RecipientStatus
	err      error
	errText  string
	code     int
	enhanced string
}

// send submits the message to the claimed recipients and returns an
// outcome for each, in order.
func (o *Outbox) send(ctx context.Context, m *outMessage, claimed []*outRcpt) []outcome {
	outs := make([]outcome, len(claimed))
	if len(claimed) == 0 {
		return outs
	}
	t := o.opts.transport(m.sender)
	if t == nil {
		for i := range outs {
			outs[i] = outcomeOf(mssante.StatusTemporaryFailure, fmt.Errorf("%w: %s", ErrNoTransport, m.sender))
		}
		return outs
	}
	env := &mssante.Envelope{From: m.sender, DSN: m.dsn}
	for _, r := range claimed {
		env.To = append(env.To, r.address)
	}
	sctx, cancel := context.WithTimeout(ctx, o.opts.SendTimeout)
	res, err := t.Send(sctx, env, bytes.NewReader(m.raw))
	cancel()
	if res == nil {
		// The whole submission failed (connection, authentication,
		// configuration): retried until the deadline, so that a fixed
		// configuration still saves the messages.
		st := mssante.StatusTemporaryFailure
		if mssante.IsOutcomeUnknown(err) {
			st = mssante.StatusUnknown
		}
		if err == nil {
			err = errors.New("transport returned no result")
		}
		for i := range outs {
			outs[i] = outcomeOf(st, err)
		}
		return outs
	}
	byAddr := map[string]mssante.RecipientResult{}
	for _, rr := range res.Recipients {
		byAddr[strings.ToLower(rr.Recipient)] = rr
	}
	for i, r := range claimed {
		rr, ok := byAddr[strings.ToLower(r.address)]
		if !ok {
			outs[i] = outcomeOf(mssante.StatusUnknown, errors.New("the transport reported nothing for this recipient"))
			continue
		}
		outs[i] = outcomeOf(rr.Status, rr.Err)
	}
	return outs
}

func outcomeOf(st mssante.RecipientStatus, err error) outcome {
	out := outcome{status: st, err: err}
	if err != nil {
		out.errText = err.Error()
		var se *mssante.SMTPError
		if errors.As(err, &se) {
			out.code, out.enhanced, out.errText = se.Code, se.EnhancedCode, se.Message
		}
	}
	return out
}

// trackSent records in the Tracker a message accepted for patients.
func (o *Outbox) trackSent(ctx context.Context, m *outMessage, patients []string) error {
	pm, err := mail.ReadMessage(bytes.NewReader(m.raw))
	if err != nil {
		return nil
	}
	h := msc.HeaderMap{"To": strings.Join(patients, ", ")}
	for _, k := range []string{"Subject", mssante.HeaderMES} {
		if v := pm.Header.Get(k); v != "" {
			h[k] = v
		}
	}
	return o.tracker.Sent(ctx, m.sender, h)
}
