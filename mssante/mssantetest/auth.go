package mssantetest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
)

// token is an access token issued by the operator, standing in for a Pro
// Santé Connect token.
type token struct {
	address string
	expires time.Time
}

// IssueToken issues an access token for the personal or organisational
// mailbox at address, valid for ttl (a negative ttl gives an already expired
// token, to test refresh). Clients present it with SASL XOAUTH2:
// "user=<address>\x01auth=Bearer <token>\x01\x01". Tokens are opaque strings.
func (op *Operator) IssueToken(address string, ttl time.Duration) (string, error) {
	mb := op.mailbox(address)
	if mb == nil || mb.Type == APP {
		return "", fmt.Errorf("%w: %s is not a personal or organisational mailbox", ErrUnknownMailbox, address)
	}
	tok := "mssantetest-" + randomHex(24)
	op.mu.Lock()
	op.tokens[tok] = token{address: strings.ToLower(mb.Address), expires: time.Now().Add(ttl)}
	op.mu.Unlock()
	return tok, nil
}

// Token issues a token for address valid for Options.TokenTTL. It returns ""
// when address is not a personal or organisational mailbox.
func (op *Operator) Token(address string) string {
	tok, err := op.IssueToken(address, op.opts.TokenTTL)
	if err != nil {
		return ""
	}
	return tok
}

// checkToken returns the mailbox address a valid token opens for user.
func (op *Operator) checkToken(user, tok string) (string, bool) {
	op.mu.Lock()
	t, ok := op.tokens[tok]
	op.mu.Unlock()
	if !ok || time.Now().After(t.expires) || !strings.EqualFold(t.address, user) {
		return "", false
	}
	return t.address, true
}

// checkPassword returns the address of the professional mailbox user when
// password is its test password.
func (op *Operator) checkPassword(user, password string) (string, bool) {
	mb := op.mailbox(user)
	if mb == nil || subtle.ConstantTimeCompare([]byte(password), []byte(mb.Password)) != 1 {
		return "", false
	}
	return strings.ToLower(mb.Address), true
}

// certMailbox returns the applicative mailbox a verified client certificate
// stands for: one whose e-mail SAN (or, failing that, common name) is the
// address of an APP mailbox.
func (op *Operator) certMailbox(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	leaf := cs.VerifiedChains[0][0]
	for _, name := range append(append([]string(nil), leaf.EmailAddresses...), leaf.Subject.CommonName) {
		if mb := op.mailbox(name); mb != nil && mb.Type == APP {
			return strings.ToLower(mb.Address)
		}
	}
	return ""
}

// saslMechanisms lists the SASL mechanisms offered to a connection whose
// client certificate opens certUser ("" if none); password enables PLAIN.
func (op *Operator) saslMechanisms(certUser string, password bool) []string {
	mechs := []string{"XOAUTH2"}
	if password {
		mechs = append(mechs, sasl.Plain)
	}
	if certUser != "" {
		mechs = append(mechs, sasl.External)
	}
	return mechs
}

// saslServer starts mechanism mech. login is called with the authenticated
// mailbox; fail is the protocol's authentication failure error.
func (op *Operator) saslServer(mech, certUser string, password bool, login func(string), fail error) (sasl.Server, error) {
	switch {
	case mech == "XOAUTH2":
		return &xoauth2Server{check: op.checkToken, login: login, fail: fail}, nil
	case mech == sasl.Plain && password:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			addr, ok := op.checkPassword(user, pass)
			if !ok || (identity != "" && !strings.EqualFold(identity, user)) {
				return fail
			}
			login(addr)
			return nil
		}), nil
	case mech == sasl.External && certUser != "":
		return sasl.NewExternalServer(func(identity string) error {
			if identity != "" && !strings.EqualFold(identity, certUser) {
				return fail
			}
			login(certUser)
			return nil
		}), nil
	}
	return nil, errUnknownMechanism
}

var errUnknownMechanism = fmt.Errorf("mssantetest: unsupported SASL mechanism")

// xoauth2Server is the server side of SASL XOAUTH2 (the Google/Microsoft
// mechanism MSSanté operators use with Pro Santé Connect tokens): the client
// sends "user=<addr>\x01auth=Bearer <token>\x01\x01"; on failure the server
// sends a JSON error as a challenge, the client answers with an empty
// response and the exchange fails.
type xoauth2Server struct {
	check  func(user, token string) (string, bool)
	login  func(string)
	fail   error
	step   int // 0: waiting for the response, 1: failed, waiting for the client's empty answer
	closed bool
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if s.closed {
		return nil, true, s.fail
	}
	switch {
	case s.step == 1:
		s.closed = true
		return nil, true, s.fail
	case resp == nil:
		return []byte{}, false, nil
	}
	var user, tok string
	for _, f := range bytes.Split(resp, []byte{1}) {
		k, v, _ := strings.Cut(string(f), "=")
		switch k {
		case "user":
			user = v
		case "auth":
			scheme, t, _ := strings.Cut(v, " ")
			if strings.EqualFold(scheme, "Bearer") {
				tok = strings.TrimSpace(t)
			}
		}
	}
	if addr, ok := s.check(user, tok); ok && user != "" {
		s.closed = true
		s.login(addr)
		return nil, true, nil
	}
	s.step = 1
	return []byte(`{"status":"401","schemes":"bearer"}`), false, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
