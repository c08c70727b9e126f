package delivery

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/msc"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// childMain is replaced by the crash tests' child process entry point.
var childMain = func() bool { return false }

// The whole loop on both databases against the embedded operator: a
// message asking for a DSN and an MDN to a DPI that answers "processed", a
// laboratory that never answers, a patient, and an address outside the
// operator; receipts fetched over IMAP and matched.
func TestLoopEndToEnd(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			op := mssantetest.NewOperator(t, nil)
			var log eventLog
			o := mustOpen(t, dsn, &Options{
				Transport:      appTransport(t, op, mssantetest.DefaultApp),
				ReceiptTimeout: 2 * time.Second,
				OnEvent:        log.add,
			})
			to := []string{mssantetest.DefaultDoctor, mssantetest.DefaultLab, mssantetest.DefaultPatient, "x@ailleurs.example"}
			raw := testMessage("loop-1@hopital-test.mssante.fr", mssantetest.DefaultApp, to,
				"Disposition-Notification-To: "+mssantetest.DefaultApp, "Return-Receipt-To: "+mssantetest.DefaultApp)
			m, err := o.Enqueue(ctx, strings.NewReader(raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.MessageID != "loop-1@hopital-test.mssante.fr" || len(m.Recipients) != 4 || m.Existing {
				t.Fatalf("enqueued %+v", m)
			}
			again, err := o.Enqueue(ctx, strings.NewReader(raw), nil)
			if err != nil || !again.Existing || again.MessageID != m.MessageID {
				t.Fatalf("second enqueue: %+v, %v", again, err)
			}
			if err := o.RunUntilIdle(ctx); err != nil {
				t.Fatal(err)
			}
			st, err := o.Status(ctx, "<"+m.MessageID+">")
			if err != nil {
				t.Fatal(err)
			}
			got := statuses(st)
			want := map[string]Status{
				mssantetest.DefaultDoctor:  StatusRead,      // MDN displayed
				mssantetest.DefaultLab:     StatusDelivered, // DSN only, MDN still awaited
				mssantetest.DefaultPatient: StatusRead,      // the patient reads (MDN displayed)
				"x@ailleurs.example":       StatusRefused,   // 550 5.7.1 relay denied
			}
			for a, s := range want {
				if got[a] != s {
					t.Errorf("%s: %s, want %s (timeline %v)", a, got[a], s, timelineOf(st, a))
				}
			}
			if n := len(op.Messages(mssantetest.DefaultDoctor)); n != 1 {
				t.Errorf("doctor got %d messages, want 1", n)
			}
			// The patient's conversation is open in the durable tracker; the
			// patient's reply, fetched with the receipts, is recorded in it.
			c, err := o.Tracker().Conversation(ctx, mssantetest.DefaultPatient, mssantetest.DefaultApp)
			if err != nil || c.State.String() != "open" || !c.LastReceived.IsZero() {
				t.Errorf("conversation %+v, %v", c, err)
			}
			if err := op.PatientReply(ctx, mssantetest.DefaultPatient, mssantetest.DefaultApp, "Merci."); err != nil {
				t.Fatal(err)
			}
			if n, err := o.Fetch(ctx); err != nil || n != 1 {
				t.Fatalf("fetch: %d, %v", n, err)
			}
			if c, err = o.Tracker().Conversation(ctx, mssantetest.DefaultPatient, mssantetest.DefaultApp); err != nil || c.LastReceived.IsZero() {
				t.Errorf("after the reply: %+v, %v", c, err)
			}
			// After the receipt timeout, the laboratory is no-receipt.
			time.Sleep(2100 * time.Millisecond)
			if n, err := o.Sweep(ctx); err != nil || n != 1 {
				t.Fatalf("sweep: %d, %v", n, err)
			}
			st, _ = o.Status(ctx, m.MessageID)
			if s := statuses(st)[mssantetest.DefaultLab]; s != StatusNoReceipt || !st.Final() {
				t.Errorf("lab %s, final %v", s, st.Final())
			}
			for _, r := range st.Recipients {
				if !r.Final {
					t.Errorf("%s not final: %s", r.Address, r.Status)
				}
			}
			lab := st.Recipients[slices.IndexFunc(st.Recipients, func(r Recipient) bool { return r.Address == mssantetest.DefaultLab })]
			if tl := strings.Join(timeline(lab), " "); tl != "queued sending submitted delivered no-receipt" {
				t.Errorf("lab timeline %s", tl)
			}
			if len(log.all()) == 0 {
				t.Error("no event reached OnEvent")
			}
		})
	}
}

func timelineOf(m *Message, addr string) []string {
	for _, r := range m.Recipients {
		if r.Address == addr {
			return timeline(r)
		}
	}
	return nil
}

func TestEnqueueErrors(t *testing.T) {
	ctx := context.Background()
	o := mustOpen(t, databases(t)["sqlite"], nil)
	if _, err := o.Enqueue(ctx, strings.NewReader("no header at all"), nil); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("garbage: %v", err)
	}
	raw := testMessage("dup@x.mssante.fr", "a@x.mssante.fr", []string{"b@x.mssante.fr"})
	if _, err := o.Enqueue(ctx, strings.NewReader(raw), &EnqueueOptions{Key: "k1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Enqueue(ctx, strings.NewReader(raw), &EnqueueOptions{Key: "k2"}); !errors.Is(err, ErrMessageIDInUse) {
		t.Errorf("same Message-ID, other key: %v", err)
	}
	if _, err := o.Status(ctx, "nope@x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("status of an unknown message: %v", err)
	}
	if err := o.Run(ctx); !errors.Is(err, ErrNoTransport) {
		t.Errorf("Run without transport: %v", err)
	}
}

// The conversations of msc.Tracker live in the outbox's database: they
// survive the process, and Update is atomic for one key.
func TestTrackerStoreDurable(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			o := mustOpen(t, dsn, nil)
			closing := msc.HeaderMap{"To": mssantetest.DefaultPatient, "Subject": "Résultats", mssante.HeaderMES: "FIN"}
			if err := o.Tracker().Sent(ctx, mssantetest.DefaultApp, closing); err != nil {
				t.Fatal(err)
			}
			o.Close()
			o = mustOpen(t, dsn, nil)
			c, err := o.Tracker().Conversation(ctx, mssantetest.DefaultPatient, mssantetest.DefaultApp)
			if err != nil || c.State != msc.StateClosed || c.ClosedBy != msc.ClosingHeader || c.LastSent.IsZero() {
				t.Fatalf("after reopening: %+v, %v", c, err)
			}
			// Concurrent updates of one key do not lose any.
			k := msc.NewKey(c.Patient, mssantetest.DefaultApp)
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := o.Tracker().Store.Update(ctx, k, func(c *msc.Conversation) error {
						c.Bounce += "x"
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if c, _, _ := o.Tracker().Store.Get(ctx, k); c.Bounce != "xxxxxxxx" {
				t.Errorf("concurrent updates: %q", c.Bounce)
			}
		})
	}
}
