package msc

import (
	"errors"
	"testing"

	"github.com/mssante-go/sdk/ins"
)

func qualified(m string, oid ins.OID) ins.Identity {
	return ins.Identity{INS: ins.INS{Matricule: ins.Matricule(m), OID: oid}, Status: ins.StatusQualified}
}

func TestAddress(t *testing.T) {
	tests := []struct {
		name string
		id   ins.Identity
		env  ins.Environment
		want string
		err  error
	}{
		{"test identity", qualified("279035121518989", ins.OIDNIRTest), ins.Test, "279035121518989@patient.mssante.fr", nil},
		{"corsica 2A", qualified("253072A07300443", ins.OIDNIR), ins.Production, "253072A07300443@patient.mssante.fr", nil},
		{"corsica 2B", qualified("253072B07300470", ins.OIDNIA), ins.AnyEnvironment, "253072B07300470@patient.mssante.fr", nil},
		{"bad key", qualified("288091234567823", ins.OIDNIR), ins.AnyEnvironment, "", ErrChecksum},
		{"13 digits", qualified("2790351215189", ins.OIDNIR), ins.AnyEnvironment, "", ErrLength},
		{"2C", qualified("253072C07300443", ins.OIDNIR), ins.AnyEnvironment, "", ErrFormat},
		{"INS-C", qualified("279035121518989", ins.OIDINSC), ins.AnyEnvironment, "", ErrNotINSOID},
		{"test in production", qualified("279035121518989", ins.OIDNIRTest), ins.Production, "", ErrWrongEnvironment},
		{"real in test", qualified("295109912611193", ins.OIDNIR), ins.Test, "", ErrWrongEnvironment},
		{"recovered", ins.Identity{INS: ins.INS{Matricule: "279035121518989", OID: ins.OIDNIRTest}, Status: ins.StatusRecovered}, ins.AnyEnvironment, "", ErrNotQualified},
		{"no status", ins.Identity{INS: ins.INS{Matricule: "279035121518989", OID: ins.OIDNIRTest}}, ins.AnyEnvironment, "", ErrNotQualified},
		{"zero", ins.Identity{}, ins.AnyEnvironment, "", ErrNotQualified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Address(tt.id, tt.env)
			if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Address = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
			if err != nil {
				var ae *AddressError
				if !errors.As(err, &ae) || ae.Error() == "" {
					t.Fatalf("error %T is not an *AddressError", err)
				}
			}
		})
	}
	var se *ins.StatusError
	_, err := Address(ins.Identity{Status: ins.StatusValidated}, ins.AnyEnvironment)
	if !errors.As(err, &se) || se.Status != ins.StatusValidated {
		t.Fatalf("want *ins.StatusError naming VALI, got %v", err)
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in   string
		want ins.Matricule
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
		got, err := ParseAddress(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParseAddress(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestIsPatient(t *testing.T) {
	for addr, want := range map[string][2]bool{ // {IsPatientAddress, IsPatient}
		"279035121518989@patient.mssante.fr":              {true, true},
		"Patient <279035121518989@Patient.MSSante.fr>":    {true, true},
		"288091234567823@patient.mssante.fr":              {true, false},
		TestAutoReplyAddress:                              {true, false},
		"marie.martin@medecin.mssante.fr":                 {false, false},
		"279035121518989@patient.mssante.fr.evil.example": {false, false},
		"": {false, false},
	} {
		if got := [2]bool{IsPatientAddress(addr), IsPatient(addr)}; got != want {
			t.Errorf("%q: IsPatientAddress, IsPatient = %v, want %v", addr, got, want)
		}
	}
	if m, ok := PatientSender(HeaderMap{"From": "D. PAT-TROIS <279035121518989@patient.mssante.fr>"}); !ok || m != "279035121518989" {
		t.Errorf("PatientSender = %q, %v", m, ok)
	}
	if _, ok := PatientSender(HeaderMap{"From": "pharmacie@pharmacie.mssante.fr"}); ok {
		t.Error("a professional is not a patient sender")
	}
}

func TestMatriculeAddress(t *testing.T) {
	if a, err := MatriculeAddress("2 79 03 51 215 189 89"); err != nil || a != "279035121518989@patient.mssante.fr" {
		t.Errorf("MatriculeAddress = %q, %v", a, err)
	}
	if _, err := MatriculeAddress("2790351215189"); !errors.Is(err, ErrLength) {
		t.Errorf("13 characters: %v", err)
	}
}
