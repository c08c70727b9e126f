package xdm

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/limit"
)

// Read opens an IHE XDM archive. It fails only when the archive cannot be
// used safely: not a zip (ErrNotZip), beyond a limit of opts
// (a *limit.Error: limit.Entries, limit.CompressionRatio, limit.EntrySize
// for METADATA.XML, limit.ArchiveBudget when the documents listed would not
// fit in the archive budget, or the budget of ReadOptions.Within) or with an
// unsafe entry name (ErrUnsafePath). Everything else — malformed METADATA.XML,
// missing files, defects of the official examples and of other vendors'
// archives — is reported in Archive.Findings. opts nil means the default
// limits.
//
// Entry names are read in their canonical form (backslashes as slashes,
// "./", "//" and the trailing dots and spaces of Windows names dropped;
// see Archive.Files), compared case-insensitively, as "/"-separated paths
// (directory entries are not required); two entries with the same
// canonical name are an error. Operating system and tool artefacts
// (__MACOSX/, .DS_Store, .svn/, Thumbs.db...) are skipped, with one info
// finding. Every IHE_XDM/<subset>/METADATA.XML is read; an IHE_XDM
// directory below the root is accepted with a warning, and an archive
// without any reads the <subset>/METADATA.XML files it has, with a warning.
func Read(r io.ReaderAt, size int64, opts *ReadOptions) (*Archive, error) {
	o := opts.get()
	if r == nil || size < 0 {
		return nil, fmt.Errorf("%w: no input", ErrNotZip)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%w: %v", ErrNotZip, err)
	}
	if err := checkLimits(zr, o); err != nil {
		return nil, err
	}
	a := &Archive{zr: zr, opts: o, budget: limit.NewBudget("IHE_XDM.ZIP", limit.ArchiveBudget, o.MaxTotalSize, o.Within)}
	byName := make(map[string]*entry, len(zr.File))
	var metas []*entry
	ignored := map[string]int{}
	var renamed []string
	for _, f := range zr.File {
		name, dir, err := canonicalEntryName(f.Name)
		if err != nil {
			return nil, err
		}
		if name == "" {
			continue // "./": the root itself
		}
		if family, ok := osMetadata(name); ok {
			a.Ignored = append(a.Ignored, f.Name)
			ignored[family]++
			continue
		}
		if name != f.Name {
			renamed = append(renamed, f.Name)
		}
		e := &entry{f: f, name: name, dir: dir}
		key := entryKey(name)
		if prev, dup := byName[key]; dup {
			a.Findings.Add(finding.Error, "XDM-ZIP-DUP", name, "ITI-32 §3.32.4.1.2",
				"entry %q has the same name as %q (names are compared case-insensitively, once normalised)", f.Name, prev.f.Name)
			continue
		}
		byName[key] = e
		a.entries = append(a.entries, e)
		a.Files = append(a.Files, name)
		if !dir && isMetadataPath(key) {
			metas = append(metas, e)
		}
	}
	a.noteNames(renamed, ignored)
	if len(metas) == 0 {
		metas = a.metadataWithoutRoot()
	}
	a.checkLayout(byName, metas)
	sort.Slice(metas, func(i, j int) bool { return metas[i].name < metas[j].name })
	for _, mf := range metas {
		if err := a.readMetadata(mf, byName); err != nil {
			return nil, err
		}
	}
	if err := a.planBudget(); err != nil {
		return nil, err
	}
	a.checkPatients()
	a.checkUnreferenced(metas)
	return a, nil
}

// entry is a zip entry under its canonical name (canonicalEntryName).
type entry struct {
	f    *zip.File
	name string // canonical, "/" at the end for a directory
	dir  bool
}

// noteNames reports, in one finding each, the entry names read in
// canonical form and the artefacts skipped.
func (a *Archive) noteNames(renamed []string, ignored map[string]int) {
	if len(renamed) > 0 {
		a.Findings.Add(finding.Warning, "XDM-NAME-FORM", renamed[0], "ITI-32 §3.32.4.1.2 (\"/\" separators)",
			"%d entry name(s) written with backslashes, \"./\", \"//\" or trailing dots or spaces, read in canonical form (first: %q)", len(renamed), renamed[0])
	}
	if len(ignored) > 0 {
		n := 0
		families := make([]string, 0, len(ignored))
		for f, c := range ignored {
			n += c
			families = append(families, f)
		}
		sort.Strings(families)
		a.Findings.Add(finding.Info, "XDM-OS-FILES", "", "ITI-32 §3.32.4.1.2 (other files are ignored)",
			"%d operating system or tool entries ignored (%s)", n, strings.Join(families, ", "))
	}
}

