// Package cda reads, writes and validates CDA R2 documents with the French
// CI-SIS header ("Structuration minimale"): the clinical documents that
// travel over MSSanté in IHE_XDM archives and feed the DMP.
//
// # Model
//
// Header is the CI-SIS header: document id, type code (JDV_J07), title,
// times, confidentiality, language, setId and versionNumber, the patient
// with its INS and traits (an ins.Identity), authors (a person or a device)
// with their national identifiers, custodian, legal authenticator,
// information recipients, the service event with its performer and practice
// setting, the encounter with its healthcare facility type, and the related
// document of a replacement. NewRPPS, NewFINESS and NewSIRET build the
// national identifiers from typed numbers (cda.md §4) with package idnat,
// the SDK's one home of RPPS, FINESS, SIRET... and of their check digit policy.
//
// # Writing
//
// Build writes a level 1 document (a PDF or plain text body, base64) with
// exactly the three templateIds of cda.md §3, UTF-8, no schemaLocation, and
// the same bytes for the same input. The body is encoded while it is
// copied. Build refuses an INS whose identity is not qualified and complete
// (ins.Identity.CheckComplete), and checks the header it writes with the
// rules of Validate. NewReplacement prepares the next version of a document
// (new id, same setId, versionNumber + 1, relatedDocument RPLC).
//
// # Reading
//
// ReadHeader and Parse read any CI-SIS document, level 1 or structured,
// including auto-presentable documents (an XSLT stylesheet embedding the
// ClinicalDocument). Elements are matched by namespace URI, never by
// prefix; processing instructions and xsi:schemaLocation are ignored. The
// reader stops at the body: Document.Body streams the decoded PDF of a level
// 1 document from the input without holding the base64 text in memory.
// Inputs beyond the limits of ReadOptions (depth, header size, document
// size) give a *limit.Error; other failures are ErrSyntax, ErrEncoding or
// ErrNotCDA.
//
// # Validation
//
// Validate reimplements in Go the header asserts of the ANS test kit
// (schematron ASIP-STRUCT-MIN-StrucMin) described in cda.md §2-§7: element
// cardinalities and order, templateIds, value sets JDV_J07, J02, J04, J143
// and HL7 Confidentiality, INS traits when an INS root is present, the INS
// key (checked with package ins), national identifier roots and prefixes,
// dates, and the level 1 body. It returns levelled findings
// (package finding) with a stable rule id, an XPath-like location and the
// spec section. The value sets are embedded at build time from the kit files
// (go generate, cda/internal/gen); the package reads no file at run time.
//
// # XDS
//
// The XDS DocumentEntry of a document is derived from its Header by package
// mssante/xdm (xdm.EntryFromHeader); this package keeps the value-set data
// that mapping reads (ClassCodeFor, ASS_X04).
//
// Specifications: HL7 CDA R2 (POCD_MT000040); ANS CI-SIS "Structuration
// minimale des documents de santé" and the test kit ansforge/TestContenuCDA-3-0
// (commit 7cd489b3); IHE XDS-SD; see docs/cda.md and the team specs cda.md,
// ins.md and xdm.md.
package cda
