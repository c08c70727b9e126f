package mssantetest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// Errors returned by the operator; test them with errors.Is.
var (
	// ErrBadOptions: Options describe an impossible registry.
	ErrBadOptions = errors.New("mssantetest: bad options")
	// ErrUnknownMailbox: the address is not a mailbox of the operator (or
	// not of the type the call needs).
	ErrUnknownMailbox = errors.New("mssantetest: unknown mailbox")
	// ErrUnknownPatient: the address is not an active patient of the registry.
	ErrUnknownPatient = errors.New("mssantetest: unknown or inactive patient")
	// ErrNoExchange: the patient may not write to this professional, who
	// never wrote to them first (only pharmacies accept a first message
	// from a patient, msc.md §2 and §11).
	ErrNoExchange = errors.New("mssantetest: the professional has not written to this patient")
	// ErrExchangeClosed: the professional's last message ended the exchange
	// with a "[FIN]" subject or "X-MSS-MES: FIN" (msc.md §3); a new message
	// from the professional reopens it.
	ErrExchangeClosed = errors.New("mssantetest: the professional ended the exchange")
	// ErrClosed: the operator was closed.
	ErrClosed = errors.New("mssantetest: operator closed")
)

// Options configure an operator. The zero value starts the default registry
// on loopback ports chosen by the system.
type Options struct {
	// Mailboxes of the operator; nil means DefaultMailboxes().
	Mailboxes []Mailbox
	// Patients of the Mon Espace Santé registry; nil means DefaultPatients().
	Patients []Patient

	// SMTPAddr and IMAPAddr are the listen addresses; empty means
	// "127.0.0.1:0" (a free loopback port).
	SMTPAddr, IMAPAddr string
	// Hostname is the operator's name in greetings and DSNs; empty means
	// "operateur-test.localhost".
	Hostname string

	// AllowPassword lets professional mailboxes submit with SASL PLAIN and
	// their test password on SMTP, for convenience. IMAP always accepts
	// LOGIN and PLAIN with the test password.
	AllowPassword bool
	// RejectUnknownAtRCPT refuses an unknown address of a served domain at
	// RCPT time (550 5.1.1). By default such a recipient is accepted and a
	// failure DSN is delivered to the sender's INBOX, the path the SDK's
	// bounce handling reads.
	RejectUnknownAtRCPT bool

	// TokenTTL is the lifetime of tokens issued by Token and written by
	// WriteFiles; zero means 5 minutes (Pro Santé Connect tokens last 4–5
	// minutes, mssante.md §3).
	TokenTTL time.Duration
	// MaxMessageBytes is the SMTP size limit; zero means 64 MiB, above
	// PatientMaxBytes so that the "too large" bounce can be simulated.
	MaxMessageBytes int64
	// PatientMaxBytes is the Mon Espace Santé size limit; zero means
	// mssante.PatientMaxMessageSize (25 Mo, the limit the SDK's senders
	// apply). Tests set a small value to exercise the bounce cheaply.
	PatientMaxBytes int64

	// Logger receives connection errors and deliveries at debug level;
	// nil discards them. Message contents and patient addresses (INS
	// matricules) are never logged.
	Logger *slog.Logger
}

// Operator is a running test MSSanté operator: an SMTP submission server and
// an IMAP server on loopback, with its own test PKI, mailboxes and patients.
// Its methods are safe for concurrent use.
type Operator struct {
	opts       Options
	hostname   string
	log        *slog.Logger
	pki        *testpki.PKI
	serverTLS  *tls.Config
	serverCert *testpki.Issued
	appCerts   map[string]*testpki.Issued // by lower-case address

	smtpSrv  *smtp.Server
	imapSrv  *imapserver.Server
	smtpLn   *trackingListener
	imapLn   *trackingListener
	serveWG  sync.WaitGroup
	closeOne sync.Once

	mu        sync.Mutex
	stopCtx   func() bool // unregisters the ctx watch of Start
	closed    bool
	mailboxes map[string]*mailbox // professional mailboxes by lower-case address
	domains   map[string]bool
	patients  map[string]*Patient // by lower-case address
	tokens    map[string]token
	messages  map[string][]*Message // by lower-case address
	exchanges map[exchangeKey]*exchange
	changed   chan struct{} // closed and replaced on every delivery
}

type mailbox struct {
	Mailbox
	imap *imapmemserver.User
}

