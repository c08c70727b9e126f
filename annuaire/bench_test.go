package annuaire_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

// benchRows is the size of the benchmark file: the real extraction has
// about 540,000 lines. ANNUAIRE_BENCH_FILE names an existing file instead.
const benchRows = 550000

var (
	benchOnce sync.Once
	benchPath string
	benchIdx  *annuaire.Index
)

func benchFile(b *testing.B) string {
	benchOnce.Do(func() {
		if p := os.Getenv("ANNUAIRE_BENCH_FILE"); p != "" {
			benchPath = p
			return
		}
		dir, err := os.MkdirTemp("", "annuaire-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchPath = filepath.Join(dir, "extraction.txt")
		f, err := os.Create(benchPath)
		if err != nil {
			b.Fatal(err)
		}
		if err := annuairetest.Generate(f, benchRows, 1); err != nil {
			b.Fatal(err)
		}
		f.Close()
	})
	return benchPath
}

func benchIndex(b *testing.B) *annuaire.Index {
	p := benchFile(b)
	if benchIdx == nil {
		idx, err := annuaire.LoadIndexFile(context.Background(), p, nil)
		if err != nil {
			b.Fatal(err)
		}
		benchIdx = idx
	}
	return benchIdx
}

func BenchmarkLoadIndex(b *testing.B) {
	p := benchFile(b)
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	var idx *annuaire.Index
	for b.Loop() {
		var err error
		idx, err = annuaire.LoadIndexFile(context.Background(), p, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heapMB")
	b.ReportMetric(float64(idx.Len()), "mailboxes")
	runtime.KeepAlive(idx)
}

// someAddresses returns addresses of the index, some in upper case.
func someAddresses(idx *annuaire.Index, n int) []string {
	var out []string
	idx.All(func(m annuaire.Mailbox) bool {
		if len(out)%3 == 0 {
			out = append(out, strings.ToUpper(m.Address[:1])+m.Address[1:])
		} else {
			out = append(out, m.Address)
		}
		return len(out) < n
	})
	return out
}

func BenchmarkLookupAddress(b *testing.B) {
	idx := benchIndex(b)
	addrs := someAddresses(idx, 1024)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := idx.Lookup(addrs[i&1023]); !ok {
			b.Fatal("not found")
		}
		i++
	}
}

func BenchmarkByPerson(b *testing.B) {
	idx := benchIndex(b)
	var ids []string
	idx.All(func(m annuaire.Mailbox) bool {
		if m.Person.ID != "" {
			ids = append(ids, m.Person.ID)
		}
		return len(ids) < 1024
	})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if len(idx.ByPerson(ids[i&1023])) == 0 {
			b.Fatal("not found")
		}
		i++
	}
}

func BenchmarkSearchName(b *testing.B) {
	idx := benchIndex(b)
	var qs []string
	idx.All(func(m annuaire.Mailbox) bool {
		if m.Person.LastName != "" {
			qs = append(qs, m.Person.LastName[:4]+" "+m.Person.FirstName[:2])
		}
		return len(qs) < 256
	})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if len(idx.Search(qs[i&255], annuaire.SearchOptions{Limit: 20})) == 0 {
			b.Fatal("not found: " + qs[i&255])
		}
		i++
	}
}

func BenchmarkSearchNameDepartement(b *testing.B) {
	idx := benchIndex(b)
	b.ReportAllocs()
	for b.Loop() {
		idx.Search("mar", annuaire.SearchOptions{Departement: "13", Limit: 20})
	}
}
