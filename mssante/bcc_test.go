package mssante

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

func TestWithoutBcc(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"From: a@b.fr\r\nBcc: 279035121518989@patient.mssante.fr,\r\n c@d.mssante.fr\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n",
			"From: a@b.fr\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n"},
		{"BCC : x@y.fr\nTo: z@y.fr\nbcc:\n\nbody\n", "To: z@y.fr\n\nbody\n"},
		{"To: z@y.fr\r\nBcc-Extra: kept\r\n\r\n", "To: z@y.fr\r\nBcc-Extra: kept\r\n\r\n"},
		{"To: z@y.fr\r\nBcc: x@y.fr", "To: z@y.fr\r\n"},
		{"", ""},
	} {
		if got := string(WithoutBcc([]byte(tt.in))); got != tt.want {
			t.Errorf("WithoutBcc(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	raw := []byte("To: z@y.fr\r\n\r\nx")
	if got := WithoutBcc(raw); &got[0] != &raw[0] {
		t.Error("a message without Bcc is copied")
	}
}

// TestComposerNeverWritesBcc: the Bcc recipients are in the envelope only.
func TestComposerNeverWritesBcc(t *testing.T) {
	m := tMessage()
	m.Bcc = []*mail.Address{{Address: "279035121518989@patient.mssante.fr"}}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ToLower(raw), []byte("bcc")) || bytes.Contains(raw, []byte("279035121518989")) {
		t.Fatalf("the written message names the Bcc recipient:\n%s", raw)
	}
	if to := m.Envelope().To; !strings.Contains(strings.Join(to, ","), "279035121518989@patient.mssante.fr") {
		t.Fatalf("envelope %v", to)
	}
}

func TestWriteDraft(t *testing.T) {
	m := tMessage()
	m.Date = time.Date(2025, 1, 10, 8, 30, 0, 0, time.UTC)
	m.Bcc = []*mail.Address{{Address: "279035121518989@patient.mssante.fr"}, {Name: "Dr Été", Address: "ete@cabinet.mssante.fr"}}
	var draft bytes.Buffer
	if _, err := m.WriteDraft(&draft); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(draft.Bytes(), []byte("Bcc: <279035121518989@patient.mssante.fr>, ")) {
		t.Fatalf("%s", draft.Bytes())
	}
	wire, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(WithoutBcc(draft.Bytes()), wire) {
		t.Fatalf("WithoutBcc(draft) is not what WriteTo writes:\n%s\n---\n%s", WithoutBcc(draft.Bytes()), wire)
	}
	in, err := Read(bytes.NewReader(draft.Bytes()), nil)
	if err != nil || len(in.Header.Values("Bcc")) != 1 {
		t.Fatalf("%v", err)
	}
}

func FuzzWithoutBcc(f *testing.F) {
	f.Add([]byte("From: a@b.fr\r\nBcc: x@y.fr,\r\n z@y.fr\r\n\r\nbody"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out := WithoutBcc(raw)
		if len(out) > len(raw) {
			t.Fatal("grew")
		}
		// The body is untouched and no Bcc field is left in the header.
		end, outEnd := headerEnd(raw), headerEnd(out)
		if !bytes.Equal(raw[end:], out[outEnd:]) {
			t.Fatalf("body changed: %q -> %q", raw, out)
		}
		for _, line := range bytes.SplitAfter(out[:outEnd], []byte("\n")) {
			if len(line) > 0 && line[0] != ' ' && line[0] != '\t' && isField(line, "bcc") {
				t.Fatalf("Bcc left in %q", out)
			}
		}
	})
}
