// Package tlsauth holds what the SMTP and IMAP transports of an MSSanté client
// share to connect to an operator: the TLS configuration that Ref #2 requires,
// the SASL mechanisms of each mailbox type and the opening of a connection.
//
// TLS (Référentiel socle MSSanté #2, ECO.1.1.x; mssante.md §2): TLS 1.2 only
// by default, with the cipher suites the référentiel allows that Go
// implements (0xC030, 0xC02F, 0xC027 — Go has no
// TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, 0xC028, so an operator offering only
// that suite is unreachable), the operator's certificate verified against the
// roots the caller supplies (the IGC Santé chain; never the system pool) and,
// optionally, against certificate revocation lists (RFC 5280), fail-closed
// when a CRL is missing or expired.
//
// Authentication (mssante.md §3):
//   - personal and organisational mailboxes: SASL XOAUTH2 with a Pro Santé
//     Connect access token, obtained from a TokenSource, kept in memory only,
//     refreshed before it expires and never logged;
//   - applicative mailboxes: a TLS client certificate (PEM or PKCS#12), then
//     SASL EXTERNAL (RFC 4422 appendix A) or no SASL step at all;
//   - PLAIN (RFC 4616), for tests against local servers only: it is refused
//     for any host but a loopback one.
//
// Connection (NewEndpoint, Dial): an Endpoint is the server's address (with
// the protocol's default port), its TLS configuration and authenticator,
// checked once; Dial opens a connection to it, runs the TLS handshake when
// TLS is implicit, and hands it to the protocol's set-up (greeting, STARTTLS,
// authentication), which the end of the context or a timeout interrupts by
// closing the connection.
//
// The sasl.Client values are those of github.com/emersion/go-sasl, accepted
// by both go-smtp and go-imap.
package tlsauth
