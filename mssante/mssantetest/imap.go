package mssantetest

import (
	"crypto/tls"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

var errIMAPAuthFailed = &imap.Error{
	Type: imap.StatusResponseTypeNo,
	Code: imap.ResponseCodeAuthenticationFailed,
	Text: "Authentication failed",
}

// imapSession serves one IMAP connection; once authenticated it delegates to
// the in-memory user of the mailbox (imapmemserver).
type imapSession struct {
	*imapmemserver.UserSession // nil until authenticated

	op   *Operator
	conn *imapserver.Conn
}

var (
	_ imapserver.SessionIMAP4rev2 = (*imapSession)(nil)
	_ imapserver.SessionSASL      = (*imapSession)(nil)
)

func (op *Operator) newIMAPSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	return &imapSession{op: op, conn: c}, nil, nil
}

func (s *imapSession) open(addr string) {
	if mb := s.op.mailbox(addr); mb != nil {
		s.UserSession = imapmemserver.NewUserSession(mb.imap)
	}
}

// certUser returns the applicative mailbox of the client certificate, if the
// connection is under TLS with one.
func (s *imapSession) certUser() string {
	tc, ok := s.conn.NetConn().(*tls.Conn)
	if !ok {
		return ""
	}
	cs := tc.ConnectionState()
	return s.op.certMailbox(&cs)
}

func (s *imapSession) Login(username, password string) error {
	addr, ok := s.op.checkPassword(username, password)
	if !ok {
		return errIMAPAuthFailed
	}
	s.open(addr)
	return nil
}

func (s *imapSession) AuthenticateMechanisms() []string {
	return s.op.saslMechanisms(s.certUser(), true)
}

func (s *imapSession) Authenticate(mech string) (sasl.Server, error) {
	srv, err := s.op.saslServer(mech, s.certUser(), true, s.open, errIMAPAuthFailed)
	if err != nil {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
	}
	return srv, nil
}

func (s *imapSession) Close() error {
	if s.UserSession != nil {
		return s.UserSession.Close()
	}
	return nil
}
