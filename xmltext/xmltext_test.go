package xmltext_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/xmltext"
)

func TestCheck(t *testing.T) {
	for s, bad := range map[string]int{
		"Compte rendu":      -1,
		"é\t\n\r\uFFFD ok":  -1,
		"a\x01b":            1,
		"DOC\x00":           3,
		"Compte rendu \xff": 13,
		"x\uFFFE":           1,
		"\uFFFF":            0,
	} {
		err := xmltext.Check(s)
		var e *xmltext.Error
		switch {
		case bad < 0 && err != nil:
			t.Errorf("Check(%q) = %v", s, err)
		case bad >= 0 && (!errors.As(err, &e) || !errors.Is(err, xmltext.ErrInvalid) || e.Offset != bad):
			t.Errorf("Check(%q) = %v, want an *Error at %d", s, err, bad)
		}
	}
}

// TestEscapeRoundTrip: what Escape writes reads back unchanged with
// encoding/xml, in text and in an attribute.
func TestEscapeRoundTrip(t *testing.T) {
	const v = "a & b < c > d \"e\" 'f'\tg\nh\ri \uFFFD é"
	var b strings.Builder
	b.WriteString(`<x a="`)
	if err := xmltext.Escape(&b, v, true); err != nil {
		t.Fatal(err)
	}
	b.WriteString(`">`)
	if err := xmltext.Escape(&b, v, false); err != nil {
		t.Fatal(err)
	}
	b.WriteString(`</x>`)
	var got struct {
		A    string `xml:"a,attr"`
		Text string `xml:",chardata"`
	}
	if err := xml.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatal(err)
	}
	if got.A != v || got.Text != v {
		t.Fatalf("read back %q and %q from %s", got.A, got.Text, b.String())
	}
	var w strings.Builder
	if err := xmltext.Escape(&w, "bad\x01", false); !errors.Is(err, xmltext.ErrInvalid) || w.Len() != 0 {
		t.Fatalf("Escape of a control character: %v, wrote %q", err, w.String())
	}
}

func ExampleCheck() {
	err := xmltext.Check("PAT-TROIS\x01")
	fmt.Println(errors.Is(err, xmltext.ErrInvalid))
	var b strings.Builder
	_ = xmltext.Escape(&b, `Dupont & "fils"`, true)
	fmt.Println(b.String())
	// Output:
	// true
	// Dupont &amp; &quot;fils&quot;
}
