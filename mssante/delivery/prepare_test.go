package delivery

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestPrepare(t *testing.T) {
	raw := "From: Hôpital <dpi@h.mssante.fr>\r\nTo: a@x.mssante.fr, B <b@x.mssante.fr>\r\nCc: a@X.mssante.fr\r\n" +
		"Bcc: 279035121518989@patient.mssante.fr,\r\n c@x.mssante.fr\r\nSubject: s\r\nReturn-Receipt-To: dpi@h.mssante.fr\r\n\r\nBcc: in the body stays\r\n"
	p, err := prepare([]byte(raw), &EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.from != "dpi@h.mssante.fr" || !slices.Equal(p.to, []string{"a@x.mssante.fr", "b@x.mssante.fr", "279035121518989@patient.mssante.fr", "c@x.mssante.fr"}) {
		t.Errorf("envelope %s %v", p.from, p.to)
	}
	s := string(p.raw)
	if strings.Contains(s, "Bcc: 2790") || strings.Contains(s, " c@x.mssante.fr\r\n") || !strings.Contains(s, "Bcc: in the body stays") {
		t.Errorf("Bcc not removed from the header only:\n%s", s)
	}
	if !strings.HasPrefix(s, "Message-ID: <") || !strings.HasSuffix(p.messageID, "@h.mssante.fr") {
		t.Errorf("no Message-ID added: %q", p.messageID)
	}
	if p.dsn == nil || p.dsn.EnvelopeID != p.messageID || !p.expectDSN || p.expectMDN {
		t.Errorf("Return-Receipt-To asks for a DSN with ENVID: %+v %v %v", p.dsn, p.expectDSN, p.expectMDN)
	}
	for _, bad := range []string{"no header", "From: a@x.fr\r\n\r\n", "From: a@x.fr, b@x.fr\r\nTo: c@x.fr\r\n\r\n"} {
		if _, err := prepare([]byte(bad), &EnqueueOptions{}); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestNormalisation(t *testing.T) {
	for in, want := range map[string]string{
		"<9501051053.aa04167@IETF.CNR I.Reston.VA.US>": "9501051053.aa04167@IETF.CNRI.Reston.VA.US",
		" <199509192301.23456 > (comment)":             "199509192301.23456",
		"plain@id":                                     "plain@id",
	} {
		if got := normMessageID(in); got != want {
			t.Errorf("normMessageID(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"rfc822; Carol@Ivory.EDU":                          "carol@ivory.edu",
		"ExternalUser <externUser1@starugh-stateline.com>": "externuser1@starugh-stateline.com",
		"\"Name\" <a@b.fr>":                                "a@b.fr",
		"<a@b.fr>":                                         "a@b.fr",
	} {
		if got := normAddress(in); got != want {
			t.Errorf("normAddress(%q) = %q, want %q", in, got, want)
		}
	}
	if got := decodeXtext("id+2Bplus+3Dx@h"); got != "id+plus=x@h" {
		t.Errorf("decodeXtext %q", got)
	}
	if (RetryPolicy{Initial: 1, Max: 8}).backoff(10, 0.5) != 8 {
		t.Error("backoff not capped")
	}
}
