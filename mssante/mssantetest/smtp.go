package mssantetest

import (
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTP replies of the submission server.
var (
	errSMTPAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	errSMTPAuthFailed   = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
	errSMTPNotOwner     = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender address rejected: not owned by the authenticated mailbox"}
	errSMTPRelayDenied  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relay access denied: domain not served by this test operator"}
	errSMTPUnknownUser  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Recipient address rejected: User unknown"}
	errSMTPNoMech       = &smtp.SMTPError{Code: 504, EnhancedCode: smtp.EnhancedCode{5, 5, 4}, Message: "Unsupported authentication mechanism"}
)

type smtpBackend struct{ op *Operator }

// NewSession is called after EHLO, again after STARTTLS: a verified client
// certificate of an applicative mailbox authenticates the session at once.
func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s := &smtpSession{op: b.op}
	if cs, ok := c.TLSConnectionState(); ok {
		s.certUser = b.op.certMailbox(&cs)
		s.user = s.certUser
	}
	return s, nil
}

type smtpSession struct {
	op       *Operator
	certUser string // APP mailbox of the client certificate
	user     string // authenticated mailbox
	env      envelope
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (s *smtpSession) AuthMechanisms() []string {
	return s.op.saslMechanisms(s.certUser, s.op.opts.AllowPassword)
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	srv, err := s.op.saslServer(mech, s.certUser, s.op.opts.AllowPassword, func(addr string) { s.user = addr }, errSMTPAuthFailed)
	if err != nil {
		return nil, errSMTPNoMech
	}
	return srv, nil
}

func (s *smtpSession) Mail(from string, opts *smtp.MailOptions) error {
	if s.user == "" {
		return errSMTPAuthRequired
	}
	if !strings.EqualFold(from, s.user) {
		return errSMTPNotOwner
	}
	s.env = envelope{from: strings.ToLower(from)}
	if opts != nil {
		s.env.ret = string(opts.Return)
		s.env.envID = opts.EnvelopeID
	}
	return nil
}

func (s *smtpSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	switch s.op.route(to) {
	case routeForeign:
		return errSMTPRelayDenied
	case routeUnknown:
		if s.op.opts.RejectUnknownAtRCPT {
			return errSMTPUnknownUser
		}
	}
	// The domain is case-insensitive; the local part is kept as given, so
	// that bounces quote the address the sender wrote (RFC 5321 §2.4).
	r := recipient{addr: lowerDomain(to)}
	if opts != nil {
		for _, n := range opts.Notify {
			r.notify = append(r.notify, string(n))
		}
		r.orcpt = opts.OriginalRecipient
	}
	s.env.rcpts = append(s.env.rcpts, r)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return err
	}
	return s.op.deliver(s.env, buf.Bytes())
}

func (s *smtpSession) Reset() { s.env = envelope{} }

func (s *smtpSession) Logout() error { return nil }

// lowerDomain lower-cases the domain of an address and keeps its local part.
func lowerDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return strings.ToLower(addr)
	}
	return addr[:at+1] + strings.ToLower(addr[at+1:])
}
