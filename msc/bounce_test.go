package msc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/mssante"
)

const fixtureMessageID = "20260102-0001.cr@medecin-fictif.mssante.fr"

func classifyFile(t *testing.T, c *Classifier, name string) (*Bounce, error) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return c.Classify(context.Background(), bytes.NewReader(raw))
}

func TestClassifyFixtures(t *testing.T) {
	tests := []struct {
		file      string
		kind      Kind
		recipient string
		status    string
		source    string
		msgID     string
	}{
		{"dsn-unknown-address.eml", KindUnknownAddress, patientAddr, "5.1.1", "dsn", fixtureMessageID},
		{"dsn-closed.eml", KindClosed, patientAddr, "5.0.0", "dsn", fixtureMessageID},
		{"dsn-invalid-address.eml", KindInvalidAddress, "288091234567823@patient.mssante.fr", "5.1.3", "dsn", fixtureMessageID},
		{"dsn-size-postfix.eml", KindTooLarge, patientAddr, "5.3.4", "dsn", fixtureMessageID},
		{"dsn-professional-unknown.eml", KindMailboxUnknown, "jean.dupont@hopital-fictif.mssante.fr", "5.1.1", "dsn", fixtureMessageID},
		{"dsn-delayed.eml", KindTemporary, patientAddr, "4.4.1", "dsn", fixtureMessageID},
		{"text-unknown-address.eml", KindUnknownAddress, patientAddr, "", "text", fixtureMessageID},
		{"text-closed.eml", KindClosed, patientAddr, "", "text", ""},
		{"text-invalid-address.eml", KindInvalidAddress, "2790351215189@patient.mssante.fr", "", "text", ""},
		{"text-size-postfix.eml", KindTooLarge, patientAddr, "5.3.4", "text", fixtureMessageID},
	}
	var c Classifier
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := classifyFile(t, &c, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if b.Kind != tt.kind || b.Recipient != tt.recipient || b.Status != tt.status || b.Source != tt.source || b.OriginalMessageID != tt.msgID {
				t.Errorf("got kind=%s recipient=%q status=%q source=%s msgid=%q\nwant kind=%s recipient=%q status=%q source=%s msgid=%q",
					b.Kind, b.Recipient, b.Status, b.Source, b.OriginalMessageID, tt.kind, tt.recipient, tt.status, tt.source, tt.msgID)
			}
			if len(b.Raw) == 0 || len(b.Recipients) == 0 {
				t.Errorf("raw or recipients missing")
			}
		})
	}
}

func TestClassifyNotBounce(t *testing.T) {
	var c Classifier
	for _, f := range []string{"mdn-displayed.eml", "dsn-delivered.eml", "not-a-bounce.eml"} {
		if b, err := classifyFile(t, &c, f); !errors.Is(err, ErrNotBounce) {
			t.Errorf("%s: %+v, %v; want ErrNotBounce", f, b, err)
		}
	}
	if _, err := c.ClassifyBytes(nil); !errors.Is(err, ErrNotBounce) {
		t.Errorf("empty input: %v, want ErrNotBounce", err)
	}
}

func TestClassifyRenderedTexts(t *testing.T) {
	// What a simulated Mon Espace Santé sends, in a bare text mail.
	for _, k := range []Kind{KindUnknownAddress, KindClosed, KindInvalidAddress} {
		bt, ok := MESBounceText(k)
		if !ok {
			t.Fatalf("no text for %s", k)
		}
		raw := "From: MAILER-DAEMON@patient.mssante.fr\r\nSubject: Message non distribue\r\n\r\n" + bt.Render(patientAddr) + "\r\n"
		b, err := (&Classifier{}).ClassifyBytes([]byte(raw))
		if err != nil || b.Kind != k || b.Recipient != patientAddr || b.Matched != bt.Text {
			t.Errorf("%s: %+v, %v", k, b, err)
		}
	}
	if _, ok := MESBounceText(KindTooLarge); ok {
		t.Error("MESBounceText(too large) should be false")
	}
}

