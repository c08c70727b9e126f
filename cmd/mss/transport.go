package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/mssante-go/sdk/internal/mssconfig"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/smtpclient"
)

// transportConfig is the configuration file of mss send, mss fetch and
// mss delivery run (package internal/mssconfig, docs/configuration.md): the
// operator.json of mss operator --dir is one. creds holds the credentials
// given as flags, which win over the file's.
type transportConfig struct {
	*mssconfig.Config
	creds mssconfig.Credentials
}

// transportFlags registers the flags that override the configuration file:
// the server of the protocol used (smtp for mss send, imap for mss fetch),
// TLS and credentials.
func transportFlags(fs *flag.FlagSet, cfg *transportConfig, protocol string) {
	switch protocol {
	case "smtp":
		fs.StringVar(&cfg.SMTP, "smtp", cfg.SMTP, "SMTP submission server `HOST[:PORT]` (port 587 by default)")
	case "imap":
		fs.StringVar(&cfg.IMAP, "imap", cfg.IMAP, "IMAP server `HOST[:PORT]` (port 143 by default)")
	}
	fs.BoolVar(&cfg.ImplicitTLS, "implicit-tls", cfg.ImplicitTLS, "TLS from the first byte instead of STARTTLS")
	fs.StringVar(&cfg.ServerName, "server-name", cfg.ServerName, "`NAME` expected in the operator's certificate")
	fs.StringVar(&cfg.CA, "ca", cfg.CA, "PEM `FILE` of the IGC Santé chain")
	fs.StringVar(&cfg.CRL, "crl", cfg.CRL, "CRL `FILE` to check the operator's certificate against")
	fs.StringVar(&cfg.creds.Cert, "cert", "", "PEM client certificate `FILE`")
	fs.StringVar(&cfg.creds.Key, "key", "", "PEM client key `FILE`")
	fs.StringVar(&cfg.creds.P12, "p12", "", "PKCS#12 client certificate `FILE` (password in $MSS_P12_PASSWORD)")
	fs.StringVar(&cfg.creds.Auth, "auth", "", "SASL `MECHANISM`: XOAUTH2 (token in $MSS_ACCESS_TOKEN), EXTERNAL, PLAIN, or none")
	fs.StringVar(&cfg.User, "user", cfg.User, "mailbox `ADDRESS` whose credentials are used (the file may hold several)")
}

// parseTransportArgs reads --config first, then lets the other flags
// override it.
// On failure, code is the exit code to return (the message printed).
func parseTransportArgs(env *cmdEnv, name, protocol string, args []string, extra func(fs *flagSet, cfg *transportConfig)) (cfg *transportConfig, pos []string, code int, ok bool) {
	var cfgPath string
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			cfgPath = v
		} else if v, ok := strings.CutPrefix(a, "-config="); ok {
			cfgPath = v
		} else if (a == "--config" || a == "-config") && i+1 < len(args) {
			cfgPath = args[i+1]
		}
	}
	if slices.ContainsFunc(args, isHelpFlag) {
		cfgPath = "" // the help needs no configuration
	}
	cfg = &transportConfig{Config: mssconfig.New(".")}
	if cfgPath != "" {
		c, err := mssconfig.Load(cfgPath)
		if err != nil {
			return nil, nil, env.failFile(2, cfgPath, err), false
		}
		cfg.Config = c
	}
	fs := newFlagSet(env, name)
	fs.String("config", cfgPath, "JSON configuration `FILE` (see docs/configuration.md; the operator.json of mss operator is one)")
	transportFlags(fs, cfg, protocol)
	if extra != nil {
		extra(fs, cfg)
	}
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return nil, nil, usageExit(err), false
	}
	return cfg, pos, 0, true
}

type flagSet = flag.FlagSet

