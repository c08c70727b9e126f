package testfiles

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed sources.txt
var sourcesText []byte

// A rule maps the files of a local pattern to their source. A pattern holds
// at most one wildcard: '*' (within one path element) or '**' (any rest of
// the path); the matched text replaces the wildcard of the source.
type rule struct {
	local  string
	source string
	line   int
}

func parseRules(b []byte) ([]rule, error) {
	var rules []rule
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		local, src, ok := strings.Cut(line, "\t")
		src = strings.TrimLeft(src, "\t")
		if !ok || src == "" {
			return nil, fmt.Errorf("sources.txt line %d: want LOCAL-PATTERN<tab>SOURCE", n)
		}
		if strings.Count(local, "*") > 2 || (!strings.HasPrefix(src, KindShared+":") && strings.Count(src, "*") != strings.Count(local, "*")) {
			return nil, fmt.Errorf("sources.txt line %d: the pattern and the source must hold the same wildcard", n)
		}
		rules = append(rules, rule{local: local, source: src, line: n})
	}
	return rules, sc.Err()
}

// match returns the source of p under r, or false.
func (r rule) match(p string) (string, bool) {
	wild := "*"
	if strings.Contains(r.local, "**") {
		wild = "**"
	}
	pre, suf, ok := strings.Cut(r.local, wild)
	if !ok {
		if p != r.local {
			return "", false
		}
		return r.source, true
	}
	if len(p) < len(pre)+len(suf)+1 || !strings.HasPrefix(p, pre) || !strings.HasSuffix(p, suf) {
		return "", false
	}
	mid := p[len(pre) : len(p)-len(suf)]
	if wild == "*" && strings.Contains(mid, "/") {
		return "", false
	}
	if strings.HasPrefix(r.source, KindShared+":") {
		return r.source, true
	}
	return strings.Replace(r.source, wild, mid, 1), true
}

// Generate lists every file of dir (a copy of ../shared/testdata) with its
// size, SHA-256 and the source that the first matching rule of sources.txt
// gives. A file that no rule covers is an error: every file must say where it
// comes from. README.md files of dir are skipped (they describe, and change).
func Generate(dir string) (*Manifest, error) {
	rules, err := parseRules(sourcesText)
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	var unmatched []string
	err = filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, name)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "README.md" {
			return nil
		}
		var srcText string
		found := false
		for _, r := range rules {
			if srcText, found = r.match(rel); found {
				break
			}
		}
		if !found {
			unmatched = append(unmatched, rel)
			return nil
		}
		src, err := ParseSource(srcText)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		sum, size, err := fileSHA256(name)
		if err != nil {
			return err
		}
		m.Entries = append(m.Entries, Entry{Path: rel, Size: size, SHA256: sum, Source: src})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(unmatched) > 0 {
		return nil, fmt.Errorf("no rule of sources.txt says where these files come from: %s", strings.Join(unmatched, ", "))
	}
	sort.Slice(m.Entries, func(i, j int) bool { return m.Entries[i].Path < m.Entries[j].Path })
	return ParseManifest(m.Format())
}
