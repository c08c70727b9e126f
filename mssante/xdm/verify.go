package xdm

import (
	"archive/zip"
	"io"
	"strings"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
)

// Verify checks the archive as a receiver must (ITI-32 §3.32.4.1.2, xdm.md
// §9): it returns the reading findings (Archive.Findings) plus the
// integrity checks of each document: entry found, size and SHA-1 equal to
// the metadata (hash compared case-insensitively), not empty, readable
// (CRC). Integrity problems are errors; quirks of the official examples are
// warnings. Verify records the result in ArchiveDocument.Integrity; it does
// not change Archive.Findings.
//
// Each zip entry is inflated and hashed at most once, however many
// listings of METADATA.XML point at it: the listings share its digest. Every
// listing counts in the archive budget (ReadOptions.MaxTotalSize); when the
// budget runs out, Verify reports XDM-BUDGET, leaves the remaining documents
// unchecked and Exceeded returns the *limit.Error. Calling Verify again reads
// nothing more.
func (a *Archive) Verify() finding.List {
	out := append(finding.List(nil), a.Findings...)
	if a.opts.Progress != nil {
		// The bytes to inflate: each entry once, whatever its listings.
		a.progress = &progressReader{report: a.opts.Progress}
		seen := map[*zip.File]bool{}
		for _, d := range a.Documents {
			if d.file != nil && !seen[d.file] && a.states[d.file] == nil {
				seen[d.file] = true
				a.progress.total += int64(d.file.UncompressedSize64)
			}
		}
		defer func() { a.progress.flush(); a.progress = nil }()
	}
	for i, d := range a.Documents {
		fs, err := a.verify(d)
		out = append(out, fs...)
		if err != nil {
			out.Add(finding.Error, "XDM-BUDGET", d.Metadata+"#"+d.Entry.EntryUUID, "xdm.md §9",
				"%v: %d document(s) left unverified", err, len(a.Documents)-i)
			break
		}
	}
	return out
}

// progressReader counts the bytes Verify reads for ReadOptions.Progress.
type progressReader struct {
	r            io.Reader
	report       func(done, total int64)
	done, total  int64
	lastReported int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done-p.lastReported >= 1<<20 {
		p.lastReported = p.done
		p.report(p.done, p.total)
	}
	return n, err
}

// wrap has the reader count r; a nil *progressReader returns r.
func (p *progressReader) wrap(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	p.r = r
	return p
}

// flush reports the bytes read since the last report.
func (p *progressReader) flush() {
	if p != nil && p.done != p.lastReported {
		p.lastReported = p.done
		p.report(p.done, p.total)
	}
}

func (a *Archive) verify(d *ArchiveDocument) (finding.List, error) {
	var fs finding.List
	loc := d.Metadata + "#" + d.Entry.EntryUUID
	const spec = "ITI-32 §3.32.4.1.2"
	if d.file == nil {
		d.Integrity = Integrity{Checked: true}
		return nil, nil // reported by Read (no URI, or not found)
	}
	e, err := a.read(d, false)
	if err != nil {
		d.Integrity = Integrity{}
		return nil, err
	}
	d.Integrity = Integrity{Checked: true, Found: true}
	if e.err != nil {
		fs.Add(finding.Error, "XDM-ZIP-READ", d.Path, "", "cannot read %s: %v", d.Path, e.err)
		return fs, nil
	}
	n := e.size
	d.Integrity.ActualSize = n
	d.Integrity.ActualHash = e.sha1
	d.Integrity.SizeOK = d.Entry.Size == n
	d.Integrity.HashOK = strings.EqualFold(d.Entry.Hash, d.Integrity.ActualHash)
	if n == 0 {
		fs.Add(finding.Error, "XDM-EMPTY", loc, "xdm.md §10", "document %s is empty", d.Path)
	}
	if !d.Integrity.SizeOK && d.Entry.Size >= 0 {
		fs.Add(finding.Error, "XDM-SIZE", loc, spec, "document %s has %d bytes, the metadata says %d", d.Path, n, d.Entry.Size)
	}
	if !d.Integrity.HashOK && d.Entry.Hash != "" {
		fs.Add(finding.Error, "XDM-HASH", loc, spec, "document %s has SHA-1 %s, the metadata says %s", d.Path, d.Integrity.ActualHash, d.Entry.Hash)
	}
	if isCDAType(d.Entry.MimeType) && (e.header != nil || e.headerErr != nil) {
		fs = append(fs, d.crossCheck(e.header, e.headerErr, loc)...)
	}
	return fs, nil
}

