package imapclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

const memUser = "alice@hopital.mssante.test"

var (
	pkiOnce sync.Once
	memPKI  *testpki.PKI
	memCert *testpki.Issued
)

// memServer is go-imap's in-memory server on loopback with STARTTLS.
type memServer struct {
	addr string
	user *imapmemserver.User
	pki  *testpki.PKI
}

func newMemServer(t *testing.T) *memServer {
	t.Helper()
	pkiOnce.Do(func() {
		p, err := testpki.New("Test IGC Santé Root")
		if err != nil {
			return
		}
		if memCert, err = p.Server(); err == nil {
			memPKI = p
		}
	})
	if memPKI == nil {
		t.Fatal("test PKI")
	}
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(memUser, "secret")
	for _, mb := range []string{"INBOX", "Archives"} {
		if err := user.Create(mb, nil); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:      imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}, imap.CapMove: {}, imap.CapUIDPlus: {}},
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{memCert.TLS}},
		Logger:    nopLogger{},
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return &memServer{addr: l.Addr().String(), user: user, pki: memPKI}
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

type literal struct {
	*bytes.Reader
}

func (ms *memServer) deliver(t *testing.T, mailbox, subject string) {
	t.Helper()
	msg := fmt.Sprintf("From: dr@cabinet.mssante.test\r\nTo: %s\r\nSubject: %s\r\n\r\nCompte rendu.\r\n", memUser, subject)
	if _, err := ms.user.Append(mailbox, literal{bytes.NewReader([]byte(msg))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (ms *memServer) options() Options {
	return Options{
		Addr: ms.addr,
		TLS:  tlsauth.TLSOptions{RootCAs: ms.pki.Pool, ServerName: "localhost"},
		Auth: tlsauth.Auth{Mechanism: tlsauth.Plain, Username: memUser, Password: "secret"},
	}
}

func newClient(t *testing.T, opt Options) *Client {
	t.Helper()
	c, err := New(&opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// collector stores what it is handed, like a caller's archive.
type collector struct {
	mu      sync.Mutex
	ids     []string
	bodies  []string
	failOn  int // fail the n-th message handed (1-based), 0: never
	handled int
}

func (col *collector) handle(_ context.Context, m *mssante.Received) error {
	col.mu.Lock()
	defer col.mu.Unlock()
	col.handled++
	if col.handled == col.failOn {
		return errors.New("disk full")
	}
	data, err := io.ReadAll(m.Body)
	if err != nil {
		return err
	}
	if m.Size != int64(len(data)) || m.Date.IsZero() {
		return fmt.Errorf("message %s: size %d for %d bytes read, date %v", m.ID, m.Size, len(data), m.Date)
	}
	col.ids = append(col.ids, m.ID)
	col.bodies = append(col.bodies, string(data))
	return nil
}

func (col *collector) count() int {
	col.mu.Lock()
	defer col.mu.Unlock()
	return len(col.ids)
}

func unseen(t *testing.T, ms *memServer, mailbox string) uint32 {
	t.Helper()
	st, err := ms.user.Status(mailbox, &imap.StatusOptions{NumUnseen: true, NumMessages: true})
	if err != nil {
		t.Fatal(err)
	}
	return *st.NumUnseen
}

func TestReceiveMarksSeenAfterHandler(t *testing.T) {
	ms := newMemServer(t)
	for i := range 3 {
		ms.deliver(t, "INBOX", fmt.Sprint("cr-", i))
	}
	c := newClient(t, ms.options())
	col := &collector{}
	n, err := c.ReceiveCount(context.Background(), col.handle)
	if err != nil || n != 3 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	for i, b := range col.bodies {
		if !bytes.Contains([]byte(b), []byte(fmt.Sprint("Subject: cr-", i))) {
			t.Errorf("message %d out of order or wrong: %q", i, b)
		}
	}
	if col.ids[0] == col.ids[1] || col.ids[0][:6] != "INBOX/" {
		t.Errorf("ids %v", col.ids)
	}
	if u := unseen(t, ms, "INBOX"); u != 0 {
		t.Errorf("%d messages still unseen", u)
	}
	// Nothing new: nothing handed.
	if n, err := c.ReceiveCount(context.Background(), col.handle); n != 0 || err != nil {
		t.Fatalf("second run: n=%d err=%v", n, err)
	}
}

func TestHandlerErrorKeepsMessagesNew(t *testing.T) {
	ms := newMemServer(t)
	for i := range 3 {
		ms.deliver(t, "INBOX", fmt.Sprint("cr-", i))
	}
	c := newClient(t, ms.options())
	col := &collector{failOn: 2}
	n, err := c.ReceiveCount(context.Background(), col.handle)
	var he *HandlerError
	if !errors.As(err, &he) || n != 1 {
		t.Fatalf("n=%d err=%v, want a HandlerError after 1", n, err)
	}
	if u := unseen(t, ms, "INBOX"); u != 2 {
		t.Fatalf("%d unseen, want 2 (the failed one and the next)", u)
	}
	// The next run hands the two again, with stable ids.
	if n, err := c.ReceiveCount(context.Background(), col.handle); n != 2 || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if he.ID != col.ids[1] {
		t.Errorf("the failed message came back as %s, was %s", col.ids[1], he.ID)
	}
}

func TestReceiveMovesWhenAsked(t *testing.T) {
	ms := newMemServer(t)
	ms.deliver(t, "INBOX", "a")
	ms.deliver(t, "INBOX", "b")
	opt := ms.options()
	opt.MoveTo = "Archives"
	c := newClient(t, opt)
	col := &collector{}
	if n, err := c.ReceiveCount(context.Background(), col.handle); n != 2 || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	st, _ := ms.user.Status("Archives", &imap.StatusOptions{NumMessages: true})
	in, _ := ms.user.Status("INBOX", &imap.StatusOptions{NumMessages: true})
	if *st.NumMessages != 2 || *in.NumMessages != 0 {
		t.Fatalf("Archives %d, INBOX %d", *st.NumMessages, *in.NumMessages)
	}
}

func TestWatchWithIdle(t *testing.T) {
	ms := newMemServer(t)
	opt := ms.options()
	opt.PollInterval = time.Hour // only IDLE can wake it up
	c := newClient(t, opt)
	col := &collector{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Watch(ctx, col.handle) }()
	for i := range 2 {
		time.Sleep(200 * time.Millisecond)
		ms.deliver(t, "INBOX", fmt.Sprint("idle-", i))
		for col.count() < i+1 && ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if col.count() != 2 {
		t.Fatalf("handled %d messages, want 2", col.count())
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v", err)
	}
}

func TestNewValidation(t *testing.T) {
	ms := newMemServer(t)
	opt := ms.options()
	opt.Addr = "imap.operateur.example"
	if _, err := New(&opt); !errors.Is(err, tlsauth.ErrPlainNotLoopback) {
		t.Errorf("PLAIN on a remote host: %v", err)
	}
	opt = ms.options()
	opt.TLS.RootCAs = nil
	if _, err := New(&opt); !errors.Is(err, tlsauth.ErrNoRootCAs) {
		t.Errorf("no roots: %v", err)
	}
	opt = ms.options()
	opt.Auth = tlsauth.Auth{}
	if _, err := New(&opt); err == nil {
		t.Error("no SASL mechanism accepted")
	}
}

func TestPrintedClientShowsNoPassword(t *testing.T) {
	ms := newMemServer(t)
	c := newClient(t, ms.options())
	if err := c.Receive(context.Background(), (&collector{}).handle); err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%+v %+v", c, c.ep); strings.Contains(s, "secret") {
		t.Errorf("a printed Client shows the password: %s", s)
	}
}

func TestWrongPasswordIsPermanent(t *testing.T) {
	ms := newMemServer(t)
	opt := ms.options()
	opt.Auth.Password = "wrong"
	c := newClient(t, opt)
	err := c.Receive(context.Background(), (&collector{}).handle)
	var ce *tlsauth.ConnError
	if !errors.As(err, &ce) || ce.Op != "auth" || mssante.IsTemporary(err) {
		t.Fatalf("err %v", err)
	}
}

func TestCloseEndsWatch(t *testing.T) {
	ms := newMemServer(t)
	opt := ms.options()
	opt.PollInterval = time.Hour
	c := newClient(t, opt)
	done := make(chan error, 1)
	go func() { done <- c.Watch(context.Background(), (&collector{}).handle) }()
	time.Sleep(300 * time.Millisecond) // in IDLE by now
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Watch returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end Watch")
	}
}

func TestCursorIgnoresSeenFlag(t *testing.T) {
	ms := newMemServer(t)
	ms.deliver(t, "INBOX", "one")
	ms.deliver(t, "INBOX", "two")
	opt := ms.options()
	opt.Cursor = &FileCursor{Path: filepath.Join(t.TempDir(), "cursor.json")}
	c := newClient(t, opt)
	col := &collector{}
	if n, err := c.ReceiveCount(context.Background(), col.handle); n != 2 || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	// A person reads the next message in webmail before the software runs:
	// with a cursor it is handed over all the same.
	ms.deliver(t, "INBOX", "three")
	plain := ms.options()
	reader := newClient(t, plain)
	if n, err := reader.ReceiveCount(context.Background(), (&collector{}).handle); n != 1 || err != nil {
		t.Fatalf("webmail reader: n=%d err=%v", n, err)
	}
	c2 := newClient(t, opt) // a new process, same cursor file
	col2 := &collector{}
	if n, err := c2.ReceiveCount(context.Background(), col2.handle); n != 1 || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if !strings.Contains(col2.bodies[0], "Subject: three") {
		t.Fatalf("got %q", col2.bodies[0])
	}
	// Nothing above the cursor: nothing handed (not even the last message,
	// which "UID n:*" matches).
	if n, err := c2.ReceiveCount(context.Background(), col2.handle); n != 0 || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
}

// tempErr is a handler error that Watch retries.
type tempErr struct{ msg string }

func (e tempErr) Error() string   { return e.msg }
func (e tempErr) Temporary() bool { return true }

// Watch retries after a temporary handler failure and logs it, but never the
// handler's error text, which may quote the message.
func TestWatchLogsNoHandlerErrorText(t *testing.T) {
	ms := newMemServer(t)
	ms.deliver(t, "INBOX", "cr-patient")
	var logs bytes.Buffer
	var logMu sync.Mutex
	opt := ms.options()
	opt.PollInterval = 50 * time.Millisecond
	opt.Retry.Min = 50 * time.Millisecond
	opt.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, opt)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var calls atomic.Int32
	handled := make(chan string, 1)
	err := c.Watch(ctx, func(_ context.Context, m *mssante.Received) error {
		if calls.Add(1) == 1 {
			return tempErr{"cannot file the report of PAT-TROIS DOMINIQUE"}
		}
		handled <- m.ID
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v", err)
	}
	id := <-handled
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "handler failed") || !strings.Contains(logs.String(), id) {
		t.Errorf("the retry is not logged with the message id %s:\n%s", id, logs.String())
	}
	if strings.Contains(logs.String(), "PAT-TROIS") {
		t.Errorf("the handler's error text was logged:\n%s", logs.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// countingCursor counts the runs of Receive (each loads the cursor once).
type countingCursor struct {
	loads atomic.Int32
}

func (c *countingCursor) Load(context.Context, string) (uint32, uint32, error) {
	c.loads.Add(1)
	return 0, 0, nil
}

func (c *countingCursor) Save(context.Context, string, uint32, uint32) error { return nil }

// Without any new mail, Watch still ends each IDLE after idleRestart and
// checks the mailbox again (RFC 2177's 29 minutes; a silently dropped
// connection is noticed then).
func TestWatchRestartsIdle(t *testing.T) {
	ms := newMemServer(t)
	opt := ms.options()
	opt.PollInterval = time.Hour
	cur := &countingCursor{}
	opt.Cursor = cur
	c := newClient(t, opt)
	c.idleRestart = 100 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Watch(ctx, (&collector{}).handle) }()
	for cur.loads.Load() < 4 && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v", err)
	}
	if n := cur.loads.Load(); n < 4 {
		t.Fatalf("%d mailbox checks, want IDLE restarted at least 3 times", n)
	}
}
