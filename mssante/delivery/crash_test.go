package delivery

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/mssconfig"
	"github.com/mssante-go/sdk/internal/pgtest"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
)

// The crash and scale-out tests run the outbox's workers in child
// processes (this test binary, re-executed) against the embedded operator
// of the parent, and check from the parent what the operator received and
// what the database says.

const (
	envChild    = "MSS_DELIVERY_CHILD"     // "run" or "idle"
	envDSN      = "MSS_DELIVERY_DSN"       // the outbox
	envOperator = "MSS_DELIVERY_OPERATOR"  // the operator's WriteFiles directory
	envID       = "MSS_DELIVERY_WORKER_ID" // the worker's name
)

// Short timeouts make a killed worker's jobs come back quickly; they are
// still well above a submission on loopback.
const (
	childSendTimeout = 3 * time.Second
	childStuckAfter  = 6 * time.Second
	// No receipt is asked for: after this, a submitted recipient that got
	// no failure notice is final (settled).
	childReceiptTimeout = time.Second
)

func init() {
	childMain = func() bool {
		mode := os.Getenv(envChild)
		if mode == "" {
			return false
		}
		if err := runChild(mode); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
		return true
	}
}

// runChild is the worker process: it sends as the operator's DPI mailbox,
// either until killed ("run") or until idle ("idle").
func runChild(mode string) error {
	// The operator's own operator.json is the configuration, as for
	// mss delivery run.
	cfg, err := mssconfig.Load(filepath.Join(os.Getenv(envOperator), mssantetest.DescriptionFile))
	if err != nil {
		return err
	}
	sopt, err := cfg.SMTPOptions(mssantetest.DefaultApp, mssconfig.Credentials{})
	if err != nil {
		return err
	}
	sopt.MaxConns = 4
	smtp, err := smtpclient.New(&sopt)
	if err != nil {
		return err
	}
	defer smtp.Close()
	ctx := context.Background()
	o, err := Open(ctx, os.Getenv(envDSN), &Options{
		Transport: smtp, Workers: 4, ID: os.Getenv(envID),
		SendTimeout: childSendTimeout, StuckAfter: childStuckAfter, FetchInterval: -1, ReceiptTimeout: childReceiptTimeout,
		Retry: RetryPolicy{Initial: 200 * time.Millisecond, Max: time.Second},
	})
	if err != nil {
		return err
	}
	defer o.Close()
	if mode == "idle" {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		return o.RunUntilIdle(ctx)
	}
	return o.Run(ctx) // until killed
}

// operatorFiles starts the embedded operator and writes its files (PKI,
// operator.json) for the worker processes.
func operatorFiles(t *testing.T, opts *mssantetest.Options) (*mssantetest.Operator, string) {
	op := mssantetest.NewOperator(t, opts)
	dir := t.TempDir()
	if _, err := op.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return op, dir
}

