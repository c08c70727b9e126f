// Package finding is the levelled validation result that every validator of
// the SDK returns: cda.Validate, xdm.Verify, mssante.Lint, msc.Policy.Check,
// annuaire.ParseWhitelist, ins.Coherence... A Finding says how serious a
// problem is (Info, Warning, Error), which rule it breaks (a stable id such
// as "CDA-HDR-003", "XDM-HASH" or "ECO.2.4.1"), where (an XPath-like or entry
// path) and which specification the rule comes from.
//
// Validators return a List rather than one boolean: a tolerant reader keeps
// going past warnings, and a caller decides what to refuse (List.HasErrors).
// The package imports nothing of the SDK, so every package can use it.
package finding
