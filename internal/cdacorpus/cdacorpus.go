// Package cdacorpus gives the SDK's tests the CDA R2 documents of the
// corpus the official rules of the ANS kit judge (cda's TestKitAgreement):
// the official documents of the shared test data, the files of
// ../shared/testdata/cda/examples and the CDA documents inside the official
// IHE_XDM.ZIP archives of ../shared/testdata/xdm/ansforge, read from the
// archives at test time (they are never copied into the repository)
// (Official); and the documents our code builds outside package cda, in the
// examples and in package mssante's tests (Builders, Export).
package cdacorpus

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

// Doc is one official document.
type Doc struct {
	// Name is unique: "examples/<file>" or "xdm/<archive>/<path in the
	// archive>".
	Name string
	// Source is the file it was read from, under the shared test data.
	Source string
	Data   []byte
}

// MaxDocSize bounds one document read from an archive.
const MaxDocSize = 64 << 20

// Counts of the shared test data, checked by Official so that a test never
// passes on a corpus that silently shrank.
const (
	Examples    = 5
	ArchiveDocs = 54
)

// Official returns every official CDA document, sorted by name. A missing
// shared test data folder skips the test (fails it under CI=true).
func Official(t testing.TB) []Doc {
	t.Helper()
	docs, err := Load(testenv.Shared(t, "cda", "examples"), testenv.Shared(t, "xdm", "ansforge"))
	if err != nil {
		t.Fatal(err)
	}
	var ex, ar int
	for _, d := range docs {
		if strings.HasPrefix(d.Name, "examples/") {
			ex++
		} else {
			ar++
		}
	}
	if ex < Examples || ar < ArchiveDocs {
		t.Fatalf("official corpus: %d examples and %d archive documents, want %d and %d", ex, ar, Examples, ArchiveDocs)
	}
	return docs
}

// Map returns the documents keyed by name.
func Map(docs []Doc) map[string][]byte {
	m := make(map[string][]byte, len(docs))
	for _, d := range docs {
		m[d.Name] = d.Data
	}
	return m
}

// Load reads the *.xml files of examplesDir and the CDA documents of the
// *.zip archives of archivesDir: every IHE_XDM/<subset>/*.XML entry but
// METADATA.XML (case-insensitive).
func Load(examplesDir, archivesDir string) ([]Doc, error) {
	var docs []Doc
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.xml"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		docs = append(docs, Doc{Name: "examples/" + filepath.Base(f), Source: f, Data: b})
	}
	zips, err := filepath.Glob(filepath.Join(archivesDir, "*.zip"))
	if err != nil {
		return nil, err
	}
	for _, z := range zips {
		ds, err := fromArchive(z)
		if err != nil {
			return nil, err
		}
		docs = append(docs, ds...)
	}
	slices.SortFunc(docs, func(a, b Doc) int { return strings.Compare(a.Name, b.Name) })
	return docs, nil
}

func fromArchive(z string) ([]Doc, error) {
	zr, err := zip.OpenReader(z)
	if err != nil {
		return nil, fmt.Errorf("cdacorpus: %s: %w", z, err)
	}
	defer zr.Close()
	var docs []Doc
	for _, f := range zr.File {
		up := strings.ToUpper(f.Name)
		if !strings.HasPrefix(up, "IHE_XDM/") || path.Ext(up) != ".XML" || path.Base(up) == "METADATA.XML" {
			continue
		}
		if f.UncompressedSize64 > MaxDocSize {
			return nil, fmt.Errorf("cdacorpus: %s: %s is larger than %d bytes", z, f.Name, MaxDocSize)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("cdacorpus: %s: %w", z, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, MaxDocSize+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("cdacorpus: %s: %s: %w", z, f.Name, err)
		}
		docs = append(docs, Doc{Name: "xdm/" + filepath.Base(z) + "/" + f.Name, Source: z, Data: b})
	}
	return docs, nil
}
