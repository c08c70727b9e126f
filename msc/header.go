package msc

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Header is the read-only view of a message header this package needs: the
// first value of a field, "" when absent, keys case-insensitive. These
// satisfy it as they are:
//
//   - *mail.Header and *message.Header of github.com/emersion/go-message
//     (a parsed message, or one being composed),
//   - mail.Header of net/mail (Message.Header),
//   - textproto.MIMEHeader of net/textproto,
//   - HeaderMap, for tests and hand-built views.
//
// Values are taken as they are (no RFC 2047 decoding): the rules of Mon
// Espace Santé apply to the raw Subject.
type Header interface {
	Get(key string) string
}

// HeaderSetter is a header being composed, e.g. *mail.Header of go-message
// or textproto.MIMEHeader of net/textproto.
type HeaderSetter interface {
	Set(key, value string)
}

// HeaderMap is a Header over a plain map of canonical keys
// ("X-Mss-Mes" as net/textproto writes it, or "X-MSS-MES"): lookups try the
// key as given, then case-insensitively.
type HeaderMap map[string]string

// Get returns the value of key.
func (m HeaderMap) Get(key string) string {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// ReadHeader reads the header of a message (up to the blank line) from r.
// The result satisfies Header. A UTF-8 byte order mark and blank lines
// before the header are skipped (some agents write them; mssante.Read
// reports them as warnings). A header that cannot be read (a malformed
// line, the end of the input before the blank line) gives an error wrapping
// ErrMalformedMessage; a failure of r itself is returned wrapped, not as
// malformed (except when r is a *bufio.Reader, whose source errors cannot be
// told apart: they wrap both).
func ReadHeader(r io.Reader) (*textproto.Header, error) {
	br, ok := r.(*bufio.Reader)
	var src *errRecorder
	if !ok {
		src = &errRecorder{r: r}
		br = bufio.NewReader(src)
	}
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	for {
		b, err := br.Peek(2)
		switch {
		case len(b) > 0 && b[0] == '\n':
			br.Discard(1)
			continue
		case err == nil && b[0] == '\r' && b[1] == '\n':
			br.Discard(2)
			continue
		}
		break
	}
	h, err := textproto.ReadHeader(br)
	if err != nil {
		if src != nil && src.err != nil && src.err != io.EOF {
			return nil, fmt.Errorf("msc: reading the message header: %w", err)
		}
		return nil, fmt.Errorf("%w: header: %w", ErrMalformedMessage, err)
	}
	return &h, nil
}

// errRecorder remembers the error of its reader.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
