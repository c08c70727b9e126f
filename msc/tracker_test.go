package msc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/ins"
)

const pharmacy = "officine@pharmacie-fictive.mssante.fr"

func newTracker() (*Tracker, *MemoryStore) {
	st := &MemoryStore{}
	clock := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	return &Tracker{
		Store:      st,
		IsPharmacy: func(mb string) bool { return mb == pharmacy },
		Now:        func() time.Time { clock = clock.Add(time.Minute); return clock },
	}, st
}

func state(t *testing.T, tr *Tracker, mailbox string) Conversation {
	t.Helper()
	c, err := tr.Conversation(context.Background(), patientAddr, mailbox)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTrackerLifecycle(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker()
	if c := state(t, tr, proAddr); c.State != StateNone {
		t.Fatalf("initial: %v", c.State)
	}
	// The professional writes, with a colleague in copy.
	if err := tr.Sent(ctx, proAddr, HeaderMap{"To": patientAddr, "Cc": orgAddr, "Subject": "Résultats"}); err != nil {
		t.Fatal(err)
	}
	if c := state(t, tr, proAddr); c.State != StateOpen || c.LastSent.IsZero() {
		t.Fatalf("after sending: %+v", c)
	}
	// The patient answers.
	in, err := tr.Received(ctx, proAddr, HeaderMap{"From": "D. PAT-TROIS <" + patientAddr + ">", "In-Reply-To": "<x@y>"})
	if err != nil || in.Status != InboundReply || !in.Threaded {
		t.Fatalf("reply: %+v, %v", in, err)
	}
	// X-MSS-MES: FIN closes.
	tr.Sent(ctx, proAddr, HeaderMap{"To": patientAddr, "Subject": "Dernier message", "X-MSS-MES": "FIN"})
	if c := state(t, tr, proAddr); c.State != StateClosed || c.ClosedBy != ClosingHeader {
		t.Fatalf("after FIN: %+v", c)
	}
	// A patient message after close is accepted and flagged.
	in, _ = tr.Received(ctx, proAddr, HeaderMap{"From": patientAddr})
	if in.Status != InboundAfterClose || in.Conversation.State != StateClosed {
		t.Fatalf("after close: %+v", in)
	}
	// Writing again reopens; "RE: [FIN]" does not close.
	tr.Sent(ctx, proAddr, HeaderMap{"To": patientAddr, "Subject": "RE: [FIN]"})
	if c := state(t, tr, proAddr); c.State != StateOpen {
		t.Fatalf("reopen: %+v", c)
	}
	// A [FIN] message closes.
	tr.Sent(ctx, proAddr, HeaderMap{"To": patientAddr, "Subject": "[FIN]"})
	if c := state(t, tr, proAddr); c.State != StateClosed || c.ClosedBy != ClosingSubject {
		t.Fatalf("[FIN]: %+v", c)
	}
	// Per mailbox: another mailbox has its own state.
	if c := state(t, tr, orgAddr); c.State != StateNone {
		t.Fatalf("other mailbox: %+v", c)
	}
}

func TestTrackerInbound(t *testing.T) {
	ctx := context.Background()
	tr, st := newTracker()
	in, err := tr.Received(ctx, pharmacy, HeaderMap{"From": patientAddr, "Subject": "Ordonnance"})
	if err != nil || in.Status != InboundPatientInitiated || !in.Conversation.PatientInitiated || in.Conversation.State != StateOpen || in.Threaded {
		t.Fatalf("pharmacy: %+v, %v", in, err)
	}
	in, err = tr.Received(ctx, proAddr, HeaderMap{"From": patientAddr})
	if err != nil || in.Status != InboundUnsolicited {
		t.Fatalf("unsolicited: %+v, %v", in, err)
	}
	if _, err := tr.Received(ctx, proAddr, HeaderMap{"From": orgAddr}); !errors.Is(err, ErrNotFromPatient) {
		t.Fatalf("professional sender: %v", err)
	}
	if _, err := tr.Received(ctx, proAddr, HeaderMap{"From": "288091234567823@patient.mssante.fr"}); !errors.Is(err, ErrNotFromPatient) {
		t.Fatalf("bad key sender: %v", err)
	}
	if n := len(st.List(pharmacy)); n != 1 {
		t.Fatalf("List(pharmacy) = %d", n)
	}
	if n := len(st.List("")); n != 2 {
		t.Fatalf("List() = %d", n)
	}
}

func TestTrackerBounce(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker()
	tr.Sent(ctx, proAddr, HeaderMap{"To": patientAddr})
	b, err := classifyFile(t, &Classifier{}, "dsn-delayed.eml")
	if err != nil {
		t.Fatal(err)
	}
	tr.Bounced(ctx, proAddr, b)
	if c := state(t, tr, proAddr); c.State != StateOpen {
		t.Fatalf("temporary bounce changed the state: %+v", c)
	}
	b, _ = classifyFile(t, &Classifier{}, "dsn-closed.eml")
	tr.Bounced(ctx, proAddr, b)
	if c := state(t, tr, proAddr); c.State != StateUndeliverable || c.Bounce != KindClosed {
		t.Fatalf("closed mailbox: %+v", c)
	}
	tr.Sent(ctx, proAddr, HeaderMap{"To": patientAddr})
	if c := state(t, tr, proAddr); c.State != StateOpen || c.Bounce != "" {
		t.Fatalf("write again: %+v", c)
	}
	if _, err := tr.Conversation(ctx, "2790351215189", proAddr); !errors.Is(err, ins.ErrLength) {
		t.Fatalf("bad matricule: %v", err)
	}
	if c, err := tr.Conversation(ctx, "279035121518989", proAddr); err != nil || c.State != StateOpen {
		t.Fatalf("by matricule: %+v, %v", c, err)
	}
}

func TestMemoryStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	tr, st := newTracker()
	var mu sync.Mutex // the test clock is not concurrent
	now := tr.Now
	tr.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now() }
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			mb := fmt.Sprintf("bal%d@hopital-fictif.mssante.fr", i%4)
			for j := 0; j < 50; j++ {
				h := HeaderMap{"To": patientAddr}
				if j%2 == 1 {
					h["X-MSS-MES"] = "FIN"
				}
				if err := tr.Sent(ctx, mb, h); err != nil {
					t.Error(err)
				}
				tr.Received(ctx, mb, HeaderMap{"From": patientAddr})
			}
		}(i)
	}
	wg.Wait()
	if n := len(st.List("")); n != 4 {
		t.Fatalf("%d conversations, want 4", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := tr.Sent(cctx, proAddr, HeaderMap{"To": patientAddr}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestConversationJSON(t *testing.T) {
	c := Conversation{Key: NewKey("279035121518989", "Dr <"+proAddr+">"), State: StateClosed, ClosedBy: ClosingSubject}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"patient":"279035121518989","mailbox":"` + proAddr + `","state":"closed","closed_by":"subject [FIN]"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

// A Tracker without a Store fails with ErrNoStore instead of panicking.
func TestTrackerWithoutStore(t *testing.T) {
	ctx := context.Background()
	var tr Tracker
	if err := tr.Sent(ctx, proAddr, HeaderMap{"To": patientAddr}); !errors.Is(err, ErrNoStore) {
		t.Errorf("Sent: %v", err)
	}
	if _, err := tr.Received(ctx, proAddr, HeaderMap{"From": patientAddr}); !errors.Is(err, ErrNoStore) {
		t.Errorf("Received: %v", err)
	}
	if err := tr.Bounced(ctx, proAddr, &Bounce{}); !errors.Is(err, ErrNoStore) {
		t.Errorf("Bounced: %v", err)
	}
	if _, err := tr.Conversation(ctx, patientAddr, proAddr); !errors.Is(err, ErrNoStore) {
		t.Errorf("Conversation: %v", err)
	}
	tr.Store = &MemoryStore{}
	if err := tr.Bounced(ctx, proAddr, nil); err != nil {
		t.Errorf("nil bounce: %v", err)
	}
}
