package xdm

import (
	"crypto/sha1"
	"encoding/hex"
	"io"
	"strings"
)

// Verify checks the archive as a receiver must (ITI-32 §3.32.4.1.2, xdm.md
// §9): it returns the reading findings (Archive.Findings) plus the
// integrity checks of each document: entry found, size and SHA-1 equal to
// the metadata (hash compared case-insensitively), not empty, readable
// (CRC). Integrity problems are errors; quirks of the official examples are
// warnings. Verify reads every document once and records the result in
// ArchiveDocument.Integrity; it does not change Archive.Findings.
func (a *Archive) Verify() Findings {
	out := append(Findings(nil), a.Findings...)
	for _, d := range a.Documents {
		out = append(out, d.verify()...)
	}
	return out
}

func (d *ArchiveDocument) verify() Findings {
	var fs Findings
	loc := d.Metadata + "#" + d.Entry.EntryUUID
	const spec = "ITI-32 §3.32.4.1.2"
	d.Integrity = Integrity{Checked: true}
	if d.file == nil {
		return nil // reported by Read (no URI, or not found)
	}
	d.Integrity.Found = true
	rc, err := d.file.Open()
	if err != nil {
		fs.Add(LevelError, "XDM-ZIP-READ", d.Path, "", "cannot read %s: %v", d.Path, err)
		return fs
	}
	h := sha1.New()
	n, err := io.Copy(h, rc)
	rc.Close()
	if err != nil {
		fs.Add(LevelError, "XDM-ZIP-READ", d.Path, "", "cannot read %s: %v", d.Path, err)
		return fs
	}
	d.Integrity.ActualSize = n
	d.Integrity.ActualHash = strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
	d.Integrity.SizeOK = d.Entry.Size == n
	d.Integrity.HashOK = strings.EqualFold(d.Entry.Hash, d.Integrity.ActualHash)
	if n == 0 {
		fs.Add(LevelError, "XDM-EMPTY", loc, "xdm.md §10", "document %s is empty", d.Path)
	}
	if !d.Integrity.SizeOK && d.Entry.Size >= 0 {
		fs.Add(LevelError, "XDM-SIZE", loc, spec, "document %s has %d bytes, the metadata says %d", d.Path, n, d.Entry.Size)
	}
	if !d.Integrity.HashOK && d.Entry.Hash != "" {
		fs.Add(LevelError, "XDM-HASH", loc, spec, "document %s has SHA-1 %s, the metadata says %s", d.Path, d.Integrity.ActualHash, d.Entry.Hash)
	}
	return fs
}
