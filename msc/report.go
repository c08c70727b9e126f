package msc

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// report is what the classifier needs from an RFC 3464 delivery status
// notification. It is filled from the parsed report; keeping the classifier
// on this small struct keeps it independent of the report parser.
type report struct {
	kind              string // "dsn", "mdn" or "" when the message is no report
	recipients        []reportRecipient
	originalMessageID string
}

type reportRecipient struct {
	recipient  string // Final-Recipient address (Original-Recipient when missing)
	action     string // lower case
	status     string // "5.1.1"
	diagnostic string // Diagnostic-Code text after its type
}

// readReport reads the status part found by readMailText. This is a
// minimal reader of the RFC 3464 fields the classifier uses, kept until
// mssante.ParseReport is available to replace it.
func readReport(mt *mailText) *report {
	r := &report{}
	switch {
	case strings.HasSuffix(mt.statusType, "delivery-status"):
		r.kind = "dsn"
	case strings.HasSuffix(mt.statusType, "disposition-notification"):
		r.kind = "mdn"
		return r
	default:
		return r
	}
	br := bufio.NewReader(bytes.NewReader(mt.status))
	first := true
	for {
		for { // blank lines between blocks
			b, err := br.Peek(1)
			if err != nil || (b[0] != '\r' && b[0] != '\n') {
				break
			}
			br.ReadByte()
		}
		if _, err := br.Peek(1); err != nil {
			break
		}
		h, err := textproto.ReadHeader(br)
		if h.Len() == 0 && err != nil {
			break
		}
		if first && !h.Has("Final-Recipient") && !h.Has("Action") {
			first = false
			continue // per-message fields
		}
		first = false
		rc := reportRecipient{
			recipient:  typedValue(h.Get("Final-Recipient")),
			action:     strings.ToLower(strings.TrimSpace(h.Get("Action"))),
			status:     firstField(h.Get("Status")),
			diagnostic: typedValue(h.Get("Diagnostic-Code")),
		}
		if rc.recipient == "" {
			rc.recipient = typedValue(h.Get("Original-Recipient"))
		}
		r.recipients = append(r.recipients, rc)
		if err != nil {
			break
		}
	}
	return r
}

// typedValue returns the text after "type;" ("rfc822; a@b" gives "a@b").
func typedValue(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	return strings.Trim(strings.TrimSpace(v), "<>")
}

func firstField(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}
