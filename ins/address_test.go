package ins

import (
	"errors"
	"testing"
)

func qualified(m string, oid OID) Identity {
	return Identity{INS: INS{Matricule: Matricule(m), OID: oid}, Status: StatusQualified}
}

func TestIdentityMSCAddress(t *testing.T) {
	tests := []struct {
		name string
		id   Identity
		env  Environment
		want string
		err  error
	}{
		{"test identity", qualified("279035121518989", OIDNIRTest), Test, "279035121518989@patient.mssante.fr", nil},
		{"corsica 2A", qualified("253072A07300443", OIDNIR), Production, "253072A07300443@patient.mssante.fr", nil},
		{"corsica 2B", qualified("253072B07300470", OIDNIA), AnyEnvironment, "253072B07300470@patient.mssante.fr", nil},
		{"bad key", qualified("288091234567823", OIDNIR), AnyEnvironment, "", ErrChecksum},
		{"13 digits", qualified("2790351215189", OIDNIR), AnyEnvironment, "", ErrLength},
		{"2C", qualified("253072C07300443", OIDNIR), AnyEnvironment, "", ErrFormat},
		{"INS-C", qualified("279035121518989", OIDINSC), AnyEnvironment, "", ErrNotINSOID},
		{"test in production", qualified("279035121518989", OIDNIRTest), Production, "", ErrWrongEnvironment},
		{"real in test", qualified("295109912611193", OIDNIR), Test, "", ErrWrongEnvironment},
		{"recovered", Identity{INS: INS{Matricule: "279035121518989", OID: OIDNIRTest}, Status: StatusRecovered}, AnyEnvironment, "", ErrNotQualified},
		{"no status", Identity{INS: INS{Matricule: "279035121518989", OID: OIDNIRTest}}, AnyEnvironment, "", ErrNotQualified},
		{"zero", Identity{}, AnyEnvironment, "", ErrNotQualified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.id.MSCAddress(tt.env)
			if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("MSCAddress = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
			if err != nil {
				var ae *AddressError
				if !errors.As(err, &ae) || ae.Error() == "" {
					t.Fatalf("error %T is not an *AddressError", err)
				}
			}
		})
	}
	var se *StatusError
	_, err := (&Identity{Status: StatusValidated}).MSCAddress(AnyEnvironment)
	if !errors.As(err, &se) || se.Status != StatusValidated {
		t.Fatalf("want *StatusError naming VALI, got %v", err)
	}
}

func TestParseMSCAddress(t *testing.T) {
	tests := []struct {
		in   string
		want Matricule
		err  error
	}{
		{"279035121518989@patient.mssante.fr", "279035121518989", nil},
		{"279035121518989@PATIENT.MSSANTE.FR", "279035121518989", nil},
		{"<279035121518989@patient.mssante.fr>", "279035121518989", nil},
		{" < 279035121518989@patient.mssante.fr > ", "279035121518989", nil},
		{"Dominique PAT-TROIS <279035121518989@patient.mssante.fr>", "279035121518989", nil},
		{`"PAT-TROIS, Dominique" <279035121518989@patient.mssante.fr>`, "279035121518989", nil},
		{"253072a07300443@patient.mssante.fr", "253072A07300443", nil},
		{"2790351215189@patient.mssante.fr", "", ErrLength},
		{"288091234567823@patient.mssante.fr", "", ErrChecksum},
		{"marie.martin@medecin.mssante.fr", "", ErrNotPatientAddress},
		{TestAutoReplyAddress, "", ErrLength},
		{"", "", ErrMalformedAddress},
		{"no-at-sign", "", ErrMalformedAddress},
		{"@patient.mssante.fr", "", ErrMalformedAddress},
		{"Name <>", "", ErrMalformedAddress},
	}
	for _, tt := range tests {
		got, err := ParseMSCAddress(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParseMSCAddress(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestIsPatientAddress(t *testing.T) {
	for addr, want := range map[string][2]bool{ // {IsPatientAddress, a valid matricule}
		"279035121518989@patient.mssante.fr":              {true, true},
		"Patient <279035121518989@Patient.MSSante.fr>":    {true, true},
		"288091234567823@patient.mssante.fr":              {true, false},
		TestAutoReplyAddress:                              {true, false},
		"marie.martin@medecin.mssante.fr":                 {false, false},
		"279035121518989@patient.mssante.fr.evil.example": {false, false},
		"": {false, false},
	} {
		_, err := ParseMSCAddress(addr)
		if got := [2]bool{IsPatientAddress(addr), err == nil}; got != want {
			t.Errorf("%q: IsPatientAddress, ParseMSCAddress = %v, want %v", addr, got, want)
		}
	}
}

func TestMatriculeMSCAddress(t *testing.T) {
	m, err := Parse("2 79 03 51 215 189 89")
	if err != nil || m.MSCAddress() != "279035121518989@patient.mssante.fr" {
		t.Errorf("MSCAddress = %q, %v", m.MSCAddress(), err)
	}
}