// metadataWithoutRoot finds the <subset>/METADATA.XML files of an archive
// that has no IHE_XDM directory (a Direct Project sample zips the subset
// directly), with a warning each.
func (a *Archive) metadataWithoutRoot() []*entry {
	var out []*entry
	for _, e := range a.entries {
		key := entryKey(e.name)
		elems := strings.Split(key, "/")
		if e.dir || len(elems) < 2 || elems[len(elems)-1] != MetadataName || slices.Contains(elems, RootDir) {
			continue
		}
		out = append(out, e)
		a.Findings.Add(finding.Warning, "XDM-ZIP-ROOT", e.name, "ITI-32 §3.32.4.1.2, xdm.md §1",
			"no %s directory: %s read as the metadata of submission set %s", RootDir, e.name, path.Dir(e.name))
	}
	return out
}

// planBudget refuses an archive whose listed documents, each listing
// counted, would exceed the budget: the zip reader never inflates an entry
// beyond the size it declares, so the sum of the declared sizes bounds what
// Verify will inflate. It also notes the entries a listing declares a CDA
// document, whose header Verify reads in the same pass.
func (a *Archive) planBudget() error {
	var planned int64
	a.cdaEntries = map[*zip.File]bool{}
	for _, d := range a.Documents {
		d.archive = a
		if d.file == nil {
			continue
		}
		const huge = 1 << 61 // no overflow: planned stays below 2^62
		planned = min(planned+int64(min(d.file.UncompressedSize64, huge)), huge)
		if isCDAType(d.Entry.MimeType) {
			a.cdaEntries[d.file] = true
		}
	}
	return a.budget.Check(planned)
}

// checkUnreferenced notes the files of a subset directory that no
// METADATA.XML describes (importers ignore them, ITI-32 §3.32.4.1.2).
func (a *Archive) checkUnreferenced(metas []*entry) {
	dirs := map[string]bool{}
	for _, m := range metas {
		dirs[entryKey(path.Dir(m.name))] = true
	}
	used := map[string]bool{}
	for _, d := range a.Documents {
		used[d.Path] = true
	}
	for _, e := range a.entries {
		if e.dir || used[e.name] || slices.Contains(metas, e) {
			continue
		}
		if dirs[entryKey(path.Dir(e.name))] {
			a.Findings.Add(finding.Info, "XDM-UNREFERENCED", e.name, "ITI-32 §3.32.4.1.2",
				"%s is described by no METADATA.XML (importers ignore it)", e.name)
		}
	}
}

// checkLimits refuses too many entries and suspicious compression ratios,
// from the central directory. The bytes inflated are
// bounded by the archive budget, counted while reading (archive/zip never
// reads more than the declared size of an entry, and the declared sizes of
// what is listed are checked against the budget before any document is
// inflated).
func checkLimits(zr *zip.Reader, o ReadOptions) error {
	if o.MaxEntries > 0 && len(zr.File) > o.MaxEntries {
		return &limit.Error{What: "IHE_XDM.ZIP", Limit: limit.Entries, Max: int64(o.MaxEntries), Value: int64(len(zr.File))}
	}
	for _, f := range zr.File {
		if o.MaxCompressionRatio > 0 && f.UncompressedSize64 >= ratioFloor &&
			(f.CompressedSize64 == 0 || f.UncompressedSize64/f.CompressedSize64 > uint64(o.MaxCompressionRatio)) {
			ratio := int64(f.UncompressedSize64)
			if f.CompressedSize64 > 0 {
				ratio = int64(f.UncompressedSize64 / f.CompressedSize64)
			}
			return &limit.Error{What: f.Name, Limit: limit.CompressionRatio, Max: int64(o.MaxCompressionRatio), Value: ratio}
		}
	}
	return nil
}

// UnsafePathError names the entry refused by Read; it wraps ErrUnsafePath.
type UnsafePathError struct {
	Name   string
	Reason string
}

func (e *UnsafePathError) Error() string {
	return fmt.Sprintf("%v %q: %s", ErrUnsafePath, e.Name, e.Reason)
}

func (e *UnsafePathError) Unwrap() error { return ErrUnsafePath }

// isMetadataPath reports whether an upper-cased entry name is
// [.../]IHE_XDM/<subset>/METADATA.XML.
func isMetadataPath(key string) bool {
	elems := strings.Split(key, "/")
	n := len(elems)
	return n >= 3 && elems[n-1] == MetadataName && elems[n-3] == RootDir && elems[n-2] != ""
}