// trustSpaceFlags registers the flags of the recipient check of the
// commands that send.
func trustSpaceFlags(fs *flag.FlagSet, cfg *transportConfig) {
	fs.StringVar(&cfg.ListeBlanche, "liste-blanche", cfg.ListeBlanche,
		"liste blanche `FILE` (listeblanchemssante.xml) every recipient is checked against before anything is sent")
	fs.BoolVar(&cfg.InsecureSkipRecipientCheck, "insecure-skip-recipient-check", cfg.InsecureSkipRecipientCheck,
		"send without checking the recipients against the MSSanté trust space (tests only)")
}

// smtpOptions returns the SMTP options of a sender's mailbox, with the
// recipient check of the liste blanche; it warns on standard error when
// the check is turned off.
func (cfg *transportConfig) smtpOptions(env *cmdEnv, sender string) (smtpclient.Options, error) {
	opt, err := cfg.SMTPOptions(sender, cfg.creds)
	if err != nil {
		return opt, err
	}
	if opt.InsecureSkipRecipientCheck {
		env.errorf("WARNING: the recipients are not checked against the MSSanté trust space (insecure_skip_recipient_check)")
		opt.Logger = slog.New(slog.DiscardHandler) // warned here, once
	}
	return opt, nil
}

func pick(specific, general string) string {
	if specific != "" {
		return specific
	}
	return general
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func sendCommand() *command {
	return &command{
		name:    "send",
		summary: "submit a message to the operator over SMTP (STARTTLS, TLS 1.2, client certificate or token)",
		usage:   "--config FILE [flags] MESSAGE.eml",
		about: "MESSAGE.eml (- for standard input) is sent as it is, without its Bcc field; the\n" +
			"envelope comes from the flags or from its From, To, Cc and Bcc fields. Every recipient\n" +
			"is checked against the liste blanche (\"liste_blanche\", --liste-blanche) before anything\n" +
			"is sent. The configuration file holds the operator, the IGC Santé chain, the liste\n" +
			"blanche and the credentials of one or several mailboxes (docs/configuration.md; the\n" +
			"operator.json of mss operator is one): the message is sent with those of its sender.\n" +
			"Flags override it. Secrets may come from $MSS_ACCESS_TOKEN, $MSS_P12_PASSWORD,\n" +
			"$MSS_PASSWORD.\n" +
			"Prints one line per recipient: its status, the SMTP code and the server's answer.",
		examples: []example{
			{"mss send --config mss.json message.eml", "send with the settings of mss.json"},
			{"mss send --config /tmp/op/operator.json --user dpi@hopital-test.mssante.fr --json message.eml",
				"send through a running mss operator from one of its mailboxes, the result as JSON"},
		},
		exits: exitCodes("every recipient was accepted", "a recipient was refused, or the message could not be sent"),
		run:   runSend,
	}
}

func runSend(env *cmdEnv, args []string) int {
	var from, to string
	var notify, ret, envid string
	var asJSON bool
	var timeout time.Duration
	cfg, pos, code, ok := parseTransportArgs(env, "send", "smtp", args, func(fs *flagSet, cfg *transportConfig) {
		trustSpaceFlags(fs, cfg)
		fs.StringVar(&from, "from", "", "envelope sender `ADDRESS` (default: user, or the From header)")
		fs.StringVar(&to, "to", "", "comma-separated recipient `ADDRESSES` (default: To, Cc and Bcc headers)")
		fs.StringVar(&notify, "notify", "", "DSN NOTIFY `LIST`, e.g. SUCCESS,FAILURE")
		fs.StringVar(&ret, "ret", "", "DSN RET `VALUE`: FULL or HDRS")
		fs.StringVar(&envid, "envid", "", "DSN `ENVID`")
		fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
		fs.DurationVar(&timeout, "timeout", 2*time.Minute, "give up after `DURATION`")
	})
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return env.usageError("want one MESSAGE.eml, got %d", len(pos))
	}
	raw, err := readInput(env, pos[0])
	if err != nil {
		return env.failFile(1, pos[0], err)
	}
	envl, err := envelopeOf(raw, pick(from, cfg.User), to)
	if err != nil {
		return env.failFile(2, pos[0], err)
	}
	if notify != "" || ret != "" || envid != "" {
		envl.DSN = &mssante.DSNRequest{Return: ret, EnvelopeID: envid}
		if notify != "" {
			envl.DSN.Notify = strings.Split(notify, ",")
		}
	}
	if cfg.SMTP == "" {
		return env.usageError("no SMTP server (--smtp or \"smtp\")")
	}
	// The credentials of the sender's mailbox, and the trust space.
	opt, err := cfg.smtpOptions(env, envl.From)
	if err != nil {
		return env.fail(2, err)
	}
	// The Bcc field never leaves: each Bcc recipient is in the envelope only.
	raw = mssante.WithoutBcc(raw)
	c, err := smtpclient.New(&opt)
	if err != nil {
		return env.fail(2, err)
	}
	defer c.Close()
	ctx, stop := signalContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := c.Send(ctx, envl, bytes.NewReader(raw))
	if res == nil {
		return env.fail(1, err)
	}
	printSendResult(env, res, asJSON)
	if err != nil {
		return 1
	}
	return 0
}

