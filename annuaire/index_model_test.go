package annuaire_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

// model is a naive directory built from the streaming reader: what the
// index must answer, whatever its layout.
type model struct {
	order []string                       // lower-case addresses, first-seen order
	byKey map[string]*annuaire.Mailbox   // merged mailboxes
	recs  []*annuaire.Mailbox            // in order, once loaded
	words map[*annuaire.Mailbox][]string // folded name words, once loaded
}

func newModel(t *testing.T, path string) *model {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := annuaire.NewExtractionReader(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &model{byKey: map[string]*annuaire.Mailbox{}}
	for {
		mb, err := r.Read()
		if err == io.EOF {
			m.words = map[*annuaire.Mailbox][]string{}
			for _, k := range m.order {
				mb := m.byKey[k]
				m.recs = append(m.recs, mb)
				m.words[mb] = strings.Fields(annuaire.Fold(mb.Person.LastName + " " + mb.Person.FirstName + " " + mb.Structure.Name + " " + mb.Structure.TradeName))
			}
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		k := strings.ToLower(mb.Address)
		first, ok := m.byKey[k]
		if !ok {
			m.order = append(m.order, k)
			m.byKey[k] = &mb
			continue
		}
		if first.Dematerialisation == annuaire.Unknown {
			first.Dematerialisation = mb.Dematerialisation
		}
		fillStrings(reflect.ValueOf(first).Elem(), reflect.ValueOf(mb))
	}
}

// fillStrings sets the empty string fields of dst (recursively) to those
// of src: the merge rule for duplicate lines.
func fillStrings(dst, src reflect.Value) {
	for i := range dst.NumField() {
		switch f := dst.Field(i); f.Kind() {
		case reflect.String:
			if f.String() == "" {
				f.SetString(src.Field(i).String())
			}
		case reflect.Struct:
			fillStrings(f, src.Field(i))
		}
	}
}

func (m *model) filter(keep func(*annuaire.Mailbox) bool) []string {
	var out []string
	for _, mb := range m.recs {
		if keep(mb) {
			out = append(out, mb.Address)
		}
	}
	return out
}

func addrsOf(ms []annuaire.Mailbox) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Address
	}
	return out
}

// TestIndexAgainstModel loads generated files (duplicates every 50 lines,
// CRLF, reordered columns) with one and with several workers, and checks
// every lookup against the model.
func TestIndexAgainstModel(t *testing.T) {
	cols := slices.Clone(annuaire.ExtractionHeader[:])
	slices.Reverse(cols)
	for _, o := range []annuairetest.Options{
		{Rows: 30000, Seed: 11, DuplicateEvery: 50},
		{Rows: 12000, Seed: 12, DuplicateEvery: 20, CRLF: true, NoTrailingSeparator: true, Columns: cols},
	} {
		path := genFile(t, o)
		m := newModel(t, path)
		var ref *annuaire.Index
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("seed%d/workers%d", o.Seed, workers), func(t *testing.T) {
				idx, err := annuaire.LoadIndexFile(context.Background(), path, &annuaire.LoadOptions{Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				checkModel(t, idx, m)
				if ref == nil {
					ref = idx
				} else if d := annuaire.DiffIndexes(ref, idx); !d.Empty() {
					t.Errorf("1 worker and %d differ: %d added, %d removed, %d modified", workers, len(d.Added), len(d.Removed), len(d.Modified))
				}
			})
		}
	}
}