// Start starts an operator. It stops when ctx is done or Close is called.
// opts nil means the defaults of Options; Start keeps a copy.
func Start(ctx context.Context, o *Options) (*Operator, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Mailboxes == nil {
		opts.Mailboxes = DefaultMailboxes()
	}
	if opts.Patients == nil {
		opts.Patients = DefaultPatients()
	}
	if err := checkMailboxes(opts.Mailboxes, opts.Patients); err != nil {
		return nil, err
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = 5 * time.Minute
	}
	if opts.MaxMessageBytes == 0 {
		opts.MaxMessageBytes = 64 << 20
	}
	if opts.PatientMaxBytes == 0 {
		opts.PatientMaxBytes = mssante.PatientMaxMessageSize
	}
	op := &Operator{
		opts:      opts,
		hostname:  opts.Hostname,
		log:       opts.Logger,
		appCerts:  map[string]*testpki.Issued{},
		mailboxes: map[string]*mailbox{},
		domains:   map[string]bool{},
		patients:  map[string]*Patient{},
		tokens:    map[string]token{},
		messages:  map[string][]*Message{},
		exchanges: map[exchangeKey]*exchange{},
		changed:   make(chan struct{}),
	}
	if op.hostname == "" {
		op.hostname = "operateur-test.localhost"
	}
	if op.log == nil {
		op.log = slog.New(slog.DiscardHandler)
	}
	if err := op.setupPKI(); err != nil {
		return nil, err
	}
	for _, mb := range opts.Mailboxes {
		if mb.Password == "" {
			mb.Password = "test-" + randomHex(8)
		}
		addr := strings.ToLower(mb.Address)
		u := imapmemserver.NewUser(addr, mb.Password)
		if err := u.Create("INBOX", nil); err != nil {
			return nil, err
		}
		op.mailboxes[addr] = &mailbox{Mailbox: mb, imap: u}
		_, domain, _ := strings.Cut(addr, "@")
		op.domains[domain] = true
		if mb.Type == APP {
			is, err := sharedClientCert(mb.Address)
			if err != nil {
				return nil, err
			}
			op.appCerts[addr] = is
		}
	}
	for i := range opts.Patients {
		p := opts.Patients[i]
		p.INS = strings.ToUpper(p.INS)
		op.patients[strings.ToLower(p.Address())] = &p
	}
	if err := op.listen(opts); err != nil {
		return nil, err
	}
	// With ctx already done, AfterFunc runs Close at once in another
	// goroutine: stopCtx is shared with it, hence the lock.
	stop := context.AfterFunc(ctx, op.Close)
	op.mu.Lock()
	op.stopCtx = stop
	op.mu.Unlock()
	return op, nil
}

// NewOperator starts an operator for a test and closes it when the test
// ends; it fails the test if the operator cannot start. opts may be nil.
func NewOperator(tb testing.TB, opts *Options) *Operator {
	tb.Helper()
	op, err := Start(context.Background(), opts)
	if err != nil {
		tb.Fatalf("mssantetest: %v", err)
	}
	tb.Cleanup(op.Close)
	return op
}

func (op *Operator) setupPKI() error {
	pki, srv, err := sharedPKI(op.hostname)
	if err != nil {
		return err
	}
	op.pki = pki
	op.serverTLS = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   tls.VersionTLS12,
		CipherSuites: tlsauth.CipherSuites(),
		Certificates: []tls.Certificate{srv.TLS},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pki.Pool,
	}
	op.serverCert = srv
	return nil
}

// listen opens the SMTP and IMAP listeners and serves them in the
// background.
func (op *Operator) listen(opts Options) error {
	smtpAddr, imapAddr := opts.SMTPAddr, opts.IMAPAddr
	if smtpAddr == "" {
		smtpAddr = "127.0.0.1:0"
	}
	if imapAddr == "" {
		imapAddr = "127.0.0.1:0"
	}
	sl, err := net.Listen("tcp", smtpAddr)
	if err != nil {
		return fmt.Errorf("mssantetest: smtp: %w", err)
	}
	il, err := net.Listen("tcp", imapAddr)
	if err != nil {
		sl.Close()
		return fmt.Errorf("mssantetest: imap: %w", err)
	}
	op.smtpLn = newTrackingListener(sl)
	op.imapLn = newTrackingListener(il)

	s := smtp.NewServer(&smtpBackend{op: op})
	s.Domain = op.hostname
	s.TLSConfig = op.serverTLS
	s.MaxMessageBytes = opts.MaxMessageBytes
	s.MaxRecipients = 100
	s.EnableDSN = true
	s.ReadTimeout = time.Minute
	s.WriteTimeout = time.Minute
	s.ErrorLog = logAdapter{op.log.With("server", "smtp")}
	op.smtpSrv = s

	op.imapSrv = imapserver.New(&imapserver.Options{
		NewSession: op.newIMAPSession,
		Caps:       imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		TLSConfig:  op.serverTLS,
		Logger:     logAdapter{op.log.With("server", "imap")},
	})

	op.serveWG.Add(2)
	go func() {
		defer op.serveWG.Done()
		_ = s.Serve(op.smtpLn)
	}()
	go func() {
		defer op.serveWG.Done()
		_ = op.imapSrv.Serve(op.imapLn)
	}()
	return nil
}

