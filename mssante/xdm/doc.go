// Package xdm reads, writes and verifies IHE XDM archives (IHE_XDM.ZIP), the
// zip that carries CDA documents and their XDS metadata in an MSSanté message
// so that the receiving record system can file them for the right patient.
//
// The writer is strict: [Write] lays out INDEX.HTM, README.TXT and
// IHE_XDM/SUBSET01/METADATA.XML with the documents (DOC0001.XML, ...) exactly
// as IHE ITI TF-2 §3.32 (ITI-32, "Distribute Document Set on Media") and the
// French CI-SIS "Échange de documents de santé" require: upper-case ISO 9660
// level 1 names, one patient per archive, every classification and external
// identifier under its TF-3 §4.2.5 scheme UUID, SHA-1 hash and size from the
// stored bytes, UTC times, and the French extra metadata for delete/replace
// (urn:action:extraMetadataSlot, "D" or "C").
//
// The reader is tolerant: [Read] opens an archive from an io.ReaderAt, finds
// submission sets and documents case-insensitively, parses METADATA.XML
// (ebRIM 3.0, lcm:SubmitObjectsRequest) by namespace URI rather than prefix,
// attaches classifications by scheme UUID and XML nesting (the official ANS
// examples point classifiedObject at the wrong object) and exposes typed
// metadata. Defects it can live with become warnings in [Archive.Findings].
//
// The verifier, [Archive.Verify], returns levelled findings: integrity
// problems (hash or size mismatch, missing document, broken references,
// several patients) are errors; quirks of the official examples are
// warnings.
//
// Entry names are read in one canonical form before anything else
// (backslashes as slashes, no "./" or "//", no trailing dots or spaces, as
// Windows tools write them; compared case-insensitively; two entries with
// the same canonical name are an error), and the artefacts of operating
// systems and tools (__MACOSX/, .DS_Store, .svn/, Thumbs.db...) are
// skipped with one info finding, as importers ignore them.
//
// Reading is bounded: entry count, total uncompressed size, compression
// ratio, METADATA.XML size and XML depth are limited ([ReadOptions]), and
// entry names that could escape a directory, once canonical, are refused
// ([ErrUnsafePath]).
//
// References: IHE ITI TF-2 §3.32 (ITI-32), IHE ITI TF-3 §4.2-4.3 (XDS
// metadata, ebRIM 3.0), OASIS ebXML RegRep 3.0, ANS CI-SIS "Volet Échange de
// documents de santé" and its annex "Lien entre l'en-tête CDA et les
// métadonnées XDS", as summarised in the project's spec xdm.md.
package xdm