type recipientJSON struct {
	Recipient    string `json:"recipient"`
	Status       string `json:"status"`
	Code         int    `json:"code,omitempty"`
	EnhancedCode string `json:"enhanced_code,omitempty"`
	Error        string `json:"error,omitempty"`
}

func printSendResult(env *cmdEnv, res *mssante.SendResult, asJSON bool) {
	var out []recipientJSON
	for _, rr := range res.Recipients {
		r := recipientJSON{Recipient: rr.Recipient, Status: rr.Status.String()}
		var se *mssante.SMTPError
		if errors.As(rr.Err, &se) {
			r.Code, r.EnhancedCode, r.Error = se.Code, se.EnhancedCode, se.Message
		} else if rr.Err != nil {
			r.Error = rr.Err.Error()
		}
		out = append(out, r)
	}
	if asJSON {
		writeJSON(env.stdout, out)
		return
	}
	for _, r := range out {
		line := fmt.Sprintf("%-18s %s", r.Status, r.Recipient)
		if r.Code != 0 {
			line += fmt.Sprintf("  %d %s", r.Code, r.EnhancedCode)
		}
		if r.Error != "" {
			line += "  " + r.Error
		}
		fmt.Fprintln(env.stdout, strings.TrimRight(line, " "))
	}
}

// envelopeOf builds the envelope from the flags, or from the headers.
func envelopeOf(raw []byte, from, to string) (*mssante.Envelope, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading the message: %w", err)
	}
	env := &mssante.Envelope{From: from}
	if env.From == "" {
		addrs, err := msg.Header.AddressList("From")
		if err != nil || len(addrs) != 1 {
			return nil, errors.New("no sender: use --from or a single From address")
		}
		env.From = addrs[0].Address
	}
	if to != "" {
		for _, a := range strings.Split(to, ",") {
			if a = strings.TrimSpace(a); a != "" {
				env.To = append(env.To, a)
			}
		}
	} else {
		for _, h := range []string{"To", "Cc", "Bcc"} {
			addrs, err := msg.Header.AddressList(h)
			if err != nil && !errors.Is(err, mail.ErrHeaderNotPresent) {
				return nil, fmt.Errorf("%s header: %w", h, err)
			}
			for _, a := range addrs {
				env.To = append(env.To, a.Address)
			}
		}
	}
	if len(env.To) == 0 {
		return nil, errors.New("no recipient: use --to or To/Cc/Bcc headers")
	}
	return env, nil
}

