package ins

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"279035121518989", "2 95 10 99 126 111 93", "253072B07300470", "253072a07300443",
		"253072C07300443", "6546546546546703", "", "2", "2A", "           ", "\x00\xff", "27903512151898\u00e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrLength) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrChecksum) {
				t.Fatalf("Parse(%q): unexpected error %v", s, err)
			}
			if m != "" {
				t.Fatalf("Parse(%q) returned %q with an error", s, m)
			}
			_ = err.Error()
			return
		}
		if len(m) != 15 || strings.ContainsAny(string(m), " ab") {
			t.Fatalf("Parse(%q) = %q: not normalised", s, m)
		}
		// Normalised output parses to itself, and the key is the computed one.
		again, err := Parse(string(m))
		if err != nil || again != m {
			t.Fatalf("Parse(%q) = %q, %v: not idempotent", m, again, err)
		}
		k, err := Key(string(m[:13]))
		if err != nil || FormatKey(k) != m.Key() {
			t.Fatalf("Key(%q) = %d, %v; matricule key %s", m[:13], k, err, m.Key())
		}
		// The forms read back.
		i := INS{Matricule: m, OID: OIDNIRTest}
		if got, err := ParseCX(i.CX()); err != nil || got != i {
			t.Fatalf("ParseCX(CX(%v)) = %v, %v", i, got, err)
		}
		if got, err := ParseMSCAddress(i.MSCAddress()); err != nil || got != m {
			t.Fatalf("ParseMSCAddress(%q) = %v, %v", i.MSCAddress(), got, err)
		}
	})
}

func FuzzParseCX(f *testing.F) {
	for _, s := range []string{"279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH", "^^^&", "a^b^c^&&&^x", "~~", "ATHENEA^PI~x^^^&1.2.250.1.213.1.4.8&ISO^INS"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if i, err := ParseCX(s); err == nil {
			if i.Validate() != nil {
				t.Fatalf("ParseCX(%q) = %v, which does not validate", s, i)
			}
		}
		_, _ = ParsePID3(s)
		_, _ = ParseMSCAddress(s)
		_, _ = ParseOID(s)
	})
}
