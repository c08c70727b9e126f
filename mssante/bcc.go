package mssante

import (
	"bytes"
	"io"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// WriteDraft writes the message as WriteTo does, plus its Bcc field when
// it has Bcc recipients: a draft for a program that sends it later and
// takes its recipients from the header (mss send, sendmail -t), which must
// remove the field (WithoutBcc) and reach the Bcc recipients through the
// envelope. What goes on the wire is WriteTo's output, never this one.
func (m *Message) WriteDraft(w io.Writer) (int64, error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	var n int64
	if len(m.Bcc) > 0 {
		var h mail.Header
		h.SetAddressList("Bcc", m.Bcc)
		var b bytes.Buffer
		if err := textproto.WriteHeader(&b, h.Header.Header); err != nil {
			return 0, err
		}
		field := bytes.TrimSuffix(b.Bytes(), []byte("\r\n")) // WriteHeader ends the block
		k, err := w.Write(field)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	k, err := m.WriteTo(w)
	return n + k, err
}

// WithoutBcc returns raw, a whole message, as it may go on the wire: without
// any Bcc field (with its folded lines) in its top-level header, the rest
// byte for byte. RFC 5322 §3.6.3 leaves it to the sender whether the Bcc
// recipients see each other; in MSSanté a Bcc address can be a patient's
// (<INS>@patient.mssante.fr), so it never leaves: each Bcc recipient is
// reached through the envelope only (RCPT TO). The composer never writes a
// Bcc field (Message.Bcc goes to Envelope only); WithoutBcc is for messages
// written elsewhere, as mss send reads them. raw is returned as is when it
// has no Bcc field.
func WithoutBcc(raw []byte) []byte {
	end := headerEnd(raw)
	var out []byte // allocated at the first Bcc field
	skipping := false
	for i := 0; i < end; {
		j := bytes.IndexByte(raw[i:end], '\n')
		if j < 0 {
			j = end
		} else {
			j += i + 1
		}
		line := raw[i:j]
		if line[0] != ' ' && line[0] != '\t' { // a new field
			skipping = isField(line, "bcc")
			if skipping && out == nil {
				out = append(make([]byte, 0, len(raw)), raw[:i]...)
			}
		}
		if !skipping && out != nil {
			out = append(out, line...)
		}
		i = j
	}
	if out == nil {
		return raw
	}
	return append(out, raw[end:]...)
}

// headerEnd returns the offset of the blank line that ends the header
// block of raw (CRLF or LF), or len(raw) when there is none.
func headerEnd(raw []byte) int {
	for i := 0; i < len(raw); {
		if raw[i] == '\n' {
			return i // a blank first line (LF)
		}
		if raw[i] == '\r' && i+1 < len(raw) && raw[i+1] == '\n' {
			return i // a blank first line (CRLF)
		}
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return len(raw)
		}
		i += j + 1
	}
	return len(raw)
}

// isField reports whether line starts the header field name (lower case),
// spaces before the colon tolerated.
func isField(line []byte, name string) bool {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return false
	}
	return string(bytes.ToLower(bytes.TrimRight(line[:colon], " \t"))) == name
}
