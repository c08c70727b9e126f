package cda

import "github.com/mssante-go/sdk/idnat"

// NewRPPS returns the national identifier of a professional from the RPPS
// number (11 digits): root 1.2.250.1.71.4.2.1, extension "8"+RPPS (cda.md
// §4). An already prefixed value (12 characters) is refused. The number is
// checked with idnat.Check, the SDK's one check digit policy: a wrong length
// or character and a failed Luhn key are refused (*idnat.Error, ErrFormat or
// ErrKey), while Validate only warns about the key of a document it reads
// (the key is observed on every real RPPS, but no ANS text states it,
// annuaire.md §6.2). To write a number that fails it anyway, build
// II{Root: idnat.OIDPerson, Extension: "8" + rpps}.
func NewRPPS(rpps string) (II, error) {
	return national(idnat.Person(idnat.RPPS, rpps))
}

// NewFINESS returns the national identifier of a health structure from its
// FINESS number (9 characters: digits, or 2A/2B then 7 digits for Corsica):
// root 1.2.250.1.71.4.2.2, extension "1"+FINESS, checked like NewRPPS.
func NewFINESS(finess string) (II, error) {
	return national(idnat.Structure(idnat.FINESS, finess))
}

// NewSIRET returns the national identifier of a structure from its SIRET
// (14 digits): root 1.2.250.1.71.4.2.2, extension "3"+SIRET, checked like
// NewRPPS.
func NewSIRET(siret string) (II, error) {
	return national(idnat.Structure(idnat.SIRET, siret))
}

func national(n idnat.NationalID, err error) (II, error) {
	if err != nil {
		return II{}, err
	}
	return II{Root: n.OID(), Extension: n.String()}, nil
}
