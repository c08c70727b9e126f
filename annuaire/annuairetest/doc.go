// Package annuairetest provides test doubles for package annuaire: a
// generator of realistic synthetic extraction files (Generate) and a local
// FHIR server that answers like the Annuaire Santé API v2 (NewFHIRServer).
//
// Every name, identifier and address it produces is fictitious: last names
// and towns are built from syllables, identifiers are random numbers with a
// valid check digit.
package annuairetest
