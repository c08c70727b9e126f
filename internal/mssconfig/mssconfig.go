// Package mssconfig reads the one configuration file of the mss commands
// that talk to an operator (mss send, mss fetch, mss delivery run, and the
// local HTTP service to come): the operator's servers and trust chain, and
// the mailboxes with their credentials. The operator.json that
// "mss operator --dir DIR" writes (mssantetest.Description) is such a file,
// accepted as is. See docs/configuration.md for an annotated example.
//
// A file holds either one mailbox, with its credentials at the top level
// ("user", "cert", "p12", "token"...), or several, in "mailboxes"; a command
// uses, for each message, the entry of its sender. Relative paths are
// relative to the file. Secrets may come from the environment instead:
// MSS_P12_PASSWORD, MSS_ACCESS_TOKEN (XOAUTH2) and MSS_PASSWORD (PLAIN, on
// loopback only) override the top-level keys, and fill in what a mailbox
// entry leaves empty.
package mssconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/imapclient"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// Credentials authenticate one mailbox.
type Credentials struct {
	Cert        string `json:"cert,omitempty"`         // PEM client certificate (applicative mailbox)
	Key         string `json:"key,omitempty"`          // its PEM key
	P12         string `json:"p12,omitempty"`          // or a PKCS#12 file
	P12Password string `json:"p12_password,omitempty"` // or $MSS_P12_PASSWORD
	// Auth is the SASL mechanism of both protocols: XOAUTH2, EXTERNAL,
	// PLAIN or none; SMTPAuth and IMAPAuth override it per protocol.
	// Empty in a mailbox entry means: XOAUTH2 with a token, none on SMTP
	// and EXTERNAL on IMAP with a certificate, PLAIN with a password.
	Auth     string `json:"auth,omitempty"`
	SMTPAuth string `json:"smtp_auth,omitempty"`
	IMAPAuth string `json:"imap_auth,omitempty"`
	Password string `json:"password,omitempty"` // PLAIN (loopback tests only), or $MSS_PASSWORD
	Token    string `json:"token,omitempty"`    // XOAUTH2 access token, or $MSS_ACCESS_TOKEN
}

// Mailbox is an entry of "mailboxes". Type, Label, TokenExpires,
// ReadReceipt and Pharmacy are what mss operator writes; they are read and
// not used.
type Mailbox struct {
	Address string `json:"address"`
	Type    string `json:"type,omitempty"`
	Label   string `json:"label,omitempty"`
	Credentials
	TokenExpires *time.Time `json:"token_expires,omitempty"`
	ReadReceipt  string     `json:"read_receipt,omitempty"`
	Pharmacy     bool       `json:"pharmacy,omitempty"`
}

// Config is the configuration file.
type Config struct {
	SMTP        string `json:"smtp"`                   // host[:port], default port 587
	IMAP        string `json:"imap,omitempty"`         // host[:port], default port 143
	ImplicitTLS bool   `json:"implicit_tls,omitempty"` // TLS from the first byte (465/993)
	ServerName  string `json:"server_name,omitempty"`  // name in the operator's certificate (default: the host)
	CA          string `json:"ca"`                     // PEM file: IGC Santé chain (required)
	CRL         string `json:"crl,omitempty"`          // CRL file (DER or PEM): revocation checked, fail-closed
	// ListeBlanche is the liste blanche file (listeblanchemssante.xml, or
	// the listeblanche.xml of mss operator) that every recipient is checked
	// against before anything is sent: required to send (SMTPOptions).
	ListeBlanche string `json:"liste_blanche,omitempty"`
	// InsecureSkipRecipientCheck sends without that check (tests only; the
	// commands warn).
	InsecureSkipRecipientCheck bool `json:"insecure_skip_recipient_check,omitempty"`

	// The single mailbox of a one-mailbox file: User is its address.
	User string `json:"user,omitempty"`
	Credentials

	Mailbox string `json:"mailbox,omitempty"` // IMAP folder, default INBOX
	MoveTo  string `json:"move_to,omitempty"` // move fetched messages there instead of flagging them seen
	Cursor  string `json:"cursor,omitempty"`  // JSON file remembering the last UID fetched

	// Mailboxes are the mailboxes of a several-mailbox file.
	Mailboxes []Mailbox `json:"mailboxes,omitempty"`
	// Patients is written by mss operator (its test registry); ignored.
	Patients json.RawMessage `json:"patients,omitempty"`
	// Serve configures mss serve.
	Serve *Serve `json:"serve,omitempty"`

	dir     string
	checker *annuaire.RecipientChecker // read once from ListeBlanche
}

