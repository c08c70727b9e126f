package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/mssconfig"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/smtpclient"
)

func deliveryCommand() *command {
	return &command{
		name:    "delivery",
		summary: "durable outbox: queue messages, send and retry them, track every recipient's receipts",
		about: "The outbox (package mssante/delivery, docs/delivery.md) keeps each message until every\n" +
			"recipient has one final status. --db is sqlite:PATH (the default, sqlite:mss-delivery.db)\n" +
			"or a postgres:// URL for several instances.",
		examples: []example{
			{"mss delivery enqueue lettre.eml", "queue a message in sqlite:mss-delivery.db"},
			{"mss delivery run --config /tmp/op/operator.json --until-idle", "send what is queued, read the receipts, stop when idle"},
			{"mss delivery status --json", "every message with its recipients' status and history"},
		},
		subs: []*command{
			{
				name:    "enqueue",
				summary: "store messages durably in the outbox and print their Message-IDs",
				usage:   "[--db DB] [--key KEY] FILE.eml...",
				about: "Prints one Message-ID per file (- reads standard input). A message already queued\n" +
					"with the same key is not queued again: its Message-ID is printed and a note goes to\n" +
					"standard error. The envelope comes from the header (From; To, Cc, Bcc; the Bcc\n" +
					"field is removed); a DSN is asked for when the message carries Return-Receipt-To,\n" +
					"an MDN is awaited when it carries Disposition-Notification-To.",
				examples: []example{
					{"mss delivery enqueue --db sqlite:outbox.db lettre.eml", "queue one message, keyed by its Message-ID"},
					{"mss delivery enqueue --key CR-4711 a.eml b.eml", "keys CR-4711#1 and CR-4711#2: running it again queues nothing"},
				},
				exits: exitCodes("every message is in the outbox", "a file could not be read or queued"),
				run:   runDeliveryEnqueue,
			},
			{
				name:    "run",
				summary: "send the queued messages, retry, read the receipts and update every recipient",
				usage:   "[--db DB] --config CONFIG.json [--workers N] [--until-idle] [--quiet]",
				about: "CONFIG.json is the file of mss send and mss fetch (docs/configuration.md); the\n" +
					"operator.json that mss operator --dir writes works as is. Each message is sent with\n" +
					"the credentials of its From mailbox there, and the receipts are read from that\n" +
					"mailbox over IMAP. Prints one line per event (patient addresses masked); runs until\n" +
					"interrupted, or with --until-idle until nothing is left to send or retry now.",
				examples: []example{
					{"mss delivery run --config mss.json", "run until interrupted (Ctrl-C lets the sends in progress finish)"},
					{"mss delivery run --db postgres://outbox@db/mss --config mss.json --workers 8", "one of several instances on PostgreSQL"},
				},
				exits: exitCodes("stopped (interrupted, or idle)", "the database or the operator failed"),
				run:   runDeliveryRun,
			},
			{
				name:    "status",
				summary: "print each recipient's current status and history",
				usage:   "[--db DB] [--json] [MESSAGE-ID...]",
				about: "Without MESSAGE-ID, every message of the outbox. --json prints an array with one\n" +
					"object per message: message_id and recipients, each with address, status, final\n" +
					"and history (event, status, at, evidence).",
				examples: []example{
					{"mss delivery status lettre-4711@hopital.mssante.fr", "the timeline of each recipient of one message"},
					{"mss delivery status --json", "everything, as JSON"},
				},
				exits: exitCodes("the messages were printed", "a message is unknown, or the database failed"),
				run:   runDeliveryStatus,
			},
		},
	}
}

func dbFlag(fs *flagSet) *string {
	return fs.String("db", delivery.DefaultDatabase, "outbox `DATABASE`: sqlite:PATH or a postgres:// URL")
}

func openOutbox(env *cmdEnv, db string, opts *delivery.Options) (*delivery.Outbox, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o, err := delivery.Open(ctx, db, opts)
	if err != nil {
		env.fail(1, err)
		return nil, false
	}
	return o, true
}

