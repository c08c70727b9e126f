package mssante

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
)

// MSSanté header names (mssante.md §6, §9).
const (
	HeaderCodeCDA                   = "X-MSS-CODECDA"
	HeaderINS                       = "X-MSS-INS"
	HeaderNIL                       = "X-MSS-NIL"
	HeaderMES                       = "X-MSS-MES"
	HeaderDispositionNotificationTo = "Disposition-Notification-To"
	HeaderReturnReceiptTo           = "Return-Receipt-To"
)

// wordDecoder decodes RFC 2047 words in any charset go-message knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// decodeWords decodes RFC 2047 encoded words, returning s unchanged when it
// holds none or cannot be decoded.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// checkHeaderValue refuses values that would inject header lines.
func checkHeaderValue(name, v string) error {
	for _, r := range v {
		if r == '\r' || r == '\n' || r == 0 {
			return fmt.Errorf("%w: %s contains a line break or NUL", ErrHeader, name)
		}
	}
	return nil
}

// checkHeaderName accepts RFC 5322 field names (printable ASCII without ':').
func checkHeaderName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty header name", ErrHeader)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || c == ':' {
			return fmt.Errorf("%w: header name %q", ErrHeader, name)
		}
	}
	return nil
}

// newMessageID returns a random RFC 5322 msg-id (without angle brackets) in
// the given domain.
func newMessageID(domain string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	if domain == "" {
		domain = "mssante.invalid"
	}
	return hex.EncodeToString(b[:]) + "@" + domain
}

// domainOf returns the domain of an address, lower case.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(strings.TrimSuffix(addr[i+1:], ">"))
	}
	return ""
}

// parseAddr checks an addr-spec and returns it trimmed.
func parseAddr(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrAddress, s, err)
	}
	return a.Address, nil
}

// firstAddress returns the first address of an address-list header, or the
// raw value without angle brackets when it does not parse.
func firstAddress(h mail.Header, key string) string {
	if l, err := h.AddressList(key); err == nil && len(l) > 0 {
		return l[0].Address
	}
	v := strings.TrimSpace(h.Get(key))
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	return v
}
