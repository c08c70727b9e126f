package msc

import (
	"errors"
	"io"
	"net/mail"
	"strings"
	"testing"
	"testing/iotest"

	gomail "github.com/emersion/go-message/mail"
)

func TestClosingSubjects(t *testing.T) {
	for subject, want := range map[string]bool{
		"[FIN]":                          true,
		"[fin]":                          false,
		"[Fin]":                          false,
		"RE: [FIN]":                      false,
		"TR: [FIN]":                      false,
		" [FIN]":                         false,
		"[FIN] ":                         false,
		"[FIN] merci":                    false,
		"[ FIN ]":                        false,
		"FIN":                            false,
		"=?UTF-8?Q?=5BFIN=5D?=":          false,
		"":                               false,
		"Compte rendu d'hospitalisation": false,
	} {
		h := HeaderMap{"Subject": subject}
		if got := IsClosing(h); got != want {
			t.Errorf("IsClosing(Subject %q) = %v, want %v", subject, got, want)
		}
		wantWarn := !want && subject != "" && subject != "FIN" && !strings.HasPrefix(subject, "Compte")
		if got := len(ClosingFindings(h)) > 0; got != wantWarn {
			t.Errorf("ClosingFindings(Subject %q) = %v, want a warning: %v", subject, ClosingFindings(h), wantWarn)
		}
	}
}

func TestClosingHeader(t *testing.T) {
	for value, want := range map[string]ClosingForm{
		"FIN":   ClosingHeader,
		" FIN ": ClosingHeader,
		"fin":   NotClosing,
		"Fin":   NotClosing,
		"FINI":  NotClosing,
		"":      NotClosing,
	} {
		h := HeaderMap{"x-mss-mes": value, "Subject": "Résultats"}
		if got := Closing(h); got != want {
			t.Errorf("Closing(X-MSS-MES %q) = %v, want %v", value, got, want)
		}
	}
	if got := Closing(HeaderMap{"X-MSS-MES": "FIN", "Subject": "[FIN]"}); got != ClosingHeader|ClosingSubject {
		t.Errorf("both forms: %v", got)
	}
	if f := ClosingFindings(HeaderMap{"X-MSS-MES": "fin"}); len(f) != 1 || f[0].Rule != RuleClosingHeader {
		t.Errorf("lower-case value: %v", f)
	}
}

func TestIsClosingMessage(t *testing.T) {
	raw := "Subject: [FIN]\r\nFrom: a@b.mssante.fr\r\n\r\nbody"
	if ok, err := IsClosingMessage(strings.NewReader(raw)); !ok || err != nil {
		t.Errorf("IsClosingMessage = %v, %v", ok, err)
	}
	raw = "Subject: RE: [FIN]\r\n\r\n"
	if ok, err := IsClosingMessage(strings.NewReader(raw)); ok || err != nil {
		t.Errorf("RE: [FIN]: %v, %v", ok, err)
	}
	for _, broken := range []string{"no header at all", " [FIN]\r\nSubject: x\r\n\r\n"} {
		if _, err := IsClosingMessage(strings.NewReader(broken)); !errors.Is(err, ErrMalformedMessage) {
			t.Errorf("%q: %v, want ErrMalformedMessage", broken, err)
		}
	}
	// A failing reader is reported as such, not as a malformed message.
	_, err := IsClosingMessage(io.MultiReader(strings.NewReader("Subject: x\r\n"), iotest.ErrReader(io.ErrClosedPipe)))
	if !errors.Is(err, io.ErrClosedPipe) || errors.Is(err, ErrMalformedMessage) {
		t.Errorf("reader failure: %v", err)
	}
	// Header views: go-message and net/mail.
	var gh gomail.Header
	SetClosing(&gh)
	if !IsClosing(&gh) {
		t.Error("SetClosing on a go-message header")
	}
	nh := mail.Header{"X-Mss-Mes": {"FIN"}}
	if !IsClosing(nh) {
		t.Error("net/mail header")
	}
}

func TestReadHeaderLeadingNoise(t *testing.T) {
	h, err := ReadHeader(strings.NewReader("\xef\xbb\xbf\r\n\nSubject: [FIN]\r\nX-MSS-MES: FIN\r\n\r\nbody"))
	if err != nil || h.Get("Subject") != "[FIN]" {
		t.Fatalf("%v %v", h, err)
	}
}