// isCDAType reports whether a mimeType is the one of a CDA document.
func isCDAType(mt string) bool {
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "text/xml" || mt == "application/xml" || mt == "application/xslt+xml"
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// crossCheck compares the metadata with the CDA header (xdm.md §9.1 step
// 6, §12 reader 8): the patient's INS and the document id.
func (d *ArchiveDocument) crossCheck(h *cda.Header, err error, loc string) finding.List {
	var fs finding.List
	const spec = "xdm.md §8, §9.1"
	if err != nil {
		fs.Add(finding.Info, "XDM-CDA-HEADER", loc, spec, "document %s is not a readable CDA header (%v); not cross-checked", d.Path, err)
		return fs
	}
	e := &d.Entry
	cdaINS := h.Patient.Identity.INS
	switch {
	case cdaINS.IsZero() && e.PatientID != "" && ins.OID(cxAuthority(e.PatientID)).Valid():
		fs.Add(finding.Warning, "XDM-CDA-PATIENT", loc, spec+", error code 903",
			"document %s: patientId is an INS but the CDA recordTarget carries none", d.Path)
	case !cdaINS.IsZero() && e.PatientID != "" &&
		patientKey(e.PatientID) != strings.ToUpper(string(cdaINS.Matricule))+"|"+string(cdaINS.OID):
		fs.Add(finding.Error, "XDM-CDA-PATIENT", loc, spec+", error code 904",
			"document %s: patientId %s does not match the CDA recordTarget INS %s (%s)", d.Path, e.PatientID, cdaINS.Matricule, cdaINS.OID)
	}
	if id := h.ID.String(); id != "" && e.UniqueID != "" && id != e.UniqueID {
		fs.Add(finding.Warning, "XDM-CDA-ID", loc, spec,
			"document %s: uniqueId %s is not the CDA ClinicalDocument/id %s", d.Path, e.UniqueID, id)
	}
	if c := h.Code; c.Code != "" && e.TypeCode.Code != "" {
		fs = append(fs, typeCodeFindings(d.Path, loc, e.TypeCode.Code, e.TypeCode.CodeSystem, c.Code, c.CodeSystem)...)
	}
	return fs
}

// typeCodeFindings compares the typeCode of the metadata with the code of
// the CDA document, telling a different code from the same code under
// another name of its coding scheme: XDS metadata written by other vendors
// name the scheme by a label ("LOINC") where the CDA, and French metadata,
// give its OID (2.16.840.1.113883.6.1).
func typeCodeFindings(doc, loc, metaCode, metaScheme, cdaCode, cdaSystem string) finding.List {
	var fs finding.List
	const spec = "xdm.md §8, §9.1"
	same, label := sameCodeSystem(metaScheme, cdaSystem)
	switch {
	case metaCode != cdaCode && same:
		fs.Add(finding.Warning, "XDM-CDA-TYPE", loc, spec,
			"document %s: the metadata typeCode %s differs from the CDA document code %s (both %s)", doc, metaCode, cdaCode, label)
	case metaCode != cdaCode:
		fs.Add(finding.Warning, "XDM-CDA-TYPE", loc, spec,
			"document %s: the metadata typeCode %s (%s) differs from the CDA document code %s (%s)", doc, metaCode, metaScheme, cdaCode, cdaSystem)
	case !same:
		fs.Add(finding.Warning, "XDM-CDA-TYPE", loc, spec,
			"document %s: typeCode %s is in coding scheme %s in the metadata but %s in the CDA document", doc, metaCode, metaScheme, cdaSystem)
	case metaScheme != cdaSystem:
		fs.Add(finding.Info, "XDM-CDA-TYPE-SCHEME", loc, spec,
			"document %s: typeCode %s agrees with the CDA document code; the metadata name its coding scheme %q, the CDA its OID %s (the same code system, %s)",
			doc, metaCode, metaScheme, cdaSystem, label)
	}
	return fs
}

// codeSystemLabels are the names other vendors' XDS metadata give, in
// codingScheme, to code systems the CDA names by OID; keys are lower case.
var codeSystemLabels = map[string]struct{ oid, name string }{
	"loinc":     {cda.OIDLOINC, "LOINC"},
	"snomed-ct": {"2.16.840.1.113883.6.96", "SNOMED CT"},
	"snomed ct": {"2.16.840.1.113883.6.96", "SNOMED CT"},
	"snomedct":  {"2.16.840.1.113883.6.96", "SNOMED CT"},
	"dcm":       {"1.2.840.10008.2.16.4", "DICOM"},
}

// sameCodeSystem reports whether two coding schemes name the same code
// system (equal, or a known label and its OID), and a name for it.
func sameCodeSystem(a, b string) (bool, string) {
	name := func(s string) (string, string) {
		if l, ok := codeSystemLabels[strings.ToLower(strings.TrimSpace(s))]; ok {
			return l.oid, l.name
		}
		for _, l := range codeSystemLabels {
			if l.oid == s {
				return l.oid, l.name
			}
		}
		return strings.TrimSpace(s), s
	}
	oa, na := name(a)
	ob, _ := name(b)
	return oa == ob, na
}