func runDeliveryEnqueue(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "delivery enqueue")
	db := dbFlag(fs)
	key := fs.String("key", "", "idempotency `KEY` (default: each message's Message-ID); with several files, KEY#1, KEY#2...")
	files, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(files) == 0 {
		return env.usageError("no FILE.eml")
	}
	o, ok := openOutbox(env, *db, nil)
	if !ok {
		return 1
	}
	defer o.Close()
	ctx, stop := signalContext()
	defer stop()
	code := 0
	for i, f := range files {
		r, err := openInput(env, f)
		if err != nil {
			code = env.failFile(1, f, err)
			continue
		}
		k := *key
		if k != "" && len(files) > 1 {
			k = fmt.Sprintf("%s#%d", k, i+1)
		}
		m, err := o.Enqueue(ctx, r, &delivery.EnqueueOptions{Key: k})
		r.Close()
		if err != nil {
			code = env.failFile(1, f, err)
			continue
		}
		if m.Existing {
			env.errorf("%s: already queued", f)
		}
		fmt.Fprintln(env.stdout, m.MessageID)
	}
	return code
}

func runDeliveryRun(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "delivery run")
	db := dbFlag(fs)
	cfgPath := fs.String("config", "", "configuration `FILE` of the operator and mailboxes, as for mss send (the operator.json of mss operator --dir is one)")
	workers := fs.Int("workers", delivery.DefaultWorkers, "send `N` messages at once from this process")
	untilIdle := fs.Bool("until-idle", false, "return when nothing is left to send or retry now (after reading the receipts)")
	listeBlanche := fs.String("liste-blanche", "", "liste blanche `FILE` every recipient is checked against (default: \"liste_blanche\" of the configuration)")
	insecure := fs.Bool("insecure-skip-recipient-check", false, "send without checking the recipients against the MSSanté trust space (tests only)")
	quiet := quietFlag(fs)
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	switch {
	case len(pos) != 0:
		return env.usageError("unexpected argument %q", pos[0])
	case *cfgPath == "":
		return env.usageError("no --config FILE")
	}
	c, err := mssconfig.Load(*cfgPath)
	if err != nil {
		return env.failFile(2, *cfgPath, err)
	}
	cfg := &transportConfig{Config: c}
	if *listeBlanche != "" {
		cfg.ListeBlanche = *listeBlanche
	}
	cfg.InsecureSkipRecipientCheck = cfg.InsecureSkipRecipientCheck || *insecure
	var prog *progress
	done := int64(0)
	opts := &delivery.Options{
		Workers: *workers,
		Senders: map[string]mssante.Transport{},
		Logger:  slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnEvent: func(e delivery.Event) {
			fmt.Fprintf(env.stdout, "%s %-10s %-11s <%s> %s\n", e.At.Format(time.RFC3339), e.Type, e.Status, e.MessageID, maskPatient(e.Recipient))
			switch e.Type {
			case delivery.EventSubmitted, delivery.EventRefused, delivery.EventFailed, delivery.EventCanceled:
				done++
				prog.Set(done)
			}
		},
	}
	closeAll, err := senderTransports(env, cfg, *workers, opts)
	defer closeAll()
	if err != nil {
		return env.fail(2, err)
	}
	o, ok := openOutbox(env, *db, opts)
	if !ok {
		return 1
	}
	defer o.Close()
	ctx, stop := signalContext()
	defer stop()
	if n, err := o.Pending(ctx); err == nil {
		prog = newProgress(env, *quiet, "sending", int64(n), false)
		defer prog.Done()
	}
	if *untilIdle {
		err = o.RunUntilIdle(ctx)
	} else {
		err = o.Run(ctx)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return env.fail(1, err)
	}
	return 0
}

