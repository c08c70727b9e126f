package idnat_test

import (
	"errors"
	"testing"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/idnat"
)

func TestLuhn(t *testing.T) {
	for s, want := range map[string]bool{
		"750712184":      true,  // AP-HP EJ FINESS (annuaire.md §6.2)
		"754567860":      false, // the IG's fictitious FINESS
		"35600000000048": true,  // La Poste head office
		"":               false,
		"12a":            false,
		"0":              true,
	} {
		if got := idnat.Luhn(s); got != want {
			t.Errorf("Luhn(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		kind  idnat.Kind
		value string
		level finding.Level
		n     int
	}{
		{idnat.RPPS, "10001234567", finding.Warning, 1}, // placeholder, fails Luhn
		{idnat.RPPS, "10000000001", finding.Warning, 1},
		{idnat.RPPS, "1000123456", finding.Error, 1},
		{idnat.RPPS, "10001234565", 0, 0},
		{idnat.FINESS, "750712184", 0, 0},
		{idnat.FINESS, "754567860", finding.Warning, 1},
		{idnat.FINESS, "2A0000001", 0, 0}, // Corsica: no key check
		{idnat.FINESS, "2C0000001", finding.Error, 1},
		{idnat.SIREN, "356000000", 0, 0},
		{idnat.SIREN, "356000001", finding.Error, 1},
		{idnat.SIRET, "35600000000048", 0, 0},
		{idnat.SIRET, "35600000012346", 0, 0}, // La Poste: digit sum multiple of 5
		{idnat.SIRET, "35600000012345", finding.Error, 1},
		{idnat.SIRET, "73282932000074", 0, 0},
		{idnat.SIRET, "73282932000075", finding.Error, 1},
		{idnat.ADELI, "75100001x", finding.Error, 1},
	}
	for _, tt := range tests {
		fs := idnat.Validate(tt.kind, tt.value)
		if len(fs) != tt.n {
			t.Errorf("%s %s: %d findings %v, want %d", tt.kind, tt.value, len(fs), fs, tt.n)
			continue
		}
		if tt.n > 0 && fs[0].Level != tt.level {
			t.Errorf("%s %s: level %v, want %v", tt.kind, tt.value, fs[0].Level, tt.level)
		}
	}
}

func TestNationalIDs(t *testing.T) {
	n, err := idnat.ParsePerson("810001234565")
	if err != nil || n.Kind != idnat.RPPS || n.ID != "10001234565" || n.Structure {
		t.Fatalf("ParsePerson = %+v, %v", n, err)
	}
	n, err = idnat.ParsePerson("0751000010")
	if err != nil || n.Kind != idnat.ADELI {
		t.Fatalf("ADELI person = %+v, %v", n, err)
	}
	// "0" is a cabinet ADELI for a structure.
	n, err = idnat.ParseStructure("1754567860")
	if err != nil || n.Kind != idnat.FINESS || n.ID != "754567860" || !n.Structure {
		t.Fatalf("ParseStructure = %+v, %v", n, err)
	}
	n, err = idnat.ParseStructure("410001234565001")
	if err != nil || n.Kind != idnat.RPPSRang {
		t.Fatalf("RPPS-rang = %+v, %v", n, err)
	}
	n, err = idnat.ParsePerson("3750712184/ABC12")
	if err != nil || n.Kind != idnat.FINESS || n.Internal != "ABC12" || n.String() != "3750712184/ABC12" {
		t.Fatalf("internal id = %+v, %v", n, err)
	}
	for _, bad := range []string{"", "9123", "81000123456", "3750712184/", "2ABC"} {
		_, err := idnat.ParsePerson(bad)
		if !errors.Is(err, idnat.ErrFormat) {
			t.Errorf("ParsePerson(%q) = %v, want ErrFormat", bad, err)
		}
	}
	if n, err := idnat.Person(idnat.RPPS, "10001234565"); n.String() != "810001234565" || n.OID() != idnat.OIDPerson || err != nil {
		t.Errorf("Person = %q, %v", n, err)
	}
	if n, err := idnat.Structure(idnat.SIRET, "73282932000074"); n.String() != "373282932000074" || n.OID() != idnat.OIDStructure || err != nil {
		t.Errorf("Structure = %q, %v", n, err)
	}
	if _, err := idnat.Structure(idnat.SIRET, "123"); !errors.Is(err, idnat.ErrFormat) {
		t.Errorf("short SIRET: %v", err)
	}
}

// TestCheckPolicy: the builders refuse every failed key, the readers only
// warn about the observed ones (the package's policy).
func TestCheckPolicy(t *testing.T) {
	for _, tt := range []struct {
		kind  idnat.Kind
		value string
		check error         // Check, and so the builders
		level finding.Level // Validate's finding, when check is ErrKey
	}{
		{idnat.RPPS, "10001234565", nil, 0},
		{idnat.RPPS, "10001234567", idnat.ErrKey, finding.Warning}, // the guides' placeholder
		{idnat.ADELI, "751000012", idnat.ErrKey, finding.Warning},
		{idnat.FINESS, "754567860", idnat.ErrKey, finding.Warning}, // the IG's fictitious FINESS
		{idnat.FINESS, "2A0000001", nil, 0},                        // Corsica: no known key
		{idnat.SIREN, "356000001", idnat.ErrKey, finding.Error},
		{idnat.SIRET, "35600000012346", nil, 0}, // La Poste
		{idnat.SIRET, "73282932000075", idnat.ErrKey, finding.Error},
		{idnat.RPPSRang, "10001234567001", idnat.ErrKey, finding.Warning},
		{idnat.RPPS, "1000123456", idnat.ErrFormat, 0},
	} {
		err := idnat.Check(tt.kind, tt.value)
		if !errors.Is(err, tt.check) || (tt.check == nil) != (err == nil) {
			t.Errorf("Check(%s, %s) = %v, want %v", tt.kind, tt.value, err, tt.check)
		}
		if tt.check == idnat.ErrKey {
			fs := idnat.Validate(tt.kind, tt.value)
			if len(fs) != 1 || fs[0].Rule != idnat.RuleKey || fs[0].Level != tt.level {
				t.Errorf("Validate(%s, %s) = %v, want one %v %s", tt.kind, tt.value, fs, tt.level, idnat.RuleKey)
			}
			if tt.kind == idnat.RPPS || tt.kind == idnat.ADELI {
				if _, err := idnat.Person(tt.kind, tt.value); !errors.Is(err, idnat.ErrKey) {
					t.Errorf("Person(%s, %s) = %v, want ErrKey", tt.kind, tt.value, err)
				}
			}
		}
	}
}

func FuzzParseNational(f *testing.F) {
	for _, s := range []string{"810001234565", "1754567860", "3750712184/x", "", "/", "4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := idnat.ParsePerson(s); err == nil && n.String() != s {
			t.Errorf("round trip %q -> %q", s, n.String())
		}
		idnat.ParseStructure(s)
		for k := idnat.Unknown; k <= idnat.Internal; k++ {
			idnat.Validate(k, s)
		}
	})
}
