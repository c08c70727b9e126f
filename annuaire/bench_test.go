package annuaire_test

import (
	"bytes"
	"context"
	"io"
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
	benchDir  string // generated file's directory, removed by TestMain
	benchIdx  *annuaire.Index
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

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
		benchDir = dir
		benchPath = filepath.Join(dir, "extraction.txt")
		f, err := os.Create(benchPath)
		if err != nil {
			b.Fatal(err)
		}
		if err := annuairetest.Generate(f, &annuairetest.Options{Rows: benchRows, Seed: 1}); err != nil {
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

// reportCPU adds the CPU time per operation since start.
func reportCPU(b *testing.B, start int64) {
	if c := cpuTime(); c > 0 && b.N > 0 {
		b.ReportMetric(float64(c-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkLoadIndex parses and indexes the whole extraction per op
// (LoadIndex, with the size hint LoadIndexFile gives): the text (98.7 MB at
// 550,000 rows) is read from the file once, before the loop, so that the
// loop times the load itself, not the disk, and runs as many times as fit in
// -benchtime (one load takes about a second on 2 cores: -benchtime 5x for a
// steadier average). heapMB and heapB/row are the heap the last index keeps
// (live heap after a GC, minus that before the loop, which holds the text).
func BenchmarkLoadIndex(b *testing.B) {
	rc, _, err := annuaire.OpenExtraction(benchFile(b))
	if err != nil {
		b.Fatal(err)
	}
	text, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		b.Fatal(err)
	}
	opts := &annuaire.LoadOptions{SizeHint: int64(len(text))}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	heap0 := liveHeap()
	var idx *annuaire.Index
	cpu0 := cpuTime()
	for b.Loop() {
		idx = nil // the previous index is garbage while the next one loads
		if idx, err = annuaire.LoadIndex(context.Background(), bytes.NewReader(text), opts); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
	b.StopTimer()
	heap := liveHeap() - heap0
	b.ReportMetric(float64(heap)/(1<<20), "heapMB")
	b.ReportMetric(float64(heap)/float64(idx.Len()), "heapB/row")
	b.ReportMetric(float64(idx.Len()), "mailboxes")
	runtime.KeepAlive(idx)
	runtime.KeepAlive(text)
}

// liveHeap returns the heap in use after a garbage collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
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
	cpu0 := cpuTime()
	for b.Loop() {
		if _, ok := idx.Lookup(addrs[i&1023]); !ok {
			b.Fatal("not found")
		}
		i++
	}
	reportCPU(b, cpu0)
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
	cpu0 := cpuTime()
	for b.Loop() {
		if len(idx.ByPerson(ids[i&1023])) == 0 {
			b.Fatal("not found")
		}
		i++
	}
	reportCPU(b, cpu0)
}

// benchSearch runs queries made from the names of the index by q.
func benchSearch(b *testing.B, q func(m annuaire.Mailbox) string) {
	idx := benchIndex(b)
	var qs []string
	idx.All(func(m annuaire.Mailbox) bool {
		if m.Person.LastName != "" {
			qs = append(qs, q(m))
		}
		return len(qs) < 256
	})
	b.ReportAllocs()
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		if len(idx.Search(qs[i&255], &annuaire.SearchOptions{Limit: 20})) == 0 {
			b.Fatal("not found: " + qs[i&255])
		}
		i++
	}
	reportCPU(b, cpu0)
}

// A last-name prefix, as typed in a search box: "LOUR".
func BenchmarkSearchName(b *testing.B) {
	benchSearch(b, func(m annuaire.Mailbox) string { return m.Person.LastName[:4] })
}

// A last name and the start of a first name: "LOURILE je".
func BenchmarkSearchFullName(b *testing.B) {
	benchSearch(b, func(m annuaire.Mailbox) string { return m.Person.LastName + " " + m.Person.FirstName[:2] })
}

// Two short prefixes, the worst case: every candidate of the rarer one is
// checked against the other ("LOUR je").
func BenchmarkSearchTwoPrefixes(b *testing.B) {
	benchSearch(b, func(m annuaire.Mailbox) string { return m.Person.LastName[:4] + " " + m.Person.FirstName[:2] })
}

func BenchmarkSearchNameDepartement(b *testing.B) {
	idx := benchIndex(b)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		idx.Search("mar", &annuaire.SearchOptions{Departement: "13", Limit: 20})
	}
	reportCPU(b, cpu0)
}
