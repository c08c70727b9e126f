package mssante

import "github.com/emersion/go-message/mail"

// IsEmbedded reports whether the attachment is a returned or forwarded
// message, whole (message/rfc822, message/global) or as its header block
// only (text/rfc822-headers, message/global-headers), as plain bounces and
// reports carry it (RFC 2046 §5.2.1, RFC 6522 §3, RFC 6533).
func (a *IncomingAttachment) IsEmbedded() bool {
	switch a.ContentType {
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
		return true
	}
	return false
}

// EmbeddedHeader returns the header of an embedded message (see IsEmbedded).
// ok is false for any other attachment and when no header field can be read;
// a header cut short gives the fields read before the damage.
func (a *IncomingAttachment) EmbeddedHeader() (h mail.Header, ok bool) {
	if !a.IsEmbedded() {
		return mail.Header{}, false
	}
	mh, err := readHeaderOnly(a.Data)
	if err != nil || mh.Len() == 0 {
		return mail.Header{}, false
	}
	return mail.Header{Header: mh}, true
}

// EmbeddedMessageID returns the Message-ID of an embedded message (see
// IsEmbedded) without angle brackets, tolerating ids that RFC 5322 would
// refuse; "" when the attachment is no embedded message or has no
// Message-ID. A bounce without a report names the returned message this way.
func (a *IncomingAttachment) EmbeddedMessageID() string {
	h, ok := a.EmbeddedHeader()
	if !ok {
		return ""
	}
	return headerMessageID(h.Header)
}
