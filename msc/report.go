package msc

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/finding"
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
	to                []string
	contentType       string // of the whole message, lower case
	autoReply         bool   // RFC 3834 automatic reply from a person's mailbox
	text              string
	originalMessageID string
	originalIDSource  mssante.OriginalIDSource
	report            report
	warnings          finding.List
}

// report is what the classifier needs from a delivery status notification,
// filled from mssante.ParseReport.
type report struct {
	kind       string // "dsn", "mdn" or "" when the message is no report
	recipients []evidence
}

// readBounce reads raw with mssante.Read, then, when it is or holds a
// report, with mssante.ParseReport for the report fields. The errors are
// the reader limits (*limit.Error) and an unreadable header block
// (ErrMalformedMessage).
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
	bm := &bounceMail{subject: in.Subject, warnings: readerFindings(in.Warnings)}
	if in.From != nil {
		bm.from = in.From.Address
	}
	for _, a := range in.To {
		bm.to = append(bm.to, strings.ToLower(a.Address))
	}
	if len(in.Parts) > 0 {
		bm.contentType = in.Parts[0].ContentType
	}
	bm.autoReply = isAutoReply(in)
	bm.text, bm.originalMessageID = bounceText(in)
	if bm.originalMessageID != "" {
		bm.originalIDSource = mssante.IDFromReturned
	} else if id := quotedMessageID(bm.text); id != "" {
		bm.originalMessageID, bm.originalIDSource = id, mssante.IDFromReturned
	} else if len(in.InReplyTo) > 0 {
		bm.originalMessageID, bm.originalIDSource = in.InReplyTo[0], mssante.IDFromInReplyTo
	} else if len(in.References) > 0 {
		bm.originalMessageID, bm.originalIDSource = in.References[len(in.References)-1], mssante.IDFromReferences
	}
	if !hasStatusPart(in.Parts) && !isSystemSender(bm.from) {
		return bm, nil // no report, and none quoted by a mail system
	}
	rep, err := mssante.ParseReport(bytes.NewReader(raw), opts)
	if err != nil {
		if errors.Is(err, limit.ErrExceeded) {
			return nil, err
		}
		return bm, nil // no report (or an unusable one): the text decides
	}
	bm.warnings = mergeFindings(bm.warnings, readerFindings(rep.Warnings))
	if rep.OriginalMessageID != "" {
		bm.originalMessageID, bm.originalIDSource = rep.OriginalMessageID, rep.OriginalIDSource
	}
	switch rep.Kind {
	case mssante.ReportDSN:
		bm.report.kind = "dsn"
	case mssante.ReportMDN:
		bm.report.kind = "mdn"
		return bm, nil
	}
	for i := range rep.Recipients {
		rc := &rep.Recipients[i]
		own := rc.DiagnosticCode
		if rc.StatusComment != "" {
			own = strings.TrimSpace(own + "\n" + rc.StatusComment)
		}
		rcpt := rc.FinalRecipient
		if rcpt == "" {
			rcpt = rc.OriginalRecipient
		}
		bm.report.recipients = append(bm.report.recipients, evidence{
			recipient: rcpt, outcome: rc.Outcome(), status: rc.DetailedStatus(), reportedStatus: rc.Status,
			diagnostic: rc.DiagnosticCode, ownText: own,
		})
	}
	return bm, nil
}

// readerFindings keeps the findings of what the readers tolerated in the
// structure of the message and of its report (MIME-*, REPORT-*, DSN-*,
// MDN-*), not their remarks on its content (a bounce without a Message-ID).
func readerFindings(l finding.List) finding.List {
	var out finding.List
	for _, f := range l {
		for _, p := range []string{"MIME-", "REPORT-", "DSN-", "MDN-"} {
			if strings.HasPrefix(f.Rule, p) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// mergeFindings appends to a the findings of b it does not hold yet (the
// two readers see the same header).
func mergeFindings(a, b finding.List) finding.List {
	seen := map[string]bool{}
	for _, f := range a {
		seen[f.Rule+"\x00"+f.Location+"\x00"+f.Message] = true
	}
	for _, f := range b {
		if k := f.Rule + "\x00" + f.Location + "\x00" + f.Message; !seen[k] {
			seen[k] = true
			a = append(a, f)
		}
	}
	return a
}

// isAutoReply reports whether a message is an automatic reply (RFC 3834
// Auto-Submitted: auto-replied, Microsoft's X-Auto-Response-Suppress or
// an "Automatic reply" subject) sent by a person's mailbox, not by a mail
// system: an out-of-office answer, never a bounce.
func isAutoReply(in *mssante.Incoming) bool {
	if in.SenderKind == mssante.SenderSystem || in.Kind != mssante.KindMessage {
		return false
	}
	h := in.Header
	as := strings.ToLower(h.Get("Auto-Submitted"))
	s := normalizeText(in.Subject)
	return strings.HasPrefix(as, "auto-replied") || h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" ||
		strings.HasPrefix(s, "automatic reply") || strings.HasPrefix(s, "auto:") || strings.HasPrefix(s, "reponse automatique") ||
		h.Has("X-Auto-Response-Suppress") && !looksLikeBounceSubject(s)
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
		b.WriteString("\n\n")
	}
	if in.Text != "" {
		add(in.Text, false)
	}
	if in.HTML != "" && in.Text == "" {
		add(in.HTML, true) // an alternative of the text: once is enough
	}
	addPart := func(a *mssante.IncomingAttachment) {
		add(string(a.Data[:min(len(a.Data), maxTextBytes)]), a.ContentType == "text/html")
	}
	for _, a := range in.MoreTexts {
		if a.ContentType == "text/plain" {
			addPart(a)
		}
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
// status part, or a multipart/report whose status part ParseReport may find
// in its text.
func hasStatusPart(parts []mssante.PartInfo) bool {
	for _, p := range parts {
		switch p.ContentType {
		case "multipart/report", "message/delivery-status", "message/global-delivery-status",
			"message/disposition-notification", "message/global-disposition-notification":
			return true
		}
	}
	return false
}