// Serve is the "serve" section: the HTTP service of mss serve
// (docs/serve.md). Every field is optional.
type Serve struct {
	// Listen is the address (default 127.0.0.1:8480, loopback).
	Listen string `json:"listen,omitempty"`
	// APIKey is the bearer key of the API; $MSS_API_KEY wins over it.
	APIKey string `json:"api_key,omitempty"`
	// TLSCert and TLSKey (PEM) make the listener HTTPS; with ClientCA
	// (PEM roots) every client must present a certificate they issued.
	TLSCert  string `json:"tls_cert,omitempty"`
	TLSKey   string `json:"tls_key,omitempty"`
	ClientCA string `json:"client_ca,omitempty"`
	// DocumentIDRoot is the OID under which document ids are made; NIL
	// the X-MSS-NIL product reference of the messages.
	DocumentIDRoot string `json:"document_id_root,omitempty"`
	NIL            string `json:"nil,omitempty"`
	// Directory is the extraction file of the Annuaire Santé (GET
	// /v1/directory).
	Directory string `json:"directory,omitempty"`
	// Environment is "production" or "test": the INS authorities of the
	// other are refused; empty accepts both.
	Environment string `json:"environment,omitempty"`
	// Webhooks receive every event (signed; the secret may come from
	// $MSS_WEBHOOK_SECRET when the entry has none).
	Webhooks []Webhook `json:"webhooks,omitempty"`
	// Limits (0: the defaults of package mssante/serve).
	MaxBodyBytes  int64 `json:"max_body_bytes,omitempty"`
	MaxRecipients int   `json:"max_recipients,omitempty"`
	MaxConcurrent int   `json:"max_concurrent,omitempty"`
	MaxStreams    int   `json:"max_streams,omitempty"`
}

// Webhook is an entry of "webhooks".
type Webhook struct {
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
}

// ErrNoListeBlanche: the configuration names no liste blanche, so no
// recipient can be checked against the trust space.
var ErrNoListeBlanche = errors.New(`no liste blanche: set "liste_blanche" (listeblanchemssante.xml) ` +
	`to check the recipients against the MSSanté trust space, or, for tests only, "insecure_skip_recipient_check"`)

// RecipientChecker returns the check of the recipients against the liste
// blanche of the file (read once, bounded by annuaire's limits), or
// ErrNoListeBlanche.
func (c *Config) RecipientChecker() (*annuaire.RecipientChecker, error) {
	if c.checker != nil {
		return c.checker, nil
	}
	if c.ListeBlanche == "" {
		return nil, ErrNoListeBlanche
	}
	f, err := os.Open(c.Path(c.ListeBlanche))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	wl, _, err := annuaire.ParseWhitelist(f, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.ListeBlanche, err)
	}
	c.checker = &annuaire.RecipientChecker{Whitelist: wl}
	return c.checker, nil
}

// MaxFileSize bounds the configuration file: it is read bounded (a
// *limit.Error past it), not whole and then checked.
const MaxFileSize = 1 << 20

// Load reads a configuration file (see Parse).
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := limit.ReadAll(f, path, MaxFileSize)
	if err != nil {
		return nil, err
	}
	cfg, err := Parse(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse reads a configuration whose relative paths are relative to dir:
// one JSON object (nothing after it), unknown keys refused so that a typing
// mistake is not silently ignored, every mailbox entry with an address.
func Parse(data []byte, dir string) (*Config, error) {
	cfg := &Config{dir: dir}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the configuration object")
	}
	for i, mb := range cfg.Mailboxes {
		if mb.Address == "" {
			return nil, fmt.Errorf("mailboxes[%d]: no address", i)
		}
	}
	return cfg, nil
}

// New returns an empty configuration whose relative paths are relative to
// dir.
func New(dir string) *Config { return &Config{dir: dir} }

// ErrNoMailbox: the file has no credentials for the address asked for.
var ErrNoMailbox = errors.New("mssconfig: no such mailbox in the configuration")

