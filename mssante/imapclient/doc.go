// Package imapclient is the IMAP receiver of an MSSanté client: it fetches the
// new messages of a mailbox at the operator and hands them to the caller, one
// at a time, on top of github.com/emersion/go-imap/v2. It implements
// mssante.Receiver. Inside this package go-imap's own client package is
// imported as goimapclient, so that imapclient.Client always means this
// package's type.
//
// Nothing is lost: a message is marked \Seen (or moved to another folder)
// only after the caller's handler returned nil, that is after the caller has
// stored it. If the process dies in between, the message is handed again on
// the next run; Received.ID ("MAILBOX/UIDVALIDITY/UID", RFC 3501 §2.3.1.1)
// lets the caller recognise it. Messages are read with BODY.PEEK so that
// fetching does not mark them.
//
// The connection follows the Référentiel socle MSSanté #2 (mssante.md §1–3):
// STARTTLS (RFC 2595, port 143) or implicit TLS (RFC 8314, port 993), TLS 1.2
// with the allowed suites and the IGC Santé roots, and SASL (RFC 4959)
// XOAUTH2 with Pro Santé Connect tokens, EXTERNAL with an applicative
// mailbox's client certificate, or PLAIN on loopback for tests (package
// tlsauth). Watch waits for new mail with IDLE (RFC 2177) when the server
// supports it, and polls otherwise.
package imapclient
