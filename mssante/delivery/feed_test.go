package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// The event history read by id (Events), a hook that fails then catches
// up (at least once, in order, every event), and the inbox with its ack
// and the reply enqueued with it, on both databases.
func TestEventsHooksInbox(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			op := mssantetest.NewOperator(t, nil)
			var mu sync.Mutex
			var hooked []Event
			calls := 0
			hook := Hook{Name: "test", Batch: 3, Deliver: func(_ context.Context, evs []Event) error {
				mu.Lock()
				defer mu.Unlock()
				calls++
				if calls == 1 {
					return errors.New("receiver down")
				}
				hooked = append(hooked, evs...)
				return nil
			}}
			o := mustOpen(t, dsn, &Options{
				Transport: appTransport(t, op, mssantetest.DefaultApp),
				Hooks:     []Hook{hook}, HookInterval: 100 * time.Millisecond,
			})
			if pos, err := o.HookPosition(ctx, "test"); err != nil || pos != 0 {
				t.Fatalf("new hook at %d, %v", pos, err)
			}
			// A message to the DPI itself: the operator delivers it to the
			// INBOX, answers with a DSN and an MDN processed.
			raw := testMessage("feed-1@hopital-test.mssante.fr", mssantetest.DefaultApp, []string{mssantetest.DefaultApp},
				"Disposition-Notification-To: "+mssantetest.DefaultApp, "Return-Receipt-To: "+mssantetest.DefaultApp)
			if _, err := o.Enqueue(ctx, strings.NewReader(raw), nil); err != nil {
				t.Fatal(err)
			}
			if err := o.RunUntilIdle(ctx); err != nil {
				t.Fatal(err)
			}
			all, err := o.Events(ctx, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for i, e := range all {
				if i > 0 && e.ID <= all[i-1].ID {
					t.Errorf("ids not increasing: %d after %d", e.ID, all[i-1].ID)
				}
				if e.MessageID != "feed-1@hopital-test.mssante.fr" || e.Recipient != mssantetest.DefaultApp {
					t.Errorf("event %+v", e)
				}
				types = append(types, string(e.Type))
			}
			if got := strings.Join(types, " "); got != "queued sending submitted delivered processed" {
				t.Errorf("events %q", got)
			}
			st, _ := o.Status(ctx, "feed-1@hopital-test.mssante.fr")
			if h := st.Recipients[0].History; len(h) != len(all) || h[len(h)-1].ID != all[len(all)-1].ID {
				t.Errorf("status history ids %+v, events %+v", h, all)
			}
			part, err := o.Events(ctx, all[1].ID, 2)
			if err != nil || len(part) != 2 || part[0].ID != all[2].ID {
				t.Errorf("Events(after %d, 2) = %+v, %v", all[1].ID, part, err)
			}

			// The hook: runs while Run runs, the first call fails.
			rctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- o.Run(rctx) }()
			deadline := time.Now().Add(time.Minute)
			for {
				mu.Lock()
				n := len(hooked)
				mu.Unlock()
				if n >= len(all) || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			stop()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			seen := map[int64]bool{}
			for _, e := range hooked {
				seen[e.ID] = true
			}
			for _, e := range all {
				if !seen[e.ID] {
					t.Errorf("hook missed event %d %s", e.ID, e.Type)
				}
			}
			if calls < 2 {
				t.Errorf("hook called %d times, want a retry after the failure", calls)
			}
			mu.Unlock()
			if pos, err := o.HookPosition(ctx, "test"); err != nil || pos != all[len(all)-1].ID {
				t.Errorf("hook position %d, %v; want %d", pos, err, all[len(all)-1].ID)
			}

			// The inbox: the message itself (the DSN and MDN were matched
			// and are not listed).
			box, err := o.Inbox(ctx, nil)
			if err != nil || len(box) != 1 || box[0].Kind != KindMessage || box[0].Mailbox != "" || !strings.Contains(string(box[0].Raw), "feed-1@") {
				t.Fatalf("inbox %+v, %v", box, err)
			}
			withReceipts, _ := o.Inbox(ctx, &InboxOptions{Receipts: true})
			if len(withReceipts) != 3 {
				t.Errorf("inbox with receipts: %d messages, want 3", len(withReceipts))
			}
			reply := testMessage("ack-1@hopital-test.mssante.fr", mssantetest.DefaultApp, []string{mssantetest.DefaultDoctor})
			in, err := o.Ack(ctx, box[0].ID, &AckOptions{Disposition: "processed", Reply: []byte(reply)})
			if err != nil || in.Ack == nil || in.Ack.Reply != "ack-1@hopital-test.mssante.fr" || in.Ack.Disposition != "processed" {
				t.Fatalf("ack %+v, %v", in, err)
			}
			if _, err := o.Status(ctx, "ack-1@hopital-test.mssante.fr"); err != nil {
				t.Errorf("the reply was not enqueued: %v", err)
			}
			again, err := o.Ack(ctx, box[0].ID, &AckOptions{Disposition: "error", ErrorCode: 902,
				Reply: []byte(testMessage("ack-2@hopital-test.mssante.fr", mssantetest.DefaultApp, []string{mssantetest.DefaultDoctor}))})
			if !errors.Is(err, ErrAcked) || again.Ack.Disposition != "processed" {
				t.Errorf("second ack %+v, %v", again, err)
			}
			if _, err := o.Status(ctx, "ack-2@hopital-test.mssante.fr"); !errors.Is(err, ErrNotFound) {
				t.Errorf("the second ack enqueued its reply: %v", err)
			}
			if box, _ := o.Inbox(ctx, nil); len(box) != 0 {
				t.Errorf("acked message still listed: %+v", box)
			}
			if box, _ := o.Inbox(ctx, &InboxOptions{Acked: true}); len(box) != 1 || box[0].Ack == nil {
				t.Errorf("acked message not listed with Acked: %+v", box)
			}
			if _, err := o.IncomingMessage(ctx, 999999); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown incoming: %v", err)
			}
			if _, err := o.Ack(ctx, 999999, nil); !errors.Is(err, ErrNotFound) {
				t.Errorf("ack of unknown incoming: %v", err)
			}
		})
	}
}