// child is a worker process.
type child struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func startChild(t *testing.T, mode, dsn, opDir, id string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$")}
	c.cmd.Env = append(os.Environ(), envChild+"="+mode, envDSN+"="+dsn, envOperator+"="+opDir, envID+"="+id)
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

// crashSetup starts the operator, writes its files, and fills the outbox
// with n messages to three recipients; every tenth message has an unknown
// third recipient, refused at RCPT (a final "refused").
func crashSetup(t *testing.T, dsn string, n int) (*mssantetest.Operator, string, []string) {
	op, dir := operatorFiles(t, &mssantetest.Options{RejectUnknownAtRCPT: true})
	o := mustOpen(t, dsn, nil)
	ids := make([]string, n)
	start := time.Now()
	enqueueParallel(t, o, n, func(i int) (string, string) {
		to := []string{mssantetest.DefaultLab, mssantetest.DefaultDoctor2, mssantetest.DefaultService}
		if i%10 == 0 {
			to[2] = "inconnu@hopital-test.mssante.fr"
		}
		id := fmt.Sprintf("crash-%04d@hopital-test.mssante.fr", i)
		ids[i] = id
		return id, testMessage(id, mssantetest.DefaultApp, to)
	})
	t.Logf("enqueued %d messages in %v", n, time.Since(start).Round(time.Millisecond))
	o.Close()
	return op, dir, ids
}

// enqueueParallel enqueues n messages from 4 goroutines.
func enqueueParallel(t *testing.T, o *Outbox, n int, msg func(i int) (id, raw string)) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_, raw := msg(i)
				if _, err := o.Enqueue(context.Background(), strings.NewReader(raw), nil); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

// verify checks the end state: every recipient final with the expected
// status, and every copy the operator received more than once recorded as
// ambiguous. It returns the number of ambiguous recipients and duplicates.
func verify(t *testing.T, op *mssantetest.Operator, dsn string, ids []string, recipients []string, unknownEvery int) (ambiguous, dups int) {
	t.Helper()
	ctx := context.Background()
	o := mustOpen(t, dsn, &Options{ReceiptTimeout: childReceiptTimeout})
	// Settle the last submissions, as the periodic sweep would.
	time.Sleep(childReceiptTimeout)
	if _, err := o.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	received := map[string]int{} // rcpt|Message-ID → copies
	for _, a := range recipients {
		for _, m := range op.Messages(a) {
			received[strings.ToLower(a)+"|"+normMessageID(m.Header.Get("Message-Id"))]++
		}
	}
	msgs, err := o.List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(ids) {
		t.Fatalf("%d messages in the outbox, want %d", len(msgs), len(ids))
	}
	bad := 0
	for _, m := range msgs {
		i, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(m.MessageID, "@")[0], strings.Split(ids[0], "-")[0]+"-"))
		for _, r := range m.Recipients {
			want := StatusSubmitted
			if strings.HasPrefix(r.Address, "inconnu@") {
				want = StatusRefused
			}
			copies := received[strings.ToLower(r.Address)+"|"+m.MessageID]
			wasAmbiguous := false
			for _, e := range r.History {
				if e.Type == EventAmbiguous {
					wasAmbiguous = true
				}
			}
			if r.Ambiguous != wasAmbiguous {
				t.Errorf("%s %s: Ambiguous %v but history %v", m.MessageID, r.Address, r.Ambiguous, timeline(r))
			}
			if wasAmbiguous {
				ambiguous++
			}
			switch {
			case !r.Final || r.Status != want:
				bad++
				if bad < 10 {
					t.Errorf("%s %s: %s (final %v), want %s; history %v", m.MessageID, r.Address, r.Status, r.Final, want, timeline(r))
				}
			case want == StatusSubmitted && copies == 0:
				bad++
				t.Errorf("%s %s: submitted but the operator never received it; history %v", m.MessageID, r.Address, timeline(r))
			case copies > 1:
				dups += copies - 1
				if !wasAmbiguous {
					bad++
					t.Errorf("%s %s: received %d times, never recorded as ambiguous; history %v", m.MessageID, r.Address, copies, timeline(r))
				}
			}
		}
		_ = i
		_ = unknownEvery
	}
	if bad > 0 {
		t.Fatalf("%d recipients wrong", bad)
	}
	return ambiguous, dups
}

