package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mssante-go/sdk/mssante/mssantetest"
)

func operatorCommand() *command {
	return &command{
		name:    "operator",
		summary: "run the embedded test MSSanté operator (SMTP, IMAP, test PKI) until interrupted",
		usage:   "[flags]",
		about: "For tests only: a throw-away PKI, test tokens and passwords, fictitious mailboxes and\n" +
			"Mon Espace Santé patients. The description it writes (operator.json in --dir) is a\n" +
			"configuration file that mss send and mss fetch accept with --config.",
		examples: []example{
			{"mss operator --dir /tmp/op", "run it, writing the PKI and operator.json to /tmp/op; Ctrl-C stops it"},
			{"mss operator --smtp 127.0.0.1:2587 --imap 127.0.0.1:2143 --json", "on fixed ports, printing its description as JSON"},
		},
		exits: []string{"0  stopped by an interrupt", "1  it could not start", "2  usage error (unknown flag, extra argument)"},
		run:   runOperator,
	}
}

func runOperator(env *cmdEnv, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return operatorMain(ctx, env, args)
}

// operatorMain runs the operator until ctx is done.
func operatorMain(ctx context.Context, env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "operator")
	dir := fs.String("dir", "", "write the PKI and operator.json to `DIR` (default: a temporary directory removed on exit)")
	smtpAddr := fs.String("smtp", "127.0.0.1:0", "SMTP submission listen `ADDR` (STARTTLS)")
	imapAddr := fs.String("imap", "127.0.0.1:0", "IMAP listen `ADDR` (STARTTLS)")
	ttl := fs.Duration("token-ttl", 24*time.Hour, "lifetime `DURATION` of the XOAUTH2 test tokens written out")
	password := fs.Bool("allow-password", false, "also accept SASL PLAIN with the test passwords on SMTP")
	asJSON := fs.Bool("json", false, "print the description (operator.json) instead of the text summary")
	verbose := fs.Bool("v", false, "log connections and deliveries to stderr")
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) != 0 {
		return env.usageError("unexpected argument %q", pos[0])
	}

	opts := mssantetest.Options{SMTPAddr: *smtpAddr, IMAPAddr: *imapAddr, TokenTTL: *ttl, AllowPassword: *password}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "mss-operator-")
		if err != nil {
			return env.fail(1, err)
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	op, err := mssantetest.Start(ctx, &opts)
	if err != nil {
		return env.fail(1, err)
	}
	defer op.Close()
	desc, err := op.WriteFiles(*dir)
	if err != nil {
		return env.fail(1, err)
	}
	if *asJSON {
		if err := writeJSON(env.stdout, desc); err != nil {
			return 1
		}
	} else {
		printOperator(env, *dir, desc)
	}
	<-ctx.Done()
	op.Close()
	env.errorf("stopped")
	return 0
}

func printOperator(env *cmdEnv, dir string, d mssantetest.Description) {
	w := env.stdout
	abs := func(name string) string { return filepath.Join(dir, name) }
	fmt.Fprintf(w, "MSSanté test operator (tests only: throw-away PKI and tokens)\n")
	fmt.Fprintf(w, "  SMTP submission  %s  (STARTTLS, TLS 1.2)\n", d.SMTP)
	fmt.Fprintf(w, "  IMAP             %s  (STARTTLS, TLS 1.2)\n", d.IMAP)
	fmt.Fprintf(w, "  root CA          %s\n", abs(d.CA))
	fmt.Fprintf(w, "  description      %s\n", abs(mssantetest.DescriptionFile))
	fmt.Fprintf(w, "mailboxes:\n")
	for _, mb := range d.Mailboxes {
		fmt.Fprintf(w, "  %s %s", mb.Type, mb.Address)
		if mb.Pharmacy {
			fmt.Fprintf(w, " (pharmacy)")
		}
		if mb.ReadReceipt != "" {
			fmt.Fprintf(w, " (reads: MDN %s)", mb.ReadReceipt)
		}
		fmt.Fprintf(w, "\n      IMAP password %s\n", mb.Password)
		if mb.Type == mssantetest.APP {
			fmt.Fprintf(w, "      client certificate %s, key %s\n      PKCS#12 %s (password %q)\n",
				abs(mb.Cert), abs(mb.Key), abs(mb.P12), mssantetest.P12Password)
		} else {
			fmt.Fprintf(w, "      XOAUTH2 token %s (until %s)\n", mb.Token, mb.TokenExpires.Format(time.RFC3339))
		}
	}
	fmt.Fprintf(w, "patients (Mon Espace Santé):\n")
	for _, p := range d.Patients {
		fmt.Fprintf(w, "  %s %s", p.Address, p.State)
		if p.Unread {
			fmt.Fprintf(w, " (never reads)")
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  any other valid INS: no profile; a bad key or length: invalid address\n")
	fmt.Fprintf(w, "running; interrupt (Ctrl-C) to stop\n")
}