// checkLayout reports on the root of the archive (xdm.md §1, §9.1 step 2).
func (a *Archive) checkLayout(byName map[string]*entry, metas []*entry) {
	const spec = "ITI-32 §3.32.4.1.2, xdm.md §1"
	for _, want := range []string{IndexName, ReadmeName} {
		e, ok := byName[want]
		switch {
		case !ok:
			a.Findings.Add(finding.Warning, "XDM-ZIP-ROOT", want, spec, "the archive has no %s at its root", want)
		case e.name != want:
			a.Findings.Add(finding.Warning, "XDM-NAME", e.name, spec, "%q should be written %s (upper case)", e.name, want)
		}
	}
	if len(metas) == 0 {
		a.Findings.Add(finding.Error, "XDM-ZIP-ROOT", RootDir, spec, "no %s/<subset>/%s in the archive", RootDir, MetadataName)
		return
	}
	if _, ok := byName[RootDir]; !ok && strings.Contains(entryKey(metas[0].name), RootDir+"/") {
		a.Findings.Add(finding.Info, "XDM-ZIP-DIR", RootDir+"/", spec, "the archive has no directory entries")
	}
	for _, m := range metas {
		if up := entryKey(m.name); strings.Contains(up, RootDir+"/") && !strings.HasPrefix(up, RootDir+"/") {
			a.Findings.Add(finding.Warning, "XDM-ZIP-ROOT", m.name, spec, "%s is not at the root of the archive", RootDir)
		}
	}
	for _, en := range a.entries {
		if !strings.Contains(entryKey(en.name), RootDir+"/") {
			continue
		}
		elems := strings.Split(strings.TrimSuffix(en.name, "/"), "/")
		for i, e := range elems {
			ok := IsLevel1Name(e)
			if i < len(elems)-1 || en.dir {
				ok = IsLevel1Dir(e)
			}
			if !ok {
				a.Findings.Add(finding.Warning, "XDM-NAME", en.name, "ITI-32 §3.32.4.1.2 (ISO 9660 level 1)",
					"%q is not an upper-case ISO 9660 level 1 name", e)
				break
			}
		}
	}
}

// readMetadata parses one METADATA.XML and resolves its documents.
func (a *Archive) readMetadata(me *entry, byName map[string]*entry) error {
	loc, mf := me.name, me.f
	if max := a.opts.MaxMetadataSize; max > 0 && mf.UncompressedSize64 > uint64(max) {
		return &limit.Error{What: loc, Limit: limit.EntrySize, Max: max, Value: int64(mf.UncompressedSize64)}
	}
	data, err := readEntry(mf, a.budget)
	if le, ok := errors.AsType[*limit.Error](err); ok {
		return le
	}
	if err != nil {
		a.Findings.Add(finding.Error, "XDM-ZIP-READ", loc, "", "cannot read %s: %v", loc, err)
		return nil
	}
	if !utf8.Valid(data) {
		a.Findings.Add(finding.Error, "XDM-META-XML", loc, "xdm.md §4", "%s is not UTF-8", loc)
		return nil
	}
	t, err := parseMetadata(data, a.opts.MaxXMLDepth)
	if err != nil {
		a.Findings.Add(finding.Error, "XDM-META-XML", loc, "xdm.md §4", "%s is not well-formed XML: %v", loc, err)
		return nil
	}
	m := &metaReader{loc: loc, opts: a.opts}
	m.read(t)
	a.Findings = append(a.Findings, m.fs...)
	a.SubmissionSets = append(a.SubmissionSets, m.sets...)
	dir := path.Dir(loc)
	for _, d := range m.docs {
		ad := &ArchiveDocument{Entry: *d, SubmissionSet: m.members[d], Metadata: loc}
		a.resolve(ad, dir, byName)
		a.Documents = append(a.Documents, ad)
	}
	return nil
}

