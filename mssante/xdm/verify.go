package xdm

import (
	"crypto/sha1"
	"encoding/hex"
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
// warnings. Verify reads every document once and records the result in
// ArchiveDocument.Integrity; it does not change Archive.Findings.
func (a *Archive) Verify() finding.List {
	out := append(finding.List(nil), a.Findings...)
	var pr *progressReader
	if a.opts.Progress != nil {
		pr = &progressReader{report: a.opts.Progress}
		for _, d := range a.Documents {
			if d.file != nil {
				pr.total += int64(d.file.UncompressedSize64)
			}
		}
	}
	for _, d := range a.Documents {
		out = append(out, d.verify(pr)...)
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

func (d *ArchiveDocument) verify(pr *progressReader) finding.List {
	var fs finding.List
	loc := d.Metadata + "#" + d.Entry.EntryUUID
	const spec = "ITI-32 §3.32.4.1.2"
	d.Integrity = Integrity{Checked: true}
	if d.file == nil {
		return nil // reported by Read (no URI, or not found)
	}
	d.Integrity.Found = true
	zr, err := d.file.Open()
	if err != nil {
		fs.Add(finding.Error, "XDM-ZIP-READ", d.Path, "", "cannot read %s: %v", d.Path, err)
		return fs
	}
	defer pr.flush()
	rc := pr.wrap(zr)
	h := sha1.New()
	var hdr *cda.Header
	var hdrErr error
	var n int64
	if isCDAType(d.Entry.MimeType) {
		cr := &countingReader{r: io.TeeReader(rc, h)}
		hdr, hdrErr = cda.ReadHeader(cr)
		n = cr.n
	}
	m, err := io.Copy(h, rc)
	n += m
	zr.Close()
	if err != nil {
		fs.Add(finding.Error, "XDM-ZIP-READ", d.Path, "", "cannot read %s: %v", d.Path, err)
		return fs
	}
	d.Integrity.ActualSize = n
	d.Integrity.ActualHash = strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
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
	if hdr != nil || hdrErr != nil {
		fs = append(fs, d.crossCheck(hdr, hdrErr, loc)...)
	}
	return fs
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
