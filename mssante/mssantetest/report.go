package mssantetest

import (
	"bytes"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/mestext"
)

// reportKind is the outcome of a delivery that a DSN reports.
type reportKind int

const (
	reportDelivered   reportKind = iota // delivered (DSN on NOTIFY=SUCCESS)
	reportUnknownUser                   // unknown address of a served domain
	reportNoProfile                     // MES: no profile or opposition
	reportClosed                        // MES: mailbox closed
	reportInvalid                       // MES: bad INS length or key
	reportTooLarge                      // MES: over the size limit
)

// Subjects of the reports.
const (
	subjectPostfix    = "Undelivered Mail Returned to Sender" // stock Postfix bounce subject
	subjectMESBounce  = "Message non distribué"               // ENS-V1.3 §6 wording, literal subject UNCONFIRMED
	subjectSuccessDSN = "Successful Mail Delivery Report"
)

// reports is the table of every DSN the operator writes. The three French
// texts are not copied here: they come from internal/mestext, which the
// SDK's bounce classifier (msc.BounceTexts) reads too (msc.md §9 [S: DECK]), rendered with the real
// address in place of the deck's placeholder, so that the simulation and the
// classifier cannot drift apart. The subject, the RFC 3464 form and the
// status codes of the Mon Espace Santé bounces are UNCONFIRMED choices
// (msc.md §9, §13).
var reports = [...]struct {
	action  string // RFC 3464 Action
	status  string // RFC 3463 enhanced status code
	subject string
	diag    string // Diagnostic-Code text after "smtp; ", %s = address
	mes     string // the first (human) part: a Mon Espace Santé text of mestext; "" = the generic text
}{
	reportDelivered: {"delivered", "2.0.0", subjectSuccessDSN, "250 2.0.0 <%s>: delivered to mailbox", ""},
	reportUnknownUser: {"failed", "5.1.1", subjectPostfix,
		"550 5.1.1 <%s>: Recipient address rejected: User unknown", ""},
	reportNoProfile: {"failed", "5.1.1", subjectMESBounce,
		"550 5.1.1 <%s>: Recipient address rejected: no Mon espace sante mailbox", mestext.BounceUnknownAddress},
	reportClosed: {"failed", "5.2.1", subjectMESBounce,
		"550 5.2.1 <%s>: Mailbox disabled: Mon espace sante mailbox closed", mestext.BounceClosed},
	reportInvalid: {"failed", "5.1.3", subjectMESBounce,
		"550 5.1.3 <%s>: Bad destination mailbox address syntax: invalid INS", mestext.BounceInvalidAddress},
	reportTooLarge: {"failed", "5.3.4", subjectPostfix,
		"552 5.3.4 <%s>: Message size exceeds fixed maximum message size", ""},
}

// dsnLocked delivers to the envelope sender an RFC 3464 report about one
// recipient, if the sender can get one: not for the null reverse path, not
// when NOTIFY excludes it, and only to a mailbox of this operator.
func (op *Operator) dsnLocked(env envelope, r recipient, original []byte, kind reportKind) {
	want := "FAILURE"
	if kind == reportDelivered {
		want = "SUCCESS"
	}
	if env.from == "" || !r.wants(want) || op.mailbox(env.from) == nil {
		if kind != reportDelivered {
			op.log.Debug("mssantetest: failure not reported", "rcpt", logAddr(r.addr), "status", reports[kind].status)
		}
		return
	}
	rep := reports[kind]
	reporter := op.hostname
	if strings.HasSuffix(r.addr, "@"+ins.PatientDomain) {
		reporter = ins.PatientDomain // Mon Espace Santé writes its own bounces
	}
	diag := fmt.Sprintf(rep.diag, r.addr)
	text := fmt.Sprintf("This is the mail system at host %s.\r\n\r\n", reporter)
	if kind == reportDelivered {
		text += "Your message was delivered to the mailbox of the recipient below.\r\n\r\n"
	} else {
		text += "Your message could not be delivered to the recipient below.\r\n\r\n"
	}
	text += "<" + r.addr + ">: " + diag + "\r\n"
	if rep.mes != "" {
		text = mestext.Render(rep.mes, r.addr) + "\r\n"
	}

	// RET: failures return the full message unless HDRS was asked, successes
	// only the header unless FULL was asked (the usual MTA defaults).
	headersOnly := env.ret == "HDRS" || (kind == reportDelivered && env.ret != "FULL")

	var st strings.Builder
	fmt.Fprintf(&st, "Reporting-MTA: dns; %s\r\n", reporter)
	if env.envID != "" {
		fmt.Fprintf(&st, "Original-Envelope-Id: %s\r\n", env.envID)
	}
	fmt.Fprintf(&st, "Arrival-Date: %s\r\n\r\n", time.Now().Format(time.RFC1123Z))
	if r.orcpt != "" {
		fmt.Fprintf(&st, "Original-Recipient: rfc822;%s\r\n", r.orcpt)
	}
	fmt.Fprintf(&st, "Final-Recipient: rfc822;%s\r\nAction: %s\r\nStatus: %s\r\n", r.addr, rep.action, rep.status)
	fmt.Fprintf(&st, "Diagnostic-Code: smtp; %s\r\n", diag)

	msg := buildReport(reportParts{
		from:       "Mail Delivery System <MAILER-DAEMON@" + reporter + ">",
		to:         env.from,
		subject:    rep.subject,
		msgID:      op.newMessageID(reporter),
		reportType: "delivery-status",
		text:       text,
		statusType: "message/delivery-status",
		status:     st.String(),
		original:   original,
		headers:    headersOnly,
	})
	op.storeLocked("", env.from, msg, parseHeader(msg))
}

