// Package annuaire finds MSSanté addresses and checks that an address lies
// inside the MSSanté trust space (espace de confiance).
//
// It covers the three public sources described in the SDK's annuaire
// specification (docs/annuaire.md):
//
//   - the daily open-data extraction of MSSanté mailboxes
//     (Extraction_Correspondance_MSSante, a '|'-separated UTF-8 file, possibly
//     wrapped in a ZIP): ExtractionReader streams it, LoadIndex builds an
//     in-memory Index (lookup by address, person, structure, domain, and an
//     accent-insensitive name search), and Directory swaps a reloaded index
//     atomically and reports what changed (Diff);
//   - the liste blanche (listeblanchemssante.xml): ParseWhitelist reads it
//     tolerantly under budgets and verifies its enveloped XML signature
//     (XML-DSig, exclusive canonicalisation, RSA-SHA256; the signer chained
//     to caller-supplied IGC Santé roots, RFC 5280), WhitelistRefresher
//     keeps it up to date and refuses a list that is untrusted, incomplete,
//     older or shrunk, keeping the last good copy;
//   - the Annuaire Santé FHIR API v2 (HL7 FHIR R4 search, Bundle paging):
//     FHIRClient, with the ESANTE-API-KEY header, caller-supplied roots, a
//     client-side rate limit and retries on 429/5xx.
//
// Resolver is the small interface the index, the FHIR client and a Chain of
// both implement. RecipientChecker is what transports plug in (it satisfies
// mssante.RecipientChecker without this package importing mssante): it
// refuses domains outside the liste blanche and only warns about addresses
// that the directory does not know, since a red-listed address is valid but
// never published.
//
// The identifiers attached to mailboxes (RPPS, ADELI, FINESS, SIREN, SIRET and
// the national IDNPS/IDNST prefixes) are read and checked by package idnat,
// with the SDK's one check digit policy.
//
// Specifications: the SDK's annuaire.md (extraction format §1, FHIR API §3,
// liste blanche §4, identifiers §6) and mssante.md §10, which cite the ANS
// sources; HL7 FHIR R4 (search, Bundle paging with "next" links,
// OperationOutcome); RFC 5322 addr-spec, in its simple dot-atom form, for
// addresses; RFC 4514 string DNs for the operator certificates.
//
// Points the specification marks UNCONFIRMED (value encodings of the
// identifier-type columns, the literal of "Dématérialisation", the FHIR
// identifier systems) are kept in tables and options that are easy to change.
package annuaire