func TestClassifierExtraText(t *testing.T) {
	raw := []byte("From: postmaster@example.org\r\nSubject: Retour\r\n\r\nVotre correspondant est décédé.\r\n")
	var def Classifier
	b, err := def.ClassifyBytes(raw)
	if err != nil || b.Kind != KindOther {
		t.Fatalf("default: %+v, %v", b, err)
	}
	c := Classifier{Texts: append(BounceTexts(), BounceText{Kind: KindUnknownAddress, Text: "correspondant est DECEDE"})}
	if b, err := c.ClassifyBytes(raw); err != nil || b.Kind != KindUnknownAddress {
		t.Fatalf("extended: %+v, %v", b, err)
	}
	// The copy is independent of the default table.
	texts := BounceTexts()
	texts[0].Text = "changed"
	if BounceTexts()[0].Text == "changed" {
		t.Fatal("BounceTexts returned the table itself")
	}
}

func TestClassifyStatusOnlyDSN(t *testing.T) {
	dsn := func(rcpt, status string) []byte {
		return []byte("From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
			"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n" +
			"Final-Recipient: rfc822;" + rcpt + "\r\nAction: failed\r\nStatus: " + status + "\r\n\r\n--b--\r\n")
	}
	tests := []struct {
		rcpt, status string
		kind         Kind
	}{
		{patientAddr, "5.1.1", KindUnknownAddress},
		{patientAddr, "5.2.1", KindClosed},
		{patientAddr, "5.1.3", KindInvalidAddress},
		{"2790351215189@patient.mssante.fr", "5.0.0", KindInvalidAddress},
		{patientAddr, "5.2.3", KindTooLarge},
		{proAddr, "5.3.4", KindTooLarge},
		{proAddr, "5.1.1", KindMailboxUnknown},
		{proAddr, "5.7.1", KindOther},
		{patientAddr, "4.2.2", KindTemporary},
	}
	var c Classifier
	for _, tt := range tests {
		b, err := c.ClassifyBytes(dsn(tt.rcpt, tt.status))
		if err != nil || b.Kind != tt.kind {
			t.Errorf("%s %s: %+v, %v; want %s", tt.rcpt, tt.status, b, err, tt.kind)
		}
	}
}

