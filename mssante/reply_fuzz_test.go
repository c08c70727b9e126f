package mssante

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// FuzzReply: the reply to any header is a message the writer accepts
// (when the header names someone to answer), with a subject and threading
// fields that cannot inject a header line.
func FuzzReply(f *testing.F) {
	f.Add("From: Dr A <a@b.mssante.fr>\r\nSubject: =?utf-8?q?R=C3=A9sultats?=\r\nMessage-ID: <1@b.mssante.fr>\r\nReferences: <0@b.mssante.fr>\r\n\r\n")
	f.Add("Reply-To: c@d.mssante.fr\r\nFrom: a@b.mssante.fr\r\nSubject: RE: x\r\nIn-Reply-To: <z@y>\r\nMessage-ID: <w@y>\r\n\r\n")
	f.Add("From: a@b.mssante.fr\r\nSubject: =?utf-8?q?a=0D=0ABcc:_evil@x.fr?=\r\nMessage-ID: <a\r\n b@c>\r\n\r\n")
	f.Add("From: a@b.mssante.fr\r\nMessAge-ID:0@0>\r\n\r\n") // found by the fuzzer: an unbalanced bracket
	f.Fuzz(func(t *testing.T, raw string) {
		h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		m := Reply(mail.Header{Header: message.Header{Header: h}}, tSender())
		if strings.ContainsAny(m.Subject, "\r\n") {
			t.Fatalf("reply subject %q holds a line break", m.Subject)
		}
		for _, id := range append(append([]string(nil), m.InReplyTo...), m.References...) {
			if strings.ContainsAny(id, "\r\n<> ") {
				t.Fatalf("reply threading id %q", id)
			}
		}
		if len(m.To) == 0 {
			return
		}
		var b bytes.Buffer
		if _, err := m.WriteTo(&b); err != nil {
			if m.Validate() == nil {
				t.Fatalf("a reply that validates is not written: %v", err)
			}
			return
		}
		if bytes.Contains(bytes.ToLower(b.Bytes()), []byte("\nbcc:")) {
			t.Fatalf("the reply carries a Bcc field:\n%s", b.Bytes())
		}
	})
}
