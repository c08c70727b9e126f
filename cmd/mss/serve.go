package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/mssconfig"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/serve"
)

// defaultListen is the address of mss serve: loopback, the DPI or DUI
// software runs on the same machine.
const defaultListen = "127.0.0.1:8480"

func serveCommand() *command {
	return &command{
		name:    "serve",
		summary: "run the SDK as a local HTTP API on the outbox, for software not written in Go",
		usage:   "[--db DB] --config CONFIG.json [--listen ADDR] [--workers N] [flags]",
		about: "The API (docs/serve.md, contract at GET /openapi.json) sends a PDF as a CDA level 1\n" +
			"document in an IHE_XDM.ZIP archive in one call, follows each recipient's receipts (status,\n" +
			"Server-Sent Events, webhooks), lists and acknowledges received messages, and checks INS,\n" +
			"CDA, directory entries and the trust space. Every request but GET /openapi.json needs the\n" +
			"API key (Authorization: Bearer KEY): $MSS_API_KEY, or \"api_key\" in the \"serve\" section of\n" +
			"CONFIG.json (docs/configuration.md). Recipients are checked against the liste blanche\n" +
			"(\"liste_blanche\"). It listens on loopback; another address needs TLS (\"tls_cert\",\n" +
			"\"tls_key\", and \"client_ca\" for client certificates) or --allow-insecure-listen. It\n" +
			"prints the URL it listens on, then runs until interrupted: requests in progress finish,\n" +
			"the sends in progress finish, nothing enqueued is lost.",
		examples: []example{
			{"MSS_API_KEY=$(openssl rand -hex 24) mss serve --config /tmp/op/operator.json --liste-blanche /tmp/op/listeblanche.xml",
				"serve the test operator's mailboxes on 127.0.0.1:8480"},
			{"mss serve --db postgres://outbox@db/mss --config mss.json --workers 0",
				"an API instance that only enqueues; mss delivery run sends"},
		},
		exits: []string{"0  stopped by an interrupt", "1  it could not start (database, listener, operator configuration)",
			"2  usage error (unknown flag, no --config, no API key, no liste blanche, an address that is not loopback without TLS)"},
		run: runServe,
	}
}

func runServe(env *cmdEnv, args []string) int {
	ctx, stop := signalContext()
	defer stop()
	return serveMain(ctx, env, args)
}

