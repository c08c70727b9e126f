package mailservers

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"time"
)

// tokenStore holds the access tokens IssueToken made, for the introspection
// endpoint Dovecot's oauth2 passdb asks (RFC 7662).
type tokenStore struct {
	mu     sync.Mutex
	tokens map[string]tokenEntry
}

type tokenEntry struct {
	user    string
	expires time.Time
}

// IssueToken returns a new access token for address, valid for ttl, that
// Dovecot (IMAP, and Postfix's PSC submission port through it) accepts with
// SASL XOAUTH2.
func (s *Servers) IssueToken(address string, ttl time.Duration) string {
	b := make([]byte, 16)
	rand.Read(b)
	tok := "psc-" + hex.EncodeToString(b)
	s.tokens.mu.Lock()
	if s.tokens.tokens == nil {
		s.tokens.tokens = map[string]tokenEntry{}
	}
	s.tokens.tokens[tok] = tokenEntry{user: address, expires: time.Now().Add(ttl)}
	s.tokens.mu.Unlock()
	return tok
}

// RevokeToken makes a token inactive.
func (s *Servers) RevokeToken(tok string) {
	s.tokens.mu.Lock()
	delete(s.tokens.tokens, tok)
	s.tokens.mu.Unlock()
}

// startIntrospection serves POST /introspect (token=...) on loopback and
// returns its URL.
func (s *Servers) startIntrospection() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /introspect", func(w http.ResponseWriter, r *http.Request) {
		tok := r.PostFormValue("token")
		s.tokens.mu.Lock()
		e, ok := s.tokens.tokens[tok]
		s.tokens.mu.Unlock()
		resp := map[string]any{"active": false}
		if ok && time.Now().Before(e.expires) {
			resp = map[string]any{"active": true, "username": e.user, "exp": e.expires.Unix()}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	})
	s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.httpSrv.Serve(l)
	return "http://" + l.Addr().String() + "/introspect", nil
}
