package annuaire_test

import (
	"errors"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/finding"
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
		if got := annuaire.Luhn(s); got != want {
			t.Errorf("Luhn(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidateIdentifier(t *testing.T) {
	tests := []struct {
		kind  annuaire.IDKind
		value string
		level finding.Level
		n     int
	}{
		{annuaire.IDRPPS, "10001234567", finding.Warning, 1}, // placeholder, fails Luhn
		{annuaire.IDRPPS, "10000000001", finding.Warning, 1},
		{annuaire.IDRPPS, "1000123456", finding.Error, 1},
		{annuaire.IDRPPS, "10001234565", 0, 0},
		{annuaire.IDFINESS, "750712184", 0, 0},
		{annuaire.IDFINESS, "754567860", finding.Warning, 1},
		{annuaire.IDFINESS, "2A0000001", 0, 0}, // Corsica: no key check
		{annuaire.IDFINESS, "2C0000001", finding.Error, 1},
		{annuaire.IDSIREN, "356000000", 0, 0},
		{annuaire.IDSIREN, "356000001", finding.Error, 1},
		{annuaire.IDSIRET, "35600000000048", 0, 0},
		{annuaire.IDSIRET, "35600000012346", 0, 0}, // La Poste: digit sum multiple of 5
		{annuaire.IDSIRET, "35600000012345", finding.Error, 1},
		{annuaire.IDSIRET, "73282932000074", 0, 0},
		{annuaire.IDSIRET, "73282932000075", finding.Error, 1},
		{annuaire.IDADELI, "75100001x", finding.Error, 1},
	}
	for _, tt := range tests {
		fs := annuaire.ValidateIdentifier(tt.kind, tt.value)
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
	n, err := annuaire.ParsePersonID("810001234565")
	if err != nil || n.Kind != annuaire.IDRPPS || n.ID != "10001234565" || n.Structure {
		t.Fatalf("ParsePersonID = %+v, %v", n, err)
	}
	n, err = annuaire.ParsePersonID("0751000010")
	if err != nil || n.Kind != annuaire.IDADELI {
		t.Fatalf("ADELI person = %+v, %v", n, err)
	}
	// "0" is a cabinet ADELI for a structure.
	n, err = annuaire.ParseStructureID("1754567860")
	if err != nil || n.Kind != annuaire.IDFINESS || n.ID != "754567860" || !n.Structure {
		t.Fatalf("ParseStructureID = %+v, %v", n, err)
	}
	n, err = annuaire.ParseStructureID("410001234565001")
	if err != nil || n.Kind != annuaire.IDRPPSRang {
		t.Fatalf("RPPS-rang = %+v, %v", n, err)
	}
	n, err = annuaire.ParsePersonID("3750712184/ABC12")
	if err != nil || n.Kind != annuaire.IDFINESS || n.Internal != "ABC12" || n.String() != "3750712184/ABC12" {
		t.Fatalf("internal id = %+v, %v", n, err)
	}
	for _, bad := range []string{"", "9123", "81000123456", "3750712184/", "2ABC"} {
		_, err := annuaire.ParsePersonID(bad)
		if !errors.Is(err, annuaire.ErrInvalidIdentifier) {
			t.Errorf("ParsePersonID(%q) = %v, want ErrInvalidIdentifier", bad, err)
		}
	}
	if s, err := annuaire.PersonNationalID(annuaire.IDRPPS, "10001234565"); s != "810001234565" || err != nil {
		t.Errorf("PersonNationalID = %q, %v", s, err)
	}
	if s, err := annuaire.StructureNationalID(annuaire.IDSIRET, "73282932000074"); s != "373282932000074" || err != nil {
		t.Errorf("StructureNationalID = %q, %v", s, err)
	}
	if _, err := annuaire.StructureNationalID(annuaire.IDSIRET, "123"); err == nil {
		t.Error("short SIRET accepted")
	}
}

func FuzzParseNationalID(f *testing.F) {
	for _, s := range []string{"810001234565", "1754567860", "3750712184/x", "", "/", "4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := annuaire.ParsePersonID(s); err == nil && n.String() != s {
			t.Errorf("round trip %q -> %q", s, n.String())
		}
		annuaire.ParseStructureID(s)
		for k := annuaire.IDUnknown; k <= annuaire.IDInternal; k++ {
			annuaire.ValidateIdentifier(k, s)
		}
	})
}