func fetchCommand() *command {
	return &command{
		name:    "fetch",
		summary: "store new messages from the operator's IMAP server as .eml files",
		usage:   "--config FILE --out DIR [flags]",
		about: "Each new message is written durably to DIR (temporary file, fsync, rename) under a\n" +
			"name derived from its id on the server, then marked seen (or moved, \"move_to\") on the\n" +
			"server: a message is never lost, and one fetched twice after a crash overwrites its\n" +
			"first copy. Prints the path of each file written; the count goes to standard error.\n" +
			"The configuration file is the one of mss send (docs/configuration.md); --user names\n" +
			"the mailbox when it holds several.",
		examples: []example{
			{"mss fetch --config mss.json --out inbox/", "store the new messages in inbox/"},
			{"mss fetch --config mss.json --out inbox/ --cursor cursor.json --watch", "every message newer than the cursor, then keep watching (IDLE)"},
		},
		exits: exitCodes("the messages were fetched", "the server could not be reached or a message not stored"),
		run:   runFetch,
	}
}

func runFetch(env *cmdEnv, args []string) int {
	var out string
	var watch, asJSON bool
	var timeout time.Duration
	cfg, pos, code, ok := parseTransportArgs(env, "fetch", "imap", args, func(fs *flagSet, cfg *transportConfig) {
		fs.StringVar(&out, "out", "", "`DIR` to store the messages in (required)")
		fs.BoolVar(&watch, "watch", false, "keep running and fetch new mail as it arrives (IDLE)")
		fs.StringVar(&cfg.Cursor, "cursor", cfg.Cursor, "`FILE` remembering the last UID fetched: fetch every newer message, seen or not")
		fs.DurationVar(&timeout, "timeout", 5*time.Minute, "give up after `DURATION` (without --watch)")
		fs.BoolVar(&asJSON, "json", false, `print each file written as a JSON line {"file","id"}`)
	})
	if !ok {
		return code
	}
	switch {
	case len(pos) != 0:
		return env.usageError("unexpected argument %q", pos[0])
	case out == "":
		return env.usageError("no --out DIR")
	case cfg.IMAP == "":
		return env.usageError("no IMAP server (--imap or \"imap\")")
	}
	iopt, err := cfg.IMAPOptions(cfg.User, cfg.creds)
	if err != nil {
		return env.fail(2, err)
	}
	c, err := imapclient.New(&iopt)
	if err != nil {
		return env.fail(2, err)
	}
	defer c.Close()
	if err := os.MkdirAll(out, 0o700); err != nil {
		return env.fail(1, err)
	}
	ctx, stop := signalContext()
	defer stop()
	store := func(_ context.Context, m *mssante.Received) error {
		name, err := storeEML(out, m)
		if err != nil {
			return err
		}
		if asJSON {
			// One JSON document per line, so that --watch can stream them.
			b, err := json.Marshal(fetchResult{File: name, ID: m.ID})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "%s\n", jsonSafe(string(b)))
		} else {
			fmt.Fprintln(env.stdout, name)
		}
		return nil
	}
	if watch {
		if err := c.Watch(ctx, store); err != nil && !errors.Is(err, context.Canceled) {
			return env.fail(1, err)
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	n, err := c.ReceiveCount(ctx, store)
	if err != nil {
		return env.fail(1, err)
	}
	env.errorf("%d new message(s)", n)
	return 0
}

// fetchResult is one line of `mss fetch --json`.
type fetchResult struct {
	File string `json:"file"`
	ID   string `json:"id"` // MAILBOX/UIDVALIDITY/UID on the server
}

// storeEML writes the message durably (temporary file, fsync, rename) under
// a name derived from its ID, so that a message handed twice after a crash
// overwrites its first copy instead of making a duplicate.
func storeEML(dir string, m *mssante.Received) (string, error) {
	sum := sha256.Sum256([]byte(m.ID))
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, m.ID)
	if len(safe) > 80 {
		safe = safe[:80]
	}
	name := filepath.Join(dir, safe+"-"+hex.EncodeToString(sum[:4])+".eml")
	tmp, err := os.CreateTemp(dir, ".fetch-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.ReadFrom(m.Body); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return "", err
	}
	return name, nil
}
