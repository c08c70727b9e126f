// Package msc writes to patients in Mon Espace Santé, the patient side of
// MSSanté ("messagerie citoyenne"), and reads what comes back.
//
// It follows the SDK's spec/msc.md, drawn from the ANS FAQ, the CNAM source
// of the Mon Espace Santé mobile app, the CI-SIS HL7 v2 volets, the
// Référentiel socle MSSanté #2 (ECO.2.2.6, ECO.2.2.8, ECO.3.1.x) and the
// CNAM guide to vendors "ENS Mon espace santé Messagerie V1.3". Receipts are
// RFC 3464 (DSN) and RFC 8098 (MDN); their parsing lives in package mssante.
//
// # Addresses
//
// A patient's mailbox is "<matricule INS>@patient.mssante.fr". Package ins
// is its one home: ins.Identity.MSCAddress builds it from a qualified
// identity only (ECO.2.2.6), after checking the matricule's key and the
// identity's authority against the environment; ins.ParseMSCAddress reads the
// matricule back. PatientSender recognises a patient sender without
// trusting the domain alone.
//
// # Ending an exchange
//
// A professional stops a patient from answering with "X-MSS-MES: FIN" on any
// message (preferred; SetClosing) or with a dedicated message whose subject
// is exactly "[FIN]" (NewClosingMessage, an mssante.Message). Writing again without either reopens
// the exchange. IsClosing and Closing tell both forms apart on any Header
// (go-message, net/mail, net/textproto headers satisfy it), and
// ClosingFindings warns about near misses such as "RE: [FIN]".
//
// # Rules before sending
//
// Policy.Check applies the rules of msc.md to an outgoing message (one
// patient per message, the patient's own address for a minor, the 25 Mo
// limit, the confidentiality matrix of the CI-SIS, Reply-To routing) and
// returns levelled findings: an error-level finding means "do not send"
// (Policy.Validate gives the same as a *RefusedError). NewOutgoingMessage
// describes an mssante.Message for it, size included.
//
// # Bounces
//
// Classifier.Classify reads a returned message and gives one
// RecipientBounce per failed or delayed recipient, each from that
// recipient's own evidence first: its RFC 3464 block (Action "delayed" is
// the only temporary outcome, "failed" a failure whatever the status class,
// a generic "5.0.0" made specific by the Diagnostic-Code), the Mon Espace
// Santé texts for a patient address (BounceTexts, extensible; they decide
// whatever the status), the texts of the table in its Diagnostic-Code, in
// the paragraphs of the notice that name it alone, in the whole notice only
// for a single recipient, then the status rules. The kinds are
// msc-unknown-address, msc-closed, msc-invalid-address, message-too-large,
// mailbox-unknown, mailbox-full, mailbox-disabled, host-unknown, expired,
// policy, temporary and other; Kind.Permanent agrees with
// mssante.Report.Failed. The message itself is read by package mssante
// (Read, and ParseReport for a report), within its reader limits; a byte
// order mark or blank lines before the header are tolerated with a warning.
// Automatic replies, delivery and read receipts are never bounces.
//
// # Conversations
//
// Tracker keeps, per patient and sending mailbox, whether the exchange is
// open or closed, from what is sent (FIN), received (patient mail, including
// first messages to a pharmacy) and bounced, in a Store (MemoryStore is
// included).
//
// Points the specification marks UNCONFIRMED are options or tables here: the
// exact bounce texts and codes, the size unit, the scope of FIN, and one row
// of the confidentiality matrix.
package msc
