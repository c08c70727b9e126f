package mssante

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// French MDN texts (volet PFI struct-msg-mdn.md).
const (
	// MDNErrorTextPrefix starts the human-readable part of an error MDN; the
	// error label follows.
	MDNErrorTextPrefix = "Le message ci-dessous n'a pas pu être intégré automatiquement dans le DPI pour la raison suivante : "
	// MDNErrorSubjectPrefix starts the subject of an error MDN, followed by
	// "[<code>] " and the original subject.
	MDNErrorSubjectPrefix = "[KO Intégration système !]"
	// mdnSuccessText is the human-readable part of a success MDN.
	mdnSuccessText = "Le message ci-dessous a été traité automatiquement."
)

// MDNOptions configures WriteMDN. From is required; every other zero value
// selects the documented default.
type MDNOptions struct {
	// From is the mailbox answering: the BAL that received the message
	// (in the PFI case the BAL APP).
	From *mail.Address
	// FinalRecipient defaults to From.Address; OriginalRecipient to the
	// Original-Recipient header of the message, else FinalRecipient.
	FinalRecipient    string
	OriginalRecipient string
	// ReportingUA defaults to "<domain of From>; mssante-go-sdk".
	ReportingUA string
	// Type is the disposition type, DispositionProcessed by default.
	Type string
	// Manual selects manual-action/MDN-sent-manually (default automatic).
	Manual bool
	// Error is the French error code; 0 for a success MDN. It must have
	// three digits (900–906 are listed, "à titre indicatif"). ErrorLabel
	// overrides Error.Label().
	Error      ErrorCode
	ErrorLabel string
	// LegacyForm writes the error inside the Disposition field
	// ("processed/Error: 902^...") as the volet did before v1.1.3, for
	// receivers that only read that form. The default is the RFC 8098 form
	// of v1.1.3 (modifier "error" plus an Error field).
	LegacyForm bool
	// Text replaces the default human-readable text (the French sentence
	// with the error label on error).
	Text string
	// NIL is the X-MSS-NIL product reference written on the MDN (ECO.2.4.3).
	NIL string
	// To overrides the Disposition-Notification-To address of the message;
	// with it, WriteMDN answers a message that did not ask for an MDN.
	To string
	// IgnoreReturnPath sends an automatic MDN even when Return-Path and
	// Disposition-Notification-To differ (RFC 8098 §2.1 advises against it).
	IgnoreReturnPath bool
	// Date and MessageID default to now and a random id in From's domain.
	Date      time.Time
	MessageID string
	// Limits bounds the original message that is read.
	Limits ReadLimits
}

// ErrMDNReturnPath: the message asks for an MDN at an address that differs
// from its Return-Path, and the MDN would be sent automatically (RFC 8098 §2.1).
var ErrMDNReturnPath = fmt.Errorf("%w: Disposition-Notification-To differs from Return-Path", ErrNoMDNRequested)

// MDNRequest returns the address a message asks disposition notifications to
// be sent to (Disposition-Notification-To), and whether it equals the
// Return-Path (RFC 8098 §2.1: otherwise do not answer automatically). ok is
// false when no MDN is requested.
func MDNRequest(h mail.Header) (to string, ok, matchesReturnPath bool) {
	if !h.Has(HeaderDispositionNotificationTo) {
		return "", false, false
	}
	to = firstAddress(h, HeaderDispositionNotificationTo)
	if to == "" {
		return "", false, false
	}
	rp := firstAddress(h, "Return-Path")
	return to, true, rp == "" || strings.EqualFold(rp, to)
}