// crashTest kills a worker process with SIGKILL at random moments while it
// sends n messages to 3 recipients, until at least minKills kills landed
// while it was sending, then lets a last one finish. A kill comes after the
// operator received a random number of messages (1 to about twice
// n/(minKills+10)) from that worker, plus 0–30 ms: at a random point of the
// work, never after it is all done, and often in the window between a
// submission and the commit of its outcome, the worst moment.
func crashTest(t *testing.T, dsn string, n, minKills int) {
	op, dir, ids := crashSetup(t, dsn, n)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 19))
	start := time.Now()
	sent := func() int { return len(op.Messages(mssantetest.DefaultLab)) }
	kills, duringWork := 0, 0
	for {
		before := sent()
		target := before + 1 + rng.IntN(2*n/(minKills+10))
		c := startChild(t, "run", dsn, dir, fmt.Sprintf("worker-%d", kills))
		deadline := time.Now().Add(5 * time.Second)
		for sent() < target && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		c.kill()
		kills++
		progressed := sent() > before
		if progressed {
			duringWork++
		}
		if kills == 1 || kills%5 == 0 {
			t.Logf("kill %d after %v: the operator received %d messages", kills, time.Since(start).Round(time.Millisecond), sent())
		}
		if !progressed && duringWork >= minKills || kills >= 4*minKills {
			break
		}
	}
	if duringWork < minKills {
		t.Fatalf("only %d of %d kills landed while messages were being sent, want %d", duringWork, kills, minKills)
	}
	c := startChild(t, "idle", dsn, dir, "worker-last")
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("last worker: %v\n%s", err, c.out.String())
		}
	case <-time.After(6 * time.Minute):
		c.cmd.Process.Kill()
		t.Fatalf("last worker did not finish\n%s", c.out.String())
	}
	t.Logf("%d kills (%d while sending), all done after %v", kills, duringWork, time.Since(start).Round(time.Millisecond))
	amb, dups := verify(t, op, dsn, ids, []string{mssantetest.DefaultLab, mssantetest.DefaultDoctor2, mssantetest.DefaultService}, 10)
	t.Logf("%d recipients ambiguous (re-sent with the same Message-ID), %d duplicate copies at the operator, all recorded", amb, dups)
}

func TestCrashSQLite(t *testing.T) {
	crashTest(t, "sqlite:"+filepath.Join(t.TempDir(), "outbox.db"), 1000, 20)
}

func TestCrashPostgres(t *testing.T) {
	crashTest(t, pgtest.Database(t), 1000, 20)
}

// TestScaleOutPostgres runs three worker processes on one PostgreSQL
// database: every message is submitted once, by one of them, and every
// recipient ends final.
func TestScaleOutPostgres(t *testing.T) {
	const n = 5000
	dsn := pgtest.Database(t)
	op, dir := operatorFiles(t, nil)
	o := mustOpen(t, dsn, nil)
	ids := make([]string, n)
	start := time.Now()
	enqueueParallel(t, o, n, func(i int) (string, string) {
		id := fmt.Sprintf("scale-%05d@hopital-test.mssante.fr", i)
		ids[i] = id
		return id, testMessage(id, mssantetest.DefaultApp, []string{mssantetest.DefaultLab, mssantetest.DefaultDoctor2})
	})
	t.Logf("enqueued %d messages in %v", n, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	var children []*child
	for i := range 3 {
		children = append(children, startChild(t, "idle", dsn, dir, fmt.Sprintf("worker-%d", i)))
	}
	for i, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("worker %d: %v\n%s", i, err, c.out.String())
		}
	}
	elapsed := time.Since(start)
	t.Logf("3 workers sent %d messages (%d submissions) in %v: %.0f messages/s", n, 2*n, elapsed.Round(time.Millisecond), n/elapsed.Seconds())
	amb, dups := verify(t, op, dsn, ids, []string{mssantetest.DefaultLab, mssantetest.DefaultDoctor2}, 0)
	if amb != 0 || dups != 0 {
		t.Errorf("%d ambiguous, %d duplicates without any crash", amb, dups)
	}
	// Each recipient was submitted once, by one worker; all three worked.
	msgs, err := o.List(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, m := range msgs {
		for _, r := range m.Recipients {
			subs := 0
			for _, e := range r.History {
				if e.Type == EventSubmitted {
					subs++
					per[e.Evidence.Worker]++
				}
			}
			if subs != 1 {
				t.Errorf("%s %s submitted %d times: %v", m.MessageID, r.Address, subs, timeline(r))
			}
		}
	}
	t.Logf("submissions per worker: %v", per)
	if len(per) != 3 {
		t.Errorf("the work was shared by %d workers, want 3: %v", len(per), per)
	}
}
