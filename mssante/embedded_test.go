package mssante

import (
	"strings"
	"testing"
)

func TestEmbeddedMessageID(t *testing.T) {
	raw := "From: MAILER-DAEMON@relay.example\r\nSubject: failure notice\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=x.bin\r\n\r\nxx\r\n" +
		"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: a@example.org\r\nMessage-ID: <first@example.org>\r\nSubject: =?utf-8?q?R=C3=A9sultat?=\r\n\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@example.org\r\nMessage-ID: not-angled@example.org\r\n\r\nBody\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\nno header at all\r\n" +
		"--b--\r\n"
	in, err := Read(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Attachments) != 4 {
		t.Fatalf("attachments: %+v", in.Attachments)
	}
	tests := []struct {
		embedded bool
		id       string
		subject  string
	}{
		{false, "", ""},
		{true, "first@example.org", "Résultat"},
		{true, "not-angled@example.org", ""},
		{true, "", ""},
	}
	for i, tt := range tests {
		a := in.Attachments[i]
		h, ok := a.EmbeddedHeader()
		if a.IsEmbedded() != tt.embedded || a.EmbeddedMessageID() != tt.id || ok != (tt.id != "") {
			t.Errorf("attachment %d (%s): embedded=%v id=%q header=%v; want %v %q", i, a.ContentType, a.IsEmbedded(), a.EmbeddedMessageID(), ok, tt.embedded, tt.id)
			continue
		}
		if ok {
			if s, _ := h.Subject(); s != tt.subject {
				t.Errorf("attachment %d: subject %q, want %q", i, s, tt.subject)
			}
		}
	}
}

func TestReadMoreTexts(t *testing.T) {
	raw := "From: MAILER-DAEMON@relay.example\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n" +
		"--c\r\nContent-Type: text/plain\r\n\r\nfirst\r\n" +
		"--c\r\nContent-Type: text/html\r\n\r\n<p>first</p>\r\n--c--\r\n" +
		"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsecond =E9\r\n" +
		"--b\r\nContent-Type: text/plain; name=notes.txt\r\n\r\nattached\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<p>third</p>\r\n" +
		"--b--\r\n"
	in, err := Read(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Text != "first" || in.HTML != "<p>first</p>" {
		t.Errorf("Text %q, HTML %q", in.Text, in.HTML)
	}
	if len(in.MoreTexts) != 2 || len(in.Attachments) != 1 {
		t.Fatalf("MoreTexts %+v, Attachments %+v", in.MoreTexts, in.Attachments)
	}
	for i, want := range []struct{ typ, part, data string }{{"text/plain", "2", "second é"}, {"text/html", "4", "<p>third</p>"}} {
		m := in.MoreTexts[i]
		if m.ContentType != want.typ || m.Part != want.part || string(m.Data) != want.data || m.Size != len(m.Data) || m.Filename != "" {
			t.Errorf("MoreTexts[%d] = %+v (%q), want %+v", i, m, m.Data, want)
		}
	}
}
