package xdm

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/finding"
)

func TestCanonicalEntryName(t *testing.T) {
	tests := []struct {
		in, want string
		dir      bool
		unsafe   string // the UnsafePathError reason, "" when accepted
	}{
		{"IHE_XDM/SUBSET01/DOC0001.XML", "IHE_XDM/SUBSET01/DOC0001.XML", false, ""},
		{`SUBSET01\DOCUMENT.xml`, "SUBSET01/DOCUMENT.xml", false, ""},
		{`IHE_XDM\SUBSET01\`, "IHE_XDM/SUBSET01/", true, ""},
		{"./IHE_XDM//SUBSET01/./DOC0001.XML", "IHE_XDM/SUBSET01/DOC0001.XML", false, ""},
		{"IHE_XDM/SUBSET01/DOC0001.XML. ", "IHE_XDM/SUBSET01/DOC0001.XML", false, ""},
		{"IHE_XDM /SUBSET01./METADATA.XML", "IHE_XDM/SUBSET01/METADATA.XML", false, ""},
		{"IHE_XDM/", "IHE_XDM/", true, ""},
		{".svn/entries", ".svn/entries", false, ""},
		{"./", "", true, ""},
		{"", "", false, "empty name"},
		{".", "", false, "empty name"},
		{"/etc/passwd", "", false, "absolute path"},
		{`\etc\passwd`, "", false, "absolute path"},
		{`\\server\share\x`, "", false, "absolute path"},
		{"C:/X", "", false, "drive letter"},
		{`C:\X`, "", false, "drive letter"},
		{"IHE_XDM/../../etc/passwd", "", false, "parent directory (..)"},
		{`IHE_XDM\..\X`, "", false, "parent directory (..)"},
		{"IHE_XDM/.../X", "", false, "element made of dots and spaces"},
		{"IHE_XDM/. ./X", "", false, "element made of dots and spaces"},
		{"A/B\x00", "", false, "control character"},
		{"A\nB", "", false, "control character"},
	}
	for _, tt := range tests {
		got, dir, err := canonicalEntryName(tt.in)
		if tt.unsafe != "" {
			var pe *UnsafePathError
			if !errors.As(err, &pe) || !errors.Is(err, ErrUnsafePath) || pe.Reason != tt.unsafe || pe.Name != tt.in {
				t.Errorf("%q: %q, %v; want refused (%s)", tt.in, got, err, tt.unsafe)
			}
			continue
		}
		if err != nil || got != tt.want || dir != tt.dir {
			t.Errorf("%q: %q dir=%v err=%v; want %q dir=%v", tt.in, got, dir, err, tt.want, tt.dir)
		}
	}
}

func TestOSMetadata(t *testing.T) {
	for name, want := range map[string]string{
		"__MACOSX/":                          "__MACOSX/",
		"__MACOSX/IHE_XDM/._METADATA.XML":    "__MACOSX/",
		"IHE_XDM/SUBSET01/.DS_Store":         ".DS_Store",
		"IHE_XDM/._DOC0001.XML":              "._*",
		"IHE_XDM/.svn/entries":               ".svn/",
		"IHE_XDM/SUBSET/.svn/":               ".svn/",
		"Thumbs.db":                          "Thumbs.db",
		"IHE_XDM/desktop.ini":                "desktop.ini",
		"IHE_XDM/SUBSET01/.METADATA.XML.swp": ".*.swp",
		"IHE_XDM/SUBSET01/DOC0001.XML":       "",
		"IHE_XDM/SUBSET01/CVS.XML":           "",
		"IHE_XDM/SUBSET01/SVN":               "",
	} {
		got, ok := osMetadata(name)
		if got != want || ok != (want != "") {
			t.Errorf("osMetadata(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}

// FuzzCanonicalEntryName: whatever the name, the canonical form is safe
// (relative, no "." or ".." element, no backslash, no empty element, no
// element ending with a dot or a space, no control character) and stable.
func FuzzCanonicalEntryName(f *testing.F) {
	for _, s := range []string{"IHE_XDM/SUBSET01/DOC0001.XML", `SUBSET01\DOC.xml`, "./a//b/./c. /", "../x", `\\s\x`, "C:x", "a/.../b", "__MACOSX/._A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		canon, dir, err := canonicalEntryName(name)
		if err != nil {
			if !errors.Is(err, ErrUnsafePath) {
				t.Fatalf("%q: %v", name, err)
			}
			return
		}
		osMetadata(canon)
		if canon == "" {
			return
		}
		if strings.HasPrefix(canon, "/") || strings.Contains(canon, `\`) || strings.Contains(canon, "//") || dir != strings.HasSuffix(canon, "/") {
			t.Fatalf("%q → %q", name, canon)
		}
		for i, e := range strings.Split(strings.TrimSuffix(canon, "/"), "/") {
			if e == "" || e == "." || e == ".." || strings.HasSuffix(e, ".") || strings.HasSuffix(e, " ") || i == 0 && len(e) == 2 && e[1] == ':' {
				t.Fatalf("%q → %q: element %q", name, canon, e)
			}
		}
		for _, c := range []byte(canon) {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("%q → %q: control character", name, canon)
			}
		}
		if again, _, err := canonicalEntryName(canon); err != nil || again != canon {
			t.Fatalf("%q → %q → %q, %v: not stable", name, canon, again, err)
		}
	})
}

// rezip rewrites an archive with each entry renamed by rename (an empty
// name drops the entry), then adds extra entries.
func rezip(t *testing.T, b []byte, rename func(string) string, extra ...zipEntry) []byte {
	t.Helper()
	var out []zipEntry
	for _, e := range unzipAll(t, b) {
		if e.name = rename(e.name); e.name != "" {
			out = append(out, e)
		}
	}
	return makeZip(t, append(out, extra...))
}

// TestReadForeignNames: an archive written with Windows names and carrying
// macOS and Subversion artefacts reads as the same archive: documents found
// and intact, one warning for the names, one info for the artefacts.
func TestReadForeignNames(t *testing.T) {
	good := writeBytes(t, testPackage(), fixedOptions())
	z := rezip(t, good, func(n string) string {
		if n = strings.ReplaceAll(n, "/", `\`); !strings.HasSuffix(n, `\`) {
			n += " "
		}
		return n
	},
		zipEntry{name: "__MACOSX/IHE_XDM/SUBSET01/._DOC0001.XML", data: []byte("x")},
		zipEntry{name: `IHE_XDM\SUBSET01\.DS_Store`, data: []byte("x")},
		zipEntry{name: "IHE_XDM/.svn/entries", data: []byte("x")},
		zipEntry{name: "Thumbs.db", data: []byte("x")})
	a, err := Read(bytes.NewReader(z), int64(len(z)), nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := a.Verify()
	if len(a.Documents) != 1 || a.Documents[0].Path != "IHE_XDM/SUBSET01/DOC0001.XML" || a.Documents[0].Integrity.Status() != "ok" {
		t.Fatalf("documents: %+v", a.Documents)
	}
	if fs.HasErrors() || len(fs.ByRule("XDM-NAME-FORM")) != 1 || len(fs.ByRule("XDM-OS-FILES")) != 1 || len(fs.ByRule("XDM-NAME")) != 0 {
		t.Errorf("findings: %v", fs)
	}
	if f := fs.ByRule("XDM-OS-FILES")[0]; f.Level != finding.Info || !strings.Contains(f.Message, "4 operating system") {
		t.Errorf("os files: %v", f)
	}
	if len(a.Ignored) != 4 || len(a.Files) != 6 {
		t.Errorf("files %q, ignored %q", a.Files, a.Ignored)
	}
}

// TestReadDuplicateAfterNormalising: two entries that normalise alike are
// an error; the first one is read.
func TestReadDuplicateAfterNormalising(t *testing.T) {
	good := writeBytes(t, testPackage(), fixedOptions())
	for _, dup := range []string{`IHE_XDM\SUBSET01\DOC0001.XML`, "IHE_XDM/SUBSET01/doc0001.xml.", "./IHE_XDM//SUBSET01/DOC0001.XML"} {
		z := rezip(t, good, func(n string) string { return n }, zipEntry{name: dup, data: []byte("other")})
		a, err := Read(bytes.NewReader(z), int64(len(z)), nil)
		if err != nil {
			t.Fatal(err)
		}
		fs := a.Verify()
		if d := fs.ByRule("XDM-ZIP-DUP"); len(d) != 1 || d[0].Level != finding.Error {
			t.Errorf("%q: %v", dup, fs)
		}
		if a.Documents[0].Integrity.Status() != "ok" {
			t.Errorf("%q: the first entry was not the one read", dup)
		}
	}
}

// TestReadTwoSubsetsSameName: documents of the same file name in two
// subsets keep their subset in Path.
func TestReadTwoSubsetsSameName(t *testing.T) {
	good := writeBytes(t, testPackage(), fixedOptions())
	var extra []zipEntry
	for _, e := range unzipAll(t, good) {
		if strings.HasPrefix(e.name, "IHE_XDM/SUBSET01/") {
			e.name = strings.Replace(e.name, "SUBSET01", "SUBSET02", 1)
			extra = append(extra, e)
		}
	}
	z := rezip(t, good, func(n string) string { return n }, extra...)
	a, err := Read(bytes.NewReader(z), int64(len(z)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Documents) != 2 || a.Documents[0].Path == a.Documents[1].Path || !strings.HasSuffix(a.Documents[1].Path, "SUBSET02/DOC0001.XML") {
		t.Fatalf("%+v", a.Documents)
	}
}

// TestReadWithoutRootDirectory: a subset zipped without IHE_XDM/ (a Direct
// Project sample) is read, with a warning.
func TestReadWithoutRootDirectory(t *testing.T) {
	good := writeBytes(t, testPackage(), fixedOptions())
	z := rezip(t, good, func(n string) string { return strings.TrimPrefix(n, "IHE_XDM/") })
	a, err := Read(bytes.NewReader(z), int64(len(z)), nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := a.Verify()
	if len(a.Documents) != 1 || a.Documents[0].Integrity.Status() != "ok" || fs.HasErrors() || len(fs.ByRule("XDM-ZIP-ROOT")) != 1 {
		t.Fatalf("documents %+v\nfindings %v", a.Documents, fs)
	}
}

func TestTypeCodeWording(t *testing.T) {
	const loinc = "2.16.840.1.113883.6.1"
	tests := []struct {
		metaCode, metaScheme, cdaCode, cdaSystem string
		rule                                     string
		level                                    finding.Level
		says                                     string
	}{
		{"34133-9", "LOINC", "34133-9", loinc, "XDM-CDA-TYPE-SCHEME", finding.Info, `agrees with the CDA document code; the metadata name its coding scheme "LOINC"`},
		{"34096-8", "LOINC", "34133-9", loinc, "XDM-CDA-TYPE", finding.Warning, "typeCode 34096-8 differs from the CDA document code 34133-9 (both LOINC)"},
		{"11502-2", "1.2.3", "11502-2", loinc, "XDM-CDA-TYPE", finding.Warning, "in coding scheme 1.2.3 in the metadata but " + loinc},
		{"X", "1.2.3", "Y", loinc, "XDM-CDA-TYPE", finding.Warning, "typeCode X (1.2.3) differs from the CDA document code Y (" + loinc + ")"},
	}
	for _, tt := range tests {
		fs := typeCodeFindings("D", "L", tt.metaCode, tt.metaScheme, tt.cdaCode, tt.cdaSystem)
		if len(fs) != 1 || fs[0].Rule != tt.rule || fs[0].Level != tt.level || !strings.Contains(fs[0].Message, tt.says) {
			t.Errorf("%+v: %v", tt, fs)
		}
	}
	if fs := typeCodeFindings("D", "L", "11502-2", loinc, "11502-2", loinc); len(fs) != 0 {
		t.Errorf("same code: %v", fs)
	}
}
