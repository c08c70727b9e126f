package mssante

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafeFilename(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"20220531_CR d'imagerie médicale_CORSE_FIGATELLIX.pdf", "20220531_CR d'imagerie médicale_CORSE_FIGATELLIX.pdf"},
		{"IHE_XDM.ZIP", "IHE_XDM.ZIP"},
		{"\xff\x00../etc", "etc"},
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\system32\a.dll`, "a.dll"},
		{"/", "attachment"},
		{"..", "attachment"},
		{"report\u202Efdp.exe", "report_fdp.exe"}, // right-to-left override
		{"a\x1b[31mred.pdf", "a_[31mred.pdf"},
		{"a:b*c?.pdf", "a_b_c_.pdf"},
		{" .hidden. ", "hidden"},
		{"CON.txt", "_CON.txt"},
		{"nul", "_nul"},
		{"résumé\u0085.pdf", "résumé_.pdf"},
	} {
		if got := SafeFilename(tt.in); got != tt.want {
			t.Errorf("SafeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("é", 200) + ".pdf"
	if got := SafeFilename(long); len(got) > 255 || !strings.HasSuffix(got, ".pdf") || !utf8.ValidString(got) {
		t.Errorf("long name: %d bytes %q", len(got), got[len(got)-10:])
	}
}

func TestReadUnsafeFilename(t *testing.T) {
	raw := "From: a@b.mssante.fr\r\nTo: c@d.mssante.fr\r\nSubject: s\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''%FF%00..%2Fetc\r\n\r\n%PDF\r\n--b--\r\n"
	in, err := Read(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := in.Attachments[0]
	if a.Filename != "etc" || a.RawFilename != "\xff\x00../etc" || len(in.Warnings.ByRule("MSG-FILENAME-UNSAFE")) != 1 {
		t.Fatalf("%q %q %v", a.Filename, a.RawFilename, in.Warnings)
	}
}
