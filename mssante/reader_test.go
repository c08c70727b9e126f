package mssante

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/limit"
)

func TestReadTolerance(t *testing.T) {
	raw := "From Labo Mon Jan  1 00:00:00 2026\n" + // mbox line
		"From: =?iso-8859-1?q?Laboratoire_d'analyses_m=E9dicales?= <labo@labo-test.mssante.fr>\n" +
		"To: 279035121518989@patient.mssante.fr, bad<<address\n" +
		"Subject: =?windows-1252?q?R=E9sultats?=\n" +
		"Date: not a date\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"zz\"\n" +
		"\n" +
		"--zz\n" +
		"Content-Type: text/plain; charset=iso-8859-15\n" +
		"Content-Transfer-Encoding: quoted-printable\n" +
		"\n" +
		"R=E9sultats =A4 ci-joints.\n" +
		"--zz\n" +
		"Content-Type: application/octet-stream; name=\"ihe_xdm.zip\"\n" +
		"Content-Transfer-Encoding: base64\n" +
		"\n" +
		"bm90IGEgemlw\n" +
		"--zz\n" +
		"Content-Type: application/pdf\n" +
		"Content-Transfer-Encoding: base64\n" +
		"\n" +
		"!!!notbase64\n" // no closing boundary
	in, err := Read(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Subject != "Résultats" || !strings.HasPrefix(in.Text, "Résultats € ci-joints") {
		t.Errorf("decoding: %q %q", in.Subject, in.Text)
	}
	if in.From == nil || in.From.Name != "Laboratoire d'analyses médicales" || in.SenderKind != SenderProfessional {
		t.Errorf("from %+v %v", in.From, in.SenderKind)
	}
	if in.XDM == nil || in.XDM.Err == nil || len(in.Warnings.ByRule("XDM-UNREADABLE")) != 1 {
		t.Errorf("xdm %+v", in.XDM)
	}
	for _, rule := range []string{"HDR-DATE", "HDR-MESSAGE-ID", "XDM-CONTENT-TYPE"} {
		if len(in.Warnings.ByRule(rule)) == 0 {
			t.Errorf("no %s warning: %v", rule, in.Warnings)
		}
	}
	fs := in.Lint(nil)
	for _, rule := range []string{"ECO.2.4.3", "ECO.2.2.1", "ECO.2.2.3"} {
		if len(fs.ByRule(rule)) == 0 {
			t.Errorf("lint: no %s: %v", rule, fs)
		}
	}
}

func TestReadPatientSender(t *testing.T) {
	for addr, want := range map[string]SenderKind{
		"279035121518989@patient.mssante.fr": SenderPatient,
		"279035121518988@patient.mssante.fr": SenderProfessional, // bad key: not a patient mailbox
		"MAILER-DAEMON@x.mssante.fr":         SenderSystem,
		"dr@x.mssante.fr":                    SenderProfessional,
	} {
		in, err := Read(strings.NewReader("From: "+addr+"\r\nSubject: x\r\n\r\nhello\r\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if in.SenderKind != want {
			t.Errorf("%s: %v", addr, in.SenderKind)
		}
	}
}

func TestReadReportKind(t *testing.T) {
	for file, want := range map[string]MessageKind{"dsn-postfix.eml": KindDSN, "mdn-fr-error.eml": KindMDN} {
		in, err := Read(openTestdata(t, file), nil)
		if err != nil {
			t.Fatal(err)
		}
		if in.Kind != want {
			t.Errorf("%s: %v", file, in.Kind)
		}
	}
}

func TestReadLimits(t *testing.T) {
	m := tMessage()
	m.Attachments = []*Attachment{{Filename: "a.bin", Data: make([]byte, 5000)}}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if in, err := Read(bytes.NewReader(raw), nil); err != nil || in.Size != int64(len(raw)) {
		t.Errorf("size %v of %d bytes: %v", in, len(raw), err)
	}
	_, err = Read(bytes.NewReader(raw), &ReadOptions{Limits: ReadLimits{MaxSize: 1000}})
	var le *limit.Error
	if !errors.As(err, &le) || le.Limit != limit.Size {
		t.Errorf("size: %v", err)
	}
	if _, err := Read(bytes.NewReader(raw), &ReadOptions{Limits: ReadLimits{MaxParts: 2}}); !errors.Is(err, limit.ErrExceeded) {
		t.Errorf("parts: %v", err)
	}
	if _, err := Read(strings.NewReader(" bad\r\n"), nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	for _, n := range []string{"dsn-postfix.eml", "mdn-fr-error.eml", "mdn-fr-legacy.eml"} {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	m := tMessage()
	m.HTML = "<p>x</p>"
	m.Attachments = []*Attachment{{Filename: "IHE_XDM.ZIP", Data: []byte("PK\x03\x04")}}
	if b, err := m.Bytes(); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := Read(bytes.NewReader(b), &ReadOptions{Limits: ReadLimits{MaxSize: 1 << 20}})
		if err != nil {
			return
		}
		_ = in.Lint(nil)
		_ = DisplaySubject(in.Subject)
		_ = WriteMDN(io.Discard, bytes.NewReader(b), &MDNOptions{From: &mail.Address{Address: "dpi@x.mssante.fr"}, To: "a@y.mssante.fr", Error: CodeOther})
	})
}

func TestLintPatientAddresses(t *testing.T) {
	for addr, want := range map[string]finding.Level{
		"2790351215189@patient.mssante.fr":            finding.Error, // key dropped
		"288091234567823@patient.mssante.fr":          finding.Error, // wrong key
		"reponse.automatique-test@patient.mssante.fr": finding.Info,  // CNAM test mailbox
	} {
		in, err := Read(strings.NewReader("From: A <a@x.mssante.fr>\r\nTo: "+addr+"\r\nSubject: x\r\nMessage-ID: <1@x>\r\nX-MSS-NIL: D\r\n\r\nhi\r\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := in.Lint(nil).ByRule("ECO.2.2.6")
		if len(got) != 1 || got[0].Level != want {
			t.Errorf("%s: %v", addr, got)
		}
	}
}

// TestReadMultipartWithoutBoundary: a multipart type without its boundary
// parameter is read as text with a warning instead of losing the body.
func TestReadMultipartWithoutBoundary(t *testing.T) {
	in, err := Read(strings.NewReader("From: a@b.fr\r\nContent-Type: multipart/mixed\r\n\r\nhello body\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Text != "hello body\r\n" || len(in.Warnings.ByRule("MIME-BOUNDARY")) != 1 || len(in.Warnings.ByRule("MIME-STRUCTURE")) != 0 {
		t.Errorf("text %q, warnings %v", in.Text, in.Warnings)
	}
}
