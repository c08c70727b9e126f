package xdm

import (
	"strings"
)

// canonicalEntryName is the one place where the reader turns a zip entry
// name into the name it compares, resolves and reports. Archives from the
// field write names as Windows tools do; the canonical name is:
//
//   - "\" read as "/" (Windows zippers: "SUBSET01\DOC0001.XML");
//   - empty elements ("a//b"), "." elements and a leading "./" dropped;
//   - the dots and spaces that end an element dropped, as Windows drops
//     them ("DOC0001.XML." and "DOC0001.XML " are "DOC0001.XML").
//
// dir reports a directory entry (a name ending with a separator). Names are
// compared case-insensitively, through entryKey. What could escape an
// extraction directory is refused after normalising, with an
// *UnsafePathError: an absolute path ("/x", "\x", "\\server\share"), a drive
// letter ("C:"), a ".." element, an element made only of dots and spaces
// (Windows reads "..." and ". ." as "." or ".."), a control character, an
// empty name.
func canonicalEntryName(name string) (canon string, dir bool, err error) {
	bad := func(reason string) (string, bool, error) {
		return "", false, &UnsafePathError{Name: name, Reason: reason}
	}
	if name == "" {
		return bad("empty name")
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] == 0x7f {
			return bad("control character")
		}
	}
	s := strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(s, "/") {
		return bad("absolute path")
	}
	dir = strings.HasSuffix(s, "/")
	elems := strings.Split(s, "/")
	out := elems[:0]
	for i, e := range elems {
		switch e {
		case "", ".":
			continue
		case "..":
			return bad("parent directory (..)")
		}
		t := strings.TrimRight(e, ". ")
		if t == "" {
			return bad("element made of dots and spaces")
		}
		if i == 0 && len(t) == 2 && t[1] == ':' {
			return bad("drive letter")
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		if dir {
			return "", true, nil // "./": the root itself
		}
		return bad("empty name")
	}
	canon = strings.Join(out, "/")
	if dir {
		canon += "/"
	}
	return canon, dir, nil
}

// entryKey is the key under which canonical names are compared: names are
// case-insensitive (xdm.md §12 reader 2).
func entryKey(canon string) string { return strings.ToUpper(strings.TrimSuffix(canon, "/")) }

// osMetadata reports whether a canonical entry name is an artefact of an
// operating system or a tool, which importers ignore and the reader skips:
// macOS resource forks and folder data (__MACOSX/, "._*", .DS_Store,
// .Spotlight-V100/, .Trashes/, .fseventsd/), Windows folder data
// (Thumbs.db, ehthumbs.db, desktop.ini), version-control folders (.svn/,
// .git/, .hg/, CVS/) and editor swap files (".*.swp"). It returns the
// family of the artefact, for the one finding that counts them.
func osMetadata(canon string) (family string, ok bool) {
	elems := strings.Split(strings.TrimSuffix(canon, "/"), "/")
	for i, e := range elems {
		le := strings.ToLower(e)
		switch le {
		case "__macosx", ".spotlight-v100", ".trashes", ".fseventsd":
			return e + "/", true
		case ".svn", ".git", ".hg", "cvs":
			if i < len(elems)-1 || strings.HasSuffix(canon, "/") {
				return e + "/", true
			}
		}
		if i < len(elems)-1 {
			continue
		}
		switch {
		case le == ".ds_store", le == "thumbs.db", le == "ehthumbs.db", le == "desktop.ini":
			return e, true
		case strings.HasPrefix(le, "._"):
			return "._*", true
		case strings.HasPrefix(le, ".") && (strings.HasSuffix(le, ".swp") || strings.HasSuffix(le, ".swo")):
			return ".*.swp", true
		}
	}
	return "", false
}
