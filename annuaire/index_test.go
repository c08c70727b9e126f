package annuaire_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
	"github.com/mssante-go/sdk/idnat"
)

// row builds an extraction line in the ANS column order from a few values.
func row(vals map[int]string) string {
	f := make([]string, len(annuaire.ExtractionHeader))
	for i, v := range vals {
		f[i] = v
	}
	return strings.Join(f, "|")
}

func header() string { return strings.Join(annuaire.ExtractionHeader[:], "|") }

// handFile is a small extraction with the defects the reader must survive.
func handFile() string {
	lines := []string{
		"\ufeff" + header() + "|",
		row(map[int]string{0: "PER", 1: "helene.dupont@medecin.mssante.fr", 2: "8", 3: "10001234565", 4: "810001234565", 8: "DR", 9: "DUPONT", 10: "Hélène", 13: "10", 14: "Médecin", 17: "O"}) + "|",
		row(map[int]string{0: "PER", 1: "h.dupont@ch-exemple.mssante.fr", 2: "8", 3: "10001234565", 4: "810001234565", 5: "1", 6: "1750712184", 7: "Cardiologie", 9: "DUPONT", 10: "Hélène", 18: "CENTRE HOSPITALIER D'EXEMPLE", 29: "75"}) + "|",
		row(map[int]string{0: "ORG", 1: "Secretariat@CH-Exemple.mssante.fr", 5: "1", 6: "1750712184", 18: "CENTRE HOSPITALIER D'EXEMPLE", 29: "75", 17: "peut-être"}) + "|",
		row(map[int]string{0: "PER", 1: "", 9: "SANSADRESSE"}) + "|",            // line 5: no address
		row(map[int]string{0: "PER", 1: "pas-une-adresse", 9: "MAUVAIS"}) + "|", // line 6: bad address
		row(map[int]string{0: "PER", 1: "trop@de.champs"}) + "|x|y|",            // line 7: too many fields
		"",
		row(map[int]string{0: "PER", 1: "SECRETARIAT@ch-exemple.mssante.fr", 7: "Accueil"}) + "|",                                        // line 9: duplicate, fills the service
		row(map[int]string{0: "XYZ", 1: "zoe.muller@pro.mssante.fr", 3: "10000000001", 9: "MÜLLER", 10: "Zoé", 29: "2A", 17: "N"}) + "|", // unknown type, placeholder RPPS
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

func loadString(t *testing.T, s string) *annuaire.Index {
	t.Helper()
	idx, err := annuaire.LoadIndex(context.Background(), strings.NewReader(s), nil)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestReaderDefects(t *testing.T) {
	var bad []int
	r, err := annuaire.NewExtractionReader(strings.NewReader(handFile()), &annuaire.ReaderOptions{
		OnBadLine: func(e *annuaire.LineError) { bad = append(bad, e.Line) },
	})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	if len(got) != 5 {
		t.Fatalf("read %d mailboxes, want 5", len(got))
	}
	if want := []int{5, 6, 7}; !equalInts(bad, want) {
		t.Errorf("bad lines %v, want %v", bad, want)
	}
	m := got[0]
	if m.Type != annuaire.TypePersonal || m.Person.FirstName != "Hélène" || m.Person.ID != "10001234565" ||
		m.Dematerialisation != annuaire.Yes || m.Line != 2 || m.Source != annuaire.SourceExtraction {
		t.Errorf("first mailbox = %+v", m)
	}
	if got[1].Structure.Service != "Cardiologie" || got[1].Structure.ID != "1750712184" {
		t.Errorf("structure = %+v", got[1].Structure)
	}
	st := r.Stats()
	if st.Lines != 8 || st.BadLines != 3 || st.Mailboxes != 5 {
		t.Errorf("stats = %+v", st)
	}
	fs := r.Findings()
	for _, rule := range []string{"ANN-EXT-LINE", "ANN-EXT-TYPE", "ANN-EXT-DEMAT", idnat.RuleKey} {
		if len(fs.ByRule(rule)) == 0 {
			t.Errorf("no %s finding in %v", rule, fs)
		}
	}
	if e := fs.ByRule("ANN-EXT-LINE"); len(e) > 0 && e[0].Location != "line 5" {
		t.Errorf("first bad line at %q", e[0].Location)
	}
}

// readAll reads the mailboxes of r up to io.EOF.
func readAll(t *testing.T, r *annuaire.ExtractionReader) []annuaire.Mailbox {
	t.Helper()
	var got []annuaire.Mailbox
	for {
		m, err := r.Read()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReaderHeader(t *testing.T) {
	_, err := annuaire.NewExtractionReader(strings.NewReader("a|b|c\n1|2|3\n"), nil)
	if !errors.Is(err, annuaire.ErrBadHeader) {
		t.Errorf("no address column: %v", err)
	}
	_, err = annuaire.NewExtractionReader(strings.NewReader(""), nil)
	if !errors.Is(err, annuaire.ErrBadHeader) {
		t.Errorf("empty: %v", err)
	}
	// Reordered, extra and missing columns; LF; no trailing separator.
	r, err := annuaire.NewExtractionReader(strings.NewReader("Extra|Nom d'exercice|ADRESSE BAL|Type de BAL\nx|MARTIN|a.martin@pro.mssante.fr|PER\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Read()
	if err != nil || m.Address != "a.martin@pro.mssante.fr" || m.Person.LastName != "MARTIN" || m.Type != "PER" {
		t.Fatalf("Read = %+v, %v", m, err)
	}
	if len(r.Findings().ByRule("ANN-EXT-COLUMN")) == 0 {
		t.Error("no column finding")
	}
}

func TestIndexLookups(t *testing.T) {
	idx := loadString(t, handFile())
	if idx.Len() != 4 {
		t.Fatalf("Len = %d, want 4", idx.Len())
	}
	st := idx.Stats()
	if st.Duplicates != 1 || st.BadLines != 3 {
		t.Errorf("stats = %+v", st)
	}
	// MaxFindings bounds the duplicate findings too.
	capped, err := annuaire.LoadIndex(context.Background(), strings.NewReader(handFile()+row(map[int]string{0: "ORG", 1: "secretariat@ch-exemple.mssante.fr", 18: "AUTRE NOM"})+"\n"),
		&annuaire.LoadOptions{ReaderOptions: annuaire.ReaderOptions{MaxFindings: 2}})
	if err != nil || len(capped.Findings()) != 2 || capped.Stats().Warnings <= 2 {
		t.Errorf("MaxFindings 2: %v, %d findings %v", err, len(capped.Findings()), capped.Findings())
	}
	// Case-insensitive lookup, merged duplicate.
	m, ok := idx.Lookup("secretariat@ch-exemple.MSSANTE.fr")
	if !ok || m.Address != "Secretariat@CH-Exemple.mssante.fr" || m.Type != annuaire.TypeOrganisational || m.Structure.Service != "Accueil" {
		t.Fatalf("Lookup = %+v, %v", m, ok)
	}
	if _, ok := idx.Lookup("nobody@medecin.mssante.fr"); ok {
		t.Error("found nobody")
	}
	// All the mailboxes of a person, by RPPS and by national id.
	for _, id := range []string{"10001234565", "810001234565"} {
		ms := idx.ByPerson(id)
		if len(ms) != 2 || ms[0].Address != "helene.dupont@medecin.mssante.fr" || ms[1].Structure.Name == "" {
			t.Errorf("ByPerson(%s) = %v", id, ms)
		}
	}
	if got := idx.ByStructure("1750712184"); len(got) != 2 {
		t.Errorf("ByStructure = %d mailboxes", len(got))
	}
	if got := idx.ByStructure("750712184"); len(got) != 2 {
		t.Errorf("ByStructure without prefix = %d mailboxes", len(got))
	}
	if got := idx.ByDomain("CH-EXEMPLE.mssante.fr"); len(got) != 2 {
		t.Errorf("ByDomain = %d", len(got))
	}
	// Name search: accents, case, prefixes, département.
	for q, want := range map[string]int{"helene": 2, "HÉL dup": 2, "muller": 1, "zoé": 1, "exemple": 2, "d exem": 2, "dupont zzz": 0, "": 0,
		"dupont helene centre hospitalier d exemple dup hel":     1,
		"dupont helene centre hospitalier d exemple dup hel zzz": 0, // more than 8 words: all count
	} {
		if got := idx.Search(q, nil); len(got) != want {
			t.Errorf("Search(%q) = %d results, want %d", q, len(got), want)
		}
	}
	if got := idx.Search("dupont", &annuaire.SearchOptions{Departement: "75"}); len(got) != 1 || got[0].Address != "h.dupont@ch-exemple.mssante.fr" {
		t.Errorf("Search with département = %v", got)
	}
	if got := idx.Search("dupont", &annuaire.SearchOptions{Limit: 1}); len(got) != 1 {
		t.Errorf("limit: %d", len(got))
	}
	if got := idx.Search("exemple", &annuaire.SearchOptions{Types: []annuaire.MailboxType{annuaire.TypeOrganisational}}); len(got) != 1 {
		t.Errorf("types: %d", len(got))
	}
}

// genFile writes a generated extraction and returns its path.
func genFile(t testing.TB, opts annuairetest.Options) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "extraction.txt")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := annuairetest.Generate(f, &opts); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGeneratedFile(t *testing.T) {
	cols := append([]string{"Colonne en plus"}, annuaire.ExtractionHeader[:]...)
	cols[1], cols[5] = cols[5], cols[1]
	for _, o := range []annuairetest.Options{
		{Rows: 3000, Seed: 7},
		{Rows: 3000, Seed: 7, CRLF: true, NoTrailingSeparator: true, Columns: cols},
	} {
		idx, err := annuaire.LoadIndexFile(context.Background(), genFile(t, o), nil)
		if err != nil {
			t.Fatal(err)
		}
		st := idx.Stats()
		if st.Lines != 3000 || st.BadLines != 0 || st.Distinct+st.Duplicates != 3000 || st.Warnings != 0 {
			t.Errorf("%+v: stats %+v, findings %v", o, st, idx.Findings())
		}
		n := 0
		idx.All(func(m annuaire.Mailbox) bool {
			got, ok := idx.Lookup(strings.ToUpper(m.Address))
			if !ok || got.Line != m.Line {
				t.Fatalf("Lookup(%s) = %v", m.Address, ok)
			}
			if m.Person.ID != "" && len(idx.ByPerson(m.Person.NationalID)) == 0 {
				t.Fatalf("ByPerson(%s) empty", m.Person.NationalID)
			}
			if m.Person.LastName != "" && len(idx.Search(m.Person.LastName+" "+m.Person.FirstName, &annuaire.SearchOptions{Limit: -1})) == 0 {
				t.Fatalf("Search(%s) empty", m.Person.LastName)
			}
			n++
			return n < 500
		})
	}
}

func TestZip(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("Extraction_Correspondance_MSSante_202608260300.txt")
	io.WriteString(w, handFile())
	zw.Close()
	p := filepath.Join(t.TempDir(), "Extraction_Correspondance_MSSante_202608260300.zip")
	os.WriteFile(p, buf.Bytes(), 0o600)
	idx, err := annuaire.LoadIndexFile(context.Background(), p, nil)
	if err != nil || idx.Len() != 4 {
		t.Fatalf("zip: %v", err)
	}
	if g := idx.Stats().Generated; g.Year() != 2026 || g.Hour() != 3 {
		t.Errorf("Generated = %v", g)
	}
	os.WriteFile(p, []byte("PK\x03\x04broken"), 0o600)
	if _, err := annuaire.LoadIndexFile(context.Background(), p, nil); err == nil {
		t.Error("broken zip accepted")
	}
}

func TestDiffAndReload(t *testing.T) {
	old := header() + "\n" +
		row(map[int]string{0: "PER", 1: "a@pro.mssante.fr", 9: "A"}) + "\n" +
		row(map[int]string{0: "PER", 1: "b@pro.mssante.fr", 9: "B"}) + "\n" +
		row(map[int]string{0: "PER", 1: "c@pro.mssante.fr", 9: "C"}) + "\n"
	new := header() + "\n" +
		row(map[int]string{0: "PER", 1: "b@pro.mssante.fr", 9: "B", 10: "Bob"}) + "\n" +
		row(map[int]string{0: "PER", 1: "C@pro.mssante.fr", 9: "C"}) + "\n" +
		row(map[int]string{0: "ORG", 1: "d@pro.mssante.fr"}) + "\n"
	dir := t.TempDir()
	po, pn := filepath.Join(dir, "old.txt"), filepath.Join(dir, "new.txt")
	os.WriteFile(po, []byte(old), 0o600)
	os.WriteFile(pn, []byte(new), 0o600)

	var d annuaire.Directory
	if _, err := d.ResolveAddress(context.Background(), "a@pro.mssante.fr"); !errors.Is(err, annuaire.ErrNotFound) {
		t.Errorf("empty directory: %v", err)
	}
	r, err := d.Reload(context.Background(), po, nil)
	if err != nil || r.Previous != nil || len(r.Diff().Added) != 3 {
		t.Fatalf("first reload: %v", err)
	}
	// Readers run while the index is swapped.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				d.ResolveAddress(context.Background(), "b@pro.mssante.fr")
			}
		})
	}
	r, err = d.Reload(context.Background(), pn, nil)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	diff := r.Diff()
	if len(diff.Added) != 1 || diff.Added[0].Address != "d@pro.mssante.fr" ||
		len(diff.Removed) != 1 || diff.Removed[0].Address != "a@pro.mssante.fr" ||
		len(diff.Modified) != 2 {
		t.Fatalf("diff = %+v", diff)
	}
	if f := diff.Modified[0].Fields; len(f) != 1 || f[0] != "Prénom d'exercice" {
		t.Errorf("modified fields %v", f)
	}
	// A failed reload keeps the current index.
	if _, err := d.Reload(context.Background(), filepath.Join(dir, "missing.txt"), nil); err == nil {
		t.Error("missing file reloaded")
	}
	if m, err := d.ResolveAddress(context.Background(), "d@pro.mssante.fr"); err != nil || m.Type != "ORG" {
		t.Errorf("after failed reload: %v", err)
	}
	if !annuaire.DiffIndexes(d.Current(), d.Current()).Empty() {
		t.Error("self diff not empty")
	}
}

func TestLoadCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := genFile(t, annuairetest.Options{Rows: 2000, Seed: 3})
	if _, err := annuaire.LoadIndexFile(ctx, p, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled load: %v", err)
	}
}

// TestHugeSizeHint checks that SizeHint (set from a ZIP's claimed entry
// size by LoadIndexFile) only sizes the first allocations: an absurd value
// used to panic in make.
func TestHugeSizeHint(t *testing.T) {
	idx, err := annuaire.LoadIndex(context.Background(), strings.NewReader(handFile()), &annuaire.LoadOptions{SizeHint: 1 << 50})
	if err != nil || idx.Len() != 4 {
		t.Fatalf("huge hint: %v", err)
	}
}

func TestLoadProgress(t *testing.T) {
	p := genFile(t, annuairetest.Options{Rows: 5000, Seed: 4})
	var last int
	calls := 0
	_, err := annuaire.LoadIndexFile(context.Background(), p, &annuaire.LoadOptions{Progress: func(b int64, lines int) {
		calls++
		last = lines
	}})
	if err != nil || calls < 2 || last != 5000 {
		t.Errorf("progress: calls %d, last %d, err %v", calls, last, err)
	}
}

func FuzzExtractionReader(f *testing.F) {
	f.Add(handFile())
	f.Add("Adresse BAL\n@\n\xff@x.y|\n")
	f.Fuzz(func(t *testing.T, s string) {
		idx, err := annuaire.LoadIndex(context.Background(), strings.NewReader(s), nil)
		if err != nil {
			return
		}
		idx.All(func(m annuaire.Mailbox) bool {
			if _, ok := idx.Lookup(m.Address); !ok {
				t.Errorf("cannot find %q", m.Address)
			}
			idx.Search(m.Person.LastName, nil)
			return true
		})
	})
}

func TestExtractionTime(t *testing.T) {
	ts, ok := annuaire.ExtractionTime("/data/Extraction_Correspondance_MSSante_202608260312.zip")
	if !ok || ts.Year() != 2026 || ts.Month() != 8 || ts.Day() != 26 || ts.Hour() != 3 || ts.Minute() != 12 {
		t.Errorf("ExtractionTime = %v, %v", ts, ok)
	}
	for _, n := range []string{"extraction-correspondance-mssante.txt", "x_2026082603.zip", "x_202608260312.csv", "x_202613260312.txt"} {
		if _, ok := annuaire.ExtractionTime(n); ok {
			t.Errorf("%s: ok", n)
		}
	}
}

func TestMergeFillsNames(t *testing.T) {
	text := header() + "\n" +
		row(map[int]string{0: "PER", 1: "x@pro.mssante.fr", 9: "DURAND"}) + "\n" +
		row(map[int]string{0: "PER", 1: "y@pro.mssante.fr", 9: "DURAND", 10: "Anne"}) + "\n" +
		row(map[int]string{0: "PER", 1: "X@pro.mssante.fr", 9: "DURAND", 10: "Zélie", 3: "10001234565"}) + "\n"
	idx := loadString(t, text)
	got := idx.Search("zel durand", nil)
	if len(got) != 1 || got[0].Address != "x@pro.mssante.fr" || got[0].Person.FirstName != "Zélie" {
		t.Errorf("merged first name not searchable: %v", got)
	}
	if got := idx.Search("durand", nil); len(got) != 2 || got[0].Address != "x@pro.mssante.fr" {
		t.Errorf("durand: %v", got)
	}
	if got := idx.ByPerson("10001234565"); len(got) != 1 {
		t.Errorf("merged person id not indexed: %v", got)
	}
}

func TestLongLineAndMisc(t *testing.T) {
	text := header() + "\n" +
		row(map[int]string{0: "PER", 1: "a@pro.mssante.fr", 18: strings.Repeat("X", 70000)}) + "\n" +
		row(map[int]string{0: "PER", 1: "b@Pro.MSSANTE.fr", 17: "true", 9: "Ében"}) + "\n"
	idx := loadString(t, text)
	if idx.Len() != 1 || idx.Stats().BadLines != 1 || idx.Findings().Errors()[0].Location != "line 2" {
		t.Fatalf("long line: %+v %v", idx.Stats(), idx.Findings())
	}
	m, _ := idx.Lookup("b@pro.mssante.fr")
	if m.Domain() != "pro.mssante.fr" || m.Dematerialisation != annuaire.Yes || idx.DomainCount("PRO.mssante.fr") != 1 || idx.DomainCount(" pro.mssante.fr. ") != 1 || len(idx.ByDomain(" pro.mssante.fr. ")) != 1 {
		t.Errorf("mailbox %+v", m)
	}
	b, err := json.Marshal(m)
	var back annuaire.Mailbox
	if err != nil || json.Unmarshal(b, &back) != nil || back != m {
		t.Errorf("JSON round trip: %s", b)
	}
	if annuaire.Fold("Ében-Ézer D’Œuvre") != "eben ezer d oeuvre" {
		t.Errorf("Fold = %q", annuaire.Fold("Ében-Ézer D’Œuvre"))
	}
	var tri annuaire.Tristate
	if tri.UnmarshalText([]byte("peut-être")) == nil {
		t.Error("bad tristate accepted")
	}
}

// TestOversizedRecords covers the lines whose fields would not fit the
// 16-bit offsets of the index: invalid UTF-8 that doubles once replaced,
// and a long last line with no line end.
func TestOversizedRecords(t *testing.T) {
	text := header() + "\n" +
		row(map[int]string{0: "PER", 1: "a@pro.mssante.fr", 7: strings.Repeat("a\xff", 15000), 8: strings.Repeat("a\xff", 5000)}) + "\n" +
		row(map[int]string{0: "PER", 1: "b@pro.mssante.fr"}) + "\n" +
		row(map[int]string{0: "PER", 1: "c@pro.mssante.fr", 18: strings.Repeat("X", 70000)})
	r, err := annuaire.NewExtractionReader(strings.NewReader(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, r); len(got) != 1 || got[0].Address != "b@pro.mssante.fr" {
		t.Errorf("read %v, want only b@pro.mssante.fr", got)
	}
	errs := r.Findings().ByRule("ANN-EXT-LINE")
	if st := r.Stats(); st.BadLines != 2 || len(errs) != 2 || errs[0].Location != "line 2" || errs[1].Location != "line 4" {
		t.Errorf("stats %+v, findings %v", st, errs)
	}
}

// TestNilAndZero checks that the nil and zero values of the public types
// answer "nothing" instead of panicking.
func TestNilAndZero(t *testing.T) {
	var d annuaire.Directory
	idx := d.Current()
	if idx != nil {
		t.Fatal("index before the first load")
	}
	if _, ok := idx.Lookup("a@pro.mssante.fr"); ok || idx.Len() != 0 || idx.ByPerson("10001234565") != nil ||
		idx.ByStructure("1750712184") != nil || idx.ByDomain("pro.mssante.fr") != nil || idx.DomainCount("pro.mssante.fr") != 0 ||
		idx.Search("dupont", nil) != nil || idx.Stats().Distinct != 0 || idx.Findings() != nil {
		t.Error("nil index is not empty")
	}
	idx.All(func(annuaire.Mailbox) bool { t.Error("nil index has a mailbox"); return false })
	if _, err := idx.ResolvePerson(context.Background(), "10001234565"); !errors.Is(err, annuaire.ErrNotFound) {
		t.Errorf("nil index ResolvePerson: %v", err)
	}
	if !annuaire.DiffIndexes(nil, nil).Empty() {
		t.Error("nil diff")
	}
	var zero annuaire.ExtractionReader
	if _, err := zero.Read(); err == nil || err == io.EOF {
		t.Errorf("zero reader: %v", err)
	}
}