// Close stops the servers, closes every connection and waits for them to
// end. It may be called more than once.
func (op *Operator) Close() {
	op.closeOne.Do(func() {
		op.mu.Lock()
		stop := op.stopCtx
		op.closed = true
		op.notifyLocked()
		op.mu.Unlock()
		if stop != nil {
			stop()
		}
		_ = op.smtpSrv.Close()
		_ = op.imapSrv.Close()
		op.smtpLn.Close()
		op.imapLn.Close()
		op.serveWG.Wait()
		op.smtpLn.closeConns()
		op.imapLn.closeConns()
		op.smtpLn.conns.Wait()
		op.imapLn.conns.Wait()
	})
}

// SMTPAddr returns the host:port of the SMTP submission server (STARTTLS).
func (op *Operator) SMTPAddr() string { return op.smtpLn.Addr().String() }

// IMAPAddr returns the host:port of the IMAP server (STARTTLS).
func (op *Operator) IMAPAddr() string { return op.imapLn.Addr().String() }

// RootCAs returns a pool holding the operator's test root, to verify its
// servers (they answer for localhost, 127.0.0.1 and ::1). The operators of
// one process share one test PKI (root, server and client keys), generated
// on first use, because RSA key generation is what makes a start slow.
func (op *Operator) RootCAs() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(op.pki.Root)
	return pool
}

// RootPEM returns the operator's test root certificate in PEM.
func (op *Operator) RootPEM() []byte { return append([]byte(nil), op.pki.RootPEM...) }

// TLSConfig returns a client configuration for the operator's servers with
// the MSSanté rules (TLS 1.2, the allowed suites, the test root only) and,
// when certs are given, client certificates.
func (op *Operator) TLSConfig(certs ...tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   tls.VersionTLS12,
		CipherSuites: tlsauth.CipherSuites(),
		RootCAs:      op.RootCAs(),
		ServerName:   "localhost",
		Certificates: certs,
	}
}

// ClientCert returns the client certificate of an applicative mailbox, the
// credential it authenticates with on SMTP (directly or with SASL EXTERNAL)
// and IMAP (SASL EXTERNAL).
func (op *Operator) ClientCert(address string) (tls.Certificate, error) {
	is, ok := op.appCerts[strings.ToLower(address)]
	if !ok {
		return tls.Certificate{}, fmt.Errorf("%w: %s is not an applicative mailbox", ErrUnknownMailbox, address)
	}
	return is.TLS, nil
}

// Mailboxes returns the professional mailboxes, with their passwords.
func (op *Operator) Mailboxes() []Mailbox {
	out := make([]Mailbox, 0, len(op.opts.Mailboxes))
	for _, mb := range op.opts.Mailboxes {
		out = append(out, op.mailboxes[strings.ToLower(mb.Address)].Mailbox)
	}
	return out
}

// Patients returns the patient registry.
func (op *Operator) Patients() []Patient {
	out := make([]Patient, 0, len(op.opts.Patients))
	for _, p := range op.opts.Patients {
		out = append(out, *op.patients[strings.ToLower(p.Address())])
	}
	return out
}

// mailbox returns the professional mailbox at address, or nil.
func (op *Operator) mailbox(address string) *mailbox {
	return op.mailboxes[strings.ToLower(address)]
}

// trackingListener remembers the connections it accepted so that Close can
// close them and wait until the servers closed them too.
type trackingListener struct {
	net.Listener
	conns sync.WaitGroup
	mu    sync.Mutex
	open  map[*trackedConn]struct{}
}

func newTrackingListener(l net.Listener) *trackingListener {
	return &trackingListener{Listener: l, open: map[*trackedConn]struct{}{}}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.open[tc] = struct{}{}
	l.conns.Add(1)
	l.mu.Unlock()
	return tc, nil
}

func (l *trackingListener) closeConns() {
	l.mu.Lock()
	conns := make([]*trackedConn, 0, len(l.open))
	for c := range l.open {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

type trackedConn struct {
	net.Conn
	l    *trackingListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.open, c)
		c.l.mu.Unlock()
		c.l.conns.Done()
	})
	return err
}

// logAdapter sends the servers' internal error logs to slog at debug level.
type logAdapter struct{ l *slog.Logger }

func (a logAdapter) Printf(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a logAdapter) Println(v ...any)               { a.l.Debug(fmt.Sprintln(v...)) }
