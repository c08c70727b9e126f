// Package testfiles describes the public test files that the SDK's tests read
// (the layout of ../shared/testdata) and fetches them anywhere else.
//
// Each file is listed in manifest.txt (embedded) with its size, its SHA-256
// and where it comes from: a file of a public GitHub repository at a pinned
// commit, a file derived reproducibly from one (a code block of a Markdown
// page, a CSV made from a FHIR ConceptMap), or, for the few files that no
// public repository holds, "shared" (they exist only in ../shared/testdata).
// manifest.txt is generated from ../shared/testdata and the hand-written rules
// of sources.txt by Generate (`make testdata-manifest`).
//
// Fetch downloads the files into a cache folder (CacheDir), verifies every
// byte against the manifest and refuses a file whose hash differs; a second
// run keeps the files already verified. The command
// `go run ./internal/testfiles/cmd/testfiles` (`make testdata`) drives it.
package testfiles

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed manifest.txt
var manifestText []byte

// Source kinds.
const (
	KindGitHub = "github" // a file of a public GitHub repository at a commit
	KindDerive = "derive" // made by a transform from a GitHub file
	KindShared = "shared" // only in ../shared/testdata: no public repository holds it
)

// Source says where a file comes from.
type Source struct {
	Kind      string // KindGitHub, KindDerive or KindShared
	Transform string // KindDerive: the name of the transform (see Derive)
	Repo      string // "owner/name"
	Commit    string // the pinned commit (or tag, for a source that names none)
	Path      string // the path in the repository
	Note      string // KindShared: why it cannot be fetched
}

// String returns the source in its manifest form:
// github:OWNER/REPO@COMMIT:PATH, derive:TRANSFORM:github:... or shared:NOTE.
func (s Source) String() string {
	switch s.Kind {
	case KindShared:
		return KindShared + ":" + s.Note
	case KindDerive:
		return KindDerive + ":" + s.Transform + ":" + Source{Kind: KindGitHub, Repo: s.Repo, Commit: s.Commit, Path: s.Path}.String()
	}
	return KindGitHub + ":" + s.Repo + "@" + s.Commit + ":" + s.Path
}

// ParseSource parses the manifest form of a source.
func ParseSource(s string) (Source, error) {
	kind, rest, _ := strings.Cut(s, ":")
	switch kind {
	case KindShared:
		return Source{Kind: KindShared, Note: rest}, nil
	case KindDerive:
		tr, gh, ok := strings.Cut(rest, ":")
		if !ok || tr == "" {
			return Source{}, fmt.Errorf("source %q: want derive:TRANSFORM:github:...", s)
		}
		src, err := ParseSource(gh)
		if err != nil || src.Kind != KindGitHub {
			return Source{}, fmt.Errorf("source %q: want derive:TRANSFORM:github:...", s)
		}
		src.Kind, src.Transform = KindDerive, tr
		return src, nil
	case KindGitHub:
		repoAt, p, ok := strings.Cut(rest, ":")
		repo, commit, ok2 := strings.Cut(repoAt, "@")
		if !ok || !ok2 || strings.Count(repo, "/") != 1 || commit == "" || p == "" || !validRel(p) {
			return Source{}, fmt.Errorf("source %q: want github:OWNER/REPO@COMMIT:PATH", s)
		}
		return Source{Kind: KindGitHub, Repo: repo, Commit: commit, Path: p}, nil
	}
	return Source{}, fmt.Errorf("source %q: unknown kind %q (github, derive or shared)", s, kind)
}

// Entry is one file of the test data.
type Entry struct {
	Path   string // slash-separated, relative to the test data folder
	Size   int64
	SHA256 string // lower-case hex
	Source Source
}

// Manifest is the list of the test files, in path order.
type Manifest struct {
	Entries []Entry
	hash    string
}

// Hash returns the first 16 hex digits of the SHA-256 of the manifest text:
// it names the cache folder, so that a new manifest never reuses old files.
func (m *Manifest) Hash() string { return m.hash }

// Lookup returns the entry of a path, or nil.
func (m *Manifest) Lookup(p string) *Entry {
	for i := range m.Entries {
		if m.Entries[i].Path == p {
			return &m.Entries[i]
		}
	}
	return nil
}

// Embedded returns the committed manifest (manifest.txt).
func Embedded() (*Manifest, error) { return ParseManifest(manifestText) }

// ParseManifest reads the text form of a manifest: comment lines start with
// '#', other lines are PATH, SIZE, SHA256 and SOURCE separated by tabs.
func ParseManifest(b []byte) (*Manifest, error) {
	sum := sha256.Sum256(b)
	m := &Manifest{hash: hex.EncodeToString(sum[:])[:16]}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("manifest line %d: %d fields, want 4 (path, size, sha256, source)", n, len(f))
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("manifest line %d: bad size %q", n, f[1])
		}
		if len(f[2]) != 64 || strings.Trim(f[2], "0123456789abcdef") != "" {
			return nil, fmt.Errorf("manifest line %d: bad SHA-256 %q", n, f[2])
		}
		if !validRel(f[0]) {
			return nil, fmt.Errorf("manifest line %d: bad path %q", n, f[0])
		}
		if seen[f[0]] {
			return nil, fmt.Errorf("manifest line %d: %s listed twice", n, f[0])
		}
		seen[f[0]] = true
		src, err := ParseSource(f[3])
		if err != nil {
			return nil, fmt.Errorf("manifest line %d: %w", n, err)
		}
		m.Entries = append(m.Entries, Entry{Path: f[0], Size: size, SHA256: f[2], Source: src})
	}
	return m, sc.Err()
}

// Format returns the text form of a manifest.
func (m *Manifest) Format() []byte {
	var b bytes.Buffer
	b.WriteString("# The public test files (the layout of ../shared/testdata): path, size, SHA-256, source.\n")
	b.WriteString("# Generated by `make testdata-manifest` from ../shared/testdata and sources.txt: do not edit.\n")
	for _, e := range m.Entries {
		fmt.Fprintf(&b, "%s\t%d\t%s\t%s\n", e.Path, e.Size, e.SHA256, e.Source)
	}
	return b.Bytes()
}

// validRel reports whether p is a clean relative slash path that stays
// inside its folder (a manifest never writes outside the cache).
func validRel(p string) bool {
	return p != "" && !strings.ContainsAny(p, "\t\n\\") && path.Clean(p) == p &&
		!path.IsAbs(p) && p != ".." && !strings.HasPrefix(p, "../")
}

// CacheDir returns the folder where Fetch puts the files of this manifest:
// $XDG_CACHE_HOME/mssante-sdk/testdata/HASH (~/.cache/... when unset).
func (m *Manifest) CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("testfiles: no cache folder: %w", err)
	}
	return filepath.Join(base, "mssante-sdk", "testdata", m.hash), nil
}