func TestClassifyMultipleRecipients(t *testing.T) {
	raw := "From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + mustText(KindClosed).Render(patientAddr) + "\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n" +
		"Final-Recipient: rfc822;" + proAddr + "\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n" +
		"Final-Recipient: rfc822;" + orgAddr + "\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n" +
		"Final-Recipient: rfc822;" + patientAddr + "\r\nAction: failed\r\nStatus: 5.0.0\r\n\r\n--b--\r\n"
	b, err := (&Classifier{}).ClassifyBytes([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Recipients) != 2 || b.Kind != KindClosed || b.Recipient != patientAddr || b.Recipients[0].Kind != KindTemporary {
		t.Fatalf("%+v", b)
	}
}

func TestClassifyLimits(t *testing.T) {
	c := Classifier{MaxBytes: 100}
	if _, err := c.Classify(context.Background(), strings.NewReader(strings.Repeat("x", 101))); !errors.Is(err, limit.ErrExceeded) {
		t.Errorf("size: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Classify(ctx, strings.NewReader("From: a\r\n\r\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// ClassifyBytes has the message in memory already: MaxBytes, a limit on
	// reading, does not apply to it (the MIME limits do, see
	// TestClassifyReaderLimits).
	long := "From: MAILER-DAEMON@x\r\nSubject: failure notice\r\n\r\n" + strings.Repeat("Sorry. ", 30) + "\r\n"
	if b, err := c.ClassifyBytes([]byte(long)); err != nil || b.Kind != KindOther {
		t.Errorf("ClassifyBytes over MaxBytes: %+v, %v", b, err)
	}
}

func mustText(k Kind) BounceText {
	t, _ := MESBounceText(k)
	return t
}

func TestNormalizeText(t *testing.T) {
	in := "L\u2019adresse\u00a0\u00ab 279035121518989@patient.mssante.fr \u00bb\r\n  n'a PAS pu être   distribuée."
	want := "l'adresse 279035121518989@patient.mssante.fr n'a pas pu etre distribuee."
	if got := normalizeText(in); got != want {
		t.Errorf("normalizeText = %q, want %q", got, want)
	}
}

func FuzzClassify(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Subject: [FIN]\r\n\r\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--x--"))
	c := &Classifier{MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := c.Classify(context.Background(), bytes.NewReader(data))
		if err == nil && (b == nil || b.Kind == "" || len(b.Recipients) == 0) {
			t.Fatalf("nil error with an incomplete bounce: %+v", b)
		}
		IsClosingMessage(bytes.NewReader(data))
	})
}

func TestClassifyTextDetails(t *testing.T) {
	// The enhanced code after the SMTP code wins over other X.Y.Z strings;
	// a Corsican matricule comes back upper case.
	raw := "From: MAILER-DAEMON@relay.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\n" +
		"Relay 2.4.10 here.\r\n<253072a07300443@patient.mssante.fr>: host mx said: 550 5.1.1 no such mailbox\r\n"
	b, err := (&Classifier{}).ClassifyBytes([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != "5.1.1" || b.Recipient != "253072A07300443@patient.mssante.fr" || b.Kind != KindUnknownAddress {
		t.Errorf("%+v", b)
	}
	// A bounce-looking message with nothing recognised is "other".
	b, err = (&Classifier{}).ClassifyBytes([]byte("From: MAILER-DAEMON@x\r\nSubject: failure notice\r\n\r\nSorry.\r\n"))
	if err != nil || b.Kind != KindOther || b.Recipient != "" {
		t.Errorf("%+v, %v", b, err)
	}
}

func FuzzText(f *testing.F) {
	f.Add("Dominique <279035121518989@patient.mssante.fr>", "Le message que vous avez envoyé à l'adresse \"{adresse}\" n'a pas")
	f.Add("<a@b>, \"x, y\" <c@d>", "<p>&eacute;</p>")
	f.Fuzz(func(t *testing.T, addr, text string) {
		ins.ParseMSCAddress(addr)
		isPatient(addr)
		NewOutgoing(HeaderMap{"To": addr, "Reply-To": text, "Subject": text})
		ClosingFindings(HeaderMap{"Subject": text, mssante.HeaderMES: addr})
		if tm, ok := newTextMatcher(BounceText{Kind: KindOther, Text: text}); ok {
			tm.match(normalizeText(htmlToText(addr)))
		}
		(&Policy{}).Check(&Outgoing{To: []string{addr}, ReplyTo: []string{text}, Patient: testPatient(), Document: &Confidentiality{}})
	})
}

func TestClassifyReaderLimits(t *testing.T) {
	// The MIME limits are mssante's reader limits (ReadLimits), reported as
	// such; a bounce never comes near them.
	parts := strings.Repeat("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n", maxMIMEParts+1)
	raw := "From: MAILER-DAEMON@x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + "--b--\r\n"
	if _, err := (&Classifier{}).ClassifyBytes([]byte(raw)); !errors.Is(err, limit.ErrExceeded) {
		t.Errorf("parts: %v, want limit.ErrExceeded", err)
	}
	var deep strings.Builder
	for i := range maxMIMEDepth + 2 {
		fmt.Fprintf(&deep, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	if _, err := (&Classifier{}).ClassifyBytes([]byte("From: MAILER-DAEMON@x\r\n" + deep.String())); !errors.Is(err, limit.ErrExceeded) {
		t.Errorf("depth: %v, want limit.ErrExceeded", err)
	}
	if _, err := (&Classifier{}).ClassifyBytes([]byte("From: MAILER-DAEMON@x\r\nbroken header\r\n\r\n")); !errors.Is(err, ErrMalformedMessage) || !errors.Is(err, mssante.ErrMalformed) {
		t.Errorf("broken header: %v, want ErrMalformedMessage", err)
	}
}
