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

func runDelivery(env *cmdEnv, args []string) int {
	return subcommands(env, "delivery", args, map[string]func(*cmdEnv, []string) int{
		"enqueue": runDeliveryEnqueue,
		"run":     runDeliveryRun,
		"status":  runDeliveryStatus,
	})
}

func dbFlag(fs *flagSet) *string {
	return fs.String("db", delivery.DefaultDatabase, "outbox `DATABASE`: sqlite:PATH or a postgres:// URL")
}

func openOutbox(env *cmdEnv, name, db string, opts *delivery.Options) (*delivery.Outbox, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o, err := delivery.Open(ctx, db, opts)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss delivery %s: %v\n", name, err)
		return nil, false
	}
	return o, true
}

func runDeliveryEnqueue(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "delivery enqueue")
	db := dbFlag(fs)
	key := fs.String("key", "", "idempotency `KEY` (default: each message's Message-ID); with several files, KEY#1, KEY#2...")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss delivery enqueue [--db DB] [--key KEY] FILE.eml...\n\n"+
			"Stores each message in the outbox, durably, and prints its Message-ID. A message\n"+
			"already queued with the same key is not queued again (its id is printed).\n"+
			"The envelope comes from the header (From; To, Cc, Bcc); a DSN is asked for when\n"+
			"the message carries Return-Receipt-To, an MDN is awaited with\n"+
			"Disposition-Notification-To.")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	o, ok := openOutbox(env, "enqueue", *db, nil)
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
			fmt.Fprintf(env.stderr, "mss delivery enqueue: %v\n", err)
			code = 1
			continue
		}
		k := *key
		if k != "" && len(files) > 1 {
			k = fmt.Sprintf("%s#%d", k, i+1)
		}
		m, err := o.Enqueue(ctx, r, &delivery.EnqueueOptions{Key: k})
		r.Close()
		if err != nil {
			fmt.Fprintf(env.stderr, "mss delivery enqueue: %s: %v\n", f, err)
			code = 1
			continue
		}
		if m.Existing {
			fmt.Fprintf(env.stderr, "mss delivery enqueue: %s: already queued\n", f)
		}
		fmt.Fprintln(env.stdout, m.MessageID)
	}
	return code
}

func runDeliveryRun(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "delivery run")
	db := dbFlag(fs)
	cfgPath := fs.String("config", "", "configuration `FILE` of the operator and mailboxes, as for mss send (the operator.json of mss operator --dir is one)")
	workers := fs.Int("workers", delivery.DefaultWorkers, "messages sent at once by this process")
	untilIdle := fs.Bool("until-idle", false, "return when nothing is left to send or retry now (after reading the receipts)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss delivery run [--db DB] --config CONFIG.json [--workers N] [--until-idle]\n\n"+
			"Sends the queued messages, each with the credentials of its From mailbox in\n"+
			"CONFIG.json, retries temporary failures, reads the receipts (IMAP) and\n"+
			"updates every recipient's status, until interrupted (or idle). Prints one line\n"+
			"per event; patient addresses are masked.")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 || *cfgPath == "" {
		fs.Usage()
		return 2
	}
	c, err := mssconfig.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss delivery run: %v\n", err)
		return 2
	}
	cfg := &transportConfig{Config: c}
	opts := &delivery.Options{
		Workers: *workers,
		Senders: map[string]mssante.Transport{},
		Logger:  slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnEvent: func(e delivery.Event) {
			fmt.Fprintf(env.stdout, "%s %-10s %-11s <%s> %s\n", e.At.Format(time.RFC3339), e.Type, e.Status, e.MessageID, maskPatient(e.Recipient))
		},
	}
	addrs := cfg.Addresses()
	if len(addrs) == 0 {
		addrs = []string{""} // the top-level credentials send for any sender
	}
	var closers []func() error
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for _, a := range addrs {
		sopt, err := cfg.SMTPOptions(a, cfg.creds)
		if err != nil {
			fmt.Fprintf(env.stderr, "mss delivery run: %s: %v\n", a, err)
			return 2
		}
		sopt.MaxConns = max(1, *workers)
		s, err := smtpclient.New(&sopt)
		if err != nil {
			fmt.Fprintf(env.stderr, "mss delivery run: %s: %v\n", a, err)
			return 2
		}
		closers = append(closers, s.Close)
		var t mssante.Transport = s
		if cfg.IMAP != "" {
			iopt, err := cfg.IMAPOptions(a, cfg.creds)
			if err != nil {
				fmt.Fprintf(env.stderr, "mss delivery run: %s: %v\n", a, err)
				return 2
			}
			r, err := imapclient.New(&iopt)
			if err != nil {
				fmt.Fprintf(env.stderr, "mss delivery run: %s: %v\n", a, err)
				return 2
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
	o, ok := openOutbox(env, "run", *db, opts)
	if !ok {
		return 1
	}
	defer o.Close()
	ctx, stop := signalContext()
	defer stop()
	if *untilIdle {
		err = o.RunUntilIdle(ctx)
	} else {
		err = o.Run(ctx)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(env.stderr, "mss delivery run: %v\n", err)
		return 1
	}
	return 0
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
	asJSON := fs.Bool("json", false, "print one object per message: message_id, recipients (address, status, final, history)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss delivery status [--db DB] [--json] [MESSAGE-ID...]\n\n"+
			"Prints each recipient's current status and history, for the messages named\n"+
			"(all messages when none is). Exits 1 when a message is unknown.")
		fs.PrintDefaults()
	}
	ids, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	o, ok := openOutbox(env, "status", *db, nil)
	if !ok {
		return 1
	}
	defer o.Close()
	ctx := context.Background()
	code := 0
	var msgs []*delivery.Message
	if len(ids) == 0 {
		if msgs, err = o.List(ctx, nil); err != nil {
			fmt.Fprintf(env.stderr, "mss delivery status: %v\n", err)
			return 1
		}
	}
	for _, id := range ids {
		m, err := o.Status(ctx, id)
		if err != nil {
			fmt.Fprintf(env.stderr, "mss delivery status: %v\n", err)
			code = 1
			continue
		}
		msgs = append(msgs, m)
	}
	if *asJSON {
		if msgs == nil {
			msgs = []*delivery.Message{}
		}
		writeJSON(env.stdout, msgs)
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
