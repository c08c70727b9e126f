package mssante

import (
	"fmt"
	"io"
	netmail "net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/finding"
)

// ReportKind tells a delivery status notification from a message disposition
// notification.
type ReportKind int

const (
	// ReportDSN is a delivery status notification (RFC 3464): "accusé de
	// réception", or a bounce.
	ReportDSN ReportKind = iota + 1
	// ReportMDN is a message disposition notification (RFC 8098): "accusé de
	// lecture", or the French integration receipt of a DPI.
	ReportMDN
)

func (k ReportKind) String() string {
	switch k {
	case ReportDSN:
		return "dsn"
	case ReportMDN:
		return "mdn"
	}
	return fmt.Sprintf("ReportKind(%d)", int(k))
}

// MarshalText writes "dsn" or "mdn".
func (k ReportKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Report is a parsed delivery status or disposition notification
// (multipart/report, RFC 6522).
type Report struct {
	Kind ReportKind `json:"kind"`

	// The report message itself.
	From      string    `json:"from,omitempty"` // address of the report's sender
	Subject   string    `json:"subject,omitempty"`
	Date      time.Time `json:"date,omitzero"`
	MessageID string    `json:"message_id,omitempty"`
	// Text is the human-readable part (the first part of the report),
	// decoded to UTF-8.
	Text string `json:"text,omitempty"`

	// The message the report is about. OriginalMessageID comes from the
	// MDN Original-Message-ID field, else from the returned message or
	// headers part. OriginalHeader is the header of that part (empty when
	// the report returned nothing).
	OriginalMessageID string      `json:"original_message_id,omitempty"`
	OriginalSubject   string      `json:"original_subject,omitempty"`
	OriginalHeader    mail.Header `json:"-"`
	// OriginalContent is "full" (message/rfc822), "headers"
	// (text/rfc822-headers) or "" (nothing returned).
	OriginalContent string `json:"original_content,omitempty"`

	// DSN per-message fields (RFC 3464 §2.2).
	ReportingMTA       string    `json:"reporting_mta,omitempty"` // "dns; mx.example.org"
	ReceivedFromMTA    string    `json:"received_from_mta,omitempty"`
	OriginalEnvelopeID string    `json:"original_envelope_id,omitempty"`
	ArrivalDate        time.Time `json:"arrival_date,omitzero"`
	// Recipients are the DSN per-recipient blocks (RFC 3464 §2.3).
	Recipients []DSNRecipient `json:"recipients,omitempty"`

	// MDN holds the disposition fields of an MDN; nil for a DSN.
	MDN *MDN `json:"mdn,omitempty"`

	// Warnings lists what the parser had to tolerate.
	Warnings finding.List `json:"warnings,omitempty"`
}

// Failed reports whether the report announces a failure: a DSN with a
// "failed" recipient, or an MDN whose disposition carries an error or
// failure modifier or a French error code.
func (r *Report) Failed() bool {
	switch r.Kind {
	case ReportDSN:
		for _, rc := range r.Recipients {
			if rc.Action == ActionFailed {
				return true
			}
		}
	case ReportMDN:
		return r.MDN != nil && r.MDN.Failed()
	}
	return false
}

// DSNAction is the Action field of a DSN recipient block, in lower case.
type DSNAction string

// DSN actions (RFC 3464 §2.3.3).
const (
	ActionFailed    DSNAction = "failed"
	ActionDelayed   DSNAction = "delayed"
	ActionDelivered DSNAction = "delivered"
	ActionRelayed   DSNAction = "relayed"
	ActionExpanded  DSNAction = "expanded"
)

// Valid reports whether a is one of the five RFC 3464 actions.
func (a DSNAction) Valid() bool {
	switch a {
	case ActionFailed, ActionDelayed, ActionDelivered, ActionRelayed, ActionExpanded:
		return true
	}
	return false
}

// DSNRecipient is one per-recipient block of a DSN.
type DSNRecipient struct {
	// FinalRecipient is the address (the "rfc822;" type removed);
	// FinalRecipientType the address type, normally "rfc822".
	FinalRecipient     string `json:"final_recipient"`
	FinalRecipientType string `json:"final_recipient_type,omitempty"`
	OriginalRecipient  string `json:"original_recipient,omitempty"`
	// Action is lower case; an unknown action is kept as written.
	Action DSNAction `json:"action"`
	// Status is the RFC 3463 status code, e.g. "5.1.1".
	Status string `json:"status"`
	// RemoteMTA is the Remote-MTA value ("dns; mx.example.org").
	RemoteMTA string `json:"remote_mta,omitempty"`
	// DiagnosticType is "smtp" for an SMTP reply; DiagnosticCode is the
	// text after the type, e.g. "550 5.1.1 User unknown".
	DiagnosticType  string    `json:"diagnostic_type,omitempty"`
	DiagnosticCode  string    `json:"diagnostic_code,omitempty"`
	LastAttemptDate time.Time `json:"last_attempt_date,omitzero"`
	WillRetryUntil  time.Time `json:"will_retry_until,omitzero"`
	FinalLogID      string    `json:"final_log_id,omitempty"`
}

// StatusClass returns the class of the status code: 2 (success), 4
// (persistent transient failure), 5 (permanent failure), 0 when unknown.
func (r *DSNRecipient) StatusClass() int {
	if r.Status != "" {
		switch r.Status[0] {
		case '2':
			return 2
		case '4':
			return 4
		case '5':
			return 5
		}
	}
	return 0
}

// maxTextPart bounds how much of a text or report part the readers keep.
const maxTextPart = 1 << 20

// ParseReport reads a delivery status notification (RFC 3464) or a message
// disposition notification (RFC 8098). It returns an error wrapping
// ErrNotReport for any other message. opts sets the reader limits; nil
// means the defaults.
//
// The parser is tolerant: the report may be nested in another multipart
// entity, use the RFC 6533 "global" types, miss the human-readable part or the
// returned message, carry badly folded fields or the pre-RFC 8098 French
// "processed/Error: ..." disposition. What it tolerated is in
// Report.Warnings.
func ParseReport(r io.Reader, opts *ReadOptions) (*Report, error) {
	rp := &reportParser{rep: &Report{}}
	w := &walker{limits: opts.limits(), warn: &rp.rep.Warnings}
	if err := w.walkMessage(r, rp.visit); err != nil {
		return nil, err
	}
	return rp.finish()
}

// reportParser collects the parts of a report while the message is walked.
type reportParser struct {
	rep          *Report
	statusBody   string
	statusPath   string
	haveStatus   bool
	reportPath   string // path of the multipart/report entity
	haveReport   bool
	reportType   string
	textFallback string
}

// visit looks at one MIME entity.
func (rp *reportParser) visit(p *mimePart) error {
	if p.Path == "" {
		readReportHeader(rp.rep, p.Entity.Header)
	}
	switch p.MediaType {
	case "multipart/report":
		if !rp.haveReport && !rp.haveStatus {
			rp.haveReport = true
			rp.reportPath = p.Path
			rp.reportType = strings.ToLower(p.Params["report-type"])
		}
	case "message/delivery-status", "message/global-delivery-status",
		"message/disposition-notification", "message/global-disposition-notification":
		return rp.statusPart(p)
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
		return rp.originalPart(p)
	case "text/plain", "text/html":
		return rp.textPart(p)
	}
	return nil
}

// statusPart reads the delivery-status or disposition-notification fields.
func (rp *reportParser) statusPart(p *mimePart) error {
	rep := rp.rep
	if rp.haveStatus {
		rep.Warnings.Add(finding.Warning, "REPORT-EXTRA", partLocation(p.Path), "RFC 6522 §3", "second %s part ignored", p.MediaType)
		return nil
	}
	b, cut, err := readBody(p, maxTextPart)
	if isLimit(err) {
		return err
	}
	if err != nil {
		rep.Warnings.Add(finding.Warning, "REPORT-ENCODING", partLocation(p.Path), "RFC 2045", "%v", err)
	}
	if cut {
		rep.Warnings.Add(finding.Warning, "REPORT-TRUNCATED", partLocation(p.Path), "", "%s part cut at %d bytes", p.MediaType, maxTextPart)
	}
	rp.haveStatus, rp.statusBody, rp.statusPath = true, string(b), p.Path
	if strings.Contains(p.MediaType, "delivery-status") {
		rep.Kind = ReportDSN
	} else {
		rep.Kind = ReportMDN
	}
	return nil
}

// originalPart reads the header of the returned message.
func (rp *reportParser) originalPart(p *mimePart) error {
	rep := rp.rep
	if rep.OriginalContent != "" || (!rp.haveReport && !rp.haveStatus) {
		return nil
	}
	b, _, err := readBody(p, maxTextPart)
	if isLimit(err) {
		return err
	}
	h, herr := readHeaderOnly(b)
	if herr != nil {
		rep.Warnings.Add(finding.Warning, "REPORT-ORIGINAL", partLocation(p.Path), "RFC 6522 §3", "returned message unreadable: %v", herr)
		return nil
	}
	rep.OriginalHeader = mail.Header{Header: h}
	rep.OriginalContent = "full"
	if strings.HasSuffix(p.MediaType, "headers") {
		rep.OriginalContent = "headers"
	}
	return nil
}

// textPart reads the human-readable part: the first part of the
// multipart/report, else the first text before the status part.
func (rp *reportParser) textPart(p *mimePart) error {
	rep := rp.rep
	if rep.Text != "" {
		return nil
	}
	inReport := rp.haveReport && p.Parent == "multipart/report" && p.Index == 0
	if !inReport && rp.textFallback != "" {
		return nil
	}
	b, cut, err := readBody(p, maxTextPart)
	if isLimit(err) {
		return err
	}
	if cut && (inReport || !rp.haveStatus) {
		rep.Warnings.Add(finding.Warning, "REPORT-TRUNCATED", partLocation(p.Path), "", "text part cut at %d bytes", maxTextPart)
	}
	if inReport {
		rep.Text = string(b)
	} else if !rp.haveStatus {
		rp.textFallback = string(b)
	}
	return nil
}

// finish checks the structure and parses the status fields.
func (rp *reportParser) finish() (*Report, error) {
	rep := rp.rep
	if !rp.haveStatus {
		if rp.haveReport {
			return nil, fmt.Errorf("%w: multipart/report without a status part", ErrNotReport)
		}
		return nil, ErrNotReport
	}
	if rep.Text == "" {
		rep.Text = rp.textFallback
	}
	if !rp.haveReport {
		rep.Warnings.Add(finding.Warning, "REPORT-CONTAINER", partLocation(rp.statusPath), "RFC 6522 §3", "status part outside a multipart/report entity")
	} else {
		want := "delivery-status"
		if rep.Kind == ReportMDN {
			want = "disposition-notification"
		}
		if rp.reportType != want && rp.reportType != "global-"+want {
			rep.Warnings.Add(finding.Warning, "REPORT-TYPE", partLocation(rp.reportPath), "RFC 6522 §3", "report-type %q does not match the status part (%s)", rp.reportType, want)
		}
	}
	blocks, bad := parseFieldBlocks(rp.statusBody)
	for _, l := range bad {
		rep.Warnings.Add(finding.Warning, "REPORT-FIELD", partLocation(rp.statusPath), "RFC 3464 §2.1", "unparsable line %q", truncate(l, 80))
	}
	if rep.Kind == ReportDSN {
		parseDSNFields(rep, blocks, rp.statusPath)
	} else {
		parseMDNFields(rep, blocks, rp.statusPath)
	}
	if rep.OriginalHeader.Len() > 0 {
		if rep.OriginalMessageID == "" {
			rep.OriginalMessageID = headerMessageID(rep.OriginalHeader.Header)
		}
		rep.OriginalSubject, _ = rep.OriginalHeader.Subject()
	}
	return rep, nil
}

func readReportHeader(rep *Report, h message.Header) {
	mh := mail.Header{Header: h}
	if from, err := mh.AddressList("From"); err == nil && len(from) > 0 {
		rep.From = from[0].Address
	} else {
		rep.From = stripAngles(h.Get("From"))
	}
	rep.Subject, _ = mh.Subject()
	if d, err := mh.Date(); err == nil {
		rep.Date = d
	}
	rep.MessageID = headerMessageID(h)
}

// headerMessageID returns the Message-ID of a header without angle brackets,
// tolerating ids that RFC 5322 would refuse.
func headerMessageID(h message.Header) string {
	mh := mail.Header{Header: h}
	if id, err := mh.MessageID(); err == nil && id != "" {
		return id
	}
	return stripAngles(h.Get("Message-Id"))
}

func parseDSNFields(rep *Report, blocks []fieldBlock, path string) {
	loc := partLocation(path)
	if len(blocks) == 0 {
		rep.Warnings.Add(finding.Warning, "DSN-EMPTY", loc, "RFC 3464 §2.1", "empty delivery-status part")
		return
	}
	msg := blocks[0]
	if msg.has("Final-Recipient") || msg.has("Action") {
		// No per-message block: tolerate it.
		rep.Warnings.Add(finding.Warning, "DSN-NO-MESSAGE-FIELDS", loc, "RFC 3464 §2.2", "per-message fields missing (Reporting-MTA)")
	} else {
		rep.ReportingMTA = msg.get("Reporting-MTA")
		rep.ReceivedFromMTA = msg.get("Received-From-MTA")
		rep.OriginalEnvelopeID = msg.get("Original-Envelope-Id")
		// Not RFC 3464, but some MTAs (Exchange) name the message here.
		for _, f := range []string{"Original-Message-ID", "X-Original-Message-ID"} {
			if v := stripAngles(stripComments(msg.get(f))); v != "" {
				rep.OriginalMessageID = v
				break
			}
		}
		rep.ArrivalDate = parseDate(rep, msg.get("Arrival-Date"), "Arrival-Date", loc)
		if rep.ReportingMTA == "" {
			rep.Warnings.Add(finding.Warning, "DSN-REPORTING-MTA", loc, "RFC 3464 §2.2.2", "Reporting-MTA missing")
		}
		blocks = blocks[1:]
	}
	for i, b := range blocks {
		bloc := fmt.Sprintf("%s recipient %d", loc, i+1)
		rc := DSNRecipient{}
		rc.FinalRecipientType, rc.FinalRecipient = splitTyped(stripComments(b.get("Final-Recipient")))
		if v := b.get("Original-Recipient"); v != "" {
			_, rc.OriginalRecipient = splitTyped(stripComments(v))
		}
		if rc.FinalRecipient == "" {
			rc.FinalRecipient = rc.OriginalRecipient
			rep.Warnings.Add(finding.Warning, "DSN-FINAL-RECIPIENT", bloc, "RFC 3464 §2.3.2", "Final-Recipient missing")
		}
		rc.Action = DSNAction(strings.ToLower(stripComments(b.get("Action"))))
		if !rc.Action.Valid() {
			rep.Warnings.Add(finding.Warning, "DSN-ACTION", bloc, "RFC 3464 §2.3.3", "unknown Action %q", rc.Action)
		}
		rc.Status = stripComments(b.get("Status"))
		if f := strings.Fields(rc.Status); len(f) > 0 {
			rc.Status = f[0]
		}
		if !validStatus(rc.Status) {
			rep.Warnings.Add(finding.Warning, "DSN-STATUS", bloc, "RFC 3464 §2.3.4", "malformed Status %q", rc.Status)
		}
		rc.RemoteMTA = b.get("Remote-MTA")
		if d := b.get("Diagnostic-Code"); d != "" {
			rc.DiagnosticType, rc.DiagnosticCode = splitTyped(d)
		}
		rc.LastAttemptDate = parseDate(rep, b.get("Last-Attempt-Date"), "Last-Attempt-Date", bloc)
		rc.WillRetryUntil = parseDate(rep, b.get("Will-Retry-Until"), "Will-Retry-Until", bloc)
		rc.FinalLogID = b.get("Final-Log-Id")
		rep.Recipients = append(rep.Recipients, rc)
	}
	if len(rep.Recipients) == 0 {
		rep.Warnings.Add(finding.Warning, "DSN-NO-RECIPIENT", loc, "RFC 3464 §2.3", "no per-recipient block")
	}
}

// validStatus checks the RFC 3463 form class.subject.detail.
func validStatus(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(s) < 5 {
		return false
	}
	if s[0] != '2' && s[0] != '4' && s[0] != '5' || len(parts[0]) != 1 {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

func parseDate(rep *Report, v, name, loc string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := netmail.ParseDate(stripComments(v))
	if err != nil {
		rep.Warnings.Add(finding.Warning, "REPORT-DATE", loc, "RFC 5322 §3.3", "unparsable %s %q", name, truncate(v, 60))
		return time.Time{}
	}
	return t
}

// truncate cuts s to at most n bytes, at a character boundary, and marks
// the cut with "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