// readEntry reads a whole entry, counted in budget; archive/zip stops at
// the declared size.
func readEntry(f *zip.File, budget *limit.Budget) ([]byte, error) {
	if err := budget.Check(int64(f.UncompressedSize64)); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf := make([]byte, 0, int(min(f.UncompressedSize64, 1<<20))) // the declared size may lie
	w := &sliceWriter{buf}
	if _, err := io.Copy(w, budget.Reader(rc)); err != nil {
		return nil, err
	}
	return w.b, nil
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// resolve finds the entry of a document: its URI relative to the directory
// of METADATA.XML (xdm.md §12 reader 5).
func (a *Archive) resolve(d *ArchiveDocument, dir string, byName map[string]*entry) {
	uri := d.Entry.URI
	id := d.Metadata + "#" + d.Entry.EntryUUID
	if uri == "" {
		return // reported as a missing URI
	}
	if strings.Contains(uri, "\\") {
		uri = strings.ReplaceAll(uri, "\\", "/")
		a.Findings.Add(finding.Warning, "XDM-URI", id, "ITI-32 §3.32.4.1.2",
			"URI %q uses backslashes, read as %q", d.Entry.URI, uri)
	}
	if strings.HasPrefix(uri, "/") || strings.Contains(uri, ":") {
		a.Findings.Add(finding.Error, "XDM-URI", id, "ITI-32 §3.32.4.1.2",
			"URI %q is not a relative path", uri)
		return
	}
	root := path.Dir(dir) // the IHE_XDM directory ("." for a subset at the root)
	target := path.Join(dir, uri)
	if root == "." && (target == ".." || strings.HasPrefix(target, "../")) ||
		root != "." && !strings.HasPrefix(strings.ToUpper(target)+"/", strings.ToUpper(root)+"/") {
		a.Findings.Add(finding.Error, "XDM-URI", id, "ITI-32 §3.32.4.1.2",
			"URI %q leaves the %s directory", uri, RootDir)
		return
	}
	if e, ok := byName[entryKey(target)]; ok && !e.dir {
		d.Path, d.file = e.name, e.f
		if e.name != target {
			a.Findings.Add(finding.Warning, "XDM-URI-CASE", id, "xdm.md §12 reader 2",
				"URI %q matches entry %q only case-insensitively", uri, e.name)
		}
		return
	}
	// Fallback: a URI that repeats the subset directory (DRIM: SS000001/KOS.DCM).
	first, _, _ := strings.Cut(uri, "/")
	if strings.EqualFold(first, path.Base(dir)) {
		alt := path.Join(root, uri)
		if e, ok := byName[entryKey(alt)]; ok && !e.dir {
			d.Path, d.file = e.name, e.f
			a.Findings.Add(finding.Warning, "XDM-URI-SUBSET", id, "xdm.md §12 reader 5",
				"URI %q repeats the subset directory; it should be relative to %s", uri, dir)
			return
		}
	}
	a.Findings.Add(finding.Error, "XDM-DOC-NOT-FOUND", id, "ITI-32 §3.32.4.1.2",
		"document %s: URI %q matches no entry of the archive (looked for %s)", d.Entry.EntryUUID, uri, target)
}

// patientIDs returns every patientId of the archive with where it is.
func (a *Archive) patientIDs() (ids, where []string) {
	for _, s := range a.SubmissionSets {
		if s.PatientID != "" {
			ids, where = append(ids, s.PatientID), append(where, "submission set "+s.EntryUUID)
		}
	}
	for _, d := range a.Documents {
		if d.Entry.PatientID != "" {
			ids, where = append(ids, d.Entry.PatientID), append(where, "document "+d.Entry.EntryUUID)
		}
	}
	return ids, where
}

// checkPatients reports an archive about several patients (xdm.md §1).
func (a *Archive) checkPatients() {
	ids, where := a.patientIDs()
	for i := 1; i < len(ids); i++ {
		if patientKey(ids[i]) != patientKey(ids[0]) {
			a.Findings.Add(finding.Error, "XDM-PATIENT-MULTI", "", "xdm.md §1 (one patient per archive)",
				"%s names patient %s but %s names %s", where[0], ids[0], where[i], ids[i])
			return
		}
	}
}

// PatientID returns the patientId (CX) shared by every submission set and
// document of the archive; ok is false when there is none or several.
func (a *Archive) PatientID() (cx string, ok bool) {
	ids, _ := a.patientIDs()
	if len(ids) == 0 {
		return "", false
	}
	for _, id := range ids[1:] {
		if patientKey(id) != patientKey(ids[0]) {
			return "", false
		}
	}
	return ids[0], true
}

// PatientINS returns the INS of the archive's single patient; ok is false
// when there are several patients or the patientId is not a valid INS (the
// official examples carry wrong keys: use PatientID for those).
func (a *Archive) PatientINS() (ins.INS, bool) {
	cx, ok := a.PatientID()
	if !ok {
		return ins.INS{}, false
	}
	i, err := ins.ParseCX(cx)
	return i, err == nil
}