// Addresses returns the mailboxes of the file: the entries of "mailboxes",
// else the top-level user (nil when there is none).
func (c *Config) Addresses() []string {
	var out []string
	for _, mb := range c.Mailboxes {
		out = append(out, mb.Address)
	}
	if len(out) == 0 && c.User != "" {
		out = append(out, c.User)
	}
	return out
}

// credentials returns the credentials of address (any case) and the
// address to log in with. An empty address means the only mailbox.
// Credentials given in override (the command-line flags) win.
func (c *Config) credentials(address string, override Credentials) (Credentials, string, error) {
	if address == "" {
		switch addrs := c.Addresses(); {
		case len(c.Mailboxes) > 1:
			return Credentials{}, "", fmt.Errorf("%w: the file has %d mailboxes (%s): choose one", ErrNoMailbox, len(addrs), strings.Join(addrs, ", "))
		case len(addrs) == 1:
			address = addrs[0]
		}
	}
	for _, mb := range c.Mailboxes {
		if strings.EqualFold(mb.Address, address) {
			cr := merge(override, mb.Credentials)
			// Environment variables fill in what the entry leaves empty.
			cr.P12Password = first(cr.P12Password, os.Getenv("MSS_P12_PASSWORD"))
			cr.Token = first(cr.Token, os.Getenv("MSS_ACCESS_TOKEN"))
			cr.Password = first(cr.Password, os.Getenv("MSS_PASSWORD"))
			return inferAuth(cr), mb.Address, nil
		}
	}
	if len(c.Mailboxes) > 0 && c.Credentials == (Credentials{}) {
		return Credentials{}, "", fmt.Errorf("%w: %s", ErrNoMailbox, address)
	}
	// The one-mailbox form: the top-level keys, the environment winning.
	cr := merge(override, c.Credentials)
	cr.P12Password = first(os.Getenv("MSS_P12_PASSWORD"), cr.P12Password)
	cr.Token = first(os.Getenv("MSS_ACCESS_TOKEN"), cr.Token)
	cr.Password = first(os.Getenv("MSS_PASSWORD"), cr.Password)
	return cr, first(c.User, address), nil
}

// merge returns a with its empty fields taken from b.
// The certificate fields go as a group: a certificate in a replaces b's.
func merge(a, b Credentials) Credentials {
	if a.Cert == "" && a.Key == "" && a.P12 == "" {
		a.Cert, a.Key, a.P12 = b.Cert, b.Key, b.P12
	}
	a.P12Password = first(a.P12Password, b.P12Password)
	a.Auth, a.SMTPAuth, a.IMAPAuth = first(a.Auth, b.Auth), first(a.SMTPAuth, b.SMTPAuth), first(a.IMAPAuth, b.IMAPAuth)
	a.Password, a.Token = first(a.Password, b.Password), first(a.Token, b.Token)
	return a
}

