package msc

import (
	"bytes"
	"context"
	"errors"
	"net/mail"
	"strings"
	"testing"

	gomail "github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/mssante"
)

func testSender() *mssante.Sender {
	return &mssante.Sender{Address: proAddr, Type: "PER", Title: "Dr", GivenName: "Marie", FamilyName: "MARTIN", Entity: "Cabinet", NIL: "DEV000000"}
}

func TestNewClosingMessage(t *testing.T) {
	m, err := NewClosingMessage(testSender(), "D. PAT-TROIS <"+patientAddr+">", "Nos échanges sont terminés.")
	if err != nil {
		t.Fatal(err)
	}
	m.MessageID = "fin-1@medecin.mssante.fr"
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("\r\nSubject: [FIN]\r\n")) {
		t.Fatalf("subject not written verbatim:\n%s", buf.String())
	}
	parsed, err := mail.ReadMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if Closing(parsed.Header) != ClosingHeader|ClosingSubject || MessageClosing(m) != ClosingHeader|ClosingSubject {
		t.Errorf("closing forms: %v / %v", Closing(parsed.Header), MessageClosing(m))
	}
	if parsed.Header.Get("X-Mss-Nil") != "DEV000000" {
		t.Errorf("NIL: %v", parsed.Header)
	}
	for _, bad := range []string{"", proAddr, "288091234567823@patient.mssante.fr"} {
		if _, err := NewClosingMessage(testSender(), bad, ""); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestMessageAdapters(t *testing.T) {
	m := &mssante.Message{
		From:    testSender(),
		To:      []*gomail.Address{{Address: patientAddr}},
		Cc:      []*gomail.Address{{Address: orgAddr}},
		Bcc:     []*gomail.Address{{Address: otherAddr}},
		ReplyTo: []*gomail.Address{{Address: orgAddr}},
		Subject: "Compte rendu",
		Text:    strings.Repeat("Bonjour. ", 100),
	}
	SetClosingMessage(m)
	o, err := NewOutgoingMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	if o.Size < 900 || o.MES != "FIN" || len(o.Bcc) != 1 || len(o.ReplyTo) != 1 {
		t.Fatalf("%+v", o)
	}
	// The Bcc patient makes two patients: refused.
	f := (&Policy{}).Check(o)
	if len(f.ByRule(RuleOnePatient)) != 1 || len(f.ByRule(RuleFINCopy)) != 1 {
		t.Errorf("findings: %v", f)
	}
	tr, _ := newTracker()
	if err := tr.SentMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{patientAddr, otherAddr} {
		c, _ := tr.Conversation(context.Background(), p, proAddr)
		if c.State != StateClosed {
			t.Errorf("%s: %+v", p, c)
		}
	}
	if err := tr.SentMessage(context.Background(), &mssante.Message{}); !errors.Is(err, mssante.ErrNoSender) {
		t.Errorf("no sender: %v", err)
	}
	if _, err := NewOutgoingMessage(&mssante.Message{}); !errors.Is(err, mssante.ErrNoSender) {
		t.Errorf("invalid message: %v, want ErrNoSender", err)
	}
	// nil messages: errors or "nothing", never a panic.
	if _, err := NewOutgoingMessage(nil); !errors.Is(err, mssante.ErrNoSender) {
		t.Errorf("nil message: %v", err)
	}
	if err := tr.SentMessage(context.Background(), nil); !errors.Is(err, mssante.ErrNoSender) {
		t.Errorf("SentMessage(nil): %v", err)
	}
	if MessageClosing(nil) != NotClosing || len((&Policy{}).Check(nil)) != 0 {
		t.Error("nil message: closing or findings")
	}
}

func TestTrackerWithIncoming(t *testing.T) {
	raw := "From: D. PAT-TROIS <" + patientAddr + ">\r\nTo: " + pharmacy + "\r\nSubject: Ordonnance\r\nMessage-ID: <p1@patient.mssante.fr>\r\n\r\nBonjour\r\n"
	in, err := mssante.Read(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := newTracker()
	got, err := tr.Received(context.Background(), pharmacy, &in.Header)
	if err != nil || got.Status != InboundPatientInitiated {
		t.Fatalf("%+v, %v", got, err)
	}
}
