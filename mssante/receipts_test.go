package mssante

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/testenv"
	"github.com/mssante-go/sdk/limit"
)

func openTestdata(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseReportDSN(t *testing.T) {
	rep, err := ParseReport(openTestdata(t, "dsn-postfix.eml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != ReportDSN {
		t.Fatalf("kind = %v", rep.Kind)
	}
	if rep.ReportingMTA != "dns; smtp.exemple-operateur.mssante.fr" {
		t.Errorf("reporting MTA %q", rep.ReportingMTA)
	}
	if want := time.Date(2026, 11, 22, 7, 30, 10, 0, time.UTC); !rep.ArrivalDate.Equal(want) {
		t.Errorf("arrival %v", rep.ArrivalDate)
	}
	if rep.OriginalMessageID != "c0ffee01@hopital-test.mssante.fr" || rep.OriginalContent != "headers" {
		t.Errorf("original %q %q", rep.OriginalMessageID, rep.OriginalContent)
	}
	if rep.OriginalSubject != "Compte rendu de consultation" {
		t.Errorf("original subject %q", rep.OriginalSubject)
	}
	if !strings.Contains(rep.Text, "could not\nbe delivered") && !strings.Contains(rep.Text, "could not\r\nbe delivered") {
		t.Errorf("text %q", rep.Text)
	}
	if len(rep.Recipients) != 2 {
		t.Fatalf("recipients %+v", rep.Recipients)
	}
	r0 := rep.Recipients[0]
	if r0.FinalRecipient != "279035121518989@patient.mssante.fr" || r0.FinalRecipientType != "rfc822" ||
		r0.Action != ActionFailed || r0.Status != "5.1.1" || r0.StatusClass() != 5 ||
		r0.RemoteMTA != "dns; mx.patient.mssante.fr" || r0.DiagnosticType != "smtp" ||
		r0.DiagnosticCode != "550 5.1.1 Recipient address rejected: User unknown" ||
		r0.OriginalRecipient != "279035121518989@patient.mssante.fr" {
		t.Errorf("recipient 0 = %+v", r0)
	}
	r1 := rep.Recipients[1]
	if r1.Action != ActionDelayed || r1.StatusClass() != 4 || r1.WillRetryUntil.IsZero() {
		t.Errorf("recipient 1 = %+v", r1)
	}
	if !rep.Failed() {
		t.Error("Failed() = false")
	}
	if rep.From != "MAILER-DAEMON@smtp.exemple-operateur.mssante.fr" {
		t.Errorf("from %q", rep.From)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings %v", rep.Warnings)
	}
}

func TestParseReportMDNFrench(t *testing.T) {
	rep, err := ParseReport(openTestdata(t, "mdn-fr-error.eml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != ReportMDN || rep.MDN == nil {
		t.Fatalf("kind = %v", rep.Kind)
	}
	m := rep.MDN
	if m.ErrorCode != CodeUnknownPatient || m.ErrorLabel != "Identifiant de patient inconnu" || m.LegacyError {
		t.Errorf("error %v %q %v", m.ErrorCode, m.ErrorLabel, m.LegacyError)
	}
	d := m.Disposition
	if d.ActionMode != "automatic-action" || d.SendingMode != "MDN-sent-automatically" || d.Type != DispositionProcessed ||
		len(d.Modifiers) != 1 || d.Modifiers[0] != "error" || !d.Failed() {
		t.Errorf("disposition %+v", d)
	}
	if m.FinalRecipient != "dpi@hopital-test.mssante.fr" || m.OriginalRecipient != "dpi@hopital-test.mssante.fr" {
		t.Errorf("recipients %q %q", m.FinalRecipient, m.OriginalRecipient)
	}
	if rep.OriginalMessageID != "orig-42@labo-test.mssante.fr" || rep.OriginalContent != "full" {
		t.Errorf("original %q %q", rep.OriginalMessageID, rep.OriginalContent)
	}
	if !strings.HasPrefix(rep.Text, MDNErrorTextPrefix) {
		t.Errorf("text %q", rep.Text)
	}
	if !strings.HasPrefix(rep.Subject, MDNErrorSubjectPrefix+"[902]") {
		t.Errorf("subject %q", rep.Subject)
	}
	if !rep.Failed() {
		t.Error("not failed")
	}
}

func TestParseReportMDNLegacy(t *testing.T) {
	rep, err := ParseReport(openTestdata(t, "mdn-fr-legacy.eml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := rep.MDN
	if m == nil || m.ErrorCode != CodeINSMismatch || !m.LegacyError || m.Disposition.Type != "processed" || !m.Disposition.Failed() {
		t.Fatalf("mdn %+v", m)
	}
	if rep.OriginalMessageID != "orig-43@labo-test.mssante.fr" {
		t.Errorf("original id %q", rep.OriginalMessageID)
	}
	if len(rep.Warnings.ByRule("MDN-LEGACY-ERROR")) != 1 {
		t.Errorf("warnings %v", rep.Warnings)
	}
}

func TestParseDisposition(t *testing.T) {
	for _, tc := range []struct {
		in        string
		typ       string
		mods      []string
		legacy    string
		wantError bool
	}{
		{in: "automatic-action/MDN-sent-automatically; processed", typ: "processed"},
		{in: "manual-action/MDN-sent-manually; displayed", typ: "displayed"},
		{in: "automatic-action/MDN-sent-automatically; deleted/Failure", typ: "deleted", mods: []string{"Failure"}},
		{in: "automatic-action/MDN-sent-automatically (comment); Processed/error,warning", typ: "processed", mods: []string{"error", "warning"}},
		{in: "automatic-action/MDN-sent-automatically; processed/Error: 902^X^messageErrorCondition| E^Error^errorSeverity", typ: "processed", mods: []string{"error"}, legacy: "902^X^messageErrorCondition| E^Error^errorSeverity"},
		{in: "processed", wantError: true},
		{in: "a/b;", wantError: true},
	} {
		d, legacy, err := ParseDisposition(tc.in)
		if (err != nil) != tc.wantError {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if tc.wantError {
			continue
		}
		if d.Type != tc.typ || strings.Join(d.Modifiers, ",") != strings.Join(tc.mods, ",") || legacy != tc.legacy {
			t.Errorf("%q: got %+v legacy %q", tc.in, d, legacy)
		}
	}
}

func TestParseReportNotReport(t *testing.T) {
	_, err := ParseReport(strings.NewReader("From: a@b.fr\r\nSubject: hi\r\n\r\nhello\r\n"), nil)
	if !errors.Is(err, ErrNotReport) {
		t.Fatalf("err = %v", err)
	}
	_, err = ParseReport(strings.NewReader(""), nil)
	if err == nil {
		t.Fatal("empty input accepted")
	}
}

func TestParseReportLimits(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("Content-Type: multipart/mixed; boundary=x\r\n\r\n")
	for i := 0; i < 20; i++ {
		b.WriteString("--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n")
	}
	b.WriteString("--x--\r\n")
	_, err := ParseReport(bytes.NewReader(b.Bytes()), &ReadOptions{Limits: ReadLimits{MaxParts: 5}})
	var le *limit.Error
	if !errors.As(err, &le) || le.Limit != limit.Parts || !errors.Is(err, limit.ErrExceeded) {
		t.Fatalf("err = %v", err)
	}
	_, err = ParseReport(bytes.NewReader(b.Bytes()), &ReadOptions{Limits: ReadLimits{MaxSize: 100}})
	if !errors.As(err, &le) || le.Limit != "size" {
		t.Fatalf("err = %v", err)
	}
	// Depth.
	var d bytes.Buffer
	for i := 0; i < 30; i++ {
		d.WriteString("Content-Type: multipart/mixed; boundary=b" + string(rune('a'+i)) + "\r\n\r\n--b" + string(rune('a'+i)) + "\r\n")
	}
	_, err = ParseReport(bytes.NewReader(d.Bytes()), nil)
	if !errors.As(err, &le) || le.Limit != "depth" {
		t.Fatalf("depth err = %v", err)
	}
}

const testOriginal = "Return-Path: <labo@labo-test.mssante.fr>\n" +
	"From: Labo <labo@labo-test.mssante.fr>\n" +
	"To: dpi@hopital-test.mssante.fr\n" +
	"Subject: =?utf-8?q?XDM/1.0/DDM+CR_de_biologie_PAT-TROIS_DOMINIQUE_28/03/1979?=\n" +
	"Message-ID: <orig-44@labo-test.mssante.fr>\n" +
	"Disposition-Notification-To: labo@labo-test.mssante.fr\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: text/plain; charset=utf-8\n" +
	"Content-Transfer-Encoding: 8bit\n" +
	"\n" +
	"Résultats ci-joints.\n"

func TestWriteMDNRoundTrip(t *testing.T) {
	for _, code := range append([]ErrorCode{0}, ErrorCodes()...) {
		for _, legacy := range []bool{false, true} {
			var out bytes.Buffer
			err := WriteMDN(&out, strings.NewReader(testOriginal), &MDNOptions{
				From:       &mail.Address{Name: "DPI", Address: "dpi@hopital-test.mssante.fr"},
				Error:      code,
				LegacyForm: legacy,
				NIL:        "DEV000001",
				Date:       time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
				MessageID:  "mdn-44@hopital-test.mssante.fr",
			})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ParseReport(bytes.NewReader(out.Bytes()), nil)
			if err != nil {
				t.Fatalf("%d: %v\n%s", code, err, out.String())
			}
			if rep.Kind != ReportMDN || rep.MDN.ErrorCode != code || rep.Failed() != (code != 0) {
				t.Errorf("%d legacy=%v: %+v", code, legacy, rep.MDN)
			}
			if rep.MDN.LegacyError != (legacy && code != 0) {
				t.Errorf("%d legacy=%v: legacy flag %v", code, legacy, rep.MDN.LegacyError)
			}
			if rep.OriginalMessageID != "orig-44@labo-test.mssante.fr" || rep.OriginalContent != "full" {
				t.Errorf("original %q %q", rep.OriginalMessageID, rep.OriginalContent)
			}
			if code != 0 {
				if !strings.HasPrefix(rep.Subject, "[KO Intégration système !]["+code.String()+"] XDM/1.0/DDM+") {
					t.Errorf("subject %q", rep.Subject)
				}
				if !strings.Contains(rep.Text, MDNErrorTextPrefix+code.Label()) {
					t.Errorf("text %q", rep.Text)
				}
			}
			if rep.Warnings.Count(finding.Warning) != 0 {
				t.Errorf("warnings %v", rep.Warnings)
			}
			if !strings.Contains(out.String(), "Résultats ci-joints.") {
				t.Error("original body lost")
			}
		}
	}
}

func TestWriteMDNRefusals(t *testing.T) {
	from := &mail.Address{Address: "dpi@hopital-test.mssante.fr"}
	noDNT := strings.Replace(testOriginal, "Disposition-Notification-To", "X-Other", 1)
	if err := WriteMDN(&bytes.Buffer{}, strings.NewReader(noDNT), &MDNOptions{From: from}); !errors.Is(err, ErrNoMDNRequested) {
		t.Errorf("no DNT: %v", err)
	}
	otherRP := strings.Replace(testOriginal, "Return-Path: <labo@", "Return-Path: <bounce@", 1)
	if err := WriteMDN(&bytes.Buffer{}, strings.NewReader(otherRP), &MDNOptions{From: from}); !errors.Is(err, ErrMDNReturnPath) {
		t.Errorf("return path: %v", err)
	}
	if err := WriteMDN(&bytes.Buffer{}, strings.NewReader(otherRP), &MDNOptions{From: from, IgnoreReturnPath: true}); err != nil {
		t.Errorf("ignore return path: %v", err)
	}
	if err := WriteMDN(&bytes.Buffer{}, strings.NewReader(testOriginal), nil); !errors.Is(err, ErrNoSender) {
		t.Errorf("nil opts: %v", err)
	}
	if err := WriteMDN(&bytes.Buffer{}, strings.NewReader(testOriginal), &MDNOptions{From: from, ErrorLabel: "a\r\nBcc: x@y.fr", Error: 906}); !errors.Is(err, ErrHeader) {
		t.Errorf("injection: %v", err)
	}
	for _, code := range []ErrorCode{-1, 42, 1000} {
		if err := WriteMDN(&bytes.Buffer{}, strings.NewReader(testOriginal), &MDNOptions{From: from, Error: code}); err == nil {
			t.Errorf("code %d accepted", code)
		}
	}
	if err := WriteMDN(&bytes.Buffer{}, strings.NewReader(testOriginal), &MDNOptions{From: from, Error: 950}); err != nil {
		t.Errorf("three-digit code outside the list: %v", err)
	}
}

func TestErrorCodes(t *testing.T) {
	if len(ErrorCodes()) != 7 {
		t.Fatal(ErrorCodes())
	}
	for _, c := range ErrorCodes() {
		if !c.Valid() || c.Label() == "" {
			t.Errorf("%d", c)
		}
		p, err := ParseErrorCode(c.String())
		if err != nil || p != c {
			t.Errorf("parse %d: %v", c, err)
		}
	}
	if _, err := ParseErrorCode("9a2"); err == nil {
		t.Error("9a2 accepted")
	}
	if asciiFold(CodeINSMismatch.Label()) != "L'INS transmis ne correspond pas exactement a celui stocke dans la base du consommateur" {
		t.Error(asciiFold(CodeINSMismatch.Label()))
	}
}

func TestRequestHelpers(t *testing.T) {
	var h mail.Header
	if err := RequestMDN(&h, "dr.martin@cabinet-test.mssante.fr"); err != nil {
		t.Fatal(err)
	}
	if err := RequestReturnReceipt(&h, "dr.martin@cabinet-test.mssante.fr"); err != nil {
		t.Fatal(err)
	}
	if h.Get(HeaderDispositionNotificationTo) != "<dr.martin@cabinet-test.mssante.fr>" || h.Get(HeaderReturnReceiptTo) == "" {
		t.Errorf("%v", h.Map())
	}
	to, ok, same := MDNRequest(h)
	if !ok || !same || to != "dr.martin@cabinet-test.mssante.fr" {
		t.Errorf("%q %v %v", to, ok, same)
	}
	if err := RequestMDN(&h, "not an address"); !errors.Is(err, ErrAddress) {
		t.Errorf("bad address: %v", err)
	}
	d := DeliveryReceiptDSN("env-1")
	if d.Return != "HDRS" || d.EnvelopeID != "env-1" || len(d.Notify) != 3 || !d.OriginalRecipient {
		t.Errorf("%+v", d)
	}
}

func FuzzParseReport(f *testing.F) {
	for _, n := range []string{"dsn-postfix.eml", "mdn-fr-error.eml", "mdn-fr-legacy.eml"} {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(testOriginal))
	testenv.SeedShared(f, "mail")
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := ParseReport(bytes.NewReader(b), &ReadOptions{Limits: ReadLimits{MaxSize: 1 << 20}})
		if err == nil && rep == nil {
			t.Fatal("nil report without error")
		}
		if err == nil {
			if rep.OriginalMessageID != NormalizeMessageID(rep.OriginalMessageID) || (rep.OriginalMessageID == "") != (rep.OriginalIDSource == "") {
				t.Fatalf("original id %q (%s)", rep.OriginalMessageID, rep.OriginalIDSource)
			}
			for i := range rep.Recipients {
				rep.Recipients[i].Outcome()
				rep.Recipients[i].DetailedStatus()
			}
		}
		_, _, _ = ParseDisposition(string(b))
		MessageIDs(string(b))
		NormalizeAddress(string(b))
	})
}

func TestLintMDNProfile(t *testing.T) {
	var out bytes.Buffer
	if err := WriteMDN(&out, strings.NewReader(testOriginal), &MDNOptions{
		From: &mail.Address{Name: "DPI", Address: "dpi@hopital-test.mssante.fr"}, Error: CodeINSMissing, NIL: "DEV000001",
	}); err != nil {
		t.Fatal(err)
	}
	fs, err := Lint(bytes.NewReader(out.Bytes()), nil)
	if err != nil || fs.Count(finding.Warning)+fs.Count(finding.Error) != 0 {
		t.Errorf("our MDN: %v %v", fs, err)
	}
	// The legacy example has no returned original.
	fs, err = Lint(openTestdata(t, "mdn-fr-legacy.eml"), nil)
	if err != nil || len(fs.ByRule("MDN-FR-ORIGINAL")) != 1 {
		t.Errorf("legacy MDN: %v %v", fs, err)
	}
}

func TestIntegrationNotice(t *testing.T) {
	m, err := IntegrationNotice(strings.NewReader(testOriginal), tSender(), CodeINSIncomplete)
	if err != nil {
		t.Fatal(err)
	}
	if m.To[0].Address != "labo@labo-test.mssante.fr" || !strings.HasPrefix(m.Subject, "[KO Intégration système !][905] XDM/1.0/DDM+") ||
		m.InReplyTo[0] != "orig-44@labo-test.mssante.fr" || !strings.Contains(m.Text, CodeINSIncomplete.Label()) {
		t.Errorf("%+v", m)
	}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("Content-Type: message/rfc822; name=message-original.eml\r\nContent-Disposition: attachment; filename=message-original.eml\r\nContent-Transfer-Encoding: 8bit\r\n\r\nReturn-Path:")) {
		t.Errorf("original not embedded as 8bit message/rfc822:\n%s", raw)
	}
	in, err := Read(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := in.Attachment("message-original.eml"); a == nil || !bytes.Contains(a.Data, []byte("Résultats ci-joints.")) {
		t.Errorf("attachment %+v", a)
	}
	if fs := in.Lint(nil); fs.HasErrors() || fs.Count(finding.Warning) > 0 {
		t.Errorf("lint %v", fs)
	}
	if _, err := IntegrationNotice(strings.NewReader(testOriginal), tSender(), 42); err == nil {
		t.Error("code 42 accepted")
	}
}

func TestParseReportDSNVariants(t *testing.T) {
	// No per-message block, an X-Original-Message-ID, a global type, no
	// returned message, LF line ends, an unknown action.
	raw := "From: postmaster@x.mssante.fr\n" +
		"Content-Type: multipart/report; report-type=global-delivery-status; boundary=b\n\n" +
		"--b\nContent-Type: text/plain\n\nNon distribué\n" +
		"--b\nContent-Type: message/global-delivery-status\n\n" +
		"X-Original-Message-ID: <m1@x.mssante.fr>\n\n" +
		"Final-Recipient: rfc822; a@y.mssante.fr\nAction: bounced\nStatus: 5.7.1 (refused)\n" +
		"--b--\n"
	rep, err := ParseReport(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OriginalMessageID != "m1@x.mssante.fr" || rep.Recipients[0].Status != "5.7.1" || rep.Text != "Non distribué" {
		t.Errorf("%+v", rep)
	}
	if len(rep.Warnings.ByRule("DSN-ACTION")) != 1 || len(rep.Warnings.ByRule("DSN-REPORTING-MTA")) != 1 {
		t.Errorf("warnings %v", rep.Warnings)
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc..."},
		{"aéé", 2, "a..."}, // the cut would split the first é
		{"aéé", 3, "aé..."},
	} {
		got := truncate(tc.in, tc.n)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// TestCaseFoldedIndexes: prefixes found case-insensitively are cut at the
// right place whatever precedes them (strings.ToLower changes the length of
// invalid UTF-8 and of some letters, which once made ParseDisposition panic).
func TestCaseFoldedIndexes(t *testing.T) {
	if d, legacy, err := ParseDisposition(";\xffError:"); err != nil || legacy != "" || !d.Failed() {
		t.Errorf("%+v legacy %q, err %v", d, legacy, err)
	}
	if _, legacy, _ := ParseDisposition("a/b; processed\xff\xff/Error: 902^X"); legacy != "902^X" {
		t.Errorf("legacy %q", legacy)
	}
	for in, want := range map[string]string{
		"\xff\xffXDM/1.0/DDM+CR":  "\xff\xffCR",
		"RE: ıı xdm/1.0/ddm+CR X": "RE: ıı CR X",
	} {
		if got := DisplaySubject(in); got != want {
			t.Errorf("DisplaySubject(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseReportTruncatedText: a human-readable part above the 1 MiB the
// parser keeps is cut with a warning, not silently.
func TestParseReportTruncatedText(t *testing.T) {
	raw := "From: postmaster@x.mssante.fr\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("x", maxTextPart+10) + "\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x.mssante.fr\r\n\r\nFinal-Recipient: rfc822; a@y.mssante.fr\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"--b--\r\n"
	rep, err := ParseReport(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Text) != maxTextPart || len(rep.Warnings.ByRule("REPORT-TRUNCATED")) != 1 || !rep.Failed() {
		t.Errorf("text %d bytes, warnings %v", len(rep.Text), rep.Warnings)
	}
}

// TestWriteMDNLeadingNoise: an original read with a byte order mark and
// blank lines before its header is answered, and quoted from its header.
func TestWriteMDNLeadingNoise(t *testing.T) {
	var out bytes.Buffer
	err := WriteMDN(&out, strings.NewReader("\xef\xbb\xbf\r\n"+testOriginal), &MDNOptions{
		From: &mail.Address{Address: "dpi@hopital-test.mssante.fr"}, NIL: "DEV000001",
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ParseReport(bytes.NewReader(out.Bytes()), nil)
	if err != nil || rep.OriginalMessageID != "orig-44@labo-test.mssante.fr" || rep.OriginalContent != "full" || bytes.Contains(out.Bytes(), []byte("\xef\xbb\xbf")) {
		t.Fatalf("%v %+v", err, rep)
	}
}