func checkModel(t *testing.T, idx *annuaire.Index, m *model) {
	t.Helper()
	if idx.Len() != len(m.order) {
		t.Fatalf("Len = %d, model %d", idx.Len(), len(m.order))
	}
	i := 0
	idx.All(func(got annuaire.Mailbox) bool {
		k := m.order[i]
		i++
		want := m.byKey[k]
		if strings.ToLower(got.Address) != k || got != *want {
			t.Fatalf("record %d: %+v\nwant %+v", i, got, *want)
		}
		if l, ok := idx.Lookup(strings.ToUpper(k)); !ok || l != got {
			t.Fatalf("Lookup(%s) = %v, %+v", k, ok, l)
		}
		return true
	})
	byPerson, byStruct, byDomain := map[string][]string{}, map[string][]string{}, map[string][]string{}
	for _, k := range m.order {
		mb := m.byKey[k]
		if mb.Person.ID != "" {
			byPerson[mb.Person.ID] = append(byPerson[mb.Person.ID], mb.Address)
		}
		if mb.Structure.ID != "" {
			byStruct[mb.Structure.ID] = append(byStruct[mb.Structure.ID], mb.Address)
		}
		byDomain[mb.Domain()] = append(byDomain[mb.Domain()], mb.Address)
	}
	for id, want := range byPerson {
		if got := addrsOf(idx.ByPerson(id)); !slices.Equal(got, want) {
			t.Fatalf("ByPerson(%s) = %v, want %v", id, got, want)
		}
	}
	for id, want := range byStruct {
		if got := addrsOf(idx.ByStructure(id)); !slices.Equal(got, want) {
			t.Fatalf("ByStructure(%s) = %v, want %v", id, got, want)
		}
	}
	for d, want := range byDomain {
		if got := addrsOf(idx.ByDomain(d)); !slices.Equal(got, want) || idx.DomainCount(d) != len(want) {
			t.Fatalf("ByDomain(%s) = %d, want %d", d, len(got), len(want))
		}
	}
	if st := idx.Stats(); st.Persons != len(byPerson) || st.Domains != len(byDomain) {
		t.Errorf("stats %+v: %d persons, %d domains", st, len(byPerson), len(byDomain))
	}
	for n, k := range m.order {
		mb := m.byKey[k]
		if mb.Person.LastName == "" || n%211 != 0 {
			continue
		}
		q := mb.Person.LastName[:3] + " " + strings.ToLower(string([]rune(mb.Person.FirstName)[:2]))
		want := m.filter(func(x *annuaire.Mailbox) bool { return m.matches(x, q) })
		got := addrsOf(idx.Search(q, &annuaire.SearchOptions{Limit: -1}))
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("Search(%q) = %v, want %v", q, got, want)
		}
		dept := mb.Structure.Address.Departement
		if dept == "" {
			continue
		}
		want = m.filter(func(x *annuaire.Mailbox) bool { return m.matches(x, q) && x.Structure.Address.Departement == dept })
		if got := idx.Search(q, &annuaire.SearchOptions{Limit: -1, Departement: dept}); len(got) != len(want) {
			t.Fatalf("Search(%q, %q) = %d, want %d", q, dept, len(got), len(want))
		}
	}
}

// matches is the search rule, naively: every word of the query starts a
// word of the names.
func (m *model) matches(mb *annuaire.Mailbox, q string) bool {
	names := m.words[mb]
	for _, t := range strings.Fields(annuaire.Fold(q)) {
		if !slices.ContainsFunc(names, func(w string) bool { return strings.HasPrefix(w, t) }) {
			return false
		}
	}
	return true
}

// TestLoadBlockEdges checks lines cut by the end of a block: a line longer
// than a whole block (skipped, with its number), CRLF line ends, a last
// line without its end.
func TestLoadBlockEdges(t *testing.T) {
	var b strings.Builder
	b.WriteString(header() + "\r\n")
	for i := range 20000 {
		b.WriteString(row(map[int]string{0: "PER", 1: fmt.Sprintf("p%d@pro.mssante.fr", i), 9: "NOM"}) + "\r\n")
		if i == 7000 {
			b.WriteString(row(map[int]string{0: "PER", 1: "long@pro.mssante.fr", 18: strings.Repeat("X", 3<<20)}) + "\r\n")
		}
	}
	b.WriteString(row(map[int]string{0: "PER", 1: "last@pro.mssante.fr"}))
	var bad []int
	idx, err := annuaire.LoadIndex(context.Background(), strings.NewReader(b.String()), &annuaire.LoadOptions{
		ReaderOptions: annuaire.ReaderOptions{OnBadLine: func(e *annuaire.LineError) { bad = append(bad, e.Line) }}})
	if err != nil {
		t.Fatal(err)
	}
	if idx.Len() != 20001 || !slices.Equal(bad, []int{7003}) || idx.Stats().Lines != 20002 || idx.Stats().Bytes != int64(b.Len()) {
		t.Fatalf("Len %d, bad lines %v, stats %+v", idx.Len(), bad, idx.Stats())
	}
	for _, c := range []struct {
		addr string
		line int
	}{{"p0@pro.mssante.fr", 2}, {"p7000@pro.mssante.fr", 7002}, {"p7001@pro.mssante.fr", 7004}, {"p19999@pro.mssante.fr", 20002}, {"last@pro.mssante.fr", 20003}} {
		if m, ok := idx.Lookup(c.addr); !ok || m.Line != c.line || m.Person.LastName != "NOM" && c.addr != "last@pro.mssante.fr" {
			t.Errorf("%s: %v line %d, want %d", c.addr, ok, m.Line, c.line)
		}
	}
}

// TestLoadCancelMidway cancels a load from its progress callback: the load
// stops with the context's error and leaves no goroutine behind.
func TestLoadCancelMidway(t *testing.T) {
	p := genFile(t, annuairetest.Options{Rows: 40000, Seed: 5})
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := annuaire.LoadIndexFile(ctx, p, &annuaire.LoadOptions{Progress: func(int64, int) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines after the load, %d before", runtime.NumGoroutine(), before)
}
