package mssante

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"

	"github.com/emersion/go-message"
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

// newHeader returns a header whose fields are written in the order given
// (go-message writes the last added field first), with the field names
// spelled as given (X-MSS-NIL, Message-ID) rather than canonicalised, and
// long values folded at spaces.
func newHeader(fields ...[2]string) message.Header {
	var h message.Header
	for i := len(fields) - 1; i >= 0; i-- {
		h.AddRaw(foldField(fields[i][0], fields[i][1]))
	}
	return h
}

// foldField formats "name: value" CRLF, folding before a space so that lines
// stay within 76 characters where the value allows it (RFC 5322 §2.2.3).
// Spaces inside quoted strings are not folding points: some readers keep the
// line break of a folded file name.
func foldField(name, value string) []byte {
	const max = 76
	b := make([]byte, 0, len(name)+len(value)+8)
	b = append(b, name...)
	b = append(b, ':', ' ')
	// Folding points: spaces outside quoted strings, not in first place.
	var points []int
	quoted, esc := false, false
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case esc:
			esc = false
		case c == '\\' && quoted:
			esc = true
		case c == '"':
			quoted = !quoted
		case c == ' ' && !quoted && i > 0:
			points = append(points, i)
		}
	}
	start, lineLen := 0, len(b) // start of the unwritten value
	for k := 0; len(value)-start > max-lineLen; {
		// The last point that keeps the line within max, else the next one.
		cut := -1
		for ; k < len(points) && points[k]-start <= max-lineLen; k++ {
			cut = points[k]
		}
		if cut < 0 {
			if k == len(points) {
				break
			}
			cut = points[k]
			k++
		}
		if cut <= start {
			continue
		}
		b = append(b, value[start:cut]...)
		b = append(b, '\r', '\n')
		start, lineLen = cut, 0 // the space stays as folding white space
	}
	b = append(b, value[start:]...)
	return append(b, '\r', '\n')
}

// newBoundary returns a random multipart boundary. "=_" cannot occur in
// quoted-printable or base64 content.
func newBoundary() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "=_mss_" + hex.EncodeToString(b[:])
}

// mediaType formats a Content-Type or Content-Disposition value; non-ASCII
// parameters get the RFC 2231 extended form (filename*=...).
func mediaType(t string, params map[string]string) string {
	if len(params) == 0 {
		return t
	}
	return mime.FormatMediaType(t, params)
}

// mimeQ encodes a non-ASCII header value as RFC 2047 words.
func mimeQ(s string) string { return mime.QEncoding.Encode("utf-8", s) }

// headerSpelling restores the usual spelling of field names that go-message
// canonicalised (X-Mss-Mes -> X-MSS-MES, Message-Id -> Message-ID).
func headerSpelling(k string) string {
	switch l := strings.ToLower(k); {
	case strings.HasPrefix(l, "x-mss-"):
		return strings.ToUpper(k)
	case l == "message-id":
		return "Message-ID"
	case l == "mime-version":
		return "MIME-Version"
	}
	return k
}

// indexFold is strings.Index ignoring case. Unlike an index found in
// strings.ToUpper(s), which may be longer or shorter than s (invalid UTF-8,
// "ı"), the result is an index of s.
func indexFold(s, substr string) int {
	for i := 0; i+len(substr) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(substr)], substr) {
			return i
		}
	}
	return -1
}

// isASCII reports whether s holds 7-bit characters only.
func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