// mdnLocked has the reader of r answer an MDN request (RFC 8098 with the
// French profile of mssante.md §9) to the Disposition-Notification-To address,
// when that address is the envelope sender (the RFC 8098 §2.1 rule the
// French profile repeats) and a mailbox of this operator.
func (op *Operator) mdnLocked(r recipient, label string, disp Disposition, from string, hdr mail.Header, original []byte) {
	dnt := hdr.Get("Disposition-Notification-To")
	if dnt == "" || from == "" {
		return
	}
	to, err := mail.ParseAddress(strings.Split(dnt, ",")[0])
	if err != nil || !strings.EqualFold(to.Address, from) || op.mailbox(to.Address) == nil {
		op.log.Debug("mssantetest: MDN not sent", "rcpt", logAddr(r.addr))
		return
	}
	_, domain, _ := strings.Cut(r.addr, "@")
	origID := strings.TrimSpace(hdr.Get("Message-ID"))
	subject := decodeHeader(hdr.Get("Subject"))
	verb := "affiché"
	if disp == Processed {
		verb = "traité"
	}
	text := fmt.Sprintf("Votre message « %s » adressé à %s a été %s par son destinataire.\r\n", subject, r.addr, verb)

	var st strings.Builder
	fmt.Fprintf(&st, "Reporting-UA: %s; mssantetest\r\n", domain)
	orcpt := r.addr
	if r.orcpt != "" {
		orcpt = r.orcpt
	}
	fmt.Fprintf(&st, "Original-Recipient: rfc822;%s\r\n", orcpt)
	fmt.Fprintf(&st, "Final-Recipient: rfc822;%s\r\n", r.addr)
	if origID != "" {
		fmt.Fprintf(&st, "Original-Message-ID: %s\r\n", origID)
	}
	fmt.Fprintf(&st, "Disposition: automatic-action/MDN-sent-automatically; %s\r\n", disp)

	fromHdr := (&mail.Address{Name: label, Address: r.addr}).String()
	msg := buildReport(reportParts{
		from:       fromHdr,
		to:         to.Address,
		subject:    "Accusé de lecture : " + subject,
		msgID:      op.newMessageID(domain),
		inReplyTo:  origID,
		reportType: "disposition-notification",
		text:       text,
		statusType: "message/disposition-notification",
		status:     st.String(),
		original:   original,
	})
	op.storeLocked("", to.Address, msg, parseHeader(msg))
}

// reportParts describes a multipart/report message (RFC 6522): a text part,
// a status part and the original message.
type reportParts struct {
	from, to, subject, msgID, inReplyTo string
	reportType                          string
	text                                string
	statusType, status                  string
	original                            []byte
	headers                             bool // return only the original header (text/rfc822-headers)
}

func buildReport(p reportParts) []byte {
	boundary := "=_report_" + randomHex(12)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", p.from)
	fmt.Fprintf(&b, "To: <%s>\r\n", p.to)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("UTF-8", p.subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", p.msgID)
	if p.inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\nReferences: %s\r\n", p.inReplyTo, p.inReplyTo)
	}
	b.WriteString("Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=%s;\r\n\tboundary=\"%s\"\r\n\r\n", p.reportType, boundary)
	b.WriteString("This is a MIME-encapsulated message.\r\n\r\n")

	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary)
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(p.text))
	_ = qp.Close()
	b.WriteString("\r\n")

	fmt.Fprintf(&b, "--%s\r\nContent-Type: %s\r\n\r\n%s\r\n", boundary, p.statusType, p.status)

	orig := p.original
	ctype := "message/rfc822"
	if p.headers {
		ctype = "text/rfc822-headers"
		if i := bytes.Index(orig, []byte("\r\n\r\n")); i >= 0 {
			orig = orig[:i+2]
		} else if i := bytes.Index(orig, []byte("\n\n")); i >= 0 {
			orig = orig[:i+1]
		}
	}
	fmt.Fprintf(&b, "--%s\r\nContent-Type: %s\r\n", boundary, ctype)
	if !is7bit(orig) {
		b.WriteString("Content-Transfer-Encoding: 8bit\r\n")
	}
	b.WriteString("\r\n")
	b.Write(orig)
	if !bytes.HasSuffix(orig, []byte("\n")) {
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

func is7bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func (op *Operator) newMessageID(domain string) string {
	return "<" + randomHex(12) + "@" + domain + ">"
}
