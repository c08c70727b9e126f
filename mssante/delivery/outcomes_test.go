package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/faultproxy"
	"github.com/mssante-go/sdk/internal/mailservers"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// runUntilFinal runs the outbox until every recipient of the messages is
// final, or fails the test after a minute.
func runUntilFinal(t *testing.T, o *Outbox, ids ...string) []*Message {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	end := time.Now().Add(time.Minute)
	for {
		var out []*Message
		final := true
		for _, id := range ids {
			m, err := o.Status(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
			final = final && m.Final()
		}
		if final {
			return out
		}
		if time.Now().After(end) {
			for _, m := range out {
				for _, r := range m.Recipients {
					t.Logf("%s %s: %s %v", m.MessageID, r.Address, r.Status, timeline(r))
				}
			}
			t.Fatal("not final after a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func recipientOf(t *testing.T, m *Message, addr string) Recipient {
	t.Helper()
	for _, r := range m.Recipients {
		if strings.EqualFold(r.Address, addr) {
			return r
		}
	}
	t.Fatalf("%s: no recipient %s", m.MessageID, addr)
	return Recipient{}
}

// Against the real Postfix: a 451 is retried with backoff until the retry
// deadline, then failed; a 550 is refused at once; the third recipient is
// submitted.
func TestRetriesAgainstPostfix(t *testing.T) {
	s := mailservers.Shared(t)
	cert, err := s.Client("dpi@" + s.Domain)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtpclient.New(&smtpclient.Options{Addr: s.SubmissionAddr, RecipientChecker: onlyDomain(s.Domain),
		TLS: tlsauth.TLSOptions{RootCAs: s.PKI.Pool, ServerName: "localhost", Certificate: &cert.TLS}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			o := mustOpen(t, dsn, &Options{Transport: c, FetchInterval: -1, ReceiptTimeout: 500 * time.Millisecond,
				Retry: RetryPolicy{Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond, Deadline: 3 * time.Second}})
			busy, unknown, ok := mailservers.TempFailUser+"@"+s.Domain, "nobody@"+s.Domain, "bob@"+s.Domain
			id := fmt.Sprintf("retry-%s-%d@%s", name, time.Now().UnixNano(), s.Domain)
			if _, err := o.Enqueue(context.Background(), strings.NewReader(testMessage(id, "dpi@"+s.Domain, []string{busy, unknown, ok})), nil); err != nil {
				t.Fatal(err)
			}
			m := runUntilFinal(t, o, id)[0]
			rb := recipientOf(t, m, busy)
			if rb.Status != StatusFailed {
				t.Errorf("busy: %s %v", rb.Status, timeline(rb))
			}
			deferrals := 0
			var waits []time.Duration
			for i, e := range rb.History {
				if e.Type == EventDeferred {
					deferrals++
					if e.Evidence.SMTPCode != 451 || e.Evidence.EnhancedCode != "4.3.2" {
						t.Errorf("deferral evidence %+v", e.Evidence)
					}
					waits = append(waits, e.Evidence.NextAttempt.Sub(rb.History[i].At))
				}
			}
			if deferrals < 3 {
				t.Errorf("busy deferred %d times, want several before the deadline: %v", deferrals, timeline(rb))
			}
			// Capped exponential: 100ms, 200ms, 400ms, 400ms... ±10%.
			for i, w := range waits {
				want := min(100*time.Millisecond<<i, 400*time.Millisecond)
				if w < want*8/10 || w > want*12/10 {
					t.Errorf("wait %d: %v, want about %v", i+1, w, want)
				}
			}
			if last := rb.History[len(rb.History)-1]; last.Type != EventFailed || last.Evidence.Reason != "retry deadline passed" {
				t.Errorf("busy last event %+v", last)
			}
			if ru := recipientOf(t, m, unknown); ru.Status != StatusRefused || ru.History[len(ru.History)-1].Evidence.SMTPCode != 550 {
				t.Errorf("unknown: %s %+v", ru.Status, ru.History)
			}
			if rk := recipientOf(t, m, ok); rk.Status != StatusSubmitted || !rk.Final {
				t.Errorf("ok: %s %v", rk.Status, timeline(rk))
			}
		})
	}
}

// bigMessage is a message larger than the fault proxy's threshold.
func bigMessage(id, from string, to []string) string {
	body := strings.Repeat(strings.Repeat("0123456789", 7)+"\r\n", 1000)
	return strings.Replace(testMessage(id, from, to), "Bonjour.\r\n", body, 1)
}

// operatorBehindProxy returns the embedded operator and a transport that
// reaches its SMTP server through a fault proxy that drops the reply to the
// first final dot.
func operatorBehindProxy(t *testing.T) (*mssantetest.Operator, mssante.Transport) {
	op := mssantetest.NewOperator(t, nil)
	p, err := faultproxy.Start(op.SMTPAddr(), faultproxy.Rule{Fault: faultproxy.DropReplyAfterUpload, Threshold: 32 << 10, Once: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	cert, err := op.ClientCert(mssantetest.DefaultApp)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtpclient.New(&smtpclient.Options{Addr: p.Addr(), RecipientChecker: op.RecipientChecker(),
		TLS: tlsauth.TLSOptions{RootCAs: op.RootCAs(), ServerName: "localhost", Certificate: &cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return op, c
}

// A reply lost after the final dot: the send is ambiguous, and by default
// sent again with the same Message-ID; the operator has two copies, and the
// history says why.
func TestUnknownOutcomeResentWithSameMessageID(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			op, tr := operatorBehindProxy(t)
			o := mustOpen(t, dsn, &Options{Transport: tr, FetchInterval: -1, ReceiptTimeout: 500 * time.Millisecond,
				Retry: RetryPolicy{Initial: 50 * time.Millisecond}})
			id := "unknown-" + name + "@hopital-test.mssante.fr"
			if _, err := o.Enqueue(context.Background(), strings.NewReader(bigMessage(id, mssantetest.DefaultApp, []string{mssantetest.DefaultLab})), nil); err != nil {
				t.Fatal(err)
			}
			m := runUntilFinal(t, o, id)[0]
			r := m.Recipients[0]
			if r.Status != StatusSubmitted || !r.Ambiguous {
				t.Fatalf("%s ambiguous=%v %v", r.Status, r.Ambiguous, timeline(r))
			}
			if tl := strings.Join(timeline(r), " "); tl != "queued sending ambiguous sending submitted settled" {
				t.Errorf("timeline %s", tl)
			}
			if e := r.History[2]; e.Evidence.Reason != ReasonUnknownOutcome || !strings.Contains(e.Evidence.Error, "outcome unknown") {
				t.Errorf("ambiguous evidence %+v", e.Evidence)
			}
			if !r.History[3].Evidence.Resend {
				t.Errorf("the second send is not marked as a re-send: %+v", r.History[3])
			}
			copies := op.Messages(mssantetest.DefaultLab)
			if len(copies) != 2 || normMessageID(copies[0].Header.Get("Message-Id")) != id || normMessageID(copies[1].Header.Get("Message-Id")) != id {
				t.Errorf("operator received %d copies, want 2 with Message-ID %s", len(copies), id)
			}
		})
	}
}

// With HoldAmbiguous the ambiguous recipient waits for review; Resend sends
// it, Cancel closes another.
func TestHoldAmbiguousForReview(t *testing.T) {
	ctx := context.Background()
	op, tr := operatorBehindProxy(t)
	o := mustOpen(t, databases(t)["sqlite"], &Options{Transport: tr, FetchInterval: -1, HoldAmbiguous: true})
	id := "held@hopital-test.mssante.fr"
	if _, err := o.Enqueue(ctx, strings.NewReader(bigMessage(id, mssantetest.DefaultApp, []string{mssantetest.DefaultLab, mssantetest.DefaultDoctor2})), nil); err != nil {
		t.Fatal(err)
	}
	if err := o.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	m, _ := o.Status(ctx, id)
	for _, r := range m.Recipients {
		if r.Status != StatusHeld || r.Final {
			t.Fatalf("%s: %s %v, want held", r.Address, r.Status, timeline(r))
		}
	}
	if n, err := o.Cancel(ctx, id, mssantetest.DefaultDoctor2); n != 1 || err != nil {
		t.Fatalf("cancel: %d %v", n, err)
	}
	if n, err := o.Resend(ctx, id); n != 1 || err != nil {
		t.Fatalf("resend: %d %v", n, err)
	}
	if err := o.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	m, _ = o.Status(ctx, id)
	if got := statuses(m); got[mssantetest.DefaultLab] != StatusSubmitted || got[mssantetest.DefaultDoctor2] != StatusCanceled {
		t.Errorf("after review: %v", got)
	}
	if tl := strings.Join(timeline(recipientOf(t, m, mssantetest.DefaultLab)), " "); tl != "queued sending ambiguous held queued sending submitted" {
		t.Errorf("timeline %s", tl)
	}
	if n := len(op.Messages(mssantetest.DefaultDoctor2)); n != 1 {
		t.Errorf("doctor 2 has %d copies, want the one of the ambiguous send", n)
	}
}

// refuseDomain refuses the addresses of one domain as outside the trust
// space (as annuaire.RecipientChecker does with the liste blanche).
type refuseDomain string

var errOutside = errors.New("outside the MSSanté trust space")

func (d refuseDomain) CheckRecipient(_ context.Context, addr string) error {
	if strings.HasSuffix(strings.ToLower(addr), "@"+string(d)) {
		return fmt.Errorf("%w: %s", errOutside, addr)
	}
	return nil
}

// onlyDomain accepts the addresses of one domain: the trust space of a test
// against Postfix.
type onlyDomain string

func (d onlyDomain) CheckRecipient(_ context.Context, addr string) error {
	if !strings.HasSuffix(strings.ToLower(addr), "@"+string(d)) {
		return fmt.Errorf("%w: %s", errOutside, addr)
	}
	return nil
}

// The RecipientChecker runs before anything is sent: a refused recipient
// is final and never reaches the operator.
func TestTrustSpaceCheckedBeforeSending(t *testing.T) {
	ctx := context.Background()
	op := mssantetest.NewOperator(t, nil)
	o := mustOpen(t, databases(t)["sqlite"], &Options{Transport: appTransport(t, op, mssantetest.DefaultApp),
		RecipientChecker: refuseDomain("medecin-test.mssante.fr"), FetchInterval: -1})
	id := "trust@hopital-test.mssante.fr"
	if _, err := o.Enqueue(ctx, strings.NewReader(testMessage(id, mssantetest.DefaultApp, []string{mssantetest.DefaultDoctor2, mssantetest.DefaultLab})), nil); err != nil {
		t.Fatal(err)
	}
	if err := o.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	m, _ := o.Status(ctx, id)
	r := recipientOf(t, m, mssantetest.DefaultDoctor2)
	if e := r.History[len(r.History)-1]; r.Status != StatusRefused || e.Evidence.Reason != reasonChecker || !strings.Contains(e.Evidence.Error, errOutside.Error()) {
		t.Errorf("doctor: %s %+v", r.Status, r.History)
	}
	if n := len(op.Messages(mssantetest.DefaultDoctor2)); n != 0 {
		t.Errorf("the refused recipient received %d messages", n)
	}
	if s := statuses(m)[mssantetest.DefaultLab]; s != StatusSubmitted {
		t.Errorf("lab: %s", s)
	}
}

// The database itself keeps a final status final and the history
// append-only, whatever the code does.
func TestFinalStatusEnforcedByDatabase(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			o := mustOpen(t, dsn, nil)
			id := "final-" + name + "@x.mssante.fr"
			if _, err := o.Enqueue(ctx, strings.NewReader(testMessage(id, "a@x.mssante.fr", []string{"b@x.mssante.fr"})), nil); err != nil {
				t.Fatal(err)
			}
			if n, err := o.Cancel(ctx, id); n != 1 || err != nil {
				t.Fatalf("cancel: %d %v", n, err)
			}
			_, err := o.db.exec(ctx, "UPDATE mss_recipient SET status = 'submitted' WHERE norm = 'b@x.mssante.fr'")
			if err == nil || !isFinalViolation(err) {
				t.Errorf("changing a final status: %v", err)
			}
			if _, err := o.db.exec(ctx, "UPDATE mss_recipient SET status = 'nonsense'"); err == nil {
				t.Error("an unknown status was accepted")
			}
			if _, err := o.db.exec(ctx, "UPDATE mss_event SET type = 'x'"); err == nil {
				t.Error("an event was modified")
			}
			if n, err := o.Cancel(ctx, id); n != 0 || err != nil {
				t.Errorf("second cancel: %d %v", n, err)
			}
			m, _ := o.Status(ctx, id)
			if r := m.Recipients[0]; r.Status != StatusCanceled || !r.Final || len(r.History) != 2 {
				t.Errorf("%s final=%v %v", r.Status, r.Final, timeline(r))
			}
		})
	}
}
