// Package idnat reads, checks and builds the French national identifiers of
// health professionals and structures: RPPS, ADELI, FINESS, SIREN, SIRET,
// and the national identifiers built from them with a one-digit prefix
// (idNat_PS / IDNPS for a person, root 1.2.250.1.71.4.2.1; idNat_Struct /
// IDNST for a structure, root 1.2.250.1.71.4.2.2), as the CDA header
// (package cda), the XDS metadata (mssante/xdm) and the national directory
// (package annuaire) carry them. It follows the SDK's spec/annuaire.md §6
// and spec/cda.md §4.
//
// # The check digit policy
//
// No ANS text states the check digit of these identifiers (annuaire.md
// §6.2). Luhn (mod 10, key included) is established for SIREN and SIRET
// (with the La Poste exception: the digits of a SIRET under SIREN 356000000
// add up to a multiple of 5), and only observed on every real RPPS, ADELI
// and FINESS number (the fictitious numbers of the guides fail it). The SDK
// applies one policy, the project's "strict writer, tolerant reader":
//
//   - Check, and the builders Person and Structure (and cda.NewRPPS,
//     cda.NewFINESS, cda.NewSIRET, which call them), refuse a wrong length,
//     a wrong character and a failed check digit, for every kind: what the
//     SDK writes is never a mistyped number. To write a number that fails
//     the observed rule anyway, build the string by hand.
//   - Validate, used by every reader (cda.Validate, the annuaire extraction
//     reader), reports a wrong length or character as an error, a failed
//     check digit as an error for SIREN and SIRET and as a warning for RPPS,
//     ADELI and FINESS: a document or directory entry with such a number is
//     still read.
//
// A FINESS of Corsica (2A, 2B) has no check digit the SDK knows
// (UNCONFIRMED): only its format is checked.
package idnat
