package cda

import "fmt"

// National identifier prefixes (cda.md §4). The kit checks only the roots;
// Validate warns on an unknown prefix.
var (
	// idNatPSPrefixes are the allowed first characters of an idNat_PS extension.
	idNatPSPrefixes = "0134568"
	// idNatStructPrefixes are those of an idNat_Struct extension.
	idNatStructPrefixes = "01234"
)

// NewRPPS returns the national identifier of a professional from the RPPS
// number (11 digits, Luhn key): root 1.2.250.1.71.4.2.1, extension
// "8"+RPPS (cda.md §4). An already prefixed value (12 characters) is refused.
//
// The Luhn key is observed on every real RPPS but no ANS text states it
// (annuaire.md §6.2, UNCONFIRMED). To write a number that fails it anyway,
// build II{Root: OIDIdNatPS, Extension: "8" + rpps}: Validate checks the
// root, the prefix and the length, not the key.
func NewRPPS(rpps string) (II, error) {
	if len(rpps) != 11 || !allDigits(rpps) {
		return II{}, fmt.Errorf("%w: RPPS %q must have 11 digits", ErrNationalID, rpps)
	}
	if !luhnValid(rpps) {
		return II{}, fmt.Errorf("%w: RPPS %q has a wrong key (Luhn)", ErrNationalID, rpps)
	}
	return II{Root: OIDIdNatPS, Extension: "8" + rpps}, nil
}

// NewFINESS returns the national identifier of a health structure from its
// FINESS number (9 characters: digits, or 2A/2B then 7 digits for Corsica):
// root 1.2.250.1.71.4.2.2, extension "1"+FINESS. The key is not checked.
func NewFINESS(finess string) (II, error) {
	ok := len(finess) == 9 && (allDigits(finess) ||
		(finess[0] == '2' && (finess[1] == 'A' || finess[1] == 'B') && allDigits(finess[2:])))
	if !ok {
		return II{}, fmt.Errorf("%w: FINESS %q must have 9 characters", ErrNationalID, finess)
	}
	return II{Root: OIDIdNatStruct, Extension: "1" + finess}, nil
}

// NewSIRET returns the national identifier of a structure from its SIRET
// (14 digits): root 1.2.250.1.71.4.2.2, extension "3"+SIRET.
func NewSIRET(siret string) (II, error) {
	if len(siret) != 14 || !allDigits(siret) {
		return II{}, fmt.Errorf("%w: SIRET %q must have 14 digits", ErrNationalID, siret)
	}
	return II{Root: OIDIdNatStruct, Extension: "3" + siret}, nil
}

// luhnValid checks a Luhn (mod 10) key on a string of digits.
func luhnValid(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
