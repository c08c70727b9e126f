package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// transportConfig is the JSON configuration of mss send and mss fetch.
// Relative paths are relative to the configuration file. Secrets (token,
// passwords) may come from environment variables instead of the file.
type transportConfig struct {
	SMTP        string `json:"smtp"`         // host[:port], default port 587
	IMAP        string `json:"imap"`         // host[:port], default port 143
	ImplicitTLS bool   `json:"implicit_tls"` // TLS from the first byte (465/993)
	ServerName  string `json:"server_name"`  // name in the operator's certificate (default: the host)
	CA          string `json:"ca"`           // PEM file: IGC Santé chain (required)
	CRL         string `json:"crl"`          // optional CRL file (DER or PEM): revocation checked, fail-closed
	Cert        string `json:"cert"`         // PEM client certificate (applicative mailbox)
	Key         string `json:"key"`          // its PEM key
	P12         string `json:"p12"`          // or a PKCS#12 file
	P12Password string `json:"p12_password"` // or $MSS_P12_PASSWORD
	Auth        string `json:"auth"`         // "", XOAUTH2, EXTERNAL, PLAIN (for both protocols)
	SMTPAuth    string `json:"smtp_auth"`    // overrides auth for SMTP ("none" for no SASL)
	IMAPAuth    string `json:"imap_auth"`    // overrides auth for IMAP
	User        string `json:"user"`         // mailbox address (XOAUTH2, PLAIN; default sender)
	Password    string `json:"password"`     // PLAIN (loopback tests only), or $MSS_PASSWORD
	Token       string `json:"token"`        // XOAUTH2 access token, or $MSS_ACCESS_TOKEN
	Mailbox     string `json:"mailbox"`      // IMAP folder, default INBOX
	MoveTo      string `json:"move_to"`      // move fetched messages there instead of flagging them seen
	Cursor      string `json:"cursor"`       // JSON file remembering the last UID fetched (UID-based fetch)
}

func loadTransportConfig(path string) (*transportConfig, string, error) {
	cfg := &transportConfig{}
	if path == "" {
		return cfg, ".", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return cfg, filepath.Dir(path), nil
}

// transportFlags registers the flags that override the configuration file.
func transportFlags(fs *flag.FlagSet, cfg *transportConfig) {
	fs.StringVar(&cfg.SMTP, "smtp", cfg.SMTP, "SMTP submission server `HOST[:PORT]`")
	fs.StringVar(&cfg.IMAP, "imap", cfg.IMAP, "IMAP server `HOST[:PORT]`")
	fs.BoolVar(&cfg.ImplicitTLS, "implicit-tls", cfg.ImplicitTLS, "TLS from the first byte instead of STARTTLS")
	fs.StringVar(&cfg.ServerName, "server-name", cfg.ServerName, "`NAME` expected in the operator's certificate")
	fs.StringVar(&cfg.CA, "ca", cfg.CA, "PEM `FILE` of the IGC Santé chain")
	fs.StringVar(&cfg.CRL, "crl", cfg.CRL, "CRL `FILE` to check the operator's certificate against")
	fs.StringVar(&cfg.Cert, "cert", cfg.Cert, "PEM client certificate `FILE`")
	fs.StringVar(&cfg.Key, "key", cfg.Key, "PEM client key `FILE`")
	fs.StringVar(&cfg.P12, "p12", cfg.P12, "PKCS#12 client certificate `FILE` (password in $MSS_P12_PASSWORD)")
	fs.StringVar(&cfg.Auth, "auth", cfg.Auth, "SASL `MECHANISM`: XOAUTH2 (token in $MSS_ACCESS_TOKEN), EXTERNAL, PLAIN, or none")
	fs.StringVar(&cfg.User, "user", cfg.User, "mailbox `ADDRESS`")
}

// parseTransportArgs reads --config first, then lets the other flags
// override it.
func parseTransportArgs(env *cmdEnv, name string, args []string, extra func(fs *flagSet, cfg *transportConfig)) (*transportConfig, string, []string, bool) {
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
	cfg, dir, err := loadTransportConfig(cfgPath)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss %s: %v\n", name, err)
		return nil, "", nil, false
	}
	fs := newFlagSet(env, name)
	fs.String("config", cfgPath, "JSON configuration `FILE` (see docs/transports.md)")
	transportFlags(fs, cfg)
	if extra != nil {
		extra(fs, cfg)
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, "", nil, false
	}
	return cfg, dir, pos, true
}

