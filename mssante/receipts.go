package mssante

import (
	"bytes"
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

	// The message the report is about. OriginalMessageID (normalised by
	// NormalizeMessageID) comes from the Original-Message-ID field, else
	// the returned message or headers part, else the report's In-Reply-To
	// (first id), else its References (last id); OriginalIDSource says
	// which. OriginalHeader is the header of the returned part (empty when
	// the report returned nothing).
	OriginalMessageID string           `json:"original_message_id,omitempty"`
	OriginalIDSource  OriginalIDSource `json:"original_id_source,omitempty"`
	OriginalSubject   string           `json:"original_subject,omitempty"`
	OriginalHeader    mail.Header      `json:"-"`
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
// recipient whose Outcome is "failed" (Action: failed, whatever the status
// class), or an MDN whose disposition carries an error or failure modifier
// or a French error code.
func (r *Report) Failed() bool {
	switch r.Kind {
	case ReportDSN:
		for i := range r.Recipients {
			if r.Recipients[i].Outcome() == ActionFailed {
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
	// FinalRecipient is the bare address (NormalizeAddress: no "rfc822;"
	// type, no display name); FinalRecipientType the address type,
	// normally "rfc822". OriginalRecipient is normalised the same way.
	FinalRecipient     string `json:"final_recipient"`
	FinalRecipientType string `json:"final_recipient_type,omitempty"`
	OriginalRecipient  string `json:"original_recipient,omitempty"`
	// Action is lower case; an unknown action is kept as written.
	Action DSNAction `json:"action"`
	// Status is the RFC 3463 status code as written, e.g. "5.1.1";
	// DetailedStatus gives the most specific code the block holds.
	// StatusComment is the comment that may follow it ("5.0.0 (recipient
	// reached disk quota)"), some agents' only explanation.
	Status        string `json:"status"`
	StatusComment string `json:"status_comment,omitempty"`
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
	return statusClass(r.Status)
}

func statusClass(s string) int {
	if s != "" {
		switch s[0] {
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

// Outcome returns what the block says happened: its Action when it is one
// of the five RFC 3464 actions ("failed" is a failure whatever the status
// class: the reporting MTA gave up; "delayed" is the only temporary
// outcome). A block without a known Action is read from its status class,
// else from the SMTP reply code that starts its Diagnostic-Code: 2 gives
// "delivered", 4 "delayed", 5 "failed". The result is "" when nothing
// tells.
func (r *DSNRecipient) Outcome() DSNAction {
	if r.Action.Valid() {
		return r.Action
	}
	c := r.StatusClass()
	if c == 0 {
		c = replyClass(r.DiagnosticCode)
	}
	switch c {
	case 2:
		return ActionDelivered
	case 4:
		return ActionDelayed
	case 5:
		return ActionFailed
	}
	return ""
}

// DetailedStatus returns the most specific status code the block gives:
// Status when it is valid and more than a class ("5.1.1"); when Status is
// missing, malformed or only a class ("5.0.0"), the first enhanced code of
// the same class in the Diagnostic-Code ("554 5.6.0 ..." gives "5.6.0",
// "550 #5.1.0" gives "5.1.0"), else the class of its SMTP reply code
// ("550 ..." gives "5.0.0"). The result is "" when nothing tells.
func (r *DSNRecipient) DetailedStatus() string {
	st := r.Status
	if !validStatus(st) {
		st = ""
	}
	if st != "" && !strings.HasSuffix(st, ".0.0") {
		return st
	}
	for _, code := range EnhancedCodes(r.DiagnosticCode) {
		if st == "" || code[0] == st[0] {
			return code
		}
	}
	if st == "" {
		if c := replyClass(r.DiagnosticCode); c != 0 {
			return string(rune('0'+c)) + ".0.0"
		}
	}
	return st
}

// replyClass returns the class (2, 4, 5) of the three-digit SMTP reply code
// that starts s, or 0.
func replyClass(s string) int {
	s = strings.TrimSpace(s)
	if len(s) < 3 || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9' || (len(s) > 3 && s[3] >= '0' && s[3] <= '9') {
		return 0
	}
	return statusClass(s)
}

// EnhancedCodes returns the RFC 3463 enhanced status codes written in a
// text ("550 5.1.1 ...", "550-5.7.1 ...", "#5.1.0"), in order, each once.
// A code must stand alone: "10.5.1.1" (an IP address) and "5.1.1.2" are
// not codes.
func EnhancedCodes(s string) []string {
	var out []string
	for i := 0; i+5 <= len(s); i++ {
		c := s[i]
		if c != '2' && c != '4' && c != '5' || s[i+1] != '.' {
			continue
		}
		if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.' || isLetter(s[i-1])) {
			continue
		}
		j := i + 2
		k := digits(s, j)
		if k == j || k-j > 3 || k >= len(s) || s[k] != '.' {
			continue
		}
		m := digits(s, k+1)
		if m == k+1 || m-k-1 > 3 {
			continue
		}
		if m < len(s) && (isDigit(s[m]) || isLetter(s[m]) || (s[m] == '.' && m+1 < len(s) && isDigit(s[m+1]))) {
			continue
		}
		code := s[i:m]
		dup := false
		for _, o := range out {
			dup = dup || o == code
		}
		if !dup {
			out = append(out, code)
		}
		i = m - 1
	}
	return out
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func digits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
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
	// From the report's own header, for the original id and the inline
	// status fields.
	inReplyTo, references string
	fromSystem            bool
}

// visit looks at one MIME entity.
func (rp *reportParser) visit(p *mimePart) error {
	if p.Path == "" {
		readReportHeader(rp.rep, p.Entity.Header)
		rp.inReplyTo, rp.references = p.Entity.Header.Get("In-Reply-To"), p.Entity.Header.Get("References")
		rp.fromSystem = rp.rep.From == "" || isSystemAddress(rp.rep.From)
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
	if len(bytes.TrimSpace(b)) == 0 {
		// The LPS-MSS guide's MDN: the fields follow Content-Type with no
		// blank line, so they were read as the part's header.
		if fields := nonContentFields(p.Entity.Header); fields != "" {
			b = []byte(fields)
			rep.Warnings.Add(finding.Warning, "REPORT-FIELDS-IN-HEADER", partLocation(p.Path), "RFC 6522 §3",
				"the %s fields follow its header without a blank line: read from the part header", p.MediaType)
		}
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
		rep.Warnings.Add(finding.Warning, "REPORT-ORIGINAL", partLocation(p.Path), "RFC 6522 §3", "returned message unreadable: %s", strings.TrimSpace(herr.Error()))
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
	if rep.Text == "" {
		rep.Text = rp.textFallback
	}
	inline := false
	if !rp.haveStatus && (rp.haveReport || rp.fromSystem) {
		// A status part that was not delimited (a broken boundary), or a
		// mail system's notice quoting one: the fields are in the text.
		if body := inlineDSNFields(rep.Text); body != "" {
			rp.haveStatus, rp.statusBody, inline = true, body, true
			rep.Kind = ReportDSN
			rep.Warnings.Add(finding.Warning, "REPORT-INLINE", "message", "RFC 3464 §2, RFC 6522 §3",
				"no message/delivery-status part: delivery status fields read from the text")
		}
	}
	if !rp.haveStatus {
		if rp.haveReport {
			return nil, fmt.Errorf("%w: multipart/report without a status part", ErrNotReport)
		}
		return nil, ErrNotReport
	}
	switch {
	case inline:
	case !rp.haveReport:
		rep.Warnings.Add(finding.Warning, "REPORT-CONTAINER", partLocation(rp.statusPath), "RFC 6522 §3", "status part outside a multipart/report entity")
	default:
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
	if rep.OriginalMessageID != "" {
		rep.OriginalIDSource = IDFromField
	}
	if rep.OriginalHeader.Len() > 0 {
		if rep.OriginalMessageID == "" {
			rep.OriginalMessageID, rep.OriginalIDSource = headerMessageID(rep.OriginalHeader.Header), IDFromReturned
		}
		rep.OriginalSubject, _ = rep.OriginalHeader.Subject()
	}
	// Some agents name the original only in the threading fields.
	if rep.OriginalMessageID == "" {
		if ids := MessageIDs(rp.inReplyTo); len(ids) > 0 {
			rep.OriginalMessageID, rep.OriginalIDSource = ids[0], IDFromInReplyTo
		} else if ids := MessageIDs(rp.references); len(ids) > 0 {
			rep.OriginalMessageID, rep.OriginalIDSource = ids[len(ids)-1], IDFromReferences
		}
	}
	if rep.OriginalMessageID == "" {
		rep.OriginalIDSource = ""
	}
	return rep, nil
}

// nonContentFields writes the fields of a part header other than Content-*
// and MIME-Version, one "Name: value" line each, in order.
func nonContentFields(h message.Header) string {
	var b strings.Builder
	for f := h.Fields(); f.Next(); {
		k := f.Key()
		if strings.HasPrefix(strings.ToLower(k), "content-") || strings.EqualFold(k, "MIME-Version") {
			continue
		}
		b.WriteString(k + ": " + f.Value() + "\n")
	}
	return b.String()
}

// dsnFieldNames are the fields of a delivery-status body (RFC 3464 §2.2,
// §2.3), lower case; names starting with "x-" are extension fields.
var dsnFieldNames = map[string]bool{
	"reporting-mta": true, "dsn-gateway": true, "received-from-mta": true, "arrival-date": true,
	"original-envelope-id": true, "original-recipient": true, "final-recipient": true, "action": true,
	"status": true, "remote-mta": true, "diagnostic-code": true, "last-attempt-date": true,
	"final-log-id": true, "will-retry-until": true,
}

// inlineDSNFields finds delivery-status fields in a text: runs of lines
// that are DSN fields (and their continuation lines), starting at the
// beginning of a line. It returns them as a delivery-status body, runs
// separated by blank lines, when one run names a Final-Recipient with an
// Action or a Status; else "".
func inlineDSNFields(text string) string {
	var b strings.Builder
	inRun, field, ok := false, false, false
	var run []string
	flush := func() {
		if len(run) == 0 {
			return
		}
		has := map[string]bool{}
		for _, l := range run {
			if name, _, found := strings.Cut(l, ":"); found && l[0] != ' ' && l[0] != '\t' {
				has[strings.ToLower(strings.TrimSpace(name))] = true
			}
		}
		perMessage := has["reporting-mta"] || has["arrival-date"] || has["received-from-mta"] || has["original-envelope-id"]
		recipient := has["final-recipient"] || has["original-recipient"]
		if !perMessage && !recipient {
			run = run[:0] // extension fields alone (X-Original-To...): not a block
			return
		}
		ok = ok || has["final-recipient"] && (has["action"] || has["status"])
		for _, l := range run {
			b.WriteString(l + "\n")
		}
		b.WriteString("\n")
		run = run[:0]
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line != "" && (line[0] == ' ' || line[0] == '\t') && strings.TrimSpace(line) != "" {
			if inRun && field {
				run = append(run, line)
			}
			continue
		}
		name, _, found := strings.Cut(line, ":")
		lname := strings.ToLower(name)
		if found && !strings.ContainsAny(name, " \t") && (dsnFieldNames[lname] || strings.HasPrefix(lname, "x-")) {
			run = append(run, line)
			inRun, field = true, true
			continue
		}
		flush()
		inRun, field = false, false
	}
	flush()
	if !ok {
		return ""
	}
	return b.String()
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

// isSystemAddress reports whether an address is a mail system's
// (MAILER-DAEMON, postmaster), the senders of bounces and notices.
func isSystemAddress(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(addr)), "@")
	return local == "mailer-daemon" || local == "postmaster" || local == "mailerdaemon"
}

// headerMessageID returns the Message-ID of a header, normalised
// (NormalizeMessageID): ids that RFC 5322 would refuse are tolerated.
func headerMessageID(h message.Header) string {
	return NormalizeMessageID(h.Get("Message-Id"))
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
			if v := NormalizeMessageID(msg.get(f)); v != "" {
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
		rc.FinalRecipientType, rc.FinalRecipient = reportAddress(rep, b.get("Final-Recipient"), "Final-Recipient", bloc)
		if v := b.get("Original-Recipient"); v != "" {
			_, rc.OriginalRecipient = reportAddress(rep, v, "Original-Recipient", bloc)
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
		if raw := b.get("Status"); strings.Contains(raw, "(") {
			if i, j := strings.IndexByte(raw, '('), strings.LastIndexByte(raw, ')'); j > i {
				rc.StatusComment = strings.TrimSpace(raw[i+1 : j])
			}
		}
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
		if rc.FinalRecipient == "" && rc.Action == "" && rc.Status == "" && rc.DiagnosticCode == "" {
			continue // a block of stray lines (a cut report), not a recipient
		}
		rep.Recipients = append(rep.Recipients, rc)
	}
	if len(rep.Recipients) == 0 {
		rep.Warnings.Add(finding.Warning, "DSN-NO-RECIPIENT", loc, "RFC 3464 §2.3", "no per-recipient block")
	}
}

// reportAddress reads an address field of a report ("rfc822; addr"): its
// type in lower case and the address normalised (NormalizeAddress), with a
// finding when a display name had to be dropped.
func reportAddress(rep *Report, v, name, loc string) (typ, addr string) {
	v = stripComments(v)
	if t, _, ok := strings.Cut(v, ";"); ok && !strings.ContainsAny(t, "@<\"") {
		typ = strings.ToLower(strings.TrimSpace(t))
	}
	if hasDisplayName(v) {
		rep.Warnings.Add(finding.Info, "REPORT-ADDRESS", loc, "RFC 3464 §2.3.2, RFC 8098 §3.2.4",
			"%s carries a display name: %q read as its address", name, truncate(v, 80))
	}
	return typ, NormalizeAddress(v)
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
