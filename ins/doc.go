// Package ins implements the INS (Identité Nationale de Santé), the national
// health identifier that every French health document and patient mailbox
// carries.
//
// An INS is three things together: the matricule (the person's NIR, or an NIA
// for a person who has none), the OID of the authority that assigned it, and
// the traits of the identity (birth name, birth given names, birth date, sex,
// birthplace). The specification this package follows is the SDK's
// spec/ins.md, itself drawn from INSEE (décret 82-103), the CNAM NIR
// validator, the FR Core FHIR profiles, the ANS CDA test kit and the
// Référentiel socle MSSanté #2.
//
// # Matricule and key
//
// Parse normalises a matricule (it removes spaces and upper-cases 2a/2b) and
// checks, in this order, its length (ErrLength), its characters (ErrFormat:
// digits everywhere, 2A/2B for Corsica in positions 6-7) and its key
// (ErrChecksum): key = 97 − (N mod 97), with 2A read as 19 and 2B as 18. It
// never fixes a key and never rejects on the sex digit, the month or the
// place of birth, which special numbers and NIAs may not follow; Coherence
// reports those as warnings against the traits.
//
// # Authorities
//
// Four OIDs are INS authorities: OIDNIR (.4.8), OIDNIA (.4.9), OIDNIRTest
// (.4.10) and OIDNIRDemo (.4.11). ParseOID refuses any other, with a specific
// error for the legacy INS-C (.4.2), which is not an INS. Environment lets a
// production system refuse test identities and a test system refuse real ones.
//
// # When an INS may be used: qualified identities only
//
// Only an identity whose status is QUAL (identité qualifiée: retrieved from
// the INSi teleservice and checked against a high-trust identity document) may
// carry the INS. PROV, VALI and RECUP identities must not: no CDA document
// with an INS root, no XDS patientId with an INS OID, no Mon Espace Santé
// address, and X-MSS-INS is "N". The emitters of Identity (CX, PID3, II,
// MSCAddress) enforce this and return a *StatusError wrapping
// ErrNotQualified; the INS value's own formatters (INS.CX...) format what
// they are given, for data that was already checked or is being relayed.
//
// # Forms
//
//   - XDS patientId (CX): 279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH (ParseCX)
//   - HL7 v2 PID-3: 279035121518989^^^NS&1.2.250.1.213.1.4.10&ISO^INS (ParsePID3)
//   - CDA recordTarget/patientRole/id: root = OID, extension = matricule (FromII)
//   - Mon Espace Santé address: 279035121518989@patient.mssante.fr
//     (Identity.MSCAddress, ParseMSCAddress, IsPatientAddress): the SDK's one
//     home of patient addresses, which packages mssante and msc call
//
// The readers match the authority on its OID, never on the namespace text.
package ins
