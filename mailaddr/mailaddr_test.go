package mailaddr

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"paul.durand@hopital.mssante.fr", "paul.durand@hopital.mssante.fr"},
		{"Paul.Durand@Hopital.MSSante.FR", "Paul.Durand@hopital.mssante.fr"},
		{"279035121518989@patient.mssante.fr", "279035121518989@patient.mssante.fr"},
		{"x@interop-mssante.apicrypt.org", "x@interop-mssante.apicrypt.org"},
		{"a+tag@b.mssante.fr", "a+tag@b.mssante.fr"},
		{"x@médecin.fr", "x@xn--mdecin-bva.fr"},
		{"x@xn--mdecin-bva.fr", "x@xn--mdecin-bva.fr"},
	} {
		got, err := Normalize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeRefuses(t *testing.T) {
	for _, in := range []string{
		"", "x", "@b.fr", "x@", "x@b", "x@b.", "x@.b.fr", "x@b..fr", "x@[127.0.0.1]", "x@1.2.3.4",
		"x@gmail.com\u00a0",            // trailing NBSP
		"x@gmail.com ", " x@gmail.com", // spaces
		"x@gmail.com\r\nRCPT TO:<y@evil.fr>", // injection
		"\u212aelvin@medecin.mssante.fr",     // Kelvin sign in the local part
		"x@medecin.mssante.fr\u212a",         // and in the domain (folds to k)
		"x@MÉDECIN.fr",                       // a capital that IDNA would map
		"x@ｍｅｄｅｃｉｎ.fr",                       // full-width letters
		"x%gmail.com@relay.mssante.fr", "gmail.com!x@relay.mssante.fr",
		`"x y"@b.mssante.fr`, `a\b@c.fr`, ".x@b.fr", "x.@b.fr", "x..y@b.fr", "x@b_c.fr", "x@-b.fr",
		"é@b.fr", "x\x00@b.fr", "x@b.fr\u200b", "x@b\xff.fr",
		strings.Repeat("a", 65) + "@b.fr",
		"x@" + strings.Repeat("a", 64) + ".fr",
		"x@" + strings.Repeat(strings.Repeat("a", 60)+".", 5) + "fr",
	} {
		got, err := Normalize(in)
		var me *Error
		if err == nil || !errors.Is(err, ErrInvalid) || !errors.As(err, &me) || me.Address != in {
			t.Errorf("Normalize(%q) = %q, %v; want an *Error", in, got, err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"paul.durand@hopital.mssante.fr", "x@médecin.fr", "x%y@z.fr", "\u212a@k.fr", "x@b.fr\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Normalize(s)
		if err != nil {
			return
		}
		// The wire form is its own normal form, ASCII, without what routes
		// or breaks an SMTP command.
		again, err := Normalize(out)
		if err != nil || again != out {
			t.Fatalf("Normalize(%q) = %q, then %q, %v", s, out, again, err)
		}
		for i := 0; i < len(out); i++ {
			if c := out[i]; c <= ' ' || c >= 0x7f || c == '%' || c == '!' || c == '<' || c == '>' || c == '"' {
				t.Fatalf("Normalize(%q) = %q holds %q", s, out, c)
			}
		}
		if strings.Count(out, "@") != 1 || len(out) > MaxAddress {
			t.Fatalf("Normalize(%q) = %q", s, out)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	for range b.N {
		if _, err := Normalize("Paul.Durand@Hopital.MSSante.fr"); err != nil {
			b.Fatal(err)
		}
	}
}
