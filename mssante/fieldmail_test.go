package mssante

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/internal/testenv"
)

// repaired runs b through headerRepair (small reads, to exercise the
// state kept between them) and returns the output and the findings.
func repaired(t testing.TB, b []byte, bufSize int) ([]byte, finding.List) {
	t.Helper()
	var fs finding.List
	br := bufio.NewReaderSize(iotest.HalfReader(bytes.NewReader(b)), bufSize)
	out, err := io.ReadAll(iotest.OneByteReader(newHeaderRepair(br, &fs)))
	if err != nil {
		t.Fatal(err)
	}
	return out, fs
}

// TestHeaderRepairKeepsWellFormedMail: a message whose headers all end with
// a blank line goes through byte for byte (every fixture of the SDK and of
// the shared mail corpus).
func TestHeaderRepairKeepsWellFormedMail(t *testing.T) {
	var files []string
	for _, g := range []string{"testdata/*.eml", "../msc/testdata/*.eml"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	_ = filepath.WalkDir(testenv.Shared(t, "mail"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, "LICENSE") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 80 {
		t.Fatalf("only %d files", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, fs := repaired(t, b, repairBufSize)
		if len(fs) == 0 && !bytes.Equal(out, b) {
			t.Errorf("%s: changed without a finding", f)
		}
		if len(fs) > 0 && !bytes.Equal(bytes.ReplaceAll(out, []byte("\r\n\r\n"), []byte("\r\n")), bytes.ReplaceAll(b, []byte("\r\n\r\n"), []byte("\r\n"))) &&
			!bytes.Equal(bytes.ReplaceAll(out, []byte("\n\n"), []byte("\n")), bytes.ReplaceAll(b, []byte("\n\n"), []byte("\n"))) {
			t.Errorf("%s: more than blank lines inserted", f)
		}
	}
}

func TestHeaderRepair(t *testing.T) {
	tests := []struct {
		name, in, want string
		warnings       int
	}{
		{"well-formed", "A: b\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nC: d\r\n\r\nbody\r\n--x--\r\n",
			"A: b\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nC: d\r\n\r\nbody\r\n--x--\r\n", 0},
		{"header into its own boundary", "Content-Type: multipart/report;\r\n boundary=\"R\"\r\n--R\r\n\r\nt\r\n--R--\r\n",
			"Content-Type: multipart/report;\r\n boundary=\"R\"\r\n\r\n--R\r\n\r\nt\r\n--R--\r\n", 1},
		{"part header into text", "Content-Type: multipart/mixed; boundary=R\n\n--R\nLe document n'a pas pu\n--R--\n",
			"Content-Type: multipart/mixed; boundary=R\n\n--R\n\nLe document n'a pas pu\n--R--\n", 1},
		{"part fields into boundary", "Content-Type: multipart/mixed; boundary=R\n\n--R\nContent-Type: text/plain\nX: y\n--R--\n",
			"Content-Type: multipart/mixed; boundary=R\n\n--R\nContent-Type: text/plain\nX: y\n\n--R--\n", 1},
		// The message header running into text is refused downstream.
		{"top header into text", "A: b\nnot a field\n\nbody\n", "A: b\nnot a field\n\nbody\n", 0},
		{"unknown boundary in body", "Content-Type: multipart/mixed; boundary=R\n\n--S\nA: b\n--R--\n",
			"Content-Type: multipart/mixed; boundary=R\n\n--S\nA: b\n--R--\n", 0},
		{"no final newline", "A: b", "A: b", 0},
	}
	for _, tt := range tests {
		out, fs := repaired(t, []byte(tt.in), 64)
		if string(out) != tt.want || len(fs) != tt.warnings {
			t.Errorf("%s:\n got %q (%d findings)\nwant %q (%d)", tt.name, out, len(fs), tt.want, tt.warnings)
		}
	}
}

func TestReadLeadingNoise(t *testing.T) {
	msg := "MIME-Version: 1.0\r\nFrom: a@x.mssante.fr\r\nSubject: s\r\nMessage-ID: <m@x>\r\n\r\nbody\r\n"
	for name, prefix := range map[string]string{"bom": "\xef\xbb\xbf", "blank lines": "\r\n \r\n\n", "bom and blank lines": "\xef\xbb\xbf\r\n"} {
		in, err := Read(strings.NewReader(prefix+msg), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if in.Subject != "s" || in.From == nil || in.From.Address != "a@x.mssante.fr" || strings.TrimSpace(in.Text) != "body" {
			t.Errorf("%s: %+v", name, in)
		}
		if in.Warnings.ByRule("MIME-BOM") == nil && in.Warnings.ByRule("MIME-LEADING-BLANK") == nil {
			t.Errorf("%s: no warning: %v", name, in.Warnings)
		}
	}
}

func TestReadUndelimitedMultipart(t *testing.T) {
	raw := "From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B/x.net\"\r\n\r\n" +
		"--B/y.net\r\nContent-Type: text/plain\r\n\r\nnotice\r\n--B/y.net--\r\n"
	in, err := Read(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(in.Text, "notice") || in.Warnings.ByRule("MIME-STRUCTURE") == nil {
		t.Errorf("text %q, warnings %v", in.Text, in.Warnings)
	}
	// A delimited empty multipart stays empty.
	in, err = Read(strings.NewReader("Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b--\r\n"), nil)
	if err != nil || in.Text != "" {
		t.Errorf("empty multipart: %q, %v", in.Text, err)
	}
}

// TestFieldReceipts reads every receipt of the shared corpus: DSNs and MDNs
// from the Direct Project and CPython's tests, and the LPS-MSS guide's
// examples, with the correlation fields normalised.
func TestFieldReceipts(t *testing.T) {
	dir := testenv.Shared(t, "mail")
	type want struct {
		kind       ReportKind // 0: not a report
		failed     bool
		origID     string
		source     OriginalIDSource
		recipients []string // final recipients (DSN) or the MDN final recipient
		warnings   []string
	}
	tests := map[string]want{
		"receipts/cpython_msg_05.eml": {}, // a multipart/report with no status part
		"receipts/cpython_msg_16.eml": {kind: ReportDSN, failed: true, origID: "002001c144a6$8752e060$56104586@oxy.edu", source: IDFromReturned, recipients: []string{"jangel1@cougar.noc.ucla.edu"}},
		"receipts/cpython_msg_25.eml": {kind: ReportDSN, failed: true, recipients: []string{"scoffman@wellpartner.com"}, warnings: []string{"MIME-BOUNDARY", "REPORT-INLINE"}},
		"receipts/direct_BadContext_MDN.eml": {kind: ReportMDN, origID: "c8a0389fd14c40c185956ff9108bab07@Direct.Surescripts.com", source: IDFromField,
			recipients: []string{"Jean@opsstation.lab"}, warnings: []string{"MIME-BOM"}},
		// No Action, no Status: the SMTP reply (550) says failed.
		"receipts/direct_DsnTestMessages_DSNMessageNoActionOrStatus.txt": {kind: ReportDSN, failed: true,
			origID: "9501051053.aa04167@IETF.CNRI.Reston.VA.US", source: IDFromField, recipients: []string{"Carol@ivory.edu"}},
		"receipts/direct_DsnTestMessages_DSNMessageOrigInReplyTo.txt": {kind: ReportDSN, failed: true,
			origID: "9501051053.aa04167@IETF.CNRI.Reston.VA.US", source: IDFromInReplyTo, recipients: []string{"Carol@ivory.edu"}},
		"receipts/direct_messages_MDNMessageFriendlyNameFinalRecip.txt": {kind: ReportMDN, origID: "9501051053.aa04167@IETF.CNRI.Reston.VA.US", source: IDFromField,
			recipients: []string{"externUser1@starugh-stateline.com"}, warnings: []string{"REPORT-ADDRESS"}},
		"receipts/direct_messages_MDNMessageOrigInReplyTo.txt": {kind: ReportMDN, origID: "9501051053.aa04167@IETF.CNRI.Reston.VA.US", source: IDFromInReplyTo,
			recipients: []string{"externUser1@starugh-stateline.com"}},
		"lps-mss/mdn-ko-902.eml": {kind: ReportMDN, failed: true, origID: "199509192301.23456", source: IDFromField,
			recipients: []string{"serviceY_auto@chb.mssante.fr"}, warnings: []string{"MIME-HEADER-END", "REPORT-FIELDS-IN-HEADER"}},
		"lps-mss/mdn-ko-902-v1.1.3.eml":        {kind: ReportMDN, failed: true, source: IDFromField, recipients: []string{"serviceY_auto@chb.mssante.fr"}},
		"lps-mss/courriel-standard-ko-902.eml": {},
	}
	for name, w := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(testenv.Shared(t, "mail", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rep, err := ParseReport(f, nil)
			if w.kind == 0 {
				if !errors.Is(err, ErrNotReport) {
					t.Fatalf("want ErrNotReport, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Kind != w.kind || rep.Failed() != w.failed || (w.origID != "" && rep.OriginalMessageID != w.origID) || rep.OriginalIDSource != w.source {
				t.Errorf("kind %v failed %v orig %q (%s)", rep.Kind, rep.Failed(), rep.OriginalMessageID, rep.OriginalIDSource)
			}
			var rcpts []string
			if rep.MDN != nil {
				rcpts = []string{rep.MDN.FinalRecipient}
			}
			for _, r := range rep.Recipients {
				rcpts = append(rcpts, r.FinalRecipient)
			}
			if strings.Join(rcpts, ",") != strings.Join(w.recipients, ",") {
				t.Errorf("recipients %q, want %q", rcpts, w.recipients)
			}
			for _, r := range w.warnings {
				if rep.Warnings.ByRule(r) == nil {
					t.Errorf("no %s finding: %v", r, rep.Warnings)
				}
			}
			if rep.OriginalMessageID != NormalizeMessageID(rep.OriginalMessageID) {
				t.Errorf("original id %q not normalised", rep.OriginalMessageID)
			}
		})
	}
	// Read takes every file of the corpus, a BOM or a header running into
	// a boundary included.
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".json") || strings.HasSuffix(p, "LICENSE") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := Read(bytes.NewReader(b), nil); err != nil {
			t.Errorf("Read %s: %v", p, err)
		}
		return nil
	})
}

// FuzzHeaderRepair: the repair only ever inserts blank lines, at the start
// of a line, and never loses or changes a byte of its input.
func FuzzHeaderRepair(f *testing.F) {
	testenv.SeedShared(f, "mail")
	f.Add([]byte("Content-Type: multipart/report; boundary=R\n--R\nLe texte\n--R\nContent-Type: message/disposition-notification\nDisposition: x\n--R--\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, _ := repaired(t, in, 64)
		i, j := 0, 0
		for i < len(in) {
			if j < len(out) && in[i] == out[j] {
				i, j = i+1, j+1
				continue
			}
			atLineStart := j == 0 || out[j-1] == '\n'
			switch {
			case atLineStart && bytes.HasPrefix(out[j:], []byte("\r\n")):
				j += 2
			case atLineStart && j < len(out) && out[j] == '\n':
				j++
			default:
				t.Fatalf("input changed at %d: %q vs %q", i, in[i:min(i+20, len(in))], out[j:min(j+20, len(out))])
			}
		}
		if j != len(out) {
			t.Fatalf("%d bytes added at the end", len(out)-j)
		}
	})
}
