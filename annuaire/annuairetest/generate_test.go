package annuairetest_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

func TestGenerateDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	if err := annuairetest.Generate(&a, &annuairetest.Options{Rows: 500, Seed: 42}); err != nil {
		t.Fatal(err)
	}
	annuairetest.Generate(&b, &annuairetest.Options{Rows: 500, Seed: 42})
	annuairetest.Generate(&c, &annuairetest.Options{Rows: 500, Seed: 43})
	if !bytes.Equal(a.Bytes(), b.Bytes()) || bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("the output must depend on the seed only")
	}
	lines := strings.Split(strings.TrimSuffix(a.String(), "\n"), "\n")
	if len(lines) != 501 || lines[0] != strings.Join(annuaire.ExtractionHeader[:], "|")+"|" {
		t.Fatalf("%d lines, header %q", len(lines), lines[0])
	}
	for i, l := range lines[1:] {
		if n := strings.Count(l, "|"); n != 31 {
			t.Fatalf("line %d has %d separators: %q", i+2, n, l)
		}
	}
}

func TestGenerateOptions(t *testing.T) {
	var buf bytes.Buffer
	err := annuairetest.Generate(&buf, &annuairetest.Options{Rows: 3, Seed: 1, CRLF: true, NoTrailingSeparator: true,
		Columns: []string{"Adresse BAL", "Autre", "Type de BAL"}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\r\n")
	if lines[0] != "Adresse BAL|Autre|Type de BAL" || !strings.Contains(lines[1], "@") || !strings.HasSuffix(lines[1], "|x|PER") && !strings.HasSuffix(lines[1], "|x|ORG") {
		t.Errorf("lines %q", lines)
	}
}