// serveMain runs the service until ctx is done.
func serveMain(ctx context.Context, env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "serve")
	db := dbFlag(fs)
	cfgPath := fs.String("config", "", "configuration `FILE` of the operator, mailboxes and service (the operator.json of mss operator --dir is one)")
	listen := fs.String("listen", "", "listen `ADDR` (default \"listen\" of the serve section, else "+defaultListen+")")
	workers := fs.Int("workers", delivery.DefaultWorkers, "send `N` messages at once from this process; 0 sends nothing (an API instance beside mss delivery run)")
	fetch := fs.Duration("fetch-interval", delivery.DefaultFetchInterval, "read the mailboxes for receipts and messages every `DURATION`")
	listeBlanche := fs.String("liste-blanche", "", "liste blanche `FILE` the recipients are checked against (default \"liste_blanche\" of the configuration)")
	insecureRcpt := fs.Bool("insecure-skip-recipient-check", false, "accept recipients outside the trust space (tests only)")
	insecureListen := fs.Bool("allow-insecure-listen", false, "listen on an address that is not loopback without TLS (the API key then travels in clear)")
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	switch {
	case len(pos) != 0:
		return env.usageError("unexpected argument %q", pos[0])
	case *cfgPath == "":
		return env.usageError("no --config FILE")
	case *workers < 0:
		return env.usageError("--workers %d: want 0 or more", *workers)
	}
	c, err := mssconfig.Load(*cfgPath)
	if err != nil {
		return env.failFile(2, *cfgPath, err)
	}
	sc := c.Serve
	if sc == nil {
		sc = &mssconfig.Serve{}
	}
	key := os.Getenv("MSS_API_KEY")
	if key == "" {
		key = sc.APIKey
	}
	if key == "" {
		return env.usageError("no API key: set $MSS_API_KEY or \"api_key\" in the \"serve\" section of %s", *cfgPath)
	}
	addr := pick(*listen, pick(sc.Listen, defaultListen))
	useTLS := sc.TLSCert != "" || sc.TLSKey != ""
	if !isLoopback(addr) && !useTLS {
		if !*insecureListen {
			return env.usageError("%s is not a loopback address: give the listener a certificate (\"tls_cert\", \"tls_key\", \"client_ca\") or --allow-insecure-listen", addr)
		}
		env.errorf("WARNING: listening on %s without TLS: the API key and the patients' data travel in clear on the network", addr)
	}

	// The trust space.
	opts := &serve.Options{APIKey: key, Limits: serve.Limits{MaxBodyBytes: sc.MaxBodyBytes, MaxRecipients: sc.MaxRecipients,
		MaxConcurrent: sc.MaxConcurrent, MaxStreams: sc.MaxStreams},
		Documents: serve.DocumentDefaults{IDRoot: sc.DocumentIDRoot, NIL: sc.NIL}}
	switch strings.ToLower(sc.Environment) {
	case "":
	case "production":
		opts.Environment = ins.Production
	case "test":
		opts.Environment = ins.Test
	default:
		return env.failFile(2, *cfgPath, fmt.Errorf("serve.environment %q: want production or test", sc.Environment))
	}
	if *listeBlanche != "" {
		abs, err := filepath.Abs(*listeBlanche)
		if err != nil {
			return env.fail(2, err)
		}
		c.ListeBlanche = abs
	}
	c.InsecureSkipRecipientCheck = c.InsecureSkipRecipientCheck || *insecureRcpt
	if c.InsecureSkipRecipientCheck && c.ListeBlanche == "" {
		opts.InsecureSkipRecipientCheck = true // each transport warns
	} else {
		checker, err := c.RecipientChecker()
		if errors.Is(err, mssconfig.ErrNoListeBlanche) {
			return env.usageError("%v (or --liste-blanche FILE, --insecure-skip-recipient-check)", err)
		}
		if err != nil {
			return env.failFile(2, *cfgPath, err)
		}
		opts.RecipientChecker = checker
	}
	if sc.Directory != "" {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		idx, err := annuaire.LoadIndexFile(lctx, c.Path(sc.Directory), nil)
		cancel()
		if err != nil {
			return env.failFile(1, sc.Directory, err)
		}
		opts.Directory = idx
	}

	// The outbox, its transports and webhooks.
	var srv atomic.Pointer[serve.Server]
	dopts := &delivery.Options{
		Workers:          max(1, *workers),
		FetchInterval:    *fetch,
		RecipientChecker: opts.RecipientChecker,
		Logger:           slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnEvent: func(e delivery.Event) {
			if s := srv.Load(); s != nil {
				s.Notify(e)
			}
		},
	}
	for i, w := range sc.Webhooks {
		secret := pick(w.Secret, os.Getenv("MSS_WEBHOOK_SECRET"))
		h, err := serve.Webhook(&serve.WebhookOptions{URL: w.URL, Secret: secret})
		if err != nil {
			return env.failFile(2, *cfgPath, fmt.Errorf("serve.webhooks[%d]: %w", i, err))
		}
		dopts.Hooks = append(dopts.Hooks, h)
	}
	closeAll, err := senderTransports(env, &transportConfig{Config: c}, *workers, dopts)
	defer closeAll()
	if err != nil {
		return env.failFile(2, *cfgPath, err)
	}
	o, ok := openOutbox(env, *db, dopts)
	if !ok {
		return 1
	}
	defer o.Close()
	s, err := serve.New(o, opts)
	if err != nil {
		return env.fail(2, err)
	}
	srv.Store(s)

	// The listener.
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(dopts.Logger.Handler(), slog.LevelWarn)}
	hs.RegisterOnShutdown(s.Close)
	scheme := "http"
	if useTLS {
		tc, err := listenerTLS(c, sc)
		if err != nil {
			return env.failFile(2, *cfgPath, err)
		}
		hs.TLSConfig, scheme = tc, "https"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return env.fail(1, err)
	}
	if useTLS {
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	fmt.Fprintf(env.stdout, "mss serve: listening on %s://%s\n", scheme, ln.Addr())

	// Send and receive beside the API, until interrupted.
	wctx, stopWorker := context.WithCancel(context.Background())
	defer stopWorker()
	var worker chan error // nil (never ready) without workers
	if *workers > 0 {
		worker = make(chan error, 1)
		go func() { worker <- o.Run(wctx) }()
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	code := 0
	select {
	case <-ctx.Done():
	case err := <-served:
		code = env.fail(1, err)
	case err := <-worker:
		if err != nil {
			code = env.fail(1, err)
		}
		worker = nil
	}
	// Graceful: requests in progress finish (event streams end), then the
	// worker lets its sends finish; what is queued stays in the outbox.
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		env.errorf("stopping the listener: %v", err)
	}
	stopWorker()
	if worker != nil {
		if err := <-worker; err != nil && !errors.Is(err, context.Canceled) {
			code = env.fail(1, err)
		}
	}
	env.errorf("stopped")
	return code
}

// isLoopback reports whether a listen address is on loopback only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// listenerTLS is the TLS of the listener: TLS 1.2 or later, the service's
// certificate, and client certificates verified against client_ca.
func listenerTLS(c *mssconfig.Config, sc *mssconfig.Serve) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.Path(sc.TLSCert), c.Path(sc.TLSKey))
	if err != nil {
		return nil, fmt.Errorf("serve.tls_cert/tls_key: %w", err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if sc.ClientCA != "" {
		pemData, err := os.ReadFile(c.Path(sc.ClientCA))
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return nil, fmt.Errorf("serve.client_ca %s: no certificate", sc.ClientCA)
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}