// senderTransports fills opts with a transport per mailbox of the
// configuration (SMTP, and IMAP for the receipts when the file names an
// IMAP server), or the default transport of a file without mailboxes, and
// with the recipient check of the configuration (the liste blanche). The
// function returned closes them.
func senderTransports(env *cmdEnv, cfg *transportConfig, workers int, opts *delivery.Options) (func(), error) {
	var closers []func() error
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	if opts.Senders == nil {
		opts.Senders = map[string]mssante.Transport{}
	}
	addrs := cfg.Addresses()
	if len(addrs) == 0 {
		addrs = []string{""} // the top-level credentials send for any sender
	}
	for _, a := range addrs {
		sopt, err := cfg.smtpOptions(env, a)
		if err != nil {
			return closeAll, fmt.Errorf("%s: %w", a, err)
		}
		opts.RecipientChecker = sopt.RecipientChecker // a refusal is final: status refused
		sopt.MaxConns = max(1, workers)
		s, err := smtpclient.New(&sopt)
		if err != nil {
			return closeAll, fmt.Errorf("%s: %w", a, err)
		}
		closers = append(closers, s.Close)
		var t mssante.Transport = s
		if cfg.IMAP != "" {
			iopt, err := cfg.IMAPOptions(a, cfg.creds)
			if err != nil {
				return closeAll, fmt.Errorf("%s: %w", a, err)
			}
			r, err := imapclient.New(&iopt)
			if err != nil {
				return closeAll, fmt.Errorf("%s: %w", a, err)
			}
			closers = append(closers, r.Close)
			t = mssante.WithReceiver(s, r)
		}
		if a == "" {
			opts.Transport = t
		} else {
			opts.Senders[a] = t
		}
	}
	return closeAll, nil
}

// maskPatient hides the INS matricule of a patient address in logs.
func maskPatient(addr string) string {
	if ins.IsPatientAddress(addr) {
		return "(patient)@" + ins.PatientDomain
	}
	return addr
}

func runDeliveryStatus(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "delivery status")
	db := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print an array with one object per message: message_id, recipients (address, status, final, history)")
	ids, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	o, ok := openOutbox(env, *db, nil)
	if !ok {
		return 1
	}
	defer o.Close()
	ctx := context.Background()
	code := 0
	var msgs []*delivery.Message
	if len(ids) == 0 {
		if msgs, err = o.List(ctx, nil); err != nil {
			return env.fail(1, err)
		}
	}
	for _, id := range ids {
		m, err := o.Status(ctx, id)
		if err != nil {
			code = env.fail(1, err)
			continue
		}
		msgs = append(msgs, m)
	}
	if *asJSON {
		if msgs == nil {
			msgs = []*delivery.Message{}
		}
		if err := writeJSON(env.stdout, msgs); err != nil {
			return 1
		}
		return code
	}
	for _, m := range msgs {
		fmt.Fprintf(env.stdout, "<%s> from %s, queued %s\n", m.MessageID, m.From, m.Created.Format(time.RFC3339))
		for _, r := range m.Recipients {
			final := ""
			if r.Final {
				final = " (final)"
			}
			fmt.Fprintf(env.stdout, "  %s: %s%s\n", r.Address, r.Status, final)
			for _, e := range r.History {
				fmt.Fprintf(env.stdout, "    %s %-10s %s%s\n", e.At.Format(time.RFC3339), e.Type, e.Status, evidenceText(e.Evidence))
			}
		}
	}
	return code
}

// evidenceText is the short form of an event's evidence.
func evidenceText(ev delivery.Evidence) string {
	var parts []string
	if ev.SMTPCode != 0 {
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%d %s", ev.SMTPCode, ev.EnhancedCode)))
	}
	if ev.DSNAction != "" || ev.DSNStatus != "" {
		parts = append(parts, strings.TrimSpace("DSN "+ev.DSNAction+" "+ev.DSNStatus))
	}
	if ev.BounceKind != "" {
		parts = append(parts, ev.BounceKind)
	}
	if ev.Disposition != "" {
		parts = append(parts, "MDN "+ev.Disposition)
	}
	if ev.ErrorCode != 0 {
		parts = append(parts, fmt.Sprintf("%d %s", ev.ErrorCode, ev.ErrorLabel))
	}
	if ev.Resend {
		parts = append(parts, "re-send, same Message-ID")
	}
	if ev.Reason != "" {
		parts = append(parts, ev.Reason)
	}
	if ev.Error != "" && ev.SMTPCode == 0 {
		parts = append(parts, ev.Error)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, "; ") + ")"
}
