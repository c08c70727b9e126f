package cdacorpus_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/cdacorpus"
)

func TestOfficial(t *testing.T) {
	docs := cdacorpus.Official(t)
	if len(docs) != cdacorpus.Examples+cdacorpus.ArchiveDocs {
		t.Errorf("%d documents, want %d", len(docs), cdacorpus.Examples+cdacorpus.ArchiveDocs)
	}
	seen := map[string]bool{}
	for _, d := range docs {
		if seen[d.Name] {
			t.Errorf("%s twice", d.Name)
		}
		seen[d.Name] = true
		if !bytes.Contains(d.Data, []byte("ClinicalDocument")) {
			t.Errorf("%s is not a CDA document", d.Name)
		}
		if !strings.HasPrefix(d.Name, "examples/") && !strings.HasPrefix(d.Name, "xdm/") {
			t.Errorf("name %s", d.Name)
		}
	}
	if m := cdacorpus.Map(docs); len(m) != len(docs) {
		t.Errorf("Map lost documents")
	}
}
