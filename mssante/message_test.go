package mssante

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/limit"
)

func TestSenderDisplayName(t *testing.T) {
	for _, tc := range []struct {
		s    Sender
		want string
	}{
		{Sender{Type: MailboxPER, Title: "Dr", GivenName: "Marie", FamilyName: "Martin", Entity: "Cabinet Medical"}, "Dr_Marie_MARTIN_Cabinet Medical"},
		{Sender{Type: MailboxPER, GivenName: "Marie", FamilyName: "Martin"}, "Marie_MARTIN"},
		{Sender{Type: MailboxORG, Entity: "Hopital C – Biologie", GivenName: "x"}, "Hopital C – Biologie"},
		{Sender{Type: MailboxAPP, Entity: "Résultats"}, "Résultats"},
		{Sender{Type: MailboxAPP, Entity: "x", Label: "Forced"}, "Forced"},
	} {
		if got := tc.s.DisplayName(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestSenderValidate(t *testing.T) {
	s := tSender()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Sender){
		"nil":      func(s *Sender) { s.NIL = "" },
		"address":  func(s *Sender) { s.Address = "nope" },
		"per":      func(s *Sender) { s.FamilyName = "" },
		"org":      func(s *Sender) { s.Type = MailboxORG; s.Entity = "" },
		"type":     func(s *Sender) { s.Type = "XYZ" },
		"newline":  func(s *Sender) { s.Entity = "a\nb" },
		"noSender": func(s *Sender) { s.Address = "" },
	} {
		c := *tSender()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c := *tSender()
	c.NIL = ""
	if err := c.Validate(); !errors.Is(err, ErrNoNIL) {
		t.Errorf("NIL: %v", err)
	}
}

func TestMessageRefusals(t *testing.T) {
	m := tMessage()
	m.From.NIL = ""
	if _, err := m.WriteTo(io.Discard); !errors.Is(err, ErrNoNIL) {
		t.Errorf("no NIL: %v", err)
	}
	m = tMessage()
	m.To = nil
	if _, err := m.WriteTo(io.Discard); !errors.Is(err, ErrNoRecipient) {
		t.Errorf("no recipient: %v", err)
	}
	m = tMessage()
	m.Subject = "a\r\nBcc: x@y.fr"
	if _, err := m.WriteTo(io.Discard); !errors.Is(err, ErrHeader) {
		t.Errorf("injection: %v", err)
	}
	m = tMessage()
	m.Header.Set("X-MSS-NIL", "other")
	if _, err := m.WriteTo(io.Discard); !errors.Is(err, ErrHeader) {
		t.Errorf("owned header: %v", err)
	}
	m = tMessage()
	m.To = append(m.To, &mail.Address{Address: "bad address"})
	if _, err := m.WriteTo(io.Discard); !errors.Is(err, ErrAddress) {
		t.Errorf("bad address: %v", err)
	}
	m = tMessage()
	m.Attachments = []*Attachment{{Filename: "a.pdf", ContentType: "not a type;;", Data: []byte("x")}}
	if _, err := m.WriteTo(io.Discard); !errors.Is(err, ErrHeader) {
		t.Errorf("bad content type: %v", err)
	}
}

// TestMessageGolden writes messages of every shape and parses them back
// with net/mail and go-message.
func TestMessageGolden(t *testing.T) {
	shapes := map[string]func(*Message){
		"text": func(*Message) {},
		"alternative": func(m *Message) {
			m.HTML = "<p>Bonjour, ci-joint le <b>compte rendu</b>.</p>"
		},
		"attachments": func(m *Message) {
			m.HTML = "<p>Bonjour</p>"
			m.Attachments = []*Attachment{
				{Filename: "20260531_CR d'imagerie médicale_PAT-TROIS_DOMINIQUE.pdf", Data: tPDF(3000)},
				{Filename: "notes.txt", Data: []byte("notes\n")},
			}
		},
		"reply": func(m *Message) {
			m.InReplyTo = []string{"<parent@hopital-test.mssante.fr>"}
			m.References = []string{"root@x.mssante.fr", "parent@hopital-test.mssante.fr"}
			m.ReplyTo = []*mail.Address{{Address: "secretariat@clinique-test.mssante.fr"}}
			m.Cc = []*mail.Address{{Address: "279035121518989@patient.mssante.fr"}}
			m.Bcc = []*mail.Address{{Address: "archive@clinique-test.mssante.fr"}}
			m.RequestReadReceipt = true
			m.RequestDeliveryReceipt = true
			m.Header.Set("X-MSS-MES", "FIN")
		},
	}
	for name, shape := range shapes {
		t.Run(name, func(t *testing.T) {
			m := tMessage()
			m.Subject = "Compte rendu d'échographie abdominopelvienne de Mme PAT-TROIS, très détaillé"
			shape(m)
			raw, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(raw), "\r\n") {
				if len(line) > 998 {
					t.Fatalf("line %d longer than 998", i)
				}
			}
			// net/mail
			nm, err := netmail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if nm.Header.Get("X-MSS-NIL") != "DEV000001" || nm.Header.Get("Message-ID") == "" {
				t.Errorf("net/mail header %v", nm.Header)
			}
			dec := new(mime.WordDecoder)
			if s, err := dec.DecodeHeader(nm.Header.Get("Subject")); err != nil || s != m.Subject {
				t.Errorf("net/mail subject %q %v", s, err)
			}
			if from, err := nm.Header.AddressList("From"); err != nil || from[0].Name != "Dr_Paul_TESTEUR_Cardiologie" {
				t.Errorf("net/mail from %v %v", from, err)
			}
			if strings.Contains(string(raw), "archive@clinique-test") {
				t.Error("Bcc written in the header")
			}
			// go-message and our reader
			in, err := Read(bytes.NewReader(raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			if in.Subject != m.Subject || in.MessageID != m.MessageID || in.NIL != "DEV000001" {
				t.Errorf("read back %q %q %q", in.Subject, in.MessageID, in.NIL)
			}
			if strings.ReplaceAll(in.Text, "\r\n", "\n") != m.Text {
				t.Errorf("text %q", in.Text)
			}
			if in.HTML != m.HTML {
				t.Errorf("html %q", in.HTML)
			}
			if len(in.Attachments) != len(m.Attachments) {
				t.Fatalf("attachments %d", len(in.Attachments))
			}
			for i, a := range m.Attachments {
				if in.Attachments[i].Filename != a.Filename || !bytes.Equal(in.Attachments[i].Data, a.Data) {
					t.Errorf("attachment %d: %q", i, in.Attachments[i].Filename)
				}
			}
			if w := in.Warnings.Count(finding.Warning) + in.Warnings.Count(finding.Error); w != 0 {
				t.Errorf("warnings %v", in.Warnings)
			}
			if lint, err := Lint(bytes.NewReader(raw), nil); err != nil || lint.HasErrors() || lint.Count(finding.Warning) > 0 {
				t.Errorf("lint: %v %v", lint, err)
			}
			if name == "reply" {
				if in.MES != "FIN" || in.MDNRequestedTo != m.From.Address || in.Header.Get("Return-Receipt-To") == "" {
					t.Errorf("reply headers %q %q", in.MES, in.MDNRequestedTo)
				}
				if len(in.References) != 2 || in.InReplyTo[0] != "parent@hopital-test.mssante.fr" {
					t.Errorf("threading %v %v", in.References, in.InReplyTo)
				}
				if !strings.Contains(string(raw), "X-MSS-MES: FIN\r\n") {
					t.Error("X-MSS-MES spelling")
				}
				env := m.Envelope()
				if len(env.To) != 3 || env.DSN == nil || env.DSN.EnvelopeID != m.MessageID {
					t.Errorf("envelope %+v", env)
				}
			}
		})
	}
}

func TestReply(t *testing.T) {
	var parent mail.Header
	parent.Set("From", "Labo <labo@labo-test.mssante.fr>")
	parent.Set("Reply-To", "secretariat@labo-test.mssante.fr")
	parent.Set("Subject", "Résultats")
	parent.Set("Message-Id", "<p1@labo-test.mssante.fr>")
	parent.Set("References", "<r0@labo-test.mssante.fr>")
	r := Reply(parent, tSender())
	if r.To[0].Address != "secretariat@labo-test.mssante.fr" || r.Subject != "RE: Résultats" ||
		r.InReplyTo[0] != "p1@labo-test.mssante.fr" || strings.Join(r.References, " ") != "r0@labo-test.mssante.fr p1@labo-test.mssante.fr" {
		t.Errorf("%+v", r)
	}
	r.Text = "Merci"
	if _, err := r.WriteTo(io.Discard); err != nil {
		t.Fatal(err)
	}
	parent.SetSubject("RE: déjà")
	if Reply(parent, tSender()).Subject != "RE: déjà" {
		t.Error("double RE:")
	}
}

type fakeTransport struct {
	env *Envelope
	raw []byte
}

func (f *fakeTransport) Send(ctx context.Context, env *Envelope, msg io.Reader) (*SendResult, error) {
	f.env = env
	var err error
	f.raw, err = io.ReadAll(msg)
	res := &SendResult{}
	for _, to := range env.To {
		res.Recipients = append(res.Recipients, RecipientResult{Recipient: to})
	}
	return res, err
}

func TestSend(t *testing.T) {
	ft := &fakeTransport{}
	m := tMessage()
	m.RequestDeliveryReceipt = true
	res, err := Send(context.Background(), ft, m, nil)
	if err != nil || res.Err() != nil {
		t.Fatal(err)
	}
	if ft.env.From != m.From.Address || ft.env.DSN == nil || !bytes.Contains(ft.raw, []byte(m.MessageID)) {
		t.Errorf("envelope %+v", ft.env)
	}
	m.Attachments = []*Attachment{{Filename: "big.pdf", Data: make([]byte, 2000)}}
	_, err = Send(context.Background(), ft, m, &SendOptions{MaxSize: 1000})
	var se *limit.Error
	if !errors.As(err, &se) || !errors.Is(err, limit.ErrExceeded) || se.Limit != limit.Size || se.Max != 1000 || se.Value <= 1000 {
		t.Errorf("size: %v", err)
	}
}

func TestWriteToCounts(t *testing.T) {
	m := tMessage()
	var b bytes.Buffer
	n, err := m.WriteTo(&b)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("%d %d %v", n, b.Len(), err)
	}
	e, err := message.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	if ct, p, _ := e.Header.ContentType(); ct != "text/plain" || p["charset"] != "utf-8" {
		t.Errorf("content type %s %v", ct, p)
	}
}

func TestFoldField(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"Subject", "short", "Subject: short\r\n"},
		{"Subject", strings.Repeat("word ", 20), "Subject: word word word word word word word word word word word word word\r\n word word word word word word word \r\n"},
		{"X", strings.Repeat("x", 100), "X: " + strings.Repeat("x", 100) + "\r\n"},
		{"Content-Disposition", `attachment; filename="a very long file name with spaces that must not be folded inside.pdf"`,
			"Content-Disposition: attachment;\r\n filename=\"a very long file name with spaces that must not be folded inside.pdf\"\r\n"},
		{"X", `"quoted \" space" then more words after the quoted string to force folding here`, "X: \"quoted \\\" space\" then more words after the quoted string to force\r\n folding here\r\n"},
	} {
		if got := string(foldField(tc.name, tc.value)); got != tc.want {
			t.Errorf("%s: %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// FuzzMessageWrite writes messages with arbitrary subjects, texts, names
// and file names: WriteTo refuses them or writes a message that reads back
// with the same attachment.
func FuzzMessageWrite(f *testing.F) {
	f.Add("Résultats", "Bonjour\n", "Dr Anne", "CR d'échographie.pdf", []byte("%PDF"))
	f.Add("", "", "", "", []byte{})
	f.Add("=?utf-8?q?x?=", "a\r\n.\r\n", "\"quoted\"", "a\"b;c=d.pdf", []byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, subject, text, name, filename string, data []byte) {
		m := tMessage()
		m.Subject, m.Text = subject, text
		m.To[0].Name = name
		m.Attachments = []*Attachment{{Filename: filename, Data: data}}
		raw, err := m.Bytes()
		if err != nil {
			return
		}
		in, err := Read(bytes.NewReader(raw), nil)
		if err != nil {
			t.Fatalf("written message unreadable: %v\n%q", err, raw)
		}
		if len(in.Attachments) != 1 || !bytes.Equal(in.Attachments[0].Data, data) {
			t.Fatalf("attachment lost: %+v", in.Attachments)
		}
	})
}

func TestMessageLint(t *testing.T) {
	m := tMessage()
	m.From.Type, m.From.Entity = MailboxAPP, "Résultats de biologie"
	fs, err := m.Lint(nil)
	if err != nil || fs.HasErrors() || len(fs.ByRule("ECO.2.2.5")) != 1 {
		t.Errorf("%v %v", fs, err)
	}
	m.ReplyTo = []*mail.Address{{Address: "secretariat@clinique-test.mssante.fr"}}
	if fs, _ := m.Lint(nil); len(fs.ByRule("ECO.2.2.5")) != 0 {
		t.Errorf("%v", fs)
	}
	m.From.NIL = ""
	if _, err := m.Lint(nil); !errors.Is(err, ErrNoNIL) {
		t.Errorf("%v", err)
	}
}

func TestMessageIDValidation(t *testing.T) {
	for id, ok := range map[string]bool{"a@b": true, "<a@b>": true, "ab": false, "a b@c": false, "@b": false, "a@": false, "a<b@c": false} {
		m := tMessage()
		m.MessageID = id
		if err := m.Validate(); (err == nil) != ok {
			t.Errorf("%q: %v", id, err)
		}
	}
	m := tMessage()
	m.References = []string{"bad"}
	if err := m.Validate(); !errors.Is(err, ErrHeader) {
		t.Errorf("references: %v", err)
	}
}

func TestSendPatientSizeCap(t *testing.T) {
	ft := &fakeTransport{}
	m := tMessage()
	m.Bcc = []*mail.Address{{Address: "279035121518989@patient.mssante.fr"}}
	m.Attachments = []*Attachment{{Filename: "big.bin", Data: make([]byte, PatientMaxMessageSize*3/4+1)}}
	_, err := Send(context.Background(), ft, m, &SendOptions{MaxSize: -1})
	var se *limit.Error
	if !errors.As(err, &se) || se.Limit != limit.Size || se.Max != PatientMaxMessageSize {
		t.Errorf("patient cap: %v", err)
	}
}

// TestAttachmentContentTypeParams: the parameters of Attachment.ContentType
// are kept next to the file name (they once emptied the Content-Type).
func TestAttachmentContentTypeParams(t *testing.T) {
	m := tMessage()
	m.Attachments = []*Attachment{
		{Filename: "notes.txt", ContentType: "text/plain; charset=iso-8859-1", Data: []byte("r\xe9sultats")},
		{ContentType: "application/pdf", Data: []byte("%PDF")},
	}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("Content-Type: text/plain; charset=iso-8859-1; name=notes.txt\r\n")) ||
		!bytes.Contains(raw, []byte("Content-Type: application/pdf\r\nContent-Disposition: attachment\r\n")) {
		t.Fatalf("attachment headers:\n%s", raw)
	}
	in, err := Read(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Parts) != 4 || in.Parts[2].ContentType != "text/plain" || in.Parts[2].Charset != "iso-8859-1" || in.Parts[2].Filename != "notes.txt" {
		t.Errorf("parts %+v", in.Parts)
	}
	if len(in.Attachments) != 2 || in.Attachments[0].Filename != "notes.txt" || string(in.Attachments[0].Data) != "résultats" {
		t.Errorf("attachments %+v", in.Attachments)
	}
}

// TestNilArguments: nil pointers given to the public functions give errors
// or empty results, not panics.
func TestNilArguments(t *testing.T) {
	var m *Message
	if err := m.Validate(); !errors.Is(err, ErrNoSender) {
		t.Errorf("nil message: %v", err)
	}
	if _, err := Send(context.Background(), &fakeTransport{}, nil, nil); !errors.Is(err, ErrNoSender) {
		t.Errorf("send nil message: %v", err)
	}
	if _, err := Send(context.Background(), nil, tMessage(), nil); err == nil {
		t.Error("nil transport accepted")
	}
	var res *SendResult
	if res.Accepted() != nil {
		t.Error("nil result accepted someone")
	}
	if s := XDMSubject("CR", nil, true); s != "XDM/1.0/DDM+CR" {
		t.Errorf("subject %q", s)
	}
	if n := PDFName(nil, "CR", ""); n != "CR.pdf" {
		t.Errorf("pdf name %q", n)
	}
}
