// Package cdamutate makes mutants of a valid CDA R2 document: copies that
// each break one assert of the official "Structuration minimale" schematron
// (internal/cdakit), labelled with the assert they target. They are the
// corpus on which the Go validator of package cda is compared with the kit
// (issue 13): for each mutant, the kit must report its target assert, and the
// Go rule that mirrors it must report an error too.
//
// Mutants are made from the kit's own catalogue, not written by hand one by
// one. For each rule, [Generate] finds the node its context selects in the base
// document, or, when the base has none (no informant in the official level 1
// example, say), grows one from the context path and completes it from the
// rules that then apply to it (required children and attributes, codes from
// the value sets), so that only the target assert should fail. Then it breaks
// the assert according to the shape of its test: the art-decor generator
// writes a few dozen shapes (cardinalities, required attributes, datatypes,
// value sets, fixed values, closed templates); the datatype rules of the
// DTr1 library and the CI-SIS specific asserts get one hand-written breaking
// each. A mutation that takes the node out of its rule's context (the rule
// would no longer fire) is refused: the assert cannot fail there.
//
// XML is edited with github.com/beevik/etree; rule contexts are evaluated by a
// small XPath subset (xpath.go), enough for the StrucMin contexts. Whether a
// mutant does break its target is for the kit to say: see TestKitAgreement in
// package cda, which runs the kit on them and checks that cda.Validate
// reports the same asserts. CatalogueTable writes the catalogue of
// docs/cda-kit.md.
package cdamutate