type flagSet = flag.FlagSet

func (cfg *transportConfig) path(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func (cfg *transportConfig) tlsOptions(dir string) (tlsauth.TLSOptions, error) {
	var o tlsauth.TLSOptions
	if cfg.CA == "" {
		return o, errors.New("no CA file (--ca or \"ca\"): the IGC Santé chain is required")
	}
	pemData, err := os.ReadFile(cfg.path(dir, cfg.CA))
	if err != nil {
		return o, err
	}
	if o.RootCAs, err = tlsauth.LoadRoots(pemData); err != nil {
		return o, err
	}
	o.ServerName = cfg.ServerName
	if cfg.CRL != "" {
		data, err := os.ReadFile(cfg.path(dir, cfg.CRL))
		if err != nil {
			return o, err
		}
		crls, err := tlsauth.ParseCRLs(data)
		if err != nil {
			return o, err
		}
		o.Revocation = tlsauth.StaticCRLs(crls...)
	}
	var cert tls.Certificate
	switch {
	case cfg.P12 != "":
		data, err := os.ReadFile(cfg.path(dir, cfg.P12))
		if err != nil {
			return o, err
		}
		pw := cfg.P12Password
		if v := os.Getenv("MSS_P12_PASSWORD"); v != "" {
			pw = v
		}
		if cert, err = tlsauth.LoadPKCS12(data, pw); err != nil {
			return o, err
		}
		o.Certificate = &cert
	case cfg.Cert != "" || cfg.Key != "":
		c, err1 := os.ReadFile(cfg.path(dir, cfg.Cert))
		k, err2 := os.ReadFile(cfg.path(dir, cfg.Key))
		if err := errors.Join(err1, err2); err != nil {
			return o, err
		}
		if cert, err = tlsauth.LoadPEM(c, k); err != nil {
			return o, err
		}
		o.Certificate = &cert
	}
	return o, nil
}

func (cfg *transportConfig) auth(mech string) (tlsauth.Auth, error) {
	a := tlsauth.Auth{Username: cfg.User}
	switch strings.ToUpper(mech) {
	case "", "NONE":
	case "XOAUTH2":
		tok := cfg.Token
		if v := os.Getenv("MSS_ACCESS_TOKEN"); v != "" {
			tok = v
		}
		if tok == "" {
			return a, errors.New("XOAUTH2 needs an access token ($MSS_ACCESS_TOKEN)")
		}
		a.Mechanism = tlsauth.XOAuth2
		a.Tokens = tlsauth.TokenSourceFunc(func(context.Context) (string, time.Time, error) { return tok, time.Time{}, nil })
	case "EXTERNAL":
		a.Mechanism, a.Username = tlsauth.External, ""
	case "PLAIN":
		a.Mechanism, a.Password = tlsauth.Plain, cfg.Password
		if v := os.Getenv("MSS_PASSWORD"); v != "" {
			a.Password = v
		}
	default:
		return a, fmt.Errorf("unknown SASL mechanism %q", mech)
	}
	return a, nil
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

func runSend(env *cmdEnv, args []string) int {
	var from, to string
	var notify, ret, envid string
	var asJSON bool
	var timeout time.Duration
	cfg, dir, pos, ok := parseTransportArgs(env, "send", args, func(fs *flagSet, _ *transportConfig) {
		fs.StringVar(&from, "from", "", "envelope sender `ADDRESS` (default: user, or the From header)")
		fs.StringVar(&to, "to", "", "comma-separated recipient `ADDRESSES` (default: To, Cc and Bcc headers)")
		fs.StringVar(&notify, "notify", "", "DSN NOTIFY `LIST`, e.g. SUCCESS,FAILURE")
		fs.StringVar(&ret, "ret", "", "DSN RET: FULL or HDRS")
		fs.StringVar(&envid, "envid", "", "DSN ENVID")
		fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
		fs.DurationVar(&timeout, "timeout", 2*time.Minute, "give up after `DURATION`")
	})
	if !ok {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.stderr, "usage: mss send --config FILE [flags] MESSAGE.eml (- for stdin)")
		return 2
	}
	raw, err := readInput(env, pos[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "mss send: %v\n", err)
		return 1
	}
	envl, err := envelopeOf(raw, pick(from, cfg.User), to)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss send: %v\n", err)
		return 2
	}
	if notify != "" || ret != "" || envid != "" {
		envl.DSN = &mssante.DSNRequest{Return: ret, EnvelopeID: envid}
		if notify != "" {
			envl.DSN.Notify = strings.Split(notify, ",")
		}
	}
	if cfg.SMTP == "" {
		fmt.Fprintln(env.stderr, "mss send: no SMTP server (--smtp or \"smtp\")")
		return 2
	}
	tlsOpt, err := cfg.tlsOptions(dir)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss send: %v\n", err)
		return 2
	}
	auth, err := cfg.auth(pick(cfg.SMTPAuth, cfg.Auth))
	if err != nil {
		fmt.Fprintf(env.stderr, "mss send: %v\n", err)
		return 2
	}
	c, err := smtpclient.New(&smtpclient.Options{Addr: cfg.SMTP, ImplicitTLS: cfg.ImplicitTLS, TLS: tlsOpt, Auth: auth})
	if err != nil {
		fmt.Fprintf(env.stderr, "mss send: %v\n", err)
		return 2
	}
	defer c.Close()
	ctx, stop := signalContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := c.Send(ctx, envl, bytes.NewReader(raw))
	if res == nil {
		fmt.Fprintf(env.stderr, "mss send: %v\n", err)
		return 1
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

func runFetch(env *cmdEnv, args []string) int {
	var out string
	var watch bool
	var timeout time.Duration
	cfg, dir, pos, ok := parseTransportArgs(env, "fetch", args, func(fs *flagSet, cfg *transportConfig) {
		fs.StringVar(&out, "out", "", "`DIR` to store the messages in (required)")
		fs.BoolVar(&watch, "watch", false, "keep running and fetch new mail as it arrives (IDLE)")
		fs.StringVar(&cfg.Cursor, "cursor", cfg.Cursor, "`FILE` remembering the last UID fetched: fetch every newer message, seen or not")
		fs.DurationVar(&timeout, "timeout", 5*time.Minute, "give up after `DURATION` (without --watch)")
	})
	if !ok {
		return 2
	}
	if len(pos) != 0 || out == "" || cfg.IMAP == "" {
		fmt.Fprintln(env.stderr, "usage: mss fetch --config FILE --out DIR [--imap HOST[:PORT]] [--watch]")
		return 2
	}
	tlsOpt, err := cfg.tlsOptions(dir)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss fetch: %v\n", err)
		return 2
	}
	auth, err := cfg.auth(pick(cfg.IMAPAuth, cfg.Auth))
	if err != nil {
		fmt.Fprintf(env.stderr, "mss fetch: %v\n", err)
		return 2
	}
	iopt := imapclient.Options{Addr: cfg.IMAP, ImplicitTLS: cfg.ImplicitTLS, TLS: tlsOpt, Auth: auth,
		Mailbox: cfg.Mailbox, MoveTo: cfg.MoveTo}
	if cfg.Cursor != "" {
		iopt.Cursor = &imapclient.FileCursor{Path: cfg.path(dir, cfg.Cursor)}
	}
	c, err := imapclient.New(&iopt)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss fetch: %v\n", err)
		return 2
	}
	defer c.Close()
	if err := os.MkdirAll(out, 0o700); err != nil {
		fmt.Fprintf(env.stderr, "mss fetch: %v\n", err)
		return 1
	}
	ctx, stop := signalContext()
	defer stop()
	store := func(_ context.Context, m *mssante.Received) error {
		name, err := storeEML(out, m)
		if err == nil {
			fmt.Fprintln(env.stdout, name)
		}
		return err
	}
	if watch {
		if err := c.Watch(ctx, store); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(env.stderr, "mss fetch: %v\n", err)
			return 1
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	n, err := c.ReceiveCount(ctx, store)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss fetch: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.stderr, "mss fetch: %d new message(s)\n", n)
	return 0
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
