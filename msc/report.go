package msc

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/mssante"
)

// Limits of the bounce reader, besides Classifier.MaxBytes (the size limit).
const (
	maxMIMEDepth = 16
	maxMIMEParts = 256
	maxTextBytes = 1 << 20 // of each text part kept
)

// bounceMail is what the classifier reads from a returned message, all of
// it through package mssante: the top-level header, the human-readable text
// outside returned messages (HTML reduced to text), the Message-ID of the
// returned message, and the RFC 3464 report when there is one.
type bounceMail struct {
	subject, from     string
	contentType       string // of the whole message, lower case
	text              string
	originalMessageID string // from the report, else the first returned message or header part
	report            report
}

// report is what the classifier needs from an RFC 3464 delivery status
// notification, filled from mssante.ParseReport. Keeping the classifier on
// this small struct keeps it independent of the parser's evolutions.
type report struct {
	kind       string // "dsn", "mdn" or "" when the message is no report
	recipients []reportRecipient
}

type reportRecipient struct {
	recipient  string // Final-Recipient address (Original-Recipient when missing)
	action     string // lower case
	status     string // "5.1.1"
	diagnostic string // Diagnostic-Code text after its type
}

// readBounce reads raw with mssante.Read, then, when it holds a delivery or
// disposition status part, with mssante.ParseReport for the report fields.
// The errors are the reader limits (*limit.Error) and an unreadable
// header block (ErrMalformedMessage).
func readBounce(raw []byte) (*bounceMail, error) {
	opts := &mssante.ReadOptions{
		Limits:  mssante.ReadLimits{MaxSize: int64(len(raw)), MaxDepth: maxMIMEDepth, MaxParts: maxMIMEParts},
		SkipXDM: true, // a returned message is not opened
	}
	in, err := mssante.Read(bytes.NewReader(raw), opts)
	if err != nil {
		if errors.Is(err, limit.ErrExceeded) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformedMessage, err)
	}
	bm := &bounceMail{subject: in.Subject, from: in.Header.Get("From")}
	if len(in.Parts) > 0 {
		bm.contentType = in.Parts[0].ContentType
	}
	bm.text, bm.originalMessageID = bounceText(in)
	if !hasStatusPart(in.Parts) {
		return bm, nil
	}
	rep, err := mssante.ParseReport(bytes.NewReader(raw), opts)
	if err != nil {
		if errors.Is(err, limit.ErrExceeded) {
			return nil, err
		}
		return bm, nil // an unparsable report: the classifier reads the text
	}
	if rep.OriginalMessageID != "" {
		bm.originalMessageID = rep.OriginalMessageID
	}
	switch rep.Kind {
	case mssante.ReportDSN:
		bm.report.kind = "dsn"
	case mssante.ReportMDN:
		bm.report.kind = "mdn"
		return bm, nil
	}
	for _, rc := range rep.Recipients {
		bm.report.recipients = append(bm.report.recipients, reportRecipient{
			recipient:  rc.FinalRecipient,
			action:     string(rc.Action),
			status:     rc.Status,
			diagnostic: rc.DiagnosticCode,
		})
	}
	return bm, nil
}

// bounceText joins the human-readable texts of a message: its text body,
// its HTML body, the other inline texts, then the text/plain and text/html
// parts read as attachments, each cut at maxTextBytes, HTML reduced to
// text. Returned messages are not opened; the Message-ID of the first one
// that has one is returned too.
func bounceText(in *mssante.Incoming) (text, originalMessageID string) {
	var b strings.Builder
	add := func(s string, isHTML bool) {
		s = s[:min(len(s), maxTextBytes)]
		if isHTML {
			s = htmlToText(s)
		}
		b.WriteString(s)
		b.WriteString("\n")
	}
	if in.Text != "" {
		add(in.Text, false)
	}
	if in.HTML != "" {
		add(in.HTML, true)
	}
	addPart := func(a *mssante.IncomingAttachment) {
		add(string(a.Data[:min(len(a.Data), maxTextBytes)]), a.ContentType == "text/html")
	}
	for _, a := range in.MoreTexts {
		addPart(a)
	}
	for _, a := range in.Attachments {
		switch {
		case a.ContentType == "text/plain" || a.ContentType == "text/html":
			addPart(a)
		case originalMessageID == "" && a.IsEmbedded():
			originalMessageID = a.EmbeddedMessageID()
		}
	}
	return b.String(), originalMessageID
}

// hasStatusPart reports whether a message holds a delivery or disposition
// status part, the one thing that makes mssante.ParseReport succeed.
func hasStatusPart(parts []mssante.PartInfo) bool {
	for _, p := range parts {
		switch p.ContentType {
		case "message/delivery-status", "message/global-delivery-status",
			"message/disposition-notification", "message/global-disposition-notification":
			return true
		}
	}
	return false
}