// WriteMDN writes to w the message disposition notification that answers
// the message read from original, in the French profile (volet PFI v1.1.3,
// struct-msg-mdn.md): multipart/report; report-type=disposition-notification
// with (1) a UTF-8 text/plain part, (2) the message/disposition-notification
// fields, (3) the whole original message as message/rfc822, so that nothing
// is lost.
//
// On error (opts.Error set) the disposition is "processed/error" with an
// Error field "<code>^<label>^applicationErrorCondition| E^Error^errorSeverity"
// (label folded to ASCII, as the field is 7-bit), and the subject is
// "[KO Intégration système !][<code>] <original subject>".
func WriteMDN(w io.Writer, original io.Reader, opts *MDNOptions) error {
	if opts == nil || opts.From == nil || opts.From.Address == "" {
		return fmt.Errorf("%w: MDNOptions.From", ErrNoSender)
	}
	from, err := parseAddr(opts.From.Address)
	if err != nil {
		return err
	}
	if opts.Error != 0 && (opts.Error < 100 || opts.Error > 999) {
		// ParseErrorCode, and the receivers, read three digits only.
		return fmt.Errorf("mssante: error code %d: want three digits (900-906)", int(opts.Error))
	}
	limits := opts.Limits.withDefaults()
	raw, e, err := readOriginal(original, limits.MaxSize)
	if err != nil {
		return err
	}
	d, err := newDisposition(opts, from, mail.Header{Header: e.Header})
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	top := func(fields ...[2]string) (io.Writer, error) {
		return bw, textproto.WriteHeader(bw, newHeader(append(d.headerFields(opts), fields...)...).Header)
	}
	mw, err := multipart(top, "multipart/report", map[string]string{"report-type": "disposition-notification"})
	if err != nil {
		return err
	}
	if err := d.writeParts(mw, opts, raw); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// readOriginal reads the message an MDN or an integration notice answers,
// within max bytes.
func readOriginal(original io.Reader, max int64) ([]byte, *message.Entity, error) {
	raw, err := io.ReadAll(&sizeReader{r: original, max: max})
	if err != nil {
		return nil, nil, err
	}
	raw = trimLeadingNoise(raw)
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && e == nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return raw, e, nil
}

// trimLeadingNoise drops a UTF-8 byte order mark and blank lines before a
// message's header (what Read tolerates with a warning): the answer quotes
// the message from its header on.
func trimLeadingNoise(raw []byte) []byte {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	for {
		switch {
		case bytes.HasPrefix(raw, []byte("\r\n")):
			raw = raw[2:]
		case bytes.HasPrefix(raw, []byte("\n")):
			raw = raw[1:]
		default:
			return raw
		}
	}
}

// disposition is what WriteMDN derives from the original message and its
// options before writing.
type disposition struct {
	from, to       string // the answering mailbox, the address the MDN goes to
	final, orig    string // Final-Recipient, Original-Recipient
	origID         string // Message-ID of the original, without brackets
	origSubject    string
	label          string // the error label, "" on success
	code           ErrorCode
	messageID      string
	date           time.Time
	reportingUA    string
	dispositionTyp string
}

// newDisposition checks where the MDN goes (Disposition-Notification-To
// and Return-Path, RFC 8098 §2.1, unless opts.To says) and fills the
// values of the report.
func newDisposition(opts *MDNOptions, from string, oh mail.Header) (*disposition, error) {
	d := &disposition{from: from, code: opts.Error, final: opts.FinalRecipient, orig: opts.OriginalRecipient}
	d.to = opts.To
	if d.to == "" {
		dnt, ok, sameRP := MDNRequest(oh)
		if !ok {
			return nil, ErrNoMDNRequested
		}
		if !sameRP && !opts.Manual && !opts.IgnoreReturnPath {
			return nil, ErrMDNReturnPath
		}
		d.to = dnt
	}
	var err error
	if d.to, err = parseAddr(d.to); err != nil {
		return nil, err
	}
	if d.final == "" {
		d.final = from
	}
	if d.orig == "" {
		_, d.orig = splitTyped(oh.Get("Original-Recipient"))
	}
	if d.orig == "" {
		d.orig = d.final
	}
	for _, v := range [][2]string{{"From", opts.From.Name}, {"FinalRecipient", d.final}, {"OriginalRecipient", d.orig}, {"ReportingUA", opts.ReportingUA}, {"NIL", opts.NIL}, {"ErrorLabel", opts.ErrorLabel}, {"Type", opts.Type}} {
		if err := checkHeaderValue(v[0], v[1]); err != nil {
			return nil, err
		}
	}
	d.origID = headerMessageID(oh.Header)
	d.origSubject, _ = oh.Subject()
	d.label = opts.ErrorLabel
	if d.label == "" {
		d.label = opts.Error.Label()
	}
	if opts.Error != 0 && d.label == "" {
		d.label = CodeOther.Label()
	}
	if d.date = opts.Date; d.date.IsZero() {
		d.date = time.Now()
	}
	if d.messageID = opts.MessageID; d.messageID == "" {
		d.messageID = newMessageID(domainOf(from))
	}
	if d.reportingUA = opts.ReportingUA; d.reportingUA == "" {
		d.reportingUA = domainOf(from) + "; mssante-go-sdk"
	}
	if d.dispositionTyp = strings.ToLower(opts.Type); d.dispositionTyp == "" {
		d.dispositionTyp = DispositionProcessed
	}
	return d, nil
}

// headerFields are the header fields of the MDN, in order.
func (d *disposition) headerFields(opts *MDNOptions) [][2]string {
	f := [][2]string{
		{"From", formatAddresses([]*mail.Address{opts.From})},
		{"To", "<" + d.to + ">"},
		{"Subject", mimeQ(strings.TrimSpace(integrationSubject(d.origSubject, d.code)))},
		{"Date", d.date.Format("Mon, 02 Jan 2006 15:04:05 -0700")},
		{"Message-ID", "<" + stripAngles(d.messageID) + ">"},
	}
	if d.origID != "" {
		f = append(f, [2]string{"In-Reply-To", "<" + d.origID + ">"}, [2]string{"References", "<" + d.origID + ">"})
	}
	if opts.NIL != "" {
		f = append(f, [2]string{HeaderNIL, opts.NIL})
	}
	return append(f, [2]string{"Auto-Submitted", "auto-replied"}, [2]string{"MIME-Version", "1.0"})
}

// writeParts writes the three parts of the report: (1) the human-readable
// text, (2) the disposition fields, (3) the whole original message.
func (d *disposition) writeParts(mw *textproto.MultipartWriter, opts *MDNOptions, raw []byte) error {
	text := opts.Text
	if text == "" {
		text = integrationText(d.code, d.label)
	}
	if err := writeQPPart(partOf(mw), "text/plain", text); err != nil {
		return err
	}
	pw, err := partOf(mw)([2]string{"Content-Type", "message/disposition-notification"},
		[2]string{"Content-Transfer-Encoding", "7bit"})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(pw, d.fields(opts)); err != nil {
		return err
	}
	cte := "7bit"
	if !isASCII(raw) {
		cte = "8bit"
	}
	opw, err := partOf(mw)([2]string{"Content-Type", "message/rfc822"}, [2]string{"Content-Transfer-Encoding", cte})
	if err != nil {
		return err
	}
	return writeCRLF(opw, raw)
}

// fields are the message/disposition-notification fields (RFC 8098 §3.2),
// with the French error form of the volet PFI on error.
func (d *disposition) fields(opts *MDNOptions) string {
	var fb strings.Builder
	fmt.Fprintf(&fb, "Reporting-UA: %s\r\n", d.reportingUA)
	fmt.Fprintf(&fb, "Original-Recipient: rfc822;%s\r\n", d.orig)
	fmt.Fprintf(&fb, "Final-Recipient: rfc822;%s\r\n", d.final)
	if d.origID != "" {
		fmt.Fprintf(&fb, "Original-Message-ID: <%s>\r\n", d.origID)
	}
	mode := "automatic-action/MDN-sent-automatically"
	if opts.Manual {
		mode = "manual-action/MDN-sent-manually"
	}
	switch {
	case d.code == 0:
		fmt.Fprintf(&fb, "Disposition: %s; %s\r\n", mode, d.dispositionTyp)
	case opts.LegacyForm:
		fmt.Fprintf(&fb, "Disposition: %s; %s/Error: %s\r\n", mode, d.dispositionTyp, d.errorField())
	default:
		fmt.Fprintf(&fb, "Disposition: %s; %s/error\r\n", mode, d.dispositionTyp)
		fmt.Fprintf(&fb, "Error: %s\r\n", d.errorField())
	}
	return fb.String()
}

// errorField is "<code>^<label>^applicationErrorCondition| E^Error^errorSeverity",
// the label folded to ASCII (the field is 7-bit).
func (d *disposition) errorField() string {
	return fmt.Sprintf("%d^%s^applicationErrorCondition| E^Error^errorSeverity", int(d.code), asciiFold(d.label))
}

// integrationSubject is the subject of an answer about the integration of a
// message: "[KO Intégration système !][<code>] <subject>" on error, the
// original subject on success.
func integrationSubject(orig string, code ErrorCode) string {
	switch {
	case code != 0:
		return strings.TrimSpace(fmt.Sprintf("%s[%d] %s", MDNErrorSubjectPrefix, int(code), orig))
	case strings.TrimSpace(orig) == "":
		return "Accusé de traitement"
	}
	return strings.TrimSpace(orig)
}

// integrationText is the human-readable text of an answer about the
// integration of a message.
func integrationText(code ErrorCode, label string) string {
	if code == 0 {
		return mdnSuccessText
	}
	return MDNErrorTextPrefix + label + "\r\nCode d'erreur : " + code.String()
}

// IntegrationNotice returns the "courriel standard" a receiving system sends
// instead of an MDN when the message asked for none (volet PFI
// struct-email-standard.md): addressed to the sender (Reply-To, else From),
// with the subject and text of the MDN (integrationSubject, the French
// sentence with the error label), threaded to the original, which is attached
// whole as message/rfc822 so that nothing is lost. code 0 reports a success.
// The message is returned for the caller to adjust and send.
func IntegrationNotice(original io.Reader, from *Sender, code ErrorCode) (*Message, error) {
	if code != 0 && !code.Valid() {
		return nil, fmt.Errorf("mssante: unknown error code %d", int(code))
	}
	raw, e, err := readOriginal(original, DefaultMaxReadSize)
	if err != nil {
		return nil, err
	}
	oh := mail.Header{Header: e.Header}
	m := Reply(oh, from)
	if len(m.To) == 0 {
		return nil, fmt.Errorf("%w: the original message has no From nor Reply-To", ErrNoRecipient)
	}
	subj, _ := oh.Subject()
	m.Subject = integrationSubject(subj, code)
	m.Text = integrationText(code, code.Label())
	m.Attachments = []*Attachment{{Filename: "message-original.eml", ContentType: "message/rfc822", Data: raw}}
	return m, nil
}

// writeCRLF copies b to w with every bare LF turned into CRLF and a final
// line break.
func writeCRLF(w io.Writer, b []byte) error {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if _, err := w.Write(b); err != nil {
				return err
			}
			_, err := io.WriteString(w, "\r\n")
			return err
		}
		line := b[:i]
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if _, err := w.Write(line); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\r\n"); err != nil {
			return err
		}
		b = b[i+1:]
	}
	return nil
}

// asciiFold removes diacritics and replaces any other non-ASCII character
// with '?', for 7-bit report fields.
func asciiFold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	var b strings.Builder
	for _, r := range out {
		if r < 0x20 || r >= 0x7f {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