// Hooks need a name and a function, once each.
func TestHookOptions(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/o.db"
	f := func(context.Context, []Event) error { return nil }
	for _, hooks := range [][]Hook{{{Deliver: f}}, {{Name: "a"}}, {{Name: "a", Deliver: f}, {Name: "a", Deliver: f}}} {
		if _, err := Open(context.Background(), dsn, &Options{Hooks: hooks}); err == nil {
			t.Errorf("Open accepted hooks %+v", hooks)
		}
	}
}

// Two mailboxes of one outbox receive their first message: the IMAP ids
// are alike (INBOX, UIDVALIDITY, UID 1), both are stored.
func TestFetchTwoMailboxes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	op := mssantetest.NewOperator(t, nil)
	o := mustOpen(t, "sqlite:"+t.TempDir()+"/o.db", &Options{Senders: map[string]mssante.Transport{
		mssantetest.DefaultApp: appTransport(t, op, mssantetest.DefaultApp),
		mssantetest.DefaultLab: appTransport(t, op, mssantetest.DefaultLab),
	}})
	for i, to := range []string{mssantetest.DefaultApp, mssantetest.DefaultLab} {
		raw := testMessage(fmt.Sprintf("two-%d@hopital-test.mssante.fr", i), mssantetest.DefaultApp, []string{to})
		if _, err := o.Enqueue(ctx, strings.NewReader(raw), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, mb := range []string{mssantetest.DefaultApp, mssantetest.DefaultLab} {
		if box, err := o.Inbox(ctx, &InboxOptions{Mailbox: mb}); err != nil || len(box) != 1 {
			t.Errorf("inbox of %s: %d messages, %v", mb, len(box), err)
		}
	}
}