// inferAuth chooses the mechanisms of a mailbox entry that names none.
func inferAuth(c Credentials) Credentials {
	if c.Auth != "" || c.SMTPAuth != "" || c.IMAPAuth != "" {
		return c
	}
	switch {
	case c.Cert != "" || c.P12 != "":
		c.SMTPAuth, c.IMAPAuth = "none", "EXTERNAL"
	case c.Token != "":
		c.Auth = "XOAUTH2"
	case c.Password != "":
		c.Auth = "PLAIN"
	}
	return c
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Path resolves p relative to the configuration file.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

// SMTPOptions returns the smtpclient options of the mailbox address ("" for
// the only one); override holds credentials given on the command line. The
// recipients are checked against the liste blanche (RecipientChecker); with
// InsecureSkipRecipientCheck they are not, and the options say so.
func (c *Config) SMTPOptions(address string, override Credentials) (smtpclient.Options, error) {
	if c.SMTP == "" {
		return smtpclient.Options{}, errors.New("no SMTP server (\"smtp\")")
	}
	cr, user, err := c.credentials(address, override)
	if err != nil {
		return smtpclient.Options{}, err
	}
	tlsOpt, err := c.tlsOptions(cr)
	if err != nil {
		return smtpclient.Options{}, err
	}
	auth, err := authOf(first(cr.SMTPAuth, cr.Auth), user, cr)
	if err != nil {
		return smtpclient.Options{}, err
	}
	var checker mssante.RecipientChecker
	if !c.InsecureSkipRecipientCheck || c.ListeBlanche != "" {
		rc, err := c.RecipientChecker()
		if err != nil {
			return smtpclient.Options{}, err
		}
		checker = rc
	}
	return smtpclient.Options{Addr: c.SMTP, ImplicitTLS: c.ImplicitTLS, TLS: tlsOpt, Auth: auth,
		RecipientChecker: checker, InsecureSkipRecipientCheck: checker == nil}, nil
}

// IMAPOptions returns the imapclient options of the mailbox address ("" for
// the only one).
func (c *Config) IMAPOptions(address string, override Credentials) (imapclient.Options, error) {
	if c.IMAP == "" {
		return imapclient.Options{}, errors.New("no IMAP server (\"imap\")")
	}
	cr, user, err := c.credentials(address, override)
	if err != nil {
		return imapclient.Options{}, err
	}
	tlsOpt, err := c.tlsOptions(cr)
	if err != nil {
		return imapclient.Options{}, err
	}
	auth, err := authOf(first(cr.IMAPAuth, cr.Auth), user, cr)
	if err != nil {
		return imapclient.Options{}, err
	}
	o := imapclient.Options{Addr: c.IMAP, ImplicitTLS: c.ImplicitTLS, TLS: tlsOpt, Auth: auth, Mailbox: c.Mailbox, MoveTo: c.MoveTo}
	if c.Cursor != "" {
		o.Cursor = &imapclient.FileCursor{Path: c.Path(c.Cursor)}
	}
	return o, nil
}

func (c *Config) tlsOptions(cr Credentials) (tlsauth.TLSOptions, error) {
	var o tlsauth.TLSOptions
	if c.CA == "" {
		return o, errors.New("no CA file (--ca or \"ca\"): the IGC Santé chain is required")
	}
	pemData, err := os.ReadFile(c.Path(c.CA))
	if err != nil {
		return o, err
	}
	if o.RootCAs, err = tlsauth.LoadRoots(pemData); err != nil {
		return o, err
	}
	o.ServerName = c.ServerName
	if c.CRL != "" {
		data, err := os.ReadFile(c.Path(c.CRL))
		if err != nil {
			return o, err
		}
		crls, err := tlsauth.ParseCRLs(data)
		if err != nil {
			return o, err
		}
		o.Revocation = tlsauth.StaticCRLs(crls...)
	}
	// PEM first: mss operator writes both forms, and the PKCS#12 password
	// is not in its file.
	switch {
	case cr.Cert != "" || cr.Key != "":
		cp, err1 := os.ReadFile(c.Path(cr.Cert))
		kp, err2 := os.ReadFile(c.Path(cr.Key))
		if err := errors.Join(err1, err2); err != nil {
			return o, err
		}
		cert, err := tlsauth.LoadPEM(cp, kp)
		if err != nil {
			return o, err
		}
		o.Certificate = &cert
	case cr.P12 != "":
		data, err := os.ReadFile(c.Path(cr.P12))
		if err != nil {
			return o, err
		}
		cert, err := tlsauth.LoadPKCS12(data, cr.P12Password)
		if err != nil {
			return o, err
		}
		o.Certificate = &cert
	}
	return o, nil
}

func authOf(mech, user string, cr Credentials) (tlsauth.Auth, error) {
	a := tlsauth.Auth{Username: user}
	switch strings.ToUpper(mech) {
	case "", "NONE":
	case "XOAUTH2":
		tok := cr.Token
		if tok == "" {
			return a, errors.New("XOAUTH2 needs an access token ($MSS_ACCESS_TOKEN or \"token\")")
		}
		a.Mechanism = tlsauth.XOAuth2
		a.Tokens = tlsauth.TokenSourceFunc(func(context.Context) (string, time.Time, error) { return tok, time.Time{}, nil })
	case "EXTERNAL":
		a.Mechanism, a.Username = tlsauth.External, ""
	case "PLAIN":
		a.Mechanism, a.Password = tlsauth.Plain, cr.Password
	default:
		return a, fmt.Errorf("unknown SASL mechanism %q", mech)
	}
	return a, nil
}
