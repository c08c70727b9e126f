package cda

import (
	"bytes"
	"os"
	"testing"

	"github.com/mssante-go/sdk/cda/internal/valuesetgen"
	"github.com/mssante-go/sdk/internal/testenv"
)

// TestValueSetsUpToDate regenerates the tables from the kit files and
// compares them with the committed valuesets_gen.go.
func TestValueSetsUpToDate(t *testing.T) {
	src, err := valuesetgen.Generate(testenv.Shared(t, "cda", "valuesets"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("valuesets_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, committed) {
		t.Fatal("valuesets_gen.go is stale: run go generate ./cda")
	}
}

func TestValueSets(t *testing.T) {
	for _, tt := range []struct {
		set, system, code string
		ok                bool
	}{
		{JDVTypeCode, OIDLOINC, "11502-2", true},
		{JDVTypeCode, "1.2.250.1.213.1.1.4.12", "CERT_DECL", true},
		{JDVTypeCode, "1.2.3", "11502-2", false},
		{JDVFacilityType, "1.2.250.1.71.4.2.4", "SA07", true},
		{JDVPracticeSetting, "1.2.250.1.213.1.1.4.9", "AMBULATOIRE", true},
		{JDVGender, OIDGender, "UN", true},
		{JDVHL7Confidential, OIDConfidentiality, "V", true},
		{JDVHL7Confidential, OIDConfidentiality, "X", false},
		{"1.2.250.1.213.1.1.5.471", OIDLOINC, "11488-4", true}, // by OID
	} {
		vs := LookupValueSet(tt.set)
		if vs == nil {
			t.Fatalf("no value set %s", tt.set)
		}
		if _, ok := vs.Lookup(tt.system, tt.code); ok != tt.ok {
			t.Errorf("%s: %s|%s = %v", tt.set, tt.system, tt.code, ok)
		}
	}
	if LookupValueSet("nope") != nil {
		t.Error("unknown value set found")
	}
	if len(vsJ07.Concepts) != 114 || len(vsJ02.Concepts) != 69 {
		t.Errorf("J07 %d, J02 %d concepts", len(vsJ07.Concepts), len(vsJ02.Concepts))
	}
	for _, tt := range []struct {
		code  Code
		class string
	}{
		{Code{Code: "11502-2", CodeSystem: OIDLOINC}, "10"},
		{Code{Code: "E1762", CodeSystem: "ASTM"}, "urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1"},
	} {
		if c, ok := ClassCodeFor(tt.code); !ok || c.Code != tt.class {
			t.Errorf("ClassCodeFor(%v) = %v, %v", tt.code, c, ok)
		}
	}
	if _, ok := ClassCodeFor(Code{Code: "nope", CodeSystem: OIDLOINC}); ok {
		t.Error("class for an unknown type")
	}
}

// TestParseTS covers the HL7 TS forms.
func TestParseTS(t *testing.T) {
	for in, want := range map[string]string{
		"2021":                   "2021-01-01T00:00:00Z",
		"20210401":               "2021-04-01T00:00:00Z",
		"202104011347":           "2021-04-01T13:47:00Z",
		"20210401134745+0100":    "2021-04-01T13:47:45+01:00",
		"20210401134745.25-0530": "2021-04-01T13:47:45.25-05:30",
		"2021040113":             "2021-04-01T13:00:00Z",
	} {
		got, err := parseTS(in)
		if err != nil || got.Format("2006-01-02T15:04:05.999999999Z07:00") != want {
			t.Errorf("parseTS(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "20211", "2021-04-01", "20210431", "20210401+01", "20210401+9900", "2021.5", "20210401134745.+0100"} {
		if _, err := parseTS(bad); err == nil {
			t.Errorf("parseTS(%q) accepted", bad)
		}
	}
}
