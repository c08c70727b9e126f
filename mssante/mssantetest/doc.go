// Package mssantetest runs an MSSanté operator in the test process, the way
// net/http/httptest runs an HTTP server: integrators point their messaging
// code at it in unit tests and CI, without an account on a real operator.
//
//	op := mssantetest.NewOperator(t, nil)
//	// SMTP submission at op.SMTPAddr(), IMAP at op.IMAPAddr(), both STARTTLS;
//	// trust op.RootCAs(); authenticate with op.ClientCert(app) or op.Token(per).
//
// The operator offers, on loopback:
//
//   - an SMTP submission server (RFC 5321, RFC 6409) with STARTTLS (RFC 3207)
//     limited to TLS 1.2 and the MSSanté cipher suites (mssante.md §2), the
//     DSN extension (RFC 3461) and SMTP AUTH (RFC 4954);
//   - an IMAP server (RFC 3501, RFC 9051) with STARTTLS, one user with an
//     INBOX per professional mailbox;
//   - a throw-away PKI standing in for IGC Santé: a root, a server
//     certificate and a client certificate per applicative mailbox
//     (WriteFiles writes them, with PKCS#12 copies, for other programs).
//
// Authentication follows the mailbox types of mssante.md §3: an applicative
// (APP) mailbox is authenticated by its client certificate, at once on SMTP
// or with SASL EXTERNAL (RFC 4422); personal (PER) and organisational (ORG)
// mailboxes use SASL XOAUTH2 with tokens from IssueToken, standing in for Pro
// Santé Connect. IMAP also accepts LOGIN and PLAIN with the test password of
// each mailbox, and SMTP accepts PLAIN when Options.AllowPassword is set. The
// envelope sender must be the authenticated mailbox.
//
// Mail between the operator's mailboxes is delivered at once, before the
// SMTP DATA reply. A recipient of a served domain that does not exist is
// accepted and bounced with an RFC 3464 DSN (status 5.1.1) delivered to the
// sender's INBOX (or refused at RCPT with Options.RejectUnknownAtRCPT); a
// domain the operator does not serve is refused at RCPT (550 5.7.1). NOTIFY,
// RET, ENVID and ORCPT are honoured, including success DSNs. Mailboxes with a
// ReadReceipt act as readers and return RFC 8098 MDNs in the French profile
// of mssante.md §9 to messages carrying Disposition-Notification-To.
//
// Addresses at patient.mssante.fr simulate Mon Espace Santé (msc.md) from a
// small patient registry: an invalid INS, an unknown or opposed patient, a
// closed mailbox and a message over 25 Mo each bounce with a DSN carrying the
// texts of msc.md §9; active patients read and acknowledge (MDN), reply to a
// professional who wrote first (PatientReply), cannot after a "[FIN]"
// subject or "X-MSS-MES: FIN" until the professional writes again
// (ErrExchangeClosed), and may write first only to a pharmacy's
// organisational mailbox (PatientWrite).
//
// What the operator delivered is available for assertions through Messages
// and WaitForMessage. The command "mss operator" runs the same operator
// standalone. The package is for tests: never use its PKI or tokens for
// anything else.
//
// One exception to the SDK's rule of no global mutable state: RSA key
// generation is what makes a start slow, so the operators of one process
// share one test PKI (root, server and client certificates), generated on
// first use and cached for the life of the process. The cache is guarded by
// a mutex and only grows; operators may be started from parallel tests.
// Everything else (mailboxes, tokens, messages) belongs to one Operator.
package mssantetest
