package smtpclient

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/faultproxy"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// The fault tests put a TCP proxy between the client and a real server and
// cut the connection at two points of DATA, to check that the transport says
// what is known: after the final dot the outcome is unknown (and the server
// did take the message), before it the failure is temporary (and the server
// did not).

// faultMessage is a message of size bytes, larger than the proxy's
// threshold, so that its body is the only upload that trips it.
func faultMessage(from, to, id string, size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: " + from + "\r\nTo: " + to + "\r\nSubject: " + id + "\r\nMessage-ID: <" + id + "@fault.test>\r\n\r\n")
	line := strings.Repeat("0123456789", 7) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.Bytes()
}

// The message sizes of the two faults. A cut after the final dot needs any
// message over the threshold. A cut in the middle of DATA is seen by the
// client as a failed write only when the message is larger than what the
// socket buffers absorb (several MiB on loopback); a smaller message is all
// written, final dot included, before the reset arrives, and the client
// rightly reports an unknown outcome.
const (
	smallFaultMessage = 64 << 10
	largeFaultMessage = 8 << 20
)

const faultThreshold = 16 << 10

func startProxy(t *testing.T, target string, f faultproxy.Fault) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(target, faultproxy.Rule{Fault: f, Threshold: faultThreshold, Once: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// checkUnknown asserts the result of a send whose reply was cut after the
// final dot.
func checkUnknown(t *testing.T, res *mssante.SendResult, err error) {
	t.Helper()
	if res == nil || len(res.Recipients) != 1 {
		t.Fatalf("result %+v, err %v", res, err)
	}
	r := res.Recipients[0]
	var ce *tlsauth.ConnError
	var ue *mssante.UnknownOutcomeError
	if r.Status != mssante.StatusUnknown || !mssante.IsOutcomeUnknown(err) || mssante.IsTemporary(err) ||
		!errors.As(err, &ue) || !errors.As(err, &ce) {
		t.Fatalf("status %v, err %v: want StatusUnknown, ErrOutcomeUnknown, not temporary", r.Status, err)
	}
}

// checkTemporary asserts the result of a send cut in the middle of DATA.
func checkTemporary(t *testing.T, res *mssante.SendResult, err error) {
	t.Helper()
	if res == nil || len(res.Recipients) != 1 {
		t.Fatalf("result %+v, err %v", res, err)
	}
	var ce *tlsauth.ConnError
	if r := res.Recipients[0]; r.Status != mssante.StatusTemporaryFailure || !mssante.IsTemporary(err) ||
		mssante.IsOutcomeUnknown(err) || !errors.As(err, &ce) {
		t.Fatalf("status %v, err %v: want a temporary ConnError", r.Status, err)
	}
}

// faultCases are the two cuts, with what the server must have received.
var faultCases = []struct {
	fault     faultproxy.Fault
	size      int
	delivered bool
	check     func(*testing.T, *mssante.SendResult, error)
}{
	{faultproxy.DropReplyAfterUpload, smallFaultMessage, true, checkUnknown},
	{faultproxy.CutMidUpload, largeFaultMessage, false, checkTemporary},
}

// runFaults sends, for each case, a message through a fault proxy in front
// of target and checks the result and whether delivered(id) says the server
// has the message.
func runFaults(t *testing.T, target string, opt Options, from, to string, delivered func(ctx context.Context, id string, want bool) bool) {
	for _, tc := range faultCases {
		p := startProxy(t, target, tc.fault)
		o := opt
		o.Addr = p.Addr()
		o.Retry.Attempts = -1 // the outcome of one attempt: recovery_test.go tests the retries
		c := newClient(t, o)
		id := "fault-" + time.Now().Format("150405.000000000")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := c.Send(ctx, &mssante.Envelope{From: from, To: []string{to}}, bytes.NewReader(faultMessage(from, to, id, tc.size)))
		if p.Cuts() != 1 {
			cancel()
			t.Fatalf("fault %d: %d cuts, want 1 (err %v)", tc.fault, p.Cuts(), err)
		}
		tc.check(t, res, err)
		// After the final dot the server has the message although the
		// client never saw the reply: sending again would deliver it twice.
		// Cut before the dot, it never arrives.
		if got := delivered(ctx, id, tc.delivered); got != tc.delivered {
			t.Errorf("fault %d: delivered %v, want %v", tc.fault, got, tc.delivered)
		}
		// The next message goes through on a fresh session.
		if _, err := c.Send(ctx, &mssante.Envelope{From: from, To: []string{to}},
			bytes.NewReader(faultMessage(from, to, id+"-again", smallFaultMessage))); err != nil {
			t.Errorf("after the cut: %v", err)
		}
		cancel()
	}
}

func TestFaultOperatorReplyLostAfterDot(t *testing.T) {
	op := mssantetest.NewOperator(t, nil)
	cert, err := op.ClientCert(mssantetest.DefaultApp)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{TLS: tlsauth.TLSOptions{RootCAs: op.RootCAs(), ServerName: "localhost", Certificate: &cert},
		RecipientChecker: op.RecipientChecker()}
	runFaults(t, op.SMTPAddr(), opt, mssantetest.DefaultApp, mssantetest.DefaultLab, func(_ context.Context, id string, _ bool) bool {
		for _, m := range op.Messages(mssantetest.DefaultLab) {
			if m.Subject() == id {
				return true
			}
		}
		return false
	})
}

func TestFaultPostfixReplyLostAfterDot(t *testing.T) {
	s, opt := postfixOptions(t)
	to := "alice@" + s.Domain
	runFaults(t, s.SubmissionAddr, opt, "dpi@"+s.Domain, to, func(ctx context.Context, id string, want bool) bool {
		found := waitMaildir(ctx, s.Mailbox(to), id, want)
		if found != want {
			t.Log(s.Logs())
		}
		return found
	})
}

// waitMaildir looks for a message with Subject id in a maildir: until it is
// found when want is true, for two seconds otherwise.
func waitMaildir(ctx context.Context, dir, id string, want bool) bool {
	end := time.Now().Add(2 * time.Second)
	for ctx.Err() == nil && (want || time.Now().Before(end)) {
		files, _ := filepath.Glob(filepath.Join(dir, "new", "*"))
		for _, f := range files {
			if data, _ := os.ReadFile(f); strings.Contains(string(data), "Subject: "+id+"\r\n") || strings.Contains(string(data), "Subject: "+id+"\n") {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
