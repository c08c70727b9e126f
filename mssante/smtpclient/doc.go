// Package smtpclient is the SMTP submission transport of an MSSanté client: it
// submits messages to the operator's MTA and reports the outcome for each
// recipient. It implements mssante.Transport on top of
// github.com/emersion/go-smtp.
//
// What it does, following the Référentiel socle MSSanté #2 (mssante.md §1–3):
//
//   - message submission (RFC 6409) on port 587 with STARTTLS (RFC 3207),
//     or implicit TLS (RFC 8314) when asked; never in plaintext;
//   - TLS 1.2 with the allowed cipher suites, the operator's certificate
//     checked against the caller's IGC Santé roots and optionally CRLs, a
//     client certificate for applicative mailboxes (package tlsauth);
//   - SASL (RFC 4954): XOAUTH2 with Pro Santé Connect tokens (refreshed
//     before they expire, and once more when the server refuses one),
//     EXTERNAL, or PLAIN on loopback for tests;
//   - delivery status notification parameters (RFC 3461: NOTIFY, RET,
//     ENVID, ORCPT);
//   - the trust space on by default: a recipient check (the MSSanté liste
//     blanche, annuaire.RecipientChecker) is required, run before any byte
//     is sent on the address as it goes on the wire (mailaddr.Normalize),
//     and refused recipients are reported without contacting the server
//     (Options.InsecureSkipRecipientCheck turns it off, loudly, for tests);
//   - a per-recipient result with basic (RFC 5321) and enhanced (RFC 3463)
//     status codes, temporary failures told from permanent ones;
//   - a pool of connections bounded by the caller, reused across messages,
//     and context deadlines on every operation.
package smtpclient
