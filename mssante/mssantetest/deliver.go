package mssantetest

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mssante-go/sdk/ins"
)

// envelope is one SMTP transaction.
type envelope struct {
	from  string // "" for the null reverse path (DSNs, MDNs)
	ret   string // RET=: "FULL", "HDRS" or ""
	envID string // ENVID=
	rcpts []recipient
}

type recipient struct {
	addr   string
	notify []string // NOTIFY= values
	orcpt  string   // ORCPT= address
}

// wants reports whether the recipient asked for a DSN of kind ("SUCCESS" or
// "FAILURE"). Without NOTIFY, failures are reported and successes are not
// (RFC 3461 §4.1).
func (r recipient) wants(kind string) bool {
	if len(r.notify) == 0 {
		return kind == "FAILURE"
	}
	return slices.Contains(r.notify, kind)
}

type route int

const (
	routeForeign route = iota // a domain the operator does not serve
	routeMailbox              // a professional mailbox
	routePatient              // any address at patient.mssante.fr
	routeUnknown              // an unknown address of a served domain
)

func (op *Operator) route(addr string) route {
	_, domain, ok := strings.Cut(strings.ToLower(addr), "@")
	switch {
	case !ok:
		return routeForeign
	case op.mailbox(addr) != nil:
		return routeMailbox
	case domain == ins.PatientDomain:
		return routePatient
	case op.domains[domain]:
		return routeUnknown
	}
	return routeForeign
}

// Message is a message the operator delivered to one mailbox (professional
// or patient). It must not be modified.
type Message struct {
	// MailFrom is the envelope sender; "" for DSNs and MDNs, which the
	// operator sends with the null reverse path.
	MailFrom string
	// Rcpt is the lower-case address it was delivered to.
	Rcpt string
	// Header holds the parsed header (empty if the message has none that
	// net/mail can parse); values are raw, RFC 2047 words undecoded.
	Header mail.Header
	// Data is the message as delivered: a Return-Path line, then the
	// submitted bytes.
	Data []byte
	// Delivered is the delivery time.
	Delivered time.Time
}

// Subject returns the decoded Subject.
func (m *Message) Subject() string { return decodeHeader(m.Header.Get("Subject")) }

// ReportType returns the report-type of a multipart/report message
// ("delivery-status" for a DSN, "disposition-notification" for an MDN), ""
// for anything else.
func (m *Message) ReportType() string {
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" {
		return ""
	}
	return strings.ToLower(params["report-type"])
}

func decodeHeader(s string) string {
	d, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

func parseHeader(data []byte) mail.Header {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return mail.Header{}
	}
	return m.Header
}

// deliver hands a submitted message to each recipient and sends the DSNs and
// MDNs it causes, before the SMTP DATA reply: when a client's submission
// returns, its bounces and receipts are already in the INBOXes.
func (op *Operator) deliver(env envelope, data []byte) error {
	hdr := parseHeader(data)
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.closed {
		return ErrClosed
	}
	for _, r := range env.rcpts {
		op.deliverOneLocked(env, r, hdr, data)
	}
	op.notifyLocked()
	return nil
}

func (op *Operator) deliverOneLocked(env envelope, r recipient, hdr mail.Header, data []byte) {
	switch op.route(r.addr) {
	case routeMailbox:
		mb := op.mailbox(r.addr)
		op.storeLocked(env.from, r.addr, data, hdr)
		if r.wants("SUCCESS") {
			op.dsnLocked(env, r, data, reportDelivered)
		}
		if mb.ReadReceipt != NoMDN {
			op.mdnLocked(r, mb.Label, mb.ReadReceipt, env.from, hdr, data)
		}
	case routePatient:
		p, reason := op.patientCheck(r.addr, len(data))
		if reason != reportDelivered {
			op.dsnLocked(env, r, data, reason)
			return
		}
		op.storeLocked(env.from, r.addr, data, hdr)
		op.recordExchangeLocked(r.addr, env.from, hdr)
		if r.wants("SUCCESS") {
			op.dsnLocked(env, r, data, reportDelivered)
		}
		if !p.Unread {
			op.mdnLocked(r, p.Name, Displayed, env.from, hdr, data)
		}
	default:
		op.dsnLocked(env, r, data, reportUnknownUser)
	}
}

// patientCheck applies the Mon Espace Santé rules to a patient address:
// format and key, registry state, then size (msc.md §9).
func (op *Operator) patientCheck(addr string, size int) (*Patient, reportKind) {
	local, _, _ := strings.Cut(addr, "@")
	if !validMatricule(local) {
		return nil, reportInvalid
	}
	p := op.patients[strings.ToLower(addr)]
	switch {
	case p == nil || p.State == PatientOpposed:
		return nil, reportNoProfile
	case p.State == PatientClosed:
		return nil, reportClosed
	case int64(size) > op.opts.PatientMaxBytes:
		return nil, reportTooLarge
	}
	return p, reportDelivered
}

// storeLocked records a delivered message and, for a professional mailbox,
// appends it to its IMAP INBOX. hdr is the parsed header of data, shared by
// the copies of one submission (Message values are read-only).
func (op *Operator) storeLocked(from, to string, data []byte, hdr mail.Header) {
	to = strings.ToLower(to)
	full := make([]byte, 0, len(data)+len(from)+16)
	full = append(full, "Return-Path: <"+from+">\r\n"...)
	full = append(full, data...)
	msg := &Message{MailFrom: from, Rcpt: to, Header: hdr, Data: full, Delivered: time.Now()}
	op.messages[to] = append(op.messages[to], msg)
	if mb := op.mailbox(to); mb != nil {
		if _, err := mb.imap.Append("INBOX", bytes.NewReader(full), &imap.AppendOptions{Time: msg.Delivered}); err != nil {
			op.log.Warn("mssantetest: IMAP append failed", "mailbox", to, "err", err)
		}
	}
	op.log.Debug("mssantetest: delivered", "to", logAddr(to), "bytes", len(full))
}

// logAddr is the form of an address in the logs: a patient address is an
// INS matricule, which is never logged.
func logAddr(addr string) string {
	if _, domain, _ := strings.Cut(strings.ToLower(addr), "@"); domain == ins.PatientDomain {
		return "(patient)@" + ins.PatientDomain
	}
	return addr
}

// notifyLocked wakes WaitForMessage callers.
func (op *Operator) notifyLocked() {
	close(op.changed)
	op.changed = make(chan struct{})
}

// Messages returns the messages delivered to address so far, oldest first.
func (op *Operator) Messages(address string) []*Message {
	op.mu.Lock()
	defer op.mu.Unlock()
	return slices.Clone(op.messages[strings.ToLower(address)])
}

// WaitForMessage returns the first message delivered to address for which
// match returns true (any message when match is nil), waiting for it if
// needed. It fails with ctx's error, or ErrClosed if the operator closes.
func (op *Operator) WaitForMessage(ctx context.Context, address string, match func(*Message) bool) (*Message, error) {
	address = strings.ToLower(address)
	for {
		op.mu.Lock()
		for _, m := range op.messages[address] {
			if match == nil || match(m) {
				op.mu.Unlock()
				return m, nil
			}
		}
		changed, closed := op.changed, op.closed
		op.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		}
	}
}
