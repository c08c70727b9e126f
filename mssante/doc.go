// Package mssante composes and reads MSSanté messages: the secure health
// messaging of the French healthcare system.
//
// It covers what a record system (DPI, DUI, LPS) puts in and reads out of a
// message, independently of the transport:
//
//   - Message and its writer: the sender label of each mailbox type (ECO.2.2.7),
//     Message-ID and threading (ECO.2.2.1, ECO.2.2.2), UTF-8 text bodies as
//     text/plain or multipart/alternative (ECO.2.2.3, ECO.2.2.4), RFC 2047
//     subjects and RFC 2231 file names, the X-MSS-* headers (ECO.2.4.x) and the
//     read-receipt and DSN requests (ECO.2.3.x). Envelope and Send hand it to
//     a Transport.
//   - Health documents (AttachDocuments): CDA documents of one patient as an
//     IHE_XDM.ZIP archive built with package mssante/xdm, plus one PDF per
//     document, the XDM/1.0/DDM+ subject, X-MSS-CODECDA and X-MSS-INS
//     (ECO.2.1.x, ECO.2.4.1, ECO.2.4.2).
//   - Read: a tolerant reader of any incoming message (professional,
//     application, patient) that finds and verifies the XDM archive, returns
//     the documents and the patient INS, and reports what it had to tolerate.
//   - Receipts: ParseReport reads delivery status notifications (RFC 3464)
//     and message disposition notifications (RFC 8098, with the French
//     application error codes 900–906); WriteMDN answers a message with an
//     MDN in the French profile of the volet "Transmission au LPS de documents
//     CDA provenant d'un courriel MSSanté", IntegrationNotice with the
//     "courriel standard" of that volet when no MDN was asked for.
//   - Lint checks a message (ours or anyone's) against the rules of the
//     Référentiel socle MSSanté #2 that can be checked on the message itself;
//     Message.Lint checks what the writer produces.
//
// Findings are the SDK's levelled findings (package finding);
// errors are sentinels (ErrNoNIL, ErrTwoPatients...) and typed
// errors (*SMTPError, *PartialError, and *limit.Error for every size or depth
// limit) for errors.Is and errors.As. No input makes
// the readers panic; they are bounded by ReadLimits.
//
// Specifications: RFC 5322, RFC 2045–2047, RFC 2231, RFC 3461, RFC 3464,
// RFC 6522, RFC 8098; Référentiel socle MSSanté #2 (clients de messagerie)
// v1.0.1; CI-SIS volet "Transmission au LPS de documents CDA provenant d'un
// courriel MSSanté" v1.1.3; IHE ITI TF-2 §3.32 (XDM). Points that the public
// sources leave UNCONFIRMED are options or constants (the X-MSS-CODECDA
// separator, the size limit, the MDN Error field form).
//
// Patient messaging rules (X-MSS-MES, [FIN], Mon Espace Santé limits) are in
// package msc, built on top of this one.
package mssante
