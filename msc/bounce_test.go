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
	"github.com/mssante-go/sdk/internal/testenv"
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

// only returns the single recipient of a bounce.
func only(t *testing.T, b *Bounce) RecipientBounce {
	t.Helper()
	if b == nil || len(b.Recipients) != 1 {
		t.Fatalf("want one recipient: %+v", b)
	}
	return b.Recipients[0]
}

func TestClassifyFixtures(t *testing.T) {
	tests := []struct {
		file      string
		kind      Kind
		recipient string
		status    string
		source    string
		msgID     string
		evidence  string
	}{
		{"dsn-unknown-address.eml", KindUnknownAddress, patientAddr, "5.1.1", "dsn", fixtureMessageID, "mes-text"},
		{"dsn-closed.eml", KindClosed, patientAddr, "5.0.0", "dsn", fixtureMessageID, "mes-text"},
		{"dsn-invalid-address.eml", KindInvalidAddress, "288091234567823@patient.mssante.fr", "5.1.3", "dsn", fixtureMessageID, "mes-text"},
		{"dsn-size-postfix.eml", KindTooLarge, patientAddr, "5.3.4", "dsn", fixtureMessageID, "diagnostic"},
		{"dsn-professional-unknown.eml", KindMailboxUnknown, "jean.dupont@hopital-fictif.mssante.fr", "5.1.1", "dsn", fixtureMessageID, "diagnostic"},
		{"dsn-delayed.eml", KindTemporary, patientAddr, "4.4.1", "dsn", fixtureMessageID, "action"},
		{"text-unknown-address.eml", KindUnknownAddress, patientAddr, "", "text", fixtureMessageID, "mes-text"},
		{"text-closed.eml", KindClosed, patientAddr, "", "text", "", "mes-text"},
		{"text-invalid-address.eml", KindInvalidAddress, "2790351215189@patient.mssante.fr", "", "text", "", "mes-text"},
		{"text-size-postfix.eml", KindTooLarge, patientAddr, "5.3.4", "text", fixtureMessageID, "recipient-text"},
	}
	var c Classifier
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := classifyFile(t, &c, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			r := only(t, b)
			if r.Kind != tt.kind || r.Recipient != tt.recipient || r.Status != tt.status || b.Source != tt.source ||
				r.OriginalMessageID != tt.msgID || b.OriginalMessageID != tt.msgID || r.Evidence != tt.evidence {
				t.Errorf("got kind=%s recipient=%q status=%q source=%s msgid=%q evidence=%s\nwant kind=%s recipient=%q status=%q source=%s msgid=%q evidence=%s",
					r.Kind, r.Recipient, r.Status, b.Source, r.OriginalMessageID, r.Evidence, tt.kind, tt.recipient, tt.status, tt.source, tt.msgID, tt.evidence)
			}
			if len(b.Raw) == 0 {
				t.Errorf("raw missing")
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
	// An out-of-office answer is no bounce, even about a delivery.
	auto := "From: Dr A <a@x.mssante.fr>\r\nSubject: Automatic reply: CR\r\nAuto-Submitted: auto-replied\r\n\r\nAbsent, the message could not be read.\r\n"
	if _, err := c.ClassifyBytes([]byte(auto)); !errors.Is(err, ErrNotBounce) {
		t.Errorf("auto-reply: %v", err)
	}
	// A report without a status part and with nothing failed in it.
	rep := "From: foo\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n\r\nYadda\r\n--b--\r\n"
	if _, err := c.ClassifyBytes([]byte(rep)); !errors.Is(err, ErrNotBounce) {
		t.Errorf("empty report: %v", err)
	}
	// A postmaster notice with a success code.
	notice := "From: postmaster@x.mssante.fr\r\nSubject: Notice\r\n\r\nYour mailbox was migrated (2.0.0).\r\n"
	if _, err := c.ClassifyBytes([]byte(notice)); !errors.Is(err, ErrNotBounce) {
		t.Errorf("notice: %v", err)
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
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if r := only(t, b); r.Kind != k || r.Recipient != patientAddr || r.Matched != bt.Text {
			t.Errorf("%s: %+v", k, r)
		}
	}
	if _, ok := MESBounceText(KindTooLarge); ok {
		t.Error("MESBounceText(too large) should be false")
	}
}

func TestClassifierExtraText(t *testing.T) {
	raw := []byte("From: postmaster@example.org\r\nSubject: Retour\r\n\r\nVotre correspondant est décédé.\r\n")
	var def Classifier
	if _, err := def.ClassifyBytes(raw); !errors.Is(err, ErrNotBounce) {
		t.Fatalf("default: %v", err)
	}
	c := Classifier{Texts: append(BounceTexts(), BounceText{Kind: KindUnknownAddress, Text: "correspondant est DECEDE"})}
	if b, err := c.ClassifyBytes(raw); err != nil || only(t, b).Kind != KindUnknownAddress {
		t.Fatalf("extended: %+v, %v", b, err)
	}
	// The copy is independent of the default table.
	texts := BounceTexts()
	texts[0].Text = "changed"
	if BounceTexts()[0].Text == "changed" {
		t.Fatal("BounceTexts returned the table itself")
	}
}

func dsnOf(blocks ...string) []byte {
	return dsnWithText("failed", blocks...)
}

func dsnWithText(text string, blocks ...string) []byte {
	return []byte("From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n" +
		strings.Join(blocks, "\r\n") + "\r\n--b--\r\n")
}

func block(rcpt, action, status, diag string) string {
	s := "Final-Recipient: rfc822;" + rcpt + "\r\nAction: " + action + "\r\nStatus: " + status + "\r\n"
	if diag != "" {
		s += "Diagnostic-Code: smtp; " + diag + "\r\n"
	}
	return s
}

func TestClassifyStatusOnlyDSN(t *testing.T) {
	tests := []struct {
		rcpt, action, status string
		kind                 Kind
	}{
		{patientAddr, "failed", "5.1.1", KindUnknownAddress},
		{patientAddr, "failed", "5.2.1", KindClosed},
		{patientAddr, "failed", "5.1.3", KindInvalidAddress},
		{"2790351215189@patient.mssante.fr", "failed", "5.0.0", KindInvalidAddress},
		{patientAddr, "failed", "5.2.3", KindTooLarge},
		{proAddr, "failed", "5.3.4", KindTooLarge},
		{proAddr, "failed", "5.1.1", KindMailboxUnknown},
		{proAddr, "failed", "5.2.2", KindMailboxFull},
		{proAddr, "failed", "5.2.1", KindMailboxDisabled},
		{proAddr, "failed", "5.4.4", KindHostUnknown},
		{proAddr, "failed", "5.7.1", KindPolicy},
		{proAddr, "failed", "5.1.8", KindPolicy},
		{proAddr, "failed", "5.0.0", KindOther},
		// Action: failed with a 4.x.x status is a failure: the MTA gave up.
		{proAddr, "failed", "4.4.7", KindExpired},
		{patientAddr, "failed", "4.4.1", KindExpired},
		{proAddr, "failed", "4.3.0", KindOther},
		{patientAddr, "failed", "4.2.2", KindMailboxFull},
		// delayed is the only temporary outcome, whatever the status.
		{patientAddr, "delayed", "4.2.2", KindTemporary},
		{proAddr, "delayed", "5.1.1", KindTemporary},
	}
	var c Classifier
	for _, tt := range tests {
		b, err := c.ClassifyBytes(dsnOf(block(tt.rcpt, tt.action, tt.status, "")))
		if err != nil {
			t.Errorf("%s %s: %v", tt.rcpt, tt.status, err)
			continue
		}
		r := only(t, b)
		if r.Kind != tt.kind || r.Action != tt.action {
			t.Errorf("%s %s %s: %s %s; want %s", tt.rcpt, tt.action, tt.status, r.Kind, r.Action, tt.kind)
		}
		// Permanent agrees with mssante.Report.Failed on every case.
		rep, err := mssante.ParseReport(bytes.NewReader(dsnOf(block(tt.rcpt, tt.action, tt.status, ""))), nil)
		if err != nil || rep.Failed() != r.Permanent() {
			t.Errorf("%s %s: Report.Failed %v, Permanent %v (%v)", tt.action, tt.status, rep.Failed(), r.Permanent(), err)
		}
	}
}

// TestClassifyPatientTextBeatsStatus: the case: Mon Espace Santé
// says "clôturée" with a 4.x.x status and Action: failed.
func TestClassifyPatientTextBeatsStatus(t *testing.T) {
	raw := dsnWithText(mustText(KindClosed).Render(patientAddr), block(patientAddr, "failed", "4.4.1", ""))
	b, err := (&Classifier{}).ClassifyBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	if r := only(t, b); r.Kind != KindClosed || r.Evidence != "mes-text" || !r.Permanent() {
		t.Errorf("%+v", r)
	}
	// A Mon Espace Santé text never decides for a professional address.
	raw = dsnWithText(mustText(KindClosed).Render(patientAddr), block(proAddr, "failed", "5.1.1", ""))
	b, _ = (&Classifier{}).ClassifyBytes(raw)
	if r := only(t, b); r.Kind != KindMailboxUnknown {
		t.Errorf("professional: %+v", r)
	}
}

// TestClassifyPerRecipient: one recipient's text never decides another's
// kind (lhost-postfix-13: a full mailbox came out "mailbox-unknown").
func TestClassifyPerRecipient(t *testing.T) {
	text := "<" + proAddr + ">: host mx said: 550 5.2.1 User unknown\r\n\r\n<" + orgAddr + ">: host mx said: 552 mailbox is full\r\n"
	raw := dsnWithText(text, block(proAddr, "failed", "5.0.0", ""), block(orgAddr, "failed", "5.0.0", ""),
		block(otherAddr, "failed", "5.0.0", ""))
	b, err := (&Classifier{}).ClassifyBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Kind{proAddr: KindMailboxUnknown, orgAddr: KindMailboxFull, otherAddr: KindOther}
	for _, r := range b.Recipients {
		if r.Kind != want[r.Recipient] {
			t.Errorf("%s: %s (%s), want %s", r.Recipient, r.Kind, r.Evidence, want[r.Recipient])
		}
	}
	// The message-wide text decides only for a single recipient.
	raw = dsnWithText("The mailbox is full.", block(proAddr, "failed", "5.0.0", ""), block(orgAddr, "failed", "5.0.0", ""))
	b, _ = (&Classifier{}).ClassifyBytes(raw)
	for _, r := range b.Recipients {
		if r.Kind != KindOther {
			t.Errorf("two recipients, shared text: %+v", r)
		}
	}
	raw = dsnWithText("The mailbox is full.", block(proAddr, "failed", "5.0.0", ""))
	b, _ = (&Classifier{}).ClassifyBytes(raw)
	if r := only(t, b); r.Kind != KindMailboxFull || r.Evidence != "message-text" {
		t.Errorf("one recipient, shared text: %+v", r)
	}
	if r, ok := b.Recipient(strings.ToUpper(proAddr)); !ok || r.Recipient != proAddr {
		t.Errorf("Recipient lookup: %+v %v", r, ok)
	}
}

func TestClassifyMultipleRecipients(t *testing.T) {
	raw := dsnWithText(mustText(KindClosed).Render(patientAddr),
		block(proAddr, "delayed", "4.4.1", ""), block(orgAddr, "delivered", "2.0.0", ""), block(patientAddr, "failed", "5.0.0", ""))
	b, err := (&Classifier{}).ClassifyBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Recipients) != 2 || b.Recipients[0].Kind != KindTemporary || b.Recipients[1].Kind != KindClosed || b.Recipients[1].Recipient != patientAddr {
		t.Fatalf("%+v", b.Recipients)
	}
	if f := b.Failed(); len(f) != 1 || f[0].Recipient != patientAddr {
		t.Errorf("Failed: %+v", f)
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
	if b, err := c.ClassifyBytes([]byte(long)); err != nil || only(t, b).Kind != KindOther {
		t.Errorf("ClassifyBytes over MaxBytes: %+v, %v", b, err)
	}
}

func TestClassifyTolerance(t *testing.T) {
	// A byte order mark and blank lines before the header: read, with a
	// warning.
	raw, err := os.ReadFile(filepath.Join("testdata", "dsn-professional-unknown.eml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := (&Classifier{}).ClassifyBytes(append([]byte("\xef\xbb\xbf\r\n\r\n"), raw...))
	if err != nil {
		t.Fatal(err)
	}
	if only(t, b).Kind != KindMailboxUnknown || b.Warnings.ByRule("MIME-BOM") == nil || b.Warnings.ByRule("MIME-LEADING-BLANK") == nil {
		t.Errorf("%+v %v", b.Recipients, b.Warnings)
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

func TestKindsDocumented(t *testing.T) {
	for _, k := range Kinds() {
		if k.Permanent() == (k == KindTemporary) {
			t.Errorf("%s: Permanent %v", k, k.Permanent())
		}
	}
	for _, r := range DefaultStatusRules() {
		if r.Kind.Patient() && !r.Patient || r.Kind == KindTemporary {
			t.Errorf("rule %+v", r)
		}
	}
}

func FuzzClassify(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	testenv.SeedShared(f, "mail")
	f.Add([]byte("Subject: [FIN]\r\n\r\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--x--"))
	c := &Classifier{MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := c.Classify(context.Background(), bytes.NewReader(data))
		if err == nil {
			if b == nil || len(b.Recipients) == 0 {
				t.Fatalf("nil error with an incomplete bounce: %+v", b)
			}
			for _, r := range b.Recipients {
				if r.Kind == "" || (r.Action != "failed" && r.Action != "delayed") || (r.Kind == KindTemporary) != (r.Action == "delayed") {
					t.Fatalf("inconsistent recipient: %+v", r)
				}
			}
		}
		IsClosingMessage(bytes.NewReader(data))
	})
}

func TestClassifyTextDetails(t *testing.T) {
	// The enhanced code after the SMTP code wins over other X.Y.Z strings;
	// a Corsican matricule comes back upper case.
	raw := "From: MAILER-DAEMON@relay.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\n" +
		"Relay 2.4.10 here.\r\n\r\n<253072a07300443@patient.mssante.fr>: host mx said: 550 5.1.1 no such mailbox\r\n"
	b, err := (&Classifier{}).ClassifyBytes([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r := only(t, b); r.Status != "5.1.1" || r.Recipient != "253072A07300443@patient.mssante.fr" || r.Kind != KindUnknownAddress {
		t.Errorf("%+v", r)
	}
	// A mail system's bounce with nothing recognised is "other", without
	// a recipient.
	b, err = (&Classifier{}).ClassifyBytes([]byte("From: MAILER-DAEMON@x\r\nSubject: failure notice\r\n\r\nSorry.\r\n"))
	if err != nil || only(t, b).Kind != KindOther || b.Recipients[0].Recipient != "" {
		t.Errorf("%+v, %v", b, err)
	}
	// Exim: the indented list after "failed:", a copy of the message after
	// it (its addresses are not recipients).
	raw = "From: Mailer-Daemon@relay.example\r\nTo: sender@x.mssante.fr\r\nSubject: Mail delivery failed: returning message to sender\r\n\r\n" +
		"A message that you sent could not be delivered to one or more of its\r\nrecipients. The following address(es) failed:\r\n\r\n" +
		"  dr.b@y.mssante.fr\r\n    host mx [192.0.2.1]: 550 5.2.2 mailbox is full\r\n\r\n" +
		"------ This is a copy of the message, including all the headers. ------\r\n\r\nTo: <c@z.mssante.fr>\r\n"
	b, err = (&Classifier{}).ClassifyBytes([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r := only(t, b); r.Recipient != "dr.b@y.mssante.fr" || r.Status != "5.2.2" || r.Kind != KindMailboxFull {
		t.Errorf("exim: %+v", r)
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
		tiedText(paragraphs(text), addr, []string{addr, "x@y"})
		textStatus(text)
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

// TestClassifyReportWithoutRecipients: a Postfix DSN without a per-recipient
// block is a bounce all the same, read from its notice; success and delay
// notices are told apart by their subject and words.
func TestClassifyReportWithoutRecipients(t *testing.T) {
	raw := "From: MAILER-DAEMON@relay.example\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\n<" + proAddr + ">: host mx said: 550 5.1.1 User unknown\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example\r\n\r\n--b--\r\n"
	b, err := (&Classifier{}).ClassifyBytes([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r := only(t, b); r.Recipient != proAddr || r.Kind != KindMailboxUnknown || r.Status != "5.1.1" || b.Source != "text" {
		t.Errorf("%+v", r)
	}
	success := "From: postmaster@relay.example\r\nSubject: Delivery Status Notification (Success)\r\n\r\n" +
		"Your message was delivered to " + proAddr + " (2.0.0).\r\n"
	if b, err := (&Classifier{}).ClassifyBytes([]byte(success)); !errors.Is(err, ErrNotBounce) {
		t.Errorf("success notice: %+v, %v", b, err)
	}
	delay := "From: MAILER-DAEMON@relay.example\r\nSubject: Delivery Status Notification (Delay)\r\n\r\n" +
		"Your message has not yet been delivered to the following recipients:\r\n\r\n  " + proAddr + "\r\n"
	b, err = (&Classifier{}).ClassifyBytes([]byte(delay))
	if err != nil {
		t.Fatal(err)
	}
	if r := only(t, b); r.Kind != KindTemporary || r.Action != "delayed" || r.Permanent() {
		t.Errorf("delay: %+v", r)
	}
}
