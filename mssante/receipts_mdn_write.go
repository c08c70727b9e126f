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
	raw, err := io.ReadAll(&sizeReader{r: original, max: limits.MaxSize})
	if err != nil {
		return err
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && e == nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	oh := mail.Header{Header: e.Header}

	to := opts.To
	if to == "" {
		dnt, ok, sameRP := MDNRequest(oh)
		if !ok {
			return ErrNoMDNRequested
		}
		if !sameRP && !opts.Manual && !opts.IgnoreReturnPath {
			return ErrMDNReturnPath
		}
		to = dnt
	}
	if to, err = parseAddr(to); err != nil {
		return err
	}
	final := opts.FinalRecipient
	if final == "" {
		final = from
	}
	orig := opts.OriginalRecipient
	if orig == "" {
		_, orig = splitTyped(oh.Get("Original-Recipient"))
	}
	if orig == "" {
		orig = final
	}
	for _, v := range [][2]string{{"From", opts.From.Name}, {"FinalRecipient", final}, {"OriginalRecipient", orig}, {"ReportingUA", opts.ReportingUA}, {"NIL", opts.NIL}, {"ErrorLabel", opts.ErrorLabel}, {"Type", opts.Type}} {
		if err := checkHeaderValue(v[0], v[1]); err != nil {
			return err
		}
	}
	origID := headerMessageID(e.Header)
	origSubject, _ := oh.Subject()

	label := opts.ErrorLabel
	if label == "" {
		label = opts.Error.Label()
	}
	if opts.Error != 0 && label == "" {
		label = CodeOther.Label()
	}

	// Header of the MDN.
	subject := integrationSubject(origSubject, opts.Error)
	date := opts.Date
	if date.IsZero() {
		date = time.Now()
	}
	id := opts.MessageID
	if id == "" {
		id = newMessageID(domainOf(from))
	}
	f := [][2]string{
		{"From", formatAddresses([]*mail.Address{opts.From})},
		{"To", "<" + to + ">"},
		{"Subject", mimeQ(strings.TrimSpace(subject))},
		{"Date", date.Format("Mon, 02 Jan 2006 15:04:05 -0700")},
		{"Message-ID", "<" + stripAngles(id) + ">"},
	}
	if origID != "" {
		f = append(f, [2]string{"In-Reply-To", "<" + origID + ">"}, [2]string{"References", "<" + origID + ">"})
	}
	if opts.NIL != "" {
		f = append(f, [2]string{HeaderNIL, opts.NIL})
	}
	f = append(f, [2]string{"Auto-Submitted", "auto-replied"}, [2]string{"MIME-Version", "1.0"})
	bw := bufio.NewWriterSize(w, 32<<10)
	top := func(fields ...[2]string) (io.Writer, error) {
		return bw, textproto.WriteHeader(bw, newHeader(append(f, fields...)...).Header)
	}
	mw, err := multipart(top, "multipart/report", map[string]string{"report-type": "disposition-notification"})
	if err != nil {
		return err
	}

	// (1) human-readable part.
	text := opts.Text
	if text == "" {
		text = integrationText(opts.Error, label)
	}
	if err := writeQPPart(partOf(mw), "text/plain", text); err != nil {
		return err
	}

	// (2) disposition fields.
	pw, err := partOf(mw)([2]string{"Content-Type", "message/disposition-notification"},
		[2]string{"Content-Transfer-Encoding", "7bit"})
	if err != nil {
		return err
	}
	ua := opts.ReportingUA
	if ua == "" {
		ua = domainOf(from) + "; mssante-go-sdk"
	}
	var fb strings.Builder
	fmt.Fprintf(&fb, "Reporting-UA: %s\r\n", ua)
	fmt.Fprintf(&fb, "Original-Recipient: rfc822;%s\r\n", orig)
	fmt.Fprintf(&fb, "Final-Recipient: rfc822;%s\r\n", final)
	if origID != "" {
		fmt.Fprintf(&fb, "Original-Message-ID: <%s>\r\n", origID)
	}
	typ := strings.ToLower(opts.Type)
	if typ == "" {
		typ = DispositionProcessed
	}
	mode := "automatic-action/MDN-sent-automatically"
	if opts.Manual {
		mode = "manual-action/MDN-sent-manually"
	}
	if opts.Error == 0 {
		fmt.Fprintf(&fb, "Disposition: %s; %s\r\n", mode, typ)
	} else {
		errText := fmt.Sprintf("%d^%s^applicationErrorCondition| E^Error^errorSeverity", int(opts.Error), asciiFold(label))
		if opts.LegacyForm {
			fmt.Fprintf(&fb, "Disposition: %s; %s/Error: %s\r\n", mode, typ, errText)
		} else {
			fmt.Fprintf(&fb, "Disposition: %s; %s/error\r\n", mode, typ)
			fmt.Fprintf(&fb, "Error: %s\r\n", errText)
		}
	}
	if _, err := io.WriteString(pw, fb.String()); err != nil {
		return err
	}

	// (3) the whole original message.
	cte := "7bit"
	if !isASCII(raw) {
		cte = "8bit"
	}
	opw, err := partOf(mw)([2]string{"Content-Type", "message/rfc822"}, [2]string{"Content-Transfer-Encoding", cte})
	if err != nil {
		return err
	}
	if err := writeCRLF(opw, raw); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	return bw.Flush()
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
	raw, err := io.ReadAll(&sizeReader{r: original, max: DefaultMaxReadSize})
	if err != nil {
		return nil, err
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && e == nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
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
